# Sourced by the systemd VM's scenario scripts (podman.sh, rootless.sh,
# containerd.sh). `check RUNTIME WHAT OK DETAIL` prints one CHECK line, OK
# being a status (0 = ok); tsrun's checks (runtime names starting with
# "tsrun") are counted, the references' (runc, crun) only printed. Set
# CHECK_PREFIX first (e.g. "podman+"). Ends: `check_summary`.
pass=0
fail=0
check() { # runtime what ok(0/1) detail
  local rt=$1 what=$2 ok=$3 detail=${4:-}
  if [ "$ok" = 0 ]; then
    echo "CHECK $CHECK_PREFIX$rt $what: ok ${detail:+($detail)}"
    [[ $rt == tsrun* ]] && pass=$((pass + 1))
  else
    echo "CHECK $CHECK_PREFIX$rt $what: FAIL ${detail:+($detail)}"
    [[ $rt == tsrun* ]] && fail=$((fail + 1))
  fi
  return 0
}
check_summary() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}
