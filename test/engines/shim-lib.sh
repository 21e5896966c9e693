# shellcheck shell=bash
# Shared by shim-tsrun.sh and shim-runc.sh: the containerd engine
# (containerd.sh: a private containerd, ctr, its scenarios and leak checks)
# with the runtime chosen by shim: SHIM=tsrun runs every container with
# `ctr run --runtime io.containerd.tsrun.v2` (tsrun's own shim, found on
# containerd's PATH), SHIM=runc with io.containerd.runc.v2 and runc, the
# reference, in the same run.
# shellcheck source=containerd.sh
source "$HERE/containerd.sh"

eng_runtime_flags() {
  if [ "$SHIM" = tsrun ]; then
    ln -sf "$REPO/bin/containerd-shim-tsrun-v2" "$E/bin/containerd-shim-tsrun-v2"
    mkdir -p "$E/tsrun-state"
    RF=(--runtime io.containerd.tsrun.v2 --fifo-dir "$E/fifo")
    # The shim's tsrun state root: private to this run.
    CTR_DAEMON_ENV=(env "PATH=$E/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "TSRUN_SHIM_ROOT=$E/tsrun-state")
  else
    RUNTIME=$(command -v runc)
    WRAP=$(make_runtime_wrapper "$E/bin" "$E/runtime-argv.log")
    RF=(--runtime io.containerd.runc.v2 --runc-binary "$WRAP" --runc-root "$E/runc" --fifo-dir "$E/fifo")
  fi
}

eng_scenarios() {
  eng_standard_scenarios
  printf '%s\n' stdin-piped exit-signal shim-exits shim-killed log-uri-file log-uri-binary containerd-restart
}

# tsrun's state: nothing may be left under the shim's root once a container is removed.
eng_leaks() {
  [ -d "$E/tsrun-state" ] || return 0
  find "$E/tsrun-state" -mindepth 2 -maxdepth 2 2>/dev/null | sed 's/^/tsrun state: /'
}

sc_stdin_piped() {
  defer ctr_cleanup in1
  # ctr 1.6 calls CloseIO on stdin's EOF only once its task exists (an EOF
  # during create is lost, with runc's shim too): stdin comes from a FIFO
  # we write to and close once the task runs.
  local fifo=$E/in1.stdin pid
  rm -f "$fifo"; mkfifo "$fifo"
  echo "+ ctr run --rm $IMG in1 sh -c 'cat; echo end' < $fifo" >&2
  tmo "$CTR" run --rm "${RF[@]}" "$IMG" in1 sh -c 'cat; echo end' < "$fifo" > "$E/in1.out" 2> "$W/cmd.err" &
  pid=$!
  exec 7> "$fifo"
  wait_status in1 RUNNING
  printf 'line1\nline2\n' >&7
  exec 7>&-
  RC=0; wait "$pid" || RC=$?
  OUT=$(cat "$E/in1.out"); ERR=$(cat "$W/cmd.err")
  printf '%s\n' "$OUT" "$ERR" | sed 's/^/  | /' >&2
  expect_eq "$RC" 0 "exit code"
  expect_eq "$OUT" $'line1\nline2\nend' "stdin reached the container and ended with EOF"
}

sc_exit_signal() {
  # A process ended by a signal: ctr reports 128+signal, as with runc. (Not
  # the init: pid 1 of a pid namespace ignores signals it has no handler for.)
  defer ctr_cleanup sig1
  ok "ctr run -d" "$CTR" run -d "${RF[@]}" "$IMG" sig1 sleep 1000
  wait_status sig1 RUNNING
  expect_rc 143 "exit code of an exec ended by SIGTERM" "$CTR" task exec --fifo-dir "$E/fifo" --exec-id k1 sig1 sh -c 'kill -TERM $$; sleep 5'
  ok "task kill" "$CTR" task kill -s SIGKILL sig1
  wait_status sig1 STOPPED
  ok "task rm" "$CTR" task rm sig1
  expect_match "$ERR" "exit code 137" "task rm reports the init's SIGKILL"
}

sc_shim_exits() {
  # Once its last container is removed, the container's shim exits (tsrun's
  # serves the whole namespace and lingers a moment for a next container first).
  defer ctr_cleanup se1
  ok "ctr run -d" "$CTR" run -d "${RF[@]}" "$IMG" se1 sleep 1000
  wait_status se1 RUNNING
  local shim
  shim=$(shim_pid se1)
  [ -n "$shim" ] || fail "no shim process found for se1"
  ok "task kill" "$CTR" task kill -s SIGKILL se1
  wait_status se1 STOPPED
  ok "task rm" "$CTR" task rm se1
  ok "container rm" "$CTR" container rm se1
  wait_until 10 sh -c "! kill -0 $shim 2>/dev/null" || fail "the shim $shim of se1 is still running"
}

# shim_pid ID: the process listening on the socket of container ID's shim
# (the address file in its bundle), whichever shim it is.
shim_pid() {
  local a ino p
  a=$(cat "$E/state/io.containerd.runtime.v2.task/$NS/$1/address" 2>/dev/null) || return 0
  ino=$(awk -v p="${a#unix://}" '$8 == p && $6 == "01" {print $7; exit}' /proc/net/unix)
  [ -n "$ino" ] || return 0
  for p in /proc/[0-9]*; do
    if ls -l "$p/fd" 2>/dev/null | grep -q "socket:\[$ino\]"; then echo "${p#/proc/}"; return 0; fi
  done
}

sc_shim_killed() {
  # A shim SIGKILLed while its container runs: containerd sees it go, runs
  # the shim's `delete` subcommand, which kills and removes the container;
  # the leak checks then find no process, state, mount or cgroup.
  defer ctr_cleanup sk1
  ok "ctr run -d" "$CTR" run -d "${RF[@]}" "$IMG" sk1 sleep 1000
  wait_status sk1 RUNNING
  local pid shim
  pid=$(task_pid sk1)
  shim=$(shim_pid sk1)
  [ -n "$shim" ] || fail "no shim process found for sk1"
  kill -9 "$shim"
  wait_until 20 sh -c "! kill -0 $pid 2>/dev/null" || fail "container init $pid still runs after its shim was killed"
  wait_until 20 sh -c "! $CTR task ls -q 2>/dev/null | grep -qx sk1" || fail "task sk1 still listed: $(task_status sk1)"
  ok "container rm" "$CTR" container rm sk1
}

sc_log_uri_file() {
  # ctr run --log-uri file://: stdout and stderr appended to the file (its directory made).
  local f=$E/logs-lf1/out.log
  rm -rf "$E/logs-lf1"
  run_rm lf1 --log-uri "file://$f" -- sh -c 'echo to-out; echo to-err >&2; exit 3'
  expect_eq "$RC" 3 "exit code"
  expect_eq "$(sort "$f" 2>&1)" $'to-err\nto-out' "the log file has both streams"
  rm -rf "$E/logs-lf1"
}

sc_log_uri_binary() {
  # ctr run --log-uri binary://: a logging program gets stdout on fd 3 and
  # stderr on fd 4, says it is ready by closing fd 5; argv from the query,
  # CONTAINER_ID and CONTAINER_NAMESPACE in its environment.
  local logger=$E/bin/test-logger out=$E/lb1.log
  rm -f "$out" "$out.argv"
  cat > "$logger" <<EOT
#!/bin/sh
echo "\$CONTAINER_NAMESPACE \$CONTAINER_ID \$*" > $out.argv
exec 5>&-
/bin/sed 's/^/out: /' <&3 >> $out &
/bin/sed 's/^/err: /' <&4 >> $out &
wait
EOT
  chmod 755 "$logger"
  run_rm lb1 --log-uri "binary://$logger?--tag=t1" -- sh -c 'echo to-out; echo to-err >&2; exit 3'
  expect_eq "$RC" 3 "exit code"
  # runc's shim ends the program with SIGTERM once the task is deleted; tsrun's lets it read EOF.
  wait_until 5 sh -c "[ \$(wc -l < $out) = 2 ]" || fail "the logging program did not get both lines: $(cat "$out")"
  expect_eq "$(sort "$out" 2>&1)" $'err: to-err\nout: to-out' "what the logging program got"
  expect_eq "$(head -1 "$out.argv")" "$NS lb1 --tag t1" "its environment and argv"
  rm -f "$out" "$out.argv" "$logger"
}

sc_containerd_restart() {
  # containerd stopped and started again while a container runs: the shim
  # stays, containerd reconnects to it through the bundle's address file,
  # and the task is still RUNNING, exec-able, killable and removable.
  defer ctr_cleanup cr1
  ok "ctr run -d" "$CTR" run -d "${RF[@]}" "$IMG" cr1 sleep 1000
  wait_status cr1 RUNNING
  local pid shim old new
  pid=$(task_pid cr1)
  shim=$(shim_pid cr1)
  old=$(cat "$E/containerd.pid")
  stop_pid "$old" 20
  kill -0 "$old" 2>/dev/null && fail "containerd $old did not stop"
  kill -0 "$shim" 2>/dev/null || fail "the shim $shim exited with containerd"
  kill -0 "$pid" 2>/dev/null || fail "the container $pid exited with containerd"
  spawn_daemon "$E/containerd-restarted.log" ${CTR_DAEMON_ENV[@]+"${CTR_DAEMON_ENV[@]}"} containerd --config "$E/config.toml"
  new=$!
  echo "$new" > "$E/containerd.pid"
  echo "$new" >> "$E/daemon.pids"
  wait_until 20 sh -c "$CTR version >/dev/null 2>&1" || fail "containerd did not come back"
  wait_status cr1 RUNNING
  expect_eq "$(task_pid cr1)" "$pid" "the same init pid"
  expect_eq "$(shim_pid cr1)" "$shim" "the same shim"
  expect_rc 0 "task exec after the restart" "$CTR" task exec --fifo-dir "$E/fifo" --exec-id e1 cr1 echo after-restart
  expect_eq "$OUT" after-restart "exec output"
  ok "task kill" "$CTR" task kill -s SIGKILL cr1
  wait_status cr1 STOPPED
  ok "task rm" "$CTR" task rm cr1
  expect_match "$ERR" "exit code 137" "task rm reports the exit status"
  ok "container rm" "$CTR" container rm cr1
}
