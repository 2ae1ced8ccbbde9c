// Code that someone other than secnode supplied for a file that passes: a hook's answer, a transpiler's
// output, a direct `Module.prototype._compile(code, filename)`. By default it is attributed to the file
// (the file must pass the check); under hardening it is code generated at run time, and refused.
import type { Subject } from '../../src/audit.js';
import type { Context } from '../context.js';
import { gateAttributed, gateGenerated } from './gate.js';

/** Decides on source supplied for `filename` that is not the checked bytes secnode handed over. */
export function gateSupplied(ctx: Context, filename: unknown, subject: Subject): void {
  if (ctx.settings.forced.hardenGenerated) gateGenerated(ctx, `source supplied for ${String(filename).slice(0, 200)}`);
  gateAttributed(ctx, filename, subject);
}

/**
 * True when `content` is what Node's type stripping makes of `source` (TypeScript run as CommonJS):
 * the same length, each character kept or blanked (or a `;` Node inserts). Only for TypeScript files.
 */
export function isTypeStripped(filename: string, source: string, content: unknown): boolean {
  if (typeof content !== 'string' || content.length !== source.length || !/\.[cm]?ts$/.test(filename)) return false;
  for (let i = 0; i < content.length; i++) {
    const c = content.charCodeAt(i);
    if (c !== source.charCodeAt(i) && c !== 0x20 && c !== 0x3b && c !== 0x0a) return false;
  }
  return true;
}
