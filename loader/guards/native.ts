// Native code loaders beside process.dlopen: sqlite extensions, OpenSSL engines (crypto.setEngine and
// the TLS engine options) and node:ffi. Each file passes the check through its fd and the API is handed
// `/proc/self/fd/N` of that fd, so what is mapped is what was checked; a load that cannot be checked is
// refused under RF. Without bits every call behaves as under node.
import { basename } from 'node:path';
import { existsSync, readSync } from '../../src/own-fs.js';
import { enforcingRule } from '../../src/policy.js';
import { hasCryptoBindingSecureContext, parseNodeVersion } from '../../src/node-features.js';
import type { Context } from '../context.js';
import { asOwnLoad } from '../gate/own-load.js';
import { nodeDlopen } from './addons.js';
import { replace, wrapMethod } from './patch.js';
import type { CheckedObject, Opener } from './shared-object.js';
import { nativeObjects } from '../lazy.js';
import { ownRequire } from '../../src/own-require.js';

type Fn = (...args: unknown[]) => unknown;

function opener(ctx: Context): Opener | undefined {
  const dlopen = nodeDlopen;
  return dlopen === undefined ? undefined : { ctx, dlopen, restrictFile: enforcingRule('file', ctx.bits, ctx.settings.forced) };
}

/**
 * Runs `call` with the name that maps the checked fd of `path`; `plain` is Node's own call with the
 * caller's arguments, used when there is nothing to check or (without file enforcement) when the fd
 * route cannot reproduce the load.
 */
function handOver<R>(o: Opener, what: string, path: string, call: (name: string, object: CheckedObject) => R, plain: () => R): R {
  if (!path.includes('/')) {
    if (o.restrictFile === null) return plain();
    throw nativeObjects().uncheckable(o.ctx, what, path, 'a name without a slash is looked up by the dynamic linker and cannot be checked',
      'hint: name the file by its path', o.restrictFile);
  }
  const objects = nativeObjects();
  let object: CheckedObject | undefined;
  try {
    object = objects.openChecked(o, path, 'native', undefined, objects.RTLD_LAZY);
  } catch (err) {
    if (o.restrictFile === null) return plain();
    if (err instanceof objects.NotMatchable) {
      throw objects.uncheckable(o.ctx, what, path, `the libraries it needs cannot be checked: ${err.message}`,
        'hint: give each library it needs a DT_SONAME equal to the name it is needed by', o.restrictFile);
    }
    throw err;
  }
  if (object === undefined) return plain();
  try {
    return call(object.name, object);
  } catch (err) {
    throw objects.renamed(err, object.names, path);
  } finally {
    object.close();
  }
}

/** SQLite's entry point when none is given: sqlite3_extension_init, else one derived from the file name. */
function sqliteEntryPoint(object: CheckedObject, path: string): string {
  const read = (position: number, length: number): Buffer => {
    const buf = Buffer.alloc(length);
    return buf.subarray(0, readSync(object.fd, buf, 0, length, position));
  };
  if (nativeObjects().definesSymbol(read, 'sqlite3_extension_init') !== false) return 'sqlite3_extension_init';
  let name = basename(path);
  if (name.slice(0, 3).toLowerCase() === 'lib') name = name.slice(3);
  const stem = name.split('.')[0] ?? '';
  return `sqlite3_${stem.replace(/[^A-Za-z]/g, '').toLowerCase()}_init`;
}

/** `node:sqlite`: DatabaseSync.prototype.loadExtension(path[, entryPoint]). */
export function guardSqlite(ctx: Context, exports: Record<string, unknown>): void {
  const o = opener(ctx);
  if (o === undefined) return;
  const done = new Set<unknown>();
  for (const key of ['DatabaseSync', 'Database']) {
    const proto = (exports[key] as { prototype?: object } | undefined)?.prototype;
    if (proto === undefined || done.has(proto)) continue;
    done.add(proto);
    wrapMethod(proto, 'loadExtension', (original) => function loadExtension(this: unknown, ...args: unknown[]) {
      const [path, entryPoint] = args;
      const plain = (): unknown => Reflect.apply(original, this, args);
      if (typeof path !== 'string' || (entryPoint !== undefined && typeof entryPoint !== 'string')) return plain();
      // SQLite tries the name as given, then with ".so" appended.
      const file = !existsSync(path) && existsSync(`${path}.so`) ? `${path}.so` : path;
      return handOver(o, 'SQLite extension', file,
        (name, object) => Reflect.apply(original, this, [name, entryPoint ?? sqliteEntryPoint(object, file)]), plain);
    });
  }
}

/**
 * An OpenSSL engine id: a path is a shared object (checked, handed over as its fd); a bare id is a
 * built-in engine or one OpenSSL finds in its engines directory, which OPENSSL_ENGINES may name.
 */
