// Registered just before a program's own hooks module on the async backend (Node 20, 22 before 22.22.3):
// the hooks thread secnode started at start-up runs only secnode's hooks until then, so its guards are
// installed only now, when program code is about to run there.
import { contextFrom, type ContextData } from '../context.js';
import { guardHooksThread } from './hooks-thread.js';

/** Guards this hooks thread (once) before the program's hooks module loads in it. */
export async function initialize(data: ContextData): Promise<void> {
  guardHooksThread(contextFrom(data));
}
