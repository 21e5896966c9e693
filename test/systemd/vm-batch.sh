#!/usr/bin/env bash
# What `make test-systemd` runs inside the systemd VM (../shared/systemd-vm),
# as root, in one boot: the tap suites of the systemd driver, then the
# side-by-side scenarios with runc and the driver's cost in create
# (compare.sh). Ends with one "N passed, M failed" line adding up both.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
modprobe tun 2>/dev/null # runc's default device list names /dev/net/tun (see the VM's README)
TSRUN_TEST_TIMEOUT=${TSRUN_TEST_TIMEOUT:-900} test/run.sh test/systemd/*.test.ts 2>&1 | tee "$out"
s1=${PIPESTATUS[0]}
test/systemd/compare.sh 2>&1 | tee -a "$out"
s2=${PIPESTATUS[0]}
pass=0 fail=0
while read -r p f; do pass=$((pass + p)); fail=$((fail + f)); done < <(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$out" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/')
[ "$s1" -ne 0 ] || [ "$s2" -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
echo "$pass passed, $fail failed"
[ "$s1" -eq 0 ] && [ "$s2" -eq 0 ]
