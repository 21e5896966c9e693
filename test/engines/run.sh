#!/bin/bash
# End-to-end tests: drive a low-level OCI runtime (tsrun, or runc for
# reference) through real engines: containerd (ctr + runc v2 shim), podman
# (+ conmon) and docker (dockerd + its managed containerd). Every daemon is
# private to the run (own root/state/sockets under a temp dir, own cgroup
# parents) and is stopped by pid at the end. See docs/engines.md.
#
# usage: test/engines/run.sh [--runtime PATH] [--engine containerd|podman|docker]...
#                            [--only REGEX] [--keep] [--no-setup] [--list]
#   --runtime PATH  runtime under test (default: <repo>/bin/tsrun; e.g. /usr/sbin/runc)
#   --engine NAME   engine to test; repeatable (default: containerd podman docker)
#   --only REGEX    run only the scenarios whose name matches REGEX
#   --keep          keep the whole work dir (default: keep only logs and argv logs)
#   --no-setup      do not run scripts/engines/setup.sh first
#   --list          list the scenarios of the selected engines and exit
# env: TSRUN_ENGINES_CACHE (image cache), TSRUN_ENGINES_CMD_TIMEOUT (60),
#      TSRUN_ENGINES_LEAK_WAIT (10), TSRUN_ENGINES_TMP (parent of the work dir, /tmp)
# Output: TAP lines, a table, then a last line `N passed, M failed`; exit 1 on failure.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RUNTIME=$REPO/bin/tsrun
ENGINES=() ONLY="" KEEP=0 SETUP=1 LIST=0
while [ $# -gt 0 ]; do
  case $1 in
    --runtime) RUNTIME=${2:?}; shift 2 ;;
    --runtime=*) RUNTIME=${1#*=}; shift ;;
    --engine) ENGINES+=("${2:?}"); shift 2 ;;
    --engine=*) ENGINES+=("${1#*=}"); shift ;;
    --only) ONLY=${2:?}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-setup) SETUP=0; shift ;;
    --list) LIST=1; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ ${#ENGINES[@]} -gt 0 ] || ENGINES=(containerd podman docker)
for e in "${ENGINES[@]}"; do
  [ -f "$HERE/$e.sh" ] || { echo "run.sh: unknown engine $e (containerd, podman, docker, shim-tsrun, shim-runc)" >&2; exit 2; }
done

if [ "$LIST" = 1 ]; then
  for e in "${ENGINES[@]}"; do ( TAG=list W=/nonexistent; source "$HERE/lib.sh"; source "$HERE/$e.sh"; eng_scenarios | sed "s/^/$e /" ); done
  exit 0
fi

[ "$(id -u)" = 0 ] || { echo "run.sh: must run as root" >&2; exit 1; }
case $RUNTIME in /*) ;; *) RUNTIME=$(command -v "$RUNTIME" || echo "$PWD/$RUNTIME") ;; esac
[ -x "$RUNTIME" ] || { echo "run.sh: runtime $RUNTIME is not executable" >&2; echo "0 passed, 1 failed"; exit 1; }
export RUNTIME
CACHE=${TSRUN_ENGINES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tsrun-harness/engines}
export TSRUN_ENGINES_CACHE=$CACHE

source "$HERE/lib.sh"

if [ "$SETUP" = 1 ]; then
  t0=$(now)
  "$REPO/scripts/engines/setup.sh" || { echo "not ok 1 - setup: scripts/engines/setup.sh failed"; echo "0 passed, 1 failed"; exit 1; }
  note "setup: $(elapsed "$t0")s"
fi

mkdir -p "${TSRUN_ENGINES_TMP:-/tmp}"
W=$(mktemp -d "${TSRUN_ENGINES_TMP:-/tmp}/tsrun-engines.XXXXXX")
chmod 755 "$W"
TAG=tse$(basename "$W" | sed 's/.*\.//' | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9')
export W TAG CACHE
mkdir -p "$W/logs"
# The runtime wrapper logs the environment variables an engine adds: those
# not in the harness's own environment.
compgen -e | sort > "$W/env-names"
INTTY=$HERE/in-tty.sh
export INTTY
: > "$W/results.tsv"
: > "$W/timings.tsv"
# Dirs that containerd 1.6 shims create at fixed places (/run/containerd/s for
# shim sockets, /run/containerd/fifo for ctr's default FIFOs): removed at the
# end if this run created them and left them empty.
PREEXIST=""
# Same for dockerd's plugin socket dir /run/docker/plugins.
FIXED_DIRS="/run/containerd/s /run/containerd/fifo /run/containerd /run/docker/plugins /run/docker"
for d in $FIXED_DIRS; do [ -e "$d" ] && PREEXIST="$PREEXIST $d"; done

final_cleanup() {
  local d
  for d in $FIXED_DIRS; do
    case " $PREEXIST " in *" $d "*) continue ;; esac
    [ -d "$d" ] && rmdir "$d" 2>/dev/null
  done
  if [ "$KEEP" = 0 ] && ! grep -qF "$W" /proc/self/mountinfo; then
    for d in "$W"/*/; do
      [ -d "$d" ] || continue
      find "$d" -mindepth 1 -maxdepth 1 ! -name '*.log' ! -name '*.tsv' ! -name '*.txt' ! -name specs \
        -exec rm -rf --one-file-system {} + 2>/dev/null
    done
  fi
  return 0
}
trap final_cleanup EXIT
interrupted() {
  echo "not ok - interrupted"
  echo "$(awk -F'\t' '$3=="pass"' "$W/results.tsv" | wc -l) passed, $(( $(awk -F'\t' '$3=="fail"' "$W/results.tsv" | wc -l) + 1 )) failed"
  exit 130
}
trap interrupted INT TERM

