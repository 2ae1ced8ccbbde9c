// When secnode's own hooks thread starts on the async backend (Node 20, 22 before 22.22.3). A run where
// nothing can be refused or recorded never starts it (a check there changes nothing), whatever it loads;
// every run that can refuse or record starts it at once, so no ES module (not even one imported by code
// built at run time) loads unseen. The thread is counted in /proc/self/task; on the sync backend secnode
// starts no thread at all. (A diagnostics_channel subscriber sees only its own thread's records: those of
// ES modules are the hooks thread's.)
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFor, node, nodes, REGISTER, ROOT, secnode, SECNODE, SECNODECTL, type NodeUnderTest, type Policy } from './helpers/run.js';
import { tempDir } from './helpers/sandbox.js';

const COUNT = "require('node:fs').readdirSync('/proc/self/task').length";
const FILES: Record<string, string> = {
  'threads.cjs': `require('./lib.cjs');\nconsole.log('threads', ${COUNT});\n`,
  'lib.cjs': "module.exports = 1;\n",
  'esm.mjs': 'export const x = 42;\n',
  // A dynamic import in the source: the thread starts before this file runs.
  'dynamic.cjs': `console.log('threads', ${COUNT});\nimport('./esm.mjs').then((m) => console.log('x', m.x));\n`,
  // An import built at run time, which no source shows: only a thread started at once sees it.
  'built.cjs': `require('./lib.cjs');\nconst word = 'imp' + 'ort';\n(0, eval)(word + "('" + __dirname + "/esm-0644.mjs')").then((m) => console.log('x', m.x), (e) => console.log('refused', e.code));\n`,
  'esm-0644.mjs': 'export const x = 43;\n',
  // Exits while its first import is in flight: the hooks thread is torn down wherever it is then.
  'exit.cjs': "import('./esm.mjs');\nsetImmediate(() => process.exit(0));\n",
  // Registers secnode's own hooks module again, with a policy of its making (no bits).
  'rereg.cjs': `const { register } = require('node:module');
const data = { raw: 0, settings: { forced: { restrictFile: false, denyInteractive: false, hardenGenerated: false }, emulate: false, audit: [], launcher: null, sources: {} }, entry: undefined, preloads: [], loaders: false, guardThread: false };
register(require('node:url').pathToFileURL(process.argv[2] + '/hooks-async.cjs'), { data });
import('./esm-0644.mjs').then(() => console.log('imported'), (e) => console.log('refused', e.code));
`,
  // A worker: counts the process's threads while it runs (a CommonJS entry, and an ES module one).
  'worker.cjs': "const { Worker } = require('node:worker_threads');\nnew Worker(`${__dirname}/${process.argv[2]}`).on('message', (n) => console.log('threads', n));\n",
  'wchild.cjs': `require('./lib.cjs');\nrequire('node:worker_threads').parentPort.postMessage(${COUNT});\n`,
  'wchild.mjs': `import { readdirSync } from 'node:fs';\nimport { parentPort } from 'node:worker_threads';\nimport { x } from './esm.mjs';\nparentPort.postMessage(readdirSync('/proc/self/task').length + x - 42);\n`,
  'entry.mjs': `import { readdirSync } from 'node:fs';\nconsole.log('threads', readdirSync('/proc/self/task').length);\n`,
  'typed/package.json': '{ "type": "module" }\n',
  'typed/main.js': `import { readdirSync } from 'node:fs';\nconsole.log('threads', readdirSync('/proc/self/task').length);\n`,
};

let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  t = tempDir('secnode-hooks-thread-');
  mkdirSync(join(t.dir, 'typed'));
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(t.dir, name), text, { mode: 0o755 });
  chmodSync(join(t.dir, 'esm-0644.mjs'), 0o644);
});
afterAll(() => t.remove());

/** The `threads N` a run printed. */
function threads(stdout: string): number {
  const m = /threads (\d+)/.exec(stdout);
  if (m?.[1] === undefined) throw new Error(`no thread count in: ${stdout}`);
  return Number(m[1]);
}

