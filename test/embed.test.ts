// The library for embedders: install() in a program that starts itself, openChecked, and the emulated
// check on a kernel whose execveat answers EINVAL (made so for real with strace fault injection).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFor, nodes, ROOT, SECNODE, SECNODECTL } from './helpers/run.js';
import { checkPath, decide, decodeBits, openChecked } from '../src/index.js';
import { noexecCommand, shQuote } from './helpers/sandbox.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'secnode-embed-'));
  writeFileSync(join(dir, 'ok.cjs'), "console.log('ok ran');\n", { mode: 0o755 });
  writeFileSync(join(dir, 'no.cjs'), "console.log('no ran');\n", { mode: 0o644 });
  writeFileSync(join(dir, 'shell.mjs'), [
    `import { install } from ${JSON.stringify(join(ROOT, 'dist/loader/api.js'))};`,
    "const opts = process.env.OPTS ? JSON.parse(process.env.OPTS) : {};",
    'console.log(JSON.stringify(install(opts)));',
    "for (const f of ['./ok.cjs', './no.cjs']) { try { await import(f); } catch (e) { console.log(f, e.code); } }",
  ].join('\n'), { mode: 0o755 });
  writeFileSync(join(dir, 'twice.mjs'), [
    `import { install } from ${JSON.stringify(join(ROOT, 'dist/loader/api.js'))};`,
    'const first = install();',
    "console.log(JSON.stringify(install()) === JSON.stringify(first) ? 'same again' : 'different');",
    "try { install({ restrictFile: true }); console.log('accepted'); } catch (e) { console.log(e.code); }",
    "try { await import('./no.cjs'); } catch (e) { console.log(e.code); }",
  ].join('\n'), { mode: 0o755 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STRACE_EINVAL = ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=execveat', '-e', 'inject=execveat:error=EINVAL'];

describe('library', () => {
  it('openChecked reads the bytes from the checked fd, with the verdict', () => {
    const ok = openChecked(join(dir, 'ok.cjs'));
    expect(ok.result).toEqual({ errno: 0, outcome: 'allowed', emulated: false });
    expect(ok.bytes.toString()).toBe("console.log('ok ran');\n");
    expect(checkPath(join(dir, 'no.cjs')).outcome).toBe('EACCES');
    expect(decide('file', decodeBits(0x100), 'EACCES').verdict).toBe('refuse');
  });

  it('imports without side effects: no hooks until install()', () => {
    const code = `await import(${JSON.stringify(join(ROOT, 'dist/loader/api.js'))}); await import(${JSON.stringify(join(dir, 'no.cjs'))}); `
      + "console.log(globalThis[Symbol.for('secnode.installed')] === undefined);";
    const r = spawnSync(process.execPath, [SECNODECTL, 'exec', '--restrict-file', '--', process.execPath, '--input-type=module', '-e', code], { encoding: 'utf8' });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'no ran\ntrue\n', '']);
  });
});

describe.each(nodes())('install() ($name)', (n) => {
  const shell = (env: NodeJS.ProcessEnv, bits: string[] = []) => spawnSync(process.execPath,
    [SECNODECTL, 'exec', ...bits, '--', join(n.bin, 'node'), join(dir, 'shell.mjs')], { cwd: dir, env: envFor(n, env), encoding: 'utf8' });

  it('checks everything loaded after it; permissive by default', () => {
    const r = shell({});
    expect(r.stdout).toBe(`{"backend":"${n.backend}","securebits":"0x0","enforcing":false}\nok ran\nno ran\n`);
    expect(r.stderr).toBe('');
  });

  it.each([
    ['the bits', {}, ['--restrict-file']],
    ['an option', { OPTS: '{"restrictFile":true}' }, []],
    ['SECNODE_RESTRICT_FILE', { SECNODE_RESTRICT_FILE: '1' }, []],
  ])('enforces when asked by %s', (_, env, bits) => {
    const r = shell(env, bits);
    expect(r.stdout).toMatch(/"enforcing":true}\nok ran\n\.\/no\.cjs ERR_SECNODE_EXEC_DENIED\n$/);
  });

  it('a second install() returns the first; with settings it throws ERR_SECNODE_INVALID_CONFIG and changes nothing', () => {
    const r = spawnSync(process.execPath, [SECNODECTL, 'exec', '--', join(n.bin, 'node'), join(dir, 'twice.mjs')], { cwd: dir, env: envFor(n), encoding: 'utf8' });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'same again\nERR_SECNODE_INVALID_CONFIG\nno ran\n', '']);
  });

  it('rejects a bad option by code', () => {
    const r = shell({ OPTS: '{"restrictFile":"yes"}' });
    expect(r.stderr).toMatch(/ERR_SECNODE_INVALID_CONFIG/);
    expect(r.stdout).not.toMatch(/ran/);
  });
});

