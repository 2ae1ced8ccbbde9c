// Nothing runs before secnode: what Node does before any preload (dynamic linker, OpenSSL, compile cache,
// inspector, --run, SEA and snapshots, config files, the `inspect` subcommand, the node binary itself) is
// refused by the static launcher under the bit that governs it, and with no bits secnode is plain node.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRefused, show } from './helpers/launcher-fixtures.js';
import { envFor, nodes, run, SECNODE, ROOT, type NodeUnderTest, type Policy, type Run } from './helpers/run.js';
import { tempDir } from './helpers/sandbox.js';

const RF = 'SECBIT_EXEC_RESTRICT_FILE';
const DI = 'SECBIT_EXEC_DENY_INTERACTIVE';
const REFUSED = 'ERR_SECNODE_OPTION_REFUSED';
const ENFORCED: readonly Policy[] = ['RF+DI', 'RF', 'DI'];

/** A marker-writing shared object: its constructor appends "x" to $MARKER (built with gcc, mode 0644). */
const MARK_C = `#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
__attribute__((constructor)) static void mark(void) {
  const char *p = getenv("MARKER");
  int fd = p ? open(p, O_WRONLY | O_CREAT | O_APPEND, 0644) : -1;
  if (fd >= 0) { (void)!write(fd, "x", 1); close(fd); }
}
`;

let t: { dir: string; remove(): void };
/** Whether gcc can build the marker shared object here (the .so vectors are skipped without it). */
const HAVE_GCC = spawnSync('gcc', ['--version']).status === 0;
let gcc: string | null = null;
const at = (name: string) => join(t.dir, name);
const MARK_JS = 'require("node:fs").appendFileSync(process.env.MARKER, "x");\n';

beforeAll(() => {
  t = tempDir('secnode-prestart-');
  const files: Record<string, [string, number]> = {
    'ok.js': ['console.log("ok");\n', 0o755],
    'ok.cjs': ['', 0o755],
    'mark.c': [MARK_C, 0o644],
    'pwn.js': [MARK_JS, 0o644],
    'ssl.cnf': [`nodejs_conf = init\nopenssl_conf = init\n[init]\nproviders = prov\n[prov]\nevil = evil_sect\n`
      + `[evil_sect]\nmodule = ${join('MODS', 'fips.so')}\nactivate = 1\n`, 0o644],
    'package.json': [JSON.stringify({ name: 'p', scripts: { pwn: 'echo x >> "$MARKER"' } }), 0o644],
    'sea.json': [JSON.stringify({ main: 'pwn.js', output: 'sea.blob', useSnapshot: true, disableExperimentalSEAWarning: true }), 0o644],
    // Config files' preloads lose to NODE_OPTIONS, which secnode always sets (docs/threat-model.md): a neutral option here.
    'node.config.json': [JSON.stringify({ nodeOptions: { title: 'cfg' } }), 0o644],
    'cfg.json': [JSON.stringify({ nodeOptions: { title: 'cfg' } }), 0o644],
    'fake-node': ['#!/bin/sh\necho "fake node ran: $*"\n', 0o755],
  };
  mkdirSync(at('mods'));
  for (const [name, [src, mode]] of Object.entries(files)) {
    writeFileSync(at(name), name === 'ssl.cnf' ? src.replace('MODS', at('mods')) : src);
    chmodSync(at(name), mode);
  }
  const cc = spawnSync('gcc', ['-shared', '-fPIC', '-o', at('mods/fips.so'), at('mark.c')], { encoding: 'utf8' });
  if (cc.status === 0) {
    chmodSync(at('mods/fips.so'), 0o644);
    gcc = at('mods/fips.so');
  }
  // PATH tricks: a dir whose `node` is /bin/sh, another whose `node` is a shell script.
  mkdirSync(at('sh-bin'));
  symlinkSync('/bin/sh', at('sh-bin/node'));
  mkdirSync(at('script-bin'));
  symlinkSync(at('fake-node'), at('script-bin/node'));
});
afterAll(() => t.remove());

/** Assignments for env(1): they reach only the final command, never secnodectl (itself a Node program). */
const assign = (vars: Readonly<Record<string, string>>) => Object.entries(vars).map(([k, v]) => `${k}=${v}`);

