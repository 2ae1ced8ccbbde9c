// Lets secnode load its own helper modules (already trusted like its own files) without gating them. Only
// secnode's own files pass unchecked during such a load: program code can run inside it (an accessor Node
// reads while loading), and whatever that code loads is gated as always.
import { dirname, sep } from 'node:path';
import { createRequire } from 'node:module';
import { ownRequire } from '../../src/own-require.js';

let depth = 0;
let ownDirs: readonly string[] | undefined;

/** secnode's package directory and those of the dependencies it loads as its own (source maps). */
function ownDirectories(): readonly string[] {
  const dirOf = (req: NodeJS.Require, pkg: string): string[] => {
    try {
      return [dirname(req.resolve(`${pkg}/package.json`)) + sep];
    } catch {
      return [];
    }
  };
  const sms = dirOf(ownRequire, 'source-map-support');
  const fromSms = sms[0] === undefined ? [] : [createRequire(sms[0])];
  return [...dirOf(ownRequire, 'secnode'), ...sms, ...fromSms.flatMap((r) => [...dirOf(r, 'source-map'), ...dirOf(r, 'buffer-from')])];
}

/** True while secnode itself is loading one of its own dependencies. */
export function ownLoad(): boolean {
  return depth > 0;
}

/** True while secnode loads its own code and `filename` is one of its own files (any other file is gated). */
export function ownFileLoad(filename: string): boolean {
  if (depth === 0) return false;
  ownDirs ??= ownDirectories();
  return ownDirs.some((d) => filename.startsWith(d));
}

/** Runs `fn` (synchronously) with the gate open for secnode's own loads. */
export function asOwnLoad<T>(fn: () => T): T {
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}
