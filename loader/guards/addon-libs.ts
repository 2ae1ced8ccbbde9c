// An addon's own shared libraries: found the way the dynamic linker finds them (DT_RPATH, LD_LIBRARY_PATH,
// DT_RUNPATH, with $ORIGIN), each checked through its fd and mapped from that fd before the addon, so the
// linker matches the addon's DT_NEEDED names against these checked objects (by DT_SONAME) and searches
// nothing. Names not found there are the system's: loaded by name, left to the kernel's mmap-time policy.
import { closeSync, existsSync, readFileSync, readSync } from 'node:fs';
import { openForCheck } from '../../src/check.js';
import { ElfError, hostElf, readElfDynamic, type ElfDynamic } from '../../src/elf.js';
import type { Context } from '../context.js';
import { gateOpenFd } from '../gate/gate.js';

/** glibc's RTLD_NOLOAD and RTLD_NODELETE (the same on every Linux architecture; Node does not export them). */
const RTLD_NOLOAD = 0x4;
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

/** Reads an ELF object's dynamic section from an open fd. */
export function elfOf(fd: number): ElfDynamic | undefined {
  return readElfDynamic((position, length) => {
    const buf = Buffer.alloc(length);
    return buf.subarray(0, readSync(fd, buf, 0, length, position));
  });
}

/** True for Node's error about a library that holds no addon: the library itself was mapped. */
function selfRegisterError(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === 'ERR_DLOPEN_FAILED' &&
    err.message.startsWith('Module did not self-register');
}

/** Whether the dynamic linker already holds an object under this name (or with this SONAME). */
function loaded(map: MapLibrary, name: string): boolean {
  try {
    map(name, 1 | RTLD_NOLOAD);
    return true;
  } catch (err) {
    return selfRegisterError(err);
  }
}

/** Maps a library; a plain library (no addon in it) is the expected case. */
function mapPlain(run: () => void): void {
  try {
    run();
  } catch (err) {
    if (!selfRegisterError(err)) throw err;
  }
}

/** The environment the dynamic linker read at start-up (process.env may have changed since). */
let startLibraryPath: string | undefined | null = null;
function ldLibraryPath(): string | undefined {
  if (startLibraryPath === null) {
    const entry = readFileSync('/proc/self/environ', 'latin1').split('\0').find((e) => e.startsWith('LD_LIBRARY_PATH='));
    startLibraryPath = entry?.slice('LD_LIBRARY_PATH='.length);
  }
  return startLibraryPath;
}

/** The directory the linker's $ORIGIN names for an object opened as `path` (not resolved through symlinks). */
export function originOf(path: string): string {
  const absolute = path.startsWith('/') ? path : `${process.cwd()}/${path}`;
  const slash = absolute.lastIndexOf('/');
  return slash <= 0 ? '/' : absolute.slice(0, slash);
}

/**
 * Expands one search-path list as the linker does: `:`/`;` separated, `$ORIGIN`/`${ORIGIN}` replaced,
 * an empty entry meaning the current directory. Entries with other tokens (`$LIB`, `$PLATFORM`) are
 * returned as undefined: secnode cannot know their expansion.
 */
export function expandSearchPath(list: string, origin: string): (string | undefined)[] {
  return list.split(/[:;]/).map((entry) => {
    const dir = entry.replace(/\$(ORIGIN\b|\{ORIGIN\})/g, origin);
    if (dir.includes('$')) return undefined;
    return dir === '' ? '.' : dir;
  });
}

/** One object whose DT_NEEDED names are being resolved: where it is, and its search paths. */
interface Requester {
  readonly path: string;
  readonly elf: ElfDynamic;
  /** The objects that pulled this one in (their DT_RPATH applies too when this one has no DT_RUNPATH). */
  readonly loaders: readonly Requester[];
}

/** The directories the linker searches for `requester`'s needs, in its order. */
function searchDirs(l: LibraryLoader, requester: Requester): string[] {
  const lists: (string | undefined)[] = [];
  if (requester.elf.runpath === undefined) {
    for (const r of [requester, ...requester.loaders]) {
      if (r.elf.rpath !== undefined) lists.push(...expandSearchPath(r.elf.rpath, originOf(r.path)));
    }
  }
  const env = ldLibraryPath();
  if (env !== undefined) lists.push(...expandSearchPath(env, originOf(process.execPath)));
  if (requester.elf.runpath !== undefined) lists.push(...expandSearchPath(requester.elf.runpath, originOf(requester.path)));
  const dirs: string[] = [];
  for (const dir of lists) {
    if (dir === undefined || existsSync(`${dir}/glibc-hwcaps`)) {
      // Unknown tokens, or hardware-specific subdirectories the linker would choose among.
      if (!l.enforcing) throw new NotMatchable(`a search path of ${requester.path} cannot be reproduced`);
      if (dir === undefined) continue;
    }
    dirs.push(dir);
  }
  return dirs;
}

/** Opens the first `<dir>/<name>` that is an ELF object of this process's class and machine. */
function find(dirs: readonly string[], name: string): { path: string; fd: number; elf: ElfDynamic } | undefined {
  const host = hostElf();
  for (const dir of dirs) {
    const path = `${dir}/${name}`;
    let fd: number;
    try {
      fd = openForCheck(path);
    } catch {
      continue;
    }
    let elf: ElfDynamic | undefined;
    try {
      elf = elfOf(fd);
    } catch (err) {
      if (!(err instanceof ElfError)) {
        closeSync(fd);
        throw err;
      }
    }
    if (elf !== undefined && (host === undefined || (elf.elfClass === host.elfClass && elf.machine === host.machine))) {
      return { path, fd, elf };
    }
    closeSync(fd);
  }
  return undefined;
}

/**
 * Loads everything `requester` needs before it is mapped, leaves first: its own libraries checked and
 * mapped from their fds (recursively), system libraries by name. `seen` guards against cycles.
 */
export function loadNeeded(l: LibraryLoader, requester: Requester, flags: number, seen: Set<string>): void {
  const dirs = requester.elf.needed.some((n) => !seen.has(n)) ? searchDirs(l, requester) : [];
  for (const name of requester.elf.needed) {
    if (seen.has(name)) continue;
    seen.add(name);
    if (name.includes('/')) throw new NotMatchable(`${requester.path} needs ${name} by path, which the linker would open itself`);
    const own = find(dirs, name);
    if (own === undefined) {
      // A system library: the linker's own lookup (cache, default directories) and the kernel's policy.
      mapPlain(() => l.map(name, flags | RTLD_NODELETE));
      continue;
    }
    try {
      if (loaded(l.map, name)) continue; // the linker would reuse the object it already holds
      if (own.elf.soname !== name) {
        throw new NotMatchable(own.elf.soname === undefined
          ? `${own.path} has no DT_SONAME, so the linker could not match it to the checked copy`
          : `${own.path} is named ${own.elf.soname} (DT_SONAME), not ${name}, so the linker could not match it to the checked copy`);
      }
      gateOpenFd(l.ctx, own.fd, own.path, 'addon', l.ctx.auditor.active ? requester.path : undefined);
      loadNeeded(l, { path: own.path, elf: own.elf, loaders: [requester, ...requester.loaders] }, flags, seen);
      mapPlain(() => l.mapFd(own.fd, flags | RTLD_NODELETE));
    } finally {
      closeSync(own.fd);
    }
  }
}
