// Parity for programs that patch, spy on, mock and restore builtins (issue 8, items 1, 2 and 6):
// every property secnode wraps keeps node's descriptor, name and length, and assignment, redefinition,
// delete-and-restore and spies behave as under node; real packages from the registry (pinned) run
// exactly as under node with no bits, work under RF+DI once their tree is executable, and a file on
// their side path made 0644 again is refused and recorded.
import { readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFixtures, show, type FileSpec, type Fixtures } from './helpers/launcher-fixtures.js';
import { buildAddon, nodeHeaders } from './helpers/addon.js';
import { chmodTree, ensureParityPkgs, PKGS_FIXTURE } from './helpers/parity-pkgs.js';
import { frontDoors, node, nodes, secnode, type NodeUnderTest, type Policy, type Run } from './helpers/run.js';

/** Same output apart from pids in warnings and jest's timings. */
const normal = (s: string): string => s
  .replace(/\(node:\d+\)/g, '(node:PID)')
  .replace(/\(\d+(\.\d+)? m?s\)/g, '(TIME)')
  .replace(/^Time:.*$/gm, 'Time: TIME');
const outcome = (r: Run) => ({ status: r.status, signal: r.signal, stdout: normal(r.stdout), stderr: normal(r.stderr) });

describe.each(nodes())('wrapped builtins keep node\'s descriptors ($name)', (n) => {
  let fx: Fixtures;
  beforeAll(() => {
    fx = makeFixtures('parity-wrapped', { 'wrapped.cjs': readFileSync(join(PKGS_FIXTURE, '..', 'parity', 'wrapped.cjs'), 'utf8') });
  });
  afterAll(() => fx.remove());
  const cases: { name: string; policy: Policy; args: string[]; env?: NodeJS.ProcessEnv }[] = [
    { name: 'no bits', policy: 'none', args: [] },
    { name: 'RF+DI', policy: 'RF+DI', args: [] },
    { name: 'RF alone', policy: 'RF', args: [] },
    { name: 'DI alone', policy: 'DI', args: [] },
    { name: 'RF+DI with hardening (the stand-ins for eval, Function, vm)', policy: 'RF+DI', args: [], env: { SECNODE_HARDEN_GENERATED: '1' } },
    { name: 'RF+DI, in a worker (Module.runMain is wrapped there)', policy: 'RF+DI', args: ['--in-worker'] },
  ];
  it.each(cases)('$name: descriptor, name, length, self-assignment, spy-and-restore, redefine, delete-and-restore as under node', ({ policy, args, env }) => {
    const base = node(['wrapped.cjs', ...args], { node: n, cwd: fx.dir });
    const r = secnode(['wrapped.cjs', ...args], { node: n, policy, cwd: fx.dir, env: env ?? {} });
    expect(base.stdout).toContain('process.getBuiltinModule | value:function w:true c:true e:true');
    expect(base.stdout).toContain('Module.prototype._compile | value:function w:true c:true e:true');
    expect(outcome(r), show(r)).toEqual(outcome(base));
  });
  // The one-liner, for each property on its own (a failure names the property).
  const ONE_LINERS = ['process.getBuiltinModule', 'process.dlopen', 'process.binding', 'child_process.execFile', 'ChildProcess.prototype.spawn',
    "process.binding('spawn_sync').spawn", 'worker_threads.Worker', 'module.register', 'Module.prototype._compile', "Module._extensions['.js']", 'fs.readFileSync'];
  it.each(ONE_LINERS)("'use strict'; %s = itself: works under RF+DI as under node", (label) => {
    const base = node(['wrapped.cjs', label], { node: n, cwd: fx.dir });
    const r = secnode(['wrapped.cjs', label], { node: n, policy: 'RF+DI', cwd: fx.dir });
    expect(base.stdout).toContain('self:true');
    expect(outcome(r), show(r)).toEqual(outcome(base));
  });
});

