// secnode's V8 code cache: who may write it, when it is read, and that every install path gets one.
// Real files, real owners and modes, real securebits, a real read-only bind mount, real forged caches,
// and the packed tarball installed with npm (with and without scripts, and globally).
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFor, nodes, ROOT, SECNODECTL, type NodeUnderTest } from './helpers/run.js';
import { tempDir } from './helpers/sandbox.js';

const isRoot = process.getuid?.() === 0;
/** The unprivileged runner (nobody/nogroup on Debian) and a stranger who owns files the runner does not. */
const RUNNER = 65534;
const STRANGER = 40123;
const SYMBOL = "Symbol.for('secnode.codeCache')";

let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  t = tempDir('secnode-code-cache-');
  chmodSync(t.dir, 0o755);
  writeFileSync(join(t.dir, 'hello.cjs'), "console.log('hello');\n", { mode: 0o755 });
});
afterAll(() => t.remove());

/** A copy of the built secnode (dist, package.json; node_modules linked), owned by root, mode 0755. */
function copyOfSecnode(name: string): { root: string; loader: string } {
  const root = join(t.dir, name);
  cpSync(join(ROOT, 'dist'), join(root, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  const loader = join(root, 'dist', 'loader');
  for (const f of readdirSync(loader)) if (f.endsWith('.cache')) rmSync(join(loader, f));
  return { root, loader };
}

const cachesIn = (loader: string): string[] => readdirSync(loader).filter((f) => f.endsWith('.cache'));

/** Makes the cache for `n` in a copy with `secnodectl cache` (as root, the copy's owner); returns its path. */
function makeCache(n: NodeUnderTest, root: string): string {
  const r = spawnSync(join(n.bin, 'node'), [join(root, 'dist', 'runtime', 'secnodectl.js'), 'cache', join(n.bin, 'node')], { env: envFor(n), encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const file = /^made (.+)$/m.exec(r.stdout)?.[1] ?? '';
  expect(file).toMatch(/\.cache$/);
  return file;
}

/** A copy of secnode with the cache made for `n` (by `secnodectl cache`), set up before the tests of a describe block. */
function copyWithCache(n: NodeUnderTest, name: string): { root: string; loader: string; cache: string } {
  const made = { root: '', loader: '', cache: '' };
  beforeAll(() => {
    Object.assign(made, copyOfSecnode(`${name}-${n.name}`));
    made.cache = makeCache(n, made.root);
  });
  return made;
}

/** argv prefix: the bits (set by the runner itself, locked), as the runner or root, optionally in a private mount namespace. */
function under(user: 'runner' | 'root', bits: readonly string[], argv: readonly string[]): string[] {
  const inner = bits.length > 0 ? [process.execPath, SECNODECTL, 'exec', ...bits, '--', ...argv] : [...argv];
  return user === 'root' ? inner : ['setpriv', `--reuid=${RUNNER}`, `--regid=${RUNNER}`, '--clear-groups', ...inner];
}

/** What the stub did with the cache in `loader` (accepted, rejected, none, ignored), as seen by `n` under these bits and user. */
function cacheUse(n: NodeUnderTest, loader: string, user: 'runner' | 'root', bits: readonly string[], wrap: (argv: string[]) => string[] = (a) => a,
  first = 'shared.cjs'): string {
  const load = first === 'shared.cjs' ? '' : `require(${JSON.stringify(join(loader, first))}), `;
  const argv = wrap(under(user, bits, [join(n.bin, 'node'), '-p', `${load}require(${JSON.stringify(join(loader, 'shared.cjs'))})[${SYMBOL}]`]));
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: t.dir, env: envFor(n), encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  return r.stdout.trim();
}

/** `secnode hello.cjs` from a copy, under these bits, as this user. */
function hello(n: NodeUnderTest, root: string, user: 'runner' | 'root', bits: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const argv = under(user, bits, [join(root, 'dist', 'runtime', 'secnode'), 'hello.cjs']);
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: t.dir, env: envFor(n), encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A forged cache for the copy's code, made in `n`'s Node: the code with one more statement (printing FORGED)
 * at its end, compiled and run as the stub does, so V8 holds its functions too. `sameLength` takes the bytes of
 * that statement from the trailing source-map comment, so the forged source is exactly as long as the real one.
 */
function forge(n: NodeUnderTest, loader: string, out: string, sameLength: boolean): void {
  const maker = `
const { readFileSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { Script } = require('node:vm');
const [code, stub, out, same] = process.argv.slice(1);
const real = readFileSync(code, 'utf8');
const tail = '//# sourceMappingURL=shared-code.cjs.map';
const evil = 'process.stdout.write("FORGED\\\\n");';
const forged = same === '1' ? real.replace(tail, evil.padEnd(tail.length)) : real.replace(tail, evil + tail);
if (same === '1' && forged.length !== real.length) throw new Error('not the same length');
const script = new Script('(function (exports, require, module, __filename, __dirname) {\\n' + forged + '\\n})', { filename: code, lineOffset: -1 });
const m = new Module(stub);
m.filename = stub;
Module._cache[stub] = m;
script.runInThisContext()(m.exports, Module.createRequire(code), m, code, require('node:path').dirname(code));
writeFileSync(out, script.createCachedData());
`;
  const r = spawnSync(join(n.bin, 'node'), ['-e', maker, join(loader, 'shared-code.cjs'), join(loader, 'shared.cjs'), out, sameLength ? '1' : '0'], { env: envFor(n), encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('FORGED\n');
}

describe.runIf(isRoot).each(nodes())('$name: who may write the cache, and when it is read', (n) => {
  const copy = copyWithCache(n, 'rules');
  /** Puts the made cache back (root:root 0644) in a root-owned 0755 directory. */
  const reset = (): void => {
    chownSync(copy.cache, 0, 0);
    chmodSync(copy.cache, 0o644);
    chmodSync(copy.loader, 0o755);
  };

  it.each([
    { what: 'root-owned 0644 in a root-owned 0755 directory', change: () => undefined, rf: 'accepted' },
    { what: "owned by the runner", change: () => chownSync(copy.cache, RUNNER, RUNNER), rf: 'ignored' },
    { what: 'owned by a stranger (not the install\'s owner, not root)', change: () => chownSync(copy.cache, STRANGER, STRANGER), rf: 'ignored' },
    { what: 'writable by others (0666)', change: () => chmodSync(copy.cache, 0o666), rf: 'ignored' },
    { what: 'writable by the group (0664)', change: () => chmodSync(copy.cache, 0o664), rf: 'ignored' },
    { what: 'in a directory writable by others (0777)', change: () => chmodSync(copy.loader, 0o777), rf: 'ignored' },
  ])('a cache $what: with no bits V8 takes it; under RF, as an unprivileged user, it is $rf', ({ change, rf }) => {
    reset();
    change();
    try {
      expect(cacheUse(n, copy.loader, 'runner', [])).toBe('accepted');
      expect(cacheUse(n, copy.loader, 'runner', ['--restrict-file'])).toBe(rf);
      expect(cacheUse(n, copy.loader, 'runner', ['--deny-interactive'])).toBe(rf);
      expect(hello(n, copy.root, 'runner', ['--restrict-file', '--deny-interactive'])).toEqual({ status: 0, stdout: 'hello\n', stderr: '' });
    } finally {
      reset();
    }
  });

  it('the library (install.cjs loads the shared code) reads it as under enforcement, also with no bits', () => {
    reset();
    const byLibrary = (): string => cacheUse(n, copy.loader, 'runner', [], undefined, 'install.cjs');
    expect(byLibrary()).toBe('accepted');
    chownSync(copy.cache, RUNNER, RUNNER);
    try {
      expect(byLibrary()).toBe('ignored');
      expect(cacheUse(n, copy.loader, 'runner', [])).toBe('accepted');
    } finally {
      reset();
    }
  });

  it('a symlink in the cache\'s place is never followed', () => {
    const aside = `${copy.cache}.aside`;
    renameSync(copy.cache, aside);
    symlinkSync(aside, copy.cache);
    try {
      expect(cacheUse(n, copy.loader, 'runner', [])).toBe('none');
      expect(cacheUse(n, copy.loader, 'runner', ['--restrict-file'])).toBe('none');
    } finally {
      rmSync(copy.cache);
      renameSync(aside, copy.cache);
    }
  });

  it('as root under RF: ignored on a writable mount (root could write it), read from a read-only bind mount', () => {
    reset();
    expect(cacheUse(n, copy.loader, 'root', ['--restrict-file'])).toBe('ignored');
    const ro = (argv: string[]): string[] => ['unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-ec',
      'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"', 'sh', copy.loader, ...argv];
    expect(cacheUse(n, copy.loader, 'root', ['--restrict-file'], ro)).toBe('accepted');
    expect(cacheUse(n, copy.loader, 'root', ['--deny-interactive'], ro)).toBe('accepted');
  });

  it('secnodectl status says whether the cache is in use for this Node, and why not', () => {
    reset();
    const status = (user: 'runner' | 'root', bits: readonly string[]): { use: string; reason?: string } => {
      const argv = under(user, bits, [join(n.bin, 'node'), join(copy.root, 'dist', 'runtime', 'secnodectl.js'), 'status', '--json']);
      const r = spawnSync(argv[0]!, argv.slice(1), { cwd: t.dir, env: envFor(n), encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { codeCache: { use: string; reason?: string } }).codeCache;
    };
    expect(status('runner', ['--restrict-file']).use).toBe('accepted');
    expect(status('root', ['--restrict-file'])).toMatchObject({ use: 'ignored', reason: expect.stringContaining('could write it') });
    chownSync(copy.cache, RUNNER, RUNNER);
    try {
      expect(status('runner', ['--restrict-file'])).toMatchObject({ use: 'ignored', reason: expect.stringContaining(`owned by uid ${RUNNER}`) });
    } finally {
      reset();
    }
    rmSync(copy.cache);
    try {
      const text = spawnSync(join(n.bin, 'node'), [join(copy.root, 'dist', 'runtime', 'secnodectl.js'), 'status'], { env: envFor(n), encoding: 'utf8' }).stdout;
      expect(text).toMatch(/^code cache +not in use for this Node \(none/m);
    } finally {
      makeCache(n, copy.root);
    }
  });

  it('secnodectl cache refuses a user who is neither the install\'s owner nor root', () => {
    const argv = under('runner', [], [join(n.bin, 'node'), join(copy.root, 'dist', 'runtime', 'secnodectl.js'), 'cache']);
    const r = spawnSync(argv[0]!, argv.slice(1), { cwd: t.dir, env: envFor(n), encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("only the install's owner (uid 0) or root");
  });
});

describe.runIf(isRoot).each(nodes())('$name: forged caches', (n) => {
  const copy = copyWithCache(n, 'forged');

  it('a cache forged for another source (another length): V8 rejects it, with or without bits, and the real code runs', () => {
    forge(n, copy.loader, copy.cache, false);
    chmodSync(copy.cache, 0o644);
    expect(cacheUse(n, copy.loader, 'runner', [])).toBe('rejected');
    expect(cacheUse(n, copy.loader, 'runner', ['--restrict-file'])).toBe('rejected');
    expect(hello(n, copy.root, 'root', [])).toEqual({ status: 0, stdout: 'hello\n', stderr: '' });
    expect(hello(n, copy.root, 'runner', ['--restrict-file', '--deny-interactive'])).toEqual({ status: 0, stdout: 'hello\n', stderr: '' });
  });

  it('a cache forged for a source of the same length, which V8 takes (it checks the length only): never read under RF or DI when the runner could write it', () => {
    forge(n, copy.loader, copy.cache, true);
    chmodSync(copy.cache, 0o644);
    chownSync(copy.cache, RUNNER, RUNNER);
    // The forgery is real: with no bits, where secnode trusts what node would, V8 runs its code (on Node 20
    // also in the hooks thread, which loads secnode's code too).
    const free = hello(n, copy.root, 'runner', []);
    expect({ status: free.status, stderr: free.stderr, forged: free.stdout.includes('FORGED\n') }).toEqual({ status: 0, stderr: '', forged: true });
    expect(free.stdout.split('\n').filter((l) => l !== 'FORGED')).toEqual(['hello', '']);
    expect(hello(n, copy.root, 'runner', ['--restrict-file'])).toEqual({ status: 0, stdout: 'hello\n', stderr: '' });
    expect(hello(n, copy.root, 'runner', ['--deny-interactive'])).toEqual({ status: 0, stdout: 'hello\n', stderr: '' });
    expect(hello(n, copy.root, 'root', ['--restrict-file', '--deny-interactive'])).toEqual({ status: 0, stdout: 'hello\n', stderr: '' });
  });
});

describe.runIf(isRoot)('every install path gets a cache for the Node it runs', () => {
  let app = '';
  let tarball = '';
  beforeAll(() => {
    app = realpathSync(t.dir);
    // --ignore-scripts: the suite has built dist/ already; `prepare` would rebuild it under the running tests.
    const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', app], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
    tarball = join(app, pack.stdout.trim().split('\n').at(-1) ?? '');
  }, 200_000);

  /** Installs the tarball with npm (the machine's Node runs npm and its scripts). */
  function npmInstall(dir: string, extra: readonly string[]): string {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{ "name": "uses-secnode", "private": true }\n');
    const r = spawnSync('npm', ['install', ...extra, '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', tarball], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`npm install failed: ${r.stderr}`);
    return dir;
  }

  it('the tarball holds no cache', () => {
    const list = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).stdout;
    expect(list).toContain('package/dist/loader/shared-code.cjs');
    expect(list).not.toMatch(/\.cache$/m);
  });

  it.each([
    { how: 'npm install <tarball>', args: (_d: string) => [], at: (d: string) => join(d, 'node_modules', 'secnode') },
    { how: 'npm install -g <tarball>', args: (d: string) => ['-g', '--prefix', join(d, 'global')], at: (d: string) => join(d, 'global', 'lib', 'node_modules', 'secnode') },
  ])('$how: the install step makes it for the Node installing', ({ how, args, at }) => {
    const dir = join(t.dir, how.includes('-g') ? 'global-app' : 'app');
    npmInstall(dir, args(dir));
    const loader = join(at(dir), 'dist', 'loader');
    // npm, and so the install step, runs on the Node running the suite.
    const machine = { ...nodes()[0]!, bin: dirname(process.execPath) };
    expect(cachesIn(loader).length).toBeGreaterThan(0);
    expect(cacheUse(machine, loader, 'root', [])).toBe('accepted');
  }, 400_000);

  it('npm install --ignore-scripts: none at install; the owner\'s first start makes it for each Node it runs, which later starts take', () => {
    const dir = npmInstall(join(t.dir, 'no-scripts-app'), ['--ignore-scripts']);
    const root = join(dir, 'node_modules', 'secnode');
    const loader = join(root, 'dist', 'loader');
    expect(cachesIn(loader)).toEqual([]);
    for (const n of nodes()) {
      expect(cacheUse(n, loader, 'root', [])).toBe('none');
      expect(hello(n, root, 'root', [])).toEqual({ status: 0, stdout: 'hello\n', stderr: '' });
      expect(cacheUse(n, loader, 'root', [])).toBe('accepted');
    }
    expect(cachesIn(loader)).toHaveLength(new Set(nodes().map((n) => spawnSync(join(n.bin, 'node'), ['-p', 'process.versions.v8'], { encoding: 'utf8' }).stdout)).size);
  }, 400_000);

  it('no start writes a cache under the bits, nor as a user who does not own the install', () => {
    const root = copyOfSecnode('not-written').root;
    const loader = join(root, 'dist', 'loader');
    const n = nodes()[0]!;
    expect(hello(n, root, 'root', ['--restrict-file'])).toEqual({ status: 0, stdout: 'hello\n', stderr: '' });
    expect(hello(n, root, 'root', ['--deny-interactive'])).toEqual({ status: 0, stdout: 'hello\n', stderr: '' });
    chmodSync(loader, 0o777);
    expect(hello(n, root, 'runner', [])).toEqual({ status: 0, stdout: 'hello\n', stderr: '' });
    expect(cachesIn(loader)).toEqual([]);
    expect(readFileSync(join(loader, 'shared.cjs'), 'utf8')).toContain("require('./early.cjs').runShared(module");
  });
});
