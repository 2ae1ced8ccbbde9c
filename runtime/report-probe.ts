// `secnodectl report`'s cause for each path a record names: probed on the live file when it is here (the check
// and src/why.ts), else taken from the record.
import { closeSync, constants, fstatSync, openSync, statSync } from 'node:fs';
import { checkOpenFd } from '../src/check.js';
import type { Cause, Explain, Explained } from '../src/plan.js';
import type { ReadRecord } from '../src/records.js';
import { explain } from '../src/why.js';

const FROM_RECORD: Record<string, [Cause, string]> = {
  'not-executable': ['not-executable', 'not executable (not on this machine to tell: no x bit, noexec mount or LSM)'],
  busy: ['busy', 'busy: the file was open for writing'],
  'check-unavailable': ['unavailable', 'the kernel could not check'],
};

/** A file that passes for this user: still `mode` when it failed with EACCES and some user that may read it has no x bit. */
function passing(fd: number, r: ReadRecord): Explained {
  const mode = fstatSync(fd).mode & 0o7777;
  if (r.errno === 'EACCES' && (((mode & 0o444) >> 2) & ~mode) !== 0) {
    return { cause: 'mode', words: `passes for this user, but mode ${mode.toString(8).padStart(4, '0')} has no x bit where it has r: the user that recorded it may have none`, here: true };
  }
  return { cause: 'passes-now', words: 'passes the check now', here: true };
}

/** The cause for a path: from the live file when it is a regular file here, else from the record. */
export function liveExplain(emulate: boolean): Explain {
  return (path: string, r: ReadRecord): Explained => {
    if (path.startsWith('/')) {
      let fd: number | undefined;
      try {
        if (statSync(path).isFile()) {
          fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
          const result = checkOpenFd(fd, path, emulate);
          if (result.outcome === 'allowed') return passing(fd, r);
          const why = explain(fd, result.errno);
          return { cause: why.kind === 'executable' ? 'passes-now' : why.kind, words: why.reason, here: true };
        }
      } catch { /* gone or unreadable: the record says why */ } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }
    const [cause, words] = FROM_RECORD[r.reason] ?? ['other', `check failed${r.errno ? ` (${r.errno})` : ''}`];
    return { cause, words, here: false };
  };
}
