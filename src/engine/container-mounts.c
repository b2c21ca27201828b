/* A container's volumes and binds at create time, and what inspect shows
 * of them. The copy-up reads the container's root through fds only: the
 * destination is opened inside the root (openat2 RESOLVE_IN_ROOT, so an
 * image's symlink cannot point the copy at the host) and the walk below
 * it never follows a symlink. */
#include "engine/container-mounts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/volume.h"
#include "image/store.h"
#include "runtime/mounts.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/num.h"
#include "util/path.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* ---- plan ---- */

static bool at_or_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Where no mount may go. An image is not trusted with the container's
 * kernel interfaces: its VOLUME over /dev would replace the device nodes
 * (and /dev/null with whatever the image put there), one over /proc/sys
 * could hold symlinks into other procfs files, one over /sys would hide
 * what is read-only there (CVE-2025-31133, CVE-2025-52881 classes). Users
 * may bind the host's /dev over /dev (docker's -v /dev:/dev), or give
 * /dev a tmpfs (the runtime then makes the device nodes), but nothing else
 * replaces /dev, and nothing at all goes inside /proc. */
static int check_destination(const struct mount_spec *ms, struct berth_err *err)
{
	const char *d = ms->destination;

	if (ms->origin == MOUNT_FROM_IMAGE &&
	    (at_or_below(d, "/dev") || at_or_below(d, "/proc") || at_or_below(d, "/sys")))
		return berth_err_set(err, 0,
				     "image VOLUME %s: an image's volume may not cover the "
				     "container's /dev, /proc or /sys",
				     d);
	/* The runtime refuses these too (rootfs.c); here, before anything
	 * is made. */
	if (at_or_below(d, "/proc") && !mount_proc_file_allowed(d))
		return berth_err_set(err, 0, "invalid mount destination %s: nothing may be mounted "
				     "on or inside /proc", d);
	if (strcmp(d, "/dev") == 0 && ms->type != MOUNT_SPEC_TMPFS &&
	    !(ms->type == MOUNT_SPEC_BIND && ms->source != NULL && strcmp(ms->source, "/dev") == 0))
		return berth_err_set(err, 0,
				     "invalid mount destination /dev: only the host's /dev or a "
				     "tmpfs may replace the container's /dev");
	return 0;
}

int engine_mounts_plan(struct store *s, const struct engine_create_opts *o,
		       json_object *image_config, struct engine_mounts *m, struct berth_err *err)
{
	json_object *cfg = NULL, *vols = NULL;

	memset(m, 0, sizeof(*m));
	if (mount_specs_parse(o->volumes, o->mounts, o->tmpfs, &m->list, err) < 0)
		return -1;
	if (image_config != NULL && json_object_object_get_ex(image_config, "config", &cfg) &&
	    json_object_is_type(cfg, json_type_object))
		json_object_object_get_ex(cfg, "Volumes", &vols);
	if (mount_specs_add_image_volumes(&m->list, vols, err) < 0)
		goto fail;
	for (size_t i = 0; i < m->list.n; i++)
		if (check_destination(&m->list.v[i], err) < 0)
			goto fail;
	for (size_t i = 0; i < m->list.n; i++) {
		struct mount_spec *ms = &m->list.v[i];

		if (ms->type != MOUNT_SPEC_VOLUME)
			continue;
		if (ms->source == NULL) {
			char name[VOLUME_NAME_LEN + 1];

			if (volume_random_name(name, err) < 0)
				goto fail;
			ms->source = xstrdup(name);
		}
		ms->host_path = volume_path(s, ms->source);
	}
	return 0;
fail:
	engine_mounts_clear(m);
	return -1;
}

void engine_mounts_clear(struct engine_mounts *m)
{
	mount_spec_list_clear(&m->list);
	strv_free(m->made_volumes);
	strv_free(m->made_dirs);
	memset(m, 0, sizeof(*m));
}

/* ---- record ---- */

static const char *type_name(enum mount_spec_type t)
{
	return t == MOUNT_SPEC_BIND ? "bind" : t == MOUNT_SPEC_VOLUME ? "volume" : "tmpfs";
}

