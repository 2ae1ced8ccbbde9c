// Which thread secnode is loading in, without loading worker_threads on the main thread.
import { ownRequire } from '../src/own-require.js';

/**
 * The kind of this thread. Node replaces `process.chdir` in every worker before any user code runs, so
 * the main thread is known without loading `worker_threads` (most of a millisecond at start-up).
 */
export function thread(): 'main' | 'worker' | 'hooks' {
  if (process.chdir.name !== 'unavailableInWorker') return 'main';
  const wt = ownRequire('node:worker_threads') as { isInternalThread?: boolean; isMainThread: boolean; parentPort: unknown };
  if (wt.isMainThread) return 'main';
  return wt.isInternalThread ?? wt.parentPort === null ? 'hooks' : 'worker';
}
