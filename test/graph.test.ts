// The module graph under SECBIT_EXEC_RESTRICT_FILE: every way Node loads a code file, on both Node
// versions and through both front doors, with one dependency made non-executable in four real ways.
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  nodes, POLICIES, REGISTER, run, SECNODE, SECNODECTL, type NodeUnderTest, type Policy, type Run,
} from './helpers/run.js';
import {
  landlockUnavailable, noexecUnavailable, onNoexecMount, tempDir, underLandlock, type Command,
} from './helpers/sandbox.js';

const DENIED = 'ERR_SECNODE_EXEC_DENIED';
const CAUGHT = `caught ${DENIED}`;

/** How the loading path reports a refused file. */
type Refusal =
  | 'caught' // the app catches the error where it loads the file and prints its code
  | 'entry' // the entry itself: exit 126
  | 'preload'; // a preload: uncaught, Node prints the error and exits 1

/** One loading path: an app in app/ (all 0755) and its victim file in ../lib/. */
interface GraphCase {
  readonly name: string;
  /** Files in app/ (the cwd), all 0755. */
  readonly app: Readonly<Record<string, string>>;
  /** The one file that is made to fail, in lib/ (a sibling of app/). */
  readonly victim: { readonly file: string; readonly source: string };
  /** Node arguments (after secnode's own), relative to app/. */
  readonly argv: readonly string[];
  /** NODE_OPTIONS given in the environment. */
  readonly nodeOptions?: string;
  readonly refusal: Refusal;
  /** Which preload list the victim is in (decides whether `node --import register` sees it). */
  readonly preload?: 'argv-require' | 'argv-import' | 'env-require' | 'env-import';
  /** stdout lines when every file is executable. */
  readonly ok: readonly string[];
  /** stdout lines when the victim is refused and the app catches it. */
  readonly denied?: readonly string[];
  /** Oldest Node major that supports this path, and why older ones do not. */
  readonly since?: { readonly major: number; readonly why: string };
}

const CJS_VICTIM = "console.log('victim ran');\nmodule.exports = 'victim';\n";
const ESM_VICTIM = "console.log('victim ran');\nexport default 'victim';\n";
const TS_VICTIM = "const who: string = 'victim ran';\nconsole.log(who);\nexport default who;\n";
const tryImport = (spec: string): string =>
  `try { await import(${JSON.stringify(spec)}); console.log('loaded'); } catch (e) { console.log('caught', e.code); }\n`
  + "console.log('main done');\n";
const tryRequire = (spec: string): string =>
  `try { require(${JSON.stringify(spec)}); console.log('loaded'); } catch (e) { console.log('caught', e.code); }\n`
  + "console.log('main done');\n";
const CREATE_REQUIRE = "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n";
const LOADED = ['victim ran', 'loaded', 'main done'];
const CAUGHT_OUT = [CAUGHT, 'main done'];

