/*
 * secnode / secnodectl: the static launcher (one binary, two names).
 *
 * Statically linked, so no dynamic linker runs before it and no LD_* variable has any effect on it.
 * It reads the securebits with prctl(PR_GET_SECUREBITS) and, when file or interactive enforcement is
 * on, gates everything Node acts on before any preload: environment variables (dynamic linker,
 * OpenSSL, compile cache, ...), options in argv and in NODE_OPTIONS (parsed as Node parses them),
 * the `inspect` subcommand and env files. Then it puts secnode's register first in NODE_OPTIONS and execs
 * Node: with no enforcement the first `node` on PATH that is not itself, exactly like the former sh launcher
 * (runtime/secnode.sh), LD_PRELOAD and the rest passed through; under enforcement only a Node binary the operator
 * pinned (dist/runtime/pinned-node, written by the build, the install or `secnodectl pin-node`), exec'd through
 * the descriptor it verified.
 *
 * Invoked as `secnodectl`, it runs dist/runtime/secnodectl.js behind the same pre-start gate and with the same
 * choice of Node; the caller's NODE_OPTIONS is handed over as `--caller-node-options`.
 *
 * The option and environment tables come from launcher-table.h (generated from src/options.ts).
 */
#define _GNU_SOURCE
#include <dirent.h>
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
#include <sys/statvfs.h>
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

/* --- Reading a whole small file from a descriptor. --- */

#define FILE_MAX (64u << 20)

/* The bytes of the open regular file `fd` (NUL-terminated, at most FILE_MAX), or NULL with errno set. */
static char *read_all(int fd, size_t *size) {
  size_t cap = 8192, len = 0;
  char *buf = malloc(cap + 1);
  if (buf == NULL) return NULL;
  for (;;) {
    if (len == cap) {
      if (cap >= FILE_MAX) {
        free(buf);
        errno = EFBIG;
        return NULL;
      }
      cap *= 2;
      char *next = realloc(buf, cap + 1);
      if (next == NULL) {
        free(buf);
        return NULL;
      }
      buf = next;
    }
    ssize_t r = read(fd, buf + len, cap - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      free(buf);
      return NULL;
    }
    if (r == 0) break;
    len += (size_t)r;
  }
  buf[len] = '\0';
  *size = len;
  return buf;
}

/* --- The Node the operator pinned for enforcement (<dist>/runtime/SN_PIN_FILE). --- */

#define PINS_MAX 64

/* The pinned Node binaries: absolute paths, one a line, and the identity (device, inode) of each that exists. */
struct pins {
  char path_of_file[PATH_MAX];
  unsigned count;
  char *path[PINS_MAX];
  dev_t dev[PINS_MAX];
  ino_t ino[PINS_MAX];
  int exists[PINS_MAX];
};

/*
 * Reads the pin file, trusted only when the install's owner (the owner of this launcher, or root) owns it and
 * nobody else may write it. Returns NULL, or why it cannot be used.
 */
