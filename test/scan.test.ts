// secnodectl scan on what real trees hold: files it cannot parse, extensionless code files, loads
// through member expressions and computed paths; and on real apps from the registry, a directory scan
// that lists every file a permissive run records as failing, then --fix and an enforced run.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNodeShebang } from '../src/code-files.js';
import { addonSource, buildLibrary } from './helpers/addon.js';
import { nodes, ROOT, run, SECNODE, SECNODECTL, type NodeUnderTest } from './helpers/run.js';

interface Report {
  v: 1;
  files: { path: string; verdict: string; errno: string | null; reason: string; fixable: boolean; importers: string[] }[];
  unresolved: { specifier: string | null; importer: string; line: number; reason: string }[];
  unparsed: { path: string; error: string }[];
  summary: { refused: number; wouldStartUnderRestrictFile: boolean };
}

const ctl = (n: NodeUnderTest, args: string[], cwd = ROOT) => spawnSync(join(n.bin, 'node'), [SECNODECTL, ...args], {
  cwd, encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 120_000, maxBuffer: 256 * 1024 * 1024,
});
const scanJson = (n: NodeUnderTest, args: string[], cwd = ROOT) => {
  const r = ctl(n, [...args, '--json'], cwd);
  expect(r.stderr).toBe('');
  return { status: r.status, report: JSON.parse(r.stdout) as Report };
};
const modeOf = (p: string) => statSync(p).mode & 0o777;
/** True for a Node with module.stripTypeScriptTypes (22.13+), asked of that Node. */
const strips = (n: NodeUnderTest) => spawnSync(join(n.bin, 'node'), ['-p', "typeof require('node:module').stripTypeScriptTypes"], { encoding: 'utf8' }).stdout.trim() === 'function';

function tree(root: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text, { mode: 0o644 });
  }
}

let tmp = '';
beforeAll(() => { tmp = mkdtempSync(join(tmpdir(), 'secnode-scan-')); });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.each(nodes())('files it cannot parse ($name)', (n) => {
  it('lists them with the reason, checks them, goes on, and --fix fixes them', () => {
    const dir = mkdtempSync(join(tmp, 'unparsed-'));
    tree(dir, {
      'package.json': '{ "type": "commonjs" }\n',
      'param.ts': 'export class A { constructor(private x: number) {} }\n',
      'import-eq.ts': "import dep = require('./dep.cjs');\nexport const y = dep;\n",
      'export-eq.ts': 'export = 1;\n',
      'enum.ts': 'export enum E { A }\n',
      'fine.ts': "import './fine-dep.cjs';\nexport const z: number = 1;\n",
      'fine-dep.cjs': 'module.exports = 1;\n',
      'dep.cjs': 'module.exports = 2;\n',
      'broken.js': 'this is not javascript (\n',
    });
    const { status, report } = scanJson(n, ['scan', dir]);
    expect(status).toBe(1);
    const names = report.files.map((f) => f.path.slice(dir.length + 1)).sort();
    expect(names).toEqual(['broken.js', 'dep.cjs', 'enum.ts', 'export-eq.ts', 'fine-dep.cjs', 'fine.ts', 'import-eq.ts', 'param.ts']);
    expect(report.files.every((f) => f.verdict === 'refused' && f.fixable && f.reason === 'no x bit for this user (mode 0644)')).toBe(true);
    const unparsed = Object.fromEntries(report.unparsed.map((u) => [u.path.slice(dir.length + 1), u.error]));
    expect(unparsed['broken.js']).toMatch(/Unexpected token/);
    if (strips(n)) {
      expect(Object.keys(unparsed).sort()).toEqual(['broken.js', 'enum.ts', 'export-eq.ts', 'import-eq.ts', 'param.ts']);
      expect(unparsed['param.ts']).toMatch(/^TypeScript that type stripping cannot handle: ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX: .*parameter property/);
      expect(unparsed['import-eq.ts']).toMatch(/import equals declaration/);
      expect(unparsed['export-eq.ts']).toMatch(/export assignment/);
      expect(report.files.find((f) => f.path.endsWith('fine-dep.cjs'))?.importers).toEqual([join(dir, 'fine.ts')]);
    } else {
      expect(unparsed['param.ts']).toMatch(/needs Node 22\.13\+/);
    }
    const fix = ctl(n, ['scan', dir, '--fix']);
    expect([fix.status, fix.stderr]).toEqual([0, '']);
    expect(fix.stdout).toMatch(/^fixed {3}.*param\.ts: mode 0644 -> 0755$/m);
    expect(fix.stdout).toMatch(/could not parse \(imports of these files were not followed\):\n {2}.*broken\.js: /);
    expect(modeOf(join(dir, 'export-eq.ts'))).toBe(0o755);
  });
});

