// Naming what loads a file, for records and messages.
import type { Subject } from '../../src/audit.js';
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
