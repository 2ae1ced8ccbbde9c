// Reading Node options out of a token list (execArgv, NODE_OPTIONS, a child's arguments) as Node's parser does.
import { optionShape } from './table.js';

/** Node's spelling of an option token: the name before `=`, with `_` read as `-` (for `--` names). */
export function optionName(token: string): string {
  const name = token.startsWith('--') ? token.split('=', 1)[0] ?? token : token;
  return name.startsWith('--') ? `--${name.slice(2).replace(/_/g, '-')}` : name;
}

/** One option found in a token list: its normalised name and its value (given with `=` or as the next token). */
export interface FoundOption { readonly name: string; readonly value: string | undefined }

/** What a scan found: the options, and the index of the first operand (the script or subcommand), if any. */
export interface Scan { readonly options: readonly FoundOption[]; readonly operand: number | undefined }

/**
 * Node's options in `tokens`. Node stops at the first operand (a token not starting with `-`, or `-`) and
 * after `--`; with `operands: 'skip'` (NODE_OPTIONS, execArgv) the scan goes on past operands, so no token
 * that looks like an option escapes. A value-taking option takes the next token as its value unless that
 * token starts with `-` (Node refuses such a value, except for `-p`, which then has none).
 */
export function scanOptions(tokens: readonly string[], operands: 'stop' | 'skip'): Scan {
  const options: FoundOption[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    if (token === '--') return { options, operand: i + 1 < tokens.length ? i + 1 : undefined };
    if (token.length <= 1 || !token.startsWith('-')) {
      if (operands === 'stop') return { options, operand: i };
      continue;
    }
    const name = optionName(token);
    const entry = optionShape(name);
    const inline = token.startsWith('--') && token.includes('=');
    let value = inline ? token.slice(token.indexOf('=') + 1) : undefined;
    const next = tokens[i + 1];
    if (!inline && entry?.value === true && next !== undefined && !next.startsWith('-')) {
      value = next.startsWith('\\-') ? next.slice(1) : next; // Node reads `\-x` as the value `-x`.
      i++;
    }
    options.push({ name, value });
    if (entry?.ends === true && !inline) return { options, operand: i + 1 < tokens.length ? i + 1 : undefined };
  }
  return { options, operand: undefined };
}

/** The option names in a list of Node options (execArgv, NODE_OPTIONS tokens), skipping values. */
export function optionNames(tokens: readonly string[]): string[] {
  return scanOptions(tokens, 'skip').options.map((o) => o.name);
}
