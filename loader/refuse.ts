// Refusing to start from the preload: the refusal src/refusal.ts defines, then exit status 126.
import { writeSync } from '../src/own-fs.js';
import { EXIT_REFUSED, refusalOf } from '../src/refusal.js';

/** Prints a start-up refusal and ends the process with status 126. */
export function refuseStart(err: unknown): never {
  writeSync(2, refusalOf(err));
  process.exit(EXIT_REFUSED);
}
