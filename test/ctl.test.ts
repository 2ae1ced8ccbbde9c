// secnodectl for real: status under real bits, exec setting bits a child reads back, scan predicting a run.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendFor } from '../loader/backends/backend-choice.js';
import { nodes, ROOT, run, SECNODE, SECNODECTL } from './helpers/run.js';
import { landlockUnavailable, noexecCommand, shQuote, underLandlock } from './helpers/sandbox.js';

/** The first Node under test (20 in a full run), for the launcher runs; status itself runs on the test runner's Node. */
const [node20] = nodes();
const NODE = process.execPath;
const ctl = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(NODE, [SECNODECTL, ...args], {
  encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 60_000,
});
const statusOf = (stdout: string) => JSON.parse(stdout) as {
  securebits: { raw: string; restrictFile: boolean; restrictFileLocked: boolean; denyInteractive: boolean; denyInteractiveLocked: boolean };
  kernel: { check: string };
  launcher: { kind: string; cpu: string | null; fits: boolean; preStartGated: boolean };
  node: { version: string; backend: string };
  policy: Record<string, { mode: string; rule: string | null; onFailure: string }>;
  settings: Record<string, { value: string; source: string }>;
};

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

let tmp: string;
beforeAll(() => { tmp = mkdtempSync(join(tmpdir(), 'secnode-ctl-')); });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('secnodectl status', () => {
  it('reports no bits, kernel support, the Node version and backend', () => {
    const r = ctl(['status', '--json']);
    expect(r.status).toBe(0);
    const s = statusOf(r.stdout);
    expect(s.securebits.raw).toBe('0x0');
    expect(s.kernel.check).toBe('supported');
    expect(s.node.version).toBe(process.version);
    expect(s.node.backend).toBe(backendFor(process.version));
    expect(s.policy.file).toEqual({ mode: 'permissive', rule: null, onFailure: 'record' });
    expect(s.policy.inline).toEqual({ mode: 'permissive', rule: null, onFailure: 'run' });
  });

  it.each([
    [['--restrict-file'], { restrictFile: true, restrictFileLocked: true, denyInteractive: false }, 'file', 'SECBIT_EXEC_RESTRICT_FILE'],
    [['--deny-interactive'], { restrictFile: false, denyInteractive: true, denyInteractiveLocked: true }, 'inline', 'SECBIT_EXEC_DENY_INTERACTIVE'],
    [['--restrict-file', '--no-lock'], { restrictFile: true, restrictFileLocked: false }, 'file', 'SECBIT_EXEC_RESTRICT_FILE'],
  ])('exec %j sets bits that the child reads back', (flags, bits, kind, rule) => {
    const r = ctl(['exec', ...flags, '--', NODE, SECNODECTL, 'status', '--json']);
    expect(r.stderr).toBe('');
    const s = statusOf(r.stdout);
    expect(s.securebits).toMatchObject(bits);
    expect(s.policy[kind]).toMatchObject({ mode: 'enforce', rule, onFailure: 'refuse' });
  });

  it('names forced settings and their source', () => {
    const s = statusOf(ctl(['status', '--json'], { SECNODE_RESTRICT_FILE: '1', SECNODE_AUDIT: 'stderr' }).stdout);
    expect(s.policy.file).toMatchObject({ mode: 'enforce', rule: 'SECNODE_RESTRICT_FILE' });
    expect(s.settings.SECNODE_RESTRICT_FILE).toEqual({ value: '1', source: 'env' });
    expect(s.settings.SECNODE_AUDIT).toEqual({ value: 'stderr', source: 'env' });
  });

  it('names the launcher installed (the static one built for this CPU, gating the pre-start surface)', () => {
    const s = statusOf(ctl(['status', '--json']).stdout);
    expect(s.launcher).toEqual({ kind: 'static', cpu: process.arch, fits: true, preStartGated: true });
    const human = ctl(['status']).stdout;
    expect(human).toMatch(new RegExp(`^launcher +static, linux-${process.arch}$`, 'm'));
    expect(human).toMatch(/^ {2}pre-start +gated /m);
  });

  it('prints a readable report and refuses bad settings', () => {
    const human = ctl(['status']);
    expect(human.stdout).toMatch(/^securebits +0x0/m);
    expect(human.stdout).toContain(`hook backend ${backendFor(process.version)}`);
    const bad = ctl(['status'], { SECNODE_DENY_INTERACTIVE: 'yes' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/invalid setting SECNODE_DENY_INTERACTIVE="yes"/);
  });
});

describe('secnodectl exec', () => {
  it('keeps the pid, stdio and exit status of the command', () => {
    const r = ctl(['exec', '--restrict-file', '--', '/bin/sh', '-c', 'echo out; echo err >&2; exit 7']);
    expect([r.status, r.stdout, r.stderr]).toEqual([7, 'out\n', 'err\n']);
    const pid = ctl(['exec', '--', '/bin/sh', '-c', 'echo $$; echo $PPID']);
    expect(pid.stdout.split('\n')[0]).toBe(String(pid.pid));
  });

  it.each([
    [['--', 'no-such-command-secnode'], 127, /command not found: no-such-command-secnode/],
    [['--', '/proc/self/status'], 126, /command not executable: \/proc\/self\/status/],
    [['--bogus', '--', 'true'], 2, /unknown option --bogus/],
    [[], 2, /missing command/],
  ])('exec %j fails clearly', (args, status, message) => {
    const r = ctl(['exec', ...args]);
    expect(r.status).toBe(status);
    expect(r.stderr).toMatch(message);
  });

  it('the launcher (dist/runtime/secnodectl) keeps the caller\'s NODE_OPTIONS from its own Node and hands them to the command', () => {
    const marker = join(tmp, 'marker.cjs');
    writeFileSync(marker, "console.log('MARKER', require('node:path').basename(process.argv[1] ?? '-'));\n", { mode: 0o755 });
    const options = `--require ${marker} --no-deprecation`;
    const r = spawnSync(join(ROOT, 'dist', 'runtime', 'secnodectl'), ['exec', '--', NODE, '-p', 'process.env.NODE_OPTIONS'],
      { encoding: 'utf8', env: { PATH: process.env.PATH, NODE_OPTIONS: options }, timeout: 60_000 });
    expect([r.status, r.stderr]).toEqual([0, '']);
    // One MARKER: the command's preload ran in the command only (-p leaves argv[1] unset), never in secnodectl's Node.
    expect(r.stdout.split('\n').filter((l) => l !== '')).toEqual(['MARKER -', options]);
  });

  it('reports a bit locked off as a bit that cannot change', () => {
    const lockOff = `import('${join(ROOT, 'dist/src/kernel.js')}').then((k) => { k.writeSecurebits(0x200); `
      + `const r = require('node:child_process').spawnSync(process.execPath, [${JSON.stringify(SECNODECTL)}, 'exec', '--restrict-file', '--', 'true'], { encoding: 'utf8' }); `
      + 'process.stdout.write(JSON.stringify(r)); })';
    const r = spawnSync(NODE, ['-e', lockOff], { encoding: 'utf8' });
    const inner = JSON.parse(r.stdout) as { status: number; stderr: string };
    expect(inner.status).toBe(1);
    expect(inner.stderr).toMatch(/cannot set securebits: EPERM: a locked bit cannot change/);
  });
});

describe('secnodectl scan', () => {
  const app = () => {
    const dir = mkdtempSync(join(tmp, 'app-'));
    cpSync(join(ROOT, 'test/fixtures/scan-app'), dir, { recursive: true });
    for (const f of walk(dir)) chmodSync(f, 0o644);
    return dir;
  };
  const checkedByRun = (dir: string, env: NodeJS.ProcessEnv = {}) => {
    const log = join(dir, 'audit.jsonl');
    const r = run(SECNODE, [join(dir, 'main.js')], { node: node20!, env: { SECNODE_AUDIT: `file:${log}`, ...env } });
    expect(r.status).toBe(0);
    return readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { path: string; allowed: boolean });
  };

  it('the report: exit 0 and "would start: yes" on a clean tree, --all lists what passes, .d.ts and data skipped; a refused file with its importer, "no" and exit 1; NODE_OPTIONS preloads', () => {
    const dir = mkdtempSync(join(tmp, 'human-'));
    const put = (name: string, text: string, mode: number) => { writeFileSync(join(dir, name), text); chmodSync(join(dir, name), mode); };
    put('main.js', "require('./lib.js');\nrequire('./data.json');\n", 0o755);
    put('lib.js', 'module.exports = 1;\n', 0o755);
    put('types.d.ts', 'export declare const x: number;\n', 0o644);
    put('data.json', '{}\n', 0o644);
    put('pre.js', '\n', 0o644);
    const lines = (out: string) => out.split('\n').filter((l) => l !== '');
    const clean = ctl(['scan', join(dir, 'main.js')]);
    expect([clean.status, lines(clean.stdout)]).toEqual([0, ['2 code files checked, 0 refused', 'would start under SECBIT_EXEC_RESTRICT_FILE: yes']]);
    const all = ctl(['scan', '--all', dir]);
    expect(all.status).toBe(1); // the directory holds pre.js (0644)
    expect(lines(all.stdout).filter((l) => l.startsWith('ok'))).toEqual([`ok       ${join(dir, 'lib.js')}`, `ok       ${join(dir, 'main.js')}`]);
    expect(all.stdout).not.toMatch(/types\.d\.ts|data\.json/);
    chmodSync(join(dir, 'lib.js'), 0o644);
    const refused = ctl(['scan', join(dir, 'main.js')]);
    expect(refused.status).toBe(1);
    expect(lines(refused.stdout)).toEqual([
      `REFUSED  ${join(dir, 'lib.js')}  EACCES: no x bit for this user (mode 0644)`,
      `         imported by ${join(dir, 'main.js')}`,
      '2 code files checked, 1 refused (1 fixable with --fix: only the x bit is missing)',
      'would start under SECBIT_EXEC_RESTRICT_FILE: no',
    ]);
    chmodSync(join(dir, 'lib.js'), 0o755);
    const preload = ctl(['scan', join(dir, 'main.js')], { NODE_OPTIONS: `--require ${join(dir, 'pre.js')}` });
    expect(preload.status).toBe(1);
    expect(preload.stdout).toContain(`REFUSED  ${join(dir, 'pre.js')}  EACCES`);
  });

  it('the Quick start: enforced run, chmod 644 greet.cjs, refused with exit 1, scan --fix puts the x bit back, runs again', () => {
    const dir = mkdtempSync(join(tmp, 'quick-'));
    cpSync(join(ROOT, 'examples', 'hello'), join(dir, 'hello'), { recursive: true });
    const main = join(dir, 'hello', 'main.mjs');
    const exec = (bits: string[]) => spawnSync(join(ROOT, 'dist', 'runtime', 'secnodectl'), ['exec', ...bits, '--', SECNODE, main],
      { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 60_000 });
    const first = exec(['--restrict-file', '--deny-interactive']);
    expect([first.status, first.stderr]).toEqual([0, '']);
    chmodSync(join(dir, 'hello', 'greet.cjs'), 0o644);
    const refused = exec(['--restrict-file']);
    expect([refused.status, refused.stdout]).toEqual([1, '']);
    expect(refused.stderr).toContain('ERR_SECNODE_EXEC_DENIED');
    const fix = spawnSync(join(ROOT, 'dist', 'runtime', 'secnodectl'), ['scan', main, '--fix'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(fix.status).toBe(0);
    expect(fix.stdout).toContain(`fixed   ${join(dir, 'hello', 'greet.cjs')}: mode 0644 -> 0755`);
    expect(exec(['--restrict-file']).stdout).toBe(first.stdout);
  });

  it('progress on a terminal (a real pty), none when stderr is not one', () => {
    const dir = mkdtempSync(join(tmp, 'many-'));
    for (let i = 0; i < 260; i++) writeFileSync(join(dir, `f${i}.js`), '\n', { mode: 0o755 });
    const cmd = [NODE, SECNODECTL, 'scan', dir].map(shQuote).join(' ');
    const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 60_000 });
    expect(tty.stdout).toContain('\rscanning: 250 checked');
    expect(tty.stdout).toContain('260 code files checked, 0 refused');
    const plain = ctl(['scan', dir]);
    expect([plain.status, plain.stderr]).toEqual([0, '']);
  });

  it('a .wasm module in the graph is checked like code (a 0644 one refused, with its importer)', () => {
    const dir = mkdtempSync(join(tmp, 'wasm-'));
    writeFileSync(join(dir, 'main.mjs'), "import * as m from './m.wasm';\nconsole.log(Object.keys(m));\n", { mode: 0o755 });
    writeFileSync(join(dir, 'm.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), { mode: 0o644 });
    const r = ctl(['scan', join(dir, 'main.mjs')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`REFUSED  ${join(dir, 'm.wasm')}  EACCES: no x bit for this user (mode 0644)\n         imported by ${join(dir, 'main.mjs')}`);
    chmodSync(join(dir, 'm.wasm'), 0o755);
    expect(ctl(['scan', join(dir, 'main.mjs')]).stdout).toContain('2 code files checked, 0 refused');
  });

  it.skipIf(landlockUnavailable() !== null)('under Landlock: a 0755 file is refused by an LSM; --fix on a 0644 one adds x, finds it still refused and restores the mode', () => {
    const dir = mkdtempSync(join(tmp, 'lsm-'));
    writeFileSync(join(dir, 'x.js'), '\n', { mode: 0o755 });
    writeFileSync(join(dir, 'y.js'), '\n', { mode: 0o644 });
    const scanUnder = (args: string[]) => {
      const c = underLandlock([join(ROOT, 'dist'), join(ROOT, 'node_modules')], { cmd: NODE, args: [SECNODECTL, 'scan', ...args] });
      return spawnSync(c.cmd, c.args, { encoding: 'utf8', timeout: 60_000 });
    };
    const lsm = scanUnder([join(dir, 'x.js')]);
    expect(lsm.status).toBe(1);
    expect(lsm.stdout).toContain(`REFUSED  ${join(dir, 'x.js')}  EACCES: denied by an LSM (Landlock, SELinux, IMA, IPE) or another policy`);
    const fix = scanUnder(['--fix', join(dir, 'y.js')]);
    expect(fix.stdout).toContain(`skipped ${join(dir, 'y.js')}: still refused with x bits (an LSM or mount): mode restored`);
    expect(statSync(join(dir, 'y.js')).mode & 0o7777).toBe(0o644);
  });

  it('a file open for writing somewhere: the reason is busy, and --fix leaves it alone', async () => {
    const dir = mkdtempSync(join(tmp, 'busy-'));
    const file = join(dir, 'w.js');
    writeFileSync(file, '\n', { mode: 0o755 });
    const holder = spawn('/bin/sh', ['-c', 'exec 3>>"$1" && echo ready && exec sleep 60', 'holder', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('writer not ready within 10 s')), 10_000);
        holder.stdout.once('data', () => { clearTimeout(timer); resolve(); });
      });
      const r = ctl(['scan', '--fix', file]);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(`REFUSED  ${file}  ETXTBSY: busy: the file is open for writing somewhere`);
      expect(r.stdout).not.toContain('fixed');
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it.each(nodes())('predicts every file a permissive run checks ($name)', (n) => {
    const dir = app();
    const log = join(dir, 'audit.jsonl');
    const r = run(SECNODE, [join(dir, 'main.js')], { node: n, env: { SECNODE_AUDIT: `file:${log}` } });
    expect(r.stdout).toBe('util esm:part dual-esm cjs:inner legacy:dep lazy config\n');
    const ran = readFileSync(log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { path: string }).path);
    const report = JSON.parse(ctl(['scan', join(dir, 'main.js'), '--json']).stdout) as { files: { path: string; verdict: string; errno: string; reason: string }[] };
    const scanned = report.files.map((f) => f.path);
    expect(ran.filter((p) => !scanned.includes(p))).toEqual([]);
    expect(new Set(scanned)).toEqual(new Set(ran));
    expect(report.files.every((f) => f.verdict === 'refused' && f.errno === 'EACCES' && f.reason === 'no x bit for this user (mode 0644)')).toBe(true);
  });

  it('--fix makes the app start under RF, and says what it changed', () => {
    const dir = app();
    const before = run(SECNODE, [join(dir, 'main.js')], { node: node20!, policy: 'RF' });
    expect(before.status).toBe(126);
    const fix = ctl(['scan', join(dir, 'main.js'), '--fix']);
    expect(fix.status).toBe(0);
    expect(fix.stdout).toMatch(/^fixed {3}.*main\.js: mode 0644 -> 0755$/m);
    expect(fix.stdout).toMatch(/would start under SECBIT_EXEC_RESTRICT_FILE: yes/);
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o644);
    const after = run(SECNODE, [join(dir, 'main.js')], { node: node20!, policy: 'RF' });
    expect([after.status, after.stderr]).toEqual([0, '']);
    expect(checkedByRun(dir).every((rec) => rec.allowed)).toBe(true);
  });

  it('never changes a file outside the given roots', () => {
    const dir = app();
    const outside = join(tmp, 'outside.cjs');
    writeFileSync(outside, 'module.exports = 1;\n', { mode: 0o644 });
    writeFileSync(join(dir, 'entry.cjs'), "require('./link.cjs');\n", { mode: 0o755 });
    symlinkSync(outside, join(dir, 'link.cjs'));
    const r = ctl(['scan', join(dir, 'entry.cjs'), '--fix']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/skipped .*outside\.cjs: outside the given roots/);
    expect(statSync(outside).mode & 0o777).toBe(0o644);
  });

  it('lists what it cannot follow or parse, and goes on', () => {
    const dir = mkdtempSync(join(tmp, 'odd-'));
    writeFileSync(join(dir, 'main.cjs'), "require(process.env.X);\nrequire('./missing');\nrequire('./bad.cjs');\nrequire('./good.cjs');\n", { mode: 0o755 });
    writeFileSync(join(dir, 'bad.cjs'), 'this is not javascript (\n', { mode: 0o755 });
    writeFileSync(join(dir, 'good.cjs'), '', { mode: 0o755 });
    const report = JSON.parse(ctl(['scan', join(dir, 'main.cjs'), '--json']).stdout) as {
      files: unknown[]; unresolved: { specifier: string | null; line: number; reason: string }[]; unparsed: { path: string }[];
    };
    expect(report.files).toHaveLength(3);
    expect(report.unresolved).toEqual([
      expect.objectContaining({ specifier: null, line: 1, reason: 'require with a specifier computed at run time' }),
      expect.objectContaining({ specifier: './missing', line: 2, reason: 'module not found' }),
    ]);
    expect(report.unparsed.map((u) => u.path)).toEqual([join(dir, 'bad.cjs')]);
  });

  it('names the noexec mount point as the reason', () => {
    const dir = mkdtempSync(join(tmp, 'noexec-'));
    const script = `printf 'module.exports = 1;\\n' > "$NOEXEC_DIR/m.cjs"\nchmod 0755 "$NOEXEC_DIR/m.cjs"\n`
      + `exec ${shQuote(NODE)} ${shQuote(SECNODECTL)} scan "$NOEXEC_DIR" --json\n`;
    const { cmd, args } = noexecCommand(dir, script);
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    const report = JSON.parse(r.stdout) as { files: { reason: string; fixable: boolean }[] };
    expect(report.files).toEqual([expect.objectContaining({ reason: `noexec mount at ${dir}`, fixable: false })]);
    expect(r.status).toBe(1);
  });

  it('rejects bad arguments', () => {
    expect(ctl(['scan']).status).toBe(2);
    expect(ctl(['scan', '--frobnicate', '.']).stderr).toMatch(/unknown option --frobnicate/);
    expect(ctl(['scan', join(tmp, 'does-not-exist')]).status).toBe(2);
  });
});
