// Installs the pinned Node versions before the suite, and checks the version of every `node` it will use,
// so process-level tests run under Node 20 (the machine's), 22, 24 and 26.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
// @ts-expect-error plain ESM helper shared with the benchmark
import { ensureNode, NODE_VERSIONS } from './install-node.mjs';
import { ensureFixture } from './install-fixture.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The Node versions under test: the machine's `node` (must be 20.x) and the pinned ones. */
const WANTED = [{ major: 20, bin: () => dirname(process.execPath) }, ...(NODE_VERSIONS as string[]).map((v) => ({
  major: Number(v.split('.')[0]), bin: () => ensureNode(v) as string,
}))];

/** Runs `<bin>/node --version` and fails loudly unless it is the major expected. */
function checked(bin: string, major: number): { bin: string; version: string } {
  const version = execFileSync(join(bin, 'node'), ['--version'], { encoding: 'utf8' }).trim();
  if (!version.startsWith(`v${major}.`)) {
    throw new Error(`expected Node ${major}.x at ${join(bin, 'node')}, found ${version}: run the suite with the machine's Node 20`);
  }
  return { bin, version };
}

/** The majors to test: all, or those named in SECNODE_TEST_NODES (e.g. `24,26`; for quick runs while developing). */
function wanted(): typeof WANTED {
  const only = process.env.SECNODE_TEST_NODES;
  if (only === undefined || only === '') return WANTED;
  const majors = only.split(',').map(Number);
  const unknown = majors.filter((m) => !WANTED.some((w) => w.major === m));
  if (unknown.length > 0) throw new Error(`SECNODE_TEST_NODES=${only}: not a Node major under test (${WANTED.map((w) => w.major).join(', ')})`);
  return WANTED.filter((w) => majors.includes(w.major));
}

export default function setup(project: TestProject): void {
  const bins = wanted().map((w) => checked(w.bin(), w.major));
  // Not a SECNODE_* setting: keep it away from the processes the tests start (secnode rejects unknown ones).
  delete process.env.SECNODE_TEST_NODES;
  // The build made secnode's code cache for the Node that ran it; make it for every Node under test too.
  execFileSync(process.execPath, [join(ROOT, 'runtime', 'code-cache.mjs'), ...bins.map((b) => join(b.bin, 'node'))], { stdio: 'inherit' });
  // Under enforcement the launcher runs only pinned Nodes: pin every Node under test, and the unsupported
  // majors (16, 18, 25) the version-range tests run, as the install's owner would (`secnodectl pin-node`).
  const runtimes = ensureFixture('runtimes');
  const unsupported = ['node16', 'node18', 'node25'].map((n) => join(runtimes, 'node_modules', n, 'bin', 'node'));
  execFileSync(process.execPath, [join(ROOT, 'dist', 'runtime', 'secnodectl.js'), 'pin-node', '--add', ...bins.map((b) => join(b.bin, 'node')), ...unsupported],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  project.provide('nodeBins', bins);
  project.provide('runtimes', runtimes);
}

declare module 'vitest' {
  export interface ProvidedContext {
    nodeBins: { bin: string; version: string }[];
    /** .cache/runtimes: Bun, Deno and Node 16, 18 and 25 as npm installs them (test/fixtures/runtimes). */
    runtimes: string;
  }
}
