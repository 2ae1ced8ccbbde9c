// Prints the C header the secnode launcher includes (dist/runtime/launcher-table.h), generated from the
// option table (src/options.ts) so the launcher and the in-process guards judge by one table, and print their
// refusals from one definition (src/refusal.ts, src/errors.ts).
import { fileURLToPath } from 'node:url';
import { enforcedBy, optionRefused } from '../src/errors.js';
import { envTable, optionTable, type Verdict } from '../src/options.js';
import { PIN_FILE } from '../src/pinned-node.js';
import { EXIT_REFUSED, refusalText } from '../src/refusal.js';

const SN_VALUE = 0x01;
const SN_RF = 0x02;
const SN_DI = 0x04;
const SN_EARLY = 0x08;
const SN_NEUTRAL = 0x10;
const SN_PREFIX = 0x20;

/** A C string literal for ASCII text. */
function cString(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&').replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}"`;
}

/** A printf format from text made with the markers \x01, \x02, \x03 where the C arguments go (each becomes %s). */
function cFormat(text: string): string {
  const format = text.replace(/%/g, '%%').replace(/[\x01-\x03]/g, '%s');
  return `"${format.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n')}"`;
}

/**
 * The launcher's refusal, from the same definitions the preload prints with (src/refusal.ts, src/errors.ts): the
 * two-line format with its exit status, and the refused-option message, code and hint.
 */
function refusalDefines(): string[] {
  const option = optionRefused('\x01', enforcedBy('\x02', '\x03'), '');
  return [
    `#define SN_EXIT_REFUSED ${EXIT_REFUSED}`,
    `#define SN_REFUSAL_FORMAT ${cFormat(refusalText('\x01', 'ERR_SECNODE_\x02', '\x03').replace('ERR_SECNODE_\x02', '\x02'))} /* message, code, hint */`,
    `#define SN_OPTION_REFUSED_FORMAT ${cFormat(option.message.replace(/^secnode: /, ''))} /* option, why, rule */`,
    `#define SN_OPTION_REFUSED_CODE ${cString(option.code)}`,
    `#define SN_OPTION_REFUSED_HINT ${cString(option.hint)}`,
  ];
}

/** The refusal and timing bits of a verdict. */
function verdictFlags(v: Verdict): number {
  return (v.governs === 'file' || v.governs === 'any' ? SN_RF : 0)
    | (v.governs === 'interactive' || v.governs === 'any' ? SN_DI : 0)
    | (v.early ? SN_EARLY : 0);
}

/** One `{ name, flags, why }` row; `why` is NULL where nothing is refused. */
function row(name: string, flags: number, v: Verdict): string {
  const why = v.governs === null ? 'NULL' : cString(v.why);
  return `  { ${cString(name)}, 0x${flags.toString(16).padStart(2, '0')}, ${why} },`;
}

/** The whole header, in the format the launcher expects. */
export function launcherTable(): string {
  const byStrcmp = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
  const options = [...optionTable().values()].sort((a, b) => byStrcmp(a.name, b.name));
  const env = [...envTable().values()].filter((e) => e.governs !== null);
  return [
    '/* launcher-table.h: generated from src/options.ts, src/refusal.ts and src/errors.ts by runtime/launcher-table.ts; do not edit. */',
    ...refusalDefines(),
    '#define SN_VALUE  0x01  /* option takes a value: "--opt value" (or "--opt=value") */',
    '#define SN_RF     0x02  /* refused when file enforcement is on (RF bit or SECNODE_RESTRICT_FILE=1) */',
    '#define SN_DI     0x04  /* refused when interactive enforcement is on (DI bit or SECNODE_DENY_INTERACTIVE=1) */',
    '#define SN_EARLY  0x08  /* Node acts on it before any preload runs (only the launcher can stop it) */',
    '#define SN_NEUTRAL 0x10 /* env only: under RF the launcher neutralises it instead of refusing (see below) */',
    '#define SN_PREFIX 0x20  /* env only: the name is a prefix (e.g. "LD_") */',
    'struct sn_entry { const char *name; unsigned flags; const char *why; };',
    `#define SN_PIN_FILE ${cString(PIN_FILE)}  /* in <dist>/runtime: the Node binaries pinned for enforcement */`,
    '/* Every option spelling any supported Node version accepts (canonical names AND aliases such as',
    '   "-r", "-pe", "--debug-port"), sorted by name (strcmp order), for bsearch. Safe options are listed',
    '   too (flags 0 or SN_VALUE) so that value-taking is known. `why` is NULL for safe options. */',
    'static const struct sn_entry SN_OPTIONS[] = {',
    ...options.map((o) => row(o.name, (o.value ? SN_VALUE : 0) | verdictFlags(o), o)),
    '};',
    `static const unsigned SN_OPTIONS_COUNT = ${options.length};`,
    '/* Environment variables that load or run code before JavaScript or out of secnode\'s sight',
    '   (exact names, and prefixes with SN_PREFIX), any order. */',
    'static const struct sn_entry SN_ENV[] = {',
    ...env.map((e) => row(e.name, verdictFlags(e) | (e.neutral ? SN_NEUTRAL : 0) | (e.prefix ? SN_PREFIX : 0), e)),
    '};',
    `static const unsigned SN_ENV_COUNT = ${env.length};`,
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(launcherTable());
