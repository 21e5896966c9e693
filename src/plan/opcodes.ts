// The executor's instruction set. Keep in step with the enum in
// src/native/executor.c: test/plan-encode.test.ts compares the two.
export const OpCode = {
  SETNS: 1,
  MKFIFO: 2,
  OPEN_FIFO: 3,
  SUBREAPER: 4,
  CLONE: 5,
  WAIT_GO: 6,
  UNSHARE: 7,
  MOUNT: 8,
  OPEN_ROOT: 9,
  MKDIR_IN_ROOT: 10,
  MKFILE_IN_ROOT: 11,
  MKNOD_IN_ROOT: 12,
  SYMLINK_IN_ROOT: 13,
  MASK_PATH: 14,
  READONLY_PATH: 15,
  PIVOT_ROOT: 16,
  MOVE_ROOT: 17,
  SETHOSTNAME: 18,
  SETDOMAINNAME: 19,
  WRITE_FILE: 20,
  PRCTL: 21,
  CAPSET: 22,
  SETGROUPS: 23,
  SETRESGID: 24,
  SETRESUID: 25,
  PRLIMIT: 26,
  UMASK: 27,
  SECCOMP: 28,
  CHDIR: 29,
  SETSID: 30,
  CLOEXEC_FROM: 31,
  RESOLVE_EXEC: 32,
  READY: 33,
  WAIT_START: 34,
  EXEC: 35,
  CLOSE_FIFO: 36,
  CHROOT: 37,
  SYNC: 38,
  CONNECT_CONSOLE: 39,
  SETUP_PTY: 40,
  CONNECT_LISTENER: 41,
  SEND_LISTENER: 42,
  WATCH_OOM: 43,
  WAIT_FD: 44,
  COPYUP: 45,
  MOUNT_SETATTR: 46,
  PERSONALITY: 47,
  IOPRIO: 48,
  SCHED: 49,
  AFFINITY: 50,
  UMOUNT: 51,
  /** Before clone: open_tree(2) a detached copy of a bind source, idmapped when maps are given. */
  OPEN_TREE: 52,
  /** In the init: move_mount(2) the copy OPEN_TREE made (arg: that op's index) onto a target in the root. */
  MOVE_MOUNT: 53,
  /** Before clone: a bind source that the parent side of CLONE opens (as the runtime, in the init's mount namespace) and sends to the init. */
  BIND_SOURCE: 54,
  /** In the init: receive the BIND_SOURCE fds (arg: how many); MOUNT with SRC_FD binds one. */
  RECV_SOURCES: 55,
  /** linux.memoryPolicy: set_mempolicy(2) with a mode (MPOL_F_* flags OR'd in) and a node mask. */
  SET_MEMPOLICY: 56,
  /** Before SECCOMP (with a notify listener): fork the helper that sends the notify fd at SEND_LISTENER. */
  LISTENER_HELPER: 57,
} as const;
export type OpCode = (typeof OpCode)[keyof typeof OpCode];

export const OpFlag = {
  /** Resolve the target path inside the root opened by OPEN_ROOT (openat2 RESOLVE_IN_ROOT). */
  TARGET_IN_ROOT: 0x1,
  /** Resolve the source path inside the root as well (bind mounts within the container). */
  SRC_IN_ROOT: 0x2,
  /** OR in the target's current mount flags: a bind remount must keep locked flags. */
  KEEP_LOCKED: 0x4,
  /** EEXIST is not an error. */
  IGNORE_EXIST: 0x8,
  /** ENOENT is not an error (and for UMOUNT, EINVAL: no longer a mount point). */
  IGNORE_MISSING: 0x10,
  /** MOUNT: the source is the fd of the BIND_SOURCE op whose index is arg 0. */
  SRC_FD: 0x20,
} as const;

/** Pseudo errno the executor reports when a path resolved outside the container root. */
export const ESCAPED_ROOT = 4095;

/**
 * The largest plan the executor reads (MAX_PLAN_BYTES in executor.c). It is
 * the only limit on the number of ops and arguments: the executor sizes its
 * arrays from the plan. Format version 2: u32 argument counts.
 */
export const PLAN_VERSION = 2;
export const MAX_PLAN_BYTES = 64 * 1024 * 1024;
