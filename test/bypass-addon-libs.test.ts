// An addon's own shared libraries (found through its RPATH/RUNPATH and $ORIGIN) are code files too:
// with no bits the addon loads as under node; under RF each one passes the check through its fd before
// it is mapped, and a 0644 one is refused before any of its code (or the addon's) runs. Real ELF files,
// built here with the C compiler.
import { chmodSync, cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addonSource, buildLibrary, markerConstructor, nodeHeaders } from './helpers/addon.js';
import { makeFixtures, show, type Fixtures } from './helpers/launcher-fixtures.js';
import { node, nodes, secnode, type NodeUnderTest, type Policy } from './helpers/run.js';

const SCRIPTS = {
  // requires the addon; prints its exports or the refusal, then which constructors ran (from the marker file)
  'deps.cjs': `const { resolve } = require('node:path');
const fs = require('node:fs');
try { const m = require(resolve(process.argv[2])); console.log('loaded', m.marker, m.value); }
catch (e) { console.log('refused', e.code, e.code && e.code.startsWith('ERR_SECNODE_') ? '' : e.message); }
const f = process.env.ADDON_MARKER;
console.log('ran', fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim().split('\\n').join(',') : '-');
`,
  // replaces the library's path with another library right after secnode checked it (from the decision channel)
  'swap.cjs': `const { subscribe } = require('node:diagnostics_channel');
const { renameSync } = require('node:fs');
const { resolve } = require('node:path');
const [addon, lib, other] = process.argv.slice(2).map((f) => resolve(f));
subscribe('secnode:decision', (r) => { if (r.path === lib) renameSync(other, lib); });
console.log(require(addon).value);
`,
} as const;

const headers = nodeHeaders();
/** The system's zlib, in a system library directory, when this machine has it. */
const SYSTEM_LIBZ = ['/usr/lib/x86_64-linux-gnu/libz.so.1', '/usr/lib/aarch64-linux-gnu/libz.so.1', '/usr/lib64/libz.so.1', '/usr/lib/libz.so.1', '/lib/x86_64-linux-gnu/libz.so.1']
  .find((f) => existsSync(f));
let fx: Fixtures;

