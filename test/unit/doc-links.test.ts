// Every link in the README, docs/ and test/README.md leads somewhere: a file in the repository and, with a
// `#fragment`, a heading of that file (GitHub's slug rules: lower case, punctuation dropped, spaces to dashes).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PAGES = ['README.md', 'test/README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** The anchors of a Markdown file (headings outside code blocks). */
function anchors(file: string): Set<string> {
  const out = new Set<string>();
  let code = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) code = !code;
    const m = !code && /^#{1,6} (.*)$/.exec(line);
    if (m) out.add(slug(m[1]!));
  }
  return out;
}

describe('documentation links', () => {
  it.each(PAGES)('%s: every relative link names a file, and a heading when it has a fragment', (page) => {
    const text = readFileSync(join(ROOT, page), 'utf8').replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const [, target = ''] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [path = '', fragment] = target.split('#');
      const file = path === '' ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), path);
      if (!existsSync(file)) broken.push(`${target}: no such file`);
      else if (fragment !== undefined && file.endsWith('.md') && !anchors(file).has(fragment)) broken.push(`${target}: no such heading`);
    }
    expect(broken).toEqual([]);
  });

  it('knows a broken fragment when it sees one', () => {
    expect(anchors(join(ROOT, 'README.md')).has('the-decision')).toBe(true);
    expect(anchors(join(ROOT, 'README.md')).has('no-such-heading')).toBe(false);
  });
});
