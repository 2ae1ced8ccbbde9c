// Child processes: a child Node process started with a custom environment still gets secnode.
import type { Context } from './context.js';

/** Patches child_process (TODO: helper). */
export function guardChildProcesses(_ctx: Context, _exports: Record<string, unknown>): void {}

/** Patches process.execve where it exists (TODO: helper). */
export function guardExecve(_ctx: Context): void {}
