// Native addons and WebAssembly modules are code files: checked through their fd (RF governs them),
// and the library mapped is the very file that was checked. Real addons, built here with the C compiler.
import { chmodSync, copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSWER_WASM, buildAddon, nodeHeaders } from './helpers/addon.js';
import { makeFixtures, show, type Fixtures } from './helpers/launcher-fixtures.js';
import { node, nodes, secnode, type NodeUnderTest, type Policy, type Run } from './helpers/run.js';

const SCRIPTS = {
  // how (require | dlopen | bare) and which file; prints the exports' marker or the error, then the init's side effect
  'load.cjs': `const { resolve } = require('node:path');
const [how, file] = process.argv.slice(2);
try {
  let exports;
  if (how === 'require') exports = require(resolve(file));
  else { const m = { exports: {} }; process.dlopen(m, how === 'bare' ? file : resolve(file)); exports = m.exports; }
  console.log('loaded', exports.marker);
} catch (e) {
  console.log('refused', e.code, e.code && e.code.startsWith('ERR_SECNODE_') ? '' : e.message);
}
console.log('init', String(globalThis.secnodeAddon));
`,
  // two different addons one after the other (the second may get the same fd number as the first)
  'seq.cjs': `const { resolve } = require('node:path');
for (const f of process.argv.slice(2)) { const m = { exports: {} }; process.dlopen(m, resolve(f)); console.log(m.exports.marker); }
`,
  // replaces the addon's path with another addon right after secnode checked it (from the decision channel)
  'swap.cjs': `const { subscribe } = require('node:diagnostics_channel');
const { renameSync } = require('node:fs');
const { resolve } = require('node:path');
const [target, other] = process.argv.slice(2).map((f) => resolve(f));
subscribe('secnode:decision', (r) => { if (r.subject === 'addon' && r.path === target) renameSync(other, target); });
const m = require(target);
const ino = require('node:fs').statSync(target).ino;
console.log(m.marker, require('node:fs').readFileSync('/proc/self/maps', 'utf8').includes(' ' + ino + ' ') ? 'path-inode-mapped' : 'path-inode-not-mapped');
`,
  // an addon in the main thread, then another in a worker (which may get the same fd number)
  'worker.cjs': `const { resolve } = require('node:path');
const { Worker } = require('node:worker_threads');
const [first, second] = process.argv.slice(2).map((f) => resolve(f));
const m = { exports: {} }; process.dlopen(m, first); console.log(m.exports.marker);
new Worker('const m = { exports: {} }; process.dlopen(m, require("node:worker_threads").workerData); console.log(m.exports.marker);', { eval: true, workerData: second });
`,
  'patch.cjs': `const d = Object.getOwnPropertyDescriptor(process, 'dlopen');
console.log(d.writable, d.configurable, typeof process.dlopen);
`,
  'wasm.mjs': `import { resolve } from 'node:path';
try { const { answer } = await import(resolve(process.argv[2])); console.log(answer()); } catch (e) { console.log('refused', e.code); }
`,
  'import.mjs': `import { resolve } from 'node:path';
try { const m = await import(resolve(process.argv[2])); console.log('loaded', m.default.marker); } catch (e) { console.log('refused', e.code); }
console.log('init', String(globalThis.secnodeAddon));
`,
  'bad.node': 'not an ELF file\n',
} as const;

const headers = nodeHeaders();
let fx: Fixtures;
beforeAll(() => {
  if (headers === undefined) return;
  fx = makeFixtures('addons', SCRIPTS);
  buildAddon(fx.dir, 'ok.node', 'ok', 0o755);
  buildAddon(fx.dir, 'other.node', 'other', 0o755);
  buildAddon(fx.dir, 'no.node', 'no', 0o644);
  for (const [name, mode] of [['ok.wasm', 0o755], ['no.wasm', 0o644]] as const) {
    writeFileSync(fx.path(name), ANSWER_WASM);
    chmodSync(fx.path(name), mode);
  }
});
afterAll(() => fx?.remove());

/** Same stderr apart from pids in Node's warnings. */
const normal = (s: string): string => s.replace(/\(node:\d+\)/g, '(node:PID)');

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  /** stdout under RF+DI; 'node' means exactly what plain node prints (Node's own error shape). */
  readonly locked: string | 'node';
  /** stdout with no bits when it differs from plain node by design. */
  readonly none?: string;
}

