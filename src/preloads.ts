// Which preloads Node runs, in Node's order, and which of them ran before secnode.
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A preload named by `--require`, `--import` or `--loader`, with its resolved path when it is a file. */
export interface Preload {
  readonly flag: 'require' | 'import' | 'loader';
  readonly spec: string;
  readonly path: string | undefined;
}

/** Splits NODE_OPTIONS the way Node does: spaces separate, double quotes group, backslash escapes in quotes. */
export function splitNodeOptions(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let started = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted && c === '\\' && i + 1 < value.length) { cur += value[++i]; continue; }
    if (c === '"') { quoted = !quoted; started = true; continue; }
    if (c === ' ' && !quoted) {
      if (started) out.push(cur);
      cur = ''; started = false;
      continue;
    }
    cur += c; started = true;
  }
  if (started) out.push(cur);
  return out;
}

const FLAGS: Readonly<Record<string, Preload['flag']>> = {
  '-r': 'require', '--require': 'require', '--import': 'import',
  '--loader': 'loader', '--experimental-loader': 'loader',
};

/** Lists the preload options in a token list (execArgv or NODE_OPTIONS), in order. */
export function preloadOptions(tokens: readonly string[]): { flag: Preload['flag']; spec: string }[] {
  const found: { flag: Preload['flag']; spec: string }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] ?? '';
    const eq = t.indexOf('=');
    const name = t.startsWith('--') && eq > 0 ? t.slice(0, eq) : t;
    const flag = FLAGS[name];
    if (flag === undefined) continue;
    const spec = name === t ? tokens[++i] : t.slice(eq + 1);
    if (spec !== undefined) found.push({ flag, spec });
  }
  return found;
}

/** Resolves a preload specifier to a file path as Node would from `cwd`, or undefined for URLs it cannot. */
export function resolvePreload(spec: string, cwd: string): string | undefined {
  try {
    // The common case (secnode's own --require): an absolute path to an existing file, one syscall.
    if (isAbsolute(spec) && /\.[cm]?js$/.test(spec)) return realpathSync.native(spec);
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
