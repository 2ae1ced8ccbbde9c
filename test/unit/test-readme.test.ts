// test/README.md names, for each documented claim, the test that proves it by quoting the test's title: every
// quoted title must still be in a test file, so renaming or deleting a test shows here until the map follows.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const TEST = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The text of every test file and helper (titles may be built in helpers, e.g. helpers/bypass.ts). */
function testSources(): string {
  return readdirSync(TEST, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|mts|mjs)$/.test(e.name) && !e.parentPath.includes('fixtures') && !e.parentPath.includes('node_modules'))
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

/**
 * The quoted titles of test/README.md: text in double quotes inside a table row that names a test file. A quote
 * may leave parts out with "…" (or quote a title with its placeholders, %s, $name): each part must be found.
 */
export function quotedTitles(readme: string): { quote: string; parts: string[] }[] {
  const out: { quote: string; parts: string[] }[] = [];
  for (const line of readme.split('\n')) {
    if (!line.startsWith('|') || !/\.test\.ts|helpers\//.test(line)) continue;
    const tests = line.split(' | ').slice(1).join(' | '); // the first cell is the claim, in the documentation's words
    for (const m of tests.matchAll(/"([^"]+)"/g)) {
      const quote = m[1]!;
      const parts = quote.split(/…|\.\.\./).map((p) => p.trim()).filter((p) => p.length >= 6);
      if (parts.length > 0) out.push({ quote, parts });
    }
  }
  return out;
}

describe('test/README.md', () => {
  const readme = readFileSync(join(TEST, 'README.md'), 'utf8');
  const sources = testSources();
  // Titles are written in source with quotes escaped or as template text: compare without those differences.
  const flat = (s: string) => s.replace(/\\(['"`])/g, '$1').replace(/\s+/g, ' ');
  const haystack = flat(sources);

  it('quotes titles (the check below would pass vacuously on an empty list)', () => {
    expect(quotedTitles(readme).length).toBeGreaterThan(100);
  });

  it('every test title it quotes still exists in a test file', () => {
    const missing = quotedTitles(readme).filter(({ parts }) => parts.some((p) => !haystack.includes(flat(p)))).map(({ quote }) => quote);
    expect(missing).toEqual([]);
  });

  it('finds a quote that is not a title (so the check can fail)', () => {
    const fake = ['| row | `x.test.ts` ("a title', 'no test has") |'].join(' '); // in two pieces, so this file does not hold it
    expect(quotedTitles(fake).filter(({ parts }) => parts.some((p) => !haystack.includes(flat(p))))).toHaveLength(1);
  });
});