static const char *read_pins(const char *dist, const struct stat *self, struct pins *p) {
  snprintf(p->path_of_file, sizeof p->path_of_file, "%s/runtime/%s", dist, SN_PIN_FILE);
  p->count = 0;
  int fd = open(p->path_of_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return errno == ENOENT ? "no Node is pinned (the file does not exist)" : strerror(errno);
  struct stat st;
  const char *why = NULL;
  size_t size = 0;
  char *text = NULL;
  if (fstat(fd, &st) != 0) why = strerror(errno);
  else if (!S_ISREG(st.st_mode)) why = "not a regular file";
  else if (st.st_uid != 0 && st.st_uid != self->st_uid) why = "owned by a user other than the install's owner or root";
  else if (st.st_mode & (S_IWGRP | S_IWOTH)) why = "writable by group or others";
  else if ((text = read_all(fd, &size)) == NULL) why = strerror(errno);
  close(fd);
  if (why != NULL) return why;
  for (char *line = text, *next; line != NULL && *line != '\0'; line = next) {
    next = strchr(line, '\n');
    if (next != NULL) *next++ = '\0';
    if (line[0] == '\0' || line[0] == '#') continue;
    if (line[0] != '/') return "holds a line that is not an absolute path";
    if (p->count == PINS_MAX) return "holds more than 64 Node binaries";
    struct stat ps;
    unsigned k = p->count++;
    p->path[k] = line;
    p->exists[k] = stat(line, &ps) == 0;
    p->dev[k] = p->exists[k] ? ps.st_dev : 0;
    p->ino[k] = p->exists[k] ? ps.st_ino : 0;
  }
  return p->count == 0 ? "names no Node binary" : NULL;
}

/* Whether the open file is one of the pinned Node binaries (same device and inode). */
static int is_pinned(const struct pins *p, const struct stat *st) {
  for (unsigned k = 0; k < p->count; k++) {
    if (p->exists[k] && p->dev[k] == st->st_dev && p->ino[k] == st->st_ino) return 1;
  }
  return 0;
}

/* The pinned Node binaries, comma-separated, for messages. */
static void pins_words(const struct pins *p, char *buf, size_t size) {
  size_t len = 0;
  buf[0] = '\0';
  for (unsigned k = 0; k < p->count && len < size; k++) {
    int n = snprintf(buf + len, size - len, "%s%s", k > 0 ? ", " : "", p->path[k]);
    if (n < 0) break;
    len += (size_t)n;
  }
}

/* --- Env files (--env-file, --env-file-if-exists): read as Node reads them, for their NODE_OPTIONS. --- */

/* The entries of env files, "KEY=VALUE" (later ones win), in the order Node stores them. */
struct env_file {
  char **entries;
  size_t count;
  size_t cap;
};

/* Adds or replaces KEY=VALUE. */
static void env_file_set(struct env_file *ef, const char *key, size_t klen, const char *value, size_t vlen) {
  char *entry = malloc(klen + vlen + 2);
  if (entry == NULL) oom();
  memcpy(entry, key, klen);
  entry[klen] = '=';
  memcpy(entry + klen + 1, value, vlen);
  entry[klen + vlen + 1] = '\0';
  for (size_t i = 0; i < ef->count; i++) {
    if (strncmp(ef->entries[i], entry, klen + 1) == 0) {
      free(ef->entries[i]);
      ef->entries[i] = entry;
      return;
    }
  }
  if (ef->count + 1 >= ef->cap) {
    ef->cap = ef->cap == 0 ? 16 : ef->cap * 2;
    ef->entries = realloc(ef->entries, ef->cap * sizeof *ef->entries);
    if (ef->entries == NULL) oom();
  }
  ef->entries[ef->count++] = entry;
  ef->entries[ef->count] = NULL;
}

/* [s, s+*len) without leading and trailing spaces (spaces only, as Node trims). */
static const char *trim_spaces(const char *s, size_t *len) {
  while (*len > 0 && s[0] == ' ') {
    s++;
    (*len)--;
  }
  while (*len > 0 && s[*len - 1] == ' ') (*len)--;
  return s;
}

/* Stores one parsed line: the key without spaces and an `export ` prefix; the value trimmed, unquoted, with
   `\n` expanded inside double quotes. */
static void env_file_store(struct env_file *ef, const char *key, size_t klen, const char *value, size_t vlen) {
  key = trim_spaces(key, &klen);
  if (klen >= 7 && memcmp(key, "export ", 7) == 0) {
    key += 7;
    klen -= 7;
  }
  if (klen == 0) return;
  value = trim_spaces(value, &vlen);
  int dquoted = vlen > 0 && value[0] == '"' && value[vlen - 1] == '"';
  if (vlen > 0 && (value[0] == '"' || value[0] == '\'' || value[0] == '`') && value[vlen - 1] == value[0]) {
    value++;
    vlen = vlen >= 2 ? vlen - 2 : 0;
  }
  char *out = malloc(vlen + 1);
  if (out == NULL) oom();
  size_t n = 0;
  for (size_t i = 0; i < vlen; i++) {
    if (dquoted && value[i] == '\\' && i + 1 < vlen && value[i + 1] == 'n') {
      out[n++] = '\n';
      i++;
    } else {
      out[n++] = value[i];
    }
  }
  env_file_set(ef, key, klen, out, n);
  free(out);
}

/*
 * Parses an env file's text as Node does: `KEY=VALUE` lines; a value that opens with a quote runs to the same
 * quote (across lines); `#` outside quotes starts a comment; \n, \r and \r\n end a line.
 */
static void env_file_parse(struct env_file *ef, const char *text, size_t size) {
  const char *key = NULL;
  size_t klen = 0, start = 0, end = 0;
  char quote = 0;
  int comment = 0;
  for (size_t i = 0; i < size; i++) {
    char c = text[i];
    if (!comment && c == '=' && key == NULL) {
      key = text + start;
      klen = i - start;
      while (i + 1 < size && text[i + 1] == ' ') i++;
      start = end = i + 1;
    } else if (!comment && (c == '"' || c == '\'' || c == '`')) {
      if (start == i) quote = c;
      else if (quote == c) quote = 0;
      end++;
    } else if (!comment && c == '#' && quote == 0) {
      end = i;
      comment = 1;
    } else if ((c == '\n' || c == '\r') && quote == 0) {
      if (key != NULL) env_file_store(ef, key, klen, text + start, end - start);
      if (c == '\r' && i + 1 < size && text[i + 1] == '\n') i++;
      start = end = i + 1;
      key = NULL;
      quote = 0;
      comment = 0;
    } else if (!comment) {
      end++;
    }
  }
  if (key != NULL) env_file_store(ef, key, klen, text + start, end - start);
}

/* Why an env file that is a pipe, a device or a directory is not read (and refused under enforcement). */
static const char NOT_REGULAR[] = "not a regular file (secnode reads it before Node does)";

/*
 * Reads the env files Node would read for its NODE_OPTIONS: every argument starting with `--env-file` (also
 * `--env-file-if-exists`, and also after the script: Node scans all of argv for them), with its value after `=`
 * or in the next argument. With no enforcement an unreadable or non-regular file is skipped (Node reports it, and
 * a pipe must not be drained); under enforcement a file secnode cannot read as a regular file is refused, since
 * what Node would take from it is unknown.
 */
static void read_env_files(int argc, char **argv, const struct gate *g, int enforcing, struct env_file *ef) {
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--env-file", 10) != 0) continue;
    const char *eq = strchr(argv[i], '=');
    const char *path = eq != NULL ? eq + 1 : i + 1 < argc ? argv[i + 1] : NULL;
    if (path == NULL) break;
    /* Looked at by path first: opening a pipe or a device has effects of its own (a waiting writer is released). */
    struct stat st;
    const char *why = NULL;
    char *text = NULL;
    size_t size = 0;
    int fd = -1;
    if (stat(path, &st) != 0) why = errno == ENOENT ? NULL : strerror(errno);
    else if (!S_ISREG(st.st_mode)) why = NOT_REGULAR;
    else if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) why = strerror(errno);
    else if (fstat(fd, &st) != 0) why = strerror(errno);
    else if (!S_ISREG(st.st_mode)) why = NOT_REGULAR;
    else if ((text = read_all(fd, &size)) == NULL) why = strerror(errno);
    if (fd >= 0) close(fd);
    if (text != NULL) env_file_parse(ef, text, size);
    free(text);
    if (why != NULL && enforcing) {
      static const struct sn_entry env_file = { "--env-file", SN_RF | SN_DI, NULL };
      char what[PATH_MAX + 96];
      snprintf(what, sizeof what, "--env-file %s (%s)", path, why);
      refuse_entry(what, &env_file, g->rf != NULL ? g->rf : g->di, "hint: give an env file secnode can read (a regular file), or run without enforcement");
    }
  }
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
  if (out == NULL) oom();
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
  if (out == NULL) oom();
  memcpy(out, a, na);
  memcpy(out + na, b, nb);
  memcpy(out + na + nb, c, nc + 1);
  return out;
}

