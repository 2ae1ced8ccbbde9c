// secnode's entry inside the process (`--require`/`--import secnode/register`, or the secnode launcher).
import { fstatSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openForCheck } from '../src/check.js';
import { preloadOrder } from '../src/errors.js';
import { installBackend } from './backend.js';
import { contextFrom, readContextData, type Context } from './context.js';
import { gateEntry, gateInline, gateStream } from './gate.js';
import { preloadsInOrder, splitAroundSelf } from '../src/preloads.js';
import { refuseStart } from './refuse.js';
import { resolveEntry, startInput } from './start.js';

const INSTALLED = Symbol.for('secnode.installed');
const SELF = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(SELF), '..', '..');
const OWN_DEPS = /[/\\]node_modules[/\\](koffi|@koromix[/\\]koffi-[^/\\]+|source-map-support|source-map|buffer-from)[/\\]/;

const require = createRequire(import.meta.url);

/**
 * Which thread this is. Node replaces `process.chdir` in every worker before any user code runs, so the
 * main thread is known without loading `worker_threads` (which costs most of a millisecond at start-up).
 */
function thread(): 'main' | 'worker' | 'hooks' {
  if (process.chdir.name !== 'unavailableInWorker') return 'main';
  const wt = require('node:worker_threads') as { isInternalThread?: boolean; isMainThread: boolean; parentPort: unknown };
  if (wt.isMainThread) return 'main';
  return wt.isInternalThread ?? wt.parentPort === null ? 'hooks' : 'worker';
}

/** CommonJS modules already loaded that are not secnode's own: code that ran before it. */
function foreignLoaded(): string[] {
  const cache = (require('node:module') as { _cache: Record<string, unknown> })._cache;
  return Object.keys(cache).filter((f) => !f.startsWith(ROOT + sep) && !OWN_DEPS.test(f));
}

/** Checks what the process was started with: inline code, stdin, or the entry file. */
function gateStart(ctx: Context): void {
  const input = startInput(process.execArgv, process.argv[1],
    typeof (process as { _eval?: unknown })._eval === 'string',
    (process as { _forceRepl?: unknown })._forceRepl === true, () => (require('node:tty') as typeof import('node:tty')).isatty(0));
  if (input.kind === 'inline') gateInline(ctx, input.source === 'interactive' ? '-i' : input.source === 'print' ? '-p' : '-e', 'inline');
  else if (input.kind === 'stdin') gateStream(ctx, 0, input.source, 'stream', input.source);
  else if (input.kind === 'entry') {
    const path = ctx.entry ?? resolve(input.path);
    let fd: number;
    try {
      fd = openForCheck(path);
    } catch {
      return; // Node reports the missing entry itself.
    }
    try {
      if (fstatSync(fd).isFile()) gateEntry(ctx, fd, path);
      else gateStream(ctx, fd, input.path, 'path-stream', 'entry');
    } finally {
      closeSync(fd);
    }
  }
}

function boot(main: boolean): void {
  const base = readContextData(process.env);
  const preloads = preloadsInOrder(process.env.NODE_OPTIONS ?? '', process.execArgv, process.cwd());
  const { before, after } = splitAroundSelf(preloads, (p) => p.path === SELF);
  const script = main ? process.argv[1] : undefined;
  const entry = script !== undefined && script !== '-'
    ? resolveEntry(script, process.execArgv.includes('--preserve-symlinks-main')) : undefined;
  const data = {
    ...base,
    entry,
    preloads: after.flatMap((p) => (p.path === undefined ? [] : [p.path])),
  };
  const ctx = contextFrom(data);
  const named = new Set(before.map((p) => p.path));
  const earlier = [...before.map((p) => p.spec), ...foreignLoaded().filter((f) => !named.has(f))];
  if (earlier.length > 0 && ctx.enforcing) throw preloadOrder(earlier, ctx.hex);
  for (const p of after) if (/^(data|https?):/i.test(p.spec)) gateInline(ctx, p.spec.slice(0, 64), 'preload');
  installBackend(ctx, data);
  if (main) gateStart(ctx);
}

/**
 * Node 20 reruns `--require` preloads inside its hooks thread, where plain `node` (without hooks) never
 * runs them: skip them there, so output and side effects match `node` and no code runs unseen.
 */
function skipPreloadsInHooksThread(): void {
  const Module = require('node:module') as { _load: (...args: unknown[]) => unknown };
  const load = Module._load;
  Module._load = function secnodeHooksThreadLoad(this: unknown, ...args: unknown[]) {
    if ((args[1] as { id?: string } | undefined)?.id === 'internal/preload') return {};
    return Reflect.apply(load, this, args);
  };
}

const state = globalThis as { [INSTALLED]?: boolean };
const where = state[INSTALLED] === true ? undefined : thread();
if (where === 'hooks') {
  state[INSTALLED] = true;
  skipPreloadsInHooksThread();
} else if (where !== undefined) {
  state[INSTALLED] = true;
  try {
    boot(where === 'main');
  } catch (err) {
    refuseStart(err);
  }
}
