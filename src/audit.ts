// Audit records (versioned JSON Lines) and their sinks: stderr, an append-only file, syslog, a channel.
import { isSupportedNode } from './node-features.js';
import { channel } from 'node:diagnostics_channel';
import { constants } from 'node:fs';
import { closeSync, openSync, writeSync } from './own-fs.js';
import { errnoName } from './errno.js';
import { readHost, readUnit } from './host.js';
import { syslogLine } from './kernel.js';
import { PackageLookup, type PackageId } from './package-info.js';
import type { Decision } from './policy.js';
import { callSiteFile } from './records.js';
import type { AuditSink } from './settings.js';
import { ownRequire } from './own-require.js';

/** What loaded the code: the entry, an import, a require, a preload, stdin, inline code… */
export type Subject = 'entry' | 'import' | 'require' | 'preload' | 'stdin' | 'repl' | 'inline' | 'worker' | 'addon' | 'native' | 'generated';

/** One audit record, format version 1. */
export interface AuditRecord {
  readonly v: 1;
  readonly time: string;
  readonly pid: number;
  readonly tid: number;
  readonly event: 'check' | 'interactive' | 'generated';
  readonly subject: Subject;
  readonly path?: string;
  readonly url?: string;
  readonly source?: string;
  readonly parent?: string;
  readonly errno: string | null;
  readonly allowed: boolean;
  readonly enforced: boolean;
  readonly mode: 'permissive' | 'enforce';
  readonly verdict: Decision['verdict'];
  readonly reason: Decision['reason'];
  readonly rule: string | null;
  readonly securebits: string;
  readonly emulated: boolean;
  /** The machine: its id from /etc/machine-id, else its host name. */
  readonly host: string;
  /** The systemd unit the process runs in, when there is one. */
  readonly unit?: string;
  /** The nearest package.json (with a name) above `path`, when there is one. */
  readonly package?: PackageId;
  /** `sh` when the sh fallback launcher started the process: its pre-start surface was not gated. */
  readonly launcher?: 'sh';
  /** The Node version, only when it is outside secnode's supported range (such a Node runs only with no enforcement). */
  readonly unsupportedNode?: string;
  /** Fields left out of a syslog record so that it stays under journalctl's 4096-byte field limit. */
  readonly elided?: readonly string[];
}

let origin: { host: string; unit: string | undefined; unsupportedNode: string | undefined } | undefined;
const packages = new PackageLookup();

let tid: number | undefined;
function threadId(): number {
  tid ??= (ownRequire('node:worker_threads') as typeof import('node:worker_threads')).threadId;
  return tid;
}

/** The diagnostics channel that publishes every decision (as an `AuditRecord`). */
export const DECISION_CHANNEL = 'secnode:decision';
const decisions = channel(DECISION_CHANNEL);

/** Where the record is about: a file path, a URL or an inline source name. */
export type Target = { path: string } | { url: string } | { source: string };

/** Inputs for one record. */
export interface RecordInput {
  readonly subject: Subject;
  readonly target: Target;
  readonly parent?: string | undefined;
  readonly errno: number | null;
  readonly decision: Decision;
  readonly securebits: string;
  readonly emulated: boolean;
  /** `sh` when the sh fallback launcher started the process (Settings.launcher). */
  readonly launcher?: 'sh' | null;
}

/** Builds a record from a decision. */
export function makeRecord(input: RecordInput): AuditRecord {
  const { decision } = input;
  origin ??= { host: readHost(), unit: readUnit(), unsupportedNode: isSupportedNode(process.versions.node) ? undefined : process.version };
  const pkg = 'path' in input.target ? packages.of(input.target.path)
    : decision.reason === 'generated' && input.parent?.startsWith('/') ? packages.of(callSiteFile(input.parent)) : null;
  return {
    v: 1,
    time: new Date().toISOString(),
    pid: process.pid,
    tid: threadId(),
    event: decision.reason === 'interactive' ? 'interactive' : decision.reason === 'generated' ? 'generated' : 'check',
    subject: input.subject,
    ...input.target,
    ...(input.parent === undefined ? {} : { parent: input.parent }),
    errno: input.errno === null || input.errno === 0 ? null : errnoName(input.errno),
    allowed: decision.verdict !== 'refuse',
    enforced: decision.enforced,
    mode: decision.enforced ? 'enforce' : 'permissive',
    verdict: decision.verdict,
    reason: decision.reason,
    rule: decision.rule,
    securebits: input.securebits,
    emulated: input.emulated,
    host: origin.host,
    ...(origin.unit === undefined ? {} : { unit: origin.unit }),
    ...(pkg === null ? {} : { package: pkg }),
    ...(input.launcher === 'sh' ? { launcher: 'sh' as const } : {}),
    ...(origin.unsupportedNode === undefined ? {} : { unsupportedNode: origin.unsupportedNode }),
  };
}

/** journalctl -o json shows a field of 4096 bytes or more as null (without --all); syslog records stay below. */
const JOURNAL_FIELD_MAX = 4095;

/** The syslog message for a record: `secnode: {json}`, leaving out `parent`, then `package`, if it would be too long. */
export function syslogMessage(record: AuditRecord): string {
  let message = `secnode: ${JSON.stringify(record)}`;
  const elided: string[] = [];
  for (const field of ['parent', 'package'] as const) {
    if (Buffer.byteLength(message) <= JOURNAL_FIELD_MAX || record[field] === undefined) continue;
    elided.push(field);
    const { [field]: _, ...rest } = record;
    record = { ...rest, elided: [...elided] } as AuditRecord;
    message = `secnode: ${JSON.stringify(record)}`;
  }
  return message;
}

/** Writes records to the configured sinks; files are opened once with O_APPEND and get whole lines. */
export class Auditor {
  private readonly fds = new Map<string, number>();
  constructor(private readonly sinks: readonly AuditSink[]) {}

  /** True when a record would go anywhere (a sink or a channel subscriber). */
  get active(): boolean {
    return this.sinks.length > 0 || decisions.hasSubscribers;
  }

  /** Publishes one record to the channel and writes it to every sink. */
  write(record: AuditRecord): void {
    if (decisions.hasSubscribers) decisions.publish(record);
    if (this.sinks.length === 0) return;
    const line = `${JSON.stringify(record)}\n`;
    for (const sink of this.sinks) {
      if (sink.kind === 'stderr') writeSync(2, line);
      else if (sink.kind === 'syslog') syslogLine(record.allowed ? 6 : 4, syslogMessage(record));
      else writeSync(this.fileFd(sink.path), line);
    }
  }

  private fileFd(path: string): number {
    let fd = this.fds.get(path);
    if (fd === undefined) {
      fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
      this.fds.set(path, fd);
    }
    return fd;
  }

  /** Closes the files this auditor opened. */
  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
