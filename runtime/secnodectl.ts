#!/usr/bin/env node
// secnodectl: the operator's tool (exec now; status and scan build on the same library).
import { parseExec, runExec } from './exec.js';

const USAGE = 'usage: secnodectl exec [--restrict-file] [--deny-interactive] [--no-lock] -- CMD [ARGS…]';

function main(argv: readonly string[]): number {
  const [command, ...rest] = argv;
  if (command === 'exec') {
    let opts;
    try {
      opts = parseExec(rest);
    } catch (e) {
      process.stderr.write(`secnodectl exec: ${(e as Error).message}\n${USAGE}\n`);
      return 2;
    }
    const { status, message } = runExec(opts);
    process.stderr.write(`secnodectl exec: ${message}\n`);
    return status;
  }
  if (command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  process.stderr.write(`secnodectl: unknown command ${command ?? '(none)'}\n${USAGE}\n`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
