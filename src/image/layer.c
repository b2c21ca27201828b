/* Applying a layer tar (see layer.h).
 *
 * The stream goes through two libarchive readers. The outer one has the
 * "raw" format and the decompression filters: what it hands out is the
 * uncompressed tar, whatever the compression was. The inner one reads that
 * tar through a callback that pulls from the outer, and on the way every
 * byte is hashed (the DiffID) and copied to the optional tee fd. Once the
 * tar's end-of-archive marker is seen, the rest of the stream (the zero
 * blocks and record padding) is drained through the same hash, so the DiffID
 * is the sha256 of the whole uncompressed stream, as `zcat | sha256sum` says.
 *
 * libarchive only parses; nothing here uses archive_write_disk. Each entry's
 * name is split into components with no "..", its parent directory is opened
 * from the layer's root fd without following any symlink (openat2 with
 * RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, else a walk of openat(O_NOFOLLOW) one
 * component at a time), and the entry is made with the *at() calls in that
 * directory, which never follow the new name either. So whatever symlinks
 * an earlier entry planted, nothing is created, changed or linked outside
 * the layer directory. */
#include "image/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define STREAM_BUF_SIZE     (128 * 1024)
#define DEFAULT_MAX_ENTRIES 4000000
#define DIR_TIMES_MAX_BYTES (256u << 20) /* memory for directory times, see dir_time_add */
#define XATTR_VALUE_MAX     (64 * 1024)  /* the kernel's XATTR_SIZE_MAX */
#define NAME_SHOWN_MAX      100          /* bytes of an entry name quoted in errors */
#define TAR_BLOCK           512

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_META   ".wh..wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
#define OPAQUE_XATTR    "trusted.overlay.opaque"

/* ---- the uncompressed stream ---- */

struct layer_stream {
	struct archive *outer; /* raw format + decompression filters over in_fd */
	struct digest_ctx digest;
	bool hashing; /* false when the caller knows the DiffID already */
	int tee_fd;
	uint64_t size; /* uncompressed bytes so far */
	char *buf;
	int code;      /* errno of the last failure, 0 for a format error */
	char why[512]; /* its message */
};

static void stream_set_archive_error(struct layer_stream *s, struct archive *a)
{
	const char *msg = archive_error_string(a);

	s->code = archive_errno(a) > 0 ? archive_errno(a) : 0;
	snprintf(s->why, sizeof(s->why), "%s", msg != NULL ? msg : "truncated or corrupt stream");
}

static int stream_fail(const struct layer_stream *s, const char *what, struct berth_err *err)
{
	berth_err_set(err, 0, "layer %s: %s", what, s->why);
	if (err != NULL)
		err->code = s->code != 0 ? s->code : EINVAL;
	return -1;
}

static void stream_close(struct layer_stream *s)
{
	if (s->outer != NULL)
		archive_read_free(s->outer);
	s->outer = NULL;
	digest_free(&s->digest);
	free(s->buf);
	s->buf = NULL;
}

/* Only gzip and zstd, the compressions OCI layers have: archive_read_support
 * _filter_all() would also accept formats that libarchive decodes by running
 * an external program (lrzip, lzop, grzip), which no untrusted blob should
 * make us spawn. */
static int stream_open(struct layer_stream *s, int in_fd, int tee_fd, const char *what,
		       struct berth_err *err)
{
	struct archive_entry *entry;

	*s = (struct layer_stream){ .tee_fd = tee_fd, .hashing = true };
	s->outer = archive_read_new();
	if (s->outer == NULL)
		return berth_err_set(err, ENOMEM, "layer %s", what);
	archive_read_support_filter_gzip(s->outer);
	archive_read_support_filter_zstd(s->outer);
	archive_read_support_format_raw(s->outer);
	if (archive_read_open_fd(s->outer, in_fd, STREAM_BUF_SIZE) != ARCHIVE_OK ||
	    archive_read_next_header(s->outer, &entry) != ARCHIVE_OK) {
		stream_set_archive_error(s, s->outer);
		stream_fail(s, what, err);
		stream_close(s);
		return -1;
	}
	digest_init(&s->digest);
	s->buf = xmalloc(STREAM_BUF_SIZE);
	return 0;
}

