// Bypass vectors for code attributed to files (item 6), odd paths and URLs (item 7) and generated code
// (item 8): each tries to run the code of a 0644 file (or inline code) under RF+DI, locked, and must be
// refused where it loads (the code's side effect, printing RAN, never happens); with no bits every
// vector behaves exactly as under plain node.
import { symlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFixtures, show, type Fixtures } from './helpers/launcher-fixtures.js';
import { node, nodes, secnode, type NodeUnderTest, type Policy } from './helpers/run.js';

const RAN = "console.log('RAN');\n";
const DENIED = 'ERR_SECNODE_EXEC_DENIED';

interface Vector {
  readonly name: string;
  /** The body of an ES module (0755) that tries the vector; it prints RAN if the code ran. */
  readonly body: string;
  /** Needs SECNODE_HARDEN_GENERATED=1 to be refused (generated code). */
  readonly generated?: true;
  /** The refusal's code, when it is not ERR_SECNODE_EXEC_DENIED. */
  readonly code?: string;
  readonly minMajor?: number;
}

/** Runs `body`, printing the error code if it throws (a refusal where the code is loaded). */
const tryIt = (body: string) => `import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
const require = createRequire(import.meta.url);
const here = import.meta.dirname;
try {
${body}
} catch (e) { console.log('caught', e.code ?? e.name); }
`;

const VECTORS: readonly Vector[] = [
  // Attribution: other code supplies bytes for a file.
  { name: 'Module.prototype._compile called directly, attributed to a 0644 file', body: "const Module = require('node:module'); const f = path.join(here, 'no.cjs'); new Module(f)._compile(fs.readFileSync(f, 'utf8'), f);" },
  { name: '_compile attributed to a file that does not exist', body: "const Module = require('node:module'); new Module('x')._compile(\"console.log('RAN')\", path.join(here, 'missing.cjs'));" },
  { name: 'require.extensions handler that compiles the file itself', body: "require.extensions['.cjs'] = (m, f) => m._compile(fs.readFileSync(f, 'utf8'), f); require('./no.cjs');" },
  { name: 'Module.prototype._compile replaced by the program', body: "const Module = require('node:module'); const prev = Module.prototype._compile; Module.prototype._compile = function (c, f) { return prev.call(this, c, f); }; require('./no.cjs');" },
  { name: 'a later registerHooks hook short-circuits a file: load', minMajor: 24, body: "require('node:module').registerHooks({ load: (url, c, next) => url.endsWith('no.mjs') ? { format: 'module', source: fs.readFileSync(new URL(url)), shortCircuit: true } : next(url, c) }); await import('./no.mjs');" },
  { name: 'a module.register hook short-circuits a file: load', body: "(await import('node:module')).register(new URL('./short.mjs', import.meta.url)); await import('./no.mjs');" },
  // Odd paths and URLs: the check applies to the fd that is read.
  { name: 'require through ..', body: "require('./sub/../no.cjs');" },
  { name: 'import with ?query and #hash', body: "await import('./no.mjs?x=1#h');" },
  { name: 'import with percent-encoding', body: "await import('./n%6F.mjs');" },
  { name: 'import of file://localhost/…', body: "await import('file://localhost' + path.join(here, 'no.mjs'));" },
  { name: 'import of a URL object', body: "await import(new URL('./no.mjs', import.meta.url));" },
  { name: 'require of /proc/self/fd/N', body: "const fd = fs.openSync(path.join(here, 'no.cjs'), 'r'); require('/proc/self/fd/' + fd);" },
  { name: 'require of /dev/fd/N', body: "const fd = fs.openSync(path.join(here, 'no.cjs'), 'r'); require('/dev/fd/' + fd);" },
  { name: 'require of a hard link to a 0644 file', body: "const l = path.join(here, 'hard-' + process.pid + '.cjs'); fs.linkSync(path.join(here, 'no.cjs'), l); try { require(l); } finally { fs.unlinkSync(l); }" },
  { name: 'require of a symlink (0777) to a 0644 file', body: "require('./link.cjs');" },
  { name: 'Module.prototype._compile replaced, then restored', body: "const Module = require('node:module'); const prev = Module.prototype._compile; Module.prototype._compile = function (c, f) { return prev.call(this, c, f); }; Module.prototype._compile = prev; const f = path.join(here, 'no.cjs'); new Module(f)._compile(fs.readFileSync(f, 'utf8'), f);" },
  { name: '_compile reached through a module instance\'s prototype', body: "const Module = require('node:module'); const f = path.join(here, 'no.cjs'); const m = new Module(f); Object.getPrototypeOf(m)._compile.call(m, fs.readFileSync(f, 'utf8'), f);" },
  { name: '_compile deleted and put on Object.prototype', body: "const Module = require('node:module'); const prev = Module.prototype._compile; delete Module.prototype._compile; Object.prototype._compile = prev; const f = path.join(here, 'no.cjs'); new Module(f)._compile(fs.readFileSync(f, 'utf8'), f);" },
  { name: '_compile of a subclass of Module', body: "const Module = require('node:module'); class M extends Module {} const f = path.join(here, 'no.cjs'); new M(f)._compile(fs.readFileSync(f, 'utf8'), f);" },
  // Node's internal loader entry points called by the program (what require() itself calls).
  { name: 'Module._load called directly', body: "const Module = require('node:module'); Module._load(path.join(here, 'no.cjs'), null, false);" },
  { name: 'Module._load with a parent module and a relative request', body: "const Module = require('node:module'); const parent = new Module(path.join(here, 'parent.cjs')); parent.filename = path.join(here, 'parent.cjs'); parent.paths = Module._nodeModulePaths(here); Module._load('./no.cjs', parent, false);" },
  { name: 'Module.prototype.load on a fresh module', body: "const Module = require('node:module'); const f = path.join(here, 'no.cjs'); const m = new Module(f); m.load(f);" },
  { name: 'Module.wrap replaced, then require', body: "const Module = require('node:module'); Module.wrap = (s) => '(function (exports, require, module, __filename, __dirname) { ' + s + '\\n});'; require('./no.cjs');" },
  // Native bindings below the guards (the contextify binding compiles code).
  { name: "process.binding('contextify') (compiles code)", generated: true, body: "process.binding('contextify'); console.log('RAN');" },
  // Generated code (refused only with SECNODE_HARDEN_GENERATED=1).
  { name: 'eval', generated: true, body: "eval(\"console.log('RAN')\");" },
  { name: 'indirect eval', generated: true, body: "(0, eval)(\"console.log('RAN')\");" },
  { name: 'new Function', generated: true, body: "new Function(\"console.log('RAN')\")();" },
  { name: 'Function via .constructor', generated: true, body: "(function () {}).constructor(\"console.log('RAN')\")();" },
  { name: 'AsyncFunction constructor', generated: true, body: "await (async () => {}).constructor(\"console.log('RAN')\")();" },
  { name: 'vm.runInThisContext', generated: true, body: "(await import('node:vm')).runInThisContext(\"console.log('RAN')\");" },
  { name: 'vm.Script', generated: true, body: "new (await import('node:vm')).Script(\"console.log('RAN')\").runInThisContext();" },
  { name: 'vm.compileFunction', generated: true, body: "(await import('node:vm')).compileFunction(\"console.log('RAN')\")();" },
  { name: 'process.getBuiltinModule(vm)', generated: true, minMajor: 22, body: "process.getBuiltinModule('vm').runInNewContext(\"console.log('RAN')\", { console });" },
  { name: 'data: import', generated: true, body: "await import(\"data:text/javascript,console.log('RAN')\");" },
  { name: '_compile under a pseudo file name', generated: true, body: "const Module = require('node:module'); new Module('x')._compile(\"console.log('RAN')\", '[eval]-wrapper');" },
  // A program may replace and restore eval as under node; what it restores is secnode's eval.
  { name: 'eval spied on, redefined and restored', generated: true, body: "const saved = globalThis.eval; globalThis.eval = (s) => saved(s); Object.defineProperty(globalThis, 'eval', { value: saved, writable: true, configurable: true }); eval(\"console.log('RAN')\");" },
];

