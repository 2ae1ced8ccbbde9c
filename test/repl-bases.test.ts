// The REPL guard (DI, hardening) refuses REPLServer and repl.start, and leaves the classes the REPL is
// built on (readline's Interface, EventEmitter) exactly node's: jest and others use their constructors.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodes, node, secnode, type Policy } from './helpers/run.js';
import { tempDir } from './helpers/sandbox.js';

const SCRIPT = `const { EventEmitter } = require('node:events');
const readline = require('node:readline');
const repl = require('node:repl');
console.log(EventEmitter.prototype.constructor === EventEmitter, readline.Interface.prototype.constructor === readline.Interface,
  new EventEmitter().constructor === EventEmitter);
try { repl.start({ input: new (require('node:stream').PassThrough)(), output: new (require('node:stream').PassThrough)() }).close(); console.log('repl started'); }
catch (e) { console.log('repl refused', e.code); }
`;

let fx: ReturnType<typeof tempDir>;
beforeAll(() => {
  fx = tempDir('secnode-repl-bases-');
  chmodSync(fx.dir, 0o755);
  writeFileSync(join(fx.dir, 'bases.js'), SCRIPT, { mode: 0o755 });
});
afterAll(() => fx.remove());

describe.each(nodes())('the REPL guard keeps its base classes node\'s ($name)', (n) => {
  it('no bits: as plain node', () => {
    const base = node(['bases.js'], { node: n, cwd: fx.dir });
    const r = secnode(['bases.js'], { node: n, cwd: fx.dir });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: base.status, stdout: base.stdout, stderr: base.stderr });
    expect(r.stdout).toBe('true true true\nrepl started\n');
  });
  it.each(['DI', 'RF+DI'] as Policy[])('%s: the REPL is refused, its bases are untouched', (policy) => {
    const r = secnode(['bases.js'], { node: n, cwd: fx.dir, policy });
    expect(r.stdout, r.stderr).toBe('true true true\nrepl refused ERR_SECNODE_INTERACTIVE_DENIED\n');
  });
  it('hardening: the REPL is refused, its bases are untouched', () => {
    const r = secnode(['bases.js'], { node: n, cwd: fx.dir, env: { SECNODE_HARDEN_GENERATED: '1' } });
    expect(r.stdout, r.stderr).toBe('true true true\nrepl refused ERR_SECNODE_EXEC_DENIED\n');
  });
});