/* One of docker's inspect Mounts (types.MountPoint). */
static json_object *mount_point_json(const struct mount_spec *m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "Type", json_object_new_string(type_name(m->type)));
	if (m->type == MOUNT_SPEC_VOLUME)
		json_object_object_add(o, "Name", json_object_new_string(m->source));
	json_object_object_add(o, "Source",
			       json_object_new_string(m->type == MOUNT_SPEC_BIND     ? m->source
						      : m->type == MOUNT_SPEC_VOLUME ? m->host_path
										     : ""));
	json_object_object_add(o, "Destination", json_object_new_string(m->destination));
	if (m->type == MOUNT_SPEC_VOLUME)
		json_object_object_add(o, "Driver", json_object_new_string(VOLUME_DRIVER));
	json_object_object_add(o, "Mode", json_object_new_string(m->mode ? m->mode : ""));
	json_object_object_add(o, "RW", json_object_new_boolean(!m->read_only));
	json_object_object_add(o, "Propagation",
			       json_object_new_string(m->type == MOUNT_SPEC_BIND && m->propagation
							  ? m->propagation
							  : ""));
	return o;
}

static json_object *kv_json(char *const *kv)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; kv != NULL && kv[i] != NULL; i++) {
		size_t klen = strcspn(kv[i], "=");
		autofree char *key = xstrndup(kv[i], klen);

		json_object_object_add(o, key,
				       json_object_new_string(kv[i][klen] ? kv[i] + klen + 1 : ""));
	}
	return o;
}

/* A --mount value as HostConfig.Mounts (mount.Mount) has it. */
static json_object *host_mount_json(const struct mount_spec *m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "Type", json_object_new_string(type_name(m->type)));
	if (m->type != MOUNT_SPEC_TMPFS && !m->anonymous)
		json_object_object_add(o, "Source", json_object_new_string(m->source));
	json_object_object_add(o, "Target", json_object_new_string(m->destination));
	if (m->read_only)
		json_object_object_add(o, "ReadOnly", json_object_new_boolean(true));
	if (m->type == MOUNT_SPEC_BIND &&
	    (m->non_recursive || strcmp(m->propagation, "rprivate") != 0)) {
		json_object *b = json_object_new_object();

		json_object_object_add(b, "Propagation", json_object_new_string(m->propagation));
		if (m->non_recursive)
			json_object_object_add(b, "NonRecursive", json_object_new_boolean(true));
		json_object_object_add(o, "BindOptions", b);
	}
	if (m->type == MOUNT_SPEC_VOLUME && (m->no_copy || m->volume_opts || m->volume_labels)) {
		json_object *v = json_object_new_object();

		if (m->no_copy)
			json_object_object_add(v, "NoCopy", json_object_new_boolean(true));
		if (m->volume_labels != NULL)
			json_object_object_add(v, "Labels", kv_json(m->volume_labels));
		if (m->volume_opts != NULL) {
			json_object *d = json_object_new_object();

			json_object_object_add(d, "Name", json_object_new_string(VOLUME_DRIVER));
			json_object_object_add(d, "Options", kv_json(m->volume_opts));
			json_object_object_add(v, "DriverConfig", d);
		}
		json_object_object_add(o, "VolumeOptions", v);
	}
	if (m->type == MOUNT_SPEC_TMPFS && m->tmpfs_data != NULL && m->tmpfs_data[0] != '\0') {
		json_object *t = json_object_new_object();
		autofree char *copy = xstrdup(m->tmpfs_data);
		char *save = NULL;

		for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
			int64_t size;
			uint64_t mode;

			if (strncmp(w, "size=", 5) == 0 && mount_spec_parse_ram(w + 5, &size) == 0)
				json_object_object_add(t, "SizeBytes", json_object_new_int64(size));
			else if (strncmp(w, "mode=", 5) == 0 &&
				 num_parse_u64(w + 5, 8, UINT32_MAX, &mode) == 0)
				json_object_object_add(t, "Mode",
						       json_object_new_int64((int64_t)mode));
		}
		json_object_object_add(o, "TmpfsOptions", t);
	}
	return o;
}

