// The decision: a pure function of input kind, securebits, forced settings and check outcome.
import type { ExecBits } from './securebits.js';

/** What is about to run: a file, a stream (fd), a path that is not a regular file, inline or generated code. */
export type InputKind = 'file' | 'stream' | 'path-stream' | 'inline' | 'generated';
/** What the kernel (or the emulated check) said; `none` where no check is possible. */
export type CheckOutcome = 'allowed' | 'EACCES' | 'ETXTBSY' | 'failed' | 'unavailable' | 'none';
/** Restrictions the operator forces on top of the bits (they can only add). */
export interface Forced {
  /** Behave as if `SECBIT_EXEC_RESTRICT_FILE` were set. */
  readonly restrictFile: boolean;
  /** Behave as if `SECBIT_EXEC_DENY_INTERACTIVE` were set. */
  readonly denyInteractive: boolean;
  /** Refuse code generated at run time (eval, new Function, vm, data: imports). */
  readonly hardenGenerated: boolean;
}
/** The verdict with its reason; `rule` names the bit or setting that enforced it. */
export interface Decision {
  readonly verdict: 'run' | 'record' | 'refuse';
  readonly enforced: boolean;
  readonly reason: 'allowed' | 'not-executable' | 'busy' | 'check-failed' | 'check-unavailable' | 'interactive' | 'generated';
  readonly rule: string | null;
}

const NOTHING: Forced = { restrictFile: false, denyInteractive: false, hardenGenerated: false };
const REASON = {
  allowed: 'allowed', EACCES: 'not-executable', ETXTBSY: 'busy', failed: 'check-failed',
  unavailable: 'check-unavailable', none: 'interactive',
} as const;

/** The bit or setting that enforces file (RF) or interactive (DI) restrictions, or null when none does. */
export function enforcingRule(governs: 'file' | 'interactive', bits: ExecBits, forced: Forced = NOTHING): string | null {
  return governs === 'file'
    ? bits.restrictFile ? 'SECBIT_EXEC_RESTRICT_FILE' : forced.restrictFile ? 'SECNODE_RESTRICT_FILE' : null
    : bits.denyInteractive ? 'SECBIT_EXEC_DENY_INTERACTIVE' : forced.denyInteractive ? 'SECNODE_DENY_INTERACTIVE' : null;
}

/**
 * Generated code in the hardening preview (records on, SECNODE_HARDEN_GENERATED off): it runs, and is
 * recorded as what hardening would refuse, as a file that fails the check is under a permissive run.
 */
export const PREVIEW_GENERATED: Decision = { verdict: 'record', enforced: false, reason: 'generated', rule: null };

/** Decides run / record / refuse for one input. */
export function decide(kind: InputKind, bits: ExecBits, outcome: CheckOutcome, forced: Forced = NOTHING): Decision {
  const rf = enforcingRule('file', bits, forced);
  const di = enforcingRule('interactive', bits, forced);
  const rule = kind === 'file' ? rf
    : kind === 'stream' || kind === 'inline' ? di
      : kind === 'path-stream' ? rf ?? di
        : forced.hardenGenerated ? 'SECNODE_HARDEN_GENERATED' : null;
  const enforced = rule !== null;
  if (kind === 'inline' || kind === 'generated') {
    return { verdict: enforced ? 'refuse' : 'run', enforced, reason: kind === 'inline' ? 'interactive' : 'generated', rule };
  }
  if (outcome === 'allowed') return { verdict: 'run', enforced, reason: 'allowed', rule };
  return { verdict: enforced ? 'refuse' : 'record', enforced, reason: REASON[outcome], rule };
}
