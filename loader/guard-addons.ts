// Native addons (.node): checked through an fd, and the library mapped is the file that was checked.
import type { Context } from './context.js';

/** Patches process.dlopen (TODO: helper). */
export function guardAddons(_ctx: Context): void {}
