// Which thread secnode is loading in, without loading worker_threads on the main thread. It sits in the early
// chunk (rolldown.config.mjs) with nothing of the shared code: Node's hooks thread decides here without it.
import { createRequire } from 'node:module';

/** Node's `process.getBuiltinModule`, taken as this chunk loads (before any program code): a program's replacement or spy never sees secnode's lookups. */
const getBuiltinModule = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;

/**
 * A builtin module, without the shared code's `require`: Node's `process.getBuiltinModule`, or on a Node that
 * lacks it (18, outside the supported range, which runs with no bits) a `require` of this file's own.
 */
export function earlyBuiltin(id: string): unknown {
  return typeof getBuiltinModule === 'function' ? Reflect.apply(getBuiltinModule, process, [id]) : createRequire(import.meta.url)(id);
}

/**
 * The kind of this thread. Node replaces `process.chdir` in every worker before any user code runs, so
 * the main thread is known without loading `worker_threads` (most of a millisecond at start-up).
 */
export function thread(): 'main' | 'worker' | 'hooks' {
  if (process.chdir.name !== 'unavailableInWorker') return 'main';
  const wt = earlyBuiltin('node:worker_threads') as { isInternalThread?: boolean; isMainThread: boolean; parentPort: unknown };
  if (wt.isMainThread) return 'main';
  return wt.isInternalThread ?? wt.parentPort === null ? 'hooks' : 'worker';
}
