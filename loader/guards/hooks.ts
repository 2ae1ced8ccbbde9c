// Hooks the program registers after secnode: code they supply for a file is attributed to that file.
// Sync hooks registered later run before secnode's own and may answer without it, so a verifier hook
// is registered above each of them; async hooks sit below secnode's sync hook on Node 24 (so it sees
// their results), and on Node 20 secnode's verifier hooks are registered above them.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../backends/backend-choice.js';
import type { Context, ContextData } from '../context.js';
import { gateAttributed } from '../gate/gate.js';
import { replace } from './patch.js';
import { noteUserAsyncHooks, takeHandedOver, watchHandOvers } from '../gate/handover.js';

interface LoadResult { format?: string | null | undefined; source?: unknown }
type Load = (url: string, context: object, next: (url: string, context: object) => LoadResult) => LoadResult;
type Register = (...args: unknown[]) => unknown;
interface ModuleApi { register: Register; registerHooks?: (hooks: { load?: Load }) => unknown }

/** Formats whose source is code (a `null` CommonJS source is read later by the CommonJS loader). */
function isCode(result: LoadResult): boolean {
  return result.format !== 'json' && result.format !== 'builtin' && result.source != null;
}

/** Patches module.register and module.registerHooks so that later hooks cannot bypass the check. */
export function guardHookRegistration(ctx: Context, data: ContextData, backend: Backend): void {
  const api = createRequire(import.meta.url)('node:module') as ModuleApi;
  const register = api.register;
  const verifier: Load = (url, context, next) => {
    const result = next(url, context);
    if (!url.startsWith('file:') || !isCode(result)) return result;
    const filename = fileURLToPath(url);
    if (!takeHandedOver(filename, result.source)) gateAttributed(ctx, filename, 'import');
    return result;
  };
  replace(api, 'register', function secnodeRegister(this: unknown, ...args: unknown[]) {
    const handle = Reflect.apply(register, this, args);
    if (backend === 'sync-hooks') noteUserAsyncHooks();
    else Reflect.apply(register, api, [new URL('./hooks-verifier.cjs', import.meta.url), { data }]);
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
