// Whether fs.readFileSync is the program's own (Yarn Plug'n'Play's, a test's stub): Node's CommonJS loader
// reads code through the live fs.readFileSync, so with no bits such a program runs what its function returns.
import { readFileSync } from '../../src/own-fs.js';
import { ownRequire } from '../../src/own-require.js';
import { ownValue } from '../guards/patch.js';

const fs = ownRequire('node:fs') as object;
const notPrograms = new Set<unknown>([readFileSync]);

/** Notes secnode's own wrapper of fs.readFileSync (the direct CommonJS route): not a program's function. */
export function noteOwnReader(reader: unknown): void {
  notPrograms.add(reader);
}

/** True when fs.readFileSync is neither Node's nor secnode's: Node's reads of code then ask the program. */
export function programReadsFiles(): boolean {
  return !notPrograms.has(ownValue(fs, 'readFileSync'));
}
