// The bytes Node evaluates are the bytes of the inode the kernel checked: not a second read by path.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { chmodSync, closeSync, constants, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { contextFrom } from '../loader/context.js';
import { gateFile } from '../loader/gate/gate.js';
import { DECISION_CHANNEL, type AuditRecord } from '../src/audit.js';
import { readSettings } from '../src/settings.js';
import { nodes, REGISTER, run, SECNODE, type NodeUnderTest, type Policy, type Run } from './helpers/run.js';
import { tempDir } from './helpers/sandbox.js';

const lines = (out: string): string[] => out.split('\n').filter((l) => l !== '');

function write(path: string, source: string, mode: number): void {
  writeFileSync(path, source);
  chmodSync(path, mode);
}

/** The two ways secnode gets into a Node process. */
const DOORS = {
  secnode: (_n: NodeUnderTest, args: readonly string[]) => ({ cmd: SECNODE, args }),
  'node --import register': (n: NodeUnderTest, args: readonly string[]) => ({ cmd: join(n.bin, 'node'), args: ['--import', REGISTER, ...args] }),
  'node --require register': (n: NodeUnderTest, args: readonly string[]) => ({ cmd: join(n.bin, 'node'), args: ['--require', REGISTER, ...args] }),
} as const;
type Door = keyof typeof DOORS;
const DOOR_NAMES = Object.keys(DOORS) as Door[];

function through(door: Door, n: NodeUnderTest, args: readonly string[], policy: Policy, cwd: string, env: NodeJS.ProcessEnv = {}): Run {
  const { cmd, args: argv } = DOORS[door](n, args);
  return run(cmd, argv, { node: n, policy, cwd, env });
}

// ---------------------------------------------------------------------------------------------------
// (a) A file open for writing anywhere is "busy" for the kernel (ETXTBSY): refused under RF.
// ---------------------------------------------------------------------------------------------------

/** Every writer started and not yet seen to exit: killed after each test, whatever happened in it. */
const writers = new Set<ChildProcess>();
afterEach(async () => { await Promise.all([...writers].map(stop)); });

/** Starts a process that holds an O_WRONLY fd on `path` until killed; resolves once the fd is open (within 10 s). */
async function holdOpenForWriting(path: string): Promise<ChildProcess> {
  const child = spawn('/bin/sh', ['-c', 'exec 3>>"$1" && echo ready && exec sleep 600', 'holder', path], { stdio: ['ignore', 'pipe', 'inherit'] });
  writers.add(child);
  child.once('exit', () => writers.delete(child));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('writer not ready within 10 s')), 10_000);
      const fail = (e: Error) => { clearTimeout(timer); reject(e); };
      child.once('error', fail);
      child.once('exit', (code) => fail(new Error(`writer exited early (${String(code)})`))); // a no-op once ready
      child.stdout?.once('data', () => { clearTimeout(timer); resolve(); });
    });
  } catch (e) {
    await stop(child);
    throw e;
  }
  return child;
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

const BUSY_CASES = [
  {
    name: 'require() of a CommonJS file', entry: 'main.cjs', dep: 'dep.cjs',
    main: "try { require('./dep.cjs'); } catch (e) { console.log('caught', e.code, e.errno); }\nconsole.log('main done');\n",
    depSource: "console.log('dep ran');\n",
  },
  {
    name: 'import() of an ES module', entry: 'main.mjs', dep: 'dep.mjs',
    main: "try { await import('./dep.mjs'); } catch (e) { console.log('caught', e.code, e.errno); }\nconsole.log('main done');\n",
    depSource: "console.log('dep ran');\n",
  },
] as const;

