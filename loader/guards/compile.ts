// Code attributed to a file runs only if that file passes the check: Module.prototype._compile.
import { ownFileLoad } from '../gate/own-load.js';
import type { Context } from '../context.js';
import { generatedCode } from './generated.js';
import { gateSupplied } from '../gate/supplied.js';
import { takeCommonJs } from '../gate/handover.js';
import { takeStartInputCompile } from '../gate/pre-start.js';
import { hooksBack } from '../gate/hooks-aside.js';
import { wrapMethod } from './patch.js';
import { lowerStackLimit, raiseStackLimit } from './own-frames.js';
import { ownRequire } from '../../src/own-require.js';

/** Decides on source compiled as CommonJS that secnode did not hand over itself. */
function attribute(ctx: Context, content: unknown, filename: string): void {
  if (takeCommonJs(filename, content) || takeStartInputCompile(filename)) return;
  // Node's pseudo files for inline code ([eval], [stdin], [worker eval]…): code generated at run time.
  if (/^\[[^\]/]+\]/.test(filename)) generatedCode(ctx, filename.startsWith('[worker eval]') ? 'worker eval' : `Module._compile(${filename})`, [content]);
  else gateSupplied(ctx, filename, 'require');
}

/**
 * Guards `Module.prototype._compile`. Source that secnode itself handed over passes through; any other
 * content (a transpiler's output, a direct call) is attributed to its filename, which must pass the
 * check under enforcement. The property stays what node makes it (a writable, configurable, enumerable
 * data property): a program may install its own `_compile` and later put back the value it saved, as
 * v8-compile-cache and ts-node do. Whatever it installs can only reach this guard, never node's own.
 */
export function guardCompile(ctx: Context): void {
  const proto = (ownRequire('node:module') as { prototype: object }).prototype;
  wrapMethod(proto, '_compile', (original) => function _compile(this: unknown, ...args: unknown[]) {
    // A source Node had before secnode's direct CommonJS read (backends/cjs-direct.ts): the hook goes back first.
    hooksBack();
    const [content, filename] = args;
    if (!ownFileLoad(String(filename))) attribute(ctx, content, String(filename));
    const raised = raiseStackLimit();
    try {
      return Reflect.apply(original, this, args);
    } finally {
      lowerStackLimit(raised);
    }
  });
}
