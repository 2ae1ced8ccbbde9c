// secnode as a drop-in for `node`: with no bits set it behaves like plain node (argv, exit codes, signals,
// stdio, module identity, shebang, entry resolution), children inherit it, and the policy holds in the
// places a launcher can get wrong (preload order, nested launches, refusals deep in the graph, settings).
import { spawnSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOORS, EXEC_DENIED_RF, expectRan, expectRefused, makeFixtures, plain, show, through,
  type Door, type Fixtures,
} from './helpers/launcher-fixtures.js';
import { REGISTER, ROOT, SECNODE, SECNODECTL, envFor, nodes, run, type NodeUnderTest, type Policy, type Run } from './helpers/run.js';

/** A preload that does nothing: plain node's baseline for the `--import`/`--require` doors. */
const NOOP = './noop.cjs';
const DOOR_FLAGS = JSON.stringify(['--import', '--require', REGISTER, NOOP]);
const NOX = 0o644;

const FILES = {
  'ok.js': 'console.log(1)\n',
  'noop.cjs': '',
  'no.js': { src: 'console.log(1)\n', mode: NOX },
  'argv.js': `console.log(JSON.stringify({ argv: process.argv,
    execArgv: process.execArgv.filter((a) => !${DOOR_FLAGS}.includes(a)) }));\n`,
  'exit3.js': 'console.log("before"); process.exit(3);\n',
  'throw.js': 'console.log("before");\nthrow new Error("boom");\n',
  'throw.mjs': 'console.log("before");\nthrow new Error("boom");\n',
  'exitcode.js': 'process.exitCode = 7; console.log("set");\n',
  'kill.js': 'process.kill(process.pid, "SIGTERM"); setInterval(() => {}, 1000);\n',
  'pid.js': 'console.log(process.pid);\n',
  'mapped.js': "try { throw new Error('mapped'); } catch (e) { console.log(e.stack.split('\\n')[1].trim()); }\n//# sourceMappingURL=mapped.js.map\n",
  'mapped.js.map': { src: JSON.stringify({ version: 3, file: 'mapped.js', sources: ['original.ts'], names: [], mappings: 'AAAA;AACA' }), mode: NOX },
  'uncaught.cjs': "console.log('before');\nrequire('./no.js');\nconsole.log('after');\n",
  'uncaught.mjs': "console.log('before');\nawait import('./no.js');\nconsole.log('after');\n",
  'upper.js': `let s = ''; process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { s += d; }).on('end', () => process.stdout.write(s.toUpperCase()));\n`,
  'stdio.js': 'console.log("out"); console.error("err"); process.stdout.write("tail"); console.warn("warn");\n',
  'main.cjs': `console.log(JSON.stringify({ isMain: require.main === module, id: module.id,
    filename: __filename, mainFilename: require.main.filename }));\n`,
  'main.mjs': `console.log(JSON.stringify({ url: import.meta.url, filename: import.meta.filename,
    dirname: import.meta.dirname, main: import.meta.main }));\n`,
  'app.js': 'console.log("app", require.main === module, __filename);\n',
  'shebang': `#!/usr/bin/env secnode
console.log(JSON.stringify(process.argv.slice(2)));
try { require('./no.js'); console.log('no.js ran'); } catch (e) { console.log(e.code); }\n`,
  // nested launches: spawn `process.execPath` or `secnode` (from PATH) on argv[3] and report the child
  'spawn.js': `const { spawnSync } = require('node:child_process');
const cmd = process.argv[2] === 'secnode' ? 'secnode' : process.execPath;
const r = spawnSync(cmd, [process.argv[3]], { encoding: 'utf8' });
console.log(JSON.stringify({ status: r.status, stdout: r.stdout, stderr: r.stderr }));\n`,
  'env.js': 'console.log(process.env.NODE_OPTIONS ?? "");\n',
  // data is never checked, code is
  'data.json': { src: '{ "x": 42 }\n', mode: NOX },
  'json.mjs': 'import d from "./data.json" with { type: "json" };\nconsole.log(d.x);\n',
  'json.cjs': 'console.log(require("./data.json").x);\n',
  // preload order
  'other.cjs': 'console.log("other");\n',
  'other-no.cjs': { src: 'console.log("other");\n', mode: NOX },
  // refusals deep in the graph, caught by the app
  'deep.cjs': 'try { require("./dep.js"); } catch (e) { console.log(e.code); }\nconsole.log("after");\n',
  'deep.mjs': 'try { await import("./dep.mjs"); } catch (e) { console.log(e.code); }\nconsole.log("after");\n',
  'dep.js': { src: 'console.log("dep ran");\n', mode: NOX },
  'dep.mjs': { src: 'console.log("dep ran");\n', mode: NOX },
} as const;

