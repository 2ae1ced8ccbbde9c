// The hardening preview: with records on and SECNODE_HARDEN_GENERATED off, code generated at run time runs
// and is recorded (verdict `record`) once per kind, call site and source (the Function constructors: per
// call site), so that `report` can say which packages generate code before hardening refuses it. A
// template engine compiling per request records once.
import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from '../context.js';
import { recordGenerated } from '../gate/gate.js';
import { REGISTER_FILE } from '../self-first.js';

/** secnode's own files (the bundles beside register.cjs): frames there are not the call site. */
const OWN = dirname(REGISTER_FILE) + sep;
/** Kinds, call sites and sources already recorded; cleared when full, so memory stays bounded. */
const seen = new Set<string>();
const SEEN_MAX = 10_000;

/** The program's frame that generated the code: `file:line:column`, or `(unknown)`. */
function callSite(): string {
  const previous = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  try {
    Error.stackTraceLimit = 30;
    Error.prepareStackTrace = (_e, frames) => frames;
    Error.captureStackTrace(holder, callSite);
    for (const frame of holder.stack ?? []) {
      let file = frame.getFileName() ?? frame.getEvalOrigin() ?? '';
      if (file.startsWith('file://')) {
        try { file = fileURLToPath(file); } catch { /* keep the URL */ }
      }
      if (file === '' || file.startsWith(OWN) || file.startsWith('node:')) continue;
      return `${file.slice(0, 1024)}:${frame.getLineNumber() ?? 0}:${frame.getColumnNumber() ?? 0}`;
    }
    return '(unknown)';
  } catch {
    return '(unknown)';
  } finally {
    Error.prepareStackTrace = previous;
    Error.stackTraceLimit = limit;
  }
}

/** A 53-bit hash of the source strings (a dedup key, not a security boundary); values that are not strings are not converted (that could run their code twice). */
function sourceHash(code: readonly unknown[]): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (const part of code) {
    const s = typeof part === 'string' ? part : `\0${typeof part}`;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    h1 = Math.imul(h1 ^ 0x2c, 2654435761);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/** Records one generation of code in the preview (`source` says how: `new Function`, `vm.Script`…; `code` is what it compiles). */
export function previewGenerated(ctx: Context, source: string, code: readonly unknown[]): void {
  if (!ctx.auditor.active) return;
  const site = callSite();
  const key = `${source}\0${site}\0${sourceHash(code)}`;
  if (seen.has(key)) return;
  if (seen.size >= SEEN_MAX) seen.clear();
  seen.add(key);
  recordGenerated(ctx, source, site);
}
