// The executor's instruction set and its sync protocol: the one source.
//
// scripts/gen-instruction-set.mjs (run by `make gen`, so by `make build`)
// turns this table into
//   src/native/generated/instruction-set.h   the C side: opcodes, flags,
//       limits, message letters and each op's argument kinds, which the
//       executor checks for every op before it runs the first one;
//   src/native/generated/instruction-set.ts  the TypeScript side: the same
//       constants and one typed builder per op,
//       Op.mount(what, { source, target, fstype, flags, data }, { targetInRoot: true }).
// Nothing else may spell an opcode number, a flag bit or a message letter.
//
// Adding an op: a row at the END of `ops` (the next code), its `case` in
// run_op() of src/native/executor.c, and the TypeScript that plans it
// (src/rootfs, src/process, src/plan, ...). test/plan/instruction-set.test.ts
// fails while an op has no case in executor.c or the generated files are stale.
//
// Argument kinds, as the plan carries them (see `plan` below):
//   int    a 64-bit integer (TypeScript: number or bigint)
//   str    a C string: bytes whose last byte is NUL (TypeScript: string)
//   bytes  raw bytes (TypeScript: Uint8Array)
//   str[]  a counted list: an int n, then n str (TypeScript: string[])
//   int... every remaining argument is an int; only last (TypeScript: number[])

/** The plan's framing (little endian). src/native/plan.ts writes it; decode_plan() in executor.c reads it. */
export const plan = {
  magic: 'TSRP',
  // 2: u32 argument counts.
  version: 2,
  // The largest plan the executor reads. It is the only limit on the number
  // of ops and arguments: the executor sizes its arrays from the plan. What
  // the kernel bounds (exec's ARG_MAX, NGROUPS_MAX) it checks itself.
  maxBytes: 64 * 1024 * 1024,
  layout: [
    'header: magic "TSRP", u32 version, u32 op count',
    'per op: u16 code, u16 flags, u32 argc, then argc arguments',
    'per argument: u8 kind (0 = int, 1 = bytes), then an i64, or a u32 length and the bytes',
    'a str argument carries its own trailing NUL',
  ],
};

/** Pseudo errno the executor reports when a path resolved outside the container root. */
export const ESCAPED_ROOT = 4095;

/** Op flags: bits of an op's u16 flags. An op accepts only the flags its row lists. */
export const flags = [
  { name: 'TARGET_IN_ROOT', bit: 0x1, doc: 'Resolve the target path inside the root opened by OPEN_ROOT (openat2 RESOLVE_IN_ROOT).' },
  { name: 'SRC_IN_ROOT', bit: 0x2, doc: 'Resolve the source path inside the root as well (bind mounts within the container).' },
  { name: 'KEEP_LOCKED', bit: 0x4, doc: "OR in the target's current mount flags: a bind remount must keep locked flags." },
  { name: 'IGNORE_EXIST', bit: 0x8, doc: 'EEXIST is not an error.' },
  { name: 'IGNORE_MISSING', bit: 0x10, doc: 'ENOENT is not an error (and for UMOUNT, EINVAL: no longer a mount point).' },
  { name: 'SRC_FD', bit: 0x20, doc: "MOUNT: the source is the decimal plan index of a BIND_SOURCE op; mount the fd RECV_SOURCES got for it." },
];

const ROOT_PATH = 'path (resolved inside the root, never leaving it)';

/**
 * The ops, in code order.
 * `args`: [name, kind, doc?]; `flags`: the op flags it honours.
 */
