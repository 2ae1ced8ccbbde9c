// Runs the real secnode (or node with secnode/register) as a child, under real securebits.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { backendFor, type Backend } from '../../loader/backends/backend-choice.js';

/** Repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The secnode launcher (the static launcher the build makes, or its sh fallback). */
export const SECNODE = join(ROOT, 'dist', 'runtime', 'secnode');
/** The built register module (for --import / --require). */
export const REGISTER = join(ROOT, 'dist', 'loader', 'register.cjs');
/** The built secnodectl. */
export const SECNODECTL = join(ROOT, 'dist', 'runtime', 'secnodectl.js');

/** A Node version under test: its name, the directory of its `node` binary, its version and the hook backend it gets. */
export interface NodeUnderTest { readonly name: string; readonly bin: string; readonly major: number; readonly version: string; readonly backend: Backend }

/**
 * Node 20 (the machine's), 22, 24 and 26 (installed by the global setup, which checked each binary's
 * `node --version`): name and major come from that real version, the backend from `backendFor`.
 */
export function nodes(): NodeUnderTest[] {
  return inject('nodeBins').map(({ bin, version }) => {
    const major = Number(version.slice(1).split('.')[0]);
    return { name: `node${major}`, bin, major, version, backend: backendFor(version) };
  });
}

/** The four policies of the kernel's matrix (bits set with their locks). */
export const POLICIES = {
  none: [] as string[],
  RF: ['--restrict-file'],
  DI: ['--deny-interactive'],
  'RF+DI': ['--restrict-file', '--deny-interactive'],
} as const;
/** A policy name. */
export type Policy = keyof typeof POLICIES;

/** Result of one run. */
export interface Run { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Options for `run`. */
export interface RunOptions {
  node: NodeUnderTest;
  policy?: Policy;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  stdio?: SpawnSyncOptions['stdio'];
  /** Extra flags for secnodectl exec (e.g. ['--no-lock']). */
  execFlags?: string[];
  /** Milliseconds before the child is killed (default 60 s). */
  timeout?: number;
}

/** Environment with the chosen Node first on PATH and no inherited NODE_OPTIONS or SECNODE_*. */
export function envFor(node: NodeUnderTest, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k !== 'NODE_OPTIONS' && !k.startsWith('SECNODE_') && !k.startsWith('VITEST') && k !== 'NODE_ENV') env[k] = v;
  }
  env.PATH = `${node.bin}:${join(ROOT, 'dist', 'runtime')}:${process.env.PATH ?? '/usr/bin:/bin'}`;
  return { ...env, ...extra };
}

/** Runs `cmd args…` under the policy's securebits (via `secnodectl exec`), with the chosen Node on PATH. */
export function run(cmd: string, args: readonly string[], opts: RunOptions): Run {
  const policy = POLICIES[opts.policy ?? 'none'];
  const argv = policy.length > 0 || opts.execFlags
    ? [SECNODECTL, 'exec', ...policy, ...(opts.execFlags ?? []), '--', cmd, ...args]
    : null;
  const r = spawnSync(argv ? process.execPath : cmd, argv ?? args, {
    cwd: opts.cwd ?? ROOT,
    env: envFor(opts.node, opts.env),
    input: opts.input ?? '',
    stdio: opts.stdio ?? 'pipe',
    encoding: 'utf8',
    timeout: opts.timeout ?? 60_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Runs the secnode launcher. */
export function secnode(args: readonly string[], opts: RunOptions): Run {
  return run(SECNODE, args, opts);
}

/** Runs plain `node` (the chosen version) with the given args. */
export function node(args: readonly string[], opts: RunOptions): Run {
  return run(join(opts.node.bin, 'node'), args, opts);
}

/** A run through one front door: Node, its arguments, the policy (none by default) and extra environment. */
export type Door = (n: NodeUnderTest, args: readonly string[], policy?: Policy, env?: NodeJS.ProcessEnv) => Run;

/** The two front doors a program is run through, in the directory `cwd()` gives: the launcher, and `node --require register`. */
export function frontDoors(cwd: () => string): Record<'secnode' | 'node --require register', Door> {
  return {
    secnode: (n, args, policy = 'none', env = {}) => secnode(args, { node: n, cwd: cwd(), policy, env }),
    'node --require register': (n, args, policy = 'none', env = {}) => node(['--require', REGISTER, ...args], { node: n, cwd: cwd(), policy, env }),
  };
}
