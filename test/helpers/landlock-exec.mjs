#!/usr/bin/env node
// Test-only: runs a command under a real Landlock ruleset that handles LANDLOCK_ACCESS_FS_EXECUTE and
// grants it only beneath the directories named with `--allow DIR` (repeatable). Everything else may
// still be read, written and listed; only executing (and so AT_EXECVE_CHECK) is denied.
//
//   node landlock-exec.mjs [--allow DIR]… -- CMD [ARGS…]   run CMD under the ruleset (CMD must be a path)
//   node landlock-exec.mjs --probe                         print the Landlock ABI version, or 0 if none
//
// Exit status: 125 for a usage or Landlock error (with a message on stderr), 127 if CMD cannot run.
import { closeSync, constants, openSync } from 'node:fs';
import koffi from 'koffi';

const SYS = { x64: { create: 444, add: 445, restrict: 446 }, arm64: { create: 444, add: 445, restrict: 446 } }[process.arch];
const LANDLOCK_CREATE_RULESET_VERSION = 1 << 0;
const LANDLOCK_RULE_PATH_BENEATH = 1;
const LANDLOCK_ACCESS_FS_EXECUTE = 1 << 0;
const PR_SET_NO_NEW_PRIVS = 38;
const F_SETFD = 2;

const libc = koffi.load('libc.so.6');
const syscall = libc.func('long syscall(long, ...)');
const prctl = libc.func('int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)');
const fcntl = libc.func('int fcntl(int, int, ...)');
const execv = libc.func('int execv(const char *, const char **)');
// struct landlock_ruleset_attr { __u64 handled_access_fs; } (ABI 1 size: 8 bytes)
const RulesetAttr = koffi.struct('landlock_ruleset_attr', { handled_access_fs: 'uint64' });
// struct landlock_path_beneath_attr { __u64 allowed_access; __s32 parent_fd; } __attribute__((packed))
const PathBeneath = koffi.pack('landlock_path_beneath_attr', { allowed_access: 'uint64', parent_fd: 'int32' });

function fail(message, status = 125) {
  process.stderr.write(`landlock-exec: ${message}\n`);
  process.exit(status);
}

/** The Landlock ABI version, or 0 when the kernel lacks Landlock (or it is disabled). */
function abiVersion() {
  if (SYS === undefined) return 0;
  const v = Number(syscall(SYS.create, 'void *', null, 'size_t', 0, 'uint32', LANDLOCK_CREATE_RULESET_VERSION));
  return v > 0 ? v : 0;
}

const args = process.argv.slice(2);
if (args[0] === '--probe') {
  process.stdout.write(`${abiVersion()}\n`);
  process.exit(0);
}

const allow = [];
let i = 0;
for (; i < args.length; i++) {
  if (args[i] === '--') { i++; break; }
  if (args[i] === '--allow' && args[i + 1] !== undefined) allow.push(args[++i]);
  else fail(`usage: landlock-exec.mjs [--allow DIR]… -- CMD [ARGS…] (bad argument ${args[i]})`);
}
const command = args.slice(i);
if (command.length === 0 || !command[0].includes('/')) fail('missing command (give CMD as a path)');
if (abiVersion() === 0) fail('Landlock is not available in this kernel', 125);

const rulesetFd = Number(syscall(SYS.create, koffi.pointer(RulesetAttr), { handled_access_fs: LANDLOCK_ACCESS_FS_EXECUTE },
  'size_t', koffi.sizeof(RulesetAttr), 'uint32', 0));
if (rulesetFd < 0) fail(`landlock_create_ruleset failed (errno ${koffi.errno()})`);
for (const dir of allow) {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | 0o10000000 /* O_PATH */);
  const r = Number(syscall(SYS.add, 'int', rulesetFd, 'int', LANDLOCK_RULE_PATH_BENEATH,
    koffi.pointer(PathBeneath), { allowed_access: LANDLOCK_ACCESS_FS_EXECUTE, parent_fd: fd }, 'uint32', 0));
  if (r < 0) fail(`landlock_add_rule(${dir}) failed (errno ${koffi.errno()})`);
  closeSync(fd);
}
if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(`prctl(PR_SET_NO_NEW_PRIVS) failed (errno ${koffi.errno()})`);
if (Number(syscall(SYS.restrict, 'int', rulesetFd, 'uint32', 0)) < 0) {
  fail(`landlock_restrict_self failed (errno ${koffi.errno()})`);
}
closeSync(rulesetFd);
// Node marks its stdio pipes close-on-exec; the command must inherit fds 0-2.
for (const fd of [0, 1, 2]) fcntl(fd, F_SETFD, 'int', 0);
execv(command[0], [...command, null]);
fail(`cannot execute ${command[0]} (errno ${koffi.errno()})`, 127);
