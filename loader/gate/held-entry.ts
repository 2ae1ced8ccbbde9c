// The entry's fd, opened and checked by the pre-start gate, kept open until Node loads the entry: the
// entry is opened and checked once, and read from that fd only while the file behind it is still the
// one that was checked. Never taken by the first turn of the event loop (Node 20 loads an ES module
// entry in its hooks thread), it is closed then.
import { type BigIntStats } from 'node:fs';
import { closeSync, fstatSync } from '../../src/own-fs.js';
import type { CheckResult } from '../../src/check.js';

let held: { filename: string; fd: number; result: CheckResult; stat: BigIntStats } | undefined;

/** Same inode, and not written to or changed since (size, mtime and ctime as at the check). */
function unchanged(a: BigIntStats, b: BigIntStats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** Closes the held fd, if any. */
function release(): void {
  if (held !== undefined) closeSync(held.fd);
  held = undefined;
}

/** Keeps the entry's checked fd (a regular file, `stat` its fstat before the check) for Node's load of the entry. */
export function holdEntry(filename: string, fd: number, result: CheckResult, stat: BigIntStats): void {
  release();
  held = { filename, fd, result, stat };
  setImmediate(release).unref();
}

/** The held fd and its check when `filename` is the entry and still the file checked; the caller closes it. */
export function takeEntry(filename: string): { fd: number; result: CheckResult } | undefined {
  if (held === undefined || held.filename !== filename) return undefined;
  const { fd, result, stat } = held;
  held = undefined;
  if (unchanged(stat, fstatSync(fd, { bigint: true }))) return { fd, result };
  closeSync(fd);
  return undefined;
}
