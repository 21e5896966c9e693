#!/usr/bin/env bash
# `make bench-shim`: containerd-shim-tsrun-v2 against containerd's runc shim,
# under one private containerd (own root, state, sockets; CRI disabled), in
# the same run, interleaved:
#   tsrun-shim   ctr run --rm --runtime io.containerd.tsrun.v2 (its daemon running)
#   tsrun-shim-cold  the same when no daemon runs for the namespace
#   runc-shim    ctr run --rm --runtime io.containerd.runc.v2 --runc-binary runc
#   runc+tsrun   ctr run --rm --runtime io.containerd.runc.v2 --runc-binary bin/tsrun
# of /bin/true (wall time of ctr, from its start to its exit, and the CPU
# time of containerd and all it starts: shims and runtimes, not the
# containers, from a cpuacct cgroup of its own: on a loaded host the CPU
# time is the steadier figure), then the same three through containerd's
# CRI plugin, a pod and its container from RunPodSandbox to the exit
# (bench/shim-cri.ts), then the RSS of the shims with 1, 5 and 10
# detached containers in one namespace. tsrun's shim is timed with its
# namespace's daemon running and without (cold; see README, "The shim").
# Environment: BENCH_N (iterations per runtime, default 20). Needs root and
# the engines' image (scripts/engines/setup.sh, run first).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
REPO=$PWD
N=${BENCH_N:-20}
[ "$(id -u)" = 0 ] || { echo "bench-shim: must run as root" >&2; exit 2; }
scripts/engines/setup.sh >/dev/null
CACHE=${TSRUN_ENGINES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tsrun-harness/engines}
IMG=docker.io/library/tsrun-busybox:latest
D=$(mktemp -d /tmp/tsrun-bench-shim.XXXXXX)
NS=bsh$(basename "$D" | sed 's/.*\.//' | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9')
mkdir -p "$D/bin" "$D/fifo" "$D/tsrun-state"
ln -s "$REPO/bin/containerd-shim-tsrun-v2" "$D/bin/"
cat > "$D/config.toml" <<EOT
version = 2
root = "$D/root"
state = "$D/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$D/containerd.sock"
[ttrpc]
  address = "$D/containerd.sock.ttrpc"
[debug]
  address = "$D/debug.sock"
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/library/tsrun-pause:latest"
  disable_apparmor = true
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "$D/cni/bin"
  conf_dir = "$D/cni/net.d"
[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.tsrun]
  runtime_type = "io.containerd.tsrun.v2"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc-tsrun]
  runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc-tsrun.options]
    BinaryName = "$REPO/bin/tsrun"
    Root = "$D/cri-tsrun-cli"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
    BinaryName = "$(command -v runc)"
    Root = "$D/cri-runc"
EOT
# containerd and everything it starts (shims, runtimes) in a CPU-accounting
# cgroup of its own; containers move to their own cgroups.
CG="" CPU_FILE=""
if [ -d /sys/fs/cgroup/cpuacct ]; then
  CG=/sys/fs/cgroup/cpuacct/tsrun-bench-shim-$NS; CPU_FILE=$CG/cpuacct.usage
elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  CG=/sys/fs/cgroup/tsrun-bench-shim-$NS; CPU_FILE=$CG/cpu.stat
fi
[ -n "$CG" ] && mkdir -p "$CG"
setsid env -i PATH="$D/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" HOME=/root TSRUN_SHIM_ROOT="$D/tsrun-state" \
  sh -c '[ -n "$1" ] && echo $$ > "$1/cgroup.procs"; exec containerd --config "$2"' sh "$CG" "$D/config.toml" > "$D/containerd.log" 2>&1 < /dev/null &
