// V8 code cache handed to node:vm (`cachedData`) is compiled code that V8 runs in place of the source,
// and V8 matches it to the source by length only. A cache written by an attacker (v8-compile-cache keeps
// one in a temporary directory) would run code no file check ever saw. Under file enforcement every
// `cachedData` becomes an empty cache, which V8 rejects (`cachedDataRejected: true`): the source is
// compiled instead, and tools that keep such caches simply compile again.
import { enforcingRule } from '../../src/policy.js';
import type { Context } from '../context.js';
import { replace, wrapMethod } from './patch.js';

type Ctor = new (...args: unknown[]) => object;

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

/** A proxy of the class `C` whose constructions drop the cache (identity, statics and `instanceof` kept). */
function dropping<T extends object>(C: T, strip: Strip): T {
  return new Proxy(C, { construct: (t, args: unknown[], nt: Ctor) => Reflect.construct(t as unknown as Ctor, strip(args), nt) });
}

/**
 * Under file enforcement, node:vm ignores `cachedData`. vm.Script (and createScript) compile through the
 * native class vm.Script extends, which takes the cache as its fifth argument: vm.Script is made to extend
 * a guarded proxy of it (reachable as `Object.getPrototypeOf(vm.Script)` and through prototypes too), so
 * vm.Script itself stays node's. compileFunction and SourceTextModule compile inside Node: wrapped.
 */
export function guardCodeCache(ctx: Context, exports: Record<string, unknown>): void {
  if (enforcingRule('file', ctx.bits, ctx.settings.forced) === null) return;
  const Script = exports.Script as Ctor | undefined;
  const Base = Script === undefined ? undefined : Object.getPrototypeOf(Script) as Ctor;
  if (Script !== undefined && Base !== undefined && Base !== Function.prototype as unknown) {
    const base = dropping(Base, positional(4));
    Object.setPrototypeOf(Script, base);
    replace(Base.prototype, 'constructor', base);
  }
  const Module = exports.SourceTextModule;
  if (typeof Module === 'function') {
    const proxy = dropping(Module, inOptions(1));
    replace(Module.prototype as object, 'constructor', proxy);
    replace(exports, 'SourceTextModule', proxy);
  }
  const strip = inOptions(2);
  wrapMethod(exports, 'compileFunction', (original) => function compileFunction(this: unknown, ...args: unknown[]) {
    return Reflect.apply(original, this, strip(args));
  });
}