/** secnode (or plain `node`, found on PATH as secnode finds it, so argv0 matches) with these variables. */
function launch(which: 'secnode' | 'node', n: NodeUnderTest, policy: Policy, args: readonly string[], vars: Readonly<Record<string, string>> = {}): Run {
  return run('env', [...assign(vars), which === 'secnode' ? SECNODE : 'node', ...args], { node: n, policy, cwd: t.dir });
}

/** A fresh marker path (removed if present) and whether something wrote it. */
let markers = 0;
function marker(): { path: string; written(): boolean } {
  const path = at(`marker-${++markers}`);
  return { path, written: () => existsSync(path) };
}

/** Pids, thread ids, shared-library addresses (ASLR) and inspector URLs differ from run to run. */
const stable = (r: Run) => ({
  ...r,
  stderr: r.stderr.replace(/\[\d+\]|\(node:\d+\)/g, '[PID]').replace(/0x[0-9a-f]{10,}/g, '0x…').replace(/^[0-9A-F]{16}:error:/gm, 'TID:error:').replace(/ws:\/\/\S+/g, 'ws://…'),
});

interface Vector {
  readonly name: string;
  readonly args: readonly string[];
  readonly vars?: Readonly<Record<string, string>>;
  /** The enforcement that refuses it, and the rule named when both bits are set. */
  readonly governs: 'RF' | 'DI' | 'any';
  /** Needs the shared object built by gcc. */
  readonly so?: boolean;
  /** Lowest Node major where the vector exists (below: still refused under enforcement, parity otherwise). */
  readonly since?: number;
  /** Plain node waits (an inspector waiting for a client): no run where the launcher does not refuse. */
  readonly waits?: boolean;
}

const so = () => gcc ?? '/nonexistent.so';
const VECTORS: readonly Vector[] = [
  { name: 'LD_PRELOAD of a 0644 .so', args: ['ok.js'], vars: { get LD_PRELOAD() { return so(); } }, governs: 'RF', so: true },
  { name: 'LD_AUDIT of a 0644 .so', args: ['ok.js'], vars: { get LD_AUDIT() { return so(); } }, governs: 'RF', so: true },
  { name: 'LD_LIBRARY_PATH', args: ['ok.js'], vars: { get LD_LIBRARY_PATH() { return at('mods'); } }, governs: 'RF' },
  { name: 'OPENSSL_CONF activating a 0644 provider', args: ['ok.js'], vars: { get OPENSSL_CONF() { return at('ssl.cnf'); } }, governs: 'RF', so: true },
  { name: '--openssl-config= in argv', args: ['--openssl-config=ssl.cnf', 'ok.js'], governs: 'RF', so: true },
  { name: '--openssl-config in NODE_OPTIONS', args: ['ok.js'], vars: { NODE_OPTIONS: '--openssl"-config"=ssl.cnf' }, governs: 'RF', so: true },
  { name: 'OPENSSL_MODULES with --enable-fips', args: ['--enable-fips', 'ok.js'], vars: { get OPENSSL_MODULES() { return at('mods'); } }, governs: 'RF', so: true },
  { name: 'OPENSSL_ENGINES', args: ['ok.js'], vars: { get OPENSSL_ENGINES() { return at('mods'); } }, governs: 'RF' },
  { name: 'GCONV_PATH', args: ['ok.js'], vars: { get GCONV_PATH() { return at('mods'); } }, governs: 'RF' },
  { name: 'NODE_OPTIONS --ins"pect-wait"=', args: ['ok.js'], vars: { NODE_OPTIONS: '--ins"pect-wait"=127.0.0.1:0' }, governs: 'DI', waits: true },
  { name: 'NODE_OPTIONS "--\\inspect-brk"', args: ['ok.js'], vars: { NODE_OPTIONS: '"--\\inspect-brk=127.0.0.1:0"' }, governs: 'DI', waits: true },
  { name: 'NODE_OPTIONS --""inspect', args: ['ok.js'], vars: { NODE_OPTIONS: '--""inspect=127.0.0.1:0' }, governs: 'DI' },
  { name: 'NODE_OPTIONS --inspect_brk after a preload', args: ['ok.js'], vars: { NODE_OPTIONS: '--require ./ok.cjs --inspect_brk=127.0.0.1:0' }, governs: 'DI', waits: true },
  { name: 'argv --inspect-brk after another option', args: ['--no-warnings', '--inspect-brk=127.0.0.1:0', 'ok.js'], governs: 'DI', waits: true },
  { name: 'argv --inspect_wait after -e CODE', args: ['-e', '1', '--inspect_wait=127.0.0.1:0'], governs: 'DI', waits: true },
  { name: 'argv --inspect after -r VALUE', args: ['-r', './ok.cjs', '--inspect=127.0.0.1:0', 'ok.js'], governs: 'DI' },
  { name: 'the inspect subcommand', args: ['inspect', 'ok.js'], governs: 'DI', waits: true },
  { name: 'the inspect subcommand after --', args: ['--', 'inspect', 'ok.js'], governs: 'DI', waits: true },
  { name: '--run of a package.json script', args: ['--run', 'pwn'], governs: 'any' },
  { name: '--run= in NODE_OPTIONS', args: ['ok.js'], vars: { NODE_OPTIONS: '--run=pwn' }, governs: 'any', since: 22 },
  { name: '--experimental-sea-config with useSnapshot', args: ['--experimental-sea-config', 'sea.json'], governs: 'RF' },
  { name: '--build-sea', args: ['--build-sea', 'sea.json'], governs: 'RF', since: 26 },
  { name: '--build-snapshot', args: ['--build-snapshot', 'pwn.js'], governs: 'RF' },
  { name: '--snapshot-blob', args: ['--snapshot-blob', 'none.blob', 'ok.js'], governs: 'RF' },
  { name: '--experimental-config-file', args: ['--experimental-config-file=cfg.json', 'ok.js'], governs: 'any', since: 22 },
  { name: '--experimental-default-config-file', args: ['--experimental-default-config-file', 'ok.js'], governs: 'any', since: 22 },
  { name: 'an unparsable NODE_OPTIONS', args: ['ok.js'], vars: { NODE_OPTIONS: '--title "x' }, governs: 'any' },
];

