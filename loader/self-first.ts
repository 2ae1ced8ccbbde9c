// secnode's place at the head of NODE_OPTIONS: how every Node process (children, workers) loads it first.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { realpathNative } from '../src/own-fs.js';

/** The register bundle: the file `--require`/`--import secnode/register` names. */
export const REGISTER_FILE = resolve(dirname(fileURLToPath(import.meta.url)), 'register.cjs');

let realRegisterFile: string | undefined;

/**
 * True when `path` (a real path, as the preload list resolves them) is secnode's register: its path as loaded,
 * or the real path behind it (under `--preserve-symlinks` Node keeps a link in the paths of secnode's files).
 */
export function isRegisterFile(path: string | undefined): boolean {
  if (path === undefined) return false;
  if (path === REGISTER_FILE) return true;
  try {
    realRegisterFile ??= realpathNative(REGISTER_FILE);
  } catch {
    return false;
  }
  return path === realRegisterFile;
}

/** The NODE_OPTIONS token that makes a Node process load secnode first. */
export const REQUIRE_SELF = `--require "${REGISTER_FILE.replace(/[\\"]/g, '\\$&')}"`;

/** True when NODE_OPTIONS already makes a Node process load secnode first. */
export function selfFirst(options: string | undefined): boolean {
  return options === REQUIRE_SELF || (options?.startsWith(`${REQUIRE_SELF} `) ?? false);
}

/** NODE_OPTIONS with secnode first (the caller's options follow, unchanged). */
export function withSelfFirst(options: string | undefined): string {
  if (selfFirst(options)) return options as string;
  return options === undefined || options === '' ? REQUIRE_SELF : `${REQUIRE_SELF} ${options}`;
}
