// Measurement helpers: timed process runs, the output check, module counting, and the per-file floor.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Median of a list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Wall time of one run of `cmd args` in ms (stdio ignored); throws if it fails. */
function timeOnce(cmd, args, opts) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { ...opts, stdio: 'ignore' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status ?? r.signal}`);
  return ms;
}

/** Runs each argv once with output piped; returns an error message unless all exit 0 with the same stdout. */
export function sameOutput(argvs, opts) {
  const outs = argvs.map(([cmd, ...args]) => spawnSync(cmd, args, { ...opts, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  for (const [i, r] of outs.entries()) {
    if (r.status !== 0) {
      const lines = (r.stderr || r.error?.message || '').trim().split('\n');
      return `${argvs[i].join(' ')} exited ${r.status ?? r.signal}: ${lines.find((l) => /Error|ERR_|secnode/.test(l)) ?? lines[0]}`;
    }
  }
  const first = outs[0].stdout;
  const bad = outs.findIndex((r) => r.stdout !== first || r.stdout === '');
  return bad < 0 ? undefined : `stdout differs: ${JSON.stringify(first)} vs ${JSON.stringify(outs[bad].stdout)}`;
}

/** Times argv `a` and argv `b` interleaved (order alternating each round) after warm-up runs; returns samples in ms. */
export function timePair(a, b, opts, { warmup, runs }) {
  const once = ([cmd, ...args]) => timeOnce(cmd, args, opts);
  const samples = { a: [], b: [] };
  for (let i = 0; i < warmup; i++) { once(a); once(b); }
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) { samples.a.push(once(a)); samples.b.push(once(b)); }
    else { samples.b.push(once(b)); samples.a.push(once(a)); }
  }
  return samples;
}

const COUNTER = `// Counts the file: modules Node loads (Node 22.15+/24: module.registerHooks sees ESM and CJS).
const seen = new Set();
require('node:module').registerHooks({ load(url, ctx, next) { if (url.startsWith('file:')) seen.add(url); return next(url, ctx); } });
process.on('exit', () => process.stderr.write('\\nBENCH_MODULES ' + seen.size + '\\n'));
`;

/** Number of distinct file: modules `node args` loads, counted with a registerHooks preload (needs Node 24's `node`). */
export function countModules(node, args, opts, tmp) {
  const preload = join(tmp, 'count-modules.cjs');
  writeFileSync(preload, COUNTER);
  const r = spawnSync(node, ['--require', preload, ...args], { ...opts, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const m = /BENCH_MODULES (\d+)/.exec(r.stderr ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Median µs for one open + AT_EXECVE_CHECK + read (secnode's openChecked, from `checkJs`) over `files`, in this process. */
export async function floorUs(files, checkJs, rounds = 7) {
  const { openChecked } = await import(pathToFileURL(checkJs).href); // dist/src/check.js
  let denied = 0;
  for (const f of files) if (openChecked(f).result.errno !== 0) denied++; // warm-up, and every file must pass
  const per = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (const f of files) openChecked(f);
    per.push(Number(process.hrtime.bigint() - t0) / 1e3 / files.length);
  }
  return { us: median(per), files: files.length, denied };
}

// `node bench/measure.mjs floor <list.json> <dist/src/check.js>`: the floor under whichever `node` runs this file.
// `node bench/measure.mjs pair <spec.json>`: checks then times one pair ({ a, b, cwd, env, plan }; a and b argvs) in this
// process, which a caller may start under securebits or on fewer CPUs: every run inherits them.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { readFileSync } = await import('node:fs');
  if (process.argv[2] === 'floor') console.log(JSON.stringify(await floorUs(JSON.parse(readFileSync(process.argv[3], 'utf8')), process.argv[4])));
  if (process.argv[2] === 'pair') {
    const { a, b, cwd, env, plan } = JSON.parse(readFileSync(process.argv[3], 'utf8'));
    const error = sameOutput([a, b], { cwd, env });
    let out = { error };
    if (!error) {
      try { out = timePair(a, b, { cwd, env }, plan); } catch (e) { out = { error: e.message }; }
    }
    console.log(JSON.stringify(out));
  }
}
