// The operator's sealed compile cache: under RF Node's compile cache stays on only for a directory the service
// cannot change (src/sealed-dir.ts, and the launcher's own check in runtime/secnode.c). Real securebits set by the
// runner (uid 65534) itself, real file owners and modes, a real read-only bind mount, Node's own compile cache
// (its debug output says which entries it took). Node 20 has no compile cache: there the variable changes nothing.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFor, nodes, REGISTER, SECNODE, SECNODECTL, type NodeUnderTest } from './helpers/run.js';
import { mountNamespaceArgs, shQuote } from './helpers/sandbox.js';

const RUNNER = 65534;
const isRoot = process.geteuid?.() === 0;
const APP = {
  'app.cjs': "require('./lib.cjs');\nconsole.log('cache', require('node:module').getCompileCacheDir?.() ?? 'none', 'lib', require('./lib.cjs'));\n",
  'lib.cjs': 'module.exports = 1;\n',
  'parent.cjs': "const r = require('node:child_process').spawnSync(process.execPath, [__dirname + '/app.cjs'], { encoding: 'utf8' });\nprocess.stdout.write('child ' + r.stdout + r.stderr);\n",
};

let base = '';
beforeAll(() => {
  if (!isRoot) return;
  // /run is root's and 0755: a parent chain a sealed cache needs (a temporary directory's /tmp is 1777).
  base = mkdtempSync('/run/secnode-sealed-');
  chmodSync(base, 0o755);
});
afterAll(() => {
  if (base !== '') rmSync(base, { recursive: true, force: true });
});

