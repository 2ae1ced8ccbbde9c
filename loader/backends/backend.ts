// Chooses and installs the hook backend for this Node version.
import type { Context, ContextData } from '../context.js';
import { installCjsLayer } from './cjs-layer.js';
import { installSyncHooks } from './hooks-sync.js';
import { backendFor, type Backend } from './backend-choice.js';
import { installGuards } from '../guards/guards.js';
import { SecnodeThread, threadAtStart } from './lazy-thread.js';
import { guardHookRegistration } from '../guards/hooks.js';

export { backendFor, type Backend } from './backend-choice.js';

/**
 * Installs the backend (and the guards); the async one gets the plain context data for its own thread.
 * `as`: how secnode was started in this thread, as the preload or by the library's `install()`.
 */
export function installBackend(ctx: Context, data: ContextData, main: boolean, as: 'preload' | 'install'): Backend {
  const backend = backendFor(process.version);
  const onBuiltin = installGuards(ctx, backend, main);
  let thread: SecnodeThread | undefined;
  if (backend === 'sync-hooks') {
    installSyncHooks(ctx, onBuiltin);
  } else {
    // Only secnode's hooks run in its thread until the program registers its own (guards/hooks.ts guards
    // it then), unless loader modules (`--loader`) run there from the start.
    thread = new SecnodeThread(data, data.loaders);
    installCjsLayer(ctx);
    if (data.loaders || threadAtStart(ctx, as === 'preload')) thread.start();
  }
  guardHookRegistration(ctx, data, thread);
  return backend;
}
