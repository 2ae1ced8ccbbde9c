// One refusal, three printers: the static launcher (its format generated into launcher-table.h), `secnodectl
// preflight` and the preload print the same bytes and exit 126 for the same refused option, and those bytes are
// what src/refusal.ts and src/errors.ts define. Run for real under the RF bit and under SECNODE_RESTRICT_FILE=1.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enforcedBy, optionRefused } from '../src/errors.js';
import { optionTable } from '../src/options.js';
import { EXIT_REFUSED, refusalOf } from '../src/refusal.js';
import { REGISTER, SECNODE, SECNODECTL, nodes, run, type Policy } from './helpers/run.js';

const OPTION = '--openssl-config';

/** The two lines the shared definition makes for this option under this rule. */
function expected(rule: string): string {
  const entry = optionTable().get(OPTION);
  if (entry === undefined || entry.governs === null) throw new Error(`${OPTION} is no longer refused: pick another pre-start option`);
  return refusalOf(optionRefused(OPTION, enforcedBy(entry.why, rule), '0x0'));
}

describe.each(nodes())('$name', (n) => {
  const cases: { name: string; policy: Policy; env: NodeJS.ProcessEnv; rule: string }[] = [
    { name: 'the RF bit', policy: 'RF', env: {}, rule: 'SECBIT_EXEC_RESTRICT_FILE' },
    { name: 'SECNODE_RESTRICT_FILE=1', policy: 'none', env: { SECNODE_RESTRICT_FILE: '1' }, rule: 'SECNODE_RESTRICT_FILE' },
  ];
  describe.each(cases)('under $name', ({ policy, env, rule }) => {
    const args = [`${OPTION}=/nonexistent.cnf`, '-e', 'console.log(1)'];
    const doors = {
      launcher: () => run(SECNODE, args, { node: n, policy, env }),
      preflight: () => run(join(n.bin, 'node'), [SECNODECTL, 'preflight', join(n.bin, 'node'), '', ...args], { node: n, policy, env }),
      preload: () => run(join(n.bin, 'node'), ['--require', REGISTER, ...args], { node: n, policy, env }),
    };
    it('the launcher, secnodectl preflight and the preload print the same two lines byte for byte, and exit 126', () => {
      const want = expected(rule);
      const got = Object.fromEntries(Object.entries(doors).map(([door, start]) => {
        const r = start();
        return [door, { status: r.status, stdout: r.stdout, stderr: r.stderr }];
      }));
      const same = { status: EXIT_REFUSED, stdout: '', stderr: want };
      expect(got).toEqual({ launcher: same, preflight: same, preload: same });
    });
  });
});
