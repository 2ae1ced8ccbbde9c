// Real packages from the npm registry that patch, spy on, mock and restore builtins, pinned by the
// committed fixture (test/fixtures/parity-pkgs/{package.json,package-lock.json}) and installed once
// under .cache/parity-pkgs with `npm ci` when missing or when the lock changed.
import { chmodSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureFixture } from '../install-fixture.mjs';
import { ROOT } from './run.js';

/** The committed fixture: the pinned manifest, its lock, and the small app that uses the packages. */
export const PKGS_FIXTURE = join(ROOT, 'test', 'fixtures', 'parity-pkgs');
/** Installs the pinned packages (npm ci, no install scripts, once per lock: `install-fixture.mjs`); returns node_modules. */
export function ensureParityPkgs(): string {
  return join(ensureFixture('parity-pkgs'), 'node_modules');
}

/** Sets `mode` on every regular file under `dir` (following no symlinks): what `secnodectl scan --fix` does for code files. */
export function chmodTree(dir: string, mode: number): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) chmodTree(path, mode);
    else if (entry.isFile()) chmodSync(path, mode);
  }
}
