#!/usr/bin/env python3
"""A seccomp agent for tests: listens on PATH, receives the container
process state and the notify fd (SCM_RIGHTS), writes the state to OUT, then
answers COUNT notifications with -EXDEV (so the container sees its syscall
fail with EXDEV: proof an agent handled it). With COUNT "continue" it lets
every notified syscall go on (SECCOMP_USER_NOTIF_FLAG_CONTINUE) until the
container is gone, then adds the syscall numbers it saw to OUT as "nrs".
Usage: seccomp-agent.py PATH OUT [COUNT|continue]"""
import errno, fcntl, json, os, socket, struct, sys

path, out = sys.argv[1], sys.argv[2]
mode = sys.argv[3] if len(sys.argv) > 3 else "1"
count = 0 if mode == "continue" else int(mode)
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
if mode == "continue":
    import select
    nrs = []
    p = select.poll()
    p.register(notify, select.POLLIN)
    while True:
        ev = p.poll(20000)
        if not ev or ev[0][1] & select.POLLHUP:
            break
        buf = bytearray(80)
        try:
            fcntl.ioctl(notify, RECV, buf)
        except OSError:
            continue
        nid, _, _, nr = struct.unpack_from("<QIIi", buf, 0)
        nrs.append(nr)
        try:
            fcntl.ioctl(notify, SEND, bytearray(struct.pack("<QqiI", nid, 0, 0, 1)))
        except OSError:
            pass
    with open(out, "w") as f:
        json.dump({"state": state, "nfds": len(fds), "nrs": nrs}, f)
os.close(notify)
