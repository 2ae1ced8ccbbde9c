// Beside the loader: hooks threads (`module.register`), ShadowRealm, and the generated-code hardening.
// Each file vector tries to run a 0644 file where secnode's main-thread hooks do not reach; it must be
// refused under RF+DI (every front door) and under RF alone, and run under DI alone and with no bits
// (then exactly as under plain node). Each hardening vector tries to evaluate a string as code: with
// SECNODE_HARDEN_GENERATED=1 it is refused whatever the bits; without it, it runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOORS, makeFixtures, plain, show, through, type Fixtures } from './helpers/launcher-fixtures.js';
import { nodes, type NodeUnderTest, type Policy } from './helpers/run.js';

/** The side effect a refusal must prevent (written with writeSync: a hooks thread's console is asynchronous). */
const RAN = 'NO-RAN';
const DENIED = 'ERR_SECNODE_EXEC_DENIED';
const HARDEN = { SECNODE_HARDEN_GENERATED: '1' };
const FLAGS = { NODE_OPTIONS: '--experimental-shadow-realm --experimental-vm-modules --no-warnings' };

/** A 0644 module that prints RAN when it is evaluated (in any thread, or in a realm: then it exports it). */
const sideEffect = (what: string) => `import { writeSync } from 'node:fs';\nwriteSync(1, '${RAN} ${what}\\n');\n`;

/**
 * secnode's shared code as a program finds it in the CommonJS cache (undefined under plain node): its exports
 * are within reach, so is a context of the program's making (no bits, nothing forced) to pass to them.
 */
const SHARED = "const shared = Object.entries(require.cache).find(([k]) => k.endsWith('/loader/shared.cjs'))?.[1].exports;"
  + " const fake = shared?.contextFrom?.({ raw: 0, settings: { forced: { restrictFile: false, denyInteractive: false, hardenGenerated: false },"
  + " emulate: false, audit: [], launcher: null, sources: {} }, preloads: [], loaders: false });";
/** A 0644 file's bytes as secnode's gate reads them for the made-up context (which lets them through), else as node reads them. */
const GATE_READ = "fake ? shared.gateFile(fake, file, 'import') : require('node:fs').readFileSync(file)";
/** A 0755 hooks module that answers `target` with `source` and vouches for it with secnode's own hand-over. */
const vouchingHooks = (target: string, source: string) => `import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
const require = createRequire(import.meta.url);
${SHARED}
export async function load(u, c, n) {
  if (!u.endsWith('/${target}')) return n(u, c);
  const file = fileURLToPath(u);
  const source = ${source};
  shared?.handOver(file, source);
  return { format: 'module', source, shortCircuit: true };
}
`;

interface Vector {
  readonly name: string;
  /** The body of the driver case; it prints RAN (directly or through a 0644 file) when the vector works. */
  readonly body: string;
  /** Needs SECNODE_HARDEN_GENERATED=1 to be refused (code generated at run time). */
  readonly generated?: true;
  /** A REPL: interactive input, refused under DI too (ERR_SECNODE_INTERACTIVE_DENIED). */
  readonly interactive?: true;
  /** Only from this Node major. */
  readonly minMajor?: number;
}

const FILE_VECTORS: readonly Vector[] = [
  { name: 'register(relative path) of a 0644 hooks module', body: "register('./h-no.mjs', import.meta.url);" },
  { name: 'register(file: URL) of a 0644 hooks module', body: "register(new URL('./h-no.mjs', import.meta.url));" },
  { name: 'register with { parentURL } of a 0644 hooks module', body: "register('./h-no.mjs', { parentURL: import.meta.url });" },
  { name: 'register(bare specifier) of a 0644 package', body: "register('hookpkg', import.meta.url);" },
  { name: 'a 0755 hooks module importing a 0644 module', body: "register('./h-imports.mjs', import.meta.url);" },
  { name: 'a 0755 hooks module requiring a 0644 file in the hooks thread', body: "register('./h-requires.mjs', import.meta.url);" },
  { name: 'a second hooks module loaded through the first (0644)', body: "register('./h-ok.mjs', import.meta.url); register('./h-no.mjs', import.meta.url);" },
  { name: 'a 0755 hooks module vouching for a 0644 module with secnode\'s own hand-over', body: "register('./h-vouch.mjs', import.meta.url); await import('./vouched-no.mjs');" },
  { name: 'a registerHooks hook vouching for a 0644 module with secnode\'s own hand-over', minMajor: 22, body: `${SHARED} require('node:module').registerHooks({ load: (url, c, next) => { if (!url.endsWith('/vouched-no.mjs')) return next(url, c); const file = new URL(url).pathname; const source = ${GATE_READ}; shared?.handOver(file, source); return { format: 'module', source, shortCircuit: true }; } }); await import('./vouched-no.mjs');` },
  { name: 'ShadowRealm importValue of a 0644 module', body: "console.log(await new ShadowRealm().importValue(new URL('./realm-no.mjs', import.meta.url).href, 'x'));" },
  { name: 'ShadowRealm evaluate of import() of a 0644 module', body: "await new Promise((done) => new ShadowRealm().evaluate(`(cb) => { import('${new URL('./realm-no.mjs', import.meta.url).href}').then((m) => cb(m.x), (e) => cb('caught ' + e)); }`)((x) => { console.log(x); done(); }));" },
];

