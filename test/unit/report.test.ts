// Unit tests for the pure parts of `secnodectl report`: reading records back (JSONL, journal JSON, syslog
// text, hostile lines), splitting a stream into bounded lines, grouping and verdicts, and the record's
// new fields (unit from the cgroup, package lookup, syslog messages kept under journalctl's field limit).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeRecord, syslogMessage } from '../../src/audit.js';
import { unitFromCgroup } from '../../src/host.js';
import { PackageLookup } from '../../src/package-info.js';
import { bitOf, LIMITS, PlanBuilder, readyAfterFix, type Explained } from '../../src/plan.js';
import { LineSplitter, parseLine, type ReadRecord } from '../../src/records.js';

const base = { v: 1, time: '2026-12-01T10:00:00.000Z', pid: 10, tid: 0, event: 'check', subject: 'import', path: '/srv/app/a.js', errno: 'EACCES',
  allowed: true, enforced: false, mode: 'permissive', verdict: 'record', reason: 'not-executable', rule: null, securebits: '0x0', emulated: false, host: 'h1' };
const rec = (over: Record<string, unknown> = {}) => ({ ...base, ...over });
const record = (over: Record<string, unknown> = {}): ReadRecord => {
  const p = parseLine(JSON.stringify(rec(over)));
  if (!p || 'bad' in p) throw new Error(`not a record: ${JSON.stringify(p)}`);
  return p.record;
};

describe('parseLine', () => {
  it('reads a JSONL record, and names fields it does not know', () => {
    const p = parseLine(JSON.stringify(rec({ future: 1, package: { name: 'a', version: '1.0.0' } })));
    expect(p).toMatchObject({ record: { path: '/srv/app/a.js', host: 'h1', package: { name: 'a', version: '1.0.0' } }, unknown: ['future'] });
  });

  it('reads a version 1 record written before host, unit and package existed', () => {
    const { host: _, ...old } = base;
    const p = parseLine(JSON.stringify(old));
    expect(p && 'record' in p && p.record.host).toBeUndefined();
  });

  it.each([
    ['', null],
    ['   ', null],
    ['not json at all', { bad: 'not-json' }],
    ['{"v":1,"time":"2026', { bad: 'malformed-json' }],
    ['[1,2]', { bad: 'not-json' }],
    ['{"v":1}', { bad: 'not-a-record' }],
    ['{"hello":"world"}', { bad: 'not-a-record' }],
    [JSON.stringify(rec({ v: 2 })), { bad: 'unknown-version' }],
    [JSON.stringify(rec({ pid: 'x' })), { bad: 'invalid-record' }],
    [JSON.stringify(rec({ verdict: 'maybe' })), { bad: 'invalid-record' }],
    [JSON.stringify(rec({ path: 'x'.repeat(5000) })), { bad: 'invalid-record' }],
    ['{"MESSAGE":"sshd: accepted","_HOSTNAME":"h"}', { bad: 'other-program' }],
    ['{"MESSAGE":null,"__CURSOR":"s=1"}', { bad: 'journal-field-elided' }],
    ['{"MESSAGE":[1,2,"x"]}', { bad: 'other-program' }],
    [`{"MESSAGE":"secnode: {\\"v\\":1"}`, { bad: 'malformed-json' }],
  ])('%j → %j', (line, expected) => {
    expect(parseLine(line)).toEqual(expected);
  });

  it('reads journalctl -o json entries: string and byte-array MESSAGE, host and unit from the journal', () => {
    const text = `secnode: ${JSON.stringify({ ...rec(), host: undefined })}`;
    const bytes = [...Buffer.from(text)];
    const p = parseLine(JSON.stringify({ MESSAGE: bytes, _MACHINE_ID: 'm1', _HOSTNAME: 'name', _SYSTEMD_UNIT: 'kiosk.service' }));
    expect(p).toMatchObject({ record: { host: 'm1', unit: 'kiosk.service', path: '/srv/app/a.js' } });
    const q = parseLine(JSON.stringify({ MESSAGE: `secnode: ${JSON.stringify(rec())}`, _HOSTNAME: 'name' }));
    expect(q).toMatchObject({ record: { host: 'h1' } });
  });

  it('reads syslog text lines (a file written by rsyslog)', () => {
    const p = parseLine(`Dec  1 10:00:00 kiosk node: secnode: ${JSON.stringify(rec())}`);
    expect(p).toMatchObject({ record: { path: '/srv/app/a.js' } });
  });
});

