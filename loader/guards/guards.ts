// The guards around the side doors (workers, child processes, addons, options, inspector, generated
// code). Guards for builtins patch a builtin when it is first loaded (sync hooks see every builtin
// load), or at start-up on the async backend, so a program that never loads them pays nothing.
import { syncBuiltinESMExports } from 'node:module';
import type { Backend } from '../backends/backend-choice.js';
import { asOwnLoad } from '../gate/own-load.js';
import { refusesOrRecords, type Context } from '../context.js';
import { replace } from './patch.js';
import { guardAddons } from './addons.js';
import { guardCodeCache } from './code-cache.js';
import { guardChildProcesses, guardExecve } from './children.js';
import { guardCompile } from './compile.js';
import { guardGeneratedGlobals, guardInspectorSession, guardRepl, guardVm } from './generated.js';
import { guardShadowRealm } from './realms.js';
import { guardBindings, guardInspector, refuseUnsafeOptions } from './options.js';
import { guardCrypto, guardFfi, guardSqlite, guardTlsEngines } from './native.js';
import { guardWorkers } from './workers.js';
import { ownRequire as require } from '../../src/own-require.js';
import { enforcingRule } from '../../src/policy.js';
import { hideOwnFrames } from './own-frames.js';

/** Guards for builtins, by name, applied once to the builtin's exports object. */
const BUILTIN_GUARDS: Readonly<Record<string, (ctx: Context, exports: Record<string, unknown>) => void>> = {
  repl: guardRepl,
  child_process: guardChildProcesses,
  worker_threads: guardWorkers,
  inspector: guardInspectors,
  'inspector/promises': guardInspectors,
  vm: guardVms,
  sqlite: guardSqlite,
  crypto: guardCrypto,
  ffi: guardFfi,
};

/** Guards that need no exports, run when one of these builtins first loads (and at start-up where tlsEnginesAtStart says). */
const BUILTIN_TRIGGERS: Readonly<Record<string, (ctx: Context) => void>> = {
  tls: guardTlsEngines,
  https: guardTlsEngines,
  http2: guardTlsEngines,
  _tls_common: guardTlsEngines,
  _tls_wrap: guardTlsEngines,
};

/** node:vm's doors: V8 code cache (file enforcement) and compiling at all (hardening). */
function guardVms(ctx: Context, exports: Record<string, unknown>): void {
  guardCodeCache(ctx, exports);
  guardVm(ctx, exports);
}

/**
 * The guards that act in every run: they keep secnode in child processes and workers. The others refuse,
 * record or reroute only where something is refused or recorded (refusesOrRecords).
 */
const ALWAYS_ACTING: ReadonlySet<string> = new Set(['child_process', 'worker_threads']);

/** Builtins whose first load prints an ExperimentalWarning on some supported versions. */
const EXPERIMENTAL: ReadonlySet<string> = new Set(['sqlite', 'ffi']);

/** The inspector's doors: `open()` (interactive) and in-process sessions (generated code). */
function guardInspectors(ctx: Context, exports: Record<string, unknown>): void {
  guardInspector(ctx, exports);
  guardInspectorSession(ctx, exports);
}

/**
 * Whether the TLS engine guard goes in at start-up. A native SecureContext can be made with no builtin load a
 * hook sees: Node's fetch internals load at a `Headers` or `WebSocket`, or at a MessagePort's first message, and
 * their Agent (reachable at Symbol.for('undici.globalDispatcher.1')) takes `clientCertEngine`. So wherever an
 * engine load is refused (RF) or recorded, the guard is there from the start; on the async backend, where no hook
 * sees builtins load, wherever anything is refused or recorded (as the builtins' guards). With nothing to refuse
 * or record the guard would change nothing: it waits for tls, https, http2 to load (the sync-hooks backend), and
 * a program that only uses crypto never loads tls for it.
 */
function tlsEnginesAtStart(ctx: Context, backend: Backend): boolean {
  if (backend !== 'sync-hooks') return refusesOrRecords(ctx);
  return enforcingRule('file', ctx.bits, ctx.settings.forced) !== null || ctx.auditor.active;
}

/** Patches a builtin's exports when it is first loaded. */
export type OnBuiltin = (name: string) => void;

/** Runs the start-up guards and returns the hook for builtins as they load (`hooksThread`: in a hooks thread). */
export function installGuards(ctx: Context, backend: Backend, main: boolean, hooksThread = false): OnBuiltin {
  if (main) refuseUnsafeOptions(ctx);
  guardBindings(ctx);
  guardAddons(ctx);
  guardCompile(ctx);
  hideOwnFrames();
  guardExecve(ctx);
  guardGeneratedGlobals(ctx);
  guardShadowRealm(ctx);
  if (tlsEnginesAtStart(ctx, backend)) guardTlsEngines(ctx, true);
  const done = new Set<string>();
  /** Guards a builtin's exports the first time (true when it patched them now: their ES module views are then stale). */
  const guardBuiltin = (raw: string): boolean => {
    const name = raw.startsWith('node:') ? raw.slice(5) : raw;
    if (Object.hasOwn(BUILTIN_TRIGGERS, name)) BUILTIN_TRIGGERS[name]?.(ctx);
    const guard = Object.hasOwn(BUILTIN_GUARDS, name) ? BUILTIN_GUARDS[name] : undefined;
    if (guard === undefined || done.has(name)) return false;
    done.add(name);
    let exports: Record<string, unknown>;
    try {
      exports = asOwnLoad(() => require(`node:${name}`) as Record<string, unknown>);
    } catch {
      return false; // not in this Node version, or behind a flag this process lacks: the program cannot load it either
    }
    guard(ctx, exports);
    return true;
  };
  const onBuiltin: OnBuiltin = (raw) => {
    if (guardBuiltin(raw)) syncBuiltinESMExports();
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
    // With nothing to refuse or record, only the guards that always act: the others would change nothing, and
    // their builtins (crypto above all) cost milliseconds to load; process.getBuiltinModule still guards them.
    const repl = hardened || (!hooksThread && (ctx.bits.denyInteractive || ctx.settings.forced.denyInteractive));
    const acting = refusesOrRecords(ctx);
    let patched = false;
    for (const name of Object.keys(BUILTIN_GUARDS)) {
      // Loading an experimental builtin prints Node's warning: in a hooks thread (whose modules rarely load
      // sqlite or ffi) that warning would be secnode's, not the program's, so those stay unloaded there.
      if (!acting && !ALWAYS_ACTING.has(name)) continue;
      if ((name !== 'repl' || repl) && !(hooksThread && EXPERIMENTAL.has(name))) patched = guardBuiltin(name) || patched;
    }
    // One refresh of the builtins' ES module views for all of them (each costs 0.1-0.5 ms).
    if (patched) syncBuiltinESMExports();
  } else if (hardened) {
    // Builtins loaded later take their `vm` functions when they load: under hardening, guard vm first.
    onBuiltin('vm');
  }
  return onBuiltin;
}
