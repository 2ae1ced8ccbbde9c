// pathOfFileUrl skips Node's URL parser for plain file: URLs; it must give exactly what fileURLToPath gives
// (or throw as it does) for every URL, since the path it returns is the file secnode opens and checks.
import { pathToFileURL, fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pathOfFileUrl } from '../../src/file-url.js';

const outcome = (f: () => string): string => {
  try {
    return f();
  } catch (e) {
    return `throws ${(e as { code?: string }).code ?? ''}`;
  }
};

describe('pathOfFileUrl', () => {
  const urls = [
    'file:///a/b.js', 'file:///a/./b', 'file:///a/../b', 'file:///a/..', 'file:///a/.', 'file:///a/.b/..c/...',
    'file:///a%20b', 'file:///a%2Fb', 'file:///a?x', 'file:///a#x', 'file:///a\\b', 'file:///a b', 'file:////a',
    'file:///a//b', 'file:///a/[x]/{y}|^`<>"\'', 'file://host/a', 'file:///é', 'file:///a\tb', 'file:///a/.%2e/b',
    'file:///', 'file:///a\u{d800}b', 'file:///😀', 'file:///a/\n/b',
  ];
  for (let c = 0; c < 128; c++) urls.push(`file:///x${String.fromCharCode(c)}y`, `file:///x/${String.fromCharCode(c)}/y`);
  for (const p of ['/tmp/a b/c.js', '/tmp/%/#/?/x.cjs', '/tmp/é/ü.mjs', '/tmp/a\\b']) urls.push(pathToFileURL(p).href);

  it('agrees with fileURLToPath on every URL', () => {
    for (const url of urls) expect([url, outcome(() => pathOfFileUrl(url))]).toEqual([url, outcome(() => fileURLToPath(url))]);
  });
});
