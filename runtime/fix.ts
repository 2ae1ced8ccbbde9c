// Adding x bits to a file inside given roots, for `scan --fix` and `report --fix`: real paths compared,
// the file opened without following a last symlink, the fd's own path checked again, the mode restored
// when the check still fails with the x bits.
import { closeSync, constants, fchmodSync, fstatSync, openSync, readlinkSync, realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { checkOpenFd } from '../src/check.js';

/** One change made by --fix (or refused, with the reason). */
export interface Fix { readonly path: string; readonly from: string; readonly to: string; readonly done: boolean; readonly note: string }

const oct = (m: number) => (m & 0o7777).toString(8).padStart(4, '0');

/** The real paths of the roots (throws for a root that does not exist). */
export function realRoots(roots: readonly string[]): string[] {
  return roots.map((r) => realpathSync(r));
}

/** Whether a real path is one of the (real) roots or below one. */
export function insideRoots(path: string, roots: readonly string[]): boolean {
  return roots.some((r) => path === r || path.startsWith(r.endsWith(sep) ? r : r + sep));
}

/** Adds x bits wherever r bits are (u, g, o) to `path` when its real path is inside one of the real `roots`; re-checks through the fd. */
export function fixExecBits(path: string, roots: readonly string[], mode = '?'): Fix {
  const skip = (note: string): Fix => ({ path, from: mode, to: mode, done: false, note });
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return skip('no longer exists: skipped');
  }
  if (!insideRoots(real, roots)) return skip(real === path ? 'outside the given roots: not changed' : `leads out of the roots (to ${real}): not changed`);
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    return skip(`cannot be opened (${(e as NodeJS.ErrnoException).code ?? 'error'}): not changed`);
  }
  try {
    if (!insideRoots(readlinkSync(`/proc/self/fd/${fd}`), roots)) return skip('moved out of the roots while fixing: not changed');
    const st = fstatSync(fd);
    if (!st.isFile()) return skip('not a regular file');
    const before = st.mode & 0o7777;
    const next = before | ((before & 0o444) >> 2) | 0o100;
    if (next === before) {
      const passes = checkOpenFd(fd, real, false).outcome === 'allowed';
      return { path, from: oct(before), to: oct(before), done: false, note: passes ? 'already passes the check: not changed' : 'refused with x bits already set (an LSM or mount): not changed' };
    }
    fchmodSync(fd, next);
    if (checkOpenFd(fd, real, false).outcome === 'allowed') return { path, from: oct(before), to: oct(next), done: true, note: '' };
    fchmodSync(fd, before);
    return { path, from: oct(before), to: oct(before), done: false, note: 'still refused with x bits (an LSM or mount): mode restored' };
  } finally {
    closeSync(fd);
  }
}
