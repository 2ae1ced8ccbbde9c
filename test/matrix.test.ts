// The kernel's interpreter matrix (the kernel's own selftest matrix for AT_EXECVE_CHECK; docs/design.md, "The kernel contract"), run for real: every input kind ×
// the four policies (bits set with their locks by `secnodectl exec`) × both Node versions × three front doors.
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOORS, EXEC_DENIED_RF, INTERACTIVE_DENIED_DI, expectRan, expectRefused, makeFixtures, shq, through,
  type Door, type Fixtures, type Refusal,
} from './helpers/launcher-fixtures.js';
import { POLICIES, ROOT, node, nodes, run, type NodeUnderTest, type Policy, type Run } from './helpers/run.js';

const PRINT_1 = 'console.log(1)\n';
const RF = [EXEC_DENIED_RF];
const DI = [INTERACTIVE_DENIED_DI];
/** A non-regular entry path is governed by RF and by DI: under both, either refusal is right. */
const EITHER = [EXEC_DENIED_RF, INTERACTIVE_DENIED_DI];

type Verdict = 'run' | readonly Refusal[];
/** Where the child's stdin comes from. */
type Stdin = { readonly file: 'ok.js' | 'no.js' } | { readonly pipe: string } | 'null';

interface Row {
  readonly name: string;
  /** Node arguments after the door. */
  readonly args: readonly string[];
  readonly stdin?: Stdin;
  /** Run `bash -c '<door> <args> <bash>'` instead (for process substitution). */
  readonly bash?: (f: Fixtures) => string;
  /** Exact stdout of a run (omitted: anything, e.g. the REPL banner). */
  readonly stdout?: string;
  readonly expect: Readonly<Record<Policy, Verdict>>;
}

const verdicts = (none: Verdict, rf: Verdict, di: Verdict, both: Verdict): Row['expect'] => ({ none, RF: rf, DI: di, 'RF+DI': both });

/** The kernel's six rows, then the other interactive and stream inputs secnode governs. */
const ROWS: readonly Row[] = [
  { name: 'run ok by path', args: ['ok.js'], stdout: '1\n', expect: verdicts('run', 'run', 'run', 'run') },
  { name: 'ok on stdin (regular file)', args: [], stdin: { file: 'ok.js' }, stdout: '1\n', expect: verdicts('run', 'run', 'run', 'run') },
  { name: 'run no by path', args: ['no.js'], stdout: '1\n', expect: verdicts('run', RF, 'run', RF) },
  { name: 'no on stdin (regular file)', args: [], stdin: { file: 'no.js' }, stdout: '1\n', expect: verdicts('run', 'run', DI, DI) },
  { name: 'script piped on stdin', args: [], stdin: { pipe: PRINT_1 }, stdout: '1\n', expect: verdicts('run', 'run', DI, DI) },
  { name: 'code as an argument (-e)', args: ['-e', PRINT_1], stdout: '1\n', expect: verdicts('run', 'run', DI, DI) },
  { name: '--eval', args: ['--eval', PRINT_1], stdout: '1\n', expect: verdicts('run', 'run', DI, DI) },
  { name: '-p', args: ['-p', '1'], stdout: '1\n', expect: verdicts('run', 'run', DI, DI) },
  { name: '--print', args: ['--print', '1'], stdout: '1\n', expect: verdicts('run', 'run', DI, DI) },
  { name: '-i (stdin /dev/null)', args: ['-i'], stdin: 'null', expect: verdicts('run', 'run', DI, DI) },
  { name: '--interactive (stdin /dev/null)', args: ['--interactive'], stdin: 'null', expect: verdicts('run', 'run', DI, DI) },
  { name: '- with a piped script', args: ['-'], stdin: { pipe: PRINT_1 }, stdout: '1\n', expect: verdicts('run', 'run', DI, DI) },
  // Node realpaths the main path (a pipe has no real path: ENOENT even for plain node), so these two rows
  // keep the path as given with --preserve-symlinks-main: then plain node runs them, and so must secnode.
  {
    name: 'entry /dev/stdin (a pipe)', args: ['--preserve-symlinks-main', '/dev/stdin'], stdin: { pipe: PRINT_1 },
    stdout: '1\n', expect: verdicts('run', RF, DI, EITHER),
  },
  {
    name: 'entry <(cat no.js) (bash process substitution)', args: ['--preserve-symlinks-main'],
    bash: (f) => `<(cat ${shq(f.path('no.js'))})`, stdout: '1\n', expect: verdicts('run', RF, DI, EITHER),
  },
];

