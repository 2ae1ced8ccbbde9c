// Build step (after tsc and rolldown): the option table as a C header, then one static launcher per CPU the
// package declares (dist/runtime/launchers/secnode-linux-<cpu>, from runtime/secnode.c): the host's with $CC (or
// cc), the others with Debian's cross compilers ($CC_<CPU>, e.g. CC_ARM64, or <triplet>-gcc). Then the launcher for
// this CPU is put in place as dist/runtime/secnode and secnodectl (runtime/postinstall.mjs, the same step an
// install runs), else the sh fallback, with one warning that says why. What npm packs is decided after the build,
// by runtime/postinstall.mjs in "prepare" (the packed launcher is the sh fallback).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAUNCHER_CPUS, launcherFileName, SH_FALLBACK_LIMITS } from '../dist/src/launchers.js';
import { installLauncher } from './postinstall.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist', 'runtime');
const LAUNCHERS = join(OUT, 'launchers');
const HEADER = join(OUT, 'launcher-table.h');
const GENERATOR = join(OUT, 'launcher-table.js');
/** Debian's cross compiler for each CPU (apt packages gcc-x86-64-linux-gnu, gcc-aarch64-linux-gnu). */
const CROSS = { x64: 'x86_64-linux-gnu-gcc', arm64: 'aarch64-linux-gnu-gcc' };

/** The option table header, generated from src/options.ts (the one table the loader uses too). */
function writeHeader() {
  rmSync(HEADER, { force: true });
  const r = spawnSync(process.execPath, [GENERATOR], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  if (r.status !== 0) throw new Error(`launcher-table.js failed (${r.status ?? r.signal}): ${r.stderr}`);
  if (!existsSync(HEADER)) writeFileSync(HEADER, r.stdout);
}

/** The compiler for a CPU: $CC (or cc) for this machine's, $CC_<CPU> or Debian's cross compiler for the others. */
function compilerFor(cpu) {
  if (cpu === process.arch) return process.env.CC || 'cc';
  return process.env[`CC_${cpu.toUpperCase()}`] || CROSS[cpu];
}

/** Compiles the static launcher for one CPU; returns why not (never empty), or null when built. */
function compile(cpu) {
  const cc = compilerFor(cpu);
  if (cc === undefined) return `no compiler known for ${cpu}`;
  const out = join(LAUNCHERS, launcherFileName(cpu));
  const r = spawnSync(cc, ['-static', '-O2', '-s', '-Wall', '-Wextra', '-I', OUT, '-o', out, join(ROOT, 'runtime', 'secnode.c')],
    { encoding: 'utf8' });
  if (r.error) return `${cc}: ${r.error.message}`;
  if (r.status !== 0) {
    const said = r.stderr.trim().split('\n').slice(-3).join(' / ');
    rmSync(out, { force: true });
    return `${cc} -static ${r.status === null ? `was killed by ${r.signal}` : `exited with status ${r.status}`}${said ? `: ${said}` : ' and printed nothing'}`;
  }
  return null;
}

mkdirSync(LAUNCHERS, { recursive: true });
writeHeader();
for (const cpu of LAUNCHER_CPUS) rmSync(join(LAUNCHERS, launcherFileName(cpu)), { force: true });
const failed = new Map(LAUNCHER_CPUS.map((cpu) => [cpu, compile(cpu)]));
for (const [cpu, why] of failed) {
  if (why === null) continue;
  const installs = cpu === process.arch ? 'this checkout and installs' : 'installs';
  process.stderr.write(`secnode build: warning: cannot build the static launcher for linux-${cpu} (${why}); `
    + `${installs} on ${cpu} get the sh fallback: ${SH_FALLBACK_LIMITS}\n`);
}
await installLauncher(ROOT);
