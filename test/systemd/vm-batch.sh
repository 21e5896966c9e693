#!/usr/bin/env bash
# What `make test-systemd` runs inside the systemd VM (../shared/systemd-vm),
# as root, in one boot: the side-by-side scenarios with runc and the
# driver's cost in create (compare.sh), then the driver's tap suite.
# Ends with one "N passed, M failed" line adding up both.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
modprobe tun 2>/dev/null # runc's default device list names /dev/net/tun (see the VM's README)
# compare.sh first: it is the quicker (a tap file takes minutes to load in
# the emulated guest). bad-input.test.ts runs on the host, in make test.
test/systemd/compare.sh 2>&1 | tee "$out"
s2=${PIPESTATUS[0]}
TSRUN_TEST_TIMEOUT=${TSRUN_TEST_TIMEOUT:-1500} test/run.sh test/systemd/driver.test.ts 2>&1 | tee -a "$out"
s1=${PIPESTATUS[0]}
pass=0 fail=0
while read -r p f; do pass=$((pass + p)); fail=$((fail + f)); done < <(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$out" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/')
[ "$s1" -ne 0 ] || [ "$s2" -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
echo "$pass passed, $fail failed"
[ "$s1" -eq 0 ] && [ "$s2" -eq 0 ]