echo "TAP version 13"
note "runtime: $RUNTIME ($("$RUNTIME" --version 2>/dev/null | head -1))"
note "work dir: $W"

for ENGINE in "${ENGINES[@]}"; do
  (
    export ENGINE E=$W/$ENGINE
    mkdir -p "$E"
    source "$HERE/$ENGINE.sh"
    mapfile -t scenarios < <(eng_scenarios | { if [ -n "$ONLY" ]; then grep -E -- "$ONLY"; else cat; fi; })
    [ ${#scenarios[@]} -gt 0 ] || exit 0
    stopped=0
    stop_engine() {
      [ "$stopped" = 1 ] && return 0
      stopped=1
      local t0; t0=$(now)
      eng_stop > "$W/logs/$ENGINE-stop.log" 2>&1
      remove_cgroup_parents
      printf '%s\tstop\t%s\n' "$ENGINE" "$(elapsed "$t0")" >> "$W/timings.tsv"
    }
    trap stop_engine EXIT
    trap 'exit 130' INT TERM
    t0=$(now)
    rm -f "$W/reason"
    if ! eng_start > "$W/logs/$ENGINE-start.log" 2>&1 < /dev/null; then
      why=$(cat "$W/reason" 2>/dev/null || tail -n 3 "$W/logs/$ENGINE-start.log" | tr '\n' ' ')
      note "$ENGINE: start failed: $why"
      tail -n 20 "$W/logs/$ENGINE-start.log" | sed 's/^/#   /'
      for s in "${scenarios[@]}"; do
        n=$(( $(wc -l < "$W/results.tsv") + 1 ))
        echo "not ok $n - $ENGINE: $s: engine start failed"
        record "$ENGINE" "$s" fail 0 "engine start failed: $why"
      done
      exit 0
    fi
    # Mounts under the work dir that belong to the engine itself, not to containers.
    grep -F "$W" /proc/self/mountinfo | awk '{print $5}' | sort > "$E/mounts.base" || true
    printf '%s\tstart\t%s\n' "$ENGINE" "$(elapsed "$t0")" >> "$W/timings.tsv"
    note "$ENGINE: started in $(elapsed "$t0")s"
    t1=$(now)
    for s in "${scenarios[@]}"; do
      N_TEST=$(wc -l < "$W/results.tsv")
      run_scenario "$s"
    done
    printf '%s\tscenarios\t%s\n' "$ENGINE" "$(elapsed "$t1")" >> "$W/timings.tsv"
    note "$ENGINE: scenarios took $(elapsed "$t1")s"
    stop_engine
    printf '%s\ttotal\t%s\n' "$ENGINE" "$(elapsed "$t0")" >> "$W/timings.tsv"
  )
done

total=$(wc -l < "$W/results.tsv")
echo "1..$total"
# Summary: engine x scenario table.
note ""
note "scenario table (runtime $(basename "$RUNTIME")):"
awk -F'\t' '{ printf "#   %-11s %-22s %-5s %6ss  %s\n", $1, $2, $3, $4, $5 }' "$W/results.tsv"
note "timings (s):"
awk -F'\t' '{ printf "#   %-11s %-10s %s\n", $1, $2, $3 }' "$W/timings.tsv"
for e in "${ENGINES[@]}"; do
  [ -s "$W/$e/runtime-argv.log" ] || continue
  "$REPO/scripts/engines/argv-summary.sh" "$W/$e/runtime-argv.log" "$W" > "$W/$e/runtime-argv.summary.txt" 2>&1
  "$REPO/scripts/engines/spec-summary.sh" "$W/$e/specs" "$W" > "$W/$e/spec-summary.txt" 2>&1
  note "$e: $(wc -l < "$W/$e/runtime-argv.log") runtime calls, $(sed -n '/^## distinct/,/^$/p' "$W/$e/runtime-argv.summary.txt" | grep -c $'\t') distinct: $W/$e/runtime-argv.summary.txt (specs: $W/$e/spec-summary.txt)"
done
note "logs: $W/logs"
pass=$(awk -F'\t' '$3=="pass"' "$W/results.tsv" | wc -l)
failn=$(awk -F'\t' '$3=="fail"' "$W/results.tsv" | wc -l)
skipn=$(awk -F'\t' '$3=="skip"' "$W/results.tsv" | wc -l)
if [ "$skipn" -gt 0 ]; then echo "$pass passed, $failn failed, $skipn skipped"; else echo "$pass passed, $failn failed"; fi
[ "$failn" = 0 ] && [ "$total" -gt 0 ]
