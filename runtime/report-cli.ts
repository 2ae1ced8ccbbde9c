// `secnodectl report`: reads audit records (JSONL, journalctl -o json, syslog text) and prints the enforcement
// plan; with --fix --root DIR… adds the x bit to the files the records name where the mode is the only cause.
import { closeSync, constants, createReadStream, fstatSync, openSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { checkOpenFd, checkPath } from '../src/check.js';
import { PackageLookup } from '../src/package-info.js';
import { PlanBuilder, type Bit, type Cause, type Explained, type Group, type Plan, type Readiness, type SourceGroup } from '../src/plan.js';
import { LineSplitter, parseLine, type ReadRecord } from '../src/records.js';
import { explain } from '../src/why.js';
import { fixExecBits, insideRoots, realRoots, type Fix } from './fix.js';
import { renderHtml } from './report-html.js';

const USAGE = 'usage: secnodectl report [FILE|-]… [--json | --html FILE|-] [--fix --root DIR…]';

/** What the operator can do for each cause. */
const ADVICE: Record<Cause, string> = {
  mode: 'add the x bit: secnodectl report --fix --root <app dir>',
  noexec: 'move the code to a mount without noexec, or allow exec there (ExecPaths=, remount)',
  lsm: 'allow execution of the file in the LSM policy (Landlock ruleset, SELinux, IMA, IPE)',
  busy: 'find what holds it open for writing (fuser), stop it, run again',
  unavailable: 'the kernel cannot check: Linux 6.14+, no seccomp filter on execveat, or SECNODE_EMULATE_CHECK=1',
  'not-executable': 'the file is not on this machine: run secnodectl report or scan on the host that recorded it',
  other: 'look at the errno in the records',
  'passes-now': 'nothing: it passes the check now',
};

const FROM_RECORD: Record<string, [Cause, string]> = {
  'not-executable': ['not-executable', 'not executable (not on this machine to tell: no x bit, noexec mount or LSM)'],
  busy: ['busy', 'busy: the file was open for writing'],
  'check-unavailable': ['unavailable', 'the kernel could not check'],
};

/** A file that passes for this user: still `mode` when it failed with EACCES and some user that may read it has no x bit. */
function passing(fd: number, r: ReadRecord): Explained {
  const mode = fstatSync(fd).mode & 0o7777;
  if (r.errno === 'EACCES' && (((mode & 0o444) >> 2) & ~mode) !== 0) {
    return { cause: 'mode', words: `passes for this user, but mode ${mode.toString(8).padStart(4, '0')} has no x bit where it has r: the user that recorded it may have none`, here: true };
  }
  return { cause: 'passes-now', words: 'passes the check now', here: true };
}

/** The cause for a path: from the live file when it is a regular file here, else from the record. */
function liveExplain(emulate: boolean) {
  return (path: string, r: ReadRecord): Explained => {
    if (path.startsWith('/')) {
      let fd: number | undefined;
      try {
        if (statSync(path).isFile()) {
          fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
          const result = checkOpenFd(fd, path, emulate);
          if (result.outcome === 'allowed') return passing(fd, r);
          const why = explain(fd, result.errno);
          return { cause: why.kind === 'executable' ? 'passes-now' : why.kind, words: why.reason, here: true };
        }
      } catch { /* gone or unreadable: the record says why */ } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }
    const [cause, words] = FROM_RECORD[r.reason] ?? ['other', `check failed${r.errno ? ` (${r.errno})` : ''}`];
    return { cause, words, here: false };
  };
}

interface Options { json: boolean; html?: string; fix: boolean; roots: string[]; inputs: string[] }

function parseArgs(args: readonly string[]): Options | string {
  const o: Options = { json: false, fix: false, roots: [], inputs: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') o.json = true;
    else if (a === '--html' || a.startsWith('--html=')) {
      const out = a === '--html' ? args[++i] : a.slice(7);
      if (out === undefined || out === '') return '--html needs a file (or - for stdout)';
      o.html = out;
    }
    else if (a === '--fix') o.fix = true;
    else if (a === '--root') {
      const dir = args[++i];
      if (dir === undefined) return '--root needs a directory';
      o.roots.push(dir);
    } else if (a.startsWith('--root=')) o.roots.push(a.slice(7));
    else if (a.startsWith('-') && a !== '-') return `unknown option ${a}`;
    else o.inputs.push(a);
  }
  if (o.fix && o.roots.length === 0) return '--fix needs at least one --root DIR (the files it may change)';
  if (!o.fix && o.roots.length > 0) return '--root is only for --fix';
  if (o.json && o.html !== undefined) return '--json and --html cannot be combined';
  if (o.inputs.length === 0) o.inputs.push('-');
  if (o.inputs.filter((i) => i === '-').length > 1) return 'stdin (-) can be read only once';
  return o;
}

/** Opens every input first, so an unreadable one stops the report before anything is read. */
function openInputs(inputs: readonly string[]): number[] {
  return inputs.map((i) => {
    if (i === '-') return 0;
    if (statSync(i).isDirectory()) throw Object.assign(new Error(`${i}: is a directory`), { code: 'EISDIR' });
    return openSync(i, constants.O_RDONLY);
  });
}

async function readAll(fds: readonly number[], plan: PlanBuilder): Promise<void> {
  const onLine = (line: string) => {
    const parsed = parseLine(line);
    if (parsed === null) return;
    if ('bad' in parsed) plan.badLine(parsed.bad);
    else plan.add(parsed.record, parsed.unknown);
  };
  for (const fd of fds) {
    const splitter = new LineSplitter(onLine, () => plan.badLine('line-too-long'));
    const stream = fd === 0 ? process.stdin : createReadStream('', { fd, highWaterMark: 1 << 20 });
    for await (const chunk of stream) splitter.push(chunk as Buffer);
    splitter.end();
  }
}

/** One file named by the records, what --fix did with it, and how it checks afterwards. */
export interface FileOutcome { readonly path: string; readonly action: 'fixed' | 'skipped' | 'todo' | 'ok'; readonly note: string; readonly fix?: Fix; after: string }

function fixAll(plan: Plan, roots: readonly string[]): FileOutcome[] {
  const out: FileOutcome[] = [];
  const seen = new Set<string>();
  for (const g of [...plan.wouldRefuse, ...plan.refused]) {
    if (!g.bits.includes('RF')) continue;
    for (const path of g.files) {
      if (seen.has(path)) continue;
      seen.add(path);
      out.push(fixOne(path, g, roots));
    }
  }
  return out;
}

function fixOne(path: string, g: Group, roots: readonly string[]): FileOutcome {
  if (!isAbsolute(path)) return { path, action: 'skipped', note: 'not an absolute path: skipped', after: 'not checked' };
  if (g.cause === 'mode') {
    const fix = fixExecBits(path, roots);
    return { path, action: fix.done ? 'fixed' : fix.note.startsWith('already') ? 'ok' : 'skipped', note: fix.done ? `mode ${fix.from} -> ${fix.to}` : fix.note, fix, after: recheck(path) };
  }
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return { path, action: 'skipped', note: 'no longer exists: skipped', after: 'missing' };
  }
  if (!insideRoots(real, roots)) {
    return { path, action: 'skipped', note: real === path ? 'outside the given roots: not changed' : `leads out of the roots (to ${real}): not changed`, after: recheck(path) };
  }
  if (g.cause === 'passes-now') return { path, action: 'ok', note: 'passes the check already', after: recheck(path) };
  return { path, action: 'todo', note: `${g.words}: ${ADVICE[g.cause]}`, after: recheck(path) };
}

