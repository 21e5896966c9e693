#!/usr/bin/env bash
# The systemd driver's cost inside tsrun's create, phase by phase (--debug),
# with and without --systemd-cgroup; run in the systemd VM:
#   ../shared/systemd-vm/run-in-vm.sh bench/systemd-cost.sh
# Wall times in the emulated guest swing by hundreds of ms with the host's
# load; create's own phase timer isolates the cgroup work ("cgroup" and
# "place in cgroup", where StartTransientUnit runs).
set -uo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
RUNS=${RUNS:-3}
work=$(mktemp -d /tmp/sdcost.XXXXXX)
b=$work/bundle
mkdir -p "$b" && cp -a "$TOP/bundles/busybox/rootfs" "$b/rootfs" && (cd "$b" && runc spec)
for mode in cgroupfs systemd; do
  for i in $(seq "$RUNS"); do
    id=cost-$mode-$i
    if [ $mode = systemd ]; then p="system.slice:tsrun:$id"; flags=(--systemd-cgroup); else p="/cost-$id"; flags=(); fi
    jq --arg p "$p" '.process.terminal = false | .process.args = ["sleep", "60"] | .linux.cgroupsPath = $p
      | .linux.resources.memory = {limit: 33554432} | .linux.resources.pids = {limit: 64}' "$b/config.json" >"$b/c" && mv "$b/c" "$b/config.json"
    t0=$(date +%s%N)
    "$TOP/bin/tsrun" --root "$work/root" --debug "${flags[@]}" create --bundle "$b" "$id" 2>"$work/log" >/dev/null
    t1=$(date +%s%N)
    phases=$(grep -ao 'create: [^"]*ms' "$work/log" | grep -E 'cgroup|plan' | sed 's/create: //' | paste -sd, -)
    echo "$mode run $i: wall $(((t1 - t0) / 1000000)) ms; $phases"
    "$TOP/bin/tsrun" --root "$work/root" delete -f "$id" >/dev/null 2>&1
  done
done
rm -rf "$work"
