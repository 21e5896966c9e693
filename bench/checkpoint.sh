#!/usr/bin/env bash
# Checkpoint and restore of a counting busybox container, tsrun and runc side
# by side with the same CRIU (make criu), interleaved, N rounds each:
#   run -d  ->  checkpoint (the container stops)  ->  restore -d  ->  the count
#   goes on from the dumped value  ->  delete.
# Prints a markdown table of the median and min/max wall times, and whether
# every round continued the count. Needs root, runc (apt-get install runc),
# a built tsrun and rootfs (make build rootfs) and CRIU (make criu).
#   BENCH_N   rounds per runtime (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${BENCH_N:-5}
CRIU=${TSRUN_CRIU:-${XDG_CACHE_HOME:-$HOME/.cache}/tsrun-harness/criu/bin/criu}
[ -x "$CRIU" ] || { echo "no CRIU at $CRIU: run make criu" >&2; exit 1; }
command -v runc >/dev/null || { echo "runc is not installed (apt-get install runc)" >&2; exit 1; }
work=$(mktemp -d /tmp/tsrun-bench-criu.XXXXXX)
trap 'for r in runc tsrun; do for id in $(ls "$work/root-$r" 2>/dev/null); do bin_$r --root "$work/root-$r" delete -f "$id" >/dev/null 2>&1 || true; done; done; rm -rf "$work"' EXIT
bin_runc() { runc "$@"; }
bin_tsrun() { "$PWD/bin/tsrun" "$@"; }

mkdir -p "$work/b"
cp -a bundles/busybox/rootfs "$work/b/rootfs"
python3 - "$work/b/config.json" <<'EOF'
import json, sys
c = json.load(open('bundles/busybox/config.json'))
c['root'] = {'path': 'rootfs', 'readonly': False}
c['process']['terminal'] = False
c['process']['args'] = ['sh', '-c', 'i=0; while true; do echo $i > /counter; i=$((i+1)); sleep 0.1; done']
json.dump(c, open(sys.argv[1], 'w'))
EOF

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
# The shell truncates /counter before it writes: a read (or a dump) can catch it
# empty. Reads the value, retrying a moment; empty if it stays so (a dump between
# the two steps).
count() { local v="" i; for i in 1 2 3 4 5; do v=$(cat "$work/b/rootfs/counter" 2>/dev/null); [ -n "$v" ] && break; sleep 0.05; done; echo "$v"; }
declare -A ck rs ok
for round in $(seq 1 "$N"); do
  for r in runc tsrun; do
    id="bench-criu-$r-$round"; root="$work/root-$r"; img="$work/img-$r-$round"
    bin_$r --root "$root" run -d --bundle "$work/b" "$id" </dev/null >/dev/null 2>&1
    sleep 1
    pre=$(count)
    t0=$(date +%s%N)
    bin_$r --root "$root" --criu "$CRIU" checkpoint --image-path "$img" --work-path "$img" "$id" </dev/null >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
    ck[$r]+="$(ms "$t0") "
    dumped=$(cat "$work/b/rootfs/counter"); [ -n "$dumped" ] || dumped=$pre
    t0=$(date +%s%N)
    bin_$r --root "$root" --criu "$CRIU" restore -d --image-path "$img" --work-path "$img" --bundle "$work/b" "$id" </dev/null >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
    rs[$r]+="$(ms "$t0") "
    sleep 0.5
    now=$(count)
    if [ "$now" -gt "$dumped" ] && [ "$now" -lt $((dumped + 30)) ]; then ok[$r]+="y"; else ok[$r]+="n"; fi
    bin_$r --root "$root" delete -f "$id" >/dev/null
    rm -rf "$img"
  done
done

stats() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {printf "%d (%d-%d)", a[int((NR+1)/2)], a[1], a[NR]}'; }
echo "CRIU $("$CRIU" --version | sed -n 's/^Version: //p'), $(runc --version | head -1), tsrun $(bin_tsrun --version | head -1 | awk '{print $3}'), N=$N, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
echo
echo "| runtime | checkpoint ms, median (min-max) | restore -d ms, median (min-max) | count continued |"
echo "|---|---|---|---|"
for r in runc tsrun; do
  echo "| $r | $(stats <<<"${ck[$r]}") | $(stats <<<"${rs[$r]}") | $(grep -o y <<<"${ok[$r]}" | wc -l)/$N |"
done