void engine_mounts_record(const struct engine_mounts *m, json_object *config)
{
	json_object *mounts = json_object_new_array();
	json_object *binds = NULL, *tmpfs = NULL, *volumes = NULL, *host = NULL;

	for (size_t i = 0; i < m->list.n; i++) {
		const struct mount_spec *ms = &m->list.v[i];

		switch (ms->origin) {
		case MOUNT_FROM_VOLUME_FLAG:
			/* docker's client: a -v with a source is a bind (Binds),
			 * a bare path an anonymous volume (Config.Volumes). */
			if (ms->anonymous) {
				if (volumes == NULL)
					volumes = json_object_new_object();
				json_object_object_add(volumes, ms->destination,
						       json_object_new_object());
			} else {
				if (binds == NULL)
					binds = json_object_new_array();
				json_object_array_add(binds, json_object_new_string(ms->raw));
			}
			break;
		case MOUNT_FROM_IMAGE:
			if (volumes == NULL)
				volumes = json_object_new_object();
			json_object_object_add(volumes, ms->raw, json_object_new_object());
			break;
		case MOUNT_FROM_MOUNT_FLAG:
			if (host == NULL)
				host = json_object_new_array();
			json_object_array_add(host, host_mount_json(ms));
			break;
		case MOUNT_FROM_TMPFS_FLAG: {
			const char *colon = strchr(ms->raw, ':');
			autofree char *dest = colon != NULL
						  ? xstrndup(ms->raw, (size_t)(colon - ms->raw))
						  : xstrdup(ms->raw);

			if (tmpfs == NULL)
				tmpfs = json_object_new_object();
			json_object_object_add(tmpfs, dest, json_object_new_string(ms->tmpfs_data));
			/* docker's inspect does not list --tmpfs in Mounts. */
			continue;
		}
		}
		json_object_array_add(mounts, mount_point_json(ms));
	}
	json_object_object_add(config, "Mounts", mounts);
	json_object_object_add(config, "Binds", binds);
	json_object_object_add(config, "Tmpfs", tmpfs);
	json_object_object_add(config, "Volumes", volumes);
	json_object_object_add(config, "HostMounts", host);
}

/* ---- copy-up ---- */

static int copy_tree(int src, int dst, const char *path, struct berth_err *err);

static int copy_attrs(int fd, const struct stat *st, const char *path, struct berth_err *err)
{
	struct timespec times[2] = { st->st_atim, st->st_mtim };

	if (fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0 ||
	    futimens(fd, times) < 0)
		return berth_err_set(err, errno, "copy %s", path);
	return 0;
}

static int copy_file(int sfd, int dfd, const struct stat *st, const char *path,
		     struct berth_err *err)
{
	off_t left = st->st_size;

	while (left > 0) {
		ssize_t n = copy_file_range(sfd, NULL, dfd, NULL, (size_t)left, 0);

		if (n < 0 &&
		    (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
			char buf[65536];

			n = read(sfd, buf, sizeof(buf));
			if (n > 0 && write(dfd, buf, (size_t)n) != n)
				n = -1;
		}
		if (n < 0)
			return berth_err_set(err, errno, "copy %s", path);
		if (n == 0)
			break;
		left -= n;
	}
	return copy_attrs(dfd, st, path, err);
}

static int copy_entry(int src, int dst, const char *name, const char *path, struct berth_err *err)
{
	struct stat st;

	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_err_set(err, errno, "copy %s", path);
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR: {
		autoclose int sfd = -1, dfd = -1;

		if (mkdirat(dst, name, 0700) < 0 && errno != EEXIST)
			return berth_err_set(err, errno, "copy %s", path);
		sfd = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		dfd = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0 || dfd < 0)
			return berth_err_set(err, errno, "copy %s", path);
		if (copy_tree(sfd, dfd, path, err) < 0)
			return -1;
		return copy_attrs(dfd, &st, path, err);
	}
	case S_IFREG: {
		autoclose int sfd = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		autoclose int dfd = -1;

		if (sfd < 0)
			return berth_err_set(err, errno, "copy %s", path);
		dfd = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (dfd < 0)
			return berth_err_set(err, errno, "copy %s", path);
		return copy_file(sfd, dfd, &st, path, err);
	}
	case S_IFLNK: {
		char target[PATH_MAX];
		ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
		struct timespec times[2] = { st.st_atim, st.st_mtim };

		if (n < 0)
			return berth_err_set(err, errno, "copy %s", path);
		target[n] = '\0';
		if (symlinkat(target, dst, name) < 0 ||
		    fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_err_set(err, errno, "copy %s", path);
		utimensat(dst, name, times, AT_SYMLINK_NOFOLLOW);
		return 0;
	}
	default:
		/* Device nodes, fifos, sockets: as they are. */
		if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0 ||
		    fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_err_set(err, errno, "copy %s", path);
		return 0;
	}
}