const CASES: readonly GraphCase[] = [
  {
    name: 'entry (CommonJS)', app: { 'util.cjs': "console.log('util ran');\n" },
    victim: { file: 'main.cjs', source: "require('../app/util.cjs');\nconsole.log('victim ran');\n" },
    argv: ['../lib/main.cjs'], refusal: 'entry', ok: ['util ran', 'victim ran'],
  },
  {
    name: 'entry (ESM)', app: { 'util.mjs': "console.log('util ran');\n" },
    victim: { file: 'main.mjs', source: "import '../app/util.mjs';\nconsole.log('victim ran');\n" },
    argv: ['../lib/main.mjs'], refusal: 'entry', ok: ['util ran', 'victim ran'],
  },
  {
    name: '--require preload on argv', app: { 'main.cjs': "console.log('main ran');\n" },
    victim: { file: 'pre.cjs', source: CJS_VICTIM }, argv: ['--require', '../lib/pre.cjs', 'main.cjs'],
    refusal: 'preload', preload: 'argv-require', ok: ['victim ran', 'main ran'],
  },
  {
    name: '--import preload on argv', app: { 'main.mjs': "console.log('main ran');\n" },
    victim: { file: 'pre.mjs', source: ESM_VICTIM }, argv: ['--import', '../lib/pre.mjs', 'main.mjs'],
    refusal: 'preload', preload: 'argv-import', ok: ['victim ran', 'main ran'],
  },
  {
    name: '--require preload in NODE_OPTIONS', app: { 'main.cjs': "console.log('main ran');\n" },
    victim: { file: 'pre.cjs', source: CJS_VICTIM }, argv: ['main.cjs'], nodeOptions: '--require ../lib/pre.cjs',
    refusal: 'preload', preload: 'env-require', ok: ['victim ran', 'main ran'],
  },
  {
    name: '--import preload in NODE_OPTIONS', app: { 'main.mjs': "console.log('main ran');\n" },
    victim: { file: 'pre.mjs', source: ESM_VICTIM }, argv: ['main.mjs'], nodeOptions: '--import ../lib/pre.mjs',
    refusal: 'preload', preload: 'env-import', ok: ['victim ran', 'main ran'],
  },
  {
    name: 'static import', app: {
      'main.mjs': tryImport('./parent.mjs'),
      'parent.mjs': "import '../lib/victim.mjs';\nconsole.log('parent ran');\n",
    },
    victim: { file: 'victim.mjs', source: ESM_VICTIM }, argv: ['main.mjs'], refusal: 'caught',
    ok: ['victim ran', 'parent ran', 'loaded', 'main done'], denied: CAUGHT_OUT,
  },
  {
    name: 'dynamic import()', app: { 'main.mjs': tryImport('../lib/victim.mjs') },
    victim: { file: 'victim.mjs', source: ESM_VICTIM }, argv: ['main.mjs'], refusal: 'caught', ok: LOADED, denied: CAUGHT_OUT,
  },
  {
    name: 'require()', app: { 'main.cjs': tryRequire('../lib/victim.cjs') },
    victim: { file: 'victim.cjs', source: CJS_VICTIM }, argv: ['main.cjs'], refusal: 'caught', ok: LOADED, denied: CAUGHT_OUT,
  },
  {
    name: 'createRequire(...)()', app: { 'main.mjs': CREATE_REQUIRE + tryRequire('../lib/victim.cjs') },
    victim: { file: 'victim.cjs', source: CJS_VICTIM }, argv: ['main.mjs'], refusal: 'caught', ok: LOADED, denied: CAUGHT_OUT,
  },
  {
    name: 'require(esm)', app: { 'main.cjs': tryRequire('../lib/victim.mjs') },
    victim: { file: 'victim.mjs', source: ESM_VICTIM }, argv: ['main.cjs'], refusal: 'caught', ok: LOADED, denied: CAUGHT_OUT,
  },
  {
    name: '.ts by type stripping', app: { 'main.mjs': tryImport('../lib/victim.ts') },
    victim: { file: 'victim.ts', source: TS_VICTIM }, argv: ['main.mjs'], refusal: 'caught', ok: LOADED, denied: CAUGHT_OUT,
    since: { major: 22, why: 'Node 20 has no type stripping (it came in Node 22.6, unflagged in 23.6)' },
  },
  {
    name: 'import of a CommonJS file from ESM', app: {
      'main.mjs': tryImport('./parent.mjs'),
      'parent.mjs': "import victim from '../lib/victim.cjs';\nconsole.log('parent ran');\n",
    },
    victim: { file: 'victim.cjs', source: CJS_VICTIM }, argv: ['main.mjs'], refusal: 'caught',
    ok: ['victim ran', 'parent ran', 'loaded', 'main done'], denied: CAUGHT_OUT,
  },
  {
    // Node 22 runs the CommonJS file through Module._load only when the load result says so (src/node-features.ts).
    name: 'require(esm) importing a builtin, from CommonJS imported by ESM', app: {
      'main.mjs': tryImport('./bridge.cjs'),
      'bridge.cjs': "require('../lib/victim.mjs');\nconsole.log('bridge ran');\n",
    },
    victim: { file: 'victim.mjs', source: "import { sep } from 'node:path';\nconsole.log('victim ran');\nexport default sep;\n" },
    argv: ['main.mjs'], refusal: 'caught', ok: ['victim ran', 'bridge ran', 'loaded', 'main done'], denied: CAUGHT_OUT,
  },
];

