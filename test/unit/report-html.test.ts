// Unit tests for the report page: every record field escaped in text, attributes and SVG, hidden characters
// shown, the CSP that allows no script and no request (its style hash matching the style sheet), copyable
// commands quoted for the shell, caps that say how much they left out, and the timelines and hardening
// verdicts the plan keeps for the page.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { escape, html, shellWord } from '../../runtime/html.js';
import { PAGE_LIMITS, renderHtml } from '../../runtime/report-html.js';
import { LIMITS, PlanBuilder, type Cause, type Explained } from '../../src/plan.js';
import { parseLine } from '../../src/records.js';
import { hostileLines, hostilePayloads, recordLine } from '../helpers/fleet.js';

const ADVICE = Object.fromEntries(['mode', 'noexec', 'lsm', 'busy', 'unavailable', 'not-executable', 'other', 'passes-now'].map((c) => [c, `advice for ${c}`])) as Record<Cause, string>;
const BEACON = 'http://127.0.0.1:9/b';

function planOf(lines: readonly string[], cause: Cause = 'not-executable') {
  const b = new PlanBuilder((): Explained => ({ cause, words: `words <i>${cause}</i>`, here: false }), () => null);
  for (const l of lines) {
    const p = parseLine(l);
    if (p === null) continue;
    if ('bad' in p) b.badLine(p.bad);
    else b.add(p.record, p.unknown);
  }
  return b.finish();
}

const page = (lines: readonly string[], cause?: Cause) => renderHtml({ plan: planOf(lines, cause), outcomes: undefined, inputs: ['records.jsonl'], advice: ADVICE });