CPID=$!
cpu_ns() { # CPU time of the cgroup, ns
  case $CPU_FILE in
    *cpuacct.usage) cat "$CPU_FILE" ;;
    *cpu.stat) awk '/^usage_usec/ {print $2 * 1000}' "$CPU_FILE" ;;
    *) echo 0 ;;
  esac
}
CTR=(ctr --address "$D/containerd.sock" --namespace "$NS")
cleanup() {
  # Best effort, every step: with -e and pipefail an empty grep would end it early.
  set +e +o pipefail
  local id ns
  for ns in "$NS" k8s.io; do
    for id in $(ctr --address "$D/containerd.sock" --namespace "$ns" container ls -q 2>/dev/null); do
      ctr --address "$D/containerd.sock" --namespace "$ns" task kill -s SIGKILL "$id" >/dev/null 2>&1
      ctr --address "$D/containerd.sock" --namespace "$ns" task rm -f "$id" >/dev/null 2>&1
      ctr --address "$D/containerd.sock" --namespace "$ns" container rm "$id" >/dev/null 2>&1
    done
  done
  kill "$CPID" 2>/dev/null || true
  wait "$CPID" 2>/dev/null || true
  grep -F "$D/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m" || true; done
  for c in /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/*/tsrun-bench-cri-"$NS" /sys/fs/cgroup/tsrun-bench-cri-"$NS"; do [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null; done
  if [ -n "$CG" ] && [ -d "$CG" ]; then
    # tsrun's shim daemon lingers a second after its last container (and may still be
    # in this cgroup, where containerd started it): wait for it, then end what is left.
    for _ in $(seq 30); do [ -z "$(cat "$CG/cgroup.procs" 2>/dev/null)" ] && break; sleep 0.1; done
    for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    for _ in $(seq 30); do rmdir "$CG" 2>/dev/null && break; sleep 0.1; done
    [ -d "$CG" ] && echo "bench-shim: could not remove $CG" >&2
  fi
  rm -rf "$D"
  return 0
}
trap cleanup EXIT
for _ in $(seq 100); do "${CTR[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
"${CTR[@]}" image import "$CACHE/oci-image.tar" >/dev/null

declare -A FLAGS=(
  [tsrun-shim]="--runtime io.containerd.tsrun.v2"
  [tsrun-shim-cold]="--runtime io.containerd.tsrun.v2"
  [runc-shim]="--runtime io.containerd.runc.v2 --runc-binary $(command -v runc) --runc-root $D/runc"
  [runc+tsrun]="--runtime io.containerd.runc.v2 --runc-binary $REPO/bin/tsrun --runc-root $D/tsrun-cli"
)
# tsrun-shim: its namespace's shim daemon already runs (an untimed run just
# before, as in a loop of ctr run --rm, or any other container of the
# namespace); tsrun-shim-cold: no daemon runs (the run waits for the last
# one to exit first), so start also starts the daemon.
KINDS=(tsrun-shim tsrun-shim-cold runc-shim runc+tsrun)
tsrun_daemons() { pgrep -f -- "[c]ontainerd-shim-tsrun-v2 -namespace $NS -address $D/containerd.sock" || true; }
declare -A SAMPLES CPU
i=0
for k in "${KINDS[@]}"; do "${CTR[@]}" run --rm --fifo-dir "$D/fifo" ${FLAGS[$k]} "$IMG" "warm-$i" true; i=$((i+1)); done
for n in $(seq "$N"); do
  for k in $(printf '%s\n' "${KINDS[@]}" | shuf); do
    case $k in
    tsrun-shim) "${CTR[@]}" run --rm --fifo-dir "$D/fifo" ${FLAGS[$k]} "$IMG" "p-$n" true ;;
    tsrun-shim-cold) for _ in $(seq 100); do [ -z "$(tsrun_daemons)" ] && break; sleep 0.1; done ;;
    esac
    c0=$(cpu_ns); t0=$(date +%s%N)
    "${CTR[@]}" run --rm --fifo-dir "$D/fifo" ${FLAGS[$k]} "$IMG" "b-$n-${k//+/-}" true
    SAMPLES[$k]+="$(( ($(date +%s%N) - t0) / 1000000 )) "
    CPU[$k]+="$(( ($(cpu_ns) - c0) / 1000000 )) "
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "## ctr run --rm true: median of $N, ms (same run, interleaved; load $(cut -d' ' -f1 /proc/loadavg))"
echo
echo "| runtime | wall ms | vs runc-shim | CPU ms (containerd, shims, runtimes) | vs runc-shim |"
echo "|---|---|---|---|---|"
base=$(echo "${SAMPLES[runc-shim]}" | median)
cbase=$(echo "${CPU[runc-shim]}" | median)
for k in "${KINDS[@]}"; do
  m=$(echo "${SAMPLES[$k]}" | median)
  c=$(echo "${CPU[$k]}" | median)
  echo "| $k | $m | $(awk -v a="$m" -v b="$base" 'BEGIN{printf "%.2fx", a/b}') | $c | $(awk -v a="$c" -v b="$cbase" 'BEGIN{printf "%.2fx", b ? a/b : 0}') |"
done
echo
BENCH_CPU_FILE=$CPU_FILE BENCH_IMAGE_TAR=$CACHE/oci-image.tar BENCH_CGROUP_PARENT=tsrun-bench-cri-$NS \
  node --import="$REPO/node_modules/@tapjs/typescript/dist/esm/import.mjs" "$REPO/bench/shim-cri.ts" "$D/containerd.sock" "$D" "$N"

# RSS of the shims with 1, 5 and 10 detached containers in one namespace:
# runc's shim runs one shim per container, tsrun's one daemon for them all.
shim_rss() { # pattern -> "count totalKiB" of the shims of this containerd matching it
  local pat=$1 total=0 count=0 p
  for p in $(pgrep -f -- "$pat.*-address $D/containerd.sock"); do
    total=$(( total + $(awk '/^VmRSS/ {print $2}' /proc/"$p"/status 2>/dev/null || echo 0) ))
    count=$((count + 1))
  done
  echo "$count $total"
}
echo
echo "## ctr: shims' RSS with 1, 5 and 10 sleeping containers in one namespace"
echo
echo "| shim | containers | shim processes | RSS total MiB | per container MiB | per container vs runc-shim |"
echo "|---|---|---|---|---|---|"
declare -A PER
for count in 1 5 10; do
  for k in runc-shim tsrun-shim; do
    pat=$([ "$k" = tsrun-shim ] && echo '[c]ontainerd-shim-tsrun-v2' || echo '[c]ontainerd-shim-runc-v2')
    for j in $(seq "$count"); do "${CTR[@]}" run -d --fifo-dir "$D/fifo" ${FLAGS[$k]} "$IMG" "m-$k-$j" sleep 1000 >/dev/null; done
    sleep 1
    read -r procs kib < <(shim_rss "$pat")
    PER[$k]=$(awk -v k="$kib" -v c="$count" 'BEGIN{printf "%.1f", k/1024/c}')
    echo "| $k | $count | $procs | $(awk -v k="$kib" 'BEGIN{printf "%.1f", k/1024}') | ${PER[$k]} | $(awk -v a="${PER[$k]}" -v b="${PER[runc-shim]}" 'BEGIN{printf "%.2fx", a/b}') |"
    for j in $(seq "$count"); do
      "${CTR[@]}" task kill -s SIGKILL "m-$k-$j" >/dev/null 2>&1 || true
      "${CTR[@]}" task rm -f "m-$k-$j" >/dev/null 2>&1 || true
      "${CTR[@]}" container rm "m-$k-$j" >/dev/null 2>&1 || true
    done
  done
done