let fx: Fixtures;
beforeAll(() => {
  const files: Record<string, string | { src: string; mode: number }> = {
    'no.cjs': { src: RAN, mode: 0o644 },
    'no.mjs': { src: RAN, mode: 0o644 },
    'sub/keep.txt': { src: '', mode: 0o644 },
    'short.mjs': "import fs from 'node:fs';\nexport async function load(url, c, next) {\n  return url.includes('/no.mjs') ? { format: 'module', source: fs.readFileSync(new URL(url)), shortCircuit: true } : next(url, c);\n}\n",
  };
  VECTORS.forEach((v, i) => { files[`v${i}.mjs`] = tryIt(v.body); });
  fx = makeFixtures('bypass-code', files);
  symlinkSync(fx.path('no.cjs'), fx.path('link.cjs'));
});
afterAll(() => fx.remove());

const run = (n: NodeUnderTest, i: number, policy: Policy, env: NodeJS.ProcessEnv = {}) =>
  secnode([`v${i}.mjs`], { node: n, policy, cwd: fx.dir, env });

describe.each(nodes())('$name', (n) => {
  const vectors = VECTORS.map((v, i) => ({ ...v, i })).filter((v) => n.major >= (v.minMajor ?? 0));

  it.each(vectors)('RF+DI: $name is refused', ({ i, generated, code }) => {
    const r = run(n, i, 'RF+DI', generated ? { SECNODE_HARDEN_GENERATED: '1' } : {});
    expect(r.stdout, show(r)).not.toContain('RAN');
    expect(`${r.stdout}${r.stderr}`, show(r)).toContain(code ?? DENIED);
  });

  it.each(vectors.filter((v) => v.generated))('RF+DI without hardening: $name runs (generated code is allowed by default)', ({ i }) => {
    const r = run(n, i, 'RF+DI');
    expect(r.stdout, show(r)).toContain('RAN');
  });

  it.each(vectors)('no bits: $name behaves as under plain node', ({ i }) => {
    const plainRun = node([`v${i}.mjs`], { node: n, cwd: fx.dir });
    const r = run(n, i, 'none');
    const pids = (text: string) => text.replace(/\(node:\d+\)/g, '(node:PID)'); // Node's warnings name the pid
    expect({ status: r.status, stdout: r.stdout, stderr: pids(r.stderr) }, show(r))
      .toEqual({ status: plainRun.status, stdout: plainRun.stdout, stderr: pids(plainRun.stderr) });
  });
});
