// `secnodectl report`: reads audit records (JSONL, journalctl -o json, syslog text) and prints the enforcement
// plan; with --fix --root DIR… adds the x bit to the files the records name where the mode is the only cause.
// This file reads the arguments and the inputs and runs the steps: causes come from report-probe.ts, fixes from
// report-fix.ts, the output from report-text.ts (text, JSON) and report-html.ts, the verdicts from src/plan.ts.
import { constants, createReadStream, openSync, statSync, writeFileSync } from 'node:fs';
import { PackageLookup } from '../src/package-info.js';
import { ADVICE, PlanBuilder, readyAfterFix } from '../src/plan.js';
import { LineSplitter, parseLine } from '../src/records.js';
import { realRoots } from './fix.js';
import { fixAll, type FileOutcome } from './report-fix.js';
import { renderHtml } from './report-html.js';
import { liveExplain } from './report-probe.js';
import { renderJson, renderText } from './report-text.js';

const USAGE = 'usage: secnodectl report [FILE|-]… [--json | --html FILE|-] [--fix --root DIR…]';

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
    plan = readyAfterFix(plan, outcomes.map((x) => x.after === 'passes'));
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
      process.stdout.write(renderText(plan, outcomes));
    }
    return status;
  }
  process.stdout.write(o.json ? renderJson(plan, outcomes) : renderText(plan, outcomes));
  return status;
}
