# shellcheck shell=bash
# docker engine: a private dockerd (own data-root, exec-root, pidfile, unix
# socket, config file, trust key; vfs storage; cgroupfs driver with cgroup
# parent /$TAG-docker; no bridge, no iptables, no ip forwarding), which starts
# its own managed containerd under exec-root. The runtime under test is added
# as `testrt` (--add-runtime testrt=<wrapper>, also --default-runtime) and every
# container runs with `--runtime testrt --network none`. The image is
# `docker import` of the busybox rootfs tar.
#
# dockerd runs in a network namespace of its own (unshare --net): whatever the
# daemon would do to the network (ip_forward sysctl, bridge, iptables) cannot
# reach the host's. Containers get their own namespaces anyway.
# The docker CLI used is Debian's /usr/bin/docker (matching the 20.10 daemon),
# not whatever `docker` comes first in PATH.

source "$HERE/cli-scenarios.sh"

CGPARENT=/$TAG-docker
eng_cgroup_parents() { echo "$CGPARENT"; }
DOCKER_BIN=${TSRUN_ENGINES_DOCKER_CLI:-/usr/bin/docker}

eng_start() {
  mkdir -p "$E/bin" "$E/cli"
  WRAP=$(make_runtime_wrapper "$E/bin" "$E/runtime-argv.log")
  # The trust key would go to /etc/docker/key.json: a daemon.json-only option moves it.
  printf '{"deprecated-key-path": "%s"}\n' "$E/key.json" > "$E/daemon.json"
  spawn_daemon "$E/dockerd.log" unshare --net dockerd \
    --config-file "$E/daemon.json" \
    --data-root "$E/data" --exec-root "$E/exec" --pidfile "$E/dockerd.pid" \
    -H "unix://$E/docker.sock" \
    --bridge none --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false \
    --userland-proxy=false --storage-driver vfs \
    --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "$CGPARENT" \
    --add-runtime "testrt=$WRAP" --default-runtime testrt
  DOCKERD_PID=$!
  ENG_DAEMON_PIDS=$DOCKERD_PID
  printf '#!/bin/sh\nDOCKER_CONFIG=%q exec %q -H %q "$@"\n' "$E/cli" "$DOCKER_BIN" "unix://$E/docker.sock" > "$E/bin/docker"
  chmod 755 "$E/bin/docker"
  CLI=$E/bin/docker
  wait_until 60 sh -c "$CLI version >/dev/null 2>&1" || {
    echo "dockerd did not answer in 60s" > "$W/reason"; tail -20 "$E/dockerd.log"; return 1; }
  # dockerd's managed containerd (and anything else it forked) is part of the engine.
  ENG_DAEMON_PIDS="$DOCKERD_PID $(pgrep -P "$DOCKERD_PID" | tr '\n' ' ')"
  RUNARGS=(--runtime testrt --network none)
  IMGARGS=(tsrun-busybox:latest)
  tmo "$CLI" import "$CACHE/rootfs.tar" tsrun-busybox:latest || { echo "docker import failed" > "$W/reason"; return 1; }
  tmo "$CLI" run --rm "${RUNARGS[@]}" "${IMGARGS[@]}" true || { echo "warm-up container failed" > "$W/reason"; return 1; }
}

eng_stop() {
  [ -n "${CLI:-}" ] && eng_force_cleanup
  stop_pid "${DOCKERD_PID:-}" 30
  # The managed containerd and shims, if dockerd died without stopping them:
  # ours by argv (they mention $E).
  local p
  for p in $(pgrep -f -- "$E/" || true); do
    [ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
    kill -9 "$p" 2>/dev/null || true
  done
  grep -F "$E/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m" || true; done
  return 0
}
