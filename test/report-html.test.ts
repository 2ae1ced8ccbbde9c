// `secnodectl report --html` for real: a fleet's page rendered in headless Chromium (screenshot, visible
// verdicts and top groups), a page of hostile records that must run nothing, navigate nowhere and request
// nothing (a listener on 127.0.0.1 is the payloads' target), a control page without escaping or CSP that
// shows the harness does catch all three, and a million records from 50 hosts under a small heap.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, visit } from './helpers/browser.js';
import { fleetLines, hostileLines, hostilePayloads } from './helpers/fleet.js';
import { ROOT, SECNODECTL } from './helpers/run.js';

const SHOTS = join(ROOT, '.cache/report-html');
const noChromium = CHROMIUM === null ? 'chromium not found: apt-get install chromium (.ci/run does)' : '';

let tmp = '';
let server: Server;
let beacon = '';
const hits: string[] = [];
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'secnode-report-html-'));
  mkdirSync(SHOTS, { recursive: true });
  server = createServer((req, res) => { hits.push(req.url ?? ''); res.end('x'); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  beacon = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

function page(name: string, lines: Iterable<string>, extra: string[] = []) {
  const input = join(tmp, `${name}.jsonl`);
  writeFileSync(input, `${[...lines].join('\n')}\n`);
  const out = join(tmp, `${name}.html`);
  const r = spawnSync(process.execPath, [SECNODECTL, 'report', input, '--html', out, ...extra], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { ...r, out, html: () => readFileSync(out, 'utf8') };
}

describe.skipIf(noChromium !== '')(`the page in headless Chromium${noChromium ? ` (skipped: ${noChromium})` : ''}`, () => {
  it('a fleet: a screenshot, the verdicts, the hosts not ready and the top groups are on the page as seen', async () => {
    const r = page('fleet', fleetLines(30_000, 12, 3));
    expect([r.status, r.stderr]).toEqual([1, '']);
    const seen = await visit(r.out, 1280, 1500);
    writeFileSync(join(SHOTS, 'fleet.png'), seen.png);
    if (process.env.SECNODE_WRITE_DOCS_PNG === '1') writeFileSync(join(ROOT, 'docs/report-page.png'), seen.png);
    expect(seen.png.subarray(1, 4).toString()).toBe('PNG');
    expect(seen.png.length).toBeGreaterThan(20_000);
    expect(seen.text).toMatch(/Enforce RF \(SECBIT_EXEC_RESTRICT_FILE\)\s+NOT READY/);
    expect(seen.text).toMatch(/Enforce DI \(SECBIT_EXEC_DENY_INTERACTIVE\)\s+NOT READY/);
    expect(seen.text).toMatch(/Harden generated code \(SECNODE_HARDEN_GENERATED=1\)\s+NOT READY/);
    expect(seen.text).toMatch(/web-00: \d+ failed check\(s\) of code files/);
    expect(seen.text).toMatch(/web-02: \d+ inline input\(s\)/);
    expect(seen.text).toMatch(/\d+ line\(s\) were not records/);
    for (const top of ['express@4.21.2', 'ajv@8.17.1', 'secnodectl report']) expect(seen.text).toContain(top);
    expect([seen.dialogs, seen.navigations, seen.requests, seen.scripts]).toEqual([[], [], [], 0]);
  });

  it('hostile records: every payload shows as text, and nothing runs, navigates or requests', async () => {
    hits.length = 0;
    const r = page('hostile', hostileLines(beacon));
    expect([r.status, r.stderr]).toEqual([1, '']);
    const seen = await visit(r.out, 1280, 2400);
    writeFileSync(join(SHOTS, 'hostile.png'), seen.png);
    expect({ dialogs: seen.dialogs, navigations: seen.navigations, requests: seen.requests, console: seen.console, scripts: seen.scripts, hits })
      .toEqual({ dialogs: [], navigations: [], requests: [], console: [], scripts: 0, hits: [] });
    for (const p of hostilePayloads(beacon).slice(0, 11)) expect(seen.text).toContain(p);
    expect(seen.text).toContain('\\u{202e}<b>reversed</b>\\u{2028}line\\u{0}nul');
  });

  it('the harness sees what it looks for: a page with the payloads unescaped and no CSP opens dialogs and sends requests', async () => {
    hits.length = 0;
    const raw = join(tmp, 'raw.html');
    writeFileSync(raw, `<!doctype html><html><head><title>raw</title></head><body>${hostilePayloads(beacon).slice(0, 3).join('<br>')}</body></html>`);
    const seen = await visit(raw);
    expect(seen.dialogs.length).toBeGreaterThan(0);
    expect(seen.requests.some((u) => u.startsWith(beacon))).toBe(true);
    expect(hits.length).toBeGreaterThan(0);
    expect(seen.scripts).toBeGreaterThan(0);
  });
});

describe('usage', () => {
  it('--html needs a file or -, does not go with --json, and a page that cannot be written is exit 2', () => {
    const ctl = (args: string[]) => spawnSync(process.execPath, [SECNODECTL, 'report', ...args], { encoding: 'utf8', input: '' });
    expect([ctl(['--html']).status, ctl(['--html']).stderr]).toEqual([2, expect.stringContaining('--html needs a file (or - for stdout)')]);
    expect(ctl(['--json', '--html', '-']).stderr).toContain('--json and --html cannot be combined');
    const input = join(tmp, 'one.jsonl');
    writeFileSync(input, '{"v":1}\n');
    const r = ctl([input, '--html', join(tmp, 'no/such/dir/page.html')]);
    expect([r.status, r.stderr]).toEqual([2, expect.stringMatching(/^secnodectl report: cannot write .*page\.html: ENOENT/)]);
  });
});

describe('large inputs', () => {
  it('a million records from 50 hosts: under a 64 MB heap, a page of bounded size that says what it left out', async () => {
    const out = join(tmp, 'million.html');
    const child = spawn(process.execPath, ['--max-old-space-size=64', SECNODECTL, 'report', '-', '--html', out], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const done = new Promise<number | null>((r) => child.on('close', r));
    try {
      let batch: string[] = [];
      for (const line of fleetLines(1_000_000, 50, 14)) {
        batch.push(line);
        if (batch.length < 2000) continue;
        if (!child.stdin.write(`${batch.join('\n')}\n`)) await new Promise((r) => child.stdin.once('drain', r));
        batch = [];
      }
      child.stdin.end(`${batch.join('\n')}\n`);
      expect([await done, stderr]).toEqual([1, '']);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const html = readFileSync(out, 'utf8');
    expect(statSync(out).size).toBeLessThan(3 << 20);
    expect(html).toMatch(/from 50 host\(s\) in 1,000,000 line\(s\); <b>10,309 line\(s\) were not records<\/b>/);
    expect(html).toMatch(/<svg class="chart"/);
    expect(html).toMatch(/one column per day with records/);
    expect(html).toContain('more than the report keeps');
  }, 300_000);
});
