// The sweep: every unsafe option of the table (src/options/), on the command line and in NODE_OPTIONS,
// plain, with `_`, quoted and escaped as Node reads them, and every unsafe environment variable, through
// `node --require <dist>/loader/register.cjs`: refused (exit 126, ERR_SECNODE_OPTION_REFUSED) under the bit
// that governs it alone, and not refused under the other bit alone (plain spelling: the spellings are
// proven equal to Node's own reading in test/unit/options-table.test.ts).
// Options Node acts on before any preload and that never let a preload run (or wait forever) cannot be
// refused in-process: they are listed in EARLY_ONLY and left to the launcher's tests.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optionTable, type Governs } from '../src/options.js';
import { NODE_ALIAS_FACTS, NODE_OPTION_FACTS } from '../src/options/node-data.js';
import { makeFixtures, type Fixtures } from './helpers/launcher-fixtures.js';
import { envFor, nodes, POLICIES, REGISTER, SECNODECTL, type NodeUnderTest, type Policy } from './helpers/run.js';

/** Early options that stop Node before any preload runs, or make it wait: only the launcher can refuse them. */
const EARLY_ONLY: Readonly<Record<string, string>> = {
  '--inspect-brk': 'waits for a debugger before any preload',
  '--inspect-wait': 'waits for a debugger before any preload',
  '--inspect-brk-node': 'waits for a debugger before any preload',
  '--debug': 'Node refuses it itself (removed)',
  '--debug-brk': 'Node refuses it itself (removed)',
  '--run': 'runs a package.json script without preloads',
  '--build-snapshot': 'builds a snapshot without preloads',
  '--build-snapshot-config': 'builds a snapshot without preloads',
  '--snapshot-blob': 'runs a snapshot without preloads',
  '--experimental-sea-config': 'builds a SEA blob without preloads',
  '--build-sea': 'builds a SEA without preloads',
  '--enable-fips': 'Node stops before preloads when no FIPS provider is present',
  '--force-fips': 'Node stops before preloads when no FIPS provider is present',
};

const POLICY = '{ "onerror": "log", "resources": {} }\n';

/** A value for each value-taking unsafe option (files in the fixture directory). */
const VALUES: Readonly<Record<string, string>> = {
  '--experimental-loader': './l.mjs', '--loader': './l.mjs', '--openssl-config': 'o.cnf',
  '--experimental-config-file': 'cfg.json', '--config-file': 'cfg.json', '--experimental-default-config-file': 'node.config.json',
  '--experimental-policy': 'p.json', '--vfs-load': 'vfs', '--policy-integrity': `sha256-${createHash('sha256').update(POLICY).digest('base64')}`,
};

/** Options that Node accepts only beside another (given after it, in the same place). */
const WITH: Readonly<Record<string, string>> = { '--policy-integrity': '--experimental-policy=p.json', '--vfs-load': '--experimental-vfs' };

const FILES = {
  'm.js': 'console.log("main ran");\n',
  'l.mjs': 'export {};\n',
  'o.cnf': '\n',
  'cfg.json': '{}\n',
  'node.config.json': '{}\n',
  'p.json': POLICY,
  'repl.js': 'console.log("REPL MODULE RAN");\n',
  'vfs/m.js': 'console.log("main ran");\n',
  // Runs every case (as plain node, no secnode: its children start under the bits it inherited) and prints the outcomes.
  'driver.mjs': `import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const out = [];
let next = 0;
function one(c) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, c.args, { env: { ...process.env, ...c.env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 15000 });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdout.resume();
    child.on('close', (status) => { out.push({ id: c.id, status, stderr }); resolve(); });
  });
}
async function worker() { while (next < cases.length) await one(cases[next++]); }
await Promise.all([worker(), worker(), worker()]);
process.stdout.write(JSON.stringify(out));
`,
} as const;

interface Case {
  readonly id: string; readonly name: string; readonly governs: Governs; readonly plain: boolean;
  readonly args: string[]; readonly env: Record<string, string>;
}

const knows = (n: NodeUnderTest, name: string): boolean => {
  const majors = NODE_OPTION_FACTS[name]?.[2] ?? NODE_ALIAS_FACTS[name]?.[1] ?? NODE_ALIAS_FACTS[`${name}=`]?.[1] ?? '';
  return majors.split(' ').includes(String(n.major));
};

