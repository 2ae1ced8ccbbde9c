// Naming what loads a file, for records and messages.
import type { Subject } from '../../src/audit.js';
import { flagOn } from '../../src/options.js';
import { ownRequire } from '../../src/own-require.js';
import type { Context } from '../context.js';

let workerEntry: string | undefined;

/** Notes the entry file of this worker thread (Node passes it to Module.runMain). */
export function noteWorkerEntry(filename: string): void {
  workerEntry = filename;
}

/** The subject for a file loaded by `how`: the entry, a worker's entry and named preloads keep their own names. */
export function subjectOf(ctx: Context, filename: string, how: Subject): Subject {
  if (filename === ctx.entry) return 'entry';
  if (filename === workerEntry) return 'worker';
  return ctx.preloads.includes(filename) ? 'preload' : how;
}

let pendingDeprecation: boolean | undefined;

/** The module whose children list `module` (Node lists a module among the children of each module that requires it). */
function listedBy(module: object): { filename?: unknown } | undefined {
  const cache = (ownRequire('node:module') as { _cache: Record<string, { children?: unknown } | undefined> })._cache;
  return Object.values(cache).find((m) => Array.isArray(m?.children) && m.children.includes(module)) as { filename?: unknown } | undefined;
}

/**
 * The file of the module that required `module`, for records (undefined without an audit sink). Node's
 * `module.parent` getter prints DEP0144 under --pending-deprecation, where node itself reads nothing: then the
 * parent is looked up among the loaded modules' children instead.
 */
export function parentFileOf(ctx: Context, module: unknown): string | undefined {
  if (!ctx.auditor.active || typeof module !== 'object' || module === null) return undefined;
  pendingDeprecation ??= flagOn('--pending-deprecation', process.execArgv, process.env.NODE_OPTIONS, process.env.NODE_PENDING_DEPRECATION?.startsWith('1') === true);
  const parent = pendingDeprecation ? listedBy(module) : (module as { parent?: { filename?: unknown } | null }).parent;
  const file = parent?.filename;
  return typeof file === 'string' ? file : undefined;
}
