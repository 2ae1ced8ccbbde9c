// The package a file belongs to: the nearest package.json with a name, looked up once per directory.
import { readFileSync } from './own-fs.js';
import { dirname } from 'node:path';

/** A package's name and version, as its package.json says. */
export interface PackageId { readonly name: string; readonly version: string }

/** Longest name or version taken from a package.json (npm's own limit for names is 214). */
const MAX = 214;

function readPackage(dir: string): PackageId | null | undefined {
  let text: string;
  try {
    text = readFileSync(`${dir === '/' ? '' : dir}/package.json`, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const json = JSON.parse(text) as { name?: unknown; version?: unknown };
    if (typeof json.name !== 'string' || json.name === '' || json.name.length > MAX) return undefined;
    return { name: json.name, version: typeof json.version === 'string' ? json.version.slice(0, MAX) : '' };
  } catch {
    return undefined;
  }
}

/** Looks up the package of files, caching the answer per directory (bounded: cleared when it grows past `limit`). */
export class PackageLookup {
  private readonly byDir = new Map<string, PackageId | null>();
  constructor(private readonly limit = 10_000) {}

  /** The nearest package.json with a `name` above `file` (nested ones such as `{"type":"module"}` are skipped). */
  of(file: string): PackageId | null {
    if (!file.startsWith('/')) return null;
    const seen: string[] = [];
    let found: PackageId | null = null;
    for (let dir = dirname(file); ; dir = dirname(dir)) {
      const cached = this.byDir.get(dir);
      if (cached !== undefined) { found = cached; break; }
      seen.push(dir);
      const pkg = readPackage(dir);
      if (pkg) { found = pkg; break; }
      if (dir === '/') break;
    }
    if (this.byDir.size + seen.length > this.limit) this.byDir.clear();
    for (const dir of seen) this.byDir.set(dir, found);
    return found;
  }
}
