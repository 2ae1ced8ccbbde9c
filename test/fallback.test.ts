// The sh launcher the build installs when it cannot build the static one (runtime/secnode.sh, under both
// names): it runs programs as node does, enforces through secnode's register, sends early options to
// `secnodectl preflight` under the bits, and as secnodectl keeps the caller's NODE_OPTIONS for the command.
import { chmodSync, copyFileSync, cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { shFallbackWarning } from '../src/launchers.js';
import { nodes, ROOT, run } from './helpers/run.js';
import { tempDir } from './helpers/sandbox.js';

let t: ReturnType<typeof tempDir>;
let bin = '';
beforeAll(() => {
  t = tempDir('secnode-fallback-');
  // A copy of the built secnode whose launchers are the sh fallback, as runtime/build-launcher.mjs installs it.
  const copy = join(t.dir, 'secnode');
  mkdirSync(copy);
  cpSync(join(ROOT, 'dist'), join(copy, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(copy, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  bin = join(copy, 'dist', 'runtime');
  for (const name of ['secnode', 'secnodectl']) {
    copyFileSync(join(ROOT, 'runtime', 'secnode.sh'), join(bin, name));
    chmodSync(join(bin, name), 0o755);
  }
  writeFileSync(join(t.dir, 'ok.js'), "console.log('ok', process.argv.slice(2).join(' '));\n", { mode: 0o755 });
  writeFileSync(join(t.dir, 'no.js'), "console.log('no ran');\n", { mode: 0o644 });
});
afterAll(() => t.remove());

describe.each(nodes())('the sh fallback launcher ($name)', (n) => {
  const opts = (policy: 'none' | 'RF' | 'RF+DI', env: NodeJS.ProcessEnv = {}) => ({ node: n, policy, cwd: t.dir, env });

  it('no bits: runs the program with its arguments, and a 0644 file, as node does', () => {
    expect(run(join(bin, 'secnode'), ['ok.js', 'a', '--b'], opts('none'))).toMatchObject({ status: 0, stdout: 'ok a --b\n', stderr: '' });
    expect(run(join(bin, 'secnode'), ['no.js'], opts('none'))).toMatchObject({ status: 0, stdout: 'no ran\n', stderr: '' });
  });

  it('RF: a 0644 entry is refused with exit 126, after the line that says the sh fallback started it', () => {
    const r = run(join(bin, 'secnode'), ['no.js'], opts('RF'));
    expect([r.status, r.stdout]).toEqual([126, '']);
    expect(r.stderr.startsWith(shFallbackWarning())).toBe(true);
    expect(r.stderr).toContain('[ERR_SECNODE_EXEC_DENIED]');
  });

  it('RF: an allowed run says it was started by the sh fallback, on stderr and in every audit record', () => {
    const r = run(join(bin, 'secnode'), ['ok.js'], opts('RF', { SECNODE_AUDIT: 'stderr' }));
    expect([r.status, r.stdout]).toEqual([0, 'ok \n']);
    const [first = '', ...records] = r.stderr.split('\n').filter((l) => l !== '');
    expect(`${first}\n`).toBe(shFallbackWarning());
    expect(records.length).toBeGreaterThan(0);
    for (const line of records) expect(JSON.parse(line)).toMatchObject({ launcher: 'sh' });
  });

  it('RF+DI: --inspect goes to secnodectl preflight, which refuses it before Node starts', () => {
    const r = run(join(bin, 'secnode'), ['--inspect', 'ok.js'], opts('RF+DI'));
    expect([r.status, r.stdout]).toEqual([126, '']);
    expect(r.stderr.startsWith(shFallbackWarning())).toBe(true);
    expect(r.stderr).not.toContain('Debugger listening');
    expect(r.stderr).toMatch(/ERR_SECNODE_(OPTION_REFUSED|INTERACTIVE_DENIED)/);
  });

  it('as secnodectl: the caller\'s NODE_OPTIONS reach the command, and none when it had none', () => {
    const r = run(join(bin, 'secnodectl'), ['exec', '--', join(n.bin, 'node'), '-p', 'process.env.NODE_OPTIONS'], opts('none', { NODE_OPTIONS: '--no-deprecation' }));
    expect(r).toMatchObject({ status: 0, stdout: '--no-deprecation\n', stderr: '' });
    const none = run(join(bin, 'secnodectl'), ['exec', '--', join(n.bin, 'node'), '-p', 'process.env.NODE_OPTIONS'], opts('none'));
    expect(none).toMatchObject({ status: 0, stdout: 'undefined\n', stderr: '' });
  });

  it('a node on PATH that nobody pinned (Bun): through preflight, refused under RF; with no bits it runs', () => {
    const dir = join(t.dir, `bun-${n.name}`);
    mkdirSync(dir);
    symlinkSync(join(inject('runtimes'), 'node_modules', '@oven', 'bun-linux-x64', 'bin', 'bun'), join(dir, 'node'));
    const path = `${dir}:${n.bin}:/usr/bin:/bin`;
    const r = run('env', [`PATH=${path}`, join(bin, 'secnode'), 'ok.js'], opts('RF'));
    expect([r.status, r.stdout]).toEqual([126, '']);
    expect(r.stderr).toContain('not a Node the operator pinned');
    expect(run('env', [`PATH=${path}`, join(bin, 'secnode'), 'ok.js', 'x'], opts('none'))).toMatchObject({ status: 0, stdout: 'ok x\n' });
  });
});
