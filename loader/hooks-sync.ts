// Backend for Node with working synchronous hooks (22.22.3+, 24+): module.registerHooks.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Subject } from '../src/audit.js';
import { ownLoad } from './bypass.js';
import type { Context } from './context.js';
import { gateFile } from './gate.js';
import { subjectOf } from './subject.js';

interface LoadResult { format?: string | null | undefined; source?: unknown; shortCircuit?: boolean }
interface LoadContext { format?: string | null | undefined; conditions?: readonly string[] }
interface ResolveContext { parentURL?: string | undefined }
interface Hooks {
  registerHooks(hooks: {
    resolve?: (s: string, c: ResolveContext, n: (s: string, c: ResolveContext) => { url: string }) => { url: string };
    load: (url: string, c: LoadContext, n: (url: string, c: LoadContext) => LoadResult) => LoadResult;
  }): unknown;
}

/** Formats that are data, not code: never checked. */
export const DATA_FORMATS: ReadonlySet<unknown> = new Set(['json', 'builtin']);

/** Registers the in-thread load hook that replaces each file's source with the checked bytes. */
export function installSyncHooks(ctx: Context): void {
  const { registerHooks } = createRequire(import.meta.url)('node:module') as Hooks;
  const parents = new Map<string, string>();
  registerHooks({
    ...(ctx.auditor.active ? {
      resolve(specifier, context, nextResolve) {
        const result = nextResolve(specifier, context);
        if (context.parentURL?.startsWith('file:')) parents.set(result.url, fileURLToPath(context.parentURL));
        return result;
      },
    } : {}),
    load(url, context, nextLoad) {
      const result = nextLoad(url, context);
      if (!url.startsWith('file:') || DATA_FORMATS.has(result.format) || ownLoad()) return result;
      const filename = fileURLToPath(url);
      const how: Subject = context.conditions?.includes('require') ? 'require' : 'import';
      const bytes = gateFile(ctx, filename, subjectOf(ctx, filename, how), parents.get(url));
      return { ...result, source: typeof result.source === 'string' ? bytes.toString('utf8') : bytes };
    },
  });
}
