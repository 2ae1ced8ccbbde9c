// Naming what loads a file, for records and messages.
import type { Subject } from '../src/audit.js';
import type { Context } from './context.js';

/** The subject for a file loaded by `how`: the entry and named preloads keep their own names. */
export function subjectOf(ctx: Context, filename: string, how: Subject): Subject {
  if (filename === ctx.entry) return 'entry';
  return ctx.preloads.includes(filename) ? 'preload' : how;
}
