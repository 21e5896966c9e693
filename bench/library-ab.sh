#!/usr/bin/env bash
# bench/library-ab.sh DIR[@LIMIT] ...: bench/library.mjs's bursts, builds
# against each other (bench/library-ab.mjs). As bench/run.sh: as root, in a
# private mount namespace, the state roots on a fresh tmpfs, and the hybrid
# cgroup2 mount hidden there so that every build sees the same v1 host.
# The host's mounts are not changed.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "library-ab: must run as root" >&2; exit 2; }
if [ "${LIBRARY_AB_INNER:-}" != 1 ]; then
  LIBRARY_AB_INNER=1 exec unshare --mount --propagation private "$0" "$@"
fi
UNIFIED=/sys/fs/cgroup/unified
if [ "$(stat -f -c %T "$UNIFIED" 2>/dev/null)" = cgroup2fs ]; then umount -l "$UNIFIED"; fi
BENCH_STATE=$(mktemp -d /tmp/tsrun-library-ab.XXXXXX)
trap 'umount "$BENCH_STATE" 2>/dev/null; rm -rf "$BENCH_STATE"' EXIT
mount -t tmpfs -o mode=0700,size=64m tsrun-library-ab "$BENCH_STATE"
export BENCH_STATE
node "$(dirname "$(readlink -f "$0")")/library-ab.mjs" "$@"