/** Runs `file` (and extra node flags) under secnode's launcher, checking it ran cleanly; its output. */
function underSecnode(n: NodeUnderTest, args: readonly string[], policy: Policy = 'none', env: NodeJS.ProcessEnv = {}): string {
  const r = secnode(args, { node: n, cwd: t.dir, policy, env });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

/** The thread count plain node prints for `args`. */
function nodeThreads(n: NodeUnderTest, args: readonly string[]): number {
  const r = node(args, { node: n, cwd: t.dir });
  expect(r.status).toBe(0);
  return threads(r.stdout);
}

describe.each(nodes())('$name ($backend): secnode\'s hooks thread starts when it has work', (n) => {
  const own = n.backend === 'async-hooks+cjs' ? 1 : 0;

  it('a CommonJS program with no bits, nothing forced and no audit runs with node\'s threads (launcher and preload)', () => {
    const plain = nodeThreads(n, ['threads.cjs']);
    expect(threads(underSecnode(n, ['threads.cjs']))).toBe(plain);
    const r = node(['--require', REGISTER, 'threads.cjs'], { node: n, cwd: t.dir });
    expect(r.stderr).toBe('');
    expect(threads(r.stdout)).toBe(plain);
  });

  // On the sync backend secnode starts no thread either way, and a run with an engine guard at start (RF, an audit
  // sink) loads tls, whose start-up may add a thread of Node's: the counts below are the async backend's.
  const async = n.backend === 'async-hooks+cjs';

  it.runIf(async).each([
    { what: 'an audit sink', policy: 'none' as Policy, env: { SECNODE_AUDIT: 'file:/dev/null' } },
    { what: 'SECNODE_RESTRICT_FILE', policy: 'none' as Policy, env: { SECNODE_RESTRICT_FILE: '1' } },
    { what: 'SECNODE_HARDEN_GENERATED', policy: 'none' as Policy, env: { SECNODE_HARDEN_GENERATED: '1' } },
    { what: 'the RF bit', policy: 'RF' as Policy, env: {} },
    { what: 'the DI bit', policy: 'DI' as Policy, env: {} },
  ])('with $what the thread starts at once', ({ policy, env }) => {
    expect(threads(underSecnode(n, ['threads.cjs'], policy, env))).toBe(nodeThreads(n, ['threads.cjs']) + own);
  });

  it.runIf(async).each([
    { what: 'an .mjs entry', args: ['entry.mjs'] },
    { what: 'a .js entry in a "type": "module" package', args: ['typed/main.js'] },
    { what: 'an --import preload', args: ['--import', './esm.mjs', 'threads.cjs'] },
    { what: '-e importing an ES module', args: ['-e', `import('./esm.mjs').then((m) => console.log('threads', ${COUNT}, m.x))`] },
    { what: '-p', args: ['-p', `'threads ' + ${COUNT}`] },
  ])('$what, with no bits, nothing forced and no audit: node\'s threads', ({ args }) => {
    expect(threads(underSecnode(n, args))).toBe(nodeThreads(n, args));
  });

  // A worker pool does not pay secnode's hooks thread per worker where a check changes nothing.
  it.each(['wchild.cjs', 'wchild.mjs'])('a worker (%s) with no bits, nothing forced and no audit: node\'s threads', (child) => {
    expect(threads(underSecnode(n, ['worker.cjs', child]))).toBe(nodeThreads(n, ['worker.cjs', child]));
  });

  it.runIf(async).each([
    { what: 'an audit sink', policy: 'none' as Policy, env: { SECNODE_AUDIT: 'file:/dev/null' } },
    { what: 'the RF bit', policy: 'RF' as Policy, env: {} },
  ])('a worker with $what starts its own thread at once, as the main thread does', ({ policy, env }) => {
    expect(threads(underSecnode(n, ['worker.cjs', 'wchild.cjs'], policy, env))).toBe(nodeThreads(n, ['worker.cjs', 'wchild.cjs']) + 2 * own);
  });

  it('a CommonJS file whose source has import(), with no bits: node\'s threads, and the module loads as under node', () => {
    const out = underSecnode(n, ['dynamic.cjs']);
    expect(threads(out)).toBe(nodeThreads(n, ['dynamic.cjs']));
    expect(out).toContain('x 42');
  });

  // Each thread that loads secnode's shared code opens its source once (strace, which follows every thread).
  it.runIf(async)('under RF the thread loads secnode\'s shared code only for its first module', () => {
    const sharedLoads = (file: string): number => {
      const trace = join(t.dir, `strace-${n.name}-${file}`);
      const r = spawnSync('strace', ['-f', '-e', 'trace=openat', '-o', trace, process.execPath, SECNODECTL, 'exec', '--restrict-file',
        '--', SECNODE, file], { cwd: t.dir, encoding: 'utf8', timeout: 60_000, env: envFor(n) });
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(trace, 'utf8').split('\n').filter((l) => l.includes('shared-code.cjs"')).length;
    };
    expect(sharedLoads('threads.cjs')).toBe(1);
    expect(sharedLoads('dynamic.cjs')).toBe(2);
  });

  // secnode's native module loads in the thread while the main thread waits for the thread's start: later, a
  // program exiting with its first import in flight would tear the thread down inside koffi's set-up (abort).
  it.runIf(async).each([
    { what: 'RF', policy: 'RF' as Policy, env: {} },
    { what: 'DI', policy: 'DI' as Policy, env: {} },
    { what: 'an audit sink and no bits', policy: 'none' as Policy, env: { SECNODE_AUDIT: 'file:/dev/null' } },
  ])('with $what, a program exiting while its first import is in flight exits as under node', ({ policy, env }) => {
    expect(node(['exit.cjs'], { node: n, cwd: t.dir }).status).toBe(0);
    for (let i = 0; i < 10; i++) {
      const r = secnode(['exit.cjs'], { node: n, cwd: t.dir, policy, env });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it.runIf(async)('under RF, secnode\'s hooks module registered again with a policy of the program\'s keeps secnode\'s', () => {
    const r = secnode(['rereg.cjs', join(ROOT, 'dist', 'loader')], { node: n, cwd: t.dir, policy: 'RF' });
    expect(r.stdout).toBe('refused ERR_SECNODE_EXEC_DENIED\n');
  });

  it('under RF an import built at run time (no source shows it) still meets the check: a 0644 module is refused', () => {
    expect(underSecnode(n, ['built.cjs'], 'RF')).toBe('refused ERR_SECNODE_EXEC_DENIED\n');
    expect(underSecnode(n, ['built.cjs'])).toBe('x 43\n');
  });

});
