#!/bin/sh
# Builds a minimal root filesystem from Debian's busybox-static: the busybox
# binary, one symlink per applet, and the directories and files a container
# expects. Nothing here is committed; `make rootfs` rebuilds it.
set -eu
dest=${1:?usage: make-rootfs.sh DEST}
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "make-rootfs: $busybox missing: apt-get install busybox-static" >&2; exit 1; }
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' || ldd "$busybox" 2>&1 | grep -q 'not a dynamic' || {
  echo "make-rootfs: $busybox is not static: install busybox-static" >&2; exit 1; }
tmp=$(mktemp -d "${dest%/}.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/sbin" "$tmp/usr/bin" "$tmp/usr/sbin" "$tmp/dev" "$tmp/proc" "$tmp/sys" \
  "$tmp/tmp" "$tmp/etc" "$tmp/root" "$tmp/home" "$tmp/var" "$tmp/run" "$tmp/mnt"
chmod 755 "$tmp"   # mktemp made it 0700: other users must be able to enter /
chmod 1777 "$tmp/tmp"
cp "$busybox" "$tmp/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$tmp/bin/$applet"
done
cat > "$tmp/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$tmp/etc/group" <<'G'
root:x:0:
daemon:x:1:
nogroup:x:65534:
G
echo "tsrun-busybox" > "$tmp/etc/hostname"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "make-rootfs: $dest ($(ls "$dest/bin" | wc -l) entries in /bin)"
