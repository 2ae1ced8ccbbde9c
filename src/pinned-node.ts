// The Node binaries the operator pinned for enforcement: <dist>/runtime/pinned-node, one absolute path a
// line. The static launcher reads the same file (runtime/secnode.c); this is its reader for secnodectl.
import { constants, type Stats } from 'node:fs';
import { closeSync, fstatSync, openSync, readFileSync, statSync } from './own-fs.js';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pin file's name inside <dist>/runtime (also compiled into the launcher as SN_PIN_FILE). */
export const PIN_FILE = 'pinned-node';

/** secnode's dist directory, from this file (dist/src/*.js or dist/loader/*.cjs). */
const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the launcher of this install looks for the pin file and for itself. */
export const INSTALL = {
  pinFile: join(DIST, 'runtime', PIN_FILE),
  launcher: join(DIST, 'runtime', 'secnode'),
} as const;

/** The pin file as the launcher judges it: the paths it names, or why the launcher would refuse to use it. */
export interface Pins { readonly file: string; readonly paths: readonly string[]; readonly problem: string | null }

/** Reads the pin file with the launcher's rules: owned by the install's owner or root, writable by nobody else. */
export function readPins(file = INSTALL.pinFile, launcher = INSTALL.launcher): Pins {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { file, paths: [], problem: code === 'ENOENT' ? 'no Node is pinned (the file does not exist)' : String(code) };
  }
  try {
    const st = fstatSync(fd);
    const owner = statOrUndefined(launcher)?.uid;
    if (!st.isFile()) return { file, paths: [], problem: 'not a regular file' };
    if (st.uid !== 0 && st.uid !== owner) return { file, paths: [], problem: "owned by a user other than the install's owner or root" };
    if ((st.mode & 0o022) !== 0) return { file, paths: [], problem: 'writable by group or others' };
    const paths = readFileSync(fd, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    if (paths.some((p) => !isAbsolute(p))) return { file, paths: [], problem: 'holds a line that is not an absolute path' };
    if (paths.length > 64) return { file, paths: [], problem: 'holds more than 64 Node binaries' };
    return { file, paths, problem: paths.length === 0 ? 'names no Node binary' : null };
  } finally {
    closeSync(fd);
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Whether `path` is the same file (device and inode) as one of the pinned binaries. */
export function isPinned(pins: Pins, path: string): boolean {
  const st = statOrUndefined(path);
  return st !== undefined && pins.paths.some((p) => {
    const q = statOrUndefined(p);
    return q !== undefined && q.dev === st.dev && q.ino === st.ino;
  });
}

/** The first executable `node` on PATH that is not the launcher itself, as the launcher finds it. */
export function nodeOnPath(path: string | undefined, launcher = INSTALL.launcher): string | undefined {
  const self = statOrUndefined(launcher);
  for (const dir of (path ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    const cand = join(dir === '' ? '.' : dir, 'node');
    const st = statOrUndefined(cand);
    if (st === undefined || !st.isFile() || (st.mode & 0o111) === 0) continue;
    if (self !== undefined && st.dev === self.dev && st.ino === self.ino) continue;
    return cand;
  }
  return undefined;
}

/** Which Node the launcher runs under enforcement with this PATH: the binary, or why it refuses (as runtime/secnode.c decides). */
export function nodeUnderEnforcement(path: string | undefined, pins = readPins()): { node: string | null; refused: string | null } {
  if (pins.problem !== null) return { node: null, refused: `no Node is pinned for enforcement: ${pins.file}: ${pins.problem}` };
  const chosen = nodeOnPath(path) ?? pins.paths.find((p) => statOrUndefined(p) !== undefined);
  const st = chosen === undefined ? undefined : statOrUndefined(chosen);
  if (chosen === undefined || st === undefined) return { node: null, refused: `the pinned Node does not exist: ${pins.paths[0] ?? ''}` };
  if (!isPinned(pins, chosen)) {
    return { node: null, refused: `${chosen} is not a Node the operator pinned for enforcement (${pins.file} names: ${pins.paths.join(', ')})` };
  }
  const owner = statOrUndefined(INSTALL.launcher)?.uid;
  return (st.uid !== 0 && st.uid !== owner) || (st.mode & 0o022) !== 0
    ? { node: null, refused: `${chosen}: the pinned Node binary may be changed by users other than the install's owner (owner or mode)` }
    : { node: chosen, refused: null };
}
