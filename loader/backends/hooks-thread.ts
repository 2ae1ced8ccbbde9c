// secnode inside a hooks thread (Node's `module.register` thread): what runs there passes the same gate.
// Hooks modules and their imports load through secnode's async hooks (registered first in that thread);
// `require()`, addons, workers, children and generated code there meet the same guards as elsewhere.
// A `register()` made inside the hooks thread is asynchronous there: its module still loads through
// secnode's hooks, but no verifier is stacked above it (see docs/threat-model.md, residual risks).
import { readSecurebits } from '../../src/kernel.js';
import type { Context } from '../context.js';
import { installGuards } from '../guards/guards.js';
import { installCjsLayer } from './cjs-layer.js';

let guarded = false;

/** Installs the CommonJS layer and the guards in this hooks thread (once). */
export function guardHooksThread(ctx: Context): void {
  if (guarded) return;
  guarded = true;
  readSecurebits(); // loads secnode's native module now, before process.dlopen is guarded in this thread
  installGuards(ctx, 'async-hooks+cjs', false, true);
  installCjsLayer(ctx);
}
