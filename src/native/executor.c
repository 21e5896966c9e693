/*
 * tsrun-executor: the plan interpreter.
 *
 * All policy lives in TypeScript (src/plan). This program only reads a
 * binary plan from the sync socket and runs its operations in order, one
 * syscall (or one fixed syscall sequence) each. It parses no config.json and
 * makes no decisions beyond "did this call fail". It is linked statically and
 * is single-threaded, so clone() without CLONE_VM is safe here, unlike in Node.
 *
 * Invocation: tsrun-executor SYNC_FD
 *   The runtime writes the plan on the sync socket, then the two sides
 *   exchange one-letter lines. The plan's format, every op with its
 *   arguments, and every line (who sends it, when, what answers it) are
 *   in src/native/instruction-set.mjs, the one source of
 *   generated/instruction-set.h (make gen) and of the TypeScript side.
 *   Before the first op runs, every op is checked against its row there
 *   (code, flags, argument count and kinds): a plan that does not match
 *   is refused as a whole with a MSG_BAD_PLAN line, never half run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/sendfile.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <linux/memfd.h>
/*
 * Built with musl where it is the host's own libc build (Makefile), with
 * glibc when cross-compiled. musl 1.2's headers lack the new mount API and
 * close_range's flags; the kernel's headers have them (glibc 2.36's
 * <sys/mount.h> clashes with <linux/mount.h>, so only where it is missing).
 */
#ifndef MOUNT_ATTR_IDMAP
#include <linux/mount.h>
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#include <linux/close_range.h>
#endif
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>

#include "generated/instruction-set.h"

struct arg {
	int is_bytes;
	int64_t num;
	const char *bytes;
	uint32_t len;
};

struct op {
	uint16_t code, flags;
	uint32_t argc;
	struct arg *args;
	size_t at; /* byte offset of its header in the plan, for MSG_BAD_PLAN */
};

static struct op *ops;
static uint32_t nops;

static int sync_fd = -1;
static int console_fd = -1;
static int listener_sock = -1;    /* connected to linux.seccomp.listenerPath */
static int notify_fd = -1;        /* from seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER) */
static volatile int *helper_page; /* shared with the OP_LISTENER_HELPER child: state, fd, errno */
static pid_t helper_pid;
static char go_payload[65536]; /* what the runtime sent with "G" */
static size_t go_payload_len;
static int fifo_fd = -1;
static int root_fd = -1;
static int copyup_fd = -1;               /* the image's directory under a tmpcopyup mount */
static int oom_fd = -1;                  /* eventfd (v1) or inotify fd (v2) the monitor polls */
static int oom_events_fd = -1;           /* v2: memory.events, which the monitor reads itself */
static const char *oom_later;            /* v2, WATCH_OOM kind 3: memory.events not there yet */
static int oom_later_tries;              /* how many 5 ms looks for it are left */
static uint64_t oom_seen[2];             /* v2: memory.events' oom and oom_kill, as last reported */
static int kmsg_fd = -1;                 /* kind 3: the kernel log from the watch on, for a kill systemd hid */
static int *tree_fds;                    /* per op index: the fd OP_OPEN_TREE, OP_RECV_SOURCES or OP_CGROUP_JOIN got, or 0 */
static int source_socks[2] = { -1, -1 }; /* OP_BIND_SOURCE fds go from [0] (parent) to [1] (init) */
static char exec_path[4096];
static uint32_t current_op;

/* ---- tiny async-signal-safe helpers (no stdio, no malloc) ---- */

static size_t fmt_u(char *out, uint64_t v)
{
	char tmp[24];
	size_t n = 0, i;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		/* MSG_NOSIGNAL: a runtime that went away must not kill us with SIGPIPE. */
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);
		if (w < 0 && errno == ENOTSOCK)
			w = write(fd, buf, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += w;
		len -= (size_t)w;
	}
}

/* "<tag> <a>[ <b>[ <c>]]\n": nums says how many of a, b, c to write (1 to 3). */
static void send_line(char tag, int nums, uint64_t a, uint64_t b, uint64_t c)
{
	char line[80];
	size_t n = 0;
	uint64_t v[3] = { a, b, c };
	line[n++] = tag;
	for (int i = 0; i < nums; i++) {
		line[n++] = ' ';
		n += fmt_u(line + n, v[i]);
	}
	line[n++] = '\n';
	write_all(sync_fd, line, n);
}

/* A one-letter line: "R\n", "O\n". */
static void send_letter(char tag)
{
	char line[2] = { tag, '\n' };
	write_all(sync_fd, line, 2);
}

static _Noreturn void fail(int err)
{
	if (err == 0)
		err = EIO;
	if (sync_fd >= 0)
		send_line(MSG_OP_FAILED, 2, current_op, (uint64_t)err, 0);
	_exit(1);
}

static void fmt_fd_path(char *out, int fd)
{
	static const char prefix[] = "/proc/self/fd/";
	memcpy(out, prefix, sizeof(prefix) - 1);
	size_t n = fmt_u(out + sizeof(prefix) - 1, (uint64_t)fd);
	out[sizeof(prefix) - 1 + n] = '\0';
}