/* `NODE_OPTIONS=<first> <options>`, or `<first>` alone when the options are empty or already start with it. */
static char *options_with_first(const char *first, const char *options) {
  size_t fl = strlen(first);
  if (options != NULL && strncmp(options, first, fl) == 0 && (options[fl] == '\0' || options[fl] == ' ')) {
    return concat("NODE_OPTIONS=", options, "");
  }
  if (options == NULL || options[0] == '\0') return concat("NODE_OPTIONS=", first, "");
  char *head = concat("NODE_OPTIONS=", first, " ");
  char *out = concat(head, options, "");
  free(head);
  return out;
}

/* --- A sealed compile cache: a directory of Node's compile cache that the running user cannot change. --- */

/* Whether a part of a sealed cache (its stat `st`) is well owned: root's or the install owner's, no group or other write. */
static const char *unsealed_part(const struct stat *st, uid_t owner, int dir) {
  if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode)) return dir ? "a part of it is not a directory" : "an entry is not a regular file";
  if (st->st_uid != 0 && st->st_uid != owner) return "a part of it is owned by someone other than root or the install's owner";
  if (st->st_mode & (S_IWGRP | S_IWOTH)) return "a part of it may be written by group or others";
  return NULL;
}

/* Checks every entry of the open directory `dfd` (`depth` 1: Node's per-version directories, 2: their files). */
static const char *unsealed_entries(int dfd, uid_t owner, int depth, int *mine) {
  DIR *d = fdopendir(dfd);
  if (d == NULL) {
    close(dfd);
    return "it cannot be listed";
  }
  const char *why = NULL;
  for (struct dirent *e; why == NULL && (e = readdir(d)) != NULL;) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    struct stat st;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) { why = "an entry cannot be read"; break; }
    why = unsealed_part(&st, owner, depth == 1);
    if (st.st_uid == geteuid()) *mine = 1;
    if (why == NULL && depth == 1) {
      int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      why = sub < 0 ? "an entry cannot be opened" : unsealed_entries(sub, owner, 2, mine);
    }
  }
  closedir(d);
  return why;
}

