// `secnodectl preflight NODE NODE_OPTIONS ARGS…` (run by the secnode launcher only when an option that
// Node acts on before any preload appears): refuse it under enforcement, else exec node as asked.
import { enforcedBy, optionRefused } from '../src/errors.js';
import { execv, readSecurebits } from '../src/kernel.js';
import { refusedStart } from '../src/options.js';
import { EXIT_REFUSED, refusalOf } from '../src/refusal.js';
import { bitsHex, decodeBits } from '../src/securebits.js';
import { readSettings } from '../src/settings.js';

/** Runs the preflight; returns an exit status only when it does not exec node. */
export function preflight(args: readonly string[]): number {
  const [nodeBin, nodeOptions = '', ...rest] = args;
  if (nodeBin === undefined) return 2;
  try {
    const raw = readSecurebits();
    const start = { args: rest, env: { NODE_OPTIONS: nodeOptions } };
    const refused = refusedStart(start, decodeBits(raw), readSettings(process.env).forced, (v) => v.early);
    if (refused) throw optionRefused(refused.name, enforcedBy(refused.why, refused.rule), bitsHex(raw));
  } catch (e) {
    process.stderr.write(refusalOf(e));
    return EXIT_REFUSED;
  }
  process.env.NODE_OPTIONS = nodeOptions;
  const errno = execv(nodeBin, ['node', ...rest]);
  process.stderr.write(`secnode: cannot execute ${nodeBin}: errno ${errno}\n`);
  return EXIT_REFUSED;
}
