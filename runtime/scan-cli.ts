// `secnodectl scan`: runs the scan, prints the report, and with --fix adds x bits where the mode is the only problem.
import { fixRoot, scan, type ScanReport } from '../src/scan.js';
import { fixExecBits, realRoots, type Fix } from './fix.js';

function human(report: ScanReport, all: boolean): string {
  const out: string[] = [];
  for (const f of report.files) {
    if (f.verdict === 'allowed' && !all) continue;
    out.push(`${f.verdict === 'allowed' ? 'ok     ' : 'REFUSED'}  ${f.path}${f.errno ? `  ${f.errno}: ${f.reason}` : ''}${f.emulated ? ' (emulated check)' : ''}`);
    if (f.verdict === 'refused') out.push(`         ${f.importers.length > 0 ? `imported by ${f.importers.join(', ')}` : 'a root of the scan'}`);
  }
  if (report.unresolved.length > 0) {
    out.push('', 'not followed (resolve these by hand, or check them with a directory scan):');
    for (const u of report.unresolved) out.push(`  ${u.importer}${u.line ? `:${u.line}` : ''}  ${u.specifier === null ? '(computed)' : JSON.stringify(u.specifier)}: ${u.reason}`);
  }
  if (report.unparsed.length > 0) {
    out.push('', 'could not parse (imports of these files were not followed):');
    for (const u of report.unparsed) out.push(`  ${u.path}: ${u.error}`);
  }
  const s = report.summary;
  out.push('', `${s.files} code files checked, ${s.refused} refused${s.refused > 0 ? ` (${s.fixable} fixable with --fix: only the x bit is missing)` : ''}`);
  out.push(`would start under SECBIT_EXEC_RESTRICT_FILE: ${s.wouldStartUnderRestrictFile ? 'yes' : 'no'}`);
  return `${out.join('\n')}\n`;
}

/** Entry point of `secnodectl scan`; returns the exit status (0: everything would run, 1: not, 2: usage). */
export function scanCommand(args: readonly string[]): number {
  const flags = new Set(args.filter((a) => a.startsWith('--')));
  const unknown = [...flags].find((f) => !['--json', '--fix', '--all'].includes(f));
  const inputs = args.filter((a) => !a.startsWith('--'));
  if (unknown || inputs.length === 0) {
    process.stderr.write(`secnodectl scan: ${unknown ? `unknown option ${unknown}` : 'missing entry or directory'}\nusage: secnodectl scan <entry|dir>… [--json] [--fix] [--all]\n`);
    return 2;
  }
  const tty = process.stderr.isTTY === true;
  let report: ScanReport;
  let roots: string[];
  try {
    roots = realRoots(inputs.map(fixRoot));
    report = scan(inputs, {
      nodeOptions: process.env.NODE_OPTIONS ?? '',
      emulate: process.env.SECNODE_EMULATE_CHECK === '1',
      ...(tty ? { progress: (done: number, queued: number) => { if (done % 250 === 0) process.stderr.write(`\rscanning: ${done} checked, ${queued} queued`); } } : {}),
    });
  } catch (e) {
    process.stderr.write(`secnodectl scan: ${(e as Error).message}\n`);
    return 2;
  }
  if (tty) process.stderr.write('\r\x1b[K');
  let fixes: Fix[] = [];
  if (flags.has('--fix')) {
    fixes = report.files.filter((f) => f.verdict === 'refused' && f.fixable).map((f) => fixExecBits(f.path, roots, f.mode));
    const fixed = new Set(fixes.filter((f) => f.done).map((f) => f.path));
    report = { ...report, files: report.files.map((f) => (fixed.has(f.path) ? { ...f, verdict: 'allowed', errno: null, reason: 'executable (fixed)', fixable: false } : f)) };
    const refused = report.files.filter((f) => f.verdict === 'refused');
    report = { ...report, summary: { ...report.summary, refused: refused.length, fixable: refused.filter((f) => f.fixable).length, wouldStartUnderRestrictFile: refused.length === 0 } };
  }
  if (flags.has('--json')) {
    process.stdout.write(`${JSON.stringify(flags.has('--fix') ? { ...report, fixes } : report, null, 2)}\n`);
  } else {
    for (const f of fixes) process.stdout.write(f.done ? `fixed   ${f.path}: mode ${f.from} -> ${f.to}\n` : `skipped ${f.path}: ${f.note}\n`);
    process.stdout.write(human(report, flags.has('--all')));
  }
  return report.summary.wouldStartUnderRestrictFile ? 0 : 1;
}
