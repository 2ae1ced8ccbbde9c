// The verdict on every Node option and every environment variable Node (or what it links) acts on,
// classified by hand. The rule: unsafe when it makes Node load or run code that secnode cannot check
// (a file out of its sight: governed by RF), or run inline code or open the inspector (governed by DI).
// `early` marks what Node acts on before any preload runs: only the launcher can stop those.
// test/unit/options-table.test.ts fails when a supported Node version knows a name that is not here.

/** Which enforcement refuses an entry: file (RF), interactive (DI), either (`any`), or none (safe). */
export type Governs = 'file' | 'interactive' | 'any';

/** A verdict: who refuses it (null: safe), whether Node acts on it before preloads, and why. */
export interface Verdict {
  readonly governs: Governs | null;
  readonly early: boolean;
  readonly why: string;
}

const v = (governs: Governs | null, early: boolean, why: string): Verdict => ({ governs, early, why });

// Unsafe options.
const INSPECTOR = v('interactive', true, 'the inspector runs code sent over its socket, and opens before any preload can refuse it');
const LOADER = v('file', false, 'loader modules run in Node\'s hooks thread, where secnode cannot check what they load');
const SNAPSHOT = v('file', true, 'a snapshot holds code that Node builds or runs without preloads or checks');
const SEA = v('file', true, 'a single executable application is built and its main run in C++, without preloads or checks');
const RUN = v('any', true, '--run runs a package.json script through /bin/sh, without secnode');
const CONFIG = v('any', true, 'a config file sets Node options (preloads, loaders, the inspector) before secnode runs');
const OPENSSL = v('file', true, 'OpenSSL loads the providers, engines and modules a configuration names, as shared objects, before any preload');
const FIPS = v('file', true, 'OpenSSL loads its FIPS provider, a shared object, from its module directory before any preload');
const POLICY = v('file', false, 'a policy manifest changes how Node loads modules, out of secnode\'s sight');
const NETWORK = v('file', false, 'code fetched over the network cannot be checked');
const INTERNALS = v('any', false, 'Node\'s internal modules bypass secnode\'s guards');
const VFS = v('file', false, 'a virtual file system serves module files from memory or archives: there is no file for the kernel to check');
const ENTRY_URL = v('interactive', false, 'the entry may be a data: URL, inline code that no check can see');

// Safe options, grouped by why they are safe.
const SAFE = v(null, false, 'loads and runs no code');
const PRELOAD = v(null, false, 'a preload is a code file: secnode checks it like any other (data: and http(s): preloads are inline code, refused under DI)');
const START = v(null, false, 'inline code or the REPL as the start input: secnode\'s start-input gate refuses it under DI (ERR_SECNODE_INTERACTIVE_DENIED)');
const CHECKED = v(null, false, 'what it loads goes through Node\'s module loader, where secnode checks every file');
const GATED = v(null, false, 'the API it enables passes through one of secnode\'s guards');
const INSPECTOR_PART = v(null, false, 'configures an inspector that is refused under DI; opens nothing by itself');
const CHILDREN = v(null, false, 'the processes it starts inherit NODE_OPTIONS, so secnode runs first in each');
const DATA = v(null, false, 'reads data, not code');
const V8 = v(null, false, 'a V8 setting: loads and runs no code');
const NOOP = v(null, false, 'accepted and ignored by Node');
const INFO = v(null, false, 'prints information and exits');
const ENV_FILE = v(null, true, 'Node applies the file\'s variables before any preload: the launcher reads them like the environment, and secnode gates the environment Node produced (at start-up and for every child)');
const NODE_SNAPSHOT = v(null, false, 'chooses Node\'s own built-in startup snapshot (part of the Node binary)');

let optionVerdictTable: Readonly<Record<string, Verdict>> | undefined;
/**
 * Every option of every supported Node version (canonical names and aliases), with its verdict. Built at first
 * use: reading a start's options (the preload list) needs only Node's facts, so a start that enforces nothing
 * never builds it.
 */
