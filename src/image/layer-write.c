/* Trees to tar (see layer-write.h): one walk for export, commit and cp. */
#include "image/layer-write.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define COPY_BUF_SIZE   (128 * 1024)
#define MAX_DEPTH       256 /* as snapshot_vfs_populate: each level holds an fd */
#define XATTR_LIST_MAX_ (64 * 1024)
#define XATTR_VALUE_MAX (64 * 1024)
#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
#define OPAQUE_XATTR    "trusted.overlay.opaque"

struct link_seen {
	dev_t dev;
	ino_t ino;
	char *name;
};

struct walker {
	struct archive *out;
	const struct layer_write_opts *o;
	struct berth_err *err;
	struct link_seen *links;
	size_t n_links;
	bool recurse;
	char *buf;
};

static int walk_fail(struct walker *w, const char *name, int errnum, const char *what)
{
	return berth_err_set(w->err, errnum, "%s: %s: %s", w->o->what, name[0] ? name : "/", what);
}

static int archive_fail(struct walker *w, const char *name)
{
	const char *why = archive_error_string(w->out);
	int code = archive_errno(w->out);

	return berth_err_set(w->err, code > 0 ? code : 0, "%s: %s: %s", w->o->what,
			     name[0] ? name : "/", why != NULL ? why : "write failed");
}

/* An fd that can be read: the inode fd names, opened again through
 * /proc/self/fd. fd is O_PATH|O_NOFOLLOW of a file or directory whose type
 * was checked, so this reaches that inode and nothing else. */
static int reopen(int fd, int flags)
{
	char proc[64];

	return open(path_fd_to_proc(fd, proc), flags | O_CLOEXEC | O_NOCTTY);
}

static bool xattr_skipped(const char *name)
{
	return strncmp(name, "trusted.overlay.", 16) == 0 ||
	       strncmp(name, "user.overlay.", 13) == 0;
}

static int xattrs_add(struct walker *w, int fd, struct archive_entry *e, const char *name)
{
	autofree char *list = NULL;
	ssize_t n = flistxattr(fd, NULL, 0);

	if (n < 0)
		return errno == ENOTSUP ? 0 : walk_fail(w, name, errno, "list xattrs");
	if (n == 0)
		return 0;
	if (n > XATTR_LIST_MAX_)
		n = XATTR_LIST_MAX_;
	list = xmalloc((size_t)n);
	n = flistxattr(fd, list, (size_t)n);
	if (n < 0)
		return errno == ERANGE ? 0 : walk_fail(w, name, errno, "list xattrs");
	for (char *k = list; k < list + n; k += strlen(k) + 1) {
		autofree char *value = NULL;
		ssize_t vn;

		if (xattr_skipped(k) ||
		    (w->o->strip_privileges && strcmp(k, "security.capability") == 0))
			continue;
		vn = fgetxattr(fd, k, NULL, 0);
		if (vn < 0 || vn > XATTR_VALUE_MAX)
			continue; /* gone since the list, or not one tar can carry */
		value = xmalloc((size_t)vn + 1);
		vn = fgetxattr(fd, k, value, (size_t)vn);
		if (vn >= 0)
			archive_entry_xattr_add_entry(e, k, value, (size_t)vn);
	}
	return 0;
}

static bool is_opaque(int dirfd)
{
	char v[2];

	return fgetxattr(dirfd, OPAQUE_XATTR, v, sizeof(v)) == 1 && v[0] == 'y';
}

/* A hard link to a file written earlier: its name, or NULL (and the file
 * is remembered when it has other links). */
static const char *link_check(struct walker *w, const struct stat *st, const char *name)
{
	if (S_ISDIR(st->st_mode) || st->st_nlink < 2)
		return NULL;
	for (size_t i = 0; i < w->n_links; i++)
		if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino)
			return w->links[i].name;
	w->links = xreallocarray(w->links, w->n_links + 1, sizeof(*w->links));
	w->links[w->n_links++] = (struct link_seen){ st->st_dev, st->st_ino, xstrdup(name) };
	return NULL;
}

static int write_header(struct walker *w, struct archive_entry *e, const char *name)
{
	int r = archive_write_header(w->out, e);

	/* WARN: a disk writer that could not set some metadata (an xattr
	 * the filesystem does not take); the entry itself is there. */
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
		return archive_fail(w, name);
	return 0;
}

static int write_data(struct walker *w, int fd, off_t size, const char *name)
{
	off_t left = size;

	while (left > 0) {
		size_t want = left < COPY_BUF_SIZE ? (size_t)left : COPY_BUF_SIZE;
		ssize_t n = read(fd, w->buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return walk_fail(w, name, errno, "read");
		if (n == 0)
			break; /* shrank while read: the writer pads the entry */
		if (archive_write_data(w->out, w->buf, (size_t)n) < 0)
			return archive_fail(w, name);
		left -= n;
	}
	return 0;
}

/* An empty regular file: a whiteout or the opaque marker. */
static int write_marker(struct walker *w, const char *name, mode_t perm, const struct stat *st)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, perm);
	archive_entry_set_size(e, 0);
	if (st != NULL) {
		archive_entry_set_uid(e, st->st_uid);
		archive_entry_set_gid(e, st->st_gid);
		archive_entry_set_mtime(e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	}
	r = write_header(w, e, name);
	archive_entry_free(e);
	return r;
}

