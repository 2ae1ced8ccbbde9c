// Resolving specifiers to files the way Node does: ESM rules (exports/imports conditions, no extension
// guessing) implemented here; CommonJS rules by Node's own resolver (createRequire(parent).resolve).
import { readFileSync, realpathSync, statSync } from './own-fs.js';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasModuleSyncCondition, parseNodeVersion } from './node-features.js';

/** A resolution: a file, a builtin (not checked), or why it cannot be resolved statically. */
export type Resolution = { readonly path: string } | { readonly builtin: string } | { readonly unresolved: string };

type Json = Record<string, unknown>;

/** ESM conditions of the running Node (`module-sync` where hasModuleSyncCondition says it exists). */
export function importConditions(version = process.versions.node): string[] {
  return hasModuleSyncCondition(parseNodeVersion(version)) ? ['node', 'import', 'module-sync'] : ['node', 'import'];
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function readJson(p: string): Json | undefined {
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as Json;
  } catch {
    return undefined;
  }
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** The nearest package.json above `file`: its directory and contents. */
export function packageScope(file: string): { dir: string; json: Json } | undefined {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (dir.endsWith('/node_modules')) return undefined;
    const json = readJson(join(dir, 'package.json'));
    if (json) return { dir, json };
    if (dir === dirname(dir)) return undefined;
  }
}

function target(pkgDir: string, value: unknown, match: string, conditions: readonly string[], isImports: boolean): string | null | undefined {
  if (typeof value === 'string') {
    if (!value.startsWith('./')) {
      if (!isImports || value.startsWith('../') || value.startsWith('/')) return null;
      const r = resolveImport(value.replaceAll('*', match), join(pkgDir, 'package.json'), conditions);
      return 'path' in r ? r.path : null;
    }
    return join(pkgDir, value.replaceAll('*', match));
  }
  if (Array.isArray(value)) {
    for (const v of value) {
      const r = target(pkgDir, v, match, conditions, isImports);
      if (r) return r;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value as Json)) {
      if (key === 'default' || conditions.includes(key)) {
        const r = target(pkgDir, v, match, conditions, isImports);
        if (r !== undefined) return r;
      }
    }
    return undefined;
  }
  return null;
}

/** Resolves `subpath` ("." or "./x", or "#x") through an exports/imports map. */
export function resolveMap(pkgDir: string, map: unknown, subpath: string, conditions: readonly string[], isImports: boolean): string | null {
  const m = (typeof map === 'string' || Array.isArray(map) || (map !== null && typeof map === 'object' && !Object.keys(map as Json).some((k) => k.startsWith('.') || k.startsWith('#'))))
    ? { '.': map } : map as Json;
  if (Object.hasOwn(m, subpath) && !subpath.includes('*')) return target(pkgDir, m[subpath], '', conditions, isImports) ?? null;
  let best: { key: string; match: string } | undefined;
  for (const key of Object.keys(m)) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const [pre, post] = [key.slice(0, star), key.slice(star + 1)];
    if (subpath.startsWith(pre) && subpath.endsWith(post) && subpath.length >= key.length) {
      if (!best || pre.length > best.key.indexOf('*')) best = { key, match: subpath.slice(pre.length, subpath.length - post.length) };
    }
  }
  return best ? target(pkgDir, m[best.key], best.match, conditions, isImports) ?? null : null;
}

function legacyMain(pkgDir: string, json: Json): string | undefined {
  const main = typeof json.main === 'string' ? json.main : undefined;
  const tries = main
    ? [main, `${main}.js`, `${main}.json`, `${main}.node`, `${main}/index.js`, `${main}/index.json`, `${main}/index.node`]
    : [];
  return [...tries, 'index.js'].map((t) => join(pkgDir, t)).find(isFile);
}

/** Resolves an ESM specifier from the file `parent`. */
export function resolveImport(specifier: string, parent: string, conditions: readonly string[] = importConditions()): Resolution {
  if (isBuiltin(specifier)) return { builtin: specifier };
  if (/^(data|https?):/i.test(specifier)) return { unresolved: 'URL import (not a file)' };
  let file: string | undefined;
  if (specifier.startsWith('file:')) file = fileURLToPath(specifier);
  else if (specifier.startsWith('/') || specifier.startsWith('./') || specifier.startsWith('../')) {
    file = resolve(dirname(parent), decodeURIComponent(specifier.split(/[?#]/)[0] ?? ''));
  } else if (specifier.startsWith('#')) {
    const scope = packageScope(parent);
    const found = scope?.json.imports ? resolveMap(scope.dir, scope.json.imports, specifier, conditions, true) : null;
    if (!found) return { unresolved: 'not found in package.json "imports"' };
    file = found;
  } else {
    const parts = specifier.split('/');
    const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0] ?? '';
    const subpath = `.${specifier.slice(name.length)}`;
    const self = packageScope(parent);
    let pkg: { dir: string; json: Json } | undefined = self?.json.name === name && self.json.exports !== undefined ? self : undefined;
    for (let dir = dirname(parent); pkg === undefined; dir = dirname(dir)) {
      if (!dir.endsWith('/node_modules')) {
        const candidate = join(dir, 'node_modules', name);
        const json = readJson(join(candidate, 'package.json'));
        if (json) pkg = { dir: candidate, json };
        else if (isFile(join(candidate, 'index.js')) && subpath === '.') pkg = { dir: candidate, json: {} };
      }
      if (dir === dirname(dir)) break;
    }
    if (!pkg) return { unresolved: 'package not found in node_modules' };
    if (pkg.json.exports !== undefined) {
      const found = resolveMap(pkg.dir, pkg.json.exports, subpath, conditions, false);
      if (!found) return { unresolved: `"${subpath}" not exported by ${name} for conditions ${conditions.join(', ')}` };
      file = found;
    } else {
      file = subpath === '.' ? legacyMain(pkg.dir, pkg.json) : join(pkg.dir, subpath);
      if (!file) return { unresolved: `no main file in ${name}` };
    }
  }
  return isFile(file) ? { path: real(file) } : { unresolved: 'file not found (ESM does not add extensions or index files)' };
}

/** Resolves a CommonJS `require` specifier from `parent` with Node's own resolver. */
export function resolveRequire(specifier: string, parent: string): Resolution {
  if (isBuiltin(specifier)) return { builtin: specifier };
  try {
    return { path: createRequire(parent).resolve(specifier) };
  } catch (e) {
    return { unresolved: (e as { code?: string }).code === 'MODULE_NOT_FOUND' ? 'module not found' : (e as Error).message.split('\n')[0] ?? 'error' };
  }
}
