// secnode's own start: its shared code is compiled from the V8 code cache the build made for each Node
// (runtime/code-cache.mjs); a cache that is missing, damaged or for another Node only costs the compile,
// never changes what runs or prints; and stack traces of secnode's errors still point at its sources.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFor, nodes, ROOT, run, type NodeUnderTest } from './helpers/run.js';
import { tempDir } from './helpers/sandbox.js';

const LOADER = join(ROOT, 'dist', 'loader');

/** What the shared code's stub did with the cache in `loader` (accepted, rejected or none), as `n` sees it. */
function cacheUse(n: NodeUnderTest, loader: string): string {
  const r = spawnSync(join(n.bin, 'node'), ['-p', `require(${JSON.stringify(join(loader, 'shared.cjs'))})[Symbol.for('secnode.codeCache')]`],
    { env: envFor(n), encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return r.stdout.trim();
}

/** A copy of the built secnode (dist, package.json, the cache maker; node_modules linked) in another place. */
function copyOfSecnode(dir: string): string {
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  mkdirSync(join(dir, 'runtime'), { recursive: true });
  cpSync(join(ROOT, 'runtime', 'code-cache.mjs'), join(dir, 'runtime', 'code-cache.mjs'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** Runs the copy's cache maker for `n`'s Node (as an operator does after moving secnode or upgrading Node). */
function makeCache(n: NodeUnderTest, copy: string): void {
  const r = spawnSync(process.execPath, [join(copy, 'runtime', 'code-cache.mjs'), join(n.bin, 'node')], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}

const caches = (loader: string): string[] => readdirSync(loader).filter((f) => /^shared-code\.[0-9a-f]{16}\..+\.cache$/.test(f));

let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  t = tempDir('secnode-startup-');
  writeFileSync(join(t.dir, 'hello.mjs'), "console.log('hello');\n", { mode: 0o755 });
  writeFileSync(join(t.dir, 'no.cjs'), "console.log('no ran');\n", { mode: 0o644 });
  writeFileSync(join(t.dir, 'main.cjs'), "try { require('./no.cjs'); } catch (e) { console.log(e.code); console.log(e.stack); }\n", { mode: 0o755 });
});
afterAll(() => t.remove());

describe.each(nodes())('$name: secnode\'s own code from its code cache', (n) => {
  it('the cache made for this Node is there, and V8 takes it', () => {
    const v8 = spawnSync(join(n.bin, 'node'), ['-p', 'process.versions.v8'], { encoding: 'utf8' }).stdout.trim();
    expect(caches(LOADER).filter((f) => f.endsWith(`.${v8}-${process.arch}.cache`))).toHaveLength(1);
    expect(cacheUse(n, LOADER)).toBe('accepted');
  });

  it.each([
    { what: 'made elsewhere (secnode moved)', make: false, change: (_file: string) => undefined, use: 'none' },
    { what: 'damaged', make: true, change: (file: string) => writeFileSync(file, Buffer.alloc(4096, 0x5a)), use: 'rejected' },
    { what: 'missing', make: true, change: (file: string) => rmSync(file), use: 'none' },
  ])('a cache $what: the code compiles from source, and nothing else changes', ({ what, make, change, use }) => {
    const copy = copyOfSecnode(join(t.dir, `copy-${n.name}-${what.split(' ')[0] ?? ''}`));
    const loader = join(copy, 'dist', 'loader');
    if (make) makeCache(n, copy);
    const made = caches(loader).filter((f) => !caches(LOADER).includes(f));
    for (const f of made) change(join(loader, f));
    expect(cacheUse(n, loader)).toBe(use);
    const r = run(join(copy, 'dist', 'runtime', 'secnode'), ['hello.mjs'], { node: n, cwd: t.dir, policy: 'RF+DI' });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: 'hello\n', stderr: '' });
  });

  it('a moved secnode with a cache made there: taken, and stacks name the new place', () => {
    const copy = copyOfSecnode(join(t.dir, `moved-${n.name}`));
    makeCache(n, copy);
    expect(cacheUse(n, join(copy, 'dist', 'loader'))).toBe('accepted');
    const r = run(join(copy, 'dist', 'runtime', 'secnode'), ['main.cjs'], { node: n, cwd: t.dir, policy: 'RF' });
    expect(r.stdout).toContain(`at gateOpenFd (${join(copy, 'loader', 'gate', 'gate.ts')}:`);
    expect(r.stdout).not.toContain(ROOT);
  });

  it('the stack of a secnode error points at the lines of its sources', () => {
    const r = run(join(ROOT, 'dist', 'runtime', 'secnode'), ['main.cjs'], { node: n, cwd: t.dir, policy: 'RF' });
    expect(r.stdout.split('\n')[0]).toBe('ERR_SECNODE_EXEC_DENIED');
    const source = readFileSync(join(ROOT, 'loader', 'gate', 'gate.ts'), 'utf8').split('\n');
    const lineOf = (fn: string): string => {
      const at = new RegExp(`at ${fn} \\(.*loader/gate/gate\\.ts:(\\d+):\\d+\\)`).exec(r.stdout);
      expect(at, r.stdout).not.toBeNull();
      return source[Number(at?.[1]) - 1] ?? '';
    };
    expect(lineOf('decideFile')).toContain('throw mapStack(refusal(');
    expect(lineOf('gateOpenFd')).toContain('decideFile(');
    expect(lineOf('gateFile')).toContain('gateOpenFd(');
  });
});