/* ---- plan decoding ---- */

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static uint16_t get16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Zeroed memory of our own (no malloc here): mmap, or NULL. */
static void *alloc_zeroed(size_t size)
{
	void *p = mmap(NULL, size ? size : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * Walks the plan once to check its framing and count the ops and arguments
 * (fill == 0), then again to fill the arrays sized from that count. Returns
 * 0, or the byte offset + 1 at which the plan is malformed.
 */
static size_t walk_plan(const unsigned char *buf, size_t len, int fill, size_t *total_args)
{
	size_t pos = 12, used = 0;
	for (uint32_t i = 0; i < nops; i++) {
		if (pos + 8 > len)
			return pos + 1;
		uint32_t argc = get32(buf + pos + 4);
		if (fill) {
			ops[i].at = pos;
			ops[i].code = get16(buf + pos);
			ops[i].flags = get16(buf + pos + 2);
			ops[i].argc = argc;
			ops[i].args = &ops[nops].args[used];
		}
		pos += 8;
		/* Every argument takes at least 5 bytes: a count beyond that is a lie. */
		if (argc > (len - pos) / 5)
			return pos + 1;
		for (uint32_t a = 0; a < argc; a++, used++) {
			struct arg *g = fill ? &ops[i].args[a] : NULL;
			if (pos + 1 > len)
				return pos + 1;
			unsigned char kind = buf[pos++];
			if (kind == 0) {
				if (pos + 8 > len)
					return pos + 1;
				if (g) {
					g->is_bytes = 0;
					g->num = (int64_t)((uint64_t)get32(buf + pos) | ((uint64_t)get32(buf + pos + 4) << 32));
				}
				pos += 8;
			} else if (kind == 1) {
				if (pos + 4 > len)
					return pos + 1;
				uint32_t blen = get32(buf + pos);
				pos += 4;
				if (blen > len - pos)
					return pos + 1;
				if (g) {
					g->is_bytes = 1;
					g->len = blen;
					g->bytes = (const char *)buf + pos;
				}
				pos += blen;
			} else {
				return pos;
			}
		}
	}
	*total_args = used;
	return pos == len ? 0 : pos + 1;
}

/*
 * Returns 0, or an errno: EBADMSG with *at set to the byte offset + 1 of the
 * first malformed part, or ENOMEM.
 */
static int decode_plan(const unsigned char *buf, size_t len, size_t *at)
{
	size_t total_args = 0;
	if (len < 12 || memcmp(buf, PLAN_MAGIC, 4) != 0 || get32(buf + 4) != PLAN_VERSION) {
		*at = 1;
		return EBADMSG;
	}
	nops = get32(buf + 8);
	/* Every op takes at least 8 bytes. */
	if (nops > (len - 12) / 8) {
		*at = 9;
		return EBADMSG;
	}
	if ((*at = walk_plan(buf, len, 0, &total_args)) != 0)
		return EBADMSG;
	/* One array: the ops, then (through ops[nops].args) all their arguments. */
	ops = alloc_zeroed((nops + 1) * sizeof(struct op));
	if (!ops)
		return ENOMEM;
	ops[nops].args = alloc_zeroed(total_args * sizeof(struct arg));
	if (!ops[nops].args)
		return ENOMEM;
	return (*at = walk_plan(buf, len, 1, &total_args)) != 0 ? EBADMSG : 0;
}

/*
 * Does the op match its row in the instruction set: a known code, only the
 * flags it honours, and exactly the arguments its kinds describe? A string
 * must end in its NUL: the ops use it as a C string.
 */
static int op_matches_spec(const struct op *o)
{
	if (o->code == 0 || o->code > OP_LAST || !op_specs[o->code].kinds)
		return 0;
	const struct op_spec *spec = &op_specs[o->code];
	if (o->flags & ~spec->flags)
		return 0;
	uint32_t a = 0;
	for (const char *k = spec->kinds; *k; k++) {
		uint64_t count = 1;
		char kind = *k;
		if (kind == 'L') { /* an int n, then n strings */
			if (a >= o->argc || o->args[a].is_bytes)
				return 0;
			count = (uint64_t)o->args[a++].num;
			if (count > o->argc - a)
				return 0;
			kind = 's';
		} else if (kind == 'I') { /* ints to the end */
			count = o->argc - a;
			kind = 'i';
		}
		for (uint64_t c = 0; c < count; c++, a++) {
			if (a >= o->argc)
				return 0;
			const struct arg *g = &o->args[a];
			if (g->is_bytes != (kind != 'i'))
				return 0;
			if (kind == 's' && (g->len == 0 || g->bytes[g->len - 1] != '\0'))
				return 0;
		}
	}
	return a == o->argc;
}

static const char *S(const struct op *o, uint32_t i) { return o->args[i].bytes; }
static int64_t N(const struct op *o, uint32_t i) { return o->args[i].num; }

/* ---- resolving paths inside the container root ---- */

static int open_in_root(const char *rel, int flags)
{
	struct open_how how;
	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	while (*rel == '/')
		rel++;
	if (*rel == '\0')
		rel = ".";
	return (int)syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
}

/*
 * mkdir -p below root_fd. Each existing prefix is resolved with
 * RESOLVE_IN_ROOT, so a symlink such as rootfs/mnt -> /etc is followed as if
 * root_fd were "/" and cannot lead out; each missing component is created
 * with mkdirat() relative to its resolved parent. Returns an O_PATH fd of the
 * last directory (the parent of the leaf when skip_last is set).
 */
static int mkdirs_in_root_at(const char *rel, mode_t mode, int skip_last, const char **leaf, int depth);

/*
 * name (in dir, reached as prefix/name) is a symlink whose target is
 * missing. As runc (securejoin's MkdirAllInRoot) does, make the target:
 * read it and create it with the same in-root walk, so an absolute or
 * climbing target is taken inside the root and cannot lead out. A file
 * when as_file, else a directory. Not a symlink: nothing to do here.
 */
static void make_link_target(int dir, const char *prefix, size_t prefix_len, const char *name, mode_t mode, int as_file, int depth)
{
	char target[4096], full[8192];
	ssize_t n = readlinkat(dir, name, target, sizeof(target) - 1);
	if (n < 0)
		return;
	if (depth >= 40)
		fail(ELOOP);
	target[n] = '\0';
	size_t at = 0;
	if (target[0] != '/') {
		memcpy(full, prefix, prefix_len);
		at = prefix_len;
		full[at++] = '/';
	}
	memcpy(full + at, target, (size_t)n + 1);
	if (!as_file) {
		close(mkdirs_in_root_at(full, mode, 0, NULL, depth + 1));
		return;
	}
	const char *leaf;
	int d = mkdirs_in_root_at(full, 0755, 1, &leaf, depth + 1);
	if (leaf) {
		int fd = openat(d, leaf, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0)
			close(fd);
		else if (errno == ELOOP)
			make_link_target(d, full, (size_t)(leaf - full), leaf, mode, 1, depth + 1);
	}
	close(d);
}

static int mkdirs_in_root(const char *rel, mode_t mode, int skip_last, const char **leaf)
{
	return mkdirs_in_root_at(rel, mode, skip_last, leaf, 0);
}

/*
 * The common case of mkdirs_in_root: every directory exists already (the
 * mount points of an image), found with one lookup instead of one per
 * component, and resolved the same way (RESOLVE_IN_ROOT over the whole
 * path). -1 for anything else, which the walk then does step by step.
 */
static int existing_dirs_in_root(const char *rel, int skip_last, const char **leaf)
{
	char path[4096];
	size_t len = strlen(rel);
	if (len >= sizeof(path))
		return -1;
	memcpy(path, rel, len + 1);
	const char *name = NULL;
	if (skip_last) {
		char *slash = strrchr(path, '/');
		name = slash ? slash + 1 : path;
		if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			return -1;
		if (slash)
			*slash = '\0';
		else
			path[0] = '\0';
	}
	int dir = open_in_root(path, O_PATH | O_DIRECTORY);
	if (dir >= 0 && leaf)
		*leaf = name ? rel + (name - path) : NULL;
	return dir;
}

static int mkdirs_in_root_at(const char *rel, mode_t mode, int skip_last, const char **leaf, int depth)
{
	int found = existing_dirs_in_root(rel, skip_last, leaf);
	if (found >= 0)
		return found;
	if (!skip_last) {
		/* Next most common: only the last directory is missing (a mount point on a new tmpfs). */
		const char *name;
		int parent = existing_dirs_in_root(rel, 1, &name);
		if (parent >= 0) {
			int made = mkdirat(parent, name, mode) == 0;
			close(parent);
			found = made ? open_in_root(rel, O_PATH | O_DIRECTORY) : -1;
			if (found >= 0)
				return found;
		}
	}
	char path[4096];
	size_t len = strlen(rel);
	if (len >= sizeof(path))
		fail(ENAMETOOLONG);
	memcpy(path, rel, len + 1);
	int dir = open_in_root(".", O_PATH | O_DIRECTORY);
	if (dir < 0)
		fail(errno);
	char *p = path;
	while (*p == '/')
		p++;
	while (*p) {
		char *slash = strchr(p, '/');
		if (!slash && skip_last) {
			if (leaf)
				*leaf = rel + (p - path);
			return dir;
		}
		if (slash)
			*slash = '\0';
		if (strcmp(p, ".") != 0 && *p != '\0') {
			int next = open_in_root(path, O_PATH | O_DIRECTORY);
			if (next < 0 && errno == ENOENT) {
				if (mkdirat(dir, p, mode) < 0) {
					if (errno != EEXIST)
						fail(errno);
					make_link_target(dir, path, (size_t)(p - path), p, mode, 0, depth);
				}
				next = open_in_root(path, O_PATH | O_DIRECTORY);
			}
			if (next < 0)
				fail(errno);
			close(dir);
			dir = next;
		}
		if (!slash)
			break;
		*slash = '/';
		p = slash + 1;
		while (*p == '/')
			p++;
	}
	if (leaf)
		*leaf = NULL;
	return dir;
}

/* The flags a bind remount must keep, or the kernel refuses it (EPERM). */
static unsigned long locked_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;
	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	if (sv.f_flag & ST_RDONLY)
		f |= MS_RDONLY;
	return f;
}

/* ---- the operations ---- */

static void op_mount(const struct op *o)
{
	const char *src = o->args[0].len ? S(o, 0) : NULL;
	const char *target = S(o, 1);
	const char *fstype = o->args[2].len ? S(o, 2) : NULL;
	unsigned long flags = (unsigned long)N(o, 3);
	const char *data = o->args[4].len ? S(o, 4) : NULL;
	char target_path[64], src_path[64];
	int tfd = -1, sfd = -1;

	if (o->flags & F_TARGET_IN_ROOT) {
		tfd = open_in_root(target, O_PATH);
		if (tfd < 0)
			fail(errno);
		fmt_fd_path(target_path, tfd);
		target = target_path;
	}
	if (o->flags & F_SRC_FD) {
		/* The source is the decimal index of an OP_BIND_SOURCE op. */
		uint64_t at = 0;
		for (const char *p = S(o, 0); *p; p++)
			at = *p >= '0' && *p <= '9' ? at * 10 + (uint64_t)(*p - '0') : UINT64_MAX;
		if (!tree_fds || at >= nops || tree_fds[at] <= 0)
			fail(EBADF);
		fmt_fd_path(src_path, tree_fds[at]);
		src = src_path;
	} else if (src && (o->flags & F_SRC_IN_ROOT)) {
		sfd = open_in_root(src, O_PATH);
		if (sfd < 0)
			fail(errno);
		fmt_fd_path(src_path, sfd);
		src = src_path;
	}
	if (o->flags & F_KEEP_LOCKED)
		flags |= locked_flags(target) & ~(unsigned long)(MS_RDONLY & ~flags);
	if (mount(src, target, fstype, flags, data) < 0 && !(errno == ENOENT && (o->flags & F_IGNORE_MISSING)))
		fail(errno);
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
}

/* Room for the per-op fd table, made on first use. */
static void need_tree_fds(void)
{
	if (!tree_fds && !(tree_fds = alloc_zeroed(nops * sizeof(int))))
		fail(ENOMEM);
}

/* ---- tmpcopyup: the image's directory copied into the tmpfs mounted over it ---- */

static char xattr_names[65536];
static char xattr_value[65536];

/* Extended attributes of one open file or directory. */
static void copy_xattrs(int src, int dst)
{
	ssize_t n = flistxattr(src, xattr_names, sizeof(xattr_names));
	if (n < 0) {
		if (errno == ENOTSUP)
			return;
		fail(errno);
	}
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(xattr_names + i) + 1) {
		const char *name = xattr_names + i;
		ssize_t v = fgetxattr(src, name, xattr_value, sizeof(xattr_value));
		if (v < 0)
			fail(errno);
		if (fsetxattr(dst, name, xattr_value, (size_t)v, 0) < 0)
			fail(errno);
	}
}

