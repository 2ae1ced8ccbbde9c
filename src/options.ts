// What enforcement refuses among the options and environment a Node process starts with: one table
// (src/options/) applied alike to the main thread, workers, children and the launcher.
import { enforcingRule, type Forced } from './policy.js';
import { parseNodeOptions } from './preloads.js';
import type { ExecBits } from './securebits.js';
import { optionNames, scanOptions } from './options/argv.js';
import { envEntry, optionEntry, subcommandVerdict } from './options/table.js';
import type { Governs, Verdict } from './options/verdicts.js';

export { optionName, optionNames, scanOptions, type FoundOption, type Scan } from './options/argv.js';
export { envTable, optionTable, envEntry, optionEntry, subcommandVerdict, type EnvEntry, type OptionEntry } from './options/table.js';
export type { EnvVerdict, Governs, Verdict } from './options/verdicts.js';

/** A refused option, subcommand or variable: its name, the bit or setting that refuses it, and why. */
export interface Refusal { readonly name: string; readonly rule: string; readonly why: string }

/** Which verdicts a caller gates (all by default; the launcher's preflight only those Node acts on early). */
export type Accept = (v: Verdict) => boolean;
const ALL: Accept = () => true;

type Env = Readonly<Record<string, string | undefined>>;

/** The bit or setting that refuses what `governs` names, or null when none does. */
export function ruleForOption(governs: Governs, bits: ExecBits, forced: Forced): string | null {
  if (governs !== 'any') return enforcingRule(governs, bits, forced);
  return enforcingRule('file', bits, forced) ?? enforcingRule('interactive', bits, forced);
}

function refusal(name: string, verdict: Verdict | undefined, bits: ExecBits, forced: Forced, accept: Accept): Refusal | undefined {
  if (verdict?.governs == null || !accept(verdict)) return undefined;
  const rule = ruleForOption(verdict.governs, bits, forced);
  return rule === null ? undefined : { name, rule, why: verdict.why };
}

/** The first of the (normalised) option names that enforcement refuses. */
function refusedOption(names: readonly string[], bits: ExecBits, forced: Forced, accept: Accept = ALL): Refusal | undefined {
  for (const name of names) {
    const r = refusal(name, optionEntry(name), bits, forced, accept);
    if (r) return r;
  }
  return undefined;
}

/** The refusal of a NODE_OPTIONS value: an option in it, or (under any enforcement) a value Node cannot parse. */
export function refusedNodeOptions(value: string | undefined, bits: ExecBits, forced: Forced, accept: Accept = ALL): Refusal | undefined {
  if (value === undefined || value === '') return undefined;
  const { tokens, error } = parseNodeOptions(value);
  if (error !== undefined) {
    const rule = ruleForOption('any', bits, forced);
    if (rule !== null) return { name: 'NODE_OPTIONS', rule, why: `Node cannot parse it (${error}), so what it holds cannot be judged` };
  }
  return refusedOption(optionNames(tokens), bits, forced, accept);
}

/** The first environment variable enforcement refuses (NODE_OPTIONS aside; neutralised ones are not refused). */
function refusedEnvVar(env: Env, bits: ExecBits, forced: Forced, accept: Accept = ALL): Refusal | undefined {
  for (const name in env) {
    if (env[name] === undefined) continue;
    const e = envEntry(name);
    if (e === undefined || e.neutral) continue;
    const r = refusal(name, e, bits, forced, accept);
    if (r) return r;
  }
  return undefined;
}

/** Variables present in `env` that enforcement neutralises instead of refusing (NODE_COMPILE_CACHE under RF). */
export function neutralisedEnvVars(env: Env, bits: ExecBits, forced: Forced): string[] {
  const out: string[] = [];
  for (const name in env) {
    const e = envEntry(name);
    if (env[name] !== undefined && e?.neutral === true && e.governs !== null && ruleForOption(e.governs, bits, forced) !== null) out.push(name);
  }
  return out;
}

/**
 * Whether a Node flag (`--X`) is on: its last spelling, `--X` or `--no-X`, on the command line, else in
 * NODE_OPTIONS, else `byDefault` (what Node's own variable for it sets, such as NODE_PENDING_DEPRECATION=1).
 */
export function flagOn(flag: string, execArgv: readonly string[], nodeOptions: string | undefined, byDefault: boolean): boolean {
  const names = [...optionNames(parseNodeOptions(nodeOptions ?? '').tokens), ...optionNames(execArgv)];
  for (let i = names.length - 1; i >= 0; i--) {
    if (names[i] === flag) return true;
    if (names[i] === `--no-${flag.slice(2)}`) return false;
  }
  return byDefault;
}

/** What a Node process is started with: its Node options (execArgv, or the arguments before the script), and its environment. */
export interface StartShape {
  /** Node options only (execArgv, a worker's or fork's execArgv): every token is scanned. */
  readonly execArgv?: readonly string[];
  /** A command line after the Node binary: options up to the script or subcommand, then the program's arguments. */
  readonly args?: readonly string[];
  /** The environment: NODE_OPTIONS is parsed; other variables are judged when `vars` is true. */
  readonly env?: Env;
  readonly vars?: boolean;
}

/** The first thing in a start that enforcement refuses: an option, a subcommand, NODE_OPTIONS, a variable. */
export function refusedStart(start: StartShape, bits: ExecBits, forced: Forced, accept: Accept = ALL): Refusal | undefined {
  const names = start.execArgv === undefined ? [] : optionNames(start.execArgv);
  let operand: string | undefined;
  if (start.args !== undefined) {
    const scan = scanOptions(start.args, 'stop');
    names.push(...scan.options.map((o) => o.name));
    operand = scan.operand === undefined ? undefined : start.args[scan.operand];
  }
  return refusedOption(names, bits, forced, accept)
    ?? (operand === undefined ? undefined : refusal(`node ${operand}`, subcommandVerdict(operand), bits, forced, accept))
    ?? refusedNodeOptions(start.env?.NODE_OPTIONS, bits, forced, accept)
    ?? (start.vars === true && start.env !== undefined ? refusedEnvVar(start.env, bits, forced, accept) : undefined);
}
