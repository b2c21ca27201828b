/* Device nodes and /dev symlinks inside the container root. Every name is
 * resolved with util/path.h, so a rootfs whose /dev is a symlink to the
 * host's /dev gets its nodes inside the root, not on the host. */
#include "runtime/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/mounts.h"
#include "runtime/spec.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/log.h"
#include "util/path.h"
#include "util/xalloc.h"

struct dev_node {
	const char *path; /* inside the container, and on the host for binds */
	mode_t type;      /* S_IFCHR, S_IFBLK, S_IFIFO */
	dev_t rdev;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

/* The nodes runtime-spec config-linux requires in every container. */
static const struct {
	const char *path;
	unsigned major, minor;
} default_nodes[] = {
	{ "/dev/null", 1, 3 },   { "/dev/zero", 1, 5 },    { "/dev/full", 1, 7 },
	{ "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static const struct {
	const char *target;
	const char *name; /* in /dev */
} default_links[] = {
	{ "/proc/self/fd", "fd" },
	{ "/proc/self/fd/0", "stdin" },
	{ "/proc/self/fd/1", "stdout" },
	{ "/proc/self/fd/2", "stderr" },
};

/* Splits "/dev/x/y" into its directory, created inside the root, and the
 * last name, which must be a real name. */
static int node_parent(int rootfd, const char *path, const char **name, struct berth_err *err)
{
	autofree char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');

	*name = slash ? path + (slash - dir) + 1 : path;
	if (**name == '\0' || strcmp(*name, ".") == 0 || strcmp(*name, "..") == 0)
		return berth_err_set(err, EINVAL, "device path \"%s\" does not name a file", path);
	if (slash != NULL)
		slash[1] = '\0';
	return path_mkdir_all_in_root(rootfd, slash ? dir : "/", 0755, err);
}

/* In a user namespace the kernel refuses mknod of devices, but a bind
 * mount of the host's node gives the same file (with the host's owner). */
static int node_bind(int rootfd, const struct dev_node *n, struct berth_err *err)
{
	autoclose int fd = path_mkfile_in_root(rootfd, n->path, 0000, err);
	char target[64];

	struct stat st;

	if (fd < 0)
		return berth_err_wrap(err, "device %s", n->path);
	if (fstat(fd, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
		log_debug("device %s exists, kept as is", n->path);
		return 0;
	}
	if (mount(n->path, path_fd_to_proc(fd, target), NULL, MS_BIND, NULL) < 0)
		return berth_err_set(err, errno, "bind mount device %s", n->path);
	return 0;
}

static int node_mknod(int rootfd, const struct dev_node *n, struct berth_err *err)
{
	const char *name;
	autoclose int dirfd = node_parent(rootfd, n->path, &name, err);
	int r, e;

	if (dirfd < 0)
		return berth_err_wrap(err, "device %s", n->path);
	/* umask would strip fileMode bits; the init is single-threaded here. */
	mode_t old = umask(0);
	r = mknodat(dirfd, name, n->type | (n->mode & 07777), n->rdev);
	e = errno;
	umask(old);
	if (r < 0 && e == EEXIST) {
		log_debug("device %s exists, kept as is", n->path);
		return 0;
	}
	if (r < 0)
		return berth_err_set(err, e, "mknod %s", n->path);
	if (fchownat(dirfd, name, n->uid, n->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_err_set(err, errno, "chown %s to %u:%u", n->path, n->uid, n->gid);
	return 0;
}

static int node_create(int rootfd, const struct dev_node *n, bool in_userns, struct berth_err *err)
{
	/* FIFOs need no privilege, so mknod works in a user namespace too. */
	if (in_userns && n->type != S_IFIFO)
		return node_bind(rootfd, n, err);
	return node_mknod(rootfd, n, err);
}

static int spec_device_to_node(const struct spec_device *d, size_t i, struct dev_node *n,
			       struct berth_err *err)
{
	*n = (struct dev_node){
		.path = d->path,
		.rdev = makedev((unsigned)d->major, (unsigned)d->minor),
		.mode = d->has_mode ? d->file_mode : 0666,
		.uid = d->has_uid ? d->uid : 0,
		.gid = d->has_gid ? d->gid : 0,
	};
	switch (d->type) {
	case 'c':
	case 'u':
		n->type = S_IFCHR;
		break;
	case 'b':
		n->type = S_IFBLK;
		break;
	case 'p':
		n->type = S_IFIFO;
		n->rdev = 0;
		break;
	default:
		return berth_err_set(
		    err, EINVAL, "linux.devices[%zu].type \"%c\": want c, b, u or p", i, d->type);
	}
	if (d->path == NULL || d->path[0] != '/')
		return berth_err_set(err, EINVAL, "linux.devices[%zu].path: must be absolute", i);
	return 0;
}

static int links_create(int rootfd, bool with_ptmx, struct berth_err *err)
{
	autoclose int devfd = path_mkdir_all_in_root(rootfd, "/dev", 0755, err);

	if (devfd < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(default_links); i++) {
		if (symlinkat(default_links[i].target, devfd, default_links[i].name) < 0 &&
		    errno != EEXIST)
			return berth_err_set(err, errno, "symlink /dev/%s", default_links[i].name);
	}
	/* With a private devpts instance ("newinstance"), /dev/ptmx must be
	 * that instance's ptmx, not a node of the host's devpts. */
	if (with_ptmx) {
		if (unlinkat(devfd, "ptmx", 0) < 0 && errno != ENOENT)
			return berth_err_set(err, errno, "remove /dev/ptmx");
		if (symlinkat("pts/ptmx", devfd, "ptmx") < 0)
			return berth_err_set(err, errno, "symlink /dev/ptmx");
	}
	if (access("/proc/kcore", F_OK) == 0 && symlinkat("/proc/kcore", devfd, "core") < 0 &&
	    errno != EEXIST)
		return berth_err_set(err, errno, "symlink /dev/core");
	return 0;
}

int devices_create(const struct spec *s, int rootfd, bool in_userns, struct berth_err *err)
{
	bool dev_mounted = false, dev_is_bind = false, has_devpts = false;

	for (size_t i = 0; i < s->n_mounts; i++) {
		if (mount_dest_is(&s->mounts[i], "/dev")) {
			dev_mounted = true;
			dev_is_bind = s->mounts[i].bind;
		}
		if (mount_dest_is(&s->mounts[i], "/dev/pts"))
			has_devpts = true;
	}

	/* The spec's own devices first: should one share a path with a
	 * default node, the spec's type, mode and owner win. */
	for (size_t i = 0; i < s->n_devices; i++) {
		struct dev_node n;
		if (spec_device_to_node(&s->devices[i], i, &n, err) < 0)
			return -1;
		if (node_create(rootfd, &n, in_userns, err) < 0)
			return berth_err_wrap(err, "linux.devices[%zu]", i);
	}
	/* A /dev bind-mounted from elsewhere is the user's: leave it as is. */
	if (dev_is_bind)
		return 0;
	/* Without a /dev mount the defaults go into the rootfs's own /dev,
	 * as runc does; entries already there are kept, and a read-only
	 * rootfs simply keeps the /dev it has. */
	for (size_t i = 0; i < ARRAY_SIZE(default_nodes); i++) {
		struct dev_node n = {
			.path = default_nodes[i].path,
			.type = S_IFCHR,
			.rdev = makedev(default_nodes[i].major, default_nodes[i].minor),
			.mode = 0666,
		};
		if (node_create(rootfd, &n, in_userns, err) < 0) {
			if (dev_mounted || err->code != EROFS)
				return -1;
			log_debug("%s", err->msg);
		}
	}
	if (links_create(rootfd, has_devpts, err) < 0) {
		if (dev_mounted || err->code != EROFS)
			return -1;
		log_debug("%s", err->msg);
	}
	return 0;
}