export const ops = [
  { code: 1, name: 'SETNS', doc: 'setns(2) into the namespace at path (before clone)', args: [['path', 'str'], ['nstype', 'int', 'CLONE_NEW* of the namespace']] },
  { code: 2, name: 'MKFIFO', doc: 'mkfifo(3) the exec fifo (before clone)', args: [['path', 'str'], ['mode', 'int']] },
  { code: 3, name: 'OPEN_FIFO', doc: 'open the exec fifo O_RDWR and keep it: WAIT_START reads it', args: [['path', 'str']] },
  { code: 4, name: 'SUBREAPER', doc: 'make the executor a child subreaper', args: [] },
  { code: 5, name: 'CLONE', doc: 'clone(2): the parent writes "P <pid>", then exits (wait 0) or stays as the monitor (wait 1); the child goes on', args: [['flags', 'int', 'CLONE_NEW* flags'], ['wait', 'int', '1: stay as the monitor and report "O" and "X"']] },
  { code: 6, name: 'WAIT_GO', doc: 'block until the runtime writes "G" (or "G <len>" and a payload for SEND_LISTENER)', args: [] },
  { code: 7, name: 'UNSHARE', doc: 'unshare(2)', args: [['flags', 'int']] },
  { code: 8, name: 'MOUNT', doc: 'mount(2)', args: [['source', 'str'], ['target', 'str'], ['fstype', 'str'], ['flags', 'int', 'MS_* flags'], ['data', 'str']], flags: ['TARGET_IN_ROOT', 'SRC_IN_ROOT', 'KEEP_LOCKED', 'IGNORE_MISSING', 'SRC_FD'] },
  { code: 9, name: 'OPEN_ROOT', doc: 'open the directory later *_IN_ROOT ops resolve in', args: [['path', 'str']] },
  { code: 10, name: 'MKDIR_IN_ROOT', doc: 'mkdir -p, never leaving the root', args: [['path', 'str', ROOT_PATH], ['mode', 'int']] },
  { code: 11, name: 'MKFILE_IN_ROOT', doc: 'parent directories and an empty file, never leaving the root', args: [['path', 'str', ROOT_PATH], ['mode', 'int']] },
  { code: 12, name: 'MKNOD_IN_ROOT', doc: 'mknod(2) a device with an exact mode and owner, never leaving the root', args: [['path', 'str', ROOT_PATH], ['mode', 'int', 'with the file type bits'], ['major', 'int'], ['minor', 'int'], ['uid', 'int'], ['gid', 'int']], flags: ['IGNORE_EXIST'] },
  { code: 13, name: 'SYMLINK_IN_ROOT', doc: 'symlink(2), never leaving the root', args: [['target', 'str', 'what the link points to'], ['path', 'str', ROOT_PATH]], flags: ['IGNORE_EXIST'] },
  { code: 14, name: 'MASK_PATH', doc: 'a read-only tmpfs over a directory, else /dev/null over the file; a missing path is skipped', args: [['path', 'str', ROOT_PATH]] },
  { code: 15, name: 'READONLY_PATH', doc: 'bind a path onto itself and remount it read-only; a missing path is skipped', args: [['path', 'str', ROOT_PATH]] },
  { code: 16, name: 'PIVOT_ROOT', doc: 'pivot_root(2) to path and detach the old root', args: [['path', 'str']] },
  { code: 17, name: 'MOVE_ROOT', doc: 'MS_MOVE path to / and chroot (--no-pivot)', args: [['path', 'str']] },
  { code: 18, name: 'SETHOSTNAME', doc: 'sethostname(2)', args: [['name', 'str']] },
  { code: 19, name: 'SETDOMAINNAME', doc: 'setdomainname(2)', args: [['name', 'str']] },
  { code: 20, name: 'WRITE_FILE', doc: 'write data to an existing file in one write(2) (sysctls, time offsets, LSM attributes)', args: [['path', 'str'], ['data', 'bytes']] },
  { code: 21, name: 'PRCTL', doc: 'prctl(2)', args: [['option', 'int'], ['arg2', 'int'], ['arg3', 'int'], ['arg4', 'int'], ['arg5', 'int']] },
  { code: 22, name: 'CAPSET', doc: 'capset(2), 64-bit masks', args: [['effective', 'int'], ['permitted', 'int'], ['inheritable', 'int']] },
  { code: 23, name: 'SETGROUPS', doc: 'setgroups(2) with every argument', args: [['gids', 'int...']] },
  { code: 24, name: 'SETRESGID', doc: 'setresgid(2), all three ids', args: [['gid', 'int']] },
  { code: 25, name: 'SETRESUID', doc: 'setresuid(2), all three ids', args: [['uid', 'int']] },
  { code: 26, name: 'PRLIMIT', doc: 'prlimit(2) on ourselves', args: [['resource', 'int'], ['soft', 'int'], ['hard', 'int']] },
  { code: 27, name: 'UMASK', doc: 'umask(2)', args: [['mask', 'int']] },
  { code: 28, name: 'SECCOMP', doc: 'seccomp(SECCOMP_SET_MODE_FILTER); with NEW_LISTENER the notify fd is kept for SEND_LISTENER', args: [['program', 'bytes', 'struct sock_filter[]'], ['flags', 'int', 'SECCOMP_FILTER_FLAG_*']] },
  { code: 29, name: 'CHDIR', doc: 'chdir(2), refused (ESCAPED_ROOT) when the cwd resolves outside the root', args: [['path', 'str']] },
  { code: 30, name: 'SETSID', doc: 'setsid(2); EPERM (a group leader already) is not an error', args: [] },
  { code: 31, name: 'CLOEXEC_FROM', doc: 'close_range(fd, ~0, CLOSE_RANGE_CLOEXEC)', args: [['fd', 'int', 'the first fd to close on exec']] },
  { code: 32, name: 'RESOLVE_EXEC', doc: "find the program in PATH, as execvp does; EXEC runs what it found", args: [['name', 'str'], ['path', 'str', 'the value of PATH']] },
  { code: 33, name: 'READY', doc: 'write "R": set-up is done; then close the sync socket', args: [] },
  { code: 34, name: 'WAIT_START', doc: 'block on the exec fifo until `start` writes it', args: [] },
  { code: 35, name: 'EXEC', doc: 'execve(2) what RESOLVE_EXEC found (else argv[0])', args: [['argv', 'str[]'], ['env', 'str[]']] },
  { code: 36, name: 'CLOSE_FIFO', doc: 'close the exec fifo', args: [] },
  { code: 37, name: 'CHROOT', doc: 'chdir and chroot to path: there is no mount namespace to pivot in', args: [['path', 'str']] },
  { code: 38, name: 'SYNC', doc: 'write "H <tag>" and block until "G" (go on) or anything else (fail with ECANCELED): hooks run meanwhile', args: [['tag', 'int', '1: the createContainer hooks']] },
  { code: 39, name: 'CONNECT_CONSOLE', doc: 'connect to the console socket (before clone)', args: [['path', 'str']] },
  { code: 40, name: 'SETUP_PTY', doc: 'a pty from the container devpts: the master to the console socket, the slave as terminal and stdio', args: [['rows', 'int'], ['cols', 'int'], ['bindConsole', 'int', '1: bind the slave over /dev/console'], ['uid', 'int', 'owner of the slave']] },
  { code: 41, name: 'CONNECT_LISTENER', doc: 'connect to the seccomp listener socket (before clone)', args: [['path', 'str']] },
  { code: 42, name: 'SEND_LISTENER', doc: "send the seccomp notify fd and the runtime's WAIT_GO payload to the listener", args: [] },
  { code: 43, name: 'WATCH_OOM', doc: 'set up the OOM events the monitor reports as "O" (before clone; kind 3 opens the file later)', args: [['kind', 'int', '1: cgroup v1 eventfd, 2: v2 inotify, 3: v2 inotify on a systemd scope, which appears only after clone (the monitor looks for it every 5 ms, for at most 60 s), and the kernel log for a kill systemd removed the scope before memory.events told'], ['file', 'str', 'v1: memory.oom_control, v2: memory.events'], ['eventControl', 'str', "v1: cgroup.event_control, v2: ''"]] },
  { code: 44, name: 'WAIT_FD', doc: 'block until fd is readable (a pidfd: until that process exits)', args: [['fd', 'int']] },
  { code: 45, name: 'COPYUP', doc: "tmpcopyup: phase 0 keeps the image's directory, phase 1 copies it into the tmpfs now mounted there", args: [['path', 'str', ROOT_PATH], ['phase', 'int']] },
  { code: 46, name: 'MOUNT_SETATTR', doc: 'mount_setattr(2) with AT_RECURSIVE', args: [['path', 'str', ROOT_PATH], ['attrSet', 'int'], ['attrClr', 'int']] },
  { code: 47, name: 'PERSONALITY', doc: 'personality(2)', args: [['persona', 'int']] },
  { code: 48, name: 'IOPRIO', doc: 'ioprio_set(2) on ourselves', args: [['value', 'int', 'class << 13 | level']] },
  { code: 49, name: 'SCHED', doc: 'sched_setattr(2) on ourselves', args: [['policy', 'int'], ['flags', 'int'], ['nice', 'int'], ['priority', 'int'], ['runtime', 'int'], ['deadline', 'int'], ['period', 'int']] },
  { code: 50, name: 'AFFINITY', doc: 'sched_setaffinity(2) on ourselves', args: [['mask', 'bytes', 'a CPU bit mask']] },
  { code: 51, name: 'UMOUNT', doc: 'umount2(2)', args: [['path', 'str'], ['flags', 'int', 'MNT_* flags']], flags: ['IGNORE_MISSING'] },
  { code: 52, name: 'OPEN_TREE', doc: 'open_tree(2) a detached copy of a bind source (before clone), idmapped with mount_setattr(2) when the maps are not empty; MOVE_MOUNT attaches it', args: [['source', 'str'], ['openTreeFlags', 'int'], ['uidMap', 'bytes', 'uid_map text, or empty'], ['gidMap', 'bytes', 'gid_map text, or empty'], ['setattrFlags', 'int', 'mount_setattr flags (AT_RECURSIVE for ridmap)']] },
  { code: 53, name: 'MOVE_MOUNT', doc: 'move_mount(2) the copy an OPEN_TREE op made onto a target in the root', args: [['treeOp', 'int', 'plan index of the OPEN_TREE op'], ['target', 'str', ROOT_PATH]] },
  { code: 54, name: 'BIND_SOURCE', doc: "a bind source (before clone): the parent side of CLONE opens it as the runtime, in the init's mount namespace, and sends the fd to the init", args: [['path', 'str']] },
  { code: 55, name: 'RECV_SOURCES', doc: 'receive the BIND_SOURCE fds, before any mount (MOUNT with SRC_FD binds one)', args: [['count', 'int']] },
  { code: 56, name: 'SET_MEMPOLICY', doc: 'set_mempolicy(2): linux.memoryPolicy', args: [['mode', 'int', 'with MPOL_F_* flags'], ['nodes', 'bytes', 'node mask, may be empty']] },
  { code: 57, name: 'LISTENER_HELPER', doc: 'before SECCOMP with a notify listener: fork the helper (sharing our fds, no filter) that sends the notify fd at SEND_LISTENER, so the init makes no syscall until the agent has it', args: [] },
  { code: 58, name: 'CGROUP_JOIN', doc: "open a cgroup.procs file (before clone): the parent side of CLONE writes the init's pid to it before it sends P, and the runtime has no pid to write", args: [['path', 'str', 'a cgroup.procs file, as the runtime sees it']] },
];