/** Every in-process-refusable unsafe option in every spelling, and every unsafe variable, for one Node version. */
function cases(n: NodeUnderTest): Case[] {
  const out: Case[] = [];
  const add = (name: string, governs: Governs, how: string, args: string[], env: Record<string, string> = {}): void => {
    out.push({ id: `${name} ${how}`, name, governs, plain: out.every((c) => c.name !== name), args: ['--require', REGISTER, ...args, 'm.js'], env });
  };
  for (const entry of optionTable().values()) {
    const { name, governs } = entry;
    if (governs === null || EARLY_ONLY[name] !== undefined || !knows(n, name)) continue;
    const value = name.startsWith('--inspect') ? '127.0.0.1:0' : entry.value ? VALUES[name] : undefined;
    if (entry.value && value === undefined) throw new Error(`the sweep needs a value for ${name}`);
    const token = value === undefined ? name : `${name}=${value}`;
    const beside = WITH[name] === undefined ? [] : [WITH[name]];
    add(name, governs, 'in argv', [...(value === undefined || !entry.value ? [token] : [name, value]), ...beside]);
    if (name.startsWith('--') && name.slice(2).includes('-')) {
      add(name, governs, 'in argv with _', [token.replace(/^(--[^=]*)/, (m) => `--${m.slice(2).replace(/-/g, '_')}`), ...beside]);
    }
    const canonical = entry.expands[entry.expands.length - 1] ?? name;
    if (NODE_OPTION_FACTS[canonical]?.[1] !== true) continue; // Node refuses it in NODE_OPTIONS itself
    const after = beside.map((b) => ` ${b}`).join('');
    add(name, governs, 'in NODE_OPTIONS, quoted', [], { NODE_OPTIONS: `"${token}"${after}` });
    add(name, governs, 'in NODE_OPTIONS, split by quotes', [], { NODE_OPTIONS: `--""${token.slice(2, 5)}"${token.slice(5)}"${after}` });
    add(name, governs, 'in NODE_OPTIONS, escaped', [], { NODE_OPTIONS: `"--\\${token.slice(2)}"${after}` });
  }
  const vars: Record<string, string> = {
    LD_BIND_NOW: '1', LD_LIBRARY_PATH: '/nonexistent', GCONV_PATH: '/nonexistent', GLIBC_TUNABLES: 'glibc.malloc.tcache_count=1',
    OPENSSL_CONF: 'o.cnf', OPENSSL_CONF_INCLUDE: '/nonexistent', OPENSSL_MODULES: '/nonexistent', OPENSSL_ENGINES: '/nonexistent',
    NODE_REPL_EXTERNAL_MODULE: 'repl.js',
  };
  for (const [name, value] of Object.entries(vars)) add(name, 'file', 'in the environment', [], { [name]: value });
  return out;
}

/** Which bits alone must refuse a case, and which must not. */
const refusedUnder = (governs: Governs, policy: Policy): boolean =>
  policy !== 'none' && (governs === 'any' || (governs === 'file') === (policy === 'RF'));

let fx: Fixtures;
beforeAll(() => { fx = makeFixtures('option-table', FILES); });
afterAll(() => fx.remove());

/** Runs the cases in one driver process under the policy's bits (a long timeout: the cases run in a batch). */
function sweep(n: NodeUnderTest, policy: Policy, list: readonly Case[]): Map<string, { status: number | null; stderr: string }> {
  const file = fx.path(`cases-${n.name}-${policy}.json`);
  writeFileSync(file, JSON.stringify(list));
  const r = spawnSync(process.execPath, [SECNODECTL, 'exec', ...POLICIES[policy], '--', join(n.bin, 'node'), fx.path('driver.mjs'), file],
    { cwd: fx.dir, env: envFor(n), encoding: 'utf8', timeout: 280_000 });
  expect(r.status, `${r.error}\n${r.stderr}`).toBe(0);
  return new Map((JSON.parse(r.stdout) as { id: string; status: number | null; stderr: string }[]).map((o) => [o.id, o]));
}

describe.each(nodes())('$name', (n) => {
  const list = cases(n);

  it('sweeps every unsafe option that is not early-only, and early-only ones are all early', () => {
    for (const name of Object.keys(EARLY_ONLY)) expect(optionTable().get(name)?.early, name).toBe(true);
    expect(list.length).toBeGreaterThan(30);
  });

  it.each(['RF', 'DI'] as const)('under %s alone: refused exactly where that bit governs', (policy) => {
    // Where the bit does not govern, the plain spelling is enough to show nothing is refused.
    const mine = list.filter((c) => c.plain || refusedUnder(c.governs, policy));
    const results = sweep(n, policy, mine);
    const wrong: string[] = [];
    for (const c of mine) {
      const r = results.get(c.id);
      const refused = r?.status === 126 && r.stderr.includes('[ERR_SECNODE_OPTION_REFUSED]') && r.stderr.includes(`refused option ${c.name}: `);
      if (refused !== refusedUnder(c.governs, policy)) wrong.push(`${c.id}: status ${r?.status}\n${r?.stderr}`);
    }
    expect(wrong).toEqual([]);
  }, 300_000);
});
