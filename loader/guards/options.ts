// Node options and channels that would load or run code out of secnode's sight.
import { syncBuiltinESMExports } from 'node:module';
import { enforcedBy, optionRefused } from '../../src/errors.js';
import { neutralisedEnvVars, refusedStart, ruleForOption, type Governs } from '../../src/options.js';
import { isSealedCache, unsealedCacheWhy } from '../../src/sealed-dir.js';
import type { Context } from '../context.js';
import { guardRawSpawn } from './children.js';
import { guardCrypto } from './native.js';
import { replace, wrapMethod } from './patch.js';
import { gateGenerated, gateInline } from '../gate/gate.js';
import { ownRequire } from '../../src/own-require.js';

/** The rule (bit or setting) that enforces `governs` in this process, or null when none does. */
function ruleFor(ctx: Context, governs: Governs): string | null {
  return ruleForOption(governs, ctx.bits, ctx.settings.forced);
}

/** The error for a refused option, naming the rule that enforced it. */
function refused(ctx: Context, option: string, why: string, rule: string): Error {
  return optionRefused(option, enforcedBy(why, rule), ctx.hex);
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
 * children as the child-process guard does; the crypto binding's `setEngine` (Node 20, 22) checks the
 * engine's file as `crypto.setEngine` does; under DI the inspector's raw `open` is refused; with hardening,
 * contextify (it compiles code) is generated code.
 */
export function guardBindings(ctx: Context): void {
  const interactive = ruleFor(ctx, 'interactive') !== null;
  const harden = ctx.settings.forced.hardenGenerated;
  wrapMethod(process, 'binding', (binding) => function binding_(this: unknown, ...args: unknown[]) {
    const [name] = args;
    if (harden && name === 'contextify') gateGenerated(ctx, "process.binding('contextify')");
    const raw = Reflect.apply(binding, this, args) as Record<string, unknown>;
    if (name === 'spawn_sync') guardRawSpawn(ctx, raw);
    if (name === 'crypto') guardCrypto(ctx, raw);
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

/** What Node answers from `module.enableCompileCache()` when the cache is disabled (Node 22.1+). */
function compileCacheDisabled(module: { constants?: { compileCacheStatus?: { DISABLED?: number } } }): object {
  return { status: module.constants?.compileCacheStatus?.DISABLED ?? 3, message: 'Disabled by NODE_DISABLE_COMPILE_CACHE' };
}

/**
 * Under file enforcement Node's compile cache stays off, never fatally, unless it is sealed (the operator's, a
 * directory the running user cannot change: src/sealed-dir.ts). NODE_COMPILE_CACHE is neutralised for children
 * (NODE_DISABLE_COMPILE_CACHE=1) unless sealed, and `module.enableCompileCache()` answers as Node does when the
 * cache is disabled, so tools that turn it on (eslint, prettier) keep working. A cache already on at start-up
 * that is not sealed (NODE_COMPILE_CACHE through `--require secnode/register`, which starts too late to turn it
 * off) would serve compiled code for checked files: that start is refused.
 */
function keepCompileCacheOff(ctx: Context, fileRule: string): void {
  const module = ownRequire('node:module') as {
    enableCompileCache?: unknown; getCompileCacheDir?: () => unknown; constants?: { compileCacheStatus?: { DISABLED?: number } };
  };
  if (typeof module.enableCompileCache !== 'function') return; // Node 20: no compile cache
  const dir = module.getCompileCacheDir?.();
  if (typeof dir === 'string') {
    const why = unsealedCacheWhy(dir);
    if (why === undefined) return; // sealed: Node's own answers (already enabled) stand
    throw refused(ctx, 'NODE_COMPILE_CACHE', `Node's compile cache is on and not sealed (${why}): it would run compiled code in place of the checked files; start through the secnode launcher, which turns it off, or seal it (secnodectl cache seal)`, fileRule);
  }
  if (neutralisedEnvVars(process.env, ctx.bits, ctx.settings.forced).length > 0 && !isSealedCache(process.env.NODE_COMPILE_CACHE)) {
    process.env.NODE_DISABLE_COMPILE_CACHE = '1';
  }
  const disabled = compileCacheDisabled(module);
  replace(module, 'enableCompileCache', function enableCompileCache(): object {
    return { ...disabled };
  });
  syncBuiltinESMExports();
}

/**
 * Refuses at start-up, under enforcement, what the table refuses in this process's start: options in
 * execArgv and NODE_OPTIONS (as Node parsed them, `--env-file` included), the `node inspect` subcommand,
 * and environment variables. Those Node acts on before any preload (inspector, linker, OpenSSL) have
 * acted already when secnode runs as a preload: only the launcher stops them before they act.
 * Also keeps the compile cache off (RF) and guards SIGUSR1 (DI).
 */
export function refuseUnsafeOptions(ctx: Context): void {
  if (!ctx.enforcing) return;
  const start = { execArgv: process.execArgv, args: process.argv[1] === 'inspect' ? ['inspect'] : [], env: process.env, vars: true };
  const option = refusedStart(start, ctx.bits, ctx.settings.forced);
  if (option) throw refused(ctx, option.name, option.why, option.rule);
  const fileRule = ruleFor(ctx, 'file');
  if (fileRule !== null) keepCompileCacheOff(ctx, fileRule);
  if (ruleFor(ctx, 'interactive') !== null) holdSigusr1(ctx);
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