/* The next piece of the uncompressed stream, hashed and teed, in s->buf.
 * Returns its length, 0 at the end, -1 with s->why set. */
static ssize_t stream_next(struct layer_stream *s)
{
	la_ssize_t n = archive_read_data(s->outer, s->buf, STREAM_BUF_SIZE);

	if (n < 0) {
		stream_set_archive_error(s, s->outer);
		return -1;
	}
	if (s->hashing)
		digest_update(&s->digest, s->buf, (size_t)n);
	s->size += (uint64_t)n;
	if (s->tee_fd >= 0 && fs_write_all(s->tee_fd, s->buf, (size_t)n, -1) < 0) {
		s->code = errno;
		snprintf(s->why, sizeof(s->why), "writing the uncompressed tar: %s",
			 strerror(errno));
		return -1;
	}
	return n;
}

/* The inner (tar) archive's read callback. */
static la_ssize_t stream_read_cb(struct archive *a, void *data, const void **buf)
{
	struct layer_stream *s = data;
	ssize_t n = stream_next(s);

	if (n < 0) {
		archive_set_error(a, s->code != 0 ? s->code : EINVAL, "%s", s->why);
		return -1;
	}
	*buf = s->buf;
	return n;
}

static int stream_drain(struct layer_stream *s)
{
	ssize_t n;

	while ((n = stream_next(s)) > 0)
		;
	return n < 0 ? -1 : 0;
}

/* ---- entries ---- */

/* A directory's times, set once everything inside it exists. */
struct dir_time {
	char *path;
	size_t depth, seq;
	struct timespec times[2];
};

struct applier {
	struct archive *tar;
	int root; /* the layer directory */
	const char *what;
	const char *name;    /* the entry being applied, for errors */
	const char *walking; /* "" or "hard link target " for walk errors */
	uint64_t entries, max_entries;
	struct dir_time *dirs;
	size_t n_dirs, cap_dirs, dirs_bytes;
	struct berth_err *err;
};

/* s, quoted safely for a one-line message: at most max bytes, control
 * characters replaced, "..." when cut. */
static const char *shown(const char *s, size_t max, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < max && i + 4 < size; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (s[i] != '\0' && i + 4 <= size)
		memcpy(buf + i, "...", 3), i += 3;
	buf[i] = '\0';
	return buf;
}

