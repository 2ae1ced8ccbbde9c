// `secnodectl status`: securebits, kernel support, the launcher installed, Node and hook backend, the Node run under
// enforcement, the policy per input, settings, the code cache.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errnoName, errnoWords, isUnavailableErrno } from '../src/errno.js';
import { launcherKind, type LauncherKind } from '../src/launchers.js';
import { probeCheck, readSecurebits } from '../src/kernel.js';
import { decide, type InputKind } from '../src/policy.js';
import { bitNames, bitsHex, decodeBits, type ExecBits } from '../src/securebits.js';
import { readSettings, type Settings } from '../src/settings.js';
import { isSupportedNode, supportedNodeWords } from '../src/node-features.js';
import { nodeUnderEnforcement, readPins } from '../src/pinned-node.js';
import { backendFor } from '../loader/backends/backend-choice.js';
import { codeCacheStatus, type CacheUse } from '../loader/code-cache.js';
import { unsealedCacheDirWhy } from '../src/sealed-dir.js';

/** What each input kind means, for people. */
const KINDS: Readonly<Record<InputKind, string>> = {
  file: 'code files (entry, import, require, preloads, workers, addons, wasm)',
  stream: 'code on stdin and the REPL',
  'path-stream': 'an entry path that is not a regular file (/dev/stdin, <(…))',
  inline: 'inline code (-e, -p, -i, data:/http: preloads on the command line)',
  generated: 'code generated at run time (eval, new Function, vm)',
};

/** This package's dist/runtime/ (status.js sits in it). */
const RUNTIME = dirname(fileURLToPath(import.meta.url));

/** The launcher `secnode` runs as, and whether it gates what Node does before any preload. */
export interface LauncherStatus {
  readonly kind: LauncherKind['kind'];
  /** The CPU a static launcher was built for (null when unknown or not static). */
  readonly cpu: string | null;
  /** Whether the installed launcher runs on this machine's CPU. */
  readonly fits: boolean;
  /** Whether the pre-start surface (dynamic linker variables, pre-start options) is gated: only the static launcher does. */
  readonly preStartGated: boolean;
}

/** The launcher installed as dist/runtime/secnode. */
function launcherStatus(): LauncherStatus {
  const k = launcherKind(join(RUNTIME, 'secnode'));
  const cpu = k.kind === 'static' ? k.cpu : null;
  const fits = k.kind === 'sh-fallback' || (k.kind === 'static' && cpu === process.arch);
  return { kind: k.kind, cpu, fits, preStartGated: k.kind === 'static' && fits };
}

/** The status report (`--json` prints it as is; version 1 of the format). */
export interface Status {
  v: 1;
  securebits: { raw: string; names: string[] } & ExecBits;
  kernel: { check: 'supported' | 'unavailable' | 'failed'; errno: string | null; reason: string; emulated: boolean };
  launcher: LauncherStatus;
  node: { version: string; backend: string; supported: boolean; supportedRange: string };
  /** Which Node the launcher runs under enforcement: the pinned binaries and the one this PATH would give. */
  enforcementNode: { pinFile: string; pinned: string[]; problem: string | null; wouldRun: string | null; refused: string | null };
  policy: Record<InputKind, { mode: 'enforce' | 'permissive'; rule: string | null; onFailure: 'refuse' | 'record' | 'run' }>;
  settings: Record<string, { value: string; source: string }>;
  /** secnode's V8 code cache for this Node, and whether a start in this process uses it. */
  codeCache: { file: string; use: CacheUse; reason?: string };
  /** Node's compile cache named by NODE_COMPILE_CACHE, and whether it is sealed (kept on under RF). */
  compileCache: { dir: string | null; sealed: boolean; reason: string | null };
}

/** NODE_COMPILE_CACHE in `env`, and why it is not sealed (a relative path never is). */
function compileCacheStatus(env: NodeJS.ProcessEnv): Status['compileCache'] {
  const dir = env.NODE_COMPILE_CACHE;
  if (dir === undefined || dir === '') return { dir: null, sealed: false, reason: null };
  const reason = unsealedCacheDirWhy(dir) ?? null;
  return { dir, sealed: reason === null, reason };
}

function settingValues(s: Settings): Record<string, string> {
  return {
    SECNODE_RESTRICT_FILE: s.forced.restrictFile ? '1' : '0',
    SECNODE_DENY_INTERACTIVE: s.forced.denyInteractive ? '1' : '0',
    SECNODE_HARDEN_GENERATED: s.forced.hardenGenerated ? '1' : '0',
    SECNODE_EMULATE_CHECK: s.emulate ? '1' : '0',
    SECNODE_AUDIT: s.audit.map((a) => (a.kind === 'file' ? `file:${a.path}` : a.kind)).join(',') || '(none)',
  };
}

function enforcementNode(env: NodeJS.ProcessEnv): Status['enforcementNode'] {
  const pins = readPins();
  const { node, refused } = nodeUnderEnforcement(env.PATH, pins);
  return { pinFile: pins.file, pinned: [...pins.paths], problem: pins.problem, wouldRun: node, refused };
}

