// Programs whose fs is not Node's: Yarn Plug'n'Play (a real install of pinned packages, served from zip
// archives through the fs that .pnp.cjs patches), and programs that answer fs.readFileSync themselves.
// secnode opens, checks and reads with Node's own fs functions, taken before any program code: with no bits
// a run is node's run; under RF a file the kernel cannot check (inside a zip) is refused, with the reason.
import { chmodSync, cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFixture } from './install-fixture.mjs';
import { frontDoors, node, nodes } from './helpers/run.js';
import { tempDir } from './helpers/sandbox.js';

/** A program whose fs.readFileSync answers `dep.cjs` with other code: when asked by path (as Node's loader asks), or by fd. */
const serves = (by: 'string' | 'number'): string => "const fs = require('node:fs');\nconst real = fs.readFileSync;\n"
  + `fs.readFileSync = function readFileSync(p, ...rest) {\n  if (typeof p === '${by}' && (typeof p === 'number' || p.endsWith('dep.cjs'))) return "console.log('served ran');\\n";\n`
  + '  return Reflect.apply(real, this, [p, ...rest]);\n};\n'
  + "try {\n  require('./dep.cjs');\n} catch (e) {\n  console.log('caught', e.code);\n}\n";

const FILES: Record<string, string> = {
  'app.cjs': "const chalk = require('chalk');\nconsole.log('chalk', typeof chalk.red, require.resolve('chalk').includes('.zip/'));\n",
  'app.mjs': "import { chunk } from 'lodash-es';\nimport chalk from 'chalk';\nconsole.log(JSON.stringify(chunk([1, 2, 3, 4], 2)), typeof chalk.red);\n",
  'serves-path.cjs': serves('string'),
  'serves-fd.cjs': serves('number'),
  'dep.cjs': "console.log('dep ran');\n",
};

interface Rec { subject: string; path?: string; errno: string | null; verdict: string; enforced: boolean }
const records = (stderr: string): Rec[] => stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Rec);

let t: ReturnType<typeof tempDir>;
beforeAll(() => {
  t = tempDir('secnode-yarn-pnp-');
  cpSync(ensureFixture('yarn-pnp'), t.dir, { recursive: true });
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(t.dir, name), text);
  // The program's own files are executable; the packages stay in their zip archives.
  for (const name of [...Object.keys(FILES), '.pnp.cjs', '.pnp.loader.mjs']) chmodSync(join(t.dir, name), 0o755);
});
afterAll(() => t.remove());

/** How Yarn runs a program (`yarn node`): its runtime as a preload, and its ES module loader for `.mjs`. */
const pnp = (file: string): string[] => ['--require', './.pnp.cjs', ...(file.endsWith('.mjs') ? ['--loader', './.pnp.loader.mjs'] : []), file];

const DOORS = frontDoors(() => t.dir);

describe.each(nodes())('$name ($backend): a program with its own fs', (n) => {
  describe.each(Object.entries(DOORS))('%s', (_door, via) => {
    it.each([['Plug\'n\'Play, CommonJS', pnp('app.cjs')], ['Plug\'n\'Play, ES modules', pnp('app.mjs')],
      ['fs.readFileSync answering paths', ['serves-path.cjs']], ['fs.readFileSync answering fds', ['serves-fd.cjs']]])('no bits: %s runs as under node', (_what, args) => {
      const plain = node(args, { node: n, cwd: t.dir });
      expect(plain.status).toBe(0);
      const r = via(n, args, 'none');
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: plain.status, stdout: plain.stdout, stderr: plain.stderr });
    });

    it('RF: a package inside a zip archive is refused, saying why and what to do; nothing of it runs', () => {
      const r = via(n, pnp('app.cjs'), 'RF');
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('ERR_SECNODE_EXEC_DENIED');
      expect(r.stderr).toMatch(/refused to run \S+\.zip\/node_modules\/chalk\/\S+: ENOTDIR: .*archive/);
      expect(r.stderr).toContain('nodeLinker: node-modules');
    });

    it('permissive, with a sink: it runs, and the record says the zip file would be refused (ENOTDIR)', () => {
      const r = via(n, pnp('app.cjs'), 'none', { SECNODE_AUDIT: 'stderr' });
      expect(r.stdout).toBe('chalk function true\n');
      const zipped = records(r.stderr).filter((x) => x.path?.endsWith('.zip/node_modules/chalk/source/index.js') === true);
      // One record for the file: the load's, not a second one where Node compiles what it read.
      expect(zipped).toHaveLength(1);
      expect(zipped[0]).toMatchObject({ subject: 'require', errno: 'ENOTDIR', verdict: 'record', enforced: false });
    });

    it('RF: the checked bytes run, whatever the program\'s fs.readFileSync answers for an fd', () => {
      expect(via(n, ['serves-fd.cjs'], 'RF').stdout).toBe('dep ran\n');
    });

    it('RF: what the program\'s fs.readFileSync answers for the checked file runs, as under node (its own code)', () => {
      expect(via(n, ['serves-path.cjs'], 'RF').stdout).toBe('served ran\n');
    });

    it('hardened: code the program\'s fs.readFileSync supplies is refused; an fd\'s answer never reaches Node', () => {
      const hardened = { SECNODE_HARDEN_GENERATED: '1' };
      expect(via(n, ['serves-path.cjs'], 'none', hardened).stdout).toBe('caught ERR_SECNODE_EXEC_DENIED\n');
      expect(via(n, ['serves-fd.cjs'], 'none', hardened).stdout).toBe('dep ran\n');
    });
  });
});
