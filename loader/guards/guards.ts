// The guards around the side doors (workers, child processes, addons, options, inspector, generated
// code). Guards for builtins patch a builtin when it is first loaded (sync hooks see every builtin
// load), or at start-up on the async backend, so a program that never loads them pays nothing.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { Backend } from '../backends/backend-choice.js';
import { asOwnLoad } from '../gate/own-load.js';
import type { Context } from '../context.js';
import { replace } from './patch.js';
import { guardAddons } from './addons.js';
import { guardChildProcesses, guardExecve } from './children.js';
import { guardCompile } from './compile.js';
import { guardGeneratedGlobals, guardInspectorSession, guardRepl, guardVm } from './generated.js';
import { guardShadowRealm } from './realms.js';
import { guardBindings, guardInspector, refuseUnsafeOptions } from './options.js';
import { guardWorkers } from './workers.js';

/** Guards for builtins, by name, applied once to the builtin's exports object. */
const BUILTIN_GUARDS: Readonly<Record<string, (ctx: Context, exports: Record<string, unknown>) => void>> = {
  repl: guardRepl,
  child_process: guardChildProcesses,
  worker_threads: guardWorkers,
  inspector: guardInspectors,
  'inspector/promises': guardInspectors,
  vm: guardVm,
};

/** The inspector's doors: `open()` (interactive) and in-process sessions (generated code). */
function guardInspectors(ctx: Context, exports: Record<string, unknown>): void {
  guardInspector(ctx, exports);
  guardInspectorSession(ctx, exports);
}

/** Patches a builtin's exports when it is first loaded. */
export type OnBuiltin = (name: string) => void;

/** Runs the start-up guards and returns the hook for builtins as they load (`hooksThread`: in a hooks thread). */
export function installGuards(ctx: Context, backend: Backend, main: boolean, hooksThread = false): OnBuiltin {
  if (main) refuseUnsafeOptions(ctx);
  guardBindings(ctx);
  guardAddons(ctx);
  guardCompile(ctx);
  guardExecve(ctx);
  guardGeneratedGlobals(ctx);
  guardShadowRealm(ctx);
  const require = createRequire(import.meta.url);
  const done = new Set<string>();
  const onBuiltin: OnBuiltin = (raw) => {
    const name = raw.startsWith('node:') ? raw.slice(5) : raw;
    const guard = BUILTIN_GUARDS[name];
    if (guard === undefined || done.has(name)) return;
    done.add(name);
    guard(ctx, asOwnLoad(() => require(`node:${name}`) as Record<string, unknown>));
    syncBuiltinESMExports();
  };
  const getBuiltinModule = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  if (getBuiltinModule !== undefined) {
    replace(process, 'getBuiltinModule', function secnodeGetBuiltinModule(this: unknown, id: string) {
      if (typeof id === 'string') onBuiltin(id);
      return Reflect.apply(getBuiltinModule, this, [id]);
    });
  }
  const hardened = ctx.settings.forced.hardenGenerated;
  if (backend !== 'sync-hooks') {
    // No hook sees builtins load here: guard them now (the REPL, a heavy module, only when it matters;
    // not in a hooks thread under DI alone, where loading it keeps Node 20 from ending after a failed hooks module).
    const repl = hardened || (!hooksThread && (ctx.bits.denyInteractive || ctx.settings.forced.denyInteractive));
    for (const name of Object.keys(BUILTIN_GUARDS)) if (name !== 'repl' || repl) onBuiltin(name);
  } else if (hardened) {
    // Builtins loaded later take their `vm` functions when they load: under hardening, guard vm first.
    onBuiltin('vm');
  }
  return onBuiltin;
}
