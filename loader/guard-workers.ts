// Workers: a worker can never start without secnode; eval workers follow the generated-code policy.
import type { Context } from './context.js';

/** Patches worker_threads.Worker (TODO: helper). */
export function guardWorkers(_ctx: Context, _exports: Record<string, unknown>): void {}
