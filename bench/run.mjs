// `npm run bench [-- options]`: times `secnode` against `node` in the same run (interleaved pairs) on Node
// 20, 22, 24 and 26: generated module graphs and a one-file script, and real tools from the registry
// (tsc -p, eslint, prettier, a fastify app serving one request); with no securebits and under RF+DI
// (locked, every file 0755); on 2 CPUs and on 1 (taskset -c 0); then where the time goes. Prints ratios;
// never fails on a missed target. "own µs/module" is secnode's own cost per module: secnode with its kernel
// call stubbed out, minus node, over the module count (no bits, 2 CPUs). Install rows time the one-file script
// from the packed tarball installed with npm, with its install step and with --ignore-scripts.
// Options: --quick, --node=24, --only=hello,cjs-1000 (or report), --sizes=100,1000,5000 (default 1000),
// --no-one-cpu, --no-breakdown, --no-installs. Env: BENCH_RUNS=<n> sets the measured runs.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNodes } from '../test/install-node.mjs';
import { variants, withoutCheck } from './breakdown.mjs';
import { writeGraph, writeHello } from './graphs.mjs';
import { benchReport } from './report.mjs';
import { countModules, median } from './measure.mjs';
import { writeTools } from './tools.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const QUICK = process.argv.includes('--quick');
const RUNS = Number(process.env.BENCH_RUNS) || undefined;
const ONLY = arg('only')?.split(',');
const NODE_MAJOR = arg('node');
const SIZES = (arg('sizes') ?? '1000').split(',').map(Number);
const ONE_CPU = !process.argv.includes('--no-one-cpu');
const BREAKDOWN = !process.argv.includes('--no-breakdown');
const INSTALLS = !process.argv.includes('--no-installs');
/** The issue's targets, as ratios to plain node in the same run: Node 24 and 26, no bits, 2 CPUs. */
const TARGETS = { hello: 1.12, 'esm-1000': 1.1, 'cjs-1000': 1.4, 'tsc -p': 1.1, eslint: 1.1, prettier: 1.1, fastify: 1.1 };
/** On Node 20 (hooks thread), every workload. */
const NODE20_TARGET = 1.35;
/** RF+DI may cost at most this much more than no bits (ratio of the two ratios). */
const ENFORCED_TARGET = 1.03;
/**
 * RF+DI pairs run as uid 65534 (nobody) when the bench runs as root: a service's usual user. Under the bits
 * root reads secnode's code cache only from a read-only mount (docs/performance.md), as a service user reads
 * the root-owned one; with no bits the pairs run as the bench's user.
 */
const ENFORCED_UID = 65534;
const ENFORCED_AS = process.getuid?.() === 0 ? ['setpriv', `--reuid=${ENFORCED_UID}`, `--regid=${ENFORCED_UID}`, '--clear-groups'] : [];
/** Tools timed under RF+DI with a sealed compile cache, and their target against plain node with that cache on. */
const SEALED_TOOLS = ['tsc -p', 'eslint', 'prettier'];
const SEALED_TARGET = 1.05;
const MODES = { none: [], 'RF+DI': ['--restrict-file', '--deny-interactive'] };

/** Warm-up and measured runs for a case (fewer for the big graphs and the tools that take seconds). */
function plan(c) {
  if (QUICK) return { warmup: 1, runs: RUNS ?? 3 };
  return c.modules >= 5000 || c.slow ? { warmup: 1, runs: RUNS ?? 5 } : { warmup: 2, runs: RUNS ?? 9 };
}

