// V8 code cache handed to node:vm (`cachedData`) is compiled code that V8 runs in place of the source,
// and V8 matches it to the source by length only. A cache written by an attacker (v8-compile-cache keeps
// one in a temporary directory) would run code no file check ever saw. Under file enforcement every
// `cachedData` becomes an empty cache, which V8 rejects (`cachedDataRejected: true`): the source is
// compiled instead, and tools that keep such caches simply compile again.
import { enforcingRule } from '../../src/policy.js';
import type { Context } from '../context.js';
import { replace } from './patch.js';

type Ctor = new (...args: unknown[]) => object;
type Fn = (...args: unknown[]) => unknown;

const EMPTY = new Uint8Array(0);

type Strip = (args: unknown[]) => unknown[];

/** Strips the cache from an options object at argument `at` (a copy: the caller's objects are untouched). */
const inOptions = (at: number): Strip => (args) => {
  const options = args[at];
  if (typeof options !== 'object' || options === null || (options as { cachedData?: unknown }).cachedData === undefined) return args;
  const out = [...args];
  out[at] = { ...options, cachedData: EMPTY };
  return out;
};

/** Strips the cache given as argument `at` itself (the native class's positional form). */
const positional = (at: number): Strip => (args) => {
  if (args[at] === undefined) return args;
  const out = [...args];
  out[at] = EMPTY;
  return out;
};

/** A proxy of `C` whose calls (or constructions) drop the cache (identity, statics and `instanceof` kept). */
function dropping<T extends object>(C: T, strip: Strip, construct: boolean): T {
  return new Proxy(C, construct
    ? { construct: (t, args: unknown[], nt: Ctor) => Reflect.construct(t as unknown as Ctor, strip(args), nt) }
    : { apply: (t, self, args: unknown[]) => Reflect.apply(t as unknown as Fn, self, strip(args)) });
}

/** Under file enforcement, `vm.Script`, `vm.createScript`, `vm.compileFunction` and `vm.SourceTextModule` ignore `cachedData`. */
export function guardCodeCache(ctx: Context, exports: Record<string, unknown>): void {
  if (enforcingRule('file', ctx.bits, ctx.settings.forced) === null) return;
  for (const [key, at] of [['Script', 1], ['SourceTextModule', 1]] as const) {
    const C = exports[key];
    if (typeof C !== 'function') continue;
    const proxy = dropping(C, inOptions(at), true);
    replace(C.prototype as object, 'constructor', proxy);
    replace(exports, key, proxy);
  }
  // The native class vm.Script extends compiles too (its cache is the fifth argument): reachable as
  // `Object.getPrototypeOf(vm.Script)` and through prototypes, so vm.Script extends a guarded proxy of it.
  const Script = exports.Script as Ctor | undefined;
  const Base = Script === undefined ? undefined : Object.getPrototypeOf(Script) as Ctor;
  if (Script !== undefined && Base !== undefined && Base !== Function.prototype as unknown) {
    const base = dropping(Base, positional(4), true);
    Object.setPrototypeOf(Script, base);
    replace(Base.prototype, 'constructor', base);
  }
  for (const [key, at] of [['compileFunction', 2], ['createScript', 1]] as const) {
    const f = exports[key];
    if (typeof f === 'function') replace(exports, key, dropping(f, inOptions(at), false));
  }
}
