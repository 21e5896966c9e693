#!/usr/bin/env bash
# The systemd driver scenarios, run with runc and with tsrun side by side
# (inside the systemd VM: make test-systemd). Each check prints
# "CHECK <runtime> <scenario>: ok|FAIL (detail)"; the table at the end has
# one row per scenario. Then the cost of the driver in create: create with
# --systemd-cgroup against create with cgroupfs, for both runtimes, same VM.
# Ends with "N passed, M failed" for tsrun's checks (runc's are the reference).
set -uo pipefail
cd "$(dirname "$0")/../.."
TOP=$PWD
TSRUN=$TOP/bin/tsrun
RUNS=${TSRUN_SYSTEMD_BENCH_RUNS:-3}
work=$(mktemp -d /tmp/sdcmp.XXXXXX)
declare -A result
scenarios=()
pass=0
fail=0

check() { # runtime scenario ok(0/1) detail
  local rt=$1 sc=$2 ok=$3 detail=${4:-}
  [[ " ${scenarios[*]} " == *" $sc "* ]] || scenarios+=("$sc")
  if [ "$ok" = 0 ]; then
    result[$rt,$sc]=ok
    echo "CHECK $rt $sc: ok ${detail:+($detail)}"
    [ "$rt" = tsrun ] && pass=$((pass + 1))
  else
    result[$rt,$sc]=FAIL
    echo "CHECK $rt $sc: FAIL ${detail:+($detail)}"
    [ "$rt" = tsrun ] && fail=$((fail + 1))
  fi
}

# One rootfs (read-only, as runc spec has it) and one runc spec for every
# bundle: a copy of the rootfs and a run of runc spec for each of the 14
# bundles are slow in the emulated guest.
cp -a "$TOP/bundles/busybox/rootfs" "$work/rootfs"
(cd "$work" && runc spec && mv config.json base.json)
bundle() { # dir cgroupsPath
  local dir=$1 cgpath=$2
  mkdir -p "$dir"
  jq --arg p "$cgpath" --arg r "$work/rootfs" '.root.path = $r | .process.terminal = false | .process.args = ["sleep", "600"]
    | .linux.cgroupsPath = $p
    | .linux.resources.memory = {limit: 33554432}
    | .linux.resources.pids = {limit: 64}
    | .linux.resources.cpu = {quota: 20000, period: 100000, shares: 512}' "$work/base.json" >"$dir/config.json"
}

prop() { systemctl show "$1" -p "$2" --value 2>/dev/null; }

