// The enforcement plan: records grouped by package and reason, per-host and overall verdicts for RF and DI.
import type { PackageId } from './package-info.js';
import { callSiteFile, type BadLine, type ReadRecord } from './records.js';

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
export const LIMITS = { pids: 20, hosts: 200, paths: 100_000, groups: 10_000, hostsTotal: 10_000, unknownFields: 20, samples: 20, timelines: 200, hours: 72, days: 400 };

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

/** Code generated at run time by one package (from the call sites in `generated` records). */
export interface Generator {
  readonly package: string;
  count: number;
  readonly sources: string[];
  readonly sites: string[];
  readonly hosts: string[];
  more: { sources: boolean; sites: boolean; hosts: boolean };
}

/** Records of one host in one hour or day: how many, how many would be refused (RF or DI), how many generated code. */
export interface Bucket { readonly at: string; records: number; failing: number; generated: number }

/** A host's records over time: by hour when they span at most three days, else by day; `unbucketed` counts records left out (odd times, over the cap). */
export interface Timeline { readonly unit: 'hour' | 'day'; readonly buckets: Bucket[]; readonly unbucketed: number }

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
  readonly hosts: (HostSummary & { ready: Record<Bit, Readiness>; harden: Readiness; generators: string[]; timeline: Timeline | null })[];
  /** Ready to refuse generated code (SECNODE_HARDEN_GENERATED=1): no generated code recorded. */
  readonly harden: Readiness;
  readonly generators: Generator[];
  readonly wouldRefuse: Group[];
  readonly refused: Group[];
  readonly interactive: SourceGroup[];
  readonly generated: SourceGroup[];
}

const UNKNOWN_HOST = '(unknown host)';
const NO_PACKAGE = '(no package.json)';
const UNKNOWN_SITE = '(call site not recorded)';

function add(set: Set<string>, value: string, cap: number): boolean {
  if (set.has(value)) return true;
  if (set.size >= cap) return false;
  set.add(value);
  return true;
}

/** A group while records come in: sets for what the finished group lists. */
interface GroupAcc { readonly g: Group; readonly hosts: Set<string>; readonly processes: Set<string>; readonly files: Set<string> }
/** A host while records come in. */
/** A host while records come in: its units, the packages that generated code, its buckets (for the first LIMITS.timelines hosts). */
interface HostAcc {
  readonly h: HostSummary;
  readonly units: Set<string>;
  readonly generators: Set<string>;
  readonly time: { hours: Map<string, Bucket>; days: Map<string, Bucket>; hoursFull: boolean; unbucketed: number } | null;
}
/** A generator while records come in. */
interface GeneratorAcc { readonly g: Generator; readonly sources: Set<string>; readonly sites: Set<string>; readonly hosts: Set<string> }
/** `2026-12-01T10`: an ISO time's hour. */
const HOUR = /^\d{4}-\d\d-\d\dT\d\d/;

function bucketIn(map: Map<string, Bucket>, at: string, cap: number): Bucket | undefined {
  let b = map.get(at);
  if (!b && map.size < cap) {
    b = { at, records: 0, failing: 0, generated: 0 };
    map.set(at, b);
  }
  return b;
}

