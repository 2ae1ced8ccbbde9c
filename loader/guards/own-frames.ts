// secnode's own frames kept out of the program's stack traces, so that an error's stack reads as under
// node. Node's default Error.prepareStackTrace is given the trace without the frames of secnode's files (a
// function of Node's whose property now holds secnode's wrapper gets the wrapper's name back), and each
// wrapper that runs program code beneath it raises Error.stackTraceLimit by one for that call, so that its
// own frame takes none of the program's frames from a stack captured there.
import { dirname, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { wrapMethod } from './patch.js';

/** The realm's Error, whose stackTraceLimit V8 reads (a program may replace globalThis.Error, not that). */
const RealmError = Error;
let hiding = false;
/** How many wrappers' raises of Error.stackTraceLimit are in effect now. */
let raises = 0;
let ownPrefixes: readonly string[] | undefined;

/** secnode's built code (its `dist/` directory: the bundle, or tsc's output for the library), as a path and as a file: URL (frames of ES modules). */
function prefixes(): readonly string[] {
  if (ownPrefixes !== undefined) return ownPrefixes;
  const file = fileURLToPath(import.meta.url);
  const at = file.lastIndexOf(`${sep}dist${sep}`);
  const dir = at < 0 ? dirname(file) + sep : file.slice(0, at + 6);
  return ownPrefixes = [dir, pathToFileURL(dir).href];
}

function ownFrame(frame: unknown): boolean {
  const file = (frame as NodeJS.CallSite | undefined)?.getFileName?.();
  return typeof file === 'string' && prefixes().some((p) => file.startsWith(p));
}

/**
 * The line of a Node function called by secnode's wrapper that holds its property: V8 names the function by
 * that property, which now holds the wrapper (`Module.<anonymous>`, no `[as runMain]`), so it takes the name
 * V8 gives the wrapper, which is node's (the wrapper has the function's name, at the same property).
 */
function renamed(frame: NodeJS.CallSite, caller: NodeJS.CallSite | undefined): string | undefined {
  if (caller === undefined || !ownFrame(caller)) return undefined;
  const line = String(frame);
  const at = line.indexOf(' (');
  const wrapper = String(caller);
  const end = wrapper.indexOf(' (');
  if (at < 0 || end < 0 || !line.startsWith('node:', at + 2)) return undefined;
  const [name, node] = [line.slice(0, at), wrapper.slice(0, end)];
  return name !== node && (name.endsWith('.<anonymous>') || node.startsWith(`${name} [as `)) ? node + line.slice(at) : undefined;
}

/** Wraps Node's default Error.prepareStackTrace (descriptor, name and length kept) to leave secnode's frames out. */
export function hideOwnFrames(): void {
  if (hiding || typeof RealmError.prepareStackTrace !== 'function') return;
  hiding = true;
  wrapMethod(RealmError, 'prepareStackTrace', (format) => function prepareStackTrace(this: unknown, ...args: unknown[]) {
    const [error, trace] = args;
    if (!Array.isArray(trace) || !trace.some(ownFrame)) return Reflect.apply(format, this, args);
    const frames = trace as NodeJS.CallSite[];
    const kept: NodeJS.CallSite[] = [];
    const names: (string | undefined)[] = [];
    frames.forEach((frame, i) => {
      if (ownFrame(frame)) return;
      kept.push(frame);
      names.push(renamed(frame, frames[i + 1]));
    });
    // As many frames as node would have captured: the raises for secnode's frames beyond the ones left out were spare.
    const limit = Object.getOwnPropertyDescriptor(RealmError, 'stackTraceLimit')?.value as unknown;
    if (typeof limit === 'number' && kept.length > limit - raises) {
      kept.length = Math.max(0, limit - raises);
      names.length = kept.length;
    }
    let text = Reflect.apply(format, this, [error, kept]) as unknown;
    if (typeof text !== 'string') return text;
    // Each frame is a line `    at <frame>` of Node's formatting (source-mapped frames differ, Node's own do not): renamed in order.
    let from = 0;
    names.forEach((name, i) => {
      if (name === undefined || typeof text !== 'string') return;
      const line = `\n    at ${String(kept[i])}`;
      const at = text.indexOf(line, from);
      if (at < 0) return;
      text = `${text.slice(0, at)}\n    at ${name}${text.slice(at + line.length)}`;
      from = at + name.length;
    });
    return text;
  });
}

/**
 * Before a wrapper calls into code that may throw for the program: Error.stackTraceLimit one higher; returns
 * what lowerStackLimit takes. Each wrapper writes the raise, `try` and lower out itself: a helper that took
 * the call as a callback would put a frame of its own between the wrapper's and Node's, the frame the
 * renaming above reads to give Node's function its name.
 */
export function raiseStackLimit(): number | undefined {
  if (!hiding) return undefined;
  const d = Object.getOwnPropertyDescriptor(RealmError, 'stackTraceLimit');
  if (d === undefined || d.writable !== true || typeof d.value !== 'number') return undefined;
  RealmError.stackTraceLimit = d.value + 1;
  raises++;
  return d.value + 1;
}

/** After that call: the limit back, unless the code beneath set one of its own. */
export function lowerStackLimit(raised: number | undefined): void {
  if (raised === undefined) return;
  raises--;
  const d = Object.getOwnPropertyDescriptor(RealmError, 'stackTraceLimit');
  if (d?.value === raised && d.writable === true) RealmError.stackTraceLimit = raised - 1;
}
