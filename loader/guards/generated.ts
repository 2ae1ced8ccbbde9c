// Hardening of code generated at run time (SECNODE_HARDEN_GENERATED=1): eval, the Function
// constructors, node:vm, the REPL and the inspector protocol refuse to compile. Installed when hardening
// is asked for (and, for a REPL the program starts, under deny-interactive), and for the preview: with
// records on and hardening off, the same places run the code and record it (eval excepted, see below).
// With neither, nothing is installed: the program runs node's own functions.
import type { Context } from '../context.js';
import { enforcingRule } from '../../src/policy.js';
import { gateGenerated, gateInline } from '../gate/gate.js';
import { ownLoad } from '../gate/own-load.js';
import { previewGenerated } from './generated-preview.js';
import { replace, wrapMethod } from './patch.js';
import { preloadStackMapper } from '../stack.js';

type Like = { name: string; prototype?: unknown; length: number } | ((...args: unknown[]) => unknown);

/** Whether the generated-code guards go in: hardening (they refuse) or the preview (a sink or a subscriber at start: they record). */
export function guardingGenerated(ctx: Context): boolean {
  return ctx.settings.forced.hardenGenerated || ctx.auditor.active;
}

/** Code generated at run time (`code`: the strings it compiles): refused under hardening, else recorded in the preview. */
export function generatedCode(ctx: Context, source: string, code: readonly unknown[]): void {
  if (ctx.settings.forced.hardenGenerated) gateGenerated(ctx, source);
  else previewGenerated(ctx, source, code);
}

/**
 * A stand-in for a code-generating function or class that refuses every call (and every `new`) under
 * hardening, except while secnode itself loads a builtin (the REPL compiles a line of its own when it
 * loads); in the preview it records the call and runs it.
 */
function refuser(ctx: Context, source: string, like: Like, refuse = (args: readonly unknown[]): void => generatedCode(ctx, source, args)): (...args: unknown[]) => never {
  const stand = function refuse_(this: unknown, ...args: unknown[]): never {
    if (!ownLoad()) {
      refuse(args);
      if (ctx.settings.forced.hardenGenerated || typeof like !== 'function') throw new Error('unreachable');
    }
    return (new.target === undefined ? Reflect.apply(like as (...a: unknown[]) => unknown, this, args) : Reflect.construct(like as new (...a: unknown[]) => unknown, args, new.target)) as never;
  };
  Object.defineProperty(stand, 'name', { value: like.name });
  Object.defineProperty(stand, 'length', { value: like.length });
  if (like.prototype !== undefined) Object.defineProperty(stand, 'prototype', { value: like.prototype, writable: false });
  return stand;
}

/**
 * Replaces a class (or function) `owner[key]` with a refuser. The class's prototype (shared with the
 * stand-in) and every prototype above it up to `Object.prototype` get their `constructor` replaced as
 * well, so `X.prototype.constructor`, an instance's `constructor` and a base class (vm.Script's
 * ContextifyScript, vm.Module's subclasses) never lead back to a compiling constructor. With `bases` false
 * only the class's own prototype is changed (its bases, such as the REPL's readline Interface and
 * EventEmitter, compile nothing and stay node's).
 */
function refuseClass(ctx: Context, owner: object, key: string, source: string, refuse?: () => void, bases = true): void {
  const original = (owner as Record<string, unknown>)[key] as Like | undefined;
  if (typeof original !== 'function') return;
  replace(owner, key, refuser(ctx, source, original, refuse));
  const last = bases ? Object.prototype : Object.getPrototypeOf(original.prototype) as object | null;
  for (let proto = original.prototype as object | null; proto !== null && proto !== last; proto = Object.getPrototypeOf(proto) as object | null) {
    const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as Like | undefined;
    if (typeof ctor === 'function' && ctor !== Object) replace(proto, 'constructor', refuser(ctx, source, ctor, refuse));
  }
}

/**
 * The preview's stand-in for a Function constructor: a Proxy that forwards everything to node's
 * constructor, whose handler (itself a Proxy) records when a call or `new` looks up its trap. The
 * constructor then runs with no secnode frame on the stack, so the function it makes has the caller as
 * its origin, as under node: a dynamic `import()` in it resolves from the caller's file (prettier's
 * `new Function('m', 'return import(m)')`), and its stack traces name the caller. A wrapper function
 * would be that origin instead. The arguments are out of its reach: recorded once per call site.
 */
function observer(ctx: Context, source: string, ctor: object): object {
  const handler = new Proxy(Object.create(null) as object, {
    get(_target, key) {
      if (key === 'apply' || key === 'construct') previewGenerated(ctx, source, []);
      return undefined;
    },
  });
  const observed = new Proxy(ctor, handler);
  ORIGINALS.set(observed, ctor);
  return observed;
}

