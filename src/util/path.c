/* Root-scoped path resolution. openat2(RESOLVE_IN_ROOT) is the real
 * mechanism; the walk below reproduces its rules for kernels without it:
 *
 *  - each component is opened with O_PATH|O_NOFOLLOW relative to the fd of
 *    its parent, so no name is ever resolved by the kernel across a symlink
 *    we did not look at;
 *  - a symlink's target is spliced in front of the rest of the path and
 *    resolved again; an absolute target restarts from the root fd;
 *  - ".." pops a stack of fds we opened on the way down, and is a no-op at
 *    the root, so it cannot climb out even if a directory on the way is
 *    renamed outside the root meanwhile;
 *  - the final open also carries O_NOFOLLOW: if the name is swapped for a
 *    symlink after we looked, the open fails with ELOOP instead of
 *    following it;
 *  - at most PATH_MAX_SYMLINKS symlinks (the kernel's MAXSYMLINKS), then
 *    ELOOP.
 * Internally functions return an fd or -errno; the public ones fill err. */
#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/xalloc.h"

#define PATH_MAX_SYMLINKS 40
/* A symlink chain may grow the path; bound it so a crafted tree cannot make
 * us allocate without limit. */
#define PATH_WALK_MAX (4 * PATH_MAX)

/* The directories opened on the way down; fds[0] is the caller's root and
 * is not ours to close. */
struct fd_stack {
	int *fds;
	size_t n, cap;
};

static void fd_stack_push(struct fd_stack *st, int fd)
{
	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 16;
		st->fds = xreallocarray(st->fds, st->cap, sizeof(*st->fds));
	}
	st->fds[st->n++] = fd;
}

/* Pops down to `keep` entries. */
static void fd_stack_truncate(struct fd_stack *st, size_t keep)
{
	while (st->n > keep && st->n > 1)
		close(st->fds[--st->n]);
}

static void fd_stack_release(struct fd_stack *st)
{
	fd_stack_truncate(st, 1);
	free(st->fds);
}

static int fd_stack_top(const struct fd_stack *st)
{
	return st->fds[st->n - 1];
}

/* procfs "magic links" (/proc/self/fd/N, /proc/self/root, /proc/self/ns/net) do not
 * name a path at all; RESOLVE_IN_ROOT refuses them with ELOOP, and so do
 * we. Ordinary procfs symlinks ("self" -> "1234", "mounts" ->
 * "self/mounts") are relative names without a ':'. */
static bool symlink_is_magic(int linkfd, const char *target)
{
	struct statfs sfs;

	if (fstatfs(linkfd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		return false;
	return target[0] == '/' || strchr(target, ':') != NULL;
}

/* Reads the symlink linkfd (an O_PATH fd of the link itself) and returns
 * "target/rest" in a new buffer, or NULL with *errp. */
static char *symlink_splice(int linkfd, const char *rest, bool trailing_slash, int *errp)
{
	char target[PATH_MAX + 1];
	ssize_t n = readlinkat(linkfd, "", target, sizeof(target));

	if (n < 0) {
		*errp = errno;
		return NULL;
	}
	if (n == 0 || (size_t)n >= sizeof(target)) {
		*errp = n == 0 ? ENOENT : ENAMETOOLONG;
		return NULL;
	}
	target[n] = '\0';
	if (symlink_is_magic(linkfd, target)) {
		*errp = ELOOP;
		return NULL;
	}
	if ((size_t)n + strlen(rest) + 2 > PATH_WALK_MAX) {
		*errp = ENAMETOOLONG;
		return NULL;
	}
	if (*rest != '\0')
		return xasprintf("%s/%s", target, rest);
	return xasprintf("%s%s", target, trailing_slash ? "/" : "");
}

static int walk_open(int rootfd, const char *path, int flags, mode_t mode)
{
	struct fd_stack st __attribute__((cleanup(fd_stack_release))) = { 0 };
	autofree char *buf = xstrdup(path);
	char *p = buf;
	int symlinks = 0;

	flags |= O_CLOEXEC;
	fd_stack_push(&st, rootfd);
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0') {
			/* The path ended on a directory we already hold. */
			int fd = openat(fd_stack_top(&st), ".", flags, mode);
			return fd < 0 ? -errno : fd;
		}

		char *name = p;
		char *slash = strchr(p, '/');
		char *next = slash ? slash + 1 : p + strlen(p);
		if (slash)
			*slash = '\0';
		bool last = next[strspn(next, "/")] == '\0';
		bool trailing_slash = last && slash != NULL;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
			if (name[1] == '.')
				fd_stack_truncate(&st, st.n - 1);
			p = next;
			continue;
		}

		int cur = fd_stack_top(&st);
		autoclose int fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT && last && (flags & O_CREAT)) {
				if (trailing_slash)
					return -EISDIR;
				int nfd = openat(cur, name, flags | O_NOFOLLOW, mode);
				return nfd < 0 ? -errno : nfd;
			}
			return -errno;
		}

		struct stat st_buf;
		if (fstat(fd, &st_buf) < 0)
			return -errno;

		if (S_ISLNK(st_buf.st_mode)) {
			if (last && !trailing_slash && (flags & O_NOFOLLOW)) {
				/* As open(2): O_PATH|O_NOFOLLOW yields the link. */
				if ((flags & O_PATH) && !(flags & O_DIRECTORY))
					return steal_fd(&fd);
				return -ELOOP;
			}
			if (++symlinks > PATH_MAX_SYMLINKS)
				return -ELOOP;
			int e = 0;
			char *spliced = symlink_splice(fd, next, trailing_slash, &e);
			if (spliced == NULL)
				return -e;
			if (spliced[0] == '/')
				fd_stack_truncate(&st, 1);
			free(buf);
			buf = spliced;
			p = buf;
			continue;
		}

		if (last) {
			if (trailing_slash && !S_ISDIR(st_buf.st_mode))
				return -ENOTDIR;
			if ((flags & O_CREAT) && (flags & O_EXCL))
				return -EEXIST;
			/* Reopen by name with the caller's flags; O_NOFOLLOW makes
			 * a symlink swapped in since fstat fail rather than be
			 * followed. */
			int nfd = openat(cur, name, flags | O_NOFOLLOW, mode);
			return nfd < 0 ? -errno : nfd;
		}
		if (!S_ISDIR(st_buf.st_mode))
			return -ENOTDIR;
		fd_stack_push(&st, steal_fd(&fd));
		p = next;
	}
}

