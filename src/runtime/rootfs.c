/* The container's root filesystem, built by its init inside its new mount
 * namespace. The security argument, step by step:
 *
 *  - / is made rslave first (or rootfsPropagation), so nothing mounted
 *    here propagates back to the host, while host mounts still reach us;
 *  - every destination is resolved inside the root with util/path.h and
 *    mounted through /proc/self/fd/N of the fd it resolved to, so a
 *    destination that is or crosses a symlink ("/evil -> /etc") lands
 *    inside the rootfs, and a rename racing us cannot redirect the mount;
 *  - sources are host paths chosen by whoever wrote config.json, which the
 *    runtime trusts, as runc does;
 *  - after pivot_root the old root is detached, so nothing of the host
 *    stays reachable by path.
 * Errors name the mount: "mounts[3] tmpfs on /run: ...". */
#include "runtime/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/devices.h"
#include "runtime/mounts.h"
#include "runtime/spec.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/mountinfo.h"
#include "util/path.h"
#include "util/xalloc.h"

/* The per-mount flags a bind remount can change; statvfs reports them with
 * the same values (ST_RDONLY == MS_RDONLY, ST_NOATIME == MS_NOATIME...). */
#define ATIME_FLAGS   (MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)
#define REMOUNT_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | ATIME_FLAGS)
#define STATVFS_FLAGS                                                                              \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME)
#define COPYUP_MAX_DEPTH 128

struct rootfs_ctx {
	const struct spec *s;
	int rootfd;
	bool in_userns;
	const int *mount_fds; /* idmapped trees by mount index, or NULL */
	const char *label;    /* linux.mountLabel, when SELinux can apply it */
};

/* Whether path is dir or beneath it, component-wise ("/a" holds "/a/b"
 * but not "/ab"). */
static bool path_has_prefix(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* ---- mount helpers, all on fds ---- */

static int mount_fd(const char *source, int fd, const char *type, unsigned long flags,
		    const char *data)
{
	char target[64];

	return mount(source, path_fd_to_proc(fd, target), type, flags, data);
}

/* Changes the per-mount flags of the mount at fd: set and clear as asked,
 * everything else as it is. Keeping the current flags is what makes this
 * work in a user namespace, where the kernel locks the nosuid, nodev,
 * noexec, ro and atime flags a more privileged namespace put on a mount
 * and refuses (EPERM) a remount that would drop them. */
static int remount_bind(int fd, unsigned long set, unsigned long clear)
{
	struct statvfs sv;
	unsigned long cur, flags;

	if (fstatvfs(fd, &sv) < 0)
		return -1;
	cur = sv.f_flag & STATVFS_FLAGS;
	flags = cur & ~clear;
	if (set & ATIME_FLAGS)
		flags &= ~ATIME_FLAGS;
	flags |= set & REMOUNT_FLAGS;
	/* statvfs has no bit for strictatime: it is the absence of the
	 * others, so a mount showing neither has it already. */
	unsigned long cmp = flags;
	if (!(cur & (MS_NOATIME | MS_RELATIME)))
		cmp &= ~MS_STRICTATIME;
	if (cmp == cur)
		return 0;
	return mount_fd(NULL, fd, NULL, MS_REMOUNT | MS_BIND | flags, NULL);
}

/* The destination again, after a mount on it: the fd taken before names
 * the covered directory, not the new mount. */
static int reopen(const struct rootfs_ctx *c, const char *dest, struct berth_err *err)
{
	return path_openat_in_root(c->rootfd, dest, O_PATH, 0, err);
}

/* Propagation and remount flags of a mount just made at dest. */
/* "rro", "rnosuid", ...: the attributes reach every mount below too,
 * which a bind remount (one mount only) cannot do. */
static int mount_set_recursive(int fd, const struct spec_mount *m)
{
	struct mount_attr attr = {
		.attr_set = m->rec_set,
		.attr_clr = m->rec_clr,
	};

	if (m->has_rec_atime) {
		attr.attr_set |= m->rec_atime;
		attr.attr_clr |= MOUNT_ATTR__ATIME;
	}
	return mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr));
}

static int mount_finish(const struct rootfs_ctx *c, const struct spec_mount *m, const char *what,
			struct berth_err *err)
{
	bool recursive = m->rec_set != 0 || m->rec_clr != 0 || m->has_rec_atime;

	if (m->propagation == 0 && ((m->flags | m->clear) & REMOUNT_FLAGS) == 0 && !recursive)
		return 0;
	autoclose int fd = reopen(c, m->destination, err);
	if (fd < 0)
		return -1;
	if (m->propagation != 0 && mount_fd(NULL, fd, NULL, m->propagation, NULL) < 0)
		return berth_err_set(err, errno, "set propagation of %s", what);
	if (((m->flags | m->clear) & REMOUNT_FLAGS) != 0 && remount_bind(fd, m->flags, m->clear) < 0)
		return berth_err_set(err, errno, "remount %s", what);
	if (recursive && mount_set_recursive(fd, m) < 0)
		return berth_err_set(err, errno, "set recursive attributes of %s", what);
	return 0;
}

