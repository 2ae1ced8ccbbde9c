// Why a file failed the exec check, in words an operator can act on.
import { fstatSync } from './own-fs.js';
import { modeAllowsExec } from './check.js';
import { mountOf } from './mounts.js';
import { errnoWords, isUnavailableErrno } from './errno.js';

/** The explanation of one check result: words, and whether adding x bits alone would fix it. */
export interface Why {
  /** The class of cause: `mode`, `noexec`, `lsm`, `busy`, `unavailable`, `other`, or `executable` when it passes. */
  readonly kind: 'executable' | 'mode' | 'noexec' | 'lsm' | 'busy' | 'unavailable' | 'other';
  readonly reason: string;
  readonly fixable: boolean;
  readonly mode: string;
}

/** Explains the check result `errno` for the file open on `fd`. */
export function explain(fd: number, errno: number): Why {
  const st = fstatSync(fd);
  const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
  if (errno === 0) return { kind: 'executable', reason: 'executable', fixable: false, mode };
  if (errno === 26) return { kind: 'busy', reason: 'busy: the file is open for writing somewhere', fixable: false, mode };
  if (errno !== 13) return { kind: isUnavailableErrno(errno) ? 'unavailable' : 'other', reason: errnoWords(errno), fixable: false, mode };
  if (!st.isFile()) return { kind: 'other', reason: 'not a regular file', fixable: false, mode };
  const mount = mountOf(fd);
  const noX = !modeAllowsExec(st);
  if (mount?.noexec) {
    return { kind: 'noexec', reason: `noexec mount at ${mount.point}${noX ? ` (and no x bit for this user, mode ${mode})` : ''}`, fixable: false, mode };
  }
  if (noX) return { kind: 'mode', reason: `no x bit for this user (mode ${mode})`, fixable: true, mode };
  return { kind: 'lsm', reason: 'denied by an LSM (Landlock, SELinux, IMA, IPE) or another policy', fixable: false, mode };
}