/** Builds one package directory: lib/ with its libraries, and addon.node linked against them. */
function buildPackages(dir: string): void {
  const lib = (pkg: string) => join(dir, pkg, 'lib');
  for (const pkg of ['rpath', 'runpath', 'nosoname']) mkdirSync(lib(pkg), { recursive: true });
  // DT_RPATH (old tags): addon.node → lib/libdep.so
  buildLibrary(dir, 'rpath/lib/libdep.so', `${markerConstructor('dep')}int dep_value(void) { return 42; }\n`, ['-Wl,-soname,libdep.so']);
  buildLibrary(dir, 'rpath/addon.node', markerConstructor('addon') + addonSource('rpath', 'int dep_value(void);', 'dep_value()'),
    [`-L${lib('rpath')}`, '-ldep', '-Wl,-rpath,$ORIGIN/lib', '-Wl,--disable-new-dtags']);
  // DT_RUNPATH, two levels: addon.node → lib/libtop.so → lib/libleaf.so (found through libtop's own RUNPATH)
  buildLibrary(dir, 'runpath/lib/libleaf.so', `${markerConstructor('leaf')}int leaf_value(void) { return 40; }\n`, ['-Wl,-soname,libleaf.so']);
  buildLibrary(dir, 'runpath/lib/libtop.so', `${markerConstructor('top')}int leaf_value(void);\nint top_value(void) { return leaf_value() + 2; }\n`,
    ['-Wl,-soname,libtop.so', `-L${lib('runpath')}`, '-lleaf', '-Wl,-rpath,$ORIGIN', '-Wl,--enable-new-dtags']);
  buildLibrary(dir, 'runpath/addon.node', markerConstructor('addon') + addonSource('runpath', 'int top_value(void);', 'top_value()'),
    [`-L${lib('runpath')}`, '-ltop', '-Wl,-rpath,$ORIGIN/lib', '-Wl,--enable-new-dtags']);
  // A library without DT_SONAME: the linker cannot match it to a copy mapped from an fd
  buildLibrary(dir, 'nosoname/lib/libdep.so', `${markerConstructor('dep')}int dep_value(void) { return 42; }\n`);
  buildLibrary(dir, 'nosoname/addon.node', markerConstructor('addon') + addonSource('nosoname', 'int dep_value(void);', 'dep_value()'),
    [`-L${lib('nosoname')}`, '-ldep', '-Wl,-rpath,$ORIGIN/lib']);
  // An own library under a name the system also has (libz.so.1), not loaded yet: the addon's copy wins
  mkdirSync(lib('shadow'), { recursive: true });
  buildLibrary(dir, 'shadow/lib/libz.so.1', `${markerConstructor('ownz')}int dep_value(void) { return 42; }\n`, ['-Wl,-soname,libz.so.1']);
  buildLibrary(dir, 'shadow/addon.node', markerConstructor('addon') + addonSource('shadow', 'int dep_value(void);', 'dep_value()'),
    [`-L${lib('shadow')}`, '-l:libz.so.1', '-Wl,-rpath,$ORIGIN/lib']);
  // RUNPATH naming a system library directory: what is found there is the system's (0644 there)
  if (SYSTEM_LIBZ !== undefined) {
    mkdirSync(join(dir, 'system'));
    buildLibrary(dir, 'system/addon.node', markerConstructor('addon') + addonSource('system', 'const char *zlibVersion(void);', 'zlibVersion() ? 42 : 0'),
      [`-L${dirname(SYSTEM_LIBZ)}`, '-l:libz.so.1', `-Wl,-rpath,${dirname(SYSTEM_LIBZ)}`, '-Wl,--enable-new-dtags']);
  }
  // Another libdep.so (same SONAME, another value) to swap in after the check
  buildLibrary(dir, 'rpath/libdep-other.so', 'int dep_value(void) { return 7; }\n', ['-Wl,-soname,libdep.so']);
  // The same packages with one library made 0644
  cpSync(join(dir, 'rpath'), join(dir, 'rpath-0644'), { recursive: true });
  chmodSync(join(dir, 'rpath-0644/lib/libdep.so'), 0o644);
  cpSync(join(dir, 'runpath'), join(dir, 'runpath-leaf-0644'), { recursive: true });
  chmodSync(join(dir, 'runpath-leaf-0644/lib/libleaf.so'), 0o644);
}

beforeAll(() => {
  if (headers === undefined) return;
  fx = makeFixtures('addon-libs', SCRIPTS);
  buildPackages(fx.dir);
});
afterAll(() => fx?.remove());

const REFUSED = 'refused ERR_SECNODE_EXEC_DENIED \nran -\n';
interface Case {
  readonly name: string;
  readonly addon: string;
  /** stdout per policy (with no bits: what plain node prints). */
  readonly RF: string;
  readonly DI: string;
}
const CASES: readonly Case[] = [
  { name: 'RPATH $ORIGIN/lib, every file 0755', addon: 'rpath/addon.node', RF: 'loaded rpath 42\nran dep,addon\n', DI: 'loaded rpath 42\nran dep,addon\n' },
  { name: 'RPATH $ORIGIN/lib, the library 0644', addon: 'rpath-0644/addon.node', RF: REFUSED, DI: 'loaded rpath 42\nran dep,addon\n' },
  { name: 'RUNPATH, two levels, every file 0755', addon: 'runpath/addon.node', RF: 'loaded runpath 42\nran leaf,top,addon\n', DI: 'loaded runpath 42\nran leaf,top,addon\n' },
  { name: 'RUNPATH, two levels, the leaf library 0644', addon: 'runpath-leaf-0644/addon.node', RF: REFUSED, DI: 'loaded runpath 42\nran leaf,top,addon\n' },
  { name: 'an own library under a name the system also has', addon: 'shadow/addon.node', RF: 'loaded shadow 42\nran ownz,addon\n', DI: 'loaded shadow 42\nran ownz,addon\n' },
  ...(SYSTEM_LIBZ === undefined ? [] : [{ name: 'RUNPATH naming a system library directory (its libraries are the system\'s)', addon: 'system/addon.node', RF: 'loaded system 42\nran addon\n', DI: 'loaded system 42\nran addon\n' }]),
  { name: 'a library without DT_SONAME (cannot be matched to the checked copy)', addon: 'nosoname/addon.node', RF: REFUSED, DI: 'loaded nosoname 42\nran dep,addon\n' },
];

