// Native addons (.node): checked through an fd, and the library mapped is the file that was checked,
// together with the shared libraries the addon brings along (see addon-libs.ts).
import { enforcingRule } from '../../src/policy.js';
import type { Context } from '../context.js';
import { replace } from './patch.js';
import type { Dlopen, Opener } from './shared-object.js';
import { nativeObjects } from '../lazy.js';
import { parentFileOf } from '../gate/subject.js';

/** Node's own process.dlopen, for the other native loaders' libraries (set when the guard is installed). */
export let nodeDlopen: Dlopen | undefined;

/**
 * Patches process.dlopen (require of .node, import of addons, direct calls): open, check, load the
 * addon's own libraries checked, then map the checked fd. Without file enforcement, a load the fd
 * route cannot reproduce falls back to Node's own dlopen of the path, so the addon loads as under node.
 */
export function guardAddons(ctx: Context): void {
  const original = process.dlopen as Dlopen;
  nodeDlopen = original;
  const restrictFile = enforcingRule('file', ctx.bits, ctx.settings.forced);
  const opener: Opener = { ctx, dlopen: original, restrictFile };
  const secnodeDlopen = function dlopen(this: unknown, ...args: Parameters<Dlopen>): void {
    const [module, filename, ...rest] = args;
    if (typeof filename !== 'string') return Reflect.apply(original, this, args); // Node's own type error
    if (!filename.includes('/')) {
      // A bare name is looked up by the dynamic linker (LD_LIBRARY_PATH, ld.so.cache): no file to check.
      if (!restrictFile) return Reflect.apply(original, this, args);
      throw nativeObjects().uncheckable(ctx, 'addon', filename, 'a name without a slash is looked up by the dynamic linker and cannot be checked',
        'hint: load the addon by its path', restrictFile);
    }
    const objects = nativeObjects();
    const parent = parentFileOf(ctx, module);
    const flags = typeof rest[0] === 'number' ? rest[0] : objects.RTLD_LAZY;
    let names: readonly string[] = [];
    let mapping = false;
    try {
      // Node reads `module` before it maps anything: with no module, map nothing of the addon's.
      const object = module == null ? undefined : objects.openChecked(opener, filename, 'addon', parent, flags);
      if (object === undefined) return Reflect.apply(original, this, args);
      try {
        names = object.names;
        mapping = true;
        Reflect.apply(original, this, [module, object.name, ...rest]);
      } finally {
        object.close();
      }
    } catch (err) {
      if (restrictFile !== null) {
        if (err instanceof objects.NotMatchable) {
          throw objects.uncheckable(ctx, 'addon', filename, `the libraries it needs cannot be checked: ${err.message}`,
            'hint: give each library the addon needs a DT_SONAME equal to the name it is needed by (see docs/threat-model.md, "Side doors": native addons)', restrictFile);
        }
        throw objects.renamed(err, names, filename);
      }
      // No file enforcement: an error from the addon's own initialiser is the addon's; anything else
      // means the fd route could not reproduce Node's load, so Node loads the path itself.
      if (mapping && (err as { code?: unknown } | null)?.code !== 'ERR_DLOPEN_FAILED') throw objects.renamed(err, names, filename);
      return Reflect.apply(original, this, args);
    }
  };
  replace(process, 'dlopen', secnodeDlopen);
}
