// Code attributed to a file runs only if that file passes the check: Module.prototype._compile.
import { createRequire } from 'node:module';
import { ownLoad } from '../gate/own-load.js';
import type { Context } from '../context.js';
import { gateGenerated } from '../gate/gate.js';
import { gateSupplied } from '../gate/supplied.js';
import { takeCommonJs, takeStartInputCompile } from '../gate/handover.js';

type Compile = (this: unknown, content: unknown, filename: unknown, ...rest: unknown[]) => unknown;

/** Decides on source compiled as CommonJS that secnode did not hand over itself. */
function attribute(ctx: Context, content: unknown, filename: string): void {
  if (takeCommonJs(filename, content) || takeStartInputCompile(filename)) return;
  // Node's pseudo files for inline code ([eval], [stdin], [worker eval]…): code generated at run time.
  if (/^\[[^\]/]+\]/.test(filename)) gateGenerated(ctx, filename.startsWith('[worker eval]') ? 'worker eval' : `Module._compile(${filename})`);
  else gateSupplied(ctx, filename, 'require');
}

/**
 * Guards `Module.prototype._compile`. Source that secnode itself handed over passes through; any other
 * content (a transpiler's output, a direct call) is attributed to its filename, which must pass the
 * check under enforcement. Programs may still set `_compile` (instrumentation does): their functions
 * are chained below the guard, which stays outermost and cannot be assigned away.
 */
export function guardCompile(ctx: Context): void {
  const proto = (createRequire(import.meta.url)('node:module') as { prototype: { _compile: Compile } }).prototype;
  const original = proto._compile;
  const chain: Compile[] = [original];
  let depth = 0;
  const guarded: Compile = function _compile(this: unknown, content, filename, ...rest) {
    if (depth === 0 && !ownLoad()) attribute(ctx, content, String(filename));
    const next = chain[chain.length - 1 - depth] ?? original;
    const saved = depth;
    // Node's own _compile runs the module, whose requires start again at the top of the chain.
    depth = next === original ? 0 : depth + 1;
    try {
      return Reflect.apply(next, this, [content, filename, ...rest]);
    } finally {
      depth = saved;
    }
  };
  Object.defineProperty(proto, '_compile', {
    get: () => guarded,
    set: (fn: unknown) => {
      if (typeof fn === 'function' && fn !== guarded) chain.push(fn as Compile);
    },
    enumerable: false,
    configurable: false,
  });
}
