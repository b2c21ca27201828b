/* User-named outputs: written into, or replaced only when they are regular
 * files (see output.h for the rules and why). */
#include "util/output.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/xalloc.h"

/* The name the kernel has for what fd refers to, or NULL. For a pipe or a
 * socket that is "pipe:[N]", for a deleted file "PATH (deleted)". */
static char *fd_name(int fd)
{
	char proc[64], buf[PATH_MAX + 1];
	ssize_t n = readlink(path_fd_to_proc(fd, proc), buf, PATH_MAX);

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

/* Writing into what fd (O_PATH) refers to: the same inode opened again
 * through /proc/self/fd, so nothing swapped in at the name since is
 * reached. A FIFO's open waits for a reader, as a shell's `>` does. */
static int target_into(struct output_target *t, int fd, int flags, struct berth_err *err)
{
	char proc[64];

	t->fd = open(path_fd_to_proc(fd, proc), O_WRONLY | O_CLOEXEC | O_NOCTTY | flags);
	if (t->fd < 0)
		return berth_err_set(err, errno, "open %s", t->path);
	t->kind = OUTPUT_INTO;
	return 0;
}

static int target_new(struct output_target *t, const char *path, struct berth_err *err)
{
	const char *slash = strrchr(path, '/');
	autofree char *dir = NULL;

	if (path[strlen(path) - 1] == '/')
		return berth_err_set(err, ENOENT, "%s: no such directory", path);
	if (slash == NULL)
		dir = xstrdup(".");
	else
		dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	t->name = xstrdup(slash != NULL ? slash + 1 : path);
	t->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (t->dirfd < 0)
		return berth_err_set(err, errno, "%s: directory %s", path, dir);
	t->dir = fd_name(t->dirfd);
	if (t->dir == NULL || t->dir[0] != '/')
		return berth_err_set(err, ENOENT, "%s: directory %s has no name", path, dir);
	t->kind = OUTPUT_NEW;
	return 0;
}

/* A regular file, found again by the name the kernel has for it: for a
 * symlink, the file it points at (the link stays). */
static int target_replace(struct output_target *t, int fd, const struct stat *st,
			  struct berth_err *err)
{
	autofree char *real = fd_name(fd);
	const char *slash = real != NULL && real[0] == '/' ? strrchr(real, '/') : NULL;
	autofree char *dir = NULL;
	struct stat now;

	if (slash != NULL) {
		dir = slash == real ? xstrdup("/") : xstrndup(real, (size_t)(slash - real));
		t->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (t->dirfd < 0 || fstatat(t->dirfd, slash + 1, &now, AT_SYMLINK_NOFOLLOW) < 0 ||
	    now.st_dev != st->st_dev || now.st_ino != st->st_ino) {
		/* No name reaches this file (deleted, a memfd behind
		 * /proc/self/fd/N): it cannot be replaced, only rewritten. */
		if (t->dirfd >= 0)
			close(t->dirfd);
		t->dirfd = -1;
		return target_into(t, fd, O_TRUNC, err);
	}
	t->dir = steal_ptr(dir);
	t->name = xstrdup(slash + 1);
	t->dev = st->st_dev;
	t->ino = st->st_ino;
	t->mode = st->st_mode & 0777;
	t->kind = OUTPUT_REPLACE;
	return 0;
}

int output_target_open(struct output_target *t, const char *path, unsigned flags,
		       struct berth_err *err)
{
	autoclose int fd = -1;
	struct stat lst, st;

	memset(t, 0, sizeof(*t));
	t->fd = t->dirfd = -1;
	t->path = xstrdup(path);
	if (path[0] == '\0')
		return berth_err_set(err, ENOENT, "an empty file name");
	if (lstat(path, &lst) < 0) {
		if (errno == ENOENT)
			return target_new(t, path, err);
		return berth_err_set(err, errno, "%s", path);
	}
	if (flags & OUTPUT_NEW_ONLY)
		return berth_err_set(err, EEXIST, "%s already exists", path);
	/* open(2), not realpath(3): the kernel follows the link, applying
	 * fs.protected_symlinks (a link planted in a sticky world-writable
	 * directory by someone else is not followed), and resolves the
	 * magic links of /dev/stdout and /proc/self/fd. */
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && S_ISLNK(lst.st_mode))
		return berth_err_set(err, 0,
				     "%s is a symlink to nothing: no file is created through a "
				     "symlink",
				     path);
	if (fd < 0 || fstat(fd, &st) < 0)
		return berth_err_set(err, errno, "open %s", path);
	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		return target_replace(t, fd, &st, err);
	case S_IFIFO:
	case S_IFCHR:
		return target_into(t, fd, 0, err);
	case S_IFDIR:
		return berth_err_set(err, EISDIR, "%s is a directory, not a file", path);
	case S_IFBLK:
		return berth_err_set(err, 0,
				     "%s is a block device: refusing to write over it (redirect "
				     "stdout to do that)",
				     path);
	default:
		return berth_err_set(err, 0, "%s is a socket: it cannot be written as a file",
				     path);
	}
}