/*
 * Why the compile cache directory `path` is not sealed for this run, or NULL when it is (docs/performance.md):
 * it and every directory above it, Node's per-version directories in it and their files are root's or the install
 * owner's with no group or other write, nothing is a symlink below it, and the running user could change none of
 * it: it owns no part and is not root, or the directory is on a read-only mount.
 */
static const char *unsealed_why(const char *path, uid_t owner) {
  char real[PATH_MAX];
  if (path[0] == '\0' || realpath(path, real) == NULL) return "it does not resolve to a directory";
  /* Node opens the path as given: a symlink on it could be switched after this check. */
  if (strcmp(real, path) != 0) return "it is not an absolute path free of symlinks (name it as realpath(1) prints it)";
  int mine = 0;
  struct stat st;
  char part[PATH_MAX];
  size_t n = strlen(real);
  for (size_t i = 0; i <= n; i++) { /* "/", then each directory down to the cache itself */
    if (i != n && real[i] != '/') continue;
    size_t len = i == 0 ? 1 : i;
    memcpy(part, real, len);
    part[len] = '\0';
    if (lstat(part, &st) != 0) return "a part of it cannot be read";
    const char *why = unsealed_part(&st, owner, 1);
    if (why != NULL) return why;
    if (st.st_uid == geteuid()) mine = 1;
  }
  int dfd = open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return "it cannot be opened";
  struct statvfs vfs;
  int readonly = fstatvfs(dfd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY);
  const char *why = unsealed_entries(dfd, owner, 1, &mine);
  if (why != NULL) return why;
  if ((mine || geteuid() == 0) && !readonly) return "the running user could change it (it owns a part of it, or is root) and it is not on a read-only mount";
  return NULL;
}

