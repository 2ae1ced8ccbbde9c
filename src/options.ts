// Node options that would load or run code out of secnode's sight: what each needs to be refused.
import { enforcingRule, type Forced } from './policy.js';
import type { ExecBits } from './securebits.js';

/** Which enforcement refuses an option: file (RF), interactive (DI), or either. */
export type Governs = 'file' | 'interactive' | 'any';

/** Why an option is unsafe, and whether Node acts on it before any preload (only the launcher can refuse those). */
export interface UnsafeOption { readonly governs: Governs; readonly why: string; readonly early: boolean }

const LOADER = 'loader modules run in Node\'s hooks thread, where secnode cannot check what they load';
const SNAPSHOT = 'a snapshot holds code that Node builds or runs without preloads or checks';
const POLICY = 'a policy manifest changes how Node loads modules, out of secnode\'s sight';
const CONFIG = 'a config file sets Node options (preloads, loaders, the inspector) before secnode runs';
const INSPECTOR = 'the inspector runs code sent over its socket, and opens before any check can run';

/** Unsafe options by normalized name. */
export const UNSAFE_OPTIONS: ReadonlyMap<string, UnsafeOption> = new Map(Object.entries({
  '--loader': { governs: 'file', why: LOADER, early: false },
  '--experimental-loader': { governs: 'file', why: LOADER, early: false },
  '--snapshot-blob': { governs: 'file', why: SNAPSHOT, early: true },
  '--build-snapshot': { governs: 'file', why: SNAPSHOT, early: true },
  '--build-snapshot-config': { governs: 'file', why: SNAPSHOT, early: true },
  '--experimental-policy': { governs: 'file', why: POLICY, early: false },
  '--policy-integrity': { governs: 'file', why: POLICY, early: false },
  '--experimental-network-imports': { governs: 'file', why: 'code fetched over the network cannot be checked', early: false },
  '--expose-internals': { governs: 'any', why: 'Node\'s internal modules bypass secnode\'s guards', early: false },
  '--experimental-config-file': { governs: 'any', why: CONFIG, early: true },
  '--experimental-default-config-file': { governs: 'any', why: CONFIG, early: true },
  '--inspect': { governs: 'interactive', why: INSPECTOR, early: true },
  '--inspect-brk': { governs: 'interactive', why: INSPECTOR, early: true },
  '--inspect-wait': { governs: 'interactive', why: INSPECTOR, early: true },
  '--inspect-brk-node': { governs: 'interactive', why: INSPECTOR, early: true },
} satisfies Record<string, UnsafeOption>));

/** Node options that take their value as the next argument (the rest use `--opt=value` or none). */
export const TAKES_VALUE: ReadonlySet<string> = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader',
  '-e', '--eval', '-p', '--print', '-pe', '--input-type', '-C', '--conditions', '--env-file', '--env-file-if-exists',
  '--experimental-config-file', '--title', '--watch-path', '--inspect-port', '--debug-port', '--disable-warning',
  '--redirect-warnings', '--test-name-pattern', '--test-reporter', '--test-reporter-destination', '--test-skip-pattern',
  '--experimental-default-type']);

/** Node's spelling of an option token: the name before `=`, with `_` read as `-`. */
export function optionName(token: string): string {
  const name = token.split('=', 1)[0] ?? token;
  return name.startsWith('--') ? `--${name.slice(2).replace(/_/g, '-')}` : name;
}

/** The option names in a list of Node options, skipping the values of options that take one. */
export function optionNames(tokens: readonly string[]): string[] {
  const names: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const name = optionName(tokens[i] ?? '');
    names.push(name);
    if (TAKES_VALUE.has(name) && !(tokens[i] ?? '').includes('=')) i++;
  }
  return names;
}

/** The bit or setting that refuses an option governed by `governs`, or null when none does. */
export function ruleForOption(governs: Governs, bits: ExecBits, forced: Forced): string | null {
  if (governs !== 'any') return enforcingRule(governs, bits, forced);
  return enforcingRule('file', bits, forced) ?? enforcingRule('interactive', bits, forced);
}

/** The first unsafe option (of those `accept` selects) that enforcement refuses, with its rule and reason. */
export function refusedOption(names: readonly string[], bits: ExecBits, forced: Forced,
  accept: (o: UnsafeOption) => boolean = () => true): { name: string; rule: string; why: string } | undefined {
  for (const name of names) {
    const unsafe = UNSAFE_OPTIONS.get(name);
    const rule = unsafe !== undefined && accept(unsafe) ? ruleForOption(unsafe.governs, bits, forced) : null;
    if (unsafe !== undefined && rule !== null) return { name, rule, why: unsafe.why };
  }
  return undefined;
}
