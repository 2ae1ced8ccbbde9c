// The exec check on an open fd, the emulated check, and open-check-read.
import { constants } from 'node:fs';
import { closeSync, fstatSync, openSync, readFileSync } from './own-fs.js';
import { checkFd } from './kernel.js';
import { isCheckMissingErrno, isUnavailableErrno } from './errno.js';
import { mountOf } from './mounts.js';
import type { CheckOutcome } from './policy.js';

/** One check's result: raw errno (0 = allowed), its outcome class, and whether it was emulated. */
export interface CheckResult {
  readonly errno: number;
  readonly outcome: CheckOutcome;
  readonly emulated: boolean;
}

/** Classifies an errno from the check. */
export function outcomeOf(errno: number): CheckOutcome {
  if (errno === 0) return 'allowed';
  if (errno === 13) return 'EACCES';
  if (errno === 26) return 'ETXTBSY';
  return isUnavailableErrno(errno) ? 'unavailable' : 'failed';
}

/** Whether the mode bits let the effective user execute a file (root needs any x bit). */
export function modeAllowsExec(st: { mode: number; uid: number; gid: number }): boolean {
  const uid = process.geteuid?.() ?? -1;
  if (uid === 0) return (st.mode & 0o111) !== 0;
  if (st.uid === uid) return (st.mode & 0o100) !== 0;
  const inGroup = process.getegid?.() === st.gid || (process.getgroups?.() ?? []).includes(st.gid);
  return (st.mode & (inGroup ? 0o010 : 0o001)) !== 0;
}

/** The emulated check for kernels without AT_EXECVE_CHECK: regular file, x bit for the euid, no noexec. */
export function emulatedCheck(fd: number): number {
  const st = fstatSync(fd);
  if (!st.isFile() || !modeAllowsExec(st)) return 13;
  return mountOf(fd)?.noexec === false ? 0 : 13;
}

/** The result of every check the kernel allowed: one object, since most checks pass. */
const ALLOWED: CheckResult = Object.freeze({ errno: 0, outcome: 'allowed', emulated: false });

/** Checks an open fd with the kernel; falls back to the emulated check when asked and unavailable. */
export function checkOpenFd(fd: number, name: string, emulate: boolean): CheckResult {
  const errno = checkFd(fd, name);
  if (errno === 0) return ALLOWED;
  if (emulate && isCheckMissingErrno(errno)) {
    const e = emulatedCheck(fd);
    return { errno: e, outcome: outcomeOf(e), emulated: true };
  }
  return { errno, outcome: outcomeOf(errno), emulated: false };
}

/** Opens a path read-only (non-blocking, close-on-exec) for checking. */
export function openForCheck(path: string): number {
  return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
}

/** Opens `path`, checks the fd, and reads the bytes from that same fd. */
export function openChecked(path: string, emulate = false): { result: CheckResult; bytes: Buffer } {
  const fd = openForCheck(path);
  try {
    const result = checkOpenFd(fd, path, emulate);
    return { result, bytes: readFileSync(fd) };
  } finally {
    closeSync(fd);
  }
}

/** Checks a path (open, check the fd, close) without reading it. */
export function checkPath(path: string, emulate = false): CheckResult {
  const fd = openForCheck(path);
  try {
    return checkOpenFd(fd, path, emulate);
  } finally {
    closeSync(fd);
  }
}
