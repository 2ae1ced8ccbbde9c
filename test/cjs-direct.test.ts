// CommonJS loads that skip Node's hook machinery (loader/backends/cjs-direct.ts, the sync-hooks backend):
// a file that fails the check never runs, whatever the program does around Node's `.js` handler while
// secnode's load hook is off; and with records on, every CommonJS file has the records it had before.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodes, REGISTER, run, SECNODE, type NodeUnderTest, type Policy, type Run } from './helpers/run.js';
import { noexecUnavailable, onNoexecMount, tempDir } from './helpers/sandbox.js';

const DENIED = 'ERR_SECNODE_EXEC_DENIED';
/** Printed only by code that must never run under RF. */
const NO = 'NO RAN';

function write(path: string, source: string, mode = 0o755): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, source);
  chmodSync(path, mode);
}

const tryRequire = (spec: string, label = 'caught'): string =>
  `try { require(${JSON.stringify(spec)}); console.log('loaded ${spec}'); } catch (e) { console.log('${label}', e.code); }\n`;
const tryImport = (spec: string): string =>
  `import(${JSON.stringify(spec)}).then(() => console.log('imported ${spec}'), (e) => console.log('import caught', e.code));\n`;

/** Each program's files (0755 unless named in `refused`, which are 0644) and its output under none and under RF. */
interface Case {
  readonly name: string;
  readonly files: Readonly<Record<string, string>>;
  readonly refused: readonly string[];
  readonly entry: string;
  readonly rf: readonly string[];
  /** False where secnode's output with no bits is known to differ from node's (a read the program patched). */
  readonly parity?: false;
  /** Only where sync hooks carry the load path (the direct route exists only there). */
  readonly syncOnly?: boolean;
}

/** How many stack depths the full-stack case tries. */
const DEPTHS = 300;
const NO_CJS = `console.log('${NO}');\n`;
const NO_ESM = `console.log('${NO}');\nexport default 1;\n`;

