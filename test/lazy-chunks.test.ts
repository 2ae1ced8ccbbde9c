// secnode's lazily required chunks (loader/lazy.ts, docs/performance.md "Lazy chunks"): a plain start loads
// neither; the first use of a door behind one loads it there, and the guard it holds acts under real bits.
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOORS, show, through } from './helpers/launcher-fixtures.js';
import { nodes, ROOT, type NodeUnderTest, type Policy } from './helpers/run.js';
import { tempDir } from './helpers/sandbox.js';

const LOADER = join(ROOT, 'dist', 'loader');
const KOFFI = join(ROOT, 'node_modules', '@koromix', `koffi-linux-${process.arch}`, `linux_${process.arch}`, 'koffi.node');

/** Runs one case, then prints the files of secnode's loader this process has required (from require.cache). */
const PROBE = `'use strict';
const { basename, join } = require('node:path');
const cases = {
  hello: () => console.log('hello'),
  spawn: () => console.log('status', require('node:child_process').spawnSync(process.execPath, [join(__dirname, 'no.js')], { env: {}, stdio: 'inherit' }).status),
  'addon 0644': () => { try { console.log('loaded', typeof require('./addon-0644.node').load); } catch (e) { console.log('caught', e.code); } },
  'addon 0755': () => { try { console.log('loaded', typeof require('./addon-0755.node').load); } catch (e) { console.log('caught', e.code); } },
};
cases[process.argv[2]]();
const own = Object.keys(require.cache).filter((f) => f.startsWith(${JSON.stringify(LOADER + '/')})).map((f) => basename(f));
console.log('loaded:', own.sort().join(' '));
console.log('builtins:', process.moduleLoadList.filter((m) => /^NativeModule (crypto|inspector)$/.test(m)).map((m) => m.slice(13)).sort().join(' '));
`;

let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  t = tempDir('secnode-lazy-');
  writeFileSync(join(t.dir, 'probe.js'), PROBE, { mode: 0o755 });
  writeFileSync(join(t.dir, 'no.js'), "console.log('NO-RAN');\n", { mode: 0o644 });
  for (const [name, mode] of [['addon-0644.node', 0o644], ['addon-0755.node', 0o755]] as const) {
    copyFileSync(KOFFI, join(t.dir, name));
    chmodSync(join(t.dir, name), mode);
  }
});
afterAll(() => t.remove());

/** The probe's output through `door` under `policy`: its lines, and the loader files it saw. */
function probe(n: NodeUnderTest, door: (typeof DOORS)[number], policy: Policy, what: string, env: NodeJS.ProcessEnv = {}):
  { lines: string[]; loaded: string[]; builtins: string[]; show: string } {
  const r = through(door, [join(t.dir, 'probe.js'), what], { node: n, policy, cwd: t.dir, env });
  const lines = r.stdout.split('\n');
  const listed = (prefix: string): string[] => (lines.find((l) => l.startsWith(prefix)) ?? '').split(' ').slice(1).filter((x) => x !== '');
  return { lines, loaded: listed('loaded:'), builtins: listed('builtins:'), show: show(r) };
}

describe.each(nodes())('$name: lazily required chunks', (n) => {
  describe.each(DOORS)('$name', (door) => {
    it.each(['none', 'RF+DI'] as const)("a plain hello under %s loads neither lazy chunk (and the probe sees secnode's own files)", (policy) => {
      const p = probe(n, door, policy, 'hello');
      expect(p.lines, p.show).toContain('hello');
      expect(p.loaded, p.show).toContain('shared.cjs');
      expect(p.loaded, p.show).not.toContain('children.cjs');
      expect(p.loaded, p.show).not.toContain('native-objects.cjs');
    });
  });

  it('with nothing to refuse or record, a hello loads neither crypto nor inspector; on Node 20 (no hook sees builtins load) RF+DI and records guard them at start', () => {
    const door = DOORS[0] ?? expect.unreachable();
    const plain = probe(n, door, 'none', 'hello');
    expect(plain.builtins, plain.show).toEqual([]);
    if (n.major !== 20) return;
    for (const [policy, env] of [['RF+DI', {}], ['none', { SECNODE_AUDIT: 'stderr' }]] as const) {
      const p = probe(n, door, policy, 'hello', env);
      expect(p.builtins, `${policy}\n${p.show}`).toEqual(['crypto', 'inspector']);
    }
  });

  it('RF: the first child_process use loads the children chunk, and a child started with an empty env still gets secnode', () => {
    const p = probe(n, DOORS[0] ?? expect.unreachable(), 'RF', 'spawn');
    expect(p.lines, p.show).not.toContain('NO-RAN');
    expect(p.lines, p.show).toContain('status 126');
    expect(p.loaded, p.show).toContain('children.cjs');
    expect(p.loaded, p.show).not.toContain('native-objects.cjs');
  });

  it('RF: the first addon load loads the native-objects chunk; a 0644 addon is refused, a 0755 one loads', () => {
    const refused = probe(n, DOORS[0] ?? expect.unreachable(), 'RF', 'addon 0644');
    expect(refused.lines, refused.show).toContain('caught ERR_SECNODE_EXEC_DENIED');
    expect(refused.loaded, refused.show).toContain('native-objects.cjs');
    const ran = probe(n, DOORS[0] ?? expect.unreachable(), 'RF', 'addon 0755');
    expect(ran.lines, ran.show).toContain('loaded function');
    expect(ran.loaded, ran.show).toContain('native-objects.cjs');
  });

  // A chunk is secnode's own code, not code generated at run time: hardening does not refuse it.
  it.each([
    { what: 'spawn', out: 'status 126', chunk: 'children.cjs' },
    { what: 'addon 0755', out: 'loaded function', chunk: 'native-objects.cjs' },
  ])('RF with SECNODE_HARDEN_GENERATED=1: $what loads $chunk and behaves as without hardening', ({ what, out, chunk }) => {
    const p = probe(n, DOORS[0] ?? expect.unreachable(), 'RF', what, { SECNODE_HARDEN_GENERATED: '1' });
    expect(p.lines, p.show).toContain(out);
    expect(p.loaded, p.show).toContain(chunk);
  });

  it('no bits: a 0644 addon loads as under node (through the native-objects chunk)', () => {
    const p = probe(n, DOORS[0] ?? expect.unreachable(), 'none', 'addon 0644');
    expect(p.lines, p.show).toContain('loaded function');
    expect(p.loaded, p.show).toContain('native-objects.cjs');
  });
});