export function optionVerdicts(): Readonly<Record<string, Verdict>> {
  return optionVerdictTable ??= {
    '--abort-on-uncaught-exception': V8,
    '--addons': GATED,
    '--allow-addons': GATED,
    '--allow-child-process': SAFE,
    '--allow-ffi': SAFE,
    '--allow-fs-read': SAFE,
    '--allow-fs-vfs': SAFE,
    '--allow-fs-write': SAFE,
    '--allow-inspector': SAFE,
    '--allow-net': SAFE,
    '--allow-openssl-store': SAFE,
    '--allow-wasi': SAFE,
    '--allow-worker': SAFE,
    '--async-context-frame': SAFE,
    '--bench': CHILDREN,
    '--bench-isolation': CHILDREN,
    '--bench-name-pattern': SAFE,
    '--bench-reporter': CHECKED,
    '--bench-reporter-destination': SAFE,
    '--bench-samples': SAFE,
    '--bench-warmup': SAFE,
    '--build-sea': SEA,
    '--build-snapshot': SNAPSHOT,
    '--build-snapshot-config': SNAPSHOT,
    '--check': SAFE,
    '--completion-bash': INFO,
    '--conditions': SAFE,
    '--config-file': CONFIG,
    '--cpu-prof': SAFE,
    '--cpu-prof-dir': SAFE,
    '--cpu-prof-interval': SAFE,
    '--cpu-prof-name': SAFE,
    '--debug': INSPECTOR,
    '--debug-arraybuffer-allocations': SAFE,
    '--debug-brk': INSPECTOR,
    '--debug-port': INSPECTOR_PART,
    '--deprecation': SAFE,
    '--diagnostic-dir': SAFE,
    '--disable-proto': SAFE,
    '--disable-sigusr1': SAFE,
    '--disable-warning': SAFE,
    '--disable-wasm-trap-handler': SAFE,
    '--disallow-code-generation-from-strings': V8,
    '--dns-result-order': SAFE,
    '--enable-etw-stack-walking': V8,
    '--enable-fips': FIPS,
    '--enable-fips-indicator-events': SAFE,
    '--enable-network-family-autoselection': SAFE,
    '--enable-source-maps': DATA,
    '--entry-url': ENTRY_URL,
    '--env-file': ENV_FILE,
    '--env-file-if-exists': ENV_FILE,
    '--es-module-specifier-resolution': NOOP,
    '--eval': START,
    '--experimental-abortcontroller': NOOP,
    '--experimental-addon-modules': CHECKED,
    '--experimental-async-context-frame': SAFE,
    '--experimental-bench': CHILDREN,
    '--experimental-config-file': CONFIG,
    '--experimental-default-config-file': CONFIG,
    '--experimental-default-type': SAFE,
    '--experimental-detect-module': SAFE,
    '--experimental-dtls': NOOP,
    '--experimental-eventsource': SAFE,
    '--experimental-fetch': SAFE,
    '--experimental-ffi': GATED,
    '--experimental-global-customevent': SAFE,
    '--experimental-global-navigator': SAFE,
    '--experimental-global-webcrypto': SAFE,
    '--experimental-import-meta-resolve': SAFE,
    '--experimental-import-text': DATA,
    '--experimental-inspector-network-resource': INSPECTOR_PART,
    '--experimental-json-modules': NOOP,
    '--experimental-loader': LOADER,
    '--experimental-modules': NOOP,
    '--experimental-network-imports': NETWORK,
    '--experimental-network-inspection': INSPECTOR_PART,
    '--experimental-package-map': CHECKED,
    '--experimental-permission': SAFE,
    '--experimental-policy': POLICY,
    '--experimental-print-required-tla': SAFE,
    '--experimental-quic': NOOP,
    '--experimental-repl-await': SAFE,
    '--experimental-report': NOOP,
    '--experimental-require-module': SAFE,
    '--experimental-sea-config': SEA,
    '--experimental-shadow-realm': GATED,
    '--experimental-specifier-resolution': NOOP,
    '--experimental-sqlite': GATED,
    '--experimental-storage-inspection': INSPECTOR_PART,
    '--experimental-stream-iter': SAFE,
    '--experimental-strip-types': CHECKED,
    '--experimental-test-coverage': SAFE,
    '--experimental-test-isolation': CHILDREN,
    '--experimental-test-module-mocks': CHECKED,
    '--experimental-test-snapshots': NOOP,
    '--experimental-test-tag-filter': SAFE,
    '--experimental-top-level-await': NOOP,
    '--experimental-transform-types': CHECKED,
    '--experimental-vfs': VFS,
    '--experimental-vm-modules': GATED,
    '--experimental-wasi-unstable-preview1': NOOP,
    '--experimental-wasm-modules': CHECKED,
    '--experimental-web-worker': GATED,
    '--experimental-websocket': SAFE,
    '--experimental-webstorage': SAFE,
    '--experimental-worker': NOOP,
    '--experimental-worker-inspection': INSPECTOR_PART,
    '--expose-gc': V8,
    '--expose-internals': INTERNALS,
    '--extra-info-on-fatal-exception': SAFE,
    '--force-async-hooks-checks': SAFE,
    '--force-context-aware': SAFE,
    '--force-fips': FIPS,
    '--force-node-api-uncaught-exceptions-policy': SAFE,
    '--frozen-intrinsics': SAFE,
    '--global-search-paths': CHECKED,
    '--harmony-shadow-realm': GATED,
    '--heap-prof': SAFE,
    '--heap-prof-dir': SAFE,
    '--heap-prof-interval': SAFE,
    '--heap-prof-name': SAFE,
    '--heapsnapshot-near-heap-limit': SAFE,
    '--heapsnapshot-signal': SAFE,
    '--help': INFO,
    '--http-parser': NOOP,
    '--huge-max-old-generation-size': V8,
    '--icu-data-dir': DATA,
    '--import': PRELOAD,
    '--input-type': SAFE,
    '--insecure-http-parser': SAFE,
    '--inspect': INSPECTOR,
    '--inspect-brk': INSPECTOR,
    '--inspect-brk-node': INSPECTOR,
    '--inspect-port': INSPECTOR_PART,
    '--inspect-publish-uid': INSPECTOR_PART,
    '--inspect-wait': INSPECTOR,
    '--interactive': START,
    '--interpreted-frames-native-stack': V8,
    '--jitless': V8,
    '--loader': LOADER,
    '--localstorage-file': DATA,
    '--max-heap-size': V8,
    '--max-http-header-size': SAFE,
    '--max-old-space-size': V8,
    '--max-old-space-size-percentage': SAFE,
    '--max-semi-space-size': V8,
    '--napi-modules': NOOP,
    '--network-family-autoselection': SAFE,
    '--network-family-autoselection-attempt-timeout': SAFE,
    '--node-memory-debug': NOOP,
    '--node-snapshot': NODE_SNAPSHOT,
    '--openssl-config': OPENSSL,
    '--openssl-legacy-provider': v(null, false, 'OpenSSL\'s legacy provider is built into the Node binary: no shared object is loaded'),
    '--openssl-shared-config': v(null, false, 'selects a section of the system OpenSSL configuration, which the operator protects (OPENSSL_CONF and --openssl-config are refused)'),
    '--pending-deprecation': SAFE,
    '--perf-basic-prof': V8,
    '--perf-basic-prof-only-functions': V8,
    '--perf-prof': V8,
    '--perf-prof-unwinding-info': V8,
    '--permission': SAFE,
    '--permission-audit': SAFE,
    '--policy-integrity': POLICY,
    '--preserve-symlinks': CHECKED,
    '--preserve-symlinks-main': CHECKED,
    '--print': START,
    '--process-timeout': SAFE,
    '--prof': V8,
    '--prof-process': v(null, false, 'reads a V8 log as data with Node\'s own tick processor, after preloads'),
    '--redirect-warnings': SAFE,
    '--report-compact': SAFE,
    '--report-dir': SAFE,
    '--report-directory': SAFE,
    '--report-exclude-env': SAFE,
    '--report-exclude-network': SAFE,
    '--report-filename': SAFE,
    '--report-on-fatalerror': SAFE,
    '--report-on-process-timeout': SAFE,
    '--report-on-signal': SAFE,
    '--report-signal': SAFE,
    '--report-uncaught-exception': SAFE,
    '--require': PRELOAD,
    '--require-module': SAFE,
    '--run': RUN,
    '--secure-heap': SAFE,
    '--secure-heap-min': SAFE,
    '--security-revert': SAFE,
    '--security-reverts': SAFE,
    '--snapshot-blob': SNAPSHOT,
    '--stack-trace-limit': V8,
    '--strip-types': CHECKED,
    '--test': CHILDREN,
    '--test-concurrency': SAFE,
    '--test-coverage-branches': SAFE,
    '--test-coverage-exclude': SAFE,
    '--test-coverage-functions': SAFE,
    '--test-coverage-include': SAFE,
    '--test-coverage-include-all': SAFE,
    '--test-coverage-lines': SAFE,
    '--test-force-exit': SAFE,
    '--test-global-setup': CHECKED,
    '--test-isolation': CHILDREN,
    '--test-name-pattern': SAFE,
    '--test-only': SAFE,
    '--test-random-seed': SAFE,
    '--test-randomize': SAFE,
    '--test-reporter': CHECKED,
    '--test-reporter-destination': SAFE,
    '--test-rerun-failures': DATA,
    '--test-shard': SAFE,
    '--test-skip-pattern': SAFE,
    '--test-timeout': SAFE,
    '--test-udp-no-try-send': SAFE,
    '--test-update-snapshots': SAFE,
    '--throw-deprecation': SAFE,
    '--title': SAFE,
    '--tls-cipher-list': SAFE,
    '--tls-keylog': SAFE,
    '--tls-max-v1.2': SAFE,
    '--tls-max-v1.3': SAFE,
    '--tls-min-v1.0': SAFE,
    '--tls-min-v1.1': SAFE,
    '--tls-min-v1.2': SAFE,
    '--tls-min-v1.3': SAFE,
    '--trace-atomics-wait': SAFE,
    '--trace-deprecation': SAFE,
    '--trace-env': SAFE,
    '--trace-env-js-stack': SAFE,
    '--trace-env-native-stack': SAFE,
    '--trace-event-categories': SAFE,
    '--trace-event-file-pattern': SAFE,
    '--trace-events-enabled': SAFE,
    '--trace-exit': SAFE,
    '--trace-promises': SAFE,
    '--trace-require-module': SAFE,
    '--trace-sigint': SAFE,
    '--trace-sync-io': SAFE,
    '--trace-tls': SAFE,
    '--trace-uncaught': SAFE,
    '--trace-warnings': SAFE,
    '--track-heap-objects': SAFE,
    '--unhandled-rejections': SAFE,
    '--use-bundled-ca': DATA,
    '--use-env-proxy': SAFE,
    '--use-largepages': SAFE,
    '--use-openssl-ca': DATA,
    '--use-system-ca': DATA,
    '--v8-options': INFO,
    '--v8-pool-size': SAFE,
    '--verify-base-objects': SAFE,
    '--version': INFO,
    '--vfs-load': VFS,
    '--warnings': SAFE,
    '--watch': CHILDREN,
    '--watch-kill-signal': SAFE,
    '--watch-path': CHILDREN,
    '--watch-preserve-output': SAFE,
    '--webstorage': SAFE,
    '--worker-snapshot': NODE_SNAPSHOT,
    '--zero-fill-buffers': SAFE,
    '-C': SAFE,
    '-c': SAFE,
    '-e': START,
    '-h': INFO,
    '-i': START,
    '-p': START,
    '-pe': START,
    '-r': PRELOAD,
    '-v': INFO,
  };
}

