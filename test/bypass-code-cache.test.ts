// V8 code cache handed to node:vm is compiled code matched to its source by length only: under RF it is
// ignored (V8 rejects it and compiles the source), under DI alone and with no bits it is node's behaviour.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodes, node, secnode, type Policy } from './helpers/run.js';
import { tempDir } from './helpers/sandbox.js';

// Two sources of the same length: a cache made for the first, handed over with the second.
const DRIVER = `const vm = require('node:vm');
const a = 'console.log("from cache: AAA")';
const b = 'console.log("from source: BB")';
const how = process.argv[2];
if (how === 'Script') {
  const s = new vm.Script(b, { cachedData: new vm.Script(a).createCachedData() });
  console.log('rejected', s.cachedDataRejected); s.runInThisContext();
} else if (how === 'compileFunction') {
  const made = vm.compileFunction(a, [], { produceCachedData: true });
  const f = vm.compileFunction(b, [], { cachedData: made.cachedData });
  console.log('rejected', f.cachedDataRejected); f();
} else if (how === 'base class') {
  const Base = Object.getPrototypeOf(vm.Script);
  const s = new Base(b, 'x.js', 0, 0, new vm.Script(a).createCachedData(), false, undefined, Symbol('secnode-test'));
  console.log('rejected', s.cachedDataRejected);
}
`;
const FROM_CACHE = { Script: 'rejected false\nfrom cache: AAA\n', compileFunction: 'rejected false\nfrom cache: AAA\n', 'base class': 'rejected false\n' };
const FROM_SOURCE = { Script: 'rejected true\nfrom source: BB\n', compileFunction: 'rejected true\nfrom source: BB\n', 'base class': 'rejected true\n' };
const HOWS = Object.keys(FROM_CACHE) as (keyof typeof FROM_CACHE)[];

let fx: ReturnType<typeof tempDir>;
beforeAll(() => {
  fx = tempDir('secnode-code-cache-');
  chmodSync(fx.dir, 0o755);
  writeFileSync(join(fx.dir, 'cache.js'), DRIVER);
  chmodSync(join(fx.dir, 'cache.js'), 0o755);
});
afterAll(() => fx.remove());

describe.each(nodes())('V8 code cache in node:vm ($name)', (n) => {
  it.each(HOWS)('%s: plain node runs the cached code, and so does secnode with no bits', (how) => {
    const base = node(['cache.js', how], { node: n, cwd: fx.dir });
    expect(base.stdout, base.stderr).toBe(FROM_CACHE[how]);
    const r = secnode(['cache.js', how], { node: n, cwd: fx.dir });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: base.status, stdout: base.stdout, stderr: base.stderr });
  });
  it.each(['RF', 'RF+DI'] as Policy[])('under %s the cache is rejected and the source compiled', (policy) => {
    for (const how of HOWS) {
      const r = secnode(['cache.js', how], { node: n, cwd: fx.dir, policy });
      expect(r.stdout, `${how}: ${r.stderr}`).toBe(FROM_SOURCE[how]);
    }
  });
  it('under DI alone (not a file matter) node\'s behaviour is kept', () => {
    const r = secnode(['cache.js', 'Script'], { node: n, cwd: fx.dir, policy: 'DI' });
    expect(r.stdout, r.stderr).toBe(FROM_CACHE.Script);
  });
});
