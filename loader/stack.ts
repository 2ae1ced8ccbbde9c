// Maps the stack of secnode's own errors to its TypeScript sources, without touching other errors.
import { asOwnLoad } from './gate/own-load.js';
import { ownRequire } from '../src/own-require.js';

type WrapCallSite = (frame: NodeJS.CallSite) => NodeJS.CallSite;
let wrap: WrapCallSite | undefined;
let mapping = false;

/** Loads source-map-support now (before guards that would refuse code it generates while loading). */
export function preloadStackMapper(): void {
  try {
    wrap ??= asOwnLoad(() => (ownRequire('source-map-support') as { wrapCallSite: WrapCallSite }).wrapCallSite);
  } catch {
    // Stacks stay unmapped.
  }
}

/** Rewrites `err.stack` with source-mapped frames (loads source-map-support on first use). */
export function mapStack<E extends Error>(err: E): E {
  if (mapping) return err;
  mapping = true;
  try {
    preloadStackMapper();
    const previous = Error.prepareStackTrace;
    Error.prepareStackTrace = (e: Error, frames: NodeJS.CallSite[]) =>
      `${e.name} [${(e as { code?: string }).code ?? ''}]: ${e.message}${frames.map((f) => `\n    at ${String(wrap?.(f) ?? f)}`).join('')}`;
    try {
      Error.captureStackTrace(err, mapStack);
      void err.stack;
    } finally {
      Error.prepareStackTrace = previous;
    }
  } catch {
    // The plain stack is still there; mapping is a convenience.
  } finally {
    mapping = false;
  }
  return err;
}
