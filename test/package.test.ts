// The shipped entry points used as users use them: an app that depends on secnode (the repo packed with
// `npm pack` and installed into a temporary app) resolves `secnode/register` and `secnode` by package
// name, from ESM and CommonJS; and the README's examples run exactly as the README says.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFor, nodes, ROOT, run, SECNODECTL, type NodeUnderTest, type Policy, type Run } from './helpers/run.js';

const show = (r: Run): string => `status ${String(r.status)}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** The app's files: each entry reports where `secnode` resolved from and whether a 0644 module ran. */
const APP: Readonly<Record<string, [string, number]>> = {
  'package.json': ['{ "name": "uses-secnode", "private": true, "type": "module" }\n', 0o644],
  'app.mjs': [[
    "import { fileURLToPath } from 'node:url';",
    "console.log('register from', fileURLToPath(import.meta.resolve('secnode/register')));",
    "try { await import('./no.mjs'); } catch (e) { console.log('caught', e.code); }",
    '',
  ].join('\n'), 0o755],
  'app.cjs': [[
    "console.log('register from', require.resolve('secnode/register'));",
    "try { require('./no.cjs'); } catch (e) { console.log('caught', e.code); }",
    '',
  ].join('\n'), 0o755],
  'api.mjs': [[
    "import { decide, decodeBits, install } from 'secnode';",
    "import { fileURLToPath } from 'node:url';",
    "console.log('secnode from', fileURLToPath(import.meta.resolve('secnode')));",
    "console.log(JSON.stringify(decide('file', decodeBits(0x100), 'EACCES')));",
    'install({ restrictFile: true });',
    "try { await import('./no.mjs'); } catch (e) { console.log('caught', e.code); }",
    '',
  ].join('\n'), 0o755],
  'api.cjs': [[
    "const { decide, decodeBits, install } = require('secnode');",
    "console.log('secnode from', require.resolve('secnode'));",
    "console.log(JSON.stringify(decide('file', decodeBits(0x100), 'EACCES')));",
    'install({ restrictFile: true });',
    "try { require('./no.cjs'); } catch (e) { console.log('caught', e.code); }",
    '',
  ].join('\n'), 0o755],
  'no.mjs': ["console.log('no.mjs ran');\n", 0o644],
  'no.cjs': ["console.log('no.cjs ran');\n", 0o644],
};

let app = '';
let installed = '';
beforeAll(() => {
  app = realpathSync(mkdtempSync(join(tmpdir(), 'secnode-package-')));
  // --ignore-scripts: the suite has built dist/ already; `prepare` would rebuild it under the running tests.
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', app], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const tarball = join(app, pack.stdout.trim().split('\n').at(-1) ?? '');
  for (const [file, [source, mode]] of Object.entries(APP)) writeFileSync(join(app, file), source, { mode });
  const npm = spawnSync('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', tarball],
    { cwd: app, encoding: 'utf8', timeout: 300_000 });
  if (npm.status !== 0) throw new Error(`npm install <tarball> failed: ${npm.stderr}`);
  installed = join(app, 'node_modules', 'secnode');
}, 400_000);
afterAll(() => { if (app !== '') rmSync(app, { recursive: true, force: true }); });

describe.each(nodes())('an app that depends on secnode ($name)', (n) => {
  const go = (args: string[], policy: Policy): Run => run(join(n.bin, 'node'), args, { node: n, cwd: app, policy });

  it.each([
    { door: '--import secnode/register', args: ['--import', 'secnode/register', 'app.mjs'], no: 'no.mjs' },
    { door: '--require secnode/register', args: ['--require', 'secnode/register', 'app.cjs'], no: 'no.cjs' },
  ])('node $door: resolved by package name; no bits runs a 0644 module, RF+DI refuses it', ({ args, no }) => {
    const register = join(installed, 'dist', 'loader', 'register.cjs');
    const free = go(args, 'none');
    expect({ status: free.status, stdout: free.stdout, stderr: free.stderr })
      .toEqual({ status: 0, stdout: `register from ${register}\n${no} ran\n`, stderr: '' });
    const enforced = go(args, 'RF+DI');
    expect({ status: enforced.status, stdout: enforced.stdout, stderr: enforced.stderr }, show(enforced))
      .toEqual({ status: 0, stdout: `register from ${register}\ncaught ERR_SECNODE_EXEC_DENIED\n`, stderr: '' });
  });

  it.each([
    { how: "import { decide, install } from 'secnode'", entry: 'api.mjs' },
    { how: "require('secnode')", entry: 'api.cjs' },
  ])('$how: the library by package name; install() then refuses a 0644 module', ({ entry }) => {
    const r = go([entry], 'none');
    expect({ status: r.status, stderr: r.stderr }, show(r)).toEqual({ status: 0, stderr: '' });
    expect(r.stdout.split('\n')).toEqual([
      `secnode from ${join(installed, 'dist', 'loader', 'api.js')}`,
      JSON.stringify({ verdict: 'refuse', enforced: true, reason: 'not-executable', rule: 'SECBIT_EXEC_RESTRICT_FILE' }),
      'caught ERR_SECNODE_EXEC_DENIED',
      '',
    ]);
  });
});

/**
 * Runs a README command line through `sh` from the repo root, with the chosen Node first on PATH and
 * dist/runtime on PATH (the Quick start's `export PATH="$PWD/dist/runtime:$PATH"`).
 */
function readme(n: NodeUnderTest, line: string): Run {
  const r = spawnSync('/bin/sh', ['-c', line], { cwd: ROOT, env: envFor(n), encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const HELLO = "hello, secnode: every file here passed the kernel's exec check\n";
const RF_DI = `${process.execPath} ${SECNODECTL} exec --restrict-file --deny-interactive --`;

describe.each(nodes())('the README examples, as the README runs them ($name)', (n) => {
  it.each([
    { policy: 'no bits', line: 'secnode examples/hello/main.mjs', stdout: HELLO },
    { policy: 'RF+DI', line: `${RF_DI} secnode examples/hello/main.mjs`, stdout: HELLO },
    { policy: 'no bits', line: 'node --import secnode/register examples/preload/app.mjs',
      stdout: 'permissive: no exec securebits set; every file is still checked (record with SECNODE_AUDIT=stderr)\n' },
    { policy: 'RF+DI', line: `${RF_DI} node --import secnode/register examples/preload/app.mjs`,
      stdout: 'enforcing: SECBIT_EXEC_RESTRICT_FILE, SECBIT_EXEC_RESTRICT_FILE_LOCKED, SECBIT_EXEC_DENY_INTERACTIVE, SECBIT_EXEC_DENY_INTERACTIVE_LOCKED\n' },
  ])('$policy: $line', ({ line, stdout }) => {
    const r = readme(n, line);
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }, show(r)).toEqual({ status: 0, stdout, stderr: '' });
  });
});