/* ---- tmpcopyup ---- */

static int copy_tree(int src, int dst, int depth, struct berth_err *err);

static int copy_file(int src, int dst, const char *name, const struct stat *st,
		     struct berth_err *err)
{
	autoclose int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	autoclose int out =
	    openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	char buf[65536];
	ssize_t n;

	if (in < 0 || out < 0)
		return berth_err_set(err, errno, "copy %s", name);
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0)
				return berth_err_set(err, errno, "copy %s", name);
			off += w;
		}
	}
	if (n < 0)
		return berth_err_set(err, errno, "copy %s", name);
	if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0)
		return berth_err_set(err, errno, "copy %s", name);
	return 0;
}

static int copy_entry(int src, int dst, const char *name, int depth, struct berth_err *err)
{
	struct stat st;

	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_err_set(err, errno, "copy %s", name);
	if (S_ISDIR(st.st_mode)) {
		if (mkdirat(dst, name, 0700) < 0)
			return berth_err_set(err, errno, "copy %s", name);
		autoclose int s =
		    openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		autoclose int d =
		    openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0 || d < 0)
			return berth_err_set(err, errno, "copy %s", name);
		if (copy_tree(s, d, depth + 1, err) < 0)
			return berth_err_wrap(err, "%s", name);
		if (fchown(d, st.st_uid, st.st_gid) < 0 || fchmod(d, st.st_mode & 07777) < 0)
			return berth_err_set(err, errno, "copy %s", name);
		return 0;
	}
	if (S_ISREG(st.st_mode))
		return copy_file(src, dst, name, &st, err);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX + 1];
		ssize_t n = readlinkat(src, name, target, sizeof(target));
		if (n < 0 || (size_t)n >= sizeof(target))
			return berth_err_set(err, n < 0 ? errno : ENAMETOOLONG, "copy %s", name);
		target[n] = '\0';
		if (symlinkat(target, dst, name) < 0 ||
		    fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_err_set(err, errno, "copy %s", name);
		return 0;
	}
	/* Devices, FIFOs, sockets: mknod may be refused in a user namespace;
	 * a tmpfs without them is still usable, so skip rather than fail. */
	if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0) {
		log_debug("tmpcopyup: skipping %s: %s", name, strerror(errno));
		return 0;
	}
	if (fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_err_set(err, errno, "copy %s", name);
	return 0;
}

