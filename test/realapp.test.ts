// The operator's walk-through on a real package tree that no one here wrote (express and chalk from the
// npm registry, pinned by test/fixtures/realapp's lockfile and installed once with `npm ci`): permissive
// run with records → scan predicts it → enforced run refused → scan --fix → enforced run starts, on every
// Node version.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodes, SECNODE, SECNODECTL, run } from './helpers/run.js';
import { ensureFixture } from './install-fixture.mjs';

const APP = `import express from 'express';
import chalk from 'chalk';
const app = express();
app.get('/', (req, res) => res.send('ok'));
const server = app.listen(0, '127.0.0.1', () => { console.log(chalk.green('listening'), server.address().port > 0); server.close(); });
`;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'secnode-realapp-'));
  cpSync(ensureFixture('realapp'), dir, { recursive: true });
  writeFileSync(join(dir, 'app.mjs'), APP, { mode: 0o755 });
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** npm's modes: package files 0644 (what a fresh install gives, before any --fix). */
function resetModes(): void {
  for (const e of readdirSync(join(dir, 'node_modules'), { withFileTypes: true, recursive: true })) {
    if (e.isFile()) chmodSync(join(e.parentPath, e.name), 0o644);
  }
}

const ctl = (args: string[]) => spawnSync(process.execPath, [SECNODECTL, ...args], { cwd: dir, encoding: 'utf8' });

describe.each(nodes())('real package tree ($name)', (n) => {
  it('status, permissive run with records, scan predicts it, fix, enforced run', () => {
    resetModes();
    expect(JSON.parse(ctl(['status', '--json']).stdout)).toMatchObject({ kernel: { check: 'supported' } });
    const log = join(dir, `audit-${n.name}.jsonl`);
    const permissive = run(SECNODE, ['app.mjs'], { node: n, cwd: dir, env: { SECNODE_AUDIT: `file:${log}` } });
    expect([permissive.status, permissive.stdout]).toEqual([0, 'listening true\n']);
    // Files that ran (the records of generated code, from the hardening preview, name a call site instead).
    const ran = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; path: string }).filter((r) => r.event === 'check').map((r) => r.path);
    const report = JSON.parse(ctl(['scan', 'app.mjs', '--json']).stdout) as { files: { path: string }[] };
    const scanned = new Set(report.files.map((f) => f.path));
    expect(ran.filter((p) => !scanned.has(p))).toEqual([]);

    const enforcedBefore = run(SECNODE, ['app.mjs'], { node: n, cwd: dir, policy: 'RF+DI' });
    expect(enforcedBefore.stdout).toBe('');
    expect(enforcedBefore.stderr).toContain('ERR_SECNODE_EXEC_DENIED');
    const fix = ctl(['scan', 'app.mjs', '--fix']);
    expect(fix.stdout).toMatch(/would start under SECBIT_EXEC_RESTRICT_FILE: yes/);
    const enforced = run(SECNODE, ['app.mjs'], { node: n, cwd: dir, policy: 'RF+DI' });
    expect([enforced.status, enforced.stdout, enforced.stderr]).toEqual([0, 'listening true\n', '']);
  });
});
