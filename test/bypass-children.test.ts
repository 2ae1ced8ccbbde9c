// Child processes as a side door: a child Node process started with a custom environment (or after the
// program wiped NODE_OPTIONS) still loads secnode first, so a 0644 entry or module is refused under RF.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BYPASS_FILES, describeVectors, type Vector } from './helpers/bypass.js';
import { DOORS, makeFixtures, show, through, type Fixtures } from './helpers/launcher-fixtures.js';
import { nodes } from './helpers/run.js';

/** Starts the child named by argv[2] (stdio inherited) and prints its exit status. */
const DRIVER = `'use strict';
const cp = require('node:child_process');
const { join } = require('node:path');
const no = join(__dirname, 'no.js');
const okreq = join(__dirname, 'okreq.js');
const PATH = process.env.PATH;
const io = { stdio: 'inherit' };
const onExit = (child) => child.on('exit', (code) => console.log('status', code));
const sync = (fn) => { try { fn(); console.log('status', 0); } catch (e) { console.log('status', e.status); } };
const done = (err, out, errOut) => { process.stdout.write(out); process.stderr.write(errOut); console.log('status', err ? err.code : 0); };
const cases = {
  'fork(no.js)': () => onExit(cp.fork(no)),
  'fork(no.js, { env: {} })': () => onExit(cp.fork(no, { env: {} })),
  'fork(okreq.js, [], { execArgv: [] })': () => onExit(cp.fork(okreq, [], { execArgv: [] })),
  'fork(okreq.js, { env: { NODE_OPTIONS: other }, execArgv: [] })': () =>
    onExit(cp.fork(okreq, { env: { NODE_OPTIONS: '--no-deprecation' }, execArgv: [] })),
  'spawn(execPath, [no.js], { env: {} })': () => onExit(cp.spawn(process.execPath, [no], { env: {}, ...io })),
  'spawn("node no.js", { shell: true, env: { PATH } })': () => onExit(cp.spawn('node ' + no, { shell: true, env: { PATH }, ...io })),
  'spawnSync(node, [no.js], { env: { PATH } })': () => console.log('status', cp.spawnSync('node', [no], { env: { PATH }, ...io }).status),
  'spawnSync(execPath, [okreq.js], { env: { NODE_OPTIONS: other } })': () =>
    console.log('status', cp.spawnSync(process.execPath, [okreq], { env: { NODE_OPTIONS: '--no-deprecation' }, ...io }).status),
  'spawnSync(execPath, [ok.js], { env: { NODE_OPTIONS: --require no.js } })': () =>
    console.log('status', cp.spawnSync(process.execPath, [join(__dirname, 'ok.js')], { env: { NODE_OPTIONS: '--require ' + no }, ...io }).status),
  'spawnSync(execPath) after NODE_OPTIONS is wiped': () => {
    process.env.NODE_OPTIONS = '--no-deprecation';
    console.log('status', cp.spawnSync(process.execPath, [no], io).status);
  },
  'execFileSync(execPath, [no.js], { env: {} })': () => sync(() => cp.execFileSync(process.execPath, [no], { env: {}, ...io })),
  'execFile(node, [no.js], { env: { PATH } })': () => cp.execFile('node', [no], { env: { PATH } }, done),
  'exec("node no.js", { env: { PATH } })': () => cp.exec('node ' + no, { env: { PATH } }, done),
  'exec("FOO=1 exec node no.js", { env: { PATH } })': () => cp.exec('FOO=1 exec node ' + no, { env: { PATH } }, done),
  'execSync("node no.js", { env: {} })': () => sync(() => cp.execSync('node ' + no, { env: {}, ...io })),
  'execSync("<execPath> no.js", { env: {} })': () => sync(() => cp.execSync(JSON.stringify(process.execPath) + ' ' + no, { env: {}, ...io })),
  'spawnSync(sh, [-c, node no.js], { env: { PATH } })': () =>
    console.log('status', cp.spawnSync('sh', ['-c', 'node ' + no], { env: { PATH }, ...io }).status),
  'new ChildProcess().spawn({ envPairs: [] })': () => {
    const child = new cp.ChildProcess();
    onExit(child);
    child.spawn({ file: process.execPath, args: [process.execPath, no], envPairs: [], stdio: 'inherit' });
  },
  'assign, spy, redefine, delete and restore spawnSync, then use it': () => {
    const saved = cp.spawnSync;
    cp.spawnSync = () => ({ status: 'fake' });
    console.log('assigned', cp.spawnSync().status);
    Object.defineProperty(cp, 'spawnSync', { value: function spy(...a) { return saved.apply(this, a); } });
    delete cp.spawnSync;
    console.log('deleted', cp.spawnSync === undefined);
    cp.spawnSync = saved;
    console.log('status', cp.spawnSync(process.execPath, [no], { env: {}, ...io }).status);
  },
  'ChildProcess.prototype.spawn spied and restored (process-on-spawn)': () => {
    const proto = cp.ChildProcess.prototype;
    const saved = proto.spawn;
    proto.spawn = function (options) { options.envPairs = []; return saved.call(this, options); };
    onExit(cp.spawn(process.execPath, [no], io));
    proto.spawn = saved;
  },
  "process.binding('spawn_sync').spawn({ envPairs: [] })": () => {
    const stdio = [{ type: 'ignore' }, { type: 'inherit', fd: 1 }, { type: 'inherit', fd: 2 }];
    const r = process.binding('spawn_sync').spawn({ file: process.execPath, args: [process.execPath, no], envPairs: [], stdio });
    console.log('status', r.status);
  },
  "process.binding('process_wrap') Process#spawn with envPairs: []": () => {
    const { Process } = process.binding('process_wrap');
    const h = new Process();
    h.onexit = (code) => { console.log('status', code); h.close(); };
    const stdio = [{ type: 'ignore' }, { type: 'fd', fd: 1 }, { type: 'fd', fd: 2 }];
    if (Number(process.versions.node.split('.')[0]) >= 24) h.spawn(process.execPath, [process.execPath, no], undefined, [], stdio, 0);
    else h.spawn({ file: process.execPath, args: [process.execPath, no], envPairs: [], stdio });
  },
  'the handle of a new ChildProcess, spawn with envPairs: []': () => {
    const h = new cp.ChildProcess()._handle;
    h.onexit = (code) => { console.log('status', code); h.close(); };
    const stdio = [{ type: 'ignore' }, { type: 'fd', fd: 1 }, { type: 'fd', fd: 2 }];
    if (Number(process.versions.node.split('.')[0]) >= 24) h.spawn(process.execPath, [process.execPath, no], undefined, [], stdio, 0);
    else h.spawn({ file: process.execPath, args: [process.execPath, no], envPairs: [], stdio });
  },
  'process.execve(execPath, [no.js], {})': () => process.execve(process.execPath, [process.execPath, no], {}),
  // child_process reached first without require (its guard's code is a lazily required chunk)
  "process.getBuiltinModule('child_process').spawnSync(execPath, [no.js], { env: {} })": () =>
    console.log('status', process.getBuiltinModule('child_process').spawnSync(process.execPath, [no], { env: {}, ...io }).status),
  "import('node:child_process') then spawnSync(execPath, [no.js], { env: {} })": () =>
    import('node:child_process').then((m) => console.log('status', m.spawnSync(process.execPath, [no], { env: {}, ...io }).status)),
};
cases[process.argv[2]]();
`;