static int copy_tree(int src, int dst, int depth, struct berth_err *err)
{
	int dfd = dup(src);
	autoclosedir DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *e;

	if (depth > COPYUP_MAX_DEPTH)
		return berth_err_set(err, ELOOP, "copy: nested too deep");
	if (d == NULL) {
		int saved = errno;
		if (dfd >= 0)
			close(dfd);
		return berth_err_set(err, saved, "copy: read directory");
	}
	while ((errno = 0, e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (copy_entry(src, dst, e->d_name, depth, err) < 0)
			return -1;
	}
	if (errno != 0)
		return berth_err_set(err, errno, "copy: read directory");
	return 0;
}

/* ---- the mounts, by type ---- */

static int mount_tmpfs(const struct rootfs_ctx *c, const struct spec_mount *m, int fd,
		       const char *what, struct berth_err *err)
{
	bool copyup = mount_has_tmpcopyup(m);
	unsigned long flags = m->flags & ~(MS_BIND | MS_REC);
	autoclose int old = -1;
	struct stat st;

	if (!copyup) {
		if (mount_fd(m->source ? m->source : "tmpfs", fd, "tmpfs", flags, m->data) < 0)
			return berth_err_set(err, errno, "mount %s", what);
		return mount_finish(c, m, what, err);
	}
	/* The covered directory stays readable through an fd taken before
	 * the mount: lookups from it never cross onto the new tmpfs. */
	old = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (old < 0 || fstat(old, &st) < 0)
		return berth_err_set(err, errno, "tmpcopyup %s", what);
	if (mount_fd(m->source ? m->source : "tmpfs", fd, "tmpfs", flags & ~MS_RDONLY, m->data) < 0)
		return berth_err_set(err, errno, "mount %s", what);
	autoclose int new =
	    path_openat_in_root(c->rootfd, m->destination, O_RDONLY | O_DIRECTORY, 0, err);
	if (new < 0)
		return berth_err_wrap(err, "tmpcopyup %s", what);
	if (copy_tree(old, new, 0, err) < 0)
		return berth_err_wrap(err, "tmpcopyup %s", what);
	/* The tmpfs root takes the covered directory's owner, and its mode
	 * unless the options gave one. */
	bool has_mode = m->data && (strncmp(m->data, "mode=", 5) == 0 || strstr(m->data, ",mode="));
	if (fchown(new, st.st_uid, st.st_gid) < 0 ||
	    (!has_mode && fchmod(new, st.st_mode & 07777) < 0))
		return berth_err_set(err, errno, "tmpcopyup %s", what);
	if ((flags & MS_RDONLY) && mount_fd(NULL, new, NULL, MS_REMOUNT | flags, m->data) < 0)
		return berth_err_set(err, errno, "remount %s read-only", what);
	return mount_finish(c, m, what, err);
}

static int mount_bind(const struct rootfs_ctx *c, const struct spec_mount *m, int fd,
		      const char *what, struct berth_err *err)
{
	if (mount_fd(m->source, fd, NULL, MS_BIND | (m->recursive ? MS_REC : 0), NULL) < 0)
		return berth_err_set(err, errno, "mount %s", what);
	return mount_finish(c, m, what, err);
}

/* Without the namespace that owns them (a user namespace and no new
 * network or IPC namespace), sysfs and mqueue cannot be mounted anew; a
 * recursive bind of the host's instance is what runc falls back to. */
static const char *fallback_source(const char *type)
{
	if (strcmp(type, "sysfs") == 0)
		return "/sys";
	if (strcmp(type, "mqueue") == 0)
		return "/dev/mqueue";
	return NULL;
}

static int mount_generic(const struct rootfs_ctx *c, const struct spec_mount *m, int fd,
			 const char *what, struct berth_err *err)
{
	const char *source = m->source ? m->source : m->type;
	unsigned long flags = m->flags & ~(MS_BIND | MS_REC);
	const char *fallback = fallback_source(m->type);

	if (mount_fd(source, fd, m->type, flags, m->data) == 0)
		return mount_finish(c, m, what, err);
	if (errno != EPERM || !c->in_userns || fallback == NULL)
		return berth_err_set(err, errno, "mount %s", what);
	log_debug("mount %s: EPERM, binding %s instead", what, fallback);
	if (mount_fd(fallback, fd, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berth_err_set(err, errno, "mount %s (bind of %s)", what, fallback);
	return mount_finish(c, m, what, err);
}

/* One hierarchy of the cgroup mount: where the host mounts it. */
static const struct mountinfo_entry *cgroup_hierarchy(const struct mountinfo *t, const char *controllers)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct mountinfo_entry *e = &t->v[i];
		if (*controllers == '\0') {
			if (strcmp(e->fstype, "cgroup2") == 0)
				return e;
			continue;
		}
		if (strcmp(e->fstype, "cgroup") != 0)
			continue;
		/* Every controller of the line must be in the superblock's
		 * options ("rw,cpu,cpuacct", "rw,name=systemd"). */
		autofree char *list = xstrdup(controllers);
		char *save = NULL;
		bool all = true;
		for (char *ctl = strtok_r(list, ",", &save); ctl && all;
		     ctl = strtok_r(NULL, ",", &save)) {
			autofree char *opts = xasprintf(",%s,", e->super);
			autofree char *want = xasprintf(",%s,", ctl);
			all = strstr(opts, want) != NULL;
		}
		if (all)
			return e;
	}
	return NULL;
}

/* One hierarchy into the cgroup tmpfs at dirfd: with a cgroup namespace,
 * a fresh mount of it (rooted at the namespace's cgroup by the kernel);
 * without, a bind of the init's own cgroup directory, which is the
 * container's cgroup since the init was put in it before we ran. */
static int cgroup_mount_one(const struct rootfs_ctx *c, const struct spec_mount *m, int dirfd,
			    const struct mountinfo_entry *h, const char *cgpath, struct berth_err *err)
{
	const char *name = strrchr(h->point, '/') ? strrchr(h->point, '/') + 1 : h->point;
	unsigned long flags = m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);

	if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
		return berth_err_set(err, errno, "mkdir %s", name);
	autoclose int fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_err_set(err, errno, "open %s", name);

	if (c->s->ns[SPEC_NS_CGROUP].present) {
		autofree char *data = NULL;
		if (strcmp(h->fstype, "cgroup") == 0)
			data = xstrdup(strncmp(h->super, "rw,", 3) == 0 ? h->super + 3 : h->super);
		if (mount_fd(h->fstype, fd, h->fstype, flags, data) < 0)
			return berth_err_set(err, errno, "mount %s %s", h->fstype, name);
		return 0;
	}
	if (!path_has_prefix(cgpath, h->root)) {
		log_debug("cgroup %s: %s is not under %s, skipped", name, cgpath, h->root);
		return 0;
	}
	const char *rel = cgpath + (strcmp(h->root, "/") == 0 ? 0 : strlen(h->root));
	autofree char *src = xasprintf("%s%s", h->point, rel);
	if (mount_fd(src, fd, NULL, MS_BIND, NULL) < 0)
		return berth_err_set(err, errno, "bind %s on %s", src, name);
	autoclose int top = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (top < 0 || remount_bind(top, flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0) < 0)
		return berth_err_set(err, errno, "remount %s", name);
	return 0;
}

