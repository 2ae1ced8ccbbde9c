// Which files in a directory are code: by name ending, by a shebang naming node (extensionless files,
// read only their first bytes), and the files a package.json names in "bin".
import { constants } from 'node:fs';
import { closeSync, openSync, readdirSync, readFileSync, readSync } from './own-fs.js';
import { basename, dirname, extname, join, resolve } from 'node:path';

/** File name endings that hold code Node can load (`.jsx`/`.tsx` through a loader such as tsx). */
const CODE = new Set(['.js', '.mjs', '.cjs', '.jsx', '.ts', '.mts', '.cts', '.tsx', '.node', '.wasm']);
const DECLARATION = /\.d\.[mc]?ts$/;
/** A shared library (`libvips.so`, `libvips-cpp.so.8.17.3`): an addon in a package tree may map it. */
const SHARED_LIBRARY = /\.so(\.\d+)*$/;
/** How many bytes of an extensionless file are read to find a shebang. */
const HEAD = 128;
const INTERPRETERS = new Set(['node', 'nodejs', 'secnode']);

/** True when a file name is code that Node can load (not JSON, maps or declarations), or a shared library. */
export function isCodeFile(name: string): boolean {
  return (CODE.has(extname(name)) && !DECLARATION.test(name)) || SHARED_LIBRARY.test(name);
}

/** True for code that is not JavaScript text: addons, WebAssembly, shared libraries (checked, never parsed). */
export function isBinaryCode(name: string): boolean {
  const ext = extname(name);
  return ext === '.node' || ext === '.wasm' || SHARED_LIBRARY.test(name);
}

/** True when the first line is a shebang that runs node, nodejs or secnode (directly or through `env`, with `-S` and flags). */
export function isNodeShebang(head: string): boolean {
  if (!head.startsWith('#!')) return false;
  const words = (head.slice(2).split('\n')[0] ?? '').trim().split(/\s+/);
  const first = words[0] ?? '';
  if (INTERPRETERS.has(basename(first))) return true;
  if (basename(first) !== 'env') return false;
  for (const w of words.slice(1)) {
    if (w.startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) continue;
    return INTERPRETERS.has(basename(w));
  }
  return false;
}

/** True when the file at `path` starts with a node shebang (reads at most 128 bytes). */
function hasNodeShebang(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return false;
  }
  try {
    const buf = Buffer.alloc(HEAD);
    return isNodeShebang(buf.toString('latin1', 0, readSync(fd, buf, 0, HEAD, 0)));
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/** The files a package.json names in "bin" (a string or an object of strings), inside its directory. */
function binFiles(packageJson: string): string[] {
  let bin: unknown;
  try {
    const text = readFileSync(packageJson, 'utf8');
    if (!text.includes('"bin"')) return [];
    bin = (JSON.parse(text) as { bin?: unknown }).bin;
  } catch {
    return [];
  }
  const dir = dirname(packageJson);
  const names = typeof bin === 'string' ? [bin] : bin !== null && typeof bin === 'object' ? Object.values(bin) : [];
  return names.filter((n): n is string => typeof n === 'string' && n !== '')
    .map((n) => resolve(dir, n)).filter((p) => p.startsWith(`${dir}/`) && !/\.(json|map)$/.test(p));
}

/** Every code file under `dir`: code name endings, extensionless files with a node shebang, and package.json "bin" files. */
export function* codeFilesIn(dir: string): Generator<string> {
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
      else if (!e.isFile() && !e.isSymbolicLink()) continue;
      else if (isCodeFile(e.name)) yield p;
      else if (e.name === 'package.json') yield* binFiles(p);
      else if (extname(e.name) === '' && hasNodeShebang(p)) yield p;
    }
  }
}
