// Code attributed to a file runs only if that file passes the check (Module.prototype._compile).
import type { Context } from './context.js';

/** Guards Module.prototype._compile (TODO). */
export function guardCompile(_ctx: Context): void {}