/* Owner, then mode (a chown clears set-id bits), then times, of an open file. */
static void copy_meta(int src, int dst, const struct stat *st)
{
	copy_xattrs(src, dst);
	if (fchown(dst, st->st_uid, st->st_gid) < 0 || fchmod(dst, st->st_mode & 07777) < 0)
		fail(errno);
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	if (futimens(dst, ts) < 0)
		fail(errno);
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Copies the entries of directory src into directory dst, recursively, never following a symlink. */
static void copy_tree(int src, int dst, int depth)
{
	char buf[4096];
	if (depth > 256)
		fail(ELOOP);
	for (;;) {
		long n = syscall(SYS_getdents64, src, buf, sizeof(buf));
		if (n < 0)
			fail(errno);
		if (n == 0)
			return;
		for (long pos = 0; pos < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + pos);
			pos += d->d_reclen;
			const char *name = d->d_name;
			if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
				continue;
			struct stat st;
			if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				fail(errno);
			if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
				int s = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
				if (s < 0)
					fail(errno);
				int t;
				if (S_ISDIR(st.st_mode)) {
					if (mkdirat(dst, name, 0700) < 0)
						fail(errno);
					t = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
					if (t < 0)
						fail(errno);
					copy_tree(s, t, depth + 1);
				} else {
					t = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
					if (t < 0)
						fail(errno);
					for (;;) {
						ssize_t c = sendfile(t, s, NULL, 1 << 20);
						if (c < 0)
							fail(errno);
						if (c == 0)
							break;
					}
				}
				copy_meta(s, t, &st);
				close(s);
				close(t);
			} else if (S_ISLNK(st.st_mode)) {
				char target[4096];
				ssize_t l = readlinkat(src, name, target, sizeof(target) - 1);
				if (l < 0)
					fail(errno);
				target[l] = '\0';
				if (symlinkat(target, dst, name) < 0 || fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
					fail(errno);
				struct timespec ts[2] = { st.st_atim, st.st_mtim };
				if (utimensat(dst, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
					fail(errno);
			} else {
				/* devices, fifos, sockets */
				if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0 ||
				    fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
				    fchmodat(dst, name, st.st_mode & 07777, 0) < 0)
					fail(errno);
			}
		}
	}
}

/* sched_setattr(2)'s argument (SCHED_ATTR_SIZE_VER0 = 48 bytes); glibc has no wrapper. */
struct sched_attr_v0 {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
};

static void op_sched(const struct op *o)
{
	struct sched_attr_v0 a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.sched_policy = (uint32_t)N(o, 0);
	a.sched_flags = (uint64_t)N(o, 1);
	a.sched_nice = (int32_t)N(o, 2);
	a.sched_priority = (uint32_t)N(o, 3);
	a.sched_runtime = (uint64_t)N(o, 4);
	a.sched_deadline = (uint64_t)N(o, 5);
	a.sched_period = (uint64_t)N(o, 6);
	if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
		fail(errno);
}

/* Mount attributes on a mount and every mount below it (rro, rnosuid, ...). */
static void op_mount_setattr(const struct op *o)
{
	int fd = open_in_root(S(o, 0), O_PATH);
	if (fd < 0)
		fail(errno);
	struct mount_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.attr_set = (uint64_t)N(o, 1);
	attr.attr_clr = (uint64_t)N(o, 2);
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		fail(errno);
	close(fd);
}

/*
 * A user namespace with the given uid_map and gid_map text, as an fd: a
 * child that only waits is cloned into a new one, its maps are written from
 * here (we are privileged in the parent namespace), its namespace is opened,
 * and it is killed. The namespace lives on through the fd.
 */
static int userns_with_maps(const char *uid_map, size_t uid_len, const char *gid_map, size_t gid_len)
{
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, NULL, NULL, 0);
	if (pid < 0)
		fail(errno);
	if (pid == 0) {
		for (;;)
			pause();
	}
	char path[64] = "/proc/";
	size_t n = 6 + fmt_u(path + 6, (uint64_t)pid);
	int err = 0, ns = -1;
	const char *files[2] = { "/uid_map", "/gid_map" };
	const char *maps[2] = { uid_map, gid_map };
	size_t lens[2] = { uid_len, gid_len };
	for (int i = 0; i < 2 && !err; i++) {
		memcpy(path + n, files[i], 9);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			err = errno;
			break;
		}
		ssize_t w = write(fd, maps[i], lens[i]);
		if (w != (ssize_t)lens[i])
			err = w < 0 ? errno : EIO;
		close(fd);
	}
	if (!err) {
		memcpy(path + n, "/ns/user", 9);
		ns = open(path, O_RDONLY | O_CLOEXEC);
		if (ns < 0)
			err = errno;
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
	if (err)
		fail(err);
	return ns;
}

/*
 * Before clone, with the runtime's credentials and in its namespaces: a
 * detached copy (open_tree OPEN_TREE_CLONE) of a bind source, so that the
 * init, once in its user namespace, needs no access to the source's path
 * (a 0700 parent), and, when the maps are given, idmapped (mount_setattr
 * MOUNT_ATTR_IDMAP, which only the initial namespace's root may set on a
 * host filesystem). OP_MOVE_MOUNT attaches it.
 */
static void op_open_tree(const struct op *o)
{
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, S(o, 0), (unsigned)N(o, 1));
	if (tree < 0)
		fail(errno);
	if (o->args[2].len > 0) {
		int ns = userns_with_maps(o->args[2].bytes, o->args[2].len, o->args[3].bytes, o->args[3].len);
		struct mount_attr attr;
		memset(&attr, 0, sizeof(attr));
		attr.attr_set = MOUNT_ATTR_IDMAP;
		attr.userns_fd = (uint64_t)ns;
		if (syscall(SYS_mount_setattr, tree, "", (unsigned)N(o, 4), &attr, sizeof(attr)) < 0)
			fail(errno);
		close(ns);
	}
	need_tree_fds();
	tree_fds[current_op] = tree;
}

