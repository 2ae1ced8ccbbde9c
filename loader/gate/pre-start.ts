// The pre-start gate: what the process was started with (inline code, stdin, or the entry file) is
// checked before the program runs, so a refusal ends the process with status 126.
import { closeSync, fstatSync } from '../../src/own-fs.js';
import { resolve } from 'node:path';
import { openForCheck } from '../../src/check.js';
import type { Context } from '../context.js';
import { holdEntry } from './held-entry.js';
import { gateCheckOnly, gateGenerated, gateInline, gateStream } from './gate.js';
import { startInput } from './start-input.js';
import { ownRequire as require } from '../../src/own-require.js';

/**
 * How many compiles of the start input Node may still make under its pseudo file name: granted only by
 * gateStart, before any program code (no export grants it: program code can reach secnode's exports).
 */
let inlineCompiles = 0;

/** True (once) when Node compiles the allowed start input (`-e`, `-p`, stdin) as `[eval]`/`[stdin]`. */
export function takeStartInputCompile(filename: string): boolean {
  if (inlineCompiles === 0 || !/^\[(eval|stdin)\]/.test(filename)) return false;
  inlineCompiles--;
  return true;
}

/** Checks what the process was started with: inline code, stdin, or the entry file. */
export function gateStart(ctx: Context): void {
  const input = startInput(process.execArgv, process.argv[1],
    typeof (process as { _eval?: unknown })._eval === 'string',
    (process as { _forceRepl?: unknown })._forceRepl === true, () => (require('node:tty') as typeof import('node:tty')).isatty(0));
  // The REPL evaluates every line through node:vm: under hardening it is refused at start (after DI's verdict).
  const hardenRepl = (): void => {
    if (ctx.settings.forced.hardenGenerated) gateGenerated(ctx, 'the REPL');
  };
  switch (input.kind) {
    case 'inline':
      gateInline(ctx, input.source === 'interactive' ? '-i' : input.source === 'print' ? '-p' : '-e', 'inline');
      if (input.source === 'interactive') hardenRepl();
      inlineCompiles = 1;
      return;
    case 'stdin':
      gateStream(ctx, 0, input.source, 'stream', input.source);
      if (input.source === 'repl') hardenRepl();
      inlineCompiles = 1;
      return;
    case 'entry':
      gateEntry(ctx, ctx.entry ?? resolve(input.path), input.path);
      return;
    default:
  }
}

/**
 * Checks the entry at start-up (so a refusal exits 126): a regular file, or a path to a stream. The fd of
 * a regular file stays open for Node's load of the entry, which reads it from there instead of checking again.
 */
function gateEntry(ctx: Context, path: string, given: string): void {
  let fd: number;
  try {
    fd = openForCheck(path);
  } catch {
    return; // Node reports the missing entry itself.
  }
  let kept = false;
  try {
    const stat = fstatSync(fd, { bigint: true });
    if (stat.isFile()) {
      holdEntry(path, fd, gateCheckOnly(ctx, path, 'entry', fd), stat);
      kept = true;
    } else {
      gateStream(ctx, fd, given, 'path-stream', 'entry');
    }
  } finally {
    if (!kept) closeSync(fd);
  }
}
