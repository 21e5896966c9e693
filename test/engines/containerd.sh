# shellcheck shell=bash
# containerd engine: a private containerd (own root, state, sockets, config;
# CRI and unused snapshotters disabled), driven with `ctr`, containers run by
# the io.containerd.runc.v2 shim with `--runc-binary <wrapper>` and a private
# `--runc-root`. Namespace and cgroup parent: /$TAG.
#
# ctr 1.6 has no --user, --hostname or pids flag on `ctr run`: those scenarios
# use `ctr run --config SPEC` with containerd's own default spec
# (`ctr oci spec`) edited with jq, whose root.path points at a rootfs dir.

IMG=docker.io/library/tsrun-busybox:latest
NS=$TAG

eng_scenarios() { eng_standard_scenarios; }

eng_cgroup_parents() { echo "/$NS"; }

eng_start() {
  mkdir -p "$E/bin" "$E/fifo" "$E/runc"
  # Flags of every `ctr run` (an engine file sourcing this one may choose
  # another shim: eng_runtime_flags, and CTR_DAEMON_ENV for containerd's env).
  if declare -F eng_runtime_flags >/dev/null; then
    eng_runtime_flags
  else
    WRAP=$(make_runtime_wrapper "$E/bin" "$E/runtime-argv.log")
    RF=(--runc-binary "$WRAP" --runc-root "$E/runc" --fifo-dir "$E/fifo")
  fi
  cat > "$E/config.toml" <<EOF
version = 2
root = "$E/root"
state = "$E/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$E/containerd.sock"
[ttrpc]
  address = "$E/containerd.sock.ttrpc"
[debug]
  address = "$E/debug.sock"
  level = "info"
[metrics]
  address = ""
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$E/opt"
EOF
  # Own session (a ^C on the harness must not reach the daemon before the
  # harness has removed its containers), clean env and fds, as under an init.
  spawn_daemon "$E/containerd.log" ${CTR_DAEMON_ENV[@]+"${CTR_DAEMON_ENV[@]}"} containerd --config "$E/config.toml"
  CONTAINERD_PID=$!
  ENG_DAEMON_PIDS=$CONTAINERD_PID
  echo "$CONTAINERD_PID" > "$E/containerd.pid"
  printf '#!/bin/sh\nexec ctr --address %q --namespace %q "$@"\n' "$E/containerd.sock" "$NS" > "$E/bin/ctr"
  chmod 755 "$E/bin/ctr"
  CTR=$E/bin/ctr
  wait_until 20 sh -c "$CTR version >/dev/null 2>&1" || { echo "containerd did not answer in 20s" > "$W/reason"; tail -20 "$E/containerd.log"; return 1; }
  tmo "$CTR" image import "$CACHE/oci-image.tar" || { echo "ctr image import failed" > "$W/reason"; return 1; }
  "$CTR" oci spec > "$E/base-spec.json" || return 1
  cp -a "$CACHE/rootfs" "$E/rootfs"
  # Warm-up container: creates the namespace's parent cgroups before the
  # baseline of mounts is taken.
  tmo "$CTR" run --rm "${RF[@]}" "$IMG" warmup true || { echo "warm-up container failed" > "$W/reason"; return 1; }
}

eng_stop() {
  [ -n "${CTR:-}" ] && eng_force_cleanup
  # A scenario may have restarted containerd: the pid file has the live one.
  stop_pid "$(cat "$E/containerd.pid" 2>/dev/null || echo "${CONTAINERD_PID:-}")" 20
  # Shims outlive containerd if containers were left: they are ours (argv has
  # our socket path), stop them by pid.
  local p
  for p in $(pgrep -f -- "-address $E/containerd.sock" || true); do kill -9 "$p" 2>/dev/null || true; done
  # Snapshot mounts, if a crash left any.
  grep -F "$E/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m" || true; done
  return 0
}

ctr_cleanup() {
  local id
  for id in "$@"; do
    tmo 20 "$CTR" task kill -s SIGKILL "$id" >/dev/null 2>&1 || true
    tmo 20 "$CTR" task rm -f "$id" >/dev/null 2>&1 || true
    tmo 20 "$CTR" container rm "$id" >/dev/null 2>&1 || true
  done
}