function recheck(path: string): string {
  try {
    const r = checkPath(path, process.env.SECNODE_EMULATE_CHECK === '1');
    return r.outcome === 'allowed' ? 'passes' : `refused (errno ${r.errno})`;
  } catch (e) {
    return `cannot be checked (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}

const list = (xs: readonly string[], more: boolean) => `${xs.join(', ')}${more ? ', …' : ''}`;

/** Lays out rows as columns (left-aligned text, right-aligned numbers). */
function table(head: readonly string[], rows: readonly (readonly string[])[], numeric: ReadonlySet<number>): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `  ${cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')}`.trimEnd();
  return [line(head), ...rows.map(line)];
}

function groupLines(title: string, groups: readonly Group[]): string[] {
  const out = [title];
  if (groups.length === 0) return [...out, '  (none)'];
  const n = (x: number, more: boolean) => `${x}${more ? '+' : ''}`;
  out.push(...table(['package', 'cause', 'bit', 'records', 'files', 'hosts', 'first', 'last'],
    groups.map((g) => [g.package, g.cause, g.bits.join('+'), String(g.count), n(g.files.length, g.more.files), n(g.hosts.length, g.more.hosts), g.first, g.last]),
    new Set([3, 4, 5])));
  for (const g of groups) {
    out.push('', `  ${g.package} (${g.cause}): ${g.words}`, `    do: ${ADVICE[g.cause]}`);
    out.push(`    hosts: ${list(g.hosts, g.more.hosts)}`, `    processes: ${list(g.processes, g.more.processes)}`);
    for (const f of g.files.slice(0, 10)) out.push(`    ${f}`);
    if (g.files.length > 10 || g.more.files) out.push(`    … ${g.more.files ? 'more' : g.files.length - 10} more (--json lists them)`);
  }
  return out;
}

function sourceLines(title: string, groups: readonly SourceGroup[], note: string): string[] {
  if (groups.length === 0) return [title, '  (none)'];
  return [title, ...table(['source', 'records', 'refused', 'hosts', 'first', 'last'],
    groups.map((g) => [JSON.stringify(g.source), String(g.count), String(g.enforced), g.hosts.join(', '), g.first, g.last]), new Set([1, 2])), `  ${note}`];
}

function human(plan: Plan, outcomes: FileOutcome[] | undefined): string {
  const i = plan.input;
  const bad = Object.entries(i.bad).map(([k, n]) => `${n} ${k}`).join(', ');
  const out = [`${i.records} record(s) from ${plan.hosts.length} host(s) in ${i.lines} line(s)${bad ? `; not used: ${bad}` : ''}`];
  if (i.bad['journal-field-elided']) out.push('  journal fields of 4096 bytes or more were shown as null: read the journal with journalctl -o json --all');
  if (i.unknownFieldRecords > 0) out.push(`  ${i.unknownFieldRecords} record(s) with fields this version does not know (ignored): ${i.unknownFields.join(', ')}`);
  if (i.untracked > 0) out.push(`  ${i.untracked} record(s) beyond the report's group limit were counted but not grouped`);
  out.push('', ...groupLines('Would be refused under enforcement (from permissive runs):', plan.wouldRefuse));
  out.push('', ...groupLines('Refused under enforcement:', plan.refused));
  out.push('', ...sourceLines('Inline code (governed by DI):', plan.interactive, 'run it from a file instead, or keep DI off'));
  out.push('', ...sourceLines('Generated code (eval, new Function, vm):', plan.generated, 'runs under RF and DI; refused only with SECNODE_HARDEN_GENERATED=1'));
  out.push('  by package:', ...(plan.generators.length === 0 ? ['    (none)'] : plan.generators.map((g) => `    ${g.package}: ${g.count} (${list(g.sources, g.more.sources)}) on ${list(g.hosts, g.more.hosts)}`)));
  const mark = (r: Readiness) => (r.ready ? 'ready' : 'NOT READY');
  out.push('', 'Hosts:', ...table(['host', 'units', 'records', 'RF', 'DI', 'harden', 'first', 'last'],
    plan.hosts.map((h) => [h.host, h.units.join(',') || '-', String(h.records), mark(h.ready.RF), mark(h.ready.DI), mark(h.harden), h.first, h.last]),
    new Set([2])));
  if (outcomes) {
    out.push('', 'Fix:');
    for (const o of outcomes) out.push(`  ${o.action.padEnd(7)} ${o.path}: ${o.note}  (re-check: ${o.after})`);
    if (outcomes.length === 0) out.push('  (no files named)');
  }
  out.push('');
  for (const b of ['RF', 'DI'] as const) out.push(`ready to enforce ${b}: ${plan.ready[b].ready ? 'yes' : 'no'} (${plan.ready[b].reasons.join('; ')})`);
  out.push(`ready to harden generated code (SECNODE_HARDEN_GENERATED=1): ${plan.harden.ready ? 'yes' : 'no'} (${plan.harden.reasons.join('; ')})`);
  return `${out.join('\n')}\n`;
}

/** After --fix: RF is ready when every file named for RF passes the check now and none was left out of the report. */
function afterFix(plan: Plan, outcomes: readonly FileOutcome[]): Plan {
  if (plan.ready.RF.ready || plan.hosts.length === 0) return plan;
  const rf = [...plan.wouldRefuse, ...plan.refused].filter((g) => g.bits.includes('RF'));
  const failing = outcomes.filter((o) => o.after !== 'passes');
  if (plan.input.untracked > 0 || rf.some((g) => g.more.files) || failing.length > 0) {
    return { ...plan, ready: { ...plan.ready, RF: { ready: false, reasons: [...plan.ready.RF.reasons, `after --fix: ${failing.length} file(s) still fail the check`] } } };
  }
  return { ...plan, ready: { ...plan.ready, RF: { ready: true, reasons: [`after --fix: all ${outcomes.length} file(s) named in the records pass the check`] } } };
}

/** Entry point of `secnodectl report`; returns the exit status (0 ready to enforce RF and DI, 1 not, 2 usage or unreadable input). */
export async function reportCommand(args: readonly string[]): Promise<number> {
  const o = parseArgs(args);
  if (typeof o === 'string') {
    process.stderr.write(`secnodectl report: ${o}\n${USAGE}\n`);
    return 2;
  }
  if (o.inputs.includes('-') && process.stdin.isTTY === true) {
    process.stderr.write(`secnodectl report: no input (give record files, or pipe them in)\n${USAGE}\n`);
    return 2;
  }
  let roots: string[] = [];
  let fds: number[];
  try {
    roots = realRoots(o.roots);
    for (const r of roots) if (!statSync(r).isDirectory()) throw new Error(`--root ${r}: not a directory`);
    fds = openInputs(o.inputs);
  } catch (e) {
    process.stderr.write(`secnodectl report: ${(e as Error).message}\n`);
    return 2;
  }
  const lookup = new PackageLookup();
  const builder = new PlanBuilder(liveExplain(process.env.SECNODE_EMULATE_CHECK === '1'), (p) => lookup.of(p));
  try {
    await readAll(fds, builder);
  } catch (e) {
    process.stderr.write(`secnodectl report: cannot read the input: ${(e as Error).message}\n`);
    return 2;
  }
  let plan = builder.finish();
  let outcomes: FileOutcome[] | undefined;
  if (o.fix) {
    outcomes = fixAll(plan, roots);
    plan = afterFix(plan, outcomes);
  }
  const status = plan.ready.RF.ready && plan.ready.DI.ready ? 0 : 1;
  process.stdout.on('error', () => process.exit(status)); // a reader that stops early (| head) is not an error
  if (o.html !== undefined) {
    const page = renderHtml({ plan, outcomes, inputs: o.inputs, advice: ADVICE });
    if (o.html === '-') process.stdout.write(page);
    else {
      try {
        writeFileSync(o.html, page, { mode: 0o644 });
      } catch (e) {
        process.stderr.write(`secnodectl report: cannot write ${o.html}: ${(e as Error).message}\n`);
        return 2;
      }
      process.stdout.write(human(plan, outcomes));
    }
    return status;
  }
  process.stdout.write(o.json ? `${JSON.stringify(outcomes ? { ...plan, fixes: outcomes } : plan, null, 2)}\n` : human(plan, outcomes));
  return status;
}
