// Node options and channels that would load or run code out of secnode's sight.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { optionRefused } from '../src/errors.js';
import { splitNodeOptions } from '../src/preloads.js';
import type { Context } from './context.js';
import { pin } from './pin.js';
import { gateGenerated, gateInline } from './gate.js';

/** Which enforcement refuses an option: file (RF), interactive (DI), or either. */
type Governs = 'file' | 'interactive' | 'any';

/** Options refused under enforcement, by normalized name, with the reason in words. */
const REFUSED: ReadonlyMap<string, readonly [Governs, string]> = new Map(Object.entries({
  '--loader': ['file', 'loader modules run in Node\'s hooks thread, where secnode cannot check what they load'],
  '--experimental-loader': ['file', 'loader modules run in Node\'s hooks thread, where secnode cannot check what they load'],
  '--snapshot-blob': ['file', 'a snapshot blob holds code that Node deserializes without any check'],
  '--build-snapshot': ['file', 'a snapshot is built from code that Node loads without any check'],
  '--build-snapshot-config': ['file', 'a snapshot is built from code that Node loads without any check'],
  '--experimental-policy': ['file', 'a policy manifest changes how Node loads modules, out of secnode\'s sight'],
  '--policy-integrity': ['file', 'a policy manifest changes how Node loads modules, out of secnode\'s sight'],
  '--experimental-network-imports': ['file', 'code fetched over the network cannot be checked'],
  '--expose-internals': ['any', 'Node\'s internal modules bypass secnode\'s guards'],
  '--experimental-config-file': ['any', 'a config file sets Node options (preloads, loaders, the inspector) secnode cannot see'],
  '--experimental-default-config-file': ['any', 'a config file sets Node options (preloads, loaders, the inspector) secnode cannot see'],
  '--inspect': ['interactive', 'the inspector runs code sent over its socket'],
  '--inspect-brk': ['interactive', 'the inspector runs code sent over its socket'],
  '--inspect-wait': ['interactive', 'the inspector runs code sent over its socket'],
  '--inspect-brk-node': ['interactive', 'the inspector runs code sent over its socket'],
} satisfies Record<string, readonly [Governs, string]>));
/** Options whose next token is a value (code, a module name), never an option. */
const TAKES_VALUE = new Set(['-e', '--eval', '-p', '--print', '-pe', '-r', '--require', '--import']);

/** Node's spelling of an option token: the name before `=`, with `_` read as `-`. */
function optionName(token: string): string {
  const name = token.split('=', 1)[0] ?? token;
  return name.startsWith('--') ? `--${name.slice(2).replace(/_/g, '-')}` : name;
}

/** The option names in a token list, skipping the values of options that take code or a module. */
function optionNames(tokens: readonly string[]): string[] {
  const names: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const name = optionName(tokens[i] ?? '');
    names.push(name);
    if (TAKES_VALUE.has(name) && !(tokens[i] ?? '').includes('=')) i++;
  }
  return names;
}

/** The rule (bit or setting) that enforces `governs` in this process, or null when none does. */
function ruleFor(ctx: Context, governs: Governs): string | null {
  const rf = ctx.bits.restrictFile ? 'SECBIT_EXEC_RESTRICT_FILE' : ctx.settings.forced.restrictFile ? 'SECNODE_RESTRICT_FILE' : null;
  const di = ctx.bits.denyInteractive ? 'SECBIT_EXEC_DENY_INTERACTIVE' : ctx.settings.forced.denyInteractive ? 'SECNODE_DENY_INTERACTIVE' : null;
  return governs === 'file' ? rf : governs === 'interactive' ? di : rf ?? di;
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
 * `process.binding` reaches native parts below secnode's guards: under DI the inspector's raw `open`
 * (a copy is handed out whose `open` is refused); under RF the process spawners (they start children
 * below the child-process guard); with hardening, contextify (it compiles code). Installed only when
 * one of these applies.
 */
export function guardBindings(ctx: Context): void {
  const interactive = ruleFor(ctx, 'interactive');
  const file = ruleFor(ctx, 'file');
  const harden = ctx.settings.forced.hardenGenerated;
  if (interactive === null && file === null && !harden) return;
  const binding = (process as unknown as { binding: (name: string) => Record<string, unknown> }).binding;
  pin(process, 'binding', function binding_(this: unknown, name: string) {
    if (file !== null && (name === 'spawn_sync' || name === 'process_wrap')) {
      throw refused(ctx, `process.binding('${name}')`, 'it starts processes below the child-process guard', file);
    }
    if (harden && name === 'contextify') gateGenerated(ctx, "process.binding('contextify')");
    const raw = Reflect.apply(binding, this, [name]) as Record<string, unknown>;
    if (interactive === null || name !== 'inspector') return raw;
    return Object.freeze({ ...raw, open: () => gateInline(ctx, 'inspector', 'inline') });
  });
}

/** Refuses unsafe options (argv, NODE_OPTIONS, environment) at start-up under enforcement; guards SIGUSR1 and the compile cache. */
export function refuseUnsafeOptions(ctx: Context): void {
  if (!ctx.enforcing) return;
  const tokens = [...process.execArgv, ...splitNodeOptions(process.env.NODE_OPTIONS ?? '')];
  for (const name of optionNames(tokens)) {
    const [governs, why] = REFUSED.get(name) ?? [];
    const rule = governs === undefined ? null : ruleFor(ctx, governs);
    if (rule !== null && why !== undefined) throw refused(ctx, name, why, rule);
  }
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
      pin(module, 'enableCompileCache', function enableCompileCache(): never {
        throw refused(ctx, 'module.enableCompileCache()', cacheWhy, fileRule);
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
  pin(exports, 'open', function open_(this: unknown, ...args: unknown[]): unknown {
    gateInline(ctx, 'inspector', 'inline'); // throws: deny-interactive is enforced
    return Reflect.apply(open, this, args);
  });
}