eng_force_cleanup() {
  local id
  for id in $(tmo 20 "$CTR" container ls -q 2>/dev/null); do ctr_cleanup "$id"; done
}

# ---- helpers --------------------------------------------------------------------
task_status() { tmo 20 "$CTR" task ls 2>/dev/null | awk -v id="$1" '$1==id {print $3}'; }
task_pid() { tmo 20 "$CTR" task ls 2>/dev/null | awk -v id="$1" '$1==id {print $2}'; }
wait_status() { wait_until "${3:-15}" sh -c "[ \"\$($CTR task ls 2>/dev/null | awk -v id=$1 '\$1==id {print \$3}')\" = $2 ]" \
  || fail "task $1 did not reach $2 (is: $(task_status "$1"))"; }
container_gone() { ! tmo 20 "$CTR" container ls -q | grep -qx "$1"; }

# mkspec ID JQ-FILTER: containerd's default spec, rooted at $E/rootfs, cgroup
# /$NS/ID, edited by JQ-FILTER; prints the spec path.
mkspec() {
  local id=$1 filter=$2
  jq --arg root "$E/rootfs" --arg cg "/$NS/$id" \
    ".root.path=\$root | .linux.cgroupsPath=\$cg | .process.env=[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"TERM=xterm\"] | $filter" \
    "$E/base-spec.json" > "$E/spec-$id.json" || fail "jq failed on spec for $id"
  echo "$E/spec-$id.json"
}

# run_rm ID [CTR-RUN-FLAGS...] -- CMD...: ctr run --rm with the image.
run_rm() {
  local id=$1; shift
  local flags=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do flags+=("$1"); shift; done
  shift
  defer ctr_cleanup "$id"
  run_cmd "$CTR" run --rm "${RF[@]}" "${flags[@]}" "$IMG" "$id" "$@"
}

# ---- scenarios ---------------------------------------------------------------------
sc_run_rm_exit() {
  run_rm rm1 -- sh -c 'echo hello-out; echo hello-err >&2; exit 3'
  expect_eq "$RC" 3 "exit code of ctr run --rm"
  expect_eq "$OUT" hello-out "stdout"
  expect_match "$ERR" hello-err "stderr"
  container_gone rm1 || fail "container rm1 still listed after --rm"
  run_rm rm2 -- true
  expect_eq "$RC" 0 "exit code of true"
}

sc_detached_exec_kill_rm() {
  defer ctr_cleanup det1
  ok "ctr run -d" "$CTR" run -d "${RF[@]}" "$IMG" det1 sleep 1000
  wait_status det1 RUNNING
  expect_rc 5 "task exec exit code" "$CTR" task exec --fifo-dir "$E/fifo" --exec-id e1 det1 sh -c 'echo in-exec; exit 5'
  expect_eq "$OUT" in-exec "exec stdout"
  ok "exec --user --cwd" "$CTR" task exec --fifo-dir "$E/fifo" --exec-id e2 --user 1000 --cwd /tmp det1 sh -c 'id -u; pwd'
  expect_eq "$OUT" $'1000\n/tmp' "exec user and cwd"
  ok "task kill" "$CTR" task kill -s SIGKILL det1
  wait_status det1 STOPPED
  ok "task rm" "$CTR" task rm det1
  expect_match "$ERR" "exit code 137" "task rm reports the exit status"
  ok "container rm" "$CTR" container rm det1
  container_gone det1 || fail "det1 still listed"
}

sc_exec_tty() {
  defer ctr_cleanup xt1
  ok "ctr run -d" "$CTR" run -d "${RF[@]}" "$IMG" xt1 sleep 1000
  wait_status xt1 RUNNING
  expect_rc 7 "exec -t exit code" "$INTTY" "$CTR" task exec -t --fifo-dir "$E/fifo" --exec-id t1 xt1 sh -c 'tty; test -t 0 && echo stdin-is-tty; exit 7'
  expect_match "${OUT//^@/}" $'^/dev/pts/[0-9]+\nstdin-is-tty' "exec -t sees a tty"
}

sc_run_tty() {
  defer ctr_cleanup rt1
  expect_rc 4 "run -t exit code" "$INTTY" "$CTR" run --rm -t "${RF[@]}" "$IMG" rt1 sh -c 'tty; test -t 0 && echo stdin-is-tty; exit 4'
  # The container's tty echoes what ctr forwards from its stdin (a NUL shows as ^@).
  expect_match "${OUT//^@/}" $'^/dev/pts/0\nstdin-is-tty' "run -t sees a tty"
}