const SECNODE_DOOR = DOORS[0] as Door;

let fx: Fixtures;
beforeAll(() => {
  fx = makeFixtures('launcher', FILES);
});
afterAll(() => fx.remove());

const opts = (n: NodeUnderTest, policy: Policy = 'none', env: NodeJS.ProcessEnv = {}, input = '') =>
  ({ node: n, policy, env, input, cwd: fx.dir });

/** Stack frames outside the fixtures differ by design (secnode's own loader frames): keep the user's. */
function userStderr(stderr: string): string {
  return stderr.split('\n').filter((l) => !/^\s+at /.test(l) || l.includes(fx.dir)).join('\n');
}

interface Fidelity { readonly name: string; readonly args: readonly string[]; readonly input?: string; readonly signal?: NodeJS.Signals }

/** Each case runs through the door and through plain node: the observable result must be the same. */
const FIDELITY: readonly Fidelity[] = [
  { name: 'process.argv (and execArgv)', args: ['--no-warnings', '--stack-size=900', 'argv.js', 'a b', '--inspect', '-e', 'x', '--', ''] },
  { name: 'process.exit(3)', args: ['exit3.js'] },
  { name: 'uncaught throw (CJS) exits 1', args: ['throw.js'] },
  { name: 'uncaught throw (ESM) exits 1', args: ['throw.mjs'] },
  { name: 'process.exitCode', args: ['exitcode.js'] },
  { name: 'a signal it sends itself', args: ['kill.js'], signal: 'SIGTERM' },
  { name: 'stdin passthrough', args: ['upper.js'], input: 'hello\nworld\n' },
  { name: 'stdout and stderr', args: ['stdio.js'] },
  { name: 'require.main === module (CJS entry)', args: ['main.cjs'] },
  { name: 'import.meta (ESM entry)', args: ['main.mjs'] },
  { name: 'extension-less entry resolves to app.js', args: ['app'] },
];

