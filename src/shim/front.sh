#!/bin/sh
# containerd-shim-tsrun-v2's front end (the package's bin; the build copies
# it to dist/containerd-shim-tsrun-v2). containerd runs the shim binary for
# every container twice, `start` and then `delete` (containerd 1.6 runs
# `delete` after every container, when it closes its connection to the
# shim). One Node daemon serves a containerd namespace (src/shim/serve.ts);
# on the normal path neither command needs Node, whose start alone costs
# 40-60 ms (README, "The shim's front end"), so this POSIX sh does them:
#   start   a live daemon is registered for this containerd and namespace
#           (src/shim/registry.ts): write the bundle's address file, print
#           the daemon's address. With none, start the daemon itself in a
#           session of its own (setsid -f; it makes its own socket and
#           registers once it serves), wait for its registration, and
#           answer the same: one Node start instead of two (start.ts).
#   delete  the container has no tsrun state, no mounted rootfs, and its
#           socket is gone or served by the registered daemon: nothing to
#           clean up, print containerd's DeleteResponse (exit status 137).
# Anything else (no daemon, a dead shim to clean up, the daemon itself, -v,
# flags it does not know) runs the Node program with the same arguments.
set -f

# A caller's CA bundle or loaders must not slow or change the shim.
shim_js() {
  self=$(readlink -f -- "$0" 2>/dev/null) || self=$0
  unset NODE_EXTRA_CA_CERTS NODE_OPTIONS
  js=${self%/*}/shim.cjs
}
node_shim() {
  shim_js
  exec node "$js" "$@"
}

ns='' addr='' id='' bundle='' action='' want='' pb='' debug=''
for a do
  if [ -n "$want" ]; then
    eval "$want=\$a"
    want=''
    continue
  fi
  [ -n "$action" ] && action=other
  case $a in
  -namespace | --namespace) want=ns ;;
  -address | --address) want=addr ;;
  -id | --id) want=id ;;
  -bundle | --bundle) want=bundle ;;
  -publish-binary | --publish-binary) want=pb ;;
  -namespace=* | --namespace=*) ns=${a#*=} ;;
  -address=* | --address=*) addr=${a#*=} ;;
  -id=* | --id=*) id=${a#*=} ;;
  -bundle=* | --bundle=*) bundle=${a#*=} ;;
  -publish-binary=* | --publish-binary=*) pb=${a#*=} ;;
  -debug | --debug) debug=-debug ;;
  -debug=* | --debug=*) ;;
  start | delete) [ -z "$action" ] && action=$a ;;
  *) action=other ;;
  esac
done
[ -z "$want" ] && [ -n "$ns" ] && [ -n "$id" ] || node_shim "$@"
case $ns$id in */* | .*) node_shim "$@" ;; esac

# alive PID STARTTIME: the pid runs and started then (field 22 of its stat), not a reused pid.
alive() {
  [ -r "/proc/$1/stat" ] && read -r s < "/proc/$1/stat" || return 1
  t=$2
  s=${s##*) }
  # shellcheck disable=SC2086 # split on purpose (globbing is off)
  set -- $s
  [ "${20:-}" = "$t" ]
}

# daemon: the registered daemon's address in $sock, if it runs and serves this containerd.
daemon() {
  reg=${1%/*}/.tsrun-shim-$ns
  [ -r "$reg" ] && read -r pid st sock caddr < "$reg" && [ "$caddr" = "$addr" ] && [ -S "${sock#unix://}" ] && alive "$pid" "$st"
}

# mounted PATH: PATH is a mount point here (a path mountinfo would escape: say yes).
mounted() {
  case $1 in *[!A-Za-z0-9/._+:@-]*) return 0 ;; esac
  while read -r _ _ _ _ mp _; do
    [ "$mp" = "$1" ] && return 0
  done < /proc/self/mountinfo
  return 1
}

# spawn: start a daemon in a session of its own and wait for it: with
# -listen it writes its address on stdout and closes it once it is
# registered (or dies), which ends the command substitution; no polling.
spawn() {
  shim_js
  # shellcheck disable=SC2086 # $debug is empty or one word
  ready=$(setsid -f node "$js" -namespace "$ns" -address "$addr" -publish-binary "${pb:-containerd}" -id "$id" $debug -listen < /dev/null 2> /dev/null) || return 1
  [ -n "$ready" ] && daemon "$PWD"
}

# cold: no daemon runs. One start at a time starts one (the lock directory
# .tsrun-shim-<ns>.starting, with its holder's pid); the others wait for its
# registration (pods are often started in parallel: they would otherwise
# each get a daemon). A lock whose holder died is taken over.
cold() {
  lock=${PWD%/*}/.tsrun-shim-$ns.starting
  j=0
  until mkdir "$lock" 2> /dev/null; do
    daemon "$PWD" && return 0
    holder=''
    [ -r "$lock/pid" ] && read -r holder < "$lock/pid"
    if [ -n "$holder" ] && ! kill -0 "$holder" 2> /dev/null; then
      rm -rf "$lock"
      continue
    fi
    j=$((j + 1))
    [ "$j" -le 1000 ] || return 1
    sleep 0.01
  done
  echo $$ > "$lock/pid"
  daemon "$PWD" || spawn
  r=$?
  rm -rf "$lock"
  return $r
}

# octal N: N (0-255) as the digits of a printf octal escape.
octal() { o=$(($1 / 64 * 100 + $1 / 8 % 8 * 10 + $1 % 8)); }

case $action in
start)
  if ! daemon "$PWD"; then
    command -v setsid > /dev/null 2>&1 || node_shim "$@"
    cold || node_shim "$@"
  fi
  printf '%s' "$sock" > address || node_shim "$@"
  printf '%s' "$sock"
  exit 0
  ;;
delete)
  b=${bundle:-$PWD}
  [ -e "${TSRUN_SHIM_ROOT:-/run/containerd/tsrun}/$ns/$id" ] && node_shim "$@"
  mounted "$b/rootfs" && node_shim "$@"
  if [ -r "$b/address" ] && read -r own < "$b/address" && [ -S "${own#unix://}" ]; then
    daemon "$b" && [ "$sock" = "$own" ] || node_shim "$@"
  fi
  # DeleteResponse{exit_status: 137, exited_at: {seconds: now}}: field 2
  # varint 137, field 3 a Timestamp (length n: its tag byte and the varint) whose field 1 is the seconds as a varint.
  v=$(date +%s) || node_shim "$@"
  enc='' n=2
  while [ "$v" -ge 128 ]; do
    octal $((v % 128 + 128))
    enc="$enc\\$o" v=$((v / 128)) n=$((n + 1))
  done
  octal "$v"
  enc="$enc\\$o"
  octal "$n"
  # shellcheck disable=SC2059 # the format is the message
  printf "\\020\\211\\001\\032\\$o\\010$enc"
  exit 0
  ;;
esac
node_shim "$@"