describe.each(nodes())('under --pending-deprecation, node\'s warnings and no more ($name)', (n) => {
  let fx: Fixtures;
  beforeAll(() => {
    fx = makeFixtures('parity-pending', {
      'main.cjs': "require('./dep.cjs');\nif (process.argv[2] === 'parent') console.log(require.cache[require.resolve('./dep.cjs')].parent.id);\n"
        + "if (process.argv[2] === 'addon') console.log(require('./ok.node').marker);\nconsole.log('ok');\n",
      'dep.cjs': 'module.exports = 1;\n',
    });
    if (nodeHeaders() !== undefined) buildAddon(fx.dir, 'ok.node', 'addon', 0o755);
  });
  afterAll(() => fx.remove());
  const HOW: readonly { how: string; args: string[]; env: NodeJS.ProcessEnv }[] = [
    { how: 'the flag', args: ['--pending-deprecation'], env: {} },
    { how: 'NODE_PENDING_DEPRECATION=1', args: [], env: { NODE_PENDING_DEPRECATION: '1' } },
  ];
  const doors = frontDoors(() => fx.dir);
  describe.each(HOW)('$how', ({ args, env }) => {
    it.each([['none', {}], ['RF+DI', {}], ['none', { SECNODE_AUDIT: 'file:' }]] as const)('%s %o: stderr and stdout as node\'s, also when the program reads module.parent itself', (policy, sink) => {
      for (const program of [[], ['parent'], ...(nodeHeaders() === undefined ? [] : [['addon']])]) {
        const base = node([...args, 'main.cjs', ...program], { node: n, cwd: fx.dir, env });
        expect(base.stderr.includes('DEP0144'), show(base)).toBe(program[0] === 'parent');
        for (const [door, run] of Object.entries(doors)) {
          const log = join(fx.dir, `audit-${door.replace(/\W/g, '')}.log`);
          rmSync(log, { force: true });
          const audit = 'SECNODE_AUDIT' in sink ? { SECNODE_AUDIT: `file:${log}` } : {};
          const r = run(n, [...args, 'main.cjs', ...program], policy, { ...env, ...audit });
          expect(outcome(r), `${door}\n${show(r)}`).toEqual(outcome(base));
          if ('SECNODE_AUDIT' in sink) {
            // The record of dep.cjs still names the file that required it.
            const records = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
            expect(records, door).toContainEqual(expect.objectContaining({ path: join(fx.dir, 'dep.cjs'), parent: join(fx.dir, 'main.cjs') }));
            if (program[0] === 'addon') {
              expect(records, door).toContainEqual(expect.objectContaining({ path: join(fx.dir, 'ok.node'), parent: join(fx.dir, 'main.cjs') }));
            }
          }
        }
      }
    });
  });
});

/** Programs that replace and restore what secnode wraps, then try to load a 0644 file through it. */
const RESTORERS: Readonly<Record<string, FileSpec>> = {
  'no.cjs': { src: "console.log('NO-RAN');\n", mode: 0o644 },
  // v8-compile-cache and ts-node: save _compile, install a layer, restore the saved value.
  'compile.cjs': `'use strict';
const Module = require('node:module');
const fs = require('node:fs');
const saved = Module.prototype._compile;
let layered = 0;
Module.prototype._compile = function (content, filename) { layered++; return saved.call(this, content, filename); };
Module.prototype._compile = saved;
const f = require('node:path').join(__dirname, 'no.cjs');
try { new Module(f)._compile(fs.readFileSync(f, 'utf8'), f); } catch (e) { console.log('caught', e.code); }
console.log('layer left the chain', layered === 0, Module.prototype._compile === saved);
`,
  // nyc's process-on-spawn: wrap the spawn_sync binding in place, then start a Node child with envPairs: [].
  'spawn-sync.cjs': `'use strict';
const b = process.binding('spawn_sync');
const saved = b.spawn;
b.spawn = function (options) { options.envPairs = []; return saved.call(this, options); };
const stdio = [{ type: 'ignore' }, { type: 'inherit', fd: 1 }, { type: 'inherit', fd: 2 }];
const f = require('node:path').join(__dirname, 'no.cjs');
const r = b.spawn({ file: process.execPath, args: [process.execPath, f], envPairs: [], stdio });
b.spawn = saved;
console.log('status', r.status);
`,
};

