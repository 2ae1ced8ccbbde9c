// `secnodectl report` for real: hostile record files (malformed lines, journal entries of other programs,
// byte-array MESSAGE, paths outside the roots, symlinks leading out, vanished files), records read back
// from a real journald, verdicts for RF and DI from real runs, and an end-to-end rollout on real packages
// whose loads a static scan cannot predict (express + ejs chosen by configuration, a pino transport in a
// worker, lightningcss's platform addon), run on two simulated hosts (UTS + mount namespaces: each has
// its own host name and /etc/machine-id).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFor, nodes, POLICIES, ROOT, run, SECNODE, SECNODECTL, secnode, type NodeUnderTest } from './helpers/run.js';
import { ensureFixture } from './install-fixture.mjs';
import { landlockUnavailable, mountNamespaceArgs, noexecUnavailable, shQuote, underLandlock, withNoexecTmpfs } from './helpers/sandbox.js';

const FIXTURE = join(ROOT, 'test/fixtures/report-app');
/** Where the fixture's packages are installed (by install-fixture.mjs). */
const INSTALL = join(ROOT, '.cache/report-app');
const JOURNALD = ['/lib/systemd/systemd-journald', '/usr/lib/systemd/systemd-journald'].find((p) => existsSync(p));
const isRoot = process.geteuid?.() === 0;

interface Group { package: string; cause: string; bits: string[]; count: number; files: string[]; hosts: string[] }
interface Report {
  input: { records: number; lines: number; bad: Record<string, number>; unknownFields: string[] };
  ready: Record<'RF' | 'DI', { ready: boolean; reasons: string[] }>;
  hosts: { host: string; ready: Record<'RF' | 'DI', { ready: boolean }> }[];
  wouldRefuse: Group[]; refused: Group[]; interactive: { source: string; count: number; enforced: number }[];
  fixes?: { path: string; action: string; note: string; after: string }[];
}

function report(args: string[], input?: string): { status: number | null; stdout: string; stderr: string; json: () => Report } {
  const r = spawnSync(process.execPath, [SECNODECTL, 'report', ...args], { encoding: 'utf8', input: input ?? '', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) as Report };
}

const rec = (over: Record<string, unknown>) => JSON.stringify({ v: 1, time: '2026-12-01T10:00:00.000Z', pid: 7, tid: 0, event: 'check', subject: 'require',
  errno: 'EACCES', allowed: true, enforced: false, mode: 'permissive', verdict: 'record', reason: 'not-executable', rule: null, securebits: '0x0',
  emulated: false, host: 'hostile', ...over });

let tmp = '';
beforeAll(() => { tmp = mkdtempSync(join(tmpdir(), 'secnode-report-')); });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('causes', () => {
  it('from the record where the file is not here: busy, unavailable, other; from the live file where it is: noexec (a real noexec tmpfs)', () => {
    const file = join(tmp, 'causes.jsonl');
    writeFileSync(file, [
      rec({ path: '/nonexistent/app/busy.js', errno: 'ETXTBSY', reason: 'busy' }),
      rec({ path: '/nonexistent/app/old-kernel.js', errno: 'EINVAL', reason: 'check-unavailable' }),
      rec({ path: '/nonexistent/app/io.js', errno: 'EIO', reason: 'check-failed' }),
    ].join('\n'));
    const j = report([file, '--json']).json();
    const causeOf = (path: string) => j.wouldRefuse.find((g) => g.files.includes(path))?.cause;
    expect(['busy', 'old-kernel', 'io'].map((f) => causeOf(`/nonexistent/app/${f}.js`))).toEqual(['busy', 'unavailable', 'other']);
    if (noexecUnavailable() !== null) return;
    // Inside a mount namespace with a noexec tmpfs: a record for a 0755 file on it, and the report run there.
    const r = withNoexecTmpfs([
      'printf "\\n" > "$NOEXEC_DIR/x.js" && chmod 755 "$NOEXEC_DIR/x.js"',
      `printf '%s\\n' ${shQuote(rec({ path: '__DIR__/x.js' }))} | sed "s|__DIR__|$NOEXEC_DIR|" > "$NOEXEC_DIR/r.jsonl"`,
      `${shQuote(process.execPath)} ${shQuote(SECNODECTL)} report "$NOEXEC_DIR/r.jsonl" --json`,
    ].join('\n'));
    const groups = (JSON.parse(r.stdout) as Report).wouldRefuse;
    expect(groups).toEqual([expect.objectContaining({ cause: 'noexec' })]);
  });
});

