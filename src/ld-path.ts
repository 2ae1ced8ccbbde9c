// How the dynamic linker finds the libraries an ELF object needs: DT_RPATH (when there is no DT_RUNPATH,
// also the loaders'), LD_LIBRARY_PATH, DT_RUNPATH, with $ORIGIN; and which directories are the system's.
// Used by the addon guard (to check an addon's own libraries before they are mapped) and by scan.
import { closeSync, existsSync, readdirSync, readFileSync, readSync, realpathNative } from './own-fs.js';
import { dirname, join } from 'node:path';
import { openForCheck } from './check.js';
import { ElfError, hostElf, readElfDynamic, type ElfDynamic } from './elf.js';

/** Reads an ELF object's dynamic section from an open fd. */
export function elfOf(fd: number): ElfDynamic | undefined {
  return readElfDynamic((position, length) => {
    const buf = Buffer.alloc(length);
    return buf.subarray(0, readSync(fd, buf, 0, length, position));
  });
}

/** LD_LIBRARY_PATH as the dynamic linker read it at start-up (process.env may have changed since). */
let startLibraryPath: string | undefined | null = null;
export function ldLibraryPath(): string | undefined {
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

let systemDirs: Set<string> | undefined;
/**
 * Whether `dir` is one of the system's library directories (the linker's defaults and those
 * /etc/ld.so.conf lists, compared resolved): a library found there is the system's, not an addon's own.
 */
export function isSystemDir(dir: string): boolean {
  if (systemDirs === undefined) {
    const triplet = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch as 'x64' | 'arm64'] ?? '';
    const dirs = ['/lib', '/usr/lib', '/lib64', '/usr/lib64', `/lib/${triplet}`, `/usr/lib/${triplet}`];
    readLdConf('/etc/ld.so.conf', dirs, 0);
    systemDirs = new Set();
    for (const d of dirs) {
      try {
        systemDirs.add(realpathNative(d));
      } catch {
        // absent here
      }
    }
  }
  try {
    return systemDirs.has(realpathNative(dir));
  } catch {
    return false;
  }
}

/** One object whose DT_NEEDED names are being resolved: where it is, and its search paths. */
export interface ElfObject {
  readonly path: string;
  readonly elf: ElfDynamic;
  /** The objects that pulled this one in (their DT_RPATH applies too when this one has no DT_RUNPATH). */
  readonly loaders: readonly ElfObject[];
}

/**
 * The directories the linker searches for `object`'s needs, in its order; `exact` is false when an
 * entry cannot be reproduced (unknown tokens, or glibc-hwcaps subdirectories the linker chooses among).
 */
export function searchDirs(object: ElfObject, libraryPath: string | undefined): { dirs: string[]; exact: boolean } {
  const lists: (string | undefined)[] = [];
  if (object.elf.runpath === undefined) {
    for (const r of [object, ...object.loaders]) {
      if (r.elf.rpath !== undefined) lists.push(...expandSearchPath(r.elf.rpath, originOf(r.path)));
    }
  }
  if (libraryPath !== undefined) lists.push(...expandSearchPath(libraryPath, originOf(process.execPath)));
  if (object.elf.runpath !== undefined) lists.push(...expandSearchPath(object.elf.runpath, originOf(object.path)));
  const dirs: string[] = [];
  let exact = true;
  for (const dir of lists) {
    if (dir === undefined || existsSync(`${dir}/glibc-hwcaps`)) exact = false;
    if (dir !== undefined) dirs.push(dir);
  }
  return { dirs, exact };
}

/** Opens the first `<dir>/<name>` that is an ELF object of this process's class and machine. */
export function findLibrary(dirs: readonly string[], name: string): { path: string; fd: number; elf: ElfDynamic } | undefined {
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
 * The shared libraries an ELF object (an addon) brings along, recursively: every DT_NEEDED name found
 * through its search paths outside the system's library directories. What the addon guard checks
 * before it maps the addon; `libraryPath` is the LD_LIBRARY_PATH of the process that would load it.
 */
export function ownLibraries(path: string, libraryPath?: string): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const visit = (object: ElfObject): void => {
    const { dirs } = searchDirs(object, libraryPath);
    for (const name of object.elf.needed) {
      if (seen.has(name) || name.includes('/')) continue;
      seen.add(name);
      const lib = findLibrary(dirs, name);
      if (lib === undefined) continue;
      closeSync(lib.fd);
      if (isSystemDir(dirname(lib.path))) continue;
      found.push(lib.path);
      visit({ path: lib.path, elf: lib.elf, loaders: [object, ...object.loaders] });
    }
  };
  let fd: number;
  try {
    fd = openForCheck(path);
  } catch {
    return found;
  }
  let elf: ElfDynamic | undefined;
  try {
    elf = elfOf(fd);
  } catch {
    elf = undefined;
  } finally {
    closeSync(fd);
  }
  if (elf !== undefined) visit({ path, elf, loaders: [] });
  return found;
}
