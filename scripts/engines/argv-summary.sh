#!/bin/bash
# Summarizes a runtime argv log written by the test/engines wrapper: the
# distinct runtime invocations an engine made, with ids, paths and temp names
# replaced by placeholders, and how often each occurred; then the distinct
# stdio/fd sets and environment variable names per subcommand.
#
# usage: scripts/engines/argv-summary.sh LOG [WORKDIR]
#   WORKDIR (default: guessed from LOG, .../tsrun-engines.XXX) is shown as <W>.
set -euo pipefail
log=${1:?usage: argv-summary.sh LOG [WORKDIR]}
w=${2:-$(echo "$log" | grep -oE '^.*/tsrun-engines\.[^/]+' || true)}

norm() {
  sed -E \
    -e "s#${w:-/nonexistent}#<W>#g" \
    -e 's#[0-9a-f]{64}#<id>#g' \
    -e 's#io\.containerd\.runtime\.v2\.task/([^/ ]+)/([^/ ]+)#io.containerd.runtime.v2.task/<ns>/<id>#g' \
    -e 's#/runc/tse[a-z0-9]+#/runc/<ns>#g' \
    -e 's#runc-process[0-9]+#runc-process<N>#g' \
    -e 's#/tmp/pty[0-9]+/#/tmp/pty<N>/#g' \
    -e 's#conmon-term\.[A-Za-z0-9]+#conmon-term.<R>#g' \
    -e 's#exec-process-[0-9]+#exec-process-<N>#g' \
    -e 's#/var/tmp/podman[0-9]+#/var/tmp/podman<N>#g' \
    -e 's#<id>/[a-z0-9]+\.pid#<id>/<exec-id>.pid#g'
}

# Container ids of ctr runs are plain names (det1, ...): the bundle path tells
# which token is the id; replace that token everywhere on the line.
awk '{
  line = $0
  if (match(line, /io\.containerd\.runtime\.v2\.task\/[^\/ ]+\/[^\/ ]+/)) {
    p = substr(line, RSTART, RLENGTH); n = split(p, a, "/"); id = a[n]
    if (id !~ /^[0-9a-f]{64}$/) {
      gsub(" " id "( |$)", " <id> ", line); sub(/ $/, "", line)
      gsub("/" id "/", "/<id>/", line); gsub("/" id " ", "/<id> ", line); gsub("/" id "$", "/<id>", line)
    }
  }
  print line
}' "$log" | norm > "${TMPDIR:-/tmp}/argv-summary.$$"
trap 'rm -f "${TMPDIR:-/tmp}/argv-summary.$$"' EXIT
f=${TMPDIR:-/tmp}/argv-summary.$$

echo "## distinct invocations (count, argv after the runtime path)"
sed 's/.* argv: //' "$f" | sort | uniq -c | sort -k2 | sed 's/^ *\([0-9]*\) /\1\t/'
echo
echo "## per subcommand: cwd, fds, environment variable names"
sed -E 's/^[^ ]+ pid=[0-9]+ ppid=[0-9]+ //' "$f" | awk '{
  argv = $0; sub(/.* argv: /, "", argv)
  n = split(argv, a, " "); sub_ = "?"
  for (i = 1; i <= n; i++) {
    if (a[i] ~ /^--(root|log|log-format|criu)$/) { i++; continue }
    if (a[i] ~ /^-/) continue
    sub_ = a[i]; break
  }
  meta = $0; sub(/ argv: .*/, "", meta)
  gsub(/cwd=[^ ]*<id>[^ ]*/, "cwd=<bundle>", meta)
  print sub_ "\t" meta
}' | sort | uniq -c | sed 's/^ *\([0-9]*\) /\1\t/'
