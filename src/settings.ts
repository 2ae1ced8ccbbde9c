// Strengthen-only settings from SECNODE_* variables (or the same keys as options).
import { invalidConfig } from './errors.js';
import type { Forced } from './policy.js';

/** Where audit records go. */
export type AuditSink = { readonly kind: 'stderr' } | { readonly kind: 'syslog' } | { readonly kind: 'file'; readonly path: string };

/** The effective settings and where each came from. */
export interface Settings {
  /** Restrictions forced on top of the securebits. */
  readonly forced: Forced;
  /** Use the emulated check where the kernel cannot answer. */
  readonly emulate: boolean;
  /** Audit sinks; empty means no records. */
  readonly audit: readonly AuditSink[];
  /**
   * `sh` when the sh fallback launcher started this process (it sets SECNODE_LAUNCHER=sh): the pre-start surface is
   * not gated, so every start under enforcement says so (stderr and each audit record). Only ever adds a warning.
   */
  readonly launcher: 'sh' | null;
  /** For each setting name, where its value came from (`env`, `option` or `default`). */
  readonly sources: Readonly<Record<string, 'env' | 'option' | 'default'>>;
}

/** The settings as plain options (library and secnodectl form). */
export interface SettingsInput {
  restrictFile?: boolean;
  denyInteractive?: boolean;
  hardenGenerated?: boolean;
  emulateCheck?: boolean;
  audit?: string;
}

const FLAGS = {
  SECNODE_RESTRICT_FILE: 'restrictFile',
  SECNODE_DENY_INTERACTIVE: 'denyInteractive',
  SECNODE_HARDEN_GENERATED: 'hardenGenerated',
  SECNODE_EMULATE_CHECK: 'emulateCheck',
} as const;
const KNOWN = new Set<string>([...Object.keys(FLAGS), 'SECNODE_AUDIT', 'SECNODE_LAUNCHER']);

/** Parses a comma list of sinks: `stderr`, `syslog`, `file:/absolute/path`. */
export function parseSinks(name: string, value: string): AuditSink[] {
  const sinks: AuditSink[] = [];
  for (const item of value.split(',')) {
    if (item === 'stderr' || item === 'syslog') sinks.push({ kind: item });
    else if (item.startsWith('file:/') && !item.includes('\0')) sinks.push({ kind: 'file', path: item.slice(5) });
    else throw invalidConfig(name, value, 'a comma list of stderr, syslog, file:/absolute/path');
  }
  return sinks;
}

function flag(name: string, value: string): boolean {
  if (value === '1') return true;
  if (value === '0') return false;
  throw invalidConfig(name, value, '1 (on) or 0 (off, the default)');
}

/** Reads the settings from an environment; unknown SECNODE_* names and bad values throw. */
export function readSettings(env: NodeJS.ProcessEnv, options: SettingsInput = {}): Settings {
  const sources: Record<string, 'env' | 'option' | 'default'> = {};
  const value: Record<string, boolean> = {};
  for (const name of Object.keys(env)) {
    if (name.startsWith('SECNODE_') && !KNOWN.has(name)) {
      throw invalidConfig(name, env[name] ?? '', `one of ${[...KNOWN].join(', ')}`);
    }
  }
  for (const [name, key] of Object.entries(FLAGS)) {
    const fromEnv = env[name];
    const fromEnvOn = fromEnv !== undefined && flag(name, fromEnv);
    const fromOption = options[key];
    if (fromOption !== undefined && typeof fromOption !== 'boolean') throw invalidConfig(key, String(fromOption), 'true or false');
    value[key] = fromEnvOn || fromOption === true;
    sources[name] = fromEnvOn ? 'env' : fromOption === true ? 'option' : 'default';
  }
  const auditEnv = env.SECNODE_AUDIT;
  const audit = [
    ...(auditEnv ? parseSinks('SECNODE_AUDIT', auditEnv) : []),
    ...(options.audit ? parseSinks('audit', options.audit) : []),
  ];
  sources.SECNODE_AUDIT = auditEnv ? 'env' : options.audit ? 'option' : 'default';
  const launcher = env.SECNODE_LAUNCHER;
  if (launcher !== undefined && launcher !== 'sh') throw invalidConfig('SECNODE_LAUNCHER', launcher, 'sh (set by the sh fallback launcher only)');
  return {
    forced: {
      restrictFile: value.restrictFile === true,
      denyInteractive: value.denyInteractive === true,
      hardenGenerated: value.hardenGenerated === true,
    },
    emulate: value.emulateCheck === true,
    audit,
    launcher: launcher === 'sh' ? 'sh' : null,
    sources,
  };
}