describe.each(nodes())('replaced and restored, the guards still hold, under each bit ($name)', (n) => {
  let fx: Fixtures;
  beforeAll(() => { fx = makeFixtures('parity-restore', RESTORERS); });
  afterAll(() => fx.remove());
  const go = (script: string, policy: Policy) => secnode([script], { node: n, policy, cwd: fx.dir });
  it.each([
    // _compile attributes code to a file: RF governs it
    { script: 'compile.cjs', policy: 'RF', out: 'caught ERR_SECNODE_EXEC_DENIED\nlayer left the chain true true\n' },
    { script: 'compile.cjs', policy: 'RF+DI', out: 'caught ERR_SECNODE_EXEC_DENIED\nlayer left the chain true true\n' },
    { script: 'compile.cjs', policy: 'DI', out: 'NO-RAN\nlayer left the chain true true\n' },
    // the child is a Node process: it gets secnode back, and its 0644 entry is refused under RF
    { script: 'spawn-sync.cjs', policy: 'RF', out: 'status 126\n' },
    { script: 'spawn-sync.cjs', policy: 'RF+DI', out: 'status 126\n' },
    { script: 'spawn-sync.cjs', policy: 'DI', out: 'NO-RAN\nstatus 0\n' },
  ] as const)('$script under $policy', ({ script, policy, out }) => {
    const r = go(script, policy);
    expect({ status: r.status, stdout: r.stdout }, show(r)).toEqual({ status: 0, stdout: out });
  });
  it.each(['compile.cjs', 'spawn-sync.cjs'])('%s with no bits: as under plain node', (script) => {
    const base = node([script], { node: n, cwd: fx.dir });
    expect(outcome(go(script, 'none'))).toEqual(outcome(base));
  });
});

/** One real package: how it is run, and the file on its side path that must pass the check. */
interface App {
  readonly name: string;
  /** Arguments for node/secnode, relative to the app dir (node_modules links to the installed packages). */
  readonly args: readonly string[];
  /** Arguments for the enforced runs, when they differ (jest: worker processes). */
  readonly lockedArgs?: readonly string[];
  /** A line (stdout or stderr) that shows the app worked. */
  readonly works: string;
  /** The file on the side path made 0644 again, relative to the app dir. */
  readonly side: string;
  /** Starts a helper with `node -e` (refused under DI, as the kernel's table says; the app goes on without it). */
  readonly inlineHelper?: true;
}

const APPS: readonly App[] = [
  { name: 'jest 30 (a test file that passes; worker processes when enforced)', args: ['node_modules/jest/bin/jest.js', '--ci', '--runInBand'],
    lockedArgs: ['node_modules/jest/bin/jest.js', '--ci', '--maxWorkers=2'], works: 'Tests:       2 passed, 2 total', side: 'node_modules/jest-worker/build/processChild.js' },
  { name: 'sinon (stubs child_process.execFile, restores it)', args: ['sinon.cjs'], works: 'child ran', side: 'child.cjs' },
  { name: 'require-in-the-middle (assigns process.getBuiltinModule)', args: ['ritm.cjs'], works: 'sum 5', side: 'sum.js' },
  { name: 'ts-node 10.9 (v8-compile-cache-lib saves and restores _compile)', args: ['node_modules/ts-node/dist/bin.js', 'hello.ts'], works: 'ts 42', side: 'twice.ts' },
  { name: '@babel/register 7 (pirates: Module._extensions compiles ES module syntax)', args: ['babel.cjs'], works: 'babel 42', side: 'babelled.js' },
  { name: 'v8-compile-cache (replaces _compile)', args: ['vcc.cjs'], works: 'sum 9', side: 'sum.js' },
  { name: 'nyc with process-on-spawn (ChildProcess.prototype.spawn, the spawn_sync binding)',
    args: ['node_modules/nyc/bin/nyc.js', '--reporter=text-summary', '--temp-dir', '.nyc', '--no-cache', 'node', 'spawner.cjs'], works: 'child ran', side: 'child.cjs',
    inlineHelper: true }, // foreground-child's watchdog
];

