// `secnodectl cache [NODE…]`: makes secnode's V8 code cache in this install for each Node named (the one
// running this when none), in that Node's own process. Only the install's owner or root may: a cache has the
// trust of code (loader/code-cache.ts says when one is read).
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LOADER = join(dirname(fileURLToPath(import.meta.url)), '..', 'loader');
const MAKER = join(LOADER, 'code-cache.cjs');

/** Makes the cache for each `node` (a path or a name on PATH); returns the files made; throws naming the Node that failed. */
export function makeCodeCaches(nodes: readonly string[]): string[] {
  return nodes.map((node) => {
    const r = spawnSync(node, ['-e', `process.stdout.write(require(${JSON.stringify(MAKER)}).makeCodeCache())`],
      { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    if (r.status !== 0) throw new Error(`code cache for ${node}: ${(r.stderr ?? '').trim() || r.error?.message || `exit ${r.status}`}`);
    return r.stdout;
  });
}

/** The command: exit 0 when every cache was made, 1 when one failed or the caller is neither the install's owner nor root. */
export function cacheCommand(args: readonly string[]): number {
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