const CASES: readonly Case[] = [
  {
    name: 'a required file without the x bit, beside one with it',
    files: { 'main.js': tryRequire('./ok.js') + tryRequire('./no.js'), 'ok.js': "console.log('ok ran');\n", 'no.js': NO_CJS },
    refused: ['no.js'], entry: 'main.js',
    rf: ['ok ran', 'loaded ./ok.js', `caught ${DENIED}`],
  },
  {
    name: 'a .cjs file and a nested require under a refused one',
    files: { 'main.js': tryRequire('./a.cjs'), 'a.cjs': `require('./b.js');\n${NO_CJS}`, 'b.js': "console.log('b ran');\n" },
    refused: ['a.cjs'], entry: 'main.js',
    rf: [`caught ${DENIED}`],
  },
  {
    // The ES module loader hands Node's CommonJS loader a source it already checked: the hook is back at the compile.
    name: 'ESM imports a CommonJS file, which then imports and requires files without the x bit',
    files: {
      'main.mjs': "import './bridge.cjs';\n",
      'bridge.cjs': tryImport('./no.mjs') + tryRequire('./no.js'),
      'no.mjs': NO_ESM, 'no.js': NO_CJS,
    },
    refused: ['no.mjs', 'no.js'], entry: 'main.mjs',
    rf: [`caught ${DENIED}`, `import caught ${DENIED}`],
  },
  {
    // An accessor where Node's handler reads the module's format runs program code inside the handler:
    // its first call from there imports a refused module.
    name: 'an accessor for the module format symbol on Object.prototype that imports a refused file',
    syncOnly: true,
    files: {
      'main.js': "const k = Object.getOwnPropertySymbols(module).find((s) => s.description === 'kFormat');\n"
        + "let fired = false;\n"
        + "Object.defineProperty(Object.prototype, k, { configurable: true, get() {\n"
        + "  if (!fired && new Error().stack.includes('loadSource')) { fired = true; " + tryImport('./no.mjs').trim() + " }\n"
        + "  return undefined; }, set(v) {} });\n"
        + tryRequire('./ok.js'),
      'ok.js': "console.log('ok ran');\n", 'no.mjs': NO_ESM,
    },
    refused: ['no.mjs'], entry: 'main.js',
    rf: ['ok ran', 'loaded ./ok.js', `import caught ${DENIED}`],
  },
  {
    // A program that recurses to the stack's limit around require: wherever the stack runs out while the hook is
    // off, it is back before the program can catch the error. After each depth, require(esm) of a module that
    // imports a refused file (a new URL each time) must be refused.
    name: 'requires at every depth up to a full stack, each followed by require(esm) of a refused graph',
    syncOnly: true,
    files: {
      'main.js': "const target = require('node:path').join(__dirname, 'ok.js');\n"
        + 'let deepest = 0; let loaded = 0; let refused = 0; const other = [];\n'
        + 'function dive(n, stop) {\n  deepest = Math.max(deepest, n);\n  if (n < stop) return dive(n + 1, stop);\n'
        + '  try { delete require.cache[target]; require(target); loaded++; } catch (e) { if (!(e instanceof RangeError)) throw e; }\n}\n'
        + 'try { dive(0, Infinity); } catch {}\nconst max = deepest;\n'
        + `for (let k = 0; k < ${DEPTHS}; k++) {\n`
        + '  try { dive(0, max - k); } catch (e) { if (!(e instanceof RangeError)) throw e; }\n'
        + "  try { require(`./e${k}.mjs`); } catch (e) { if (e.code === 'ERR_SECNODE_EXEC_DENIED') refused++; else other.push(e.code); }\n}\n"
        + "console.log('loaded at depth', loaded > 0, 'refused', refused, 'other', other.length);\n",
      'ok.js': 'module.exports = 1;\n', 'no.mjs': NO_ESM,
      ...Object.fromEntries(Array.from({ length: DEPTHS }, (_, k) => [`e${k}.mjs`, `import './no.mjs?${k}';\n`])),
    },
    refused: ['no.mjs'], entry: 'main.js',
    rf: [`loaded at depth true refused ${DEPTHS} other 0`],
  },
  {
    name: 'a program fs.readFileSync that supplies other code for a file',
    files: {
      'main.js': "const fs = require('node:fs');\nconst real = fs.readFileSync;\n"
        + "fs.readFileSync = function (p, ...rest) { return typeof p === 'string' && p.endsWith('no.js') ? \"console.log('SUPPLIED');\" : real.call(this, p, ...rest); };\n"
        + tryRequire('./ok.js') + tryRequire('./no.js'),
      'ok.js': "console.log('ok ran');\n", 'no.js': NO_CJS,
    },
    refused: ['no.js'], entry: 'main.js', parity: false,
    rf: ['ok ran', 'loaded ./ok.js', `caught ${DENIED}`],
  },
  {
    name: 'a program Module.prototype._compile (as v8-compile-cache installs), then put back',
    files: {
      'main.js': "const Module = require('node:module');\nconst own = Module.prototype._compile;\n"
        + 'Module.prototype._compile = function (...a) { return own.apply(this, a); };\n'
        + tryRequire('./no.js') + 'Module.prototype._compile = own;\n' + tryRequire('./no2.js'),
      'no.js': NO_CJS, 'no2.js': NO_CJS,
    },
    refused: ['no.js', 'no2.js'], entry: 'main.js',
    rf: [`caught ${DENIED}`, `caught ${DENIED}`],
  },
  {
    // Node's own hook path cannot load a proxy (it sets a private symbol on it): no parity with node here.
    name: "a proxy for a module, given to the '.js' handler",
    parity: false,
    files: {
      'main.js': "const Module = require('node:module');\n"
        + "const m = new Proxy(new Module(require.resolve('./no.js'), module), {});\n"
        + "try { Module._extensions['.js'](m, require.resolve('./no.js')); console.log('proxy loaded'); } catch (e) { console.log('proxy caught', e.code); }\n",
      'no.js': NO_CJS,
    },
    refused: ['no.js'], entry: 'main.js',
    rf: [`proxy caught ${DENIED}`],
  },
  {
    name: 'a program that registers its own sync hooks, then requires',
    syncOnly: true,
    files: {
      'main.js': "require('node:module').registerHooks({ load: (u, c, next) => next(u, c) });\n" + tryRequire('./ok.js') + tryRequire('./no.js'),
      'ok.js': "console.log('ok ran');\n", 'no.js': NO_CJS,
    },
    refused: ['no.js'], entry: 'main.js',
    rf: ['ok ran', 'loaded ./ok.js', `caught ${DENIED}`],
  },
];

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

/** The two front doors the direct route serves. */
const DOORS = {
  secnode: (_n: NodeUnderTest, entry: string) => ({ cmd: SECNODE, args: [entry] }),
  'node --require register': (n: NodeUnderTest, entry: string) => ({ cmd: join(n.bin, 'node'), args: ['--require', REGISTER, entry] }),
} as const;
type Door = keyof typeof DOORS;

