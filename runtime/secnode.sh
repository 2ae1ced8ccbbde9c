#!/bin/sh
# secnode, fallback launcher: installed as dist/runtime/secnode where no static launcher fits (no C compiler at
# build, no prebuilt launcher for this CPU, or an install with --ignore-scripts). `node` with secnode's register as
# the very first preload, so every code file Node loads passes the kernel's AT_EXECVE_CHECK. Arguments pass
# through untouched. Every process it starts carries SECNODE_LAUNCHER=sh, so under enforcement each start says so
# on stderr and in every audit record (field "launcher").
# What it cannot stop (docs/operations.md, "Launchers and install paths"): a shell is dynamically linked, so
# LD_PRELOAD, LD_AUDIT and the other dynamic linker variables run code inside this very script; it passes the environment (OpenSSL,
# the compile cache, ...) to Node unchecked, and it recognises early options by pattern, not with Node's parser.
# Installed under a second name as dist/runtime/secnodectl (like the static launcher): then it runs the
# operator's tool with no NODE_OPTIONS of its own, handing the caller's over as an argument.
self=$0
if [ -L "$self" ]; then self=$(readlink -f -- "$self") || exit 126; fi
case $self in
  /*) ;;
  */*) self=$PWD/$self ;;
  *) self=$(command -v -- "$self") || exit 126 ;;
esac
root=${self%/dist/runtime/*}
if [ "${0##*/}" = secnodectl ]; then
  if [ "${NODE_OPTIONS+set}" = set ]; then
    opts=$NODE_OPTIONS; unset NODE_OPTIONS
    exec node "$root/dist/runtime/secnodectl.js" --caller-node-options "$opts" "$@"
  fi
  exec node "$root/dist/runtime/secnodectl.js" "$@"
fi
SECNODE_LAUNCHER=sh; export SECNODE_LAUNCHER
register="$root/dist/loader/register.cjs"
case $register in
  *'"'*|*'\'*) echo "secnode: cannot run from a path containing '\"' or '\\': $root" >&2; exit 126 ;;
esac
first="--require \"$register\""
case ${NODE_OPTIONS-} in
  "$first"|"$first "*) ;;
  *) NODE_OPTIONS="$first${NODE_OPTIONS:+ $NODE_OPTIONS}"; export NODE_OPTIONS ;;
esac
# The first `node` on PATH, unless that is secnode itself (an operator may make `node` be secnode):
# then the next one. The common case execs plain `node`, so process.argv0 is what node would see.
set -f; IFS_SAVED=$IFS; IFS=:
first_node=; real=
for dir in $PATH; do
  [ -n "$dir" ] || dir=.
  if [ -f "$dir/node" ] && [ -x "$dir/node" ]; then
    [ -n "$first_node" ] || first_node=$dir/node
    if ! [ "$dir/node" -ef "$self" ]; then real=$dir/node; break; fi
  fi
done
IFS=$IFS_SAVED; set +f
if [ -z "$real" ]; then echo "secnode: no node binary on PATH" >&2; exit 127; fi
# Options Node acts on before any preload (inspector, snapshots, config files): let secnodectl decide
# under the bits (only then: it costs one more start of node). It execs node itself when allowed.
case " $* $NODE_OPTIONS " in
  *' --inspect'*|*' --build'[-_]snapshot*|*' --snapshot'[-_]blob*|*[-_]config[-_]file*)
    opts=$NODE_OPTIONS; NODE_OPTIONS=; export NODE_OPTIONS
    exec "$real" "$root/dist/runtime/secnodectl.js" preflight "$real" "$opts" "$@" ;;
esac
if [ "$first_node" = "$real" ]; then exec node "$@"; fi
exec "$real" "$@"