static int copy_tree(int src, int dst, const char *path, struct berth_err *err)
{
	int fd = dup(src);
	autoclosedir DIR *d = NULL;
	struct dirent *de;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return berth_err_set(err, errno, "copy %s", path);
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		autofree char *sub = NULL;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		sub = xasprintf("%s/%s", path, de->d_name);
		if (copy_entry(src, dst, de->d_name, sub, err) < 0)
			return -1;
	}
	if (errno != 0)
		return berth_err_set(err, errno, "copy %s", path);
	return 0;
}

static bool dir_empty(int fd)
{
	int d = dup(fd);
	autoclosedir DIR *dir = NULL;
	struct dirent *de;

	if (d < 0 || (dir = fdopendir(d)) == NULL) {
		if (d >= 0)
			close(d);
		return false;
	}
	while ((de = readdir(dir)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			return false;
	return true;
}

/* docker's copyExistingContents: what the image has at the destination
 * fills an empty volume, and the volume's top takes the owner and mode of
 * the image's directory. Nothing there: nothing to copy. */
static int copy_up(int rootfd, const struct mount_spec *m, struct berth_err *err)
{
	autoclose int src = -1, dst = -1;
	struct stat st;

	src = path_openat_in_root(rootfd, m->destination, O_RDONLY | O_DIRECTORY, 0, err);
	if (src < 0) {
		if (err->code == ENOENT || err->code == ENOTDIR) {
			if (m->origin == MOUNT_FROM_IMAGE && err->code == ENOTDIR)
				return berth_err_set(err, 0,
						     "cannot mount volume over existing file, file "
						     "exists %s",
						     m->destination);
			berth_err_clear(err);
			return 0;
		}
		return berth_err_wrap(err, "copy up %s", m->destination);
	}
	dst = open(m->host_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dst < 0)
		return berth_err_set(err, errno, "open %s", m->host_path);
	if (!dir_empty(dst))
		return 0;
	if (fstat(src, &st) < 0)
		return berth_err_set(err, errno, "stat %s", m->destination);
	if (copy_tree(src, dst, m->destination, err) < 0)
		return berth_err_wrap(err, "volume %s", m->source);
	return copy_attrs(dst, &st, m->destination, err);
}

/* ---- prepare and undo ---- */

/* docker's -v: a missing host path becomes a directory (mkdir -p, 0755);
 * each directory made is remembered, to be removed on failure. */
static int make_bind_source(struct engine_mounts *m, const char *path, struct berth_err *err)
{
	autofree char *copy = xstrdup(path);

	for (char *p = copy + 1;; p++) {
		bool end = *p == '\0';

		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) == 0)
			strv_push(&m->made_dirs, copy);
		else if (errno != EEXIST)
			return berth_err_set(err, errno, "create mountpoint %s", path);
		if (end)
			break;
		*p = '/';
	}
	return 0;
}

static int prepare_volume(struct store *s, struct engine_mounts *m, struct mount_spec *ms,
			  int rootfd, struct berth_err *err)
{
	struct volume v = { 0 };
	bool created = false;
	int r;

	if (volume_create(s, ms->source, ms->volume_labels, ms->volume_opts, ms->anonymous,
			  &created, err) < 0)
		return -1;
	if (created)
		strv_push(&m->made_volumes, ms->source);
	if (volume_get(s, ms->source, &v, err) < 0)
		return -1;
	r = volume_mount(s, &v, err);
	volume_clear(&v);
	if (r < 0 || ms->no_copy)
		return r;
	/* Two containers created at once with one new volume: the first
	 * fills it, the second finds it no longer empty. */
	{
		autofree char *dir =
		    xstrndup(ms->host_path, strlen(ms->host_path) - strlen("/_data"));
		autoclose int lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (lock < 0 || flock(lock, LOCK_EX) < 0)
			return berth_err_set(err, errno, "lock volume %s", ms->source);
		return copy_up(rootfd, ms, err);
	}
}