describe('LineSplitter', () => {
  it('joins lines split across chunks, keeps a last line without newline, and skips lines that are too long', () => {
    const lines: string[] = [];
    let tooLong = 0;
    const s = new LineSplitter((l) => lines.push(l), () => tooLong++, 10);
    for (const c of ['ab', 'c\nde', 'f\n', 'x'.repeat(8), 'y'.repeat(8), '\nok\n', 'é'.slice(0, 1), '\n', 'last']) s.push(Buffer.from(c));
    s.end();
    expect(lines).toEqual(['abc', 'def', 'ok', 'é', 'last']);
    expect(tooLong).toBe(1);
  });

  it('keeps a multi-byte character split across chunks', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l), () => {});
    const b = Buffer.from('aé\n');
    s.push(b.subarray(0, 2));
    s.push(b.subarray(2));
    s.end();
    expect(lines).toEqual(['aé']);
  });
});

describe('PlanBuilder', () => {
  const explainAs = (cause: Explained['cause']) => (): Explained => ({ cause, words: cause, here: true });
  const build = (records: ReadRecord[], cause: Explained['cause'] = 'mode') => {
    const b = new PlanBuilder(explainAs(cause), () => ({ name: 'pkg', version: '1.0.0' }));
    for (const r of records) b.add(r);
    return b.finish();
  };

  it('groups would-be refusals by package and cause, with counts, times, hosts and processes', () => {
    const plan = build([
      record({ time: '2026-12-01T10:00:02.000Z' }), record({ host: 'h2', pid: 11, time: '2026-12-01T10:00:01.000Z' }),
      record({ path: '/srv/app/b.js', package: { name: 'b', version: '2.0.0' } }), record({ verdict: 'run', allowed: true, errno: null, reason: 'allowed' }),
    ]);
    expect(plan.wouldRefuse).toEqual([
      expect.objectContaining({ package: 'pkg@1.0.0', cause: 'mode', bits: ['RF'], count: 2, first: '2026-12-01T10:00:01.000Z', last: '2026-12-01T10:00:02.000Z',
        hosts: ['h1', 'h2'], processes: ['h1:10', 'h2:11'], files: ['/srv/app/a.js'] }),
      expect.objectContaining({ package: 'b@2.0.0', count: 1 }),
    ]);
    expect(plan.ready.RF.ready).toBe(false);
    expect(plan.ready.DI.ready).toBe(true);
    expect(plan.hosts.map((h) => [h.host, h.ready.RF.ready])).toEqual([['h1', false], ['h2', false]]);
  });

  it('is ready when every failed check passes now, and not ready with no records at all', () => {
    expect(build([record()], 'passes-now').ready.RF).toMatchObject({ ready: true });
    expect(build([]).ready.RF).toMatchObject({ ready: false, reasons: [expect.stringMatching(/no secnode records/)] });
  });

  it('counts inline code against DI, generated code against neither, refusals under enforcement by their rule', () => {
    const plan = build([
      record({ event: 'interactive', subject: 'inline', path: undefined, source: '-e', verdict: 'run', errno: null, reason: 'interactive' }),
      record({ event: 'generated', subject: 'generated', path: undefined, source: 'eval', verdict: 'run', errno: null, reason: 'generated' }),
      record({ host: 'h2', allowed: false, enforced: true, mode: 'enforce', verdict: 'refuse', rule: 'SECBIT_EXEC_RESTRICT_FILE' }),
    ]);
    expect(plan.ready.DI.ready).toBe(false);
    expect(plan.hosts.find((h) => h.host === 'h1')!.ready.RF.ready).toBe(true);
    expect(plan.hosts.find((h) => h.host === 'h2')!.ready.RF.ready).toBe(false);
    expect(plan.interactive).toEqual([expect.objectContaining({ source: '-e', count: 1 })]);
    expect(plan.generated).toEqual([expect.objectContaining({ source: 'eval', count: 1 })]);
    expect(plan.refused).toEqual([expect.objectContaining({ bits: ['RF'], count: 1 })]);
    expect(bitOf(record({ subject: 'stdin', path: '/dev/stdin' }))).toBe('DI');
  });

  it('keeps memory bounded: processes and hosts per group are samples', () => {
    const plan = build(Array.from({ length: LIMITS.pids + 5 }, (_, i) => record({ pid: i })));
    expect(plan.wouldRefuse[0]).toMatchObject({ count: LIMITS.pids + 5, more: { processes: true } });
    expect(plan.wouldRefuse[0]!.processes).toHaveLength(LIMITS.pids);
  });

  it('keeps memory bounded: hosts per group, distinct files, groups, hosts in all and unknown field names stop at their caps and say so', () => {
    const r0 = record();
    const perHost = build(Array.from({ length: LIMITS.hosts + 3 }, (_, i) => ({ ...r0, host: `h${i}` })));
    expect(perHost.wouldRefuse[0]).toMatchObject({ count: LIMITS.hosts + 3, more: { hosts: true } });
    expect(perHost.wouldRefuse[0]!.hosts).toHaveLength(LIMITS.hosts);

    const files = build(Array.from({ length: LIMITS.paths + 3 }, (_, i) => ({ ...r0, path: `/srv/app/f${i}.js` })));
    expect(files.wouldRefuse[0]).toMatchObject({ count: LIMITS.paths + 3, more: { files: true } });
    expect(files.wouldRefuse[0]!.files).toHaveLength(LIMITS.paths);

    const b = new PlanBuilder(explainAs('mode'), (path) => ({ name: path, version: '1.0.0' }));
    for (let i = 0; i < LIMITS.groups + 3; i++) b.add({ ...r0, path: `/srv/app/g${i}.js` });
    const groups = b.finish();
    expect([groups.wouldRefuse.length, groups.input.untracked]).toEqual([LIMITS.groups, 3]);

    const hosts = build(Array.from({ length: LIMITS.hostsTotal + 3 }, (_, i) => ({ ...r0, host: `h${i}` })));
    expect(hosts.hosts).toHaveLength(LIMITS.hostsTotal + 1);
    expect(hosts.hosts.find((h) => h.host === '(unknown host)')).toMatchObject({ records: 3 });

    const u = new PlanBuilder(explainAs('mode'), () => null);
    for (let i = 0; i < LIMITS.unknownFields + 3; i++) u.add(r0, [`field${i}`]);
    expect(u.finish().input).toMatchObject({ unknownFieldRecords: LIMITS.unknownFields + 3, unknownFields: expect.any(Array) });
    expect(u.finish().input.unknownFields).toHaveLength(LIMITS.unknownFields);
  });

  it('counts bad lines by kind', () => {
    const b = new PlanBuilder(explainAs('mode'), () => null);
    b.badLine('not-json');
    b.badLine('not-json');
    b.badLine('other-program');
    expect(b.finish().input).toMatchObject({ lines: 3, records: 0, bad: { 'not-json': 2, 'other-program': 1 } });
  });
});

