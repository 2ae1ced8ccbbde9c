// Real native addons for tests: a minimal N-API module built with the system C compiler at test time.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where Node's C headers are (node_api.h), or undefined when this machine has none. */
export function nodeHeaders(): string | undefined {
  const candidates = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'];
  return candidates.find((d) => existsSync(join(d, 'node_api.h')));
}

/**
 * Builds `<dir>/<name>` (mode `mode`): an N-API addon whose init sets `globalThis.secnodeAddon = marker`
 * and exports `{ marker }`. N-API is ABI-stable, so one build serves Node 20 and 24.
 */
export function buildAddon(dir: string, name: string, marker: string, mode = 0o755): string {
  const headers = nodeHeaders();
  if (headers === undefined) throw new Error('no Node headers (node_api.h) found');
  const source = join(dir, `${name}.c`);
  writeFileSync(source, `#include <node_api.h>
static napi_value Init(napi_env env, napi_value exports) {
  napi_value global, value;
  napi_get_global(env, &global);
  napi_create_string_utf8(env, ${JSON.stringify(marker)}, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, global, "secnodeAddon", value);
  napi_set_named_property(env, exports, "marker", value);
  return exports;
}
NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
`);
  const out = join(dir, name);
  execFileSync('cc', ['-shared', '-fPIC', '-O1', `-I${headers}`, '-o', out, source], { stdio: 'pipe' });
  chmodSync(out, mode);
  return out;
}

/** A minimal WebAssembly module exporting `answer() → 42`. */
export const ANSWER_WASM = Buffer.from(
  '0061736d01000000' + '0105016000017f' + '03020100' + '070a0106616e737765720000' + '0a06010400412a0b', 'hex');

/** A C constructor that appends `line` to the file named by $ADDON_MARKER (proof that the object's code ran). */
export function markerConstructor(line: string): string {
  return `#include <stdio.h>
#include <stdlib.h>
__attribute__((constructor)) static void secnode_marker(void) {
  const char *m = getenv("ADDON_MARKER");
  FILE *f = m ? fopen(m, "a") : NULL;
  if (f) { fputs(${JSON.stringify(`${line}\n`)}, f); fclose(f); }
}
`;
}

/**
 * Builds the shared library `<dir>/<file>` from C `source` with the system compiler; `link` are extra
 * linker arguments (e.g. `-Wl,-soname,libx.so`, `-L…`, `-l…`, `-Wl,-rpath,$ORIGIN/lib`).
 */
export function buildLibrary(dir: string, file: string, source: string, link: readonly string[] = [], mode = 0o755): string {
  const headers = nodeHeaders();
  const src = join(dir, `${file.replace(/\//g, '_')}.c`);
  writeFileSync(src, source);
  const out = join(dir, file);
  execFileSync('cc', ['-shared', '-fPIC', '-O1', ...(headers === undefined ? [] : [`-I${headers}`]), '-o', out, src, ...link], { stdio: 'pipe' });
  chmodSync(out, mode);
  return out;
}

/** An N-API addon's C source: exports `{ marker, value: <valueExpr> }`; `prelude` declares what it calls. */
export function addonSource(marker: string, prelude: string, valueExpr: string): string {
  return `#include <node_api.h>
${prelude}
static napi_value Init(napi_env env, napi_value exports) {
  napi_value m, v;
  napi_create_string_utf8(env, ${JSON.stringify(marker)}, NAPI_AUTO_LENGTH, &m);
  napi_create_int32(env, ${valueExpr}, &v);
  napi_set_named_property(env, exports, "marker", m);
  napi_set_named_property(env, exports, "value", v);
  return exports;
}
NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
`;
}
