#!/usr/bin/env bash
# podman (root) with its systemd cgroup manager and --runtime pointing at
# tsrun, in the systemd VM (make test-systemd), runc side by side as the
# reference. podman passes cgroupsPath "machine.slice:libpod:<id>" and
# --systemd-cgroup to the runtime: the container must run in the transient
# unit libpod-<id>.scope with the memory limit as its MemoryMax, and the
# unit must be gone after podman rm.
# Ends with "N passed, M failed" for tsrun's checks (runc's are the reference).
set -uo pipefail
cd "$(dirname "$0")/../.."
TOP=$PWD
W=$(mktemp -d /tmp/sdpodman.XXXXXX)
trap 'rm -rf "$W"' EXIT
CHECK_PREFIX="podman+"
. test/systemd/check.sh
prop() { systemctl show "$1" -p "$2" --value 2>/dev/null; }
cp -a "$TOP/bundles/busybox/rootfs" "$W/rootfs"

scenario() { # runtime binary
  local rt=$1 bin=$2
  local P=(podman --cgroup-manager systemd --runtime "$bin" --events-backend file)
  local cid
  cid=$("${P[@]}" run -d --network none --memory 32m --rootfs "$W/rootfs" sleep 600 2>"$W/err")
  check "$rt" run-d $? "$(tail -3 "$W/err")"
  local unit=libpod-$cid.scope pid
  pid=$("${P[@]}" inspect --format '{{.State.Pid}}' "$cid" 2>&1)
  local cg
  cg=$(cat "/proc/$pid/cgroup" 2>&1)
  check "$rt" in-scope "$([ "$cg" = "0::/machine.slice/$unit" ] && [ "$(prop "$unit" ActiveState)" = active ]; echo $?)" "pid $pid: $cg, $(prop "$unit" ActiveState)"
  local mm
  mm=$(prop "$unit" MemoryMax)
  check "$rt" memory-limit "$([ "$mm" = 33554432 ] && [ "$(cat "/sys/fs/cgroup/machine.slice/$unit/memory.max" 2>&1)" = 33554432 ]; echo $?)" "MemoryMax=$mm"
  "${P[@]}" rm -f -t 0 "$cid" >"$W/err" 2>&1
  local rc=$?
  sleep 0.3
  check "$rt" removed "$([ "$rc" = 0 ] && [ "$(prop "$unit" LoadState)" = not-found ] && [ ! -e "/sys/fs/cgroup/machine.slice/$unit" ]; echo $?)" "rm exit $rc, unit $(prop "$unit" LoadState)"
}

scenario runc "$(command -v runc)"
scenario tsrun "$TOP/bin/tsrun"
check_summary
