// CommonJS on the sync-hooks backend without Node's hook machinery for each file. Node's `.js` handler
// consults load hooks in one step only: reading the file (`fs.readFileSync(filename, 'utf8')`) when it has
// no source yet. secnode takes its load hook off the chain as the handler starts, answers that read with
// the bytes read from the checked fd (backends/node-reads.ts), and puts the hook back at the read (or at the compile, for a source
// Node already has). While the hook is off only Node's own steps run, never program code: the fast path is
// taken only when nothing the program can reach (a getter, a proxy, a patched method) lies on those steps.
import { hasProgramHooks } from '../gate/handover.js';
import { asideFor, hooksBack, setHooksAside, type HookSwitch } from '../gate/hooks-aside.js';
import { ownLoad } from '../gate/own-load.js';
import { ownValue, wrapMethod } from '../guards/patch.js';
import { ownRequire } from '../../src/own-require.js';
import { lowerStackLimit, raiseStackLimit } from '../guards/own-frames.js';

type Fn = (...args: unknown[]) => unknown;
interface ModuleApi { prototype: object; _extensions: Record<string, unknown>; _cache: Record<string, object> }

/** Node's symbol for a module's format: an own property of every module its loader has loaded. */
function formatSymbol(Module: ModuleApi): symbol | undefined {
  for (const module of Object.values(Module._cache)) {
    const found = Object.getOwnPropertySymbols(module).find((s) => s.description === 'kFormat');
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Loads CommonJS `.js`/`.cjs` files through Node's own handler with secnode's load hook off (`hooks`),
 * the checked bytes answering the handler's read. Every other load (and every load once the program
 * registers hooks of its own, or patches what the handler reaches) takes the hook as before. `ours` is
 * secnode's fs.readFileSync, which answers the read.
 */
export function installDirectCommonJs(hooks: HookSwitch, ours: unknown): void {
  const Module = ownRequire('node:module') as ModuleApi;
  const fs = ownRequire('node:fs') as Record<string, unknown>;
  const { isProxy } = (ownRequire('node:util') as typeof import('node:util')).types;
  const proto = Module.prototype;
  const kFormat = formatSymbol(Module);
  // secnode's own `_compile` guard (guards/compile.ts, installed before): it puts the hook back.
  const compile = ownValue(proto, '_compile');
  if (kFormat === undefined || typeof compile !== 'function' || typeof Module._extensions['.js'] !== 'function') return;
  /** Nothing the program set lies on the handler's steps up to the read or the compile. */
  const direct = (module: unknown, filename: unknown): boolean => {
    if (typeof filename !== 'string' || asideFor() !== undefined || ownLoad() || hasProgramHooks()) return false;
    if (typeof module !== 'object' || module === null || isProxy(module) || Object.getPrototypeOf(module) !== proto) return false;
    // The handler reads and writes the module's format: no accessor for it on the module or its prototypes.
    const format = Object.getOwnPropertyDescriptor(module, kFormat);
    if ((format !== undefined && !('value' in format)) || Object.getPrototypeOf(proto) !== Object.prototype || kFormat in proto) return false;
    return !Object.hasOwn(module, '_compile') && ownValue(proto, '_compile') === compile && ownValue(fs, 'readFileSync') === ours;
  };
  wrapMethod(Module._extensions, '.js', (handler) => function (this: unknown, ...args: unknown[]) {
    const [module, filename] = args;
    const aside = direct(module, filename);
    if (aside) setHooksAside(hooks, filename as string);
    const raised = raiseStackLimit();
    try {
      return Reflect.apply(handler as Fn, this, args);
    } finally {
      // At the depth where the spare copy went on: this is where a put-back that failed deeper succeeds.
      if (aside) hooksBack();
      lowerStackLimit(raised);
    }
  });
}
