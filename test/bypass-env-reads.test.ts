// Environments a program hands to a child or a worker are judged as Node reads them, once: an env object whose
// getters answer secnode's read and Node's copy differently starts nothing unjudged (a synchronous child, a
// worker's forced settings); and a worker of the library's install(), whose start options do not load secnode,
// still gets it. What the lazy hooks thread (Node 20) keeps: forced settings and records in workers and in -e,
// -p and stdin starts.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { node, nodes, REGISTER, ROOT, type NodeUnderTest, type Policy, type Run } from './helpers/run.js';
import { tempDir } from './helpers/sandbox.js';

const RAN = 'NO-RAN';
/** A worker entry (0755) that tries a 0644 CommonJS file, then a 0644 ES module. */
const TRY = `try { require('./no.cjs'); } catch (e) { console.log('refused', e.code); }
import('./no.mjs').then(() => {}, (e) => console.log('refused', e.code));
`;
const FILES: Record<string, [string, number]> = {
  'no.cjs': [`console.log('${RAN}', 'cjs');\n`, 0o644],
  'no.mjs': [`console.log('${RAN}', 'esm');\n`, 0o644],
  'try.cjs': [TRY, 0o755],
  // The library: install() with no options, then a worker with no options (the commonest form).
  'lib-worker.mjs': [`import { install } from ${JSON.stringify(join(ROOT, 'dist/loader/api.js'))};
install();
const { Worker } = await import('node:worker_threads');
new Worker(new URL('./try.cjs', import.meta.url)).on('error', (e) => console.log('worker error', e.code));
`, 0o755],
  // A synchronous child whose env object answers NODE_OPTIONS with secnode first to the first reads only.
  'sync-getter.cjs': [`const cp = require('node:child_process');
const good = process.env.NODE_OPTIONS;
for (let n = 1; n <= 8; n++) {
  for (const fn of ['execFileSync', 'spawnSync']) {
    let reads = 0;
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    Object.defineProperty(env, 'NODE_OPTIONS', { enumerable: true, get: () => (++reads <= n ? good : '') });
    try {
      const out = cp[fn](process.execPath, [__dirname + '/no.cjs'], { env, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });
      console.log(fn, n, JSON.stringify(typeof out === 'string' ? out : out.stdout));
    } catch (e) { console.log(fn, n, 'threw', e.status); }
  }
}
`, 0o755],
  // An env object whose SECNODE_RESTRICT_FILE reads '1' to secnode's check and '0' to node's copy.
  'env-getter.cjs': [`const { Worker } = require('node:worker_threads');
(async () => {
  for (let n = 1; n <= 4; n++) {
    let reads = 0;
    const env = { ...process.env };
    delete env.SECNODE_RESTRICT_FILE;
    Object.defineProperty(env, 'SECNODE_RESTRICT_FILE', { enumerable: true, get: () => (++reads <= n ? '1' : '0') });
    await new Promise((done) => new Worker(__dirname + '/try.cjs', { env }).on('exit', done).on('error', () => {}));
  }
})();
`, 0o755],
  // Options whose shell getter answers false to the first two reads and true after: what runs must be what was judged.
  'shell-getter.cjs': [`const cp = require('node:child_process');
let reads = 0;
const options = { stdio: 'ignore' };
Object.defineProperty(options, 'shell', { enumerable: true, get: () => ++reads > 2 });
try { cp.execFileSync(process.execPath + ' --inspect=0 -e 0', [], options); console.log('ran'); } catch (e) { console.log('threw', e.code ?? e.status); }
`, 0o755],
  // Diff guards: a worker with an empty env, and an ES module entry worker.
  'worker-empty-env.cjs': [`const { Worker } = require('node:worker_threads');
new Worker(__dirname + '/try.cjs', { env: {} });
new Worker(__dirname + '/try.cjs', { env: {}, execArgv: [] });
`, 0o755],
};
const IMPORT = "import('./no.mjs').then(() => {}, (e) => console.log('refused', e.code))";

let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  t = tempDir('secnode-review-s9-');
  for (const [name, [text, mode]] of Object.entries(FILES)) {
    writeFileSync(join(t.dir, name), text);
    chmodSync(join(t.dir, name), mode);
  }
});
afterAll(() => t.remove());

