// Native code loaders beside process.dlopen: sqlite extensions, OpenSSL engines (crypto.setEngine, the
// TLS engine options, also through Node's fetch Agent, and the native SecureContext's methods) and node:ffi. A shared object passes the
// check through its fd before it is mapped: a 0644 one never runs under RF (its constructor's marker
// stays absent), a 0755 one works under RF+DI, and with no bits every call is exactly node's.
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLibrary, markerConstructor } from './helpers/addon.js';
import { makeFixtures, show, type Fixtures } from './helpers/launcher-fixtures.js';
import { node, nodes, secnode, type NodeUnderTest, type Policy } from './helpers/run.js';

const SCRIPTS = {
  // how, file: loads the file through one native loader; prints the outcome, then whether its constructor ran
  'native.cjs': `const fs = require('node:fs');
const { resolve } = require('node:path');
const [how, name] = process.argv.slice(2);
const file = resolve(name);
/** Node's fetch Agent (its internals load at a Headers, or at a MessagePort's first message), with a TLS engine option. */
async function fetchAgent(load) {
  await load();
  const S = (n) => globalThis[Symbol.for('undici.globalDispatcher.' + n)];
  const Agent = (S(2) ?? S(1)).constructor;
  await fetch('https://127.0.0.1:47613/', { dispatcher: new Agent({ connect: { clientCertEngine: file } }) }).catch((e) => {
    if (String(e.cause?.code).startsWith('ERR_SECNODE_')) throw e.cause;
  });
}
(async () => {
try {
  if (how === 'fetch-agent') await fetchAgent(async () => new Headers());
  if (how === 'port-agent') await fetchAgent(() => new Promise((done) => { const { port1, port2 } = new MessageChannel(); port1.onmessage = () => { port1.close(); done(); }; port2.postMessage(1); }));
  if (how === 'sqlite') { const { DatabaseSync } = require('node:sqlite'); new DatabaseSync(':memory:', { allowExtension: true }).loadExtension(file); }
  if (how === 'sqlite-entry') { const { DatabaseSync } = require('node:sqlite'); new DatabaseSync(':memory:', { allowExtension: true }).loadExtension(file, 'sqlite3_point_init'); }
  if (how === 'setEngine') require('node:crypto').setEngine(file);
  if (how === 'binding-engine') process.binding('crypto').setEngine(file, 0xFFFF);
  if (how === 'engine-id') { process.env.OPENSSL_ENGINES = require('node:path').dirname(file); require('node:crypto').setEngine(require('node:path').basename(file)); }
  if (how === 'tls-option') require('node:tls').createSecureContext({ clientCertEngine: file });
  if (how === 'tls-native') require('node:tls').createSecureContext().context.setClientCertEngine(file);
  if (how === 'https-agent') require('node:https').request({ host: '127.0.0.1', port: 9, clientCertEngine: file }).on('error', () => {}).end();
  if (how === 'ffi-dlopen') console.log(require('node:ffi').dlopen(file, { answer: { result: 'i32', parameters: [] } }).functions.answer());
  if (how === 'ffi-class') { const ffi = require('node:ffi'); const lib = new ffi.DynamicLibrary(file); console.log(lib instanceof ffi.DynamicLibrary); }
  console.log('ok');
} catch (e) {
  console.log('error', e.code, e.code && e.code.startsWith('ERR_SECNODE_') ? '' : e.message);
}
const m = process.env.ADDON_MARKER;
console.log('ran', fs.existsSync(m) ? fs.readFileSync(m, 'utf8').trim().split('\\n').join(',') : '-');
})();
`,
  // A program's own read of the deprecated crypto binding (Node 20, 22), and whether tls was loaded before it
  'binding.cjs': `const tls = process.moduleLoadList.includes('NativeModule tls');
console.log(typeof process.binding('crypto').SecureContext, tls);
`,
  // A program that watches process.binding and process.noDeprecation, then loads tls (as require and, where Node has it, getBuiltinModule)
  'binding-watch.cjs': `const binding = process.binding;
process.binding = function (name) { console.log('binding', name); return binding.call(this, name); };
let quiet;
Object.defineProperty(process, 'noDeprecation', { configurable: true, get: () => quiet, set: (v) => { console.log('noDeprecation', v); quiet = v; } });
if (process.argv[2] === 'getBuiltinModule') process.getBuiltinModule('tls'); else require('node:tls');
console.log('done');
`,
} as const;