sc_pause_resume() {
  defer ctr_cleanup pr1
  ok "ctr run -d" "$CTR" run -d "${RF[@]}" "$IMG" pr1 sh -c 'while :; do date +%s > /tmp/tick; sleep 0.2; done'
  wait_status pr1 RUNNING
  local pid; pid=$(task_pid pr1)
  ok "task pause" "$CTR" task pause pr1
  wait_status pr1 PAUSED 5
  expect_eq "$(cg_file "$pid" freezer freezer.state)" FROZEN "freezer state when paused"
  ok "task resume" "$CTR" task resume pr1
  wait_status pr1 RUNNING 5
  expect_eq "$(cg_file "$pid" freezer freezer.state)" THAWED "freezer state when resumed"
  ok "exec after resume" "$CTR" task exec --fifo-dir "$E/fifo" --exec-id e1 pr1 cat /tmp/tick
}

sc_memory_limit() {
  defer ctr_cleanup mem1
  ok "ctr run -d --memory-limit" "$CTR" run -d --memory-limit 33554432 "${RF[@]}" "$IMG" mem1 sleep 1000
  wait_status mem1 RUNNING
  expect_eq "$(cg_file "$(task_pid mem1)" memory memory.limit_in_bytes)" 33554432 "memory.limit_in_bytes"
  ok "ctr rm" "$CTR" task rm -f mem1
  # 64 MiB buffer under a 32 MiB limit: the OOM killer ends dd (SIGKILL, 137).
  run_rm oom1 --memory-limit 33554432 -- dd if=/dev/zero of=/dev/null bs=64M count=1
  expect_eq "$RC" 137 "exit code of a container over its memory limit"
}

sc_pids_limit() {
  local spec
  defer ctr_cleanup pid1 pid2
  spec=$(mkspec pid1 '.process.args=["sleep","1000"] | .linux.resources.pids={"limit":10}')
  ok "ctr run -d --config (pids.limit 10)" "$CTR" run -d "${RF[@]}" --config "$spec" pid1
  wait_status pid1 RUNNING
  expect_eq "$(cg_file "$(task_pid pid1)" pids pids.max)" 10 "pids.max"
  # Forks until the pids limit stops it: sh (1) + 9 sleeps fit in 10; fork
  # failure makes ash exit 2. Builtins only (echo, test, arithmetic): no fork.
  spec=$(mkspec pid2 '.process.args=["sh","-c","i=0; while [ $i -lt 20 ]; do sleep 30 & i=$((i+1)); echo $i; done"] | .linux.resources.pids={"limit":10}')
  run_cmd "$CTR" run --rm "${RF[@]}" --config "$spec" pid2
  [ "$RC" != 0 ] || fail "20 forks succeeded under pids.limit=10"
  expect_eq "$(echo "$OUT" | tail -1)" 9 "forks that succeeded under pids.limit=10"
}

sc_user() {
  local spec
  defer ctr_cleanup us1
  spec=$(mkspec us1 '.process.args=["sh","-c","id -u; id -g; id -G; touch /root/x 2>/dev/null || echo denied"] | .process.user={"uid":1000,"gid":1000,"additionalGids":[1000,65534]}')
  ok "ctr run --config (user 1000:1000)" "$CTR" run --rm "${RF[@]}" --config "$spec" us1
  expect_eq "$OUT" $'1000\n1000\n1000 65534\ndenied' "uid, gid, groups"
}

sc_read_only() {
  run_rm ro1 --read-only -- sh -c 'touch /x 2>/dev/null && echo writable || echo read-only; awk "\$2==\"/\" {print \$4}" /proc/mounts | cut -d, -f1'
  expect_eq "$RC" 0 "exit code"
  expect_eq "$OUT" $'read-only\nro' "rootfs read-only"
}