/** Runs argv as `user` (the runner: RF and DI set by itself, locked; root: the same bits) with `n`'s Node first on PATH. */
function run(n: NodeUnderTest, user: 'runner' | 'root', cwd: string, argv: readonly string[], env: NodeJS.ProcessEnv = {}, wrap: (a: string[]) => string[] = (a) => a) {
  const inner = [process.execPath, SECNODECTL, 'exec', '--restrict-file', '--deny-interactive', '--', ...argv];
  const full = wrap(user === 'root' ? inner : ['setpriv', `--reuid=${RUNNER}`, `--regid=${RUNNER}`, '--clear-groups', ...inner]);
  const r = spawnSync(full[0]!, full.slice(1), { cwd, env: envFor(n, env), encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** secnodectl (as root, no bits) with `n`'s Node. */
function ctl(n: NodeUnderTest, cwd: string, args: readonly string[]) {
  const r = spawnSync(join(n.bin, 'node'), [SECNODECTL, ...args], { cwd, env: envFor(n), encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.runIf(isRoot).each(nodes())('$name: a sealed compile cache under RF+DI', (n) => {
  const hasCache = n.major >= 22;
  let dir = '';
  let app = '';
  let cache = '';
  /** What app.cjs prints with the cache on for `uid` (Node names its per-version directory for the user). */
  const on = (uid = RUNNER): string => (hasCache ? `cache ${join(cache, readdirSync(cache).find((d) => d.endsWith(`-${uid}`)) ?? '?')} lib 1\n` : 'cache none lib 1\n');
  const off = 'cache none lib 1\n';

  beforeAll(() => {
    dir = join(base, n.name);
    app = join(dir, 'app');
    cache = join(dir, 'cc');
    mkdirSync(app, { recursive: true, mode: 0o755 });
    for (const [name, text] of Object.entries(APP)) writeFileSync(join(app, name), text, { mode: 0o755 });
    const warm = ctl(n, app, ['cache', 'warm', cache, '--user', String(RUNNER), '--', SECNODE, 'app.cjs']);
    expect(warm.stderr).toBe('');
    expect(warm.stdout).toBe(hasCache ? `cache ${join(cache, readdirSync(cache)[0] ?? '')} lib 1\n` : off);
    const seal = ctl(n, app, ['cache', 'seal', cache]);
    expect(seal.stderr).toBe('');
    expect(seal.stdout).toMatch(/^sealed .+: \d+ entries\./);
  });

  const launcher = (user: 'runner' | 'root' = 'runner', env: NodeJS.ProcessEnv = {}, wrap?: (a: string[]) => string[]) =>
    run(n, user, app, [SECNODE, 'app.cjs'], { NODE_COMPILE_CACHE: cache, ...env }, wrap);
  const preload = () => run(n, 'runner', app, [join(n.bin, 'node'), '--require', REGISTER, 'app.cjs'], { NODE_COMPILE_CACHE: cache });

  it('sealed: the launcher keeps it on, and Node takes the entries the warm made', () => {
    const r = launcher('runner', { NODE_DEBUG_NATIVE: 'COMPILE_CACHE' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(on());
    if (hasCache) expect(r.stderr).toContain(`${join(app, 'app.cjs')} was accepted`);
  });

  /** What `secnodectl status --json` says of the cache, as the runner. */
  const status = () => {
    const r = spawnSync('setpriv', [`--reuid=${RUNNER}`, `--regid=${RUNNER}`, '--clear-groups', join(n.bin, 'node'), SECNODECTL, 'status', '--json'],
      { cwd: app, env: envFor(n, { NODE_COMPILE_CACHE: cache }), encoding: 'utf8' });
    return (JSON.parse(r.stdout) as { compileCache: { sealed: boolean; reason: string | null } }).compileCache;
  };

  it('secnodectl status says whether it is sealed, and why not', () => {
    expect(status()).toEqual({ dir: cache, sealed: true, reason: null });
    chmodSync(cache, 0o775);
    try {
      expect(status()).toEqual({ dir: cache, sealed: false, reason: 'a part of it may be written by group or others' });
    } finally {
      chmodSync(cache, 0o755);
    }
  });

  it('sealed: through --require secnode/register too, and a child Node keeps it', () => {
    expect(preload()).toEqual({ status: 0, stdout: on(), stderr: '' });
    const r = run(n, 'runner', app, [SECNODE, 'parent.cjs'], { NODE_COMPILE_CACHE: cache });
    expect(r).toEqual({ status: 0, stdout: `child ${on()}`, stderr: '' });
  });

  it.each([
    { what: 'the directory is group-writable', change: (c: string) => chmodSync(c, 0o775), undo: (c: string) => chmodSync(c, 0o755) },
    { what: 'an entry is the runner\'s', change: (c: string) => forEntry(c, (f) => chownSync(f, RUNNER, RUNNER)), undo: (c: string) => forEntry(c, (f) => chownSync(f, 0, 0)) },
    { what: 'Node\'s per-version directory is the runner\'s', change: (c: string) => forVersionDir(c, (d) => chownSync(d, RUNNER, RUNNER)), undo: (c: string) => forVersionDir(c, (d) => chownSync(d, 0, 0)) },
    { what: 'an entry is a symlink', change: (c: string) => forVersionDir(c, (d) => symlinkSync('/etc/hostname', join(d, 'planted'))), undo: (c: string) => forVersionDir(c, (d) => unlinkSync(join(d, 'planted'))) },
  ])('$what: the launcher turns it off (the program runs), the preload refuses to start with it', ({ change, undo }) => {
    change(cache);
    try {
      expect(launcher()).toEqual({ status: 0, stdout: off, stderr: '' });
      const r = preload();
      if (hasCache) {
        expect(r.status).toBe(126);
        expect(r.stderr).toContain('ERR_SECNODE_OPTION_REFUSED');
        expect(r.stderr).toContain('not sealed');
      } else {
        expect(r).toEqual({ status: 0, stdout: off, stderr: '' });
      }
    } finally {
      undo(cache);
    }
    expect(launcher().stdout).toBe(on());
  });

  it('named through a symlink (which could be switched after the check): the launcher turns it off, the preload refuses', () => {
    const link = join(dir, 'cc-link');
    symlinkSync(cache, link);
    try {
      expect(launcher('runner', { NODE_COMPILE_CACHE: link })).toEqual({ status: 0, stdout: off, stderr: '' });
      const r = run(n, 'runner', app, [join(n.bin, 'node'), '--require', REGISTER, 'app.cjs'], { NODE_COMPILE_CACHE: link });
      if (hasCache) expect(r.stderr).toContain('not an absolute path free of symlinks');
      else expect(r).toEqual({ status: 0, stdout: off, stderr: '' });
    } finally {
      unlinkSync(link);
    }
  });

  it('a service running as root (warmed as root): off on a writable mount, on from a read-only bind mount', () => {
    expect(ctl(n, app, ['cache', 'warm', cache, '--', SECNODE, 'app.cjs']).status).toBe(0);
    expect(ctl(n, app, ['cache', 'seal', cache]).status).toBe(0);
    expect(launcher('root')).toEqual({ status: 0, stdout: off, stderr: '' });
    const readOnly = (argv: string[]): string[] => ['unshare', ...mountNamespaceArgs(), 'sh', '-ec',
      `mount --bind ${shQuote(cache)} ${shQuote(cache)}; mount -o remount,bind,ro ${shQuote(cache)}; exec "$@"`, 'sh', ...argv];
    expect(launcher('root', {}, readOnly)).toEqual({ status: 0, stdout: on(0), stderr: '' });
  });

  it('an env file that names the cache: off under RF even when sealed', () => {
    const envFile = join(dir, 'cache.env');
    writeFileSync(envFile, `NODE_COMPILE_CACHE=${cache}\n`, { mode: 0o644 });
    const r = run(n, 'runner', app, [SECNODE, `--env-file=${envFile}`, 'app.cjs']);
    expect(r).toEqual({ status: 0, stdout: off, stderr: '' });
  });

  it('a file changed after the warm (same length): Node turns its entry down and the new bytes run', () => {
    writeFileSync(join(app, 'lib.cjs'), 'module.exports = 2;\n');
    try {
      const r = launcher('runner', { NODE_DEBUG_NATIVE: 'COMPILE_CACHE' });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(on().replace('lib 1', 'lib 2'));
      if (hasCache) expect(r.stderr).not.toContain(`${join(app, 'lib.cjs')} was accepted`);
    } finally {
      writeFileSync(join(app, 'lib.cjs'), APP['lib.cjs']);
    }
  });

  it('seal refuses a directory under a parent others may write; warm and seal refuse a user who is not the install\'s owner or root', () => {
    const open = join(dir, 'open');
    mkdirSync(join(open, 'cc'), { recursive: true });
    chmodSync(open, 0o777);
    const r = ctl(n, app, ['cache', 'seal', join(open, 'cc')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot be sealed: a part of it may be written by group or others');
    for (const args of [['cache', 'seal', cache], ['cache', 'warm', cache, '--', 'true']]) {
      const as = spawnSync('setpriv', [`--reuid=${RUNNER}`, `--regid=${RUNNER}`, '--clear-groups', join(n.bin, 'node'), SECNODECTL, ...args], { cwd: app, env: envFor(n), encoding: 'utf8' });
      expect(as.status).toBe(1);
      expect(as.stderr).toContain('refused: only the install\'s owner');
    }
  });
});

/** Applies `f` to each per-version directory of the cache `c`. */
function forVersionDir(c: string, f: (d: string) => void): void {
  for (const d of readdirSync(c)) f(join(c, d));
}

/** Applies `f` to the first entry of each per-version directory of the cache `c`. */
function forEntry(c: string, f: (file: string) => void): void {
  forVersionDir(c, (d) => {
    const first = readdirSync(d)[0];
    if (first !== undefined) f(join(d, first));
  });
}

