// Whether Node's ES module loader is in play from the start of a process, read as Node 20 reads it
// (run_main's shouldUseESMLoader and the package scope lookup), erring towards "yes".
import { readFileSync } from './own-fs.js';
import { dirname, extname, sep } from 'node:path';
import { optionNames } from './options/argv.js';

/** Options that make Node use its ES module loader from start-up, or for a whole kind of input. */
const ESM_OPTIONS = new Set([
  '--import', '--loader', '--experimental-loader', '--experimental-default-type', '--input-type',
  '--experimental-wasm-modules', '--experimental-vm-modules', '--experimental-network-imports', '--test', '--watch',
  '--watch-path',
]);

/**
 * The `type` of the package scope of `file`: the nearest package.json above it, not looking past a
 * `node_modules` directory; `unreadable` when that package.json cannot be parsed (Node would throw).
 */
export function packageTypeOf(file: string): string | undefined | 'unreadable' {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (dir.endsWith(`${sep}node_modules`)) return undefined;
    let text: string | undefined;
    try {
      text = readFileSync(`${dir === sep ? '' : dir}${sep}package.json`, 'utf8');
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      try {
        const type = (JSON.parse(text) as { type?: unknown } | null)?.type;
        return typeof type === 'string' ? type : undefined;
      } catch {
        return 'unreadable';
      }
    }
    if (dir === dirname(dir)) return undefined;
  }
}

/**
 * True unless the process surely starts as CommonJS: an entry file Node 20 runs with its CommonJS loader
 * (not `.mjs`/`.wasm`, not in a `"type": "module"` scope) and no option that brings the ES module loader in
 * (`--import`, `--loader`, `--experimental-default-type`, `--test`, …) in `tokens` (execArgv and NODE_OPTIONS).
 */
export function esmLoaderAtStart(entry: string, tokens: readonly string[]): boolean {
  if (optionNames(tokens).some((name) => ESM_OPTIONS.has(name))) return true;
  const ext = extname(entry).toLowerCase();
  if (ext === '.cjs') return false;
  if (ext === '.mjs' || ext === '.wasm' || ext === '.mts') return true;
  const type = packageTypeOf(entry);
  return type !== undefined && type !== 'commonjs';
}

/**
 * Whether CommonJS source may bring in an ES module: an `import`/`export` word (a dynamic `import()`,
 * or syntax Node's module detection runs as ESM) outside a property name. Errs towards "yes": the word
 * in a comment or a string counts too.
 */
export function mayLoadEsm(source: string): boolean {
  return ESM_WORDS.test(source);
}

const ESM_WORDS = /(?<![.\w$])(?:import|export)(?![\w$])/;