static void op_move_mount(const struct op *o)
{
	uint64_t at = (uint64_t)N(o, 0);
	if (!tree_fds || at >= nops || tree_fds[at] <= 0)
		fail(EBADF);
	int tfd = open_in_root(S(o, 1), O_PATH);
	if (tfd < 0)
		fail(errno);
	if (syscall(SYS_move_mount, tree_fds[at], "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		fail(errno);
	close(tfd);
	close(tree_fds[at]);
	tree_fds[at] = 0;
}

static void op_copyup(const struct op *o)
{
	if (N(o, 1) == 0) {
		copyup_fd = open_in_root(S(o, 0), O_RDONLY | O_DIRECTORY);
		if (copyup_fd < 0)
			fail(errno);
		return;
	}
	int dst = open_in_root(S(o, 0), O_RDONLY | O_DIRECTORY);
	if (dst < 0 || copyup_fd < 0)
		fail(dst < 0 ? errno : EBADF);
	copy_tree(copyup_fd, dst, 0);
	close(dst);
	close(copyup_fd);
	copyup_fd = -1;
}

static void op_mkfile_in_root(const struct op *o)
{
	const char *leaf;
	int dir = mkdirs_in_root(S(o, 0), 0755, 1, &leaf);
	if (!leaf)
		fail(EISDIR);
	int fd = openat(dir, leaf, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, (mode_t)N(o, 1));
	if (fd < 0 && errno == ELOOP)
		make_link_target(dir, S(o, 0), (size_t)(leaf - S(o, 0)), leaf, (mode_t)N(o, 1), 1, 0);
	else if (fd < 0 && errno != EEXIST && errno != EISDIR)
		fail(errno);
	if (fd >= 0)
		close(fd);
	close(dir);
}

static void op_mknod_in_root(const struct op *o)
{
	const char *leaf;
	int dir = mkdirs_in_root(S(o, 0), 0755, 1, &leaf);
	if (!leaf)
		fail(EISDIR);
	dev_t dev = makedev((unsigned)N(o, 2), (unsigned)N(o, 3));
	if (mknodat(dir, leaf, (mode_t)N(o, 1), dev) < 0) {
		if (!(errno == EEXIST && (o->flags & F_IGNORE_EXIST)))
			fail(errno);
	}
	/* mknod applies the umask; set the exact mode and owner asked for. */
	if (fchmodat(dir, leaf, (mode_t)N(o, 1) & 07777, 0) < 0)
		fail(errno);
	if (fchownat(dir, leaf, (uid_t)N(o, 4), (gid_t)N(o, 5), AT_SYMLINK_NOFOLLOW) < 0)
		fail(errno);
	close(dir);
}

static void op_symlink_in_root(const struct op *o)
{
	const char *leaf;
	int dir = mkdirs_in_root(S(o, 1), 0755, 1, &leaf);
	if (!leaf)
		fail(EEXIST);
	if (symlinkat(S(o, 0), dir, leaf) < 0 && !(errno == EEXIST && (o->flags & F_IGNORE_EXIST)))
		fail(errno);
	close(dir);
}

static void op_mask_path(const struct op *o)
{
	char p[64];
	int fd = open_in_root(S(o, 0), O_PATH);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		fail(errno);
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		fail(errno);
	fmt_fd_path(p, fd);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0k") < 0)
			fail(errno);
	} else {
		if (mount("/dev/null", p, NULL, MS_BIND, NULL) < 0)
			fail(errno);
	}
	close(fd);
}

static void op_readonly_path(const struct op *o)
{
	char p[64];
	int fd = open_in_root(S(o, 0), O_PATH);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		fail(errno);
	}
	fmt_fd_path(p, fd);
	if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
		fail(errno);
	close(fd);
	/* Reopen: the fd above names the dentry under the new bind mount. */
	fd = open_in_root(S(o, 0), O_PATH);
	if (fd < 0)
		fail(errno);
	fmt_fd_path(p, fd);
	unsigned long f = locked_flags(p) | MS_BIND | MS_REMOUNT | MS_RDONLY;
	if (mount(NULL, p, NULL, f, NULL) < 0)
		fail(errno);
	close(fd);
}

static void op_pivot_root(const struct op *o)
{
	int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	int newroot = open(S(o, 0), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (oldroot < 0 || newroot < 0)
		fail(errno);
	if (fchdir(newroot) < 0)
		fail(errno);
	/* pivot_root(".", ".") stacks the old root on top of the new one. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		fail(errno);
	if (fchdir(oldroot) < 0)
		fail(errno);
	/* Detaching must not propagate unmounts back to the host. */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		fail(errno);
	if (umount2(".", MNT_DETACH) < 0)
		fail(errno);
	if (fchdir(newroot) < 0 || chdir("/") < 0)
		fail(errno);
	close(oldroot);
	close(newroot);
}

static void op_move_root(const struct op *o)
{
	if (chdir(S(o, 0)) < 0)
		fail(errno);
	if (mount(S(o, 0), "/", NULL, MS_MOVE, NULL) < 0)
		fail(errno);
	if (chroot(".") < 0 || chdir("/") < 0)
		fail(errno);
}

static void op_write_file(const struct op *o)
{
	int fd = open(S(o, 0), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		fail(errno);
	ssize_t w = write(fd, o->args[1].bytes, o->args[1].len);
	if (w < 0)
		fail(errno);
	if ((uint32_t)w != o->args[1].len)
		fail(EIO);
	close(fd);
}

static void op_capset(const struct op *o)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	uint64_t eff = (uint64_t)N(o, 0), prm = (uint64_t)N(o, 1), inh = (uint64_t)N(o, 2);
	data[0].effective = (uint32_t)eff;
	data[1].effective = (uint32_t)(eff >> 32);
	data[0].permitted = (uint32_t)prm;
	data[1].permitted = (uint32_t)(prm >> 32);
	data[0].inheritable = (uint32_t)inh;
	data[1].inheritable = (uint32_t)(inh >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		fail(errno);
}

static void op_setgroups(const struct op *o)
{
	gid_t *groups = alloc_zeroed(o->argc * sizeof(gid_t));
	if (!groups)
		fail(ENOMEM);
	for (uint32_t i = 0; i < o->argc; i++)
		groups[i] = (gid_t)N(o, i);
	if (syscall(SYS_setgroups, (size_t)o->argc, groups) < 0)
		fail(errno);
}

static void op_chdir(const struct op *o)
{
	char cwd[4096];
	if (chdir(S(o, 0)) < 0)
		fail(errno);
	/*
	 * CVE-2024-21626: a cwd reached through a leaked fd lies outside the
	 * root; the kernel then reports it as "(unreachable)..." or with no
	 * leading slash. Refuse to run anything there.
	 */
	if (syscall(SYS_getcwd, cwd, sizeof(cwd)) < 0)
		fail(errno);
	if (cwd[0] != '/')
		fail(ESCAPED_ROOT);
}

static int is_executable_file(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	if (access(path, X_OK) < 0)
		return -errno;
	return 0;
}

static void op_resolve_exec(const struct op *o)
{
	const char *name = S(o, 0);
	const char *path = S(o, 1);
	size_t nlen = strlen(name);
	if (nlen == 0)
		fail(ENOENT);
	if (strchr(name, '/')) {
		if (nlen >= sizeof(exec_path))
			fail(ENAMETOOLONG);
		int r = is_executable_file(name);
		if (r < 0)
			fail(-r);
		memcpy(exec_path, name, nlen + 1);
		return;
	}
	int last_err = ENOENT;
	const char *p = path;
	while (1) {
		const char *end = strchr(p, ':');
		size_t dlen = end ? (size_t)(end - p) : strlen(p);
		if (dlen == 0) {
			dlen = 1;
			p = ".";
		}
		if (dlen + 1 + nlen + 1 <= sizeof(exec_path)) {
			memcpy(exec_path, p, dlen);
			exec_path[dlen] = '/';
			memcpy(exec_path + dlen + 1, name, nlen + 1);
			int r = is_executable_file(exec_path);
			if (r == 0)
				return;
			if (r != -ENOENT && r != -ENOTDIR)
				last_err = -r;
		}
		if (!end)
			break;
		p = end + 1;
	}
	fail(last_err);
}

static void op_exec(const struct op *o)
{
	/* The kernel bounds argv and env (ARG_MAX); the runtime checked that before the plan. */
	uint32_t i = 0;
	uint64_t argc = (uint64_t)N(o, i++);
	if (o->argc < 2 || argc > o->argc - 2)
		fail(EBADMSG);
	uint64_t envc = (uint64_t)N(o, (uint32_t)(argc + 1));
	if (envc != o->argc - 2 - argc)
		fail(EBADMSG);
	char **argv = alloc_zeroed((argc + 1 + envc + 1) * sizeof(char *));
	if (!argv)
		fail(ENOMEM);
	char **envp = argv + argc + 1;
	for (uint64_t a = 0; a < argc; a++)
		argv[a] = (char *)S(o, i++);
	i++;
	for (uint64_t e = 0; e < envc; e++)
		envp[e] = (char *)S(o, i++);
	execve(exec_path[0] ? exec_path : argv[0], argv, envp);
	fail(errno);
}

static int connect_unix(const char *path)
{
	struct sockaddr_un addr;
	size_t len = strlen(path);
	if (len >= sizeof(addr.sun_path))
		fail(ENAMETOOLONG);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path, len);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail(errno);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		fail(errno);
	return fd;
}

/* Sends fd with SCM_RIGHTS and data as the payload. */
/* sendmsg(2) one fd with SCM_RIGHTS and a payload: 0, or the errno. */
static int try_send_fd(int sock, int fd, const void *data, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	memset(&control, 0, sizeof(control));
	struct iovec iov = { (void *)data, len };
	struct msghdr msg;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof(control.buf);
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? errno : 0;
}

static void send_fd(int sock, int fd, const void *data, size_t len)
{
	int err = try_send_fd(sock, fd, data, len);
	if (err)
		fail(err);
}

/*
 * The terminal (process.terminal): a pty from the container's own devpts,
 * its master sent over the console socket with SCM_RIGHTS (the payload is
 * the slave's name, as runc sends it), its slave made our controlling
 * terminal and stdio, and bound over /dev/console when asked.
 */
static void op_setup_pty(const struct op *o)
{
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		fail(errno);
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		fail(errno);
	unsigned int n;
	if (ioctl(master, TIOCGPTN, &n) < 0)
		fail(errno);
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (slave < 0)
		fail(errno);
	/* The slave belongs to the process's user (arg 3), as runc's does; its
	 * group stays the one devpts gave it (gid=5, tty). */
	if (o->argc > 3 && fchown(slave, (uid_t)N(o, 3), (gid_t)-1) < 0)
		fail(errno);
	struct winsize ws;
	memset(&ws, 0, sizeof(ws));
	ws.ws_row = (unsigned short)N(o, 0);
	ws.ws_col = (unsigned short)N(o, 1);
	if ((ws.ws_row || ws.ws_col) && ioctl(slave, TIOCSWINSZ, &ws) < 0)
		fail(errno);

	char name[32] = "/dev/pts/";
	size_t nl = 9 + fmt_u(name + 9, n);
	name[nl] = '\0';
	if (N(o, 2) && mount(name, "/dev/console", NULL, MS_BIND, NULL) < 0)
		fail(errno);

	if (console_fd < 0)
		fail(EBADF);
	send_fd(console_fd, master, name, nl);
	close(master);
	close(console_fd);
	console_fd = -1;

	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		fail(errno);
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			fail(errno);
	if (slave > 2)
		close(slave);
}

/*
 * SCMP_ACT_NOTIFY may catch any syscall the init makes after its filter is
 * on, sendmsg included, and the agent can answer only once it has the fd.
 * So the fd is sent by a helper forked before the filter (it has none) that
 * shares our fd table (CLONE_FILES): at OP_SEND_LISTENER the init only
 * stores the fd number in shared memory and spins, with no syscall, until
 * the helper reports that the agent has it. States: 0 waiting, 1 fd ready,
 * 2 sent, 3 failed (errno in [2]).
 */
static void op_listener_helper(void)
{
	helper_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (helper_page == MAP_FAILED)
		fail(errno);
	pid_t init = getpid();
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, NULL, NULL, 0);
	if (pid < 0)
		fail(errno);
	if (pid > 0) {
		helper_pid = pid;
		return;
	}
	while (__atomic_load_n(&helper_page[0], __ATOMIC_ACQUIRE) == 0) {
		if (getppid() != init)
			_exit(0); /* the init is gone */
		sched_yield();
	}
	int err = try_send_fd(listener_sock, helper_page[1], go_payload, go_payload_len);
	if (err) {
		helper_page[2] = err;
		__atomic_store_n(&helper_page[0], 3, __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&helper_page[0], 2, __ATOMIC_RELEASE);
	}
	_exit(0);
}

