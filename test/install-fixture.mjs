// Installs a test fixture's pinned packages (test/fixtures/<name>/package.json and its committed
// package-lock.json) with `npm ci` into .cache/<name>/, once per lockfile. Tests copy that tree. A fixture
// with a yarn.lock instead is installed by Yarn (the yarn-cli fixture's), from the registry npm uses.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TEST = dirname(fileURLToPath(import.meta.url));
const CACHE = join(TEST, '..', '.cache');

/** Returns `.cache/<name>` holding the fixture's node_modules, running `npm ci` first if the lockfile changed. */
export function ensureFixture(name) {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`bad fixture name: ${name}`);
  const src = join(TEST, 'fixtures', name);
  const yarn = existsSync(join(src, 'yarn.lock'));
  const files = yarn ? ['package.json', 'yarn.lock', '.yarnrc.yml'] : ['package.json', 'package-lock.json', '.npmrc'];
  const hash = createHash('sha256');
  for (const f of files) hash.update(existsSync(join(src, f)) ? readFileSync(join(src, f)) : '');
  const stamp = hash.digest('hex');
  const dest = join(CACHE, name);
  const stampFile = join(dest, '.installed');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return dest;
  // Install beside it, then swap it in whole: a half-done install is never taken for a good one.
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  // A fixture's own npm settings (the arm64 one installs packages for another CPU: force=true).
  for (const f of files) if (existsSync(join(src, f))) copyFileSync(join(src, f), join(tmp, f));
  if (yarn) yarnInstall(tmp);
  else execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: tmp, stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
  writeFileSync(join(tmp, '.installed'), stamp);
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
  return dest;
}

/** `yarn install --immutable` in `dir`, with the pinned Yarn and npm's registry: the lockfile names no host. */
function yarnInstall(dir) {
  const cli = join(ensureFixture('yarn-cli'), 'node_modules', '@yarnpkg', 'cli-dist', 'bin', 'yarn.js');
  const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim();
  const env = { ...process.env, YARN_NPM_REGISTRY_SERVER: registry, YARN_ENABLE_TELEMETRY: '0', YARN_ENABLE_GLOBAL_CACHE: '0' };
  execFileSync(process.execPath, [cli, 'install', '--immutable'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const name of process.argv.slice(2)) console.log(ensureFixture(name));
}
