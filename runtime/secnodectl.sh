#!/bin/sh
# secnodectl, fallback launcher (installed as dist/runtime/secnodectl only when the static launcher cannot be
# built; it cannot stop the dynamic linker's variables): runs the operator's tool with no NODE_OPTIONS of its own, so preloads or
# inspector flags in the environment cannot run inside it before `exec` sets the bits. The caller's
# NODE_OPTIONS is handed over as an argument and restored for the command that `exec` starts.
self=$0
if [ -L "$self" ]; then self=$(readlink -f -- "$self") || exit 126; fi
case $self in
  /*) ;;
  */*) self=$PWD/$self ;;
  *) self=$(command -v -- "$self") || exit 126 ;;
esac
root=${self%/dist/runtime/*}
if [ "${NODE_OPTIONS+set}" = set ]; then
  opts=$NODE_OPTIONS; unset NODE_OPTIONS
  exec node "$root/dist/runtime/secnodectl.js" --caller-node-options "$opts" "$@"
fi
exec node "$root/dist/runtime/secnodectl.js" "$@"