/* OP_SEND_LISTENER with a helper: publish the fd, spin until it is sent, then reap the helper. */
static void send_listener_by_helper(void)
{
	helper_page[1] = notify_fd;
	__atomic_store_n(&helper_page[0], 1, __ATOMIC_RELEASE);
	int state;
	while ((state = __atomic_load_n(&helper_page[0], __ATOMIC_ACQUIRE)) == 1)
		__asm__ volatile("" ::: "memory");
	/* From here the agent answers whatever the filter sends it. */
	while (waitpid(helper_pid, NULL, __WALL) < 0 && errno == EINTR)
		;
	if (state != 2)
		fail(helper_page[2] ? helper_page[2] : EIO);
}

static _Noreturn void monitor(pid_t pid);
static void report_oom_counts(void);
static int kmsg_says_killed(pid_t pid);
static int oom_watch_v2(const char *file);
static void ignore_group_signals(void);
/*
 * The parent side of OP_CLONE, when OP_BIND_SOURCE ops came before it: as
 * runc does, open each bind source with our own credentials (the init, in
 * its user namespace, may not search a 0700 host directory on the way),
 * but inside the init's mount namespace (a bind from a mount of another
 * namespace is refused), and send the O_PATH fds to the init with their op
 * index. The init takes them at OP_RECV_SOURCES, before any mount.
 */
static void send_sources(pid_t pid)
{
	char path[64] = "/proc/";
	size_t n = 6 + fmt_u(path + 6, (uint64_t)pid);
	memcpy(path + n, "/ns/mnt", 8);
	int ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0 || setns(ns, CLONE_NEWNS) < 0)
		fail(errno);
	close(ns);
	for (uint32_t i = 0; i < current_op; i++) {
		if (ops[i].code != OP_BIND_SOURCE)
			continue;
		int fd = open(S(&ops[i], 0), O_PATH | O_CLOEXEC);
		if (fd < 0) {
			current_op = i; /* the error names the source's op */
			fail(errno);
		}
		send_fd(source_socks[0], fd, &i, sizeof(i));
		close(fd);
	}
	close(source_socks[0]);
	source_socks[0] = -1;
}

/*
 * The parent side of OP_CLONE, when OP_CGROUP_JOIN ops came before it: the
 * init's pid into each cgroup.procs opened then, in plan order, before "P".
 * The init is still waiting for "G", so it has run nothing; a failure names
 * the file's op. The child closes its copies at once (close_cgroup_joins).
 */
static void join_cgroups(pid_t pid)
{
	char text[24];
	size_t len = fmt_u(text, (uint64_t)pid);
	for (uint32_t i = 0; tree_fds && i < current_op; i++) {
		if (ops[i].code != OP_CGROUP_JOIN)
			continue;
		ssize_t w = write(tree_fds[i], text, len);
		int err = errno;
		close(tree_fds[i]);
		tree_fds[i] = 0;
		if (w != (ssize_t)len) {
			current_op = i; /* the error names the file's op */
			fail(w < 0 ? err : EIO);
		}
	}
}

/* In the init: the cgroup.procs files are the parent's to write. */
static void close_cgroup_joins(void)
{
	for (uint32_t i = 0; tree_fds && i < current_op; i++) {
		if (ops[i].code == OP_CGROUP_JOIN && tree_fds[i] > 0) {
			close(tree_fds[i]);
			tree_fds[i] = 0;
		}
	}
}

static void op_recv_sources(const struct op *o)
{
	need_tree_fds();
	for (int64_t k = 0; k < N(o, 0); k++) {
		uint32_t at;
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} control;
		struct iovec iov = { &at, sizeof(at) };
		struct msghdr msg;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		ssize_t r = recvmsg(source_socks[1], &msg, MSG_CMSG_CLOEXEC);
		if (r == 0)
			_exit(1); /* the parent failed and said so */
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		if (r != sizeof(at) || at >= nops || !c || c->cmsg_type != SCM_RIGHTS)
			fail(r < 0 ? errno : EBADMSG);
		memcpy(&tree_fds[at], CMSG_DATA(c), sizeof(int));
	}
	close(source_socks[1]);
	source_socks[1] = -1;
}

