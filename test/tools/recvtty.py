#!/usr/bin/env python3
"""A console socket for tests, like runc's contrib recvtty: listens on PATH,
receives one pty master over SCM_RIGHTS, writes INPUT (if given) to it, and
copies what the container prints to stdout until the pty closes.
Usage: recvtty.py PATH [INPUT]   (prints "pty NAME" first on stderr)"""
import os, socket, sys, select

path = sys.argv[1]
data = sys.argv[2].encode() if len(sys.argv) > 2 else b""
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
print("ready", flush=True)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
print("pty " + msg.decode(), file=sys.stderr, flush=True)
master = fds[0]
if data:
    os.write(master, data)
while True:
    r, _, _ = select.select([master], [], [], 10)
    if not r:
        break
    try:
        chunk = os.read(master, 4096)
    except OSError:  # EIO: the slave side closed
        break
    if not chunk:
        break
    sys.stdout.buffer.write(chunk)
    sys.stdout.flush()
