/* Snapshots: an image's layer directories stacked as an overlay mount, or
 * copied into one directory where overlayfs is missing (see snapshot.h).
 *
 * overlay, two ways to name the lower directories:
 *  - Linux 6.8 added the "lowerdir+" parameter: one fsconfig(2) call per
 *    layer, top layer first (the same order as the colon-separated
 *    "lowerdir=" string), so there is no page-size limit and no escaping;
 *  - older kernels get mount(2) with "lowerdir=a:b:c,upperdir=..,workdir=..",
 *    which must fit in one page with its NUL. When the absolute paths do not
 *    fit, or contain a character that the option parser treats specially
 *    (',' ':' '\'), every directory is named by a five-character symlink in
 *    the caller's link directory and the mount is done from inside that
 *    directory with relative names (in a child process, as the working
 *    directory is shared by every thread).
 * overlayfs stacks at most 500 lower layers (OVL_MAX_STACK), however they
 * are passed.
 *
 * vfs: each layer is merged into the destination, bottom first, the way
 * overlayfs would show it. Every lookup is relative to a directory fd and
 * made with O_NOFOLLOW, so a symlink in a layer or already in the
 * destination ("etc -> /etc") is copied or replaced, never followed. */
#include "image/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/xalloc.h"

#define LINK_NAME_LEN    5 /* base32 characters: 25 bits of the path's hash */
#define LINK_PROBES      64
#define VFS_MAX_DEPTH    256
#define OPAQUE_XATTR     "trusted.overlay.opaque"
#define OVERLAY_XATTR_NS "trusted.overlay."

static const char *const driver_names[] = {
	[SNAPSHOT_OVERLAY] = "overlay",
	[SNAPSHOT_VFS] = "vfs",
};

static const struct {
	const char *name;
	enum snapshot_driver driver;
} driver_aliases[] = {
	{ "overlay", SNAPSHOT_OVERLAY },
	{ "overlay2", SNAPSHOT_OVERLAY }, /* Docker's name for the same driver */
	{ "vfs", SNAPSHOT_VFS },
};

const char *snapshot_driver_name(enum snapshot_driver d)
{
	if ((size_t)d < ARRAY_SIZE(driver_names))
		return driver_names[d];
	return "unknown";
}

int snapshot_driver_parse(const char *name, enum snapshot_driver *out, struct berth_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(driver_aliases); i++) {
		if (strcmp(name, driver_aliases[i].name) == 0) {
			*out = driver_aliases[i].driver;
			return 0;
		}
	}
	return berth_err_set(
	    err, EINVAL, "storage driver \"%s\": unknown (want overlay, overlay2 or vfs)", name);
}

static bool proc_filesystems_has(const char *fstype)
{
	autofclose FILE *f = fopen("/proc/filesystems", "re");
	char line[256];

	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		/* "nodev\toverlay\n" or "\text4\n" */
		char *name = strrchr(line, '\t');
		name = name != NULL ? name + 1 : line;
		name[strcspn(name, "\n")] = '\0';
		if (strcmp(name, fstype) == 0)
			return true;
	}
	return false;
}

enum snapshot_driver snapshot_driver_detect(void)
{
	autoclose int fd = -1;

	if (proc_filesystems_has("overlay"))
		return SNAPSHOT_OVERLAY;
	/* Not registered yet: fsopen() looks the type up with
	 * request_module("fs-overlay"), as mount(2) would. */
	fd = fsopen("overlay", FSOPEN_CLOEXEC);
	return fd >= 0 ? SNAPSHOT_OVERLAY : SNAPSHOT_VFS;
}

/* --- overlay with the new mount API -------------------------------------- */

/* Whether this kernel's overlayfs takes "lowerdir+" (Linux 6.8). Kernels
 * 6.5-6.7 refuse the unknown key; before 6.5 overlayfs had no fs_context
 * parser and the VFS's legacy shim accepts any string key (failing only at
 * FSCONFIG_CMD_CREATE), but refuses every flag, which overlay's own parser
 * takes ("userxattr", 5.11). The probe's context is thrown away. */