static void op_clone(const struct op *o)
{
	unsigned long flags = (unsigned long)N(o, 0);
	int wait_child = (int)N(o, 1);
	pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
	if (pid < 0)
		fail(errno);
	if (pid == 0) {
		/* Only the parent sends bind sources: our copy of its end would hide its exit. */
		if (source_socks[0] >= 0)
			close(source_socks[0]);
		source_socks[0] = -1;
		close_cgroup_joins();
		return; /* the child goes on with the next op */
	}
	if (source_socks[1] >= 0)
		close(source_socks[1]);
	source_socks[1] = -1;

	join_cgroups(pid);
	if (source_socks[0] >= 0)
		send_sources(pid);
	send_line(MSG_PID, 1, (uint64_t)pid, 0, 0);
	if (!wait_child)
		_exit(0);
	/*
	 * The init's parent from here on: for a foreground `run`, a hook, and
	 * the library, the monitor that reports the init's exit. Only the child
	 * talks to the caller until it is ready; after that the sync socket
	 * carries our "O" and "X" lines to whoever still listens (nobody, after
	 * the caller closed its end: MSG_NOSIGNAL makes that harmless).
	 */
	if (fifo_fd >= 0)
		close(fifo_fd);
	for (uint32_t i = 0; tree_fds && i < nops; i++)
		if (tree_fds[i] > 0)
			close(tree_fds[i]); /* the init's to attach, not ours */
	ignore_group_signals();
	monitor(pid);
}

/*
 * The monitor shares the caller's process group: a signal sent to the group
 * (job control, `kill -USR1 -PGID`) reaches it as well as the caller, who
 * forwards it to the init. Dying of it would end a foreground run early and
 * get the container force-deleted, so ignore every signal whose default is
 * to terminate, real-time ones included (raw syscall: glibc refuses 32 and
 * 33). Faults stay fatal, SIGKILL still ends us, and SIGCHLD is blocked for
 * the signalfd. The init, cloned before this, keeps its own dispositions.
 */
static void ignore_group_signals(void)
{
	unsigned long ksa[4] = { (unsigned long)SIG_IGN, 0, 0, 0 };
	for (int sig = 1; sig <= 64; sig++) {
		switch (sig) {
		case SIGKILL:
		case SIGSTOP:
		case SIGCHLD:
		case SIGCONT:
		case SIGTSTP:
		case SIGTTIN:
		case SIGTTOU:
		case SIGSEGV:
		case SIGBUS:
		case SIGFPE:
		case SIGILL:
		case SIGTRAP:
		case SIGSYS:
		case SIGABRT:
			continue;
		}
		syscall(SYS_rt_sigaction, sig, ksa, NULL, sizeof(uint64_t));
	}
}

/* Exit with the init's status, after telling the caller its raw form. */
static _Noreturn void init_exited(int status)
{
	send_line(MSG_EXIT, 1, (uint64_t)(unsigned)status, 0, 0);
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	_exit(128 + WTERMSIG(status));
}

/*
 * Reap whatever is reparented to us (we may be a subreaper) and report
 * the init's exit; report OOM events as they come. SIGCHLD is taken through
 * a signalfd so that one poll() waits for both.
 */
static _Noreturn void monitor(pid_t pid)
{
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	int sfd = signalfd(-1, &chld, SFD_CLOEXEC);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END); /* from the clone on: a pid logged before was another process */
	for (;;) {
		/* Reap first: the init may have exited before the signalfd existed. */
		for (;;) {
			int status;
			pid_t w = waitpid(-1, &status, __WALL | (sfd >= 0 ? WNOHANG : 0));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				_exit(255);
			if (w == 0)
				break;
			if (w == pid && (WIFEXITED(status) || WIFSIGNALED(status))) {
				/* Now, before the cgroup can be removed: its last counts with the exit. */
				if (oom_later && oom_watch_v2(oom_later) == 0)
					oom_later = NULL;
				if (oom_events_fd >= 0)
					report_oom_counts();
				if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && oom_seen[1] == 0 && kmsg_says_killed(pid)) {
					oom_seen[0] = oom_seen[0] ? oom_seen[0] : 1;
					oom_seen[1] = 1;
					send_line(MSG_OOM, 2, oom_seen[0], oom_seen[1], 0);
				}
				init_exited(status);
			}
		}
		/* Create starts the scope within a second or two; after 60 s (a path that never
		 * appears) the monitor stops looking rather than wake every 5 ms for good. */
		if (oom_later && (oom_watch_v2(oom_later) == 0 || --oom_later_tries <= 0))
			oom_later = NULL;
		struct pollfd p[2] = { { sfd, POLLIN, 0 }, { oom_fd, POLLIN, 0 } };
		/* A scope that is not there yet is looked for every 5 ms: it appears during create. */
		if (poll(p, oom_fd >= 0 ? 2 : 1, oom_later ? 5 : -1) < 0)
			continue; /* EINTR */
		if (p[0].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) < 0 && errno == EINTR)
				;
		}
		if (oom_fd >= 0 && p[1].revents) {
			char buf[4096];
			ssize_t r = read(oom_fd, buf, sizeof(buf));
			if (r < 0 && errno != EINTR && errno != EAGAIN) {
				close(oom_fd); /* the cgroup went away */
				oom_fd = -1;
			}
			if (oom_events_fd >= 0)
				report_oom_counts();
			else
				send_letter(MSG_OOM);
		}
	}
}

/* The value of "key N" in memory.events' text, or 0. */
static uint64_t events_count(const char *text, const char *key)
{
	size_t k = strlen(key);
	for (const char *line = text; *line;) {
		if (strncmp(line, key, k) == 0 && line[k] == ' ') {
			uint64_t v = 0;
			for (const char *d = line + k + 1; *d >= '0' && *d <= '9'; d++)
				v = v * 10 + (uint64_t)(*d - '0');
			return v;
		}
		const char *nl = strchr(line, '\n');
		if (!nl)
			break;
		line = nl + 1;
	}
	return 0;
}

/*
 * v2: read memory.events and send "O <oom> <oom_kill>" when either count
 * rose. The monitor reads them itself because systemd removes a scope's
 * cgroup as soon as its last process has exited: the runtime, told later,
 * could find nothing left to read.
 */
static void report_oom_counts(void)
{
	char text[1024];
	ssize_t r = pread(oom_events_fd, text, sizeof(text) - 1, 0);
	if (r < 0) { /* ENODEV: the cgroup is gone; what was read before stands */
		close(oom_events_fd);
		oom_events_fd = -1;
		return;
	}
	text[r] = 0;
	uint64_t oom = events_count(text, "oom"), kill = events_count(text, "oom_kill");
	if (oom == oom_seen[0] && kill == oom_seen[1])
		return;
	oom_seen[0] = oom;
	oom_seen[1] = kill;
	send_line(MSG_OOM, 2, oom, kill, 0);
}

/*
 * v2: watch memory.events and keep it open to read; 0 or an errno. The
 * same inotify fd watches cgroup.events beside it: when the cgroup empties
 * (the init was killed), systemd learns it from that file and removes a
 * scope's cgroup, and the kernel may not yet have told memory.events'
 * watchers of the kill (it sends at most one notification per file every
 * few ms). Read then, the counts are still there.
 */
static int oom_watch_v2(const char *file)
{
	char events[4096];
	const char *slash = strrchr(file, '/');
	size_t dir_len = slash ? (size_t)(slash - file) : 0;
	if (dir_len + sizeof("/cgroup.events") > sizeof(events))
		return ENAMETOOLONG;
	memcpy(events, file, dir_len);
	memcpy(events + dir_len, "/cgroup.events", sizeof("/cgroup.events"));
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ifd < 0 || inotify_add_watch(ifd, file, IN_MODIFY) < 0 || inotify_add_watch(ifd, events, IN_MODIFY) < 0) {
		int err = errno;
		close(fd);
		if (ifd >= 0)
			close(ifd);
		return err;
	}
	oom_events_fd = fd;
	oom_fd = ifd;
	return 0;
}

