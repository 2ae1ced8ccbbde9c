// Refusing to start: one line saying what and why, one hint line, exit status 126.
import { writeSync } from 'node:fs';

/** Exit status for a refused start (the shell's "found but not executable"). */
export const EXIT_REFUSED = 126;

/** Prints a start-up refusal and ends the process with status 126. */
export function refuseStart(err: unknown): never {
  const e = err as { message?: string; hint?: string; code?: string };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const code = typeof e.code === 'string' && e.code.startsWith('ERR_SECNODE_') ? ` [${e.code}]` : '';
  writeSync(2, `${message.startsWith('secnode:') ? '' : 'secnode: '}${message}${code}\n${e.hint ?? 'hint: see the secnode README'}\n`);
  process.exit(EXIT_REFUSED);
}