/** The two ways secnode gets into a Node process. */
type Door = 'secnode' | 'node --import register';
const DOORS: readonly Door[] = ['secnode', 'node --import register'];

/** Ways the victim is made to fail the kernel check, each for real. */
type Failure = '0644 mode' | 'noexec tmpfs' | 'Landlock without EXECUTE' | 'symlink to a 0644 file';
const FAILURES: readonly { name: Failure; unavailable: () => string | null }[] = [
  { name: '0644 mode', unavailable: () => null },
  { name: 'noexec tmpfs', unavailable: noexecUnavailable },
  { name: 'Landlock without EXECUTE', unavailable: landlockUnavailable },
  { name: 'symlink to a 0644 file', unavailable: () => null },
];

/** Preloads Node runs before an argv `--import` (so `node --import register` cannot have checked them). */
function runsBeforeRegister(c: GraphCase, door: Door): boolean {
  return door === 'node --import register' && c.preload !== undefined && c.preload !== 'argv-import';
}

/** A built app: the command wrapper its failure mode needs, and its removal. */
interface Fixture { readonly cwd: string; readonly wrap: (command: Command) => Command; readonly remove: () => void }

function write(path: string, source: string, mode: number): void {
  writeFileSync(path, source);
  chmodSync(path, mode);
}

/** Builds app/ (0755) and lib/<victim>, failing in the given way (or executable for `ok`). */
function build(c: GraphCase, failure: Failure | 'ok'): Fixture {
  const t = tempDir('secnode-graph-');
  const app = join(t.dir, 'app');
  const lib = join(t.dir, 'lib');
  const stage = join(t.dir, 'stage');
  for (const d of [app, lib, stage]) mkdirSync(d);
  for (const [file, source] of Object.entries(c.app)) write(join(app, file), source, 0o755);
  const { file, source } = c.victim;
  if (failure === 'symlink to a 0644 file') {
    const target = file.replace(/(\.[a-z]+)$/, '.target$1');
    write(join(lib, target), source, 0o644);
    symlinkSync(target, join(lib, file));
  } else {
    // On the noexec tmpfs the victim keeps its x bits: the mount alone must make it fail.
    write(join(failure === 'noexec tmpfs' ? stage : lib, file), source, failure === '0644 mode' ? 0o644 : 0o755);
  }
  const wrap = failure === 'noexec tmpfs' ? (cmd: Command) => onNoexecMount(lib, stage, cmd)
    : failure === 'Landlock without EXECUTE' ? (cmd: Command) => underLandlock([app], cmd)
      : (cmd: Command) => cmd;
  return { cwd: app, wrap, remove: t.remove };
}

/** The command for one front door (or plain node), with NODE_OPTIONS set only for the final program. */
function commandFor(c: GraphCase, n: NodeUnderTest, door: Door | 'plain node'): Command {
  const nodeBin = join(n.bin, 'node');
  const argv = door === 'secnode' ? [SECNODE, ...c.argv]
    : door === 'node --import register' ? [nodeBin, '--import', REGISTER, ...c.argv]
      : [nodeBin, ...c.argv];
  // Through /usr/bin/env so that secnodectl and the sandbox helpers never run NODE_OPTIONS preloads.
  return { cmd: '/usr/bin/env', args: [`NODE_OPTIONS=${c.nodeOptions ?? ''}`, ...argv] };
}

/**
 * Runs one door (or plain node) under a policy, inside the failure mode's sandbox. The bits are set by
 * `secnodectl exec` *inside* the sandbox: entering a new user namespace (the unprivileged way to get a
 * private mount namespace) resets the securebits, locked or not.
 */