sc_cap_drop_all() {
  local spec
  # `ctr run --cap-drop` in 1.6 takes CAP_ names only (no ALL): use a spec.
  defer ctr_cleanup cap1
  spec=$(mkspec cap1 '.process.args=["sh","-c","grep -E \"^Cap(Inh|Prm|Eff|Bnd|Amb)\" /proc/self/status | cut -f2 | sort -u"] | .process.capabilities={"bounding":[],"effective":[],"permitted":[],"inheritable":[],"ambient":[]}')
  ok "ctr run --config (no capabilities)" "$CTR" run --rm "${RF[@]}" --config "$spec" cap1
  expect_eq "$OUT" 0000000000000000 "all capability sets empty"
  run_rm cap2 --cap-drop CAP_NET_RAW -- sh -c 'grep ^CapEff /proc/self/status | cut -f2'
  expect_eq "$RC" 0 "exit code with --cap-drop CAP_NET_RAW"
  expect_eq "$OUT" 00000000a80405fb "CapEff with default set minus CAP_NET_RAW"
}

sc_network_none() {
  # ctr without --net-host and without --cni: a new, empty network namespace.
  run_rm net1 -- sh -c 'ls /sys/class/net; readlink /proc/self/ns/net'
  expect_eq "$RC" 0 "exit code"
  expect_eq "$(echo "$OUT" | head -1)" lo "interfaces"
  [ "$(echo "$OUT" | tail -1)" != "$(readlink /proc/self/ns/net)" ] || fail "container shares the host network namespace"
}

sc_hostname() {
  local spec
  defer ctr_cleanup hn1
  spec=$(mkspec hn1 '.process.args=["hostname"] | .hostname="tsrun-host"')
  ok "ctr run --config (hostname)" "$CTR" run --rm "${RF[@]}" --config "$spec" hn1
  expect_eq "$OUT" tsrun-host "hostname"
}

sc_env() {
  run_rm env1 --env FOO=bar --env 'SPACED=a b' -- sh -c 'echo "$FOO|$SPACED|$PATH"'
  expect_eq "$RC" 0 "exit code"
  expect_eq "$OUT" "bar|a b|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "environment"
}

sc_workdir() {
  run_rm wd1 --cwd /tmp -- pwd
  expect_eq "$OUT" /tmp "cwd"
  # A cwd missing from the image is created by the runtime (runc does mkdir -p).
  run_rm wd2 --cwd /new/dir -- pwd
  expect_eq "$RC" 0 "exit code with a missing cwd"
  expect_eq "$OUT" /new/dir "created cwd"
}

sc_seccomp() {
  # containerd's default profile (ctr --seccomp): filter mode, and swapon(2)
  # refused by the filter (EPERM) even with CAP_SYS_ADMIN; without a profile
  # the kernel itself rejects the empty swap file (EINVAL).
  local probe='grep ^Seccomp: /proc/self/status | cut -f2; touch /tmp/swap; swapon /tmp/swap 2>&1; rm -f /tmp/swap'
  run_rm sc1 --seccomp --cap-add CAP_SYS_ADMIN -- sh -c "$probe"
  expect_eq "$OUT" $'2\nswapon: /tmp/swap: Operation not permitted' "with --seccomp"
  run_rm sc2 --cap-add CAP_SYS_ADMIN -- sh -c "$probe"
  expect_eq "$OUT" $'0\nswapon: /tmp/swap: Invalid argument' "without --seccomp"
}

sc_stats() {
  defer ctr_cleanup st1
  ok "ctr run -d" "$CTR" run -d --memory-limit 67108864 "${RF[@]}" "$IMG" st1 sleep 1000
  wait_status st1 RUNNING
  ok "task metrics" "$CTR" task metrics st1
  expect_match "$OUT" "memory.limit_in_bytes +67108864" "metrics show the memory limit"
  expect_match "$OUT" "pids.current +1" "metrics show one process"
}

sc_top() {
  defer ctr_cleanup tp1
  ok "ctr run -d" "$CTR" run -d "${RF[@]}" "$IMG" tp1 sh -c 'sleep 1000 & sleep 1001 & wait'
  wait_status tp1 RUNNING
  local pid; pid=$(task_pid tp1)
  wait_until 5 sh -c "[ \$($CTR task ps tp1 | tail -n +2 | wc -l) -ge 3 ]" || true
  ok "task ps" "$CTR" task ps tp1
  echo "$OUT" | awk '{print $1}' | grep -qx "$pid" || fail "task ps does not list the init pid $pid"
  expect_eq "$(echo "$OUT" | tail -n +2 | wc -l)" 3 "task ps lists 3 processes"
}
