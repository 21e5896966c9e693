#!/usr/bin/env bash
# conformance.sh - run the OCI runtime-tools validation suite against this
# checkout's bin/tsrun (what `make conformance` calls after `make build`).
#
# It uses the shared harness (../shared/conformance: setup.sh, run.sh, see its
# README.md) and then checks the result against test/conformance/expected-pass.txt:
#   - a program listed there that did not PASS is a regression: exit 1;
#   - failing programs not listed are printed as "not yet expected" (exit 0);
#   - passing programs not listed are printed as "newly passing: add them".
#
# Environment (all optional):
#   CONFORMANCE_BUILD_DIR    harness build folder (suite, scratch, results).
#                            Default /var/tmp/tsrun-conformance: it must be
#                            traversable by other users (not under /root, which
#                            is 0700), or the user-namespace tests
#                            (linux_uid_mappings, linux_ns_nopath) fail whatever the runtime.
#   CONFORMANCE_RESULTS_DIR  results folder (default $CONFORMANCE_BUILD_DIR/conformance-results/tsrun,
#                            i.e. the runtime's file name, plus -hide-cgroup2 in that mode)
#   CONFORMANCE_TESTS        space-separated program names: run only those
#   CONFORMANCE_SETUP        auto (default: run setup.sh when the suite is missing
#                            or older than setup.sh), always, never
#   CONFORMANCE_RUNTIMES     extra runtime packages setup.sh installs (default none here)
#   CONFORMANCE_HARNESS_DIR  the harness (default <checkout>/../shared/conformance)
#   CONFORMANCE_RUNTIME      runtime binary to test (default <checkout>/bin/tsrun)
#   CONFORMANCE_EXPECTED     expected-pass list (default test/conformance/expected-pass.txt)
#   CONFORMANCE_TIMEOUT, CONFORMANCE_HIDE_CGROUP2, CONFORMANCE_RUNTIME_ARGS,
#   CONFORMANCE_PRIVATE_ROOT, CONFORMANCE_KNOWN_ISSUES: passed on to run.sh.
#
# Output in the results folder: what run.sh writes (<test>.tap/.stderr/.calls,
# summary.txt, summary.tsv, failures.txt, cleanup.log, run-info.txt) plus
# results.md (Markdown table with the expected-pass column) and check.txt.
# Exit status: 0 no regression, 1 a listed program did not pass, 2 setup or
# harness error (nothing to compare).
set -uo pipefail

die() { printf 'conformance.sh: %s\n' "$*" >&2; exit 2; }
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P) || die "cannot find the checkout"