static char *child_name(const char *parent, const char *leaf)
{
	return parent[0] != '\0' ? xasprintf("%s/%s", parent, leaf) : xstrdup(leaf);
}

/* "dir/NAME" -> "dir/.wh.NAME" */
static char *whiteout_name(const char *name)
{
	const char *slash = strrchr(name, '/');
	size_t dir = slash != NULL ? (size_t)(slash + 1 - name) : 0;

	return xasprintf("%.*s" WHITEOUT_PREFIX "%s", (int)dir, name, name + dir);
}

static int walk_dir(struct walker *w, int dirfd, const char *name, int depth);

/* One node: fd is O_PATH|O_NOFOLLOW of it, st its stat. */
static int write_node(struct walker *w, int fd, const struct stat *st, const char *name, int depth)
{
	struct archive_entry *e = NULL;
	autoclose int rfd = -1;
	const char *link;
	int r = -1;

	if (S_ISSOCK(st->st_mode))
		return 0;
	if (w->o->overlay_whiteouts && S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0)) {
		autofree char *wh = whiteout_name(name);

		return write_marker(w, wh, 0600, st);
	}
	if (w->o->strip_privileges && (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))) {
		if (w->o->skipped_devices != NULL)
			(*w->o->skipped_devices)++;
		return 0;
	}
	if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode)) {
		rfd = reopen(fd, S_ISDIR(st->st_mode) ? O_RDONLY | O_DIRECTORY : O_RDONLY);
		if (rfd < 0)
			return walk_fail(w, name, errno, "open");
	}
	e = archive_entry_new();
	archive_entry_copy_stat(e, st);
	archive_entry_set_pathname(e, name);
	if (w->o->set_owner) {
		archive_entry_set_uid(e, w->o->uid);
		archive_entry_set_gid(e, w->o->gid);
	}
	if (w->o->strip_privileges)
		archive_entry_set_perm(e, st->st_mode & 07777 & ~(mode_t)(S_ISUID | S_ISGID));
	if (!S_ISREG(st->st_mode))
		archive_entry_set_size(e, 0);
	link = link_check(w, st, name);
	if (link != NULL) {
		archive_entry_set_hardlink(e, link);
		archive_entry_set_size(e, 0);
	} else if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX + 1];
		ssize_t n = readlinkat(fd, "", target, PATH_MAX);

		if (n < 0) {
			walk_fail(w, name, errno, "readlink");
			goto out;
		}
		target[n] = '\0';
		archive_entry_set_symlink(e, target);
	}
	if (rfd >= 0 && link == NULL && xattrs_add(w, rfd, e, name) < 0)
		goto out;
	if (write_header(w, e, name) < 0)
		goto out;
	if (S_ISREG(st->st_mode) && link == NULL && write_data(w, rfd, st->st_size, name) < 0)
		goto out;
	if (archive_write_finish_entry(w->out) < ARCHIVE_WARN) {
		archive_fail(w, name);
		goto out;
	}
	r = 0;
	if (S_ISDIR(st->st_mode) && w->o->overlay_whiteouts && is_opaque(rfd)) {
		autofree char *opq = child_name(name, WHITEOUT_OPAQUE);

		r = write_marker(w, opq, st->st_mode & 07777, st);
	}
	if (r == 0 && S_ISDIR(st->st_mode) && w->recurse)
		r = walk_dir(w, rfd, name, depth + 1);
out:
	archive_entry_free(e);
	return r;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory, sorted. */
static int dir_names(struct walker *w, int dirfd, const char *name, char ***out)
{
	autoclosedir DIR *d = NULL;
	autostrv char **names = NULL;
	size_t n = 0;
	int fd = dup(dirfd);
	struct dirent *de;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return walk_fail(w, name, e, "open directory");
	}
	rewinddir(d);
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		strv_push(&names, de->d_name);
		n++;
	}
	if (errno != 0)
		return walk_fail(w, name, errno, "read directory");
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	*out = steal_ptr(names);
	return 0;
}

bool layer_write_skipped(const char *const *skip_empty, int fd, const struct stat *st,
			 const char *name)
{
	bool listed = false;

	for (size_t i = 0; skip_empty != NULL && skip_empty[i] != NULL && !listed; i++)
		listed = strcmp(skip_empty[i], name) == 0;
	if (!listed)
		return false;
	if (S_ISREG(st->st_mode))
		return st->st_size == 0;
	if (S_ISDIR(st->st_mode)) {
		autoclose int dfd = reopen(fd, O_RDONLY | O_DIRECTORY);
		autoclosedir DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
		struct dirent *de;

		if (d == NULL)
			return false;
		dfd = -1; /* the DIR owns it */
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				return false;
		return true;
	}
	return false;
}

