// Hardening of code generated at run time (SECNODE_HARDEN_GENERATED=1): eval, the Function
// constructors and node:vm refuse to compile. Installed only when hardening is asked for.
import type { Context } from '../context.js';
import { gateGenerated } from '../gate/gate.js';
import { replace } from './patch.js';
import { preloadStackMapper } from '../stack.js';

/** A stand-in for a code-generating function or class that refuses every call (and every `new`). */
function refuser(ctx: Context, source: string, like: { name: string; prototype?: unknown; length: number }): unknown {
  const stand = function refuse(): never {
    gateGenerated(ctx, source);
    throw new Error('unreachable');
  };
  Object.defineProperty(stand, 'name', { value: like.name });
  Object.defineProperty(stand, 'length', { value: like.length });
  if (like.prototype !== undefined) Object.defineProperty(stand, 'prototype', { value: like.prototype, writable: false });
  return stand;
}

/** Replaces `eval` and the four Function constructors (also reachable through `.constructor`). */
export function guardGeneratedGlobals(ctx: Context): void {
  if (!ctx.settings.forced.hardenGenerated) return;
  preloadStackMapper();
  replace(globalThis, 'eval', refuser(ctx, 'eval', eval));
  const kinds = [
    Function,
    Object.getPrototypeOf(async () => {}).constructor,
    Object.getPrototypeOf(function* gen() {}).constructor,
    Object.getPrototypeOf(async function* agen() {}).constructor,
  ] as { name: string; prototype: object; length: number }[];
  for (const ctor of kinds) {
    const stand = refuser(ctx, `new ${ctor.name}`, ctor);
    replace(ctor.prototype, 'constructor', stand);
    if (ctor === Function) replace(globalThis, 'Function', stand);
  }
}

/** The node:vm functions and classes that compile code. */
const VM_COMPILERS = ['Script', 'compileFunction', 'runInContext', 'runInNewContext', 'runInThisContext', 'SourceTextModule', 'createScript'];

/** Makes node:vm refuse to compile anything. */
export function guardVm(ctx: Context, exports: Record<string, unknown>): void {
  if (!ctx.settings.forced.hardenGenerated) return;
  for (const key of VM_COMPILERS) {
    const original = exports[key] as { name: string; prototype?: unknown; length: number } | undefined;
    if (typeof original === 'function') replace(exports, key, refuser(ctx, `vm.${key}`, original));
  }
}
