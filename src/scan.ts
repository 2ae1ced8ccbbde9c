// secnodectl scan: the static module graph from entries and directories, each file checked by the kernel.
import { closeSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { checkOpenFd, openForCheck } from './check.js';
import { errnoName } from './errno.js';
import { findImports } from './imports.js';
import { preloadsInOrder } from './preloads.js';
import { packageScope, resolveImport, resolveRequire, type Resolution } from './resolve.js';
import { explain } from './why.js';

/** One code file in the graph and what the kernel says about it. */
export interface ScannedFile {
  readonly path: string;
  readonly verdict: 'allowed' | 'refused';
  readonly errno: string | null;
  readonly reason: string;
  readonly mode: string;
  /** True when adding x bits alone would make it pass. */
  readonly fixable: boolean;
  readonly emulated: boolean;
  /** Files that load this one (empty for roots). */
  readonly importers: string[];
}

/** A specifier the scan could not follow. */
export interface Unresolved { readonly specifier: string | null; readonly importer: string; readonly line: number; readonly reason: string }

/** The scan report (`--json` prints it; format version 1). */
export interface ScanReport {
  readonly v: 1;
  readonly roots: string[];
  readonly files: ScannedFile[];
  readonly unresolved: Unresolved[];
  readonly unparsed: { readonly path: string; readonly error: string }[];
  readonly summary: { readonly files: number; readonly refused: number; readonly fixable: number; readonly wouldStartUnderRestrictFile: boolean };
}

/** File name endings that hold code (parsed), and those that are code but not parsed. */
const PARSED = new Set(['.js', '.mjs', '.cjs']);
const CODE = new Set([...PARSED, '.ts', '.mts', '.cts', '.node', '.wasm']);
const DECLARATION = /\.d\.[mc]?ts$/;

/** True when a file name is code that Node can load (not JSON, maps or declarations). */
export function isCodeFile(name: string): boolean {
  return CODE.has(extname(name)) && !DECLARATION.test(name);
}

function* codeFilesIn(dir: string): Generator<string> {
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop() as string;
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if ((e.isFile() || e.isSymbolicLink()) && isCodeFile(e.name)) yield p;
    }
  }
}

function preferModule(path: string): boolean {
  const ext = extname(path);
  if (ext === '.mjs' || ext === '.mts') return true;
  if (ext === '.cjs' || ext === '.cts') return false;
  return packageScope(path)?.json.type === 'module';
}

function stripTypes(source: string): string | undefined {
  const m = createRequire(import.meta.url)('node:module') as { stripTypeScriptTypes?: (s: string) => string };
  return m.stripTypeScriptTypes?.(source);
}

/** Options for a scan. */
export interface ScanOptions {
  readonly nodeOptions?: string;
  readonly cwd?: string;
  readonly emulate?: boolean;
  /** Called after each file (for progress output). */
  readonly progress?: (done: number, queued: number) => void;
}

/** Scans entries and directories; never runs any of the code. */
export function scan(inputs: readonly string[], opts: ScanOptions = {}): ScanReport {
  const cwd = opts.cwd ?? process.cwd();
  const files = new Map<string, ScannedFile>();
  const unresolved: Unresolved[] = [];
  const unparsed: { path: string; error: string }[] = [];
  const queue: { path: string; importer?: string }[] = [];
  const roots: string[] = [];
  const add = (path: string, importer?: string) => {
    const known = files.get(path);
    if (known) {
      if (importer && !known.importers.includes(importer)) known.importers.push(importer);
    } else {
      queue.push(importer === undefined ? { path } : { path, importer });
    }
  };
  for (const input of inputs) {
    const abs = resolve(cwd, input);
    if (statSync(abs).isDirectory()) for (const f of codeFilesIn(abs)) add(f);
    else add(abs);
    roots.push(abs);
  }
  for (const p of preloadsInOrder(opts.nodeOptions ?? '', [], cwd)) {
    if (p.path) add(p.path);
    else unresolved.push({ specifier: p.spec, importer: 'NODE_OPTIONS', line: 0, reason: 'preload that is not a file' });
  }
  let done = 0;
  while (queue.length > 0) {
    const { path: given, importer } = queue.shift() as { path: string; importer?: string };
    let path = given;
    try {
      path = realpathSync(given);
    } catch { /* reported by the open below */ }
    const known = files.get(path);
    if (known) {
      if (importer && !known.importers.includes(importer)) known.importers.push(importer);
      continue;
    }
    let fd: number;
    try {
      fd = openForCheck(path);
    } catch (e) {
      unresolved.push({ specifier: given, importer: importer ?? '(root)', line: 0, reason: (e as Error).message });
      continue;
    }
    let source: string | undefined;
    try {
      const result = checkOpenFd(fd, path, opts.emulate ?? false);
      const why = explain(fd, result.errno);
      files.set(path, {
        path, verdict: result.outcome === 'allowed' ? 'allowed' : 'refused',
        errno: result.errno === 0 ? null : errnoName(result.errno), reason: why.reason, mode: why.mode,
        fixable: why.fixable, emulated: result.emulated, importers: importer ? [importer] : [],
      });
      const ext = extname(path);
      if (PARSED.has(ext) || ext === '.ts' || ext === '.mts' || ext === '.cts') source = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
    opts.progress?.(++done, queue.length);
    if (source === undefined) continue;
    const ext = extname(path);
    if (!PARSED.has(ext)) {
      source = stripTypes(source);
      if (source === undefined) {
        unparsed.push({ path, error: 'TypeScript needs Node 22.13+ to scan (module.stripTypeScriptTypes)' });
        continue;
      }
    }
    let refs;
    try {
      refs = findImports(source, preferModule(path));
    } catch (e) {
      unparsed.push({ path, error: (e as Error).message });
      continue;
    }
    for (const ref of refs) {
      if (ref.specifier === null) {
        unresolved.push({ specifier: null, importer: path, line: ref.line, reason: `${ref.kind} with a specifier computed at run time` });
        continue;
      }
      const r: Resolution = ref.kind === 'require' ? resolveRequire(ref.specifier, path)
        : ref.kind === 'worker' ? resolveImport(ref.specifier.startsWith('.') || ref.specifier.startsWith('/') || ref.specifier.startsWith('file:') ? ref.specifier : `./${ref.specifier}`, path)
          : resolveImport(ref.specifier, path);
      if ('path' in r) {
        if (isCodeFile(r.path) || !/\.(json|map)$/.test(r.path)) add(r.path, path);
      } else if ('unresolved' in r) {
        unresolved.push({ specifier: ref.specifier, importer: path, line: ref.line, reason: r.unresolved });
      }
    }
  }
  const list = [...files.values()].sort((a, b) => a.path.localeCompare(b.path));
  const refused = list.filter((f) => f.verdict === 'refused');
  return {
    v: 1, roots, files: list, unresolved, unparsed,
    summary: {
      files: list.length, refused: refused.length, fixable: refused.filter((f) => f.fixable).length,
      wouldStartUnderRestrictFile: refused.length === 0,
    },
  };
}

/** The root directory `--fix` may change for an input: a directory itself, or a file's package root. */
export function fixRoot(input: string): string {
  const abs = realpathSync(input);
  if (statSync(abs).isDirectory()) return abs;
  return packageScope(abs)?.dir ?? dirname(abs);
}