const LIB = (marker: string, extra = '') => `${markerConstructor(marker)}
int sqlite3_extension_init(void *db, char **err, const void *api) { return 0; }
int answer(void) { return 42; }
${extra}`;

let fx: Fixtures;
beforeAll(() => {
  fx = makeFixtures('native', SCRIPTS);
  buildLibrary(fx.dir, 'ok.so', LIB('ok'));
  copyFileSync(fx.path('ok.so'), fx.path('no.so'));
  chmodSync(fx.path('no.so'), 0o644);
  // No sqlite3_extension_init: SQLite derives sqlite3_point_init from the file name (lib…, up to the dot)
  // An engine id (no slash) that OpenSSL looks up in the directory OPENSSL_ENGINES names
  mkdirSync(fx.path('engines'));
  copyFileSync(fx.path('no.so'), fx.path('engines/eng.so'));
  chmodSync(fx.path('engines/eng.so'), 0o644);
  buildLibrary(fx.dir, 'libpoint.so', `${markerConstructor('point')}int sqlite3_point_init(void *db, char **err, const void *api) { return 0; }\n`);
});
afterAll(() => fx?.remove());

interface Api { readonly how: string; readonly since: number; readonly until?: number; readonly flags?: readonly string[] }
const APIS: readonly Api[] = [
  { how: 'sqlite', since: 22 },
  { how: 'setEngine', since: 20 },
  // The native function behind crypto.setEngine, which Node 20 and 22 hand out through process.binding('crypto').
  { how: 'binding-engine', since: 20, until: 22 },
  { how: 'tls-option', since: 20 },
  { how: 'tls-native', since: 20 },
  { how: 'https-agent', since: 20 },
  // No builtin load a hook sees: Node's fetch internals, loaded by a global or by a MessagePort's message.
  { how: 'fetch-agent', since: 20 },
  { how: 'port-agent', since: 22 }, // Node 20's MessagePort events do not load them
  { how: 'ffi-dlopen', since: 26, flags: ['--experimental-ffi'] },
  { how: 'ffi-class', since: 26, flags: ['--experimental-ffi'] },
];

let runs = 0;
function load(n: NodeUnderTest, api: Api, file: string, policy: Policy | 'node') {
  const marker = join(fx.dir, `marker-${runs++}`);
  rmSync(marker, { force: true });
  const args = ['--no-warnings', ...(api.flags ?? []), 'native.cjs', api.how, file];
  const opts = { node: n, cwd: fx.dir, env: { ADDON_MARKER: marker }, policy: policy === 'node' ? 'none' as const : policy };
  return policy === 'node' ? node(args, opts) : secnode(args, opts);
}

const REFUSED = 'error ERR_SECNODE_EXEC_DENIED \nran -\n';

