#!/bin/bash
# Summarizes the bundle config.json files an engine asked the runtime to create
# (copied by the test/engines runtime wrapper into <workdir>/<engine>/specs/):
# for each spec feature, the distinct values seen and in how many specs.
#
# usage: scripts/engines/spec-summary.sh SPECDIR [WORKDIR]
set -euo pipefail
dir=${1:?usage: spec-summary.sh SPECDIR [WORKDIR]}
w=${2:-$(echo "$dir" | grep -oE '^.*/tsrun-engines\.[^/]+' || true)}
shopt -s nullglob
files=("$dir"/*.json)
[ ${#files[@]} -gt 0 ] || { echo "no specs in $dir"; exit 0; }
echo "## ${#files[@]} specs; feature<TAB>value<TAB>count"
jq -r '
  def kv(k; v): "\(k)\t\(v)";
  kv("ociVersion"; .ociVersion),
  kv("root"; "path=" + (if (.root.path|startswith("/")) then "<abs>" else .root.path end) + " readonly=\(.root.readonly // false)"),
  kv("process.terminal"; .process.terminal // false),
  kv("process.user"; .process.user | tostring),
  kv("process.cwd"; .process.cwd),
  kv("process.noNewPrivileges"; .process.noNewPrivileges // false),
  kv("process.oomScoreAdj"; .process.oomScoreAdj // "unset"),
  kv("process.apparmorProfile"; .process.apparmorProfile // "unset"),
  kv("process.selinuxLabel"; .process.selinuxLabel // "unset"),
  kv("process.capabilities"; (.process.capabilities // {}) | to_entries | map("\(.key)=\(.value|length)") | join(" ")),
  kv("process.rlimits"; (.process.rlimits // []) | map("\(.type)=\(.soft):\(.hard)") | join(" ")),
  kv("process.env names"; (.process.env // []) | map(split("=")[0]) | join(",")),
  kv("hostname"; if .hostname then "set" else "unset" end),
  kv("domainname"; .domainname // "unset"),
  ((.mounts // [])[] | kv("mount"; "\(.destination) type=\(.type) src=\(.source // "" | if startswith("/") and (test("^/(proc|sys|dev)") | not) then "<path>" else . end) opts=\((.options // []) | join(","))")),
  kv("hooks"; (.hooks // {}) | to_entries | map("\(.key)[\(.value|length)]: \(.value|map(.path + " args=" + ((.args // [])|join(" ")) + " timeout=" + (.timeout // "unset" | tostring))|join("; "))") | join(" ") | if . == "" then "none" else . end),
  ((.linux.namespaces // [])[] | kv("namespace"; .type + (if .path then " path=" + .path else "" end))),
  kv("linux.uidMappings"; (.linux.uidMappings // []) | length),
  kv("linux.cgroupsPath"; (.linux.cgroupsPath // "unset") | gsub("tse[a-z0-9]+"; "<tag>") | sub("/(?<p>libpod-)?[^/]+$"; "/\(.p // "")<container>")),
  kv("linux.resources keys"; (.linux.resources // {}) | keys | join(",")),
  kv("linux.resources.devices"; (.linux.resources.devices // []) | map("\(if .allow then "allow" else "deny" end) \(.type // "a") \(.major // "*"):\(.minor // "*") \(.access // "")") | join("; ")),
  kv("linux.devices"; (.linux.devices // []) | map(.path) | join(",")),
  kv("linux.seccomp"; if .linux.seccomp then (.linux.seccomp | "defaultAction=\(.defaultAction) defaultErrnoRet=\(.defaultErrnoRet // "unset") archs=\((.architectures // [])|length) rules=\((.syscalls // [])|length) actions=\([.syscalls[]?.action]|unique|join(",")) flags=\(.flags // [] | join(",")) listenerPath=\(.listenerPath // "unset")") else "none" end),
  kv("linux.maskedPaths"; (.linux.maskedPaths // []) | join(",")),
  kv("linux.readonlyPaths"; (.linux.readonlyPaths // []) | join(",")),
  kv("linux.rootfsPropagation"; .linux.rootfsPropagation // "unset"),
  kv("linux.sysctl"; (.linux.sysctl // {}) | to_entries | map("\(.key)=\(.value)") | join(",")),
  kv("linux.mountLabel"; .linux.mountLabel // "unset"),
  kv("linux.personality"; .linux.personality // "unset" | tostring),
  kv("annotations"; (.annotations // {}) | keys | join(",") | if . == "" then "none" else . end),
  kv("top-level keys"; keys | join(","))
' "${files[@]}" | sed -E "s#${w:-/nonexistent}#<W>#g; s#[0-9a-f]{64}#<id>#g; s#[0-9a-f]{12}\b#<shortid>#g; s#/proc/[0-9]+/exe#/proc/<dockerd-pid>/exe#g" \
  | sort | uniq -c | awk '{ c=$1; sub(/^ *[0-9]+ /, ""); print $0 "\t" c }'
