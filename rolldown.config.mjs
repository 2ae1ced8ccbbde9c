// Bundles the in-process loader into single CommonJS files: one file to load and no ES module
// namespace objects for builtins keeps secnode's start-up cost near the floor (see docs/performance.md).
import { defineConfig } from 'rolldown';
// Built by tsc before rolldown runs: the supported range, from its one home.
import { supportedNodeWords } from './dist/src/node-features.js';

/**
 * The first lines of register.cjs, in syntax every Node parses: a Node that cannot run secnode at all (no
 * module.register: before 18.19, 19, early 20) is refused with the supported range, whatever the bits, before
 * the bundle (which such a Node may not even parse) is loaded.
 */
const VERSION_GATE = `if (typeof require('module').register !== 'function') {
  require('fs').writeSync(2, 'secnode: refused to start: Node ' + process.version + ' cannot run secnode (it has no module.register); '
    + 'supported: ${supportedNodeWords()} [ERR_SECNODE_UNSUPPORTED_NODE]\\nhint: run a supported Node and pin it: secnodectl pin-node /path/to/node\\n');
  process.exit(126);
}`;

/**
 * The lazily required chunks (loader/lazy.ts names them): code only rare doors need, kept out of the shared
 * code every start compiles. Their modules (the entry and what only it imports) stay in their own chunk.
 */
const LAZY = {
  children: { entry: 'loader/guards/child-env.ts', modules: /[\\/]loader[\\/]guards[\\/]child-env\.ts$/ },
  'native-objects': {
    entry: 'loader/guards/native-objects.ts',
    modules: /[\\/](loader[\\/]guards[\\/](native-objects|shared-object|addon-libs)|src[\\/](elf|ld-path))\.ts$/,
  },
};

const ENTRIES = /[\\/](register|install|hooks-async|hooks-verifier|hooks-guard)\.ts$/;

/**
 * The modules secnode registers in Node's hooks thread (`module.register`) load the shared code through the
 * CommonJS loader itself (createRequire), not through the `require` that thread's ES module loader gives a
 * `.cjs` file: under `--experimental-default-type=module` (Node 20, 22) that one asks the thread for a
 * `resolveSync` it does not have, and the thread fails to start.
 */
const HOOKS_MODULES = new Set(['hooks-async', 'hooks-guard', 'hooks-verifier']);
const SHARED_REQUIRE = 'require("./shared.cjs")';
const hooksModules = {
  name: 'hooks-modules',
  renderChunk(code, chunk) {
    if (!HOOKS_MODULES.has(chunk.name)) return null;
    if (!code.includes(SHARED_REQUIRE)) throw new Error(`${chunk.fileName}: no ${SHARED_REQUIRE} to route through the CommonJS loader`);
    // One call in place of another on the same line: the source map's lines stay right (map: null keeps it).
    // A Node without process.getBuiltinModule (18, outside the supported range, which runs as itself with no
    // bits) has no --experimental-default-type either: the module's own require is the CommonJS loader's there.
    const own = '(process.getBuiltinModule ? process.getBuiltinModule("node:module").createRequire(__filename) : require)("./shared.cjs")';
    return { code: code.replace(SHARED_REQUIRE, own), map: null };
  },
};

/**
 * `import.meta.url` in a CommonJS chunk is `pathToFileURL(__filename).href`: a path turned into a URL and back
 * costs each start about 0.1 ms a use (more for the first), and `createRequire` of it a Module and its lookup
 * paths. In the bundle the file is known, so the round trip becomes `__filename` in every chunk, and in the
 * shared chunk `createRequire(import.meta.url)` becomes its own `require`, which is the CommonJS loader's
 * `createRequire` of that same file (loader/code-cache.ts compiles it so). Same values, same resolution.
 */
const META_URL = 'require("url").pathToFileURL(__filename).href';
const ownFile = {
  name: 'own-file',
  renderChunk(code, chunk) {
    const importName = (builtin) => code.match(new RegExp(`^let (\\w+) = require\\("node:${builtin}"\\);$`, 'm'))?.[1];
    let out = code;
    const url = importName('url');
    if (url !== undefined) out = out.replaceAll(`(0, ${url}.fileURLToPath)(${META_URL})`, '__filename');
    const module = importName('module');
    if (chunk.name === 'shared' && module !== undefined) out = out.replaceAll(`(0, ${module}.createRequire)(${META_URL})`, 'require');
    return out === code ? null : { code: out, map: null };
  },
};

/**
 * The chunks that require the shared code at its first use instead of as they load: in Node's hooks thread
 * the register only skips the program's preloads and loads koffi (with the early chunk), and secnode's async hooks need the
 * shared code only for their first module, so a thread that loads none never compiles it.
 */
const LAZY_SHARED = new Set(['register', 'hooks-async']);
const SHARED_DECL = /^const require_shared = (.+);$/m;
const lazyShared = {
  name: 'lazy-shared',
  renderChunk(code, chunk) {
    if (!LAZY_SHARED.has(chunk.name)) return null;
    if (!SHARED_DECL.test(code)) throw new Error(`${chunk.fileName}: no require of the shared chunk to defer`);
    // One line in place of one line: the source map's lines stay right (map: null keeps it).
    const out = code
      .replace(SHARED_DECL, (_, load) => `let secnodeShared; const sharedCode = () => secnodeShared ??= ${load};`)
      .replaceAll('require_shared.', 'sharedCode().');
    if (out.includes('require_shared')) throw new Error(`${chunk.fileName}: a use of the shared chunk left that is not a property read`);
    return { code: out, map: null };
  },
};

export default defineConfig({
  input: {
    register: 'loader/register.ts', 'code-cache': 'loader/code-cache.ts', install: 'loader/install.ts', 'hooks-async': 'loader/backends/hooks-async.ts',
    'hooks-verifier': 'loader/guards/hooks-verifier.ts', 'hooks-guard': 'loader/backends/hooks-guard.ts',
    ...Object.fromEntries(Object.entries(LAZY).map(([name, { entry }]) => [name, entry])),
  },
  platform: 'node',
  plugins: [hooksModules, ownFile, lazyShared],
  external: [/^node:/, 'koffi', 'source-map-support'],
  output: {
    dir: 'dist/loader',
    format: 'cjs',
    banner: (chunk) => (chunk.name === 'register' ? VERSION_GATE : ''),
    sourcemap: true,
    entryFileNames: '[name].cjs',
    chunkFileNames: '[name].cjs',
    // One shared file for everything the entries have in common: fewer files to load per process.
    // The code cache's reader and the kernel calls it needs first are their own small chunk: they run
    // before the shared code is compiled (from the cache they pick). So are the thread test and the patch
    // helper: the register in Node's hooks thread needs only them.
    codeSplitting: { groups: [{ name: 'early', test: (id) => /[\\/](loader[\\/](code-cache|thread|guards[\\/]patch)|src[\\/](kernel|constants|mounts|own-fs))\.ts$/.test(id), priority: 2 }, { name: 'shared', priority: 1, test: (id) => /[\\/](src|loader)[\\/]/.test(id) && !ENTRIES.test(id) && !Object.values(LAZY).some((l) => l.modules.test(id)) }] },
  },
  logLevel: 'warn',
  checks: { pluginTimings: false },
});