const GENERATED_VECTORS: readonly Vector[] = [
  { name: 'register(data:) hooks module', generated: true, body: "register('data:text/javascript,' + encodeURIComponent(\"import { writeSync } from 'node:fs'; writeSync(1, 'NO-RAN data\\\\n');\"));" },
  { name: 'eval inside a (0755) hooks module', generated: true, body: "register('./h-eval.mjs', import.meta.url);" },
  { name: 'new (vm.Script.prototype.constructor)(code)', generated: true, body: "new (vm.Script.prototype.constructor)(code).runInThisContext();" },
  { name: 'vm.SyntheticModule (reaches the module wrapper)', generated: true, body: "new vm.SyntheticModule(['a'], () => {}); print('SyntheticModule');" },
  { name: 'vm.createContext + runInContext', generated: true, body: "vm.runInContext(code, vm.createContext({ process }));" },
  { name: 'repl.start({ input })', generated: true, interactive: true, body: "const { PassThrough } = require('node:stream'); const input = new PassThrough(); require('node:repl').start({ input, output: new PassThrough(), prompt: '' }); input.end(code + '\\n'); await new Promise((r) => setTimeout(r, 200));" },
  { name: 'new repl.REPLServer({ input })', generated: true, interactive: true, body: "const { PassThrough } = require('node:stream'); const input = new PassThrough(); new (require('node:repl').REPLServer)({ input, output: new PassThrough() }); input.end(code + '\\n'); await new Promise((r) => setTimeout(r, 200));" },
  { name: 'inspector Session Runtime.evaluate', generated: true, body: "const s = new (require('node:inspector').Session)(); s.connect(); s.post('Runtime.evaluate', { expression: code, includeCommandLineAPI: true });" },
  { name: 'inspector/promises Session connect', generated: true, body: "const s = new (require('node:inspector/promises').Session)(); s.connect(); await s.post('Runtime.evaluate', { expression: code });" },
  { name: 'new Module()._compile(code, own file)', generated: true, body: "const Module = require('node:module'); new Module(import.meta.filename)._compile(code, import.meta.filename);" },
  { name: 'registerHooks substitutes source for a 0755 file', generated: true, minMajor: 22, body: "require('node:module').registerHooks({ load: (url, c, next) => url.endsWith('/ok.mjs') ? { format: 'module', source: code, shortCircuit: true } : next(url, c) }); await import('./ok.mjs');" },
  { name: 'module.register hook substitutes source for a 0755 file', generated: true, body: "register('./h-subst.mjs', import.meta.url); await import('./ok.mjs');" },
  { name: 'a hooks module vouching for code it supplies with secnode\'s own hand-over', generated: true, body: "register('./h-vouch-code.mjs', import.meta.url); await import('./ok.mjs');" },
  { name: 'new Module()._compile(code, own file) vouched for with secnode\'s own CommonJS hand-over', generated: true, body: `${SHARED} shared?.handOverCommonJs?.(import.meta.filename, code); const Module = require('node:module'); new Module(import.meta.filename)._compile(code, import.meta.filename);` },
  { name: 'a compile named [eval] after asking secnode for the start input\'s allowance', generated: true, body: `${SHARED} shared?.allowStartInputCompile?.(); const Module = require('node:module'); new Module('[eval]')._compile(code, '[eval]');` },
  { name: 'ShadowRealm evaluate', generated: true, body: "print(new ShadowRealm().evaluate(\"'ShadowRealm'\"));" },
];

/** One driver per vector (0755): prints `caught CODE` when the vector is refused where it loads. */
const driver = (body: string) => `import { register, createRequire } from 'node:module';
import { writeSync } from 'node:fs';
import vm from 'node:vm';
const require = createRequire(import.meta.url);
const print = (what) => writeSync(1, '${RAN} ' + what + '\\n');
const code = "process.getBuiltinModule('node:fs').writeSync(1, '${RAN} code\\\\n')";
try {
${body}
} catch (e) { console.log('caught', e.code ?? e.name); }
`;

