// The x bit for *this user*: root passes any file with one x bit, so the owner/group/other classes
// are only exercised by an unprivileged user. The kernel uses exactly one class (the owner's bits
// when the runner owns the file, else the group's when the runner is in the file's group, else the
// others'), and AT_EXECVE_CHECK answers from that class; secnode must follow it under RF.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFor, nodes, SECNODE, SECNODECTL } from './helpers/run.js';

const n = nodes()[0]!;
/** The unprivileged runner (nobody/nogroup on Debian) and a stranger who owns files the runner does not. */
const RUNNER = 65534;
const STRANGER = 40123;
const STRANGERS_GROUP = 40124;
const isRoot = process.getuid?.() === 0;

interface Fixture { readonly name: string; readonly mode: number; readonly uid: number; readonly gid: number; readonly runner: 'run' | 'refuse'; readonly why: string }
/** Each file with the class that applies to the runner; `runner` is the kernel's answer for that class. */
const FILES: readonly Fixture[] = [
  { name: 'own-0744.cjs', mode: 0o744, uid: RUNNER, gid: STRANGERS_GROUP, runner: 'run', why: 'owner class: x' },
  { name: 'own-0474.cjs', mode: 0o474, uid: RUNNER, gid: STRANGERS_GROUP, runner: 'refuse', why: 'owner class: no x (group and others have it)' },
  { name: 'other-0744.cjs', mode: 0o744, uid: STRANGER, gid: STRANGERS_GROUP, runner: 'refuse', why: 'others class: r only (the owner has x)' },
  { name: 'group-0754.cjs', mode: 0o754, uid: STRANGER, gid: RUNNER, runner: 'run', why: "group class: the runner's group has x" },
  { name: 'nogroup-0754.cjs', mode: 0o754, uid: STRANGER, gid: STRANGERS_GROUP, runner: 'refuse', why: 'others class: r only (the group has x)' },
  { name: 'group-0745.cjs', mode: 0o745, uid: STRANGER, gid: RUNNER, runner: 'refuse', why: 'group class: r only, though others have x' },
  { name: 'other-0745.cjs', mode: 0o745, uid: STRANGER, gid: STRANGERS_GROUP, runner: 'run', why: 'others class: x' },
  { name: 'none-0644.cjs', mode: 0o644, uid: STRANGER, gid: STRANGERS_GROUP, runner: 'refuse', why: 'no x for anyone' },
];

let dir: string;
beforeAll(() => {
  if (!isRoot) return;
  dir = mkdtempSync(join(tmpdir(), 'secnode-users-'));
  chmodSync(dir, 0o755);
  for (const f of FILES) {
    const path = join(dir, f.name);
    writeFileSync(path, `console.log('ran ${f.name}');\n`);
    chownSync(path, f.uid, f.gid);
    chmodSync(path, f.mode);
  }
  // an entry the runner may execute that requires each file and reports what happened
  const entry = join(dir, 'requires.cjs');
  writeFileSync(entry, 'for (const f of process.argv.slice(2)) { try { require(`./${f}`); } catch (e) { console.log(`${f} ${e.code}`); } }\n');
  chownSync(entry, STRANGER, STRANGERS_GROUP);
  chmodSync(entry, 0o755);
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

/** `secnode ARGS` under RF (set by the runner itself, locked), as the unprivileged runner or as root. */
function asUser(user: 'runner' | 'root', args: readonly string[], bits: readonly string[] = ['--restrict-file']) {
  const inner = [process.execPath, SECNODECTL, 'exec', ...bits, '--', SECNODE, ...args];
  const argv = user === 'root' ? inner : ['setpriv', `--reuid=${RUNNER}`, `--regid=${RUNNER}`, '--clear-groups', ...inner];
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: dir, env: envFor(n, { HOME: dir }), input: '', encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.runIf(isRoot)('the x bit of the runner\'s class decides under RF (entry scripts)', () => {
  it.each(FILES)('$name ($why): runner → $runner', (f) => {
    const r = asUser('runner', [join(dir, f.name)]);
    if (f.runner === 'run') {
      expect([r.status, r.stdout, r.stderr]).toEqual([0, `ran ${f.name}\n`, '']);
    } else {
      expect([r.status, r.stdout]).toEqual([126, '']);
      expect(r.stderr).toContain('EACCES');
      expect(r.stderr).toContain('[ERR_SECNODE_EXEC_DENIED]');
    }
  });
});

describe.runIf(isRoot)('the same classes for require() under RF, and no bits changes nothing', () => {
  const names = FILES.map((f) => f.name);
  const expectedRunner = FILES.map((f) => (f.runner === 'run' ? `ran ${f.name}` : `${f.name} ERR_SECNODE_EXEC_DENIED`)).join('\n') + '\n';

  it('as the runner under RF: each require follows the runner\'s class', () => {
    const r = asUser('runner', ['requires.cjs', ...names]);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, expectedRunner, '']);
  });

  it('as the runner with no bits: everything runs (as under node), and records say not-executable where the class has no x', () => {
    const r = spawnSync('setpriv', [`--reuid=${RUNNER}`, `--regid=${RUNNER}`, '--clear-groups', SECNODE, 'requires.cjs', ...names],
      { cwd: dir, env: envFor(n, { HOME: dir, SECNODE_AUDIT: 'stderr' }), encoding: 'utf8', timeout: 60_000 });
    expect([r.status, r.stdout]).toEqual([0, names.map((x) => `ran ${x}`).join('\n') + '\n']);
    const recs = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { path: string; errno: string | null; verdict: string });
    for (const f of FILES) {
      expect(recs.find((x) => x.path === join(dir, f.name))).toMatchObject(f.runner === 'run'
        ? { errno: null, verdict: 'run' } : { errno: 'EACCES', verdict: 'record' });
    }
  });

  it('as root under RF: the same files pass (root needs one x bit in any class); only 0644 is refused', () => {
    const r = asUser('root', ['requires.cjs', ...names]);
    expect(r.stdout).toBe(FILES.map((f) => (f.mode === 0o644 ? `${f.name} ERR_SECNODE_EXEC_DENIED` : `ran ${f.name}`)).join('\n') + '\n');
  });
});
