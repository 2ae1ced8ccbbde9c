// Installing secnode in a process: read the bits and settings, check the preload order, install the
// hook backend, and gate what the process was started with.
import { writeSync } from '../src/own-fs.js';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonsDisabled, invalidConfig, preloadOrder, unsupportedNode } from '../src/errors.js';
import { readSecurebits } from '../src/kernel.js';
import { shFallbackWarning } from '../src/launchers.js';
import { isSupportedNode, supportedNodeWords } from '../src/node-features.js';
import { enforcingRule } from '../src/policy.js';
import { preloadsInOrder, splitAroundSelf } from '../src/preloads.js';
import { readSettings, type SettingsInput } from '../src/settings.js';
import { installBackend, type Backend } from './backends/backend.js';
import { contextFrom, type Context, type ContextData } from './context.js';
import { gateInline } from './gate/gate.js';
import { gateStart } from './gate/pre-start.js';
import { wrapMethod } from './guards/patch.js';
import { isRegisterFile, withSelfFirst } from './self-first.js';
import { resolveEntry } from './gate/start-input.js';
import { noteWorkerEntry } from './gate/subject.js';
import { ownRequire as require } from '../src/own-require.js';
import { lowerStackLimit, raiseStackLimit } from './guards/own-frames.js';
import { startOptionsLackSecnode } from './guards/workers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const OWN_DEPS = /[/\\]node_modules[/\\](koffi|@koromix[/\\]koffi-[^/\\]+|source-map-support|source-map|buffer-from)[/\\]/;

/** What `install()` reports. */
export interface Installed { readonly backend: Backend; readonly securebits: string; readonly enforcing: boolean }

let installed: { ctx: Context; backend: Backend } | undefined;

/** CommonJS modules already loaded that are not secnode's own: code that ran before it. */
function foreignLoaded(): string[] {
  const cache = (require('node:module') as { _cache: Record<string, unknown> })._cache;
  return Object.keys(cache).filter((f) => !f.startsWith(ROOT + sep) && !OWN_DEPS.test(f));
}

/** Puts secnode first in this process's NODE_OPTIONS, so child Node processes inherit it. */
function inheritToChildren(): void {
  process.env.NODE_OPTIONS = withSelfFirst(process.env.NODE_OPTIONS);
}

/** The thread's securebits; a refusal when Node forbids the addon secnode reads them through. */
function securebits(): number {
  try {
    return readSecurebits();
  } catch (e) {
    if ((e as { code?: unknown } | null)?.code === 'ERR_DLOPEN_DISABLED') throw addonsDisabled();
    throw e;
  }
}

/** In a worker, remembers the entry Node hands to Module.runMain, so records name it `worker`. */
function noteWorkerEntries(): void {
  wrapMethod(require('node:module') as object, 'runMain', (runMain) => function runMain_(this: unknown, ...args: unknown[]) {
    const [main] = args;
    if (typeof main === 'string') noteWorkerEntry(main.startsWith('file:') ? fileURLToPath(main) : resolve(main));
    const raised = raiseStackLimit();
    try {
      return Reflect.apply(runMain, this, args);
    } finally {
      lowerStackLimit(raised);
    }
  });
}

/** The rule that makes this context enforce (RF before DI), for refusals. */
function ruleOf(ctx: Context): string {
  const forced = ctx.settings.forced;
  return enforcingRule('file', ctx.bits, forced) ?? enforcingRule('interactive', ctx.bits, forced) ?? '';
}

/**
 * Installs secnode in this thread. As a preload it also refuses code that ran before it (under
 * enforcement) and gates the start input; from `install()` the caller is the program itself.
 */
export function boot(as: 'preload' | 'install', main: boolean, options: SettingsInput = {}): Installed {
  if (installed) {
    if (Object.values(options).some((v) => v !== undefined && v !== false)) {
      throw invalidConfig('install', JSON.stringify(options), 'no options: secnode is already installed in this process (settings apply at installation)');
    }
    return { backend: installed.backend, securebits: installed.ctx.hex, enforcing: installed.ctx.enforcing };
  }
  const base = { raw: securebits(), settings: readSettings(process.env, options) };
  const preloads = preloadsInOrder(process.env.NODE_OPTIONS ?? '', process.execArgv, process.cwd());
  const { before, after } = splitAroundSelf(preloads, (p) => isRegisterFile(p.path));
  const script = main && as === 'preload' ? process.argv[1] : undefined;
  const entry = script !== undefined && script !== '-'
    ? resolveEntry(script, process.execArgv.includes('--preserve-symlinks-main')) : undefined;
  const data: ContextData = {
    ...base, entry, preloads: after.flatMap((p) => (p.path === undefined ? [] : [p.path])), loaders: preloads.some((p) => p.flag === 'loader'),
  };
  const ctx = contextFrom(data);
  if (as === 'preload' && main && ctx.enforcing && ctx.settings.launcher === 'sh') writeSync(2, shFallbackWarning());
  if (ctx.enforcing && !isSupportedNode(process.versions.node)) throw unsupportedNode(process.version, supportedNodeWords(), ctx.hex, ruleOf(ctx));
  if (as === 'preload' && ctx.enforcing) {
    const named = new Set(before.map((p) => p.path));
    const earlier = [...before.map((p) => p.spec), ...foreignLoaded().filter((f) => !named.has(f))];
    if (earlier.length > 0) throw preloadOrder(earlier, ctx.hex);
  }
  if (as === 'preload') {
    for (const p of after) if (/^(data|https?):/i.test(p.spec)) gateInline(ctx, p.spec.slice(0, 64), 'preload');
  }
  // install(): this thread's start options do not load secnode, so its workers must not simply inherit them.
  if (as === 'install') startOptionsLackSecnode();
  const backend = installBackend(ctx, data, main, as);
  installed = { ctx, backend };
  if (main) inheritToChildren();
  else noteWorkerEntries();
  if (main && as === 'preload') gateStart(ctx);
  return { backend, securebits: ctx.hex, enforcing: ctx.enforcing };
}
