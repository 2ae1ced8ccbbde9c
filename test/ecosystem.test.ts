// Real software runs unchanged: pinned packages from the npm registry (test/fixtures/ecosystem, installed
// once with `npm ci` into .cache/ecosystem), each exercised for real, on every Node version under test:
//   - no bits: plain node and secnode give the same stdout, stderr and exit status;
//   - enforced (RF+DI, locked) after `secnodectl scan <app dir> --fix`: it works;
//   - still checked: one file on its side path (worker, transport, addon, child, transform, plugin…)
//     made 0644 again is refused and recorded, then put back.
// Each Node version works on its own copy of the installed tree (`--fix` changes modes).
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { node, nodes, run, SECNODE, SECNODECTL, type NodeUnderTest, type Run } from './helpers/run.js';
import { ensureFixture } from './install-fixture.mjs';

/** An app: its files (in its own directory under the tree), how node runs it, what a working run prints. */
interface App {
  readonly name: string;
  readonly files: Readonly<Record<string, string | Buffer>>;
  /** node's arguments (run in the app's directory; `nm` names a file under node_modules). */
  readonly args: (nm: (p: string) => string) => string[];
  /** Printed (on stdout or stderr) by a run that did the work. */
  readonly works: RegExp;
  /** The file on the app's side path that the "still checked" case makes 0644 again. */
  readonly side: (nm: (p: string) => string, app: string) => string;
}

/**
 * What differs between two runs of the same program, and nothing else: jest's and mocha's timings
 * (a duration such as " (5.2 s)" is printed only for a slow test or file, so it is dropped whole).
 */
function normalise(text: string): string {
  return text
    .replace(/^Time:\s+[\d.]+ m?s(, estimated [\d.]+ m?s)?$/gm, 'Time: <time>')
    .replace(/ \(\d+(\.\d+)? ?m?s\)/g, '');
}

/** A small RGB PNG (filter 0 rows), made here so that sharp reads a file no tool wrote. */
function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.concat(Array.from({ length: height }, (_, y) =>
    Buffer.from([0, ...Array.from({ length: width }, (_, x) => [x * 30, y * 30, 200]).flat()])));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/** A real tool on a loaded 2-core machine can take tens of seconds: each run is bounded by this, each test by twice it. */
const RUN_TIMEOUT = 120_000;
const TEST_TIMEOUT = 2 * RUN_TIMEOUT + 10_000;

/** Bounds a server app: it ends by itself well before the run's own timeout. */
const BOUND = "setTimeout(() => { console.log('timed out'); process.exit(2); }, 20000).unref();\n";

