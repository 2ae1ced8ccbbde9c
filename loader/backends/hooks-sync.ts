// Backend for Node with working synchronous hooks (22.22.3+, 24+): module.registerHooks.
import { pathOfFileUrl } from '../../src/file-url.js';
import { ownFileLoad } from '../gate/own-load.js';
import type { Context } from '../context.js';
import { gateFile, gateGenerated } from '../gate/gate.js';
import { previewGenerated } from '../guards/generated-preview.js';
import type { OnBuiltin } from '../guards/guards.js';
import { handOver, handOverCommonJs, hasProgramHooks, hasUserAsyncHooks, noteUserAsyncHooks, sameBytes } from '../gate/handover.js';
import { subjectOf } from '../gate/subject.js';
import { gateSupplied } from '../gate/supplied.js';
import { loadResultsNameReload, parseNodeVersion, testMocksInHooksThread } from '../../src/node-features.js';
import { flagOn } from '../../src/options.js';
import { ownRequire } from '../../src/own-require.js';
import { installDirectCommonJs } from './cjs-direct.js';
import { installNodeReads } from './node-reads.js';
import { programReadsFiles } from './program-reads.js';

interface LoadResult {
  format?: string | null | undefined; source?: unknown; shortCircuit?: boolean; responseURL?: string; shouldBeReloadedByCJSLoader?: boolean;
}
interface LoadContext { format?: string | null | undefined; conditions?: readonly string[] }
interface ResolveContext { parentURL?: string | undefined }
interface SyncHooks {
  resolve?: (s: string, c: ResolveContext, n: (s: string, c: ResolveContext) => { url: string }) => { url: string };
  load: (url: string, c: LoadContext, n: (url: string, c: LoadContext) => LoadResult) => LoadResult;
}
interface Hooks { registerHooks(hooks: SyncHooks): { deregister(): void } }

/** Formats the hooks pass through: data (never checked) and addons (checked by the process.dlopen guard). */
export const DATA_FORMATS: ReadonlySet<unknown> = new Set(['json', 'builtin', 'addon']);
/** Formats whose source secnode can hand over without Node's own load step. */
const CODE_FORMATS: ReadonlySet<string> = new Set(['module', 'commonjs', 'module-typescript', 'commonjs-typescript']);
/** Node 22 wants the fields its own load result carries on an `import` (loadResultsNameReload in src/node-features.ts). */
const namesReload = loadResultsNameReload(parseNodeVersion(process.versions.node));

/**
 * Remembers what secnode gave Node for a file. An import's CommonJS source may still be dropped above this
 * hook (a program's hook returning no source): Node then reads the file again by path, and that read gets
 * the same checked text (backends/node-reads.ts).
 */
function handOverAll(filename: string, format: unknown, source: string | Buffer, imported: boolean): void {
  if (format === undefined || format === 'commonjs' || format === 'commonjs-typescript') {
    handOverCommonJs(filename, source, imported);
  }
  handOver(filename, source);
}

/** Whether node:test's module mocks may be registered below secnode's hook (Node 22, with the option that enables them). */
function mocksBelow(): boolean {
  return testMocksInHooksThread(parseNodeVersion(process.versions.node))
    && flagOn('--experimental-test-module-mocks', process.execArgv, process.env.NODE_OPTIONS, false);
}

