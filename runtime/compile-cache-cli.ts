// `secnodectl cache warm DIR -- CMD…` and `secnodectl cache seal DIR`: the operator's sealed compile cache.
// Warm runs CMD (as the service runs it and as its user, with no bits) with Node's compile cache in DIR; seal makes DIR and
// everything in it the operator's, with no group or other write, so that under RF the launcher keeps the cache
// on for a service that could change none of it (src/sealed-dir.ts has the rule; docs/performance.md why).
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { strictCache } from '../loader/code-cache.js';
import { installOwner, unsealedWhy } from '../src/sealed-dir.js';

/** Why this process may not make or seal a cache (not root or the install's owner, or under enforcement), or undefined. */
function refusedWhy(): string | undefined {
  const euid = process.geteuid?.() ?? 0;
  const owner = installOwner();
  if (euid !== 0 && euid !== owner) return `only the install's owner (uid ${owner}) or root makes a sealed compile cache (you are uid ${euid})`;
  if (strictCache(false)) return 'run it without enforcement (the cache is the operator\'s, made from the files the service will run)';
  return undefined;
}

/** A user given to `--user` (a name or a number), as uid and gid, through id(1). */
function userIds(user: string): { uid: number; gid: number } {
  const id = (flag: string): number => {
    const r = spawnSync('id', [flag, '--', user], { encoding: 'utf8' });
    const n = Number(r.stdout.trim());
    if (r.status !== 0 || r.stdout.trim() === '' || !Number.isInteger(n)) throw new Error(`no such user: ${user}`);
    return n;
  };
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * Runs CMD with Node's compile cache in DIR (made 0755 when missing), as `user` when given (root only): Node
 * names its entries for the user that makes them, so the cache is warmed as the service's user. DIR is that
 * user's during the warm; `seal` makes it the operator's again. CMD's exit status.
 */
function warm(dir: string, user: string | undefined, command: readonly string[]): number {
  const ids = user === undefined ? undefined : userIds(user);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (ids !== undefined) chownSync(dir, ids.uid, ids.gid);
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_COMPILE_CACHE: realpathSync(dir) };
  delete env.NODE_DISABLE_COMPILE_CACHE;
  const r = spawnSync(command[0] ?? '', command.slice(1), { stdio: 'inherit', env, ...ids });
  if (r.error) {
    process.stderr.write(`secnodectl cache warm: cannot run ${command[0] ?? ''}: ${r.error.message}\n`);
    return 1;
  }
  return r.status ?? 1;
}

/** Makes `dir` and Node's entries in it (two levels) this user's, 0755 directories and 0644 files; throws on a symlink or another kind. */
function seal(dir: string): number {
  const euid = process.geteuid?.() ?? 0;
  const egid = process.getegid?.() ?? 0;
  const fix = (path: string, directory: boolean): void => {
    const st = lstatSync(path);
    if (directory ? !st.isDirectory() : !st.isFile()) throw new Error(`${path} is not a ${directory ? 'directory' : 'regular file'} (remove it, then seal again)`);
    if (st.uid !== euid || st.gid !== egid) chownSync(path, euid, egid);
    chmodSync(path, directory ? 0o755 : 0o644);
  };
  const real = realpathSync(dir);
  fix(real, true);
  let count = 0;
  for (const d of readdirSync(real)) {
    fix(join(real, d), true);
    for (const f of readdirSync(join(real, d))) {
      fix(join(real, d, f), false);
      count++;
    }
  }
  // Seen as a service that owns none of it: only the parents can still fail (the operator fixes those).
  const owner = installOwner();
  const why = unsealedWhy(real, owner);
  const ownWrite = 'the running user could change it';
  if (why !== undefined && !why.startsWith(ownWrite)) throw new Error(`${real} cannot be sealed: ${why}`);
  const who = owner === 0 ? 'is not root' : `is neither root nor uid ${owner}`;
  process.stdout.write(`sealed ${real}: ${count} entries. Under RF the launcher keeps Node's compile cache on for a service started `
    + `with NODE_COMPILE_CACHE=${real} that ${who}, or that reads it from a read-only mount (Node reads only the entries made by the service's own user: warm with --user).\n`);
  return 0;
}

/** The command (`args` after `cache`): exit 0 when done, 1 when refused or failed, 2 for a usage error. */
export function compileCacheCommand(args: readonly string[]): number {
  const [what, dir, ...rest] = args;
  const user = what === 'warm' && rest[0] === '--user' ? rest[1] : undefined;
  const [dashes, ...command] = user === undefined ? rest : rest.slice(2);
  const usage = what === 'warm' ? dir === undefined || dashes !== '--' || command.length === 0 : dir === undefined || rest.length > 0;
  if (usage) {
    process.stderr.write('usage: secnodectl cache warm DIR [--user USER] -- CMD [ARGS…]\n       secnodectl cache seal DIR\n');
    return 2;
  }
  const refused = refusedWhy();
  if (refused !== undefined) {
    process.stderr.write(`secnodectl cache ${what}: refused: ${refused}\n`);
    return 1;
  }
  try {
    return what === 'warm' ? warm(dir ?? '', user, command) : seal(dir ?? '');
  } catch (e) {
    process.stderr.write(`secnodectl cache ${what}: ${(e as Error).message}\n`);
    return 1;
  }
}
