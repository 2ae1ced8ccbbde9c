/*
 * secnode / secnodectl: the static launcher (one binary, two names).
 *
 * Statically linked, so no dynamic linker runs before it and no LD_* variable has any effect on it.
 * It reads the securebits with prctl(PR_GET_SECUREBITS) and, when file or interactive enforcement is
 * on, gates everything Node acts on before any preload: environment variables (dynamic linker,
 * OpenSSL, compile cache, ...), options in argv and in NODE_OPTIONS (parsed as Node parses them),
 * and the `inspect` subcommand. Then it puts secnode's register first in NODE_OPTIONS and execs the
 * first `node` on PATH that is not itself; under enforcement only a real Node binary (an ELF file
 * defining napi_module_register, or linking libnode) is exec'd. With no enforcement it behaves
 * exactly like the former sh launcher (runtime/secnode.sh), LD_PRELOAD and the rest passed through.
 *
 * Invoked as `secnodectl`, it runs dist/runtime/secnodectl.js with no NODE_OPTIONS of its own (the
 * caller's is handed over as `--caller-node-options`), behind the same pre-start gate.
 *
 * The option and environment tables come from launcher-table.h (generated from src/options.ts).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher-table.h"

#define EXIT_REFUSED SN_EXIT_REFUSED /* from src/refusal.ts, through the table header */
#define EXIT_NOT_FOUND 127
#define SECBIT_RF 0x100u
#define SECBIT_DI 0x400u
#define NAME_MAX_LEN 256

extern char **environ;

/* The enforcement in force: the rule (bit or setting) that enforces each kind, or NULL. */
struct gate {
  const char *rf;
  const char *di;
};

/* Prints a start-up refusal (what, then a hint line; the format src/refusal.ts defines) and exits 126. */
static void __attribute__((noreturn)) refuse(const char *message, const char *code, const char *hint) {
  dprintf(2, SN_REFUSAL_FORMAT, message, code, hint);
  _exit(EXIT_REFUSED);
}

static void __attribute__((noreturn)) oom(void) {
  refuse("out of memory", "ERR_SECNODE_CHECK_UNAVAILABLE", "hint: retry");
}

/* The rule that refuses an entry with these flags under this gate, or NULL (RF first, as in ruleForOption). */
static const char *rule_for(unsigned flags, const struct gate *g) {
  if ((flags & SN_RF) && g->rf != NULL) return g->rf;
  if ((flags & SN_DI) && g->di != NULL) return g->di;
  return NULL;
}

/* Refuses an option or variable: the same two lines as loader/refuse.ts prints for ERR_SECNODE_OPTION_REFUSED
   (message, code and format generated from src/errors.ts and src/refusal.ts). */
static void __attribute__((noreturn)) refuse_entry(const char *what, const struct sn_entry *e, const char *rule, const char *hint) {
  const char *why = e->why != NULL ? e->why : "Node acts on it before secnode can check what it loads";
  int n = snprintf(NULL, 0, SN_OPTION_REFUSED_FORMAT, what, why, rule);
  if (n < 0) oom();
  char message[n + 1];
  snprintf(message, sizeof message, SN_OPTION_REFUSED_FORMAT, what, why, rule);
  refuse(message, SN_OPTION_REFUSED_CODE, hint);
}

/* True when the setting is present with any value but "0" in any of its occurrences (fail closed). */
static int forced(char **envp, const char *name) {
  size_t n = strlen(name);
  for (char **e = envp; *e != NULL; e++) {
    if (strncmp(*e, name, n) == 0 && (*e)[n] == '=' && strcmp(*e + n + 1, "0") != 0) return 1;
  }
  return 0;
}

static int cmp_entry(const void *key, const void *entry) {
  return strcmp((const char *)key, ((const struct sn_entry *)entry)->name);
}

/* The table entry for a normalized option name, or NULL. */
static const struct sn_entry *find_option(const char *name) {
  return bsearch(name, SN_OPTIONS, SN_OPTIONS_COUNT, sizeof SN_OPTIONS[0], cmp_entry);
}

/*
 * Checks one option token as Node reads it (the name before `=` for `--` names, `_` read as `-`; a
 * `--no-` negation only turns an option off, as in the table) and refuses it when enforcement governs it. Returns 1
 * when the option takes its value from the next token.
 */
