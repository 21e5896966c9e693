# shellcheck shell=bash
# The reference for shim-tsrun.sh: io.containerd.runc.v2 with runc, same scenarios; see shim-lib.sh.
SHIM=runc
# shellcheck source=shim-lib.sh
source "$HERE/shim-lib.sh"