/*
 * Whether the kernel logged an OOM kill of pid since the watch began
 * ("... Killed process <pid> (<comm>) ..."; the log has said so in these
 * words since Linux 2.6). For a systemd scope only: systemd learns that
 * the scope emptied as soon as we do, often removes its cgroup before we
 * can read memory.events, and the kernel may not have told memory.events'
 * watchers of the kill yet (it notifies a file at most once per few ms).
 * The kill is logged before the victim can have died; one retry 1 ms later
 * covers a log write still under way on another CPU.
 */
static int kmsg_says_killed(pid_t pid)
{
	if (kmsg_fd < 0)
		return 0;
	char want[48] = "Killed process ";
	size_t n = strlen(want);
	n += fmt_u(want + n, (uint64_t)pid);
	want[n++] = ' ';
	want[n++] = '(';
	want[n] = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		char rec[8192];
		for (;;) {
			ssize_t r = read(kmsg_fd, rec, sizeof(rec) - 1);
			if (r < 0 && (errno == EINTR || errno == EPIPE))
				continue; /* EPIPE: records were overwritten; go on from the oldest left */
			if (r <= 0)
				break;
			rec[r] = 0;
			const char *msg = strchr(rec, ';');
			if (msg && strstr(msg, want))
				return 1;
		}
		struct timespec ms = { 0, 1000000 };
		nanosleep(&ms, NULL);
	}
	return 0;
}

/*
 * OOM events for the monitor, set up before clone. v1: an eventfd
 * registered through cgroup.event_control for memory.oom_control (args:
 * oom_control, event_control). v2: an inotify watch on memory.events,
 * which the kernel touches on every memory event (arg: memory.events); the
 * monitor reads its counters and reports when they rise. Kind 3: the same
 * for a systemd scope, which only exists once the runtime has started it
 * with the init inside; the monitor opens it when it appears.
 */
static void op_watch_oom(const struct op *o)
{
	if (N(o, 0) == 1) {
		int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		int cfd = open(S(o, 1), O_RDONLY | O_CLOEXEC);
		int ctl = open(S(o, 2), O_WRONLY | O_CLOEXEC);
		if (efd < 0 || cfd < 0 || ctl < 0)
			fail(errno);
		char line[48];
		size_t n = fmt_u(line, (uint64_t)efd);
		line[n++] = ' ';
		n += fmt_u(line + n, (uint64_t)cfd);
		if (write(ctl, line, n) < 0)
			fail(errno);
		close(ctl);
		close(cfd);
		oom_fd = efd;
	} else {
		int err = oom_watch_v2(S(o, 1));
		if (err == ENOENT && N(o, 0) == 3) {
			oom_later = S(o, 1);
			oom_later_tries = 12000;
		} else if (err)
			fail(err);
		if (N(o, 0) == 3) {
			/* Without the right to read it (CAP_SYSLOG), only memory.events tells. */
			kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
			if (kmsg_fd >= 0 && lseek(kmsg_fd, 0, SEEK_END) < 0) {
				close(kmsg_fd);
				kmsg_fd = -1;
			}
		}
	}
}

static void run_op(const struct op *o)
{
	switch (o->code) {
	case OP_SETNS: {
		int fd = open(S(o, 0), O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fail(errno);
		if (setns(fd, (int)N(o, 1)) < 0)
			fail(errno);
		close(fd);
		break;
	}
	case OP_MKFIFO:
		if (mkfifo(S(o, 0), (mode_t)N(o, 1)) < 0)
			fail(errno);
		break;
	case OP_OPEN_FIFO:
		/* O_RDWR never blocks on a fifo; the init later blocks in read(). */
		fifo_fd = open(S(o, 0), O_RDWR | O_CLOEXEC);
		if (fifo_fd < 0)
			fail(errno);
		break;
	case OP_SUBREAPER:
		if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
			fail(errno);
		break;
	case OP_CLONE:
		op_clone(o);
		break;
	case OP_WAIT_GO: {
		/* "G\n", or "G <len>\n" and len bytes of payload for OP_SEND_LISTENER. */
		char line[32];
		size_t n = 0;
		for (;;) {
			if (n == sizeof(line) || read_full(sync_fd, line + n, 1) < 0)
				_exit(1); /* the parent went away: nothing to report to */
			if (line[n++] == '\n')
				break;
		}
		if (line[0] != MSG_GO)
			_exit(1);
		size_t len = 0;
		for (size_t i = 2; i + 1 < n; i++)
			len = len * 10 + (size_t)(line[i] - '0');
		if (len > sizeof(go_payload) || (len && read_full(sync_fd, go_payload, len) < 0))
			fail(EMSGSIZE);
		go_payload_len = len;
		break;
	}
	case OP_UNSHARE:
		if (unshare((int)N(o, 0)) < 0)
			fail(errno);
		break;
	case OP_MOUNT:
		op_mount(o);
		break;
	case OP_OPEN_ROOT:
		if (root_fd >= 0)
			close(root_fd);
		root_fd = open(S(o, 0), O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root_fd < 0)
			fail(errno);
		break;
	case OP_MKDIR_IN_ROOT:
		close(mkdirs_in_root(S(o, 0), (mode_t)N(o, 1), 0, NULL));
		break;
	case OP_MKFILE_IN_ROOT:
		op_mkfile_in_root(o);
		break;
	case OP_MKNOD_IN_ROOT:
		op_mknod_in_root(o);
		break;
	case OP_SYMLINK_IN_ROOT:
		op_symlink_in_root(o);
		break;
	case OP_MASK_PATH:
		op_mask_path(o);
		break;
	case OP_READONLY_PATH:
		op_readonly_path(o);
		break;
	case OP_PIVOT_ROOT:
		op_pivot_root(o);
		break;
	case OP_MOVE_ROOT:
		op_move_root(o);
		break;
	case OP_SETHOSTNAME:
		if (sethostname(S(o, 0), strlen(S(o, 0))) < 0)
			fail(errno);
		break;
	case OP_SETDOMAINNAME:
		if (setdomainname(S(o, 0), strlen(S(o, 0))) < 0)
			fail(errno);
		break;
	case OP_WRITE_FILE:
		op_write_file(o);
		break;
	case OP_PRCTL:
		if (prctl((int)N(o, 0), (unsigned long)N(o, 1), (unsigned long)N(o, 2), (unsigned long)N(o, 3), (unsigned long)N(o, 4)) < 0)
			fail(errno);
		break;
	case OP_CAPSET:
		op_capset(o);
		break;
	case OP_SETGROUPS:
		op_setgroups(o);
		break;
	case OP_SETRESGID: /* raw syscalls: glibc's wrappers would signal other threads */
		if (syscall(SYS_setresgid, (gid_t)N(o, 0), (gid_t)N(o, 0), (gid_t)N(o, 0)) < 0)
			fail(errno);
		break;
	case OP_SETRESUID:
		if (syscall(SYS_setresuid, (uid_t)N(o, 0), (uid_t)N(o, 0), (uid_t)N(o, 0)) < 0)
			fail(errno);
		break;
	case OP_PRLIMIT: {
		struct rlimit rl = { (rlim_t)N(o, 1), (rlim_t)N(o, 2) };
		if (prlimit(0, (int)N(o, 0), &rl, NULL) < 0)
			fail(errno);
		break;
	}
	case OP_UMASK:
		umask((mode_t)N(o, 0));
		break;
	case OP_SECCOMP: {
		struct sock_fprog prog;
		prog.len = (unsigned short)(o->args[0].len / sizeof(struct sock_filter));
		prog.filter = (struct sock_filter *)o->args[0].bytes;
		long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned)N(o, 1), &prog);
		if (r < 0)
			fail(errno);
		if ((unsigned)N(o, 1) & SECCOMP_FILTER_FLAG_NEW_LISTENER)
			notify_fd = (int)r;
		break;
	}
	case OP_CHDIR:
		op_chdir(o);
		break;
	case OP_SETSID:
		if (setsid() < 0 && errno != EPERM)
			fail(errno);
		break;
	case OP_CLOEXEC_FROM:
		if (syscall(SYS_close_range, (unsigned)N(o, 0), ~0U, CLOSE_RANGE_CLOEXEC) < 0)
			fail(errno);
		break;
	case OP_RESOLVE_EXEC:
		op_resolve_exec(o);
		break;
	case OP_READY:
		send_letter(MSG_READY);
		close(sync_fd);
		sync_fd = -1;
		break;
	case OP_WAIT_START: {
		char c;
		ssize_t r;
		do {
			r = read(fifo_fd, &c, 1);
		} while (r < 0 && errno == EINTR);
		if (r != 1)
			_exit(1);
		break;
	}
	case OP_CHROOT:
		if (chdir(S(o, 0)) < 0 || chroot(".") < 0 || chdir("/") < 0)
			fail(errno);
		break;
	case OP_SYNC: {
		char c[2];
		send_line(MSG_HOOKS, 1, (uint64_t)N(o, 0), 0, 0);
		if (read_full(sync_fd, c, 2) < 0)
			_exit(1);
		if (c[0] != MSG_GO)      /* MSG_REFUSE */
			fail(ECANCELED); /* the runtime refused to go on (a hook failed) */
		break;
	}
	case OP_CONNECT_CONSOLE:
		console_fd = connect_unix(S(o, 0));
		break;
	case OP_CONNECT_LISTENER:
		listener_sock = connect_unix(S(o, 0));
		break;
	case OP_SEND_LISTENER:
		/* Right after the filter went on: the agent must have the fd before
		 * any notified syscall, or the init would wait on nobody. */
		if (notify_fd < 0 || listener_sock < 0)
			fail(EBADF);
		if (helper_page)
			send_listener_by_helper();
		else
			send_fd(listener_sock, notify_fd, go_payload, go_payload_len);
		close(notify_fd);
		close(listener_sock);
		notify_fd = listener_sock = -1;
		break;
	case OP_SETUP_PTY:
		op_setup_pty(o);
		break;
	case OP_WATCH_OOM:
		op_watch_oom(o);
		break;
	case OP_UMOUNT:
		if (umount2(S(o, 0), (int)N(o, 1)) < 0 && !((errno == ENOENT || errno == EINVAL) && (o->flags & F_IGNORE_MISSING)))
			fail(errno);
		break;
	case OP_WAIT_FD: {
		struct pollfd p = { (int)N(o, 0), POLLIN, 0 };
		while (poll(&p, 1, -1) < 0)
			if (errno != EINTR)
				fail(errno);
		break;
	}
	case OP_COPYUP:
		op_copyup(o);
		break;
	case OP_MOUNT_SETATTR:
		op_mount_setattr(o);
		break;
	case OP_PERSONALITY:
		if (syscall(SYS_personality, (unsigned long)N(o, 0)) < 0)
			fail(errno);
		break;
	case OP_IOPRIO:
		if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, (int)N(o, 0)) < 0)
			fail(errno);
		break;
	case OP_SCHED:
		op_sched(o);
		break;
	case OP_AFFINITY:
		if (syscall(SYS_sched_setaffinity, 0, (size_t)o->args[0].len, o->args[0].bytes) < 0)
			fail(errno);
		break;
	case OP_OPEN_TREE:
		op_open_tree(o);
		break;
	case OP_MOVE_MOUNT:
		op_move_mount(o);
		break;
	case OP_BIND_SOURCE:
		if (source_socks[0] < 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, source_socks) < 0)
			fail(errno);
		break;
	case OP_RECV_SOURCES:
		op_recv_sources(o);
		break;
	case OP_CGROUP_JOIN: {
		int fd = open(S(o, 0), O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			fail(errno);
		need_tree_fds();
		tree_fds[current_op] = fd;
		break;
	}
	case OP_SET_MEMPOLICY:
		/* maxnode counts bits; the kernel reads one fewer than it is given. */
		if (syscall(SYS_set_mempolicy, (int)N(o, 0), o->args[1].len ? o->args[1].bytes : NULL,
		            o->args[1].len ? (unsigned long)o->args[1].len * 8 + 1 : 0UL) < 0)
			fail(errno);
		break;
	case OP_LISTENER_HELPER:
		op_listener_helper();
		break;
	case OP_CLOSE_FIFO:
		if (fifo_fd >= 0)
			close(fifo_fd);
		fifo_fd = -1;
		break;
	case OP_EXEC:
		op_exec(o);
		break;
	default:
		fail(ENOSYS);
	}
}

