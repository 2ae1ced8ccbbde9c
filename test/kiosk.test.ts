// The kiosk example under the bits its systemd unit sets: it serves, refuses a dropped-in plugin that is
// not executable (and records it), and the same bits refuse `-e`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { envFor, nodes, POLICIES, ROOT, SECNODE, SECNODECTL, secnode } from './helpers/run.js';
import { commandPath } from './helpers/sandbox.js';

const tmp = mkdtempSync(join(tmpdir(), 'secnode-kiosk-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

/** Starts the kiosk under RF+DI (locked), as the unit would (or with `argv`); resolves with its base URL. */
function startKiosk(n: ReturnType<typeof nodes>[number], plugins: string, log: string, argv?: readonly string[]): Promise<{ url: string; child: ChildProcess }> {
  const [cmd, ...args] = argv ?? [process.execPath, SECNODECTL, 'exec', ...POLICIES['RF+DI'], '--', SECNODE, join(ROOT, 'examples/kiosk/server.mjs')];
  const child = spawn(cmd!, args, {
    env: envFor(n, { PORT: '0', KIOSK_PLUGINS: plugins, SECNODE_AUDIT: `file:${log}` }), stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((ok, fail) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`kiosk not listening within 20 s: ${out}${err}`));
    }, 20_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) { clearTimeout(timer); ok({ url: m[1] as string, child }); }
    });
    child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`kiosk exited ${String(code)}: ${err}`)); });
  });
}

describe.each(nodes())('kiosk example ($name)', (n) => {
  it('serves, runs executable plugins, refuses and records a non-executable one', async () => {
    const plugins = mkdtempSync(join(tmp, 'plugins-'));
    cpSync(join(ROOT, 'examples/kiosk/plugins'), plugins, { recursive: true });
    const log = join(plugins, '..', `audit-${n.name}.jsonl`);
    const { url, child } = await startKiosk(n, plugins, log);
    const health = await (await fetch(`${url}/health`)).json() as { ok: boolean };
    expect(health.ok).toBe(true);
    expect(await (await fetch(url)).text()).toMatch(/<h1>secnode kiosk<\/h1>.*clock/s);
    const clock = await fetch(`${url}/plugins/clock`);
    expect(clock.status).toBe(200);

    writeFileSync(join(plugins, 'dropped.mjs'), "export function run() { return 'dropped code ran'; }\n", { mode: 0o644 });
    const dropped = await fetch(`${url}/plugins/dropped`);
    expect(dropped.status).toBe(403);
    expect(await dropped.json()).toEqual({ plugin: 'dropped', error: 'ERR_SECNODE_EXEC_DENIED' });

    const records = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { path: string; allowed: boolean; mode: string; errno: string | null });
    expect(records).toContainEqual(expect.objectContaining({ path: join(plugins, 'dropped.mjs'), allowed: false, mode: 'enforce', errno: 'EACCES' }));
    expect(records.filter((r) => !r.allowed)).toHaveLength(1);

    expect((await fetch(`${url}/health`)).status).toBe(200);
    child.kill('SIGTERM');
  });

  it('refuses -e under the same bits', () => {
    const r = secnode(['-e', "console.log('inline ran')"], { node: n, policy: 'RF+DI' });
    expect(r.status).toBe(126);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/ERR_SECNODE_INTERACTIVE_DENIED/);
  });
});

/** A unit file of the example as `key -> values` (a key may repeat). */
function unitKeys(name: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const line of readFileSync(join(ROOT, 'examples/kiosk', name), 'utf8').split('\n')) {
    const m = /^(\w+)=(.*)$/.exec(line);
    if (m) keys.set(m[1]!, [...(keys.get(m[1]!) ?? []), m[2]!]);
  }
  return keys;
}

/** The unit's paths mapped to this checkout: the installed launchers to dist/runtime, the app to examples/kiosk. */
const here = (text: string) => text.replaceAll('/usr/local/bin/', `${join(ROOT, 'dist/runtime')}/`).replaceAll('/opt/kiosk', join(ROOT, 'examples/kiosk'));
const SYSTEMD_ANALYZE = commandPath('systemd-analyze');

describe('the kiosk systemd units', () => {
  const units = ['secnode-kiosk.service', 'secnode-kiosk-legacy.service'];

  it.each(units)('%s: the bits and their lock, no user namespaces, nothing else executable', (name) => {
    const u = unitKeys(name);
    for (const [key, value] of [['RestrictNamespaces', 'yes'], ['NoNewPrivileges', 'yes'], ['NoExecPaths', '/'], ['DynamicUser', 'yes']]) {
      expect(u.get(key!), key).toEqual([value]);
    }
    expect(u.get('ExecPaths')?.[0]?.split(' ')).toEqual(expect.arrayContaining(['/opt/kiosk', '/usr/local/bin']));
    const exec = u.get('ExecStart')?.[0]?.split(' ');
    if (name === 'secnode-kiosk.service') {
      expect(u.get('SecureBits')?.[0]?.split(' ').sort()).toEqual(['exec-deny-interactive', 'exec-deny-interactive-locked', 'exec-restrict-file', 'exec-restrict-file-locked']);
      expect(exec).toEqual(['/usr/local/bin/secnode', '/opt/kiosk/server.mjs']);
    } else {
      expect(u.has('SecureBits')).toBe(false);
      expect(exec).toEqual(['/usr/local/bin/secnodectl', 'exec', '--restrict-file', '--deny-interactive', '--', '/usr/local/bin/secnode', '/opt/kiosk/server.mjs']);
    }
  });

  it.skipIf(SYSTEMD_ANALYZE === '').each(units)('%s: systemd-analyze verify finds nothing (paths mapped to this checkout)', (name) => {
    const dir = mkdtempSync(join(tmp, 'units-'));
    writeFileSync(join(dir, name), here(readFileSync(join(ROOT, 'examples/kiosk', name), 'utf8')));
    const r = spawnSync(SYSTEMD_ANALYZE, ['verify', join(dir, name)], { encoding: 'utf8', timeout: 60_000 });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '', '']);
    writeFileSync(join(dir, name), here(readFileSync(join(ROOT, 'examples/kiosk', name), 'utf8')).replace('RestrictNamespaces=', 'RestrictNamespace='));
    expect(spawnSync(SYSTEMD_ANALYZE, ['verify', join(dir, name)], { encoding: 'utf8', timeout: 60_000 }).stderr).toMatch(/Unknown key/); // it can fail
  });

  it.each(nodes())('the legacy unit\'s ExecStart, as written: serves, and the bits are set and locked ($name)', async (n) => {
    const argv = here(unitKeys('secnode-kiosk-legacy.service').get('ExecStart')![0]!).split(' ');
    const plugins = mkdtempSync(join(tmp, 'plugins-'));
    cpSync(join(ROOT, 'examples/kiosk/plugins'), plugins, { recursive: true });
    const log = join(plugins, '..', `unit-audit-${n.name}.jsonl`);
    const { url, child } = await startKiosk(n, plugins, log, argv);
    expect(((await (await fetch(`${url}/health`)).json()) as { ok: boolean }).ok).toBe(true);
    expect(realpathSync(`/proc/${child.pid}/exe`)).toBe(realpathSync(join(n.bin, 'node'))); // secnodectl and the launcher replaced themselves
    const entry = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { subject: string; securebits: string; mode: string })[0];
    expect(entry).toMatchObject({ subject: 'entry', securebits: '0xf00', mode: 'enforce' }); // both bits, both locks
    child.kill('SIGTERM');
  });
});