static int overlay_probe_lowerdir_plus(void)
{
	autoclose int fd = fsopen("overlay", FSOPEN_CLOEXEC);

	if (fd < 0)
		return -1; /* no answer: no new mount API, no privilege, no fds */
	if (fsconfig(fd, FSCONFIG_SET_STRING, "lowerdir+", "/", 0) < 0)
		return 0;
	return fsconfig(fd, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) == 0;
}

static bool overlay_has_lowerdir_plus(void)
{
	/* -1 unknown. Only a real answer is kept; the probe is idempotent,
	 * so two threads racing to fill it is harmless. */
	static int cached = -1;
	int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	const char *off = getenv(SNAPSHOT_NO_LOWERDIR_PLUS_ENV);

	if (off != NULL && strcmp(off, "1") == 0)
		return false;
	if (v < 0) {
		v = overlay_probe_lowerdir_plus();
		if (v >= 0)
			__atomic_store_n(&cached, v, __ATOMIC_RELAXED);
	}
	return v == 1;
}

/* The fs context's error log ("e overlay: ..."), which says far more than
 * the errno, joined by "; ". */
static void fs_context_log(int fsfd, char *out, size_t size)
{
	char msg[512];
	size_t len = 0;
	ssize_t n;

	out[0] = '\0';
	while ((n = read(fsfd, msg, sizeof(msg) - 1)) > 0) {
		msg[n] = '\0';
		if (msg[n - 1] == '\n')
			msg[n - 1] = '\0';
		if (msg[0] != 'e' || msg[1] != ' ')
			continue;
		len += (size_t)snprintf(out + len, size - len, "%s%s", len ? "; " : "", msg + 2);
		if (len >= size)
			break;
	}
}

static int overlay_fsconfig_fail(int fsfd, const char *target, const char *what,
				 struct berth_err *err)
{
	int saved = errno;
	char log[1024];

	fs_context_log(fsfd, log, sizeof(log));
	if (log[0] != '\0')
		return berth_err_set(err, saved, "mount overlay on %s: %s (%s)", target, what, log);
	return berth_err_set(err, saved, "mount overlay on %s: %s", target, what);
}

