/* launcher-table.fallback.h: hand-made stand-in for the generated dist/runtime/launcher-table.h (same format),
 * holding src/options.ts as of the launcher branch plus the environment variables; used only when the
 * generator dist/runtime/launcher-table.js is absent. */
#define SN_VALUE  0x01  /* option takes a value: "--opt value" (or "--opt=value") */
#define SN_RF     0x02  /* refused when file enforcement is on (RF bit or SECNODE_RESTRICT_FILE=1) */
#define SN_DI     0x04  /* refused when interactive enforcement is on (DI bit or SECNODE_DENY_INTERACTIVE=1) */
#define SN_EARLY  0x08  /* Node acts on it before any preload runs (only the launcher can stop it) */
#define SN_NEUTRAL 0x10 /* env only: under RF the launcher neutralises it instead of refusing */
#define SN_PREFIX 0x20  /* env only: the name is a prefix (e.g. "LD_") */
struct sn_entry { const char *name; unsigned flags; const char *why; };
static const struct sn_entry SN_OPTIONS[] = {
  { "--build-sea", SN_VALUE|SN_RF|SN_EARLY, "a single executable application is built from a main script and snapshot that no check sees" },
  { "--build-snapshot", SN_RF|SN_EARLY, "a snapshot holds code that Node builds or runs without preloads or checks" },
  { "--build-snapshot-config", SN_VALUE|SN_RF|SN_EARLY, "a snapshot holds code that Node builds or runs without preloads or checks" },
  { "--conditions", SN_VALUE, NULL },
  { "--config-file", SN_VALUE|SN_RF|SN_DI|SN_EARLY, "a config file sets Node options (preloads, loaders, the inspector) before secnode runs" },
  { "--debug-port", SN_VALUE, NULL },
  { "--disable-warning", SN_VALUE, NULL },
  { "--env-file", SN_VALUE, NULL },
  { "--env-file-if-exists", SN_VALUE, NULL },
  { "--eval", SN_VALUE, NULL },
  { "--experimental-config-file", SN_VALUE|SN_RF|SN_DI|SN_EARLY, "a config file sets Node options (preloads, loaders, the inspector) before secnode runs" },
  { "--experimental-default-config-file", SN_RF|SN_DI|SN_EARLY, "a config file sets Node options (preloads, loaders, the inspector) before secnode runs" },
  { "--experimental-default-type", SN_VALUE, NULL },
  { "--experimental-loader", SN_VALUE|SN_RF, "loader modules run in Node's hooks thread, where secnode cannot check what they load" },
  { "--experimental-network-imports", SN_RF, "code fetched over the network cannot be checked" },
  { "--experimental-policy", SN_VALUE|SN_RF, "a policy manifest changes how Node loads modules, out of secnode's sight" },
  { "--experimental-sea-config", SN_VALUE|SN_RF|SN_EARLY, "a single executable application is built from a main script and snapshot that no check sees" },
  { "--expose-internals", SN_RF|SN_DI, "Node's internal modules bypass secnode's guards" },
  { "--import", SN_VALUE, NULL },
  { "--input-type", SN_VALUE, NULL },
  { "--inspect", SN_DI|SN_EARLY, "the inspector runs code sent over its socket, and opens before any check can run" },
  { "--inspect-brk", SN_DI|SN_EARLY, "the inspector runs code sent over its socket, and opens before any check can run" },
  { "--inspect-brk-node", SN_DI|SN_EARLY, "the inspector runs code sent over its socket, and opens before any check can run" },
  { "--inspect-port", SN_VALUE, NULL },
  { "--inspect-wait", SN_DI|SN_EARLY, "the inspector runs code sent over its socket, and opens before any check can run" },
  { "--loader", SN_VALUE|SN_RF, "loader modules run in Node's hooks thread, where secnode cannot check what they load" },
  { "--openssl-config", SN_VALUE|SN_RF|SN_EARLY, "OpenSSL loads the providers, engines and modules a configuration names before any check can run" },
  { "--policy-integrity", SN_VALUE|SN_RF, "a policy manifest changes how Node loads modules, out of secnode's sight" },
  { "--print", SN_VALUE, NULL },
  { "--redirect-warnings", SN_VALUE, NULL },
  { "--require", SN_VALUE, NULL },
  { "--run", SN_VALUE|SN_RF|SN_EARLY, "--run runs a package.json script through the shell, with no preload" },
  { "--snapshot-blob", SN_VALUE|SN_RF|SN_EARLY, "a snapshot holds code that Node builds or runs without preloads or checks" },
  { "--test-name-pattern", SN_VALUE, NULL },
  { "--test-reporter", SN_VALUE, NULL },
  { "--test-reporter-destination", SN_VALUE, NULL },
  { "--test-skip-pattern", SN_VALUE, NULL },
  { "--title", SN_VALUE, NULL },
  { "--vfs-load", SN_VALUE|SN_RF|SN_EARLY, "Node 26 mounts a directory or archive and runs its entry, out of secnode's sight" },
  { "--watch-path", SN_VALUE, NULL },
  { "-C", SN_VALUE, NULL },
  { "-e", SN_VALUE, NULL },
  { "-p", SN_VALUE, NULL },
  { "-pe", SN_VALUE, NULL },
  { "-r", SN_VALUE, NULL },
};
static const unsigned SN_OPTIONS_COUNT = 45;
static const struct sn_entry SN_ENV[] = {
  { "LD_", SN_RF|SN_EARLY|SN_PREFIX, "the dynamic linker loads or changes the libraries of node before any check can run" },
  { "GCONV_PATH", SN_RF|SN_EARLY, "glibc loads character-set modules from this path" },
  { "GLIBC_TUNABLES", SN_RF|SN_EARLY, "glibc's tunables change the dynamic linker and allocator before any check can run" },
  { "OPENSSL_CONF", SN_RF|SN_EARLY, "OpenSSL loads the providers, engines and modules a configuration names before any check can run" },
  { "OPENSSL_CONF_INCLUDE", SN_RF|SN_EARLY, "OpenSSL loads the providers, engines and modules a configuration names before any check can run" },
  { "OPENSSL_MODULES", SN_RF|SN_EARLY, "OpenSSL loads the providers, engines and modules a configuration names before any check can run" },
  { "OPENSSL_ENGINES", SN_RF|SN_EARLY, "OpenSSL loads the providers, engines and modules a configuration names before any check can run" },
  { "NODE_REPL_EXTERNAL_MODULE", SN_RF, "Node loads this module in place of the REPL, out of secnode's sight" },
  { "NODE_COMPILE_CACHE", SN_RF|SN_EARLY|SN_NEUTRAL, "a compile cache entry is code that Node loads without any check, secnode's own bundle included" },
};
static const unsigned SN_ENV_COUNT = 9;