describe.each(nodes())('$name: a dependency open for writing (ETXTBSY)', (n) => {
  describe.each(BUSY_CASES)('$name', (c) => {
    let t: ReturnType<typeof tempDir>;
    let writer: ChildProcess | undefined;
    beforeAll(() => {
      t = tempDir('secnode-busy-');
      write(join(t.dir, c.entry), c.main, 0o755);
      write(join(t.dir, c.dep), c.depSource, 0o755);
    });
    afterAll(() => t.remove());
    beforeEach(async () => { writer = await holdOpenForWriting(join(t.dir, c.dep)); });
    afterEach(async () => { await stop(writer); writer = undefined; });

    it.each(DOOR_NAMES)('RF via %s: refused with errno ETXTBSY where it is loaded', (door) => {
      const r = through(door, n, [c.entry], 'RF', t.dir);
      expect({ status: r.status, stdout: lines(r.stdout), stderr: r.stderr })
        .toEqual({ status: 0, stdout: ['caught ERR_SECNODE_EXEC_DENIED ETXTBSY', 'main done'], stderr: '' });
    });

    it.each(DOOR_NAMES)('no bits via %s: runs (a busy file is only recorded)', (door) => {
      const r = through(door, n, [c.entry], 'none', t.dir);
      expect({ status: r.status, stdout: lines(r.stdout), stderr: r.stderr })
        .toEqual({ status: 0, stdout: ['dep ran', 'main done'], stderr: '' });
    });

    it('no bits, the record: errno ETXTBSY, reason busy, verdict record; under RF: refuse', () => {
      const busy = (policy: Policy) => lines(through('secnode', n, [c.entry], policy, t.dir, { SECNODE_AUDIT: 'stderr' }).stderr)
        .map((l) => JSON.parse(l) as Record<string, unknown>).find((x) => x.path === join(t.dir, c.dep));
      expect(busy('none')).toMatchObject({ errno: 'ETXTBSY', allowed: true, verdict: 'record', reason: 'busy', rule: null });
      expect(busy('RF')).toMatchObject({ errno: 'ETXTBSY', allowed: false, verdict: 'refuse', reason: 'busy', rule: 'SECBIT_EXEC_RESTRICT_FILE' });
    });

    it('RF, once the writer has closed it: runs (it was only the open writer)', async () => {
      await stop(writer);
      const r = through('secnode', n, [c.entry], 'RF', t.dir);
      expect({ status: r.status, stdout: lines(r.stdout) }).toEqual({ status: 0, stdout: ['dep ran', 'main done'] });
    });

    it('RF, the entry itself open for writing: exit 126 naming ETXTBSY', async () => {
      await stop(writer);
      writer = await holdOpenForWriting(join(t.dir, c.entry));
      const r = through('secnode', n, [c.entry], 'RF', t.dir);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('ERR_SECNODE_EXEC_DENIED');
      expect(r.stderr).toContain('ETXTBSY');
      expect(r.status).toBe(126);
    });
  });
});

// ---------------------------------------------------------------------------------------------------
// (a') Swap the file at the path between the check and the read: Node must run the checked inode.
// The app subscribes to secnode's decision channel, which secnode publishes right after the kernel
// check and before it reads; on the record for dep, it renames a 0644 "evil" file over dep's path.
// Code that re-opened the path after the check would run the evil (non-executable) bytes.
// ---------------------------------------------------------------------------------------------------

const SWAP_APP = (loader: 'require' | 'import', dep: string) => `
const { subscribe } = require('node:diagnostics_channel');
const { renameSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const dep = join(__dirname, ${JSON.stringify(dep)});
let swapped = 0;
subscribe('secnode:decision', (record) => {
  if (record.path === dep && swapped++ === 0) renameSync(join(__dirname, 'evil.txt'), dep);
});
function report() {
  console.log('swapped', swapped);
  console.log('now on disk:', readFileSync(dep, 'utf8').trim());
}
${loader === 'require'
    ? `try { require(dep); } catch (e) { console.log('caught', e.code); }\nreport();\n`
    : `import(dep).catch((e) => console.log('caught', e.code)).then(report);\n`}
`;

const SWAP_CASES = [
  { name: 'require() (CommonJS)', loader: 'require', dep: 'dep.cjs', since: 20 },
  // Node 20 loads ES modules in its hooks thread: a main-thread subscriber cannot act there.
  { name: 'import() (ESM)', loader: 'import', dep: 'dep.mjs', since: 22 },
] as const;

describe.each(nodes())('$name: the file is replaced between check and read', (n) => {
  describe.each(SWAP_CASES)('$name', (c) => {
    if (n.major < c.since) {
      it.skip(`not run on ${n.name}: ES modules load in the async hooks thread, out of reach of the app's channel subscriber`, () => {});
      return;
    }
    let t: ReturnType<typeof tempDir>;
    beforeEach(() => {
      t = tempDir('secnode-swap-');
      write(join(t.dir, 'main.cjs'), SWAP_APP(c.loader, c.dep), 0o755);
      write(join(t.dir, c.dep), "console.log('checked bytes ran');\n", 0o755);
      write(join(t.dir, 'evil.txt'), "console.log('EVIL bytes ran');\n", 0o644);
    });
    afterEach(() => t.remove());

    it.each(['RF', 'none'] as const)('policy %s: runs the checked bytes, never the swapped-in file', (policy) => {
      const r = through('secnode', n, ['main.cjs'], policy, t.dir);
      expect({ status: r.status, stdout: lines(r.stdout), stderr: r.stderr }).toEqual({
        status: 0,
        stdout: ['checked bytes ran', 'swapped 1', "now on disk: console.log('EVIL bytes ran');"],
        stderr: '',
      });
    });
  });
});