/** Gathers the status of this process (its securebits are inherited by everything it starts). */
export function gatherStatus(env: NodeJS.ProcessEnv): Status {
  const raw = readSecurebits();
  const bits = decodeBits(raw);
  const settings = readSettings(env);
  const errno = probeCheck();
  const check = errno === 0 ? 'supported' : isUnavailableErrno(errno) ? 'unavailable' : 'failed';
  const emulated = check !== 'supported' && settings.emulate;
  const policy = {} as Status['policy'];
  for (const kind of Object.keys(KINDS) as InputKind[]) {
    const outcome = kind === 'inline' || kind === 'generated' ? 'none' : 'EACCES';
    const d = decide(kind, bits, outcome, settings.forced);
    policy[kind] = { mode: d.enforced ? 'enforce' : 'permissive', rule: d.rule, onFailure: d.verdict };
  }
  const values = settingValues(settings);
  const out: Status['settings'] = {};
  for (const [name, value] of Object.entries(values)) out[name] = { value, source: settings.sources[name] ?? 'default' };
  return {
    v: 1,
    securebits: { raw: bitsHex(raw), names: bitNames(raw), ...bits },
    kernel: {
      check, errno: errno === 0 ? null : errnoName(errno),
      reason: errno === 0 ? 'AT_EXECVE_CHECK answers' : errnoWords(errno), emulated,
    },
    launcher: launcherStatus(),
    node: { version: process.version, backend: backendFor(process.version), supported: isSupportedNode(process.version), supportedRange: supportedNodeWords() },
    enforcementNode: enforcementNode(env),
    policy,
    settings: out,
    codeCache: codeCacheStatus(),
    compileCache: compileCacheStatus(env),
  };
}

/** The installed launcher in words. */
function launcherWords(l: LauncherStatus): string {
  if (l.kind === 'static') return l.fits ? `static, linux-${l.cpu ?? '?'}` : `static, for ${l.cpu === null ? 'another CPU' : `linux-${l.cpu}`}: does NOT run on this ${process.arch} machine`;
  if (l.kind === 'sh-fallback') return `sh fallback (no static launcher for linux-${process.arch} installed; see docs/operations.md, "Launchers and install paths")`;
  return `${l.kind === 'missing' ? 'missing' : 'not recognised'}: reinstall secnode`;
}

const onOff = (on: boolean, locked: boolean) => `${on ? 'on' : 'off'}${locked ? ', locked' : ''}`;

/** Formats the status for a terminal. */
export function formatStatus(s: Status): string {
  const b = s.securebits;
  const lines = [
    `securebits        ${b.raw}${b.names.length > 0 ? ` (${b.names.join(', ')})` : ''}`,
    `  restrict-file     ${onOff(b.restrictFile, b.restrictFileLocked)}`,
    `  deny-interactive  ${onOff(b.denyInteractive, b.denyInteractiveLocked)}`,
    `kernel check      ${s.kernel.check}${s.kernel.errno ? ` (${s.kernel.errno}: ${s.kernel.reason})` : ''}${s.kernel.emulated ? '; emulated check in use (mode bits and noexec only, no LSM)' : ''}`,
    `launcher          ${launcherWords(s.launcher)}`,
    `  pre-start        ${s.launcher.preStartGated ? 'gated (dynamic linker variables, OpenSSL, inspector, compile cache, snapshots)' : 'NOT gated: LD_PRELOAD and Node\'s pre-start options reach Node unchecked'}`,
    `node              ${s.node.version}, hook backend ${s.node.backend}${s.node.supported ? '' : `; outside the supported range (${s.node.supportedRange}): refused under enforcement`}`,
    `enforcement node  ${s.enforcementNode.wouldRun ?? `none: ${s.enforcementNode.refused ?? ''}`}`,
    `  pinned            ${s.enforcementNode.problem ?? s.enforcementNode.pinned.join(', ')} (${s.enforcementNode.pinFile})`,
    `code cache        ${s.codeCache.use === 'accepted' ? 'in use for this Node' : `not in use for this Node (${s.codeCache.use}${s.codeCache.reason ? `: ${s.codeCache.reason}` : ''})${s.codeCache.use === 'ignored' ? '' : '; secnodectl cache makes it'}`}`,
    `compile cache     ${s.compileCache.dir === null ? 'NODE_COMPILE_CACHE not set' : s.compileCache.sealed ? `${s.compileCache.dir}: sealed (kept on under RF)` : `${s.compileCache.dir}: not sealed (${s.compileCache.reason ?? ''}): off under RF`}`,
    'policy',
  ];
  for (const [kind, p] of Object.entries(s.policy) as [InputKind, Status['policy'][InputKind]][]) {
    const what = kind === 'inline' || kind === 'generated'
      ? (p.onFailure === 'refuse' ? 'refused' : 'runs')
      : (p.onFailure === 'refuse' ? 'checked; refused if the check fails' : 'checked; runs (recorded if asked) if the check fails');
    lines.push(`  ${KINDS[kind]}: ${what}${p.rule ? ` [${p.rule}]` : ''}`);
  }
  lines.push('settings');
  for (const [name, v] of Object.entries(s.settings)) lines.push(`  ${name}=${v.value} (${v.source})`);
  return `${lines.join('\n')}\n`;
}
