// Child processes: a child Node process started with a custom environment still gets secnode. The patches
// are put in place here; the work they do when a child starts is in child-env.ts, a lazily required chunk.
import type { Context } from '../context.js';
import { children } from '../lazy.js';
import type { Shape } from './child-env.js';
import { lowerStackLimit, raiseStackLimit } from './own-frames.js';
import { wrapMethod } from './patch.js';

/** The child_process functions that start a child, and where each takes its options. */
const SHAPES: Readonly<Record<string, Shape>> = {
  fork: 'args', spawn: 'args', spawnSync: 'args', execFile: 'args', execFileSync: 'args', exec: 'shell', execSync: 'shell',
};

/** The raw spawners already wrapped (each is wrapped once). */
const rawGuarded = new WeakSet<object>();

/** Wraps the raw spawn function `obj.spawn` (in place, node's descriptor kept) so its children keep secnode. */
export function guardRawSpawn(ctx: Context, obj: object): void {
  if (rawGuarded.has(obj)) return;
  rawGuarded.add(obj);
  wrapMethod(obj, 'spawn', (original) => function (this: unknown, ...argv: unknown[]) {
    const args = children().guardRawArgs(ctx, argv);
    const raised = raiseStackLimit();
    try {
      return Reflect.apply(original, this, args);
    } finally {
      lowerStackLimit(raised);
    }
  });
}

/**
 * Patches child_process so every child Node process (fork always) gets secnode first in NODE_OPTIONS, down
 * to the process handle every asynchronous child is started with (`new ChildProcess()._handle.spawn`).
 */
export function guardChildProcesses(ctx: Context, exports: Record<string, unknown>): void {
  for (const [name, shape] of Object.entries(SHAPES)) {
    wrapMethod(exports, name, (original) => function (this: unknown, ...argv: unknown[]) {
      const args = children().guardCall(ctx, argv, shape, name === 'fork');
      // A failed synchronous child throws from Node's function: its stack as under node (own-frames.ts).
      const raised = raiseStackLimit();
      try {
        return Reflect.apply(original, this, args);
      } finally {
        lowerStackLimit(raised);
      }
    });
  }
  const ChildProcess = exports.ChildProcess as (new () => { _handle?: unknown }) | undefined;
  if (typeof ChildProcess !== 'function') return;
  guardRawSpawn(ctx, ChildProcess.prototype);
  const handle = new ChildProcess()._handle; // never spawned: only its class is wanted
  if (typeof handle === 'object' && handle !== null) guardRawSpawn(ctx, Object.getPrototypeOf(handle) as object);
}

/** Patches process.execve (Node 22.15+, 23.11+) so a Node program replacing this one keeps secnode. */
export function guardExecve(ctx: Context): void {
  wrapMethod(process, 'execve', (original) => function (this: unknown, ...argv: unknown[]) {
    return children().execve(ctx, original, this, argv);
  });
}
