// The hardening preview on real packages (ajv, handlebars, protobufjs, pinned in test/fixtures/generated-code):
// with records on and SECNODE_HARDEN_GENERATED off, every place that generates code runs and is recorded
// (verdict `record`) once per call site and source, with the package of the call site, and `report` says
// which hosts are ready to harden and which packages generate code. With no sink nothing is installed
// (Function and vm are node's own, output as under node); with hardening on, the first one is refused.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { node, nodes, ROOT, SECNODECTL, secnode } from './helpers/run.js';
import { ensureFixture } from './install-fixture.mjs';

const FIXTURE = join(ROOT, 'test/fixtures/generated-code');
let app = '';
beforeAll(() => {
  app = mkdtempSync(join(tmpdir(), 'secnode-preview-'));
  cpSync(ensureFixture('generated-code'), app, { recursive: true });
  cpSync(join(FIXTURE, 'app.cjs'), join(app, 'app.cjs'));
}, 600_000);
afterAll(() => rmSync(app, { recursive: true, force: true }));

interface Rec { event: string; tid: number; source?: string; parent?: string; verdict: string; package?: { name: string; version: string } }
const generated = (log: string) => readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Rec).filter((r) => r.event === 'generated');

/** One of each kind of generated code (the vm call three times at one site, with one source). */
const KINDS = `const vm = require('node:vm');
const { Worker } = require('node:worker_threads');
const inspector = require('node:inspector');
for (let i = 0; i < 3; i++) vm.runInNewContext('1 + 1', {});
new vm.Script('2').runInThisContext();
(async () => {}).constructor('await 1');
const session = new inspector.Session();
session.connect();
session.disconnect();
if (typeof ShadowRealm === 'function') new ShadowRealm().evaluate('1 + 1');
let local = 1;
eval('local + 1');
const started = [new Worker('1', { eval: true }), new Worker(new URL('data:text/javascript,1'))];
Promise.all([...started.map((w) => new Promise((r) => w.on('exit', r))),
  import('data:text/javascript,export default 1'), import('data:text/javascript,export default 1')]).then(() => console.log('done'));
`;

/** prettier's way to import ESM from CommonJS, an error thrown in generated code, and what Function looks like. */
const DYNAMIC = `const load = new Function('s', 'return import(s)');
load('./esm.mjs').then((m) => console.log(m.default));
try { new Function('throw new Error("x")')(); } catch (e) { console.log(e.stack.split('\\n')[1].replace(/:\\d+:\\d+/g, '')); }
const t = Function.prototype.toString;
console.log(t.call(Function), t.call(t), (function () {}).constructor === Function && (() => {}) instanceof Function);
`;

