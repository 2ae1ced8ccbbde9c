// `secnodectl preflight NODE NODE_OPTIONS ARGS…` (run by the sh fallback launcher only when an option that
// Node acts on before any preload appears, or its node is not pinned): under enforcement refuse the option, or a
// NODE the operator did not pin; else exec NODE with secnode first in NODE_OPTIONS.
import { execDeniedNode, optionRefused } from '../src/errors.js';
import { execv, readSecurebits } from '../src/kernel.js';
import { refusedStart } from '../src/options.js';
import { bitsHex, decodeBits } from '../src/securebits.js';
import { isPinned, readPins } from '../src/pinned-node.js';
import { enforcingRule } from '../src/policy.js';
import { readSettings } from '../src/settings.js';
import { withSelfFirst } from '../loader/self-first.js';

/** Runs the preflight; returns an exit status only when it does not exec node. */
export function preflight(args: readonly string[]): number {
  const [nodeBin, nodeOptions = '', ...rest] = args;
  if (nodeBin === undefined) return 2;
  try {
    const raw = readSecurebits();
    const start = { args: rest, env: { NODE_OPTIONS: nodeOptions } };
    const bits = decodeBits(raw);
    const forced = readSettings(process.env).forced;
    const refused = refusedStart(start, bits, forced, (v) => v.early);
    if (refused) throw optionRefused(refused.name, `${refused.why} (enforced by ${refused.rule})`, bitsHex(raw));
    const rule = enforcingRule('file', bits, forced) ?? enforcingRule('interactive', bits, forced);
    const pins = rule === null ? null : readPins();
    if (pins && rule && (pins.problem !== null || !isPinned(pins, nodeBin))) throw execDeniedNode(nodeBin, pins, bitsHex(raw), rule);
  } catch (e) {
    const err = e as { message?: string; code?: string; hint?: string };
    process.stderr.write(`${err.message ?? String(e)}${err.code ? ` [${err.code}]` : ''}\n${err.hint ?? 'hint: see the secnode README'}\n`);
    return 126;
  }
  // secnode first, whatever NODE_OPTIONS the caller gave: no Node leaves here without it.
  process.env.NODE_OPTIONS = withSelfFirst(nodeOptions);
  const errno = execv(nodeBin, ['node', ...rest]);
  process.stderr.write(`secnode: cannot execute ${nodeBin}: errno ${errno}\n`);
  return 126;
}
