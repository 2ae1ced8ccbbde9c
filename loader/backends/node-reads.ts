// fs.readFileSync as Node's loaders call it to read code: secnode's one wrapper of it, on both backends.
// secnode answers three kinds of those reads with the bytes it read from the fd it checked, so that what
// Node compiles is never a second read of the path: the read of the direct CommonJS route
// (backends/cjs-direct.ts, while secnode's hook is off), the read of the CommonJS layer's handler
// (backends/cjs-layer.ts, checked before the handler ran), and the reads Node makes of a CommonJS file an
// ES module imports when no hook gave its source (the reread of handover.ts). Every other call is Node's
// own function.
import type { Context } from '../context.js';
import { gateFile } from '../gate/gate.js';
import { awaitingRereads, handOverCommonJs, rereadOf } from '../gate/handover.js';
import { asideFor, hooksBack } from '../gate/hooks-aside.js';
import { subjectOf } from '../gate/subject.js';
import { wrapMethod } from '../guards/patch.js';
import { lowerStackLimit, raiseStackLimit } from '../guards/own-frames.js';
import { pathOfFileUrl } from '../../src/file-url.js';
import { ownRequire } from '../../src/own-require.js';
import { noteOwnReader } from './program-reads.js';

const NodeURL = URL;

/**
 * The checked text of a file Node reads again before compiling it, in the form its read asks for (text for
 * UTF-8, bytes with no encoding). Node names the file by a URL object there: a program's reads of the file
 * by its path, and every read once Node compiled it, are the file's.
 */
function reread(path: unknown, options: unknown): string | Buffer | undefined {
  if (!awaitingRereads() || !(path instanceof NodeURL) || path.protocol !== 'file:') return undefined;
  const encoding = typeof options === 'object' && options !== null ? (options as { encoding?: unknown }).encoding : options;
  const text = encoding === 'utf8' || encoding === 'utf-8' || encoding == null ? rereadOf(pathOfFileUrl(path.href)) : undefined;
  if (text === undefined) return undefined;
  return encoding == null ? Buffer.from(text) : text;
}

/** The CommonJS layer's answer to the next read of one file: checked before Node's handler reads it. */
let layerAnswer: { filename: string; source: string } | undefined;

/** The CommonJS layer: Node's handler, about to run for `filename`, gets `source` at its read (undefined: no answer). */
export function answerNextRead(filename: string, source: string | undefined): void {
  layerAnswer = source === undefined ? undefined : { filename, source };
}

/** Wraps fs.readFileSync once (returns the wrapper): secnode's own reader, never taken for a program's. */
export function installNodeReads(ctx: Context): unknown {
  const fs = ownRequire('node:fs') as Record<string, unknown>;
  wrapMethod(fs, 'readFileSync', (real) => function readFileSync(this: unknown, ...args: unknown[]) {
    if (layerAnswer !== undefined && args[0] === layerAnswer.filename) {
      const { source } = layerAnswer;
      layerAnswer = undefined;
      return source;
    }
    const filename = asideFor();
    if (filename !== undefined) {
      hooksBack();
      // Node's read of the module, `(filename, 'utf8')`. Whatever else a Node might read here is what it compiles:
      // it is checked and read from the fd all the same.
      const file = typeof args[0] === 'string' ? args[0] : filename;
      const subject = subjectOf(ctx, file, 'require');
      const source = args[1] === 'utf8' ? gateFile(ctx, file, subject, undefined, true) : gateFile(ctx, file, subject);
      if (source !== undefined) {
        if (typeof source === 'string') handOverCommonJs(file, source);
        return source;
      }
    }
    const checked = reread(args[0], args[1]);
    if (checked !== undefined) return checked;
    const raised = raiseStackLimit();
    try {
      return Reflect.apply(real, this, args);
    } finally {
      lowerStackLimit(raised);
    }
  });
  const ours = fs.readFileSync;
  noteOwnReader(ours);
  return ours;
}
