// secnode's own native code loads only from secnode's own tree, found as Node's resolver finds it:
// with secnode installed as an app's dependency (hoisted), a 0644 koffi.node planted where only a
// walk over parent directories would look (<app>/node_modules/node_modules/@koromix/…) never runs.
import { cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLibrary, markerConstructor } from './helpers/addon.js';
import { show } from './helpers/launcher-fixtures.js';
import { ROOT, nodes, run, type Policy } from './helpers/run.js';

const NATIVE = `@koromix/koffi-linux-${process.arch}`;
/** secnode's runtime dependencies and theirs, hoisted beside it. */
const DEPS = ['koffi', NATIVE, 'acorn', 'source-map-support', 'source-map', 'buffer-from'];

let app: string;
beforeAll(() => {
  app = mkdtempSync(join(tmpdir(), 'secnode-koffi-'));
  const secnode = join(app, 'node_modules', 'secnode');
  for (const part of ['dist', 'runtime', 'package.json']) cpSync(join(ROOT, part), join(secnode, part), { recursive: true });
  for (const dep of DEPS) cpSync(realpathSync(join(ROOT, 'node_modules', dep)), join(app, 'node_modules', dep), { recursive: true });
  const planted = join(app, 'node_modules', 'node_modules', NATIVE, `linux_${process.arch}`);
  mkdirSync(planted, { recursive: true });
  buildLibrary(planted, 'koffi.node', markerConstructor('planted'), [], 0o644);
  writeFileSync(join(app, 'main.js'), 'console.log("app ran");\n');
  chmodSync(join(app, 'main.js'), 0o755);
});
afterAll(() => { if (app) rmSync(app, { recursive: true, force: true }); });

describe.each(nodes())('$name', (n) => {
  it.each(['none', 'RF+DI', 'RF', 'DI'] as Policy[])('the planted koffi.node never runs (%s)', (policy) => {
    const marker = join(app, `marker-${n.name}-${policy}`);
    const r = run(join(app, 'node_modules', 'secnode', 'runtime', 'secnode'), ['main.js'],
      { node: n, policy, cwd: app, env: { ADDON_MARKER: marker } });
    expect(r.stdout, show(r)).toBe('app ran\n');
    expect(existsSync(marker), show(r)).toBe(false);
  });
});