/** Every `<` in the page as a tag: its name and attribute names (a `<` that starts no well-formed tag is returned as `?`). */
function tags(page: string): { name: string; attributes: string[] }[] {
  return [...page.matchAll(/</g)].map((m) => {
    const tag = /^<(\/?[a-z][\w-]*)((?:\s+[a-z][\w-]*(?:="[^"<>]*")?)*)\s*>/i.exec(page.slice(m.index, m.index + 4096));
    if (tag === null) return { name: page.startsWith('<!doctype html>', m.index) ? '!doctype' : '?', attributes: [] };
    return { name: tag[1]!.replace('/', '').toLowerCase(), attributes: [...tag[2]!.matchAll(/\s+([a-z][\w-]*)(?:="[^"<>]*")?/gi)].map((a) => a[1]!.toLowerCase()) };
  });
}

describe('escaping', () => {
  it('escapes the five characters that end text or a quoted attribute, and shows hidden characters', () => {
    expect(escape(`<a href="x" title='y'>&amp;`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;');
    expect(escape('a\u202eb\u0000c\u2028d\u200be')).toBe('a\\u{202e}b\\u{0}c\\u{2028}d\\u{200b}e');
    expect(html`<p title="${'"><script>'}">${['<b>', 1]}</p>`.text).toBe('<p title="&quot;&gt;&lt;script&gt;">&lt;b&gt;1</p>');
  });

  it('quotes shell words, and gives no command for a word with hidden characters', () => {
    expect(shellWord('/srv/app/a.js')).toBe('/srv/app/a.js');
    expect(shellWord(`a b'$(x)`)).toBe(`'a b'\\''$(x)'`);
    expect(shellWord('a\nb')).toBeNull();
    expect(shellWord('a\u202eb')).toBeNull();
  });

  it('a page of hostile records has only its own tags, no script, no URL, no event handler, and every payload as text', () => {
    const out = page(hostileLines(BEACON));
    const allowed = new Set(['!doctype', 'html', 'head', 'meta', 'title', 'style', 'body', 'h1', 'h2', 'h3', 'p', 'b', 'div', 'ul', 'li', 'svg', 'rect',
      'text', 'span', 'table', 'tr', 'th', 'td', 'code', 'details', 'summary', 'pre']);
    const attributes = new Set(['lang', 'charset', 'http-equiv', 'content', 'name', 'class', 'role', 'aria-label', 'width', 'height', 'viewbox', 'x', 'y', 'text-anchor', 'open']);
    const found = tags(out);
    expect(found.filter((t) => !allowed.has(t.name) || t.attributes.some((a) => !attributes.has(a)))).toEqual([]);
    expect(out).not.toMatch(/<script|<img|<iframe|<object|<link|<base|<a |\son\w+="/i);
    expect(out).not.toMatch(/="[^"]*http:/);
    expect(out.match(/<meta http-equiv/g)).toHaveLength(1);
    for (const p of hostilePayloads(BEACON)) expect(out).toContain(escape(p));
    expect(out).not.toMatch(/[\u0000\u2028\u202e]/);
  });

  it('has a CSP that allows no script, no request and only its own style sheet', () => {
    const out = page([recordLine({})]);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(out)![1]!.replace(/&#39;/g, "'");
    expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-[^']+'; img-src 'none'; base-uri 'none'; form-action 'none'$/);
    const style = /<style>([^<]*)<\/style>/.exec(out)![1]!;
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    expect(out.indexOf('Content-Security-Policy')).toBeLessThan(out.indexOf('<title>'));
  });
});

describe('content', () => {
  it('verdicts with reasons, hosts with counts and units, groups with files and processes, inline and generated code, the --fix command', () => {
    const out = page([
      recordLine({ host: 'h1', unit: 'app.service', path: '/srv/app/node_modules/x/a.js', package: { name: 'x', version: '1.0.0' } }),
      recordLine({ host: 'h1', pid: 8, path: '/srv/app/node_modules/x/b.js', package: { name: 'x', version: '1.0.0' } }),
      recordLine({ host: 'h2', event: 'interactive', subject: 'inline', path: undefined, source: '-e', errno: null, reason: 'interactive' }),
      recordLine({ host: 'h2', event: 'generated', subject: 'generated', path: undefined, source: 'new Function', parent: '/srv/app/node_modules/ajv/c.js:1:2',
        package: { name: 'ajv', version: '8.17.1' }, errno: null, verdict: 'record', reason: 'generated' }),
      'not a record',
    ], 'mode');
    expect(out).toMatch(/Enforce RF[^]*NOT READY[^]*h1: 2 failed check\(s\) of code files/);
    expect(out).toMatch(/Enforce DI[^]*NOT READY[^]*h2: 1 inline input/);
    expect(out).toMatch(/Harden generated code[^]*NOT READY[^]*h2: 1 generated-code event\(s\) \(ajv@8\.17\.1\)/);
    expect(out).toContain('<b>1 line(s) were not records</b> (1 not-json)');
    expect(out).toContain('<code>app.service</code>');
    expect(out).toMatch(/<code>x@1\.0\.0<\/code> \(mode\): 2 file\(s\), loaded by 2 process\(es\)/);
    expect(out).toContain('<li><code>/srv/app/node_modules/x/b.js</code></li>');
    expect(out).toContain('words &lt;i&gt;mode&lt;/i&gt;');
    expect(out).toContain('<pre>secnodectl report records.jsonl --fix --root APP_DIR</pre>');
    expect(out).toContain('the records name files under <code>/srv/app/node_modules/x</code>');
    expect(out).toContain('<code>/srv/app/node_modules/ajv/c.js:1:2</code>');
  });

  it('after --fix: what was fixed, skipped or left, and how each file checks now', () => {
    const plan = planOf([recordLine({})], 'mode');
    const out = renderHtml({ plan, inputs: ['r.jsonl'], advice: ADVICE, outcomes: [
      { path: '/srv/app/a.js', action: 'fixed', note: 'mode 0644 -> 0755', after: 'passes' },
      { path: '/etc/<x>', action: 'skipped', note: 'outside the given roots: not changed', after: 'refused (errno 13)' }] });
    expect(out).toContain('<p>--fix ran:</p>');
    expect(out).toContain('<tr><td>fixed</td><td><code>/srv/app/a.js</code></td><td>mode 0644 -&gt; 0755</td><td>passes</td></tr>');
    expect(out).toContain('<td><code>/etc/&lt;x&gt;</code></td>');
  });

  it('caps every list and says how many it left out', () => {
    const files = Array.from({ length: PAGE_LIMITS.files + 7 }, (_, i) => recordLine({ path: `/srv/app/f${i}.js`, pid: i }));
    const out = page(files);
    expect(out).toContain(`${PAGE_LIMITS.files + 7} file(s), loaded by ${LIMITS.pids}+ process(es)`);
    expect(out).toContain('7 more not shown — secnodectl report --json lists what it kept');
    expect(out).toContain('more than the report keeps (its sample limit)');
    const hosts = page(Array.from({ length: PAGE_LIMITS.hosts + 3 }, (_, i) => recordLine({ host: `h${i}` })));
    expect(hosts).toContain('3 more host(s) not shown');
    expect(hosts).toContain(`${PAGE_LIMITS.reasons + 1} more reason(s)`.replace(String(PAGE_LIMITS.reasons + 1), String(PAGE_LIMITS.hosts + 3 - PAGE_LIMITS.reasons)));
    expect(hosts).toMatch(/\d+ more host\(s\) not drawn/);
  });
});

describe('timelines and hardening in the plan', () => {
  it('buckets by hour within three days, by day beyond, counts failing and generated records, and keeps odd times out', () => {
    const hourly = planOf([recordLine({ time: '2026-12-01T10:05:00Z' }), recordLine({ time: '2026-12-01T10:59:00Z', verdict: 'run', errno: null, reason: 'allowed' }),
      recordLine({ time: '2026-12-02T03:00:00Z', event: 'generated', subject: 'generated', path: undefined, source: 'eval', errno: null, reason: 'generated' }),
      recordLine({ time: '<svg onload=alert(1)>' })]);
    expect(hourly.hosts[0]!.timeline).toEqual({ unit: 'hour', unbucketed: 1, buckets: [
      { at: '2026-12-01T10', records: 2, failing: 1, generated: 0 }, { at: '2026-12-02T03', records: 1, failing: 0, generated: 1 }] });
    const daily = planOf([recordLine({ time: '2026-12-01T10:00:00Z' }), recordLine({ time: '2026-12-09T10:00:00Z' })]);
    expect(daily.hosts[0]!.timeline).toMatchObject({ unit: 'day', buckets: [{ at: '2026-12-01', records: 1 }, { at: '2026-12-09', records: 1 }] });
    const many = planOf(Array.from({ length: LIMITS.hours + 2 }, (_, i) => recordLine({ time: new Date(Date.UTC(2026, 11, 1) + i * 3_600_000).toISOString() })));
    expect(many.hosts[0]!.timeline).toMatchObject({ unit: 'day', unbucketed: 0 });
  });

  it('keeps timelines for the first hosts only', () => {
    const plan = planOf(Array.from({ length: LIMITS.timelines + 2 }, (_, i) => recordLine({ host: `h${String(i).padStart(4, '0')}` })));
    expect(plan.hosts.filter((h) => h.timeline === null)).toHaveLength(2);
  });

  it('a host is ready to harden with no generated code; generated code is counted against the package of its call site', () => {
    const gen = (over: Record<string, unknown>) => recordLine({ event: 'generated', subject: 'generated', path: undefined, source: 'vm.Script', errno: null, reason: 'generated', ...over });
    const plan = planOf([recordLine({ host: 'quiet', verdict: 'run', errno: null, reason: 'allowed' }), gen({ host: 'busy', package: { name: 'ejs', version: '3.1.10' }, parent: '/a/x.js:1:1' }),
      gen({ host: 'busy', parent: '/a/y.js:2:2' }), gen({ host: 'busy' })]);
    expect(plan.hosts.map((h) => [h.host, h.harden.ready, h.generators])).toEqual([['busy', false, ['ejs@3.1.10', '(no package.json)', '(call site not recorded)']], ['quiet', true, []]]);
    expect(plan.harden).toMatchObject({ ready: false, reasons: [expect.stringMatching(/^busy: 3 generated-code event\(s\)/)] });
    expect(plan.generators[0]).toMatchObject({ package: '(call site not recorded)', count: 1 });
    expect(plan.generators.find((g) => g.package === 'ejs@3.1.10')).toMatchObject({ sources: ['vm.Script'], sites: ['/a/x.js:1:1'], hosts: ['busy'] });
  });
});
