#!/usr/bin/env bash
# What `make test-systemd` runs inside the systemd VM (../shared/systemd-vm),
# as root, in one boot:
#   compare.sh     the driver's scenarios with runc and tsrun side by side, and its cost in create
#   rootless.sh    as tester: --systemd-cgroup through tester's systemd --user (runc, crun, tsrun)
#   containerd.sh  containerd's SystemdCgroup through tsrun's shim (containerd's runc shim as reference)
#   podman.sh      podman --cgroup-manager systemd --runtime tsrun (runc as reference)
#   driver.test.ts the driver's tap suite (bad input, a failed StartTransientUnit, the library's OOM events)
# Each step's time is printed; the last line adds up their "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
modprobe tun 2>/dev/null # runc's default device list names /dev/net/tun (see the VM's README)
failed=()
step() { # name command...
  local name=$1 start=$SECONDS
  shift
  echo "=== $name"
  "$@" 2>&1 | tee -a "$out"
  local s=${PIPESTATUS[0]}
  echo "=== $name: exit $s in $((SECONDS - start))s"
  [ "$s" -eq 0 ] || failed+=("$name")
}
# The shell steps first: they are the quicker (a tap file takes minutes to load in the emulated guest).
step compare test/systemd/compare.sh
step rootless as-user tester "$PWD/test/systemd/rootless.sh"
step containerd test/systemd/containerd.sh
step podman test/systemd/podman.sh
# tap's own timeout per file; the guest is 10-20x slower than the host.
step driver env TSRUN_TEST_TIMEOUT="${TSRUN_TEST_TIMEOUT:-900}" test/run.sh test/systemd/driver.test.ts
pass=0 fail=0
while read -r p f; do pass=$((pass + p)); fail=$((fail + f)); done < <(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$out" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/')
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed steps: ${failed[*]}"
  [ "$fail" -gt 0 ] || fail=${#failed[@]}
fi
echo "$pass passed, $fail failed"
[ ${#failed[@]} -eq 0 ]