/** The fields of an audit record these tests look at. */
interface AuditRecord { path?: string; allowed?: boolean; subject?: string; source?: string }

let modules: string;
beforeAll(() => {
  modules = ensureParityPkgs();
  chmodTree(modules, 0o755); // what `secnodectl scan --fix` does for the code files of the tree
}, 900_000);

describe.each(nodes())('real packages ($name)', (n) => {
  let fx: Fixtures;
  beforeAll(() => {
    const app = join(PKGS_FIXTURE, 'app');
    const files: Record<string, FileSpec> = {};
    for (const name of readdirSync(app)) files[name] = readFileSync(join(app, name), 'utf8');
    fx = makeFixtures('parity-pkgs', files);
    symlinkSync(modules, fx.path('node_modules'));
  });
  afterAll(() => fx.remove());

  /** Runs the app fresh (no caches left by an earlier run), with an audit file. */
  const runApp = (how: 'node' | 'secnode', args: readonly string[], policy: Policy): Run & { records: AuditRecord[] } => {
    for (const d of ['.jest-cache', '.nyc', '.v8cc', 'audit.jsonl']) rmSync(fx.path(d), { recursive: true, force: true });
    const env = { V8_COMPILE_CACHE_CACHE_DIR: fx.path('.v8cc'), ...(how === 'secnode' ? { SECNODE_AUDIT: `file:${fx.path('audit.jsonl')}` } : {}) };
    const r = how === 'node' ? node(args, { node: n, cwd: fx.dir, env }) : secnode(args, { node: n, policy, cwd: fx.dir, env });
    const audit = existsSync(fx.path('audit.jsonl')) ? readFileSync(fx.path('audit.jsonl'), 'utf8') : '';
    return { ...r, records: audit.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditRecord) };
  };

  it.each(APPS)('$name — no bits: stdout, stderr and exit code of node', (app) => {
    const base = runApp('node', app.args, 'none');
    expect(`${base.stdout}${base.stderr}`, show(base)).toContain(app.works);
    const r = runApp('secnode', app.args, 'none');
    expect(outcome(r), show(r)).toEqual(outcome(base));
  }, 180_000);

  it.each(APPS)('$name — RF+DI, tree executable: works', (app) => {
    const r = runApp('secnode', app.lockedArgs ?? app.args, 'RF+DI');
    expect(r.status, show(r)).toBe(0);
    expect(`${r.stdout}${r.stderr}`, show(r)).toContain(app.works);
    const inline = (x: { subject?: string; source?: string }) => app.inlineHelper === true && x.subject === 'inline' && x.source === '-e';
    expect(r.records.filter((x) => x.allowed === false && !inline(x)), show(r)).toEqual([]);
  }, 180_000);

  it.each(APPS)('$name — RF+DI, $side made 0644: refused and recorded', (app) => {
    const side = realpathSync(fx.path(app.side));
    chmodSync(side, 0o644);
    try {
      const r = runApp('secnode', app.lockedArgs ?? app.args, 'RF+DI');
      expect(`${r.stdout}${r.stderr}`, show(r)).not.toContain(app.works);
      expect(r.records.some((x) => x.path === side && x.allowed === false), show(r)).toBe(true);
    } finally {
      chmodSync(side, 0o755);
    }
  }, 180_000);
});
