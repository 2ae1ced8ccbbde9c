// Native addons (.node): checked through an fd, and the library mapped is the file that was checked.
import { closeSync } from 'node:fs';
import { openForCheck } from '../../src/check.js';
import { SecnodeError } from '../../src/errors.js';
import { enforcingRule } from '../../src/policy.js';
import type { Context } from '../context.js';
import { replace } from './patch.js';
import { gateAttributed, gateOpenFd } from '../gate/gate.js';
import { mapStack } from '../stack.js';

type Dlopen = (module: unknown, filename: string, flags?: number) => void;

/**
 * The loader matches a library by the name it was opened under before it looks at the file, so a
 * reused `/proc/self/fd/N` would return the library loaded earlier through fd N. Every name is made
 * unique with `./` segments the kernel ignores.
 */
const usedNames = new Set<string>();
function fdName(fd: number): string {
  let name = `/proc/self/fd/${fd}`;
  for (let k = 1; usedNames.has(name); k++) name = `/proc/self/${'./'.repeat(k)}fd/${fd}`;
  usedNames.add(name);
  return name;
}

/** Patches process.dlopen (require of .node, import of addons, direct calls): open, check, map that fd. */
export function guardAddons(ctx: Context): void {
  const original = process.dlopen as Dlopen;
  const restrictFile = enforcingRule('file', ctx.bits, ctx.settings.forced);
  const secnodeDlopen = function dlopen(this: unknown, ...args: Parameters<Dlopen>): void {
    const [module, filename, ...flags] = args;
    if (typeof filename !== 'string') return Reflect.apply(original, this, args); // Node's own type error
    if (!filename.includes('/')) {
      // A bare name is looked up by the dynamic linker (LD_LIBRARY_PATH, ld.so.cache): no file to check.
      if (!restrictFile) return Reflect.apply(original, this, args);
      throw mapStack(new SecnodeError('ERR_SECNODE_EXEC_DENIED',
        `secnode: refused to load addon ${filename}: a name without a slash is looked up by the dynamic linker and cannot be checked (enforced by ${restrictFile})`,
        'hint: load the addon by its path', { path: filename, errno: null, securebits: ctx.hex }));
    }
    let fd: number;
    try {
      fd = openForCheck(filename);
    } catch {
      // Nothing to map: Node reports the missing file itself; under enforcement, refuse (it may appear).
      if (restrictFile) gateAttributed(ctx, filename, 'addon');
      return Reflect.apply(original, this, args);
    }
    try {
      const parent = (module as { parent?: { filename?: unknown } | null } | null)?.parent?.filename;
      gateOpenFd(ctx, fd, filename, 'addon', ctx.auditor.active && typeof parent === 'string' ? parent : undefined);
      const name = fdName(fd);
      try {
        Reflect.apply(original, this, [module, name, ...flags]);
      } catch (err) {
        // Node's own error (ERR_DLOPEN_FAILED), naming the file the caller asked for.
        if (err instanceof Error) {
          err.message = err.message.split(name).join(filename);
          if (typeof err.stack === 'string') err.stack = err.stack.split(name).join(filename);
        }
        throw err;
      }
    } finally {
      closeSync(fd);
    }
  };
  replace(process, 'dlopen', secnodeDlopen);
}