static int check_option(const char *token, const struct gate *g) {
  char name[NAME_MAX_LEN];
  const char *eq = token[0] == '-' && token[1] == '-' ? strchr(token, '=') : NULL;
  size_t len = eq != NULL ? (size_t)(eq - token) : strlen(token);
  if (len >= sizeof name) return 0; /* longer than any option Node knows: Node rejects it or hands it to V8 */
  memcpy(name, token, len);
  name[len] = '\0';
  for (size_t i = 2; i < len; i++) {
    if (name[i] == '_') name[i] = '-';
  }
  const struct sn_entry *e = find_option(name);
  const char *rule = e != NULL ? rule_for(e->flags, g) : NULL;
  if (rule != NULL) refuse_entry(name, e, rule, SN_OPTION_REFUSED_HINT);
  return e != NULL && (e->flags & SN_VALUE) && eq == NULL;
}

/*
 * Checks Node's options in argv (up to the first positional or `--`, as Node's parser stops there;
 * options keep being read after `-e CODE`) and the `inspect` subcommand Node starts for that positional.
 */
static void check_argv(int argc, char **argv, const struct gate *g) {
  int i = 1;
  while (i < argc) {
    const char *a = argv[i];
    if (a[0] != '-' || a[1] == '\0') break;
    i++;
    if (strcmp(a, "--") == 0) break;
    /* Node takes the next token as the value unless it starts with '-' (then Node fails): check that one too. */
    if (check_option(a, g) && i < argc && argv[i][0] != '-') i++;
  }
  if (i < argc && strcmp(argv[i], "inspect") == 0 && g->di != NULL) {
    static const struct sn_entry inspect = { "inspect", SN_DI | SN_EARLY,
      "Node's debugger starts the program with --inspect-brk and runs code sent over the inspector socket" };
    refuse_entry("inspect (subcommand)", &inspect, g->di, "hint: do not use `inspect`, or run without enforcement");
  }
}

/*
 * Checks NODE_OPTIONS, split exactly as Node splits it (ParseNodeOptionsEnvVar): spaces separate
 * tokens outside strings, `"` opens and closes a string anywhere in a token, `\` escapes the next
 * character inside a string. Every token that starts with `-` is checked (Node fails on the others'
 * misuse anyway). A value Node cannot parse is refused.
 */
static void check_node_options(const char *s, const struct gate *g) {
  size_t n = strlen(s);
  char *token = malloc(n + 1);
  if (token == NULL) oom();
  size_t len = 0;
  int in_string = 0, invalid = 0;
  for (size_t i = 0; i <= n; i++) {
    char c = s[i];
    if (i == n || (c == ' ' && !in_string)) {
      token[len] = '\0';
      if (token[0] == '-' && token[1] != '\0') check_option(token, g);
      len = 0;
      continue;
    }
    if (c == '\\' && in_string) {
      if (i + 1 == n) {
        invalid = 1;
        break;
      }
      c = s[++i];
    } else if (c == '"') {
      in_string = !in_string;
      continue;
    }
    token[len++] = c;
  }
  free(token);
  if (invalid || in_string) {
    static const struct sn_entry bad = { "NODE_OPTIONS", SN_RF | SN_DI,
      "Node cannot parse it (unterminated string or invalid escape), and secnode does not guess what it holds" };
    refuse_entry("NODE_OPTIONS", &bad, g->rf != NULL ? g->rf : g->di, "hint: fix the quoting in NODE_OPTIONS");
  }
}

/* Whether an environment entry's name is the table's name (exact, or as a prefix with SN_PREFIX). */
static int env_matches(const char *entry, const struct sn_entry *e) {
  size_t n = strlen(e->name);
  if (strncmp(entry, e->name, n) != 0) return 0;
  return (e->flags & SN_PREFIX) || entry[n] == '=' || entry[n] == '\0';
}

/* Copies the name of an environment entry (up to `=`) for messages. */
static const char *env_name(const char *entry, char *buf, size_t size) {
  size_t len = strcspn(entry, "=");
  if (len >= size) len = size - 1;
  memcpy(buf, entry, len);
  buf[len] = '\0';
  return buf;
}

