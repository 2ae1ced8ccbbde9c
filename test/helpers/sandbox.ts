// Real isolation for tests: a `noexec` tmpfs in a private mount namespace, and a real Landlock ruleset.
// Both are built as argv prefixes, so they compose with `run()` (which puts `secnodectl exec` first).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { ROOT } from './run.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The Landlock helper script (plain ESM, run by the Node that runs the tests). */
export const LANDLOCK_EXEC = join(HERE, 'landlock-exec.mjs');

/** A command line: the program and its arguments. */
export interface Command { readonly cmd: string; readonly args: readonly string[] }

/** Quotes one word for `sh`. */
export function shQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

const isRoot = process.geteuid?.() === 0;

/**
 * `unshare` arguments for a private mount namespace: as root a plain mount namespace; as a normal
 * user a user namespace mapped to root first (so `mount` is allowed inside).
 */
export function mountNamespaceArgs(): string[] {
  return isRoot
    ? ['--mount', '--propagation', 'private']
    : ['--user', '--map-root-user', '--mount', '--propagation', 'private'];
}

/**
 * A command that, in a private mount namespace, mounts a fresh `noexec` tmpfs on `dir` (which must
 * exist), runs `snippet` with `sh -e` (it sees `$NOEXEC_DIR` and the extra `args` as "$@"), and ends.
 * The mount dies with the namespace; nothing outside ever sees it.
 */
export function noexecCommand(dir: string, snippet: string, args: readonly string[] = []): Command {
  const script = `NOEXEC_DIR=${shQuote(dir)}\n`
    + 'mount -t tmpfs -o noexec,nosuid,nodev,mode=0755 secnode-test-noexec "$NOEXEC_DIR"\n'
    + snippet;
  return { cmd: 'unshare', args: [...mountNamespaceArgs(), '--', '/bin/sh', '-ec', script, 'sandbox', ...args] };
}

/**
 * A command that copies the files of `stage` (modes kept) onto a `noexec` tmpfs mounted on `dir`, then
 * execs `command` in that namespace.
 */
export function onNoexecMount(dir: string, stage: string, command: Command): Command {
  return noexecCommand(dir, `cp -a ${shQuote(stage)}/. "$NOEXEC_DIR"/\nexec "$@"\n`, [command.cmd, ...command.args]);
}

/** Runs `snippet` in a private mount namespace with a `noexec` tmpfs on a temporary dir; removes the dir after. */
export function withNoexecTmpfs(snippet: string): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'secnode-noexec-'));
  try {
    const { cmd, args } = noexecCommand(dir, snippet);
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let noexecReason: string | null | undefined;
/**
 * Why a `noexec` tmpfs in a private mount namespace cannot be had here, or null when it can (probed once,
 * for real: mounts one, then verifies an executable file on it cannot be executed).
 */
export function noexecUnavailable(): string | null {
  if (noexecReason !== undefined) return noexecReason;
  const r = withNoexecTmpfs('printf "#!/bin/sh\\nexit 0\\n" > "$NOEXEC_DIR/x"\nchmod 0755 "$NOEXEC_DIR/x"\n'
    + 'if "$NOEXEC_DIR/x" 2>/dev/null; then echo exec-allowed; else echo noexec-works; fi\n');
  noexecReason = r.stdout.trim() === 'noexec-works' ? null
    : `cannot mount a noexec tmpfs in a private mount namespace (${isRoot ? 'root' : 'user namespaces'}): `
      + `${(r.stderr || r.stdout).trim() || `exit ${String(r.status)}`}`;
  return noexecReason;
}

let landlockAbi: number | undefined;
/** The kernel's Landlock ABI version (0 when the kernel lacks Landlock or it is disabled). */
export function landlockVersion(): number {
  if (landlockAbi !== undefined) return landlockAbi;
  const r = spawnSync(process.execPath, [LANDLOCK_EXEC, '--probe'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  landlockAbi = r.status === 0 ? Number(r.stdout.trim()) || 0 : 0;
  return landlockAbi;
}

/** Why Landlock cannot be used here, or null when it can. */
export function landlockUnavailable(): string | null {
  return landlockVersion() > 0 ? null
    : 'the kernel has no Landlock (landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) failed)';
}

/** System directories a command needs to execute (shells, node, env), when they exist. */
export function systemExecDirs(extra: readonly string[] = []): string[] {
  const dirs = ['/usr', '/bin', '/sbin', '/lib', '/lib64', '/etc', dirname(process.execPath), join(ROOT, '.cache'), join(ROOT, 'dist', 'runtime'), ...extra];
  return [...new Set(dirs)].filter((d) => existsSync(d));
}

/**
 * A command that runs `command` under a Landlock ruleset handling LANDLOCK_ACCESS_FS_EXECUTE, granting it
 * only beneath `allow` (plus the system directories). Landlock rules only allow: a directory meant to be
 * denied must lie outside every allowed one.
 */
export function underLandlock(allow: readonly string[], command: Command): Command {
  const grants = systemExecDirs(allow).flatMap((d) => ['--allow', d]);
  return { cmd: process.execPath, args: [LANDLOCK_EXEC, ...grants, '--', command.cmd, ...command.args] };
}

/** The path of a command found on PATH (a path is what the Landlock wrapper runs), or '' when there is none. */
export function commandPath(name: string): string {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { encoding: 'utf8' }).stdout.trim();
}

/** A fresh temporary directory and its removal. */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `filesDir` for a whole test file: made before its tests run, removed after them; `dir` is its path. */
export function suiteFilesDir(prefix: string, files: Readonly<Record<string, string>>, mode?: (name: string) => number): { readonly dir: string } {
  let t: { dir: string; remove(): void } | undefined;
  beforeAll(() => {
    t = filesDir(prefix, files, mode);
  });
  afterAll(() => t?.remove());
  return {
    get dir(): string {
      if (t === undefined) throw new Error(`${prefix}: its directory is made before the tests run`);
      return t.dir;
    },
  };
}

/** A fresh temporary directory holding `files` (name → text), each written with `mode(name)` (0755 by default). */
export function filesDir(prefix: string, files: Readonly<Record<string, string>>, mode: (name: string) => number = () => 0o755): { dir: string; remove(): void } {
  const t = tempDir(prefix);
  for (const [name, text] of Object.entries(files)) {
    const path = join(t.dir, name);
    writeFileSync(path, text);
    chmodSync(path, mode(name));
  }
  return t;
}