static int overlay_mount_new(const char *const *lowers, size_t n, const char *upper,
			     const char *work, const char *target, struct berth_err *err)
{
	autoclose int fsfd = -1;
	autoclose int mntfd = -1;

	fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return berth_err_set(err, errno, "mount overlay on %s: fsopen", target);
	/* The source shown in mountinfo, "none" otherwise; as mount(8) names it. */
	if (fsconfig(fsfd, FSCONFIG_SET_STRING, "source", "overlay", 0) < 0)
		return overlay_fsconfig_fail(fsfd, target, "source", err);
	for (size_t i = 0; i < n; i++) {
		if (fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", lowers[i], 0) < 0) {
			char what[PATH_MAX + 32];
			snprintf(what, sizeof(what), "lower dir %s", lowers[i]);
			return overlay_fsconfig_fail(fsfd, target, what, err);
		}
	}
	if (fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0)
		return overlay_fsconfig_fail(fsfd, target, "upper dir", err);
	if (fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", work, 0) < 0)
		return overlay_fsconfig_fail(fsfd, target, "work dir", err);
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return overlay_fsconfig_fail(fsfd, target, "create", err);
	mntfd = fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
	if (mntfd < 0)
		return berth_err_set(err, errno, "mount overlay on %s: fsmount", target);
	if (move_mount(mntfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return berth_err_set(err, errno, "mount overlay on %s: move_mount", target);
	return 0;
}

/* --- overlay with mount(2) and an option string -------------------------- */

/* Characters that the legacy option parser splits on or unescapes. */
static bool overlay_opt_needs_link(const char *path)
{
	return strpbrk(path, ",:\\") != NULL;
}

static uint64_t fnv1a64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void link_name(uint64_t h, char out[LINK_NAME_LEN + 1])
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

	for (int i = 0; i < LINK_NAME_LEN; i++)
		out[i] = b32[(h >> (5 * i)) & 31];
	out[LINK_NAME_LEN] = '\0';
}

/* Finds or creates in linkdir a short symlink to dir. The name comes from a
 * hash of dir, so the next mount of the same layer reuses it; a name taken
 * by another target moves on to the next hash value. Creating is atomic
 * (symlinkat fails with EEXIST), so concurrent mounts agree on the names. */
static int overlay_link_get(int linkfd, const char *linkdir, const char *dir,
			    char out[LINK_NAME_LEN + 1], struct berth_err *err)
{
	uint64_t h = fnv1a64(dir);
	char cur[PATH_MAX + 1];

	for (int probe = 0; probe < LINK_PROBES; probe++, h++) {
		ssize_t len;

		link_name(h, out);
		len = readlinkat(linkfd, out, cur, sizeof(cur));
		if (len < 0 && errno == ENOENT) {
			if (symlinkat(dir, linkfd, out) == 0)
				return 0;
			if (errno != EEXIST)
				return berth_err_set(err, errno, "link %s/%s -> %s", linkdir, out,
						     dir);
			len = readlinkat(linkfd, out, cur, sizeof(cur));
		}
		if (len < 0) {
			if (errno == EINVAL) /* not a symlink: someone else's file */
				continue;
			return berth_err_set(err, errno, "read link %s/%s", linkdir, out);
		}
		if ((size_t)len == strlen(dir) && memcmp(cur, dir, (size_t)len) == 0)
			return 0;
	}
	return berth_err_set(err, EEXIST, "link dir %s: no free name for %s", linkdir, dir);
}

struct optbuf {
	char *s;
	size_t len, cap;
};

static void optbuf_add(struct optbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

/* "lowerdir=L0:L1:..,upperdir=U,workdir=W" where each name is the path
 * itself, or its link in linkdir when linkfd >= 0. */
static int overlay_optstring(const char *const *lowers, size_t n, const char *upper,
			     const char *work, int linkfd, const char *linkdir, char **out,
			     struct berth_err *err)
{
	struct optbuf b = { 0 };
	char name[LINK_NAME_LEN + 1];
	const char *keys[] = { ",upperdir=", ",workdir=" };
	const char *dirs[] = { upper, work };

	optbuf_add(&b, "lowerdir=");
	for (size_t i = 0; i < n + 2; i++) {
		const char *dir = i < n ? lowers[i] : dirs[i - n];

		if (i >= n)
			optbuf_add(&b, keys[i - n]);
		else if (i > 0)
			optbuf_add(&b, ":");
		if (linkfd < 0) {
			optbuf_add(&b, dir);
			continue;
		}
		if (overlay_link_get(linkfd, linkdir, dir, name, err) < 0) {
			free(b.s);
			return -1;
		}
		optbuf_add(&b, name);
	}
	*out = b.s;
	return 0;
}

/* mount(2) from inside linkdir, so the relative link names resolve there.
 * The working directory belongs to the whole process, so a child does it
 * and the caller's threads never see it change. The child only makes
 * async-signal-safe calls. */
static int overlay_mount_in_dir(int linkfd, const char *target, const char *opts)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (fchdir(linkfd) < 0)
			_exit(errno);
		if (mount("overlay", target, "overlay", 0, opts) < 0)
			_exit(errno);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (!WIFEXITED(status))
		return -EIO;
	return -WEXITSTATUS(status);
}

static int overlay_mount_legacy(const char *const *lowers, size_t n, const char *upper,
				const char *work, const char *target, const char *linkdir,
				struct berth_err *err)
{
	autofree char *opts = NULL;
	autoclose int linkfd = -1;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const char *why = NULL;
	int r;

	for (size_t i = 0; i < n + 2 && why == NULL; i++) {
		const char *dir = i < n ? lowers[i] : i == n ? upper : work;
		if (overlay_opt_needs_link(dir))
			why = "a directory name has ',', ':' or '\\'";
	}
	if (why == NULL) {
		if (overlay_optstring(lowers, n, upper, work, -1, NULL, &opts, err) < 0)
			return -1;
		if (strlen(opts) + 1 <= page) {
			if (mount("overlay", target, "overlay", 0, opts) < 0)
				return berth_err_set(err, errno, "mount overlay on %s", target);
			return 0;
		}
		why = "the lower dirs do not fit in a page";
		free(steal_ptr(opts));
	}
	if (linkdir == NULL)
		return berth_err_set(err, EINVAL,
				     "mount overlay on %s: %s and there is no link directory",
				     target, why);
	linkfd = open(linkdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (linkfd < 0)
		return berth_err_set(err, errno, "mount overlay on %s: open link dir %s", target,
				     linkdir);
	if (overlay_optstring(lowers, n, upper, work, linkfd, linkdir, &opts, err) < 0)
		return berth_err_wrap(err, "mount overlay on %s", target);
	if (strlen(opts) + 1 > page)
		return berth_err_set(err, E2BIG, "mount overlay on %s: options longer than a page",
				     target);
	r = overlay_mount_in_dir(linkfd, target, opts);
	if (r < 0)
		return berth_err_set(err, -r, "mount overlay on %s (from %s)", target, linkdir);
	return 0;
}

int snapshot_overlay_mount(const char *const *lowers, size_t n, const char *upper, const char *work,
			   const char *target, const char *linkdir, struct berth_err *err)
{
	if (n == 0)
		return berth_err_set(err, EINVAL, "mount overlay on %s: no lower directory",
				     target);
	if (n > SNAPSHOT_OVERLAY_MAX_LOWERS)
		return berth_err_set(err, EINVAL,
				     "mount overlay on %s: %zu layers, overlayfs stacks at most %d",
				     target, n, SNAPSHOT_OVERLAY_MAX_LOWERS);
	/* Absolute, also because the classic mount may run from linkdir. */
	for (size_t i = 0; i < n + 3; i++) {
		const char *dir = i < n ? lowers[i] : i == n ? upper : i == n + 1 ? work : target;
		if (dir[0] != '/')
			return berth_err_set(err, EINVAL,
					     "mount overlay on %s: %s is not an absolute path",
					     target, dir);
	}
	if (overlay_has_lowerdir_plus())
		return overlay_mount_new(lowers, n, upper, work, target, err);
	return overlay_mount_legacy(lowers, n, upper, work, target, linkdir, err);
}

int snapshot_unmount(const char *target, struct berth_err *err)
{
	if (umount2(target, 0) == 0)
		return 0;
	if (errno == EINVAL || errno == ENOENT) /* not a mount point, or gone */
		return 0;
	if (errno == EBUSY && umount2(target, MNT_DETACH) == 0)
		return 0;
	return berth_err_set(err, errno, "unmount %s", target);
}

/* --- vfs ----------------------------------------------------------------- */

struct vfs_link {
	dev_t dev;
	ino_t ino;
	char *path; /* of the first copy, relative to the destination */
};

struct vfs_copy {
	const char *layer; /* for errors */
	int dest_fd;
	void *links;         /* tsearch tree of struct vfs_link: this layer's hard links */
	char path[PATH_MAX]; /* of the entry being copied, relative to the layer */
	size_t path_len;
};

static int vfs_link_cmp(const void *a, const void *b)
{
	const struct vfs_link *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

static void vfs_link_free(void *p)
{
	struct vfs_link *l = p;

	free(l->path);
	free(l);
}

/* "layer /l/3: usr/bin/x: what: strerror" */
static int vfs_fail(struct vfs_copy *c, int errnum, const char *what, struct berth_err *err)
{
	return berth_err_set(err, errnum, "layer %s: %s: %s", c->layer,
			     c->path_len > 0 ? c->path : ".", what);
}

/* Removes name (a file or a whole tree) from dirfd, following nothing. */
static int vfs_rm_at(int dirfd, const char *name, int depth);

/* Removes everything in the directory fd, which it takes (and closes). */
static int vfs_empty_dir(int fd, int depth)
{
	autoclosedir DIR *d = fdopendir(fd);
	struct dirent *de;

	if (d == NULL) {
		int r = -errno;
		close(fd);
		return r;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		int r;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = vfs_rm_at(dirfd(d), de->d_name, depth + 1);
		if (r < 0)
			return r;
	}
	return -errno;
}

static int vfs_rm_at(int dirfd, const char *name, int depth)
{
	int fd, r;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR)
		return -errno;
	if (depth > VFS_MAX_DEPTH)
		return -ELOOP;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = vfs_empty_dir(fd, depth);
	if (r < 0)
		return r;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int vfs_path_push(struct vfs_copy *c, const char *name, size_t *saved, struct berth_err *err)
{
	size_t n = strlen(name);

	*saved = c->path_len;
	if (c->path_len + n + 2 > sizeof(c->path))
		return berth_err_set(err, ENAMETOOLONG, "layer %s: %s/%s: path too long", c->layer,
				     c->path, name);
	if (c->path_len > 0)
		c->path[c->path_len++] = '/';
	memcpy(c->path + c->path_len, name, n + 1);
	c->path_len += n;
	return 0;
}

static void vfs_path_pop(struct vfs_copy *c, size_t saved)
{
	c->path_len = saved;
	c->path[saved] = '\0';
}

/* An entry's xattrs are reached through its fd (regular files and
 * directories, which we open anyway) or, for what must not be opened
 * (symlinks, devices, fifos), through "/proc/self/fd/DIR/NAME" with the
 * l*xattr calls, which resolve the parent by its fd and do not follow the
 * final name. */
struct xattr_obj {
	int fd;
	const char *path;
};

static ssize_t xattr_list(const struct xattr_obj *o, char *buf, size_t size)
{
	return o->fd >= 0 ? flistxattr(o->fd, buf, size) : llistxattr(o->path, buf, size);
}

static ssize_t xattr_get(const struct xattr_obj *o, const char *name, void *buf, size_t size)
{
	return o->fd >= 0 ? fgetxattr(o->fd, name, buf, size) : lgetxattr(o->path, name, buf, size);
}

static int xattr_set(const struct xattr_obj *o, const char *name, const void *val, size_t size)
{
	return o->fd >= 0 ? fsetxattr(o->fd, name, val, size, 0)
			  : lsetxattr(o->path, name, val, size, 0);
}

/* Every xattr but overlayfs's own (trusted.overlay.*), which describe the
 * layer, not the file. */
static int vfs_copy_xattrs(struct vfs_copy *c, const struct xattr_obj *src,
			   const struct xattr_obj *dst, struct berth_err *err)
{
	autofree char *names = NULL;
	autofree char *val = NULL;
	char what[XATTR_NAME_MAX + 32];
	ssize_t len;

	for (;;) {
		len = xattr_list(src, NULL, 0);
		if (len <= 0)
			break;
		names = xrealloc(names, (size_t)len);
		len = xattr_list(src, names, (size_t)len);
		if (len >= 0 || errno != ERANGE)
			break;
	}
	if (len < 0 && errno == ENOTSUP)
		return 0;
	if (len < 0)
		return vfs_fail(c, errno, "list xattrs", err);
	for (char *name = names; name < names + len; name += strlen(name) + 1) {
		ssize_t vlen;

		if (strncmp(name, OVERLAY_XATTR_NS, strlen(OVERLAY_XATTR_NS)) == 0)
			continue;
		for (;;) {
			vlen = xattr_get(src, name, NULL, 0);
			if (vlen < 0)
				break;
			val = xrealloc(val, (size_t)vlen + 1);
			vlen = xattr_get(src, name, val, (size_t)vlen);
			if (vlen >= 0 || errno != ERANGE)
				break;
		}
		if (vlen < 0) {
			snprintf(what, sizeof(what), "get xattr %s", name);
			return vfs_fail(c, errno, what, err);
		}
		if (xattr_set(dst, name, val, (size_t)vlen) < 0) {
			snprintf(what, sizeof(what), "set xattr %s", name);
			return vfs_fail(c, errno, what, err);
		}
	}
	return 0;
}

/* Owner, then mode (chown clears set-id bits), then xattrs (chown also
 * drops security.capability), then times, which nothing after may touch.
 * sfd/dfd are the entry's fds, or -1 to go by sdir/ddir and name. */
static int vfs_set_meta(struct vfs_copy *c, int sdir, int ddir, const char *name, int sfd, int dfd,
			const struct stat *st, struct berth_err *err)
{
	const struct timespec times[2] = { st->st_atim, st->st_mtim };
	char spath[64 + NAME_MAX], dpath[64 + NAME_MAX];
	struct xattr_obj src = { sfd, spath }, dst = { dfd, dpath };

	if (dfd >= 0) {
		if (fchown(dfd, st->st_uid, st->st_gid) < 0)
			return vfs_fail(c, errno, "chown", err);
		if (fchmod(dfd, st->st_mode & 07777) < 0)
			return vfs_fail(c, errno, "chmod", err);
	} else {
		snprintf(spath, sizeof(spath), "/proc/self/fd/%d/%s", sdir, name);
		snprintf(dpath, sizeof(dpath), "/proc/self/fd/%d/%s", ddir, name);
		if (fchownat(ddir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return vfs_fail(c, errno, "chown", err);
		/* A symlink's mode is always 0777 on Linux. */
		if (!S_ISLNK(st->st_mode) && fchmodat(ddir, name, st->st_mode & 07777, 0) < 0)
			return vfs_fail(c, errno, "chmod", err);
	}
	if (vfs_copy_xattrs(c, &src, &dst, err) < 0)
		return -1;
	if (dfd >= 0 ? futimens(dfd, times) : utimensat(ddir, name, times, AT_SYMLINK_NOFOLLOW))
		return vfs_fail(c, errno, "set times", err);
	return 0;
}

/* copy_file_range (reflinks or in-kernel copies on most filesystems), and
 * read/write where it is refused; both move the fds' offsets, so the
 * fallback goes on from where the first stopped. */
static int copy_data(int in, int out)
{
	bool use_cfr = true;
	char buf[16384];

	for (;;) {
		ssize_t n;

		if (use_cfr) {
			n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
			if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
				      errno == EOPNOTSUPP)) {
				use_cfr = false;
				continue;
			}
		} else {
			n = read(in, buf, sizeof(buf));
			if (n > 0) {
				if (fs_write_all(out, buf, (size_t)n, -1) < 0)
					return -errno;
			}
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
	}
}

static int vfs_copy_file(struct vfs_copy *c, int sdir, int ddir, const char *name,
			 const struct stat *st, struct berth_err *err)
{
	autoclose int in = -1;
	autoclose int out = -1;
	int r;

	/* O_NONBLOCK: if the file turned into a fifo since the stat, the open
	 * must not hang. */
	in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (in < 0)
		return vfs_fail(c, errno, "open", err);
	out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return vfs_fail(c, errno, "create", err);
	r = copy_data(in, out);
	if (r < 0)
		return vfs_fail(c, -r, "copy", err);
	return vfs_set_meta(c, sdir, ddir, name, in, out, st, err);
}

static int vfs_copy_symlink(struct vfs_copy *c, int sdir, int ddir, const char *name,
			    const struct stat *st, struct berth_err *err)
{
	char target[PATH_MAX + 1];
	ssize_t n = readlinkat(sdir, name, target, sizeof(target));

	if (n < 0)
		return vfs_fail(c, errno, "read link", err);
	if ((size_t)n >= sizeof(target))
		return vfs_fail(c, ENAMETOOLONG, "read link", err);
	target[n] = '\0';
	if (symlinkat(target, ddir, name) < 0)
		return vfs_fail(c, errno, "create symlink", err);
	return vfs_set_meta(c, sdir, ddir, name, -1, -1, st, err);
}

/* Character and block devices, fifos and sockets. */
static int vfs_copy_node(struct vfs_copy *c, int sdir, int ddir, const char *name,
			 const struct stat *st, struct berth_err *err)
{
	if (mknodat(ddir, name, (st->st_mode & S_IFMT) | 0600, st->st_rdev) < 0)
		return vfs_fail(c, errno, "mknod", err);
	return vfs_set_meta(c, sdir, ddir, name, -1, -1, st, err);
}

/* When st is a hard link already copied from this layer, links name to the
 * copy: 1. Not seen yet: 0. */
static int vfs_link_existing(struct vfs_copy *c, int ddir, const char *name, const struct stat *st,
			     struct berth_err *err)
{
	struct vfs_link key = { .dev = st->st_dev, .ino = st->st_ino };
	void *found = tfind(&key, &c->links, vfs_link_cmp);
	const struct vfs_link *l;
	struct berth_err perr;
	autofree char *parent = NULL;
	autoclose int pfd = -1;
	char *slash;
	char what[PATH_MAX + 32];

	if (found == NULL)
		return 0;
	l = *(struct vfs_link **)found;
	parent = xstrdup(l->path);
	slash = strrchr(parent, '/');
	if (slash != NULL)
		*slash = '\0';
	/* The first copy's parent was made by this walk, so it holds no
	 * symlink; resolving it scoped to the destination makes sure. */
	pfd = path_openat_in_root(c->dest_fd, slash != NULL ? parent : "", O_PATH | O_DIRECTORY, 0,
				  &perr);
	if (pfd < 0)
		return vfs_fail(c, perr.code, "open hard link parent", err);
	if (linkat(pfd, slash != NULL ? slash + 1 : parent, ddir, name, 0) < 0) {
		snprintf(what, sizeof(what), "hard link to %s", l->path);
		return vfs_fail(c, errno, what, err);
	}
	return 1;
}

static void vfs_link_remember(struct vfs_copy *c, const struct stat *st)
{
	struct vfs_link *l = xzalloc(sizeof(*l));

	l->dev = st->st_dev;
	l->ino = st->st_ino;
	l->path = xstrdup(c->path);
	if (tsearch(l, &c->links, vfs_link_cmp) == NULL)
		abort(); /* out of memory, as the x* wrappers do */
}

static bool vfs_dir_opaque(int fd)
{
	char v[2];

	return fgetxattr(fd, OPAQUE_XATTR, v, sizeof(v)) == 1 && v[0] == 'y';
}

static int vfs_copy_dir(struct vfs_copy *c, DIR *src, int ddir, int depth, struct berth_err *err);

/* A directory merges with a directory of the same name below it, unless it
 * is opaque; it replaces anything else. */
static int vfs_copy_subdir(struct vfs_copy *c, int sdir, int ddir, const char *name, int depth,
			   struct berth_err *err)
{
	autoclosedir DIR *d = NULL;
	autoclose int sfd = -1;
	autoclose int dfd = -1;
	struct stat st, dst;
	bool exists = false;
	int r;

	if (depth >= VFS_MAX_DEPTH)
		return vfs_fail(c, ELOOP, "more than 256 directory levels", err);
	sfd = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return vfs_fail(c, errno, "open", err);
	if (fstat(sfd, &st) < 0)
		return vfs_fail(c, errno, "stat", err);
	if (fstatat(ddir, name, &dst, AT_SYMLINK_NOFOLLOW) == 0) {
		exists = S_ISDIR(dst.st_mode);
		if (!exists && (r = vfs_rm_at(ddir, name, 0)) < 0)
			return vfs_fail(c, -r, "replace", err);
	} else if (errno != ENOENT) {
		return vfs_fail(c, errno, "stat in destination", err);
	}
	if (!exists && mkdirat(ddir, name, 0700) < 0)
		return vfs_fail(c, errno, "mkdir", err);
	dfd = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return vfs_fail(c, errno, "open in destination", err);
	if (exists && vfs_dir_opaque(sfd)) {
		int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = fd < 0 ? -errno : vfs_empty_dir(fd, 0);
		if (r < 0)
			return vfs_fail(c, -r, "empty for opaque directory", err);
	}
	d = fdopendir(sfd);
	if (d == NULL)
		return vfs_fail(c, errno, "opendir", err);
	steal_fd(&sfd);
	if (vfs_copy_dir(c, d, dfd, depth + 1, err) < 0)
		return -1;
	return vfs_set_meta(c, sdir, ddir, name, dirfd(d), dfd, &st, err);
}

static int vfs_copy_entry(struct vfs_copy *c, int sdir, int ddir, const char *name, int depth,
			  struct berth_err *err)
{
	struct stat st;
	int r;

	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return vfs_fail(c, errno, "stat", err);
	/* A whiteout deletes what the layers below have here, and is not
	 * itself part of the result. */
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
		r = vfs_rm_at(ddir, name, 0);
		return r < 0 ? vfs_fail(c, -r, "remove (whiteout)", err) : 0;
	}
	if (S_ISDIR(st.st_mode))
		return vfs_copy_subdir(c, sdir, ddir, name, depth, err);
	r = vfs_rm_at(ddir, name, 0);
	if (r < 0)
		return vfs_fail(c, -r, "replace", err);
	if (st.st_nlink > 1) {
		r = vfs_link_existing(c, ddir, name, &st, err);
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		r = vfs_copy_file(c, sdir, ddir, name, &st, err);
		break;
	case S_IFLNK:
		r = vfs_copy_symlink(c, sdir, ddir, name, &st, err);
		break;
	default:
		r = vfs_copy_node(c, sdir, ddir, name, &st, err);
		break;
	}
	if (r == 0 && st.st_nlink > 1)
		vfs_link_remember(c, &st);
	return r;
}

static int vfs_copy_dir(struct vfs_copy *c, DIR *src, int ddir, int depth, struct berth_err *err)
{
	struct dirent *de;

	while ((errno = 0, de = readdir(src)) != NULL) {
		size_t saved;
		int r;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (vfs_path_push(c, de->d_name, &saved, err) < 0)
			return -1;
		r = vfs_copy_entry(c, dirfd(src), ddir, de->d_name, depth, err);
		vfs_path_pop(c, saved);
		if (r < 0)
			return -1;
	}
	if (errno != 0)
		return vfs_fail(c, errno, "read directory", err);
	return 0;
}

static int vfs_copy_layer(struct vfs_copy *c, struct berth_err *err)
{
	autoclosedir DIR *d = NULL;
	int fd = open(c->layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return berth_err_set(err, errno, "layer %s", c->layer);
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return berth_err_set(err, errno, "layer %s", c->layer);
	}
	return vfs_copy_dir(c, d, c->dest_fd, 0, err);
}

int snapshot_vfs_populate(const char *const *layers, size_t n, const char *dest,
			  struct berth_err *err)
{
	autofree struct vfs_copy *c = xzalloc(sizeof(*c));
	autoclose int dest_fd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (dest_fd < 0)
		return berth_err_set(err, errno, "snapshot %s", dest);
	c->dest_fd = dest_fd;
	for (size_t i = 0; i < n && r == 0; i++) {
		c->layer = layers[i];
		c->path_len = 0;
		c->path[0] = '\0';
		r = vfs_copy_layer(c, err);
		/* Hard links join names within one layer only, as in overlayfs. */
		tdestroy(c->links, vfs_link_free);
		c->links = NULL;
	}
	if (r < 0)
		return berth_err_wrap(err, "snapshot %s", dest);
	return 0;
}
