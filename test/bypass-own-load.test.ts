// While secnode loads its own code (source-map-support, at the first refusal whose stack it maps), program code
// can run inside that load: an accessor on Object.prototype for a property Node reads there. Only secnode's own
// files pass unchecked during such a load; a module that code imports is gated as always.
import { describe, expect, it } from 'vitest';
import { node, nodes, secnode } from './helpers/run.js';
import { suiteFilesDir } from './helpers/sandbox.js';

const FILES: Record<string, string> = {
  // kFormat is read on module objects as Node loads CommonJS, secnode's own modules included.
  'main.cjs': `const k = Object.getOwnPropertySymbols(module).find((s) => s.description === 'kFormat');
let c = 0;
Object.defineProperty(Object.prototype, k, { configurable: true, get() { if (c < 3) import('./no.mjs?' + c++).catch((e) => console.log('caught', e.code)); }, set() {} });
try { require('./no.js'); } catch (e) { console.log('refused', e.code); }
require('./ok.js');
setTimeout(() => console.log('ran', globalThis.RAN ?? 0), 300);
`,
  'ok.js': 'module.exports = 1;\n',
  'no.js': 'module.exports = 2;\n',
  'no.mjs': 'globalThis.RAN = (globalThis.RAN ?? 0) + 1;\nexport {};\n',
};

const t = suiteFilesDir('secnode-own-load-', FILES, (name) => (name.startsWith('no') ? 0o644 : 0o755));

describe.each(nodes())('$name: program code run inside secnode\'s own load', (n) => {
  it('under RF every import it makes is refused; nothing of the 0644 module runs', () => {
    const r = secnode(['main.cjs'], { node: n, cwd: t.dir, policy: 'RF' });
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/^caught (?!ERR_SECNODE_EXEC_DENIED)/m);
    expect(r.stdout).toContain('refused ERR_SECNODE_EXEC_DENIED\n');
    expect(r.stdout).toContain('ran 0\n');
  });

  it('with no bits, as plain node', () => {
    const plain = node(['main.cjs'], { node: n, cwd: t.dir });
    const r = secnode(['main.cjs'], { node: n, cwd: t.dir });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: plain.status, stdout: plain.stdout, stderr: plain.stderr });
  });
});
