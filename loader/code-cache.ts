// secnode's shared loader code (shared-code.cjs) compiled from a V8 code cache: the cache's name, when one
// may be read, compiling the code with it, and writing one. A cache has the trust of code: under enforcement
// only a cache the running user cannot write, owned by the install's owner or root, is read; with no bits
// the install's owner writes the one its Node lacks at its first start's first file load (docs/performance.md).
import { constants } from 'node:fs';
import { closeSync, fstatSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from '../src/own-fs.js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { SECBIT_EXEC_DENY_INTERACTIVE, SECBIT_EXEC_RESTRICT_FILE } from '../src/constants.js';
import { readSecurebits } from '../src/kernel.js';
import { mountOf } from '../src/mounts.js';

/** What became of this Node's cache: taken by V8, turned down by V8 (another source or flags), absent, or not read (distrusted). */
export type CacheUse = 'accepted' | 'rejected' | 'none' | 'ignored';

const HERE = dirname(fileURLToPath(import.meta.url));
const CODE_NAME = 'shared-code.cjs';

/**
 * The cache's name: this build of the code (`id`), the directory it sits in (a hash: Node 20's V8 keeps the
 * file name a cache was made under in stack traces, so a cache serves only where it was made), this V8, this CPU.
 */
export function cacheName(dir: string, id: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < dir.length; i++) h = Math.imul(h ^ dir.charCodeAt(i), 0x01000193) >>> 0;
  return `shared-code.${id}.${h.toString(16)}.${process.versions.v8}-${process.arch}.cache`;
}

/** The build id a cache name carries: the first 16 hex digits of the code's SHA-256 (the build bakes it into the stub). */
export function buildId(code: string): string {
  const { createHash } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(readFileSync(code)).digest('hex').slice(0, 16);
}

/**
 * Whether only a cache the running user cannot write may be read: when an exec securebit or a SECNODE_
 * enforcement setting is set (any value: a bad one refuses the start later), when the bits cannot be read,
 * and for the library, whose `install()` options may enforce after the code is compiled.
 */
export function strictCache(library: boolean): boolean {
  if (library || process.env.SECNODE_RESTRICT_FILE || process.env.SECNODE_DENY_INTERACTIVE) return true;
  try {
    return (readSecurebits() & (SECBIT_EXEC_RESTRICT_FILE | SECBIT_EXEC_DENY_INTERACTIVE)) !== 0;
  } catch {
    return true;
  }
}

const mode = (m: number): string => (m & 0o7777).toString(8).padStart(4, '0');

/**
 * Why the cache open on `fd` in `dir` must not be read under enforcement, or undefined when it may: it must be
 * a regular file owned by the code's owner (`owner`) or root, neither it nor its directory writable by group
 * or others, and the running user must not own either (root could write both) unless the mount is read-only.
 */
export function distrust(fd: number, dir: string, owner: number): string | undefined {
  const st = fstatSync(fd);
  const d = statSync(dir);
  const euid = process.geteuid?.() ?? 0;
  if (!st.isFile()) return 'not a regular file';
  if (st.uid !== owner && st.uid !== 0) return `owned by uid ${st.uid}, not by the install's owner (uid ${owner}) or root`;
  if ((st.mode & 0o022) !== 0) return `writable by group or others (mode ${mode(st.mode)})`;
  if (d.uid !== owner && d.uid !== 0) return `its directory is owned by uid ${d.uid}, not by the install's owner (uid ${owner}) or root`;
  if ((d.mode & 0o022) !== 0) return `its directory is writable by group or others (mode ${mode(d.mode)})`;
  if ((euid === 0 || euid === st.uid || euid === d.uid) && mountOf(fd)?.readOnly !== true) {
    return `the running user (uid ${euid}) could write it (${euid === 0 ? 'root, on a writable mount' : 'its owner or its directory\'s'})`;
  }
  return undefined;
}

