// TypeScript to JavaScript for the scan, with Node's own type stripping; its ExperimentalWarning is
// kept quiet for this call only (other warnings, and later calls by the program, are untouched).

type Strip = (source: string) => string;
import { ownRequire } from './own-require.js';

const strip = (ownRequire('node:module') as { stripTypeScriptTypes?: Strip }).stripTypeScriptTypes;

/** The JavaScript of a TypeScript file, or why it has none: Node without type stripping, or syntax stripping cannot remove. */
export function stripTypes(source: string): { js: string } | { error: string } {
  if (!strip) return { error: 'TypeScript needs Node 22.13+ to scan (module.stripTypeScriptTypes)' };
  try {
    return { js: quietly(() => strip(source)) };
  } catch (e) {
    const err = e as { code?: string; message?: string };
    return { error: `TypeScript that type stripping cannot handle: ${err.code ? `${err.code}: ` : ''}${(err.message ?? String(e)).split('\n')[0] ?? ''}` };
  }
}

/** Runs `f` with the ExperimentalWarning about type stripping dropped; any other warning goes through. */
function quietly<T>(f: () => T): T {
  const desc = Object.getOwnPropertyDescriptor(process, 'emitWarning');
  const original = process.emitWarning;
  if (!desc || !('value' in desc) || desc.writable !== true) return f();
  const filtered = function emitWarning(this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const text = typeof warning === 'string' ? warning : warning.message;
    const name = typeof warning === 'string' ? type : warning.name;
    if (name === 'ExperimentalWarning' && /stripTypeScriptTypes|type stripping/i.test(text)) return;
    Reflect.apply(original, this, [warning, ...rest]);
  };
  process.emitWarning = filtered as typeof process.emitWarning;
  try {
    return f();
  } finally {
    if (process.emitWarning === filtered) process.emitWarning = original;
  }
}
