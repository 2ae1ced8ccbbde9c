// Workers: a worker can never start without secnode; eval workers follow the generated-code policy.
import { REGISTER_FILE } from '../self-first.js';
import type { Context } from '../context.js';
import { replace } from './patch.js';
import { generatedCode } from './generated.js';
import { children } from '../lazy.js';
import { optionRefused } from '../../src/errors.js';
import { refusedStart } from '../../src/options.js';

type Env = Record<string, string | undefined>;
interface WorkerOptions { eval?: unknown; execArgv?: unknown; env?: unknown }

/** `execArgv` with secnode's register as the first preload. */
function withRegister(execArgv: readonly unknown[]): unknown[] {
  return execArgv[0] === '--require' && execArgv[1] === REGISTER_FILE ? [...execArgv] : ['--require', REGISTER_FILE, ...execArgv];
}

let optionsLoadSecnode = true;

/**
 * Notes that this thread's own start options do not load secnode (the library's `install()`): a worker that
 * inherits them, as Node has it with no `execArgv` and no environment of its own, would start without secnode.
 */
export function startOptionsLackSecnode(): void {
  optionsLoadSecnode = false;
}

/**
 * The options a worker is really started with: secnode first in execArgv and in its environment. Node reads a
 * worker's NODE_OPTIONS only from an environment of its own (an object), so a worker that would inherit start
 * options without secnode gets one (a copy of this process's), or, sharing this process's environment, secnode
 * first in an execArgv made from this process's.
 */
function workerOptions(ctx: Context, shareEnv: unknown, options: WorkerOptions | undefined): WorkerOptions {
  const out: WorkerOptions = { ...options };
  const own = Array.isArray(out.execArgv);
  if (own) out.execArgv = withRegister(out.execArgv as unknown[]);
  const childEnv = children();
  if (out.env === shareEnv) {
    // The worker shares this process's environment: put back what secnode put there at start-up.
    if (childEnv.envNeedsSecnode(ctx, process.env)) childEnv.restoreSecnode(ctx, process.env);
    if (!own && !optionsLoadSecnode) out.execArgv = withRegister(process.execArgv);
  } else if (out.env === undefined || out.env === null) {
    if ((!own && !optionsLoadSecnode) || childEnv.envNeedsSecnode(ctx, process.env)) {
      out.env = childEnv.envWithSecnode(ctx, childEnv.envAsRead(process.env, 'worker'));
    }
  } else if (typeof out.env === 'object') {
    out.env = childEnv.envWithSecnode(ctx, out.env as Env);
  }
  return out;
}

/**
 * Under enforcement, throws ERR_SECNODE_OPTION_REFUSED when a worker would start with what this process's
 * own start would have refused: an option in its `execArgv`, or in the NODE_OPTIONS of its own `env`
 * (Node parses a worker's NODE_OPTIONS only when `env` is an object of its own).
 */
function refuseWorkerOptions(ctx: Context, shareEnv: unknown, opts: WorkerOptions | undefined): void {
  if (!ctx.enforcing || opts === undefined) return;
  const execArgv = Array.isArray(opts.execArgv) ? opts.execArgv.map(String) : undefined;
  const env = typeof opts.env === 'object' && opts.env !== null && opts.env !== shareEnv ? opts.env as Env : undefined;
  const nodeOptions = env?.NODE_OPTIONS;
  const refused = refusedStart({
    ...(execArgv === undefined ? {} : { execArgv }),
    ...(nodeOptions === undefined ? {} : { env: { NODE_OPTIONS: String(nodeOptions) } }),
  }, ctx.bits, ctx.settings.forced);
  if (refused) throw optionRefused(refused.name, `${refused.why} (enforced by ${refused.rule}; in a worker's options)`, ctx.hex);
}

/**
 * The worker's options with an environment of its own read once, as Node reads it: what secnode judges and
 * what Node copies are then the same (a getter cannot answer the two reads differently).
 */
function asRead(shareEnv: unknown, options: WorkerOptions | undefined): WorkerOptions | undefined {
  const env = options?.env;
  return typeof env === 'object' && env !== null && env !== shareEnv ? { ...options, env: children().envAsRead(env, 'worker') } : options;
}

/** Replaces worker_threads.Worker (node's descriptor kept) by a transparent proxy that starts every worker with secnode. */
export function guardWorkers(ctx: Context, exports: Record<string, unknown>): void {
  const Original = exports.Worker;
  if (typeof Original !== 'function') return;
  const shareEnv = exports.SHARE_ENV;
  const Worker = new Proxy(Original, {
    construct(target, args: unknown[], newTarget) {
      const [filename, options] = args;
      const name = String(filename);
      if (/^data:/i.test(name)) generatedCode(ctx, 'worker data: URL', [name]);
      if (options !== undefined && (typeof options !== 'object' || options === null)) return Reflect.construct(target, args, newTarget);
      const opts = asRead(shareEnv, options as WorkerOptions | undefined);
      if (opts?.eval === true) generatedCode(ctx, 'worker eval', [name]);
      refuseWorkerOptions(ctx, shareEnv, opts);
      return Reflect.construct(target, [filename, workerOptions(ctx, shareEnv, opts), ...args.slice(2)], newTarget);
    },
  });
  // `worker.constructor` and `Worker.prototype.constructor` must not lead back to the unguarded class.
  replace((Original as { prototype: object }).prototype, 'constructor', Worker);
  replace(exports, 'Worker', Worker);
}
