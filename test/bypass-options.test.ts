// Node options and channels that would run code out of secnode's sight: refused under enforcement (exit 126,
// ERR_SECNODE_OPTION_REFUSED, nothing ran), the same as plain node with no bits; the inspector under DI.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DOORS, makeFixtures, plain, show, through, type Door, type Fixtures } from './helpers/launcher-fixtures.js';
import { envFor, nodes, SECNODE, SECNODECTL, type NodeUnderTest, type Policy, type Run } from './helpers/run.js';

const FILES = {
  'm.js': 'console.log("main ran");\n',
  'noop.cjs': '',
  'l.mjs': 'console.log("LOADER RAN");\n',
  'repl.js': 'console.log("REPL MODULE RAN");\n',
  'snap.js': 'require("v8").startupSnapshot.setDeserializeMainFunction(() => console.log("SNAPSHOT RAN"));\n',
  'cfg.json': '{ "nodeOptions": { "experimental-loader": ["./l.mjs"] } }\n',
  'p.json': '{ "onerror": "log", "scopes": { "file:": { "integrity": true, "dependencies": true }, "data:": { "integrity": true, "dependencies": true } } }\n',
  'loader.env': 'NODE_OPTIONS="--experimental-loader ./l.mjs"\n',
  'inspect.env': 'NODE_OPTIONS="--inspect=127.0.0.1:0"\n',
  'cache.cjs': `try { console.log(typeof require('node:module').enableCompileCache(process.argv[2]).status); }
catch (e) { console.log('refused', e.code); }\n`,
  'cache.mjs': `import { enableCompileCache } from 'node:module';
try { console.log(typeof enableCompileCache(process.argv[2]).status); } catch (e) { console.log('refused', e.code); }\n`,
  'open.js': `const how = process.argv[2];
const inspector = require('node:inspector');
try {
  if (how === 'binding') process.binding('inspector').open(0, '127.0.0.1', false);
  else require(how).open(0, '127.0.0.1');
  console.log('opened', typeof inspector.url());
  inspector.close();
} catch (e) { console.log('refused', e.code, e.source); }\n`,
  'open.mjs': `import { open, url, close } from 'node:inspector';
try { open(0, '127.0.0.1'); console.log('opened', typeof url()); close(); } catch (e) { console.log('refused', e.code, e.source); }\n`,
  // signals itself after (maybe) removing listeners; reports once secnode recorded the refused SIGUSR1
  'sig.js': `const { subscribe } = require('node:diagnostics_channel');
const keep = setInterval(() => {}, 1000);
subscribe('secnode:decision', (r) => {
  if (r.source === 'SIGUSR1 inspector') setImmediate(() => { console.log(r.event, r.allowed, 'url', String(require('node:inspector').url())); clearInterval(keep); });
});
const how = process.argv[2];
if (how === 'removeAllListeners(SIGUSR1)') process.removeAllListeners('SIGUSR1');
if (how === 'off') for (const l of process.listeners('SIGUSR1')) process.off('SIGUSR1', l);
if (how === 'removeAllListeners()') process.removeAllListeners();
process.kill(process.pid, 'SIGUSR1');\n`,
  // waits for SIGUSR1 from outside
  'wait.js': `const { subscribe } = require('node:diagnostics_channel');
const keep = setInterval(() => {}, 1000);
subscribe('secnode:decision', (r) => {
  if (r.source === 'SIGUSR1 inspector') setImmediate(() => { console.log('url', String(require('node:inspector').url())); clearInterval(keep); });
});
console.log('ready');\n`,
} as const;