const APPS: readonly App[] = [
  {
    name: 'jest',
    files: { 'sum.test.js': "test('adds', () => { expect(1 + 2).toBe(3); });\n" },
    args: (nm) => [nm('jest/bin/jest.js'), '--ci', '--no-cache', '--no-watchman', '--rootDir', '.'],
    works: /Tests:\s+1 passed, 1 total/,
    side: (nm) => nm('babel-jest/build/index.js'), // the default transform, loaded by name from jest's config
  },
  {
    name: 'mocha',
    files: { 'add.spec.cjs': "const assert = require('node:assert');\ndescribe('add', () => { it('adds', () => { assert.strictEqual(1 + 1, 2); }); });\n" },
    args: (nm) => [nm('mocha/bin/mocha.js'), '--reporter', 'spec', 'add.spec.cjs'],
    works: /1 passing/,
    side: (_nm, app) => join(app, 'add.spec.cjs'), // the spec file mocha loads from its command line
  },
  {
    name: 'sinon',
    files: {
      'main.cjs': [
        "const cp = require('node:child_process');",
        "const { join } = require('node:path');",
        "const sinon = require('sinon');",
        'const original = cp.execFile;',
        "const stub = sinon.stub(cp, 'execFile').callsFake((file, args, cb) => cb(null, `stubbed ${file}\\n`, ''));",
        "cp.execFile('anything', [], (_e, out) => {",
        '  process.stdout.write(out);',
        '  stub.restore();',
        "  console.log('restored', cp.execFile === original);",
        "  cp.execFile(process.execPath, [join(__dirname, 'child.cjs')], (e, o, se) => {",
        '    process.stdout.write(o);',
        '    process.stderr.write(se);',
        "    if (e) { console.log('child failed', e.code); process.exitCode = 1; }",
        '  });',
        '});',
        '',
      ].join('\n'),
      'child.cjs': "console.log('child ran');\n",
    },
    args: () => ['main.cjs'],
    works: /^stubbed anything\nrestored true\nchild ran\n$/,
    side: (_nm, app) => join(app, 'child.cjs'), // a child Node process's script
  },
  {
    name: 'ts-node',
    // ts-node 10.9's own bin cannot start a .ts entry on Node 20.19+/22+ (plain node prints nothing or
    // ERR_UNKNOWN_FILE_EXTENSION): its register hook, as its README shows, is what works there.
    files: { 'hello.ts': 'const answer: number = 40 + 2;\nconsole.log(`ts-node ${answer}`);\n', 'run.cjs': "require('./hello.ts');\n" },
    args: () => ['--require', 'ts-node/register', 'run.cjs'],
    works: /^ts-node 42$/m,
    side: (nm) => nm('typescript/lib/typescript.js'), // the compiler ts-node loads on demand
  },
  {
    name: 'tsx',
    files: { 'hello.ts': 'const answer: number = 40 + 2;\nconsole.log(`tsx ${answer}`);\n' },
    args: (nm) => [nm('tsx/dist/cli.mjs'), 'hello.ts'],
    works: /^tsx 42$/m,
    side: (nm) => nm('tsx/dist/preflight.cjs'), // the preload of the child Node that tsx starts
  },
  {
    // `--import tsx` as projects run it (tsx's sync hooks on Node 24 and 26): a .ts file outside a
    // "type": "module" scope runs as CommonJS, which tsx decides from the `responseURL` of the load result.
    name: 'tsx --import (CommonJS .ts)',
    files: { 'app.ts': "const { join } = require('node:path');\nconst answer: number = 40 + 2;\nconsole.log(`tsx cjs ${answer} ${typeof require} ${typeof module} ${join('a', 'b')}`);\n" },
    args: () => ['--import', 'tsx', 'app.ts'],
    works: /^tsx cjs 42 function object a\/b$/m,
    side: (nm) => nm('tsx/dist/esm/index.mjs'), // tsx's entry, imported before the program
  },
  {
    name: 'eslint',
    files: {
      'eslint.config.mjs': "export default [{ rules: { 'no-unused-vars': 'warn' } }];\n",
      'code.js': 'const unused = 1;\n',
    },
    args: (nm) => [nm('eslint/bin/eslint.js'), 'code.js'],
    works: /'unused' is assigned a value but never used\s+no-unused-vars[\s\S]*1 problem \(0 errors, 1 warning\)/,
    side: (nm) => nm('eslint/lib/cli-engine/formatters/stylish.js'), // the formatter, loaded by name
  },
  {
    name: 'prettier',
    files: { 'ugly.js': 'const  a = {b:1,\n  c:2}\n' },
    args: (nm) => [nm('prettier/bin/prettier.cjs'), 'ugly.js'],
    works: /^const a = \{ b: 1, c: 2 \};\n$/,
    side: (nm) => nm('prettier/plugins/babel.mjs'), // the parser plugin, imported on demand
  },
  {
    name: 'fastify',
    files: {
      'server.cjs': [
        "const app = require('fastify')({ logger: false });",
        "app.register(import('./routes.mjs'));",
        "app.listen({ port: 0, host: '127.0.0.1' }).then(async (address) => {",
        '  const res = await fetch(`${address}/hello`);',
        "  console.log('fastify', res.status, await res.text());",
        '  await app.close();',
        '});',
        BOUND,
      ].join('\n'),
      'routes.mjs': "export default async function routes(app) { app.get('/hello', async () => ({ hello: 'world' })); }\n",
    },
    args: () => ['server.cjs'],
    works: /^fastify 200 \{"hello":"world"\}$/m,
    side: (_nm, app) => join(app, 'routes.mjs'), // a plugin registered at run time
  },
  {
    name: 'express',
    files: {
      'server.cjs': [
        "const express = require('express');",
        "const { join } = require('node:path');",
        'const app = express();',
        "app.set('views', join(__dirname, 'views'));",
        "app.set('view engine', 'ejs');",
        "app.get('/', (req, res) => res.render('index', { name: 'secnode' }));",
        "const server = app.listen(0, '127.0.0.1', async () => {",
        '  const res = await fetch(`http://127.0.0.1:${server.address().port}/`);',
        "  console.log('express', res.status, (await res.text()).trim());",
        '  server.close();',
        '});',
        BOUND,
      ].join('\n'),
      'views/index.ejs': '<p>Hello <%= name %></p>\n',
    },
    args: () => ['server.cjs'],
    works: /^express 200 <p>Hello secnode<\/p>$/m,
    side: (nm) => nm('ejs/lib/cjs/ejs.js'), // the view engine express loads by the name configured
  },
  {
    name: 'pino',
    files: {
      'log.cjs': [
        "const pino = require('pino');",
        "const transport = pino.transport({ target: 'pino/file', options: { destination: 1 } });",
        'const logger = pino({ base: null, timestamp: false }, transport);',
        "logger.info('hello from pino');",
        '',
      ].join('\n'),
    },
    args: () => ['log.cjs'],
    works: /^\{"level":30,"msg":"hello from pino"\}$/m,
    side: (nm) => nm('pino/file.js'), // the transport, run in a worker thread
  },
  {
    name: 'piscina',
    files: {
      'main.cjs': [
        "const { Piscina } = require('piscina');",
        "const { join } = require('node:path');",
        "const pool = new Piscina({ filename: join(__dirname, 'task.cjs'), maxThreads: 1 });",
        "pool.run(20).then((r) => { console.log('piscina', r); return pool.destroy(); });",
        '',
      ].join('\n'),
      'task.cjs': 'module.exports = (n) => n * 2 + 2;\n',
    },
    args: () => ['main.cjs'],
    works: /^piscina 42$/m,
    side: (nm) => nm('piscina/dist/worker.js'), // piscina's worker entry
  },
  {
    name: 'sharp',
    files: {
      'resize.cjs': [
        "const sharp = require('sharp');",
        "const { join } = require('node:path');",
        "sharp(join(__dirname, 'in.png')).resize(4, 4).png().toBuffer({ resolveWithObject: true })",
        "  .then(({ info }) => console.log('sharp', info.format, info.width, info.height));",
        '',
      ].join('\n'),
      'in.png': png(16, 16),
    },
    args: () => ['resize.cjs'],
    works: /^sharp png 4 4$/m,
    side: (nm) => { // the native addon
      const lib = nm(`@img/sharp-${process.platform}-${process.arch}/lib`);
      return join(lib, readdirSync(lib).find((f) => f.endsWith('.node')) ?? 'missing.node');
    },
  },
  {
    name: 'esbuild',
    files: {
      'build.cjs': [
        "const esbuild = require('esbuild');",
        "const { join } = require('node:path');",
        "const plugins = require('./build.json').plugins.map((p) => require(join(__dirname, p)));",
        "esbuild.build({ entryPoints: ['entry.js'], absWorkingDir: __dirname, bundle: true, write: false, plugins })",
        '  .then((r) => process.stdout.write(r.outputFiles[0].text));',
        '',
      ].join('\n'),
      'build.json': '{ "plugins": ["version-plugin.cjs"] }\n',
      'version-plugin.cjs': [
        "module.exports = { name: 'version', setup(build) {",
        "  build.onResolve({ filter: /^virtual:version$/ }, (a) => ({ path: a.path, namespace: 'v' }));",
        "  build.onLoad({ filter: /.*/, namespace: 'v' }, () => ({ contents: 'export default \"v1\"', loader: 'js' }));",
        '} };',
        '',
      ].join('\n'),
      'entry.js': "import v from 'virtual:version';\nimport { add } from './add.js';\nconsole.log('bundled', v, add(1, 2));\n",
      'add.js': 'export const add = (a, b) => a + b;\n',
    },
    args: () => ['build.cjs'],
    works: /var add = \(a, b\) => a \+ b;[\s\S]*console\.log\("bundled", virtual_version_default, add\(1, 2\)\);/,
    side: (_nm, app) => join(app, 'version-plugin.cjs'), // a plugin named by the build's configuration
  },
  {
    name: 'webpack',
    files: {
      'pack.cjs': [
        "const webpack = require('webpack');",
        "const { readFileSync } = require('node:fs');",
        "const { join } = require('node:path');",
        "webpack({ mode: 'none', context: __dirname, entry: './src.js', output: { path: join(__dirname, 'out'), filename: 'bundle.js' },",
        "  module: { rules: [{ test: /\\.txt$/, use: join(__dirname, 'upper-loader.cjs') }] } }, (err, stats) => {",
        "  if (err || stats.hasErrors()) { console.error(String(err ?? stats.toString('errors-only'))); process.exitCode = 1; return; }",
        "  console.log('webpack', readFileSync(join(__dirname, 'out/bundle.js'), 'utf8').includes('HELLO FROM A TXT FILE'));",
        '});',
        '',
      ].join('\n'),
      'src.js': "console.log(require('./msg.txt'));\n",
      'msg.txt': 'hello from a txt file\n',
      'upper-loader.cjs': "module.exports = function (source) { return 'module.exports = ' + JSON.stringify(source.toUpperCase()) + ';'; };\n",
    },
    args: () => ['pack.cjs'],
    works: /^webpack true$/m,
    side: (_nm, app) => join(app, 'upper-loader.cjs'), // a loader webpack loads from its configuration
  },
];

