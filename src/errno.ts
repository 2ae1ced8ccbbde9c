// errno numbers as names and in words (Linux, x86_64 and arm64 share these values).

const NAMES: Readonly<Record<number, [string, string]>> = {
  1: ['EPERM', 'operation not permitted (seccomp or LSM refused the check)'],
  2: ['ENOENT', 'no such file or directory'],
  5: ['EIO', 'input/output error reading the file (the device, or an integrity policy such as IMA)'],
  7: ['E2BIG', 'argument list too long'],
  8: ['ENOEXEC', 'exec format error (neither a binary nor a script with a #! line)'],
  9: ['EBADF', 'bad file descriptor'],
  12: ['ENOMEM', 'out of memory in the kernel'],
  13: ['EACCES', 'not executable (no x bit for this user, noexec mount, LSM denial, or not a regular file)'],
  20: ['ENOTDIR', 'a part of the path is not a directory (the file is inside an archive, such as the zip files Yarn Plug\'n\'Play serves through its own fs, which the kernel cannot check)'],
  22: ['EINVAL', 'the kernel does not support AT_EXECVE_CHECK (Linux 6.14+ needed)'],
  26: ['ETXTBSY', 'the file is open for writing (busy)'],
  38: ['ENOSYS', 'execveat is not available (seccomp or old kernel)'],
  40: ['ELOOP', 'too many levels of symbolic links (or of #! interpreters)'],
};

/** The symbolic name of an errno value, e.g. 13 → "EACCES". */
export function errnoName(errno: number): string {
  return NAMES[errno]?.[0] ?? `E${errno}`;
}

/** A short explanation of an errno value as it applies to the exec check. */
export function errnoWords(errno: number): string {
  return NAMES[errno]?.[1] ?? `error ${errno}`;
}

/** errno values that mean "the kernel cannot answer", not "denied": EINVAL (before 6.14), ENOSYS and EPERM (seccomp). */
export function isUnavailableErrno(errno: number): boolean {
  return errno === 22 || errno === 38 || errno === 1;
}

/**
 * errno values that mean the kernel does not know the check at all (EINVAL before 6.14, ENOSYS): only these
 * may fall back to the emulated check. EPERM may come from an LSM that refused this very file, so the
 * emulated check (which cannot see LSMs) must never answer in its place.
 */
export function isCheckMissingErrno(errno: number): boolean {
  return errno === 22 || errno === 38;
}