int output_target_commit(const struct output_target *t, int from_dirfd, const char *from,
			 struct berth_err *err)
{
	struct stat now;

	switch (t->kind) {
	case OUTPUT_INTO:
		return 0;
	case OUTPUT_NEW:
		if (renameat2(from_dirfd, from, t->dirfd, t->name, RENAME_NOREPLACE) == 0)
			return 0;
		/* A filesystem without RENAME_NOREPLACE: link(2) does not
		 * replace either. */
		if (errno == EINVAL && linkat(from_dirfd, from, t->dirfd, t->name, 0) == 0) {
			unlinkat(from_dirfd, from, 0);
			return 0;
		}
		if (errno == EEXIST)
			return berth_err_set(
			    err, 0, "%s appeared while it was written: left as it is", t->path);
		return berth_err_set(err, errno, "write %s", t->path);
	case OUTPUT_REPLACE:
		/* Only the file seen at the start is replaced: a name that
		 * meanwhile became a FIFO or a device is left alone. */
		if (fstatat(t->dirfd, t->name, &now, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(now.st_mode) || now.st_dev != t->dev || now.st_ino != t->ino)
			return berth_err_set(
			    err, 0, "%s changed while it was written: not replaced", t->path);
		if (renameat(from_dirfd, from, t->dirfd, t->name) < 0)
			return berth_err_set(err, errno, "write %s", t->path);
		return 0;
	}
	return berth_err_set(err, EINVAL, "%s: unknown output", t->path);
}

void output_target_clear(struct output_target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	if (t->dirfd >= 0)
		close(t->dirfd);
	free(t->path);
	free(t->dir);
	free(t->name);
	memset(t, 0, sizeof(*t));
	t->fd = t->dirfd = -1;
}

/* A new file beside the target, under a name nothing else has. */
static int tmp_create(struct output_file *f, mode_t mode, struct berth_err *err)
{
	for (int tries = 0; tries < 100; tries++) {
		uint32_t r;

		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			return berth_err_set(err, errno, "getrandom");
		free(f->tmp);
		/* NAME_MAX: the name's first 200 bytes are enough to see
		 * what a leftover was. */
		f->tmp = xasprintf("%.200s.tmp-%08x", f->t.name, r);
		f->fd = openat(f->t.dirfd, f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		if (f->fd >= 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	berth_err_set(err, errno, "create %s/%s", f->t.dir, f->tmp);
	free(steal_ptr(f->tmp));
	return -1;
}

int output_file_open(struct output_file *f, const char *path, mode_t mode, unsigned flags,
		     struct berth_err *err)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (output_target_open(&f->t, path, flags, err) < 0)
		return -1;
	if (f->t.kind == OUTPUT_INTO) {
		f->fd = f->t.fd;
		return 0;
	}
	if (tmp_create(f, f->t.kind == OUTPUT_REPLACE ? 0600 : mode, err) < 0)
		return -1;
	/* The replacement keeps the permission bits of what it replaces. */
	if (f->t.kind == OUTPUT_REPLACE && fchmod(f->fd, f->t.mode) < 0)
		return berth_err_set(err, errno, "chmod %s/%s", f->t.dir, f->tmp);
	return 0;
}

int output_file_write(struct output_file *f, const void *buf, size_t len, struct berth_err *err)
{
	if (fs_write_all(f->fd, buf, len, -1) < 0)
		return berth_err_set(err, errno, "write %s", f->t.path);
	return 0;
}

int output_file_commit(struct output_file *f, bool durable, struct berth_err *err)
{
	if (f->t.kind == OUTPUT_INTO)
		return 0;
	if (durable && fsync(f->fd) < 0)
		return berth_err_set(err, errno, "write %s", f->t.path);
	if (output_target_commit(&f->t, f->t.dirfd, f->tmp, err) < 0)
		return -1;
	free(steal_ptr(f->tmp));
	return 0;
}

void output_file_clear(struct output_file *f)
{
	if (f->tmp != NULL)
		unlinkat(f->t.dirfd, f->tmp, 0);
	free(f->tmp);
	f->tmp = NULL;
	if (f->fd >= 0 && f->fd != f->t.fd)
		close(f->fd);
	f->fd = -1;
	output_target_clear(&f->t);
}
