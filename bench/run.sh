#!/usr/bin/env bash
# `make bench`: tsrun against runc and crun, interleaved, on a busybox bundle.
#
# Installs what is missing (runc, crun, gcc, musl-gcc, util-linux's unshare, busybox)
# with apt-get, builds tsrun and the busybox rootfs if they are absent, copies
# the build (dist/, bin/) to a scratch dir so that a rebuild during the run
# changes nothing, compiles bench/rusage.c (CPU time and peak RSS of each
# command through wait4), then runs bench/bench.mjs. Results: a markdown table on stdout, every raw sample in
# bench/results/<timestamp>.json, bench/results/latest.md, bench/chart.svg.
#
# Environment:
#   BENCH_N             iterations per measure (default 30)
#   BENCH_WARMUP        untimed iterations first (default 2)
#   BENCH_PAR_N         repetitions of the 10-in-parallel measure (default 5)
#   BENCH_SEED          seed of the per-iteration shuffle (default: time)
#   BENCH_HIDE_CGROUP2  1 (default when /sys/fs/cgroup/unified is a cgroup2
#                       mount with controllers): run the whole bench in a
#                       private mount namespace where that hybrid mount is
#                       unmounted, because crun 1.8 refuses hybrid hosts. All
#                       three runtimes then see the same pure cgroup v1 host.
#                       The host's mounts are not changed. 0: do not.
#   BENCH_CHART         where to write the chart (default bench/chart.svg)
# Must run as root (containers with namespaces and cgroups).
#
# The measuring half runs in a private mount namespace (unshare --mount
# --propagation private): there the state roots of the three runtimes live
# on a fresh tmpfs, as /run/runc, /run/crun and /run/tsrun do on a usual host
# (this VM's /run is on disk, where an fsync costs milliseconds), and the
# hybrid cgroup2 mount can be hidden. Nothing changes in the host's mounts.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
UNIFIED=/sys/fs/cgroup/unified

die() { printf 'bench: %s\n' "$*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "must run as root"

if [ "${BENCH_INNER:-}" != 1 ]; then
  # Debian packages: only what is missing, so a second run does not touch apt.
  declare -A PKG_OF=([runc]=runc [crun]=crun [gcc]=gcc [musl-gcc]=musl-tools [unshare]=util-linux [busybox]=busybox-static)
  missing=()
  for cmd in "${!PKG_OF[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${PKG_OF[$cmd]}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "bench: installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi

  # `make bench` has built these already; run.sh on its own builds them too.
  if [ ! -f dist/index.cjs ] || [ ! -f dist/cli.cjs ] || [ ! -x "dist/executor/linux-$(node -p process.arch)/tsrun-executor" ] || [ ! -x bundles/busybox/rootfs/bin/busybox ]; then
    make build rootfs
  fi

  if [ -z "${BENCH_HIDE_CGROUP2:-}" ]; then
    BENCH_HIDE_CGROUP2=0
    if [ "$(stat -f -c %T "$UNIFIED" 2>/dev/null)" = cgroup2fs ] && [ -n "$(cat "$UNIFIED/cgroup.controllers" 2>/dev/null)" ]; then
      BENCH_HIDE_CGROUP2=1
    fi
  fi
  export BENCH_HIDE_CGROUP2
  BENCH_INNER=1 exec unshare --mount --propagation private "$0" "$@"
fi

# ---- inside the private mount namespace
[ "$BENCH_HIDE_CGROUP2" = 1 ] && umount -l "$UNIFIED"

# Scratch: bundles, the copy of tsrun, the rusage helper; the state roots on
# a tmpfs under it. bench.mjs deletes its containers in a finally; this trap
# is the safety net if node itself dies.
BENCH_TMP=$(mktemp -d /tmp/tsrun-bench.XXXXXX)
BENCH_STATE=$BENCH_TMP/state
mkdir "$BENCH_STATE"
mount -t tmpfs -o mode=0700,size=64m tsrun-bench "$BENCH_STATE"
export BENCH_TMP BENCH_STATE
cleanup() {
  local dir bin id
  for dir in "$BENCH_STATE"/root-*; do
    [ -d "$dir" ] || continue
    case ${dir##*/root-} in tsrun*) bin=$BENCH_TMP/tsrun/bin/tsrun;; *) bin=$(command -v "${dir##*/root-}") || continue;; esac
    for id in $(ls "$dir" 2>/dev/null); do
      [ -d "$dir/$id" ] || continue
      "$bin" --root "$dir" delete --force "$id" >/dev/null 2>&1 || true
    done
  done
  umount "$BENCH_STATE" 2>/dev/null || umount -l "$BENCH_STATE" 2>/dev/null || true
  rm -rf "$BENCH_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# What is measured: a copy of this build (koffi through a node_modules link).
BENCH_TSRUN_DIR=$BENCH_TMP/tsrun
mkdir -p "$BENCH_TSRUN_DIR"
cp -a dist bin package.json "$BENCH_TSRUN_DIR/"
ln -s "$PWD/node_modules" "$BENCH_TSRUN_DIR/node_modules"
export BENCH_TSRUN_DIR
BENCH_RUSAGE=$BENCH_TMP/rusage
gcc -O2 -Wall -o "$BENCH_RUSAGE" bench/rusage.c
export BENCH_RUSAGE

# bench/least.cjs's create validates config.json with tsrun's generated
# validator, made CommonJS here (it is an ES module in src/).
BENCH_LEAST_VALIDATOR=$BENCH_TMP/validate-config.cjs
node_modules/.bin/esbuild src/spec/generated/validate-config.js --format=cjs --log-level=warning --outfile="$BENCH_LEAST_VALIDATOR"
export BENCH_LEAST_VALIDATOR

# The harness's own Node start needs no CA bundle; the floors set it explicitly.
# BENCH_ONLY=library runs just the library section (bench/library.mjs).
if [ "${BENCH_ONLY:-}" != library ]; then
  env -u NODE_EXTRA_CA_CERTS -u NODE_OPTIONS node bench/bench.mjs "$@"
fi
env -u NODE_EXTRA_CA_CERTS -u NODE_OPTIONS node --expose-gc bench/library.mjs