int engine_mounts_prepare(struct store *s, struct engine_mounts *m, const char *rootfs,
			  struct berth_err *err)
{
	autoclose int rootfd = -1;

	if (m->list.n == 0)
		return 0;
	rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berth_err_set(err, errno, "open %s", rootfs);
	for (size_t i = 0; i < m->list.n; i++) {
		struct mount_spec *ms = &m->list.v[i];

		if (ms->type == MOUNT_SPEC_VOLUME && prepare_volume(s, m, ms, rootfd, err) < 0)
			return -1;
		if (ms->type == MOUNT_SPEC_BIND && ms->create_source &&
		    make_bind_source(m, ms->source, err) < 0)
			return -1;
	}
	return 0;
}

void engine_mounts_undo(struct store *s, struct engine_mounts *m)
{
	struct berth_err ignored;

	for (size_t i = 0; m->made_volumes != NULL && m->made_volumes[i] != NULL; i++)
		volume_remove(s, m->made_volumes[i], true, &ignored);
	for (size_t i = strv_len(m->made_dirs); i-- > 0;)
		rmdir(m->made_dirs[i]);
	strv_free(m->made_volumes);
	strv_free(m->made_dirs);
	m->made_volumes = m->made_dirs = NULL;
}

/* The name of recorded mount i of config when it is a volume, else NULL. */
static const char *volume_at(json_object *config, size_t i)
{
	json_object *mounts = NULL, *m;
	const char *type = NULL, *name = NULL;
	struct berth_err ignored;

	if (config == NULL || !json_object_object_get_ex(config, "Mounts", &mounts) ||
	    !json_object_is_type(mounts, json_type_array) ||
	    i >= json_object_array_length(mounts))
		return NULL;
	m = json_object_array_get_idx(mounts, i);
	if (json_get_string(m, "Type", NULL, &type, &ignored) != 1 || strcmp(type, "volume") != 0 ||
	    json_get_string(m, "Name", NULL, &name, &ignored) != 1)
		return NULL;
	return name;
}

static size_t mounts_len(json_object *config)
{
	json_object *mounts = NULL;

	if (config == NULL || !json_object_object_get_ex(config, "Mounts", &mounts) ||
	    !json_object_is_type(mounts, json_type_array))
		return 0;
	return json_object_array_length(mounts);
}

int engine_mounts_remove_anonymous(struct store *s, const char *id, json_object *config,
				   struct berth_err *err)
{
	int r = 0;

	for (size_t i = 0; i < mounts_len(config); i++) {
		const char *name = volume_at(config, i);
		struct volume v = { 0 };
		bool anonymous;

		if (name == NULL)
			continue;
		if (volume_get(s, name, &v, err) < 0) {
			berth_err_clear(err);
			continue;
		}
		anonymous = v.anonymous;
		volume_clear(&v);
		if (!anonymous)
			continue;
		/* Still used by another container: docker keeps it too. */
		if (volume_remove_except(s, name, id, true, err) < 0) {
			if (err->code != EBUSY)
				r = -1;
			else
				berth_err_clear(err);
		}
	}
	return r;
}

void engine_mounts_release(struct store *s, const char *id, json_object *config)
{
	for (size_t i = 0; i < mounts_len(config); i++) {
		const char *name = volume_at(config, i);
		struct volume v = { 0 };
		struct berth_err ignored;

		if (name == NULL || volume_get(s, name, &v, &ignored) < 0)
			continue;
		volume_release(s, &v, id, &ignored);
		volume_clear(&v);
	}
}

int engine_mounts_remount(struct store *s, json_object *config, struct berth_err *err)
{
	for (size_t i = 0; i < mounts_len(config); i++) {
		const char *name = volume_at(config, i);
		struct volume v = { 0 };
		int r;

		if (name == NULL)
			continue;
		if (volume_get(s, name, &v, err) < 0)
			return berth_err_wrap(err, "volume %s", name);
		r = volume_mount(s, &v, err);
		volume_clear(&v);
		if (r < 0)
			return -1;
	}
	return 0;
}
