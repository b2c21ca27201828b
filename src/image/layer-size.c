/* Directory sizes (see layer-size.h): one walk of a tree that counts the
 * st_size of its inodes, hard-linked files once, without following
 * symlinks, in the three ways a size is asked for (du -sb, docker's
 * directory.Size, docker's layer size). */
#include "image/layer-size.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/xalloc.h"

struct inode_size {
	dev_t dev;
	ino_t ino;
	off_t size;
};

enum size_mode {
	SIZE_DU,      /* du -sb: every inode */
	SIZE_NONDIR,  /* docker's directory.Size: directories count nothing */
	SIZE_REGULAR, /* docker's layer size: regular files only */
};

struct size_walk {
	uint64_t total;
	enum size_mode mode;
	struct inode_size *linked; /* files with several links, counted at the end */
	size_t n_linked, cap_linked;
	struct berth_err *err;
};

static int size_walk_dir(struct size_walk *w, int fd)
{
	autoclosedir DIR *dir = fdopendir(fd);
	struct dirent *de;

	if (dir == NULL) {
		cleanup_closep(&fd); /* keeps errno */
		return berth_err_set(w->err, errno, "layer size: opendir");
	}
	while ((errno = 0, de = readdir(dir)) != NULL) {
		struct stat st;
		int sub;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_err_set(w->err, errno, "layer size: stat %s", de->d_name);
		if (w->mode == SIZE_REGULAR && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
			continue;
		if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
			if (w->n_linked == w->cap_linked) {
				w->cap_linked = w->cap_linked ? w->cap_linked * 2 : 64;
				w->linked =
				    xreallocarray(w->linked, w->cap_linked, sizeof(*w->linked));
			}
			w->linked[w->n_linked++] =
			    (struct inode_size){ st.st_dev, st.st_ino, st.st_size };
			continue;
		}
		if (!S_ISDIR(st.st_mode) || w->mode == SIZE_DU)
			w->total += (uint64_t)st.st_size;
		if (!S_ISDIR(st.st_mode))
			continue;
		sub =
		    openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return berth_err_set(w->err, errno, "layer size: open %s", de->d_name);
		if (size_walk_dir(w, sub) < 0)
			return -1;
	}
	if (errno != 0)
		return berth_err_set(w->err, errno, "layer size: readdir");
	return 0;
}

static int inode_cmp(const void *a, const void *b)
{
	const struct inode_size *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int dir_size(int dirfd, enum size_mode mode, uint64_t *size, struct berth_err *err)
{
	struct size_walk w = { .err = err, .mode = mode };
	struct stat st;
	int fd, r;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		cleanup_closep(&fd);
		return berth_err_set(err, errno, "layer size: open directory");
	}
	w.total = mode == SIZE_DU ? (uint64_t)st.st_size : 0;
	r = size_walk_dir(&w, fd);
	if (r == 0 && w.n_linked > 0) {
		qsort(w.linked, w.n_linked, sizeof(*w.linked), inode_cmp);
		for (size_t i = 0; i < w.n_linked; i++)
			if (i == 0 || inode_cmp(&w.linked[i - 1], &w.linked[i]) != 0)
				w.total += (uint64_t)w.linked[i].size;
	}
	free(w.linked);
	if (r == 0)
		*size = w.total;
	return r;
}

int layer_dir_size(int dirfd, uint64_t *size, struct berth_err *err)
{
	return dir_size(dirfd, SIZE_DU, size, err);
}

int layer_dir_files_size(int dirfd, uint64_t *size, struct berth_err *err)
{
	return dir_size(dirfd, SIZE_NONDIR, size, err);
}

int layer_dir_content_size(int dirfd, uint64_t *size, struct berth_err *err)
{
	return dir_size(dirfd, SIZE_REGULAR, size, err);
}