describe('the type stripping warning', () => {
  const n = nodes().find(strips);
  it.runIf(n !== undefined)('is kept quiet for the scan only: other warnings, and the program\'s own, still print', () => {
    const dir = mkdtempSync(join(tmp, 'warn-'));
    tree(dir, { 'a.ts': 'export const a: number = 1;\n' });
    const script = `import { scan } from ${JSON.stringify(join(ROOT, 'dist/src/scan.js'))};
const before = process.emitWarning;
const d = Object.getOwnPropertyDescriptor(process, 'emitWarning');
scan([${JSON.stringify(dir)}]);
const after = Object.getOwnPropertyDescriptor(process, 'emitWarning');
console.log(process.emitWarning === before, JSON.stringify(d) === JSON.stringify(after));
process.emitWarning('mine', 'ExperimentalWarning');
process.emitWarning('other', 'DeprecationWarning');
`;
    writeFileSync(join(dir, 'run.mjs'), script);
    const r = spawnSync(join(n!.bin, 'node'), [join(dir, 'run.mjs')], { encoding: 'utf8' });
    expect(r.stdout).toBe('true true\n');
    expect(r.stderr).toMatch(/ExperimentalWarning: mine/);
    expect(r.stderr).toMatch(/DeprecationWarning: other/);
    expect(r.stderr).not.toMatch(/stripTypeScriptTypes|Type Stripping/i);
  });
});

describe('extensionless code files', () => {
  const [n] = nodes();
  it.each([
    ['#!/usr/bin/env node', true], ['#!/usr/bin/env -S node --no-warnings', true], ['#! /usr/local/bin/node', true],
    ['#!/usr/bin/nodejs', true], ['#!/usr/bin/env secnode', true], ['#!/usr/bin/env FOO=1 node', true],
    ['#!/bin/sh', false], ['#!/usr/bin/env python3', false], ['#!/usr/bin/env nodemon', false], ['MIT License', false], ['', false],
  ])('shebang %j names node: %s', (line, yes) => {
    expect(isNodeShebang(`${line}\nrest\n`)).toBe(yes);
  });

  it('a directory scan reads node shebangs, package.json "bin" and shared libraries; an entry scan follows what they load', () => {
    const dir = mkdtempSync(join(tmp, 'bin-'));
    tree(dir, {
      'node_modules/tool/package.json': '{ "name": "tool", "bin": { "tool": "bin/tool", "plain": "bin/plain" } }\n',
      'node_modules/tool/bin/tool': "#!/usr/bin/env node\nrequire('../lib/tsc.js');\n",
      'node_modules/tool/bin/plain': "require('../lib/plain-dep');\n",
      'node_modules/tool/bin/flags': '#!/usr/bin/env -S node --no-warnings\n',
      'node_modules/tool/bin/local': '#!/usr/local/bin/node\n',
      'node_modules/tool/bin/shell': '#!/bin/sh\necho hi\n',
      'node_modules/tool/LICENSE': 'MIT\n',
      'node_modules/tool/lib/tsc.js': "require('./impl');\n",
      'node_modules/tool/lib/impl': 'module.exports = 1;\n',
      'node_modules/tool/lib/plain-dep.js': '',
      'node_modules/tool/lib/libdep.so.1.2': '\x7fELF not parsed',
      'node_modules/tool/README': 'read me\n',
    });
    const lib = join(dir, 'node_modules/tool');
    const entry = scanJson(n!, ['scan', join(lib, 'bin/tool')]).report;
    expect(entry.files.map((f) => f.path.slice(lib.length + 1)).sort()).toEqual(['bin/tool', 'lib/impl', 'lib/tsc.js']);
    const all = scanJson(n!, ['scan', dir]).report;
    expect(all.files.map((f) => f.path.slice(lib.length + 1)).sort())
      .toEqual(['bin/flags', 'bin/local', 'bin/plain', 'bin/tool', 'lib/impl', 'lib/libdep.so.1.2', 'lib/plain-dep.js', 'lib/tsc.js']);
    expect(all.unparsed).toEqual([]);
    const fix = ctl(n!, ['scan', join(lib, 'bin/tool'), '--fix']);
    expect(fix.status).toBe(0);
    expect(modeOf(join(lib, 'lib/impl'))).toBe(0o755);
    expect(modeOf(join(lib, 'bin/shell'))).toBe(0o644);
  });
});