const STATUS_126 = 'status 126';
const CAUGHT = 'caught ERR_SECNODE_EXEC_DENIED';
const VECTORS: readonly Vector[] = [
  { name: 'fork(no.js)', refused: STATUS_126 },
  { name: 'fork(no.js, { env: {} })', refused: STATUS_126 },
  { name: 'fork(okreq.js, [], { execArgv: [] })', refused: CAUGHT },
  { name: 'fork(okreq.js, { env: { NODE_OPTIONS: other }, execArgv: [] })', refused: CAUGHT },
  { name: 'spawn(execPath, [no.js], { env: {} })', refused: STATUS_126 },
  { name: 'spawn("node no.js", { shell: true, env: { PATH } })', refused: STATUS_126 },
  { name: 'spawnSync(node, [no.js], { env: { PATH } })', refused: STATUS_126 },
  { name: 'spawnSync(execPath, [okreq.js], { env: { NODE_OPTIONS: other } })', refused: CAUGHT },
  // a refused preload throws in the child like any failed --require: Node exits 1
  { name: 'spawnSync(execPath, [ok.js], { env: { NODE_OPTIONS: --require no.js } })', refused: 'status 1' },
  { name: 'spawnSync(execPath) after NODE_OPTIONS is wiped', refused: STATUS_126 },
  { name: 'execFileSync(execPath, [no.js], { env: {} })', refused: STATUS_126 },
  { name: 'execFile(node, [no.js], { env: { PATH } })', refused: STATUS_126 },
  { name: 'exec("node no.js", { env: { PATH } })', refused: STATUS_126 },
  { name: 'exec("FOO=1 exec node no.js", { env: { PATH } })', refused: STATUS_126 },
  { name: 'execSync("node no.js", { env: {} })', refused: STATUS_126 },
  { name: 'execSync("<execPath> no.js", { env: {} })', refused: STATUS_126 },
  // not a Node command: only under enforcement does every child get secnode in a custom env
  { name: 'spawnSync(sh, [-c, node no.js], { env: { PATH } })', refused: STATUS_126 },
  { name: 'new ChildProcess().spawn({ envPairs: [] })', refused: STATUS_126 },
  // programs patch, spy and restore as under node; what they restore is secnode's function
  { name: 'assign, spy, redefine, delete and restore spawnSync, then use it', refused: STATUS_126 },
  { name: 'ChildProcess.prototype.spawn spied and restored (process-on-spawn)', refused: STATUS_126 },
  // the raw spawners below child_process keep the guard's guarantee (and keep working)
  { name: "process.binding('spawn_sync').spawn({ envPairs: [] })", refused: STATUS_126 },
  { name: "process.binding('process_wrap') Process#spawn with envPairs: []", refused: STATUS_126 },
  { name: 'the handle of a new ChildProcess, spawn with envPairs: []', refused: STATUS_126 },
  { name: 'process.execve(execPath, [no.js], {})', refused: { status: 126 }, minMajor: 24 },
  { name: "process.getBuiltinModule('child_process').spawnSync(execPath, [no.js], { env: {} })", refused: STATUS_126, minMajor: 22 },
  { name: "import('node:child_process') then spawnSync(execPath, [no.js], { env: {} })", refused: STATUS_126 },
];