static bool openat2_missing;

static int kernel_open(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (unsigned)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? mode : 0,
		/* RESOLVE_IN_ROOT already refuses magic links today; say so
		 * explicitly in case that ever changes, as the walk refuses
		 * them too. */
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	/* EAGAIN: a concurrent rename or mount raced a ".." lookup and the
	 * kernel could not prove the result stayed inside; just retry. */
	for (int i = 0; i < 32; i++) {
		long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != EAGAIN)
			return -errno;
	}
	return -EAGAIN;
}

static int open_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
	if (*path == '\0')
		path = "/";
	if (!openat2_missing) {
		int fd = kernel_open(rootfd, path, flags, mode);
		if (fd != -ENOSYS)
			return fd;
		openat2_missing = true;
	}
	return walk_open(rootfd, path, flags, mode);
}

int path_openat_in_root(int rootfd, const char *path, int flags, mode_t mode, struct berth_err *err)
{
	int fd = open_in_root(rootfd, path, flags, mode);

	if (fd < 0)
		return berth_err_set(err, -fd, "open %s", path);
	return fd;
}

int path_openat_in_root_walk(int rootfd, const char *path, int flags, mode_t mode,
			     struct berth_err *err)
{
	int fd = walk_open(rootfd, *path ? path : "/", flags, mode);

	if (fd < 0)
		return berth_err_set(err, -fd, "open %s", path);
	return fd;
}

static int mkdir_all(int rootfd, const char *path, mode_t mode, int depth, struct berth_err *err);

/* name (in parent, whose path in the root is prefix) exists but did not
 * resolve: a dangling symlink. Create what it points to, inside the root,
 * as mkdir -p through a symlink does. */
static int mkdir_symlink_target(int rootfd, int parent, const char *prefix, const char *name,
				mode_t mode, int depth, struct berth_err *err)
{
	char target[PATH_MAX + 1];
	ssize_t n = readlinkat(parent, name, target, sizeof(target));

	if (n < 0 || (size_t)n >= sizeof(target))
		return berth_err_set(err, n < 0 ? errno : ENAMETOOLONG, "mkdir %s/%s", prefix,
				     name);
	target[n] = '\0';
	if (depth >= PATH_MAX_SYMLINKS)
		return berth_err_set(err, ELOOP, "mkdir %s/%s", prefix, name);
	autofree char *next =
	    target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", prefix, target);
	int fd = mkdir_all(rootfd, next, mode, depth + 1, err);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int mkdir_all(int rootfd, const char *path, mode_t mode, int depth, struct berth_err *err)
{
	autofree char *buf = xstrdup(path);
	autoclose int parent = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	size_t i = 0;

	if (parent < 0)
		return berth_err_set(err, errno, "open root");
	/* Each prefix is resolved from the root again, so a symlink anywhere
	 * in it is scoped like any other lookup; only the component that is
	 * missing is created, relative to its already-resolved parent. */
	for (;;) {
		while (buf[i] == '/')
			i++;
		if (buf[i] == '\0')
			break;
		size_t start = i;
		while (buf[i] != '\0' && buf[i] != '/')
			i++;
		char saved = buf[i];
		buf[i] = '\0';

		const char *name = buf + start;
		int fd = open_in_root(rootfd, buf, O_PATH | O_DIRECTORY, 0);
		if (fd == -ENOENT && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
			struct stat st;
			if (mkdirat(parent, name, mode) < 0 && errno != EEXIST)
				return berth_err_set(err, errno, "mkdir %s", buf);
			if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode)) {
				autofree char *link = xstrdup(name);
				buf[start] = '\0';
				int r = mkdir_symlink_target(rootfd, parent, buf, link, mode, depth,
							     err);
				buf[start] = link[0];
				if (r < 0)
					return -1;
				fd = open_in_root(rootfd, buf, O_PATH | O_DIRECTORY, 0);
			} else {
				/* O_NOFOLLOW: a symlink raced in is refused. */
				fd = openat(parent, name,
					    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (fd < 0)
					fd = -errno;
			}
		}
		if (fd < 0)
			return berth_err_set(err, -fd, "mkdir %s", buf);
		close(parent);
		parent = fd;
		buf[i] = saved;
	}
	return steal_fd(&parent);
}

