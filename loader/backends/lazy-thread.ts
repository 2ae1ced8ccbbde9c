// secnode's own hooks thread on the async backend (Node 20, 22 before 22.22.3). It costs a start-up of
// its own (about 45 ms on Node 20), and only ES modules need it: a run where nothing can be refused or
// recorded starts it just before the first ES module comes near; every other run starts it at once.
import { esmLoaderAtStart, mayLoadEsm } from '../../src/module-format.js';
import { ownRequire } from '../../src/own-require.js';
import type { Context, ContextData } from '../context.js';

type Register = (specifier: URL, options: { data: ContextData }) => unknown;

/** secnode's async hooks in Node's hooks thread: registered once, at once or on the first sign of an ES module. */
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

  /** Before a CommonJS file runs (`source` as handed to Node, undefined for a stream): starts the thread when an ES module may come from it. */
  beforeCommonJs(filename: string, source: string | undefined): void {
    if (!this.#started && (source === undefined || /\.(mjs|wasm)$/i.test(filename) || mayLoadEsm(source))) this.start();
  }
}

/**
 * Whether the thread may wait for the first ES module: the main thread of a CommonJS entry run by the
 * preload, with nothing to refuse or record (no exec bit, nothing forced, no audit sink or subscriber), and
 * nothing in the start options (`tokens`: NODE_OPTIONS and execArgv) that brings Node's ES module loader in.
 * Anything else could let an ES module load unseen where that is visible. (`--loader` modules: the caller.)
 */
export function threadMayWait(ctx: Context, data: ContextData, main: boolean, tokens: readonly string[]): boolean {
  if (!main || data.entry === undefined || ctx.enforcing || ctx.settings.forced.hardenGenerated || ctx.auditor.active) return false;
  return !esmLoaderAtStart(data.entry, tokens);
}
