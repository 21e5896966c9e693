#!/usr/bin/env python3
"""A --pidfd-socket for tests: listens on PATH, receives one fd over
SCM_RIGHTS, and prints the payload and the pid the fd refers to (the
"Pid:" line of /proc/self/fdinfo/FD, which a pidfd has).
Usage: recvpidfd.py PATH   (prints "ready" once listening)"""
import socket, sys

srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1])
srv.listen(1)
print("ready", flush=True)
srv.settimeout(20)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
pid = next((l.split()[1] for l in open(f"/proc/self/fdinfo/{fds[0]}") if l.startswith("Pid:")), "none")
print(f"payload {msg.decode()} pid {pid}", flush=True)
