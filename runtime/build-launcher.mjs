// Build step (after tsc and rolldown): the static launcher dist/runtime/secnode and its second name
// dist/runtime/secnodectl, compiled from runtime/secnode.c with the option table as a C header. Without a C
// compiler or a static libc, one warning, and the sh launcher (runtime/secnode.sh, under both names)
// takes their place.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist', 'runtime');
const HEADER = join(OUT, 'launcher-table.h');
const GENERATOR = join(OUT, 'launcher-table.js');

/** The option table header, generated from src/options.ts (the one table the loader uses too). */
function writeHeader() {
  rmSync(HEADER, { force: true });
  const r = spawnSync(process.execPath, [GENERATOR], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  if (r.status !== 0) throw new Error(`launcher-table.js failed (${r.status ?? r.signal}): ${r.stderr}`);
  if (!existsSync(HEADER)) writeFileSync(HEADER, r.stdout);
}

/** Compiles the static launcher; returns why not, or null when built. */
function compile() {
  const cc = process.env.CC || 'cc';
  const r = spawnSync(cc, ['-static', '-O2', '-s', '-Wall', '-Wextra', '-I', OUT, '-o', join(OUT, 'secnode'), join(ROOT, 'runtime', 'secnode.c')],
    { encoding: 'utf8' });
  if (r.error) return `${cc}: ${r.error.message}`;
  if (r.status !== 0) return `${cc} -static failed: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`;
  return null;
}

mkdirSync(OUT, { recursive: true });
writeHeader();
for (const name of ['secnode', 'secnodectl']) rmSync(join(OUT, name), { force: true });
const failed = compile();
if (failed === null) {
  // A copy, not a link: package tarballs keep neither hard nor symbolic links reliably.
  copyFileSync(join(OUT, 'secnode'), join(OUT, 'secnodectl'));
  chmodSync(join(OUT, 'secnodectl'), 0o755);
} else {
  process.stderr.write(`secnode build: warning: cannot build the static launcher (${failed}); installing the sh launcher, `
    + 'which cannot stop LD_PRELOAD and the other dynamic linker variables nor gate Node\'s pre-start options (see the README)\n');
  for (const name of ['secnode', 'secnodectl']) {
    copyFileSync(join(ROOT, 'runtime', 'secnode.sh'), join(OUT, name)); // one script, two names, like the binary
    chmodSync(join(OUT, name), 0o755);
  }
}
