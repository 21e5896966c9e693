#!/bin/bash
# Prepares the engine end-to-end harness (test/engines/):
#   1. installs the Debian packages it needs, only those that are missing
#      (containerd, podman, conmon, docker.io, runc, busybox-static, jq, ...);
#      Debian's packages would start their system services on install, which
#      this script must not do: it runs apt-get under a private policy-rc.d
#      only when the host has none (the host's policy-rc.d, if any, is kept).
#   2. builds the test image from a busybox rootfs into a cache directory:
#        $CACHE/rootfs/          rootfs dir   (podman run --rootfs, ctr --config)
#        $CACHE/rootfs.tar       plain tar    (docker import)
#        $CACHE/oci-image.tar    OCI layout   (ctr image import), named
#                                docker.io/library/tsrun-busybox:latest
#      Rebuilt only when busybox or this script changed (stamp file).
#
# usage: scripts/engines/setup.sh [--no-install] [--force]
# env:   TSRUN_ENGINES_CACHE  cache dir (default ~/.cache/tsrun-harness/engines)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${TSRUN_ENGINES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tsrun-harness/engines}
install=1 force=0
for a in "$@"; do
  case $a in
    --no-install) install=0 ;;
    --force) force=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

log() { echo "engines-setup: $*" >&2; }

# ---- 1. Debian packages -----------------------------------------------------
# containerd ships ctr and containerd-shim-runc-v2; docker.io ships dockerd and
# docker-init (tini); podman pulls conmon, containers-common, netavark/cni.
# uidmap/slirp4netns are not needed: everything runs as root with --network
# none (podman, docker) or no network setup at all (ctr).
PACKAGES="containerd podman conmon docker.io runc busybox-static jq iptables procps"
if [ "$install" = 1 ]; then
  missing=$(for p in $PACKAGES; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"; done)
  if [ -n "$missing" ]; then
    log "installing:" $missing
    policy_tmp=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      # Keep invoke-rc.d from starting containerd/docker system services.
      policy_tmp=/usr/sbin/policy-rc.d
      printf '#!/bin/sh\nexit 101\n' > "$policy_tmp"; chmod 755 "$policy_tmp"
      trap 'rm -f "$policy_tmp"' EXIT
    fi
    apt_opts=(-o DPkg::Lock::Timeout=600 -y -q --no-install-recommends)
    if ! DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install $missing; then
      apt-get -o DPkg::Lock::Timeout=600 update -qq
      DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install $missing
    fi
    [ -n "$policy_tmp" ] && { rm -f "$policy_tmp"; trap - EXIT; }
  fi
fi
for b in containerd ctr containerd-shim-runc-v2 podman conmon dockerd /usr/bin/docker busybox jq; do
  command -v "$b" >/dev/null || { log "missing $b (run without --no-install)"; exit 1; }
done

# ---- 2. test image ------------------------------------------------------------
mkdir -p "$cache"
stamp_want="v1 $(sha256sum /bin/busybox "$0" "$repo/scripts/make-rootfs.sh" | awk '{print $1}' | tr '\n' ' ')"
if [ "$force" = 0 ] && [ -f "$cache/stamp" ] && [ "$(cat "$cache/stamp")" = "$stamp_want" ] \
   && [ -d "$cache/rootfs" ] && [ -f "$cache/rootfs.tar" ] && [ -f "$cache/oci-image.tar" ]; then
  log "image cache up to date: $cache"
  exit 0
fi
rm -f "$cache/stamp"
log "building image into $cache"
sh "$repo/scripts/make-rootfs.sh" "$cache/rootfs" >&2
# make-rootfs.sh leaves the root dir 0700 (mktemp -d): a non-root --user could not even
# resolve /bin/sh, so open it up.
chmod 755 "$cache/rootfs"

work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Deterministic layer: sorted names, fixed mtime, root ownership.
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$cache/rootfs" -cf "$work/rootfs.tar" .
gzip -n -c "$work/rootfs.tar" > "$work/layer.tar.gz"

case $(dpkg --print-architecture) in
  amd64) arch=amd64 ;; arm64) arch=arm64 ;; armhf) arch=arm ;; i386) arch=386 ;; *) arch=$(dpkg --print-architecture) ;;
esac
oci=$work/oci
mkdir -p "$oci/blobs/sha256"
sha() { sha256sum "$1" | awk '{print $1}'; }
size() { stat -c %s "$1"; }
put_blob() { local d; d=$(sha "$1"); cp "$1" "$oci/blobs/sha256/$d"; echo "$d"; }

diff_id=$(sha "$work/rootfs.tar")
layer=$(put_blob "$work/layer.tar.gz"); layer_size=$(size "$work/layer.tar.gz")
printf '%s' "{\"architecture\":\"$arch\",\"os\":\"linux\",\"created\":\"1970-01-01T00:00:00Z\",\
\"config\":{\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":[\"/bin/sh\"],\"WorkingDir\":\"/\"},\
\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diff_id\"]},\
\"history\":[{\"created\":\"1970-01-01T00:00:00Z\",\"created_by\":\"scripts/engines/setup.sh (busybox-static rootfs)\"}]}" > "$work/config.json"
config=$(put_blob "$work/config.json"); config_size=$(size "$work/config.json")
printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\
\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$config\",\"size\":$config_size},\
\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$layer\",\"size\":$layer_size}]}" > "$work/manifest.json"
manifest=$(put_blob "$work/manifest.json"); manifest_size=$(size "$work/manifest.json")
printf '%s' '{"imageLayoutVersion":"1.0.0"}' > "$oci/oci-layout"
printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[\
{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$manifest\",\"size\":$manifest_size,\
\"platform\":{\"architecture\":\"$arch\",\"os\":\"linux\"},\
\"annotations\":{\"io.containerd.image.name\":\"docker.io/library/tsrun-busybox:latest\",\"org.opencontainers.image.ref.name\":\"latest\"}}]}" > "$oci/index.json"
jq -e . "$oci/index.json" "$work/manifest.json" "$work/config.json" >/dev/null
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$oci" -cf "$work/oci-image.tar" oci-layout index.json blobs

mv -f "$work/rootfs.tar" "$cache/rootfs.tar"
mv -f "$work/oci-image.tar" "$cache/oci-image.tar"
echo "$stamp_want" > "$cache/stamp"
log "done: rootfs/ rootfs.tar oci-image.tar (manifest sha256:$manifest)"
