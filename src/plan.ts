// The enforcement plan: records grouped by package and reason, per-host and overall verdicts for RF and DI.
import type { PackageId } from './package-info.js';
import type { BadLine, ReadRecord } from './records.js';

/** Why a file would be (or was) refused: from the live file when it is here, else from the record. */
export type Cause = 'mode' | 'noexec' | 'lsm' | 'busy' | 'unavailable' | 'other' | 'not-executable' | 'passes-now';
/** A bit of the kernel's exec policy: SECBIT_EXEC_RESTRICT_FILE or SECBIT_EXEC_DENY_INTERACTIVE. */
export type Bit = 'RF' | 'DI';
/** A cause in words, as found for one path. */
export interface Explained { readonly cause: Cause; readonly words: string; readonly here: boolean }
/** Finds the cause for a path (from the live file or the record); the plan calls it once per path. */
export type Explain = (path: string, record: ReadRecord) => Explained;
/** Finds the package of a path that a record names without one. */
export type PackageOf = (path: string) => PackageId | null;

/** Bounds that keep memory flat whatever the input: samples kept per group and groups kept in all. */
export const LIMITS = { pids: 20, hosts: 200, paths: 100_000, groups: 10_000, hostsTotal: 10_000, unknownFields: 20 };

/** Files (or inputs) of one package refused, or that would be, for one cause. */
export interface Group {
  readonly package: string;
  readonly cause: Cause;
  readonly words: string;
  readonly bits: Bit[];
  count: number;
  first: string;
  last: string;
  readonly hosts: string[];
  readonly processes: string[];
  readonly files: string[];
  more: { hosts: boolean; processes: boolean; files: boolean };
}

/** Inline or generated code seen, by source. */
export interface SourceGroup { readonly source: string; count: number; first: string; last: string; readonly hosts: string[]; enforced: number }

/** Counts for one host, and its verdict. */
export interface HostSummary {
  readonly host: string;
  readonly units: string[];
  records: number;
  first: string;
  last: string;
  readonly blocking: Record<Bit, number>;
  readonly passesNow: Record<Bit, number>;
  interactive: number;
  generated: number;
}

/** A verdict for one bit: ready or not, and why. */
export interface Readiness { readonly ready: boolean; readonly reasons: string[] }

/** The finished plan, as `secnodectl report --json` prints it (plus the fixes with --fix). */
export interface Plan {
  readonly input: { lines: number; records: number; bad: Partial<Record<BadLine, number>>; unknownFields: string[]; unknownFieldRecords: number; untracked: number };
  readonly ready: Record<Bit, Readiness>;
  readonly hosts: (HostSummary & { ready: Record<Bit, Readiness> })[];
  readonly wouldRefuse: Group[];
  readonly refused: Group[];
  readonly interactive: SourceGroup[];
  readonly generated: SourceGroup[];
}

const UNKNOWN_HOST = '(unknown host)';
const NO_PACKAGE = '(no package.json)';

function add(list: string[], value: string, cap: number): boolean {
  if (list.includes(value)) return true;
  if (list.length >= cap) return false;
  list.push(value);
  return true;
}

/** The bit that governs a record's input: DI for inline code and streams (stdin, the REPL), RF for files; none for generated code. */
export function bitOf(r: ReadRecord): Bit | null {
  if (r.rule !== null && r.verdict === 'refuse') return r.rule.includes('RESTRICT_FILE') ? 'RF' : r.rule.includes('DENY_INTERACTIVE') ? 'DI' : null;
  if (r.event === 'generated') return null;
  return r.event === 'interactive' || r.subject === 'stdin' || r.subject === 'repl' ? 'DI' : 'RF';
}

/** Collects records one at a time; memory is bounded by the LIMITS, not by the number of records. */
export class PlanBuilder {
  private lines = 0;
  private records = 0;
  private readonly bad: Partial<Record<BadLine, number>> = {};
  private readonly unknownFields: string[] = [];
  private unknownFieldRecords = 0;
  private untracked = 0;
  private readonly hosts = new Map<string, HostSummary>();
  private readonly groups = new Map<string, Group>();
  private readonly refusedGroups = new Map<string, Group>();
  private readonly interactive = new Map<string, SourceGroup>();
  private readonly generated = new Map<string, SourceGroup>();
  private readonly causes = new Map<string, Explained>();
  private paths = 0;

  constructor(private readonly explain: Explain, private readonly packageOf: PackageOf) {}

  /** Counts a line that was not a record. */
  badLine(kind: BadLine): void {
    this.lines++;
    this.bad[kind] = (this.bad[kind] ?? 0) + 1;
  }