let fx: Fixtures;
beforeAll(() => {
  fx = makeFixtures('options', FILES);
  for (const n of nodes()) {
    const r = spawnSync(join(n.bin, 'node'), ['--snapshot-blob', `snap-${n.name}.blob`, '--build-snapshot', 'snap.js'], { cwd: fx.dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building the snapshot failed: ${r.stderr}`);
  }
});
afterAll(() => fx.remove());

const [SECNODE_DOOR, , REGISTER_DOOR] = DOORS as readonly [Door, Door, Door];

/** Same stderr apart from pids, inspector URLs and the run's own paths. */
const normal = (s: string): string => s.replace(/\(node:\d+\)/g, '(node:PID)').replace(/ws:\/\/\S+/g, 'ws://URL');

interface Vector {
  readonly name: string;
  /** The option the refusal must name. */
  readonly option: string;
  readonly args: (n: NodeUnderTest) => string[];
  readonly vars?: () => Record<string, string>;
  /** `register`: `node --require secnode/register` (its NODE_OPTIONS is unset, so an env file can set it). */
  readonly door?: 'register';
  readonly only?: (n: NodeUnderTest) => boolean;
  /** Why secnode with no bits differs from plain node here (not this guard's doing). */
  readonly differs?: string;
}

const node20 = (n: NodeUnderTest): boolean => n.major < 22;
const node24 = (n: NodeUnderTest): boolean => n.major >= 24;

const VECTORS: readonly Vector[] = [
  { name: '--loader', option: '--loader', args: () => ['--loader', './l.mjs', 'm.js'] },
  { name: '--experimental_loader= (underscore spelling)', option: '--experimental-loader', args: () => ['--experimental_loader=./l.mjs', 'm.js'] },
  { name: '--experimental-loader in NODE_OPTIONS', option: '--experimental-loader', args: () => ['m.js'], vars: () => ({ NODE_OPTIONS: '--experimental-loader=./l.mjs' }) },
  { name: '--env-file whose NODE_OPTIONS names a loader', option: '--experimental-loader', door: 'register', args: () => ['--env-file=loader.env', 'm.js'] },
  { name: '--snapshot-blob', option: '--snapshot-blob', args: (n) => ['--snapshot-blob', `snap-${n.name}.blob`] },
  { name: '--expose-internals', option: '--expose-internals', args: () => ['--expose-internals', 'm.js'] },
  { name: '--experimental-policy (Node 20)', option: '--experimental-policy', args: () => ['--experimental-policy=p.json', 'm.js'], only: node20 },
  { name: '--experimental-config-file naming a loader (Node 24)', option: '--experimental-config-file', args: () => ['--experimental-config-file=cfg.json', 'm.js'], only: node24,
    differs: 'Node drops a config file\'s loaders when NODE_OPTIONS has a --require, and the launcher always sets one' },
  // NODE_COMPILE_CACHE is neutralised by the launcher under RF, not refused: see bypass-prestart.test.ts.
  { name: 'NODE_REPL_EXTERNAL_MODULE', option: 'NODE_REPL_EXTERNAL_MODULE', args: () => ['m.js'], vars: () => ({ NODE_REPL_EXTERNAL_MODULE: fx.path('repl.js') }) },
  { name: '--inspect', option: '--inspect', args: () => ['--inspect=127.0.0.1:0', 'm.js'] },
  { name: '--inspect in NODE_OPTIONS', option: '--inspect', args: () => ['m.js'], vars: () => ({ NODE_OPTIONS: '--inspect=127.0.0.1:0' }) },
  { name: '--env-file whose NODE_OPTIONS opens the inspector', option: '--inspect', door: 'register', args: () => ['--env-file=inspect.env', 'm.js'] },
];

function go(v: Vector, n: NodeUnderTest, policy: Policy): Run {
  const door = v.door === 'register' ? REGISTER_DOOR : SECNODE_DOOR;
  return through(door, v.args(n), { node: n, policy, cwd: fx.dir }, v.vars?.() ?? {});
}

function baseline(v: Vector, n: NodeUnderTest): Run {
  const lead = v.door === 'register' ? REGISTER_DOOR.baseline('./noop.cjs') : [];
  return plain([...lead, ...v.args(n)], { node: n, cwd: fx.dir }, v.vars?.() ?? {});
}

const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  running.clear();
});

describe.each(nodes())('$name', (n) => {
  const vectors = VECTORS.filter((v) => v.only?.(n) ?? true);

  it.each(vectors)('$name: refused under RF+DI, nothing ran', (v) => {
    const r = go(v, n, 'RF+DI');
    expect(r.status, show(r)).toBe(126);
    expect(r.stdout, show(r)).toBe('');
    expect(r.stderr, show(r)).toContain(`secnode: refused option ${v.option}: `);
    expect(r.stderr, show(r)).toContain('[ERR_SECNODE_OPTION_REFUSED]');
  });

  it.each(vectors.filter((v) => v.differs === undefined))('$name: with no bits, as plain node', (v) => {
    const r = go(v, n, 'none');
    const p = baseline(v, n);
    // A loader prints from Node's hooks thread: its lines interleave with the main thread's in any order.
    const lines = (out: string) => out.split('\n').sort();
    expect({ status: r.status, stdout: lines(r.stdout), stderr: normal(r.stderr) }, show(r))
      .toEqual({ status: p.status, stdout: lines(p.stdout), stderr: normal(p.stderr) });
  });

  it('--inspect-port alone opens nothing: allowed under RF+DI', () => {
    const r = go({ name: '', option: '', args: () => ['--inspect-port=0', 'm.js'] }, n, 'RF+DI');
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }, show(r)).toEqual({ status: 0, stdout: 'main ran\n', stderr: '' });
  });

  describe.skipIf(!node24(n))('module.enableCompileCache', () => {
    it.each(['cache.cjs', 'cache.mjs'])('%s: answers as Node does when the cache is disabled under RF+DI, and writes nothing', (script) => {
      const dir = fx.path(`cc-${script}`);
      const r = go({ name: '', option: '', args: () => [script, dir] }, n, 'RF+DI');
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }, show(r)).toEqual({ status: 0, stdout: 'number\n', stderr: '' });
      expect(existsSync(dir), show(r)).toBe(false);
    });

    it.each(['cache.cjs', 'cache.mjs'])('%s: works with no bits, and the cache is written', (script) => {
      const dir = fx.path(`cc-none-${script}`);
      const r = go({ name: '', option: '', args: () => [script, dir] }, n, 'none');
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }, show(r)).toEqual({ status: 0, stdout: 'number\n', stderr: '' });
      expect(readdirSync(dir).length, show(r)).toBeGreaterThan(0);
    });
  });

  const OPENERS = [
    { how: 'inspector.open()', args: ['open.js', 'node:inspector'] },
    { how: 'inspector/promises open()', args: ['open.js', 'node:inspector/promises'] },
    { how: 'process.binding("inspector").open()', args: ['open.js', 'binding'] },
    { how: 'import { open } from "node:inspector"', args: ['open.mjs'] },
  ];
  // DI governs the inspector: DI alone refuses as RF+DI does, RF alone lets it open.
  it.each(OPENERS.flatMap((o) => (['RF+DI', 'DI'] as const).map((policy) => ({ ...o, policy }))))('$how: throws ERR_SECNODE_INTERACTIVE_DENIED under $policy', ({ args, policy }) => {
    const r = go({ name: '', option: '', args: () => args }, n, policy);
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }, show(r))
      .toEqual({ status: 0, stdout: 'refused ERR_SECNODE_INTERACTIVE_DENIED inspector\n', stderr: '' });
  });

  it.each(OPENERS)('$how: opens under RF alone', ({ args }) => {
    const r = go({ name: '', option: '', args: () => args }, n, 'RF');
    expect({ status: r.status, stdout: r.stdout }, show(r)).toEqual({ status: 0, stdout: 'opened string\n' });
  });

  it.each(OPENERS)('$how: opens with no bits, as plain node', ({ args }) => {
    const v: Vector = { name: '', option: '', args: () => args };
    const r = go(v, n, 'none');
    const p = baseline(v, n);
    expect(r.stdout, show(r)).toBe('opened string\n');
    expect({ status: r.status, stdout: r.stdout, stderr: normal(r.stderr) }, show(r))
      .toEqual({ status: p.status, stdout: p.stdout, stderr: normal(p.stderr) });
  });

  const SELF = [
    { how: 'the listener in place', outcome: { status: 0, signal: null, stdout: 'interactive false url undefined\n' } },
    { how: 'removeAllListeners(SIGUSR1)', outcome: { status: 0, signal: null, stdout: 'interactive false url undefined\n' } },
    { how: 'off', outcome: { status: 0, signal: null, stdout: 'interactive false url undefined\n' } },
    // Node's own signal listeners go too: SIGUSR1 falls back to its default action (no inspector ever).
    { how: 'removeAllListeners()', outcome: { status: null, signal: 'SIGUSR1', stdout: '' } },
  ];
  it.each(SELF.flatMap((c) => (['RF+DI', 'DI'] as const).map((policy) => ({ ...c, policy }))))('SIGUSR1 to itself with $how: no inspector under $policy', ({ how, outcome, policy }) => {
    const r = go({ name: '', option: '', args: () => ['sig.js', how] }, n, policy);
    expect({ status: r.status, signal: r.signal, stdout: r.stdout }, show(r)).toEqual(outcome);
    expect(r.stderr, show(r)).not.toContain('Debugger listening');
  });

  it('kill -USR1 from outside does not open the inspector under RF+DI', async () => {
    const child = spawn(process.execPath, [SECNODECTL, 'exec', '--restrict-file', '--deny-interactive', '--', SECNODE, 'wait.js'],
      { cwd: fx.dir, env: envFor(n), stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "ready" within 20 s: ${stdout}${stderr}`)), 20_000);
      child.stdout.on('data', (d: Buffer) => {
        const first = stdout === '';
        stdout += d.toString();
        if (first && stdout.startsWith('ready\n')) { clearTimeout(timer); resolve(); }
      });
    });
    child.kill('SIGUSR1');
    const status = await exited;
    expect({ status, stdout, stderr }).toEqual({ status: 0, stdout: 'ready\nurl undefined\n', stderr: '' });
  });
});