let fx: Fixtures;
const ALL = [...FILE_VECTORS, ...GENERATED_VECTORS];
beforeAll(() => {
  const nox = (src: string) => ({ src, mode: 0o644 });
  const files: Record<string, string | { src: string; mode: number }> = {
    'h-no.mjs': nox(`${sideEffect('hooks module')}export async function load(u, c, n) { return n(u, c); }\n`),
    'h-ok.mjs': 'export async function load(u, c, n) { return n(u, c); }\n',
    'h-imports.mjs': "import './no-dep.mjs';\nexport async function load(u, c, n) { return n(u, c); }\n",
    'h-requires.mjs': "import { createRequire } from 'node:module';\ncreateRequire(import.meta.url)('./no.cjs');\n",
    'h-eval.mjs': "import { writeSync } from 'node:fs';\nglobalThis.w = writeSync;\neval(\"w(1, 'NO-RAN eval\\\\n')\");\n",
    'h-subst.mjs': "export async function load(u, c, n) {\n  return u.endsWith('/ok.mjs') ? { format: 'module', source: \"import { writeSync } from 'node:fs'; writeSync(1, 'NO-RAN substituted\\\\n');\", shortCircuit: true } : n(u, c);\n}\n",
    'h-vouch.mjs': vouchingHooks('vouched-no.mjs', GATE_READ),
    'h-vouch-code.mjs': vouchingHooks('ok.mjs', `"import { writeSync } from 'node:fs'; writeSync(1, '${RAN} vouched code\\\\n');"`),
    'vouched-no.mjs': nox(sideEffect('vouched for')),
    'no-dep.mjs': nox(sideEffect('import in the hooks thread')),
    'no.cjs': nox(`require('node:fs').writeSync(1, '${RAN} require in the hooks thread\\n');\n`),
    'realm-no.mjs': nox(`export const x = '${RAN} realm';\n`),
    'ok.mjs': "console.log('OK');\n",
    'node_modules/hookpkg/package.json': nox('{ "name": "hookpkg", "exports": "./index.mjs" }\n'),
    'node_modules/hookpkg/index.mjs': nox(`${sideEffect('bare hooks module')}export async function load(u, c, n) { return n(u, c); }\n`),
  };
  ALL.forEach((v, i) => { files[`v${i}.mjs`] = driver(v.body); });
  fx = makeFixtures('bypass-hooks', files);
});
afterAll(() => fx.remove());

const indexed = (n: NodeUnderTest, vs: readonly Vector[]) =>
  vs.map((v) => ({ ...v, i: ALL.indexOf(v) })).filter((v) => n.major >= (v.minMajor ?? 0));
const go = (n: NodeUnderTest, i: number, policy: Policy, vars: Record<string, string> = {}, door = DOORS[0]) =>
  through(door ?? expect.unreachable(), [`v${i}.mjs`], { node: n, policy, cwd: fx.dir }, { ...FLAGS, ...vars });

/** A refusal: nothing ran, and the refusal's code shows (caught by the driver, or printed by Node). */
function expectRefused(r: ReturnType<typeof go>, v: { interactive?: true }, code = DENIED): void {
  expect(r.stdout, show(r)).not.toContain(RAN);
  expect(`${r.stdout}${r.stderr}`, show(r)).toContain(v.interactive ? 'ERR_SECNODE_INTERACTIVE_DENIED' : code);
}

describe.each(nodes())('$name', (n) => {
  const files = indexed(n, FILE_VECTORS);
  const generated = indexed(n, GENERATED_VECTORS);

  describe.each(DOORS)('$name, RF+DI: a 0644 file beside the loader is refused', (door) => {
    it.each(files)('$name', (v) => expectRefused(go(n, v.i, 'RF+DI', {}, door), v));
  });
  it.each(files)('RF alone: $name is refused', (v) => expectRefused(go(n, v.i, 'RF'), v));
  it.each(files.filter((v) => /vouching/.test(v.name)))('RF forced without bits: $name is refused', (v) => {
    expectRefused(go(n, v.i, 'none', { SECNODE_RESTRICT_FILE: '1' }), v);
  });
  it.each(files)('DI alone: $name runs (files are governed by RF)', ({ i }) => {
    const r = go(n, i, 'DI');
    expect(r.stdout, show(r)).toContain(RAN);
  });

  describe.each(DOORS)('$name, RF+DI with hardening: generated code is refused', (door) => {
    it.each(generated)('$name', (v) => expectRefused(go(n, v.i, 'RF+DI', HARDEN, door), v));
  });
  it.each(generated)('no bits, hardening alone: $name is refused', ({ i }) => expectRefused(go(n, i, 'none', HARDEN), {}));
  // ShadowRealm is refused under RF whatever the setting; a REPL under DI (both tested above and below).
  it.each(generated.filter((v) => !/ShadowRealm/.test(v.name) && !v.interactive))('RF+DI without hardening: $name runs', ({ i }) => {
    const r = go(n, i, 'RF+DI');
    expect(r.stdout, show(r)).toContain(RAN);
  });
  it.each(generated.filter((v) => v.interactive))('DI alone without hardening: $name is refused (interactive)', (v) => {
    expectRefused(go(n, v.i, 'DI'), v);
  });
  it.each(generated.filter((v) => v.interactive || /ShadowRealm/.test(v.name)))('RF alone without hardening: $name', (v) => {
    const r = go(n, v.i, 'RF');
    if (v.interactive) expect(r.stdout, show(r)).toContain(RAN);
    else expectRefused(r, {});
  });

  it.each([...files, ...generated])('no bits: $name behaves as under plain node', ({ i }) => {
    const base = plain([`v${i}.mjs`], { node: n, policy: 'none', cwd: fx.dir }, FLAGS);
    const r = go(n, i, 'none');
    expect(r.stdout, show(r)).toContain(RAN);
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }, `secnode:\n${show(r)}\nnode:\n${show(base)}`)
      .toEqual({ status: base.status, stdout: base.stdout, stderr: base.stderr });
  });
});