// ---------------------------------------------------------------------------------------------------
// (a'') The entry is opened and checked once, by the pre-start gate, and Node's load reads it from that
// fd. A preload running in between (after secnode) cannot make it read other bytes on the strength of
// that check: rewriting the file, or putting another file at the fd's number, makes it check again.
// ---------------------------------------------------------------------------------------------------

/** How many times `args` (run by secnode under `policy`) asks the kernel about `file`, counted by strace. */
function checksOf(n: NodeUnderTest, dir: string, file: string, args: readonly string[], policy: Policy): { run: Run; checks: number } {
  const log = join(dir, `strace-${n.name}-${policy}.log`);
  const r = run('strace', ['-f', '-qq', '-s', '4096', '-e', 'trace=execveat', '-o', log, SECNODE, ...args], { node: n, policy, cwd: dir });
  const checks = readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('execveat(') && l.includes(JSON.stringify(file))).length;
  return { run: r, checks };
}

/** A preload that finds the fd open on the entry (main.cjs), for the two attacks below. */
const FIND_ENTRY_FD = `
const { readdirSync, readlinkSync } = require('node:fs');
const { join } = require('node:path');
const main = join(__dirname, 'main.cjs');
const held = readdirSync('/proc/self/fd').map(Number).find((fd) => { try { return readlinkSync('/proc/self/fd/' + fd) === main; } catch { return false; } });
`;

describe.each(nodes())('$name: the entry, checked once', (n) => {
  let t: ReturnType<typeof tempDir>;
  const strace = spawnSync('strace', ['-V']).status === 0;
  beforeEach(() => {
    t = tempDir('secnode-entry-once-');
    write(join(t.dir, 'main.cjs'), "console.log('main ran');\n", 0o755);
    write(join(t.dir, 'main.mjs'), [
      "import { readdirSync, readlinkSync } from 'node:fs';",
      "console.log('main ran');",
      'const onMe = () => readdirSync(\'/proc/self/fd\').filter((f) => { try { return readlinkSync(`/proc/self/fd/${f}`) === process.argv[1]; } catch { return false; } });',
      "setTimeout(() => console.log('fds on it later:', onMe().length), 20);",
    ].join('\n'), 0o755);
    write(join(t.dir, 'rewrite.cjs'), `${FIND_ENTRY_FD}
require('node:fs').writeFileSync(main, "console.log('EVIL bytes ran');\\n");
require('node:fs').chmodSync(main, 0o644);
console.log('rewritten, fd held:', held !== undefined);
`, 0o755);
    write(join(t.dir, 'reuse.cjs'), `${FIND_ENTRY_FD}
const { closeSync, openSync } = require('node:fs');
closeSync(held);
// Open until the number comes back (another thread of Node's may have freed a lower one meanwhile).
const extra = [];
let fd;
while ((fd = openSync(join(__dirname, 'evil.txt'), 'r')) !== held && extra.length < 64) extra.push(fd);
for (const f of extra) closeSync(f);
console.log('reused:', fd === held);
`, 0o755);
    write(join(t.dir, 'evil.txt'), "console.log('EVIL bytes ran');\n", 0o644);
  });
  afterEach(() => t.remove());

  it.each(['main.cjs', 'main.mjs'])('%s: one check of the entry (Node 20 loads an ES module entry in its hooks thread: two)', (entry) => {
    if (!strace) return;
    const { run: r, checks } = checksOf(n, t.dir, join(t.dir, entry), [entry], 'RF');
    expect({ status: r.status, out: lines(r.stdout)[0] }).toEqual({ status: 0, out: 'main ran' });
    expect(checks).toBe(n.major === 20 && entry === 'main.mjs' ? 2 : 1);
  });

  it('no fd stays open on the entry once the program runs', () => {
    const r = through('secnode', n, ['main.mjs'], 'RF', t.dir);
    expect({ status: r.status, stdout: lines(r.stdout), stderr: r.stderr }).toEqual({ status: 0, stdout: ['main ran', 'fds on it later: 0'], stderr: '' });
  });

  it('RF: the entry rewritten (and made 0644) after the check is checked again, and refused', () => {
    const r = through('secnode', n, ['--require', './rewrite.cjs', 'main.cjs'], 'RF', t.dir);
    expect(lines(r.stdout)).toEqual(['rewritten, fd held: true']);
    expect(r.stderr).toContain('ERR_SECNODE_EXEC_DENIED');
    expect(r.status).not.toBe(0);
  });

  it('RF: another file put at the held fd\'s number is never read: the entry is opened and checked again', () => {
    const r = through('secnode', n, ['--require', './reuse.cjs', 'main.cjs'], 'RF', t.dir);
    expect({ status: r.status, stdout: lines(r.stdout), stderr: r.stderr }).toEqual({ status: 0, stdout: ['reused: true', 'main ran'], stderr: '' });
  });
});

