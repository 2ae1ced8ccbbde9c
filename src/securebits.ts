// Decoding the exec securebits into what they demand.
import {
  SECBIT_EXEC_DENY_INTERACTIVE, SECBIT_EXEC_DENY_INTERACTIVE_LOCKED,
  SECBIT_EXEC_RESTRICT_FILE, SECBIT_EXEC_RESTRICT_FILE_LOCKED,
} from './constants.js';

/** The four exec securebits as booleans. */
export interface ExecBits {
  /** `SECBIT_EXEC_RESTRICT_FILE`: files failing the check must be refused. */
  readonly restrictFile: boolean;
  /** `SECBIT_EXEC_RESTRICT_FILE_LOCKED`. */
  readonly restrictFileLocked: boolean;
  /** `SECBIT_EXEC_DENY_INTERACTIVE`: inline code and unchecked streams must be refused. */
  readonly denyInteractive: boolean;
  /** `SECBIT_EXEC_DENY_INTERACTIVE_LOCKED`. */
  readonly denyInteractiveLocked: boolean;
}

/** Decodes a raw securebits word. */
export function decodeBits(raw: number): ExecBits {
  return {
    restrictFile: (raw & SECBIT_EXEC_RESTRICT_FILE) !== 0,
    restrictFileLocked: (raw & SECBIT_EXEC_RESTRICT_FILE_LOCKED) !== 0,
    denyInteractive: (raw & SECBIT_EXEC_DENY_INTERACTIVE) !== 0,
    denyInteractiveLocked: (raw & SECBIT_EXEC_DENY_INTERACTIVE_LOCKED) !== 0,
  };
}

/** Encodes exec bits back into a securebits word (only the four exec bits). */
export function encodeBits(bits: ExecBits): number {
  return (bits.restrictFile ? SECBIT_EXEC_RESTRICT_FILE : 0)
    | (bits.restrictFileLocked ? SECBIT_EXEC_RESTRICT_FILE_LOCKED : 0)
    | (bits.denyInteractive ? SECBIT_EXEC_DENY_INTERACTIVE : 0)
    | (bits.denyInteractiveLocked ? SECBIT_EXEC_DENY_INTERACTIVE_LOCKED : 0);
}

/** Formats a securebits word the way records show it, e.g. "0x500". */
export function bitsHex(raw: number): string {
  return `0x${raw.toString(16)}`;
}

/** Names of the set exec bits, e.g. ["SECBIT_EXEC_RESTRICT_FILE", …]. */
export function bitNames(raw: number): string[] {
  const names: string[] = [];
  if (raw & SECBIT_EXEC_RESTRICT_FILE) names.push('SECBIT_EXEC_RESTRICT_FILE');
  if (raw & SECBIT_EXEC_RESTRICT_FILE_LOCKED) names.push('SECBIT_EXEC_RESTRICT_FILE_LOCKED');
  if (raw & SECBIT_EXEC_DENY_INTERACTIVE) names.push('SECBIT_EXEC_DENY_INTERACTIVE');
  if (raw & SECBIT_EXEC_DENY_INTERACTIVE_LOCKED) names.push('SECBIT_EXEC_DENY_INTERACTIVE_LOCKED');
  return names;
}
