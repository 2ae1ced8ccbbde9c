import { describe, expect, it } from 'vitest';
import { nodes, secnode } from './helpers/run.js';

describe.each(nodes())('$name', (n) => {
  it('runs a script like node', () => {
    const r = secnode(['-e', 'console.log(process.version)'], { node: n });
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith(`v${n.major}.`)).toBe(true);
  });
});
