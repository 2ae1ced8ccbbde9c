// Node-version facts in one place: the supported range secnode enforces, and the named version
// thresholds the loader, the resolver and the guards depend on.

/** A Node version as numbers (`v24.1.0` or `24.1.0`); parts that are missing read as 0. */
export interface NodeVersion { readonly major: number; readonly minor: number; readonly patch: number }

/** Parses `process.versions.node` or `process.version` so every version test compares numbers, not strings. */
export function parseNodeVersion(version: string): NodeVersion {
  const [major = 0, minor = 0, patch = 0] = version.replace(/^v/, '').split('.').map((p) => Number.parseInt(p, 10) || 0);
  return { major, minor, patch };
}

/** Whether `v` is at least `major.minor.patch` (the form every threshold below is written in). */
export function atLeast(v: NodeVersion, major: number, minor = 0, patch = 0): boolean {
  if (v.major !== major) return v.major > major;
  if (v.minor !== minor) return v.minor > minor;
  return v.patch >= patch;
}

/**
 * The Node majors secnode supports, each with its lowest release: the option table classifies exactly these
 * majors' options (src/options/node-data.ts is read from one release of each), so under enforcement any other
 * major is refused at start-up. 20.19 is the first 20.x with `module.register` and synchronous `require(esm)`.
 */
export const SUPPORTED_NODE: readonly { readonly major: number; readonly lowest: string }[] = [
  { major: 20, lowest: '20.19.0' },
  { major: 22, lowest: '22.0.0' },
  { major: 24, lowest: '24.0.0' },
  { major: 26, lowest: '26.0.0' },
];

/** Whether a Node version is in the supported range (one of SUPPORTED_NODE's majors, at or above its lowest release). */
export function isSupportedNode(version: string): boolean {
  const v = parseNodeVersion(version);
  const entry = SUPPORTED_NODE.find((s) => s.major === v.major);
  if (entry === undefined) return false;
  const low = parseNodeVersion(entry.lowest);
  return atLeast(v, low.major, low.minor, low.patch);
}

/** The supported range in words, for refusals and `secnodectl status` ("20.19+, 22, 24, 26"). */
export function supportedNodeWords(): string {
  return SUPPORTED_NODE.map((s) => (s.lowest.endsWith('.0.0') ? String(s.major) : `${s.lowest.replace(/\.0$/, '')}+`)).join(', ');
}

/**
 * Synchronous module hooks (`module.registerHooks`, https://github.com/nodejs/node/pull/55698) carry the whole load
 * path from Node 22.22.3 and 24: on 22.15 to 22.22.2 even a pass-through sync `load` hook crashes the graph
 * ESM → CJS → require(ESM that imports a builtin) with ERR_VM_MODULE_LINK_FAILURE (fixed in 22.22.3; measured on
 * those releases, see docs/design.md, "How Node loads code per version"), so earlier versions take async hooks.
 */
export function hasSafeSyncHooks(v: NodeVersion): boolean {
  return atLeast(v, 24) || (v.major === 22 && atLeast(v, 22, 22, 3));
}

/**
 * Node 22's ESM loader runs a CommonJS file reached by `import` through `Module._load` only when the load result
 * says `shouldBeReloadedByCJSLoader` (its default load sets it, with `responseURL`, for every `file:` URL); a
 * result without it runs the file through the ESM loader's own CommonJS path, where ESM → CJS → require(ESM that
 * imports a builtin) fails with ERR_VM_MODULE_LINK_FAILURE. So on 22 a hook's own result carries the flag as
 * Node's would; Node 24 dropped it (its default still names the `responseURL`, which every import's result carries:
 * tsx reads it) (measured on 22.23, 24.22, 26.12).
 */
export function loadResultsNameReload(v: NodeVersion): boolean {
  return v.major === 22;
}

/**
 * node:test's module mocks (`mock.module`, `--experimental-test-module-mocks`) are async hooks that Node 22
 * registers in its hooks thread at the first mock, below every `registerHooks` hook; Node 24 and 26 register
 * them with `registerHooks`, above the hooks registered before (measured on 22.23, 24.22, 26.12).
 */
export function testMocksInHooksThread(v: NodeVersion): boolean {
  return v.major === 22;
}

/**
 * Node 20 and 22 still hand out the crypto binding's SecureContext through `process.binding('crypto')` (deprecated
 * as DEP0111, https://nodejs.org/api/deprecations.html#DEP0111), which spares loading `tls`; 24 and 26 answer
 * "No such module" (measured on 20.20, 22.23, 24.22, 26.12).
 */
export function hasCryptoBindingSecureContext(v: NodeVersion): boolean {
  return v.major <= 22;
}

/**
 * The `module-sync` exports condition exists from Node 22.10 (https://github.com/nodejs/node/pull/54648), so the
 * static resolver adds it to the ESM conditions only from there.
 */
export function hasModuleSyncCondition(v: NodeVersion): boolean {
  return atLeast(v, 22, 10);
}
