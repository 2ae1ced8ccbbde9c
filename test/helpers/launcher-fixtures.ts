// Shared pieces for the process-level matrix and launcher tests: temp fixtures, front doors, verdicts.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { REGISTER, SECNODE, run, type NodeUnderTest, type Run, type RunOptions } from './run.js';

/** One fixture file: its source and mode (0755 unless given). */
export type FileSpec = string | { readonly src: string; readonly mode: number };

/** A fresh temp dir holding fixture files; `remove()` deletes it. */
export interface Fixtures {
  readonly dir: string;
  path(name: string): string;
  remove(): void;
}

/** Writes the files (mode set explicitly, umask-proof) into a fresh dir under os.tmpdir(). */
export function makeFixtures(prefix: string, files: Readonly<Record<string, FileSpec>>): Fixtures {
  const dir = mkdtempSync(join(tmpdir(), `secnode-${prefix}-`));
  for (const [name, spec] of Object.entries(files)) {
    const { src, mode } = typeof spec === 'string' ? { src: spec, mode: 0o755 } : spec;
    const file = join(dir, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, src);
    chmodSync(file, mode);
  }
  return { dir, path: (name) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A way to start Node with secnode in place. */
export interface Door {
  readonly name: string;
  /** The command and the leading arguments (before node options and the script). */
  argv(n: NodeUnderTest): string[];
  /** Plain node's leading arguments for the same shape of command line, with `noop` in place of secnode. */
  baseline(noop: string): string[];
}

/** The three front doors: the real launcher, and `node --import/--require <REGISTER>`. */
export const DOORS: readonly Door[] = [
  { name: 'secnode', argv: () => [SECNODE], baseline: () => [] },
  { name: 'node --import register', argv: (n) => [join(n.bin, 'node'), '--import', REGISTER], baseline: (noop) => ['--import', noop] },
  { name: 'node --require register', argv: (n) => [join(n.bin, 'node'), '--require', REGISTER], baseline: (noop) => ['--require', noop] },
];

/**
 * Variables set only for the final command (through env(1), after `secnodectl exec`): NODE_OPTIONS in
 * run()'s `env` would also apply to secnodectl, itself a Node program, and run its preloads there.
 */
function late(cmd: string, args: readonly string[], vars: Readonly<Record<string, string>>): [string, string[]] {
  const assignments = Object.entries(vars).map(([k, v]) => `${k}=${v}`);
  return assignments.length === 0 ? [cmd, [...args]] : ['env', [...assignments, cmd, ...args]];
}

/** Runs `args` through a door; `vars` reach only the node process. */
export function through(door: Door, args: readonly string[], opts: RunOptions, vars: Readonly<Record<string, string>> = {}): Run {
  const [cmd = '', ...lead] = door.argv(opts.node);
  return run(...late(cmd, [...lead, ...args], vars), opts);
}

/** Runs plain `node` (no secnode) with `args`; `vars` reach only the node process. */
export function plain(args: readonly string[], opts: RunOptions, vars: Readonly<Record<string, string>> = {}): Run {
  return run(...late(join(opts.node.bin, 'node'), args, vars), opts);
}

/** Quotes one word for `bash -c`. */
export function shq(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A refusal: the error code and the rule (bit or setting) the message must name. */
export interface Refusal { readonly code: string; readonly rule: string }

export const EXEC_DENIED_RF: Refusal = { code: 'ERR_SECNODE_EXEC_DENIED', rule: 'SECBIT_EXEC_RESTRICT_FILE' };
export const INTERACTIVE_DENIED_DI: Refusal = { code: 'ERR_SECNODE_INTERACTIVE_DENIED', rule: 'SECBIT_EXEC_DENY_INTERACTIVE' };

/** Output of a run, for failure messages. */
export function show(r: Run): string {
  return `status=${r.status} signal=${r.signal}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

/** Asserts a start-up refusal: status 126, no stdout, `secnode: … CODE … RULE` then a `hint:` line. */
export function expectRefused(r: Run, ...accepted: Refusal[]): void {
  const [first = '', second = ''] = r.stderr.split('\n');
  expect(r.status, show(r)).toBe(126);
  expect(r.stdout, show(r)).toBe('');
  expect(first, show(r)).toMatch(/^secnode:/);
  expect(accepted.some((a) => first.includes(a.code) && first.includes(a.rule)),
    `first stderr line names one of ${accepted.map((a) => `${a.code}/${a.rule}`).join(', ')}\n${show(r)}`).toBe(true);
  expect(second, show(r)).toMatch(/^hint:/);
}

/** Asserts a clean run: status 0, the expected stdout (when given), and nothing on stderr. */
export function expectRan(r: Run, stdout?: string): void {
  expect({ status: r.status, signal: r.signal, stderr: r.stderr }, show(r)).toEqual({ status: 0, signal: null, stderr: '' });
  if (stdout !== undefined) expect(r.stdout, show(r)).toBe(stdout);
}
