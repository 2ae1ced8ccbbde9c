// Generates the benchmark's module graphs: ESM, CommonJS and mixed trees/DAGs, and a one-file script.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const PER_DIR = 50; // modules per directory, so graphs are spread over nested folders like real packages

/** A small deterministic PRNG (mulberry32), so every run generates the same graphs. */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Edges of an n-module DAG: a breadth-first tree with fan-out 5-10 plus a few forward cross edges. */
export function shape(n, seed = 1) {
  const rand = rng(seed);
  const deps = Array.from({ length: n }, () => []);
  let next = 1;
  for (let i = 0; i < n && next < n; i++) {
    const k = 5 + Math.floor(rand() * 6);
    for (let c = 0; c < k && next < n; c++) deps[i].push(next++);
  }
  for (let i = 1; i < n - 1; i += 3) { // shared dependencies make it a DAG (edges only go forward: acyclic)
    const j = i + 1 + Math.floor(rand() * (n - i - 1));
    if (!deps[i].includes(j)) deps[i].push(j);
  }
  return deps;
}

/** Writes a file with mode 0755 (so it would also pass under enforcement). */
function put(path, text) {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/** A relative specifier from one file to another ('./x' or '../d1/x'). */
function spec(from, to) {
  const r = relative(dirname(from), to);
  return r.startsWith('.') ? r : `./${r}`;
}

/** Writes one graph (`kind` esm | cjs | mixed, n modules) under `root`; returns its entry path. */
export function writeGraph(root, kind, n) {
  const deps = shape(n, n * 7 + kind.length);
  // mixed: the first fifth of the modules (the top of the tree) are ESM, the rest CJS; edges only
  // go forward, so ESM imports CJS and CJS requires CJS, never CJS -> ESM.
  const esmCount = kind === 'esm' ? n : kind === 'cjs' ? 0 : Math.max(1, Math.floor(n / 5));
  const ext = (i) => (kind === 'mixed' ? (i < esmCount ? '.mjs' : '.cjs') : '.js');
  const file = (i) => join(root, `d${Math.floor(i / PER_DIR)}`, `m${i}${ext(i)}`);
  if (kind !== 'mixed') put(join(root, 'package.json'), JSON.stringify({ type: kind === 'esm' ? 'module' : 'commonjs' }) + '\n');
  for (let i = 0; i < n; i++) {
    const me = file(i);
    const esm = i < esmCount;
    const lines = [];
    const later = []; // dynamic imports go after the static ones
    const terms = deps[i].map((d, k) => {
      const s = JSON.stringify(spec(me, file(d)));
      if (!esm) { lines.push(`const c${k} = require(${s});`); return `c${k}.v`; }
      if (kind === 'mixed' && k === 0 && i % 4 === 0) { later.push(`const c${k} = await import(${s});`); return d < esmCount ? `c${k}.v` : `c${k}.default.v`; }
      if (d < esmCount) { lines.push(`import { v as c${k} } from ${s};`); return `c${k}`; }
      lines.push(`import c${k} from ${s};`); return `c${k}.v`;
    });
    lines.push(...later, `let s = ${i};`, `for (let k = 0; k < 8; k++) s = (s * 31 + k) % 1000003;`);
    const value = [...terms, 's'].join(' + ');
    lines.push(esm ? `export const v = (${value}) % 1000003;` : `module.exports.v = (${value}) % 1000003;`);
    if (i === 0) lines.push(`console.log(${JSON.stringify(`${kind} ${n}`)}, ${esm ? 'v' : 'module.exports.v'});`);
    put(me, lines.join('\n') + '\n');
  }
  return file(0);
}

/** Writes the one-file script (prints hello) under `root`; returns its path. */
export function writeHello(root) {
  const path = join(root, 'hello.js');
  put(join(root, 'package.json'), '{"type":"commonjs"}\n');
  put(path, "console.log('hello');\n");
  return path;
}
