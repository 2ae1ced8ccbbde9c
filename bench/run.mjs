// `npm run bench [-- --quick]`: times `secnode` against `node` on generated module graphs and real
// command-line tools, on the system Node (20) and the pinned Nodes (22, 24, 26), and prints ratios and per-module costs.
// Env: BENCH_RUNS=<n> overrides the number of measured runs. Never fails on a missed target.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNodes } from '../test/install-node.mjs';
import { writeGraph, writeHello } from './graphs.mjs';
import { benchReport } from './report.mjs';
import { countModules, median, sameOutput, timePair } from './measure.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const QUICK = process.argv.includes('--quick');
const RUNS = Number(process.env.BENCH_RUNS) || undefined;
/** `--only=hello,cjs-1000` runs just those cases (`report`: the `secnodectl report` measurement); `--node=24` just that Node major. */
const ONLY = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const NODE_MAJOR = process.argv.find((a) => a.startsWith('--node='))?.slice(7);
const SIZES = [100, 1000, 5000];
/** Targets from the compass: Node 24 only. */
const TARGETS = { 'cjs-1000': 1.3, 'esm-1000': 1.2, hello: 1.15 };

/** Warm-up and measured runs for a case with `modules` modules. */
function plan(modules) {
  if (QUICK) return { warmup: 1, runs: RUNS ?? 3 };
  return modules >= 5000 ? { warmup: 1, runs: RUNS ?? 5 } : { warmup: 2, runs: RUNS ?? 9 };
}

/** Copies the built secnode (launcher, dist, package.json; node_modules linked) to `dir`, so a rebuild of
 * the repository during the run cannot change or break the code under test; returns the launcher's path. */
function snapshot(dir) {
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return join(dir, 'dist/runtime/secnode');
}

/** Every file under `dir` (recursively). */
function walk(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name));
}

/** The environment for one Node version: its bin first in PATH, no NODE_OPTIONS, no SECNODE_* variables. */
function envFor(bin) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !k.startsWith('SECNODE_')));
  return { ...env, PATH: `${bin}:${process.env.PATH}` };
}

const fmt = (x, d = 1) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));