RUNTIME=${CONFORMANCE_RUNTIME:-$REPO/bin/tsrun}
case $RUNTIME in /*) ;; *) RUNTIME=$PWD/$RUNTIME;; esac
HARNESS=${CONFORMANCE_HARNESS_DIR:-$REPO/../shared/conformance}
EXPECTED=${CONFORMANCE_EXPECTED:-$REPO/test/conformance/expected-pass.txt}
export CONFORMANCE_BUILD_DIR=${CONFORMANCE_BUILD_DIR:-/var/tmp/tsrun-conformance}
export CONFORMANCE_RUNTIMES=${CONFORMANCE_RUNTIMES-}
SETUP_MODE=${CONFORMANCE_SETUP:-auto}

[ "$(id -u)" = 0 ] || die "must run as root (the suite creates namespaces, mounts and cgroups)"
[ -x "$HARNESS/run.sh" ] && [ -x "$HARNESS/setup.sh" ] || die "no harness in $HARNESS (set CONFORMANCE_HARNESS_DIR)"
HARNESS=$(cd "$HARNESS" && pwd -P)
[ -x "$RUNTIME" ] || die "runtime not executable: $RUNTIME (run 'make build' first)"
[ -r "$EXPECTED" ] || die "no expected-pass list: $EXPECTED"
mkdir -p "$CONFORMANCE_BUILD_DIR" || die "cannot create $CONFORMANCE_BUILD_DIR"
CONFORMANCE_BUILD_DIR=$(readlink -f "$CONFORMANCE_BUILD_DIR")
suffix=""; [ "${CONFORMANCE_HIDE_CGROUP2:-0}" = 1 ] && suffix=-hide-cgroup2
RESULTS=${CONFORMANCE_RESULTS_DIR:-$CONFORMANCE_BUILD_DIR/conformance-results/$(basename "$RUNTIME")$suffix}
SUITE=$CONFORMANCE_BUILD_DIR/runtime-tools/suite

# One conformance.sh at a time per build folder, from setup to the final
# check: run.sh's own lock is released when it exits, and a second run would
# then wipe the results folder this one is still reading (and setup.sh
# replaces the suite in place). Children do not inherit the lock (8>&-).
exec 8>"$CONFORMANCE_BUILD_DIR/.tsrun-conformance.lock"
if ! flock -n 8; then
  echo "conformance.sh: waiting for another conformance.sh run in $CONFORMANCE_BUILD_DIR..." >&2
  flock 8
fi

# User-namespace tests run the container as host uid 1000, which must be able
# to reach its bundle under the build folder: every ancestor needs o+x.
d=$CONFORMANCE_BUILD_DIR
while [ "$d" != / ]; do
  if [ "$(( 0$(stat -c %a "$d") & 01 ))" = 0 ]; then
    echo "conformance.sh: warning: $d is not searchable by other users; linux_uid_mappings and linux_ns_nopath will fail (choose another CONFORMANCE_BUILD_DIR)" >&2
    break
  fi
  d=$(dirname "$d")
done

# 1. The suite: build it when missing, or when the harness changed since.
suite_ok() {
  [ -s "$SUITE/MANIFEST" ] && [ -x "$SUITE/runtimetest" ] && ls "$SUITE"/rootfs-*.tar.gz >/dev/null 2>&1 &&
    ls "$SUITE"/validation/*.t >/dev/null 2>&1 &&
    ! [ "$HARNESS/setup.sh" -nt "$SUITE/MANIFEST" ]
}
case $SETUP_MODE in
  always) run_setup=1;;
  never) run_setup=0; suite_ok || die "no usable suite in $SUITE and CONFORMANCE_SETUP=never";;
  auto) if suite_ok; then run_setup=0; else run_setup=1; fi;;
  *) die "CONFORMANCE_SETUP must be auto, always or never";;
esac
if [ "$run_setup" = 1 ]; then
  echo "== building the validation suite in $CONFORMANCE_BUILD_DIR (setup.sh)" >&2
  "$HARNESS/setup.sh" 8>&- || die "setup.sh failed"
fi

# 2. Run the suite. run.sh prints per-test progress on stderr; its summary
#    table (stdout) is kept in the results folder, and replaced on screen by
#    the Markdown table below, which also shows the expected-pass column.
echo "== running the validation suite against $RUNTIME" >&2
mkdir -p "$RESULTS" || die "cannot create $RESULTS"
rm -f "$RESULTS/results.md" "$RESULTS/check.txt" "$RESULTS/run.out"   # run.sh clears its own files
"$HARNESS/run.sh" "$RUNTIME" "$RESULTS" >"$RESULTS/run.out" 8>&-
rc=$?
if [ "$rc" -ge 2 ] || [ ! -s "$RESULTS/summary.tsv" ]; then
  cat "$RESULTS/run.out" >&2
  die "run.sh failed (exit $rc)"
fi

# 3. Expected-pass list: one program name per line, '#' starts a comment.
expected=$(sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$EXPECTED" | sort -u)
all_tests=$(for f in "$SUITE"/validation/*.t; do basename "$f" .t; done)
unknown=$(comm -23 <(printf '%s\n' "$expected" | sed '/^$/d') <(printf '%s\n' "$all_tests" | sort -u))

TSV=$RESULTS/summary.tsv
MD=$RESULTS/results.md
{
  echo "| program | status | ok | not ok | skip | seconds | expected | note |"
  echo "|---|---|---:|---:|---:|---:|---|---|"
  tail -n +2 "$TSV" | while IFS=$'\t' read -r t st ok nok skip _todo _plan _rc secs note; do
    if grep -qxF "$t" <<<"$expected"; then
      if [ "$st" = PASS ]; then exp=yes; else exp="yes: **REGRESSION**"; fi
    elif [ "$st" = PASS ]; then exp="no: newly passing"
    else exp=no; fi
    note=${note//|/\\|}
    echo "| $t | $st | $ok | $nok | $skip | $secs | $exp | $note |"
  done
  echo
  sed -n '/^runtime: /,$p' "$RESULTS/summary.txt" | sed 's/^/    /'
} >"$MD"

regressions=() not_run=() newly=() not_yet=()
while IFS= read -r t; do
  [ -n "$t" ] || continue
  grep -qxF "$t" <<<"$unknown" && continue
  st=$(awk -F'\t' -v t="$t" 'NR > 1 && $1 == t { print $2 }' "$TSV")
  if [ -z "$st" ]; then not_run+=("$t")
  elif [ "$st" != PASS ]; then regressions+=("$t ($st)"); fi
done <<<"$expected"
while IFS=$'\t' read -r t st _; do
  grep -qxF "$t" <<<"$expected" && continue
  if [ "$st" = PASS ]; then newly+=("$t"); else not_yet+=("$t ($st)"); fi
done < <(tail -n +2 "$TSV")

{
  cat "$MD"
  echo
  echo "expected-pass list: $EXPECTED ($(printf '%s\n' "$expected" | sed '/^$/d' | wc -l) programs)"
  if [ -n "$unknown" ]; then
    echo "UNKNOWN programs in the expected-pass list (typo, or the suite changed):"
    sed 's/^/  - /' <<<"$unknown"
  fi
  [ ${#not_run[@]} -gt 0 ] && echo "expected but not run in this subset: ${not_run[*]}"
  if [ ${#not_yet[@]} -gt 0 ]; then
    echo "not yet expected (failing, not in the list): ${#not_yet[@]}"
    printf '  - %s\n' "${not_yet[@]}"
  fi
  if [ ${#newly[@]} -gt 0 ]; then
    echo "newly passing: add them to $(basename "$EXPECTED"):"
    printf '  %s\n' "${newly[@]}"
  fi
  if [ ${#regressions[@]} -gt 0 ]; then
    echo "REGRESSIONS: ${#regressions[@]} expected program(s) did not pass:"
    printf '  - %s\n' "${regressions[@]}"
    echo "details: $RESULTS/failures.txt and $RESULTS/<program>.tap"
  elif [ -n "$unknown" ]; then
    echo "FAILED: fix the unknown names in $EXPECTED"
  else
    echo "OK: every expected program passed"
  fi
  # The closing line counts expected programs only: programs that fail for
  # host reasons or suite bugs are not tsrun's failures (docs/conformance.md).
  n_expected=$(printf '%s\n' "$expected" | sed '/^$/d' | wc -l)
  echo "$((n_expected - ${#regressions[@]})) passed, ${#regressions[@]} failed"
} | tee "$RESULTS/check.txt"

# In GitHub Actions, also show the table on the job page.
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  { echo "### OCI runtime-tools conformance"; echo; cat "$RESULTS/check.txt"; } >>"$GITHUB_STEP_SUMMARY" 2>/dev/null || true
fi

[ ${#regressions[@]} -eq 0 ] && [ -z "$unknown" ]
