#!/usr/bin/env python3
"""A seccomp agent for tests: listens on PATH, receives the container
process state and the notify fd (SCM_RIGHTS), writes the state to OUT, then
answers COUNT notifications with -EXDEV (so the container sees its syscall
fail with EXDEV: proof an agent handled it). Usage: seccomp-agent.py PATH OUT [COUNT]"""
import errno, fcntl, json, os, socket, struct, sys

path, out = sys.argv[1], sys.argv[2]
count = int(sys.argv[3]) if len(sys.argv) > 3 else 1
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
print("ready", flush=True)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 65536, 4)
state = json.loads(msg)
with open(out, "w") as f:
    json.dump({"state": state, "nfds": len(fds)}, f)
notify = fds[0]
# struct seccomp_notif { u64 id; u32 pid; u32 flags; struct seccomp_data data (64 bytes) } = 80 bytes
# struct seccomp_notif_resp { u64 id; s64 val; s32 error; u32 flags } = 24 bytes
RECV, SEND = 0xC0502100, 0xC0182101
for _ in range(count):
    buf = bytearray(80)
    fcntl.ioctl(notify, RECV, buf)
    nid = struct.unpack_from("<Q", buf, 0)[0]
    fcntl.ioctl(notify, SEND, bytearray(struct.pack("<QqiI", nid, 0, -errno.EXDEV, 0)))
os.close(notify)
