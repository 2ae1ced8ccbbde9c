// secnode's own hooks thread on the async backend (Node 20, 22 before 22.22.3). It costs a start-up of
// its own (about 45 ms on Node 20), and only checks of ES modules need it: a run where nothing can be
// refused or recorded never starts it (unless the program registers hooks of its own); every other run
// starts it at once.
import { ownRequire } from '../../src/own-require.js';
import { refusesOrRecords, type Context, type ContextData } from '../context.js';

type Register = (specifier: URL, options: { data: ContextData }) => unknown;

/** secnode's async hooks in Node's hooks thread: registered once, at start-up or before the program's own. */
export class SecnodeThread {
  // Node's own register, taken before the guard on module.register replaces it.
  readonly #register = (ownRequire('node:module') as { register: Register }).register;
  #started = false;

  constructor(private readonly data: ContextData, private readonly loaders: boolean) {}

  /** Whether secnode's hooks are registered (the thread runs). */
  get started(): boolean {
    return this.#started;
  }

  /** Registers secnode's hooks (once); `guarded`: program code runs in the thread too, so guard it from the start. */
  start(guarded = this.loaders): void {
    if (this.#started) return;
    this.#started = true;
    this.#register(new URL('./hooks-async.cjs', import.meta.url), { data: { ...this.data, guardThread: guarded } });
  }
}

/**
 * Whether secnode's hooks thread must run from the start: where something can be refused or recorded (an
 * exec bit, a forced setting, an audit sink or subscriber at start), and for the library's `install()`. Not
 * in a thread the preload runs in with nothing to refuse or record (the main thread, whatever the start
 * input: an entry file of any kind, `-e`, stdin, the REPL; or a worker): a check there changes nothing, so ES
 * modules load as node loads them, with node's threads (a subscriber that comes later gets the records of
 * CommonJS files, as before: those of ES modules were the hooks thread's, which a subscriber in another thread
 * never sees), and a worker pool pays no hooks thread per worker. (`--loader` modules: the caller.)
 */
export function threadAtStart(ctx: Context, preload: boolean): boolean {
  return !preload || refusesOrRecords(ctx);
}
