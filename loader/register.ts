// secnode's entry inside the process (`--require`/`--import secnode/register`, or the secnode launcher).
import { boot } from './boot.js';
import { wrapMethod } from './guards/patch.js';
import { refuseStart } from './refuse.js';
import { thread } from './thread.js';
import { ownRequire } from '../src/own-require.js';

const INSTALLED = Symbol.for('secnode.installed');

/**
 * Node 20 reruns `--require` preloads inside its hooks thread, where plain `node` (without hooks) never
 * runs them: skip them there, so output and side effects match `node` and no code runs unseen.
 */
function skipPreloadsInHooksThread(): void {
  wrapMethod(ownRequire('node:module') as object, '_load', (load) => function _load(this: unknown, ...args: unknown[]) {
    if ((args[1] as { id?: string } | undefined)?.id === 'internal/preload') return {};
    return Reflect.apply(load, this, args);
  });
}

const state = globalThis as { [INSTALLED]?: boolean };
const where = state[INSTALLED] === true ? undefined : thread();
if (where !== undefined) state[INSTALLED] = true;
if (where === 'hooks') {
  skipPreloadsInHooksThread();
} else if (where !== undefined) {
  try {
    boot('preload', where === 'main');
  } catch (err) {
    refuseStart(err);
  }
}
