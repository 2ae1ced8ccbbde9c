// Code that only rare doors need, in bundle chunks of their own, required at first use: a start that never
// spawns a child or loads a native object neither reads nor compiles it (docs/performance.md, "Lazy chunks").
import { dirname, join } from 'node:path';
import type * as ChildEnv from './guards/child-env.js';
import type * as NativeObjects from './guards/native-objects.js';
import { asOwnLoad } from './gate/own-load.js';
import { REGISTER_FILE } from './self-first.js';
import { ownRequire } from '../src/own-require.js';

const loaded = new Map<string, unknown>();

/**
 * Requires the chunk `<name>.cjs` (rolldown.config.mjs builds each beside register.cjs, for the bundle and
 * for tsc's output alike) once, as one of secnode's own loads (never gated).
 */
function chunk<T>(name: 'children' | 'native-objects'): T {
  let exports = loaded.get(name);
  if (exports === undefined) {
    exports = asOwnLoad(() => ownRequire(join(dirname(REGISTER_FILE), `${name}.cjs`)));
    loaded.set(name, exports);
  }
  return exports as T;
}

/** What a child process or `process.execve` is started with: needed when a child or a worker with an env is first started. */
export const children = (): typeof ChildEnv => chunk('children');

/** The ELF reader and the checked mapping of shared objects: needed when an addon, extension or engine is first loaded. */
export const nativeObjects = (): typeof NativeObjects => chunk('native-objects');
