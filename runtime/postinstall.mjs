// Install-time steps (package.json "postinstall"; a build does the same work itself). Each step is one function
// in STEPS: it gets the package root, does its work, and returns a line to print or null. A step that fails prints
// a warning and never fails the install: what it would have made is then missing and `secnodectl status` says so.
// Steps run from dist/ only: in a clone, npm runs postinstall before `prepare` builds, and the build runs them.
// When npm packs (`npm pack`, `npm publish`: "prepare" runs this after the build), the packed launcher is the sh
// fallback instead, so that an install with --ignore-scripts gets it rather than a binary for the packer's CPU;
// "postpack" then puts this checkout's own launcher back.
import { chmodSync, copyFileSync, existsSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { installCodeCache } from './code-cache.mjs';
import { markOwnDeps } from './own-deps.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Copies `from` over `to` through a temporary name (a running launcher is never half written), mode 0755. */
function replaceFile(from, to) {
  const tmp = `${to}.${process.pid}.tmp`;
  copyFileSync(from, tmp);
  chmodSync(tmp, 0o755);
  renameSync(tmp, to);
}

/**
 * Puts the static launcher built for this CPU in place as dist/runtime/secnode and secnodectl (one binary, two
 * names); where the package has none for this CPU, the sh fallback takes both names and the line returned says so.
 * `fallbackOnly` installs the fallback whatever is built (the build, when npm packs).
 */
export async function installLauncher(root = ROOT, { fallbackOnly = false } = {}) {
  const runtime = join(root, 'dist', 'runtime');
  const { launcherFileName, launcherKind, SH_FALLBACK_LIMITS } = await import(pathToFileURL(join(root, 'dist', 'src', 'launchers.js')).href);
  const built = join(runtime, 'launchers', launcherFileName(process.arch));
  const kind = launcherKind(built);
  const fits = !fallbackOnly && kind.kind === 'static' && kind.cpu === process.arch;
  for (const name of ['secnode', 'secnodectl']) replaceFile(fits ? built : join(root, 'runtime', 'secnode.sh'), join(runtime, name));
  if (fits || fallbackOnly) return null;
  return `secnode: warning: no static launcher for linux-${process.arch} in this package; installed the sh fallback: ${SH_FALLBACK_LIMITS}`;
}

/** The code cache of secnode's loader for the Node installing (runtime/code-cache.mjs; it says itself what failed). */
async function codeCache() {
  await installCodeCache();
  return null;
}

/** secnode's own dependencies (koffi, acorn, source-map-support) get the x bit, as the build gives them (runtime/own-deps.mjs). */
async function ownDeps() {
  markOwnDeps();
  return null;
}

/**
 * Pins the Node that runs the install as the one secnode may run under enforcement (runtime/pin-node.ts; the
 * operator pins others with `secnodectl pin-node`). An install made as root for a service pins the Node the
 * service will run.
 */
async function pinInstallingNode(root = ROOT) {
  const { pinNode } = await import(pathToFileURL(join(root, 'dist', 'runtime', 'pin-node.js')).href);
  if (pinNode([]) !== 0) throw new Error('could not pin the Node running the install (see above); run secnodectl pin-node');
  return null;
}

/** The steps, in order: [name, step]. Add install-time work here, one function each. */
export const STEPS = [['launcher', installLauncher], ['own dependencies as code', ownDeps], ['code cache', codeCache], ['pinned Node', pinInstallingNode]];

/** Whether npm runs "prepare" for `npm pack` or `npm publish` (npm_command is the outer command there). */
function packing() {
  return ['pack', 'publish'].includes(process.env.npm_command ?? '');
}

/** Runs every step; returns 0 whatever happens (a failed step is a warning). */
export async function runSteps(root = ROOT) {
  if (!existsSync(join(root, 'dist', 'runtime', 'secnodectl.js'))) return 0; // a clone before its build
  if (process.env.npm_lifecycle_event === 'prepare') { // right after the build, which ran the steps itself
    if (packing()) await installLauncher(root, { fallbackOnly: true });
    return 0;
  }
  for (const [name, step] of STEPS) {
    try {
      const note = await step(root);
      if (note !== null) process.stderr.write(`${note}\n`);
    } catch (e) {
      process.stderr.write(`secnode postinstall: warning: step ${name} failed: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await runSteps();
