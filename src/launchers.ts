// The launchers a package carries: one static launcher per CPU the package declares (package.json "cpu"), built
// into dist/runtime/launchers/ and put in place as dist/runtime/secnode at install, else the sh fallback.
import { closeSync, openSync, readSync } from './own-fs.js';

/** The CPUs secnode ships a static launcher for (Node's `process.arch` names; package.json "cpu" lists the same). */
export const LAUNCHER_CPUS = ['x64', 'arm64'] as const;
/** One of LAUNCHER_CPUS. */
export type LauncherCpu = (typeof LAUNCHER_CPUS)[number];

/** ELF e_machine of each CPU (EM_X86_64, EM_AARCH64 in the kernel's elf-em.h). */
const ELF_MACHINE: Readonly<Record<LauncherCpu, number>> = { x64: 62, arm64: 183 };

/** The file name of a CPU's static launcher in dist/runtime/launchers/. */
export function launcherFileName(cpu: string): string {
  return `secnode-linux-${cpu}`;
}

/** What a launcher file is: a static launcher (for which CPU), the sh fallback, or neither (missing, unknown). */
export type LauncherKind =
  | { readonly kind: 'static'; readonly cpu: LauncherCpu | null }
  | { readonly kind: 'sh-fallback' }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unknown' };

/** Reads a launcher file's first bytes and says what it is (an ELF's CPU from e_machine, little-endian). */
export function launcherKind(path: string): LauncherKind {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return { kind: 'missing' };
  }
  try {
    const head = Buffer.alloc(20);
    const n = readSync(fd, head, 0, head.length, 0);
    if (n >= 2 && head.toString('latin1', 0, 2) === '#!') return { kind: 'sh-fallback' };
    if (n < 20 || head.readUInt32BE(0) !== 0x7f454c46) return { kind: 'unknown' };
    const machine = head.readUInt16LE(18);
    return { kind: 'static', cpu: LAUNCHER_CPUS.find((c) => ELF_MACHINE[c] === machine) ?? null };
  } finally {
    closeSync(fd);
  }
}

/** What the sh fallback cannot do, in the words the build, the install and every start under enforcement use. */
export const SH_FALLBACK_LIMITS = 'the sh fallback launcher cannot stop LD_PRELOAD and the other dynamic linker variables '
  + 'nor gate Node\'s pre-start options (see docs/operations.md, "Launchers and install paths")';

/** The line a process started by the sh fallback prints at start under enforcement. */
export function shFallbackWarning(): string {
  return `secnode: warning: started by the sh fallback launcher (no static launcher for linux-${process.arch} is installed): ${SH_FALLBACK_LIMITS}\n`;
}
