// `secnodectl exec`: set exec securebits (locked unless --no-lock) and replace this process with CMD.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import {
  SECBIT_EXEC_DENY_INTERACTIVE, SECBIT_EXEC_DENY_INTERACTIVE_LOCKED,
  SECBIT_EXEC_RESTRICT_FILE, SECBIT_EXEC_RESTRICT_FILE_LOCKED,
} from '../src/constants.js';
import { errnoName, errnoWords } from '../src/errno.js';
import { execv, probeCheck, readSecurebits, SyscallError, writeSecurebits } from '../src/kernel.js';
import { decodeBits } from '../src/securebits.js';
import { readSettings } from '../src/settings.js';
import { withSelfFirst } from '../loader/self-first.js';

/** Parsed `exec` arguments. */
export interface ExecOptions {
  readonly restrictFile: boolean;
  readonly denyInteractive: boolean;
  readonly lock: boolean;
  /** Strengthen-only SECNODE_* settings to export to CMD. */
  readonly settings: Readonly<Record<string, string>>;
  readonly command: readonly string[];
}

/** Options that export a strengthen-only setting to CMD (validated like the variables themselves). */
const SETTING_FLAGS: Readonly<Record<string, string>> = {
  '--harden-generated': 'SECNODE_HARDEN_GENERATED',
  '--emulate-check': 'SECNODE_EMULATE_CHECK',
};

/** Parses `[--restrict-file] [--deny-interactive] [--no-lock] [--harden-generated] [--emulate-check] [--audit=SINKS] -- CMD…`. */
export function parseExec(args: readonly string[]): ExecOptions {
  let restrictFile = false;
  let denyInteractive = false;
  let lock = true;
  const settings: Record<string, string> = {};
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--') { i++; break; }
    const setting = SETTING_FLAGS[a];
    if (a === '--restrict-file') restrictFile = true;
    else if (a === '--deny-interactive') denyInteractive = true;
    else if (a === '--no-lock') lock = false;
    else if (setting !== undefined) settings[setting] = '1';
    else if (a.startsWith('--audit=')) settings.SECNODE_AUDIT = a.slice('--audit='.length);
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else break;
  }
  readSettings(settings);
  const command = args.slice(i);
  if (command.length === 0) throw new Error('missing command: secnodectl exec [options] -- CMD [ARGS…]');
  return { restrictFile, denyInteractive, lock, settings, command };
}

/** Finds CMD the way a shell does (a name with a slash is a path; otherwise PATH). */
export function findCommand(name: string, path = process.env.PATH ?? '/usr/bin:/bin'): string {
  const candidates = name.includes('/') ? [name] : path.split(delimiter).filter(Boolean).map((d) => join(d, name));
  let found: string | undefined;
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue;
      found ??= c;
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      continue;
    }
  }
  throw new Error(found ? `command not executable: ${found}` : `command not found: ${name}`);
}

/**
 * Whether this secnodectl already runs under enforcement (bits inherited, or a forcing setting): then CMD gets
 * secnode first in NODE_OPTIONS, as every Node child of a secnode process does, so `exec` cannot start a Node
 * without it.
 */
function enforcingAtStart(): boolean {
  try {
    const bits = decodeBits(readSecurebits());
    const { forced } = readSettings(process.env);
    return bits.restrictFile || bits.denyInteractive || forced.restrictFile || forced.denyInteractive;
  } catch {
    return true; // bits that cannot be read or an invalid setting: fail closed
  }
}

/** Sets the bits and execs; returns only with an error message (and the exit status to use). */
export function runExec(opts: ExecOptions): { status: number; message: string } {
  let file: string;
  try {
    file = findCommand(opts.command[0] ?? '');
  } catch (e) {
    return { status: (e as Error).message.startsWith('command not found') ? 127 : 126, message: (e as Error).message };
  }
  if ((opts.restrictFile || opts.denyInteractive) && probeCheck() === 22) {
    return { status: 1, message: 'this kernel does not support AT_EXECVE_CHECK and the exec securebits (Linux 6.14+ needed); '
      + 'use SECNODE_RESTRICT_FILE=1 / SECNODE_DENY_INTERACTIVE=1 with SECNODE_EMULATE_CHECK=1 instead' };
  }
  if (enforcingAtStart()) process.env.NODE_OPTIONS = withSelfFirst(process.env.NODE_OPTIONS);
  Object.assign(process.env, opts.settings);
  const want = (opts.restrictFile ? SECBIT_EXEC_RESTRICT_FILE | (opts.lock ? SECBIT_EXEC_RESTRICT_FILE_LOCKED : 0) : 0)
    | (opts.denyInteractive ? SECBIT_EXEC_DENY_INTERACTIVE | (opts.lock ? SECBIT_EXEC_DENY_INTERACTIVE_LOCKED : 0) : 0);
  try {
    const current = readSecurebits();
    if ((current | want) !== current) writeSecurebits(current | want);
  } catch (e) {
    const errno = e instanceof SyscallError ? e.errno : 0;
    return { status: 1, message: `cannot set securebits: ${errnoName(errno)}: ${errno === 1 ? 'a locked bit cannot change, or the process may not set these bits' : errnoWords(errno)}` };
  }
  const errno = execv(file, opts.command);
  return { status: errno === 2 ? 127 : 126, message: `cannot execute ${file}: ${errnoName(errno)}: ${errnoWords(errno)}` };
}
