// With no bits, a program that fails prints node's stderr: secnode's wrappers (Module.prototype._compile,
// the `.js` handler, fs.readFileSync, Module.runMain in workers, child_process) leave no frame in a stack trace, the Node
// functions they call keep the names V8 gives them under node, and as many frames are shown as under node.
import { describe, expect, it } from 'vitest';
import { frontDoors, node, nodes } from './helpers/run.js';
import { suiteFilesDir } from './helpers/sandbox.js';

const MAP = Buffer.from('{"version":3,"sources":["orig.ts"],"names":[],"mappings":"AAAA;AACA"}').toString('base64');
const FILES: Record<string, string> = {
  'thrower.cjs': "throw new Error('boom');\n",
  'thrower.mjs': "throw new Error('boom');\n",
  'requires.cjs': "require('./thrower.cjs');\n",
  'missing.cjs': "require('no-such-package');\n",
  'imports.mjs': "import './thrower.cjs';\n",
  'requires-esm.cjs': "require('./thrower.mjs');\n",
  'd1.cjs': "require('./d2.cjs');\n",
  'd2.cjs': "require('./d3.cjs');\n",
  'd3.cjs': "require('./d4.cjs');\n",
  'd4.cjs': "console.log(new Error('at load').stack);\nsetTimeout(() => {\n  console.log(Error.stackTraceLimit);\n  null.x;\n}, 1);\n",
  'mapped.cjs': `const x = 1;\nthrow new Error('mapped');\n//# sourceMappingURL=data:application/json;base64,${MAP}\n`,
  'worker.cjs': "const { Worker } = require('node:worker_threads');\nnew Worker('./thrower.cjs');\n",
  'caught.cjs': "try {\n  require('./thrower.cjs');\n} catch (e) {\n  console.log(e.stack);\n}\n",
  'reads.cjs': "require('node:fs').readFileSync('/nonexistent/secnode-stack-parity');\n",
  'child.cjs': "require('node:child_process').execFileSync('/nonexistent/secnode-stack-parity');\n",
};

const t = suiteFilesDir('secnode-stack-parity-', FILES);

const DOORS = frontDoors(() => t.dir);

const CASES: [string, string[]][] = [
  ['an entry that throws', ['thrower.cjs']],
  ['a required file that throws', ['requires.cjs']],
  ['a missing package', ['missing.cjs']],
  ['an ES module importing CommonJS that throws', ['imports.mjs']],
  ['require(esm) of a module that throws', ['requires-esm.cjs']],
  ['a stack read while four files load, and an error after', ['d1.cjs']],
  ['--enable-source-maps', ['--enable-source-maps', 'mapped.cjs']],
  ['--stack-trace-limit=20', ['--stack-trace-limit=20', 'requires.cjs']],
  ['a worker whose entry throws', ['worker.cjs']],
  ['an error caught and printed by the program', ['caught.cjs']],
  ['fs.readFileSync of a missing file', ['reads.cjs']],
  ['a synchronous child that cannot start', ['child.cjs']],
];

/**
 * Node hands a worker's uncaught error to the parent from the message port, or while it handles the worker's
 * exit when that comes first: two frames of Node's own that vary from run to run under node too.
 */
const delivered = (stderr: string): string => stderr.replace(/^ {4}at (\[kOnExit\]|Worker\.<computed>\.onexit) \(node:internal\/worker:\d+:\d+\)\n/gm, '');

describe.each(nodes())('$name ($backend): stack traces as under node', (n) => {
  describe.each(Object.entries(DOORS))('%s', (_door, via) => {
    it.each(CASES)('no bits: %s', (_what, args) => {
      const plain = node(args, { node: n, cwd: t.dir });
      expect(plain.stderr + plain.stdout).toContain('    at ');
      const r = via(n, args);
      expect({ status: r.status, stdout: r.stdout, stderr: delivered(r.stderr) }).toEqual({ status: plain.status, stdout: plain.stdout, stderr: delivered(plain.stderr) });
    });
  });
});
