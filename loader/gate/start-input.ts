// What the process was asked to run: inline code, a stream on stdin, or an entry file.
import { realpathSync } from '../../src/own-fs.js';
import { resolve } from 'node:path';
import { ownRequire } from '../../src/own-require.js';

/** The start input of a Node process, as seen from a preload on the main thread. */
export type StartInput =
  | { readonly kind: 'inline'; readonly source: 'eval' | 'print' | 'interactive' }
  | { readonly kind: 'stdin'; readonly source: 'stdin' | 'repl' }
  | { readonly kind: 'entry'; readonly path: string }
  | { readonly kind: 'none' };

const EVAL = new Set(['-e', '--eval']);
const PRINT = new Set(['-p', '--print', '-pe', '-ep']);
const NO_STDIN = new Set(['--test', '--watch', '--watch-path', '--snapshot-blob', '--build-snapshot', '--run', '-c', '--check']);

function has(execArgv: readonly string[], names: ReadonlySet<string>): boolean {
  return execArgv.some((t) => names.has(t) || names.has(t.slice(0, Math.max(0, t.indexOf('=')))));
}

/** Classifies the start input from execArgv, argv and Node's (undocumented) `_eval`/`_forceRepl` fields. */
export function startInput(execArgv: readonly string[], script: string | undefined, evalSet: boolean,
  forceRepl: boolean, stdinIsTty: () => boolean): StartInput {
  if (has(execArgv, PRINT)) return { kind: 'inline', source: 'print' };
  if (has(execArgv, EVAL)) return { kind: 'inline', source: 'eval' };
  if (script === '-') return { kind: 'stdin', source: 'stdin' };
  if (script !== undefined) return { kind: 'entry', path: script };
  if (forceRepl) return { kind: 'inline', source: 'interactive' };
  if (has(execArgv, NO_STDIN)) return { kind: 'none' };
  if (evalSet) return { kind: 'stdin', source: 'stdin' };
  return { kind: 'stdin', source: stdinIsTty() ? 'repl' : 'stdin' };
}

/** Resolves the entry the way Node's main loader does (extensions, index files, realpath); undefined if none. */
export function resolveEntry(script: string, preserveSymlinks: boolean): string | undefined {
  const absolute = resolve(script);
  const Module = ownRequire('node:module') as { _findPath(p: string, x: null, main: boolean): string | false };
  const found = Module._findPath(absolute, null, true);
  if (found === false) return undefined;
  if (preserveSymlinks) return found;
  try {
    return realpathSync(found);
  } catch {
    return found;
  }
}