describe('loads through member expressions and computed paths', () => {
  const [n] = nodes();
  it('follows what is known statically and lists the rest with importer and line', () => {
    const dir = mkdtempSync(join(tmp, 'member-'));
    tree(dir, {
      'package.json': '{ "type": "commonjs" }\n',
      'main.js': [
        '"use strict";',
        'const worker_threads_1 = require("worker_threads");',
        'const path_1 = __importDefault(require("path"));',
        'const child_process_1 = require("child_process");',
        "const { fork } = require('node:child_process');",
        "new worker_threads_1.Worker(path_1.default.resolve(__dirname, 'w1.js'));",
        "const w2 = require.resolve('./w2');",
        'new worker_threads_1.Worker(w2, {});',
        "(0, child_process_1.fork)(path_1.default.join(__dirname, 'child.js'));",
        "fork(`${__dirname}/sub/child2.js`);",
        "require(path_1.default.join(__dirname, 'lib', '..', 'joined'));",
        "require(process.env.DEV ? './dev.js' : './prod.js');",
        "const toExecute = globalThis.override || path_1.default.join(__dirname, 'w3.js');",
        'new worker_threads_1.Worker(toExecute);',
        'new worker_threads_1.Worker(opts.filename);',
        "new worker_threads_1.Worker('console.log(1)', { eval: true });",
        "require.resolve('./referenced.js');",
        "require.resolve('./data.txt');",
        'cluster.fork();',
        "import(require('node:url').pathToFileURL(path_1.default.join(__dirname, 'dyn.mjs')).href);",
        '',
      ].join('\n'),
      'esm.mjs': [
        "import * as wt from 'node:worker_threads';",
        "new wt.Worker(new URL('./w4.js', import.meta.url));",
        "await import(new URL('./dyn2.mjs', import.meta.url));",
        "import.meta.resolve('./meta.mjs');",
        "new URL('./style.css', import.meta.url);",
        'await import(name);',
        '',
      ].join('\n'),
      ...Object.fromEntries(['w1.js', 'w2.js', 'w3.js', 'w4.js', 'child.js', 'sub/child2.js', 'joined.js', 'dev.js', 'prod.js', 'referenced.js', 'dyn.mjs', 'dyn2.mjs', 'meta.mjs']
        .map((f) => [f, ''])),
      'data.txt': 'text\n',
      'style.css': 'p {}\n',
    });
    const { report } = scanJson(n!, ['scan', join(dir, 'main.js'), join(dir, 'esm.mjs')]);
    expect(report.files.map((f) => f.path.slice(dir.length + 1)).sort()).toEqual([
      'child.js', 'dev.js', 'dyn.mjs', 'dyn2.mjs', 'esm.mjs', 'joined.js', 'main.js', 'meta.mjs', 'prod.js', 'referenced.js',
      'sub/child2.js', 'w1.js', 'w2.js', 'w3.js', 'w4.js',
    ]);
    expect(report.unresolved.map((u) => [u.importer.slice(dir.length + 1), u.line, u.specifier, u.reason])).toEqual([
      ['main.js', 14, null, 'worker with a specifier computed at run time'],
      ['main.js', 15, null, 'worker with a specifier computed at run time'],
      ['esm.mjs', 6, null, 'import with a specifier computed at run time'],
    ]);
  });
});

/** The real apps: their pinned tree is installed under .cache/ from the committed lockfile. */
const APPS = join(ROOT, '.cache', 'scan-apps');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'scan-apps');
const apps: { name: string; args: string[]; stdout: string }[] = [
  { name: 'tsc (extensionless bin)', args: ['node_modules/.bin/tsc', '-p', 'ts'], stdout: '' },
  { name: 'piscina (member-expression Worker)', args: ['piscina-app.js'], stdout: 'piscina 5\n' },
  { name: 'fastify + pino transport', args: ['fastify-app.js'], stdout: 'fastify 200 {"hello":"fastify"}\n' },
  { name: 'express + ejs chosen by configuration', args: ['express-app.js'], stdout: '200 <p>hello express</p>\n' },
];

let installError = '';
beforeAll(() => {
  const lock = readFileSync(join(FIXTURE, 'package-lock.json'), 'utf8');
  const installed = join(APPS, 'node_modules', '.package-lock.json');
  if (!existsSync(installed) || !existsSync(join(APPS, 'package-lock.json')) || readFileSync(join(APPS, 'package-lock.json'), 'utf8') !== lock) {
    rmSync(APPS, { recursive: true, force: true });
    mkdirSync(APPS, { recursive: true });
    cpSync(join(FIXTURE, 'package.json'), join(APPS, 'package.json'));
    cpSync(join(FIXTURE, 'package-lock.json'), join(APPS, 'package-lock.json'));
    const npm = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: APPS, encoding: 'utf8', timeout: 300_000 });
    if (npm.status !== 0) installError = `npm ci failed: ${npm.stderr.trim().split('\n').at(-1) ?? ''}`;
  }
  cpSync(FIXTURE, APPS, { recursive: true, filter: (src) => !src.endsWith('package-lock.json') });
}, 320_000);

