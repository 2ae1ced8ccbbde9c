// Audit records for real: stderr, an append-only file under many writers, syslog via a real /dev/log, the channel.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFor, nodes, POLICIES, SECNODE, SECNODECTL, secnode } from './helpers/run.js';
import { mountNamespaceArgs, shQuote } from './helpers/sandbox.js';

interface Rec { v: number; pid: number; tid: number; event: string; subject: string; path?: string; source?: string; errno: string | null;
  allowed: boolean; enforced: boolean; mode: string; securebits: string; emulated: boolean; time: string }
const parse = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'secnode-audit-'));
  writeFileSync(join(dir, 'main.cjs'), "try { require('./no.cjs'); } catch (e) { console.log(e.code); }\nrequire('./ok.cjs');\n", { mode: 0o755 });
  writeFileSync(join(dir, 'ok.cjs'), '', { mode: 0o755 });
  writeFileSync(join(dir, 'no.cjs'), "console.log('no ran');\n", { mode: 0o644 });
  for (let i = 0; i < 40; i++) writeFileSync(join(dir, `m${i}.cjs`), `module.exports = ${i};\n`, { mode: 0o755 });
  writeFileSync(join(dir, 'worker.cjs'), "let s = 0; for (let i = 0; i < 40; i++) s += require(`./m${i}.cjs`);\nrequire('node:worker_threads').parentPort.postMessage(s);\n", { mode: 0o755 });
  writeFileSync(join(dir, 'many.cjs'), "const { Worker } = require('node:worker_threads');\nfor (let i = 0; i < 3; i++) new Worker(require('node:path').join(__dirname, 'worker.cjs'));\n", { mode: 0o755 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(nodes())('$name', (n) => {
  it('writes nothing in permissive mode without a sink', () => {
    const r = secnode([join(dir, 'main.cjs')], { node: n });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'no ran\n', '']);
  });

  it('records every decision on stderr, allowed and refused, with the documented fields', () => {
    const r = secnode([join(dir, 'main.cjs')], { node: n, policy: 'RF', env: { SECNODE_AUDIT: 'stderr' } });
    expect(r.stdout).toBe('ERR_SECNODE_EXEC_DENIED\n');
    const recs = parse(r.stderr);
    expect(recs.map((x) => [x.subject, x.path, x.allowed])).toEqual([
      ['entry', join(dir, 'main.cjs'), true], ['require', join(dir, 'no.cjs'), false], ['require', join(dir, 'ok.cjs'), true],
    ]);
    expect(recs[1]).toMatchObject({ v: 1, event: 'check', errno: 'EACCES', enforced: true, mode: 'enforce', securebits: '0x300', emulated: false });
    expect(new Date(recs[1]!.time).getTime()).not.toBeNaN();
  });

  it('records a refused -e as an interactive event', () => {
    const r = secnode(['-e', '1'], { node: n, policy: 'DI', env: { SECNODE_AUDIT: 'stderr' } });
    expect(r.status).toBe(126);
    expect(parse(r.stderr.split('\n')[0]!)).toEqual([expect.objectContaining({ event: 'interactive', subject: 'inline', source: '-e', allowed: false, enforced: true })]);
  });

  it('keeps whole lines in one file with many processes and workers writing at once', async () => {
    const log = join(dir, `many-${n.name}.jsonl`);
    const procs = 6;
    await Promise.all(Array.from({ length: procs }, () => new Promise<void>((done, fail) => {
      const p = spawn(SECNODE, [join(dir, 'many.cjs')], { env: envFor(n, { SECNODE_AUDIT: `file:${log}` }), stdio: 'ignore' });
      const timer = setTimeout(() => p.kill('SIGKILL'), 40_000);
      p.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) done(); else fail(new Error(`exit ${String(code)} ${String(signal)}`));
      });
    })));
    const recs = parse(readFileSync(log, 'utf8'));
    const perProcess = 1 + 3 * 41;
    expect(recs).toHaveLength(procs * perProcess);
    const byPid = new Map<number, number>();
    for (const r of recs) byPid.set(r.pid, (byPid.get(r.pid) ?? 0) + 1);
    expect([...byPid.values()]).toEqual(Array(procs).fill(perProcess));
  });

  it('publishes each decision on the secnode:decision diagnostics channel', () => {
    const sub = join(dir, 'subscriber.cjs');
    writeFileSync(sub, "const seen = []; require('node:diagnostics_channel').subscribe('secnode:decision', (r) => seen.push(r.path));\n"
      + "process.on('exit', () => console.log(JSON.stringify(seen)));\n", { mode: 0o755 });
    const r = secnode(['--require', sub, join(dir, 'main.cjs')], { node: n });
    expect(r.stderr).toBe('');
    const seen = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as string[];
    expect(seen).toEqual([join(dir, 'main.cjs'), join(dir, 'no.cjs'), join(dir, 'ok.cjs')]);
  });

  it('sends records to syslog, read back from a real /dev/log listener', () => {
    const sock = mkdtempSync(join(dir, 'dev-'));
    const listener = 'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.settimeout(20)\ns.bind(sys.argv[1])\n'
      + 'open(sys.argv[2],"w").close()\nn=0\nwith open(sys.argv[3],"wb") as o:\n  while n<3:\n    o.write(s.recv(65536)+b"\\n"); o.flush(); n+=1\n';
    writeFileSync(join(sock, 'listen.py'), listener);
    const bits = POLICIES.RF.map(shQuote).join(' ');
    const script = [
      'mount --bind /dev "$D/olddev"', 'mount -t tmpfs -o mode=0755 tmpfs /dev',
      'for f in null zero random urandom; do touch /dev/$f; mount --bind "$D/olddev/$f" /dev/$f; done',
      'ln -s /proc/self/fd /dev/fd',
      'python3 "$D/listen.py" /dev/log "$D/ready" "$D/got" & L=$!',
      'while [ ! -e "$D/ready" ]; do sleep 0.05; done',
      `SECNODE_AUDIT=syslog ${shQuote(process.execPath)} ${shQuote(SECNODECTL)} exec ${bits} -- ${shQuote(SECNODE)} "$D/../main.cjs" > "$D/out"`,
      'wait $L',
    ].join('\n');
    spawnSync('mkdir', ['-p', join(sock, 'olddev')]);
    const r = spawnSync('unshare', [...mountNamespaceArgs(), '--', '/bin/sh', '-ec', `D=${shQuote(sock)}\n${script}`], {
      encoding: 'utf8', env: envFor(n), timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    const lines = readFileSync(join(sock, 'got'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3);
    // <facility*8+severity>: authpriv (10) with info (6) for allowed, warning (4) for refused.
    expect(lines.map((l) => /^<(\d+)>/.exec(l)?.[1])).toEqual(['86', '84', '86']);
    const recs = lines.map((l) => JSON.parse(l.slice(l.indexOf('{'))) as Rec);
    expect(recs.map((x) => x.allowed)).toEqual([true, false, true]);
    expect(readFileSync(join(sock, 'out'), 'utf8')).toBe('ERR_SECNODE_EXEC_DENIED\n');
  });

  it('refuses an invalid sink before running anything', () => {
    const r = secnode([join(dir, 'main.cjs')], { node: n, env: { SECNODE_AUDIT: 'file:relative.log' } });
    expect(r.status).toBe(126);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/ERR_SECNODE_INVALID_CONFIG/);
  });
});