/**
 * The sync protocol: everything the runtime (TypeScript, ExecutorSession in
 * src/native/executor.ts) and the executor say to each other over the sync
 * socket (the executor's argv[1]). Like runc's libcontainer/sync.go, every
 * message is here with who sends it, when, and what answers it.
 *
 * The runtime first writes the plan: a u32 length (LE) and the plan bytes.
 * Every message after that is one text line, "<letter>[ <number>...]\n";
 * `G <len>` is followed by len bytes of payload. The executor's lines come
 * from three places: the executor before CLONE and the monitor it becomes
 * with CLONE's wait = 1 ("executor"), and the cloned child ("child").
 *
 * The exchanges, as the plans built in src/plan order their ops:
 *   create   runtime: plan        executor: (ops before CLONE) P <pid>
 *            runtime: cgroup (unless CGROUP_JOIN did), id maps, state.json, then G
 *            child:   (set-up ops) [H 1 -> runtime runs createContainer hooks -> G or N]
 *                     (more ops) R, then blocks in WAIT_START until `start`
 *            run (CLONE wait 1): the executor stays as the monitor: O per OOM, X <status> at the end
 *   exec     the same without H; the process execs right after R
 *   hooks    in the container (src/hooks/in-container.ts): plan, P <pid>; a failed
 *            op before exec is an E line, the hook's exit is the monitor's X
 *   failure  at any point an E <op> <errno> line and exit 1 from the side that
 *            failed; B before any op when the plan is unreadable or does not
 *            match the instruction set
 * The runtime reads lines in src/native/executor.ts (ExecutorSession: expect()
 * for P, R and H, E and B as errors; onOom for O; initExit for X).
 */