describe('readyAfterFix', () => {
  const build = (records: ReadRecord[]) => {
    const b = new PlanBuilder((): Explained => ({ cause: 'mode', words: 'mode', here: true }), () => ({ name: 'pkg', version: '1.0.0' }));
    for (const r of records) b.add(r);
    return b.finish();
  };

  it('makes RF ready when every file --fix looked at passes now, and says how many', () => {
    const plan = readyAfterFix(build([record(), record({ path: '/srv/app/b.js' })]), [true, true]);
    expect(plan.ready.RF).toEqual({ ready: true, reasons: ['after --fix: all 2 file(s) named in the records pass the check'] });
    expect(plan.ready.DI.ready).toBe(true);
  });

  it('keeps RF not ready while a file still fails, and adds the count to the reasons', () => {
    const before = build([record(), record({ path: '/srv/app/b.js' })]);
    const plan = readyAfterFix(before, [true, false]);
    expect(plan.ready.RF).toEqual({ ready: false, reasons: [...before.ready.RF.reasons, 'after --fix: 1 file(s) still fail the check'] });
  });

  it('keeps RF not ready when the report left files or records out, even if every listed file passes', () => {
    const r0 = record();
    const elided = build(Array.from({ length: LIMITS.paths + 1 }, (_, i) => ({ ...r0, path: `/srv/app/f${i}.js` })));
    expect(readyAfterFix(elided, [true]).ready.RF.ready).toBe(false);
  });

  it('changes nothing when RF is already ready or there are no records', () => {
    const empty = build([]);
    expect(readyAfterFix(empty, [])).toBe(empty);
    const ready = build([record({ verdict: 'run', allowed: true, errno: null, reason: 'allowed' })]);
    expect(ready.ready.RF.ready).toBe(true);
    expect(readyAfterFix(ready, [false])).toBe(ready);
  });
});