int path_mkdir_all_in_root(int rootfd, const char *path, mode_t mode, struct berth_err *err)
{
	return mkdir_all(rootfd, path, mode, 0, err);
}

/* path is a dangling symlink: the name of the file to create is where it
 * points, resolved from the link's directory. NULL when path is not a
 * symlink. */
static char *dangling_target(int rootfd, const char *path)
{
	char target[PATH_MAX + 1];
	autoclose int fd = open_in_root(rootfd, path, O_PATH | O_NOFOLLOW, 0);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = readlinkat(fd, "", target, sizeof(target));
	if (n <= 0 || (size_t)n >= sizeof(target))
		return NULL;
	target[n] = '\0';
	if (target[0] == '/')
		return xstrdup(target);
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path) : 0;
	return xasprintf("%.*s/%s", dirlen, path, target);
}

static int mkfile(int rootfd, const char *path, mode_t mode, int depth, struct berth_err *err)
{
	int fd = open_in_root(rootfd, path, O_PATH, 0);
	struct stat st;

	if (fd == -ENOENT) {
		autofree char *dir = xstrdup(path);
		char *slash = strrchr(dir, '/');
		if (slash != NULL && slash[1] == '\0')
			return berth_err_set(err, EISDIR, "create %s", path);
		if (slash != NULL) {
			slash[1] = '\0';
			int dfd = mkdir_all(rootfd, dir, 0755, 0, err);
			if (dfd < 0)
				return -1;
			close(dfd);
		}
		/* O_NONBLOCK|O_NOCTTY: should a FIFO or a tty appear under the
		 * name meanwhile, opening it neither blocks nor adopts it. */
		fd = open_in_root(rootfd, path, O_WRONLY | O_CREAT | O_NONBLOCK | O_NOCTTY, mode);
		if (fd == -ENOENT && depth < PATH_MAX_SYMLINKS) {
			/* A dangling symlink whose target's directory is
			 * missing too: create that, inside the root. */
			autofree char *target = dangling_target(rootfd, path);
			if (target != NULL)
				return mkfile(rootfd, target, mode, depth + 1, err);
		}
		if (fd < 0)
			return berth_err_set(err, -fd, "create %s", path);
		return fd;
	}
	if (fd < 0)
		return berth_err_set(err, -fd, "open %s", path);
	int e = fstat(fd, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
	if (e != 0) {
		close(fd);
		return berth_err_set(err, e, "open %s", path);
	}
	return fd;
}

int path_mkfile_in_root(int rootfd, const char *path, mode_t mode, struct berth_err *err)
{
	return mkfile(rootfd, path, mode, 0, err);
}

const char *path_fd_to_proc(int fd, char buf[static 64])
{
	snprintf(buf, 64, "/proc/self/fd/%d", fd);
	return buf;
}

char *path_clean(const char *p)
{
	char *out = xmalloc(strlen(p) + 2);
	size_t len = 0;
	bool abs = p[0] == '/';

	while (*p != '\0') {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
		} else if (!(n == 1 && p[0] == '.')) {
			if (len > 0 || abs)
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		p += n;
	}
	if (len == 0)
		out[len++] = abs ? '/' : '.';
	out[len] = '\0';
	return out;
}

int path_absolute(const char *p, const char *what, char **out, struct berth_err *err)
{
	autofree char *cwd = NULL;
	autofree char *joined = NULL;

	if (p == NULL || p[0] == '\0')
		return berth_err_set(err, 0, "%s: an empty path (is a variable unset?)", what);
	if (p[0] != '/') {
		cwd = getcwd(NULL, 0);
		if (cwd == NULL)
			return berth_err_set(err, errno, "%s %s: the working directory", what, p);
		joined = xasprintf("%s/%s", cwd, p);
		p = joined;
	}
	*out = path_clean(p);
	return 0;
}