/** Whether the policy's bits refuse a vector governed by `governs`, and the rule the message names. */
function refusing(governs: Vector['governs'], policy: Policy): string | null {
  const rf = policy.includes('RF');
  const di = policy.includes('DI');
  if (governs === 'RF') return rf ? RF : null;
  if (governs === 'DI') return di ? DI : null;
  return rf ? RF : di ? DI : null;
}

const BATCH = join(ROOT, 'test', 'helpers', 'batch-run.mjs');

/** Whether a vector is run under a policy: not where it would wait for a debugger, nor below the Node it needs. */
const runsUnder = (v: Vector, n: NodeUnderTest, policy: Policy) =>
  !(v.so === true && !HAVE_GCC) && (refusing(v.governs, policy) !== null || (v.waits !== true && (v.since ?? 0) <= n.major));

const markerFor = (n: NodeUnderTest, policy: Policy, i: number) => at(`marker-${n.name}-${policy.replace('+', '')}-${i}`);

/** Every vector through secnode under one policy, from a single `secnodectl exec` (bits set once, for all). */
const batches = new Map<string, Run[]>();
function underPolicy(n: NodeUnderTest, policy: Policy): Run[] {
  const key = `${n.name}-${policy}`;
  const cached = batches.get(key);
  if (cached) return cached;
  const jobs = VECTORS.map((v, i) => (runsUnder(v, n, policy)
    ? { cmd: 'env', args: [...assign({ ...v.vars, MARKER: markerFor(n, policy, i) }), SECNODE, ...v.args] }
    : { cmd: 'true', args: [] }));
  const file = at(`jobs-${key.replace('+', '')}.json`);
  writeFileSync(file, JSON.stringify(jobs));
  const r = run(process.execPath, [BATCH, file], { node: n, policy, cwd: t.dir });
  expect(r.status, show(r)).toBe(0);
  const runs = JSON.parse(r.stdout) as Run[];
  batches.set(key, runs);
  return runs;
}