describe.each(nodes())('$name', (n) => {
  describe.each(DOORS)('$name, no bits: same as node', (door) => {
    it.each(FIDELITY)('$name', ({ args, input, signal }) => {
      const mine = through(door, args, opts(n, 'none', {}, input));
      const theirs = plain([...door.baseline(NOOP), ...args], opts(n, 'none', {}, input));
      expect(theirs.signal).toBe(signal ?? null);
      expect({ ...mine, stderr: userStderr(mine.stderr) }, show(mine))
        .toEqual({ ...theirs, stderr: userStderr(theirs.stderr) });
    });
  });

  it.each([{ bits: [] as string[] }, { bits: ['--restrict-file', '--deny-interactive'] }])('the launcher keeps its pid: the program is the process its caller started (bits $bits)', ({ bits }) => {
    // secnodectl exec execs too (its own pid test is in ctl.test.ts), so the pid the caller sees is the launcher's.
    const argv = bits.length > 0 ? [SECNODECTL, 'exec', ...bits, '--', SECNODE, 'pid.js'] : ['pid.js'];
    const r = spawnSync(bits.length > 0 ? process.execPath : SECNODE, argv, { cwd: fx.dir, env: envFor(n), encoding: 'utf8' });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(Number(r.stdout.trim())).toBe(r.pid);
  });

  it('RF: a 0644 source map is data: read for --enable-source-maps, never checked', () => {
    const r = run(SECNODE, ['--enable-source-maps', 'mapped.js'], opts(n, 'RF'));
    expect([r.status, r.stderr], show(r)).toEqual([0, '']);
    expect(r.stdout).toMatch(/original\.ts:\d+:\d+/);
  });

  it.each(['uncaught.cjs', 'uncaught.mjs'])('RF: a refused require/import the program does not catch ends it with status 1 (%s)', (entry) => {
    const r = run(SECNODE, [entry], opts(n, 'RF'));
    expect([r.status, r.stdout], show(r)).toEqual([1, 'before\n']);
    expect(r.stderr).toContain('ERR_SECNODE_EXEC_DENIED');
  });

  describe('#!/usr/bin/env secnode', () => {
    it('runs with the same argv as node and secnode in place', () => {
      const r = run(fx.path('shebang'), ['x', '--y'], opts(n));
      expectRan(r, `["x","--y"]\n1\nno.js ran\n`);
    });
    it('enforces under RF', () => {
      const r = run(fx.path('shebang'), ['x'], opts(n, 'RF'));
      expectRan(r, `["x"]\nERR_SECNODE_EXEC_DENIED\n`);
    });
  });

  describe('nested launches', () => {
    /** The child's NODE_OPTIONS, as seen through spawn.js. */
    const childNodeOptions = (via: string): string => {
      const r = through(SECNODE_DOOR, ['spawn.js', via, 'env.js'], opts(n));
      expectRan(r);
      const child = JSON.parse(r.stdout) as { status: number; stdout: string };
      expect(child.status).toBe(0);
      return child.stdout;
    };
    it.each(['execPath', 'secnode'])('a child started by %s has secnode --require exactly once', (via) => {
      const nodeOptions = childNodeOptions(via);
      expect(nodeOptions.split(REGISTER).length - 1, nodeOptions).toBe(1);
      expect(nodeOptions.startsWith(`--require "${REGISTER}"`), nodeOptions).toBe(true);
    });

    describe.each(DOORS)('$name, under RF', (door) => {
      it.each(['execPath', 'secnode'])('a child started by %s still refuses no.js with 126', (via) => {
        const r = through(door, ['spawn.js', via, 'no.js'], opts(n, 'RF'));
        expectRan(r);
        const child = JSON.parse(r.stdout) as Run;
        expectRefused({ ...child, signal: null }, EXEC_DENIED_RF);
      });
    });
  });

  describe.each(DOORS)('$name', (door) => {
    it.each(['json.mjs', 'json.cjs'])('under RF a 0644 JSON file is data, not code: %s', (entry) => {
      expectRan(through(door, [entry], opts(n, 'RF')), '42\n');
    });

    it.each([
      ['require', 'deep.cjs'], ['import()', 'deep.mjs'],
    ])('under RF a refused %s deep in the graph throws a catchable ERR_SECNODE_EXEC_DENIED', (_how, entry) => {
      expectRan(through(door, [entry], opts(n, 'RF')), 'ERR_SECNODE_EXEC_DENIED\nafter\n');
      expectRan(through(door, [entry], opts(n)), 'dep ran\nafter\n');
    });

    it.each([
      [{ SECNODE_RESTRICT_FILE: 'yes' }, 'SECNODE_RESTRICT_FILE'],
      [{ SECNODE_BOGUS: '1' }, 'SECNODE_BOGUS'],
    ])('invalid settings %o refuse to start', (env, name) => {
      expectRefused(through(door, ['ok.js'], opts(n, 'none', env)), { code: 'ERR_SECNODE_INVALID_CONFIG', rule: name });
    });

    it.each([
      ['SECNODE_RESTRICT_FILE', ['no.js'], 'ERR_SECNODE_EXEC_DENIED'],
      ['SECNODE_DENY_INTERACTIVE', ['-e', 'console.log(1)'], 'ERR_SECNODE_INTERACTIVE_DENIED'],
    ])('%s=1 with no bits enforces and names the setting', (name, args, code) => {
      const env = { [name]: '1' };
      expectRefused(through(door, args, opts(n, 'none', env)), { code, rule: name });
      expectRan(through(door, ['ok.js'], opts(n, 'none', env)), '1\n');
    });
  });

  describe('ERR_SECNODE_PRELOAD_ORDER', () => {
    const ORDER_CASES = [
      { name: 'node --require ./other.cjs --import <REGISTER>', args: ['--require', './other.cjs', '--import', REGISTER, 'ok.js'], vars: {} },
      { name: "NODE_OPTIONS='--require ./other.cjs' node --require <REGISTER>", args: ['--require', REGISTER, 'ok.js'], vars: { NODE_OPTIONS: '--require ./other.cjs' } },
    ];
    it.each(ORDER_CASES)('under RF: $name exits 126', ({ args, vars }) => {
      const r = plain(args, opts(n, 'RF'), vars);
      const [first = '', second = ''] = r.stderr.split('\n');
      expect(r.status, show(r)).toBe(126);
      expect(first, show(r)).toMatch(/^secnode:.*ERR_SECNODE_PRELOAD_ORDER/);
      expect(second, show(r)).toMatch(/^hint:/);
    });
    it.each(ORDER_CASES)('no bits: $name runs (each preload once, as with node; twice on Node 20 when the hooks thread starts with the process)', ({ args, vars }) => {
      // Node 20 reruns `--require` preloads inside the hooks thread that module.register() starts, for any
      // module.register() user; one that runs before secnode/register cannot be kept out (docs/threat-model.md: Node 20 limits).
      // With no bits, nothing forced and no audit secnode starts no thread (docs/design.md), so each runs once.
      expectRan(plain(args, opts(n), vars), 'other\n1\n');
    });
    it.runIf(n.major === 20)('Node 20, with an audit sink (the hooks thread starts with the process): a preload before secnode runs twice', () => {
      const [first] = ORDER_CASES;
      const r = plain(first?.args ?? [], opts(n), { SECNODE_AUDIT: 'file:/dev/null' });
      expect({ status: r.status, lines: r.stdout.split('\n').sort(), stderr: r.stderr }).toEqual({ status: 0, lines: ['', '1', 'other', 'other'], stderr: '' });
    });
    it('under RF with --preserve-symlinks, secnode reached through a symlinked directory runs; a preload before it is refused', () => {
      const link = join(fx.dir, 'linked-secnode');
      if (!existsSync(link)) symlinkSync(ROOT, link);
      const register = join(link, 'dist', 'loader', 'register.cjs');
      expectRan(plain(['--preserve-symlinks', '--require', register, 'ok.js'], opts(n, 'RF')), '1\n');
      const r = plain(['--preserve-symlinks', '--require', './other.cjs', '--require', register, 'ok.js'], opts(n, 'RF'));
      expect(r.status, show(r)).toBe(126);
      expect(r.stderr, show(r)).toContain('ERR_SECNODE_PRELOAD_ORDER');
    });
    it('under RF: secnode puts itself before NODE_OPTIONS preloads, and checks them', () => {
      expectRan(through(SECNODE_DOOR, ['ok.js'], opts(n, 'RF'), { NODE_OPTIONS: '--require ./other.cjs' }), 'other\n1\n');
      const r = through(SECNODE_DOOR, ['ok.js'], opts(n, 'RF'), { NODE_OPTIONS: '--require ./other-no.cjs' });
      expect(r.status, show(r)).not.toBe(0);
      expect(r.stdout, show(r)).toBe('');
      expect(r.stderr, show(r)).toContain('ERR_SECNODE_EXEC_DENIED');
    });
  });
});
