// file: URL to path on the per-module path: Node's fileURLToPath parses a whole URL object per call.
import { fileURLToPath } from 'node:url';

/**
 * A `file:///` URL whose path Node's parser would hand back unchanged: printable ASCII without `%`, `?`,
 * `#` or `\`, and no `.` or `..` segment. Any other URL goes through `fileURLToPath`.
 */
const PLAIN = /^file:\/\/\/(?![^]*\/\.\.?(?:\/|$))[!"$&->@-[\]-~]*$/;

/** The path of a file: URL, exactly as `fileURLToPath` gives it, without parsing the common case. */
export function pathOfFileUrl(url: string): string {
  return PLAIN.test(url) ? url.slice(7) : fileURLToPath(url);
}