/* --- The launch, step by step. --- */

/* Everything main() decides before it execs Node. */
struct launch {
  int ctl;                    /* invoked as secnodectl */
  char dist[PATH_MAX];        /* <install>/dist: this binary is <dist>/runtime/secnode */
  struct stat self;           /* this launcher's file */
  struct gate g;              /* the enforcement in force */
  int enforcing;
  int neutralise;             /* the compile cache is to be turned off */
  int file_cache;             /* an env file names a compile cache (always turned off under RF) */
  const char *caller_options; /* the environment's NODE_OPTIONS (first value), or NULL when unset */
  const char *file_options;   /* NODE_OPTIONS from env files, used when the environment has none, or NULL */
  const char *node;           /* the Node binary to run (a path, for execve and messages) */
  const char *arg0;           /* argv[0] for Node */
  int fd;                     /* under enforcement: the verified Node binary, exec'd through this descriptor */
};

/* Finds the install from /proc/self/exe and whether this is secnodectl. */
static void locate_self(struct launch *l, const char *arg0) {
  const char *slash = strrchr(arg0, '/');
  l->ctl = strcmp(slash != NULL ? slash + 1 : arg0, "secnodectl") == 0;
  ssize_t len = readlink("/proc/self/exe", l->dist, sizeof l->dist - 1);
  if (len <= 0 || stat("/proc/self/exe", &l->self) != 0) {
    refuse("cannot find its own file through /proc/self/exe (is /proc mounted?)", "ERR_SECNODE_CHECK_UNAVAILABLE",
      "hint: mount /proc, or run node with --require secnode/register");
  }
  l->dist[len] = '\0';
  for (int up = 0; up < 2; up++) {
    char *cut = strrchr(l->dist, '/');
    if (cut != NULL) *cut = '\0';
  }
}

/* Reads the securebits from the kernel (nothing in the environment can redirect this) and the forcing settings. */
static void read_policy(struct launch *l, char **envp) {
  int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
  if (bits < 0) {
    char message[160];
    snprintf(message, sizeof message, "cannot read the securebits: prctl(PR_GET_SECUREBITS) failed: %s", strerror(errno));
    refuse(message, "ERR_SECNODE_CHECK_UNAVAILABLE", "hint: secnode refuses to start when it cannot tell the policy");
  }
  l->g.rf = (unsigned)bits & SECBIT_RF ? "SECBIT_EXEC_RESTRICT_FILE" : forced(envp, "SECNODE_RESTRICT_FILE") ? "SECNODE_RESTRICT_FILE" : NULL;
  l->g.di = (unsigned)bits & SECBIT_DI ? "SECBIT_EXEC_DENY_INTERACTIVE" : forced(envp, "SECNODE_DENY_INTERACTIVE") ? "SECNODE_DENY_INTERACTIVE" : NULL;
  l->enforcing = l->g.rf != NULL || l->g.di != NULL;
}

/*
 * The pre-start gate, before Node (its dynamic linker, OpenSSL, inspector, compile cache) starts: the
 * environment, NODE_OPTIONS, argv and env files under enforcement; with no enforcement only the env files'
 * NODE_OPTIONS is read, so it applies as under node.
 */
static void gate_prestart(struct launch *l, int argc, char **argv, char **envp) {
  l->caller_options = first_value(envp, "NODE_OPTIONS");
  struct env_file ef = { NULL, 0, 0 };
  if (l->caller_options == NULL || l->enforcing) read_env_files(argc, argv, &l->g, l->enforcing, &ef);
  if (l->caller_options == NULL && ef.count > 0) l->file_options = first_value(ef.entries, "NODE_OPTIONS");
  if (!l->enforcing) return;
  l->neutralise = check_env(envp, &l->g);
  if (ef.count > 0) l->file_cache = check_env(ef.entries, &l->g);
  if (l->caller_options != NULL) check_node_options(l->caller_options, &l->g);
  if (l->file_options != NULL) check_node_options(l->file_options, &l->g);
  if (!l->ctl) check_argv(argc, argv, &l->g);
}

