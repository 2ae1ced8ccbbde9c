// Native addons (.node): checked through an fd, and the library mapped is the file that was checked,
// together with the shared libraries the addon brings along (see addon-libs.ts).
import { closeSync } from 'node:fs';
import { openForCheck } from '../../src/check.js';
import { ElfError, type ElfDynamic } from '../../src/elf.js';
import { SecnodeError } from '../../src/errors.js';
import { enforcingRule } from '../../src/policy.js';
import type { Context } from '../context.js';
import { replace } from './patch.js';
import { gateAttributed, gateOpenFd } from '../gate/gate.js';
import { mapStack } from '../stack.js';
import { elfOf, loadNeeded, NotMatchable, type LibraryLoader } from './addon-libs.js';

type Dlopen = (module: unknown, filename: string, flags?: number) => void;

/** Node's default dlopen flags (RTLD_LAZY). */
const RTLD_LAZY = 1;

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

/** A load that cannot be checked under file enforcement. */
function uncheckable(ctx: Context, path: string, why: string, hint: string, rule: string): SecnodeError {
  return mapStack(new SecnodeError('ERR_SECNODE_EXEC_DENIED', `secnode: refused to load addon ${path}: ${why} (enforced by ${rule})`,
    hint, { path, errno: null, securebits: ctx.hex, rule }));
}

/** Node's own error for a mapping, naming the file the caller asked for instead of the fd. */
function renamed(err: unknown, names: readonly string[], filename: string): unknown {
  if (err instanceof Error) {
    for (const name of names) {
      err.message = err.message.split(name).join(filename);
      if (typeof err.stack === 'string') err.stack = err.stack.split(name).join(filename);
    }
  }
  return err;
}

/**
 * Patches process.dlopen (require of .node, import of addons, direct calls): open, check, load the
 * addon's own libraries checked, then map the checked fd. Without file enforcement, a load the fd
 * route cannot reproduce falls back to Node's own dlopen of the path, so the addon loads as under node.
 */
export function guardAddons(ctx: Context): void {
  const original = process.dlopen as Dlopen;
  const restrictFile = enforcingRule('file', ctx.bits, ctx.settings.forced);
  const secnodeDlopen = function dlopen(this: unknown, ...args: Parameters<Dlopen>): void {
    const [module, filename, ...rest] = args;
    if (typeof filename !== 'string') return Reflect.apply(original, this, args); // Node's own type error
    if (!filename.includes('/')) {
      // A bare name is looked up by the dynamic linker (LD_LIBRARY_PATH, ld.so.cache): no file to check.
      if (!restrictFile) return Reflect.apply(original, this, args);
      throw uncheckable(ctx, filename, 'a name without a slash is looked up by the dynamic linker and cannot be checked',
        'hint: load the addon by its path', restrictFile);
    }
    let fd: number;
    try {
      fd = openForCheck(filename);
    } catch {
      // Nothing to map: Node reports the missing file itself; under enforcement, refuse (it may appear).
      if (restrictFile) gateAttributed(ctx, filename, 'addon');
      return Reflect.apply(original, this, args);
    }
    const names: string[] = [];
    let mapping = false;
    try {
      const parent = (module as { parent?: { filename?: unknown } | null } | null)?.parent?.filename;
      gateOpenFd(ctx, fd, filename, 'addon', ctx.auditor.active && typeof parent === 'string' ? parent : undefined);
      const flags = typeof rest[0] === 'number' ? rest[0] : RTLD_LAZY;
      const mapFd = (libFd: number, libFlags: number): void => {
        const name = fdName(libFd);
        names.push(name);
        Reflect.apply(original, process, [{ exports: {} }, name, libFlags]);
      };
      const loader: LibraryLoader = {
        ctx, mapFd, enforcing: restrictFile !== null,
        map: (name, libFlags) => Reflect.apply(original, process, [{ exports: {} }, name, libFlags]),
      };
      let elf: ElfDynamic | undefined;
      try {
        elf = elfOf(fd);
      } catch (err) {
        if (err instanceof ElfError) throw new NotMatchable(`its ELF headers cannot be read (${err.message})`);
        throw err;
      }
      if (elf !== undefined && module != null) loadNeeded(loader, { path: filename, elf, loaders: [] }, flags, new Set());
      mapping = true;
      const name = fdName(fd);
      names.push(name);
      Reflect.apply(original, this, [module, name, ...rest]);
    } catch (err) {
      if (restrictFile !== null) {
        if (err instanceof NotMatchable) {
          throw uncheckable(ctx, filename, `the libraries it needs cannot be checked: ${err.message}`,
            'hint: give the library a DT_SONAME equal to the name the addon needs (see the README, "Native addons")', restrictFile);
        }
        throw renamed(err, names, filename);
      }
      // No file enforcement: an error from the addon's own initialiser is the addon's; anything else
      // means the fd route could not reproduce Node's load, so Node loads the path itself.
      if (mapping && (err as { code?: unknown } | null)?.code !== 'ERR_DLOPEN_FAILED') throw renamed(err, names, filename);
      return Reflect.apply(original, this, args);
    } finally {
      closeSync(fd);
    }
  };
  replace(process, 'dlopen', secnodeDlopen);
}