let installed = '';
const trees: string[] = [];
beforeAll(() => { installed = ensureFixture('ecosystem'); }, 600_000);
afterAll(() => { for (const t of trees) rmSync(t, { recursive: true, force: true }); });

/** Copies the installed tree (modes as npm left them) and writes every app under `<tree>/apps/<name>`. */
function makeTree(n: NodeUnderTest): string {
  const tree = mkdtempSync(join(tmpdir(), `secnode-eco-${n.name}-`));
  trees.push(tree);
  const cp = spawnSync('cp', ['-a', join(installed, 'node_modules'), join(installed, 'package.json'), tree], { encoding: 'utf8' });
  if (cp.status !== 0) throw new Error(`cp -a failed: ${cp.stderr}`);
  for (const app of APPS) {
    for (const [file, content] of Object.entries(app.files)) {
      const path = join(tree, 'apps', app.name, file);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content, { mode: 0o644 });
    }
  }
  return tree;
}

const output = (r: Run): string => `${r.stdout}${r.stderr}`;
const show = (r: Run): string => `status ${String(r.status)} signal ${String(r.signal)}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

describe.each(nodes())('ecosystem on $name', (n) => {
  let tree = '';
  const nm = (p: string): string => join(tree, 'node_modules', p);
  const appDir = (app: App): string => join(tree, 'apps', app.name);
  beforeAll(() => { tree = makeTree(n); }, 120_000);

  describe('no bits: secnode gives what node gives', () => {
    it.each(APPS)('$name', (app) => {
      const opts = { node: n, cwd: appDir(app), timeout: RUN_TIMEOUT };
      const plain = node(app.args(nm), opts);
      expect(output(plain), `the app must work under plain node\n${show(plain)}`).toMatch(app.works);
      const sec = run(SECNODE, app.args(nm), opts);
      expect({ status: sec.status, signal: sec.signal, stdout: normalise(sec.stdout), stderr: normalise(sec.stderr) })
        .toEqual({ status: plain.status, signal: plain.signal, stdout: normalise(plain.stdout), stderr: normalise(plain.stderr) });
    }, TEST_TIMEOUT);
  });

  describe('enforced (RF+DI, locked) after scan --fix of the app directory', () => {
    let scan = { status: null as number | null, tail: '' };
    beforeAll(() => {
      // The report lists thousands of fixed files: it goes to a file, only its end is kept.
      const report = join(tree, 'scan-report.txt');
      const fd = openSync(report, 'w');
      try {
        const r = spawnSync(join(n.bin, 'node'), [SECNODECTL, 'scan', tree, '--fix'], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 300_000 });
        scan = { status: r.status, tail: `${readFileSync(report, 'utf8').split('\n').slice(-12).join('\n')}\n${r.stderr}` };
      } finally {
        closeSync(fd);
      }
    }, 320_000);

    it('scan --fix leaves nothing refused', () => {
      expect(scan.status, scan.tail).toBe(0);
      expect(scan.tail).toMatch(/would start under SECBIT_EXEC_RESTRICT_FILE: yes/);
    });

    it.each(APPS)('$name works', (app) => {
      const r = run(SECNODE, app.args(nm), { node: n, cwd: appDir(app), policy: 'RF+DI', timeout: RUN_TIMEOUT });
      expect(r.status, show(r)).toBe(0);
      expect(output(r), show(r)).toMatch(app.works);
    }, TEST_TIMEOUT);

    describe('still checked: a file on the side path made 0644 again is refused and recorded', () => {
      it.each(APPS)('$name', (app) => {
        const side = app.side(nm, appDir(app));
        const log = join(tree, `audit-${app.name}.jsonl`);
        chmodSync(side, 0o644);
        let r: Run;
        try {
          r = run(SECNODE, app.args(nm), { node: n, cwd: appDir(app), policy: 'RF+DI', env: { SECNODE_AUDIT: `file:${log}` }, timeout: RUN_TIMEOUT });
        } finally {
          chmodSync(side, 0o755);
        }
        expect(output(r), show(r)).not.toMatch(app.works);
        const records = (existsSync(log) ? readFileSync(log, 'utf8') : '').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { path?: string; allowed: boolean; enforced: boolean });
        expect(records.filter((rec) => rec.path === side).map((rec) => ({ allowed: rec.allowed, enforced: rec.enforced })), show(r))
          .toContainEqual({ allowed: false, enforced: true });
      }, TEST_TIMEOUT);
    });
  });
});
