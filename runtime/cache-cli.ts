// `secnodectl cache [NODE…]`: makes secnode's V8 code cache in this install for each Node named (the one
// running this when none), in that Node's own process. Only the install's owner or root may: a cache has the
// trust of code (loader/code-cache.ts says when one is read).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LOADER = join(dirname(fileURLToPath(import.meta.url)), '..', 'loader');
const MAKER = join(LOADER, 'code-cache.cjs');

/** A small program for the maker to start secnode before: CommonJS and ES module loads, then the cache is written. */
const PROGRAM: Readonly<Record<string, string>> = {
  'maker.cjs': `require(${JSON.stringify(MAKER)}).beginCodeCache('preload');\n`,
  'entry.cjs': `require('./dep.cjs');\nimport('./dep.mjs').then(() => process.stdout.write(require(${JSON.stringify(MAKER)}).finishCodeCache()));\n`,
  'dep.cjs': 'module.exports = 1;\n',
  'dep.mjs': 'export default 1;\n',
};

/**
 * Makes the cache in `node`: secnode started as a preload before the small program (so the cache holds what
 * a start and its module loads compile); where that cannot run (the bits refuse the program's files, say),
 * from `node -e` as `install()` starts it. Returns the file made; throws with the Node's error.
 */
function makeOne(node: string): string {
  const env = { PATH: process.env.PATH ?? '' };
  const dir = mkdtempSync(join(tmpdir(), 'secnode-cache-'));
  try {
    for (const [name, text] of Object.entries(PROGRAM)) writeFileSync(join(dir, name), text, { mode: 0o755 });
    const r = spawnSync(node, ['--require', join(dir, 'maker.cjs'), join(dir, 'entry.cjs')], { cwd: dir, encoding: 'utf8', env });
    if (r.status === 0 && r.stdout !== '') return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const r = spawnSync(node, ['-e', `process.stdout.write(require(${JSON.stringify(MAKER)}).makeCodeCache())`], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`code cache for ${node}: ${(r.stderr ?? '').trim() || r.error?.message || `exit ${r.status}`}`);
  return r.stdout;
}

/** Makes the cache for each `node` (a path or a name on PATH); returns the files made; throws naming the Node that failed. */
export function makeCodeCaches(nodes: readonly string[]): string[] {
  return nodes.map(makeOne);
}

/** The command: exit 0 when every cache was made, 1 when one failed or the caller is neither the install's owner nor root. */
export async function cacheCommand(args: readonly string[]): Promise<number> {
  if (args[0] === 'warm' || args[0] === 'seal') return (await import('./compile-cache-cli.js')).compileCacheCommand(args);
  const owner = statSync(join(LOADER, 'shared-code.cjs')).uid;
  const euid = process.geteuid?.() ?? 0;
  if (euid !== 0 && euid !== owner) {
    process.stderr.write(`secnodectl cache: refused: only the install's owner (uid ${owner}) or root writes secnode's code cache (you are uid ${euid})\n`);
    return 1;
  }
  try {
    for (const file of makeCodeCaches(args.length > 0 ? args : [process.execPath])) process.stdout.write(`made ${file}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`secnodectl cache: ${(e as Error).message}\n`);
    return 1;
  }
}