function engine<R>(o: Opener, id: unknown, call: (id: string) => R, plain: () => R): R {
  if (typeof id !== 'string') return plain();
  if (id.includes('/')) return handOver(o, 'OpenSSL engine', id, (name) => call(name), plain);
  if (o.restrictFile !== null && process.env.OPENSSL_ENGINES !== undefined) {
    throw nativeObjects().uncheckable(o.ctx, 'OpenSSL engine', id, 'OPENSSL_ENGINES names the directory it is loaded from, and that file cannot be checked',
      'hint: name the engine by its path, or unset OPENSSL_ENGINES', o.restrictFile);
  }
  return plain();
}

const cryptoGuarded = new WeakSet<object>();

/**
 * `setEngine(engine[, flags])` of `node:crypto`, and of the crypto binding that `process.binding('crypto')`
 * hands out on Node 20 and 22 (the native function `crypto.setEngine` calls), once per object.
 */
export function guardCrypto(ctx: Context, exports: Record<string, unknown>): void {
  const o = opener(ctx);
  if (o === undefined || cryptoGuarded.has(exports)) return;
  cryptoGuarded.add(exports);
  wrapMethod(exports, 'setEngine', (original) => function setEngine(this: unknown, ...args: unknown[]) {
    return engine(o, args[0], (id) => Reflect.apply(original, this, [id, ...args.slice(1)]), () => Reflect.apply(original, this, args));
  });
}

/** Runs `f` with deprecation warnings off (Node checks `process.noDeprecation` when it emits one). */
function withoutDeprecations<T>(f: () => T): T {
  const before = Object.getOwnPropertyDescriptor(process, 'noDeprecation');
  (process as { noDeprecation?: boolean }).noDeprecation = true;
  try {
    return f();
  } finally {
    if (before === undefined) delete (process as { noDeprecation?: boolean }).noDeprecation;
    else Object.defineProperty(process, 'noDeprecation', before);
  }
}

/**
 * The native SecureContext's prototype. At start-up on Node 20 and 22 the crypto binding hands out the class
 * without loading `tls` (which costs milliseconds there). Node prints DEP0111 at every read; secnode's read is
 * quiet, and a program's own reads print it as under node. Later (the guard going in as `tls` loads) the
 * class comes from `tls`: by then `process.binding` and `process.noDeprecation` may be the program's.
 */
function secureContextPrototype(startUp: boolean): object {
  if (startUp && hasCryptoBindingSecureContext(parseNodeVersion(process.versions.node))) {
    try {
      const binding = withoutDeprecations(() =>
        (process as unknown as { binding(name: string): { SecureContext?: { prototype: object } } }).binding('crypto'));
      if (binding.SecureContext !== undefined) return binding.SecureContext.prototype;
    } catch {
      // process.binding is off (Node's policy manifests turn it off): take the class from tls.
    }
  }
  // A bare SecureContext: no options applied, no root certificates parsed.
  const tls = ownRequire('node:tls') as { SecureContext: new () => { context: object } };
  return Object.getPrototypeOf(new tls.SecureContext().context) as object;
}

let tlsGuarded = false;
/**
 * The native SecureContext's `setEngineKey(keyId, engineId)` and `setClientCertEngine(engineId)`, used
 * by `tls.createSecureContext({ privateKeyEngine, clientCertEngine })` and every TLS client and server,
 * and reachable directly through `secureContext.context`.
 */
export function guardTlsEngines(ctx: Context, startUp = false): void {
  if (tlsGuarded) return;
  tlsGuarded = true;
  const o = opener(ctx);
  if (o === undefined) return;
  const proto = asOwnLoad(() => secureContextPrototype(startUp));
  wrapMethod(proto, 'setEngineKey', (original) => function setEngineKey(this: unknown, ...args: unknown[]) {
    return engine(o, args[1], (id) => Reflect.apply(original, this, [args[0], id, ...args.slice(2)]), () => Reflect.apply(original, this, args));
  });
  wrapMethod(proto, 'setClientCertEngine', (original) => function setClientCertEngine(this: unknown, ...args: unknown[]) {
    return engine(o, args[0], (id) => Reflect.apply(original, this, [id, ...args.slice(1)]), () => Reflect.apply(original, this, args));
  });
}

/** `node:ffi` (Node 26): `dlopen(path, definitions)` and `new DynamicLibrary(path)`. */
export function guardFfi(ctx: Context, exports: Record<string, unknown>): void {
  const o = opener(ctx);
  if (o === undefined) return;
  wrapMethod(exports, 'dlopen', (original) => function dlopen(this: unknown, ...args: unknown[]) {
    const plain = (): unknown => Reflect.apply(original, this, args);
    return typeof args[0] === 'string' ? handOver(o, 'library', args[0], (name) => Reflect.apply(original, this, [name, ...args.slice(1)]), plain) : plain();
  });
  const Original = exports.DynamicLibrary as (Fn & (new (...args: unknown[]) => object)) | undefined;
  if (typeof Original !== 'function') return;
  replace(exports, 'DynamicLibrary', new Proxy(Original, {
    construct(target, args: unknown[], newTarget) {
      const plain = (): object => Reflect.construct(target, args, newTarget) as object;
      return typeof args[0] === 'string'
        ? handOver(o, 'library', args[0], (name) => Reflect.construct(target, [name, ...args.slice(1)], newTarget) as object, plain)
        : plain();
    },
  }));
}
