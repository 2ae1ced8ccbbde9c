// secnode's async hooks, run in Node's hooks thread: the backend for Node 20 (and 22 before 22.22.3),
// and on every version the first hooks of a hooks thread the program starts with `module.register`.
import { pathOfFileUrl } from '../../src/file-url.js';
import { contextFrom, type Context, type ContextData } from '../context.js';
import { gateCheckOnly, gateFile, gateGenerated } from '../gate/gate.js';
import { previewGenerated } from '../guards/generated-preview.js';
import { handOver, sameBytes } from '../gate/handover.js';
import { gateSupplied } from '../gate/supplied.js';
import { subjectOf } from '../gate/subject.js';
import { guardHooksThread } from './hooks-thread.js';

interface LoadResult { format?: string | null | undefined; source?: unknown; shortCircuit?: boolean }
interface LoadContext { format?: string | null | undefined }

let given: ContextData | undefined;
let made: Context | undefined;

/**
 * The policy, made at its first use: the bundle loads the shared code in this thread only then, so a thread
 * that never loads a module (a CommonJS program under the bits, on Node 20) never pays for it.
 */
function policy(): Context {
  if (given === undefined) throw new Error('secnode: hooks used before initialize');
  return made ??= contextFrom(given);
}

/**
 * Receives the main thread's policy inputs (once: a program that registers this module again with data of its
 * own changes nothing) and guards this hooks thread, unless only secnode runs there yet.
 */
export async function initialize(data: ContextData): Promise<void> {
  given ??= data;
  if (data.guardThread !== false) guardHooksThread(policy());
}

/** Hands Node the checked bytes of every file-backed ESM (and wasm) module; CommonJS goes to the CJS layer. */
export async function load(url: string, context: LoadContext,
  nextLoad: (url: string, context: LoadContext) => Promise<LoadResult>): Promise<LoadResult> {
  const ctx = policy();
  if (!url.startsWith('file:')) {
    if (ctx.settings.forced.hardenGenerated && !url.startsWith('node:')) gateGenerated(ctx, url.slice(0, 64));
    else if (!url.startsWith('node:')) previewGenerated(ctx, url.slice(0, 64), [url]);
    return nextLoad(url, context);
  }
  const filename = pathOfFileUrl(url);
  // With loader modules (`--loader`) below these hooks, every load reaches them first.
  if (context.format === 'module' && !ctx.loaders) {
    const source = gateFile(ctx, filename, subjectOf(ctx, filename, 'import'));
    if (source === undefined) return nextLoad(url, context);
    handOver(filename, source);
    return { format: 'module', source, shortCircuit: true };
  }
  const result = await nextLoad(url, context);
  if (result.format === 'json' || result.format === 'builtin' || result.format === 'addon') return result;
  if (result.format === 'commonjs' && result.source == null) {
    // The CommonJS layer reads and runs it on the main thread; refuse it here already, so the import
    // itself rejects (Node 20 reports a CommonJS file that throws while loading here twice).
    gateCheckOnly(ctx, filename, subjectOf(ctx, filename, 'import'));
    return result;
  }
  const subject = subjectOf(ctx, filename, 'import');
  const source = gateFile(ctx, filename, subject);
  if (source === undefined) return result;
  // What loader modules answer, when it is not the file's bytes, is code supplied for this file, which just passed.
  if (ctx.loaders && result.source != null && !sameBytes(result.source, source)) {
    if (ctx.settings.forced.hardenGenerated) gateSupplied(ctx, filename, subject);
    return result;
  }
  handOver(filename, source);
  return { ...result, source };
}