/** The preview's proxies and what they stand for, so that `Function.prototype.toString` shows node's text. */
const ORIGINALS = new WeakMap<object, object>();

/** `Function.prototype.toString` of a preview proxy (and of itself) gives node's own text (`function Function() { [native code] }`). */
function showOriginals(): void {
  const toString = Function.prototype.toString;
  const shown = new Proxy(toString, { apply: (target, self: unknown, args: unknown[]) => Reflect.apply(target, (typeof self === 'function' && ORIGINALS.get(self)) || self, args) });
  ORIGINALS.set(shown, toString);
  replace(Function.prototype, 'toString', shown);
}

/**
 * Replaces `eval` and the four Function constructors (also reachable through `.constructor`): refusers
 * under hardening, observers in the preview. The preview leaves `eval` alone: no stand-in can take the
 * place of a direct eval (which sees the caller's scope) without changing what it does.
 */
export function guardGeneratedGlobals(ctx: Context): void {
  if (!guardingGenerated(ctx)) return;
  const hardened = ctx.settings.forced.hardenGenerated;
  if (hardened) {
    preloadStackMapper();
    replace(globalThis, 'eval', refuser(ctx, 'eval', eval));
  }
  const kinds = [
    Function,
    Object.getPrototypeOf(async () => {}).constructor,
    Object.getPrototypeOf(function* gen() {}).constructor,
    Object.getPrototypeOf(async function* agen() {}).constructor,
  ] as { name: string; prototype: object; length: number }[];
  for (const ctor of kinds) {
    const stand = hardened ? refuser(ctx, `new ${ctor.name}`, ctor) : observer(ctx, `new ${ctor.name}`, ctor);
    replace(ctor.prototype, 'constructor', stand);
    if (ctor === Function) replace(globalThis, 'Function', stand);
  }
  if (!hardened) showOriginals();
}

/** The node:vm functions that compile or run code (the classes are handled by refuseClass). */
const VM_FUNCTIONS = ['compileFunction', 'runInContext', 'runInNewContext', 'runInThisContext', 'createScript'];
/** The node:vm classes that compile code, or (SyntheticModule) hold a module wrapper that does. */
const VM_CLASSES = ['Script', 'SourceTextModule', 'SyntheticModule', 'Module'];
/** What a vm.Script compiled elsewhere (inside Node, before the guard) could still run. */
const SCRIPT_RUNNERS = ['runInContext', 'runInNewContext', 'runInThisContext'];

/** Makes node:vm refuse to compile or run anything (the preview records what compiles; running a compiled script is not new code). */
export function guardVm(ctx: Context, exports: Record<string, unknown>): void {
  if (!guardingGenerated(ctx)) return;
  const script = (exports.Script as { prototype?: object } | undefined)?.prototype;
  if (script !== undefined && ctx.settings.forced.hardenGenerated) {
    for (const key of SCRIPT_RUNNERS) wrapMethod(script, key, (original) => refuser(ctx, `vm.Script#${key}`, original));
  }
  for (const key of VM_CLASSES) refuseClass(ctx, exports, key, `vm.${key}`);
  for (const key of VM_FUNCTIONS) {
    const original = exports[key] as Like | undefined;
    if (typeof original === 'function') replace(exports, key, refuser(ctx, `vm.${key}`, original));
  }
}

/**
 * A REPL the program starts evaluates what it reads (a socket, a stream) through a `vm` reference Node
 * took before secnode's guards: `repl.start` and `REPLServer` refuse under DI (interactive input, source
 * `repl`) and under hardening (code generated at run time).
 */
export function guardRepl(ctx: Context, exports: Record<string, unknown>): void {
  const interactive = enforcingRule('interactive', ctx.bits, ctx.settings.forced);
  if (interactive === null && !ctx.settings.forced.hardenGenerated) return;
  const refuse = (what: string) => (): void => {
    if (interactive !== null) gateInline(ctx, 'repl', 'repl');
    gateGenerated(ctx, what);
  };
  refuseClass(ctx, exports, 'REPLServer', 'repl.REPLServer', refuse('repl.REPLServer'), false);
  const start = exports.start as Like | undefined;
  if (typeof start === 'function') replace(exports, 'start', refuser(ctx, 'repl.start', start, refuse('repl.start')));
}

/**
 * The inspector protocol evaluates strings (`Runtime.evaluate`, `Runtime.compileScript`, breakpoint
 * conditions): under hardening an in-process `inspector.Session` cannot connect.
 */
export function guardInspectorSession(ctx: Context, exports: Record<string, unknown>): void {
  if (!guardingGenerated(ctx)) return;
  const proto = (exports.Session as { prototype?: object } | undefined)?.prototype;
  if (proto === undefined) return;
  for (const key of ['connect', 'connectToMainThread']) {
    wrapMethod(proto, key, (original) => refuser(ctx, `inspector.Session#${key}`, original));
  }
}
