// Readiness over time as inline SVG: one row per host, one cell per hour or day with records, coloured by
// what the records in it say (would be refused, generated code, or nothing in the way).
import type { Bucket, Plan } from '../src/plan.js';
import { html, visible, type Markup } from './html.js';

/** At most this many hosts and time columns are drawn; the page says how many were left out. */
export const CHART_LIMITS = { hosts: 50, columns: 240 };

type Host = Plan['hosts'][number];

const ROW = 16;
const LABEL = 180;

/** Buckets by day (hours summed into their day) or, when every drawn host has hours, by hour. */
function columns(hosts: readonly Host[]): { unit: 'hour' | 'day'; rows: Map<string, Bucket>[]; keys: string[]; dropped: number } {
  const hourly = hosts.every((h) => h.timeline?.unit === 'hour');
  const rows = hosts.map((h) => {
    const row = new Map<string, Bucket>();
    for (const b of h.timeline?.buckets ?? []) {
      const at = hourly ? b.at : b.at.slice(0, 10);
      const c = row.get(at) ?? { at, records: 0, failing: 0, generated: 0 };
      c.records += b.records;
      c.failing += b.failing;
      c.generated += b.generated;
      row.set(at, c);
    }
    return row;
  });
  const all = [...new Set(rows.flatMap((r) => [...r.keys()]))].sort();
  const keys = all.slice(-CHART_LIMITS.columns);
  return { unit: hourly ? 'hour' : 'day', rows, keys, dropped: all.length - keys.length };
}

const kind = (b: Bucket) => (b.failing > 0 ? 'fail' : b.generated > 0 ? 'gen' : 'ok');

/** The chart for the hosts with a timeline (hosts not ready first, then by name), and a note of what was left out. */
export function readinessChart(plan: Plan): Markup {
  const withTime = plan.hosts.filter((h) => h.timeline !== null && h.timeline.buckets.length > 0);
  const notReady = (h: Host) => Number(!h.ready.RF.ready || !h.ready.DI.ready);
  const drawn = [...withTime].sort((a, b) => notReady(b) - notReady(a) || a.host.localeCompare(b.host)).slice(0, CHART_LIMITS.hosts);
  if (drawn.length === 0) return html`<p>No records with a time to draw.</p>`;
  const { unit, rows, keys, dropped } = columns(drawn);
  const index = new Map(keys.map((k, i) => [k, i]));
  const CELL = Math.max(4, Math.min(16, Math.floor(960 / Math.max(1, keys.length))));
  const width = LABEL + keys.length * CELL + 10;
  const height = (drawn.length + 2) * ROW;
  const cells = drawn.map((h, r) => {
    const y = r * ROW + 2;
    const row = [...rows[r]!.values()].filter((b) => index.has(b.at)).map((b) => html`<rect class="${kind(b)}" x="${LABEL + index.get(b.at)! * CELL}" y="${y}" width="${CELL - 1}" height="${ROW - 4}"><title>${h.host} ${b.at}: ${b.records} record(s), ${b.failing} would be refused, ${b.generated} generated code</title></rect>`);
    const chars = [...visible(h.host)];
    const label = chars.length > 24 ? `${chars.slice(0, 23).join('')}…` : h.host;
    return html`<text x="0" y="${y + ROW - 6}" class="${notReady(h) ? 'lbl bad' : 'lbl'}">${label}<title>${h.host}</title></text>${row}`;
  });
  const axisY = drawn.length * ROW + 12;
  const ticks = keys.length === 0 ? [] : [0, Math.floor((keys.length - 1) / 2), keys.length - 1].filter((v, i, a) => a.indexOf(v) === i);
  const axis = ticks.map((i) => html`<text x="${LABEL + i * CELL + (i === keys.length - 1 ? CELL : 0)}" y="${axisY}" class="tick"${i === keys.length - 1 && i > 0 ? html` text-anchor="end"` : ''}>${keys[i]!.replace('T', ' ')}${unit === 'hour' ? 'h' : ''}</text>`);
  const leftOut = [
    withTime.length > drawn.length ? `${withTime.length - drawn.length} more host(s) not drawn (the table lists them)` : '',
    plan.hosts.length > withTime.length ? `${plan.hosts.length - withTime.length} host(s) without a timeline (over the report's limit, or no readable times)` : '',
    dropped > 0 ? `${dropped} earlier ${unit}(s) not drawn` : '',
  ].filter((s) => s !== '');
  return html`<svg class="chart" role="img" aria-label="records per ${unit} and host" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${cells}${axis}</svg>
<p class="legend"><span class="key fail"></span> would be refused <span class="key gen"></span> generated code <span class="key ok"></span> nothing in the way; one column per ${unit} with records, hosts not ready first.</p>
${leftOut.length > 0 ? html`<p class="more">${leftOut.join('; ')}.</p>` : ''}`;
}