function through(door: Door, n: NodeUnderTest, entry: string, policy: Policy, cwd: string, env: NodeJS.ProcessEnv = {}): Run {
  const { cmd, args } = DOORS[door](n, entry);
  return run(cmd, args, { node: n, policy, cwd, env });
}

describe.each(nodes())('$name: CommonJS, direct route', (n) => {
  let t: ReturnType<typeof tempDir>;
  beforeAll(() => {
    t = tempDir('secnode-cjs-direct-');
    CASES.forEach((c, i) => {
      for (const [file, source] of Object.entries(c.files)) write(join(t.dir, `c${i}`, file), source, c.refused.includes(file) ? 0o644 : 0o755);
    });
  });
  afterAll(() => t.remove());

  const combos = CASES.flatMap((c, i) => (Object.keys(DOORS) as Door[]).flatMap((door) =>
    (['none', 'RF'] as const).map((policy) => ({ c, i, door, policy }))));
  it.each(combos)('$c.name: $door, $policy', ({ c, i, door, policy }) => {
    if (c.syncOnly === true && n.backend !== 'sync-hooks') return;
    const cwd = join(t.dir, `c${i}`);
    const r = through(door, n, c.entry, policy, cwd);
    if (policy === 'RF') {
      expect({ status: r.status, stdout: lines(r.stdout) }, r.stderr).toEqual({ status: 0, stdout: c.rf });
    } else if (c.parity !== false) {
      // With no bits, exactly what node prints (every file runs).
      const plain = run(join(n.bin, 'node'), [c.entry], { node: n, cwd });
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: plain.status, stdout: plain.stdout, stderr: plain.stderr });
      expect(r.stdout).toContain(NO);
    }
  });

  it.skipIf(noexecUnavailable() !== null)('RF: a 0755 file required from a noexec mount is refused, one beside it on a normal mount runs', () => {
    const stage = join(t.dir, 'stage');
    const app = join(t.dir, 'noexec-app');
    const mnt = join(t.dir, 'mnt');
    write(join(stage, 'no.js'), NO_CJS);
    write(join(app, 'ok.js'), "console.log('ok ran');\n");
    write(join(app, 'main.js'), tryRequire('./ok.js') + tryRequire(join(mnt, 'no.js')));
    mkdirSync(mnt, { recursive: true });
    const inner = DOORS['node --require register'](n, 'main.js');
    const { cmd, args } = onNoexecMount(mnt, stage, inner);
    const r = run(cmd, args, { node: n, policy: 'RF', cwd: app });
    expect({ status: r.status, stdout: lines(r.stdout) }, r.stderr).toEqual({ status: 0, stdout: ['ok ran', 'loaded ./ok.js', `caught ${DENIED}`] });
  });

  it('with records on: one record per CommonJS file that ran, with its subject and parent; one refusal', () => {
    const dir = join(t.dir, 'audit');
    write(join(dir, 'main.js'), tryRequire('./a.js') + tryRequire('./no.js'));
    write(join(dir, 'a.js'), "require('./b.cjs');\n");
    write(join(dir, 'b.cjs'), "console.log('b ran');\n");
    write(join(dir, 'no.js'), NO_CJS, 0o644);
    for (const door of Object.keys(DOORS) as Door[]) {
      for (const policy of ['none', 'RF'] as const) {
        const log = join(dir, `audit-${door.replace(/\W+/g, '-')}-${policy}.jsonl`);
        const r = through(door, n, 'main.js', policy, dir, { SECNODE_AUDIT: `file:${log}` });
        expect(r.status, r.stderr).toBe(0);
        const records = lines(readFileSync(log, 'utf8')).map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((rec) => rec.event === 'check')
          .map((rec) => ({ subject: rec.subject, path: rec.path, parent: rec.parent, verdict: rec.verdict }));
        expect(records, `${door} ${policy}`).toEqual([
          { subject: 'entry', path: join(dir, 'main.js'), parent: undefined, verdict: 'run' },
          { subject: 'require', path: join(dir, 'a.js'), parent: join(dir, 'main.js'), verdict: 'run' },
          { subject: 'require', path: join(dir, 'b.cjs'), parent: join(dir, 'a.js'), verdict: 'run' },
          { subject: 'require', path: join(dir, 'no.js'), parent: join(dir, 'main.js'), verdict: policy === 'RF' ? 'refuse' : 'record' },
        ]);
      }
    }
  });
});
