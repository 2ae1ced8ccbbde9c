// Which preloads Node runs, in Node's order, and which of them ran before secnode.
import { realpathNative } from './own-fs.js';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanOptions } from './options/argv.js';

/** A preload named by `--require`, `--import` or `--loader`, with its resolved path when it is a file. */
export interface Preload {
  readonly flag: 'require' | 'import' | 'loader';
  readonly spec: string;
  readonly path: string | undefined;
}

/** NODE_OPTIONS as Node reads it: the tokens, and Node's error when it refuses the value (then it does not start). */
export interface ParsedNodeOptions { readonly tokens: string[]; readonly error: string | undefined }

/**
 * Parses NODE_OPTIONS exactly as Node does (ParseNodeOptionsEnvVar): only a space separates tokens
 * outside quotes (tabs and newlines are token characters); `"` opens or closes a string anywhere in a
 * token and is dropped (so `--ins"pect"` is `--inspect`, and `""` alone makes no token); inside a string
 * `\` takes the next character literally. A trailing `\` in a string, or an unterminated string, is an
 * error: Node refuses to start, and so must anything that gates on the tokens.
 */
export function parseNodeOptions(value: string): ParsedNodeOptions {
  const tokens: string[] = [];
  let inString = false;
  let fresh = true;
  for (let i = 0; i < value.length; i++) {
    let c = value[i] as string;
    if (c === '\\' && inString) {
      if (i + 1 === value.length) return { tokens, error: 'invalid value for NODE_OPTIONS (invalid escape)' };
      c = value[++i] as string;
    } else if (c === ' ' && !inString) {
      fresh = true;
      continue;
    } else if (c === '"') {
      inString = !inString;
      continue;
    }
    if (fresh) tokens.push(c);
    else tokens[tokens.length - 1] += c;
    fresh = false;
  }
  return { tokens, error: inString ? 'invalid value for NODE_OPTIONS (unterminated string)' : undefined };
}

/** The tokens of NODE_OPTIONS as Node splits them (see `parseNodeOptions` for the error case). */
export function splitNodeOptions(value: string): string[] {
  return parseNodeOptions(value).tokens;
}

const FLAGS: Readonly<Record<string, Preload['flag']>> = {
  '-r': 'require', '--require': 'require', '--import': 'import',
  '--loader': 'loader', '--experimental-loader': 'loader',
};

/** Lists the preload options in a token list (execArgv or NODE_OPTIONS), in order. */
export function preloadOptions(tokens: readonly string[]): { flag: Preload['flag']; spec: string }[] {
  const found: { flag: Preload['flag']; spec: string }[] = [];
  for (const { name, value } of scanOptions(tokens, 'skip').options) {
    const flag = FLAGS[name];
    if (flag !== undefined && value !== undefined) found.push({ flag, spec: value });
  }
  return found;
}

/** Resolves a preload specifier to a file path as Node would from `cwd`, or undefined for URLs it cannot. */
export function resolvePreload(spec: string, cwd: string): string | undefined {
  try {
    // The common case (secnode's own --require): an absolute path to an existing file, one syscall.
    if (isAbsolute(spec) && /\.[cm]?js$/.test(spec)) return realpathNative(spec);
    if (spec.startsWith('file:')) return fileURLToPath(spec);
    if (/^[a-z][a-z0-9+.-]*:/i.test(spec) && !spec.startsWith('node:')) return undefined;
    if (isAbsolute(spec)) return createRequire(join(cwd, 'noop.js')).resolve(spec);
    return createRequire(join(cwd, 'noop.js')).resolve(spec.startsWith('.') ? resolve(cwd, spec) : spec);
  } catch {
    return spec.startsWith('.') || isAbsolute(spec) ? resolve(cwd, spec) : undefined;
  }
}

/** All preloads in the order Node runs them: NODE_OPTIONS --require, argv --require, loaders, NODE_OPTIONS --import, argv --import. */
export function preloadsInOrder(nodeOptions: string, execArgv: readonly string[], cwd: string): Preload[] {
  const env = preloadOptions(splitNodeOptions(nodeOptions));
  const argv = preloadOptions(execArgv);
  const pick = (list: typeof env, flag: Preload['flag']) => list.filter((p) => p.flag === flag);
  return [
    ...pick(env, 'require'), ...pick(argv, 'require'),
    ...pick(env, 'loader'), ...pick(argv, 'loader'),
    ...pick(env, 'import'), ...pick(argv, 'import'),
  ].map((p) => ({ ...p, path: resolvePreload(p.spec, cwd) }));
}

/** Splits preloads around the first one that is secnode's register (`self`); all are "before" if none is. */
export function splitAroundSelf(preloads: readonly Preload[], isSelf: (p: Preload) => boolean):
  { before: Preload[]; after: Preload[] } {
  const at = preloads.findIndex(isSelf);
  if (at < 0) return { before: [...preloads], after: [] };
  return { before: preloads.slice(0, at), after: preloads.slice(at + 1).filter((p) => !isSelf(p)) };
}