/** Names on Node's command line (first non-option argument) that start a built-in program instead of a script. */
export const SUBCOMMAND_VERDICTS: Readonly<Record<string, Verdict>> = {
  inspect: v('interactive', true, '`node inspect` starts the program under the inspector (--inspect-brk) and drives it from a debugger prompt'),
};

/** How an environment variable is matched: its exact name, or a prefix of names. */
export interface EnvVerdict extends Verdict {
  readonly prefix: boolean;
  /** Under RF, neutralised (NODE_DISABLE_COMPILE_CACHE=1 set beside it) instead of refused. */
  readonly neutral: boolean;
}

const e = (verdict: Verdict, prefix = false, neutral = false): EnvVerdict => ({ ...verdict, prefix, neutral });
const LINKER = e(v('file', true, 'the dynamic linker loads shared objects or changes where it finds them before Node starts'), true);
const GLIBC = v('file', true, 'glibc loads code (gconv modules) or changes how the dynamic linker loads it');
const OPENSSL_ENV = e(v('file', true, 'OpenSSL reads its configuration, providers, engines and modules (shared objects) from OPENSSL_* variables before any preload'), true);
const SAFE_ENV = e(v(null, false, 'changes no code Node loads'));
const DATA_ENV = e(DATA);
const CHECKED_ENV = e(CHECKED);
const INSPECT_ENV = e(INSPECTOR_PART);