function runIn(fx: Fixture, c: GraphCase, n: NodeUnderTest, door: Door | 'plain node', policy: Policy): Run {
  const command = commandFor(c, n, door);
  const bits = POLICIES[policy];
  const inner = bits.length === 0 ? command
    : { cmd: process.execPath, args: [SECNODECTL, 'exec', ...bits, '--', command.cmd, ...command.args] };
  const { cmd, args } = fx.wrap(inner);
  return run(cmd, args, { node: n, policy: 'none', cwd: fx.cwd });
}

const lines = (out: string): string[] => out.split('\n').filter((l) => l !== '');
/** Node's warnings carry the pid; nothing else in a run differs between two processes. */
const normalized = (err: string): string => err.replace(/\(node:\d+\)/g, '(node:PID)');

/** Asserts a run under RF where the victim fails the check. */
function expectRefused(r: Run, c: GraphCase, door: Door): void {
  if (runsBeforeRegister(c, door)) {
    // Node ran the preload before secnode/register existed; under enforcement secnode must not go on.
    expect(r.stderr).toContain('ERR_SECNODE_PRELOAD_ORDER');
    expect(lines(r.stdout)).toEqual(['victim ran']);
    expect(r.status).toBe(126);
    return;
  }
  expect(r.stdout).not.toContain('victim ran');
  if (c.refusal === 'caught') {
    expect({ status: r.status, stdout: lines(r.stdout), stderr: r.stderr }).toEqual({ status: 0, stdout: c.denied, stderr: '' });
  } else {
    expect(r.stderr).toContain(DENIED);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(c.refusal === 'entry' ? 126 : 1);
  }
}

describe.each(nodes())('$name', (n) => {
  describe.each(CASES)('$name', (c) => {
    if (c.since !== undefined && n.major < c.since.major) {
      it.skip(`not run on ${n.name}: ${c.since.why}`, () => {});
      return;
    }

    describe.each(FAILURES)('dependency fails the check: $name', (f) => {
      const reason = f.unavailable();
      if (reason !== null) {
        it.skip(`skipped: ${reason}`, () => {});
        return;
      }
      let fx: Fixture;
      let plain: Run;
      beforeAll(() => {
        fx = build(c, f.name);
        plain = runIn(fx, c, n, 'plain node', 'none');
      });
      afterAll(() => fx.remove());

      it('plain node runs the whole graph (the fixture itself is sound)', () => {
        expect({ status: plain.status, stdout: lines(plain.stdout) }).toEqual({ status: 0, stdout: c.ok });
      });

      it.each(DOORS)('RF via %s: refused exactly where it is loaded', (door) => {
        expectRefused(runIn(fx, c, n, door, 'RF'), c, door);
      });

      it.each(DOORS)('no bits via %s: runs completely, output identical to plain node', (door) => {
        const r = runIn(fx, c, n, door, 'none');
        if (n.major < 22 && runsBeforeRegister(c, door)) {
          // Node 20 reruns `--require` preloads inside the hooks thread that module.register() starts; a
          // preload that runs before secnode/register cannot be kept out of it (docs/threat-model.md: Node 20 limits).
          expect({ status: r.status, stdout: new Set(lines(r.stdout)), stderr: normalized(r.stderr) })
            .toEqual({ status: plain.status, stdout: new Set(lines(plain.stdout)), stderr: normalized(plain.stderr) });
          return;
        }
        expect({ status: r.status, stdout: r.stdout, stderr: normalized(r.stderr) })
          .toEqual({ status: plain.status, stdout: plain.stdout, stderr: normalized(plain.stderr) });
      });
    });

    describe('every file executable', () => {
      let fx: Fixture;
      beforeAll(() => { fx = build(c, 'ok'); });
      afterAll(() => fx.remove());

      it.each(DOORS)('RF via %s: runs and prints everything', (door) => {
        const r = runIn(fx, c, n, door, 'RF');
        if (runsBeforeRegister(c, door)) {
          expect(r.stderr).toContain('ERR_SECNODE_PRELOAD_ORDER');
          expect(r.status).toBe(126);
          return;
        }
        expect({ status: r.status, stdout: lines(r.stdout), stderr: r.stderr }).toEqual({ status: 0, stdout: c.ok, stderr: '' });
      });
    });
  });
});