scenario_run() { # runtime binary
  local rt=$1 bin=$2
  local root=$work/$rt-root id=sd-$rt-$$
  local unit=$rt-$id.scope
  local b=$work/$rt-bundle
  bundle "$b" "system.slice:$rt:$id"
  local rargs=(--root "$root" --systemd-cgroup)
  # The container keeps run -d's stdio: a file, not a pipe that $(...) would wait on.
  "$bin" "${rargs[@]}" run -d --bundle "$b" "$id" >"$work/out" 2>&1
  check "$rt" run-d $? "$(cat "$work/out")"
  local cg=/sys/fs/cgroup/system.slice/$unit
  check "$rt" scope-active "$([ "$(prop "$unit" ActiveState)" = active ]; echo $?)" "$(systemctl is-active "$unit" 2>&1)"
  check "$rt" scope-cgroup "$([ "$(prop "$unit" ControlGroup)" = "/system.slice/$unit" ]; echo $?)" "$(prop "$unit" ControlGroup)"
  check "$rt" delegate "$([ "$(prop "$unit" Delegate)" = yes ]; echo $?)"
  local mm tm cq
  mm=$(prop "$unit" MemoryMax) tm=$(prop "$unit" TasksMax) cq=$(prop "$unit" CPUQuotaPerSecUSec)
  check "$rt" unit-limits "$([ "$mm" = 33554432 ] && [ "$tm" = 64 ] && [ "$cq" = 200ms ]; echo $?)" "MemoryMax=$mm TasksMax=$tm CPUQuotaPerSecUSec=$cq"
  local inside
  inside=$("$bin" "${rargs[@]}" exec "$id" sh -c 'cat /proc/self/cgroup /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max' 2>"$work/err" | tr '\n' ' ')
  # stdout only: tsrun warns on stderr about runc spec's ambient capabilities (not in the inheritable set).
  check "$rt" limits-inside "$([ "$inside" = '0::/ 33554432 64 20000 100000 ' ]; echo $?)" "$inside $(cat "$work/err")"
  local hostfile
  hostfile=$(cat "$cg/memory.max" "$cg/pids.max" 2>&1 | tr '\n' ' ')
  check "$rt" limits-in-cgroup "$([ "$hostfile" = '33554432 64 ' ]; echo $?)" "$hostfile"
  out=$("$bin" "${rargs[@]}" update --memory 67108864 --pids-limit 32 "$id" 2>&1)
  mm=$(prop "$unit" MemoryMax) tm=$(prop "$unit" TasksMax)
  hostfile=$(cat "$cg/memory.max" "$cg/pids.max" 2>&1 | tr '\n' ' ')
  check "$rt" update "$([ "$mm" = 67108864 ] && [ "$tm" = 32 ] && [ "$hostfile" = '67108864 32 ' ]; echo $?)" "$out unit MemoryMax=$mm TasksMax=$tm files: $hostfile"
  "$bin" "${rargs[@]}" exec -d "$id" sleep 300 >/dev/null 2>&1
  sleep 1
  local n
  n=$("$bin" "${rargs[@]}" ps "$id" 2>/dev/null | grep -c sleep)
  check "$rt" ps "$([ "$n" = 2 ]; echo $?)" "$n sleep processes"
  "$bin" "${rargs[@]}" pause "$id" 2>&1
  local st
  st=$("$bin" "${rargs[@]}" state "$id" | jq -r .status)
  local fz
  fz=$(cat "$cg/cgroup.freeze" 2>&1)
  "$bin" "${rargs[@]}" resume "$id" 2>&1
  local st2
  st2=$("$bin" "${rargs[@]}" state "$id" | jq -r .status)
  check "$rt" pause-resume "$([ "$st" = paused ] && [ "$fz" = 1 ] && [ "$st2" = running ]; echo $?)" "paused: $st freeze=$fz, resumed: $st2"
  local stats
  stats=$(timeout 20 "$bin" "${rargs[@]}" events --stats "$id" 2>&1 | head -1)
  local plimit
  plimit=$(jq -r '.data.pids.limit // empty' <<<"$stats" 2>/dev/null)
  local mlimit
  mlimit=$(jq -r '.data.memory.usage.limit // empty' <<<"$stats" 2>/dev/null)
  check "$rt" events-stats "$([ "$plimit" = 32 ] && [ "$mlimit" = 67108864 ]; echo $?)" "pids.limit=$plimit memory.usage.limit=$mlimit"
  "$bin" "${rargs[@]}" kill --all "$id" KILL 2>&1
  for _ in $(seq 50); do [ "$("$bin" "${rargs[@]}" state "$id" | jq -r .status)" = stopped ] && break; sleep 0.1; done
  st=$("$bin" "${rargs[@]}" state "$id" | jq -r .status)
  check "$rt" kill-all "$([ "$st" = stopped ] && [ -z "$(cat "$cg/cgroup.procs" 2>/dev/null)" ]; echo $?)" "status $st"
  out=$("$bin" "${rargs[@]}" delete "$id" 2>&1)
  sleep 0.2
  systemctl is-active -q "$unit"; local active=$?
  check "$rt" delete "$([ -z "$out" ] && [ "$active" != 0 ] && [ ! -e "$cg" ] && [ -z "$(prop "$unit" LoadState | grep -v not-found)" ]; echo $?)" "${out:-no output}, unit $(prop "$unit" LoadState)/$(systemctl is-active "$unit" 2>&1), cgroup $([ -e "$cg" ] && echo left || echo gone)"

  # A 96 MiB allocation in a 32 MiB container is OOM-killed (137).
  bundle "$work/$rt-oom" "system.slice:$rt:$id-oom"
  jq '.process.args = ["sh", "-c", "head -c 100663296 /dev/zero | tail > /dev/null"]' "$work/$rt-oom/config.json" >"$work/c.json" && mv "$work/c.json" "$work/$rt-oom/config.json"
  "$bin" "${rargs[@]}" run --bundle "$work/$rt-oom" "$id-oom" >/dev/null 2>&1
  local code=$?
  "$bin" "${rargs[@]}" delete -f "$id-oom" >/dev/null 2>&1
  check "$rt" oom-kill "$([ "$code" = 137 ]; echo $?)" "exit $code"
}

scenario_run runc runc
scenario_run tsrun "$TSRUN"

# The driver's cost in create: median wall time of create (then delete -f,
# not timed) with and without --systemd-cgroup.
bench() { # runtime binary systemd(0/1)
  local rt=$1 bin=$2 sd=$3
  local root=$work/bench-$rt-$sd times=()
  for i in $(seq "$RUNS"); do
    local id=bench-$rt-$sd-$i b=$work/bench-$rt-$sd-$i
    if [ "$sd" = 1 ]; then bundle "$b" "system.slice:$rt:$id"; else bundle "$b" "/bench-$rt-$id"; fi
    local flags=(--root "$root")
    [ "$sd" = 1 ] && flags+=(--systemd-cgroup)
    local t0 t1
    t0=$(date +%s%N)
    "$bin" "${flags[@]}" create --bundle "$b" "$id" >/dev/null 2>&1 || echo "bench: $rt create failed" >&2
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000000)))
    "$bin" "${flags[@]}" delete -f "$id" >/dev/null 2>&1
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}
declare -A med
for rt in runc tsrun; do
  bin=runc; [ "$rt" = tsrun ] && bin=$TSRUN
  med[$rt,0]=$(bench "$rt" "$bin" 0)
  med[$rt,1]=$(bench "$rt" "$bin" 1)
done

echo
echo "| scenario | runc 1.1.5 | tsrun |"
echo "| --- | --- | --- |"
for sc in "${scenarios[@]}"; do echo "| $sc | ${result[runc,$sc]:-} | ${result[tsrun,$sc]:-} |"; done
echo
echo "create, median of $RUNS (ms) | cgroupfs | --systemd-cgroup | driver cost"
for rt in runc tsrun; do
  echo "$rt | ${med[$rt,0]} | ${med[$rt,1]} | $((med[$rt,1] - med[$rt,0]))"
done
rm -rf "$work"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