/* Refuses to run `what` (the Node chosen) with `why` and a hint; exit 126, nothing run. */
static void __attribute__((noreturn)) refuse_node(const struct launch *l, const char *what, const char *why, const char *hint) {
  char message[PATH_MAX * 4 + 512];
  snprintf(message, sizeof message, "refused to run %s: %s (enforced by %s)", what, why, l->g.rf != NULL ? l->g.rf : l->g.di);
  refuse(message, "ERR_SECNODE_EXEC_DENIED", hint);
}

/*
 * Chooses the Node binary. With no enforcement: the first `node` on PATH that is not this launcher, as a shell
 * would find it (nvm and PATH switching keep working). Under enforcement: only a Node the operator pinned in
 * <dist>/runtime/SN_PIN_FILE runs, the first `node` on PATH when it is pinned, else the first pinned one when PATH
 * has no `node`; it is opened, must still look like Node (an ELF defining napi_module_register), and that very
 * descriptor is exec'd.
 */
static void choose_node(struct launch *l, char **envp) {
  /* An unset PATH is the shell's default, as the sh launcher saw it. */
  const char *path = first_value(envp, "PATH");
  struct found f = find_node(path != NULL ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", &l->self);
  l->fd = -1;
  if (!l->enforcing) {
    if (f.real == NULL) {
      dprintf(2, "secnode: no node binary on PATH\n");
      _exit(EXIT_NOT_FOUND);
    }
    l->node = f.real;
    l->arg0 = strcmp(f.first, f.real) == 0 ? "node" : f.real;
    return;
  }
  static struct pins pins;
  const char *bad = read_pins(l->dist, &l->self, &pins);
  if (bad != NULL) {
    char why[PATH_MAX + 160];
    snprintf(why, sizeof why, "no Node is pinned for enforcement: %s: %s", pins.path_of_file, bad);
    refuse_node(l, f.real != NULL ? f.real : "node", why,
      "hint: pin the Node to run, as the install's owner and without enforcement: secnodectl pin-node /path/to/node");
  }
  const char *chosen = f.real;
  if (chosen == NULL) {
    for (unsigned k = 0; k < pins.count && chosen == NULL; k++) {
      if (pins.exists[k]) chosen = pins.path[k];
    }
    if (chosen == NULL) refuse_node(l, pins.path[0], "the pinned Node does not exist", "hint: install it, or pin another: secnodectl pin-node /path/to/node");
  }
  char *resolved = realpath(chosen, NULL);
  int fd = resolved != NULL ? open(resolved, O_RDONLY | O_CLOEXEC) : -1;
  char what[PATH_MAX * 2 + 8];
  snprintf(what, sizeof what, "%s%s%s", chosen, resolved != NULL && strcmp(resolved, chosen) != 0 ? " -> " : "",
    resolved != NULL && strcmp(resolved, chosen) != 0 ? resolved : "");
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) refuse_node(l, what, strerror(errno), "hint: put the pinned Node first on PATH");
  if (!is_pinned(&pins, &st)) {
    char why[PATH_MAX * 2 + 256], list[PATH_MAX * 2];
    pins_words(&pins, list, sizeof list);
    snprintf(why, sizeof why, "not a Node the operator pinned for enforcement (%s names: %s)", pins.path_of_file, list);
    char hint[PATH_MAX + 200];
    snprintf(hint, sizeof hint, "hint: put a pinned Node first on PATH, or pin this one as the install's owner, without enforcement: secnodectl pin-node %s",
      resolved != NULL ? resolved : chosen);
    refuse_node(l, what, why, hint);
  }
  if ((st.st_uid != 0 && st.st_uid != l->self.st_uid) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
    refuse_node(l, what, "the pinned Node binary may be changed by users other than the install's owner (owner or mode)",
      "hint: make the Node binary owned by root (or the install's owner) and writable by nobody else, or pin another");
  }
  const char *not = not_node(fd);
  if (not != NULL) refuse_node(l, what, not, "hint: pin a real Node binary: secnodectl pin-node /path/to/node");
  free(resolved);
  l->fd = fd;
  l->node = chosen;
  l->arg0 = f.real != NULL && strcmp(f.first, f.real) == 0 ? "node" : chosen;
}