/** The unsafe options of the launcher's table (the header the build compiled in), with whether they take a value. */
function unsafeOptions(): { name: string; value: boolean }[] {
  const header = readFileSync(join(ROOT, 'dist', 'runtime', 'launcher-table.h'), 'utf8');
  const options = header.slice(header.indexOf('SN_OPTIONS[]'), header.indexOf('SN_ENV[]'));
  // Entries are `{ "--name", 0xFLAGS, … }`: SN_VALUE 0x01, SN_RF 0x02, SN_DI 0x04 (see runtime/launcher-table.ts).
  return [...options.matchAll(/\{ "(--[^"]+)", (0x[0-9a-f]+),/g)]
    .map((m) => ({ name: m[1] ?? '', flags: Number(m[2]) }))
    .filter((o) => (o.flags & 0x06) !== 0)
    .map((o) => ({ name: o.name, value: (o.flags & 0x01) !== 0 }));
}

/** Each unsafe option spelled as Node reads it: argv plain and with `_`; NODE_OPTIONS plain, quoted, escaped, split by "". */
function sweep(): { args: string[]; vars: Record<string, string> }[] {
  return unsafeOptions().flatMap(({ name, value }) => {
    const rest = name.slice(2);
    const eq = value ? '=x' : '';
    const under = `--${rest.replace(/-/g, '_')}`;
    return [
      { args: value ? [name, 'x'] : [name], vars: {} },
      { args: [`${under}${eq}`], vars: {} },
      { args: ['--no-warnings', `${name}${eq}`], vars: {} },
      { args: [], vars: { NODE_OPTIONS: `${name}${eq}` } },
      { args: [], vars: { NODE_OPTIONS: `--require ./ok.cjs --"${rest}"${eq}` } },
      { args: [], vars: { NODE_OPTIONS: `"--\\${rest}${eq}"` } },
      { args: [], vars: { NODE_OPTIONS: `--${rest.slice(0, 2)}""${rest.slice(2)}${eq}` } },
      { args: [], vars: { NODE_OPTIONS: `${under}${eq}` } },
    ];
  });
}

describe.each(nodes())('$name', (n) => {
  describe.each(VECTORS.map((v, i) => ({ ...v, i })))('$name', (v) => {
    const skip = v.so === true && !HAVE_GCC;
    it.each(ENFORCED)('under %s: refused by the governing bit, before Node starts', (policy) => {
      if (!runsUnder(v, n, policy)) return;
      const r = underPolicy(n, policy)[v.i] as Run;
      const rule = refusing(v.governs, policy);
      if (rule !== null) {
        expectRefused(r, { code: REFUSED, rule });
        expect(existsSync(markerFor(n, policy, v.i)), show(r)).toBe(false);
      } else {
        expect(r.stderr, show(r)).not.toContain(REFUSED);
      }
    });
    it('no bits: the same as plain node (status, stdout, stderr, side effects)', () => {
      if (skip || v.waits === true) return;
      const mine = marker();
      const theirs = marker();
      const a = launch('secnode', n, 'none', v.args, { ...v.vars, MARKER: mine.path });
      const b = launch('node', n, 'none', v.args, { ...v.vars, MARKER: theirs.path });
      expect(stable(a), show(a)).toEqual(stable(b));
      expect(mine.written()).toBe(theirs.written());
    });
  });

  it('sweep: every option the launcher\'s table refuses, in argv and NODE_OPTIONS, plain, quoted and escaped, under RF+DI', () => {
    const jobs = sweep().map((spelling) => ({ cmd: 'env', args: [...assign(spelling.vars), SECNODE, ...spelling.args, 'ok.js'] }));
    const file = at(`sweep-${n.name}.json`);
    writeFileSync(file, JSON.stringify(jobs));
    const r = run(process.execPath, [BATCH, file], { node: n, policy: 'RF+DI', cwd: t.dir });
    expect(r.status, show(r)).toBe(0);
    const runs = JSON.parse(r.stdout) as Run[];
    const missed = sweep().filter((_, i) => runs[i]?.status !== 126 || !(runs[i]?.stderr ?? '').includes(REFUSED));
    expect(missed.map((m) => JSON.stringify(m))).toEqual([]);
    expect(jobs.length).toBeGreaterThan(20);
  });

  it.skipIf(n.major < 22)('NODE_COMPILE_CACHE: used with no bits and under DI, off under RF (Node never writes or reads it)', () => {
    const cacheOf = (policy: Policy) => {
      const dir = at(`cache-${policy}-${n.name}`);
      mkdirSync(dir);
      const r = launch('secnode', n, policy, ['ok.js'], { NODE_COMPILE_CACHE: dir });
      return { r, entries: readdirSync(dir, { recursive: true }).length };
    };
    for (const policy of ['none', 'DI'] as const) {
      const { r, entries } = cacheOf(policy);
      expect(r.status, show(r)).toBe(0);
      expect(entries, `${policy}: the cache is in use`).toBeGreaterThan(0);
    }
    for (const policy of ['RF', 'RF+DI'] as const) {
      const { r, entries } = cacheOf(policy);
      expect(r.stdout, show(r)).not.toContain('pwn');
      expect(entries, `${policy}: the cache is off`).toBe(0);
    }
  });

  it.skipIf(n.major < 22)('NODE_COMPILE_CACHE holding entries made for other files: under RF no entry is ever opened', () => {
    const dir = at(`cache-forged-${n.name}`);
    mkdirSync(dir);
    expect(launch('secnode', n, 'none', ['ok.js'], { NODE_COMPILE_CACHE: dir }).status).toBe(0);
    const r = spawnSync('strace', ['-f', '-e', 'trace=openat,open', '-o', at(`strace-${n.name}`), process.execPath,
      join(ROOT, 'dist', 'runtime', 'secnodectl.js'), 'exec', '--restrict-file', '--', 'env', `NODE_COMPILE_CACHE=${dir}`, SECNODE, 'ok.js'],
    { cwd: t.dir, encoding: 'utf8', timeout: 60_000, env: envFor(n) });
    if (r.error) return; // no strace here: the test above already shows the cache is off
    const trace = readFileSync(at(`strace-${n.name}`), 'utf8');
    // The launcher lists the directories (O_DIRECTORY) to see whether the cache is sealed; no entry is opened.
    expect(trace.split('\n').filter((l) => l.includes(dir) && !l.includes('execve') && !l.includes('O_DIRECTORY'))).toEqual([]);
  });

  describe('PATH tricks: only a real Node binary runs under enforcement', () => {
    it.each([['sh-bin', '/bin/sh'], ['script-bin', 'a shell script']])('a PATH dir whose node is %s (%s)', (bin) => {
      const path = `${at(bin)}:${n.bin}:/usr/bin:/bin`;
      for (const policy of ENFORCED) {
        const r = run('env', [`PATH=${path}`, SECNODE, '-c', 'echo PWNED'], { node: n, policy, cwd: t.dir });
        expectRefused(r, { code: 'ERR_SECNODE_EXEC_DENIED', rule: policy === 'DI' ? DI : RF });
        expect(r.stderr).toContain(at(`${bin}/node`));
      }
      // No bits: what PATH says runs, as a shell would find `node` (the former launcher's behaviour).
      const r = run('env', [`PATH=${path}`, SECNODE, '-c', 'echo ran'], { node: n, cwd: t.dir });
      expect(r.status, show(r)).toBe(0);
      expect(r.stdout).toBe(bin === 'sh-bin' ? 'ran\n' : 'fake node ran: -c echo ran\n');
    });
    it('a PATH whose node is the launcher itself: skipped, the next node runs (all policies)', () => {
      const self = at(`self-${n.name}`);
      mkdirSync(self);
      symlinkSync(SECNODE, join(self, 'node'));
      for (const policy of ['none', ...ENFORCED] as const) {
        const r = run('env', [`PATH=${self}:${n.bin}:/usr/bin:/bin`, SECNODE, 'ok.js'], { node: n, policy, cwd: t.dir });
        expect({ status: r.status, stdout: r.stdout }, show(r)).toEqual({ status: 0, stdout: 'ok\n' });
      }
    });
  });

  describe('secnodectl is not a way in', () => {
    const CTL = join(ROOT, 'dist', 'runtime', 'secnodectl');
    it.skipIf(!HAVE_GCC)('LD_PRELOAD: refused under RF, nothing runs; with no bits it runs as node would', () => {
      const m = marker();
      const r = run('env', [`LD_PRELOAD=${so()}`, `MARKER=${m.path}`, CTL, 'status', '--json'], { node: n, policy: 'RF+DI', cwd: t.dir });
      expectRefused(r, { code: REFUSED, rule: RF });
      expect(m.written()).toBe(false);
      const ok = run('env', [`LD_PRELOAD=${so()}`, `MARKER=${m.path}`, CTL, 'status', '--json'], { node: n, cwd: t.dir });
      expect(ok.status, show(ok)).toBe(0);
      expect(m.written()).toBe(true);
    });
    it.each(['RF+DI', 'DI'] as const)('an inspector option in NODE_OPTIONS under %s: refused, nothing runs', (policy) => {
      const r = run('env', ['NODE_OPTIONS=--inspect-brk=127.0.0.1:0 --require ./pwn.js', CTL, 'status'], { node: n, policy, cwd: t.dir });
      expectRefused(r, { code: REFUSED, rule: DI });
    });
  });
});
