// A real addon that brings its own shared library: sharp (pinned by a committed lockfile, installed by
// the test under .cache/), whose addon finds libvips-cpp through an $ORIGIN-relative RPATH. It resizes
// an image with no bits as under node, and under RF+DI once the tree is executable; its libvips made
// 0644 again is refused and recorded.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { show } from './helpers/launcher-fixtures.js';
import { ROOT, node, nodes, secnode, type NodeUnderTest } from './helpers/run.js';
import { ensureFixture } from './install-fixture.mjs';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'sharp');
const LIBVIPS = 'node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so.8.18.3';
/** The pinned tree, installed once per lock (npm ci, no install scripts). */
let INSTALL: string;

/** Adds x bits to every regular file under `dir` (what `chmod -R a+x` does to files). */
function makeExecutable(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) makeExecutable(p);
    else if (entry.isFile()) chmodSync(p, statSync(p).mode | 0o111);
  }
}

let plainApp: string;
let execApp: string;
beforeAll(() => {
  INSTALL = ensureFixture('sharp');
  const tmp = mkdtempSync(join(tmpdir(), 'secnode-sharp-'));
  plainApp = join(tmp, 'plain');
  execApp = join(tmp, 'exec');
  for (const app of [plainApp, execApp]) {
    cpSync(join(INSTALL, 'node_modules'), join(app, 'node_modules'), { recursive: true });
    copyFileSync(join(FIXTURE, 'resize.cjs'), join(app, 'resize.cjs'));
  }
  makeExecutable(execApp);
}, 300_000);
afterAll(() => { if (plainApp) rmSync(join(plainApp, '..'), { recursive: true, force: true }); });

describe.runIf(process.arch === 'x64')('sharp 0.35.1 (libvips through $ORIGIN)', () => {
  describe.each(nodes())('$name', (n: NodeUnderTest) => {
    it('resizes an image with no bits, exactly as plain node', () => {
      const plain = node(['resize.cjs'], { node: n, cwd: plainApp });
      const r = secnode(['resize.cjs'], { node: n, cwd: plainApp });
      expect(plain.stdout).toBe('png 16 12\n');
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }, show(r)).toEqual({ status: plain.status, stdout: plain.stdout, stderr: plain.stderr });
    });

    it('resizes an image under RF+DI once the tree is executable, and libvips was checked', () => {
      const r = secnode(['resize.cjs'], { node: n, cwd: execApp, policy: 'RF+DI', env: { SECNODE_AUDIT: 'stderr' } });
      expect(r.stdout, show(r)).toBe('png 16 12\n');
      const addons = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((x) => x.subject === 'addon');
      expect(addons.map((x) => String(x.path).split('/').pop()), show(r)).toEqual(['sharp-linux-x64-0.35.1.node', 'libvips-cpp.so.8.18.3']);
    });

    it('libvips made 0644 again is refused under RF (and recorded), loads under DI alone', () => {
      chmodSync(join(execApp, LIBVIPS), 0o644);
      try {
        const r = secnode(['resize.cjs'], { node: n, cwd: execApp, policy: 'RF', env: { SECNODE_AUDIT: 'stderr' } });
        expect(r.status, show(r)).not.toBe(0);
        expect(r.stdout, show(r)).toBe('');
        const refused = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((x) => x.allowed === false);
        expect(refused.map((x) => [x.subject, String(x.path).endsWith('libvips-cpp.so.8.18.3'), x.errno]), show(r)).toEqual([['addon', true, 'EACCES']]);
        const di = secnode(['resize.cjs'], { node: n, cwd: execApp, policy: 'DI' });
        expect(di.stdout, show(di)).toBe('png 16 12\n');
      } finally {
        chmodSync(join(execApp, LIBVIPS), 0o755);
      }
    });
  });
});
