// Side-door vectors: a driver script (0755) tries to run a 0644 file another way (worker, child process);
// each vector is run under RF+DI and RF alone (must be refused), DI alone (runs: files are RF's) and with no
// bits (must match plain node).
import { describe, expect, it } from 'vitest';
import { DOORS, plain, show, through, type Door, type FileSpec } from './launcher-fixtures.js';
import { nodes, type NodeUnderTest, type Policy, type Run } from './run.js';

/** What the 0644 fixtures print when they run: the side effect a refusal must prevent. */
export const RAN = 'NO-RAN';
const NOX = 0o644;

/** Files every side-door test needs: code that must never run under RF, and executable code that loads it. */
export const BYPASS_FILES: Readonly<Record<string, FileSpec>> = {
  'no.js': { src: `console.log(${JSON.stringify(RAN)}, 'cjs');\n`, mode: NOX },
  'no.mjs': { src: `console.log(${JSON.stringify(RAN)}, 'esm');\n`, mode: NOX },
  'ok.js': `console.log('OK');\n`,
  'okreq.js': `try { require('./no.js'); } catch (e) { console.log('caught', e.code); }\n`,
  'okimp.mjs': `try { await import('./no.mjs'); } catch (e) { console.log('caught', e.code); }\n`,
};

/** One way in: the driver's case name, what a refusal prints, and where it applies. */
export interface Vector {
  readonly name: string;
  /** What shows the refusal under RF+DI: a line the driver prints, or the exit status of a replaced process. */
  readonly refused: string | { readonly status: number };
  /** Only on Node versions with this major or later (e.g. process.execve). */
  readonly minMajor?: number;
  /** Variables for the Node process only (e.g. SECNODE_HARDEN_GENERATED). */
  readonly vars?: Readonly<Record<string, string>>;
  /** A line the driver prints with no bits (defaults to the 0644 file's side effect). */
  readonly ran?: string;
  /** False where plain node differs by design (secnode's patch holds, or a secnode setting applies). */
  readonly sameAsNode?: boolean;
  /** From this Node major on, plain node differs in what it prints by design (see the vector's comment). */
  readonly sameAsNodeBelow?: number;
}

/** Defines the table-driven tests for a driver script over both Node versions. */
export function describeVectors(title: string, driver: string, vectors: readonly Vector[], dir: () => string): void {
  describe.each(nodes())(`${title} ($name)`, (n: NodeUnderTest) => {
    const applies = vectors.filter((v) => n.major >= (v.minMajor ?? 0));
    const opts = (policy: Policy) => ({ node: n, policy, cwd: dir() });
    /** The vector refused under `policy` through `door`: nothing of the 0644 file ran, and the refusal shows. */
    const expectRefusedUnder = (door: Door, policy: Policy, v: Vector): void => {
      const r = through(door, [driver, v.name], opts(policy), v.vars);
      expect(r.stdout, show(r)).not.toContain(RAN);
      if (typeof v.refused === 'string') expect(r.stdout.split('\n'), show(r)).toContain(v.refused);
      else expect(r.status, show(r)).toBe(v.refused.status);
    };
    describe.each(DOORS)('$name, RF+DI: refused', (door) => {
      it.each(applies)('$name', (v) => expectRefusedUnder(door, 'RF+DI', v));
    });
    // Every vector runs a 0644 file: RF alone refuses it, DI alone lets it run (a guard wired to the wrong bit fails one of the two).
    describe('RF alone: refused', () => {
      it.each(applies)('$name', (v) => expectRefusedUnder(DOORS[0] ?? expect.unreachable(), 'RF', v));
    });
    describe('DI alone: runs (checking files is RF\'s)', () => {
      it.each(applies)('$name', (v) => {
        const r = through(DOORS[0] ?? expect.unreachable(), [driver, v.name], opts('DI'), v.vars);
        expect(r.stdout.split('\n'), show(r)).toContain(v.ran ?? `${RAN} cjs`);
      });
    });
    describe('no bits: runs as with plain node', () => {
      it.each(applies)('$name', (v) => {
        const r = through(DOORS[0] ?? expect.unreachable(), [driver, v.name], opts('none'), v.vars);
        expect(r.stdout.split('\n'), show(r)).toContain(v.ran ?? `${RAN} cjs`);
        if (v.sameAsNode === false || (v.sameAsNodeBelow !== undefined && n.major >= v.sameAsNodeBelow)) return;
        const base: Run = plain([driver, v.name], opts('none'), v.vars);
        expect({ status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }, `secnode:\n${show(r)}\nnode:\n${show(base)}`)
          .toEqual({ status: base.status, signal: base.signal, stdout: base.stdout, stderr: base.stderr });
      });
    });
  });
}