/* Refuses the environment's variables that load code before JavaScript; returns 1 when one is to be neutralised. */
static int check_env(char **envp, const struct gate *g) {
  int neutralise = 0;
  for (char **p = envp; *p != NULL; p++) {
    for (unsigned k = 0; k < SN_ENV_COUNT; k++) {
      const struct sn_entry *e = &SN_ENV[k];
      if (!env_matches(*p, e)) continue;
      const char *rule = rule_for(e->flags, g);
      if (rule == NULL) continue;
      if ((e->flags & SN_NEUTRAL) && g->rf != NULL) {
        neutralise = 1;
        continue;
      }
      char name[NAME_MAX_LEN], hint[NAME_MAX_LEN + 64];
      env_name(*p, name, sizeof name);
      snprintf(hint, sizeof hint, "hint: unset %s, or run without enforcement", name);
      refuse_entry(name, e, rule, hint);
    }
  }
  return neutralise;
}

/* --- Is this file a real Node binary? An ELF whose dynamic symbols define napi_module_register. --- */

struct image {
  const unsigned char *base;
  size_t size;
  const Elf64_Phdr *phdr;
  unsigned phnum;
};

/* A pointer to `len` bytes at file offset `off`, or NULL when out of bounds. */
static const void *at(const struct image *im, uint64_t off, uint64_t len) {
  if (off > im->size || len > im->size - off) return NULL;
  return im->base + off;
}

/* The file offset of a virtual address inside a PT_LOAD segment, or UINT64_MAX. */
static uint64_t vaddr_offset(const struct image *im, uint64_t vaddr) {
  for (unsigned i = 0; i < im->phnum; i++) {
    const Elf64_Phdr *ph = &im->phdr[i];
    if (ph->p_type == PT_LOAD && vaddr >= ph->p_vaddr && vaddr - ph->p_vaddr < ph->p_filesz) {
      return vaddr - ph->p_vaddr + ph->p_offset;
    }
  }
  return UINT64_MAX;
}

/* Whether symbol `i` of the table is a defined function named `name`. */
static int sym_is(const struct image *im, uint64_t symtab, uint64_t strtab, uint64_t strsz, uint32_t i, const char *name) {
  const Elf64_Sym *sym = at(im, symtab + (uint64_t)i * sizeof(Elf64_Sym), sizeof(Elf64_Sym));
  if (sym == NULL || sym->st_shndx == SHN_UNDEF || ELF64_ST_TYPE(sym->st_info) != STT_FUNC) return 0;
  size_t need = strlen(name) + 1;
  if (sym->st_name >= strsz || strsz - sym->st_name < need) return 0;
  const char *s = at(im, strtab + sym->st_name, need);
  return s != NULL && memcmp(s, name, need) == 0;
}

static int gnu_lookup(const struct image *im, uint64_t hash, uint64_t symtab, uint64_t strtab, uint64_t strsz, const char *name) {
  const uint32_t *hdr = at(im, hash, 16);
  if (hdr == NULL || hdr[0] == 0) return 0;
  uint32_t nbuckets = hdr[0], symoffset = hdr[1], bloom_size = hdr[2];
  uint64_t buckets = hash + 16 + (uint64_t)bloom_size * 8, chain = buckets + (uint64_t)nbuckets * 4;
  uint32_t h = 5381;
  for (const unsigned char *c = (const unsigned char *)name; *c; c++) h = h * 33 + *c;
  const uint32_t *bucket = at(im, buckets + (uint64_t)(h % nbuckets) * 4, 4);
  if (bucket == NULL || *bucket < symoffset) return 0;
  for (uint32_t i = *bucket; i - symoffset < 1u << 24; i++) {
    const uint32_t *ch = at(im, chain + (uint64_t)(i - symoffset) * 4, 4);
    if (ch == NULL) return 0;
    if ((*ch | 1) == (h | 1) && sym_is(im, symtab, strtab, strsz, i, name)) return 1;
    if (*ch & 1) return 0;
  }
  return 0;
}

static int sysv_lookup(const struct image *im, uint64_t hash, uint64_t symtab, uint64_t strtab, uint64_t strsz, const char *name) {
  const uint32_t *hdr = at(im, hash, 8);
  if (hdr == NULL || hdr[0] == 0) return 0;
  uint32_t nbucket = hdr[0], nchain = hdr[1], h = 0;
  for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
    h = (h << 4) + *c;
    uint32_t g = h & 0xf0000000u;
    if (g) h ^= g >> 24;
    h &= ~g;
  }
  const uint32_t *b = at(im, hash + 8 + (uint64_t)(h % nbucket) * 4, 4);
  uint32_t steps = 0;
  for (uint32_t i = b != NULL ? *b : 0; i != 0 && i < nchain && steps < nchain; steps++) {
    if (sym_is(im, symtab, strtab, strsz, i, name)) return 1;
    const uint32_t *c = at(im, hash + 8 + (uint64_t)nbucket * 4 + (uint64_t)i * 4, 4);
    if (c == NULL) return 0;
    i = *c;
  }
  return 0;
}

