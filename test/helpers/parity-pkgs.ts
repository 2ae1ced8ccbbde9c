// Real packages from the npm registry that patch, spy on, mock and restore builtins, pinned by the
// committed fixture (test/fixtures/parity-pkgs/{package.json,package-lock.json}) and installed once
// under .cache/parity-pkgs with `npm ci` when missing or when the lock changed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './run.js';

/** The committed fixture: the pinned manifest, its lock, and the small app that uses the packages. */
export const PKGS_FIXTURE = join(ROOT, 'test', 'fixtures', 'parity-pkgs');
/** Where the packages are installed. */
export const PKGS_DIR = join(ROOT, '.cache', 'parity-pkgs');

/** The lock's hash: the install is redone when it changes. */
function lockHash(): string {
  return createHash('sha256').update(readFileSync(join(PKGS_FIXTURE, 'package-lock.json'))).digest('hex');
}

/** Installs the pinned packages (npm ci, no install scripts) unless the same lock is installed; returns node_modules. */
export function ensureParityPkgs(): string {
  const marker = join(PKGS_DIR, '.installed');
  const want = lockHash();
  const modules = join(PKGS_DIR, 'node_modules');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === want && existsSync(modules)) return modules;
  mkdirSync(PKGS_DIR, { recursive: true });
  rmSync(modules, { recursive: true, force: true });
  for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(PKGS_FIXTURE, f), join(PKGS_DIR, f));
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = spawnSync('npm', ['ci', '--prefix', PKGS_DIR, '--ignore-scripts', '--no-audit', '--no-fund'], { env, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`npm ci for the parity packages failed: ${r.stderr || r.error?.message}`);
  writeFileSync(marker, want);
  return modules;
}

/** Sets `mode` on every regular file under `dir` (following no symlinks): what `secnodectl scan --fix` does for code files. */
export function chmodTree(dir: string, mode: number): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) chmodTree(path, mode);
    else if (entry.isFile()) chmodSync(path, mode);
  }
}
