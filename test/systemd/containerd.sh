#!/usr/bin/env bash
# containerd's SystemdCgroup through tsrun's shim (containerd-shim-tsrun-v2)
# and through containerd's runc shim driving the tsrun CLI (--runc-binary), in
# the systemd VM (make test-systemd), as root, with containerd's own runc
# shim and runc side by side as the reference.
#
# ctr 1.6 sends runc's Options (SystemdCgroup, from --runc-systemd-cgroup)
# only to the runtime named io.containerd.runc.v2, and refuses the flag for
# any other name; the CRI plugin does the same for runtime_type
# io.containerd.runc.v2. So a private containerd finds the shim of that name
# in a directory first on its PATH: containerd's own runc shim for the
# reference, then tsrun's shim under the same name, and gets exactly what
# containerd sends a runc shim. Checks: the task's cgroup is the transient
# unit <prefix>-<name>.scope with the memory limit as its MemoryMax, the
# task runs in it, and it is gone once the task is removed.
# Ends with "N passed, M failed" for tsrun's checks (runc's are the reference).
set -uo pipefail
cd "$(dirname "$0")/../.."
TOP=$PWD
E=$(mktemp -d /tmp/sdctr.XXXXXX)
CHECK_PREFIX="containerd+"
. test/systemd/check.sh
prop() { systemctl show "$1" -p "$2" --value 2>/dev/null; }

mkdir -p "$E/bin" "$E/fifo" "$E/tsrun-state"
cat >"$E/config.toml" <<EOF
version = 2
root = "$E/root"
state = "$E/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$E/containerd.sock"
[ttrpc]
  address = "$E/containerd.sock.ttrpc"
[metrics]
  address = ""
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$E/opt"
EOF
env "PATH=$E/bin:/usr/sbin:/usr/bin:/sbin:/bin" "TSRUN_SHIM_ROOT=$E/tsrun-state" setsid containerd --config "$E/config.toml" >"$E/containerd.log" 2>&1 </dev/null &
CONTAINERD=$!
cleanup() {
  kill "$CONTAINERD" 2>/dev/null
  wait "$CONTAINERD" 2>/dev/null
  rm -rf "$E"
}
trap cleanup EXIT
CTR=(ctr --address "$E/containerd.sock" --namespace sdtest)
for _ in $(seq 100); do "${CTR[@]}" version >/dev/null 2>&1 && break; sleep 0.3; done
cp -a "$TOP/bundles/busybox/rootfs" "$E/rootfs"

scenario() { # runtime shim-binary [ctr run flags...]
  local rt=$1 shim=$2 id=sdctr-$1-$$
  shift 2
  ln -sfn "$shim" "$E/bin/containerd-shim-runc-v2"
  local unit=ctr$rt-$id.scope
  local out
  out=$("${CTR[@]}" run -d --runtime io.containerd.runc.v2 --runc-systemd-cgroup "$@" --cgroup "system.slice:ctr$rt:$id" \
    --memory-limit 33554432 --null-io --rootfs "$E/rootfs" "$id" /bin/sleep 600 2>&1) # no image: no PATH in the spec
  check "$rt" run-d $? "$out"
  local pid
  pid=$("${CTR[@]}" task ls 2>/dev/null | awk -v id="$id" '$1 == id { print $2 }')
  check "$rt" scope "$([ "$(prop "$unit" ActiveState)" = active ] && [ "$(prop "$unit" ControlGroup)" = "/system.slice/$unit" ]; echo $?)" "$unit $(prop "$unit" ActiveState) $(prop "$unit" ControlGroup)"
  local cg
  cg=$(cat "/proc/$pid/cgroup" 2>&1)
  check "$rt" task-in-scope "$([ "$cg" = "0::/system.slice/$unit" ]; echo $?)" "pid $pid: $cg"
  local mm
  mm=$(prop "$unit" MemoryMax)
  check "$rt" memory-limit "$([ "$mm" = 33554432 ] && [ "$(cat "/sys/fs/cgroup/system.slice/$unit/memory.max" 2>&1)" = 33554432 ]; echo $?)" "MemoryMax=$mm"
  "${CTR[@]}" task kill -s SIGKILL "$id" >/dev/null 2>&1
  for _ in $(seq 50); do "${CTR[@]}" task ls 2>/dev/null | grep -q "^$id .*STOPPED" && break; sleep 0.2; done
  "${CTR[@]}" task rm "$id" >/dev/null 2>&1
  "${CTR[@]}" container rm "$id" >/dev/null 2>&1
  sleep 0.3
  check "$rt" removed "$([ "$(prop "$unit" LoadState)" = not-found ] && [ ! -e "/sys/fs/cgroup/system.slice/$unit" ]; echo $?)" "unit $(prop "$unit" LoadState), cgroup $([ -e "/sys/fs/cgroup/system.slice/$unit" ] && echo left || echo gone)"
}

if ! "${CTR[@]}" version >/dev/null 2>&1; then
  echo "containerd did not start:"
  tail -20 "$E/containerd.log"
  echo "0 passed, 1 failed"
  exit 1
fi
scenario runc "$(command -v containerd-shim-runc-v2)"
scenario tsrun "$TOP/bin/containerd-shim-tsrun-v2"
# containerd's own runc shim driving the tsrun CLI (BinaryName = tsrun), as engines configure it.
scenario tsruncli "$(command -v containerd-shim-runc-v2)" --runc-binary "$TOP/bin/tsrun"
# Why not io.containerd.tsrun.v2: ctr refuses to send runc's options to another runtime name.
out=$("${CTR[@]}" run -d --runtime io.containerd.tsrun.v2 --runc-systemd-cgroup --cgroup system.slice:x:y --rootfs "$E/rootfs" sdctr-other true 2>&1)
echo "# ctr run --runtime io.containerd.tsrun.v2 --runc-systemd-cgroup: exit $?: $out"
"${CTR[@]}" container rm sdctr-other >/dev/null 2>&1
if [ -n "$(ls -A "$E/tsrun-state/sdtest" 2>/dev/null)" ]; then
  check tsrun no-state-left 1 "$(ls "$E/tsrun-state/sdtest")"
fi
check_summary