describe('causes under a real LSM, and the caps', () => {
  it.skipIf(landlockUnavailable() !== null)('lsm: a 0755 file that a Landlock ruleset keeps from executing (report run inside the ruleset), with the LSM advice', () => {
    const dir = mkdtempSync(join(tmp, 'lsm-'));
    writeFileSync(join(dir, 'x.js'), '\n', { mode: 0o755 });
    writeFileSync(join(dir, 'r.jsonl'), `${rec({ path: join(dir, 'x.js') })}\n`);
    const under = (args: string[]) => {
      const c = underLandlock([join(ROOT, 'dist'), join(ROOT, 'node_modules')], { cmd: process.execPath, args: [SECNODECTL, 'report', join(dir, 'r.jsonl'), ...args] });
      return spawnSync(c.cmd, c.args, { encoding: 'utf8', timeout: 60_000 });
    };
    const j = JSON.parse(under(['--json']).stdout) as Report;
    expect(j.wouldRefuse).toEqual([expect.objectContaining({ cause: 'lsm', files: [join(dir, 'x.js')] })]);
    const text = under(['--fix', '--root', dir]);
    expect(text.status).toBe(1);
    expect(text.stdout).toContain(`todo    ${join(dir, 'x.js')}: denied by an LSM (Landlock, SELinux, IMA, IPE) or another policy: allow execution of the file in the LSM policy`);
    expect(text.stdout).toMatch(/^ready to enforce RF: no/m);
    // outside the ruleset the same file passes now
    expect(report([join(dir, 'r.jsonl'), '--json']).json().wouldRefuse).toEqual([expect.objectContaining({ cause: 'passes-now' })]);
  });

  it('past the group cap: the record is counted as untracked, and --fix does not claim RF ready though every file it names passes', () => {
    const dir = mkdtempSync(join(tmp, 'caps-'));
    const n = 10_001; // LIMITS.groups + 1: one package per record, so the last one is not grouped
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      const path = join(dir, `f${i}.js`);
      writeFileSync(path, '\n', { mode: 0o644 });
      lines.push(rec({ path, package: { name: `p${i}`, version: '1.0.0' } }));
    }
    writeFileSync(join(dir, 'r.jsonl'), `${lines.join('\n')}\n`);
    const j = report([join(dir, 'r.jsonl'), '--json']).json() as Report & { input: { untracked: number } };
    expect([j.wouldRefuse.length, j.input.untracked]).toEqual([10_000, 1]);
    const r = report([join(dir, 'r.jsonl'), '--fix', '--root', dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("1 record(s) beyond the report's group limit were counted but not grouped");
    expect(r.stdout).toMatch(/^ready to enforce RF: no .*after --fix: 0 file\(s\) still fail the check/m);
    expect(statSync(join(dir, 'f0.js')).mode & 0o777).toBe(0o755);
    expect(statSync(join(dir, `f${n - 1}.js`)).mode & 0o777).toBe(0o644); // the untracked record's file was never named
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});

describe('hostile input', () => {
  it('counts malformed lines, other programs\' journal entries and unknown versions and fields; reads byte-array MESSAGE', () => {
    const file = join(tmp, 'mixed.log');
    const good = rec({ path: '/nonexistent/app/a.js', extra: { nested: true } });
    writeFileSync(file, [
      good, good.slice(0, 40), 'plain text', '\u0000\u0001binary', '{"v":9,"event":"check"}', '[]', 'x'.repeat(2 << 20),
      JSON.stringify({ MESSAGE: 'sshd[1]: Accepted publickey', _HOSTNAME: 'h', __CURSOR: 'c' }),
      JSON.stringify({ MESSAGE: [...Buffer.from(`secnode: ${rec({ path: '/nonexistent/app/b.js', host: undefined })}`)], _MACHINE_ID: 'journal-host' }),
      JSON.stringify({ MESSAGE: null, __CURSOR: 'c' }),
      'Dec  1 10:00:00 kiosk node: secnode: {"v":1', '',
    ].join('\n'));
    const r = report([file, '--json']);
    expect([r.status, r.stderr]).toEqual([1, '']);
    const j = r.json();
    expect(j.input).toMatchObject({ records: 2, bad: { 'malformed-json': 2, 'not-json': 3, 'unknown-version': 1, 'line-too-long': 1, 'other-program': 1, 'journal-field-elided': 1 }, unknownFields: ['extra'] });
    expect(j.hosts.map((h) => h.host).sort()).toEqual(['hostile', 'journal-host']);
    expect(j.wouldRefuse).toEqual([expect.objectContaining({ cause: 'not-executable', files: ['/nonexistent/app/a.js', '/nonexistent/app/b.js'] })]);
    const text = report([file]);
    expect(text.stdout).toMatch(/journalctl -o json --all/);
    expect(text.stdout).toMatch(/^ready to enforce RF: no/m);
  });

  it('exits 2 on usage errors and unreadable input, 1 with no records', () => {
    expect(report(['/nonexistent/records.jsonl']).status).toBe(2);
    expect(report([tmp]).status).toBe(2);
    expect(report(['--bogus']).status).toBe(2);
    expect(report(['--fix', '-']).status).toBe(2);
    expect(report(['--root', tmp, '-']).status).toBe(2);
    expect(report(['--fix', '--root', join(tmp, 'missing'), '-']).status).toBe(2);
    expect(report(['-'], '').status).toBe(1);
  });

  it('--fix changes only files inside the roots: symlinks leading out, vanished and outside files are reported and skipped', () => {
    const root = join(tmp, 'root');
    const out = join(tmp, 'outdir');
    mkdirSync(root);
    mkdirSync(out);
    for (const f of [join(root, 'a.cjs'), join(tmp, 'outside.cjs'), join(out, 'x.cjs')]) writeFileSync(f, 'module.exports = 1;\n', { mode: 0o644 });
    writeFileSync(join(root, 'own.cjs'), '', { mode: 0o744 }); // runs for its owner (root here), not for the service's user
    symlinkSync(join(tmp, 'outside.cjs'), join(root, 'link.cjs'));
    symlinkSync(out, join(root, 'sub'));
    const named = ['a.cjs', 'own.cjs', 'link.cjs', 'gone.cjs', 'sub/x.cjs'].map((f) => join(root, f)).concat(join(tmp, 'outside.cjs'), 'root/a.cjs', `${root}/../outside.cjs`);
    const file = join(tmp, 'fix.jsonl');
    writeFileSync(file, `${named.map((path) => rec({ path })).join('\n')}\n`);
    const r = report([file, '--fix', '--root', root, '--json']);
    expect([r.status, r.stderr]).toEqual([1, '']);
    const fixes = Object.fromEntries(r.json().fixes!.map((f) => [f.path, [f.action, f.note, f.after]]));
    expect(fixes).toEqual({
      [join(root, 'a.cjs')]: ['fixed', 'mode 0644 -> 0755', 'passes'],
      [join(root, 'own.cjs')]: ['fixed', 'mode 0744 -> 0755', 'passes'],
      [join(root, 'link.cjs')]: ['skipped', `leads out of the roots (to ${join(tmp, 'outside.cjs')}): not changed`, expect.stringMatching(/^refused/)],
      [join(root, 'gone.cjs')]: ['skipped', 'no longer exists: skipped', 'missing'],
      [join(root, 'sub/x.cjs')]: ['skipped', `leads out of the roots (to ${join(out, 'x.cjs')}): not changed`, expect.stringMatching(/^refused/)],
      [join(tmp, 'outside.cjs')]: ['skipped', 'outside the given roots: not changed', expect.stringMatching(/^refused/)],
      'root/a.cjs': ['skipped', 'not an absolute path: skipped', 'not checked'],
      [`${root}/../outside.cjs`]: ['skipped', `leads out of the roots (to ${join(tmp, 'outside.cjs')}): not changed`, expect.stringMatching(/^refused/)],
    });
    expect(statSync(join(root, 'a.cjs')).mode & 0o777).toBe(0o755);
    expect(statSync(join(tmp, 'outside.cjs')).mode & 0o777).toBe(0o644);
    expect(statSync(join(out, 'x.cjs')).mode & 0o777).toBe(0o644);
    const text = report([file, '--fix', '--root', root]);
    expect(text.stdout).toMatch(/^ {2}ok {6}.*a\.cjs: passes the check already/m);
  });
});

describe.each(nodes())('verdicts from real runs ($name)', (n) => {
  it('inline code counts against DI only; refusals under RF against RF only', () => {
    const dir = mkdtempSync(join(tmp, `v-${n.name}-`));
    writeFileSync(join(dir, 'main.cjs'), "try { require('./no.cjs'); } catch { console.log('refused'); }\n", { mode: 0o755 });
    writeFileSync(join(dir, 'no.cjs'), '', { mode: 0o755 });
    const inline = join(dir, 'inline.jsonl');
    expect(secnode(['-e', '1'], { node: n, env: { SECNODE_AUDIT: `file:${inline}` } }).status).toBe(0);
    let j = report([inline, '--json']).json();
    expect([j.ready.RF.ready, j.ready.DI.ready]).toEqual([true, false]);
    expect(secnode(['-e', '1'], { node: n, policy: 'DI', env: { SECNODE_AUDIT: `file:${inline}` } }).status).toBe(126);
    j = report([inline, '--json']).json();
    expect(j.interactive).toEqual([expect.objectContaining({ source: '-e', count: 2, enforced: 1 })]);
    expect([j.ready.RF.ready, j.ready.DI.ready]).toEqual([true, false]);
    const rf = join(dir, 'rf.jsonl');
    chmodSync(join(dir, 'no.cjs'), 0o644);
    expect(secnode([join(dir, 'main.cjs')], { node: n, policy: 'RF', env: { SECNODE_AUDIT: `file:${rf}` } }).stdout).toBe('refused\n');
    const r = report([rf, '--json']);
    j = r.json();
    expect([r.status, j.ready.RF.ready, j.ready.DI.ready]).toEqual([1, false, true]);
    expect(j.refused).toEqual([expect.objectContaining({ cause: 'mode', bits: ['RF'], files: [join(dir, 'no.cjs')] })]);
    expect(report([rf, '--fix', '--root', dir]).status).toBe(0);
    expect(secnode([join(dir, 'main.cjs')], { node: n, policy: 'RF' }).stdout).toBe('');
  });
});

describe.skipIf(!isRoot || JOURNALD === undefined)('records through a real journald', () => {
  it('come back whole from journalctl -o json, long paths included, mixed with other programs\' entries', () => {
    const n = nodes()[0]!;
    const work = mkdtempSync(join(tmp, 'journal-'));
    let deep = join(work, 'app');
    while (deep.length < 2800) deep = join(deep, 'd'.repeat(200));
    mkdirSync(deep, { recursive: true });
    const main = join(deep, `${'m'.repeat(200)}.cjs`);
    const dep = join(deep, `${'n'.repeat(200)}.cjs`);
    writeFileSync(main, `require(${JSON.stringify(dep)});\n`, { mode: 0o755 });
    writeFileSync(dep, '', { mode: 0o644 });
    const script = [
      'mount -t tmpfs tmpfs /run', 'mkdir -p /run/systemd/journal /run/log/journal "$W/olddev"',
      'mount --bind /dev "$W/olddev"', 'mount -t tmpfs -o mode=0755 tmpfs /dev',
      'for f in null zero random urandom kmsg; do touch /dev/$f; mount --bind "$W/olddev/$f" /dev/$f; done', 'ln -s /proc/self/fd /dev/fd',
      `${shQuote(JOURNALD!)} >/dev/null 2>&1 & J=$!`,
      'i=0; while [ ! -S /run/systemd/journal/dev-log ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done',
      'ln -s /run/systemd/journal/dev-log /dev/log',
      `SECNODE_AUDIT=syslog ${shQuote(SECNODE)} "$MAIN"`,
      'sleep 0.3; journalctl -D /run/log/journal -o json > "$W/journal.json"; kill $J; wait $J || true',
    ].join('\n');
    const r = spawnSync('unshare', [...mountNamespaceArgs(), '--', '/bin/sh', '-ec', script], {
      encoding: 'utf8', env: envFor(n, { W: work, MAIN: main }), timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    const journal = readFileSync(join(work, 'journal.json'), 'utf8');
    const rep = report(['-', '--json'], journal);
    const j = rep.json();
    expect(j.input.records).toBe(2);
    expect(j.input.bad['other-program']).toBeGreaterThan(0);
    expect(j.input.bad['journal-field-elided']).toBeUndefined();
    expect(j.wouldRefuse).toEqual([expect.objectContaining({ cause: 'mode', files: [dep] })]);
    const message = journal.split('\n').filter((l) => l.includes('secnode: ')).map((l) => (JSON.parse(l) as { MESSAGE: string }).MESSAGE);
    expect(message.map((m) => (JSON.parse(m.slice('secnode: '.length)) as { path: string }).path)).toEqual([main, dep]);
    expect(message[1]).toMatch(/"elided":\["parent"\]/);
  });
});

/** Installs the fixture's pinned packages into .cache/ once per lock (npm ci); returns why it failed, or ''. */
function installFixture(): string {
  try {
    ensureFixture('report-app');
    return '';
  } catch (e) {
    return `npm ci failed: ${(e as Error).message.trim().split('\n').at(-1) ?? ''}`;
  }
}

describe.each(nodes())('rollout on real packages, two hosts ($name)', (n) => {
  let app = '';
  let installError = '';
  beforeAll(() => {
    installError = installFixture();
    app = mkdtempSync(join(tmp, `app-${n.name}-`));
    if (installError) return;
    cpSync(join(INSTALL, 'node_modules'), join(app, 'node_modules'), { recursive: true });
    for (const f of ['package.json', 'app.mjs', 'views']) cpSync(join(FIXTURE, f), join(app, f), { recursive: true });
    // What a fresh install from a tarball gives with a umask that drops x bits: every file 0644.
    for (const e of readdirSync(app, { withFileTypes: true, recursive: true })) if (e.isFile()) chmodSync(join(e.parentPath, e.name), 0o644);
    chmodSync(join(app, 'app.mjs'), 0o755);
  });

  /** Runs the app permissive with records on a simulated host: its own host name and machine id. */
  function onHost(name: string, machineId: string, log: string) {
    const id = join(app, `${name}.machine-id`);
    writeFileSync(id, machineId);
    const script = `hostname ${shQuote(name)}\nmount --bind ${shQuote(id)} /etc/machine-id\nexec ${shQuote(SECNODE)} app.mjs`;
    return spawnSync('unshare', [...mountNamespaceArgs(), '--uts', '--', '/bin/sh', '-ec', script], {
      cwd: app, encoding: 'utf8', timeout: 60_000, env: envFor(n, { SECNODE_AUDIT: `file:${log}`, APP_LOG: join(app, 'app.log') }),
    });
  }

  it('records from two hosts, report, report --fix, then the enforced run (RF+DI, locked) works', () => {
    expect(installError).toBe('');
    const expected = '<style>.a{color:red}</style>\n';
    const logA = join(app, 'host-a.jsonl');
    const logB = join(app, 'host-b.jsonl');
    const a = onHost('host-a', `${'a'.repeat(32)}\n`, logA);
    const b = onHost('host-b', '', logB);
    expect([a.status, a.stdout, a.stderr]).toEqual([0, expected, '']);
    expect([b.status, b.stdout, b.stderr]).toEqual([0, expected, '']);
    const hostOf = (log: string) => new Set(readFileSync(log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { host: string }).host));
    expect([...hostOf(logA)]).toEqual(['a'.repeat(32)]);
    expect([...hostOf(logB)]).toEqual(['host-b']);

    // What the runs loaded that a static scan does not follow: the view engine, the transport, the addon
    // (thread-stream's worker the scan now follows, through its `require.resolve`/`join(__dirname, …)`).
    const scan = spawnSync(process.execPath, [SECNODECTL, 'scan', 'app.mjs', '--json'], { cwd: app, encoding: 'utf8' });
    const scanned = new Set((JSON.parse(scan.stdout) as { files: { path: string }[] }).files.map((f) => f.path));
    const unpredicted = [join(app, 'node_modules/ejs/lib/ejs.js'), join(app, 'node_modules/pino/file.js'), join(app, 'node_modules/lightningcss-linux-x64-gnu/lightningcss.linux-x64-gnu.node')];
    expect(unpredicted.filter((f) => scanned.has(f))).toEqual([]);

    const before = run(SECNODE, ['app.mjs'], { node: n, cwd: app, policy: 'RF+DI' });
    expect(before.stderr).toContain('ERR_SECNODE_EXEC_DENIED');

    const plan = report([logA, logB, '--json']);
    expect(plan.status).toBe(1);
    const j = plan.json();
    expect(j.hosts.map((h) => [h.host, h.ready.RF.ready, h.ready.DI.ready])).toEqual([['a'.repeat(32), false, true], ['host-b', false, true]]);
    const byPackage = new Map(j.wouldRefuse.map((g) => [g.package, g]));
    for (const pkg of ['ejs@3.1.10', 'thread-stream@3.2.0', 'pino@9.6.0', 'lightningcss-linux-x64-gnu@1.29.1']) {
      expect(byPackage.get(pkg), pkg).toMatchObject({ cause: 'mode', bits: ['RF'], hosts: ['a'.repeat(32), 'host-b'] });
    }
    const files = j.wouldRefuse.flatMap((g) => g.files);
    expect(unpredicted.filter((f) => !files.includes(f))).toEqual([]);

    const fix = report([logA, logB, '--fix', '--root', app]);
    expect([fix.status, fix.stderr]).toEqual([0, '']);
    expect(fix.stdout).toMatch(/^ {2}fixed {3}.*ejs\.js: mode 0644 -> 0755 {2}\(re-check: passes\)$/m);
    expect(fix.stdout).toMatch(/^ready to enforce RF: yes/m);
    // Only the files the runs loaded changed: an unused file of the same package keeps its mode.
    expect(statSync(join(app, 'node_modules/ejs/bin/cli.js')).mode & 0o777).toBe(0o644);

    const enforced = run(SECNODE, ['app.mjs'], { node: n, cwd: app, policy: 'RF+DI', env: { APP_LOG: join(app, 'app.log') } });
    expect([enforced.status, enforced.stdout, enforced.stderr]).toEqual([0, expected, '']);
    expect(report([logA, logB]).status).toBe(0);
  });
});

/** Starts the kiosk (under `exec` flags, or permissive), fetches `paths`, stops it; returns the status and body of each. */
async function kiosk(n: NodeUnderTest, dir: string, flags: readonly string[], env: NodeJS.ProcessEnv, paths: readonly string[]): Promise<string[]> {
  const argv = flags.length > 0 ? [SECNODECTL, 'exec', ...flags, '--', SECNODE, join(dir, 'server.mjs')] : [join(dir, 'server.mjs')];
  const child = spawn(flags.length > 0 ? process.execPath : SECNODE, argv, { env: envFor(n, { PORT: '0', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((ok, fail) => {
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); const m = /listening on (http:\/\/\S+)/.exec(out); if (m) ok(m[1]!); });
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      child.on('exit', (code) => fail(new Error(`kiosk exited ${String(code)}: ${err}`)));
    });
    const got: string[] = [];
    for (const p of paths) {
      const r = await fetch(`${url}${p}`);
      const body = await r.text();
      got.push(`${r.status} ${p === '/' ? '' : body}`.trim());
    }
    return got;
  } finally {
    await new Promise((done) => { child.on('exit', done); child.kill('SIGTERM'); });
  }
}

describe.each(nodes())('the kiosk rollout, as examples/kiosk/README.md gives it ($name)', (n) => {
  it('records, report, report --fix, scan for the unexercised plugin, enforce without locks, lock', async () => {
    const dir = mkdtempSync(join(tmp, `kiosk-${n.name}-`));
    cpSync(join(ROOT, 'examples/kiosk'), dir, { recursive: true });
    writeFileSync(join(dir, 'plugins/weather.mjs'), 'export function run() { return "sunny"; }\n');
    for (const f of ['server.mjs', 'lib/render.mjs', 'plugins/clock.mjs', 'plugins/weather.mjs']) chmodSync(join(dir, f), 0o644);
    chmodSync(join(dir, 'server.mjs'), 0o755);
    const log = join(dir, 'kiosk.jsonl');
    // 1. permissive with records: everything runs; the weather plugin is never requested.
    expect(await kiosk(n, dir, [], { SECNODE_AUDIT: `file:${log}` }, ['/', '/plugins/clock'])).toEqual(['200', expect.stringMatching(/^200 .*"plugin":"clock"/)]);
    // 2. report: not ready for RF, and it names the files that ran.
    const plan = report([log, '--json']);
    expect(plan.status).toBe(1);
    expect(plan.json().wouldRefuse.flatMap((g) => g.files).sort()).toEqual([join(dir, 'lib/render.mjs'), join(dir, 'plugins/clock.mjs')]);
    // The same plan as one page to share (--html -): the files named, RF not ready.
    const page = report([log, '--html', '-']);
    expect(page.status).toBe(1);
    expect(page.stdout).toMatch(/Enforce RF \(SECBIT_EXEC_RESTRICT_FILE\)<\/div><b>NOT READY<\/b>/);
    expect(page.stdout).toContain(`<li><code>${join(dir, 'lib/render.mjs')}</code></li>`);
    // 3. report --fix: exactly those files.
    expect(report([log, '--fix', '--root', dir]).status).toBe(0);
    expect(statSync(join(dir, 'plugins/weather.mjs')).mode & 0o777).toBe(0o644);
    // 4. scan for what the runs did not exercise.
    const scan = spawnSync(process.execPath, [SECNODECTL, 'scan', join(dir, 'plugins'), '--fix'], { encoding: 'utf8' });
    expect(scan.stdout).toMatch(/^fixed {3}.*weather\.mjs: mode 0644 -> 0755$/m);
    // 5. enforce without locks, 6. lock: both plugins run, nothing refused.
    const paths = ['/', '/plugins/clock', '/plugins/weather'];
    const ok = ['200', expect.stringMatching(/^200 .*"plugin":"clock"/), expect.stringMatching(/^200 .*"output":"sunny"/)];
    expect(await kiosk(n, dir, [...POLICIES['RF+DI'], '--no-lock'], { SECNODE_AUDIT: `file:${log}` }, paths)).toEqual(ok);
    expect(await kiosk(n, dir, POLICIES['RF+DI'], {}, paths)).toEqual(ok);
    expect(report([log]).status).toBe(0);
  });
});
