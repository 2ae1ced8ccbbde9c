// Child processes, the work behind the guards in children.ts (a lazily required chunk, loader/lazy.ts): the
// environment and options a child is started with, so a child Node process still gets secnode.
import { basename } from 'node:path';
import { optionRefused } from '../../src/errors.js';
import { neutralisedEnvVars, refusedStart } from '../../src/options.js';
import { isSealedCache } from '../../src/sealed-dir.js';
import type { Context } from '../context.js';
import { selfFirst, withSelfFirst } from '../self-first.js';

type Env = Record<string, string | undefined>;

/** Node programs by name: a child running one of these loads NODE_OPTIONS. */
const NODE_NAMES = new Set(['node', 'nodejs', 'secnode']);

/** The strengthen-only settings this process runs with, as the variables a child must see. */
function settingsVars(ctx: Context): Env {
  const { forced, emulate, audit } = ctx.settings;
  const vars: Env = {};
  if (forced.restrictFile) vars.SECNODE_RESTRICT_FILE = '1';
  if (forced.denyInteractive) vars.SECNODE_DENY_INTERACTIVE = '1';
  if (forced.hardenGenerated) vars.SECNODE_HARDEN_GENERATED = '1';
  if (emulate) vars.SECNODE_EMULATE_CHECK = '1';
  if (audit.length > 0) vars.SECNODE_AUDIT = audit.map((s) => (s.kind === 'file' ? `file:${s.path}` : s.kind)).join(',');
  return vars;
}

/** True when `env` names a compile cache that enforcement keeps off (not a sealed one) and nothing turns it off yet. */
function cacheToNeutralise(ctx: Context, env: Env): boolean {
  return env.NODE_DISABLE_COMPILE_CACHE === undefined && neutralisedEnvVars(env, ctx.bits, ctx.settings.forced).length > 0
    && !isSealedCache(env.NODE_COMPILE_CACHE);
}

/** True when `env` would start a Node process without secnode first or with weaker settings. */
export function envNeedsSecnode(ctx: Context, env: Env): boolean {
  if (!selfFirst(env.NODE_OPTIONS) || cacheToNeutralise(ctx, env)) return true;
  return Object.entries(settingsVars(ctx)).some(([k, v]) => (k === 'SECNODE_AUDIT' ? env[k] === undefined : env[k] !== v));
}

/**
 * A copy of `env` (own and inherited keys, as Node reads them) with secnode first in NODE_OPTIONS and the
 * forced settings kept; the caller's object is never changed. Returns `env` itself when nothing is missing.
 */
export function envWithSecnode(ctx: Context, env: Env): Env {
  if (!envNeedsSecnode(ctx, env)) return env;
  const copy: Env = {};
  for (const key in env) copy[key] = env[key]; // Node's spawn reads inherited keys too.
  restoreSecnode(ctx, copy);
  return copy;
}

/** How Node reads a child's environment: `spawn` (own and inherited keys), a `worker` and `execve` (own keys). */
export type EnvReader = 'spawn' | 'worker' | 'execve';

/**
 * The environment a child gets, read once, as Node would read it: its keys, each value read once and, where
 * Node turns values into text (spawn, a worker), turned into text here. secnode judges this copy and hands it to
 * Node in place of the program's object, so getters that answer a second read differently (NODE_OPTIONS with
 * secnode first to secnode, without it to Node) cannot start a child with what was not judged.
 */
export function envAsRead(env: object, reader: EnvReader): Env {
  const copy = Object.create(null) as Env;
  const source = env as Record<string, unknown>;
  const keys: string[] = [];
  if (reader === 'spawn') for (const key in source) keys.push(key); // Node's spawn reads inherited keys too.
  else keys.push(...Object.keys(source));
  for (const key of keys) {
    const value = source[key];
    copy[key] = reader === 'execve' || (reader === 'spawn' && value === undefined) ? value as string | undefined : `${value as string}`;
  }
  return copy;
}

