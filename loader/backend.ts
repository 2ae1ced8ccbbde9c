// Chooses and installs the hook backend for this Node version.
import { register } from 'node:module';
import type { Context, ContextData } from './context.js';
import { installCjsLayer } from './cjs-layer.js';
import { installSyncHooks } from './hooks-sync.js';

/** The backend names `status` reports. */
export type Backend = 'sync-hooks' | 'async-hooks+cjs';

/** Sync hooks work from Node 22.22.3 and 24 (earlier 22.x crash some apps; see NODE.md). */
export function backendFor(version: string): Backend {
  const [major = 0, minor = 0, patch = 0] = version.replace(/^v/, '').split('.').map(Number);
  if (major >= 24) return 'sync-hooks';
  if (major === 22 && (minor > 22 || (minor === 22 && patch >= 3))) return 'sync-hooks';
  return 'async-hooks+cjs';
}

/** Installs the backend; the async one gets the plain context data for its own thread. */
export function installBackend(ctx: Context, data: ContextData): Backend {
  const backend = backendFor(process.version);
  if (backend === 'sync-hooks') {
    installSyncHooks(ctx);
  } else {
    installCjsLayer(ctx);
    register(new URL('./hooks-async.js', import.meta.url), { data });
  }
  return backend;
}