describe.each(nodes())('kernel without AT_EXECVE_CHECK ($name)', (n) => {
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync('strace', [...STRACE_EINVAL, SECNODE, ...args], { env: envFor(n, env), encoding: 'utf8' });

  it('runs as plain node when nothing is forced, and records say the check is unavailable', () => {
    const r = run([join(dir, 'no.cjs')], { SECNODE_AUDIT: 'stderr' });
    expect(r.stdout).toBe('no ran\n');
    expect(JSON.parse(r.stderr.trim())).toMatchObject({ errno: 'EINVAL', allowed: true, reason: 'check-unavailable', emulated: false });
  });

  it('status says the kernel cannot check', () => {
    const r = spawnSync('strace', [...STRACE_EINVAL, process.execPath, SECNODECTL, 'status', '--json'], { encoding: 'utf8' });
    expect(JSON.parse(r.stdout)).toMatchObject({ kernel: { check: 'unavailable', errno: 'EINVAL', emulated: false } });
  });

  it('refuses under forced enforcement without the emulated check', () => {
    const r = run([join(dir, 'ok.cjs')], { SECNODE_RESTRICT_FILE: '1' });
    expect(r.status).toBe(126);
    expect(r.stderr).toMatch(/ERR_SECNODE_CHECK_UNAVAILABLE/);
  });

  it('uses the emulated check when enabled: x bits decide, records say emulated', () => {
    const env = { SECNODE_RESTRICT_FILE: '1', SECNODE_EMULATE_CHECK: '1', SECNODE_AUDIT: 'stderr' };
    const ok = run([join(dir, 'ok.cjs')], env);
    expect(ok.stdout).toBe('ok ran\n');
    expect(JSON.parse(ok.stderr.trim())).toMatchObject({ allowed: true, emulated: true, errno: null });
    const no = run([join(dir, 'no.cjs')], env);
    expect(no.status).toBe(126);
    expect(no.stderr).toMatch(/"emulated":true/);
    expect(no.stderr).toMatch(/ERR_SECNODE_EXEC_DENIED/);
  });

  it('the emulated check sees noexec mounts', () => {
    const m = mkdtempSync(join(dir, 'mnt-'));
    const env = envFor(n, { SECNODE_RESTRICT_FILE: '1', SECNODE_EMULATE_CHECK: '1' });
    const exports = Object.entries(env).map(([k, v]) => `export ${k}=${shQuote(v ?? '')}`).join('\n');
    const script = `${exports}\nprintf "console.log('ran')\\n" > "$NOEXEC_DIR/x.cjs"\nchmod 0755 "$NOEXEC_DIR/x.cjs"\n`
      + `exec strace ${STRACE_EINVAL.map(shQuote).join(' ')} ${shQuote(SECNODE)} "$NOEXEC_DIR/x.cjs"\n`;
    const { cmd, args } = noexecCommand(m, script);
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    expect(r.status).toBe(126);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/ERR_SECNODE_EXEC_DENIED/);
  });
});