/*
 * Node's argv and environment. secnode: the register first in NODE_OPTIONS (before the caller's, or the env
 * files' when the environment has none). secnodectl: the tool, with the caller's NODE_OPTIONS handed over as an
 * argument for `exec` to pass on; its own NODE_OPTIONS is set, so no env file named in its arguments can supply
 * one (Node reads `--env-file` anywhere in argv), and under enforcement it is the register alone, so its own Node
 * is held to the same checks as any secnode process. Under RF the compile cache is off, unless the environment
 * names a sealed one.
 */
static char **node_args(const struct launch *l, int argc, char **argv, char ***env_out, char **envp) {
  char **args = malloc(((size_t)argc + 5) * sizeof *args);
  if (args == NULL) oom();
  size_t k = 0;
  args[k++] = (char *)l->arg0;
  char *first = require_self(concat(l->dist, "/loader/register.cjs", ""));
  if (first == NULL) oom();
  char *disable = l->neutralise || l->file_cache || l->g.rf != NULL ? "NODE_DISABLE_COMPILE_CACHE=1" : NULL;
  /* Under RF the compile cache stays on only when the environment names a sealed one (and no env file names one). */
  const char *cache = first_value(envp, "NODE_COMPILE_CACHE");
  if (disable != NULL && !l->file_cache && cache != NULL && unsealed_why(cache, l->self.st_uid) == NULL) disable = NULL;
  char *options;
  if (l->ctl) {
    args[k++] = concat(l->dist, "/runtime/secnodectl.js", "");
    if (l->caller_options != NULL) {
      args[k++] = "--caller-node-options";
      args[k++] = (char *)l->caller_options;
    } else {
      args[k++] = "--caller-no-node-options";
    }
    options = l->enforcing ? options_with_first(first, NULL) : concat("NODE_OPTIONS=", "", "");
  } else {
    options = options_with_first(first, l->caller_options != NULL ? l->caller_options : l->file_options);
  }
  for (int i = 1; i < argc; i++) args[k++] = argv[i];
  args[k] = NULL;
  *env_out = edit_env(envp, "NODE_OPTIONS", disable != NULL ? "NODE_DISABLE_COMPILE_CACHE" : NULL, options, disable);
  return args;
}

/*
 * Execs Node. Under enforcement, the very file that was verified, through its descriptor: execve of
 * /proc/self/fd/N (a plain execve, so tools that trace or fault-inject execveat, the exec check's own syscall, see
 * only the check); execveat(fd, "", AT_EMPTY_PATH) where /proc is not mounted.
 */
static int exec_node(const struct launch *l, char **args, char **env) {
  if (l->fd >= 0) {
    char self_fd[32];
    snprintf(self_fd, sizeof self_fd, "/proc/self/fd/%d", l->fd);
    execve(self_fd, args, env);
    if (errno == ENOENT) syscall(SYS_execveat, l->fd, "", args, env, AT_EMPTY_PATH);
  } else {
    execve(l->node, args, env);
  }
  dprintf(2, "secnode: cannot execute %s: %s\n", l->node, strerror(errno));
  return EXIT_REFUSED;
}

int main(int argc, char **argv) {
  struct launch l;
  memset(&l, 0, sizeof l);
  locate_self(&l, argc > 0 ? argv[0] : "secnode");
  read_policy(&l, environ);
  gate_prestart(&l, argc, argv, environ);
  choose_node(&l, environ);
  char **env;
  char **args = node_args(&l, argc, argv, &env, environ);
  return exec_node(&l, args, env);
}