describe('record fields', () => {
  it.each([
    ['0::/system.slice/kiosk.service\n', 'kiosk.service'],
    ['0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-foo.scope\n', 'app-foo.scope'],
    ['12:pids:/\n1:name=systemd:/system.slice/cron.service\n', 'cron.service'],
    ['0::/init.scope\n', undefined],
    ['0::/\n', undefined],
    ['0::/docker/abc\n', undefined],
  ])('unit of %j is %j', (text, unit) => {
    expect(unitFromCgroup(text)).toBe(unit);
  });

  const dir = mkdtempSync(join(tmpdir(), 'secnode-pkg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('finds the nearest package.json with a name, skipping nested type-only ones', () => {
    mkdirSync(join(dir, 'node_modules/x/dist/esm'), { recursive: true });
    writeFileSync(join(dir, 'node_modules/x/package.json'), '{"name":"x","version":"1.2.3"}');
    writeFileSync(join(dir, 'node_modules/x/dist/esm/package.json'), '{"type":"module"}');
    writeFileSync(join(dir, 'package.json'), '{ broken');
    const lookup = new PackageLookup();
    expect(lookup.of(join(dir, 'node_modules/x/dist/esm/a.js'))).toEqual({ name: 'x', version: '1.2.3' });
    expect(lookup.of(join(dir, 'node_modules/x/b.js'))).toEqual({ name: 'x', version: '1.2.3' });
    expect(lookup.of('relative.js')).toBeNull();
  });

  it('records host, and the package of the file; syslog messages stay under 4096 bytes by leaving out parent', () => {
    const decision = { verdict: 'record', enforced: false, reason: 'not-executable', rule: null } as const;
    const r = makeRecord({ subject: 'import', target: { path: join(dir, 'node_modules/x/b.js') }, errno: 13, decision, securebits: '0x0', emulated: false });
    expect(r).toMatchObject({ v: 1, package: { name: 'x', version: '1.2.3' } });
    expect(r.host.length).toBeGreaterThan(0);
    const long = { ...r, path: `/${'p'.repeat(3000)}`, parent: `/${'q'.repeat(3000)}` };
    const message = syslogMessage(long);
    expect(Buffer.byteLength(message)).toBeLessThan(4096);
    expect(JSON.parse(message.slice('secnode: '.length))).toMatchObject({ path: long.path, elided: ['parent'] });
    expect(syslogMessage(r)).toBe(`secnode: ${JSON.stringify(r)}`);
  });
});
