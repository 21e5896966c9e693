#!/usr/bin/env bash
# Rootless with systemd delegation, run as the VM's user tester inside its
# systemd user session (vm-batch.sh: as-user tester test/systemd/rootless.sh):
# `--systemd-cgroup` as an unprivileged user asks the user's own systemd
# (the user bus, $DBUS_SESSION_BUS_ADDRESS) for the container's scope, in
# the subtree delegated to user@UID.service, and the limits land there.
# runc and crun run the same bundle first, as the reference; tsrun runs it
# with --rootless auto (the default) and with --rootless true. Each runtime
# uses its default state root under $XDG_RUNTIME_DIR.
# Ends with "N passed, M failed" for tsrun's checks.
set -uo pipefail
cd "$(dirname "$0")/../.."
TOP=$PWD
W=$(mktemp -d /tmp/sdrl.XXXXXX)
trap 'rm -rf "$W"' EXIT
CHECK_PREFIX="rootless "
. test/systemd/check.sh
uprop() { systemctl --user show "$1" -p "$2" --value 2>/dev/null; }
MANAGER=$(systemctl --user show -p ControlGroup --value) # /user.slice/user-UID.slice/user@UID.service

echo "# $(id -un) uid $(id -u), XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-} DBUS_SESSION_BUS_ADDRESS=${DBUS_SESSION_BUS_ADDRESS:-}, manager $MANAGER"
cp -a "$TOP/bundles/busybox/rootfs" "$W/rootfs"
(cd "$W" && runc spec --rootless && mv config.json base.json)

scenario() { # label binary [global flags...]
  local rt=$1 bin=$2
  shift 2
  local g=(--systemd-cgroup "$@")
  local id=rl-$rt-$$ b=$W/$rt
  local unit=$rt-$id.scope
  local cg=/sys/fs/cgroup$MANAGER/user.slice/$unit
  mkdir -p "$b"
  jq --arg p "user.slice:$rt:$id" --arg r "$W/rootfs" '.root.path = $r | .process.terminal = false | .process.args = ["sleep", "600"]
    | .linux.cgroupsPath = $p | .linux.resources = {memory: {limit: 33554432}, pids: {limit: 64}}' "$W/base.json" >"$b/config.json"
  "$bin" "${g[@]}" run -d --bundle "$b" "$id" >"$W/out" 2>&1 </dev/null
  check "$rt" run-d $? "$(cat "$W/out")"
  check "$rt" user-scope "$([ "$(uprop "$unit" ActiveState)" = active ] && [ "$(uprop "$unit" ControlGroup)" = "$MANAGER/user.slice/$unit" ] && [ "$(uprop "$unit" Delegate)" = yes ]; echo $?)" \
    "$(uprop "$unit" ActiveState) $(uprop "$unit" ControlGroup) Delegate=$(uprop "$unit" Delegate)"
  local mm tm
  mm=$(uprop "$unit" MemoryMax) tm=$(uprop "$unit" TasksMax)
  check "$rt" unit-limits "$([ "$mm" = 33554432 ] && [ "$tm" = 64 ]; echo $?)" "MemoryMax=$mm TasksMax=$tm"
  local files
  files=$(cat "$cg/memory.max" "$cg/pids.max" 2>&1 | tr '\n' ' ')
  check "$rt" limits-in-delegated-cgroup "$([ "$files" = '33554432 64 ' ]; echo $?)" "$cg: $files"
  local inside
  inside=$("$bin" "${g[@]}" exec "$id" sh -c 'id -u; cat /proc/self/cgroup /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max' 2>"$W/err" </dev/null | tr '\n' ' ')
  check "$rt" limits-inside "$([ "$inside" = '0 0::/ 33554432 64 ' ]; echo $?)" "$inside $(cat "$W/err")"
  local u
  u=$("$bin" "${g[@]}" update --memory 67108864 --pids-limit 32 "$id" 2>&1 </dev/null)
  mm=$(uprop "$unit" MemoryMax) tm=$(uprop "$unit" TasksMax)
  files=$(cat "$cg/memory.max" "$cg/pids.max" 2>&1 | tr '\n' ' ')
  check "$rt" update "$([ "$mm" = 67108864 ] && [ "$tm" = 32 ] && [ "$files" = '67108864 32 ' ]; echo $?)" "$u unit MemoryMax=$mm TasksMax=$tm files: $files"
  "$bin" "${g[@]}" delete -f "$id" >"$W/out" 2>&1 </dev/null
  local rc=$?
  sleep 0.3
  check "$rt" delete "$([ "$rc" = 0 ] && [ "$(uprop "$unit" LoadState)" = not-found ] && [ ! -e "$cg" ]; echo $?)" \
    "exit $rc $(cat "$W/out"), unit $(uprop "$unit" LoadState), cgroup $([ -e "$cg" ] && echo left || echo gone)"
}

scenario runc runc
scenario crun crun
scenario tsrun "$TOP/bin/tsrun"
scenario tsrun-rootless "$TOP/bin/tsrun" --rootless true
check_summary
