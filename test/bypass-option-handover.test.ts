// What a program hands to its workers and children is gated like its own start, by the same table:
// a worker's execArgv and env NODE_OPTIONS, a child's execArgv, Node arguments, shell line and
// environment (given, loaded from an env file, or inherited). Under the bit that governs an entry,
// the call throws ERR_SECNODE_OPTION_REFUSED; under the other bit alone it goes on; with no bits the
// program sees what it sees under plain node. The compile cache stays off under RF, without failing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFixtures, show, type Fixtures } from './helpers/launcher-fixtures.js';
import { nodes, node, REGISTER, type NodeUnderTest, type Policy } from './helpers/run.js';

const PROBE = `const { Worker } = require('node:worker_threads');
const cp = require('node:child_process');
const which = process.argv[2];
const t = (name, f) => {
  if (which !== undefined && which !== name) return;
  try { f(); console.log(name, 'ok'); } catch (e) { console.log(name, e.code, e.option ?? ''); }
};
const worker = (file, opts) => { const w = new Worker(file, opts); w.on('error', () => {}); w.terminate(); };
const quiet = { stdio: 'ignore' };
t('worker execArgv --experimental-loader', () => worker(__dirname + '/m.js', { execArgv: ['--experimental-loader', './l.mjs'] }));
t('worker env NODE_OPTIONS --ins"pect"', () => worker(__dirname + '/m.js', { env: { NODE_OPTIONS: '--ins"pect"=127.0.0.1:0' } }));
t('fork execArgv --inspect', () => cp.fork('m.js', [], { execArgv: ['--inspect=127.0.0.1:0'], stdio: 'ignore' }).kill());
t('spawnSync node --inspect', () => cp.spawnSync(process.execPath, ['--inspect=127.0.0.1:0', 'm.js'], quiet));
t('spawnSync node m.js --inspect (an argument of m.js)', () => cp.spawnSync(process.execPath, ['m.js', '--inspect'], quiet));
t('spawnSync env NODE_OPTIONS escaped loader', () => cp.spawnSync(process.execPath, ['m.js'], { ...quiet, env: { ...process.env, NODE_OPTIONS: '"--\\\\experimental-loader=./l.mjs"' } }));
t('spawnSync true env LD_PRELOAD', () => cp.spawnSync('true', [], { env: { LD_PRELOAD: '/nonexistent.so' } }));
t('spawn true env OPENSSL_CONF', () => cp.spawn('true', [], { env: { OPENSSL_CONF: 'o.cnf' } }));
t('execSync node --inspect', () => cp.execSync('"node" --inspect=127.0.0.1:0 m.js', quiet));
t('spawnSync sh -c "node --inspect"', () => cp.spawnSync('sh', ['-c', 'exec node --inspect=127.0.0.1:0 m.js'], quiet));
t('execFileSync node --experimental-loader', () => cp.execFileSync('node', ['--experimental-loader=./l.mjs', 'm.js'], quiet));
t('loadEnvFile LD_PRELOAD, then spawnSync', () => { process.loadEnvFile('ld.env'); cp.spawnSync('true'); });
`;

const CACHE = `const { spawnSync } = require('node:child_process');
const m = require('node:module');
const r = typeof m.enableCompileCache === 'function' ? m.enableCompileCache(process.argv[2]) : undefined;
console.log('enableCompileCache', r === undefined ? 'none' : r.status);
const c = spawnSync(process.execPath, ['child.js'], { env: { ...process.env, NODE_COMPILE_CACHE: process.argv[3] }, encoding: 'utf8' });
process.stdout.write(c.stdout);\n`;
const CHILD = `console.log('child', process.env.NODE_DISABLE_COMPILE_CACHE, String(require('node:module').getCompileCacheDir?.()));\n`;

/** Which cases each bit refuses, and the name the refusal gives. */
const REFUSED: Readonly<Record<string, { governs: 'RF' | 'DI'; name: string }>> = {
  'worker execArgv --experimental-loader': { governs: 'RF', name: '--experimental-loader' },
  'worker env NODE_OPTIONS --ins"pect"': { governs: 'DI', name: '--inspect' },
  'fork execArgv --inspect': { governs: 'DI', name: '--inspect' },
  'spawnSync node --inspect': { governs: 'DI', name: '--inspect' },
  'spawnSync env NODE_OPTIONS escaped loader': { governs: 'RF', name: '--experimental-loader' },
  'spawnSync true env LD_PRELOAD': { governs: 'RF', name: 'LD_PRELOAD' },
  'spawn true env OPENSSL_CONF': { governs: 'RF', name: 'OPENSSL_CONF' },
  'execSync node --inspect': { governs: 'DI', name: '--inspect' },
  'spawnSync sh -c "node --inspect"': { governs: 'DI', name: '--inspect' },
  'execFileSync node --experimental-loader': { governs: 'RF', name: '--experimental-loader' },
  'loadEnvFile LD_PRELOAD, then spawnSync': { governs: 'RF', name: 'LD_PRELOAD' },
};
const CASES = [...Object.keys(REFUSED).slice(0, 4), 'spawnSync node m.js --inspect (an argument of m.js)', ...Object.keys(REFUSED).slice(4)];

