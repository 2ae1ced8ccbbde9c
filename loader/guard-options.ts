// Node options and channels that would load or run code out of secnode's sight.
import type { Context } from './context.js';

/** Refuses unsafe options at start-up under enforcement (TODO: helper). */
export function refuseUnsafeOptions(_ctx: Context): void {}

/** Patches inspector.open under deny-interactive (TODO: helper). */
export function guardInspector(_ctx: Context, _exports: Record<string, unknown>): void {}