// ---------------------------------------------------------------------------------------------------
// (b) Audit: every file Node evaluated has exactly one record, allowed, with its own path.
// ---------------------------------------------------------------------------------------------------

/** A graph touching each loading path; every code file prints "ran <its absolute path>". */
const AUDIT_GRAPH: Readonly<Record<string, string>> = {
  'pre.cjs': "console.log('ran', __filename);\n",
  'pre.mjs': "import { fileURLToPath } from 'node:url';\nconsole.log('ran', fileURLToPath(import.meta.url));\n",
  'main.mjs': [
    "import { fileURLToPath } from 'node:url';",
    "import { createRequire } from 'node:module';",
    "import './static.mjs';",
    "import './static-cjs.cjs';",
    "import data from './data.json' with { type: 'json' };",
    "console.log('ran', fileURLToPath(import.meta.url));",
    "await import('./dynamic.mjs');",
    "createRequire(import.meta.url)('./required.cjs');",
    "if (data.ok !== true) throw new Error('data');",
  ].join('\n'),
  'static.mjs': "import { fileURLToPath } from 'node:url';\nconsole.log('ran', fileURLToPath(import.meta.url));\n",
  'static-cjs.cjs': "console.log('ran', __filename);\n",
  'dynamic.mjs': "import { fileURLToPath } from 'node:url';\nconsole.log('ran', fileURLToPath(import.meta.url));\n",
  'required.cjs': "console.log('ran', __filename);\nrequire('./nested.cjs');\nrequire('./data.json');\n",
  'nested.cjs': "console.log('ran', __filename);\n",
};

