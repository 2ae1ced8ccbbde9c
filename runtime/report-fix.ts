// `secnodectl report --fix --root DIR…`: adds the x bit to the files the records name where the mode is the only
// cause, inside the given roots, and checks each file again afterwards.
import { realpathSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { checkPath } from '../src/check.js';
import { ADVICE, type Group, type Plan } from '../src/plan.js';
import { fixExecBits, insideRoots, type Fix } from './fix.js';

/** One file named by the records, what --fix did with it, and how it checks afterwards. */
export interface FileOutcome { readonly path: string; readonly action: 'fixed' | 'skipped' | 'todo' | 'ok'; readonly note: string; readonly fix?: Fix; after: string }

/** Fixes (or explains) every file named for RF, each once. */
export function fixAll(plan: Plan, roots: readonly string[]): FileOutcome[] {
  const out: FileOutcome[] = [];
  const seen = new Set<string>();
  for (const g of [...plan.wouldRefuse, ...plan.refused]) {
    if (!g.bits.includes('RF')) continue;
    for (const path of g.files) {
      if (seen.has(path)) continue;
      seen.add(path);
      out.push(fixOne(path, g, roots));
    }
  }
  return out;
}

function fixOne(path: string, g: Group, roots: readonly string[]): FileOutcome {
  if (!isAbsolute(path)) return { path, action: 'skipped', note: 'not an absolute path: skipped', after: 'not checked' };
  if (g.cause === 'mode') {
    const fix = fixExecBits(path, roots);
    return { path, action: fix.done ? 'fixed' : fix.note.startsWith('already') ? 'ok' : 'skipped', note: fix.done ? `mode ${fix.from} -> ${fix.to}` : fix.note, fix, after: recheck(path) };
  }
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return { path, action: 'skipped', note: 'no longer exists: skipped', after: 'missing' };
  }
  if (!insideRoots(real, roots)) {
    return { path, action: 'skipped', note: real === path ? 'outside the given roots: not changed' : `leads out of the roots (to ${real}): not changed`, after: recheck(path) };
  }
  if (g.cause === 'passes-now') return { path, action: 'ok', note: 'passes the check already', after: recheck(path) };
  return { path, action: 'todo', note: `${g.words}: ${ADVICE[g.cause]}`, after: recheck(path) };
}

/** How a path checks now, in words ("passes" when it does). */
function recheck(path: string): string {
  try {
    const r = checkPath(path, process.env.SECNODE_EMULATE_CHECK === '1');
    return r.outcome === 'allowed' ? 'passes' : `refused (errno ${r.errno})`;
  } catch (e) {
    return `cannot be checked (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}
