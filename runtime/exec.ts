// `secnodectl exec`: set exec securebits (locked unless --no-lock) and replace this process with CMD.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import {
  SECBIT_EXEC_DENY_INTERACTIVE, SECBIT_EXEC_DENY_INTERACTIVE_LOCKED,
  SECBIT_EXEC_RESTRICT_FILE, SECBIT_EXEC_RESTRICT_FILE_LOCKED,
} from '../src/constants.js';
import { errnoName, errnoWords } from '../src/errno.js';
import { execv, probeCheck, readSecurebits, SyscallError, writeSecurebits } from '../src/kernel.js';

/** Parsed `exec` arguments. */
export interface ExecOptions {
  readonly restrictFile: boolean;
  readonly denyInteractive: boolean;
  readonly lock: boolean;
  readonly command: readonly string[];
}

/** Parses `[--restrict-file] [--deny-interactive] [--no-lock] -- CMD [ARGS…]`; throws a usage message. */
export function parseExec(args: readonly string[]): ExecOptions {
  let restrictFile = false;
  let denyInteractive = false;
  let lock = true;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--') { i++; break; }
    if (a === '--restrict-file') restrictFile = true;
    else if (a === '--deny-interactive') denyInteractive = true;
    else if (a === '--no-lock') lock = false;
    else if (a?.startsWith('-')) throw new Error(`unknown option ${a}`);
    else break;
  }
  const command = args.slice(i);
  if (command.length === 0) throw new Error('missing command: secnodectl exec [--restrict-file] [--deny-interactive] [--no-lock] -- CMD [ARGS…]');
  return { restrictFile, denyInteractive, lock, command };
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

/** Sets the bits and execs; returns only with an error message (and the exit status to use). */
export function runExec(opts: ExecOptions): { status: number; message: string } {
  let file: string;
  try {
    file = findCommand(opts.command[0] ?? '');
  } catch (e) {
    return { status: (e as Error).message.startsWith('command not found') ? 127 : 126, message: (e as Error).message };
  }
  if (probeCheck() === 22) {
    return { status: 1, message: 'this kernel does not support AT_EXECVE_CHECK and the exec securebits (Linux 6.14+ needed)' };
  }
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
