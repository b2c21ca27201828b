/* Verified procfs access (see procfs.h for the attack this stops).
 *
 * The kernel does the checking with openat2(2) (Linux 5.6):
 * RESOLVE_BENEATH keeps the walk below the procfs root, RESOLVE_NO_XDEV
 * refuses to cross onto any other mount (a bind mount over a procfs
 * directory, even of another procfs file), RESOLVE_NO_SYMLINKS and
 * RESOLVE_NO_MAGICLINKS refuse every link. Older kernels get a walk one
 * component at a time with O_NOFOLLOW, each step checked to stay on the
 * same procfs superblock (st_dev): that cannot see a bind of one procfs
 * file over another, which the runtime also refuses to mount (rootfs.c). */
#include "util/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"

/* The inode number of every procfs root (fs/proc/root.c, PROC_ROOT_INO). */
#define PROCFS_ROOT_INO 1

static bool on_procfs(int fd)
{
	struct statfs sfs;

	return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

int procfs_root_open(int dirfd, const char *path, struct berth_err *err)
{
	autoclose int fd = openat(dirfd, path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return berth_err_set(err, errno, "open %s", path);
	if (!on_procfs(fd) || fstat(fd, &st) < 0 || st.st_ino != PROCFS_ROOT_INO)
		return berth_err_set(err, EXDEV, "%s is not the root of a procfs mount", path);
	return steal_fd(&fd);
}

static int walk_open(int procfd, const char *rel, int flags, struct berth_err *err)
{
	struct stat root, st;
	autofree char *copy = strdup(rel);
	char *save = NULL, *next;
	autoclose int cur = -1;

	if (copy == NULL)
		return berth_err_set(err, ENOMEM, "procfs %s", rel);
	if (fstat(procfd, &root) < 0)
		return berth_err_set(err, errno, "procfs %s", rel);
	cur = dup(procfd);
	for (char *c = strtok_r(copy, "/", &save); cur >= 0 && c != NULL; c = next) {
		next = strtok_r(NULL, "/", &save);
		if (strcmp(c, "..") == 0 || strcmp(c, ".") == 0)
			return berth_err_set(err, EXDEV, "procfs %s: \"%s\" refused", rel, c);
		int fd = openat(cur, c, (next != NULL ? O_PATH : flags) | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return berth_err_set(err, errno == ELOOP ? EXDEV : errno, "procfs %s", rel);
		close(cur);
		cur = fd;
		if (fstat(cur, &st) < 0 || S_ISLNK(st.st_mode) || st.st_dev != root.st_dev)
			return berth_err_set(err, EXDEV, "procfs %s: crosses a link or a mount", rel);
	}
	return steal_fd(&cur);
}

int procfs_open(int procfd, const char *rel, int flags, struct berth_err *err)
{
	static bool openat2_missing;
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC | O_NOFOLLOW),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS,
	};
	int fd = -1;

	if (rel[0] == '/')
		return berth_err_set(err, EINVAL, "procfs %s: not a relative path", rel);
	if (!openat2_missing) {
		do
			fd = (int)syscall(SYS_openat2, procfd, rel, &how, sizeof(how));
		while (fd < 0 && errno == EAGAIN);
		if (fd < 0 && errno == ENOSYS)
			openat2_missing = true;
		else if (fd < 0)
			return berth_err_set(err, errno, "procfs %s%s", rel,
					     errno == EXDEV || errno == ELOOP
						     ? ": crosses a link or a mount"
						     : "");
	}
	if (fd < 0) {
		fd = walk_open(procfd, rel, flags, err);
		if (fd < 0)
			return -1;
	}
	if (!on_procfs(fd)) {
		close(fd);
		return berth_err_set(err, EXDEV, "procfs %s: not on procfs", rel);
	}
	return fd;
}

int procfs_write(int procfd, const char *rel, const char *value, size_t len,
		 struct berth_err *err)
{
	autoclose int fd = procfs_open(procfd, rel, O_WRONLY, err);
	ssize_t n;

	if (fd < 0)
		return -1;
	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return berth_err_set(err, errno, "write %s", rel);
	if ((size_t)n != len)
		return berth_err_set(err, EIO, "write %s: short write", rel);
	return 0;
}

/* "PID/rel" for this process as procfd's pid namespace counts it: its
 * "self" link, read, not followed. */
static int self_rel(int procfd, const char *rel, char *out, size_t size, struct berth_err *err)
{
	char self[32];
	ssize_t n = readlinkat(procfd, "self", self, sizeof(self) - 1);

	if (n <= 0)
		return berth_err_set(err, n < 0 ? errno : ESRCH,
				     "procfs: this process is not in its pid namespace");
	self[n] = '\0';
	if ((size_t)snprintf(out, size, "%s/%s", self, rel) >= size)
		return berth_err_set(err, ENAMETOOLONG, "procfs self/%s", rel);
	return 0;
}

int procfs_self_write(int procfd, const char *rel, const char *value, size_t len,
		      struct berth_err *err)
{
	char path[128];

	if (self_rel(procfd, rel, path, sizeof(path), err) < 0)
		return -1;
	return procfs_write(procfd, path, value, len, err);
}

int procfs_self_fd_dir(int procfd, struct berth_err *err)
{
	char path[128];

	if (self_rel(procfd, "fd", path, sizeof(path), err) < 0)
		return -1;
	return procfs_open(procfd, path, O_PATH | O_DIRECTORY, err);
}

int procfs_reopen(int fd_dir, int fd, int flags, struct berth_err *err)
{
	char name[16];
	struct stat want, got;
	int out;

	/* The last step is the magic link itself, in a directory verified
	 * when it was opened; the file it reaches is checked to be fd's. */
	snprintf(name, sizeof(name), "%d", fd);
	do
		out = openat(fd_dir, name, flags | O_CLOEXEC);
	while (out < 0 && errno == EINTR);
	if (out < 0)
		return berth_err_set(err, errno, "reopen fd %d", fd);
	if (fstat(fd, &want) < 0 || fstat(out, &got) < 0 || want.st_dev != got.st_dev ||
	    want.st_ino != got.st_ino) {
		close(out);
		return berth_err_set(err, EXDEV, "reopen fd %d: a different file", fd);
	}
	return out;
}