let fx: Fixtures;
beforeAll(() => {
  fx = makeFixtures('option-handover', {
    'probe.js': PROBE, 'm.js': '', 'l.mjs': 'export {};\n', 'o.cnf': '\n', 'ld.env': 'LD_PRELOAD=/nonexistent.so\n',
    'cache.js': CACHE, 'child.js': CHILD, 'cache.env': 'NODE_COMPILE_CACHE=./cc-env\n',
  });
});
afterAll(() => fx.remove());

const expected = (policy: Policy): string => CASES.map((name) => {
  const r = REFUSED[name];
  const bits = policy === 'RF+DI' ? ['RF', 'DI'] : [policy];
  return r !== undefined && bits.includes(r.governs) ? `${name} ERR_SECNODE_OPTION_REFUSED ${r.name}\n` : `${name} ok\n`;
}).join('');

describe.each(nodes())('$name', (n: NodeUnderTest) => {
  const probe = (policy: Policy) => node(['--require', REGISTER, 'probe.js'], { node: n, policy, cwd: fx.dir });

  it.each(['RF', 'DI', 'RF+DI'] as const)('under %s: refused exactly where the bit governs', (policy) => {
    const r = probe(policy);
    expect({ status: r.status, stdout: r.stdout }, show(r)).toEqual({ status: 0, stdout: expected(policy) });
  });

  it('with no bits: as plain node', () => {
    const r = probe('none');
    const p = node(['probe.js'], { node: n, cwd: fx.dir });
    expect({ status: r.status, stdout: r.stdout }, show(r)).toEqual({ status: p.status, stdout: p.stdout });
    expect(r.stdout).toBe(expected('none'));
  });

  const hasCache = n.major >= 22;
  it.each(['RF', 'RF+DI'] as const)('compile cache under %s: enableCompileCache() answers DISABLED, a child\'s NODE_COMPILE_CACHE is neutralised', (policy) => {
    const r = node(['--require', REGISTER, 'cache.js', fx.path(`cc-${policy}`), fx.path(`ccc-${policy}`)], { node: n, policy, cwd: fx.dir });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }, show(r)).toEqual({
      status: 0, stderr: '',
      stdout: hasCache ? 'enableCompileCache 3\nchild 1 undefined\n' : 'enableCompileCache none\nchild 1 undefined\n',
    });
  });

  it.each(['DI', 'none'] as const)('compile cache under %s: works as under plain node', (policy) => {
    const r = node(['--require', REGISTER, 'cache.js', fx.path(`cc-${policy}`), fx.path(`ccc-${policy}`)], { node: n, policy, cwd: fx.dir });
    const dir = fx.path(`ccc-${policy}`);
    expect({ status: r.status, stderr: r.stderr }, show(r)).toEqual({ status: 0, stderr: '' });
    expect(r.stdout.split('\n')[0]).toBe(hasCache ? 'enableCompileCache 1' : 'enableCompileCache none');
    expect(r.stdout.split('\n')[1]).toMatch(hasCache ? new RegExp(`^child undefined ${dir}/`) : /^child undefined undefined$/);
  });

  it.skipIf(!hasCache)('NODE_COMPILE_CACHE at start-up through --require secnode/register under RF: the cache is already on, so the start is refused', () => {
    const r = node(['--require', REGISTER, 'm.js'], { node: n, policy: 'RF', cwd: fx.dir, env: { NODE_COMPILE_CACHE: fx.path('cc-start') } });
    expect(r.status, show(r)).toBe(126);
    expect(r.stderr, show(r)).toContain('refused option NODE_COMPILE_CACHE: ');
  });

  it.skipIf(!hasCache)('--env-file setting NODE_COMPILE_CACHE under RF: runs (Node does not turn the cache on from an env file), children get it off', () => {
    const r = node(['--require', REGISTER, '--env-file=cache.env', 'child.js'], { node: n, policy: 'RF', cwd: fx.dir });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }, show(r)).toEqual({ status: 0, stdout: 'child 1 undefined\n', stderr: '' });
  });

  it.skipIf(!hasCache)('NODE_COMPILE_CACHE with NODE_DISABLE_COMPILE_CACHE=1 (as the launcher leaves it) under RF: runs, the cache stays off', () => {
    const r = node(['--require', REGISTER, 'cache.js', fx.path('cc-x'), fx.path('ccc-x')], { node: n, policy: 'RF', cwd: fx.dir,
      env: { NODE_COMPILE_CACHE: fx.path('cc-start'), NODE_DISABLE_COMPILE_CACHE: '1' } });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }, show(r))
      .toEqual({ status: 0, stdout: 'enableCompileCache 3\nchild 1 undefined\n', stderr: '' });
  });
});