/* NULL when the open file is a 64-bit ELF executable that defines napi_module_register (or links libnode.so.N), else why not. */
static const char *not_node(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return "cannot stat it";
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  if ((uint64_t)st.st_size < sizeof(Elf64_Ehdr)) return "not an ELF file";
  void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) return "cannot map it";
  struct image im = { map, (size_t)st.st_size, NULL, 0 };
  const char *why = "not a Node.js binary (its dynamic symbols do not define napi_module_register)";
  const Elf64_Ehdr *eh = map;
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
      (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) || eh->e_phentsize != sizeof(Elf64_Phdr)) {
    why = "not a 64-bit ELF executable";
    goto out;
  }
  im.phdr = at(&im, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr));
  im.phnum = im.phdr != NULL ? eh->e_phnum : 0;
  for (unsigned i = 0; i < im.phnum; i++) {
    if (im.phdr[i].p_type != PT_DYNAMIC) continue;
    const Elf64_Dyn *dyn = at(&im, im.phdr[i].p_offset, im.phdr[i].p_filesz);
    if (dyn == NULL) break;
    uint64_t symtab = 0, strtab = 0, strsz = 0, gnu = 0, sysv = 0;
    size_t count = im.phdr[i].p_filesz / sizeof(Elf64_Dyn);
    for (size_t k = 0; k < count && dyn[k].d_tag != DT_NULL; k++) {
      uint64_t v = dyn[k].d_un.d_val;
      switch (dyn[k].d_tag) {
        case DT_SYMTAB: symtab = vaddr_offset(&im, v); break;
        case DT_STRTAB: strtab = vaddr_offset(&im, v); break;
        case DT_STRSZ: strsz = v; break;
        case DT_GNU_HASH: gnu = vaddr_offset(&im, v); break;
        case DT_HASH: sysv = vaddr_offset(&im, v); break;
        default: break;
      }
    }
    if (symtab == 0 || strtab == 0 || symtab == UINT64_MAX || strtab == UINT64_MAX) break;
    if ((gnu != 0 && gnu != UINT64_MAX && gnu_lookup(&im, gnu, symtab, strtab, strsz, "napi_module_register")) ||
        (sysv != 0 && sysv != UINT64_MAX && sysv_lookup(&im, sysv, symtab, strtab, strsz, "napi_module_register"))) {
      why = NULL;
    }
    /* Distributions' node links Node itself as a shared library (libnode.so.N): the symbol lives there. */
    for (size_t k = 0; why != NULL && k < count && dyn[k].d_tag != DT_NULL; k++) {
      const char *needed = dyn[k].d_tag == DT_NEEDED && dyn[k].d_un.d_val < strsz ? at(&im, strtab + dyn[k].d_un.d_val, 12) : NULL;
      if (needed != NULL && memcmp(needed, "libnode.so.", 11) == 0) why = NULL;
    }
    break;
  }
out:
  munmap(map, (size_t)st.st_size);
  return why;
}

/* --- Finding node on PATH, as the sh launcher did. --- */

struct found {
  char *first; /* the first executable regular `node` on PATH */
  char *real;  /* the first one that is not this launcher */
};

static char *join_node(const char *dir, size_t len) {
  if (len == 0) {
    dir = ".";
    len = 1;
  }
  char *p = malloc(len + sizeof "/node");
  if (p == NULL) return NULL;
  memcpy(p, dir, len);
  memcpy(p + len, "/node", sizeof "/node");
  return p;
}

/* PATH split on ':' like the shell's field splitting (an empty field is ".", a trailing empty one dropped). */
static struct found find_node(const char *path, const struct stat *self) {
  struct found f = { NULL, NULL };
  const char *p = path;
  while (*p != '\0') {
    const char *end = strchrnul(p, ':');
    char *cand = join_node(p, (size_t)(end - p));
    struct stat st;
    if (cand != NULL && stat(cand, &st) == 0 && S_ISREG(st.st_mode) && faccessat(AT_FDCWD, cand, X_OK, AT_EACCESS) == 0) {
      if (f.first == NULL) f.first = cand;
      if (st.st_dev != self->st_dev || st.st_ino != self->st_ino) {
        f.real = cand;
        return f;
      }
    }
    if (cand != f.first) free(cand);
    if (*end == '\0') break;
    p = end + 1;
  }
  return f;
}