let envVerdictTable: Readonly<Record<string, EnvVerdict>> | undefined;
/** Environment variables: every one Node documents, and every one that makes Node or its libraries load code (built at first use). */
export function envVerdicts(): Readonly<Record<string, EnvVerdict>> {
  return envVerdictTable ??= {
    LD_: LINKER,
    GCONV_PATH: e(GLIBC),
    GLIBC_TUNABLES: e(GLIBC),
    OPENSSL_: OPENSSL_ENV,
    NODE_COMPILE_CACHE: e(v('file', true, 'Node\'s compile cache holds compiled code that Node runs in place of the files (secnode\'s own included) without any check'), false, true),
    NODE_REPL_EXTERNAL_MODULE: e(v('file', false, 'the module is loaded in place of the REPL')),
    NODE_OPTIONS: e(v(null, true, 'parsed as Node parses it: each option is classified like one on the command line')),
    FORCE_COLOR: SAFE_ENV,
    NO_COLOR: SAFE_ENV,
    NODE_DISABLE_COLORS: SAFE_ENV,
    NODE_DEBUG: SAFE_ENV,
    NODE_DEBUG_NATIVE: SAFE_ENV,
    NODE_NO_WARNINGS: SAFE_ENV,
    NODE_PENDING_DEPRECATION: SAFE_ENV,
    NODE_PENDING_PIPE_INSTANCES: SAFE_ENV,
    NODE_REDIRECT_WARNINGS: SAFE_ENV,
    NODE_SKIP_PLATFORM_CHECK: SAFE_ENV,
    NODE_TLS_REJECT_UNAUTHORIZED: SAFE_ENV,
    NODE_V8_COVERAGE: SAFE_ENV,
    NODE_REPL_HISTORY: DATA_ENV,
    NODE_REPL_HISTORY_SIZE: SAFE_ENV,
    NODE_REPL_MODE: SAFE_ENV,
    NODE_NO_READLINE: SAFE_ENV,
    NODE_EXTRA_CA_CERTS: DATA_ENV,
    NODE_ICU_DATA: DATA_ENV,
    NODE_PATH: CHECKED_ENV,
    NODE_PRESERVE_SYMLINKS: CHECKED_ENV,
    NODE_DISABLE_COMPILE_CACHE: SAFE_ENV,
    NODE_COMPILE_CACHE_PORTABLE: SAFE_ENV,
    NODE_COMPILE_CACHE_READONLY: SAFE_ENV,
    NODE_USE_ENV_PROXY: SAFE_ENV,
    NODE_USE_SYSTEM_CA: DATA_ENV,
    NODE_INSPECT_RESUME_ON_START: INSPECT_ENV,
    NODE_TEST_CONTEXT: SAFE_ENV,
    NODE_TEST_WORKER_ID: SAFE_ENV,
    NODE_UNIQUE_ID: SAFE_ENV,
    NODE_CLUSTER_SCHED_POLICY: SAFE_ENV,
    NODE_CHANNEL_FD: DATA_ENV,
    NODE_CHANNEL_SERIALIZATION_MODE: SAFE_ENV,
    NODE_RUN_SCRIPT_NAME: SAFE_ENV,
    NODE_RUN_PACKAGE_JSON_PATH: SAFE_ENV,
    HTTP_PROXY: SAFE_ENV,
    HTTPS_PROXY: SAFE_ENV,
    NO_PROXY: SAFE_ENV,
    SSL_CERT_DIR: DATA_ENV,
    SSL_CERT_FILE: DATA_ENV,
    TZ: DATA_ENV,
    UV_THREADPOOL_SIZE: SAFE_ENV,
    UV_USE_IO_URING: SAFE_ENV,
  };
}
