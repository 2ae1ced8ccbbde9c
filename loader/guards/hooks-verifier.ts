// Node 20: secnode's verifier, registered above async hooks the program registers with module.register.
// What those hooks answer for a file (their own source, short-circuiting secnode) is attributed to
// that file, which must pass the check under enforcement.
import { pathOfFileUrl } from '../../src/file-url.js';
import { contextFrom, type Context, type ContextData } from '../context.js';
import { gateSupplied } from '../gate/supplied.js';
import { takeHandedOver, watchHandOvers } from '../gate/handover.js';

interface LoadResult { format?: string | null | undefined; source?: unknown }

let ctx: Context | undefined;

/** Receives the main thread's policy inputs; from now on secnode's own hooks remember what they hand over. */
export async function initialize(data: ContextData): Promise<void> {
  ctx = contextFrom(data);
  watchHandOvers();
}

/** Lets the program's hooks answer, then checks the file their code is attributed to. */
export async function load(url: string, context: object,
  nextLoad: (url: string, context: object) => Promise<LoadResult>): Promise<LoadResult> {
  if (ctx === undefined) throw new Error('secnode: hooks used before initialize');
  const result = await nextLoad(url, context);
  if (!url.startsWith('file:') || result.format === 'json' || result.format === 'builtin' || result.source == null) return result;
  const filename = pathOfFileUrl(url);
  if (!takeHandedOver(filename, result.source)) gateSupplied(ctx, filename, 'import');
  return result;
}