/*
 * Dispositions set to "ignore" and the blocked mask survive execve, so
 * whatever our caller ignored would reach the container. libuv (Node's
 * spawn) resets only signals 1-31; a parent that ignores a real-time signal
 * (the CI harness here ignores 32) leaks it through. Reset every signal with
 * the raw syscall: glibc refuses 32 and 33, which it keeps for itself.
 * An all-zero kernel sigaction is SIG_DFL with no flags on every layout.
 */
static void reset_signals(void)
{
	unsigned long ksa[4] = { 0, 0, 0, 0 };
	uint64_t none = 0;
	for (int sig = 1; sig <= 64; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		syscall(SYS_rt_sigaction, sig, ksa, NULL, sizeof(uint64_t));
	}
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(uint64_t));
}

/*
 * CVE-2019-5736: a container process whose executable is this program (via
 * /proc/self/exe, or a runtime process it can see) could write to the host's
 * copy through /proc/PID/exe. So, like runc, run from a sealed memfd copy:
 * the host file is never the running image, and the copy cannot be changed.
 */
static void run_from_sealed_copy(char **argv, char **envp)
{
	char self[64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if (strncmp(self, "/memfd:tsrun-executor", 21) == 0)
			return; /* already the sealed copy */
	}
	int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int mem = (int)syscall(SYS_memfd_create, "tsrun-executor", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (src < 0 || mem < 0)
		_exit(3);
	for (;;) {
		ssize_t c = sendfile(mem, src, NULL, 1 << 20);
		if (c < 0)
			_exit(3);
		if (c == 0)
			break;
	}
	close(src);
	if (fcntl(mem, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
		_exit(3);
	syscall(SYS_execveat, mem, "", argv, envp, AT_EMPTY_PATH);
	_exit(3);
}

int main(int argc, char **argv, char **envp)
{
	if (argc != 2)
		return 2;
	sync_fd = 0;
	for (const char *p = argv[1]; *p; p++) {
		if (*p < '0' || *p > '9')
			return 2;
		sync_fd = sync_fd * 10 + (*p - '0');
	}
	/*
	 * CVE-2024-21626: fds the runtime inherited without close-on-exec would
	 * pass through to the container (execve of /proc/self/fd/N/...). Ours
	 * are 0-2, the preserved ones below sync_fd, and sync_fd: close the rest.
	 */
	if (syscall(SYS_close_range, (unsigned)sync_fd + 1, ~0U, 0) < 0)
		return 3;
	reset_signals();
	run_from_sealed_copy(argv, envp);

	unsigned char hdr[4];
	if (read_full(sync_fd, hdr, 4) < 0)
		return 3;
	uint32_t len = get32(hdr);
	if (len > MAX_PLAN_BYTES) {
		send_line(MSG_BAD_PLAN, 2, EFBIG, 0, 0);
		_exit(1);
	}
	/* The plan stays in memory we own for the whole life of the init. */
	unsigned char *buf = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 3;
	if (read_full(sync_fd, buf, len) < 0)
		return 3;
	/* A plan we cannot read is no op's failure: "B <errno> <byte offset + 1>". */
	size_t bad_at = 0;
	int err = decode_plan(buf, len, &bad_at);
	if (err) {
		send_line(MSG_BAD_PLAN, 2, (uint64_t)err, (uint64_t)bad_at, 0);
		_exit(1);
	}
	/* Framed well, but an op that is not what the instruction set says: "B <errno> <at> <op>". */
	for (uint32_t i = 0; i < nops; i++) {
		if (!op_matches_spec(&ops[i])) {
			send_line(MSG_BAD_PLAN, 3, EBADMSG, (uint64_t)ops[i].at + 1, i);
			_exit(1);
		}
	}
	for (current_op = 0; current_op < nops; current_op++) {
		run_op(&ops[current_op]);
	}
	_exit(0);
}
