// The only module that talks to libc (through koffi): securebits, the exec check, execv.
import { closeSync, existsSync, realpathNative } from './own-fs.js';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AT_EMPTY_PATH, AT_EXECVE_CHECK, PR_GET_SECUREBITS, PR_SET_SECUREBITS, SYS_EXECVEAT,
} from './constants.js';

type Fn = (...args: unknown[]) => number;
interface Libc { prctl: Fn; execveat: Fn; errno: () => number; func(decl: string): Fn }

let libc: Libc | undefined;

type Koffi = { load(name: string): { func(decl: string): Fn }; errno(): number };

/** The first `<dir>/node_modules/<rel>` that exists, for `dir` and its parents, in the order Node's resolver tries them. */
function nodeModulesLookup(from: string, rel: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    // Node never looks in `node_modules/node_modules`.
    if (basename(dir) !== 'node_modules') {
      const path = join(dir, 'node_modules', rel);
      if (existsSync(path)) return path;
    }
    if (dir === dirname(dir)) return undefined;
  }
}

/**
 * Loads koffi's glibc native module from where Node's resolver finds it: koffi's directory as resolved
 * from secnode's own file, then koffi's native package as resolved from koffi's directory (skipping
 * koffi's libc sniffing and the full resolver, which cost milliseconds per process); else koffi itself.
 * Nothing here is checked (the check needs koffi): secnode's install is the operator's to protect.
 */
function loadKoffi(): Koffi {
  const koffi = nodeModulesLookup(dirname(fileURLToPath(import.meta.url)), 'koffi/package.json');
  if (koffi === undefined) throw new Error('secnode: cannot find its dependency koffi in its own node_modules');
  const native = nodeModulesLookup(dirname(realpathNative(koffi)), `@koromix/koffi-linux-${process.arch}/linux_${process.arch}/koffi.node`);
  if (native !== undefined) {
    const module = { exports: {} as Koffi };
    try {
      process.dlopen(module, native);
      return module.exports;
    } catch {
      // Not glibc (musl), or another build: koffi's own loader decides, from koffi's own directory.
    }
  }
  return createRequire(import.meta.url)(dirname(koffi)) as Koffi;
}

function bind(): Libc {
  if (libc) return libc;
  const koffi = loadKoffi();
  const lib = koffi.load('libc.so.6');
  const declared = new Map<string, Fn>();
  libc = {
    prctl: lib.func('int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)'),
    // syscall(2) is variadic, but glibc's implementation only moves integer registers, so a fixed
    // prototype is call-compatible on x86_64 and arm64 and saves koffi's per-call type parsing.
    execveat: lib.func('long syscall(long, int, const char *, const char **, const char **, int)'),
    errno: () => koffi.errno(),
    // The calls a start does not make are declared on first use.
    func: (decl) => declared.get(decl) ?? declared.set(decl, lib.func(decl)).get(decl) as Fn,
  };
  return libc;
}

/** A failed libc call, with its errno. */
export class SyscallError extends Error {
  /** errno reported by the kernel. */
  readonly errno: number;
  constructor(call: string, errno: number) {
    super(`${call} failed with errno ${errno}`);
    this.errno = errno;
  }
}

/** Reads the calling thread's securebits; throws `SyscallError` when prctl fails. */
export function readSecurebits(): number {
  const c = bind();
  const r = c.prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
  if (r < 0) throw new SyscallError('prctl(PR_GET_SECUREBITS)', c.errno());
  return r;
}

/** Writes the securebits of the calling process; throws `SyscallError` on failure. */
export function writeSecurebits(bits: number): void {
  const c = bind();
  if (c.prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0) {
    throw new SyscallError('prctl(PR_SET_SECUREBITS)', c.errno());
  }
}

/**
 * Asks the kernel whether the file behind `fd` may execute:
 * `execveat(fd, "", [name], [], AT_EMPTY_PATH | AT_EXECVE_CHECK)`. Returns 0 or an errno.
 */
export function checkFd(fd: number, name: string): number {
  const c = bind();
  const nr = SYS_EXECVEAT[process.arch];
  if (nr === undefined) return 38;
  return c.execveat(nr, fd, '', [name, null], [null], AT_EMPTY_PATH | AT_EXECVE_CHECK) === 0 ? 0 : c.errno();
}

/** Probes kernel support: checks an empty memfd; 0 means supported, else the errno. */
export function probeCheck(): number {
  const c = bind();
  const MFD_CLOEXEC = 1;
  const fd = c.func('int memfd_create(const char *, unsigned int)')('secnode-probe', MFD_CLOEXEC);
  if (fd < 0) return c.errno();
  try {
    return checkFd(fd, 'secnode-probe');
  } finally {
    closeSync(fd);
  }
}

/** Replaces the process image with `file` (execv), keeping fds 0-2 open; returns the errno only if that fails. */
export function execv(file: string, argv: readonly string[]): number {
  const c = bind();
  const F_SETFD = 2;
  for (const fd of [0, 1, 2]) c.func('int fcntl(int, int, ...)')(fd, F_SETFD, 'int', 0);
  c.func('int execv(const char *, const char **)')(file, [...argv, null]);
  return c.errno();
}

/** Sends one message to the system log: `syslog(LOG_AUTHPRIV | priority, "%s", message)`. */
export function syslogLine(priority: number, message: string): void {
  const LOG_AUTHPRIV = 10 << 3;
  bind().func('void syslog(int, const char *, ...)')(LOG_AUTHPRIV | priority, '%s', 'const char *', message);
}
