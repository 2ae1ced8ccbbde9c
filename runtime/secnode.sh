#!/bin/sh
# secnode, fallback launcher: installed as dist/runtime/secnode where no static launcher fits (no C compiler at
# build, no prebuilt launcher for this CPU, or an install with --ignore-scripts). `node` with secnode's register as
# the very first preload, so every code file Node loads passes the kernel's AT_EXECVE_CHECK. Arguments pass
# through untouched. Every process it starts carries SECNODE_LAUNCHER=sh, so under enforcement each start says so
# on stderr and in every audit record (field "launcher").
# What it cannot stop (docs/operations.md, "Launchers and install paths"): a shell is dynamically linked, so
# LD_PRELOAD, LD_AUDIT and the other dynamic linker variables run code inside this very script; it passes the
# environment (OpenSSL, the compile cache, ...) to Node unchecked, it recognises early options by pattern, not
# with Node's parser, and it does not read env files (an env file's NODE_OPTIONS does not apply under it).
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
register="$root/dist/loader/register.cjs"
case $register in
  *'"'*|*'\'*) echo "secnode: cannot run from a path containing '\"' or '\\': $root" >&2; exit 126 ;;
esac
first="--require \"$register\""
# The Node binaries the operator pinned for enforcement (one absolute path a line; see secnodectl pin-node).
pins="$root/dist/runtime/pinned-node"
pinned_first=
if [ -f "$pins" ]; then
  while IFS= read -r pin; do
    case $pin in /*) if [ -z "$pinned_first" ] && [ -x "$pin" ]; then pinned_first=$pin; fi ;; esac
  done < "$pins"
fi
if [ "${0##*/}" = secnodectl ]; then
  # Its own NODE_OPTIONS is secnode alone (a shell cannot read the securebits, so always): an env file named in
  # its arguments cannot supply one, and its own Node is checked like any secnode process.
  if [ "${NODE_OPTIONS+set}" = set ]; then
    opts=$NODE_OPTIONS; NODE_OPTIONS=$first; export NODE_OPTIONS
    exec "${pinned_first:-node}" "$root/dist/runtime/secnodectl.js" --caller-node-options "$opts" "$@"
  fi
  NODE_OPTIONS=$first; export NODE_OPTIONS
  exec "${pinned_first:-node}" "$root/dist/runtime/secnodectl.js" --caller-no-node-options "$@"
fi
SECNODE_LAUNCHER=sh; export SECNODE_LAUNCHER
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
# A node the operator did not pin, or options Node acts on before any preload (inspector, snapshots, config
# files): let secnodectl decide (a shell cannot read the securebits; it costs one more start of node), run by a
# pinned Node. Under enforcement it refuses; else it execs node itself, secnode first in NODE_OPTIONS.
pinned=
if [ -f "$pins" ]; then
  while IFS= read -r pin; do
    case $pin in /*) if [ "$real" -ef "$pin" ]; then pinned=yes; fi ;; esac
  done < "$pins"
fi
preflight() {
  opts=$NODE_OPTIONS; NODE_OPTIONS=$first; export NODE_OPTIONS
  exec "${pinned_first:-$real}" "$root/dist/runtime/secnodectl.js" --caller-no-node-options preflight "$real" "$opts" "$@"
}
[ -n "$pinned" ] || preflight "$@"
case " $* $NODE_OPTIONS " in
  *' --inspect'*|*' --build'[-_]snapshot*|*' --snapshot'[-_]blob*|*[-_]config[-_]file*) preflight "$@" ;;
esac
if [ "$first_node" = "$real" ]; then exec node "$@"; fi
exec "$real" "$@"