let fx: Fixtures;
beforeAll(() => {
  fx = makeFixtures('matrix', { 'ok.js': { src: PRINT_1, mode: 0o755 }, 'no.js': { src: PRINT_1, mode: 0o644 } });
});
afterAll(() => fx.remove());

/**
 * Runs one row through one door under one policy. Piped input goes through a real pipe made by bash
 * (spawnSync's `input` is a socket, which `/dev/stdin` cannot reopen); a stdin file gets a fresh fd.
 */
function runRow(row: Row, door: Door, n: NodeUnderTest, policy: Policy): Run {
  const opts = { node: n, policy, cwd: fx.dir };
  const { stdin } = row;
  if (row.bash || (typeof stdin === 'object' && 'pipe' in stdin)) {
    const command = [...door.argv(n), ...row.args].map(shq).join(' ');
    const feed = typeof stdin === 'object' && 'pipe' in stdin ? `printf %s ${shq(stdin.pipe)} | ` : '';
    return run('bash', ['-c', `${feed}${command} ${row.bash?.(fx) ?? ''}`], opts);
  }
  if (stdin === undefined) return through(door, row.args, opts);
  if (stdin === 'null') return through(door, row.args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  const fd = openSync(fx.path(stdin.file), 'r');
  try {
    return through(door, row.args, { ...opts, stdio: [fd, 'pipe', 'pipe'] });
  } finally {
    closeSync(fd);
  }
}

const POLICY_NAMES = Object.keys(POLICIES) as Policy[];

describe.each(nodes())('$name', (n) => {
  describe.each(DOORS)('$name', (door) => {
    describe.each(ROWS)('$name', (row) => {
      it.each(POLICY_NAMES)('%s', (policy) => {
        const r = runRow(row, door, n, policy);
        const verdict = row.expect[policy];
        // Node 20 with any --import preload reads a CommonJS entry once to lex its exports before it
        // runs it: a pipe entry is then empty, and plain node prints nothing too (checked below).
        const consumed = n.major < 22 && door.name.includes('--import') && row.args.includes('--preserve-symlinks-main');
        if (verdict === 'run' && consumed) expectRan(r, '');
        else if (verdict === 'run') expectRan(r, row.stdout);
        else expectRefused(r, ...verdict);
      });
    });
  });

  // The kernel suite's "locked bits cannot be cleared": a plain node child (no secnode) started under
  // the locked bits tries prctl(PR_SET_SECUREBITS) without them, and reads the bits it still has.
  describe('locked bits', () => {
    const LIBRARY = pathToFileURL(join(ROOT, 'dist', 'src', 'index.js')).href;
    const probe = `import(${JSON.stringify(LIBRARY)}).then((k) => {
      const before = k.readSecurebits();
      let errno = 0;
      try { k.writeSecurebits(before & ~0x500); } catch (e) { errno = e.errno; }
      console.log(JSON.stringify({ before, errno, after: k.readSecurebits() }));
    })`;
    const BITS: Record<Exclude<Policy, 'none'>, number> = { RF: 0x300, DI: 0xc00, 'RF+DI': 0xf00 };
    it.each(Object.entries(BITS))('%s: clearing fails with EPERM and the bits stay', (policy, bits) => {
      const r = node(['-e', probe], { node: n, policy: policy as Policy });
      expect(r.status, r.stderr).toBe(0);
      const got = JSON.parse(r.stdout) as { before: number; errno: number; after: number };
      expect(got.before & 0xf00).toBe(bits);
      expect(got.errno).toBe(1);
      expect(got.after).toBe(got.before);
    });
  });
});
