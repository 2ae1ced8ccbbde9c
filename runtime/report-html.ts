// `secnodectl report --html`: the plan as one self-contained page (no script, no network; a strict CSP),
// every record field escaped, long lists collapsed and capped with the count of what is left out.
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import type { Cause, Group, Plan, Readiness, SourceGroup } from '../src/plan.js';
import { html, Markup, shellWord } from './html.js';
import { readinessChart } from './report-chart.js';
import type { FileOutcome } from './report-fix.js';

/** What the page lists at most of each kind; everything beyond is counted ("N more") and left to --json. */
export const PAGE_LIMITS = { groups: 200, files: 100, hosts: 500, reasons: 20, rows: 500 };

/** What the page is made from. */
export interface PageInput {
  readonly plan: Plan;
  /** The outcomes of --fix, when it ran. */
  readonly outcomes: readonly FileOutcome[] | undefined;
  /** The record files the report read (for the --fix command). */
  readonly inputs: readonly string[];
  /** What the operator can do for each cause. */
  readonly advice: Readonly<Record<Cause, string>>;
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1b1f24;background:#fff;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.verdicts{display:flex;gap:12px;flex-wrap:wrap}.verdict{border:1px solid #d0d7de;border-radius:6px;padding:10px 14px;min-width:260px;flex:1}
.verdict b{font-size:18px}.yes b{color:#1a7f37}.no b{color:#cf222e}.verdict ul{margin:6px 0 0;padding-left:18px}
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td{max-width:32em}td.n,td.v{white-space:nowrap}td code{word-break:normal;overflow-wrap:break-word}td.v code{white-space:nowrap}td.h code{overflow-wrap:anywhere}.verdict li{overflow-wrap:anywhere}.scroll{overflow-x:auto}td.n{text-align:right;font-variant-numeric:tabular-nums}.ready{color:#1a7f37}.notready{color:#cf222e;font-weight:600}
code,pre{font:12px/1.4 ui-monospace,monospace;word-break:break-all;white-space:pre-wrap}pre{background:#f6f8fa;border:1px solid #d0d7de;padding:8px;margin:4px 0}
details{margin:4px 0}summary{cursor:pointer}.more{color:#57606a;font-style:italic}.muted{color:#57606a}
svg.chart{display:block;margin:8px 0}svg .lbl{font:11px ui-monospace,monospace;fill:#1b1f24}svg .lbl.bad{fill:#cf222e}svg .tick{font:10px ui-monospace,monospace;fill:#57606a}
.fail{fill:#cf222e;background:#cf222e}.gen{fill:#bf8700;background:#bf8700}.ok{fill:#2da44e;background:#2da44e}
.key{display:inline-block;width:10px;height:10px;margin:0 2px 0 10px}
`;

/** No script, no request of any kind; the one style sheet allowed by its hash. */
const CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; img-src 'none'; base-uri 'none'; form-action 'none'`;

const n = (x: number) => x.toLocaleString('en-US');
const sampled = (xs: readonly unknown[], more: boolean) => `${n(xs.length)}${more ? '+' : ''}`;
/** A cell kept on one line when its text is short, else wrapped anywhere (a long hostile name must not widen the table). */
const fits = (s: string) => (s.length <= 40 ? 'v' : 'h');
const mark = (r: Readiness) => (r.ready ? html`<span class="ready">ready</span>` : html`<span class="notready">NOT READY</span>`);

/** A list capped at `cap` items, collapsed when long; says how many were left out, and whether the report kept them all. */
function list(items: readonly string[], cap: number, notKept: boolean, code = true): Markup {
  const shown = items.slice(0, cap).map((s) => (code ? html`<li><code>${s}</code></li>` : html`<li>${s}</li>`));
  const left = items.length - Math.min(items.length, cap);
  const tail = left > 0 || notKept
    ? html`<li class="more">${left > 0 ? `${n(left)} more not shown` : ''}${left > 0 && notKept ? '; ' : ''}${notKept ? 'more than the report keeps (its sample limit)' : ''} — secnodectl report --json lists what it kept</li>`
    : '';
  return html`<ul>${shown}${tail}</ul>`;
}

function verdictBox(title: string, r: Readiness): Markup {
  const left = r.reasons.length - PAGE_LIMITS.reasons;
  return html`<div class="${r.ready ? 'verdict yes' : 'verdict no'}"><div>${title}</div><b>${r.ready ? 'READY' : 'NOT READY'}</b>
<ul>${r.reasons.slice(0, PAGE_LIMITS.reasons).map((x) => html`<li>${x}</li>`)}${left > 0 ? html`<li class="more">${n(left)} more reason(s): see the hosts below</li>` : ''}</ul></div>`;
}

function inputSummary(plan: Plan): Markup {
  const i = plan.input;
  const bad = Object.entries(i.bad);
  const notRecords = bad.reduce((s, [, c]) => s + (c ?? 0), 0);
  return html`<p>${n(i.records)} record(s) from ${n(plan.hosts.length)} host(s) in ${n(i.lines)} line(s); <b>${n(notRecords)} line(s) were not records</b>${bad.length > 0 ? html` (${bad.map(([k, c]) => `${n(c ?? 0)} ${k}`).join(', ')})` : ''}.</p>
${i.bad['journal-field-elided'] ? html`<p class="more">Journal fields of 4096 bytes or more were shown as null: read the journal with journalctl -o json --all.</p>` : ''}
${i.unknownFieldRecords > 0 ? html`<p class="more">${n(i.unknownFieldRecords)} record(s) with fields this version does not know (ignored): ${i.unknownFields.join(', ')}</p>` : ''}
${i.untracked > 0 ? html`<p class="more">${n(i.untracked)} record(s) beyond the report's group limit were counted but not grouped.</p>` : ''}`;
}

function hostTable(plan: Plan): Markup {
  const bad = (h: Plan['hosts'][number]) => Number(!h.ready.RF.ready) + Number(!h.ready.DI.ready);
  const hosts = [...plan.hosts].sort((a, b) => bad(b) - bad(a) || a.host.localeCompare(b.host));
  const rows = hosts.slice(0, PAGE_LIMITS.hosts).map((h) => html`<tr><td class="${fits(h.host)}"><code>${h.host}</code></td><td class="${fits(h.units.join(' '))}">${h.units.map((u) => html`<code>${u}</code> `)}</td><td class="n">${n(h.records)}</td>
<td class="v">${mark(h.ready.RF)}</td><td class="v">${mark(h.ready.DI)}</td><td class="v">${mark(h.harden)}</td><td class="n">${n(h.blocking.RF)}</td><td class="n">${n(h.blocking.DI)}</td><td class="n">${n(h.interactive)}</td><td class="n">${n(h.generated)}</td>
<td class="v">${h.first}</td><td class="v">${h.last}</td></tr>`);
  const left = hosts.length - rows.length;
  const table = html`<div class="scroll"><table><tr><th>host</th><th>units</th><th>records</th><th>RF</th><th>DI</th><th>harden</th><th>RF fail</th><th>DI fail</th><th>inline</th><th>generated</th><th>first seen</th><th>last seen</th></tr>${rows}</table></div>
${left > 0 ? html`<p class="more">${n(left)} more host(s) not shown (all of them ready or listed above first): secnodectl report --json lists them.</p>` : ''}`;
  return hosts.length > 20 ? html`<details open><summary>${n(hosts.length)} host(s), not ready first</summary>${table}</details>` : table;
}

function groupSection(groups: readonly Group[], advice: PageInput['advice']): Markup {
  if (groups.length === 0) return html`<p class="muted">(none)</p>`;
  const shown = groups.slice(0, PAGE_LIMITS.groups);
  const summary = html`<table><tr><th>package</th><th>cause</th><th>bit</th><th>records</th><th>files</th><th>processes</th><th>hosts</th><th>first</th><th>last</th></tr>
${shown.map((g) => html`<tr><td><code>${g.package}</code></td><td>${g.cause}</td><td>${g.bits.join('+')}</td><td class="n">${n(g.count)}</td><td class="n">${sampled(g.files, g.more.files)}</td><td class="n">${sampled(g.processes, g.more.processes)}</td><td class="n">${sampled(g.hosts, g.more.hosts)}</td><td>${g.first}</td><td>${g.last}</td></tr>`)}</table>`;
  const details = shown.map((g) => html`<details><summary><code>${g.package}</code> (${g.cause}): ${sampled(g.files, g.more.files)} file(s), loaded by ${sampled(g.processes, g.more.processes)} process(es)</summary>
<p>${g.words}</p><p>Do: ${advice[g.cause]}</p><p>Hosts:</p>${list(g.hosts, PAGE_LIMITS.files, g.more.hosts)}<p>Processes (host:pid):</p>${list(g.processes, PAGE_LIMITS.files, g.more.processes)}
<p>Files:</p>${list(g.files, PAGE_LIMITS.files, g.more.files)}</details>`);
  const left = groups.length - shown.length;
  return html`${summary}${details}${left > 0 ? html`<p class="more">${n(left)} more group(s) not shown: secnodectl report --json lists them.</p>` : ''}`;
}

function sourceSection(groups: readonly SourceGroup[], note: string): Markup {
  if (groups.length === 0) return html`<p class="muted">(none)</p>`;
  const shown = groups.slice(0, PAGE_LIMITS.rows);
  return html`<table><tr><th>source</th><th>records</th><th>refused</th><th>hosts</th><th>first</th><th>last</th></tr>
${shown.map((g) => html`<tr><td><code>${g.source}</code></td><td class="n">${n(g.count)}</td><td class="n">${n(g.enforced)}</td><td>${g.hosts.slice(0, 10).join(', ')}${g.hosts.length > 10 ? ` and ${n(g.hosts.length - 10)} more` : ''}</td><td>${g.first}</td><td>${g.last}</td></tr>`)}</table>
${groups.length > shown.length ? html`<p class="more">${n(groups.length - shown.length)} more source(s) not shown: secnodectl report --json lists them.</p>` : ''}<p class="muted">${note}</p>`;
}

function generatorSection(plan: Plan): Markup {
  if (plan.generators.length === 0) return html`<p class="muted">No package generated code in these records.</p>`;
  const shown = plan.generators.slice(0, PAGE_LIMITS.rows);
  return html`<table><tr><th>package</th><th>records</th><th>how</th><th>call sites</th><th>hosts</th></tr>
${shown.map((g) => html`<tr><td><code>${g.package}</code></td><td class="n">${n(g.count)}</td><td>${g.sources.join(', ')}${g.more.sources ? ', …' : ''}</td>
<td><details><summary>${sampled(g.sites, g.more.sites)}</summary>${list(g.sites, PAGE_LIMITS.files, g.more.sites)}</details></td><td>${sampled(g.hosts, g.more.hosts)}</td></tr>`)}</table>
${plan.generators.length > shown.length ? html`<p class="more">${n(plan.generators.length - shown.length)} more package(s) not shown.</p>` : ''}`;
}

/** A command line, or a note where a word holds characters that a copied command would hide. */
function command(words: readonly string[]): Markup {
  const quoted = words.map(shellWord);
  return quoted.every((w) => w !== null) ? html`<pre>${quoted.join(' ')}</pre>` : html`<p class="more">(not shown as a command: a name holds control or invisible characters)</p>`;
}

/** The deepest directory that holds every file, or null when that is `/` or there are none. */
function commonDir(files: readonly string[]): string | null {
  let dir: string | null = null;
  for (const f of files) {
    const d = dirname(f);
    if (dir === null) dir = d;
    else while (d !== dir && !d.startsWith(dir.endsWith('/') ? dir : `${dir}/`)) dir = dirname(dir);
  }
  return dir === null || dir === '/' ? null : dir;
}

function fixSection({ plan, outcomes, inputs }: PageInput): Markup {
  if (outcomes) {
    if (outcomes.length === 0) return html`<p class="muted">--fix ran: no files named.</p>`;
    const shown = outcomes.slice(0, PAGE_LIMITS.rows);
    return html`<p>--fix ran:</p><table><tr><th>action</th><th>file</th><th>note</th><th>re-check</th></tr>
${shown.map((o) => html`<tr><td>${o.action}</td><td><code>${o.path}</code></td><td>${o.note}</td><td>${o.after}</td></tr>`)}</table>
${outcomes.length > shown.length ? html`<p class="more">${n(outcomes.length - shown.length)} more file(s) not shown: secnodectl report --fix --json lists them.</p>` : ''}`;
  }
  const rf = [...plan.wouldRefuse, ...plan.refused].filter((g) => g.bits.includes('RF'));
  const modeFiles = [...new Set(rf.filter((g) => g.cause === 'mode').flatMap((g) => g.files))].filter((f) => f.startsWith('/'));
  const others = rf.filter((g) => g.cause !== 'mode' && g.cause !== 'passes-now');
  if (modeFiles.length === 0 && others.length === 0) return html`<p class="muted">Nothing for --fix to change.</p>`;
  const root = commonDir(modeFiles);
  const args = ['secnodectl', 'report', ...inputs.filter((i) => i !== '-'), '--fix', '--root', 'APP_DIR'];
  return html`${modeFiles.length > 0 ? html`<p>--fix would add the x bit (where the r bit is) to ${n(modeFiles.length)} file(s) whose mode is the only cause, only inside the roots you give: replace APP_DIR with your application's directory (the records name files under <code>${root ?? '/'}</code>; a root is never taken from the records).</p>
${command(args)}<details><summary>${n(modeFiles.length)} file(s)</summary>${list(modeFiles, PAGE_LIMITS.files, rf.some((g) => g.cause === 'mode' && g.more.files))}</details>` : ''}
${others.length > 0 ? html`<p>--fix cannot change these; the operator must:</p><ul>${others.slice(0, PAGE_LIMITS.groups).map((g) => html`<li><code>${g.package}</code> (${g.cause}, ${sampled(g.files, g.more.files)} file(s)): ${g.words}</li>`)}</ul>` : ''}`;
}

/** The page: verdicts, readiness over time, hosts, groups, inline and generated code, what --fix would change. */
export function renderHtml(input: PageInput): string {
  const { plan, advice } = input;
  const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>secnode rollout report</title>
<style>${new Markup(STYLE)}</style></head><body>
<h1>secnode rollout report</h1>
${inputSummary(plan)}
<div class="verdicts">${verdictBox('Enforce RF (SECBIT_EXEC_RESTRICT_FILE)', plan.ready.RF)}${verdictBox('Enforce DI (SECBIT_EXEC_DENY_INTERACTIVE)', plan.ready.DI)}${verdictBox('Harden generated code (SECNODE_HARDEN_GENERATED=1)', plan.harden)}</div>
<h2>Readiness over time</h2>${readinessChart(plan)}
<h2>Hosts</h2>${hostTable(plan)}
<h2>Would be refused under enforcement (from permissive runs)</h2>${groupSection(plan.wouldRefuse, advice)}
<h2>Refused under enforcement</h2>${groupSection(plan.refused, advice)}
<h2>What --fix would change</h2>${fixSection(input)}
<h2>Inline code (governed by DI)</h2>${sourceSection(plan.interactive, 'Run it from a file instead, or keep DI off.')}
<h2>Generated code (eval, new Function, vm, worker eval, data: imports)</h2>${sourceSection(plan.generated, 'Runs under RF and DI; refused only with SECNODE_HARDEN_GENERATED=1.')}
<h3>Packages that generate code</h3>${generatorSection(plan)}
<p class="muted">Made by secnodectl report --html. This page runs no script and loads nothing.</p>
</body></html>
`;
  return page.text;
}
