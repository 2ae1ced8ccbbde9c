// Documented claims (README and docs/) proved with real processes: secnodectl exec's settings, the kernel check failing
// (ENOSYS/EPERM/prctl, injected with strace), data: preloads and the REPL as inline code, and the
// audit record's fields for every subject.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAddon, nodeHeaders } from './helpers/addon.js';
import { envFor, nodes, type Policy, POLICIES, REGISTER, SECNODE, SECNODECTL, secnode } from './helpers/run.js';
import { shQuote } from './helpers/sandbox.js';
import { show } from './helpers/launcher-fixtures.js';

/** The machine's Node (the version does not matter for these claims unless a test says so). */
const n = nodes()[0]!;

interface Rec {
  v: number; pid: number; tid: number; event: string; subject: string; path?: string; source?: string; parent?: string;
  errno: string | null; allowed: boolean; enforced: boolean; mode: string; verdict: string; reason: string; rule: string | null;
  securebits: string; emulated: boolean; time: string;
}
const records = (text: string): Rec[] => text.split('\n').filter((l) => l.startsWith('{"v":')).map((l) => JSON.parse(l) as Rec);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'secnode-claims-'));
  chmodSync(dir, 0o755);
  const file = (name: string, text: string, mode = 0o755) => writeFileSync(join(dir, name), text, { mode });
  file('ok.cjs', "console.log('ok ran');\n");
  file('no.cjs', "console.log('no ran');\n", 0o644);
  file('eval.cjs', "try { console.log('eval', eval('20 + 22')); } catch (e) { console.log('eval', e.code); }\n");
  file('pre.cjs', '');
  file('pre.mjs', '');
  file('dep.cjs', 'module.exports = 1;\n');
  file('dep.mjs', 'export default 1;\n');
  file('w.cjs', "require('./dep.cjs');\n");
  file('main.mjs', [
    "import './dep.mjs';",
    "import { createRequire } from 'node:module';",
    "import { Worker } from 'node:worker_threads';",
    'const require = createRequire(import.meta.url);',
    "require('./dep.cjs');",
    "eval('1');",
    "await new Promise((done) => new Worker(new URL('./w.cjs', import.meta.url)).on('exit', done));",
    "if (process.env.ADDON) require(process.env.ADDON);",
    "console.log('main done');",
  ].join('\n'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `secnodectl exec FLAGS -- CMD ARGS…` with the machine's Node on PATH. */
function exec(flags: readonly string[], cmd: readonly string[], env: NodeJS.ProcessEnv = {}, input = '') {
  const r = spawnSync(process.execPath, [SECNODECTL, 'exec', ...flags, '--', ...cmd], { cwd: dir, env: envFor(n, env), input, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs ARGV under strace with every `syscall` call failing with `errno`. */
function injected(syscall: string, errno: string, argv: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', '-e', `trace=${syscall}`, '-e', `inject=${syscall}:error=${errno}`, ...argv],
    { cwd: dir, env: envFor(n, env), input: '', encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('secnodectl exec settings reach the child', () => {
  it('--harden-generated: eval is refused in the child (and runs without it)', () => {
    expect(exec(['--harden-generated'], [SECNODE, 'eval.cjs']).stdout).toBe('eval ERR_SECNODE_EXEC_DENIED\n');
    expect(exec([], [SECNODE, 'eval.cjs']).stdout).toBe('eval 42\n');
    const r = exec(['--harden-generated', '--audit=stderr'], [SECNODE, 'eval.cjs']);
    expect(records(r.stderr).find((x) => x.subject === 'generated'))
      .toMatchObject({ event: 'generated', source: 'eval', allowed: false, verdict: 'refuse', reason: 'generated', rule: 'SECNODE_HARDEN_GENERATED' });
  });

  it('--audit=file:PATH: the child writes its records to the file', () => {
    const log = join(dir, 'exec-audit.jsonl');
    const r = exec([`--audit=file:${log}`], [SECNODE, 'ok.cjs']);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'ok ran\n', '']);
    expect(records(readFileSync(log, 'utf8'))).toEqual([expect.objectContaining({ subject: 'entry', path: join(dir, 'ok.cjs'), verdict: 'run' })]);
  });

  it('--emulate-check: status shows the setting, and the emulated check in use on a kernel that cannot check', () => {
    expect(exec(['--emulate-check'], [process.execPath, SECNODECTL, 'status']).stdout).toMatch(/SECNODE_EMULATE_CHECK=1 \(env\)/);
    const status = injected('execveat', 'EINVAL', [process.execPath, SECNODECTL, 'exec', '--emulate-check', '--', process.execPath, SECNODECTL, 'status']);
    expect(status.stdout).toMatch(/kernel check +unavailable \(EINVAL.*emulated check in use/);
  });

  it('--emulate-check: with the check unavailable and RF forced, the emulated check decides (x bit) and records say so', () => {
    const env = { SECNODE_RESTRICT_FILE: '1', SECNODE_AUDIT: 'stderr' };
    const argv = (f: string) => [process.execPath, SECNODECTL, 'exec', '--emulate-check', '--', SECNODE, join(dir, f)];
    const ok = injected('execveat', 'EINVAL', argv('ok.cjs'), env);
    expect([ok.status, ok.stdout]).toEqual([0, 'ok ran\n']);
    expect(records(ok.stderr)).toEqual([expect.objectContaining({ subject: 'entry', verdict: 'run', emulated: true })]);
    const no = injected('execveat', 'EINVAL', argv('no.cjs'), env);
    expect([no.status, no.stdout]).toEqual([126, '']);
    expect(no.stderr).toContain('ERR_SECNODE_EXEC_DENIED');
    expect(records(no.stderr)).toEqual([expect.objectContaining({ verdict: 'refuse', reason: 'not-executable', emulated: true })]);
    // Without --emulate-check the same run is refused as unavailable.
    const off = injected('execveat', 'EINVAL', [SECNODE, join(dir, 'ok.cjs')], env);
    expect([off.status, off.stderr]).toEqual([126, expect.stringContaining('ERR_SECNODE_CHECK_UNAVAILABLE')]);
  });
});

describe.each(['ENOSYS', 'EPERM'])('the kernel cannot check: execveat fails with %s (seccomp)', (errno) => {
  it('under RF the entry is refused with ERR_SECNODE_CHECK_UNAVAILABLE, exit 126', () => {
    const r = injected('execveat', errno, [process.execPath, SECNODECTL, 'exec', ...POLICIES.RF, '--', SECNODE, join(dir, 'ok.cjs')]);
    expect([r.status, r.stdout]).toEqual([126, '']);
    expect(r.stderr).toContain('[ERR_SECNODE_CHECK_UNAVAILABLE]');
    expect(r.stderr).toContain(errno);
    expect(r.stderr).toContain('SECBIT_EXEC_RESTRICT_FILE');
    expect(r.stderr.split('\n')[1]).toMatch(/^hint: /);
  });

  it(`under RF with the emulated check on: ${errno === 'ENOSYS' ? 'the emulated check answers (x bits, mounts)' : 'still refused (an LSM may have said no; the emulated check cannot see LSMs)'}`, () => {
    const r = injected('execveat', errno, [process.execPath, SECNODECTL, 'exec', ...POLICIES.RF, '--emulate-check', '--audit=stderr', '--', SECNODE, join(dir, 'ok.cjs')]);
    if (errno === 'ENOSYS') {
      expect([r.status, r.stdout]).toEqual([0, 'ok ran\n']);
      expect(records(r.stderr)).toContainEqual(expect.objectContaining({ subject: 'entry', errno: null, allowed: true, emulated: true }));
    } else {
      expect([r.status, r.stdout]).toEqual([126, '']);
      expect(r.stderr).toContain('[ERR_SECNODE_CHECK_UNAVAILABLE]');
    }
  });

  it('with no bits it runs as under node, and the record says check-unavailable', () => {
    const r = injected('execveat', errno, [SECNODE, join(dir, 'ok.cjs')], { SECNODE_AUDIT: 'stderr' });
    expect([r.status, r.stdout]).toEqual([0, 'ok ran\n']);
    expect(records(r.stderr)).toEqual([expect.objectContaining({
      subject: 'entry', errno, allowed: true, enforced: false, verdict: 'record', reason: 'check-unavailable', rule: null,
    })]);
  });
});

describe('the check fails another way (EIO injected): reason check-failed', () => {
  it('no bits: runs, recorded with verdict record; RF: refused, exit 126', () => {
    const free = injected('execveat', 'EIO', [SECNODE, join(dir, 'ok.cjs')], { SECNODE_AUDIT: 'stderr' });
    expect([free.status, free.stdout]).toEqual([0, 'ok ran\n']);
    expect(records(free.stderr)).toEqual([expect.objectContaining({ subject: 'entry', errno: 'EIO', allowed: true, verdict: 'record', reason: 'check-failed', rule: null })]);
    const rf = injected('execveat', 'EIO', [process.execPath, SECNODECTL, 'exec', ...POLICIES.RF, '--audit=stderr', '--', SECNODE, join(dir, 'ok.cjs')]);
    expect([rf.status, rf.stdout]).toEqual([126, '']);
    expect(records(rf.stderr)).toContainEqual(expect.objectContaining({ errno: 'EIO', allowed: false, verdict: 'refuse', reason: 'check-failed', rule: 'SECBIT_EXEC_RESTRICT_FILE' }));
  });
});

describe('prctl(PR_GET_SECUREBITS) fails: secnode refuses to start', () => {
  // secnode makes exactly one prctl call (PR_GET_SECUREBITS, at start-up), and Node makes none.
  it.each([
    ['the launcher', () => [SECNODE, join(dir, 'ok.cjs')]],
    ['node --require secnode/register', () => [join(n.bin, 'node'), '--require', REGISTER, join(dir, 'ok.cjs')]],
  ])('%s: exit 126, a message naming the call, the program never runs', (_, argv) => {
    const args = argv();
    for (const errno of ['EINVAL', 'EPERM']) {
      const r = injected('prctl', errno, args);
      expect([r.status, r.stdout]).toEqual([126, '']);
      expect(r.stderr).toMatch(/^secnode: .*prctl\(PR_GET_SECUREBITS\) failed/);
    }
  });
});

describe('data: preloads are inline code (DI)', () => {
  const preload = 'data:text/javascript,console.log(40+2)';
  it.each([
    ['none', 0, '42\nok ran\n'], ['RF', 0, '42\nok ran\n'], ['DI', 126, ''], ['RF+DI', 126, ''],
  ] as const)('under %s: exit %i', (policy: Policy, status, stdout) => {
    for (const how of ['argv', 'NODE_OPTIONS']) {
      // NODE_OPTIONS is set for secnode only (`env` below secnodectl exec), as a service manager would.
      const r = how === 'argv'
        ? exec(POLICIES[policy], [SECNODE, '--import', preload, join(dir, 'ok.cjs')])
        : exec(POLICIES[policy], ['env', `NODE_OPTIONS=--import ${preload}`, SECNODE, join(dir, 'ok.cjs')]);
      expect([how, r.status, r.stdout]).toEqual([how, status, stdout]);
      if (status === 126) expect(r.stderr).toMatch(/refused interactive input \(data:text\/javascript.*SECBIT_EXEC_DENY_INTERACTIVE.*\[ERR_SECNODE_INTERACTIVE_DENIED\]/);
    }
  });

  it.each(['https://127.0.0.1:1/x.mjs', 'http://127.0.0.1:1/x.mjs'])('a %s preload is refused under DI before any network access', (url) => {
    const r = secnode(['--import', url, join(dir, 'ok.cjs')], { node: n, policy: 'DI', cwd: dir });
    expect([r.status, r.stdout]).toEqual([126, '']);
    expect(r.stderr).toContain('[ERR_SECNODE_INTERACTIVE_DENIED]');
  });

  it('the record: event interactive, subject preload, source the URL, rule DI', () => {
    const r = secnode(['--import', preload, join(dir, 'ok.cjs')], { node: n, policy: 'DI', cwd: dir, env: { SECNODE_AUDIT: 'stderr' } });
    expect(records(r.stderr)).toContainEqual(expect.objectContaining({
      event: 'interactive', subject: 'preload', source: expect.stringMatching(/^data:text\/javascript/), allowed: false,
      verdict: 'refuse', reason: 'interactive', rule: 'SECBIT_EXEC_DENY_INTERACTIVE',
    }));
  });
});

describe('the REPL on a terminal (a real pty)', () => {
  /** Runs the secnode REPL under `script` (util-linux) so stdin is a tty; types one line and .exit. */
  const repl = (policy: Policy) => {
    const cmd = [process.execPath, SECNODECTL, 'exec', ...POLICIES[policy], '--', SECNODE].map(shQuote).join(' ');
    return spawnSync('script', ['-qec', cmd, '/dev/null'], {
      cwd: dir, env: envFor(n, { SECNODE_AUDIT: 'stderr', TERM: 'dumb' }), input: '20+22\n.exit\n', encoding: 'utf8', timeout: 60_000,
    });
  };
  it.each(['none', 'RF'] as const)('runs under %s', (policy) => {
    const r = repl(policy);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('42');
    expect(r.stdout).not.toContain('ERR_SECNODE');
  });
  it.each(['DI', 'RF+DI'] as const)('is refused under %s (exit 126, source repl)', (policy) => {
    const r = repl(policy);
    expect(r.status).toBe(126);
    expect(r.stdout).toContain('refused interactive input (repl)');
    expect(r.stdout).toContain('[ERR_SECNODE_INTERACTIVE_DENIED]');
    expect(r.stdout).not.toMatch(/^42/m);
    expect(records(r.stdout.replace(/\r/g, ''))).toContainEqual(expect.objectContaining({ subject: 'repl', allowed: false, verdict: 'refuse', rule: 'SECBIT_EXEC_DENY_INTERACTIVE' }));
  });
});

describe.each(nodes())('audit records: every field and subject ($name)', (m) => {
  const all = (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; policy?: Policy } = {}) => {
    const r = secnode(args, { node: m, cwd: dir, ...opts, env: { SECNODE_AUDIT: 'stderr', ...opts.env } });
    return { ...r, recs: records(r.stderr) };
  };

  it('entry, preload (require and import), import, require, worker: pid, tid, verdict, reason, rule, parent', () => {
    const r = all(['--require', join(dir, 'pre.cjs'), '--import', join(dir, 'pre.mjs'), join(dir, 'main.mjs')], { policy: 'RF' });
    expect([r.status, r.stdout]).toEqual([0, 'main done\n']);
    const bySubject = (s: string, path?: string) => r.recs.filter((x) => x.subject === s && (path === undefined || x.path === path));
    const allowedRF = { allowed: true, enforced: true, mode: 'enforce', verdict: 'run', reason: 'allowed', rule: 'SECBIT_EXEC_RESTRICT_FILE', errno: null, securebits: '0x300' };
    // the preloads run in the main thread (tid 0) and again in the worker (its own tid)
    const preloads = bySubject('preload');
    expect(preloads.filter((x) => x.tid === 0)).toEqual([
      expect.objectContaining({ ...allowedRF, event: 'check', path: join(dir, 'pre.cjs') }),
      ...(m.backend === 'sync-hooks' ? [expect.objectContaining({ ...allowedRF, event: 'check', path: join(dir, 'pre.mjs') })] : []),
    ]);
    expect(preloads.filter((x) => x.path === join(dir, 'pre.mjs'))).toHaveLength(2);
    expect(preloads.filter((x) => x.tid !== 0 && x.path === join(dir, 'pre.cjs'))).toHaveLength(1);
    // an ES module entry is checked by the thread that loads it: the main thread with sync hooks, Node 20's hooks thread otherwise
    expect(bySubject('entry')).toEqual([expect.objectContaining({ ...allowedRF, path: join(dir, 'main.mjs'), tid: m.backend === 'sync-hooks' ? 0 : expect.any(Number) })]);
    const imp = bySubject('import', join(dir, 'dep.mjs'));
    expect(imp).toEqual([expect.objectContaining({ ...allowedRF })]);
    // parent: the importing file, where known (sync-hooks backend and CommonJS)
    if (m.backend === 'sync-hooks') expect(imp[0]!.parent).toBe(join(dir, 'main.mjs'));
    const req = bySubject('require', join(dir, 'dep.cjs'));
    expect(req[0]).toMatchObject({ ...allowedRF, tid: 0, parent: join(dir, 'main.mjs') });
    const worker = bySubject('worker');
    expect(worker).toEqual([expect.objectContaining({ ...allowedRF, path: join(dir, 'w.cjs') })]);
    // inside the worker: its own thread id, and the require's parent is the worker's file
    expect(req.find((x) => x.tid !== 0)).toMatchObject({ ...allowedRF, parent: join(dir, 'w.cjs') });
    for (const x of r.recs) expect([x.v, x.pid, typeof x.tid, typeof x.time]).toEqual([1, x.pid, 'number', 'string']);
    expect(new Set(r.recs.map((x) => x.pid)).size).toBe(1);
  });

  it('a hooks module and its import: subject import, with the hooks thread\'s own tid (also Node 20\'s ES module entry)', () => {
    writeFileSync(join(dir, 'tid-hooks.mjs'), "import { threadId } from 'node:worker_threads';\nimport { writeFileSync } from 'node:fs';\nimport './tid-hook-dep.mjs';\nwriteFileSync(new URL('./tid.txt', import.meta.url), String(threadId));\n", { mode: 0o755 });
    writeFileSync(join(dir, 'tid-hook-dep.mjs'), 'export {};\n', { mode: 0o755 });
    writeFileSync(join(dir, 'tid-main.mjs'), "import { register } from 'node:module';\nregister('./tid-hooks.mjs', import.meta.url);\nawait import('./dep.mjs');\nconsole.log('registered');\n", { mode: 0o755 });
    rmSync(join(dir, 'tid.txt'), { force: true });
    const r = all([join(dir, 'tid-main.mjs')], { policy: 'RF', env: { NODE_NO_WARNINGS: '1' } });
    expect([r.status, r.stdout], show(r)).toEqual([0, 'registered\n']);
    const hooksTid = Number(readFileSync(join(dir, 'tid.txt'), 'utf8'));
    expect(hooksTid).toBeGreaterThan(0);
    const allowedRF = { allowed: true, verdict: 'run', reason: 'allowed', rule: 'SECBIT_EXEC_RESTRICT_FILE' };
    for (const f of ['tid-hooks.mjs', 'tid-hook-dep.mjs']) {
      expect(r.recs.filter((x) => x.path === join(dir, f)), show(r)).toEqual([expect.objectContaining({ ...allowedRF, subject: 'import', tid: hooksTid })]);
    }
    // Node 20 loads the program's ES modules in that same hooks thread; the sync backend in the main thread
    const entry = r.recs.filter((x) => x.subject === 'entry');
    expect(entry, show(r)).toEqual([expect.objectContaining({ ...allowedRF, path: join(dir, 'tid-main.mjs'), tid: m.major === 20 ? hooksTid : 0 })]);
  });

  it('a refused require: verdict refuse, reason not-executable, rule RF, errno EACCES, parent', () => {
    writeFileSync(join(dir, 'asks-no.cjs'), "try { require('./no.cjs'); } catch (e) { console.log(e.code); }\n", { mode: 0o755 });
    const r = all([join(dir, 'asks-no.cjs')], { policy: 'RF' });
    expect(r.stdout).toBe('ERR_SECNODE_EXEC_DENIED\n');
    expect(r.recs.find((x) => x.path === join(dir, 'no.cjs'))).toMatchObject({
      subject: 'require', errno: 'EACCES', allowed: false, enforced: true, verdict: 'refuse', reason: 'not-executable',
      rule: 'SECBIT_EXEC_RESTRICT_FILE', parent: join(dir, 'asks-no.cjs'), tid: 0,
    });
    const permissive = all([join(dir, 'asks-no.cjs')]);
    expect(permissive.recs.find((x) => x.path === join(dir, 'no.cjs'))).toMatchObject({
      subject: 'require', errno: 'EACCES', allowed: true, enforced: false, mode: 'permissive', verdict: 'record', reason: 'not-executable', rule: null,
    });
  });

  it('stdin: a script on a pipe is recorded as subject stdin, refused under DI', () => {
    const ok = all(['-'], { input: "console.log('piped');\n" });
    expect(ok.stdout).toBe('piped\n');
    expect(ok.recs).toEqual([expect.objectContaining({ subject: 'stdin', errno: 'EACCES', verdict: 'record', reason: 'not-executable', rule: null })]);
    const no = all(['-'], { input: "console.log('piped');\n", policy: 'DI' });
    expect([no.status, no.stdout]).toEqual([126, '']);
    expect(no.recs).toEqual([expect.objectContaining({ subject: 'stdin', allowed: false, verdict: 'refuse', rule: 'SECBIT_EXEC_DENY_INTERACTIVE' })]);
  });

  it('inline: -e under no bits runs and is recorded', () => {
    const r = all(['-e', "console.log('inline')"]);
    expect(r.stdout).toBe('inline\n');
    expect(r.recs).toEqual([expect.objectContaining({ event: 'interactive', subject: 'inline', source: '-e', allowed: true, verdict: 'run', reason: 'interactive', rule: null })]);
  });

  it.runIf(nodeHeaders() !== undefined && m.name === n.name)('addon: a native addon is recorded as subject addon', () => {
    const addon = buildAddon(dir, 'rec.node', 'rec');
    const r = all([join(dir, 'main.mjs')], { policy: 'RF', env: { ADDON: addon } });
    expect(r.stdout).toBe('main done\n');
    expect(r.recs.filter((x) => x.path === addon)).toEqual([expect.objectContaining({ subject: 'addon', path: addon, verdict: 'run', rule: 'SECBIT_EXEC_RESTRICT_FILE' })]);
  });
});

describe('the inspector is governed by DI, not RF (docs/threat-model.md side doors)', () => {
  const script = "const i = require('node:inspector');\n"
    + "try { i.open(0, '127.0.0.1'); console.log('opened', typeof i.url()); i.close(); } catch (e) { console.log('refused', e.code, e.source, e.rule); }\n";
  it.each([
    ['none', 'opened string\n'],
    ['RF', 'opened string\n'],
    ['DI', 'refused ERR_SECNODE_INTERACTIVE_DENIED inspector SECBIT_EXEC_DENY_INTERACTIVE\n'],
    ['RF+DI', 'refused ERR_SECNODE_INTERACTIVE_DENIED inspector SECBIT_EXEC_DENY_INTERACTIVE\n'],
  ] as const)('inspector.open() under %s', (policy: Policy, stdout) => {
    writeFileSync(join(dir, 'open-inspector.cjs'), script, { mode: 0o755 });
    const r = secnode([join(dir, 'open-inspector.cjs')], { node: n, policy, cwd: dir });
    expect([r.status, r.stdout]).toEqual([0, stdout]);
  });
});
