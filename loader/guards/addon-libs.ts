// An addon's own shared libraries: found the way the dynamic linker finds them (DT_RPATH, LD_LIBRARY_PATH,
// DT_RUNPATH, with $ORIGIN), each checked through its fd and mapped from that fd before the addon, so the
// linker matches the addon's DT_NEEDED names against these checked objects (by DT_SONAME) and searches
// nothing. Names not found there, or found in a system library directory, are the system's: loaded by
// name (or by that path), left to the kernel's mmap-time policy.
import { closeSync, existsSync, readdirSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openForCheck } from '../../src/check.js';
import { ElfError, hostElf, readElfDynamic, type ElfDynamic } from '../../src/elf.js';
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

/** The lines of an ld.so.conf file: directories, and `include` patterns (`dir/*.conf`) read in turn. */
function readLdConf(file: string, dirs: string[], depth: number): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return;
  }
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const include = /^include\s+(.+)$/.exec(line)?.[1];
    if (include !== undefined && depth < 4) {
      const dir = dirname(include);
      const suffix = /^\*(.*)$/.exec(include.slice(dir.length + 1))?.[1];
      if (suffix === undefined) readLdConf(include, dirs, depth + 1);
      else {
        try {
          for (const f of readdirSync(dir).filter((n) => n.endsWith(suffix)).sort()) readLdConf(join(dir, f), dirs, depth + 1);
        } catch {
          // no such directory
        }
      }
    } else if (line.startsWith('/')) dirs.push(line);
  }
}

/**
 * The system's library directories (the linker's defaults and those /etc/ld.so.conf lists), resolved:
 * a library found there through an addon's RPATH/RUNPATH is the system's, not the addon's own.
 */
let systemDirs: Set<string> | undefined;
function isSystemDir(dir: string): boolean {
  if (systemDirs === undefined) {
    const triplet = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch as 'x64' | 'arm64'] ?? '';
    const dirs = ['/lib', '/usr/lib', '/lib64', '/usr/lib64', `/lib/${triplet}`, `/usr/lib/${triplet}`];
    readLdConf('/etc/ld.so.conf', dirs, 0);
    systemDirs = new Set();
    for (const d of dirs) {
      try {
        systemDirs.add(realpathSync.native(d));
      } catch {
        // absent here
      }
    }
  }
  try {
    return systemDirs.has(realpathSync.native(dir));
  } catch {
    return false;
  }
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
export function loadNeeded(l: LibraryLoader, requester: Requester, flags: number, walk: Walk): void {
  const { seen } = walk;
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
