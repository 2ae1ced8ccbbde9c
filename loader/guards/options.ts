// Node options and channels that would load or run code out of secnode's sight.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { callRefused, optionRefused } from '../../src/errors.js';
import { optionNames, refusedOption, ruleForOption, type Governs } from '../../src/options.js';
import { splitNodeOptions } from '../../src/preloads.js';
import type { Context } from '../context.js';
import { guardRawSpawn } from './children.js';
import { replace, wrapMethod } from './patch.js';
import { gateGenerated, gateInline } from '../gate/gate.js';

/** The rule (bit or setting) that enforces `governs` in this process, or null when none does. */
function ruleFor(ctx: Context, governs: Governs): string | null {
  return ruleForOption(governs, ctx.bits, ctx.settings.forced);
}

/** The error for a refused option, naming the rule that enforced it. */
function refused(ctx: Context, option: string, why: string, rule: string): Error {
  return optionRefused(option, `${why} (enforced by ${rule})`, ctx.hex);
}


/** Makes `kill -USR1 <pid>` unable to open the inspector: a listener replaces Node's handler; it records and stays. */
function holdSigusr1(ctx: Context): void {
  const onSigusr1 = (): void => {
    try {
      gateInline(ctx, 'SIGUSR1 inspector', 'inline');
    } catch {
      // Refused (and recorded): the process goes on without an inspector.
    }
  };
  process.on('SIGUSR1', onSigusr1);
  // Removing the listener would give SIGUSR1 back to its default action (the process dies): put it back.
  process.on('removeListener', (event: unknown, listener: unknown) => {
    if (event === 'SIGUSR1' && listener === onSigusr1) process.on('SIGUSR1', onSigusr1);
  });
}

/**
 * `process.binding` reaches native parts below secnode's guards. They are guarded in place, on the very
 * objects node uses itself (so programs that patch them, like nyc's process-on-spawn, see node's shape):
 * the process spawners (`spawn_sync`'s `spawn`, `process_wrap`'s `Process#spawn`) keep secnode in their
 * children as the child-process guard does; under DI the inspector's raw `open` is refused; with
 * hardening, contextify (it compiles code) is generated code.
 */
export function guardBindings(ctx: Context): void {
  const interactive = ruleFor(ctx, 'interactive') !== null;
  const harden = ctx.settings.forced.hardenGenerated;
  wrapMethod(process, 'binding', (binding) => function binding_(this: unknown, ...args: unknown[]) {
    const [name] = args;
    if (harden && name === 'contextify') gateGenerated(ctx, "process.binding('contextify')");
    const raw = Reflect.apply(binding, this, args) as Record<string, unknown>;
    if (name === 'spawn_sync') guardRawSpawn(ctx, raw);
    if (name === 'process_wrap') {
      const proto = (raw.Process as { prototype?: unknown } | undefined)?.prototype;
      if (typeof proto === 'object' && proto !== null) guardRawSpawn(ctx, proto);
    }
    if (interactive && name === 'inspector') {
      wrapMethod(raw, 'open', () => function open(): unknown {
        return gateInline(ctx, 'inspector', 'inline'); // throws: deny-interactive is enforced
      });
    }
    return raw;
  });
}

/** Refuses unsafe options (argv, NODE_OPTIONS, environment) at start-up under enforcement; guards SIGUSR1 and the compile cache. */
export function refuseUnsafeOptions(ctx: Context): void {
  if (!ctx.enforcing) return;
  const names = optionNames([...process.execArgv, ...splitNodeOptions(process.env.NODE_OPTIONS ?? '')]);
  const option = refusedOption(names, ctx.bits, ctx.settings.forced);
  if (option) throw refused(ctx, option.name, option.why, option.rule);
  const fileRule = ruleFor(ctx, 'file');
  const module = createRequire(import.meta.url)('node:module') as { enableCompileCache?: unknown };
  if (fileRule !== null) {
    const cacheWhy = 'Node\'s compile cache holds compiled code that Node runs without any check';
    if (typeof module.enableCompileCache === 'function' && process.env.NODE_COMPILE_CACHE !== undefined) {
      throw refused(ctx, 'NODE_COMPILE_CACHE', cacheWhy, fileRule);
    }
    if (process.env.NODE_REPL_EXTERNAL_MODULE !== undefined) {
      throw refused(ctx, 'NODE_REPL_EXTERNAL_MODULE', 'the module is loaded in place of the REPL', fileRule);
    }
    if (typeof module.enableCompileCache === 'function') {
      replace(module, 'enableCompileCache', function enableCompileCache(): never {
        throw callRefused('module.enableCompileCache()', cacheWhy, ctx.hex, fileRule);
      });
      syncBuiltinESMExports();
    }
  }
  if (ruleFor(ctx, 'interactive') !== null) {
    holdSigusr1(ctx);
  }
}

/** Under deny-interactive, `inspector.open()` (and `inspector/promises`) throws ERR_SECNODE_INTERACTIVE_DENIED. */
export function guardInspector(ctx: Context, exports: Record<string, unknown>): void {
  if (ruleFor(ctx, 'interactive') === null || typeof exports.open !== 'function') return;
  const open = exports.open;
  replace(exports, 'open', function open_(this: unknown, ...args: unknown[]): unknown {
    gateInline(ctx, 'inspector', 'inline'); // throws: deny-interactive is enforced
    return Reflect.apply(open, this, args);
  });
}