/** Copies the built secnode (dist, package.json, the cache maker; node_modules linked) to `dir`: a rebuild during the run changes nothing. */
function snapshot(dir) {
  mkdirSync(join(dir, 'runtime'), { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  copyFileSync(join(ROOT, 'runtime', 'code-cache.mjs'), join(dir, 'runtime', 'code-cache.mjs'));
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
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
const major = (v) => Number(v.version.slice(1).split('.')[0]);

const started = Date.now();
const tmp = mkdtempSync(join(tmpdir(), 'secnode-bench-'));
const sealedBase = process.getuid?.() === 0 ? mkdtempSync('/run/secnode-bench-') : undefined;
if (sealedBase) chmodSync(sealedBase, 0o755); // the RF+DI pairs' user reads the sealed caches in it
chmodSync(tmp, 0o755); // readable by the RF+DI pairs' user
try {
  if (ONLY?.every((c) => c === 'report')) {
    benchReport({ node: process.execPath, secnodectl: join(ROOT, 'dist/runtime/secnodectl.js'), tmp });
    process.exit(0);
  }
  const load = [loadavg()[0]];
  const versions = [dirname(process.execPath), ...ensureNodes()].map((bin) => {
    const node = join(bin, 'node');
    return { bin, node, version: spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim() };
  });
  const timed = NODE_MAJOR ? versions.filter((v) => major(v) === Number(NODE_MAJOR)) : versions;
  /** Makes secnode's code cache in a secnode copy for every Node timed. */
  const makeCache = (dir) => {
    const r = spawnSync(process.execPath, [join(dir, 'runtime', 'code-cache.mjs'), ...timed.map((v) => v.node)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`code cache: ${r.stderr}`);
  };
  /** Pins every Node timed in a secnode copy (as its operator does): under RF+DI the launcher runs only pinned ones. */
  const pinTimed = (ctl) => {
    const r = spawnSync(process.execPath, [ctl, 'pin-node', '--add', ...timed.map((v) => v.node)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`pin-node: ${r.stderr}`);
  };
  const SECNODE_DIR = snapshot(join(tmp, 'secnode'));
  makeCache(SECNODE_DIR);
  pinTimed(join(SECNODE_DIR, 'dist/runtime/secnodectl.js'));
  const SECNODE = join(SECNODE_DIR, 'dist/runtime/secnode');
  const SECNODECTL = join(SECNODE_DIR, 'dist/runtime/secnodectl.js');
  const NO_CHECK = withoutCheck(SECNODE_DIR, join(tmp, 'secnode-no-check'));
  makeCache(NO_CHECK);
  const NO_CHECK_REGISTER = join(NO_CHECK, 'dist', 'loader', 'register.cjs');
  /** secnode from the packed tarball, installed with npm (with its install step, and with --ignore-scripts). */
  const installs = [];
  if (INSTALLS) {
    const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', tmp], { cwd: ROOT, encoding: 'utf8' });
    const tarball = join(tmp, pack.stdout.trim().split('\n').at(-1) ?? '');
    for (const [how, extra] of [['tarball', []], ['tarball --ignore-scripts', ['--ignore-scripts']]]) {
      const app = join(tmp, how.replace(/\W+/g, '-'));
      mkdirSync(app, { recursive: true });
      writeFileSync(join(app, 'package.json'), '{ "name": "bench-app", "private": true }\n');
      const r = spawnSync('npm', ['install', ...extra, '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', tarball], { cwd: app, encoding: 'utf8' });
      if (r.status !== 0) console.warn(`warning: npm install (${how}) failed: ${r.stderr.trim().split('\n').pop()}`);
      else {
        pinTimed(join(app, 'node_modules', 'secnode', 'dist', 'runtime', 'secnodectl.js'));
        installs.push({ how, secnode: join(app, 'node_modules', 'secnode', 'dist', 'runtime', 'secnode') });
      }
    }
  }
  /** The install's owner starts it once with each Node timed (that start makes a cache its Node lacks). */
  const firstStarts = (v, args) => { for (const inst of installs) spawnSync(inst.secnode, args, { cwd: ROOT, env: envFor(v.bin), stdio: 'ignore' }); };

  // 1. The cases.
  const cases = [{ name: 'hello', modules: 1, args: [writeHello(join(tmp, 'hello'))], cwd: ROOT }];
  const graphFiles = [];
  for (const kind of ['esm', 'cjs', 'mixed']) {
    for (const n of SIZES) {
      const dir = join(tmp, `${kind}-${n}`);
      cases.push({ name: `${kind}-${n}`, modules: n, args: [writeGraph(dir, kind, n)], cwd: ROOT, graph: true });
      graphFiles.push(...walk(dir).filter((f) => /\.[cm]?js$/.test(f)));
    }
  }
  cases.push(...writeTools(join(tmp, 'tools')));
  if (ONLY) cases.splice(0, cases.length, ...cases.filter((c) => ONLY.includes(c.name)));
  const fileList = join(tmp, 'files.json');
  writeFileSync(fileList, JSON.stringify(graphFiles));

  // Modules each tool loads, counted once with Node 24 (the graphs' counts double as a generator check).
  const v24 = versions.find((v) => major(v) === 24);
  for (const c of cases) {
    const counted = countModules(v24.node, c.args, { cwd: c.cwd, env: envFor(v24.bin) }, tmp);
    if (c.modules === undefined) c.modules = counted;
    else if (counted !== c.modules) console.warn(`warning: ${c.name} loads ${counted} modules, expected ${c.modules}`);
  }

  /** Times argv `a` against argv `b` in a child that runs under `mode`'s bits and on `cpus` CPUs. */
  const pair = (a, b, c, v, mode, cpus, env = {}) => {
    const spec = join(tmp, 'pair.json');
    writeFileSync(spec, JSON.stringify({ a, b, cwd: c.cwd, env: { ...envFor(v.bin), ...env }, plan: plan(c) }));
    const inner = [process.execPath, join(ROOT, 'bench/measure.mjs'), 'pair', spec];
    const bits = MODES[mode].length > 0 ? [process.execPath, SECNODECTL, 'exec', ...MODES[mode], '--'] : [];
    const argv = [...(cpus === 1 ? ['taskset', '-c', '0'] : []), ...(bits.length > 0 ? ENFORCED_AS : []), ...bits, ...inner];
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26 });
    try { return JSON.parse(r.stdout); } catch { return { error: `${r.stderr.trim().split('\n').pop() ?? ''} (exit ${r.status})` }; }
  };

  // 2. Time every case on every version: no bits and RF+DI on 2 CPUs; no bits on 1 CPU for 24 and 26.
  const results = [];
  const floors = {};
  for (const v of timed) {
    const f = spawnSync(v.node, [join(ROOT, 'bench/measure.mjs'), 'floor', fileList, join(SECNODE_DIR, 'dist/src/check.js')], { encoding: 'utf8', env: envFor(v.bin) });
    floors[v.version] = f.status === 0 ? JSON.parse(f.stdout) : { error: f.stderr.trim() };
    console.error(`${v.version}: floor ${fmt(floors[v.version].us, 2)} µs/file over ${graphFiles.length} files`);
    const setups = [[2, 'none'], [2, 'RF+DI'], ...(ONE_CPU && [24, 26].includes(major(v)) ? [[1, 'none']] : [])];
    for (const [cpus, mode] of setups) {
      for (const c of cases) {
        const row = { node: v.version, cpus, mode, case: c.name, modules: c.modules };
        results.push(row);
        const t0 = Date.now();
        const s = pair([v.node, ...c.args], [SECNODE, ...c.args], c, v, mode, cpus);
        if (s.error) { row.error = s.error; console.error(`  ${cpus} cpu ${mode} ${c.name}: ERROR ${row.error}`); continue; }
        row.samples = { node: s.a, secnode: s.b };
        row.nodeMs = median(s.a);
        row.secnodeMs = median(s.b);
        row.ratio = row.secnodeMs / row.nodeMs;
        if (c.graph) row.perModuleUs = ((row.secnodeMs - row.nodeMs) * 1000) / c.modules;
        if (c.graph && mode === 'none' && cpus === 2) {
          const own = pair([v.node, ...c.args], [v.node, '--require', NO_CHECK_REGISTER, ...c.args], c, v, mode, cpus);
          if (!own.error) row.ownUs = ((median(own.b) - median(own.a)) * 1000) / c.modules;
        }
        console.error(`  ${cpus} cpu ${mode} ${c.name}: ${fmt(row.nodeMs)} / ${fmt(row.secnodeMs)} ms (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      }
    }
    // The real tools under RF+DI with the operator's sealed compile cache (warmed as the runner, sealed), against
    // plain node with that compile cache on. A sealed cache needs parents nobody else may write: /run, as root.
    for (const c of sealedBase ? cases.filter((x) => SEALED_TOOLS.includes(x.name)) : []) {
      const row = { node: v.version, cpus: 2, mode: 'RF+DI sealed', case: c.name, modules: c.modules };
      results.push(row);
      const dir = join(sealedBase, `${major(v)}-${c.name.replace(/\W+/g, '-')}`);
      const ctl = (args) => spawnSync(v.node, [SECNODECTL, 'cache', ...args], { cwd: c.cwd, env: envFor(v.bin), encoding: 'utf8' });
      const warm = ctl(['warm', dir, '--user', String(ENFORCED_UID), '--', SECNODE, ...c.args]);
      const sealed = warm.status === 0 ? ctl(['seal', dir]) : warm;
      if (sealed.status !== 0) { row.error = `sealed cache: ${sealed.stderr.trim()}`; continue; }
      const s = pair([v.node, ...c.args], [SECNODE, ...c.args], c, v, 'RF+DI', 2, { NODE_COMPILE_CACHE: dir });
      if (s.error) { row.error = s.error; console.error(`  2 cpu RF+DI sealed ${c.name}: ERROR ${row.error}`); continue; }
      Object.assign(row, { samples: { node: s.a, secnode: s.b }, nodeMs: median(s.a), secnodeMs: median(s.b) });
      row.ratio = row.secnodeMs / row.nodeMs;
      console.error(`  2 cpu RF+DI sealed ${c.name}: ${fmt(row.nodeMs)} / ${fmt(row.secnodeMs)} ms`);
    }
    // The one-file script from each install path (its first starts, the warm-up, make a missing cache).
    const hello = cases.find((c) => c.name === 'hello');
    if (hello) firstStarts(v, hello.args);
    for (const inst of hello ? installs : []) {
      for (const mode of ['none', 'RF+DI']) {
        const row = { node: v.version, cpus: 2, mode, case: `hello (${inst.how})`, modules: 1 };
        results.push(row);
        const s = pair([v.node, ...hello.args], [inst.secnode, ...hello.args], hello, v, mode, 2);
        if (s.error) { row.error = s.error; continue; }
        Object.assign(row, { samples: { node: s.a, secnode: s.b }, nodeMs: median(s.a), secnodeMs: median(s.b) });
        row.ratio = row.secnodeMs / row.nodeMs;
        console.error(`  2 cpu ${mode} ${row.case}: ${fmt(row.nodeMs)} / ${fmt(row.secnodeMs)} ms`);
      }
    }
  }

  // 3. Where the time goes (Node 24 and 26, no bits, 2 CPUs): each variant against plain node.
  const breakdown = [];
  if (BREAKDOWN) {
    for (const v of timed.filter((x) => [24, 26].includes(major(x)))) {
      const vs = variants(SECNODE_DIR, mkdtempSync(join(tmp, `parts-${major(v)}-`)), v.node, makeCache);
      for (const c of cases.filter((x) => ['hello', 'cjs-1000', 'esm-1000'].includes(x.name))) {
        for (const [name, pre] of vs) {
          const s = pair([v.node, ...c.args], [...pre, ...c.args], c, v, 'none', 2);
          const row = { node: v.version, case: c.name, variant: name };
          if (s.error) row.error = s.error;
          else Object.assign(row, { nodeMs: median(s.a), ms: median(s.b), extraMs: median(s.b) - median(s.a) });
          breakdown.push(row);
          console.error(`  parts ${v.version} ${c.name} ${name}: ${row.error ?? `+${fmt(row.extraMs)} ms`}`);
        }
      }
    }
  }

  // 4. The tables, the targets, and results.json.
  const target = (r) => (r.mode === 'RF+DI sealed' ? SEALED_TARGET : r.mode !== 'none' || r.cpus !== 2 ? undefined : major({ version: r.node }) === 20 ? NODE20_TARGET : [24, 26].includes(major({ version: r.node })) ? TARGETS[r.case] : undefined);
  const noBits = (r) => results.find((x) => x.node === r.node && x.cpus === r.cpus && x.mode === 'none' && x.case === r.case);
  const head = ['node', 'cpus', 'bits', 'case', 'modules', 'node ms', 'secnode ms', 'ratio', 'target', 'µs/module', 'own µs/module'];
  const rows = results.map((r) => {
    const t = target(r);
    const base = r.mode === 'RF+DI' ? noBits(r) : undefined;
    const vsNone = base?.ratio && r.ratio ? r.ratio / base.ratio : undefined;
    const verdict = r.error ? 'ERROR' : t !== undefined ? `≤${t.toFixed(2)} ${r.ratio <= t ? 'PASS' : 'MISS'}`
      : vsNone !== undefined ? `${fmt((vsNone - 1) * 100, 1)}% vs none ${vsNone <= ENFORCED_TARGET ? 'PASS' : 'MISS'}` : '';
    return [r.node, String(r.cpus), r.mode, r.case, String(r.modules ?? '-'), fmt(r.nodeMs), fmt(r.secnodeMs), r.ratio ? `${fmt(r.ratio, 2)}x` : '-', verdict, fmt(r.perModuleUs), fmt(r.ownUs)];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 4 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`\nsecnode vs node, medians of ${QUICK ? 'quick ' : ''}interleaved runs, on ${availableParallelism()} CPUs (1-CPU rows: taskset -c 0)`);
  for (const v of timed) console.log(`floor ${v.version}: ${fmt(floors[v.version].us, 2)} µs per file (open + check + read, in a tight loop)`);
  console.log('\n' + line(head) + '\n' + line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(r));
  if (breakdown.length > 0) {
    console.log('\nWhere the time goes: each variant alone, ms above plain node (median of pairs)');
    for (const r of breakdown) console.log(`  ${r.node}  ${r.case.padEnd(9)}  ${r.variant.padEnd(36)}  ${r.error ? `ERROR ${r.error}` : `+${fmt(r.extraMs)} ms (node ${fmt(r.nodeMs)} ms)`}`);
  }
  load.push(loadavg()[0]);
  console.log(`load average (1 min) at start/end: ${load.map((x) => x.toFixed(2)).join(' / ')} on ${availableParallelism()} cpus`);
  const report = !ONLY || ONLY.includes('report') ? benchReport({ node: process.execPath, secnodectl: SECNODECTL, tmp }) : undefined;
  const seconds = (Date.now() - started) / 1000;
  console.log(`\ntotal ${seconds.toFixed(0)} s; results in bench/results.json`);
  writeFileSync(join(ROOT, 'bench/results.json'), JSON.stringify({
    date: new Date().toISOString(), quick: QUICK, seconds, cpus: availableParallelism(), kernel: spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim(),
    load, floors, results, breakdown, report,
  }, null, 2) + '\n');
} finally {
  rmSync(tmp, { recursive: true, force: true });
  if (sealedBase) rmSync(sealedBase, { recursive: true, force: true });
}