let runs = 0;
function load(n: NodeUnderTest, c: Case, policy: Policy | 'node', extra: NodeJS.ProcessEnv = {}) {
  const marker = join(fx.dir, `marker-${runs++}`);
  rmSync(marker, { force: true });
  const opts = { node: n, cwd: fx.dir, env: { ADDON_MARKER: marker, ...extra }, policy: policy === 'node' ? 'none' as const : policy };
  return policy === 'node' ? node(['deps.cjs', c.addon], opts) : secnode(['deps.cjs', c.addon], opts);
}

describe.skipIf(headers === undefined)('an addon\'s own shared libraries', () => {
  describe.each(nodes())('$name', (n) => {
    it.each(CASES)('$name: with no bits, exactly as plain node', (c) => {
      const plain = load(n, c, 'node');
      const r = load(n, c, 'none');
      expect(plain.stdout).toMatch(/^loaded /);
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }, show(r)).toEqual({ status: plain.status, stdout: plain.stdout, stderr: plain.stderr });
    });

    it.each(CASES)('$name: under RF+DI, RF alone and DI alone', (c) => {
      for (const [policy, want] of [['RF+DI', c.RF], ['RF', c.RF], ['DI', c.DI]] as const) {
        const r = load(n, c, policy);
        expect(r.stdout, `${policy}\n${show(r)}`).toBe(want);
      }
    });

    it('the refusal names the library and, without a SONAME, says why it cannot be checked', () => {
      const dep = load(n, CASES[1] as Case, 'RF', { SECNODE_AUDIT: 'stderr' });
      const records = dep.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(records.filter((x) => x.subject === 'addon' && x.allowed === false), show(dep)).toEqual([expect.objectContaining({
        path: join(fx.dir, 'rpath-0644/lib/libdep.so'), errno: 'EACCES', enforced: true, parent: join(fx.dir, 'rpath-0644/addon.node'),
      })]);
      const script = `try { require(${JSON.stringify(join(fx.dir, 'nosoname/addon.node'))}) } catch (e) { console.log(e.message) }`;
      const noSoname = secnode(['-e', script], { node: n, cwd: fx.dir, policy: 'RF' });
      expect(noSoname.stdout, show(noSoname)).toContain('has no DT_SONAME');
    });

    it('the library mapped is the one that was checked, even when its path is replaced after the check', () => {
      cpSync(join(fx.dir, 'rpath'), join(fx.dir, `swap-${n.name}`), { recursive: true });
      const pkg = `swap-${n.name}`;
      const r = secnode(['swap.cjs', `${pkg}/addon.node`, `${pkg}/lib/libdep.so`, `${pkg}/libdep-other.so`], { node: n, cwd: fx.dir, policy: 'RF+DI' });
      expect(existsSync(join(fx.dir, pkg, 'libdep-other.so')), show(r)).toBe(false); // the swap happened
      expect(r.stdout, show(r)).toBe('42\n');
    });

    it('each library is recorded (subject addon, parent the object that needs it), also when it only records', () => {
      const r = load(n, CASES[3] as Case, 'none', { SECNODE_AUDIT: 'stderr' });
      const records = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(r.stdout, show(r)).toBe('loaded runpath 42\nran leaf,top,addon\n');
      const pkg = join(fx.dir, 'runpath-leaf-0644');
      expect(records.filter((x) => x.subject === 'addon').map((x) => [x.path, x.parent, x.errno, x.allowed]), show(r)).toEqual([
        [join(pkg, 'addon.node'), join(fx.dir, 'deps.cjs'), null, true],
        [join(pkg, 'lib/libtop.so'), join(pkg, 'addon.node'), null, true],
        [join(pkg, 'lib/libleaf.so'), join(pkg, 'lib/libtop.so'), 'EACCES', true],
      ]);
    });
  });
});
