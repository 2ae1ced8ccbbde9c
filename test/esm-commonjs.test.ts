// CommonJS files an ES module imports. With a program's async hooks (import-in-the-middle, as APM agents
// such as OpenTelemetry's register it), a CommonJS file whose source no hook supplied is loaded by Node
// with Module._load, as under node: secnode checks it and lets Node read it, and what Node compiles must
// be the bytes it checked. Under hardening every CommonJS file of an import graph runs (their sources are
// compiled when the graph runs, after every load).
import { chmodSync, cpSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFixture } from './install-fixture.mjs';
import { frontDoors, node, nodes } from './helpers/run.js';
import { tempDir } from './helpers/sandbox.js';

const FILES: Record<string, string> = {
  // import-in-the-middle's hooks in Node's hooks thread, and a hook on one ES module package.
  'apm.mjs': "import { register } from 'node:module';\nimport { Hook } from 'import-in-the-middle';\n"
    + "register('import-in-the-middle/hook.mjs', import.meta.url);\n"
    + "new Hook(['lodash-es'], (exported, name) => {\n  console.log('hooked', name);\n  return exported;\n});\n",
  // An ES module package, and a CommonJS one (express and what it requires).
  'app.mjs': "import { chunk } from 'lodash-es';\nimport express from 'express';\n"
    + 'console.log(JSON.stringify(chunk([1, 2, 3], 2)), typeof express, typeof express.Router);\n',
  'two.mjs': "import a from './a.cjs';\nimport b from './b.cjs';\nconsole.log(a, b);\n",
  // A program's own sync hook sees, for an import, what Node's own load gives: bytes and the URL.
  'spy.mjs': "import { registerHooks } from 'node:module';\nregisterHooks({ load(url, context, next) {\n  const r = next(url, context);\n"
    + "  if (url.includes('/two.mjs') || url.endsWith('.cjs')) console.log(url.slice(url.lastIndexOf('/')), r.format, Buffer.isBuffer(r.source), r.responseURL === url);\n  return r;\n} });\n",
  // A program's async hook that passes every load through (so Node reads an imported CommonJS file again
  // by path before it compiles it), and a sync hook above secnode's that swaps a 0644 file in for c.cjs
  // right after secnode checked c.cjs, and back at the next load: between them lies only Node's read.
  'pass.mjs': 'export async function load(url, context, next) {\n  return next(url, context);\n}\n',
  // The program's own read of c.cjs by its path, right after the swap, gets the file (under secnode too).
  'swap.mjs': "import { register, registerHooks } from 'node:module';\nimport { readFileSync, renameSync } from 'node:fs';\n"
    + "import { fileURLToPath } from 'node:url';\n"
    + "register('./pass.mjs', import.meta.url);\nconst at = (f) => new URL(f, import.meta.url);\n"
    + "registerHooks({ load(url, context, next) {\n  const r = next(url, context);\n"
    + "  if (url.endsWith('/c.cjs') || url.endsWith('/d.mjs')) {\n"
    + "    renameSync(at('c.cjs'), at('t.cjs'));\n    renameSync(at('evil.cjs'), at('c.cjs'));\n    renameSync(at('t.cjs'), at('evil.cjs'));\n  }\n"
    + "  if (url.endsWith('/c.cjs')) console.log(readFileSync(fileURLToPath(at('c.cjs')), 'utf8').trim());\n"
    + '  return r;\n} });\n',
  // A sync hook above secnode's that drops the source secnode gave for c.cjs (Node then reads the file by
  // path), swapping the 0644 file in right then and back at the next load.
  'drop.mjs': "import { registerHooks } from 'node:module';\nimport { renameSync } from 'node:fs';\n"
    + "const at = (f) => new URL(f, import.meta.url);\n"
    + "const swap = () => {\n  renameSync(at('c.cjs'), at('t.cjs'));\n  renameSync(at('evil.cjs'), at('c.cjs'));\n  renameSync(at('t.cjs'), at('evil.cjs'));\n};\n"
    + "registerHooks({ load(url, context, next) {\n  const r = next(url, context);\n  if (url.endsWith('/d.mjs')) swap();\n"
    + "  if (!url.endsWith('/c.cjs')) return r;\n  swap();\n  return { format: r.format, source: null, shortCircuit: true };\n} });\n",
  'race.mjs': "import c from './c.cjs';\nimport d from './d.mjs';\nconsole.log(c, d);\n",
  'c.cjs': "module.exports = 'c';\n",
  'd.mjs': "export default 'd';\n",
  'evil.cjs': "module.exports = 'EVIL';\n",
  // The pass-through hook alone, and a CommonJS file that starts with a byte order mark.
  'passing.mjs': "import { register } from 'node:module';\nregister('./pass.mjs', import.meta.url);\n",
  'bom.mjs': "import b from './bom.cjs';\nconsole.log(b);\n",
  'bom.cjs': "\ufeffmodule.exports = 'bom';\n",
  'a.cjs': "module.exports = 'a';\n",
  'b.cjs': "module.exports = 'b';\n",
};

