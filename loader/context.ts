// The per-thread view of the policy inputs: securebits (read once), settings, and the auditor.
import { Auditor } from '../src/audit.js';
import { bitsHex, decodeBits, type ExecBits } from '../src/securebits.js';
import type { Settings } from '../src/settings.js';

/** What the main thread hands to hook threads (plain data only). */
export interface ContextData {
  readonly raw: number;
  readonly settings: Settings;
  /** Absolute path of the entry file, when there is one. */
  readonly entry: string | undefined;
  /** Absolute paths of preloads that run after secnode. */
  readonly preloads: readonly string[];
  /** Loader modules (`--loader`) in the start options: Node's hooks thread runs them below every hook a preload registers. */
  readonly loaders: boolean;
  /** For a hooks thread: false while it runs only secnode's hooks (Node 20's start-up thread), so it is not guarded yet. */
  readonly guardThread?: boolean;
}

/** Policy inputs plus the auditor, for one thread. */
export interface Context extends ContextData {
  readonly bits: ExecBits;
  readonly hex: string;
  readonly auditor: Auditor;
  /** True when any file or interactive enforcement is on (bits or forced). */
  readonly enforcing: boolean;
}

let restrictFileForced = false;

/**
 * Whether a context made in this thread forces RF. secnode makes its own before any program code runs in the
 * thread; a context a program makes up (it can reach contextFrom) can set this, never clear it.
 */
export function forcesRestrictFile(): boolean {
  return restrictFileForced;
}

/** Builds a thread's context from data (securebits already read). */
export function contextFrom(data: ContextData): Context {
  const bits = decodeBits(data.raw);
  const { forced } = data.settings;
  if (forced.restrictFile) restrictFileForced = true;
  return {
    ...data,
    bits,
    hex: bitsHex(data.raw),
    auditor: new Auditor(data.settings.audit),
    enforcing: bits.restrictFile || bits.denyInteractive || forced.restrictFile || forced.denyInteractive,
  };
}

/** Whether this thread can refuse or record anything now: a bit or a forced setting, hardening, or records. */
export function refusesOrRecords(ctx: Context): boolean {
  return ctx.enforcing || ctx.settings.forced.hardenGenerated || ctx.auditor.active;
}
