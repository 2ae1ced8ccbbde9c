// Kernel constants from include/uapi/linux (see docs/design.md, "The kernel contract").

/** `AT_EMPTY_PATH`: operate on the fd itself. */
export const AT_EMPTY_PATH = 0x1000;
/** `AT_EXECVE_CHECK` (Linux 6.14+): only check whether the fd may execute. */
export const AT_EXECVE_CHECK = 0x10000;
/** `prctl` option to read the securebits. */
export const PR_GET_SECUREBITS = 27;
/** `prctl` option to write the securebits. */
export const PR_SET_SECUREBITS = 28;

/** Refuse to interpret files that fail the check. */
export const SECBIT_EXEC_RESTRICT_FILE = 0x100;
/** Makes `SECBIT_EXEC_RESTRICT_FILE` immutable. */
export const SECBIT_EXEC_RESTRICT_FILE_LOCKED = 0x200;
/** Refuse interactive input (inline code, streams that fail the check). */
export const SECBIT_EXEC_DENY_INTERACTIVE = 0x400;
/** Makes `SECBIT_EXEC_DENY_INTERACTIVE` immutable. */
export const SECBIT_EXEC_DENY_INTERACTIVE_LOCKED = 0x800;
/** All four exec securebits. */
export const SECBIT_EXEC_ALL = 0xf00;

/** `execveat` syscall numbers by Node's `process.arch`. */
export const SYS_EXECVEAT: Readonly<Record<string, number>> = { x64: 322, arm64: 281, riscv64: 281 };