/** A writable cgroup v2 directory to make a unit's cgroup in (the test process's own), or null. */
function cgroup2Here(): string | null {
  if (process.geteuid?.() !== 0) return null;
  const mount = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')).find((f) => f[f.indexOf('-') + 1] === 'cgroup2')?.[4];
  const own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
  return mount === undefined || own === undefined ? null : join(mount, own);
}

// `unit` comes from the process's cgroup, the way systemd places a service: a real cgroup v2 directory named
// like a unit (root only; the test machine has no systemd running services), the process moved into it.
describe.skipIf(cgroup2Here() === null)('unit: from a real cgroup named as systemd names a service', () => {
  it.each(nodes())('$name: every record carries the unit, and report lists it for the host', (n) => {
    const unit = `secnode-test-${process.pid}-${n.major}.service`;
    const cg = join(cgroup2Here()!, 'secnode-test.slice', unit);
    mkdirSync(cg, { recursive: true });
    try {
      const cmd = `echo $$ > ${shQuote(join(cg, 'cgroup.procs'))} && exec ${shQuote(SECNODE)} ${shQuote(join(dir, 'main.cjs'))}`;
      const r = spawnSync('/bin/sh', ['-c', cmd], { env: envFor(n, { SECNODE_AUDIT: 'stderr' }), encoding: 'utf8', timeout: 60_000 });
      expect(r.stdout).toBe('no ran\n');
      const recs = parse(r.stderr) as (Rec & { unit?: string })[];
      expect(recs.length).toBe(3);
      expect(recs.map((x) => x.unit)).toEqual([unit, unit, unit]);
      const plan = spawnSync(process.execPath, [SECNODECTL, 'report', '--json', '-'], { input: r.stderr, encoding: 'utf8' });
      expect((JSON.parse(plan.stdout) as { hosts: { units: string[] }[] }).hosts.map((h) => h.units)).toEqual([[unit]]);
    } finally {
      rmdirSync(cg); // the process has exited: the cgroup is empty
      try { rmdirSync(join(cg, '..')); } catch { /* another Node's unit is still there */ }
    }
  });
});