static int entry_fail(struct applier *ap, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int entry_fail(struct applier *ap, int errnum, const char *fmt, ...)
{
	char reason[1024], name[NAME_SHOWN_MAX + 8];
	va_list va;

	va_start(va, fmt);
	vsnprintf(reason, sizeof(reason), fmt, va);
	va_end(va);
	/* The reason may quote a component or an xattr name: one line. */
	for (char *c = reason; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return berth_err_set(ap->err, errnum, "layer %s: entry \"%s\": %s", ap->what,
			     shown(ap->name, NAME_SHOWN_MAX, name, sizeof(name)), reason);
}

/* An entry name split into components: no empty, "." or ".." ones. */
struct rel_path {
	char path[PATH_MAX + 1]; /* "a/b/c"; "" for the layer root */
	size_t parent_len;       /* strlen("a/b") */
	const char *leaf;        /* "c" */
	size_t depth;
};

/* Leading "./" and repeated slashes are fine; absolute names and ".." are
 * refused rather than cleaned up: no tool that writes layers emits them, so
 * they only come from archives crafted to escape. name is at most PATH_MAX
 * bytes (checked by the caller), so path cannot overflow. */
static const char *rel_path_parse(const char *name, struct rel_path *p)
{
	size_t len = 0, leaf = 0;

	if (name[0] == '/')
		return "absolute path";
	p->depth = 0;
	for (const char *s = name; *s != '\0';) {
		const char *end = strchrnul(s, '/');
		size_t n = (size_t)(end - s);

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return "path escapes the layer";
		if (n > 0 && !(n == 1 && s[0] == '.')) {
			if (len > 0)
				p->path[len++] = '/';
			leaf = len;
			memcpy(p->path + len, s, n);
			len += n;
			p->depth++;
		}
		s = *end == '/' ? end + 1 : end;
	}
	p->path[len] = '\0';
	p->leaf = p->path + leaf;
	p->parent_len = leaf > 0 ? leaf - 1 : 0;
	return NULL;
}

enum walk_mode {
	WALK_CREATE,   /* missing directories are made */
	WALK_EXISTING, /* missing is an error */
	WALK_QUIET,    /* missing or not a directory: -1, no error set */
};

static int walk_fail(struct applier *ap, int base, const char *comp, const char *upto, int e)
{
	char buf[NAME_SHOWN_MAX + 8];
	struct stat st;

	upto = shown(upto, NAME_SHOWN_MAX, buf, sizeof(buf));
	if ((e == ENOTDIR || e == ELOOP) && fstatat(base, comp, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return entry_fail(ap, 0, "%s\"%s\" is %s", ap->walking, upto,
				  S_ISLNK(st.st_mode) ? "a symlink" : "not a directory");
	if (e == ENOENT)
		return entry_fail(ap, 0, "%s\"%s\" does not exist", ap->walking, upto);
	return entry_fail(ap, e, "%sopen \"%s\"", ap->walking, upto);
}

/* The userspace walk: one openat(O_NOFOLLOW|O_DIRECTORY) per component, so a
 * symlink anywhere fails with ELOOP or ENOTDIR instead of being followed.
 * path is a writable copy, cut at each '/' in turn so that errors name the
 * prefix walked so far. */
static int dir_walk(struct applier *ap, char *path, enum walk_mode mode, int flags)
{
	char buf[NAME_SHOWN_MAX + 8];
	autoclose int cur = -1;

	for (char *comp = path;;) {
		char *slash = strchr(comp, '/');
		int base = cur >= 0 ? cur : ap->root;
		int oflags =
		    (slash != NULL ? O_PATH : flags) | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
		int fd;

		if (slash != NULL)
			*slash = '\0';
		fd = openat(base, comp, oflags);
		if (fd < 0 && errno == ENOENT && mode == WALK_CREATE) {
			/* 0755 as docker makes missing parents; chmod because
			 * the umask is not ours to rely on (nor to change, with
			 * other threads running). */
			if ((mkdirat(base, comp, 0755) < 0 && errno != EEXIST) ||
			    fchmodat(base, comp, 0755, 0) < 0)
				return entry_fail(ap, errno, "mkdir \"%s\"",
						  shown(path, NAME_SHOWN_MAX, buf, sizeof(buf)));
			fd = openat(base, comp, oflags);
		}
		if (fd < 0)
			return mode == WALK_QUIET ? -1 : walk_fail(ap, base, comp, path, errno);
		cleanup_closep(&cur);
		cur = fd;
		if (slash == NULL)
			return steal_fd(&cur);
		*slash = '/';
		comp = slash + 1;
	}
}

/* Opens the directory path[0..len) of the layer with flags (O_PATH, or
 * O_RDONLY for a directory whose own metadata is set). */
static int dir_open(struct applier *ap, const char *path, size_t len, enum walk_mode mode,
		    int flags)
{
	char buf[PATH_MAX + 1];
	struct open_how how = {
		.flags = (uint64_t)(flags | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if (len == 0) {
		fd = openat(ap->root, ".", flags | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 && mode != WALK_QUIET)
			return entry_fail(ap, errno, "open the layer directory");
		return fd;
	}
	memcpy(buf, path, len);
	buf[len] = '\0';
	/* The kernel walks the common case (the directory exists) in one
	 * call; the userspace walk creates what is missing, explains
	 * failures, and stands in where openat2 is missing (before 5.6) or
	 * filtered. */
	fd = (int)syscall(SYS_openat2, ap->root, buf, &how, sizeof(how));
	if (fd >= 0)
		return fd;
	return dir_walk(ap, buf, mode, flags);
}

/* Removes name from dirfd, a directory with everything in it; symlinks are
 * removed, never followed. */
static int remove_tree(struct applier *ap, int dirfd, const char *name)
{
	autoclosedir DIR *dir = NULL;
	struct dirent *de;
	int fd;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR)
		return entry_fail(ap, errno, "remove \"%s\"", name);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		cleanup_closep(&fd);
		return entry_fail(ap, errno, "open \"%s\" to remove it", name);
	}
	while ((errno = 0, de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (remove_tree(ap, fd, de->d_name) < 0)
			return -1;
	}
	if (errno != 0)
		return entry_fail(ap, errno, "read \"%s\" to remove it", name);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
		return entry_fail(ap, errno, "remove \"%s\"", name);
	return 0;
}

/* Makes room for a new entry named leaf in pfd: a later entry replaces an
 * earlier one, except that a directory over a directory keeps it (and its
 * contents) and only updates its metadata. Returns 1 when such a directory
 * stays, 0 when leaf is free, -1 on error. */
static int leaf_prepare(struct applier *ap, int pfd, const char *leaf, bool want_dir)
{
	struct stat st;

	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return entry_fail(ap, errno, "stat");
	}
	if (S_ISDIR(st.st_mode) && want_dir)
		return 1;
	return remove_tree(ap, pfd, leaf);
}

struct meta {
	uid_t uid;
	gid_t gid;
	mode_t mode;
	struct timespec times[2]; /* atime, mtime */
};

static int meta_read(struct applier *ap, struct archive_entry *e, struct meta *m)
{
	la_int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);

	/* (uid_t)-1 means "leave unchanged" to chown: not an owner. */
	if (uid < 0 || uid >= UINT32_MAX || gid < 0 || gid >= UINT32_MAX)
		return entry_fail(ap, 0, "owner %lld:%lld out of range", (long long)uid,
				  (long long)gid);
	m->uid = (uid_t)uid;
	m->gid = (gid_t)gid;
	m->mode = archive_entry_perm(e) & 07777;
	m->times[1].tv_sec = archive_entry_mtime(e);
	m->times[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (!archive_entry_mtime_is_set(e))
		m->times[1].tv_nsec = UTIME_OMIT;
	m->times[0] = m->times[1];
	if (archive_entry_atime_is_set(e)) {
		m->times[0].tv_sec = archive_entry_atime(e);
		m->times[0].tv_nsec = archive_entry_atime_nsec(e);
	}
	return 0;
}

/* Overlayfs reads these as its own metadata: a layer must not be able to
 * plant a redirect or an opaque marker by xattr. Opaque directories come
 * from ".wh..wh..opq" entries only. */
static bool xattr_is_overlay(const char *name)
{
	return strncmp(name, "trusted.overlay.", 16) == 0 ||
	       strncmp(name, "user.overlay.", 13) == 0;
}

/* xattrs are set on regular files and directories, through their fd. On
 * symlinks, devices and fifos they are skipped: fsetxattr needs an fd that
 * open() would not give without following or opening the node. File
 * capabilities come last, after the chown that would clear them. */
static int xattrs_set(struct applier *ap, int fd, struct archive_entry *e)
{
	const char *name, *cap = NULL;
	const void *value, *cap_value = NULL;
	size_t size, cap_size = 0;

	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		if (xattr_is_overlay(name))
			continue;
		if (strcmp(name, "security.capability") == 0) {
			cap = name, cap_value = value, cap_size = size;
			continue;
		}
		if (fsetxattr(fd, name, value, size, 0) < 0)
			return entry_fail(ap, errno, "set xattr %.64s", name);
	}
	if (cap != NULL && fsetxattr(fd, cap, cap_value, cap_size, 0) < 0)
		return entry_fail(ap, errno, "set xattr security.capability");
	return 0;
}

/* Owner, then mode (chown clears set-id bits), then xattrs, then times
 * (directories' later, see dir_time_add). fd is the entry's own fd when it
 * has one; otherwise leaf in pfd is used, a node made just now. */
static int meta_apply(struct applier *ap, int fd, int pfd, const char *leaf,
		      struct archive_entry *e, const struct meta *m)
{
	mode_t type = archive_entry_filetype(e);
	int r;

	r = fd >= 0 ? fchown(fd, m->uid, m->gid)
		    : fchownat(pfd, leaf, m->uid, m->gid, AT_SYMLINK_NOFOLLOW);
	if (r < 0)
		return entry_fail(ap, errno, "chown %u:%u", m->uid, m->gid);
	if (type != AE_IFLNK) {
		/* fchmodat follows a final symlink; leaf is the device or
		 * fifo that mknodat made a moment ago in a directory only
		 * this process writes to. */
		r = fd >= 0 ? fchmod(fd, m->mode) : fchmodat(pfd, leaf, m->mode, 0);
		if (r < 0)
			return entry_fail(ap, errno, "chmod %04o", m->mode);
	}
	if (fd >= 0 && xattrs_set(ap, fd, e) < 0)
		return -1;
	if (type == AE_IFDIR)
		return 0;
	r = fd >= 0 ? futimens(fd, m->times) : utimensat(pfd, leaf, m->times, AT_SYMLINK_NOFOLLOW);
	if (r < 0)
		return entry_fail(ap, errno, "set times");
	return 0;
}

/* Each directory's path is kept until the end. A layer of millions of
 * directories with 4 KiB names would hold gigabytes: past 256 MiB it is
 * refused (a real layer of a million directories needs a tenth of that). */
static int dir_time_add(struct applier *ap, const struct rel_path *p, const struct meta *m)
{
	size_t len = strlen(p->path);
	struct dir_time *d;

	ap->dirs_bytes += sizeof(*d) + len + 1;
	if (ap->dirs_bytes > DIR_TIMES_MAX_BYTES)
		return entry_fail(ap, 0, "too many directories (their names pass %u MiB)",
				  DIR_TIMES_MAX_BYTES >> 20);
	if (ap->n_dirs == ap->cap_dirs) {
		ap->cap_dirs = ap->cap_dirs ? ap->cap_dirs * 2 : 64;
		ap->dirs = xreallocarray(ap->dirs, ap->cap_dirs, sizeof(*ap->dirs));
	}
	d = &ap->dirs[ap->n_dirs];
	*d = (struct dir_time){ .path = xstrndup(p->path, len),
				.depth = p->depth,
				.seq = ap->n_dirs };
	memcpy(d->times, m->times, sizeof(d->times));
	ap->n_dirs++;
	return 0;
}

/* Deepest first; at one depth in archive order, so a directory that appears
 * twice gets the later entry's times. */
static int dir_time_cmp(const void *a, const void *b)
{
	const struct dir_time *x = a, *y = b;

	if (x->depth != y->depth)
		return x->depth > y->depth ? -1 : 1;
	return x->seq < y->seq ? -1 : 1;
}

static int dir_times_apply(struct applier *ap)
{
	if (ap->n_dirs > 0)
		qsort(ap->dirs, ap->n_dirs, sizeof(*ap->dirs), dir_time_cmp);
	for (size_t i = 0; i < ap->n_dirs; i++) {
		struct dir_time *d = &ap->dirs[i];
		/* Gone or no longer a directory: a later entry replaced it. */
		autoclose int fd = dir_open(ap, d->path, strlen(d->path), WALK_QUIET, O_RDONLY);

		if (fd < 0)
			continue;
		if (futimens(fd, d->times) < 0) {
			ap->name = d->path;
			return entry_fail(ap, errno, "set times");
		}
	}
	return 0;
}

static void dir_times_free(struct applier *ap)
{
	for (size_t i = 0; i < ap->n_dirs; i++)
		free(ap->dirs[i].path);
	free(ap->dirs);
}

static int file_write_data(struct applier *ap, int fd, struct archive_entry *e)
{
	const void *buf;
	size_t size;
	la_int64_t off, end = 0;

	for (;;) {
		int r = archive_read_data_block(ap->tar, &buf, &size, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return entry_fail(ap, 0, "%s", archive_error_string(ap->tar));
		/* Sparse files come as blocks at offsets; the holes between
		 * are never written, so they stay holes. */
		if (fs_write_all(fd, buf, size, off) < 0)
			return entry_fail(ap, errno, "write");
		if (off + (la_int64_t)size > end)
			end = off + (la_int64_t)size;
	}
	/* A sparse file may end in a hole. */
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > end &&
	    ftruncate(fd, archive_entry_size(e)) < 0)
		return entry_fail(ap, errno, "truncate");
	return 0;
}

static int make_file(struct applier *ap, int pfd, const char *leaf, struct archive_entry *e,
		     const struct meta *m)
{
	/* O_EXCL: leaf_prepare removed whatever was there, and a symlink
	 * that appeared since would fail here rather than be followed. */
	autoclose int fd =
	    openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return entry_fail(ap, errno, "create");
	if (file_write_data(ap, fd, e) < 0)
		return -1;
	return meta_apply(ap, fd, pfd, leaf, e, m);
}

static int make_dir(struct applier *ap, const struct rel_path *p, int pfd, struct archive_entry *e,
		    const struct meta *m)
{
	autoclose int fd = -1;

	if (p->leaf[0] == '\0') { /* "./": the layer directory itself */
		fd = openat(ap->root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		int r = leaf_prepare(ap, pfd, p->leaf, true);

		if (r < 0)
			return -1;
		if (r == 0 && mkdirat(pfd, p->leaf, 0700) < 0)
			return entry_fail(ap, errno, "mkdir");
		fd = openat(pfd, p->leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return entry_fail(ap, errno, "open");
	if (meta_apply(ap, fd, pfd, p->leaf, e, m) < 0)
		return -1;
	return dir_time_add(ap, p, m);
}

/* The target is stored verbatim and never followed by anything here. */
static int make_symlink(struct applier *ap, int pfd, const char *leaf, struct archive_entry *e,
			const struct meta *m)
{
	const char *target = archive_entry_symlink(e);

	if (target == NULL)
		return entry_fail(ap, 0, "symlink without a target");
	if (symlinkat(target, pfd, leaf) < 0)
		return entry_fail(ap, errno, "symlink");
	return meta_apply(ap, -1, pfd, leaf, e, m);
}

static int make_node(struct applier *ap, int pfd, const char *leaf, struct archive_entry *e,
		     const struct meta *m)
{
	mode_t type = archive_entry_filetype(e);
	dev_t dev = 0;

	if (type != AE_IFIFO)
		dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
	if (mknodat(pfd, leaf, type, dev) < 0)
		return entry_fail(ap, errno, "mknod");
	return meta_apply(ap, -1, pfd, leaf, e, m);
}

/* The target is resolved like an entry name (no "..", no symlinked parent,
 * no creating) and must exist already. linkat without AT_SYMLINK_FOLLOW
 * links a symlink itself, never what it points to. The link shares the
 * target's inode, so its metadata is the target's. */
static int make_hardlink(struct applier *ap, int pfd, const char *leaf, const char *target)
{
	struct rel_path t;
	const char *why = rel_path_parse(target, &t);
	char buf[NAME_SHOWN_MAX + 8];
	autoclose int tfd = -1;

	if (why != NULL || t.leaf[0] == '\0')
		return entry_fail(ap, 0, "hard link target \"%s\": %s",
				  shown(target, NAME_SHOWN_MAX, buf, sizeof(buf)),
				  why != NULL ? why : "the layer root");
	ap->walking = "hard link target ";
	tfd = dir_open(ap, t.path, t.parent_len, WALK_EXISTING, O_PATH);
	ap->walking = "";
	if (tfd < 0)
		return -1;
	if (linkat(tfd, t.leaf, pfd, leaf, 0) < 0)
		return entry_fail(ap, errno, "hard link to \"%s\"",
				  shown(target, NAME_SHOWN_MAX, buf, sizeof(buf)));
	return 0;
}

/* ".wh.NAME": NAME is hidden in the layers below, which overlayfs reads
 * from a 0/0 character device. Whatever this layer had put at NAME goes. */
static int make_whiteout(struct applier *ap, int pfd, const char *name)
{
	if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return entry_fail(ap, 0, "bad whiteout name");
	if (leaf_prepare(ap, pfd, name, false) < 0)
		return -1;
	if (mknodat(pfd, name, S_IFCHR, makedev(0, 0)) < 0)
		return entry_fail(ap, errno, "mknod whiteout");
	return 0;
}

static int make_opaque(struct applier *ap, const struct rel_path *p)
{
	autoclose int fd = dir_open(ap, p->path, p->parent_len, WALK_CREATE, O_RDONLY);

	if (fd < 0)
		return -1;
	if (fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0) < 0)
		return entry_fail(ap, errno, "set " OPAQUE_XATTR);
	return 0;
}

/* aufs keeps its bookkeeping (".wh..wh.plnk", ".wh..wh.aufs") in the
 * layer; it means nothing to overlayfs. True when a component of path
 * (the opaque marker aside) is such a name. */
static bool is_aufs_meta(const char *path)
{
	for (const char *s = path;;) {
		if (strncmp(s, WHITEOUT_META, strlen(WHITEOUT_META)) == 0 &&
		    strcmp(s, WHITEOUT_OPAQUE) != 0)
			return true;
		s = strchr(s, '/');
		if (s == NULL)
			return false;
		s++;
	}
}

/* Limits checked before anything is made for the entry. */
static int entry_check(struct applier *ap, struct archive_entry *e)
{
	const char *link = archive_entry_hardlink(e);
	const char *name;
	const void *value;
	size_t size;

	if (link == NULL)
		link = archive_entry_symlink(e);
	if (strlen(ap->name) > PATH_MAX)
		return entry_fail(ap, 0, "name longer than %d bytes", PATH_MAX);
	if (link != NULL && strlen(link) > PATH_MAX)
		return entry_fail(ap, 0, "link target longer than %d bytes", PATH_MAX);
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
		if (size > XATTR_VALUE_MAX)
			return entry_fail(ap, 0, "xattr %.64s: value larger than %d bytes", name,
					  XATTR_VALUE_MAX);
	return 0;
}

static int entry_apply(struct applier *ap, struct archive_entry *e)
{
	struct rel_path p;
	struct meta m;
	const char *why, *hardlink = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	autoclose int pfd = -1;

	ap->name = archive_entry_pathname(e);
	if (ap->name == NULL) {
		ap->name = "";
		return entry_fail(ap, 0, "no name");
	}
	if (++ap->entries > ap->max_entries)
		return entry_fail(ap, 0, "more than %llu entries in the layer",
				  (unsigned long long)ap->max_entries);
	if (entry_check(ap, e) < 0)
		return -1;
	why = rel_path_parse(ap->name, &p);
	if (why != NULL)
		return entry_fail(ap, 0, "%s", why);
	if (p.leaf[0] == '\0' && (type != AE_IFDIR || hardlink != NULL))
		return entry_fail(ap, 0, "names the layer root but is not a directory");
	if (is_aufs_meta(p.path))
		return 0;
	if (strcmp(p.leaf, WHITEOUT_OPAQUE) == 0)
		return make_opaque(ap, &p);
	if (meta_read(ap, e, &m) < 0)
		return -1;
	pfd = dir_open(ap, p.path, p.parent_len, WALK_CREATE, O_PATH);
	if (pfd < 0)
		return -1;
	if (strncmp(p.leaf, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0)
		return make_whiteout(ap, pfd, p.leaf + strlen(WHITEOUT_PREFIX));
	if (type == AE_IFDIR && hardlink == NULL)
		return make_dir(ap, &p, pfd, e, &m);
	if (leaf_prepare(ap, pfd, p.leaf, false) < 0)
		return -1;
	if (hardlink != NULL)
		return make_hardlink(ap, pfd, p.leaf, hardlink);
	switch (type) {
	case AE_IFREG:
		return make_file(ap, pfd, p.leaf, e, &m);
	case AE_IFLNK:
		return make_symlink(ap, pfd, p.leaf, e, &m);
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		return make_node(ap, pfd, p.leaf, e, &m);
	default: /* sockets, and whatever libarchive could not type */
		return entry_fail(ap, 0, "unsupported file type 0%o", (unsigned)type);
	}
}

/* After the last entry: the rest of the stream goes through the hash, and
 * the tar must have had its end-of-archive marker. libarchive takes a stream
 * that stops right after an entry as a complete archive, but a layer cut
 * at a 512-byte boundary is truncated, not shorter. */
static int tar_finish(struct applier *ap, struct layer_stream *s)
{
	uint64_t end = (uint64_t)archive_read_header_position(ap->tar);

	if (stream_drain(s) < 0)
		return stream_fail(s, ap->what, ap->err);
	if (s->size >= end + TAR_BLOCK)
		return 0;
	snprintf(s->why, sizeof(s->why), "truncated: no end-of-archive marker after %llu bytes",
		 (unsigned long long)s->size);
	s->code = 0;
	return stream_fail(s, ap->what, ap->err);
}

static int tar_apply(struct applier *ap, struct layer_stream *s)
{
	struct archive_entry *e;

	ap->tar = archive_read_new();
	if (ap->tar == NULL)
		return berth_err_set(ap->err, ENOMEM, "layer %s", ap->what);
	archive_read_support_format_tar(ap->tar); /* ustar, pax, GNU, v7 */
	if (archive_read_open(ap->tar, s, NULL, stream_read_cb, NULL) != ARCHIVE_OK)
		goto fail;
	for (;;) {
		int r = archive_read_next_header(ap->tar, &e);

		if (r == ARCHIVE_EOF)
			break;
		/* ARCHIVE_WARN is a header libarchive read but did not like
		 * all of (a name not in the locale's charset): go on. */
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			goto fail;
		if (entry_apply(ap, e) < 0)
			return -1;
	}
	if (tar_finish(ap, s) < 0)
		return -1;
	return dir_times_apply(ap);
fail:
	stream_set_archive_error(s, ap->tar);
	return stream_fail(s, ap->what, ap->err);
}

int layer_apply(int in_fd, int dest_dirfd, const struct layer_apply_opts *opts,
		struct layer_apply_result *res, struct berth_err *err)
{
	struct layer_stream s;
	struct applier ap = {
		.root = dest_dirfd,
		.what = opts->what,
		.name = "",
		.walking = "",
		.max_entries = opts->max_entries != 0 ? opts->max_entries : DEFAULT_MAX_ENTRIES,
		.err = err,
	};
	int r;

	if (stream_open(&s, in_fd, opts->tee_fd, opts->what, err) < 0)
		return -1;
	s.hashing = !opts->no_diff_id;
	r = tar_apply(&ap, &s);
	if (ap.tar != NULL)
		archive_read_free(ap.tar);
	dir_times_free(&ap);
	if (r == 0 && res != NULL) {
		res->diff_id[0] = '\0';
		if (s.hashing)
			digest_final(&s.digest, res->diff_id);
		res->tar_size = s.size;
		res->entries = ap.entries;
	}
	stream_close(&s);
	return r;
}

int layer_diff_id(int in_fd, const char *what, char out[DIGEST_STR_LEN + 1], uint64_t *tar_size,
		  struct berth_err *err)
{
	struct layer_stream s;

	if (stream_open(&s, in_fd, -1, what, err) < 0)
		return -1;
	if (stream_drain(&s) < 0) {
		stream_fail(&s, what, err);
		stream_close(&s);
		return -1;
	}
	digest_final(&s.digest, out);
	if (tar_size != NULL)
		*tar_size = s.size;
	stream_close(&s);
	return 0;
}
