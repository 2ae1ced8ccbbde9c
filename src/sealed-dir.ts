// A sealed compile cache: a directory of Node's compile cache the running user cannot change, so under RF
// the code in it has the trust of the checked files it was made from (docs/performance.md). The launcher
// (runtime/secnode.c, unsealed_why) applies the same rule before Node starts; this one serves the preload,
// child processes and secnodectl.
import { constants, type Stats } from 'node:fs';
import { closeSync, lstatSync, openSync, readdirSync, realpathSync, statSync } from './own-fs.js';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mountOf } from './mounts.js';

/** Why a part of a sealed cache is not well owned (root's or `owner`'s, no group or other write), or undefined. */
function unsealedPart(st: Stats, owner: number, dir: boolean): string | undefined {
  if (dir ? !st.isDirectory() : !st.isFile()) return dir ? 'a part of it is not a directory' : 'an entry is not a regular file';
  if (st.uid !== 0 && st.uid !== owner) return 'a part of it is owned by someone other than root or the install\'s owner';
  if ((st.mode & 0o022) !== 0) return 'a part of it may be written by group or others';
  return undefined;
}

/** `/`, then each directory down to `real` (an absolute, resolved path). */
function pathParts(real: string): string[] {
  return real.split('/').map((_, i, all) => all.slice(0, i + 1).join('/') || '/');
}

/** Node's per-version directories in `dir` (checked as directories) and their files, as paths. */
function cacheEntries(dir: string): (readonly [string, boolean])[] {
  return readdirSync(dir).flatMap((d) => {
    const sub = join(dir, d);
    const files = lstatSync(sub).isDirectory() ? readdirSync(sub).map((f) => [join(sub, f), false] as const) : [];
    return [[sub, true] as const, ...files];
  });
}

/**
 * Why the compile cache directory `path` is not sealed for this process, or undefined when it is: `path` is
 * absolute with no symlink on it (Node opens it as given), it and every
 * directory above it, Node's per-version directories in it and their files are root's or the install owner's
 * (`owner`) with no group or other write, nothing below it is a symlink, and the running user could change none
 * of it: it owns no part and is not root, or the directory is on a read-only mount.
 */
export function unsealedWhy(path: string, owner: number): string | undefined {
  const euid = process.geteuid?.() ?? 0;
  let real: string;
  let mine = false;
  try {
    real = realpathSync(path);
    // Node opens the path as given: a symlink on it could be switched after this check.
    if (real !== path) return 'it is not an absolute path free of symlinks (name it as realpath(1) prints it)';
    for (const [name, dir] of [...pathParts(real).map((p) => [p, true] as const), ...cacheEntries(real)]) {
      const st = lstatSync(name);
      const why = unsealedPart(st, owner, dir);
      if (why !== undefined) return why;
      if (st.uid === euid) mine = true;
    }
  } catch {
    return 'it or a part of it cannot be read';
  }
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch {
    return 'it cannot be opened';
  }
  try {
    if ((mine || euid === 0) && mountOf(fd)?.readOnly !== true) {
      return 'the running user could change it (it owns a part of it, or is root) and it is not on a read-only mount';
    }
  } finally {
    closeSync(fd);
  }
  return undefined;
}

/** The install's owner: the owner of secnode's own code (this file, or the bundle it is part of). */
export function installOwner(): number {
  return statSync(fileURLToPath(import.meta.url)).uid;
}

/** Why `path` (a value of NODE_COMPILE_CACHE) does not name a sealed compile cache for this process (a relative one never does), or undefined. */
export function unsealedCacheDirWhy(path: string): string | undefined {
  return isAbsolute(path) ? unsealedWhy(path, installOwner()) : 'a relative path';
}

/** Whether `path` (a value of NODE_COMPILE_CACHE) names a sealed compile cache for this process. */
export function isSealedCache(path: string | undefined): boolean {
  return path !== undefined && unsealedCacheDirWhy(path) === undefined;
}

/** Why the compile cache Node runs with (`dir` from getCompileCacheDir: the configured directory's per-version one) is not sealed. */
export function unsealedCacheWhy(dir: string): string | undefined {
  return unsealedWhy(join(dir, '..'), installOwner());
}