  /** Adds one record (with the names of the fields this reader does not know). */
  add(r: ReadRecord, unknown: readonly string[] = []): void {
    this.lines++;
    this.records++;
    if (unknown.length > 0) {
      this.unknownFieldRecords++;
      for (const f of unknown) add(this.unknownFields, f.slice(0, 64), LIMITS.unknownFields);
    }
    const host = this.host(r.host ?? UNKNOWN_HOST);
    host.records++;
    if (r.time < host.first || host.first === '') host.first = r.time;
    if (r.time > host.last) host.last = r.time;
    if (r.unit !== undefined) add(host.units, r.unit, 20);
    const bit = bitOf(r);
    if (r.event === 'generated') {
      host.generated++;
      this.source(this.generated, r, host.host);
    } else if (r.event === 'interactive') {
      this.source(this.interactive, r, host.host);
      if (bit === 'DI') host.interactive++;
    }
    if (r.event !== 'check' || r.verdict === 'run' || bit === null) return;
    const path = r.path ?? r.source ?? '';
    const why = this.cause(path, r);
    if (why.cause === 'passes-now') host.passesNow[bit]++;
    else host.blocking[bit]++;
    const pkg = r.package ?? this.packageOf(path);
    const key = `${pkg ? `${pkg.name}@${pkg.version}` : NO_PACKAGE}\0${why.cause}`;
    const groups = r.verdict === 'refuse' ? this.refusedGroups : this.groups;
    let g = groups.get(key);
    if (!g) {
      if (groups.size >= LIMITS.groups) { this.untracked++; return; }
      g = { package: key.split('\0')[0]!, cause: why.cause, words: why.words, bits: [], count: 0, first: r.time, last: r.time,
        hosts: [], processes: [], files: [], more: { hosts: false, processes: false, files: false } };
      groups.set(key, g);
    }
    g.count++;
    if (r.time < g.first) g.first = r.time;
    if (r.time > g.last) g.last = r.time;
    if (!g.bits.includes(bit)) g.bits.push(bit);
    if (!add(g.hosts, host.host, LIMITS.hosts)) g.more.hosts = true;
    if (!add(g.processes, `${host.host}:${r.pid}`, LIMITS.pids)) g.more.processes = true;
    if (!g.files.includes(path)) {
      if (this.paths < LIMITS.paths) { g.files.push(path); this.paths++; } else g.more.files = true;
    }
  }

  private host(name: string): HostSummary {
    let h = this.hosts.get(name);
    if (!h) {
      if (this.hosts.size >= LIMITS.hostsTotal) return this.host(UNKNOWN_HOST);
      h = { host: name, units: [], records: 0, first: '', last: '', blocking: { RF: 0, DI: 0 }, passesNow: { RF: 0, DI: 0 }, interactive: 0, generated: 0 };
      this.hosts.set(name, h);
    }
    return h;
  }

  private cause(path: string, r: ReadRecord): Explained {
    let why = this.causes.get(path);
    if (!why) {
      why = this.explain(path, r);
      if (this.causes.size >= LIMITS.paths) this.causes.clear();
      this.causes.set(path, why);
    }
    return why;
  }

  private source(map: Map<string, SourceGroup>, r: ReadRecord, host: string): void {
    const source = (r.source ?? r.path ?? '').slice(0, 80);
    let g = map.get(source);
    if (!g) {
      if (map.size >= LIMITS.groups) { this.untracked++; return; }
      g = { source, count: 0, first: r.time, last: r.time, hosts: [], enforced: 0 };
      map.set(source, g);
    }
    g.count++;
    if (r.verdict === 'refuse') g.enforced++;
    if (r.time < g.first) g.first = r.time;
    if (r.time > g.last) g.last = r.time;
    add(g.hosts, host, LIMITS.hosts);
  }

  /** The plan with verdicts. */
  finish(): Plan {
    const hosts = [...this.hosts.values()].sort((a, b) => a.host.localeCompare(b.host)).map((h) => ({ ...h, ready: { RF: verdict(h, 'RF'), DI: verdict(h, 'DI') } }));
    const overall = (bit: Bit): Readiness => {
      if (hosts.length === 0) return { ready: false, reasons: ['no secnode records in the input: run permissive with SECNODE_AUDIT first'] };
      const notReady = hosts.filter((h) => !h.ready[bit].ready);
      return notReady.length === 0
        ? { ready: true, reasons: [`all ${hosts.length} host(s) ready`] }
        : { ready: false, reasons: notReady.map((h) => `${h.host}: ${h.ready[bit].reasons.join('; ')}`) };
    };
    const order = (a: Group, b: Group) => b.count - a.count || a.package.localeCompare(b.package);
    return {
      input: { lines: this.lines, records: this.records, bad: this.bad, unknownFields: this.unknownFields, unknownFieldRecords: this.unknownFieldRecords, untracked: this.untracked },
      ready: { RF: overall('RF'), DI: overall('DI') },
      hosts,
      wouldRefuse: [...this.groups.values()].sort(order),
      refused: [...this.refusedGroups.values()].sort(order),
      interactive: [...this.interactive.values()].sort((a, b) => b.count - a.count),
      generated: [...this.generated.values()].sort((a, b) => b.count - a.count),
    };
  }
}

function verdict(h: HostSummary, bit: Bit): Readiness {
  const reasons: string[] = [];
  if (bit === 'DI' && h.interactive > 0) reasons.push(`${h.interactive} inline input(s) (-e, -p, -i, data: preloads, the inspector) seen`);
  const files = h.blocking[bit];
  if (files > 0) reasons.push(`${files} ${bit === 'RF' ? 'failed check(s) of code files' : 'failed check(s) of streams (stdin, REPL)'} or refusals`);
  if (reasons.length > 0) return { ready: false, reasons };
  const fixed = h.passesNow[bit];
  return { ready: true, reasons: [fixed > 0 ? `nothing would be refused (${fixed} failed check(s) in the records pass now)` : 'nothing would be refused'] };
}
