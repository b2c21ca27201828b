#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/xalloc.h"

int fs_write_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = off >= 0 ? pwrite(fd, p, len, off) : write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += off >= 0 ? n : 0;
	}
	return 0;
}

int fs_read_fd(int fd, size_t max, char **out, size_t *len, struct berth_err *err)
{
	autofree char *buf = NULL;
	size_t cap = 4096, n = 0;

	buf = xmalloc(cap);
	for (;;) {
		ssize_t r;
		if (n + 1 >= cap) {
			if (cap > max)
				return berth_err_set(err, EFBIG, "larger than %zu bytes", max);
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return berth_err_set(err, errno, "read");
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max)
		return berth_err_set(err, EFBIG, "larger than %zu bytes", max);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	*out = steal_ptr(buf);
	return 0;
}

int fs_read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len,
		    struct berth_err *err)
{
	autoclose int fd = -1;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_err_set(err, errno, "open %s", path);
	if (fs_read_fd(fd, max, out, len, err) < 0)
		return berth_err_wrap(err, "read %s", path);
	return 0;
}

int fs_read_file(const char *path, size_t max, char **out, size_t *len, struct berth_err *err)
{
	return fs_read_file_at(AT_FDCWD, path, max, out, len, err);
}

int fs_write_file_at(int dirfd, const char *path, const char *data, size_t len,
		     struct berth_err *err)
{
	autoclose int fd = -1;
	ssize_t w;

	fd = openat(dirfd, path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return berth_err_set(err, errno, "open %s", path);
	w = write(fd, data, len);
	if (w < 0)
		return berth_err_set(err, errno, "write %s", path);
	if ((size_t)w != len)
		return berth_err_set(err, EIO, "write %s: short write", path);
	return 0;
}

int fs_write_file(const char *path, const char *data, size_t len, struct berth_err *err)
{
	return fs_write_file_at(AT_FDCWD, path, data, len, err);
}

static int write_replace(const char *path, const char *data, size_t len, mode_t mode, bool durable,
			 struct berth_err *err)
{
	autofree char *tmp = xasprintf("%s.tmp.%d", path, getpid());
	autoclose int fd = -1;
	size_t off = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return berth_err_set(err, errno, "create %s", tmp);
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			berth_err_set(err, errno, "write %s", tmp);
			unlink(tmp);
			return -1;
		}
		off += (size_t)w;
	}
	if ((durable && fsync(fd) < 0) || rename(tmp, path) < 0) {
		berth_err_set(err, errno, "write %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int fs_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode,
			 struct berth_err *err)
{
	return write_replace(path, data, len, mode, true, err);
}

int fs_write_file_replace(const char *path, const char *data, size_t len, mode_t mode,
			  struct berth_err *err)
{
	return write_replace(path, data, len, mode, false, err);
}

int fs_mkdir_p(const char *path, mode_t mode, struct berth_err *err)
{
	autofree char *p = xstrdup(path);

	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return berth_err_set(err, errno, "mkdir %s", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return berth_err_set(err, errno, "mkdir %s", p);
	return 0;
}

int fs_dir_private(const char *path, const char *what, struct berth_err *err)
{
	autoclose int fd = -1;
	struct stat st;

	if (fs_mkdir_p(path, 0700, err) < 0)
		return berth_err_wrap(err, "%s", what);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return berth_err_set(err, errno, "%s %s", what, path);
	if (st.st_uid != geteuid())
		return berth_err_set(
		    err, 0,
		    "%s %s belongs to uid %u, not to this user (uid %u): its owner "
		    "could read every container's environment",
		    what, path, (unsigned)st.st_uid, (unsigned)geteuid());
	if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0)
		return berth_err_set(err, errno, "%s %s: chmod 0700", what, path);
	return steal_fd(&fd);
}

int fs_rm_rf_at(int parent, const char *name, struct berth_err *err)
{
	autoclosedir DIR *d = NULL;
	struct dirent *de;
	int fd;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return berth_err_set(err, errno, "remove %s", name);
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_err_set(err, errno, "open %s", name);
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return berth_err_set(err, errno, "opendir %s", name);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fs_rm_rf_at(dirfd(d), de->d_name, err) < 0)
			return -1;
	}
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return berth_err_set(err, errno, "rmdir %s", name);
	return 0;
}

int fs_rm_rf(const char *path, struct berth_err *err)
{
	return fs_rm_rf_at(AT_FDCWD, path, err);
}

bool fs_exists(const char *path)
{
	return access(path, F_OK) == 0;
}
