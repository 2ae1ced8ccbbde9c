// Chooses and installs the hook backend for this Node version.
import { register } from 'node:module';
import { preloadOptions, splitNodeOptions } from '../../src/preloads.js';
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
    // Only secnode's hooks run in this thread until the program registers its own (guards/hooks.ts guards
    // it then), unless loader modules (`--loader`) run there from the start.
    const loaders = [...preloadOptions(splitNodeOptions(process.env.NODE_OPTIONS ?? '')), ...preloadOptions(process.execArgv)]
      .some((p) => p.flag === 'loader');
    register(new URL('./hooks-async.cjs', import.meta.url), { data: { ...data, guardThread: loaders } });
  }
  guardHookRegistration(ctx, data, backend);
  return backend;
}