/** Every file and directory as a fresh copy would have it: files 0644 (no x bit anywhere), directories 0755. */
function resetModes(): void {
  for (const e of readdirSync(APPS, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) chmodSync(join(e.parentPath, e.name), 0o644);
  }
}

describe.each(nodes())('real apps: the directory scan misses nothing a permissive run records ($name)', (n) => {
  it('permissive runs with records → scan lists every failing file → --fix → enforced runs (RF+DI locked)', () => {
    expect(installError).toBe('');
    resetModes();
    const failing = new Set<string>();
    for (const app of apps) {
      const log = join(tmp, `audit-${n.name}-${app.args[0]!.replace(/\W/g, '_')}.jsonl`);
      const r = run(SECNODE, app.args, { node: n, cwd: APPS, env: { SECNODE_AUDIT: `file:${log}`, APP_LOG_DIR: tmp } });
      expect([app.name, r.status, r.stdout]).toEqual([app.name, 0, app.stdout]);
      for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
        const rec = JSON.parse(line) as { path?: string; allowed: boolean; errno: string | null };
        if (rec.allowed && rec.errno !== null && rec.path) failing.add(rec.path);
      }
    }
    // What each app needs beyond plain imports is among the failing files the runs recorded.
    const expected = ['typescript/bin/tsc', 'typescript/lib/tsc.js', 'piscina/dist/worker.js', 'thread-stream/lib/worker.js', 'ejs/lib/ejs.js'];
    for (const e of expected) expect([...failing].some((p) => p.endsWith(`/node_modules/${e}`))).toBe(true);

    const { status, report } = scanJson(n, ['scan', APPS]);
    expect(status).toBe(1);
    const refused = new Set(report.files.filter((f) => f.verdict === 'refused').map((f) => f.path));
    expect([...failing].filter((p) => !refused.has(p))).toEqual([]);
    if (strips(n)) {
      // fastify's and pino's trees ship TypeScript that type stripping rejects: listed, checked, the scan went on.
      expect(report.unparsed.some((u) => u.path.includes('/node_modules/pino/') && /ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX/.test(u.error))).toBe(true);
      expect(report.unparsed.some((u) => u.path.includes('/node_modules/piscina/src/') && /ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX/.test(u.error))).toBe(true);
    }

    // Test files in the tree require packages that only the repository above .cache/ has: the scan
    // follows them there, and --fix leaves them alone (outside the root). Inside the app, all pass.
    const fixed = scanJson(n, ['scan', APPS, '--fix']).report;
    expect(fixed.files.filter((f) => f.verdict === 'refused' && f.path.startsWith(`${APPS}/`))).toEqual([]);
    for (const app of apps) {
      const r = run(SECNODE, app.args, { node: n, cwd: APPS, policy: 'RF+DI', env: { APP_LOG_DIR: tmp } });
      expect([app.name, r.status, r.stdout, r.stderr]).toEqual([app.name, 0, app.stdout, '']);
    }
  }, 600_000);
});

describe('an addon\'s own shared libraries', () => {
  it('an entry scan follows the libraries an addon finds through its RPATH/RUNPATH ($ORIGIN), not system ones', () => {
    const dir = join(tmp, 'addon-libs');
    mkdirSync(join(dir, 'lib'), { recursive: true });
    buildLibrary(dir, 'lib/libdep.so', 'int dep(void) { return 42; }\n', ['-Wl,-soname,libdep.so'], 0o644);
    buildLibrary(dir, 'addon.node', addonSource('A', 'int dep(void);', 'dep()'), [`-L${join(dir, 'lib')}`, '-ldep', '-Wl,-rpath,$ORIGIN/lib', `-Wl,-rpath-link,${join(dir, 'lib')}`], 0o755);
    writeFileSync(join(dir, 'main.js'), "require('./addon.node');\n", { mode: 0o755 });
    const n = nodes()[0] ?? expect.unreachable();
    const { status, report } = scanJson(n, ['scan', 'main.js'], dir);
    expect(status).toBe(1);
    const lib = report.files.find((f) => f.path === join(dir, 'lib', 'libdep.so'));
    expect(lib, JSON.stringify(report.files)).toMatchObject({ verdict: 'refused', errno: 'EACCES', fixable: true, importers: [join(dir, 'addon.node')] });
    expect(report.files.some((f) => f.path.includes('libc.so'))).toBe(false);
  });
});