/* Co-mounted controllers ("cpu,cpuacct") get the symlinks the host has
 * ("cpu" -> "cpu,cpuacct"). */
static void cgroup_links(int dirfd, const struct mountinfo_entry *h)
{
	const char *name = strrchr(h->point, '/') ? strrchr(h->point, '/') + 1 : h->point;
	autofree char *list = xstrdup(name);
	char *save = NULL;

	if (strchr(name, ',') == NULL)
		return;
	for (char *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save))
		if (symlinkat(name, dirfd, p) < 0 && errno != EEXIST)
			log_debug("cgroup symlink %s: %s", p, strerror(errno));
}

/* type "cgroup": the container's view of its cgroups. On a cgroup2-only
 * host that is a cgroup2 mount; on a v1 or hybrid host, a tmpfs holding
 * one directory per hierarchy, as the host's /sys/fs/cgroup does. */
static int mount_cgroup(const struct rootfs_ctx *c, const struct spec_mount *m, int fd,
			const char *what, struct berth_err *err)
{
	automountinfo struct mountinfo t = { 0 };
	unsigned long flags = m->flags & ~(MS_BIND | MS_REC);
	autofclose FILE *f = NULL;
	autofree char *line = NULL;
	size_t cap = 0;
	struct statfs sfs;

	if (statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC) {
		if (mount_fd("cgroup2", fd, "cgroup2", flags, m->data) < 0)
			return berth_err_set(err, errno, "mount %s", what);
		return mount_finish(c, m, what, err);
	}

	if (mount_fd("tmpfs", fd, "tmpfs", (flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     "mode=755") < 0)
		return berth_err_set(err, errno, "mount %s (tmpfs)", what);
	autoclose int dirfd =
	    path_openat_in_root(c->rootfd, m->destination, O_PATH | O_DIRECTORY, 0, err);
	if (dirfd < 0 || mountinfo_read(NULL, &t, err) < 0)
		return berth_err_wrap(err, "mount %s", what);
	f = fopen("/proc/self/cgroup", "re");
	if (f == NULL)
		return berth_err_set(err, errno, "mount %s: open /proc/self/cgroup", what);
	while (getline(&line, &cap, f) > 0) {
		/* "4:memory:/path" or "0::/path" */
		line[strcspn(line, "\n")] = '\0';
		char *ctl = strchr(line, ':');
		char *path = ctl ? strchr(ctl + 1, ':') : NULL;
		if (path == NULL)
			continue;
		*path++ = '\0';
		ctl++;
		const struct mountinfo_entry *h = cgroup_hierarchy(&t, ctl);
		if (h == NULL) {
			log_debug("cgroup hierarchy \"%s\" not mounted on the host, skipped", ctl);
			continue;
		}
		if (cgroup_mount_one(c, m, dirfd, h, path, err) < 0)
			return berth_err_wrap(err, "mount %s", what);
		cgroup_links(dirfd, h);
	}
	if ((flags & MS_RDONLY) && remount_bind(dirfd, MS_RDONLY, 0) < 0)
		return berth_err_set(err, errno, "remount %s read-only", what);
	return mount_finish(c, m, what, err);
}

typedef int (*mount_fn)(const struct rootfs_ctx *, const struct spec_mount *, int, const char *,
			struct berth_err *);

static const struct {
	const char *type;
	mount_fn fn;
} mount_types[] = {
	{ "tmpfs", mount_tmpfs },
	{ "cgroup", mount_cgroup },
};

static mount_fn mount_handler(const struct spec_mount *m)
{
	if (m->bind)
		return mount_bind;
	for (size_t i = 0; i < ARRAY_SIZE(mount_types); i++)
		if (strcmp(mount_types[i].type, m->type) == 0)
			return mount_types[i].fn;
	return mount_generic;
}

/* Nothing is mounted inside /proc but those: a mount there (an image's
 * VOLUME /proc/sys/net/ipv4 holding symlinks, a bind over a procfs file)
 * would redirect what the runtime and the masks do with procfs files to
 * any other, host kernel settings included (CVE-2025-52881 class); only
 * lxcfs's files may be bound over their procfs originals. Checked
 * on the destination as written and on where it resolved to (a symlink
 * "/x -> /proc/sys" leads into procfs too). */
static int check_proc_mount(const struct spec_mount *m, size_t i, int fd, struct berth_err *err)
{
	autofree char *dest = path_clean(m->destination);
	struct statfs sfs;
	bool inside;

	if (mount_proc_file_allowed(dest))
		return 0;
	if (strcmp(dest, "/proc") == 0 && !m->bind && m->type != NULL &&
	    strcmp(m->type, "proc") == 0)
		return 0;
	inside = path_has_prefix(dest, "/proc") && strcmp(dest, "/proc") != 0;
	if (!inside && fd >= 0 && fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC)
		inside = true;
	if (inside)
		return berth_err_set(err, EPERM,
				     "mounts[%zu].destination \"%s\": nothing may be mounted "
				     "inside /proc",
				     i, m->destination);
	return 0;
}

/* A procfs or sysfs goes on an ordinary directory of the image, never
 * through a symlink there ("/proc -> /host-dir" would put the container's
 * procfs, and the masks that follow it, somewhere else): runc's check
 * since CVE-2019-16884, in its words. A missing one is made. */
static int check_ordinary_dir(const struct rootfs_ctx *c, const struct spec_mount *m, size_t i,
			      struct berth_err *err)
{
	autoclose int fd = -1;
	struct berth_err ignored;
	struct stat st;

	if (m->bind || m->type == NULL ||
	    (strcmp(m->type, "proc") != 0 && strcmp(m->type, "sysfs") != 0))
		return 0;
	fd = path_openat_in_root(c->rootfd, m->destination, O_PATH | O_NOFOLLOW, 0, &ignored);
	if (fd < 0 || fstat(fd, &st) < 0 || S_ISDIR(st.st_mode))
		return 0;
	return berth_err_set(err, ENOTDIR,
			     "mounts[%zu]: filesystem \"%s\" must be mounted on ordinary "
			     "directory (%s is not one)",
			     i, m->type, m->destination);
}

/* The target: a directory, or for a bind of a non-directory, a file. A
 * source the runtime cloned already (tree, else -1) is looked at through
 * that clone: the container's process may not reach its path. */
static int mount_target(const struct rootfs_ctx *c, const struct spec_mount *m, size_t i,
			const char *source, int tree, struct berth_err *err)
{
	struct stat st;
	int fd;

	if (m->bind && (tree >= 0 ? fstat(tree, &st) : stat(source, &st)) < 0)
		return berth_err_set(err, errno, "mounts[%zu].source \"%s\"", i, source);
	if (m->bind && !S_ISDIR(st.st_mode))
		fd = path_mkfile_in_root(c->rootfd, m->destination, 0644, err);
	else
		fd = path_mkdir_all_in_root(c->rootfd, m->destination, 0755, err);
	if (fd < 0)
		return berth_err_wrap(err, "mounts[%zu].destination \"%s\"", i, m->destination);
	return fd;
}

/* Whether path is the root directory of a procfs (inode 1 there). */
static bool procfs_root(const char *path)
{
	struct statfs sfs;
	struct stat st;

	return statfs(path, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC && stat(path, &st) == 0 &&
	       st.st_ino == 1;
}

/* The spec's /dev mount (not a bind) asked read-only. */
static bool dev_readonly(const struct spec_mount *m)
{
	return !m->bind && m->destination != NULL && mount_dest_is(m, "/dev") &&
	       (m->flags & MS_RDONLY) != 0;
}

static int mount_one(const struct rootfs_ctx *c, size_t i, struct berth_err *err)
{
	struct spec_mount m = c->s->mounts[i];
	autofree char *source = NULL;
	autofree char *what = NULL;

	if (m.destination == NULL || mount_dest_is(&m, "/"))
		return berth_err_set(err, EINVAL,
				     "mounts[%zu].destination \"%s\": not a path below /", i,
				     m.destination ? m.destination : "");
	if (!m.bind && m.type == NULL)
		return berth_err_set(err, EINVAL, "mounts[%zu].type: required for a non-bind mount",
				     i);
	if (m.bind && m.source == NULL)
		return berth_err_set(err, EINVAL, "mounts[%zu].source: required for a bind mount",
				     i);
	if (m.bind) {
		source = spec_mount_source(c->s, &m);
		m.source = source;
	}
	/* /proc holds files that reach the host (sysrq-trigger, kcore): only a
	 * real procfs may sit there, never something that hides the masks:
	 * a new one, or (rootless podman's --pid=host, which may not mount
	 * one) a bind of a procfs's root, as runc allows, nothing wider. */
	if (mount_dest_is(&m, "/proc") &&
	    (m.bind ? !procfs_root(m.source) : strcmp(m.type, "proc") != 0))
		return berth_err_set(
		    err, EPERM,
		    "mounts[%zu]: only a proc mount, or a bind of a procfs's root, "
		    "may be on /proc",
		    i);
	/* A read-only /dev is made read-write, populated (the mounts below it,
	 * the device nodes and links) and made read-only last, in
	 * rootfs_finalize, as runc does. */
	if (dev_readonly(&m))
		m.flags &= ~(unsigned long)MS_RDONLY;
	what = xasprintf("%s on %s", m.bind ? (m.recursive ? "rbind" : "bind") : m.type,
			 m.destination);
	autofree char *labelled = m.bind ? NULL : rootfs_label_data(m.data, m.type, c->label);
	if (labelled != NULL)
		m.data = labelled;

	if (check_proc_mount(&m, i, -1, err) < 0 || check_ordinary_dir(c, &m, i, err) < 0)
		return -1;
	autoclose int fd =
	    mount_target(c, &m, i, m.source, c->mount_fds != NULL ? c->mount_fds[i] : -1, err);
	if (fd < 0 || check_proc_mount(&m, i, fd, err) < 0)
		return -1;
	if (c->mount_fds != NULL && c->mount_fds[i] >= 0) {
		/* The runtime cloned and idmapped the tree: attach it here. */
		if (move_mount(c->mount_fds[i], "", fd, "",
			       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return berth_err_set(err, errno, "mounts[%zu]: attach idmapped %s", i,
					     what);
		if (mount_finish(c, &m, what, err) < 0)
			return berth_err_wrap(err, "mounts[%zu]", i);
		return 0;
	}
	if (mount_handler(&m)(c, &m, fd, what, err) < 0)
		return berth_err_wrap(err, "mounts[%zu]", i);
	return 0;
}

/* ---- prepare ---- */

/* pivot_root(2) refuses a new root whose parent mount is shared. With the
 * default rslave nothing is shared any more; with rootfsPropagation
 * "shared" the mount holding the rootfs may be, so make that one mount
 * private (not recursively: the rest keeps the asked propagation). */
static int root_parent_make_private(const char *root, struct berth_err *err)
{
	automountinfo struct mountinfo t = { 0 };
	const struct mountinfo_entry *best = NULL;

	if (mountinfo_read(NULL, &t, err) < 0)
		return -1;
	for (size_t i = 0; i < t.n; i++)
		if (path_has_prefix(root, t.v[i].point) &&
		    (best == NULL || strlen(t.v[i].point) >= strlen(best->point)))
			best = &t.v[i];
	if (best == NULL || !best->shared)
		return 0;
	if (mount(NULL, best->point, NULL, MS_PRIVATE, NULL) < 0)
		return berth_err_set(err, errno, "make %s private", best->point);
	return 0;
}

/* linux.mountLabel applies where the host runs SELinux; elsewhere there is
 * nothing to label with (the process label, by contrast, is an error when
 * it cannot be applied: see process.c). */
static bool mount_label_active(const struct spec *s)
{
	if (s->mount_label == NULL || s->mount_label[0] == '\0')
		return false;
	if (access("/sys/fs/selinux/enforce", F_OK) == 0)
		return true;
	log_debug("linux.mountLabel \"%s\" ignored: SELinux is not enabled", s->mount_label);
	return false;
}

char *rootfs_label_data(const char *data, const char *type, const char *label)
{
	static const char *const labelled[] = { "tmpfs", "devpts", "mqueue" };
	bool fits = false;

	/* Filesystems without their own xattr labels take theirs from the
	 * context= mount option, as runc gives them. */
	for (size_t i = 0; label != NULL && type != NULL && i < ARRAY_SIZE(labelled); i++)
		fits = fits || strcmp(type, labelled[i]) == 0;
	if (!fits)
		return NULL;
	return data != NULL && data[0] != '\0' ? xasprintf("%s,context=\"%s\"", data, label)
					       : xasprintf("context=\"%s\"", label);
}

int rootfs_prepare(const struct spec *s, bool in_userns, const int *mount_fds, int *rootfd,
		   struct berth_err *err)
{
	unsigned long prop = s->rootfs_propagation ? s->rootfs_propagation : MS_SLAVE | MS_REC;
	autofree char *root = NULL;

	*rootfd = -1;
	if (s->root_path == NULL)
		return berth_err_set(err, EINVAL, "root.path: required");
	root = realpath(s->root_path, NULL);
	if (root == NULL)
		return berth_err_set(err, errno, "root.path \"%s\"", s->root_path);
	/* Without a mount namespace of its own the container shares the
	 * runtime's: the host's propagation stays untouched, and every mount
	 * goes below a private bind of the root (undone at delete by
	 * rootfs_cleanup_shared), so nothing reaches the rest of the host. */
	if (!s->ns[SPEC_NS_MOUNT].present && strcmp(root, "/") == 0)
		return berth_err_set(err, EINVAL,
				     "root.path \"/\" without a mount namespace would mount over "
				     "the host's own root");
	if (s->ns[SPEC_NS_MOUNT].present) {
		if (mount(NULL, "/", NULL, prop | MS_REC, NULL) < 0)
			return berth_err_set(err, errno, "set propagation of /");
		/* Only a shared propagation can leave the parent shared. */
		if ((prop & MS_SHARED) && root_parent_make_private(root, err) < 0)
			return -1;
	}
	/* The root must be a mount point for pivot_root; a recursive bind of
	 * itself makes it one and carries any mounts already below it. */
	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berth_err_set(err, errno, "bind mount root %s", root);
	if (!s->ns[SPEC_NS_MOUNT].present && mount(NULL, root, NULL, MS_PRIVATE | MS_REC, NULL) < 0)
		return berth_err_set(err, errno, "make the root %s private", root);
	autoclose int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth_err_set(err, errno, "open root %s", root);

	struct rootfs_ctx c = { .s = s, .rootfd = fd, .in_userns = in_userns,
				.mount_fds = mount_fds,
				.label = mount_label_active(s) ? s->mount_label : NULL };
	for (size_t i = 0; i < s->n_mounts; i++)
		if (mount_one(&c, i, err) < 0)
			return -1;
	if (devices_create(s, fd, in_userns, err) < 0)
		return -1;
	*rootfd = steal_fd(&fd);
	return 0;
}

int rootfs_bind_console(int rootfd, int slave_fd, struct berth_err *err)
{
	autoclose int fd = path_mkfile_in_root(rootfd, "/dev/console", 0666, err);
	char source[64];

	if (fd < 0)
		return berth_err_wrap(err, "console");
	if (mount_fd(path_fd_to_proc(slave_fd, source), fd, NULL, MS_BIND, NULL) < 0)
		return berth_err_set(err, errno, "bind mount the terminal on /dev/console");
	return 0;
}

/* ---- pivot ---- */

/* For --no-pivot (a ramfs / cannot be pivoted away from): take every host
 * mount out of the namespace first, since after chroot(2) they would only
 * be hidden, not gone. Mounts that cannot be detached (locked in a user
 * namespace) are covered with an empty read-only tmpfs. */
static int detach_host_mounts(const char *root, struct berth_err *err)
{
	automountinfo struct mountinfo t = { 0 };

	if (mountinfo_read(NULL, &t, err) < 0)
		return -1;
	for (size_t i = t.n; i-- > 0;) {
		const char *p = t.v[i].point;
		if (path_has_prefix(root, p) || path_has_prefix(p, root))
			continue;
		if (umount2(p, MNT_DETACH) == 0 || errno == EINVAL || errno == ENOENT)
			continue;
		if (mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "size=0") < 0 &&
		    errno != ENOENT && errno != ENOTDIR)
			return berth_err_set(err, errno, "hide host mount %s", p);
	}
	return 0;
}

int rootfs_pivot(const struct spec *s, int rootfd, bool no_pivot, struct berth_err *err)
{
	if (fchdir(rootfd) < 0)
		return berth_err_set(err, errno, "chdir to the root");
	if (!s->ns[SPEC_NS_MOUNT].present) {
		/* The runtime's mount namespace: pivot_root or moving mounts
		 * would change the host's root; chroot changes only ours. */
		if (chroot(".") < 0)
			return berth_err_set(err, errno, "chroot %s", s->root_path);
	} else if (no_pivot) {
		autofree char *root = realpath(s->root_path, NULL);
		if (root == NULL)
			return berth_err_set(err, errno, "root.path \"%s\"", s->root_path);
		if (detach_host_mounts(root, err) < 0)
			return -1;
		if (mount(root, "/", NULL, MS_MOVE, NULL) < 0)
			return berth_err_set(err, errno, "move %s onto /", root);
		if (chroot(".") < 0)
			return berth_err_set(err, errno, "chroot %s", root);
	} else {
		/* pivot_root(".", ".") stacks the old root on top of the new
		 * one at "/", so no put_old directory is needed in the rootfs;
		 * unmounting "." then removes exactly the old root. It is made
		 * rslave first so the detach cannot propagate to the host. */
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			return berth_err_set(err, errno, "pivot_root");
		if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
			return berth_err_set(err, errno, "make the old root rslave");
		if (umount2(".", MNT_DETACH) < 0)
			return berth_err_set(err, errno, "detach the old root");
	}
	if (chdir("/") < 0)
		return berth_err_set(err, errno, "chdir /");
	return 0;
}

/* ---- finalize ---- */

/* The host's /dev/null, as the runtime sees it before the pivot, checked
 * to be the null device: the container's own /dev/null may be anything
 * its image or volumes made it, such as a symlink to a procfs file, which
 * masking would then bind writable over another path (CVE-2025-31133). */
static int devnull_open(struct berth_err *err)
{
	autoclose int fd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return berth_err_set(err, errno, "open the host's /dev/null");
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
		return berth_err_set(err, EINVAL, "the host's /dev/null is not the null device");
	return steal_fd(&fd);
}

static int mask_path(int rootfd, int devnull, const char *path, size_t i,
		     struct berth_err *err)
{
	autoclose int fd = path_openat_in_root(rootfd, path, O_PATH, 0, err);
	struct stat st;
	char source[64];
	int r;

	if (fd < 0 && err->code == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		return berth_err_wrap(err, "linux.maskedPaths[%zu]", i);
	if (S_ISDIR(st.st_mode))
		r = mount_fd("tmpfs", fd, "tmpfs", MS_RDONLY, "size=0");
	else
		r = mount_fd(path_fd_to_proc(devnull, source), fd, NULL, MS_BIND, NULL);
	if (r < 0)
		return berth_err_set(err, errno, "linux.maskedPaths[%zu]: mask %s", i, path);
	return 0;
}

static int readonly_path(int rootfd, const char *path, size_t i, struct berth_err *err)
{
	autoclose int fd = path_openat_in_root(rootfd, path, O_PATH, 0, err);
	char self[64];

	if (fd < 0 && err->code == ENOENT)
		return 0;
	if (fd < 0)
		return berth_err_wrap(err, "linux.readonlyPaths[%zu]", i);
	if (mount_fd(path_fd_to_proc(fd, self), fd, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berth_err_set(err, errno, "linux.readonlyPaths[%zu]: bind %s", i, path);
	autoclose int top = path_openat_in_root(rootfd, path, O_PATH, 0, err);
	if (top < 0)
		return berth_err_wrap(err, "linux.readonlyPaths[%zu]", i);
	if (remount_bind(top, MS_RDONLY, 0) < 0)
		return berth_err_set(err, errno, "linux.readonlyPaths[%zu]: remount %s read-only",
				     i, path);
	return 0;
}

int rootfs_protect(const struct spec *s, int rootfd, struct berth_err *err)
{
	autoclose int devnull = -1;

	if (s->masked_paths != NULL && s->masked_paths[0] != NULL) {
		devnull = devnull_open(err);
		if (devnull < 0)
			return berth_err_wrap(err, "linux.maskedPaths");
	}
	for (size_t i = 0; s->masked_paths && s->masked_paths[i]; i++)
		if (mask_path(rootfd, devnull, s->masked_paths[i], i, err) < 0)
			return -1;
	for (size_t i = 0; s->readonly_paths && s->readonly_paths[i]; i++)
		if (readonly_path(rootfd, s->readonly_paths[i], i, err) < 0)
			return -1;
	return 0;
}

int rootfs_finalize(const struct spec *s, struct berth_err *err)
{
	autoclose int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (rootfd < 0)
		return berth_err_set(err, errno, "open /");
	for (size_t i = 0; i < s->n_mounts; i++) {
		autoclose int dev = -1;

		if (!dev_readonly(&s->mounts[i]))
			continue;
		dev = open("/dev", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dev < 0 || remount_bind(dev, MS_RDONLY, 0) < 0)
			return berth_err_set(err, errno, "mounts[%zu]: remount /dev read-only", i);
	}
	if (s->root_readonly && remount_bind(rootfd, MS_RDONLY, 0) < 0)
		return berth_err_set(err, errno, "root.readonly: remount / read-only");
	if (s->rootfs_propagation != 0 && s->ns[SPEC_NS_MOUNT].present &&
	    mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0)
		return berth_err_set(err, errno, "linux.rootfsPropagation: set on /");
	return 0;
}

int rootfs_cleanup_shared(const char *root, struct berth_err *err)
{
	automountinfo struct mountinfo t = { 0 };
	autofree char *real = realpath(root, NULL);
	int r = 0;

	if (real == NULL)
		return errno == ENOENT ? 0 : berth_err_set(err, errno, "root %s", root);
	if (strcmp(real, "/") == 0)
		return berth_err_set(err, EINVAL, "refusing to unmount everything below /");
	if (mountinfo_read(NULL, &t, err) < 0)
		return -1;
	/* Deepest (latest) first; a detach takes what is below it along. */
	for (size_t i = t.n; i-- > 0;) {
		if (!path_has_prefix(t.v[i].point, real))
			continue;
		if (umount2(t.v[i].point, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT &&
		    r == 0)
			r = berth_err_set(err, errno, "unmount %s", t.v[i].point);
	}
	return r;
}
