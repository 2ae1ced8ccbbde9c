// The gate every code input passes: check, decide, record, then refuse or hand over the checked bytes.
import { closeSync, fstatSync, readFileSync } from '../../src/own-fs.js';
import { isAbsolute } from 'node:path';
import { makeRecord, type Subject, type Target } from '../../src/audit.js';
import { checkOpenFd, openForCheck, type CheckResult } from '../../src/check.js';
import { SECBIT_EXEC_RESTRICT_FILE } from '../../src/constants.js';
import { checkUnavailable, execDenied, generatedDenied, interactiveDenied } from '../../src/errors.js';
import { readSecurebits } from '../../src/kernel.js';
import { decide, PREVIEW_GENERATED, type Decision, type InputKind } from '../../src/policy.js';
import { saveCodeCache } from '../code-cache.js';
import { forcesRestrictFile, type Context } from '../context.js';
import { mapStack } from '../stack.js';
import { takeEntry } from './held-entry.js';

function record(ctx: Context, kind: InputKind, subject: Subject, target: Target, result: CheckResult | null,
  decision: Decision, parent?: string): Decision {
  if (ctx.auditor.active) {
    ctx.auditor.write(makeRecord({
      subject, target, parent, errno: result?.errno ?? null, decision, securebits: ctx.hex, emulated: result?.emulated ?? false,
      launcher: ctx.settings.launcher,
    }));
  }
  return decision;
}

/** Each context's decision for an allowed file: the same for every module, so made once. */
const allowedFile = new WeakMap<Context, Decision>();

function judge(ctx: Context, kind: InputKind, subject: Subject, target: Target, result: CheckResult | null,
  parent?: string): Decision {
  const outcome = result?.outcome ?? 'none';
  let decision = kind === 'file' && outcome === 'allowed' ? allowedFile.get(ctx) : undefined;
  if (decision === undefined) {
    decision = decide(kind, ctx.bits, outcome, ctx.settings.forced);
    if (kind === 'file' && outcome === 'allowed') allowedFile.set(ctx, decision);
  }
  return record(ctx, kind, subject, target, result, decision, parent);
}

function refusal(ctx: Context, name: string, decision: Decision, result: CheckResult): Error {
  const rule = decision.rule ?? '';
  return decision.reason === 'check-unavailable'
    ? checkUnavailable(name, result.errno, ctx.hex, rule)
    : execDenied(name, result.errno, ctx.hex, rule);
}

/**
 * Opens a code file, checks its fd and returns the bytes read from that fd; throws when refused.
 * Returns undefined, so that Node's own read is what runs, for what may run but cannot be read from a
 * checked fd: a stream (a pipe or FIFO path, permissive only: streams always fail the check; it cannot
 * be read twice), and a file secnode cannot open when nothing refuses it.
 */
export function gateFile(ctx: Context, filename: string, subject: Subject, parent?: string): Buffer | undefined;
/** The same, reading the checked bytes as UTF-8 text (no intermediate Buffer). */
export function gateFile(ctx: Context, filename: string, subject: Subject, parent: string | undefined, text: true): string | undefined;
export function gateFile(ctx: Context, filename: string, subject: Subject, parent?: string, text?: true): Buffer | string | undefined {
  // The entry's fd from the pre-start gate (still the same file) stands for opening and checking it again.
  const taken = takeEntry(filename);
  let fd: number;
  try {
    fd = taken?.fd ?? openForCheck(filename);
  } catch (e) {
    // Not a file secnode can open (a member of a zip archive that a program's own fs serves, as Yarn
    // Plug'n'Play does; a file removed or made unreadable since it was resolved): the kernel cannot check
    // it. Refused under enforcement; else Node's own read, through whatever fs the program set, is what runs.
    decideFile(ctx, filename, subject, parent, openFailed(e));
    unopened = filename;
    return undefined;
  }
  try {
    const result = gateOpenFd(ctx, fd, filename, subject, parent, taken?.result);
    if (result.outcome !== 'allowed' && !fstatSync(fd).isFile()) return undefined;
    const bytes = text ? readFileSync(fd, 'utf8') : readFileSync(fd);
    const vouched = vouches(result);
    vouchedName = vouched ? filename : undefined;
    vouchedBytes = vouched ? bytes : undefined;
    return bytes;
  } finally {
    closeSync(fd);
    // The first file load is where the install owner's first start writes a cache its Node lacked: by then
    // the start and the load path are compiled, and V8 keeps them in the cache.
    saveCodeCache(); // once: it forgets the save it made
  }
}

/** The file and bytes of gateFile's last read that a hand-over may name (`vouchedFor`). */
let vouchedName: string | undefined;
let vouchedBytes: Buffer | string | undefined;

/**
 * Whether a read's bytes may stand as checked bytes: its fd passed the kernel's check, or nothing refuses a
 * file that fails it (no RF bit, and no context of this thread forces RF), where secnode runs every readable
 * file. Neither depends on the context a caller passes, which program code can make up.
 */
function vouches(result: CheckResult): boolean {
  if (result.outcome === 'allowed') return true;
  if (forcesRestrictFile()) return false;
  try {
    return (readSecurebits() & SECBIT_EXEC_RESTRICT_FILE) === 0;
  } catch {
    return false;
  }
}

