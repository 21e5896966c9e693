# shellcheck shell=bash
# podman engine: daemonless; every podman call gets a private root, runroot,
# tmpdir, vfs storage, cgroupfs manager, file events backend and
# `--runtime <wrapper>`, with CONTAINERS_CONF / CONTAINERS_STORAGE_CONF
# pointing at private files (podman passes CONTAINERS_CONF on to conmon and to
# the `podman container cleanup` exit command). Containers use
# `--rootfs <dir>` (a private copy of the busybox rootfs), `--network none`
# and `--cgroup-parent /$TAG-podman`.
#
# Tweaks this host needs (see docs/engines.md):
#  - podman asks for RLIMIT_NOFILE/NPROC 1048576 for root; without
#    CAP_SYS_RESOURCE in the bounding set the runtime cannot raise them
#    (EPERM from setrlimit): default_ulimits caps both at what we have.
#  - podman passes no --root to the runtime (default state dir, /run/runc
#    for runc): the wrapper adds `--root $E/runtime-root` to keep it private.
#    (--runtime-flag root=... is not used: podman's cleanup process does not
#    pass it, so `delete` would go to the default root and leave state behind.)

source "$HERE/cli-scenarios.sh"

CGPARENT=/$TAG-podman
eng_cgroup_parents() { echo "$CGPARENT"; }
ENG_CGROUP_KEEP="$CGPARENT/conmon"   # podman (cgroupfs) puts every conmon there
CLI_CREATES_WORKDIR=0                # with --rootfs podman refuses a missing -w dir itself
STATS_MEM_RE='/ 67.11MB'             # podman prints SI units
CLI_RM_FLAGS=(-f -t 0)               # rm -f would first wait 10s for SIGTERM
# conmon 2.1.6 on this cgroup v1 host: .State.OOMKilled stays false (with runc
# too) although the container exits 137; the exit code is still checked.
CLI_REPORTS_OOMKILLED=0

eng_start() {
  mkdir -p "$E/bin" "$E/tmp" "$E/net" "$E/runtime-root"
  WRAP=$(make_runtime_wrapper "$E/bin" "$E/runtime-argv.log" "$E/runtime-root")
  local ulimits=""
  local capbnd; capbnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
  if (( ((16#$capbnd) >> 24 & 1) == 0 )); then   # no CAP_SYS_RESOURCE
    local nproc; nproc=$(ulimit -Hu)
    [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768  # podman lowers its own to 32768
    ulimits="default_ulimits = [\"nofile=$(ulimit -Hn):$(ulimit -Hn)\", \"nproc=$nproc:$nproc\"]"
  fi
  local rtname; rtname=$(basename "$RUNTIME")
  cat > "$E/containers.conf" <<EOF
[containers]
netns = "none"
log_driver = "k8s-file"
$ulimits

[network]
network_config_dir = "$E/net"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$E/events.log"
tmp_dir = "$E/tmp"
static_dir = "$E/root/libpod"
volume_path = "$E/root/volumes"
lock_type = "file"
runtime = "$rtname"
runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "tsrun", "$rtname"]

[engine.runtimes]
$rtname = ["$WRAP"]
EOF
  cat > "$E/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$E/runroot"
graphroot = "$E/root"
EOF
  # The CLI gets no fd above 2 from the harness (podman passes its fds on to
  # the runtime calls it makes itself: kill, delete, start).
  cat > "$E/bin/podman" <<EOF
#!/bin/bash
$(declare -f close_fds)
close_fds
export CONTAINERS_CONF='$E/containers.conf' CONTAINERS_STORAGE_CONF='$E/storage.conf' CONTAINERS_REGISTRIES_CONF=/dev/null
exec podman --root '$E/root' --runroot '$E/runroot' --tmpdir '$E/tmp' --storage-driver vfs \\
  --cgroup-manager cgroupfs --events-backend file --runtime '$WRAP' "\$@"
EOF
  chmod 755 "$E/bin/podman"
  CLI=$E/bin/podman
  RUNARGS=(--network none --cgroup-parent "$CGPARENT")
  cp -a "$CACHE/rootfs" "$E/rootfs"
  IMGARGS=(--rootfs "$E/rootfs")
  tmo "$CLI" info > "$E/podman-info.txt" || { echo "podman info failed" > "$W/reason"; return 1; }
  tmo "$CLI" run --rm "${RUNARGS[@]}" "${IMGARGS[@]}" true || { echo "warm-up container failed" > "$W/reason"; return 1; }
}

eng_stop() {
  [ -n "${CLI:-}" ] && eng_force_cleanup
  # conmon processes of containers podman lost track of: ours by argv.
  local p
  for p in $(pgrep -f -- "conmon .*$E/" || true); do kill -9 "$p" 2>/dev/null || true; done
  return 0
}
