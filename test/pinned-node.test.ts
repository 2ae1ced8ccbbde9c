// Only the operator's Node runs under secnode: under enforcement the launcher (secnode and secnodectl) runs a
// Node binary pinned by the install's owner, never what PATH, a `node` symlink or the environment chooses;
// other runtimes (Bun and Deno as npm installs them) are refused; Node majors outside the supported range are
// refused at start-up; secnodectl's own Node cannot be made to load unchecked code; and env files' NODE_OPTIONS
// apply with no bits as under node, and are judged under enforcement before Node starts.
import { spawnSync } from 'node:child_process';
import {
  chmodSync, chownSync, cpSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { expectRan, expectRefused, makeFixtures, show, type Fixtures } from './helpers/launcher-fixtures.js';
import { ROOT, SECNODE, SECNODECTL, envFor, nodes, run, type NodeUnderTest, type Policy, type Run } from './helpers/run.js';

const RF = 'SECBIT_EXEC_RESTRICT_FILE';
const DI = 'SECBIT_EXEC_DENY_INTERACTIVE';
const ENFORCED = ['RF', 'DI', 'RF+DI'] as const;
const ruleOf = (p: Policy): string => (p === 'DI' ? DI : RF);
const CTL = join(ROOT, 'dist', 'runtime', 'secnodectl');
const RUNTIMES = inject('runtimes');
const BUN = join(RUNTIMES, 'node_modules', '@oven', 'bun-linux-x64', 'bin', 'bun');
const DENO = join(RUNTIMES, 'node_modules', '@deno', 'linux-x64-glibc', 'deno');
const UNSUPPORTED = { 16: join(RUNTIMES, 'node_modules', 'node16', 'bin', 'node'), 18: join(RUNTIMES, 'node_modules', 'node18', 'bin', 'node'), 25: join(RUNTIMES, 'node_modules', 'node25', 'bin', 'node') };

let t: Fixtures;
beforeAll(() => {
  t = makeFixtures('pinned', {
    'evil.js': { src: 'require("node:fs").writeFileSync(process.env.MARKER || "/dev/null", "ran"); console.log("ran")\n', mode: 0o644 },
    'ok.js': 'console.log("ok", process.version)\n',
    'pre.cjs': 'console.log("pre ran")\n',
    'env.js': 'console.log(JSON.stringify({ FOO: process.env.FOO ?? null, BAR: process.env.BAR ?? null }))\n',
  });
  // A `node` that is really another runtime, as an attacker would set it up: a symlink and a hard link.
  for (const [name, bin] of [['bun', BUN], ['deno', DENO]] as const) {
    mkdirSync(t.path(`${name}-link`));
    symlinkSync(bin, t.path(`${name}-link/node`));
    mkdirSync(t.path(`${name}-copy`));
    linkSync(bin, t.path(`${name}-copy/node`));
  }
});
afterAll(() => t.remove());

/** A fresh marker file path; `ran()` says whether the evil script wrote it. */
function marker(name: string): { path: string; ran: () => boolean } {
  const path = t.path(`marker-${name}`);
  rmSync(path, { force: true });
  return { path, ran: () => existsSync(path) };
}

/** Runs `cmd args` under the policy with PATH set for the final command only (after secnodectl exec). */
function withPath(path: string, cmd: string, args: readonly string[], n: NodeUnderTest, policy: Policy, vars: Record<string, string> = {}): Run {
  const assignments = Object.entries({ PATH: path, ...vars }).map(([k, v]) => `${k}=${v}`);
  return run('env', [...assignments, cmd, ...args], { node: n, policy, cwd: t.dir });
}

describe('other runtimes are refused under enforcement, whatever PATH says', () => {
  const n = nodes()[0] as NodeUnderTest;
  it.each([['Bun', 'bun'], ['Deno', 'deno']] as const)('%s as `node` on PATH (symlink and hard link): refused, nothing runs; with no bits it runs', (_name, rt) => {
    for (const how of ['link', 'copy']) {
      const path = `${t.path(`${rt}-${how}`)}:${n.bin}:/usr/bin:/bin`;
      for (const policy of ENFORCED) {
        for (const args of [['evil.js'], ['-e', 'console.log("ran")']]) {
          const m = marker(`${rt}-${how}-${policy}`);
          const r = withPath(path, SECNODE, args, n, policy, { MARKER: m.path });
          expectRefused(r, { code: 'ERR_SECNODE_EXEC_DENIED', rule: ruleOf(policy) });
          expect(r.stderr, show(r)).toContain('not a Node the operator pinned');
          expect(m.ran(), show(r)).toBe(false);
        }
      }
      // With no bits the drop-in behaviour stays: the first `node` on PATH runs (here, the other runtime).
      if (rt === 'bun') expect(withPath(path, SECNODE, ['-e', 'console.log("ran", typeof Bun)'], n, 'none').stdout).toBe('ran object\n');
    }
  });
  it('the README set-up (`node` first on PATH is secnode) with another runtime next: refused', () => {
    const dir = t.path('self-then-bun');
    mkdirSync(dir);
    symlinkSync(SECNODE, join(dir, 'node'));
    const r = withPath(`${dir}:${t.path('bun-link')}:${n.bin}:/usr/bin:/bin`, SECNODE, ['evil.js'], n, 'RF+DI');
    expectRefused(r, { code: 'ERR_SECNODE_EXEC_DENIED', rule: RF });
    expect(r.stdout).toBe('');
  });
  it('secnodectl under enforcement with Bun as `node` on PATH: refused, its own Node is the pinned one or none', () => {
    const r = withPath(`${t.path('bun-link')}:${n.bin}:/usr/bin:/bin`, CTL, ['status'], n, 'RF+DI');
    expectRefused(r, { code: 'ERR_SECNODE_EXEC_DENIED', rule: RF });
  });
  it('a copy of a real Node binary that nobody pinned: refused under enforcement, runs with no bits', () => {
    const dir = t.path('unpinned-node');
    mkdirSync(dir);
    cpSync(join(n.bin, 'node'), join(dir, 'node'));
    const r = withPath(`${dir}:/usr/bin:/bin`, SECNODE, ['ok.js'], n, 'RF');
    expectRefused(r, { code: 'ERR_SECNODE_EXEC_DENIED', rule: RF });
    expect(r.stderr).toContain(join(dir, 'node'));
    expectRan(withPath(`${dir}:/usr/bin:/bin`, SECNODE, ['ok.js'], n, 'none'), `ok ${n.version}\n`);
  });
  it('no `node` on PATH under enforcement: the first pinned Node runs', () => {
    const pins = readFileSync(join(ROOT, 'dist', 'runtime', 'pinned-node'), 'utf8').split('\n').filter((l) => l.startsWith('/'));
    const first = spawnSync(pins[0] ?? '', ['-p', 'process.version'], { encoding: 'utf8' }).stdout.trim();
    expectRan(withPath('/nonexistent', SECNODE, ['ok.js'], n, 'RF+DI'), `ok ${first}\n`);
  });
});

/** A second install of secnode (a copy of dist/ below the checkout, so its dependencies resolve), its own pin file. */
function copyInstall(name: string): { dist: string; secnode: string; ctl: string; pins: string; remove(): void } {
  const root = join(ROOT, '.cache', `pin-install-${name}-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  cpSync(join(ROOT, 'dist'), join(root, 'dist'), { recursive: true });
  const dist = join(root, 'dist');
  rmSync(join(dist, 'runtime', 'pinned-node'), { force: true });
  return {
    dist, secnode: join(dist, 'runtime', 'secnode'), ctl: join(dist, 'runtime', 'secnodectl.js'), pins: join(dist, 'runtime', 'pinned-node'),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

describe('the pin file: written by the install\'s owner, trusted only as such', () => {
  const n = nodes()[0] as NodeUnderTest;
  let inst: ReturnType<typeof copyInstall>;
  beforeAll(() => {
    inst = copyInstall('trust');
  });
  afterAll(() => inst.remove());
  const ctl = (args: string[]): Run => run(process.execPath, [inst.ctl, ...args], { node: n, cwd: t.dir });

  it('no pin file: refused under enforcement, naming the file and the command that pins; with no bits it runs', () => {
    for (const policy of ENFORCED) {
      const r = run(inst.secnode, ['ok.js'], { node: n, policy, cwd: t.dir });
      expectRefused(r, { code: 'ERR_SECNODE_EXEC_DENIED', rule: ruleOf(policy) });
      expect(r.stderr).toContain(inst.pins);
      expect(r.stderr).toContain('secnodectl pin-node');
    }
    expectRan(run(inst.secnode, ['ok.js'], { node: n, cwd: t.dir }), `ok ${n.version}\n`);
  });
  it('pin-node refuses Bun and Deno, pins a real Node (0644, resolved path), warns for an unsupported major', () => {
    for (const other of [BUN, DENO]) {
      const r = ctl(['pin-node', other]);
      expect(r.status, show(r)).toBe(1);
      expect(r.stderr).toContain('not Node.js');
      expect(existsSync(inst.pins)).toBe(false);
    }
    const warned = ctl(['pin-node', UNSUPPORTED[25]]);
    expect(warned.status, show(warned)).toBe(0);
    expect(warned.stderr).toContain('outside the supported range');
    const r = ctl(['pin-node', join(n.bin, 'node')]);
    expect(r.status, show(r)).toBe(0);
    expect(readFileSync(inst.pins, 'utf8')).toContain(`\n${join(n.bin, 'node')}\n`);
    expect(readFileSync(inst.pins, 'utf8')).not.toContain(UNSUPPORTED[25]);
    expectRan(withPath(`${n.bin}:/usr/bin:/bin`, inst.secnode, ['ok.js'], n, 'RF+DI'), `ok ${n.version}\n`);
    const added = ctl(['pin-node', '--add', UNSUPPORTED[25]]);
    expect(added.status, show(added)).toBe(0);
    expect(readFileSync(inst.pins, 'utf8')).toContain(`${join(n.bin, 'node')}\n${UNSUPPORTED[25]}\n`);
  });
  it.each([
    ['writable by others', (f: string) => chmodSync(f, 0o666), 'writable by group or others'],
    ['owned by another user', (f: string) => chownSync(f, 65534, 65534), "owned by a user other than the install's owner or root"],
    ['a symlink', (f: string) => { const real = `${f}.real`; cpSync(f, real); rmSync(f); symlinkSync(real, f); }, 'Too many levels of symbolic links'],
    ['a relative path inside', (f: string) => writeFileSync(f, 'node\n'), 'not an absolute path'],
  ])('a pin file %s: refused under enforcement', (_what, spoil, words) => {
    expect(ctl(['pin-node', join(n.bin, 'node')]).status).toBe(0);
    spoil(inst.pins);
    const r = withPath(`${n.bin}:/usr/bin:/bin`, inst.secnode, ['ok.js'], n, 'RF');
    expectRefused(r, { code: 'ERR_SECNODE_EXEC_DENIED', rule: RF });
    expect(r.stderr).toContain(words);
    rmSync(inst.pins, { force: true });
    rmSync(`${inst.pins}.real`, { force: true });
  });
  it('a pinned file that is not Node (a shell): refused by the sanity check, nothing runs', () => {
    writeFileSync(inst.pins, '/bin/sh\n', { mode: 0o644 });
    const dir = t.path('sh-as-node');
    mkdirSync(dir, { recursive: true });
    rmSync(join(dir, 'node'), { force: true });
    symlinkSync('/bin/sh', join(dir, 'node'));
    const r = withPath(`${dir}:/usr/bin:/bin`, inst.secnode, ['-c', 'echo PWNED'], n, 'RF');
    expectRefused(r, { code: 'ERR_SECNODE_EXEC_DENIED', rule: RF });
    expect(r.stderr).toContain('napi_module_register');
    rmSync(inst.pins, { force: true });
  });
  it('a pinned Node binary that others may change (group-writable): refused under enforcement', () => {
    const dir = t.path('writable-node');
    mkdirSync(dir, { recursive: true });
    cpSync(join(n.bin, 'node'), join(dir, 'node'));
    chmodSync(join(dir, 'node'), 0o775);
    writeFileSync(inst.pins, `${join(dir, 'node')}\n`, { mode: 0o644 });
    const r = withPath(`${dir}:/usr/bin:/bin`, inst.secnode, ['ok.js'], n, 'RF');
    expectRefused(r, { code: 'ERR_SECNODE_EXEC_DENIED', rule: RF });
    expect(r.stderr).toContain('may be changed by users other than the install');
    rmSync(inst.pins, { force: true });
  });
  it('secnodectl status says which Node runs under enforcement, and why not', () => {
    writeFileSync(inst.pins, `${join(n.bin, 'node')}\n`, { mode: 0o644 });
    const ok = JSON.parse(run(process.execPath, [inst.ctl, 'status', '--json'], { node: n, cwd: t.dir }).stdout) as { enforcementNode: { wouldRun: string | null } };
    expect(ok.enforcementNode.wouldRun).toBe(join(n.bin, 'node'));
    const r = spawnSync(process.execPath, [inst.ctl, 'status'], { encoding: 'utf8', env: { ...envFor(n), PATH: `${t.path('bun-link')}:/usr/bin:/bin` } });
    expect(r.stdout).toMatch(/enforcement node {2}none: .*bun-link\/node is not a Node the operator pinned/);
    rmSync(inst.pins, { force: true });
  });
});

describe.each([18, 25] as const)('Node %i (outside the supported range, from the registry)', (major) => {
  const n = nodes()[0] as NodeUnderTest;
  const bin = UNSUPPORTED[major];
  const dir = (): string => join(bin, '..');
  it('under enforcement: refused at start-up with the supported range, nothing runs (launcher and register door)', () => {
    for (const policy of ENFORCED) {
      const m = marker(`unsupported-${major}-${policy}`);
      chmodSync(t.path('evil.js'), 0o755);
      try {
        for (const r of [
          withPath(`${dir()}:/usr/bin:/bin`, SECNODE, ['evil.js'], n, policy, { MARKER: m.path }),
          withPath(`${dir()}:/usr/bin:/bin`, bin, ['--require', join(ROOT, 'dist', 'loader', 'register.cjs'), 'evil.js'], n, policy, { MARKER: m.path }),
        ]) {
          expectRefused(r, { code: 'ERR_SECNODE_UNSUPPORTED_NODE', rule: ruleOf(policy) });
          expect(r.stderr).toContain('20.19+, 22, 24, 26');
          expect(m.ran(), show(r)).toBe(false);
        }
      } finally {
        chmodSync(t.path('evil.js'), 0o644);
      }
    }
  });
  it('with no bits: runs as that node does, silently; the audit record names the version', () => {
    const plain = withPath(`${dir()}:/usr/bin:/bin`, bin, ['ok.js'], n, 'none');
    const r = withPath(`${dir()}:/usr/bin:/bin`, SECNODE, ['ok.js'], n, 'none');
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: plain.status, stdout: plain.stdout, stderr: plain.stderr });
    expect(r.stdout).toContain(`ok v${major}.`);
    const log = t.path(`audit-${major}.jsonl`);
    rmSync(log, { force: true });
    expect(withPath(`${dir()}:/usr/bin:/bin`, SECNODE, ['ok.js'], n, 'none', { SECNODE_AUDIT: `file:${log}` }).status).toBe(0);
    const records = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { unsupportedNode?: string; path?: string });
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((rec) => rec.unsupportedNode?.startsWith(`v${major}.`))).toBe(true);
  });
});

describe('Node 16 (no module.register: secnode cannot run there at all)', () => {
  const n = nodes()[0] as NodeUnderTest;
  it('refused at start-up whatever the bits, with the supported range, nothing runs (launcher and register door)', () => {
    const dir = join(UNSUPPORTED[16], '..');
    chmodSync(t.path('evil.js'), 0o755);
    try {
      for (const policy of ['none', ...ENFORCED] as const) {
        const m = marker(`node16-${policy}`);
        for (const r of [
          withPath(`${dir}:/usr/bin:/bin`, SECNODE, ['evil.js'], n, policy, { MARKER: m.path }),
          withPath(`${dir}:/usr/bin:/bin`, UNSUPPORTED[16], ['--require', join(ROOT, 'dist', 'loader', 'register.cjs'), 'evil.js'], n, policy, { MARKER: m.path }),
        ]) {
          expect(r.status, show(r)).toBe(126);
          expect(r.stderr).toMatch(/^secnode: refused to start: Node v16\.\d+\.\d+ cannot run secnode .*supported: 20\.19\+, 22, 24, 26 \[ERR_SECNODE_UNSUPPORTED_NODE\]\nhint: /);
          expect(m.ran(), show(r)).toBe(false);
        }
      }
    } finally {
      chmodSync(t.path('evil.js'), 0o644);
    }
  });
});

describe.each(nodes())('$name', (n) => {
  describe('secnodectl\'s own Node loads nothing unchecked', () => {
    it('an env file named in its arguments (Node reads --env-file anywhere in argv): its NODE_OPTIONS never applies', () => {
      writeFileSync(t.path('evil.env'), `NODE_OPTIONS="--require ${t.path('evil.js')}"\n`);
      // The door is real: plain node running secnodectl's script with no NODE_OPTIONS loads the file's preload.
      const m0 = marker(`ctl-door-${n.name}`);
      const door = spawnSync(join(n.bin, 'node'), [join(ROOT, 'dist', 'runtime', 'secnodectl.js'), 'status', '--env-file=evil.env'],
        { cwd: t.dir, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', MARKER: m0.path } });
      expect(m0.ran(), `${door.stdout}${door.stderr}`).toBe(true);
      for (const policy of ['none', ...ENFORCED] as const) {
        for (const args of [['status', '--env-file=evil.env'], ['scan', '--env-file', 'evil.env', 'ok.js'], ['exec', '--env-file=evil.env', '--', 'true']]) {
          const m = marker(`ctl-${n.name}-${policy}`);
          const r = withPath(`${n.bin}:/usr/bin:/bin`, CTL, args, n, policy, { MARKER: m.path });
          expect(m.ran(), show(r)).toBe(false);
          expect(r.stdout).not.toContain('ran');
        }
      }
    });
    it('preflight cannot start a Node without secnode: the script is checked (refused under RF), an unpinned NODE is refused', () => {
      for (const policy of ['RF', 'RF+DI'] as const) {
        const m = marker(`preflight-${n.name}-${policy}`);
        const r = withPath(`${n.bin}:/usr/bin:/bin`, CTL, ['preflight', join(n.bin, 'node'), '', 'evil.js'], n, policy, { MARKER: m.path });
        expect(r.stderr, show(r)).toContain('ERR_SECNODE_EXEC_DENIED');
        expect(m.ran(), show(r)).toBe(false);
        const other = withPath(`${n.bin}:/usr/bin:/bin`, CTL, ['preflight', BUN, '', 'evil.js'], n, policy, { MARKER: m.path });
        expectRefused(other, { code: 'ERR_SECNODE_EXEC_DENIED', rule: RF });
        expect(m.ran(), show(other)).toBe(false);
      }
    });
    it('exec under enforcement puts secnode back for the command (an emptied NODE_OPTIONS cannot start a bare node)', () => {
      const m = marker(`exec-${n.name}`);
      const r = withPath(`${n.bin}:/usr/bin:/bin`, CTL, ['exec', '--', join(n.bin, 'node'), 'evil.js'], n, 'RF+DI', { MARKER: m.path, NODE_OPTIONS: '' });
      expect(r.stderr, show(r)).toContain('ERR_SECNODE_EXEC_DENIED');
      expect(m.ran(), show(r)).toBe(false);
      // With no bits, exec passes the caller's NODE_OPTIONS on untouched (here: none), as before.
      const plain = withPath(`${n.bin}:/usr/bin:/bin`, CTL, ['exec', '--', join(n.bin, 'node'), '-p', 'process.env.NODE_OPTIONS'], n, 'none');
      expect(plain.stdout, show(plain)).toBe('undefined\n');
    });
  });

  describe('env files', () => {
    const files: Record<string, string> = {
      'plain.env': `FOO=1\nNODE_OPTIONS=--require ./pre.cjs\n`,
      'quoted.env': `export NODE_OPTIONS="--require ./pre.cjs"   # a comment\nBAR='x y'\n`,
      'crlf.env': `FOO=a\r\nNODE_OPTIONS='--require ./pre.cjs'\r\n`,
      'multi.env': `NODE_OPTIONS="--require\n./nope.cjs"\nNODE_OPTIONS=\`--require ./pre.cjs\`\n`,
      'commented.env': `# NODE_OPTIONS=--require ./pre.cjs\nFOO=2 # NODE_OPTIONS=--require ./pre.cjs\n`,
      'other.env': 'NODE_OPTIONS=--require ./nope.cjs\n',
    };
    beforeAll(() => {
      for (const [name, text] of Object.entries(files)) writeFileSync(t.path(name), text);
    });
    it.each([
      [['--env-file=plain.env', 'env.js']],
      [['--env-file', 'quoted.env', 'env.js']],
      [['--env-file=crlf.env', 'env.js']],
      [['--env-file=multi.env', 'env.js']],
      [['--env-file=commented.env', 'env.js']],
      [['--env-file=other.env', '--env-file=plain.env', 'env.js']],
      [['--env-file-if-exists=missing.env', '--env-file-if-exists=quoted.env', 'env.js']],
      [['env.js', '--env-file=plain.env']],
    ])('no bits: %j gives what node gives (the file\'s NODE_OPTIONS applies)', (args) => {
      const want = withPath(`${n.bin}:/usr/bin:/bin`, join(n.bin, 'node'), args, n, 'none');
      const got = withPath(`${n.bin}:/usr/bin:/bin`, SECNODE, args, n, 'none');
      expect({ status: got.status, stdout: got.stdout, stderr: got.stderr }).toEqual({ status: want.status, stdout: want.stdout, stderr: want.stderr });
    });
    it('no bits: NODE_OPTIONS in the environment wins over the file\'s, even empty, as under node', () => {
      for (const value of ['', '--no-warnings']) {
        const args = ['--env-file=plain.env', 'env.js'];
        const want = withPath(`${n.bin}:/usr/bin:/bin`, join(n.bin, 'node'), args, n, 'none', { NODE_OPTIONS: value });
        const got = withPath(`${n.bin}:/usr/bin:/bin`, SECNODE, args, n, 'none', { NODE_OPTIONS: value });
        expect(got.stdout, show(got)).toBe(want.stdout);
        expect(got.stdout).not.toContain('pre ran');
      }
    });
    it('under enforcement: the file\'s NODE_OPTIONS and variables are judged before Node starts', () => {
      writeFileSync(t.path('inspect.env'), 'NODE_OPTIONS="--inspect-brk=127.0.0.1:0"\n');
      writeFileSync(t.path('ld.env'), 'LD_PRELOAD=/nonexistent.so\n');
      writeFileSync(t.path('ssl.env'), 'export OPENSSL_CONF=/nonexistent.cnf\n');
      for (const policy of ['DI', 'RF+DI'] as const) {
        for (const args of [['--env-file=inspect.env', 'ok.js'], ['ok.js', '--env-file=inspect.env']]) {
          expectRefused(withPath(`${n.bin}:/usr/bin:/bin`, SECNODE, args, n, policy), { code: 'ERR_SECNODE_OPTION_REFUSED', rule: DI });
        }
      }
      for (const file of ['ld.env', 'ssl.env']) {
        const r = withPath(`${n.bin}:/usr/bin:/bin`, SECNODE, [`--env-file=${file}`, 'ok.js'], n, 'RF');
        expectRefused(r, { code: 'ERR_SECNODE_OPTION_REFUSED', rule: RF });
      }
      // A preload the file names runs after secnode and is checked: 0755 runs, 0644 is refused.
      expectRan(withPath(`${n.bin}:/usr/bin:/bin`, SECNODE, ['--env-file=plain.env', 'ok.js'], n, 'RF+DI'), `pre ran\nok ${n.version}\n`);
      writeFileSync(t.path('evil-pre.env'), `NODE_OPTIONS=--require ./evil.js\n`);
      const m = marker(`env-evil-${n.name}`);
      const r = withPath(`${n.bin}:/usr/bin:/bin`, SECNODE, ['--env-file=evil-pre.env', 'ok.js'], n, 'RF', { MARKER: m.path });
      expect(r.stderr, show(r)).toContain('ERR_SECNODE_EXEC_DENIED');
      expect(m.ran()).toBe(false);
    });
    it('under enforcement an env file secnode cannot read as a regular file (a pipe) is refused; with no bits it is left to node', () => {
      const fifo = t.path(`fifo-${n.name}.env`);
      spawnSync('mkfifo', [fifo]);
      const r = withPath(`${n.bin}:/usr/bin:/bin`, SECNODE, [`--env-file=${fifo}`, 'ok.js'], n, 'RF');
      expectRefused(r, { code: 'ERR_SECNODE_OPTION_REFUSED', rule: RF });
      expect(r.stderr).toContain('not a regular file');
      rmSync(fifo);
    });
  });
});