describe.each(nodes())('$name: one allowed audit record per evaluated file', (n) => {
  let t: ReturnType<typeof tempDir>;
  beforeAll(() => {
    t = tempDir('secnode-audit-');
    for (const [file, source] of Object.entries(AUDIT_GRAPH)) write(join(t.dir, file), source, 0o755);
    write(join(t.dir, 'data.json'), '{ "ok": true }\n', 0o644);
    write(join(t.dir, 'package.json'), '{ "name": "audit-graph" }\n', 0o644);
  });
  afterAll(() => t.remove());

  // `node --import register` is left out: Node runs the --require preload before it, which secnode
  // rightly refuses under enforcement (ERR_SECNODE_PRELOAD_ORDER; the graph tests cover that).
  const doors: Door[] = ['secnode', 'node --require register'];
  const combos = doors.flatMap((door) => (['RF', 'none'] as const).map((policy) => ({ door, policy })));
  it.each(combos)('$door, policy $policy', ({ door, policy }) => {
    const log = join(t.dir, `audit-${door.replace(/\W+/g, '-')}-${policy}.jsonl`);
    const r = through(door, n, ['--require', './pre.cjs', '--import', './pre.mjs', 'main.mjs'], policy, t.dir,
      { SECNODE_AUDIT: `file:${log}` });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const ran = lines(r.stdout).map((l) => l.replace(/^ran /, ''));
    expect(ran.sort()).toEqual(Object.keys(AUDIT_GRAPH).map((f) => join(t.dir, f)).sort());

    const records = lines(readFileSync(log, 'utf8')).map((l) => JSON.parse(l) as AuditRecord);
    for (const file of ran) {
      const mine = records.filter((rec) => rec.path === file);
      expect(mine.map((rec) => ({ path: rec.path, allowed: rec.allowed, errno: rec.errno, mode: rec.mode })), file)
        .toEqual([{ path: file, allowed: true, errno: null, mode: policy === 'RF' ? 'enforce' : 'permissive' }]);
    }
    // Data (JSON, package.json) is not code: no records for it, and no record names a file that did not run.
    expect(records.filter((rec) => !ran.includes(rec.path ?? ''))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------
// (c) The gate in-process: the bytes it returns are those of the inode it checked.
// ---------------------------------------------------------------------------------------------------

describe('gateFile in-process (RF, raw securebits 0x100 given to the context; the test process keeps its own bits)', () => {
  const ctx = contextFrom({ raw: 0x100, settings: readSettings({}), entry: undefined, preloads: [], loaders: false });
  const permissive = contextFrom({ raw: 0, settings: readSettings({}), entry: undefined, preloads: [], loaders: false });
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => { t = tempDir('secnode-gate-'); });
  afterEach(() => t.remove());

  function caught(fn: () => unknown): Record<string, unknown> {
    try {
      fn();
    } catch (e) {
      return { ...(e as object) };
    }
    throw new Error('expected the gate to refuse');
  }

  it('returns the bytes of an executable file', () => {
    const f = join(t.dir, 'ok.js');
    write(f, 'checked();\n', 0o755);
    expect(gateFile(ctx, f, 'import')?.toString()).toBe('checked();\n');
  });

  it('returns the checked inode\'s bytes when the path is replaced between the check and the read', () => {
    const f = join(t.dir, 'ok.js');
    const evil = join(t.dir, 'evil.js');
    write(f, 'checked();\n', 0o755);
    write(evil, 'evil();\n', 0o644);
    const onDecision = (message: unknown) => {
      if ((message as AuditRecord).path === f) renameSync(evil, f);
    };
    subscribe(DECISION_CHANNEL, onDecision);
    try {
      expect(gateFile(ctx, f, 'import')?.toString()).toBe('checked();\n');
    } finally {
      unsubscribe(DECISION_CHANNEL, onDecision);
    }
    expect(readFileSync(f, 'utf8')).toBe('evil();\n');
    // And the swapped-in file, checked on its own, is refused.
    expect(caught(() => gateFile(ctx, f, 'import'))).toMatchObject({ code: 'ERR_SECNODE_EXEC_DENIED', errno: 'EACCES', path: f });
  });

  it('keeps the returned bytes when the file is rewritten afterwards', () => {
    const f = join(t.dir, 'ok.js');
    write(f, 'first();\n', 0o755);
    const bytes = gateFile(ctx, f, 'import');
    writeFileSync(f, 'second();\n');
    expect(bytes?.toString()).toBe('first();\n');
  });

  it.each([
    ['a 0644 file', 0o644, 'EACCES'],
    ['a 0600 file', 0o600, 'EACCES'],
  ] as const)('refuses %s with ERR_SECNODE_EXEC_DENIED (%s)', (_, mode, errno) => {
    const f = join(t.dir, 'no.js');
    write(f, 'nope();\n', mode);
    expect(caught(() => gateFile(ctx, f, 'require')))
      .toMatchObject({ code: 'ERR_SECNODE_EXEC_DENIED', path: f, errno, securebits: '0x100', rule: 'SECBIT_EXEC_RESTRICT_FILE' });
    expect(gateFile(permissive, f, 'require')?.toString()).toBe('nope();\n');
  });

  it('refuses a FIFO named as a code file (EACCES); permissive, leaves the single read to Node', () => {
    const f = join(t.dir, 'fifo.js');
    execFileSync('mkfifo', [f]);
    expect(caught(() => gateFile(ctx, f, 'import'))).toMatchObject({ code: 'ERR_SECNODE_EXEC_DENIED', errno: 'EACCES', path: f });
    expect(gateFile(permissive, f, 'import')).toBeUndefined();
  });

  it('refuses a file open for writing (ETXTBSY), runs it again once closed', () => {
    const f = join(t.dir, 'busy.js');
    write(f, 'busy();\n', 0o755);
    const fd = openSync(f, constants.O_WRONLY | constants.O_APPEND);
    try {
      expect(caught(() => gateFile(ctx, f, 'import'))).toMatchObject({ code: 'ERR_SECNODE_EXEC_DENIED', errno: 'ETXTBSY' });
      expect(gateFile(permissive, f, 'import')?.toString()).toBe('busy();\n');
    } finally {
      closeSync(fd);
    }
    expect(gateFile(ctx, f, 'import')?.toString()).toBe('busy();\n');
  });
});