const started = Date.now();
const tmp = mkdtempSync(join(tmpdir(), 'secnode-bench-'));
if (ONLY?.every((c) => c === 'report')) {
  try {
    benchReport({ node: process.execPath, secnodectl: join(ROOT, 'dist/runtime/secnodectl.js'), tmp });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  process.exit(0);
}
try {
  const SECNODE = snapshot(join(tmp, 'secnode'));
  const load = [loadavg()[0]];
  // 1. The cases.
  const cases = [{ name: 'hello', modules: 1, args: [writeHello(join(tmp, 'hello'))] }];
  const graphFiles = [];
  for (const kind of ['esm', 'cjs', 'mixed']) {
    for (const n of SIZES) {
      const dir = join(tmp, `${kind}-${n}`);
      cases.push({ name: `${kind}-${n}`, modules: n, args: [writeGraph(dir, kind, n)] });
      graphFiles.push(...walk(dir).filter((f) => /\.[cm]?js$/.test(f)));
    }
  }
  cases.push({ name: 'tsc --version', args: [join(ROOT, 'node_modules/typescript/bin/tsc'), '--version'] });
  cases.push({ name: 'vitest --version', args: [join(ROOT, 'node_modules/vitest/vitest.mjs'), '--version'] });
  if (ONLY) cases.splice(0, cases.length, ...cases.filter((c) => ONLY.includes(c.name)));
  const fileList = join(tmp, 'files.json');
  writeFileSync(fileList, JSON.stringify(graphFiles));

  const versions = [dirname(process.execPath), ...ensureNodes()].map((bin) => {
    const node = join(bin, 'node');
    return { bin, node, version: spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim() };
  });
  const opts = (v) => ({ cwd: ROOT, env: envFor(v.bin) });
  const timed = NODE_MAJOR ? versions.filter((v) => v.version.startsWith(`v${NODE_MAJOR}.`)) : versions;

  // Modules each tool loads, counted once with Node 24 (the graphs' counts double as a generator check).
  const v24 = versions.find((v) => v.version.startsWith('v24.'));
  for (const c of cases) {
    const counted = countModules(v24.node, c.args, opts(v24), tmp);
    if (c.modules === undefined) c.modules = counted;
    else if (counted !== c.modules) console.warn(`warning: ${c.name} loads ${counted} modules, expected ${c.modules}`);
  }

  // 2-3. Time every case on every version, and measure the floor under the same `node`.
  const results = [];
  const floors = {};
  for (const v of timed) {
    const f = spawnSync(v.node, [join(ROOT, 'bench/measure.mjs'), 'floor', fileList, join(tmp, 'secnode/dist/src/check.js')], { ...opts(v), encoding: 'utf8' });
    floors[v.version] = f.status === 0 ? JSON.parse(f.stdout) : { error: f.stderr.trim() };
    const floor = floors[v.version].us;
    if (floors[v.version].denied) console.warn(`warning: ${floors[v.version].denied} generated files fail the check`);
    console.error(`${v.version}: floor ${fmt(floor, 2)} µs/file over ${graphFiles.length} files`);
    for (const c of cases) {
      const row = { node: v.version, case: c.name, modules: c.modules, plan: plan(c.modules ?? 0) };
      const target = v.version.startsWith('v24.') ? TARGETS[c.name] : undefined;
      if (target) row.target = target;
      results.push(row);
      const t0 = Date.now();
      row.error = sameOutput([v.node, SECNODE], c.args, opts(v));
      if (row.error) { console.error(`  ${c.name}: ERROR ${row.error}`); continue; }
      let s;
      try { s = timePair(v.node, SECNODE, c.args, opts(v), row.plan); }
      catch (e) { row.error = e.message; console.error(`  ${c.name}: ERROR ${row.error}`); continue; }
      row.samples = { node: s.a, secnode: s.b };
      row.nodeMs = median(s.a);
      row.secnodeMs = median(s.b);
      row.ratio = row.secnodeMs / row.nodeMs;
      if (c.modules) row.perModuleUs = ((row.secnodeMs - row.nodeMs) * 1000) / c.modules;
      if (row.perModuleUs !== undefined && floor !== undefined) row.aboveFloorUs = row.perModuleUs - floor;
      if (target) row.pass = row.ratio <= target;
      console.error(`  ${c.name}: ${fmt(row.nodeMs)} / ${fmt(row.secnodeMs)} ms (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
  }

  // 4. The table, the targets, and results.json.
  const head = ['node', 'case', 'modules', 'node ms', 'secnode ms', 'ratio', 'target', 'µs/module', 'above floor µs'];
  const rows = results.map((r) => [r.node, r.case, String(r.modules ?? '-'),
    ...(r.error ? ['ERROR', '', '', r.target ? `≤${r.target.toFixed(2)} ERROR` : '', '', ''] : [fmt(r.nodeMs), fmt(r.secnodeMs), fmt(r.ratio, 2) + 'x',
      r.target ? `≤${r.target.toFixed(2)} ${r.pass ? 'PASS' : 'MISS'}` : '', fmt(r.perModuleUs), fmt(r.aboveFloorUs)])]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`\nsecnode vs node, medians of ${QUICK ? 'quick ' : ''}runs (interleaved; floor = open+check+read per file)`);
  for (const v of timed) console.log(`floor ${v.version}: ${fmt(floors[v.version].us, 2)} µs/file`);
  console.log('\n' + line(head) + '\n' + line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(r));
  for (const r of results.filter((x) => x.error)) console.log(`ERROR ${r.node} ${r.case}: ${r.error}`);
  load.push(loadavg()[0]);
  console.log(`load average (1 min) at start/end: ${load.map((x) => x.toFixed(2)).join(' / ')} on ${availableParallelism()} cpus`);
  console.log('\nTargets (Node 24):');
  for (const r of results.filter((x) => x.target)) {
    console.log(`  ${r.case.padEnd(10)} ratio ${r.error ? 'ERROR' : fmt(r.ratio, 2) + 'x'} target ≤${r.target.toFixed(2)}x  ${r.error ? 'ERROR' : r.pass ? 'PASS' : 'MISS'}`);
  }
  const report = !ONLY || ONLY.includes('report') ? benchReport({ node: process.execPath, secnodectl: join(tmp, 'secnode/dist/runtime/secnodectl.js'), tmp }) : undefined;
  const seconds = (Date.now() - started) / 1000;
  console.log(`\ntotal ${seconds.toFixed(0)} s; results in bench/results.json`);
  writeFileSync(join(ROOT, 'bench/results.json'), JSON.stringify({
    date: new Date().toISOString(), quick: QUICK, seconds, kernel: spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim(),
    load, floors, results, report,
  }, null, 2) + '\n');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