export const messages = [
  { name: 'PID', letter: 'P', from: 'executor', fields: ['pid'], when: 'after CLONE, in the parent, once the pid is in the cgroups of the CGROUP_JOIN ops', answer: 'none; the runtime puts the pid in a cgroup (unless CGROUP_JOIN ops did), writes id maps, then sends GO' },
  { name: 'GO', letter: 'G', from: 'runtime', fields: [], when: 'to a child in WAIT_GO or SYNC', answer: 'the child goes on with the next op' },
  { name: 'GO_PAYLOAD', letter: 'G', from: 'runtime', fields: ['len'], when: 'to a child in WAIT_GO, followed by len bytes (at most 65536): the container process state SEND_LISTENER sends with the seccomp notify fd', answer: 'the child goes on; EMSGSIZE (an E line) when len is too big' },
  { name: 'REFUSE', letter: 'N', from: 'runtime', fields: [], when: 'to a child in SYNC, when a hook failed', answer: 'the child fails SYNC with ECANCELED (an E line) and exits' },
  { name: 'READY', letter: 'R', from: 'child', fields: [], when: 'at READY: set-up is done; the child then closes its end', answer: 'none; create records the container, run and exec go on' },
  { name: 'HOOKS', letter: 'H', from: 'child', fields: ['tag'], when: 'at SYNC: the child waits while the runtime runs hooks (tag 1: createContainer)', answer: 'GO, or REFUSE' },
  { name: 'OP_FAILED', letter: 'E', from: 'executor or child', fields: ['op', 'errno'], when: 'an op failed: its index in the plan and the errno (ESCAPED_ROOT: a path left the root); the sender then exits 1', answer: 'none; the runtime reports the op by its description' },
  { name: 'BAD_PLAN', letter: 'B', from: 'executor', fields: ['errno', 'at', 'op?'], when: 'before any op ran: the plan cannot be read. EFBIG: longer than the largest plan; ENOMEM; EBADMSG: malformed at byte at - 1, and when the framing is sound but op (an index) does not match its row in the instruction set (unknown code, flags, argument count or kinds), that op', answer: 'none; the executor exits 1' },
  { name: 'OOM', letter: 'O', from: 'executor', fields: ['oom?', 'oomKill?'], when: "from the monitor (CLONE with wait 1): v1, at each OOM event (no fields); v2, when memory.events' oom or oom_kill count rose, with both counts, and once more before X if they rose since (the monitor reads them: a systemd scope's cgroup is removed as soon as it is empty)", answer: 'none' },
  { name: 'EXIT', letter: 'X', from: 'executor', fields: ['status'], when: "from the monitor, when the init exited: wait(2)'s raw status; the monitor then exits with the init's code or 128 + signal", answer: 'none' },
];
