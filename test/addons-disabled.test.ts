// Node's permission model without --allow-addons, and --no-addons, forbid the addon (koffi) through which
// secnode reads the securebits and asks for the exec check. Not knowing whether to enforce, secnode refuses
// to start, with a code and a hint, through both front doors; with --allow-addons the program runs as under node.
import { describe, expect, it } from 'vitest';
import { frontDoors, node, nodes, type NodeUnderTest } from './helpers/run.js';
import { suiteFilesDir } from './helpers/sandbox.js';

const t = suiteFilesDir('secnode-addons-disabled-', { 'main.cjs': "console.log('ran', require('./dep.cjs'));\n", 'dep.cjs': 'module.exports = 1;\n' });

/** Node 20's flag for the permission model is still experimental. */
const permission = (n: NodeUnderTest): string => (n.major === 20 ? '--experimental-permission' : '--permission');

const DOORS = frontDoors(() => t.dir);

describe.each(nodes())('$name ($backend): Node forbids addons', (n) => {
  describe.each(Object.entries(DOORS))('%s', (_door, via) => {
    it.each([['--permission without --allow-addons', (m: NodeUnderTest) => [permission(m), '--allow-fs-read=*']], ['--no-addons', () => ['--no-addons']]])(
      '%s: refused at start-up, saying why and what to do; nothing runs', (_what, flags) => {
        expect(node([...flags(n), 'main.cjs'], { node: n, cwd: t.dir }).stdout).toBe('ran 1\n');
        const r = via(n, [...flags(n), 'main.cjs']);
        expect(r.status).toBe(126);
        expect(r.stdout).toBe('');
        expect(r.stderr).toContain('[ERR_SECNODE_KERNEL_UNREACHABLE]');
        expect(r.stderr).toContain('hint: allow addons: add --allow-addons beside --permission');
      });

    it('--permission with --allow-addons: the program runs as under node', () => {
      const args = [permission(n), '--allow-fs-read=*', '--allow-addons', 'main.cjs'];
      const plain = node(args, { node: n, cwd: t.dir });
      const r = via(n, args);
      expect({ status: r.status, stdout: r.stdout }).toEqual({ status: plain.status, stdout: plain.stdout });
    });
  });
});
