// What secnode handed to Node as a file's source, so that later layers can tell checked bytes from
// bytes some other code supplied for the same file (then the file they are attributed to is checked).
import { vouchedFor } from './gate.js';
import { isTypeStripped } from './supplied.js';

const handed = new Map<string, unknown>();
let watching = false;
let userAsyncHooks = false;
/** CommonJS sources given to Node and not compiled yet, by filename: a require compiles its file at once, an import's CommonJS files are compiled when the graph runs, after every load. */
const commonJs = new Map<string, string>();

/** Files of `commonJs` that Node reads again by path before it compiles them: those reads get the checked source. */
const rereads = new Set<string>();

/** Node's decoding of a CommonJS source it is given as bytes (UTF-8, a byte order mark dropped): what it then compiles. */
let decoder: TextDecoder | undefined;

/**
 * Remembers the CommonJS source given for `filename` (bytes are kept as their UTF-8 text), until Node compiles
 * it; `reread` when Node reads the file again first. Only the bytes the gate just read for it count.
 */
export function handOverCommonJs(filename: string, source: string | Buffer, reread = false): void {
  if (!vouchedFor(filename, source)) return;
  commonJs.set(filename, typeof source === 'string' ? source : (decoder ??= new TextDecoder()).decode(source));
  if (reread) rereads.add(filename);
  else rereads.delete(filename);
}

/** Whether a file is waiting for Node's reread: only then is a read's path worth looking at. */
export function awaitingRereads(): boolean {
  return rereads.size > 0;
}

/** The checked source Node's reads of `filename` get, until Node compiles the file it reads again first. */
export function rereadOf(filename: string): string | undefined {
  return rereads.has(filename) ? commonJs.get(filename) : undefined;
}

/**
 * True when `content` is the CommonJS source secnode handed over for `filename`: the same text, that text
 * without its byte order mark (Node's decoding of bytes drops it), or for TypeScript Node's type stripping
 * of it; forgets it.
 */
export function takeCommonJs(filename: string, content: unknown): boolean {
  const source = commonJs.get(filename);
  if (source === undefined) return false;
  commonJs.delete(filename);
  rereads.delete(filename);
  return source === content || (source.charCodeAt(0) === 0xfeff && content === source.slice(1))
    || isTypeStripped(filename, source, content);
}

/** Remembers the source given for a file while a verifier above secnode's hook is watching: only the bytes the gate just read for it. */
export function handOver(key: string, source: unknown): void {
  if (watching && vouchedFor(key, source)) handed.set(key, source);
}

/** True (and forgotten) when `source` is exactly what secnode handed over for `key`. */
export function takeHandedOver(key: string, source: unknown): boolean {
  const mine = handed.get(key);
  handed.delete(key);
  return mine !== undefined && sameBytes(mine, source);
}

/** From now on, remember what is handed over (a verifier sits above secnode's own hook). */
export function watchHandOvers(): void {
  watching = true;
}

/** Notes that the program registered async (`module.register`) hooks below secnode's sync hook. */
export function noteUserAsyncHooks(): void {
  userAsyncHooks = true;
}

/** True once the program registered async hooks: their results must reach secnode's sync hook. */
export function hasUserAsyncHooks(): boolean {
  return userAsyncHooks;
}

/** True once the program registered hooks of its own (sync or async): every load must then pass through the chain. */
export function hasProgramHooks(): boolean {
  return watching || userAsyncHooks;
}

/** Whether two sources (strings or byte arrays) hold the same bytes. */
export function sameBytes(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'string' && typeof b === 'string') return false;
  const bytes = (x: unknown): Buffer | undefined => (typeof x === 'string' ? Buffer.from(x)
    : ArrayBuffer.isView(x) ? Buffer.from(x.buffer, x.byteOffset, x.byteLength)
      : x instanceof ArrayBuffer ? Buffer.from(x) : undefined);
  const [x, y] = [bytes(a), bytes(b)];
  return x !== undefined && y !== undefined && x.equals(y);
}
