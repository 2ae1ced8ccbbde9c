#!/usr/bin/env node
// secnodectl: the operator's tool: status, scan, report, exec.
import { parseExec, runExec } from './exec.js';
import { formatStatus, gatherStatus } from './status.js';

const USAGE = `usage: secnodectl status [--json]
       secnodectl scan <entry|dir>… [--json] [--fix]
       secnodectl report [FILE|-]… [--json] [--fix --root DIR…]
       secnodectl pin-node [--add] [NODE…]
       secnodectl cache [NODE…]
       secnodectl cache warm DIR [--user USER] -- CMD [ARGS…]
       secnodectl cache seal DIR
       secnodectl exec [--restrict-file] [--deny-interactive] [--no-lock]
                       [--harden-generated] [--emulate-check] [--audit=SINKS] -- CMD [ARGS…]`;

/** Exit status for usage errors. */
const EXIT_USAGE = 2;

function fail(command: string, message: string, status = EXIT_USAGE): number {
  process.stderr.write(`secnodectl ${command}: ${message}\n${status === EXIT_USAGE ? `${USAGE}\n` : ''}`);
  return status;
}

function status(args: readonly string[]): number {
  const unknown = args.find((a) => a !== '--json');
  if (unknown !== undefined) return fail('status', `unknown argument ${unknown}`);
  let s;
  try {
    s = gatherStatus(process.env);
  } catch (e) {
    return fail('status', (e as Error).message, 1);
  }
  process.stdout.write(args.includes('--json') ? `${JSON.stringify(s, null, 2)}\n` : formatStatus(s));
  return 0;
}

function exec(args: readonly string[]): number {
  let opts;
  try {
    opts = parseExec(args);
  } catch (e) {
    return fail('exec', (e as Error).message);
  }
  const { status: code, message } = runExec(opts);
  return fail('exec', message, code);
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'status': return status(rest);
    case 'exec': return exec(rest);
    case 'scan': return (await import('./scan-cli.js')).scanCommand(rest);
    case 'report': return (await import('./report-cli.js')).reportCommand(rest);
    case 'pin-node': return (await import('./pin-node.js')).pinNode(rest);
    case 'cache': return (await import('./cache-cli.js')).cacheCommand(rest);
    case 'preflight': return (await import('./preflight.js')).preflight(rest);
    case '--help': case '-h': case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      return fail(command ?? '', `unknown command ${command ?? '(none)'}`);
  }
}

/** The launcher hands over the caller's NODE_OPTIONS, or says it had none (kept away from this process), for `exec` to pass on. */
function callerArgs(argv: string[]): string[] {
  if (argv[0] === '--caller-no-node-options') {
    delete process.env.NODE_OPTIONS;
    return argv.slice(1);
  }
  if (argv[0] !== '--caller-node-options') return argv;
  process.env.NODE_OPTIONS = argv[1] ?? '';
  return argv.slice(2);
}

process.exitCode = await main(callerArgs(process.argv.slice(2)));
