// Async hooks that Node puts below every hook a preload registers: loader modules (`--loader`, from argv
// or NODE_OPTIONS) and, on Node 22, node:test's module mocks. secnode's hooks let every load reach them, so
// with no bits what they answer runs, as under node; what they answer for a file is code supplied for
// that file (refused under hardening). Under RF `--loader` itself is refused (test/bypass-options.test.ts).
import { describe, expect, it } from 'vitest';
import { frontDoors, node, nodes } from './helpers/run.js';
import { suiteFilesDir } from './helpers/sandbox.js';

const FILES: Record<string, string> = {
  'xform.mjs': 'export async function load(url, context, next) {\n  const r = await next(url, context);\n'
    + "  return url.endsWith('target.mjs') ? { ...r, source: String(r.source).replace('original', 'transformed') } : r;\n}\n",
  'target.mjs': "console.log('original');\n",
  'main.mjs': "import './target.mjs';\n",
  'dep.cjs': 'module.exports = 1;\n',
  'mock.test.mjs': "import { test, mock } from 'node:test';\nimport assert from 'node:assert';\n"
    + "test('mocks', async () => {\n  mock.module('./dep.cjs', { defaultExport: 42 });\n  assert.equal((await import('./dep.cjs')).default, 42);\n});\n",
};

const t = suiteFilesDir('secnode-hooks-below-', FILES);

/** stderr with the process ids of Node's warnings taken out. */
const same = (stderr: string): string => stderr.replace(/^\(node:\d+\)/gm, '(node)');

const DOORS = frontDoors(() => t.dir);

describe.each(nodes())('$name ($backend): hooks below secnode\'s', (n) => {
  describe.each(Object.entries(DOORS))('%s', (_door, via) => {
    it('no bits: a --loader module\'s answer runs, as under node', () => {
      const plain = node(['--loader', './xform.mjs', 'main.mjs'], { node: n, cwd: t.dir });
      expect(plain.stdout).toBe('transformed\n');
      const r = via(n, ['--loader', './xform.mjs', 'main.mjs']);
      expect({ status: r.status, stdout: r.stdout, stderr: same(r.stderr) }).toEqual({ status: plain.status, stdout: plain.stdout, stderr: same(plain.stderr) });
    });

    it('no bits: a --loader module in NODE_OPTIONS, the same', () => {
      const env = { NODE_OPTIONS: '--loader ./xform.mjs' };
      const plain = node(['main.mjs'], { node: n, cwd: t.dir, env });
      expect(plain.stdout).toBe('transformed\n');
      const r = via(n, ['main.mjs'], 'none', env);
      expect({ status: r.status, stdout: r.stdout, stderr: same(r.stderr) }).toEqual({ status: plain.status, stdout: plain.stdout, stderr: same(plain.stderr) });
    });

    it('hardened: what a --loader module supplies for a file is refused', () => {
      const r = via(n, ['--loader', './xform.mjs', 'main.mjs'], 'none', { SECNODE_HARDEN_GENERATED: '1' });
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('ERR_SECNODE_EXEC_DENIED');
      expect(r.stderr).toContain('source supplied for');
    });

    it('no bits: node:test\'s module mocks replace the module, as under node', () => {
      const args = ['--test', '--experimental-test-module-mocks', 'mock.test.mjs'];
      const plain = node(args, { node: n, cwd: t.dir });
      expect(plain.status).toBe(0);
      const r = via(n, args);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/(# pass 1|ℹ pass 1)\n/);
    });
  });
});
