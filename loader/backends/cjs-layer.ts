// CommonJS layer (Node without working sync hooks): require() compiles the bytes read from the checked fd.
import { ownFileLoad } from '../gate/own-load.js';
import { handOverCommonJs } from '../gate/handover.js';
import type { Context } from '../context.js';
import { gateFile } from '../gate/gate.js';
import { parentFileOf, subjectOf } from '../gate/subject.js';
import { wrapMethod } from '../guards/patch.js';
import { ownRequire as require } from '../../src/own-require.js';
import { lowerStackLimit, raiseStackLimit } from '../guards/own-frames.js';
import { answerNextRead, installNodeReads } from './node-reads.js';

type Handler = (module: { id: string; filename: string }, filename: string) => void;
const DATA = new Set(['.json', '.node']);

/**
 * Wraps every code extension handler: the file is opened, checked and read by secnode, and Node's own
 * handler receives exactly those bytes through a one-shot answer to its `fs.readFileSync(filename)`
 * (node-reads.ts: Node's handlers call it through the module object at each load).
 */
export function installCjsLayer(ctx: Context): void {
  const Module = require('node:module') as { _extensions: Record<string, Handler> };
  installNodeReads(ctx);
  for (const ext of Object.keys(Module._extensions)) {
    if (DATA.has(ext)) continue;
    // Node's descriptor, name and length kept: pirates, @babel/register and test runners wrap and restore it.
    wrapMethod(Module._extensions, ext, (original) => function (this: unknown, ...args: unknown[]) {
      const [module, filename] = args as Parameters<Handler>;
      // secnode's own files (a lazy chunk, the stack mapper) load as Node loads them.
      const checked = !ownFileLoad(filename);
      if (checked) {
        const parent = parentFileOf(ctx, module);
        const subject = subjectOf(ctx, filename, module.id === '.' ? 'entry' : 'require');
        const source = gateFile(ctx, filename, subject, parent, true);
        answerNextRead(filename, source);
        if (source !== undefined) handOverCommonJs(filename, source);
      }
      const raised = raiseStackLimit();
      try {
        return Reflect.apply(original, this, args);
      } finally {
        if (checked) answerNextRead(filename, undefined);
        lowerStackLimit(raised);
      }
    });
  }
}
