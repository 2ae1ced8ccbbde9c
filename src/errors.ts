// secnode's errors: each has a stable `code` and plain fields (they survive crossing threads).
import { errnoName, errnoWords } from './errno.js';

/** Every error code secnode throws or prints. */
export type SecnodeCode =
  | 'ERR_SECNODE_EXEC_DENIED' | 'ERR_SECNODE_INTERACTIVE_DENIED' | 'ERR_SECNODE_CHECK_UNAVAILABLE'
  | 'ERR_SECNODE_PRELOAD_ORDER' | 'ERR_SECNODE_OPTION_REFUSED'
  | 'ERR_SECNODE_INVALID_CONFIG' | 'ERR_SECNODE_UNSUPPORTED_NODE' | 'ERR_SECNODE_KERNEL_UNREACHABLE';

/** Base class; match on `code`, never on `instanceof`. */
export class SecnodeError extends Error {
  /** Stable machine-readable code. */
  readonly code: SecnodeCode;
  /** Operator hint, printed as a second line by the launcher. */
  readonly hint: string;
  constructor(code: SecnodeCode, message: string, hint: string, fields: Record<string, unknown> = {}) {
    super(message);
    this.name = 'SecnodeError';
    this.code = code;
    this.hint = hint;
    Object.assign(this, fields);
  }
}

const SCAN_HINT = 'hint: run `secnodectl scan <app>` to list files that fail the check; `secnodectl scan --fix` adds missing x bits';
/** For a file inside an archive (ENOTDIR): only files on a file system can be checked. */
const ARCHIVE_HINT = 'hint: install the packages as files (Yarn: `nodeLinker: node-modules`, or `unplugged` for these), then give their code files x bits';

/**
 * Node forbids addons in this process (`--no-addons`, or the permission model without `--allow-addons`), so
 * secnode cannot load koffi, its only way to the kernel: without the securebits it cannot know whether to
 * enforce, so it does not start.
 */
export function addonsDisabled(): SecnodeError {
  return new SecnodeError('ERR_SECNODE_KERNEL_UNREACHABLE',
    'secnode: refused to start: Node forbids addons in this process (--no-addons, or --permission without --allow-addons), and secnode reads the securebits and asks for the exec check through its own addon (koffi)',
    "hint: allow addons: add --allow-addons beside --permission, or drop --no-addons (under RF the program's own addons are still checked)",
    { reason: 'addons-disabled' });
}

/** A code file failed the check under enforcement. */
export function execDenied(path: string, errno: number, securebits: string, rule: string): SecnodeError {
  const why = errno === 0 ? 'emulated check refused it' : `${errnoName(errno)}: ${errnoWords(errno)}`;
  return new SecnodeError('ERR_SECNODE_EXEC_DENIED',
    `secnode: refused to run ${path}: ${why} (enforced by ${rule})`, errno === 20 ? ARCHIVE_HINT : SCAN_HINT,
    { path, errno: errnoName(errno), securebits, rule });
}

/** Under enforcement, a Node binary the operator did not pin (or no usable pin file). */
export function execDeniedNode(node: string, pins: { file: string; paths: readonly string[]; problem: string | null }, securebits: string, rule: string): SecnodeError {
  const why = pins.problem !== null ? `no Node is pinned for enforcement: ${pins.file}: ${pins.problem}`
    : `not a Node the operator pinned for enforcement (${pins.file} names: ${pins.paths.join(', ')})`;
  return new SecnodeError('ERR_SECNODE_EXEC_DENIED', `secnode: refused to run ${node}: ${why} (enforced by ${rule})`,
    `hint: put a pinned Node first on PATH, or pin this one as the install's owner, without enforcement: secnodectl pin-node ${node}`,
    { path: node, securebits, rule });
}

/** Under enforcement, a Node version outside the range the option table covers. */
export function unsupportedNode(version: string, supported: string, securebits: string, rule: string): SecnodeError {
  return new SecnodeError('ERR_SECNODE_UNSUPPORTED_NODE',
    `secnode: refused to start: Node ${version} is outside secnode's supported range (${supported}), so which of its options load code is not known (enforced by ${rule})`,
    `hint: run a supported Node (${supported}) and pin it: secnodectl pin-node /path/to/node`,
    { version, supported, securebits, rule });
}

/** Code generated at run time (eval, new Function, vm, worker eval, data: imports) under hardening. */
export function generatedDenied(source: string, securebits: string): SecnodeError {
  return new SecnodeError('ERR_SECNODE_EXEC_DENIED',
    `secnode: refused code generated at run time (${source}): it has no file to check (enforced by SECNODE_HARDEN_GENERATED)`,
    'hint: unset SECNODE_HARDEN_GENERATED if this program needs to generate code (see docs/compatibility.md, "Generated code")',
    { source, securebits, rule: 'SECNODE_HARDEN_GENERATED' });
}

/** Inline code or a stream refused under deny-interactive. */
export function interactiveDenied(source: string, securebits: string, rule: string, errno?: number): SecnodeError {
  const why = errno === undefined ? 'inline code cannot be checked' : `${errnoName(errno)}: ${errnoWords(errno)}`;
  return new SecnodeError('ERR_SECNODE_INTERACTIVE_DENIED',
    `secnode: refused interactive input (${source}): ${why} (enforced by ${rule})`,
    'hint: put the code in a file with execute permission and run that file',
    { source, securebits, rule, ...(errno === undefined ? {} : { errno: errnoName(errno) }) });
}

/** Enforcement is on but the kernel cannot answer the check. */
export function checkUnavailable(path: string, errno: number, securebits: string, rule: string): SecnodeError {
  return new SecnodeError('ERR_SECNODE_CHECK_UNAVAILABLE',
    `secnode: cannot check ${path}: ${errnoName(errno)}: ${errnoWords(errno)}; refused because ${rule} is enforced`,
    'hint: use Linux 6.14 or later, or set SECNODE_EMULATE_CHECK=1 to use the emulated check (mode bits and noexec only)',
    { path, errno: errnoName(errno), securebits, rule });
}

/** Other preload code ran before secnode while enforcement is on. */
export function preloadOrder(before: readonly string[], securebits: string): SecnodeError {
  return new SecnodeError('ERR_SECNODE_PRELOAD_ORDER',
    `secnode: code ran before secnode/register (${before.join(', ')}); refused because enforcement is on`,
    'hint: make secnode the first preload: run `secnode`, or put `--require secnode/register` first in NODE_OPTIONS',
    { before: [...before], securebits });
}

/** A Node option that would load code out of secnode's sight, under enforcement. */
export function optionRefused(option: string, why: string, securebits: string): SecnodeError {
  return new SecnodeError('ERR_SECNODE_OPTION_REFUSED',
    `secnode: refused option ${option}: ${why}`, 'hint: remove the option, or run without enforcement',
    { option, securebits });
}

/** An option's reason with the rule that refuses it, as every refused-option message words it. */
export function enforcedBy(why: string, rule: string): string {
  return `${why} (enforced by ${rule})`;
}

/** A SECNODE_* setting (or install option) is unknown or has an invalid value. */
export function invalidConfig(name: string, value: string, expected: string): SecnodeError {
  return new SecnodeError('ERR_SECNODE_INVALID_CONFIG',
    `secnode: invalid setting ${name}=${JSON.stringify(value)}: expected ${expected}`,
    'hint: see the settings table in the secnode README', { setting: name, value });
}
