// Chooses and installs the hook backend for this Node version.
import { register } from 'node:module';
import type { Context, ContextData } from '../context.js';
import { installCjsLayer } from './cjs-layer.js';
import { installSyncHooks } from './hooks-sync.js';
import { backendFor, type Backend } from './backend-choice.js';
import { installGuards } from '../guards/guards.js';
import { guardHookRegistration } from '../guards/hooks.js';

export { backendFor, type Backend } from './backend-choice.js';

/** Installs the backend (and the guards); the async one gets the plain context data for its own thread. */
export function installBackend(ctx: Context, data: ContextData, main: boolean): Backend {
  const backend = backendFor(process.version);
  const onBuiltin = installGuards(ctx, backend, main);
  if (backend === 'sync-hooks') {
    installSyncHooks(ctx, onBuiltin);
  } else {
    installCjsLayer(ctx);
    register(new URL('./hooks-async.cjs', import.meta.url), { data });
  }
  guardHookRegistration(ctx, data, backend);
  return backend;
}
