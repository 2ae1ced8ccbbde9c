// Installs a test fixture's pinned packages (test/fixtures/<name>/package.json and its committed
// package-lock.json) with `npm ci` into .cache/<name>/, once per lockfile. Tests copy that tree.
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
  const lock = readFileSync(join(src, 'package-lock.json'));
  const npmrc = existsSync(join(src, '.npmrc')) ? readFileSync(join(src, '.npmrc')) : '';
  const stamp = createHash('sha256').update(readFileSync(join(src, 'package.json'))).update(lock).update(npmrc).digest('hex');
  const dest = join(CACHE, name);
  const stampFile = join(dest, '.installed');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return dest;
  // Install beside it, then swap it in whole: a half-done install is never taken for a good one.
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  copyFileSync(join(src, 'package.json'), join(tmp, 'package.json'));
  copyFileSync(join(src, 'package-lock.json'), join(tmp, 'package-lock.json'));
  // A fixture's own npm settings (the arm64 one installs packages for another CPU: force=true).
  if (existsSync(join(src, '.npmrc'))) copyFileSync(join(src, '.npmrc'), join(tmp, '.npmrc'));
  execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: tmp, stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
  writeFileSync(join(tmp, '.installed'), stamp);
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
  return dest;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const name of process.argv.slice(2)) console.log(ensureFixture(name));
}
