// `--experimental-default-type=module` (Node 20 and 22; later Nodes refuse the flag): a `.js` file outside
// any package type is an ES module. Node's hooks thread then gives a `.cjs` hooks module a `require` of its
// own that fails (resolveSync is not implemented there), so secnode's hooks modules load their shared code
// through the CommonJS loader. With no bits a run is node's run, a program's own `module.register`
// included; under RF a 0644 module is refused where it is imported.
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { node, nodes, REGISTER, secnode, type NodeUnderTest, type Policy, type Run } from './helpers/run.js';
import { suiteFilesDir } from './helpers/sandbox.js';

const FLAG = '--experimental-default-type=module';
const FILES: Record<string, string> = {
  'main.js': "import { sep } from 'node:path';\nconsole.log('main', typeof require, sep);\n",
  // The program's own hooks thread (on every Node, secnode's hooks module goes first in it).
  'registers.js': "import { register } from 'node:module';\nregister('./hooks.js', import.meta.url);\n"
    + "const m = await import('./dep.js');\nconsole.log('registers', m.default);\n",
  'hooks.js': "export async function load(url, context, next) {\n  return next(url, context);\n}\n",
  'dep.js': "export default 'dep';\n",
  'imports.js': "try {\n  const m = await import('./victim.js');\n  console.log('loaded', m.default);\n} catch (e) {\n  console.log('caught', e.code);\n}\n",
  'victim.js': "console.log('victim ran');\nexport default 'victim';\n",
};

const t = suiteFilesDir('secnode-default-type-', FILES);

/** Both front doors, with the flag before the program. */
const DOORS = {
  secnode: (n: NodeUnderTest, file: string, policy: Policy): Run => secnode([FLAG, file], { node: n, cwd: t.dir, policy }),
  'node --import register': (n: NodeUnderTest, file: string, policy: Policy): Run =>
    node(['--import', REGISTER, FLAG, file], { node: n, cwd: t.dir, policy }),
};

const flagged = nodes().filter((n) => n.major <= 22);

describe.runIf(flagged.length > 0).each(flagged)('$name ($backend): --experimental-default-type=module', (n) => {
  describe.each(Object.entries(DOORS))('%s', (_door, via) => {
    it.each(['main.js', 'registers.js', 'imports.js'])('no bits: %s runs as under node', (file) => {
      const plain = node([FLAG, file], { node: n, cwd: t.dir });
      expect(plain.status).toBe(0);
      const r = via(n, file, 'none');
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: plain.status, stdout: plain.stdout, stderr: plain.stderr });
    });

    it('RF: a 0644 module is refused where it is imported; made 0755 it runs', () => {
      chmodSync(join(t.dir, 'victim.js'), 0o644);
      try {
        expect(via(n, 'imports.js', 'RF').stdout).toBe('caught ERR_SECNODE_EXEC_DENIED\n');
      } finally {
        chmodSync(join(t.dir, 'victim.js'), 0o755);
      }
      expect(via(n, 'imports.js', 'RF').stdout).toBe('victim ran\nloaded victim\n');
    });

    it('RF: a program\'s own (0755) hooks module runs, with its imports', () => {
      const r = via(n, 'registers.js', 'RF');
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('registers dep\n');
    });
  });
});
