// Where secnode's time goes, measured by taking the pieces away one at a time: each variant is a whole
// process, timed against plain `node` in the same run, and a piece's cost is the difference of two medians.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A copy of the secnode snapshot `from` (at `to`) whose kernel check answers "allowed" without the syscall. */
export function withoutCheck(from, to) {
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  const code = join(to, 'dist', 'loader', 'early.cjs');
  const source = readFileSync(code, 'utf8');
  const patched = source.replace(/function checkFd\(fd, name\) \{/, 'function checkFd(fd, name) {\n\treturn 0;');
  if (patched === source) throw new Error('breakdown: checkFd not found in early.cjs');
  writeFileSync(code, patched);
  return to;
}

/** The preloads that stand for one piece each. */
const PRELOADS = {
  'empty-hook.cjs': "require('node:module').registerHooks({ load(url, context, next) { return next(url, context); } });\n",
};

/**
 * The variants for one Node, as [name, argv-before-the-script]: each adds one piece to the one before.
 * `snapshot` is the secnode under test; `tmp` a scratch directory.
 */
export function variants(snapshot, tmp, node, makeCache) {
  for (const [file, text] of Object.entries(PRELOADS)) writeFileSync(join(tmp, file), text);
  const noCheck = withoutCheck(snapshot, join(tmp, 'secnode-no-check'));
  makeCache(noCheck);
  const shared = (dir) => join(dir, 'dist', 'loader', 'shared.cjs');
  const loadOnly = join(tmp, 'load-only.cjs');
  writeFileSync(loadOnly, `require(${JSON.stringify(shared(snapshot))});\n`);
  const koffiOnly = join(tmp, 'koffi-only.cjs');
  const koffi = join(snapshot, 'node_modules', '@koromix', `koffi-linux-${process.arch}`, `linux_${process.arch}`, 'koffi.node');
  writeFileSync(koffiOnly, `process.dlopen({ exports: {} }, ${JSON.stringify(koffi)});\n`);
  return [
    ['koffi loaded (dlopen only)', [node, '--require', koffiOnly]],
    ['secnode code loaded, not started', [node, '--require', loadOnly]],
    ['an empty registerHooks load hook', [node, '--require', join(tmp, 'empty-hook.cjs')]],
    ['secnode without the kernel call', [node, '--require', join(noCheck, 'dist', 'loader', 'register.cjs')]],
    ['secnode (node --require register)', [node, '--require', join(snapshot, 'dist', 'loader', 'register.cjs')]],
    ['secnode (the launcher)', [join(snapshot, 'dist', 'runtime', 'secnode')]],
  ];
}
