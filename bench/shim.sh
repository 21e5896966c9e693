#!/usr/bin/env bash
# `make bench-shim`: containerd-shim-tsrun-v2 against containerd's runc shim,
# under one private containerd (own root, state, sockets; CRI disabled), in
# the same run, interleaved:
#   tsrun-shim   ctr run --rm --runtime io.containerd.tsrun.v2
#   runc-shim    ctr run --rm --runtime io.containerd.runc.v2 --runc-binary runc
#   runc+tsrun   ctr run --rm --runtime io.containerd.runc.v2 --runc-binary bin/tsrun
# of /bin/true (wall time of ctr, from its start to its exit), then the RSS
# of the shims with 1 and with 10 detached containers each.
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
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$D/containerd.sock"
[ttrpc]
  address = "$D/containerd.sock.ttrpc"
[debug]
  address = "$D/debug.sock"
[metrics]
  address = ""
EOT
setsid env -i PATH="$D/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" HOME=/root TSRUN_SHIM_ROOT="$D/tsrun-state" \
  containerd --config "$D/config.toml" > "$D/containerd.log" 2>&1 < /dev/null &
CPID=$!
CTR=(ctr --address "$D/containerd.sock" --namespace "$NS")
cleanup() {
  local id
  for id in $("${CTR[@]}" container ls -q 2>/dev/null); do
    "${CTR[@]}" task kill -s SIGKILL "$id" >/dev/null 2>&1 || true
    "${CTR[@]}" task rm -f "$id" >/dev/null 2>&1 || true
    "${CTR[@]}" container rm "$id" >/dev/null 2>&1 || true
  done
  kill "$CPID" 2>/dev/null || true
  wait "$CPID" 2>/dev/null || true
  grep -F "$D/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m" || true; done
  for c in /sys/fs/cgroup/*/"$NS"; do [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null; done
  rm -rf "$D"
}
trap cleanup EXIT
for _ in $(seq 100); do "${CTR[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
"${CTR[@]}" image import "$CACHE/oci-image.tar" >/dev/null

declare -A FLAGS=(
  [tsrun-shim]="--runtime io.containerd.tsrun.v2"
  [runc-shim]="--runtime io.containerd.runc.v2 --runc-binary $(command -v runc) --runc-root $D/runc"
  [runc+tsrun]="--runtime io.containerd.runc.v2 --runc-binary $REPO/bin/tsrun --runc-root $D/tsrun-cli"
)
KINDS=(tsrun-shim runc-shim runc+tsrun)
declare -A SAMPLES
i=0
for k in "${KINDS[@]}"; do "${CTR[@]}" run --rm --fifo-dir "$D/fifo" ${FLAGS[$k]} "$IMG" "warm-$i" true; i=$((i+1)); done
for n in $(seq "$N"); do
  for k in $(printf '%s\n' "${KINDS[@]}" | shuf); do
    t0=$(date +%s%N)
    "${CTR[@]}" run --rm --fifo-dir "$D/fifo" ${FLAGS[$k]} "$IMG" "b-$n-${k//+/-}" true
    SAMPLES[$k]+="$(( ($(date +%s%N) - t0) / 1000000 )) "
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "## ctr run --rm true: median of $N, ms (same run, interleaved; load $(cut -d' ' -f1 /proc/loadavg))"
echo
echo "| runtime | median ms | vs runc-shim |"
echo "|---|---|---|"
base=$(echo "${SAMPLES[runc-shim]}" | median)
for k in "${KINDS[@]}"; do
  m=$(echo "${SAMPLES[$k]}" | median)
  echo "| $k | $m | $(awk -v a="$m" -v b="$base" 'BEGIN{printf "%.2fx", a/b}') |"
done

# RSS of the shims: each container has its own shim under ctr.
shim_rss() { # kind count -> total RSS KiB of the shims of that kind's containers
  local pat=$1 total=0 p
  for p in $(pgrep -f -- "$pat.*-address $D/containerd.sock"); do
    total=$(( total + $(awk '/^VmRSS/ {print $2}' /proc/"$p"/status 2>/dev/null || echo 0) ))
  done
  echo "$total"
}
echo
echo "| shim | containers | shims' RSS total MiB | per shim MiB |"
echo "|---|---|---|---|"
for k in tsrun-shim runc-shim; do
  pat=$([ "$k" = tsrun-shim ] && echo '[c]ontainerd-shim-tsrun-v2' || echo '[c]ontainerd-shim-runc-v2')
  for count in 1 10; do
    for j in $(seq "$count"); do "${CTR[@]}" run -d --fifo-dir "$D/fifo" ${FLAGS[$k]} "$IMG" "m-$k-$j" sleep 1000 >/dev/null; done
    sleep 1
    kib=$(shim_rss "$pat")
    echo "| $k | $count | $(awk -v k="$kib" 'BEGIN{printf "%.1f", k/1024}') | $(awk -v k="$kib" -v c="$count" 'BEGIN{printf "%.1f", k/1024/c}') |"
    for j in $(seq "$count"); do
      "${CTR[@]}" task kill -s SIGKILL "m-$k-$j" >/dev/null 2>&1 || true
      "${CTR[@]}" task rm -f "m-$k-$j" >/dev/null 2>&1 || true
      "${CTR[@]}" container rm "m-$k-$j" >/dev/null 2>&1 || true
    done
  done
done