static int walk_dir(struct walker *w, int dirfd, const char *name, int depth)
{
	autostrv char **names = NULL;

	if (depth > MAX_DEPTH)
		return walk_fail(w, name, 0, "deeper than 256 directories");
	if (dir_names(w, dirfd, name, &names) < 0)
		return -1;
	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		autofree char *child = child_name(name, names[i]);
		autoclose int fd = openat(dirfd, names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;

		if (fd < 0 && errno == ENOENT)
			continue; /* removed while we walked */
		if (fd < 0 || fstat(fd, &st) < 0)
			return walk_fail(w, child, errno, "open");
		if (layer_write_skipped(w->o->skip_empty, fd, &st, child))
			continue;
		if (write_node(w, fd, &st, child, depth) < 0)
			return -1;
	}
	return 0;
}

static void walker_free(struct walker *w)
{
	for (size_t i = 0; i < w->n_links; i++)
		free(w->links[i].name);
	free(w->links);
	free(w->buf);
}

static int write_top(struct archive *out, int fd, const char *name,
		     const struct layer_write_opts *o, bool recurse, struct berth_err *err)
{
	struct walker w = { .out = out, .o = o, .err = err, .recurse = recurse };
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return berth_err_set(err, errno, "%s: stat", o->what);
	w.buf = xmalloc(COPY_BUF_SIZE);
	if (name != NULL) {
		r = write_node(&w, fd, &st, name, 0);
	} else if (!S_ISDIR(st.st_mode)) {
		r = berth_err_set(err, ENOTDIR, "%s: not a directory", o->what);
	} else {
		autoclose int dfd = reopen(fd, O_RDONLY | O_DIRECTORY);

		r = dfd < 0 ? walk_fail(&w, "", errno, "open")
			    : walk_dir(&w, dfd, o->prefix != NULL ? o->prefix : "", 0);
	}
	walker_free(&w);
	return r;
}

int layer_write_node(struct archive *out, int fd, const char *name,
		     const struct layer_write_opts *o, struct berth_err *err)
{
	return write_top(out, fd, name, o, true, err);
}

int layer_write_entry(struct archive *out, int fd, const char *name,
		      const struct layer_write_opts *o, struct berth_err *err)
{
	return write_top(out, fd, name, o, false, err);
}

int layer_write_whiteout(struct archive *out, const char *path, struct berth_err *err)
{
	struct layer_write_opts o = { .what = "whiteout" };
	struct walker w = { .out = out, .o = &o, .err = err };
	autofree char *wh = whiteout_name(path);

	return write_marker(&w, wh, 0600, NULL);
}

/* ---- the tar writer ---- */

static la_ssize_t tar_write_cb(struct archive *a, void *data, const void *buf, size_t len)
{
	struct layer_tar *t = data;
	struct berth_err err = { 0 };

	if (t->sink(t->ctx, buf, len, &err) < 0) {
		archive_set_error(a, err.code != 0 ? err.code : EIO, "%s", err.msg);
		return -1;
	}
	return (la_ssize_t)len;
}

int layer_tar_open(struct layer_tar *t, layer_sink_fn sink, void *ctx, struct berth_err *err)
{
	memset(t, 0, sizeof(*t));
	t->sink = sink;
	t->ctx = ctx;
	t->a = archive_write_new();
	if (t->a == NULL)
		return berth_err_set(err, ENOMEM, "tar writer");
	/* pax only where ustar cannot say it (long names, xattrs, big ids),
	 * as docker's layers are; 10240-byte blocks padded as tar(1) does. */
	if (archive_write_set_format_pax_restricted(t->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(t->a, 1) != ARCHIVE_OK ||
	    archive_write_open(t->a, t, NULL, tar_write_cb, NULL) != ARCHIVE_OK) {
		berth_err_set(err, archive_errno(t->a), "tar writer: %s",
			      archive_error_string(t->a));
		layer_tar_abort(t);
		return -1;
	}
	return 0;
}

int layer_tar_close(struct layer_tar *t, struct berth_err *err)
{
	int r = 0;

	if (archive_write_close(t->a) != ARCHIVE_OK)
		r = berth_err_set(err, 0, "finish tar: %s", archive_error_string(t->a));
	archive_write_free(t->a);
	t->a = NULL;
	return r;
}

void layer_tar_abort(struct layer_tar *t)
{
	if (t->a == NULL)
		return;
	/* Free without the close that would write the end marker: a tar cut
	 * short must not look complete. */
	archive_write_fail(t->a);
	archive_write_free(t->a);
	t->a = NULL;
}

int layer_sink_fd(void *ctx, const void *buf, size_t len, struct berth_err *err)
{
	if (fs_write_all(*(int *)ctx, buf, len, -1) < 0)
		return berth_err_set(err, errno, "write");
	return 0;
}