/* --- The environment Node gets. --- */

/* `--require "<register>"`, quoted as loader/self-first.ts REQUIRE_SELF quotes it. */
static char *require_self(const char *register_file) {
  size_t n = strlen(register_file);
  char *out = malloc(sizeof "--require \"\"" + 2 * n);
  if (out == NULL) return NULL;
  char *w = stpcpy(out, "--require \"");
  for (const char *c = register_file; *c; c++) {
    if (*c == '\\' || *c == '"') *w++ = '\\';
    *w++ = *c;
  }
  strcpy(w, "\"");
  return out;
}

/* The first value of a variable (getenv's answer, which is what Node reads), or NULL. */
static const char *first_value(char **envp, const char *name) {
  size_t n = strlen(name);
  for (char **e = envp; *e != NULL; e++) {
    if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
  }
  return NULL;
}

/* envp without `drop1`/`drop2` (every occurrence), with `add1`/`add2` appended (when not NULL). */
static char **edit_env(char **envp, const char *drop1, const char *drop2, char *add1, char *add2) {
  size_t count = 0;
  while (envp[count] != NULL) count++;
  char **out = malloc((count + 3) * sizeof *out);
  if (out == NULL) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < count; i++) {
    const char *e = envp[i];
    int drop = 0;
    for (const char *d = drop1; d != NULL; d = d == drop1 ? drop2 : NULL) {
      size_t n = strlen(d);
      if (strncmp(e, d, n) == 0 && e[n] == '=') drop = 1;
    }
    if (!drop) out[k++] = envp[i];
  }
  if (add1 != NULL) out[k++] = add1;
  if (add2 != NULL) out[k++] = add2;
  out[k] = NULL;
  return out;
}

static char *concat(const char *a, const char *b, const char *c) {
  size_t na = strlen(a), nb = strlen(b), nc = strlen(c);
  char *out = malloc(na + nb + nc + 1);
  if (out == NULL) return NULL;
  memcpy(out, a, na);
  memcpy(out + na, b, nb);
  memcpy(out + na + nb, c, nc + 1);
  return out;
}