/** Puts secnode first in `env.NODE_OPTIONS` and the forced settings into `env`, in place. */
export function restoreSecnode(ctx: Context, env: Env): void {
  env.NODE_OPTIONS = withSelfFirst(env.NODE_OPTIONS);
  if (cacheToNeutralise(ctx, env)) env.NODE_DISABLE_COMPILE_CACHE = '1';
  for (const [k, v] of Object.entries(settingsVars(ctx))) if (k !== 'SECNODE_AUDIT' || env[k] === undefined) env[k] = v;
}

/** True when `command` names a Node binary: this process's own, or one called node, nodejs or secnode. */
export function isNodeCommand(command: unknown): boolean {
  if (typeof command !== 'string' && !(command instanceof URL)) return false;
  const text = String(command);
  return text === process.execPath || NODE_NAMES.has(basename(text));
}

/** The words after the first Node program in a shell command line (quotes and escapes dropped), if one runs Node. */
function shellNodeArgs(line: string): string[] | undefined {
  const words = line.replace(/["'\\]/g, '').split(/[\s;&|()<>`]+/).filter((w) => w !== '');
  const at = words.findIndex((w) => isNodeCommand(w));
  return at < 0 ? undefined : words.slice(at + 1);
}

/** What a child is started with, as far as the table is concerned. */
interface ChildStart {
  /** Arguments after the program, when it is Node (its options come first). */
  readonly nodeArgs?: readonly unknown[] | undefined;
  /** A Node child's execArgv (fork). */
  readonly execArgv?: readonly unknown[] | undefined;
  readonly env: Env;
}

/**
 * Under enforcement, throws ERR_SECNODE_OPTION_REFUSED when a child would start with what this process's
 * own start would have refused: Node options in its arguments or execArgv, NODE_OPTIONS, or an unsafe
 * variable in its environment (for any program: the bits are inherited, and so is the environment).
 */
function refuseChild(ctx: Context, child: ChildStart): void {
  if (!ctx.enforcing) return;
  const refused = refusedStart({
    env: child.env, vars: true,
    ...(child.nodeArgs === undefined ? {} : { args: child.nodeArgs.map(String) }),
    ...(child.execArgv === undefined ? {} : { execArgv: child.execArgv.map(String) }),
  }, ctx.bits, ctx.settings.forced);
  if (refused) throw optionRefused(refused.name, `${refused.why} (enforced by ${refused.rule}; in a child process's start)`, ctx.hex);
}

/** Where a child_process function takes its options: after an optional args array, or first. */
export type Shape = 'args' | 'shell';

/** The options object (possibly absent) and its index in `argv`, for a call of the given shape. */
function optionsSlot(argv: unknown[], shape: Shape): number {
  if (shape === 'shell') return 1;
  const a = argv[1];
  return Array.isArray(a) || a === undefined || a === null ? 2 : 1;
}

/** Rewrites a call's arguments so a Node child (or any child, under enforcement) keeps secnode. */
export function guardCall(ctx: Context, argv: unknown[], shape: Shape, fork: boolean): unknown[] {
  const at = optionsSlot(argv, shape);
  const slot = argv[at];
  const options = typeof slot === 'object' && slot !== null ? slot as { env?: unknown; shell?: unknown; execArgv?: unknown } : undefined;
  if (slot !== undefined && slot !== null && typeof slot !== 'function' && options === undefined) return argv; // Node throws.
  // Each option secnode judges is read once, and Node gets what was read (a getter cannot answer twice).
  const { shell: shellOption, execArgv: execArgvOption, env: given } = options ?? {};
  const shell = shape === 'shell' || (shellOption !== undefined && shellOption !== false);
  const words = [argv[0], ...(Array.isArray(argv[1]) ? argv[1] : [])].map(String).join(' ');
  const node = fork || (shell ? shellNodeArgs(words) !== undefined : isNodeCommand(argv[0]));
  if (!node && !ctx.enforcing) return argv;
  const env = envAsRead(typeof given === 'object' && given !== null ? given : process.env, 'spawn');
  if (ctx.enforcing) {
    const args = Array.isArray(argv[1]) ? argv[1] as unknown[] : [];
    const execArgv = Array.isArray(execArgvOption) ? execArgvOption as unknown[] : process.execArgv;
    refuseChild(ctx, fork ? { execArgv, env }
      : shell ? { nodeArgs: shellNodeArgs(words), env }
        : { nodeArgs: isNodeCommand(argv[0]) ? args : shellArgs(argv[0], args), env });
  }
  // Node gets the copy secnode judged, whether or not it lacked anything.
  const out = [...argv];
  const fixed = { ...options, shell: shellOption, execArgv: execArgvOption, env: envWithSecnode(ctx, env) };
  if (typeof slot === 'function') out.splice(at, 0, fixed);
  else out[at] = fixed;
  return out;
}

/** `envPairs` (`KEY=value` strings) for a raw child of `file` with secnode kept, or undefined when nothing is missing; throws what the table refuses. */
function envPairsWithSecnode(ctx: Context, file: unknown, args: unknown, envPairs: unknown): string[] | undefined {
  if (!Array.isArray(envPairs) || (!ctx.enforcing && !isNodeCommand(file))) return undefined;
  const env: Env = {};
  for (const pair of envPairs as unknown[]) {
    const text = String(pair);
    const eq = text.indexOf('=');
    if (eq > 0 && !(text.slice(0, eq) in env)) env[text.slice(0, eq)] = text.slice(eq + 1);
  }
  const rest = Array.isArray(args) ? (args as unknown[]).slice(1) : [];
  refuseChild(ctx, { nodeArgs: isNodeCommand(file) ? rest : shellArgs(file, rest), env });
  if (!envNeedsSecnode(ctx, env)) return undefined;
  return Object.entries(envWithSecnode(ctx, env)).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
}

/** The Node arguments of a shell child (`sh -c LINE`, `bash -ec LINE`…), when its line runs Node. */
function shellArgs(file: unknown, args: readonly unknown[]): string[] | undefined {
  if (!/(^|\/)(ba|da|z|k|mk)?sh$/.test(String(file))) return undefined;
  const at = args.findIndex((a) => typeof a === 'string' && /^-[a-z]*c[a-z]*$/.test(a)); // -c, -ec, -xc…
  const line = at < 0 ? undefined : args[at + 1];
  return typeof line === 'string' ? shellNodeArgs(line) : undefined;
}

/**
 * The arguments of a raw spawn (`ChildProcess#spawn(options)`, the spawn_sync binding's `spawn(options)`,
 * the process_wrap handle's `spawn(options)`, or on Node 24+ `spawn(file, args, cwd, envPairs, …)`) with
 * secnode kept in the child's environment; the caller's objects are never changed.
 */
export function guardRawArgs(ctx: Context, argv: unknown[]): unknown[] {
  const [first] = argv;
  if (typeof first === 'string') {
    const envPairs = envPairsWithSecnode(ctx, first, argv[1], argv[3]);
    return envPairs === undefined ? argv : [...argv.slice(0, 3), envPairs, ...argv.slice(4)];
  }
  const o = first as { file?: unknown; args?: unknown; envPairs?: unknown } | null | undefined;
  if (typeof o !== 'object' || o === null) return argv;
  const envPairs = envPairsWithSecnode(ctx, o.file, o.args, o.envPairs);
  return envPairs === undefined ? argv : [{ ...o, envPairs }, ...argv.slice(1)];
}

/** What secnode's process.execve (children.ts) runs: `original` with the env a Node program replacing this one needs to keep secnode. */
export function execve(ctx: Context, original: (...a: unknown[]) => unknown, self: unknown, argv: unknown[]): unknown {
  const [file, args, given] = argv;
  if (!ctx.enforcing && !isNodeCommand(file)) return Reflect.apply(original, self, argv);
  // Node validates the environment it is given (an object): anything else it refuses as under node.
  if (given !== undefined && (typeof given !== 'object' || given === null)) return Reflect.apply(original, self, argv);
  const env = envAsRead(given ?? process.env, 'execve');
  const rest = Array.isArray(args) ? (args as unknown[]).slice(1) : [];
  refuseChild(ctx, { nodeArgs: isNodeCommand(file) ? rest : shellArgs(file, rest), env });
  return Reflect.apply(original, self, [file, args ?? [], envWithSecnode(ctx, env), ...argv.slice(3)]);
}