const CASES: readonly Case[] = [
  { name: 'require() of a 0755 addon', args: ['load.cjs', 'require', 'ok.node'], locked: 'loaded ok\ninit ok\n' },
  { name: 'require() of a 0644 addon', args: ['load.cjs', 'require', 'no.node'], locked: 'refused ERR_SECNODE_EXEC_DENIED \ninit undefined\n' },
  { name: 'process.dlopen of a 0755 addon', args: ['load.cjs', 'dlopen', 'ok.node'], locked: 'loaded ok\ninit ok\n' },
  { name: 'process.dlopen of a 0644 addon', args: ['load.cjs', 'dlopen', 'no.node'], locked: 'refused ERR_SECNODE_EXEC_DENIED \ninit undefined\n' },
  // Under enforcement a path that cannot be opened is refused (it could appear before Node's own dlopen).
  { name: 'process.dlopen of a missing file (Node\'s own error without bits)', args: ['load.cjs', 'dlopen', 'missing.node'], locked: 'refused ERR_SECNODE_EXEC_DENIED \ninit undefined\n' },
  { name: 'process.dlopen of a 0755 file that is not ELF (Node\'s own error, same path)', args: ['load.cjs', 'dlopen', 'bad.node'], locked: 'node' },
  { name: 'process.dlopen of a bare name (looked up by the linker)', args: ['load.cjs', 'bare', 'ok.node'], locked: 'refused ERR_SECNODE_EXEC_DENIED \ninit undefined\n' },
  { name: 'two different addons in a row each map their own file', args: ['seq.cjs', 'ok.node', 'other.node', 'ok.node'], locked: 'ok\nother\nok\n' },
  { name: 'an addon in a worker after another in the main thread maps its own file', args: ['worker.cjs', 'ok.node', 'other.node'], locked: 'ok\nother\n' },
  { name: "process.dlopen keeps node's descriptor (writable, configurable)", args: ['patch.cjs'], locked: 'true true function\n' },
  { name: '.wasm import of a 0755 module', args: ['--experimental-wasm-modules', 'wasm.mjs', 'ok.wasm'], locked: '42\n' },
  { name: '.wasm import of a 0644 module', args: ['--experimental-wasm-modules', 'wasm.mjs', 'no.wasm'], locked: 'refused ERR_SECNODE_EXEC_DENIED\n' },
];

const opts = (n: NodeUnderTest, policy: Policy = 'none') => ({ node: n, policy, cwd: fx.dir });

describe.skipIf(headers === undefined)('native addons and wasm', () => {
  describe.each(nodes())('$name', (n) => {
    it.each(CASES)('$name: with no bits, as plain node', ({ args, none }) => {
      const plain = node(args, opts(n));
      const r = secnode(args, opts(n));
      expect({ status: r.status, stdout: r.stdout, stderr: normal(r.stderr) }, show(r))
        .toEqual({ status: plain.status, stdout: none ?? plain.stdout, stderr: normal(plain.stderr) });
    });

    // RF governs addons and wasm: RF alone refuses as RF+DI does, DI alone leaves them as with no bits.
    it.each(CASES.flatMap((c) => (['RF+DI', 'RF'] as const).map((policy) => ({ ...c, policy }))))('$name: under $policy', ({ args, locked, policy }) => {
      const r: Run = secnode(args, opts(n, policy));
      expect(r.status, show(r)).toBe(0);
      expect(r.stdout, show(r)).toBe(locked === 'node' ? node(args, opts(n)).stdout : locked);
    });

    it.each(CASES)('$name: under DI alone, as with no bits', ({ args, none }) => {
      const r: Run = secnode(args, opts(n, 'DI'));
      expect(r.status, show(r)).toBe(0);
      expect(r.stdout, show(r)).toBe(none ?? node(args, opts(n)).stdout);
    });

    it('the library mapped is the file that was checked, even when the path is replaced after the check', () => {
      copyFileSync(fx.path('ok.node'), fx.path('swap-target.node'));
      copyFileSync(fx.path('other.node'), fx.path('swap-other.node'));
      const r = secnode(['swap.cjs', 'swap-target.node', 'swap-other.node'], opts(n, 'RF+DI'));
      // The swap happened (the path now holds the other addon) and what was mapped is the checked inode.
      expect(existsSync(fx.path('swap-other.node')), show(r)).toBe(false);
      expect(r.stdout, show(r)).toBe('ok path-inode-not-mapped\n');
    });

    it('each addon check is recorded (subject addon), also when it only records', () => {
      const r = secnode(['load.cjs', 'require', 'no.node'], { ...opts(n), env: { SECNODE_AUDIT: 'stderr' } });
      const records = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(r.stdout, show(r)).toBe('loaded no\ninit no\n');
      expect(records.filter((x) => x.subject === 'addon'), show(r)).toEqual([expect.objectContaining({
        subject: 'addon', path: fx.path('no.node'), errno: 'EACCES', allowed: true, mode: 'permissive', parent: fx.path('load.cjs'),
      })]);
    });

    it.runIf(n.major >= 24)('import of a .node addon (Node 24): 0755 loads, 0644 is refused before its init runs', () => {
      const ok = secnode(['--no-warnings', '--experimental-addon-modules', 'import.mjs', 'ok.node'], opts(n, 'RF+DI'));
      expect(ok.stdout, show(ok)).toBe('loaded ok\ninit ok\n');
      const no = secnode(['--no-warnings', '--experimental-addon-modules', 'import.mjs', 'no.node'], opts(n, 'RF+DI'));
      expect(no.stdout, show(no)).toBe('refused ERR_SECNODE_EXEC_DENIED\ninit undefined\n');
    });
  });
});
