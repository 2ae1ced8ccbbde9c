// Opening a shared object for Node's native loaders (process.dlopen, sqlite extensions, OpenSSL engines,
// node:ffi): checked through its fd, its own libraries loaded checked, and the name that maps that fd.
import { closeSync } from '../../src/own-fs.js';
import { openForCheck } from '../../src/check.js';
import type { Subject } from '../../src/audit.js';
import { ElfError, type ElfDynamic } from '../../src/elf.js';
import { SecnodeError } from '../../src/errors.js';
import type { Context } from '../context.js';
import { gateAttributed, gateOpenFd } from '../gate/gate.js';
import { mapStack } from '../stack.js';
import { thread } from '../thread.js';
import { elfOf } from '../../src/ld-path.js';
import { loadNeeded, NotMatchable } from './addon-libs.js';
import { ownRequire } from '../../src/own-require.js';

/** Node's own process.dlopen. */
export type Dlopen = (module: unknown, filename: string, flags?: number) => void;

/** Node's default dlopen flags (RTLD_LAZY). */
export const RTLD_LAZY = 1;

let threadTag: string | undefined;
function tagOfThread(): string {
  if (thread() === 'main') return '';
  const { threadId } = ownRequire('node:worker_threads') as { threadId: number };
  return `${[...threadId.toString(2)].map((b) => (b === '1' ? './/' : './')).join('')}.///`;
}
const usedNames = new Set<string>();
/**
 * The loader matches a library by the name it was opened under before it looks at the file, so a
 * reused `/proc/self/fd/N` would return the library loaded earlier through fd N. Every name is made
 * unique in the process with `.` and `/` segments the kernel ignores: this thread's id in binary
 * (`./` for 0, `.//` for 1, then `.///`; nothing on the main thread), then `./` once per reuse.
 */
function fdName(fd: number): string {
  threadTag ??= tagOfThread();
  let name = `/proc/self/${threadTag}fd/${fd}`;
  for (let k = 1; usedNames.has(name); k++) name = `/proc/self/${threadTag}${'./'.repeat(k)}fd/${fd}`;
  usedNames.add(name);
  return name;
}

/** A shared object load that cannot be checked, under file enforcement. */
export function uncheckable(ctx: Context, what: string, path: string, why: string, hint: string, rule: string): SecnodeError {
  return mapStack(new SecnodeError('ERR_SECNODE_EXEC_DENIED', `secnode: refused to load ${what} ${path}: ${why} (enforced by ${rule})`,
    hint, { path, errno: null, securebits: ctx.hex, rule }));
}

/** Rewrites the fd names Node or a library put in an error message back to the file the caller named. */
export function renamed(err: unknown, names: readonly string[], filename: string): unknown {
  if (err instanceof Error) {
    for (const name of names) {
      err.message = err.message.split(name).join(filename);
      if (typeof err.stack === 'string') err.stack = err.stack.split(name).join(filename);
    }
  }
  return err;
}

/** An open, checked shared object: `name` maps the checked fd; `names` are every fd name used (for errors). */
export interface CheckedObject {
  readonly fd: number;
  readonly name: string;
  readonly elf: ElfDynamic | undefined;
  readonly names: string[];
  close(): void;
}

/** What opening a shared object needs: the context, Node's own dlopen and the enforcing rule (null: none). */
export interface Opener {
  readonly ctx: Context;
  readonly dlopen: Dlopen;
  readonly restrictFile: string | null;
}

/**
 * Opens `path`, checks its fd (throws when refused) and loads the libraries it brings along, checked
 * (`flags` as the caller's dlopen). Returns undefined when the file cannot be opened (the caller lets
 * Node report it; under enforcement it is refused here). Throws NotMatchable when its libraries cannot be
 * matched to checked copies (see addon-libs.ts).
 */
export function openChecked(o: Opener, path: string, subject: Subject, parent: string | undefined, flags: number): CheckedObject | undefined {
  let fd: number;
  try {
    fd = openForCheck(path);
  } catch {
    if (o.restrictFile) gateAttributed(o.ctx, path, subject);
    return undefined;
  }
  const names: string[] = [];
  try {
    gateOpenFd(o.ctx, fd, path, subject, o.ctx.auditor.active ? parent : undefined);
    let elf: ElfDynamic | undefined;
    try {
      elf = elfOf(fd);
    } catch (err) {
      throw err instanceof ElfError ? new NotMatchable(`its ELF headers cannot be read (${err.message})`) : err;
    }
    if (elf !== undefined) {
      loadNeeded({
        ctx: o.ctx,
        enforcing: o.restrictFile !== null,
        map: (name, libFlags) => Reflect.apply(o.dlopen, process, [{ exports: {} }, name, libFlags]),
        mapFd: (libFd, libFlags) => {
          const name = fdName(libFd);
          names.push(name);
          Reflect.apply(o.dlopen, process, [{ exports: {} }, name, libFlags]);
        },
      }, { path, elf, loaders: [] }, flags, { seen: new Set() });
    }
    const name = fdName(fd);
    names.push(name);
    return { fd, name, elf, names, close: () => closeSync(fd) };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}
