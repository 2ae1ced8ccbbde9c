// `secnodectl pin-node [--add] [NODE…]`: the operator chooses which Node binaries the launcher may run under
// enforcement (written to <dist>/runtime/pinned-node, read by the launcher; see src/pinned-node.ts).
import { execFileSync } from 'node:child_process';
import { chmodSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { isSupportedNode, supportedNodeWords } from '../src/node-features.js';
import { INSTALL, readPins } from '../src/pinned-node.js';

/** What a binary says it is when asked to run a line of JavaScript (Bun and Deno answer too, differently). */
interface Identity { readonly release: string; readonly version: string; readonly other: string | null }

const PROBE = 'console.log(JSON.stringify({ release: process.release && process.release.name, version: process.version, '
  + "other: process.versions.bun ? 'Bun' : typeof Deno !== 'undefined' ? 'Deno' : null }))";

/** Asks the binary what it is, with no NODE_OPTIONS and no env file; a sanity check, not the identity (the pin is). */
function identify(bin: string): Identity {
  if (bin === realpathSync(process.execPath)) return { release: process.release.name, version: process.version, other: null };
  const out = execFileSync(bin, ['-e', PROBE], { encoding: 'utf8', cwd: '/', env: { PATH: '/usr/bin:/bin', NODE_OPTIONS: '' }, timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as Identity;
}

/** Runs the command; returns the exit status (0 pinned, 1 a binary is not Node or the file cannot be written, 2 usage). */
export function pinNode(args: readonly string[]): number {
  const add = args.includes('--add');
  const unknown = args.find((a) => a.startsWith('-') && a !== '--add');
  if (unknown !== undefined) {
    process.stderr.write(`secnodectl pin-node: unknown option ${unknown}\nusage: secnodectl pin-node [--add] [NODE…]\n`);
    return 2;
  }
  const given = args.filter((a) => !a.startsWith('-'));
  const wanted = given.length > 0 ? given : [process.execPath];
  const paths: string[] = add ? [...readPins().paths] : [];
  for (const bin of wanted) {
    let real: string;
    let who: Identity;
    try {
      real = realpathSync(bin);
      if (!statSync(real).isFile()) throw new Error('not a regular file');
      who = identify(real);
    } catch (e) {
      process.stderr.write(`secnodectl pin-node: ${bin}: not Node.js, or it cannot run here (asked to run a line of JavaScript with -e: ${(e as Error).message.split('\n')[0]})\n`);
      return 1;
    }
    if (who.other !== null || who.release !== 'node') {
      process.stderr.write(`secnodectl pin-node: ${bin}: not Node.js (it says ${who.other ?? who.release ?? 'nothing'}): `
        + 'secnode checks code only inside Node, so only Node may run under enforcement\n');
      return 1;
    }
    if (!isSupportedNode(who.version)) {
      process.stderr.write(`secnodectl pin-node: warning: ${real} is Node ${who.version}, outside the supported range `
        + `(${supportedNodeWords()}): under enforcement it is refused at start-up (ERR_SECNODE_UNSUPPORTED_NODE)\n`);
    }
    if (!paths.includes(real)) paths.push(real);
  }
  const tmp = `${INSTALL.pinFile}.${process.pid}`;
  try {
    writeFileSync(tmp, `# The Node binaries secnode may run under enforcement (secnodectl pin-node); one absolute path a line.\n${paths.join('\n')}\n`, { mode: 0o644 });
    chmodSync(tmp, 0o644);
    renameSync(tmp, INSTALL.pinFile);
  } catch (e) {
    process.stderr.write(`secnodectl pin-node: cannot write ${INSTALL.pinFile}: ${(e as Error).message} (run it as the install's owner)\n`);
    return 1;
  }
  process.stdout.write(`pinned for enforcement (${INSTALL.pinFile}):\n${paths.map((p) => `  ${p}\n`).join('')}`);
  return 0;
}
