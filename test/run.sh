#!/usr/bin/env bash
# Runs the tap suites (default: everything under test/ but the engines and
# the VM-only suites) and ends with the plain line CI reads:
# "N passed, M failed". Exit status is tap's.
set -uo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "test/run.sh: the tests create real containers: run as root" >&2; exit 1; }
if [ $# -eq 0 ]; then
  # test/shim/cri.test.ts starts a containerd with CRI: `make test-shim` runs it.
  set -- $(find test -name '*.test.ts' -not -path 'test/engines/*' -not -path test/shim/cri.test.ts | sort)
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
npx tap --disable-coverage --allow-incomplete-coverage --timeout="${TSRUN_TEST_TIMEOUT:-180}" --reporter=tap "$@" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
# tap's closing comment: "# { total: 12, pass: 11, fail: 1, skip: 0 }"
summary=$(grep -a -E '^# \{ total: ' "$out" | tail -1)
pass=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$summary"); pass=${pass:-0}
fail=$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<<"$summary"); fail=${fail:-0}
skip=$(sed -nE 's/.*skip: ([0-9]+).*/\1/p' <<<"$summary"); skip=${skip:-0}
if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
echo "$pass passed, $fail failed, $skip skipped"
exit "$status"
