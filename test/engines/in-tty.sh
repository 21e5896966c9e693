#!/bin/bash
# in-tty.sh CMD...: runs CMD with a pseudo-terminal as its stdin, stdout and
# stderr (util-linux script), and exits with CMD's exit code. script's own
# stdin is a FIFO opened read-write: it never delivers data nor EOF, so the
# engine client never sees its input close (an EOF makes some clients detach
# before the container's output is drained).
set -u
dir=$(mktemp -d "${TMPDIR:-/tmp}/in-tty.XXXXXX")
mkfifo -m 600 "$dir/in"
exec 3<>"$dir/in"
rm -rf "$dir"
exec script -qfec "$(printf '%q ' "$@")" /dev/null <&3 3<&-
