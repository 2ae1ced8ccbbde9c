// secnodectl scan: the static module graph from entries and directories, each file checked by the kernel.
import { closeSync, readFileSync, realpathSync, statSync } from './own-fs.js';
import { dirname, extname, resolve } from 'node:path';
import { checkOpenFd, openForCheck } from './check.js';
import { codeFilesIn, isBinaryCode, isCodeFile } from './code-files.js';
import { errnoName } from './errno.js';
import { findImports, type ImportRef } from './imports.js';
import { preloadsInOrder } from './preloads.js';
import { packageScope, resolveImport, resolveRequire, type Resolution } from './resolve.js';
import { stripTypes } from './strip-types.js';
import { explain } from './why.js';
import { ownLibraries } from './ld-path.js';

export { isCodeFile } from './code-files.js';

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

/** Endings of TypeScript files. */
const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);

function preferModule(path: string): boolean {
  const ext = extname(path);
  if (ext === '.mjs' || ext === '.mts') return true;
  if (ext === '.cjs' || ext === '.cts') return false;
  return packageScope(path)?.json.type === 'module';
}

/** What a file loads, or why it could not be parsed (its imports are then not followed). */
function importsOf(path: string, source: string): ImportRef[] | { error: string } {
  let js = source;
  if (TYPESCRIPT.has(extname(path))) {
    const stripped = stripTypes(source);
    if ('error' in stripped) return stripped;
    js = stripped.js;
  }
  try {
    return findImports(js, preferModule(path));
  } catch (e) {
    return { error: (e as Error).message };
  }
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
  for (let next = 0; next < queue.length; next++) {
    const { path: given, importer } = queue[next] as { path: string; importer?: string };
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
      if (!isBinaryCode(path) && extname(path) !== '.json') source = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
    opts.progress?.(++done, queue.length - next - 1);
    if (extname(path) === '.node') {
      // An addon's own shared libraries (found through its RPATH/RUNPATH, as the linker would) are code too.
      try {
        for (const lib of ownLibraries(path)) add(lib, path);
      } catch (e) {
        unparsed.push({ path, error: `its shared libraries were not followed: ${(e as Error).message}` });
      }
    }
    if (source === undefined) continue;
    const refs = importsOf(path, source);
    if ('error' in refs) {
      unparsed.push({ path, error: refs.error });
      continue;
    }
    for (const ref of refs) {
      if (ref.specifier === null) {
        if (ref.kind !== 'reference') unresolved.push({ specifier: null, importer: path, line: ref.line, reason: `${ref.kind} with a specifier computed at run time` });
        continue;
      }
      let r: Resolution;
      try {
        r = ref.rules === 'require' ? resolveRequire(ref.specifier, path) : resolveImport(ref.specifier, path);
      } catch (e) {
        r = { unresolved: (e as Error).message.split('\n')[0] ?? 'error' };
      }
      if (ref.kind === 'reference') {
        if ('path' in r && isCodeFile(r.path)) add(r.path, path);
      } else if ('path' in r) {
        if (!/\.(json|map)$/.test(r.path)) add(r.path, path);
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
