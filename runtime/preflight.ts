// `secnodectl preflight NODE NODE_OPTIONS ARGS…` (run by the sh fallback launcher only when an option that
// Node acts on before any preload appears, or its node is not pinned): under enforcement refuse the option, or a
// NODE the operator did not pin; else exec NODE with secnode first in NODE_OPTIONS.
import { enforcedBy, execDeniedNode, optionRefused } from '../src/errors.js';
import { execv, readSecurebits } from '../src/kernel.js';
import { shFallbackWarning } from '../src/launchers.js';
import { refusedStart } from '../src/options.js';
import { EXIT_REFUSED, refusalOf } from '../src/refusal.js';
import { bitsHex, decodeBits } from '../src/securebits.js';
import { isPinned, readPins } from '../src/pinned-node.js';
import { enforcingRule } from '../src/policy.js';
import { readSettings } from '../src/settings.js';
import { withSelfFirst } from '../loader/self-first.js';

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
    const bits = decodeBits(raw);
    const { forced } = settings;
    const refused = refusedStart(start, bits, forced, (v) => v.early);
    if (refused) throw optionRefused(refused.name, enforcedBy(refused.why, refused.rule), bitsHex(raw));
    const rule = enforcingRule('file', bits, forced) ?? enforcingRule('interactive', bits, forced);
    const pins = rule === null ? null : readPins();
    if (pins && rule && (pins.problem !== null || !isPinned(pins, nodeBin))) throw execDeniedNode(nodeBin, pins, bitsHex(raw), rule);
  } catch (e) {
    // A refused start is a start under enforcement: the sh fallback says so here too (the preload would, had it run).
    process.stderr.write(`${fallback ? shFallbackWarning() : ''}${refusalOf(e)}`);
    return EXIT_REFUSED;
  }
  // secnode first, whatever NODE_OPTIONS the caller gave: no Node leaves here without it.
  process.env.NODE_OPTIONS = withSelfFirst(nodeOptions);
  const errno = execv(nodeBin, ['node', ...rest]);
  process.stderr.write(`secnode: cannot execute ${nodeBin}: errno ${errno}\n`);
  return EXIT_REFUSED;
}