describe.each(nodes())('$name', (n) => {
  describe.each(APIS.filter((a) => n.major >= a.since && n.major <= (a.until ?? n.major)))('$how', (api) => {
    it('with no bits, exactly as plain node (0755 and 0644)', () => {
      for (const file of ['ok.so', 'no.so']) {
        const plain = load(n, api, file, 'node');
        const r = load(n, api, file, 'none');
        expect(plain.stdout, show(plain)).toMatch(/\nran (ok|no)/);
        expect({ status: r.status, stdout: r.stdout.replaceAll(`marker-${runs - 1}`, ''), stderr: r.stderr }, show(r))
          .toEqual({ status: plain.status, stdout: plain.stdout.replaceAll(`marker-${runs - 2}`, ''), stderr: plain.stderr });
      }
    });

    it('a 0755 file works under RF+DI as under node; a 0644 file never runs under RF and RF+DI, and runs under DI', () => {
      const plain = load(n, api, 'ok.so', 'node').stdout;
      expect(load(n, api, 'ok.so', 'RF+DI').stdout).toBe(plain);
      for (const policy of ['RF', 'RF+DI'] as const) {
        const r = load(n, api, 'no.so', policy);
        expect(r.stdout, `${policy}\n${show(r)}`).toBe(REFUSED);
      }
      expect(load(n, api, 'no.so', 'DI').stdout).toBe(load(n, api, 'no.so', 'node').stdout);
    });
  });

  it('the record of a native load: subject native, the file\'s path, refused with the rule under RF', () => {
    const r = secnode(['--no-warnings', 'native.cjs', 'setEngine', 'no.so'],
      { node: n, cwd: fx.dir, policy: 'RF', env: { ADDON_MARKER: join(fx.dir, 'marker-record'), SECNODE_AUDIT: 'stderr' } });
    const records = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records, show(r)).toContainEqual(expect.objectContaining({
      event: 'check', subject: 'native', path: join(fx.dir, 'no.so'), errno: 'EACCES', allowed: false, verdict: 'refuse', rule: 'SECBIT_EXEC_RESTRICT_FILE',
    }));
  });

  it('an engine id while OPENSSL_ENGINES (set at run time) names its directory: refused under RF, as node without bits and under DI', () => {
    const api = { how: 'engine-id', since: 20 };
    const plain = load(n, api, 'engines/eng', 'node').stdout;
    expect(plain).toMatch(/\nran ok\n$/);
    expect(load(n, api, 'engines/eng', 'none').stdout).toBe(plain);
    expect(load(n, api, 'engines/eng', 'DI').stdout).toBe(plain);
    expect(load(n, api, 'engines/eng', 'RF').stdout).toBe(REFUSED);
    expect(load(n, api, 'engines/eng', 'RF+DI').stdout).toBe(REFUSED);
  });

  it.runIf(n.major <= 22)('the engine guard reaches the native TLS context through the crypto binding, quietly: no tls load at start under RF+DI, and a program\'s own read warns as under node', () => {
    const pid = (text: string): string => text.replace(/\(node:\d+\)/g, '(node:PID)');
    const plain = node(['binding.cjs'], { node: n, cwd: fx.dir, policy: 'none' });
    expect(plain.stdout, show(plain)).toBe('function false\n');
    expect(plain.stderr).toContain('[DEP0111]');
    for (const policy of ['none', 'RF+DI'] as const) {
      const r = secnode(['binding.cjs'], { node: n, cwd: fx.dir, policy });
      expect({ status: r.status, stdout: r.stdout, stderr: pid(r.stderr) }, `${policy}\n${show(r)}`)
        .toEqual({ status: plain.status, stdout: plain.stdout, stderr: pid(plain.stderr) });
    }
  });

  it.each(['require', 'getBuiltinModule'])('with no bits, a program that watches process.binding and process.noDeprecation sees what it sees under node when tls loads (%s)', (how) => {
    const plain = node(['binding-watch.cjs', how], { node: n, cwd: fx.dir, policy: 'none' });
    expect(plain.stdout, show(plain)).toBe('done\n');
    const r = secnode(['binding-watch.cjs', how], { node: n, cwd: fx.dir, policy: 'none' });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }, show(r)).toEqual({ status: plain.status, stdout: plain.stdout, stderr: plain.stderr });
  });

  it.runIf(n.major >= 22)('sqlite: the default entry point is derived from the real file name, and ".so" is appended as SQLite does', () => {
    const api = { how: 'sqlite', since: 22 };
    expect(load(n, api, 'libpoint.so', 'RF+DI').stdout).toBe('ok\nran point\n');
    expect(load(n, { how: 'sqlite-entry', since: 22 }, 'libpoint.so', 'RF+DI').stdout).toBe('ok\nran point\n');
    expect(load(n, api, 'ok', 'RF+DI').stdout).toBe('ok\nran ok\n');
    expect(load(n, api, 'no', 'RF').stdout).toBe(REFUSED);
    expect(existsSync(fx.path('no'))).toBe(false);
  });
});