let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  t = tempDir('secnode-esm-commonjs-');
  cpSync(ensureFixture('apm'), t.dir, { recursive: true });
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(t.dir, name), text);
  // The whole tree executable: under RF it runs.
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (/\.[cm]?js$/.test(e.name)) chmodSync(join(dir, e.name), 0o755);
    }
  };
  walk(t.dir);
  chmodSync(join(t.dir, 'evil.cjs'), 0o644);
});
afterAll(() => t.remove());

const APM = ['--import', './apm.mjs', 'app.mjs'];
const DEPD = (): string => join(t.dir, 'node_modules', 'depd', 'index.js');

const DOORS = frontDoors(() => t.dir);

describe.each(nodes())('$name ($backend): CommonJS imported by ES modules', (n) => {
  describe.each(Object.entries(DOORS))('%s', (_door, via) => {
    it('no bits: import-in-the-middle over lodash-es and express runs as under node', () => {
      const plain = node(APM, { node: n, cwd: t.dir });
      expect(plain.status).toBe(0);
      expect(plain.stdout).toBe('hooked lodash-es\n[[1,2],[3]] function function\n');
      const r = via(n, APM, 'none');
      // Node 26 warns of module.register with the process id in the line.
      const same = (s: string): string => s.replace(/^\(node:\d+\)/gm, '(node)');
      expect({ status: r.status, stdout: r.stdout, stderr: same(r.stderr) }).toEqual({ status: plain.status, stdout: plain.stdout, stderr: same(plain.stderr) });
    });

    it('RF: it runs with its tree executable; a 0644 file that express requires is refused', () => {
      expect(via(n, APM, 'RF').stdout).toBe('hooked lodash-es\n[[1,2],[3]] function function\n');
      chmodSync(DEPD(), 0o644);
      try {
        const r = via(n, APM, 'RF');
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain('ERR_SECNODE_EXEC_DENIED');
        expect(r.stderr).toContain(DEPD());
      } finally {
        chmodSync(DEPD(), 0o755);
      }
    });

    it.runIf(n.major >= 22)('no bits: a program\'s registerHooks hook gets for each import what it gets under node', () => {
      const plain = node(['--import', './spy.mjs', 'two.mjs'], { node: n, cwd: t.dir });
      expect(plain.status).toBe(0);
      const r = via(n, ['--import', './spy.mjs', 'two.mjs']);
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: plain.status, stdout: plain.stdout, stderr: plain.stderr });
    });

    it.runIf(n.major >= 22)('RF: a 0644 file renamed in between secnode\'s check and Node\'s read by path never runs', () => {
      const RACE = ['--import', './swap.mjs', 'race.mjs'];
      const warning = /^\(node:\d+\) \[DEP0205\].*\n.*\n/m;
      // Under node the swapped-in file's code is what runs: the test can tell.
      const read = "module.exports = 'EVIL';\n";
      expect(node(RACE, { node: n, cwd: t.dir }).stdout).toBe(`${read}EVIL d\n`);
      for (const bits of ['none', 'RF'] as const) {
        const r = via(n, RACE, bits);
        expect({ status: r.status, stdout: r.stdout, stderr: r.stderr.replace(warning, '') }).toEqual({ status: 0, stdout: `${read}c d\n`, stderr: '' });
      }
    });

    it.runIf(n.major >= 22)('RF: a 0644 file renamed in while a program\'s hook drops secnode\'s source for an import never runs', () => {
      const DROP = ['--import', './drop.mjs', 'race.mjs'];
      expect(node(DROP, { node: n, cwd: t.dir }).stdout).toBe('EVIL d\n');
      for (const bits of ['none', 'RF'] as const) {
        const r = via(n, DROP, bits);
        expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: 'c d\n', stderr: '' });
      }
    });

    it('hardened: a CommonJS file with a byte order mark runs when Node reads it again (a pass-through async hook)', () => {
      const r = via(n, ['--import', './passing.mjs', 'bom.mjs'], 'none', { SECNODE_HARDEN_GENERATED: '1' });
      expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 0, stdout: 'bom\n' });
    });

    it('hardened: an ES module importing two CommonJS files runs', () => {
      const r = via(n, ['two.mjs'], 'none', { SECNODE_HARDEN_GENERATED: '1' });
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: 'a b\n', stderr: '' });
    });
  });
});
