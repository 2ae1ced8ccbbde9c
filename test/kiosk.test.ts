// The kiosk example under the bits its systemd unit sets: it serves, refuses a dropped-in plugin that is
// not executable (and records it), and the same bits refuse `-e`.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { envFor, nodes, POLICIES, ROOT, SECNODE, SECNODECTL, secnode } from './helpers/run.js';

const tmp = mkdtempSync(join(tmpdir(), 'secnode-kiosk-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

/** Starts the kiosk under RF+DI (locked), as the unit would; resolves with its base URL. */
function startKiosk(n: ReturnType<typeof nodes>[number], plugins: string, log: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [SECNODECTL, 'exec', ...POLICIES['RF+DI'], '--', SECNODE, join(ROOT, 'examples/kiosk/server.mjs')], {
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
