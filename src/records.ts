// Reading audit records back: JSON Lines as secnode writes them, `journalctl -o json` entries, syslog text lines.
import type { PackageId } from './package-info.js';

/** One audit record as read back (format version 1; fields added later are optional). */
export interface ReadRecord {
  readonly v: 1;
  readonly time: string;
  readonly pid: number;
  readonly event: 'check' | 'interactive' | 'generated';
  readonly subject: string;
  readonly path?: string;
  readonly source?: string;
  /** For a file: the file that loaded it; for generated code: the call site (`file:line:column`). */
  readonly parent?: string;
  readonly errno: string | null;
  readonly allowed: boolean;
  readonly verdict: 'run' | 'record' | 'refuse';
  readonly reason: string;
  readonly rule: string | null;
  readonly host?: string;
  readonly unit?: string;
  readonly package?: PackageId;
}

/** The file of a call site `file:line:column` (the `parent` of a generated-code record). */
export const callSiteFile = (site: string): string => site.replace(/:\d+:\d+$/, '');

/** Why a line is not a usable record. */
export type BadLine = 'not-json' | 'malformed-json' | 'not-a-record' | 'other-program' | 'journal-field-elided'
  | 'unknown-version' | 'invalid-record' | 'line-too-long';

/** One line read: a record (with the names of fields this reader does not know), a bad line, or nothing (blank). */
export type Parsed = { readonly record: ReadRecord; readonly unknown: readonly string[] } | { readonly bad: BadLine } | null;

const KNOWN = new Set(['v', 'time', 'pid', 'tid', 'event', 'subject', 'path', 'url', 'source', 'parent', 'errno', 'allowed',
  'enforced', 'mode', 'verdict', 'reason', 'rule', 'securebits', 'emulated', 'host', 'unit', 'package', 'launcher', 'elided',
  'unsupportedNode']);
const EVENTS = new Set(['check', 'interactive', 'generated']);
const VERDICTS = new Set(['run', 'record', 'refuse']);
/** Longest string kept from a record field (paths are at most PATH_MAX). */
const MAX_FIELD = 4096;
const PREFIX = 'secnode: ';

const NONE: readonly string[] = [];
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const str = (x: unknown, max = MAX_FIELD): x is string => typeof x === 'string' && x.length <= max;

function packageOf(x: unknown): PackageId | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const { name, version } = x as { name?: unknown; version?: unknown };
  return str(name, 214) && name !== '' ? { name, version: str(version, 214) ? version : '' } : undefined;
}

/** Validates a parsed secnode record; `origin` supplies host and unit from a journal entry when the record has none. */
function toRecord(json: unknown, origin: { host?: string; unit?: string } = {}): Parsed {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { bad: 'not-a-record' };
  const o = json as Record<string, unknown>;
  if (!('v' in o) || !('event' in o)) return { bad: 'not-a-record' };
  if (o.v !== 1) return { bad: 'unknown-version' };
  const valid = str(o.time, 64) && Number.isSafeInteger(o.pid) && EVENTS.has(o.event as string) && str(o.subject, 64)
    && typeof o.allowed === 'boolean' && VERDICTS.has(o.verdict as string) && str(o.reason, 64)
    && (o.errno === null || o.errno === undefined || str(o.errno, 64)) && (o.rule === null || o.rule === undefined || str(o.rule, 64))
    && (str(o.path) || str(o.source) || str(o.url)) && (o.host === undefined || str(o.host, 256)) && (o.unit === undefined || str(o.unit, 256));
  if (!valid) return { bad: 'invalid-record' };
  const record = o as unknown as Mutable<ReadRecord>;
  if (record.host === undefined && origin.host !== undefined) record.host = origin.host;
  if (record.unit === undefined && origin.unit !== undefined) record.unit = origin.unit;
  if (o.package !== undefined) {
    const pkg = packageOf(o.package);
    if (pkg) record.package = pkg;
    else delete record.package;
  }
  if (!str(o.path)) delete record.path;
  if (o.parent !== undefined && !str(o.parent)) delete record.parent;
  if (!str(o.source)) {
    if (str(o.url)) record.source = o.url;
    else delete record.source;
  }
  record.errno ??= null;
  record.rule ??= null;
  let unknown: string[] | undefined;
  for (const k in o) if (!KNOWN.has(k)) (unknown ??= []).push(k);
  return { record, unknown: unknown ?? NONE };
}

/** A journal field's text: journald gives a string, or an array of bytes for values that are not printable UTF-8. */
function journalText(x: unknown): string | null | undefined {
  if (typeof x === 'string') return x;
  if (Array.isArray(x) && x.length <= 1 << 20 && x.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return Buffer.from(x as number[]).toString('utf8');
  return x === null ? null : undefined;
}

function fromJournal(o: Record<string, unknown>): Parsed {
  const message = journalText(o.MESSAGE);
  if (message === null) return { bad: 'journal-field-elided' };
  if (message === undefined || !message.startsWith(PREFIX)) return { bad: 'other-program' };
  const host = journalText(o._MACHINE_ID) ?? journalText(o._HOSTNAME);
  const unit = journalText(o._SYSTEMD_UNIT);
  return parseJson(message.slice(PREFIX.length), { ...(host ? { host } : {}), ...(unit ? { unit } : {}) });
}

function parseJson(text: string, origin?: { host?: string; unit?: string }): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { bad: text.trimStart().startsWith('{') ? 'malformed-json' : 'not-json' };
  }
  return toRecord(json, origin);
}

/** Parses one line: a JSONL record, a `journalctl -o json` entry, or a syslog text line with `secnode: {…}`. */
export function parseLine(line: string): Parsed {
  const text = line.trim();
  if (text === '') return null;
  if (!text.startsWith('{')) {
    const at = text.indexOf(`${PREFIX}{`);
    return at < 0 ? { bad: 'not-json' } : parseJson(text.slice(at + PREFIX.length));
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { bad: 'malformed-json' };
  }
  if (typeof json === 'object' && json !== null && !Array.isArray(json) && ('MESSAGE' in json || '__CURSOR' in json)) {
    return fromJournal(json as Record<string, unknown>);
  }
  return toRecord(json);
}

/** Splits a byte stream into lines without holding more than `max` bytes of one line; longer lines are reported and skipped. */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private tooLong = false;
  constructor(private readonly onLine: (line: string) => void, private readonly onTooLong: () => void, private readonly max = 1 << 20) {}

  /** Feeds one chunk. */
  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      if (this.size === 0 && !this.tooLong && nl - start <= this.max) this.onLine(chunk.toString('utf8', start, nl));
      else {
        this.take(chunk.subarray(start, nl));
        this.flush();
      }
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start));
  }

  /** Ends the stream (a last line without a newline still counts). */
  end(): void {
    if (this.size > 0 || this.tooLong) this.flush();
  }

  private take(part: Buffer): void {
    if (this.tooLong) return;
    if (this.size + part.length > this.max) {
      this.tooLong = true;
      this.parts = [];
      this.size = 0;
      return;
    }
    if (part.length > 0) this.parts.push(Buffer.from(part));
    this.size += part.length;
  }

  private flush(): void {
    if (this.tooLong) this.onTooLong();
    else this.onLine(this.parts.length === 1 ? this.parts[0]!.toString('utf8') : Buffer.concat(this.parts, this.size).toString('utf8'));
    this.parts = [];
    this.size = 0;
    this.tooLong = false;
  }
}
