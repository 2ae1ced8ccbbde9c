// secnode's place at the head of NODE_OPTIONS: how every Node process (children, workers) loads it first.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The register bundle: the file `--require`/`--import secnode/register` names. */
export const REGISTER_FILE = resolve(dirname(fileURLToPath(import.meta.url)), 'register.cjs');

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