describe.each(nodes())('hardening preview on ajv, handlebars and protobufjs ($name)', (n) => {
  const OUT = ['ajv: 20 of 20 valid', 'handlebars: <p>req #99</p>', 'protobufjs: {"x":42,"y":"up"} in 6 bytes'].join('\n');

  it('without a sink: output as under node, and Function and vm are node\'s own (nothing on the hot path)', () => {
    const plain = node(['app.cjs'], { node: n, cwd: app });
    const r = secnode(['app.cjs'], { node: n, cwd: app });
    expect(plain.stdout).toBe(`${OUT}\nnode's own: Function true, vm.runInThisContext true\n`);
    expect([r.status, r.stdout, r.stderr]).toEqual([plain.status, plain.stdout, plain.stderr]);
  });

  it('with records: the code runs, each generation is recorded once per call site and source, with its package; report says not ready to harden', () => {
    const log = join(app, `records-${n.name}.jsonl`);
    rmSync(log, { force: true });
    const r = secnode(['app.cjs'], { node: n, cwd: app, env: { SECNODE_AUDIT: `file:${log}` } });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(`${OUT}\nnode's own: Function false, vm.runInThisContext false\n`);
    const recs = generated(log);
    expect(recs.every((x) => x.verdict === 'record' && x.source === 'new Function' && /:\d+:\d+$/.test(x.parent ?? ''))).toBe(true);
    const by = (name: string) => recs.filter((x) => x.package?.name === name);
    // 20 schemas compiled at one call site, the same template compiled for 100 requests: one record each.
    expect(by('ajv')).toEqual([expect.objectContaining({ parent: expect.stringContaining('/node_modules/ajv/dist/compile/') })]);
    expect(by('handlebars')).toEqual([expect.objectContaining({ parent: expect.stringContaining('/node_modules/handlebars/') })]);
    expect(by('protobufjs').length).toBeGreaterThan(0);
    expect(new Set(recs.map((x) => x.parent)).size).toBe(recs.length);
    expect(recs.filter((x) => !['ajv', 'handlebars', 'protobufjs'].includes(x.package?.name ?? ''))).toEqual([]);

    const rep = spawnSync(process.execPath, [SECNODECTL, 'report', log, '--json'], { encoding: 'utf8' });
    const plan = JSON.parse(rep.stdout) as { harden: { ready: boolean }; hosts: { harden: { ready: boolean }; generators: string[] }[]; generators: { package: string }[] };
    expect(plan.harden.ready).toBe(false);
    expect(plan.hosts.map((h) => [h.harden.ready, [...h.generators].sort()])).toEqual([[false, ['ajv@8.20.0', 'handlebars@4.7.10', 'protobufjs@8.8.1']]]);
    expect(plan.generators.map((g) => g.package).sort()).toEqual(['ajv@8.20.0', 'handlebars@4.7.10', 'protobufjs@8.8.1']);
    const text = spawnSync(process.execPath, [SECNODECTL, 'report', log], { encoding: 'utf8' }).stdout;
    expect(text).toMatch(/^ready to harden generated code \(SECNODE_HARDEN_GENERATED=1\): no \(.*ajv@8\.20\.0/m);
    const page = spawnSync(process.execPath, [SECNODECTL, 'report', log, '--html', '-'], { encoding: 'utf8' }).stdout;
    expect(page).toMatch(/<td><code>handlebars@4\.7\.10<\/code><\/td><td class="n">1<\/td>/);
  });

  it('every kind is recorded once per call site and source: vm, the other Function constructors, inspector sessions, ShadowRealm, worker eval, data: workers and data: imports (direct eval is not)', () => {
    writeFileSync(join(app, 'kinds.cjs'), KINDS);
    const log = join(app, `kinds-${n.name}.jsonl`);
    rmSync(log, { force: true });
    const plain = node(['--experimental-shadow-realm', 'kinds.cjs'], { node: n, cwd: app });
    const r = secnode(['--experimental-shadow-realm', 'kinds.cjs'], { node: n, cwd: app, env: { SECNODE_AUDIT: `file:${log}` } });
    expect([r.status, r.stdout, r.stderr]).toEqual([plain.status, 'done\n', plain.stderr]);
    const main = generated(log).filter((x) => x.tid === 0 && x.source?.startsWith('data:text/javascript,export') !== true);
    const site = (line: number) => expect.stringMatching(new RegExp(`/kinds\\.cjs:${line}:\\d+$`));
    expect(main.map((x) => [x.source, x.parent, x.verdict])).toEqual([
      ['vm.runInNewContext', site(4), 'record'], ['vm.Script', site(5), 'record'], ['new AsyncFunction', site(6), 'record'],
      ['inspector.Session#connect', site(8), 'record'], ['ShadowRealm#evaluate', site(10), 'record'],
      ['worker eval', site(13), 'record'], ['worker data: URL', site(13), 'record'],
    ]);
    // A data: import, once for its source (two imports of the same URL), from whichever thread loads it.
    expect(generated(log).filter((x) => x.source?.startsWith('data:text/javascript,export')).map((x) => [x.source, x.verdict]))
      .toEqual([['data:text/javascript,export default 1', 'record']]);
  });

  it('with records: a function made by new Function that imports resolves from its caller\'s file, and its stack names the caller, as under node', () => {
    writeFileSync(join(app, 'dyn.cjs'), DYNAMIC);
    writeFileSync(join(app, 'esm.mjs'), "export default 'esm ok';\n");
    const log = join(app, `dyn-${n.name}.jsonl`);
    rmSync(log, { force: true });
    const plain = node(['dyn.cjs'], { node: n, cwd: app });
    const r = secnode(['dyn.cjs'], { node: n, cwd: app, env: { SECNODE_AUDIT: `file:${log}` } });
    expect(plain.stdout).toBe(`    at eval (eval at <anonymous> (${join(app, 'dyn.cjs')}), <anonymous>)\nfunction Function() { [native code] } function toString() { [native code] } true\nesm ok\n`);
    expect([r.status, r.stdout, r.stderr]).toEqual([plain.status, plain.stdout, plain.stderr]);
    expect(generated(log).map((x) => x.parent)).toEqual([`${join(app, 'dyn.cjs')}:1:14`, `${join(app, 'dyn.cjs')}:3:7`]);
  });

  it('with hardening on: the first generation is refused, and recorded as refused', () => {
    const log = join(app, `hardened-${n.name}.jsonl`);
    rmSync(log, { force: true });
    const r = secnode(['app.cjs'], { node: n, cwd: app, env: { SECNODE_AUDIT: `file:${log}`, SECNODE_HARDEN_GENERATED: '1' } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('ERR_SECNODE');
    expect(generated(log)).toEqual([expect.objectContaining({ verdict: 'refuse', source: 'new Function' })]);
  });
});