/** Registers the in-thread load hook that replaces each file's source with the checked bytes. */
export function installSyncHooks(ctx: Context, onBuiltin: OnBuiltin): void {
  const { registerHooks } = ownRequire('node:module') as Hooks;
  const parents = new Map<string, string>();
  const hardened = ctx.settings.forced.hardenGenerated;
  // Loader modules (`--loader`), and Node 22's test module mocks, are async hooks below this one: every load must reach them.
  if (ctx.loaders || mocksBelow()) noteUserAsyncHooks();
  const hooks: SyncHooks = {
    ...(ctx.auditor.active ? {
      resolve(specifier, context, nextResolve) {
        const result = nextResolve(specifier, context);
        if (context.parentURL?.startsWith('file:')) parents.set(result.url, pathOfFileUrl(context.parentURL));
        return result;
      },
    } : {}),
    load(url, context, nextLoad) {
      if (url.startsWith('node:')) {
        onBuiltin(url);
        return nextLoad(url, context);
      }
      if (!url.startsWith('file:')) {
        // data:, and whatever a program's own hooks make of a URL: code with no file.
        if (hardened) gateGenerated(ctx, url.slice(0, 64));
        else previewGenerated(ctx, url.slice(0, 64), [url]);
        return nextLoad(url, context);
      }
      const filename = pathOfFileUrl(url);
      // secnode's own files during its own load (a lazy chunk, the stack mapper): the interpreter, not code to check.
      if (ownFileLoad(filename)) return nextLoad(url, context);
      const viaRequire = context.conditions?.includes('require') === true;
      const subject = subjectOf(ctx, filename, viaRequire ? 'require' : 'import');
      const format = context.format ?? undefined;
      // A require whose read Node would make through the program's fs.readFileSync: Node's own step reads.
      const programReads = viaRequire && programReadsFiles();
      const shortcut = !programReads && (viaRequire || (format !== undefined && CODE_FORMATS.has(format) && !hasUserAsyncHooks()));
      if (shortcut && !DATA_FORMATS.has(format)) {
        // The format is already known: skip Node's own read of the file, hand it the checked bytes.
        // The program's hooks above this one get what Node's own load gives an import: the file's bytes, not
        // text (tsx runs a CommonJS .ts file as an ES module when it gets text).
        const source = !viaRequire && hasProgramHooks() ? gateFile(ctx, filename, subject, parents.get(url))
          : gateFile(ctx, filename, subject, parents.get(url), true);
        if (source === undefined) return nextLoad(url, context);
        handOverAll(filename, format, source, !viaRequire);
        // An import's result names its URL, as Node's own does (tsx reads it); Node 22 also wants the reload flag.
        if (viaRequire) return { format, source, shortCircuit: true };
        return namesReload ? { format, source, shortCircuit: true, responseURL: url, shouldBeReloadedByCJSLoader: format === 'commonjs' }
          : { format, source, shortCircuit: true, responseURL: url };
      }
      const result = nextLoad(url, context);
      if (DATA_FORMATS.has(result.format)) return result;
      // CommonJS whose source nobody supplied (Node's own load, or the program's async hooks passing it
      // through): Node loads it with Module._load and reads it itself, as under node (with a source, Node
      // would run it with the ES module loader's own require). What Node compiles must be these bytes.
      const reload = result.source == null && result.format === 'commonjs';
      const text = typeof result.source === 'string' || reload;
      const source = text ? gateFile(ctx, filename, subject, parents.get(url), true) : gateFile(ctx, filename, subject, parents.get(url));
      if (source === undefined) return result;
      if (reload) {
        // Node reads the file again by path before it compiles it: those reads get the checked bytes.
        handOverCommonJs(filename, source as string, true);
        return result;
      }
      // Below this hook there is Node's own loader, or hooks the program registered with module.register,
      // or Node's read through the program's fs.readFileSync: when their bytes differ from the file's, they
      // are code attributed to this file, which just passed.
      if ((programReads || hasUserAsyncHooks()) && result.source != null && !sameBytes(result.source, source)) {
        if (hardened) gateSupplied(ctx, filename, subject);
        return result;
      }
      // An import's CommonJS source that came from below is compiled by Node's ES module loader itself, not by
      // Module.prototype._compile: only a require's is awaited there.
      if (viaRequire) handOverAll(filename, result.format, source, false);
      else handOver(filename, source);
      return { ...result, source };
    },
  };
  let handle = registerHooks(hooks);
  const reader = installNodeReads(ctx);
  // Without records (whose parents come from the resolve hook), CommonJS files skip Node's hook machinery.
  if (!ctx.auditor.active) {
    installDirectCommonJs({
      off: () => handle.deregister(),
      on: () => { handle = registerHooks(hooks); },
      spare: () => registerHooks(hooks).deregister(),
    }, reader);
  }
}
