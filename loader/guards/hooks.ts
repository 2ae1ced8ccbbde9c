// Hooks the program registers after secnode: code they supply for a file is attributed to that file.
// Sync hooks registered later run before secnode's own and may answer without it, so a verifier hook
// is registered above each of them. Async hooks (`module.register`) run in a hooks thread: secnode's
// async hooks are the first there (Node 20 registers them at start-up, later versions when the program
// first calls `register`), so hooks modules load through secnode's gate, and a verifier is registered
// above each program hooks module. On the sync backend they also sit below secnode's sync hook.
import { pathOfFileUrl } from '../../src/file-url.js';
import type { SecnodeThread } from '../backends/lazy-thread.js';
import type { Context, ContextData } from '../context.js';
import { gateSupplied } from '../gate/supplied.js';
import { replace } from './patch.js';
import { noteUserAsyncHooks, takeHandedOver, watchHandOvers } from '../gate/handover.js';
import { ownRequire } from '../../src/own-require.js';

interface LoadResult { format?: string | null | undefined; source?: unknown }
type Load = (url: string, context: object, next: (url: string, context: object) => LoadResult) => LoadResult;
type Register = (...args: unknown[]) => unknown;
interface ModuleApi { register: Register; registerHooks?: (hooks: { load?: Load }) => unknown }

/** Formats whose source is code (a `null` CommonJS source is read later by the CommonJS loader). */
function isCode(result: LoadResult): boolean {
  return result.format !== 'json' && result.format !== 'builtin' && result.source != null;
}

/**
 * Patches module.register and module.registerHooks so that later hooks cannot bypass the check.
 * `thread`: secnode's own hooks thread on the async backend (undefined on the sync one).
 */
export function guardHookRegistration(ctx: Context, data: ContextData, thread: SecnodeThread | undefined): void {
  const api = ownRequire('node:module') as ModuleApi;
  const register = api.register;
  const verifier: Load = (url, context, next) => {
    const result = next(url, context);
    if (!url.startsWith('file:') || !isCode(result)) return result;
    const filename = pathOfFileUrl(url);
    if (!takeHandedOver(filename, result.source)) gateSupplied(ctx, filename, 'import');
    return result;
  };
  let guarded = false;
  replace(api, 'register', function secnodeRegister(this: unknown, ...args: unknown[]) {
    if (!guarded) {
      if (thread === undefined) {
        // The program starts a hooks thread: secnode's own async hooks go first in it, so the program's
        // hooks module and everything it imports load through secnode's gate (and secnode guards that thread).
        Reflect.apply(register, api, [new URL('./hooks-async.cjs', import.meta.url), { data }]);
      } else if (!thread.started) {
        // secnode's thread was waiting for the first ES module: it starts now, guarded, before the program's hooks.
        thread.start(true);
      } else {
        // The thread secnode started (async backend) is about to run program code: guard it first.
        Reflect.apply(register, api, [new URL('./hooks-guard.cjs', import.meta.url), { data }]);
      }
    }
    guarded = true;
    const handle = Reflect.apply(register, this, args);
    if (thread === undefined) noteUserAsyncHooks();
    Reflect.apply(register, api, [new URL('./hooks-verifier.cjs', import.meta.url), { data }]);
    return handle;
  });
  const registerHooks = api.registerHooks;
  if (registerHooks !== undefined) {
    replace(api, 'registerHooks', function secnodeRegisterHooks(this: unknown, hooks: { load?: Load }) {
      const handle = Reflect.apply(registerHooks, this, [hooks]);
      watchHandOvers();
      Reflect.apply(registerHooks, api, [{ load: verifier }]);
      return handle;
    });
  }
}
