// An addon's own shared libraries: found the way the dynamic linker finds them (DT_RPATH, LD_LIBRARY_PATH,
// DT_RUNPATH, with $ORIGIN), each checked through its fd and mapped from that fd before the addon, so the
// linker matches the addon's DT_NEEDED names against these checked objects (by DT_SONAME) and searches
// nothing. Names not found there, or found in a system library directory, are the system's: loaded by
// name (or by that path), left to the kernel's mmap-time policy.
import { closeSync, readFileSync } from '../../src/own-fs.js';
import { dirname } from 'node:path';
import { openForCheck } from '../../src/check.js';
import { elfOf, findLibrary, isSystemDir, ldLibraryPath, searchDirs, type ElfObject } from '../../src/ld-path.js';
import type { Context } from '../context.js';
import { gateOpenFd } from '../gate/gate.js';

/** glibc's RTLD_NODELETE (the same on every Linux architecture; Node does not export it). */
const RTLD_NODELETE = 0x1000;

/** Maps a library with Node's original `process.dlopen` (it throws "did not self-register" for a plain library). */
export type MapLibrary = (name: string, flags: number) => void;

/** Why the fd route cannot reproduce what the dynamic linker would do for this addon. */
export class NotMatchable extends Error {}

/** What loading an addon's libraries needs from the guard. */
export interface LibraryLoader {
  readonly ctx: Context;
  /** Node's dlopen on a unique `/proc/self/fd/N` name for `fd`. */
  readonly mapFd: (fd: number, flags: number) => void;
  readonly map: MapLibrary;
  /** Under file enforcement: search paths secnode cannot expand are skipped instead of giving up. */
  readonly enforcing: boolean;
}


/** True for Node's error about a library that holds no addon: the library itself was mapped. */
function selfRegisterError(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === 'ERR_DLOPEN_FAILED' &&
    err.message.startsWith('Module did not self-register');
}

/**
 * The DT_SONAMEs of the ELF objects mapped in this process (from /proc/self/maps): the names the
 * dynamic linker matches a DT_NEEDED name against before it searches. (Asking the linker itself with
 * RTLD_NOLOAD crashes Node when the name exists on disk but is not loaded: dlopen fails with no error.)
 */
function loadedSonames(): Set<string> {
  const names = new Set<string>();
  const paths = new Set<string>();
  for (const line of readFileSync('/proc/self/maps', 'latin1').split('\n')) {
    const path = /^\S+ \S+ \S+ \S+ \S+\s+(\/.*)$/.exec(line)?.[1];
    if (path !== undefined && !path.endsWith(' (deleted)')) paths.add(path);
  }
  for (const path of paths) {
    let fd: number;
    try {
      fd = openForCheck(path);
    } catch {
      continue;
    }
    try {
      const soname = elfOf(fd)?.soname;
      if (soname !== undefined) names.add(soname);
    } catch {
      // not an ELF object this reader understands: nothing the linker would match by name
    } finally {
      closeSync(fd);
    }
  }
  return names;
}

/** Maps a library; a plain library (no addon in it) is the expected case. */
function mapPlain(run: () => void): void {
  try {
    run();
  } catch (err) {
    if (!selfRegisterError(err)) throw err;
  }
}

/** One load's state across the recursion. */
export interface Walk {
  /** Names already handled in this load (the cycle guard). */
  readonly seen: Set<string>;
  /** SONAMEs the linker holds, read when first needed. */
  held?: Set<string>;
}
/**
 * Loads everything `requester` needs before it is mapped, leaves first: its own libraries checked and
 * mapped from their fds (recursively), system libraries by name. `seen` guards against cycles.
 */
export function loadNeeded(l: LibraryLoader, requester: ElfObject, flags: number, walk: Walk): void {
  const { seen } = walk;
  let dirs: string[] = [];
  if (requester.elf.needed.some((n) => !seen.has(n))) {
    const search = searchDirs(requester, ldLibraryPath());
    if (!search.exact && !l.enforcing) throw new NotMatchable(`a search path of ${requester.path} cannot be reproduced`);
    dirs = search.dirs;
  }
  for (const name of requester.elf.needed) {
    if (seen.has(name)) continue;
    seen.add(name);
    if (name.includes('/')) throw new NotMatchable(`${requester.path} needs ${name} by path, which the linker would open itself`);
    const own = findLibrary(dirs, name);
    if (own === undefined) {
      // A system library: the linker's own lookup (cache, default directories) and the kernel's policy.
      mapPlain(() => l.map(name, flags | RTLD_NODELETE));
      continue;
    }
    try {
      walk.held ??= loadedSonames();
      if (walk.held.has(name)) continue; // the linker would reuse the object it already holds
      if (isSystemDir(dirname(own.path))) {
        // A system library named through RPATH/RUNPATH: the kernel's mmap-time policy, like the others.
        mapPlain(() => l.map(own.path, flags | RTLD_NODELETE));
        continue;
      }
      if (own.elf.soname !== name) {
        throw new NotMatchable(own.elf.soname === undefined
          ? `${own.path} has no DT_SONAME, so the linker could not match it to the checked copy`
          : `${own.path} is named ${own.elf.soname} (DT_SONAME), not ${name}, so the linker could not match it to the checked copy`);
      }
      gateOpenFd(l.ctx, own.fd, own.path, 'addon', l.ctx.auditor.active ? requester.path : undefined);
      loadNeeded(l, { path: own.path, elf: own.elf, loaders: [requester, ...requester.loaders] }, flags, walk);
      mapPlain(() => l.mapFd(own.fd, flags | RTLD_NODELETE));
      walk.held.add(name);
    } finally {
      closeSync(own.fd);
    }
  }
}
