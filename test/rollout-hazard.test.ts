// The rollout hazard of synchronous APIs run on a worker (sass-embedded's compileString, jsdom's sync
// XHR): the main thread waits with Atomics.wait and no timeout, so when RF refuses the worker's file the
// process hangs instead of failing. The worker's refusal is recorded before the hang, and report names it.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFor, nodes, POLICIES, SECNODE, SECNODECTL } from './helpers/run.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'secnode-hazard-'));
  writeFileSync(join(dir, 'main.mjs'), [
    "import { Worker } from 'node:worker_threads';",
    'const flag = new Int32Array(new SharedArrayBuffer(4));',
    "new Worker(new URL('./sync-worker.mjs', import.meta.url), { workerData: flag });",
    "console.log('waiting');",
    'Atomics.wait(flag, 0, 0); // no timeout, as a sync API on a worker does',
    "console.log('answered');",
  ].join('\n'));
  writeFileSync(join(dir, 'sync-worker.mjs'), "import { workerData } from 'node:worker_threads';\nAtomics.store(workerData, 0, 1);\nAtomics.notify(workerData, 0);\n");
  chmodSync(join(dir, 'main.mjs'), 0o755);
  chmodSync(join(dir, 'sync-worker.mjs'), 0o644);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Rec { path?: string; verdict: string }
const refusals = (log: string): Rec[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec) : [])
  .filter((r) => r.verdict === 'refuse');

describe.each(nodes())('a sync API on a refused worker ($name)', (n) => {
  it('permissive: the worker answers; under RF the process waits for ever, the refusal is recorded first, and report names the worker file', async () => {
    const log = join(dir, `records-${n.name}.jsonl`);
    const ok = spawnSync(SECNODE, ['main.mjs'], { cwd: dir, env: envFor(n), encoding: 'utf8', timeout: 60_000 });
    expect([ok.status, ok.stdout]).toEqual([0, 'waiting\nanswered\n']);

    const child = spawn(process.execPath, [SECNODECTL, 'exec', ...POLICIES.RF, '--', SECNODE, 'main.mjs'], {
      cwd: dir, env: envFor(n, { SECNODE_AUDIT: `file:${log}` }), stdio: 'ignore', detached: true,
    });
    try {
      // Poll for the refusal (bounded), then look whether the process is still there: it is, waiting.
      for (let i = 0; i < 300 && refusals(log).length === 0 && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
      expect(refusals(log)).toEqual([expect.objectContaining({ path: join(dir, 'sync-worker.mjs'), verdict: 'refuse' })]);
      await new Promise((r) => setTimeout(r, 500));
      expect(child.exitCode).toBeNull();
    } finally {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
    const r = spawnSync(process.execPath, [SECNODECTL, 'report', log, '--json'], { encoding: 'utf8' });
    const plan = JSON.parse(r.stdout) as { refused: { files: string[]; cause: string }[] };
    expect(plan.refused).toEqual([expect.objectContaining({ cause: 'mode', files: [join(dir, 'sync-worker.mjs')] })]);
  });
});
