// `npm run bench -- --only=report`: `secnodectl report` on 1,000,000 records from 50 hosts (and on 100,000,
// to show that memory does not grow with the input), timed with max RSS from `/usr/bin/time -v`.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The issue's bar: a million records in under 10 s. */
const TARGET_S = 10;

/** Writes `count` records from `hosts` hosts (refusals, runs, inline and generated events, a few bad lines) to `file`. */
export function writeRecords(file, count, hosts = 50) {
  const fd = openSync(file, 'w');
  const ids = Array.from({ length: hosts }, (_, i) => i.toString(16).padStart(32, '0'));
  const t0 = Date.UTC(2026, 11, 1);
  let chunk = '';
  for (let i = 0; i < count; i++) {
    const pkg = `pkg-${i % 100}`;
    const path = `/srv/bench-app/node_modules/${pkg}/lib/file-${i % 2000}.js`;
    const kind = i % 100;
    const what = kind < 2 ? '"event":"interactive","subject":"inline","source":"-e","errno":null,"allowed":true,"verdict":"run","reason":"interactive"'
      : kind < 5 ? '"event":"generated","subject":"generated","source":"new Function","errno":null,"allowed":true,"verdict":"run","reason":"generated"'
        : kind < 30 ? `"event":"check","subject":"require","path":"${path}","errno":"EACCES","allowed":true,"verdict":"record","reason":"not-executable"`
          : `"event":"check","subject":"import","path":"${path}","errno":null,"allowed":true,"verdict":"run","reason":"allowed"`;
    chunk += kind === 99 && i % 1000 === 99 ? '{"v":1,"time":"trunc\n'
      : `{"v":1,"time":"${new Date(t0 + i).toISOString()}","pid":${1000 + (i % 5000)},"tid":0,${what},"enforced":false,"mode":"permissive","rule":null,`
        + `"securebits":"0x0","emulated":false,"host":"${ids[i % hosts]}","unit":"app.service"${i % 10 === 0 ? '' : `,"package":{"name":"${pkg}","version":"1.0.0"}`}}\n`;
    if (chunk.length > 1 << 20) { writeSync(fd, chunk); chunk = ''; }
  }
  writeSync(fd, chunk);
  closeSync(fd);
}

/** Runs `secnodectl report FILE --json` under `/usr/bin/time -v`: wall seconds, max RSS in MiB, exit status. */
function measure(node, secnodectl, file) {
  const timed = existsSync('/usr/bin/time');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(timed ? '/usr/bin/time' : node, [...(timed ? ['-v', node] : []), secnodectl, 'report', file, '--json'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '')?.[1]);
  return { seconds, maxRssMiB: Number.isNaN(kb) ? undefined : kb / 1024, status: r.status };
}

/** The report benchmark: generates the records in `tmp`, times both sizes, prints a table, returns the rows. */
export function benchReport({ node, secnodectl, tmp, sizes = [100_000, 1_000_000] }) {
  const rows = [];
  for (const count of sizes) {
    const file = join(tmp, `records-${count}.jsonl`);
    writeRecords(file, count);
    const m = measure(node, secnodectl, file);
    rows.push({ records: count, hosts: 50, mib: statSync(file).size / 2 ** 20, ...m });
    console.error(`  report ${count} records: ${m.seconds.toFixed(2)} s, max RSS ${m.maxRssMiB?.toFixed(0) ?? '?'} MiB (exit ${m.status})`);
  }
  console.log('\nsecnodectl report (50 hosts; exit 1 = not ready, as expected for these records)');
  console.log('records     input MiB  seconds  max RSS MiB');
  for (const r of rows) console.log(`${String(r.records).padStart(9)}  ${r.mib.toFixed(0).padStart(9)}  ${r.seconds.toFixed(2).padStart(7)}  ${r.maxRssMiB?.toFixed(0).padStart(11) ?? '?'}`);
  const [small, big] = rows;
  console.log(`${big.records.toLocaleString('en')} records in ${big.seconds.toFixed(2)} s (target < ${TARGET_S} s: ${big.seconds < TARGET_S ? 'PASS' : 'MISS'}); `
    + `max RSS ${big.maxRssMiB?.toFixed(0)} MiB vs ${small.maxRssMiB?.toFixed(0)} MiB for ${small.records.toLocaleString('en')} (${big.maxRssMiB && small.maxRssMiB ? (big.maxRssMiB / small.maxRssMiB).toFixed(2) : '?'}×)`);
  return rows;
}
