// secnode's entry inside the process (`--require`/`--import secnode/register`, or the secnode launcher).
import { boot } from './boot.js';
import { wrapMethod } from './guards/patch.js';
import { refuseStart } from './refuse.js';
import { earlyBuiltin, thread } from './thread.js';
import { readSecurebits } from '../src/kernel.js';

const INSTALLED = Symbol.for('secnode.installed');

/**
 * Node 20 reruns `--require` preloads inside its hooks thread, where plain `node` (without hooks) never
 * runs them: skip them there, so output and side effects match `node` and no code runs unseen. Only the
 * early chunk is loaded for this (the bundle requires the shared code at `boot`'s first use): the thread's
 * hooks load it when they first need it.
 */
function skipPreloadsInHooksThread(): void {
  wrapMethod(earlyBuiltin('node:module') as object, '_load', (load) => function _load(this: unknown, ...args: unknown[]) {
    if ((args[1] as { id?: string } | undefined)?.id === 'internal/preload') return {};
    return Reflect.apply(load, this, args);
  });
}

/**
 * Loads secnode's native module (koffi) in the hooks thread now, while the main thread waits for the thread's
 * start: its native set-up must not run later, when Node may be tearing the thread down (a program that exits
 * with its first import in flight would abort the process). The shared code itself can wait.
 */
function loadNativeNow(): void {
  try {
    readSecurebits();
  } catch {
    // No koffi, or no prctl: the thread's first check reports it, as every other start does.
  }
}

const state = globalThis as { [INSTALLED]?: boolean };
const where = state[INSTALLED] === true ? undefined : thread();
if (where !== undefined) state[INSTALLED] = true;
if (where === 'hooks') {
  skipPreloadsInHooksThread();
  loadNativeNow();
} else if (where !== undefined) {
  // Read before the try, which loads the shared code: code that fails to load is not a refusal, and runs once.
  const refuse = refuseStart;
  try {
    boot('preload', where === 'main');
  } catch (err) {
    refuse(err);
  }
}
