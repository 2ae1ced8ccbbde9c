// `secnodectl preflight NODE NODE_OPTIONS -- ARGS…` (run by the secnode launcher only when an option
// that Node acts on before any preload appears): refuse it under enforcement, else exec node as asked.
import { optionRefused } from '../src/errors.js';
import { execv, readSecurebits } from '../src/kernel.js';
import { splitNodeOptions } from '../src/preloads.js';
import { decodeBits } from '../src/securebits.js';
import { readSettings } from '../src/settings.js';

/** Node options that take their value as the next argument (the rest use `--opt=value` or none). */
const TAKES_VALUE = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-e', '--eval',
  '-p', '--print', '--input-type', '-C', '--conditions', '--env-file', '--env-file-if-exists', '--experimental-config-file',
  '--title', '--watch-path', '--inspect-port', '--debug-port', '--disable-warning', '--redirect-warnings',
  '--test-name-pattern', '--test-reporter', '--test-reporter-destination', '--test-skip-pattern', '--experimental-default-type']);

/** Node's own options in an argv (up to the script, `-`, `--`, or the code of `-e`/`-p`). */
export function nodeOptionsOf(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--' || a === '-' || !a.startsWith('-')) break;
    out.push(a);
    if (TAKES_VALUE.has(a.replace(/_/g, '-'))) i++;
  }
  return out;
}

/** Options Node acts on before secnode's preload can run, and what each needs to be refused. */
const EARLY: readonly { names: readonly string[]; when: 'file' | 'interactive' | 'any'; why: string }[] = [
  { names: ['--inspect', '--inspect-brk', '--inspect-wait', '--inspect-brk-node'], when: 'interactive', why: 'opens the inspector (an interactive code channel) before any check can run' },
  { names: ['--build-snapshot', '--build-snapshot-config', '--snapshot-blob'], when: 'file', why: 'a snapshot is code that Node runs or builds without preloads' },
  { names: ['--experimental-config-file', '--experimental-default-config-file'], when: 'any', why: 'a config file can set loaders, preloads and the inspector before secnode runs' },
];

/** The refusal for the first early option that enforcement forbids, if any. */
export function earlyRefusal(tokens: readonly string[], file: string | null, interactive: string | null, hex: string): Error | undefined {
  for (const token of tokens) {
    const name = (token.split('=')[0] ?? '').replace(/_/g, '-');
    for (const rule of EARLY) {
      const by = rule.when === 'file' ? file : rule.when === 'interactive' ? interactive : file ?? interactive;
      if (by !== null && rule.names.includes(name)) return optionRefused(name, `${rule.why} (enforced by ${by})`, hex);
    }
  }
  return undefined;
}

/** Runs the preflight; returns an exit status only when it does not exec node. */
export function preflight(args: readonly string[]): number {
  const [nodeBin, nodeOptions = '', ...rest] = args;
  if (nodeBin === undefined) return 2;
  try {
    const raw = readSecurebits();
    const bits = decodeBits(raw);
    const { forced } = readSettings(process.env);
    const file = bits.restrictFile ? 'SECBIT_EXEC_RESTRICT_FILE' : forced.restrictFile ? 'SECNODE_RESTRICT_FILE' : null;
    const interactive = bits.denyInteractive ? 'SECBIT_EXEC_DENY_INTERACTIVE' : forced.denyInteractive ? 'SECNODE_DENY_INTERACTIVE' : null;
    const refusal = earlyRefusal([...splitNodeOptions(nodeOptions), ...nodeOptionsOf(rest)], file, interactive, `0x${raw.toString(16)}`);
    if (refusal) throw refusal;
  } catch (e) {
    const err = e as { message?: string; code?: string; hint?: string };
    process.stderr.write(`${err.message ?? String(e)}${err.code ? ` [${err.code}]` : ''}\n${err.hint ?? 'hint: see the secnode README'}\n`);
    return 126;
  }
  process.env.NODE_OPTIONS = nodeOptions;
  const errno = execv(nodeBin, ['node', ...rest]);
  process.stderr.write(`secnode: cannot execute ${nodeBin}: errno ${errno}\n`);
  return 126;
}