/** A source group while records come in. */
interface SourceAcc { readonly g: SourceGroup; readonly hosts: Set<string> }

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
  private readonly unknownFields = new Set<string>();
  private unknownFieldRecords = 0;
  private untracked = 0;
  private readonly hosts = new Map<string, HostAcc>();
  private readonly groups = new Map<string, GroupAcc>();
  private readonly refusedGroups = new Map<string, GroupAcc>();
  private readonly interactive = new Map<string, SourceAcc>();
  private readonly generated = new Map<string, SourceAcc>();
  private readonly generators = new Map<string, GeneratorAcc>();
  private timelines = 0;
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
    const acc = this.host(r.host ?? UNKNOWN_HOST);
    const host = acc.h;
    host.records++;
    if (r.time < host.first || host.first === '') host.first = r.time;
    if (r.time > host.last) host.last = r.time;
    if (r.unit !== undefined) add(acc.units, r.unit, 20);
    const buckets = this.buckets(acc, r.time);
    const bit = bitOf(r);
    if (r.event === 'generated') {
      host.generated++;
      for (const b of buckets) b.generated++;
      this.source(this.generated, r, host.host);
      this.generator(acc, r);
    } else if (r.event === 'interactive') {
      this.source(this.interactive, r, host.host);
      if (bit === 'DI') {
        host.interactive++;
        for (const b of buckets) b.failing++;
      }
    }
    if (r.event !== 'check' || r.verdict === 'run' || bit === null) return;
    const path = r.path ?? r.source ?? '';
    const why = this.cause(path, r);
    if (why.cause === 'passes-now') host.passesNow[bit]++;
    else {
      host.blocking[bit]++;
      for (const b of buckets) b.failing++;
    }
    const pkg = r.package ?? this.packageOf(path);
    const key = `${pkg ? `${pkg.name}@${pkg.version}` : NO_PACKAGE}\0${why.cause}`;
    const groups = r.verdict === 'refuse' ? this.refusedGroups : this.groups;
    let a = groups.get(key);
    if (!a) {
      if (groups.size >= LIMITS.groups) { this.untracked++; return; }
      a = { g: { package: key.split('\0')[0]!, cause: why.cause, words: why.words, bits: [], count: 0, first: r.time, last: r.time,
        hosts: [], processes: [], files: [], more: { hosts: false, processes: false, files: false } }, hosts: new Set(), processes: new Set(), files: new Set() };
      groups.set(key, a);
    }
    const g = a.g;
    g.count++;
    if (r.time < g.first) g.first = r.time;
    if (r.time > g.last) g.last = r.time;
    if (!g.bits.includes(bit)) g.bits.push(bit);
    if (!add(a.hosts, host.host, LIMITS.hosts)) g.more.hosts = true;
    if (!g.more.processes && !add(a.processes, `${host.host}:${r.pid}`, LIMITS.pids)) g.more.processes = true;
    if (!a.files.has(path)) {
      if (this.paths < LIMITS.paths) { a.files.add(path); this.paths++; } else g.more.files = true;
    }
  }

  private host(name: string): HostAcc {
    let h = this.hosts.get(name);
    if (!h) {
      if (this.hosts.size >= LIMITS.hostsTotal && name !== UNKNOWN_HOST) return this.host(UNKNOWN_HOST);
      const time = this.timelines < LIMITS.timelines ? { hours: new Map(), days: new Map(), hoursFull: false, unbucketed: 0 } : null;
      if (time) this.timelines++;
      h = { h: { host: name, units: [], records: 0, first: '', last: '', blocking: { RF: 0, DI: 0 }, passesNow: { RF: 0, DI: 0 }, interactive: 0, generated: 0 },
        units: new Set(), generators: new Set(), time };
      this.hosts.set(name, h);
    }
    return h;
  }

  /** Counts a record in its hour and day (hours stop at their cap, and are then not used). */
  private buckets(acc: HostAcc, time: string): Bucket[] {
    const t = acc.time;
    if (!t) return [];
    if (!HOUR.test(time)) { t.unbucketed++; return []; }
    const out: Bucket[] = [];
    const day = bucketIn(t.days, time.slice(0, 10), LIMITS.days);
    if (day) out.push(day);
    else t.unbucketed++;
    if (!t.hoursFull) {
      const hour = bucketIn(t.hours, time.slice(0, 13), LIMITS.hours);
      if (hour) out.push(hour);
      else { t.hoursFull = true; t.hours.clear(); }
    }
    for (const b of out) b.records++;
    return out;
  }

  /** Counts generated code against the package of its call site. */
  private generator(acc: HostAcc, r: ReadRecord): void {
    const pkg = r.package ?? (r.parent ? this.packageOf(callSiteFile(r.parent)) : null);
    const name = pkg ? `${pkg.name}@${pkg.version}` : r.parent ? NO_PACKAGE : UNKNOWN_SITE;
    add(acc.generators, name, LIMITS.samples);
    let a = this.generators.get(name);
    if (!a) {
      if (this.generators.size >= LIMITS.groups) { this.untracked++; return; }
      a = { g: { package: name, count: 0, sources: [], sites: [], hosts: [], more: { sources: false, sites: false, hosts: false } }, sources: new Set(), sites: new Set(), hosts: new Set() };
      this.generators.set(name, a);
    }
    a.g.count++;
    if (!add(a.sources, (r.source ?? '').slice(0, 80), LIMITS.samples)) a.g.more.sources = true;
    if (r.parent && !add(a.sites, r.parent, LIMITS.samples)) a.g.more.sites = true;
    if (!add(a.hosts, acc.h.host, LIMITS.hosts)) a.g.more.hosts = true;
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

  private source(map: Map<string, SourceAcc>, r: ReadRecord, host: string): void {
    const source = (r.source ?? r.path ?? '').slice(0, 80);
    let a = map.get(source);
    if (!a) {
      if (map.size >= LIMITS.groups) { this.untracked++; return; }
      a = { g: { source, count: 0, first: r.time, last: r.time, hosts: [], enforced: 0 }, hosts: new Set() };
      map.set(source, a);
    }
    const g = a.g;
    g.count++;
    if (r.verdict === 'refuse') g.enforced++;
    if (r.time < g.first) g.first = r.time;
    if (r.time > g.last) g.last = r.time;
    add(a.hosts, host, LIMITS.hosts);
  }

  /** The plan with verdicts. */
  finish(): Plan {
    const hosts = [...this.hosts.values()].map(({ h, units, generators, time }) => ({ ...h, units: [...units], ready: { RF: verdict(h, 'RF'), DI: verdict(h, 'DI') },
      harden: hardenVerdict(h, [...generators]), generators: [...generators], timeline: time && timeline(time) }))
      .sort((a, b) => a.host.localeCompare(b.host));
    const groups = (m: Map<string, GroupAcc>) => [...m.values()].map(({ g, hosts: h, processes, files }) => ({ ...g, hosts: [...h], processes: [...processes], files: [...files] }))
      .sort((a, b) => Number(a.cause === 'passes-now') - Number(b.cause === 'passes-now') || b.count - a.count || a.package.localeCompare(b.package));
    const sources = (m: Map<string, SourceAcc>) => [...m.values()].map(({ g, hosts: h }) => ({ ...g, hosts: [...h] })).sort((a, b) => b.count - a.count);
    const overall = (of: (h: (typeof hosts)[number]) => Readiness): Readiness => {
      if (hosts.length === 0) return { ready: false, reasons: ['no secnode records in the input: run permissive with SECNODE_AUDIT first'] };
      const notReady = hosts.filter((h) => !of(h).ready);
      return notReady.length === 0
        ? { ready: true, reasons: [`all ${hosts.length} host(s) ready`] }
        : { ready: false, reasons: notReady.map((h) => `${h.host}: ${of(h).reasons.join('; ')}`) };
    };
    return {
      input: { lines: this.lines, records: this.records, bad: this.bad, unknownFields: [...this.unknownFields], unknownFieldRecords: this.unknownFieldRecords, untracked: this.untracked },
      ready: { RF: overall((h) => h.ready.RF), DI: overall((h) => h.ready.DI) },
      hosts,
      harden: overall((h) => h.harden),
      generators: [...this.generators.values()].map(({ g, sources, sites, hosts: h }) => ({ ...g, sources: [...sources], sites: [...sites], hosts: [...h] }))
        .sort((a, b) => b.count - a.count || a.package.localeCompare(b.package)),
      wouldRefuse: groups(this.groups),
      refused: groups(this.refusedGroups),
      interactive: sources(this.interactive),
      generated: sources(this.generated),
    };
  }
}

