// `secnodectl report`'s output: the plan as text for people, or as JSON (with the fixes when --fix ran).
import { ADVICE, type Group, type Plan, type Readiness, type SourceGroup } from '../src/plan.js';
import type { FileOutcome } from './report-fix.js';

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

/** The plan as text: inputs, the groups with what to do, hosts, fixes, and the verdict lines. */
export function renderText(plan: Plan, outcomes: readonly FileOutcome[] | undefined): string {
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

/** The plan as `--json` prints it (plus `fixes` with --fix). */
export function renderJson(plan: Plan, outcomes: readonly FileOutcome[] | undefined): string {
  return `${JSON.stringify(outcomes ? { ...plan, fixes: outcomes } : plan, null, 2)}\n`;
}