/** A child `node -e` (inline code), with and without NODE_OPTIONS in its environment: its status and output. */
const INLINE = `'use strict';
const { spawnSync } = require('node:child_process');
for (const env of [undefined, { PATH: process.env.PATH }]) {
  const r = spawnSync(process.execPath, ['-e', 'console.log("INLINE-RAN")'], { env, encoding: 'utf8' });
  console.log('status', r.status, r.stdout.trim() || '-', (r.stderr.match(/ERR_SECNODE_[A-Z_]+/) ?? ['-'])[0]);
}
`;

let fx: Fixtures;
beforeAll(() => {
  fx = makeFixtures('bypass-children', { ...BYPASS_FILES, 'child.js': DRIVER, 'inline.js': INLINE });
});
afterAll(() => fx.remove());

describeVectors('child processes', 'child.js', VECTORS, () => fx.dir);

describe.each(nodes())('a child\'s node -e is inline code: DI refuses it, RF alone lets it run ($name)', (n) => {
  const refused = 'status 126 - ERR_SECNODE_INTERACTIVE_DENIED';
  const ran = 'status 0 INLINE-RAN -';
  it.each([
    { policy: 'DI', out: [refused, refused] },
    { policy: 'RF+DI', out: [refused, refused] },
    { policy: 'RF', out: [ran, ran] },
    { policy: 'none', out: [ran, ran] },
  ] as const)('$policy', ({ policy, out }) => {
    const r = through(DOORS[0] ?? expect.unreachable(), ['inline.js'], { node: n, policy, cwd: fx.dir });
    expect({ status: r.status, stdout: r.stdout.trim().split('\n') }, show(r)).toEqual({ status: 0, stdout: out });
  });
});
