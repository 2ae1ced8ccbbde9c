// The table: every option spelling of every supported Node version with whether it takes a value and
// its verdict, and the environment variables with theirs. Facts come from the Node binaries
// (node-data.ts, generated), verdicts from verdicts.ts (by hand).
import { NODE_ALIAS_FACTS, NODE_OPTION_FACTS } from './node-data.js';
import { envVerdicts, optionVerdicts, SUBCOMMAND_VERDICTS, type EnvVerdict, type Verdict } from './verdicts.js';

/** How Node's parser reads one option spelling (its facts, without a verdict). */
export interface OptionShape {
  /** Takes a value: `--opt=value`, or `--opt value` when the next argument does not start with `-`. */
  readonly value: boolean;
  /** Options after it are the program's arguments (Node's `--prof-process` expands to `--prof-process --`). */
  readonly ends: boolean;
  /** What Node expands an alias to (empty for a canonical option). */
  readonly expands: readonly string[];
}

/** One option spelling: its verdict, whether it takes a value, and what Node reads it as. */
export interface OptionEntry extends Verdict, OptionShape {
  readonly name: string;
}

/** One environment variable (or prefix of names) with its verdict. */
export interface EnvEntry extends EnvVerdict {
  readonly name: string;
}

const VALUE_KINDS = new Set(['integer', 'uinteger', 'string', 'hostport', 'stringlist']);

/** The spelling of an alias key: Node's keys end in `=` or ` <arg>` when the alias applies only with a value. */
export function aliasSpelling(key: string): string {
  return key.replace(/(=| <arg>)$/, '');
}

/** Every spelling Node's parser accepts: canonical options and aliases, without the internal `[…]` fields. */
function optionSpellings(): string[] {
  const names = new Set<string>();
  for (const name of Object.keys(NODE_OPTION_FACTS)) names.add(name);
  for (const key of Object.keys(NODE_ALIAS_FACTS)) names.add(aliasSpelling(key));
  return [...names].filter((n) => n.startsWith('-')).sort();
}

function takesValue(name: string, seen: ReadonlySet<string> = new Set()): boolean {
  if (seen.has(name)) return false;
  // Any version that reads a value makes it value-taking: reading one too many tokens as a value can only
  // make secnode see more options, never fewer.
  const kinds = NODE_OPTION_FACTS[name]?.[0].split('|') ?? [];
  if (kinds.some((k) => VALUE_KINDS.has(k))) return true;
  if (NODE_ALIAS_FACTS[`${name} <arg>`] !== undefined) return true;
  const expansion = NODE_ALIAS_FACTS[name]?.[0];
  const last = expansion?.[expansion.length - 1];
  return last !== undefined && last !== name && takesValue(last, new Set([...seen, name]));
}

function shape(name: string): OptionShape {
  const expands = NODE_ALIAS_FACTS[name]?.[0] ?? [];
  return { value: takesValue(name), ends: expands[expands.length - 1] === '--', expands: expands.filter((x) => x !== name) };
}

function entry(name: string): OptionEntry {
  const verdict = optionVerdicts()[name];
  if (verdict === undefined) throw new Error(`secnode: option ${name} has no verdict in src/options/verdicts.ts`);
  return { name, ...verdict, ...shape(name) };
}

let options: ReadonlyMap<string, OptionEntry> | undefined;
let env: ReadonlyMap<string, EnvEntry> | undefined;

/** Every option spelling any supported Node version accepts, by name (built on first use: only enforcement needs it). */
export function optionTable(): ReadonlyMap<string, OptionEntry> {
  options ??= new Map(optionSpellings().map((n) => [n, entry(n)]));
  return options;
}

/** Environment variables and prefixes, by name (built on first use). */
export function envTable(): ReadonlyMap<string, EnvEntry> {
  env ??= new Map(Object.entries(envVerdicts()).map(([name, v]) => [name, { name, ...v }]));
  return env;
}

const NEGATION: Verdict = { governs: null, early: false, why: 'turns an option off' };

/**
 * The entry for a normalised option name. `--no-X` of a known option turns it off (safe); a name Node's
 * parser does not know is a V8 option passed through (undefined here: safe, it loads no code).
 */
export function optionEntry(name: string): OptionEntry | undefined {
  const known = knownEntry(name);
  if (known !== undefined || !name.startsWith('--no-')) return known;
  return knownEntry(`--${name.slice(5)}`) !== undefined ? { name, ...NEGATION, value: false, ends: false, expands: [] } : undefined;
}

const entries = new Map<string, OptionEntry | undefined>();
const shapes = new Map<string, OptionShape | undefined>();

/** Whether some supported Node's parser knows the spelling. */
function isSpelling(name: string): boolean {
  return name.startsWith('-') && (Object.hasOwn(NODE_OPTION_FACTS, name) || Object.hasOwn(NODE_ALIAS_FACTS, name)
    || Object.hasOwn(NODE_ALIAS_FACTS, `${name}=`) || Object.hasOwn(NODE_ALIAS_FACTS, `${name} <arg>`));
}

/** The table's entry for one spelling, built alone and kept (start-up reads a few names, never the whole table). */
function knownEntry(name: string): OptionEntry | undefined {
  if (options !== undefined) return options.get(name);
  if (entries.has(name)) return entries.get(name);
  const found = isSpelling(name) ? entry(name) : undefined;
  entries.set(name, found);
  return found;
}

/**
 * How Node's parser reads a normalised option name (undefined for a name it does not know, and for `--no-X`
 * of a known X: neither takes a value). Reading a start's options needs only this, not the verdicts.
 */
export function optionShape(name: string): OptionShape | undefined {
  if (shapes.has(name)) return shapes.get(name);
  const found = isSpelling(name) ? shape(name) : undefined;
  shapes.set(name, found);
  return found;
}

let prefixes: readonly EnvEntry[] | undefined;

/**
 * The entry for an environment variable: its exact name, else the longest prefix entry that matches. Each
 * enforced start looks up every variable it has: this builds no table, and tries only the few prefix entries.
 */
export function envEntry(name: string): EnvEntry | undefined {
  const verdicts = envVerdicts();
  const exact = Object.hasOwn(verdicts, name) ? verdicts[name] : undefined;
  if (exact !== undefined && !exact.prefix) return { name, ...exact };
  prefixes ??= Object.entries(verdicts).filter(([, v]) => v.prefix).map(([n, v]) => ({ name: n, ...v }));
  let best: EnvEntry | undefined;
  for (const e of prefixes) {
    if (name.startsWith(e.name) && (best === undefined || e.name.length > best.name.length)) best = e;
  }
  return best;
}

/** The verdict on a Node subcommand (the first non-option argument, e.g. `inspect`), if it is one. */
export function subcommandVerdict(word: string | undefined): Verdict | undefined {
  return word !== undefined && Object.hasOwn(SUBCOMMAND_VERDICTS, word) ? SUBCOMMAND_VERDICTS[word] : undefined;
}