const show = (r: Run): string => `status ${String(r.status)}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

/** Plain node (no preload) under `policy`. */
const plainNode = (n: NodeUnderTest, args: readonly string[], policy: Policy, env: NodeJS.ProcessEnv = {}, input?: string): Run =>
  node(args, { node: n, cwd: t.dir, policy, env, ...(input === undefined ? {} : { input }) });
/** node --require secnode/register under `policy`. */
const preload = (n: NodeUnderTest, args: readonly string[], policy: Policy, env: NodeJS.ProcessEnv = {}, input?: string): Run =>
  plainNode(n, ['--require', REGISTER, ...args], policy, env, input);

describe.each(nodes())('$name: environments read once, and the library\'s workers', (n) => {
  it('the library: under RF+DI, install() then new Worker(file) with no options checks the worker\'s files', () => {
    const r = plainNode(n, ['lib-worker.mjs'], 'RF+DI');
    expect(r.stdout, show(r)).not.toContain(RAN);
  });

  it('under RF+DI, a synchronous child whose env object changes NODE_OPTIONS between reads still gets secnode', () => {
    const r = preload(n, ['sync-getter.cjs'], 'RF+DI');
    expect(r.stdout, show(r)).not.toContain(RAN);
  });

  it('under RF+DI, a child\'s options are read once: a shell getter that answers true only to Node\'s read runs no shell', () => {
    const r = preload(n, ['shell-getter.cjs'], 'RF+DI');
    expect(r.stdout, show(r)).toBe('threw ENOENT\n');
  });

  it('SECNODE_RESTRICT_FILE=1: a worker env object whose getter answers 0 to node\'s copy keeps RF', () => {
    const r = preload(n, ['env-getter.cjs'], 'none', { SECNODE_RESTRICT_FILE: '1' });
    expect(r.stdout, show(r)).not.toContain(RAN);
  });
});

describe.each(nodes())('$name: forced settings and records in workers and inline starts', (n) => {
  it.each([
    { what: 'RF bit', policy: 'RF' as Policy, env: {} },
    { what: 'SECNODE_RESTRICT_FILE=1 alone', policy: 'none' as Policy, env: { SECNODE_RESTRICT_FILE: '1' } },
  ])('$what: a worker with env: {} (and execArgv: []) refuses a 0644 CommonJS file and ES module', ({ policy, env }) => {
    const r = preload(n, ['worker-empty-env.cjs'], policy, env);
    expect(r.stdout, show(r)).not.toContain(RAN);
    expect(r.stdout.split('\n').filter((l) => l === 'refused ERR_SECNODE_EXEC_DENIED'), show(r)).toHaveLength(4);
  });

  it.each([
    { what: '-e', args: ['-e', IMPORT] },
    { what: '-p', args: ['-p', IMPORT] },
    { what: 'stdin', args: [], input: IMPORT },
    { what: '--input-type=module -e', args: ['--input-type=module', '-e', `try { await ${IMPORT.slice(0, IMPORT.indexOf('.then'))}; } catch (e) { console.log('refused', e.code); }`] },
  ])('SECNODE_RESTRICT_FILE=1 alone: $what importing a 0644 ES module is refused', ({ args, input }) => {
    const r = preload(n, args, 'none', { SECNODE_RESTRICT_FILE: '1' }, input);
    expect(r.stdout, show(r)).not.toContain(RAN);
    expect(r.stdout, show(r)).toContain('refused ERR_SECNODE_EXEC_DENIED');
  });

  it('an audit file sink: an ES module a worker imports is recorded, with the worker\'s hooks thread', () => {
    const log = join(t.dir, `audit-${n.name}.jsonl`);
    const r = preload(n, ['-e', `new (require('node:worker_threads').Worker)(${JSON.stringify(join(t.dir, 'try.cjs'))})`], 'none', { SECNODE_AUDIT: `file:${log}` });
    expect(r.stdout, show(r)).toContain(`${RAN} esm`); // no bits: it runs, and is recorded
    const records = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { subject: string; path?: string });
    expect(records.filter((x) => x.subject === 'import' && x.path === join(t.dir, 'no.mjs'))).toHaveLength(1);
    expect(records.filter((x) => x.subject === 'require' && x.path === join(t.dir, 'no.cjs'))).toHaveLength(1);
  });
});