/** A host is ready for SECNODE_HARDEN_GENERATED when its records show no code generated at run time. */
function hardenVerdict(h: HostSummary, generators: readonly string[]): Readiness {
  if (h.generated === 0) return { ready: true, reasons: ['no generated code recorded'] };
  return { ready: false, reasons: [`${h.generated} generated-code event(s) (${generators.join(', ')}): hardening would refuse them`] };
}

/** Hours when the records span at most three days (and the hours fit), else days; sorted by time. */
function timeline(t: NonNullable<HostAcc['time']>): Timeline {
  const days = [...t.days.keys()].sort();
  const hourly = !t.hoursFull && days.length > 0 && Date.parse(days.at(-1)!) - Date.parse(days[0]!) < 3 * 86_400_000;
  const map = hourly ? t.hours : t.days;
  return { unit: hourly ? 'hour' : 'day', buckets: [...map.values()].sort((a, b) => a.at.localeCompare(b.at)), unbucketed: t.unbucketed };
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

/** What the operator can do for each cause (the report's `do:` lines and --fix's notes). */
export const ADVICE: Record<Cause, string> = {
  mode: 'add the x bit: secnodectl report --fix --root <app dir>',
  noexec: 'move the code to a mount without noexec, or allow exec there (ExecPaths=, remount)',
  lsm: 'allow execution of the file in the LSM policy (Landlock ruleset, SELinux, IMA, IPE)',
  busy: 'find what holds it open for writing (fuser), stop it, run again',
  unavailable: 'the kernel cannot check: Linux 6.14+, no seccomp filter on execveat, or SECNODE_EMULATE_CHECK=1',
  'not-executable': 'the file is not on this machine: run secnodectl report or scan on the host that recorded it',
  other: 'look at the errno in the records',
  'passes-now': 'nothing: it passes the check now',
};

/**
 * The readiness rule after `report --fix`: RF is ready when every file named for RF passes the check now (`passes`,
 * one entry per file --fix looked at) and the report left none out (no untracked records, no elided file lists).
 */
export function readyAfterFix(plan: Plan, passes: readonly boolean[]): Plan {
  if (plan.ready.RF.ready || plan.hosts.length === 0) return plan;
  const rf = [...plan.wouldRefuse, ...plan.refused].filter((g) => g.bits.includes('RF'));
  const failing = passes.filter((p) => !p).length;
  if (plan.input.untracked > 0 || rf.some((g) => g.more.files) || failing > 0) {
    return { ...plan, ready: { ...plan.ready, RF: { ready: false, reasons: [...plan.ready.RF.reasons, `after --fix: ${failing} file(s) still fail the check`] } } };
  }
  return { ...plan, ready: { ...plan.ready, RF: { ready: true, reasons: [`after --fix: all ${passes.length} file(s) named in the records pass the check`] } } };
}
