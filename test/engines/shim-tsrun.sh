# shellcheck shell=bash
# tsrun's containerd shim (io.containerd.tsrun.v2) under a private containerd; see shim-lib.sh.
SHIM=tsrun
# shellcheck source=shim-lib.sh
source "$HERE/shim-lib.sh"
