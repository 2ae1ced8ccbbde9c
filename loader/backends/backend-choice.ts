// Which hook backend a Node version gets (pure; shared by the loader and `secnodectl status`).
import { hasSafeSyncHooks, parseNodeVersion } from '../../src/node-features.js';

/** The backend names `status` reports. */
export type Backend = 'sync-hooks' | 'async-hooks+cjs';

/** Sync hooks where they carry the whole load path (hasSafeSyncHooks); async hooks and the CJS layer elsewhere. */
export function backendFor(version: string): Backend {
  return hasSafeSyncHooks(parseNodeVersion(version)) ? 'sync-hooks' : 'async-hooks+cjs';
}
