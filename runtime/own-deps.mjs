// Build step: secnode's own runtime dependencies (acorn, koffi and its native package, source-map-support
// and what it needs) get the x bit wherever they have r, like secnode's own dist/ files, so that an app
// importing the library ('secnode') runs under RF. npm installs package files 0644; an app that installs
// secnode from the registry runs `secnodectl scan --fix <app>` instead (the README's rollout says so).
import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const CODE = new Set(['.js', '.mjs', '.cjs', '.node']);

/** The directory of an installed package, found from `from` in the node_modules Node would search; undefined when absent. */
function packageDir(name, from = require) {
  const dir = (from.resolve.paths(name) ?? []).map((p) => join(p, name)).find((d) => existsSync(join(d, 'package.json')));
  return dir;
}

/** Adds x wherever r is set, for every code file below `dir`. */
function markCode(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) markCode(path);
    else if (entry.isFile() && CODE.has(extname(entry.name))) {
      const mode = statSync(path).mode & 0o7777;
      const next = mode | ((mode & 0o444) >> 2);
      if (next !== mode) chmodSync(path, next);
    }
  }
}

/** Marks secnode's own runtime dependencies as code (x wherever r is set), as found from this package. */
export function markOwnDeps() {
  const koffi = packageDir('koffi');
  const sourceMapSupport = packageDir('source-map-support');
  const dirs = [
    packageDir('acorn'), koffi, sourceMapSupport,
    koffi && packageDir(`@koromix/koffi-linux-${process.arch}`, createRequire(join(koffi, 'package.json'))),
    ...(sourceMapSupport ? ['source-map', 'buffer-from'].map((d) => packageDir(d, createRequire(join(sourceMapSupport, 'package.json')))) : []),
  ];
  for (const dir of dirs) if (dir !== undefined) markCode(dir);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) markOwnDeps();