int main(int argc, char **argv) {
  char **envp = environ;
  const char *arg0 = argc > 0 ? argv[0] : "secnode";
  const char *slash = strrchr(arg0, '/');
  int ctl = strcmp(slash != NULL ? slash + 1 : arg0, "secnodectl") == 0;

  /* Where secnode is installed: this binary is <dist>/runtime/secnode. */
  char exe[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  struct stat self;
  if (len <= 0 || stat("/proc/self/exe", &self) != 0) {
    refuse("cannot find its own file through /proc/self/exe (is /proc mounted?)", "ERR_SECNODE_CHECK_UNAVAILABLE",
      "hint: mount /proc, or run node with --require secnode/register");
  }
  exe[len] = '\0';
  char *cut = strrchr(exe, '/');
  if (cut != NULL) *cut = '\0';
  cut = strrchr(exe, '/');
  if (cut != NULL) *cut = '\0';
  const char *dist = exe;

  /* The securebits, from the kernel: nothing in the environment can redirect this. */
  int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
  if (bits < 0) {
    char message[160];
    snprintf(message, sizeof message, "cannot read the securebits: prctl(PR_GET_SECUREBITS) failed: %s", strerror(errno));
    refuse(message, "ERR_SECNODE_CHECK_UNAVAILABLE", "hint: secnode refuses to start when it cannot tell the policy");
  }
  struct gate g = {
    (unsigned)bits & SECBIT_RF ? "SECBIT_EXEC_RESTRICT_FILE" : forced(envp, "SECNODE_RESTRICT_FILE") ? "SECNODE_RESTRICT_FILE" : NULL,
    (unsigned)bits & SECBIT_DI ? "SECBIT_EXEC_DENY_INTERACTIVE" : forced(envp, "SECNODE_DENY_INTERACTIVE") ? "SECNODE_DENY_INTERACTIVE" : NULL,
  };
  int enforcing = g.rf != NULL || g.di != NULL;

  /* The pre-start gate: before Node (and its dynamic linker, OpenSSL, inspector, compile cache) starts. */
  int neutralise = 0;
  const char *caller_options = first_value(envp, "NODE_OPTIONS");
  if (enforcing) {
    neutralise = check_env(envp, &g);
    if (caller_options != NULL) check_node_options(caller_options, &g);
    if (!ctl) check_argv(argc, argv, &g);
  }

  /* An unset PATH is the shell's default, as the sh launcher saw it. */
  const char *path = first_value(envp, "PATH");
  struct found f = find_node(path != NULL ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", &self);
  if (f.real == NULL) {
    dprintf(2, "secnode: no node binary on PATH\n");
    return EXIT_NOT_FOUND;
  }
  int fd = -1;
  if (enforcing) {
    /* Only a real Node binary: the file checked is the file exec'd (through the same descriptor). */
    char *resolved = realpath(f.real, NULL);
    fd = resolved != NULL ? open(resolved, O_RDONLY | O_CLOEXEC) : -1;
    const char *why = fd < 0 ? strerror(errno) : not_node(fd);
    if (why != NULL) {
      char message[PATH_MAX * 2 + 256];
      snprintf(message, sizeof message, "refused to run %s%s%s: %s (enforced by %s)", f.real,
        resolved != NULL && strcmp(resolved, f.real) != 0 ? " -> " : "", resolved != NULL && strcmp(resolved, f.real) != 0 ? resolved : "",
        why, g.rf != NULL ? g.rf : g.di);
      refuse(message, "ERR_SECNODE_EXEC_DENIED", "hint: put the directory of the real node binary first on PATH");
    }
    free(resolved);
  }

  /* argv and environment for Node. */
  char **args = malloc(((size_t)argc + 4) * sizeof *args);
  if (args == NULL) oom();
  size_t k = 0;
  args[k++] = strcmp(f.first, f.real) == 0 ? "node" : f.real;
  char **env;
  char *disable = neutralise || g.rf != NULL ? "NODE_DISABLE_COMPILE_CACHE=1" : NULL;
  if (ctl) {
    args[k++] = concat(dist, "/runtime/secnodectl.js", "");
    if (caller_options != NULL) {
      args[k++] = "--caller-node-options";
      args[k++] = (char *)caller_options;
    }
    for (int i = 1; i < argc; i++) args[k++] = argv[i];
    env = edit_env(envp, "NODE_OPTIONS", disable != NULL ? "NODE_DISABLE_COMPILE_CACHE" : NULL, disable, NULL);
  } else {
    char *register_file = concat(dist, "/loader/register.cjs", "");
    char *first = register_file != NULL ? require_self(register_file) : NULL;
    if (first == NULL) oom();
    size_t fl = strlen(first);
    const char *o = caller_options;
    char *options;
    if (o != NULL && strncmp(o, first, fl) == 0 && (o[fl] == '\0' || o[fl] == ' ')) options = concat("NODE_OPTIONS=", o, "");
    else if (o == NULL || o[0] == '\0') options = concat("NODE_OPTIONS=", first, "");
    else {
      char *head = concat("NODE_OPTIONS=", first, " ");
      options = head != NULL ? concat(head, o, "") : NULL;
    }
    for (int i = 1; i < argc; i++) args[k++] = argv[i];
    env = options != NULL ? edit_env(envp, "NODE_OPTIONS", disable != NULL ? "NODE_DISABLE_COMPILE_CACHE" : NULL, options, disable) : NULL;
  }
  args[k] = NULL;
  if (env == NULL || args[ctl ? 1 : 0] == NULL) oom();

  if (fd >= 0) {
    /* The very file that was verified, through its descriptor: execve of /proc/self/fd/N (a plain execve,
       so tools that trace or fault-inject execveat, the exec check's own syscall, see only the check);
       execveat(fd, "", AT_EMPTY_PATH) where /proc is not mounted. */
    char self_fd[32];
    snprintf(self_fd, sizeof self_fd, "/proc/self/fd/%d", fd);
    execve(self_fd, args, env);
    if (errno == ENOENT) syscall(SYS_execveat, fd, "", args, env, AT_EMPTY_PATH);
  } else {
    execve(f.real, args, env);
  }
  dprintf(2, "secnode: cannot execute %s: %s\n", f.real, strerror(errno));
  return EXIT_REFUSED;
}