/** Reads the cache for `id` in `dir` (never through a symlink); under `strict`, only one `distrust` passes. */
function readCache(dir: string, id: string, strict: boolean): { data: Buffer } | { use: 'none' | 'ignored'; reason: string } {
  let fd: number;
  try {
    fd = openSync(join(dir, cacheName(dir, id)), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    return { use: 'none', reason: (e as { code?: string }).code === 'ELOOP' ? 'a symlink (never followed)' : 'none for this Node' };
  }
  try {
    const reason = strict ? distrust(fd, dir, statSync(join(dir, CODE_NAME)).uid) : undefined;
    return reason === undefined ? { data: readFileSync(fd) } : { use: 'ignored', reason };
  } finally {
    closeSync(fd);
  }
}

/** Compiles the code as CommonJS would (the wrapper on a line of its own, lineOffset -1: lines and columns stay the file's). */
function compile(code: string, cachedData?: Buffer): Script {
  const source = `(function (exports, require, module, __filename, __dirname) {\n${readFileSync(code, 'utf8')}\n})`;
  return new Script(source, cachedData === undefined ? { filename: code, lineOffset: -1 } : { filename: code, lineOffset: -1, cachedData });
}

/** Writes a cache atomically (a private temporary file renamed over the name), mode 0644. */
function writeCache(dir: string, id: string, data: Buffer): string {
  const file = join(dir, cacheName(dir, id));
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    writeFileSync(fd, data);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return file;
}

let pendingSave: (() => void) | undefined;

/**
 * Whether the library's entry (install.cjs) is what loads the stub: Node lists a module among the children of
 * the module that requires it first. (Reading `stub.parent` instead prints DEP0144 under --pending-deprecation.)
 */
function loadedByLibrary(cache: NodeJS.Require['cache'], stub: NodeJS.Module, dir: string): boolean {
  return cache[join(dir, 'install.cjs')]?.children.includes(stub) === true;
}

/** Runs the shared code for its stub module (shared.cjs), compiled from the cache this process may read. */
export function runShared(stub: NodeJS.Module, id: string): void {
  const dir = dirname(stub.filename);
  const code = join(dir, CODE_NAME);
  const codeRequire = createRequire(code);
  const strict = strictCache(loadedByLibrary(codeRequire.cache, stub, dir));
  const read = readCache(dir, id, strict);
  const script = compile(code, 'data' in read ? read.data : undefined);
  (script.runInThisContext() as (...a: unknown[]) => void)(stub.exports, codeRequire, stub, code, dir);
  const use: CacheUse = 'data' in read ? (script.cachedDataRejected === true ? 'rejected' : 'accepted') : read.use;
  // For the suite: whether this Node took the cache, turned it down, had none, or did not read it.
  Object.defineProperty(stub.exports, Symbol.for('secnode.codeCache'), { value: use });
  if (use === 'accepted' || strict) return;
  const euid = process.geteuid?.();
  if (euid !== undefined && euid === statSync(code).uid && euid === statSync(dir).uid) {
    pendingSave = () => writeCache(dir, id, script.createCachedData());
  }
}

/** At the first file load, with no bits: writes the cache this Node lacked, when the running user owns the install (once). */
export function saveCodeCache(): void {
  const save = pendingSave;
  if (save === undefined) return;
  pendingSave = undefined;
  try {
    save();
  } catch {
    // A read-only or full disk: the next start compiles from source again, as this one did.
  }
}

let making: { dir: string; id: string; code: string; script: Script } | undefined;

/**
 * Run in the Node a cache is made for (the build, the install step, `secnodectl cache`): compiles the code as
 * the stub does and starts secnode, as the register does (`preload`, from a preload before a small program,
 * so the functions a start and each module load run are compiled too) or as `install()` does; then
 * `finishCodeCache` writes the cache V8 holds.
 */
export function beginCodeCache(as: 'preload' | 'install', dir: string = HERE): void {
  const code = join(dir, CODE_NAME);
  const stubFile = join(dir, 'shared.cjs');
  const script = compile(code);
  const Module = createRequire(import.meta.url)('node:module') as { new (id: string): NodeJS.Module; _cache: Record<string, NodeJS.Module> };
  const stub = new Module(stubFile);
  stub.filename = stubFile;
  stub.loaded = true;
  Module._cache[stubFile] = stub;
  (script.runInThisContext() as (...a: unknown[]) => void)(stub.exports, createRequire(code), stub, code, dir);
  making = { dir, id: buildId(code), code, script };
  (stub.exports as { boot(as: string, main: boolean): unknown }).boot(as, true);
}

/** Writes the cache `beginCodeCache` started and checks that V8 takes it; returns its path. */
export function finishCodeCache(): string {
  if (making === undefined) throw new Error('secnode: finishCodeCache before beginCodeCache');
  const { dir, id, code, script } = making;
  const file = writeCache(dir, id, script.createCachedData());
  if (compile(code, readFileSync(file)).cachedDataRejected === true) throw new Error('V8 rejects the cache it just made');
  return file;
}

/** The same from `node -e` (where no program runs after secnode's start): the cache holds the start as `install()` runs it. */
export function makeCodeCache(dir: string = HERE): string {
  try {
    beginCodeCache('install', dir);
  } catch {
    // Installing failed (the bits are set, say): the cache holds the top level only.
  }
  return finishCodeCache();
}

/** For `secnodectl status`: this Node's cache for this install, and what a start in this process would do with it. */
export function codeCacheStatus(): { file: string; use: CacheUse; reason?: string } {
  const code = join(HERE, CODE_NAME);
  const id = buildId(code);
  const file = join(HERE, cacheName(HERE, id));
  const read = readCache(HERE, id, strictCache(false));
  if (!('data' in read)) return { file, ...read };
  return compile(code, read.data).cachedDataRejected === true ? { file, use: 'rejected', reason: 'V8 turns it down (made for other code or flags)' } : { file, use: 'accepted' };
}
