// `secnodectl preflight NODE NODE_OPTIONS ARGS…` (run by the secnode launcher only when an option that
// Node acts on before any preload appears): refuse it under enforcement, else exec node as asked.
import { enforcedBy, optionRefused } from '../src/errors.js';
import { execv, readSecurebits } from '../src/kernel.js';
import { shFallbackWarning } from '../src/launchers.js';
import { refusedStart } from '../src/options.js';
import { EXIT_REFUSED, refusalOf } from '../src/refusal.js';
import { bitsHex, decodeBits } from '../src/securebits.js';
import { readSettings } from '../src/settings.js';

/** Runs the preflight; returns an exit status only when it does not exec node. */
export function preflight(args: readonly string[]): number {
  const [nodeBin, nodeOptions = '', ...rest] = args;
  if (nodeBin === undefined) return 2;
  let fallback = false;
  try {
    const raw = readSecurebits();
    const settings = readSettings(process.env);
    fallback = settings.launcher === 'sh';
    const start = { args: rest, env: { NODE_OPTIONS: nodeOptions } };
    const refused = refusedStart(start, decodeBits(raw), settings.forced, (v) => v.early);
    if (refused) throw optionRefused(refused.name, enforcedBy(refused.why, refused.rule), bitsHex(raw));
  } catch (e) {
    // A refused start is a start under enforcement: the sh fallback says so here too (the preload would, had it run).
    process.stderr.write(`${fallback ? shFallbackWarning() : ''}${refusalOf(e)}`);
    return EXIT_REFUSED;
  }
  process.env.NODE_OPTIONS = nodeOptions;
  const errno = execv(nodeBin, ['node', ...rest]);
  process.stderr.write(`secnode: cannot execute ${nodeBin}: errno ${errno}\n`);
  return EXIT_REFUSED;
}
