// Runs many commands from one process (so one `secnodectl exec` sets the bits for all of them): reads a JSON
// list of { cmd, args } from the file named by argv[2], prints a JSON list of { status, signal, stdout, stderr }.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const jobs = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const results = jobs.map(({ cmd, args }) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: '', timeout: 20_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.error ? String(r.error) : r.stderr ?? '' };
});
process.stdout.write(JSON.stringify(results));