/**
 * True when `source` is what gateFile last read for `filename` and vouched for. The hand-over records
 * (handover.ts) name only such bytes: secnode's shared code is reachable by program code (a hooks module can
 * require it), so a record it makes up must not pass for checked bytes.
 */
export function vouchedFor(filename: string, source: unknown): boolean {
  return vouchedBytes !== undefined && vouchedName === filename && vouchedBytes === source;
}

/** The file gateFile just let Node read because secnode could not open it: decided and recorded once. */
let unopened: string | undefined;

/** A file secnode could not open, as a failed check with the open's errno (ENOENT when it has none). */
function openFailed(e: unknown): CheckResult {
  const errno = (e as { errno?: unknown } | null)?.errno;
  return { errno: typeof errno === 'number' && errno < 0 ? -errno : 2, outcome: 'failed', emulated: false };
}

/** Checks an open code file (or takes the result of its check at start-up), records the decision, and throws when it is refused. */
export function gateOpenFd(ctx: Context, fd: number, filename: string, subject: Subject, parent?: string, checked?: CheckResult): CheckResult {
  const result = checked ?? checkOpenFd(fd, filename, ctx.settings.emulate);
  decideFile(ctx, filename, subject, parent, result);
  return result;
}

/** Records the decision on a code file's check result and throws when it is refused. */
function decideFile(ctx: Context, filename: string, subject: Subject, parent: string | undefined, result: CheckResult): void {
  const decision = judge(ctx, 'file', subject, { path: filename }, result, parent);
  if (decision.verdict === 'refuse') throw mapStack(refusal(ctx, filename, decision, result));
}

/**
 * Decides on a file checked without reading it: records only failures (`withPermissive`: also those
 * that are merely recorded), so a later gate's record stays the only one for a file that runs.
 */
function settle(ctx: Context, name: string, subject: Subject, result: CheckResult, withPermissive: boolean): void {
  const decision = decide('file', ctx.bits, result.outcome, ctx.settings.forced);
  if (decision.verdict === 'run' || (decision.verdict === 'record' && !withPermissive)) return;
  record(ctx, 'file', subject, { path: name }, result, decision);
  if (decision.verdict === 'refuse') throw mapStack(refusal(ctx, name, decision, result));
}

/**
 * Checks a file without reading it (the bytes are read by a later gate): the entry at start-up, and on
 * Node 20 a CommonJS file imported from ESM, which must be refused in the import itself.
 */
export function gateCheckOnly(ctx: Context, filename: string, subject: Subject, fd?: number): CheckResult {
  let own: number;
  try {
    own = fd === undefined ? openForCheck(filename) : fd;
  } catch (e) {
    const result = openFailed(e);
    settle(ctx, filename, subject, result, false);
    return result;
  }
  try {
    const result = checkOpenFd(own, filename, ctx.settings.emulate);
    settle(ctx, filename, subject, result, false);
    return result;
  } finally {
    if (fd === undefined) closeSync(own);
  }
}

/** Checks an already-open stream (e.g. stdin) or a non-regular entry; throws when refused. */
export function gateStream(ctx: Context, fd: number, name: string, kind: 'stream' | 'path-stream',
  subject: Subject): void {
  const result = checkOpenFd(fd, name, ctx.settings.emulate);
  const decision = judge(ctx, kind, subject, { path: name }, result);
  if (decision.verdict !== 'refuse') return;
  throw kind === 'path-stream' && decision.rule?.includes('RESTRICT_FILE')
    ? refusal(ctx, name, decision, result)
    : interactiveDenied(name, ctx.hex, decision.rule ?? '', result.errno);
}

/** Decides on inline code (`-e`, `-p`, `-i`, data: URLs on the command line); throws when refused. */
export function gateInline(ctx: Context, source: string, subject: Subject): void {
  const decision = judge(ctx, 'inline', subject, { source }, null);
  if (decision.verdict === 'refuse') throw interactiveDenied(source, ctx.hex, decision.rule ?? '');
}

/** Decides on code generated at run time (`eval`, `new Function`, `vm`, worker eval, `data:` imports). */
export function gateGenerated(ctx: Context, source: string): void {
  const decision = judge(ctx, 'generated', 'generated', { source }, null);
  if (decision.verdict === 'refuse') throw mapStack(generatedDenied(source, ctx.hex));
}

/** Records code generated at run time that runs because hardening is off (the preview), with its call site. */
export function recordGenerated(ctx: Context, source: string, site: string): void {
  record(ctx, 'generated', 'generated', { source }, null, PREVIEW_GENERATED, site);
}

/**
 * Checks the file that code supplied by someone else (a transpiler, a later hook, a direct
 * `_compile`) is attributed to; under enforcement a file that fails, or no file at all, is refused.
 */
export function gateAttributed(ctx: Context, filename: unknown, subject: Subject): void {
  const name = typeof filename === 'string' ? filename : String(filename);
  // Node's own read of a file gateFile could not open, compiled next: that file was decided there.
  if (unopened !== undefined && unopened === filename) {
    unopened = undefined;
    return;
  }
  let result: CheckResult = { errno: 2, outcome: 'failed', emulated: false };
  if (typeof filename === 'string' && isAbsolute(filename)) {
    try {
      const fd = openForCheck(filename);
      try {
        result = checkOpenFd(fd, filename, ctx.settings.emulate);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      result = openFailed(e);
    }
  }
  settle(ctx, name, subject, result, true);
}
