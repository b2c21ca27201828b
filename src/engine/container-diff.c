/* docker diff: a container's changes against its image, from the overlay
 * upper dir or (vfs) by comparing the tree with a copy of the image's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "engine/container-fs-internal.h"
#include "image/layer-write.h"
#include "image/snapshot.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/strv.h"
#include "util/xalloc.h"

void engine_changes_free(struct engine_change *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

static void change_add(struct changes *c, char kind, const char *path)
{
	c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
	c->v[c->n++] = (struct engine_change){ kind, xstrdup(path) };
}

void changes_clear(struct changes *c)
{
	engine_changes_free(c->v, c->n);
	strv_free(c->changed_dirs);
	for (size_t i = 0; i < c->n_lowers; i++)
		close(c->lowers[i]);
	free(c->lowers);
}

static int change_cmp(const void *a, const void *b)
{
	return strcmp(((const struct engine_change *)a)->path,
		      ((const struct engine_change *)b)->path);
}

/* What the image has at path: 1 with *st filled, 0 when it has nothing
 * there (never had it, or a whiteout in a higher layer hides it). */
static int lower_lookup(struct changes *c, const char *path, struct stat *st)
{
	for (size_t i = 0; i < c->n_lowers; i++) {
		struct berth_err ignored;
		autoclose int fd =
		    path_openat_in_root(c->lowers[i], path, O_PATH | O_NOFOLLOW, 0, &ignored);

		if (fd < 0)
			continue;
		if (fstat(fd, st) < 0)
			continue;
		if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
			return 0;
		return 1;
	}
	return 0;
}

/* docker also compares size and mtime; but making the mount points
 * (/etc/hosts...) touches their directory, which would then show in
 * every container. A directory is changed by its own mode or owner, or
 * as the parent of an addition or deletion. */
static bool same_dir(const struct stat *a, const struct stat *b)
{
	return a->st_mode == b->st_mode && a->st_uid == b->st_uid && a->st_gid == b->st_gid;
}

/* docker's overlay diff: each name in the upper dir is an addition, a
 * change of what the image had, or (a whiteout) a deletion; an addition
 * or a deletion also changes its parent directory. A directory copied up
 * unchanged (only because something below it changed) is not a change
 * itself. An opaque directory (removed and made again) is a change when
 * the image had it, where docker would print a deletion of a directory
 * that exists. */
static int upper_walk(struct changes *c, int dirfd, const char *dir, int depth)
{
	autoclosedir DIR *d = NULL;
	autostrv char **names = NULL;
	int fd = dup(dirfd);
	struct dirent *de;

	if (depth > 256)
		return berth_err_set(c->err, 0, "%s: deeper than 256 directories", dir);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return berth_err_set(c->err, errno, "open %s", dir);
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			strv_push(&names, de->d_name);
	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		autofree char *path = xasprintf("%s/%s", strcmp(dir, "/") ? dir : "", names[i]);
		struct stat st, lst;
		char kind = 0;
		bool below;

		autoclose int nfd = openat(dirfd, names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);

		if (nfd < 0 || fstat(nfd, &st) < 0)
			continue;
		if (layer_write_skipped(croot_init_paths, nfd, &st, path + 1))
			continue;
		below = lower_lookup(c, path, &lst) == 1;
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
			kind = below ? 'D' : 0;
		else if (!below)
			kind = 'A';
		else if (!(S_ISDIR(st.st_mode) && S_ISDIR(lst.st_mode) && same_dir(&st, &lst)))
			kind = 'C';
		if (kind != 0)
			change_add(c, kind, path);
		if (kind != 0 && S_ISDIR(st.st_mode))
			strv_push(&c->changed_dirs, path);
		if (kind == 'A' || kind == 'D') {
			if (strcmp(dir, "/") != 0 && !strv_contains(c->changed_dirs, dir)) {
				change_add(c, 'C', dir);
				strv_push(&c->changed_dirs, dir);
			}
		}
		if (S_ISDIR(st.st_mode)) {
			autoclose int sub = openat(dirfd, names[i],
						   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub < 0)
				return berth_err_set(c->err, errno, "open %s", path);
			if (upper_walk(c, sub, path, depth + 1) < 0)
				return -1;
		}
	}
	return 0;
}

/* docker's naive diff (vfs): the container's tree against a copy of the
 * image's. Any change below a directory also changes the directory. */
static int tree_compare(struct changes *c, int newfd, int oldfd, const char *dir, int depth);

static bool same_node(int newfd, int oldfd, const char *name, const struct stat *a,
		      const struct stat *b)
{
	if (a->st_mode != b->st_mode || a->st_uid != b->st_uid || a->st_gid != b->st_gid ||
	    a->st_rdev != b->st_rdev)
		return false;
	if (S_ISDIR(a->st_mode))
		return true;
	if (a->st_size != b->st_size || a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
	    a->st_mtim.tv_nsec != b->st_mtim.tv_nsec)
		return false;
	if (S_ISLNK(a->st_mode)) {
		char x[PATH_MAX], y[PATH_MAX];
		ssize_t n = readlinkat(newfd, name, x, sizeof(x));
		ssize_t m = readlinkat(oldfd, name, y, sizeof(y));

		return n == m && n >= 0 && memcmp(x, y, (size_t)n) == 0;
	}
	return true;
}

static int dir_list(int dirfd, char ***out)
{
	autoclosedir DIR *d = NULL;
	int fd = dup(dirfd);
	struct dirent *de;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			strv_push(out, de->d_name);
	return 0;
}

static int added_walk(struct changes *c, int dirfd, const char *dir, int depth)
{
	autostrv char **names = NULL;

	if (depth > 256 || dir_list(dirfd, &names) < 0)
		return berth_err_set(c->err, errno, "read %s", dir);
	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		autofree char *path = xasprintf("%s/%s", dir, names[i]);
		autoclose int sub =
		    openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		change_add(c, 'A', path);
		if (sub >= 0 && added_walk(c, sub, path, depth + 1) < 0)
			return -1;
	}
	return 0;
}

static int tree_compare(struct changes *c, int newfd, int oldfd, const char *dir, int depth)
{
	autostrv char **names = NULL;
	autostrv char **old_names = NULL;

	if (depth > 256 || dir_list(newfd, &names) < 0 || dir_list(oldfd, &old_names) < 0)
		return berth_err_set(c->err, errno, "read %s", dir[0] ? dir : "/");
	for (size_t i = 0; old_names != NULL && old_names[i] != NULL; i++)
		if (!strv_contains(names, old_names[i])) {
			autofree char *path = xasprintf("%s/%s", dir, old_names[i]);

			change_add(c, 'D', path);
		}
	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		autofree char *path = xasprintf("%s/%s", dir, names[i]);
		struct stat a, b;
		size_t mark = c->n;

		autoclose int nfd = openat(newfd, names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);

		if (nfd < 0 || fstat(nfd, &a) < 0)
			continue;
		if (fstatat(oldfd, names[i], &b, AT_SYMLINK_NOFOLLOW) < 0 &&
		    layer_write_skipped(croot_init_paths, nfd, &a, path + 1))
			continue;
		if (fstatat(oldfd, names[i], &b, AT_SYMLINK_NOFOLLOW) < 0 ||
		    (S_ISDIR(a.st_mode) != S_ISDIR(b.st_mode))) {
			bool replaced = fstatat(oldfd, names[i], &b, AT_SYMLINK_NOFOLLOW) == 0;

			change_add(c, replaced ? 'C' : 'A', path);
			if (S_ISDIR(a.st_mode)) {
				autoclose int sub =
				    openat(newfd, names[i],
					   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

				if (sub >= 0 && added_walk(c, sub, path, depth + 1) < 0)
					return -1;
			}
			continue;
		}
		if (!same_node(newfd, oldfd, names[i], &a, &b))
			change_add(c, 'C', path);
		if (S_ISDIR(a.st_mode)) {
			autoclose int ns = openat(newfd, names[i],
						  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			autoclose int os = openat(oldfd, names[i],
						  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (ns < 0 || os < 0)
				return berth_err_set(c->err, errno, "open %s", path);
			if (tree_compare(c, ns, os, path, depth + 1) < 0)
				return -1;
			if (c->n > mark && strcmp(c->v[mark].path, path) != 0)
				change_add(c, 'C', path);
		}
	}
	return 0;
}

/* The image's layers: lower dirs (overlay) or a copy of the merged image
 * in a temporary directory (vfs, *tmp set; the caller removes it). */
static int image_tree(struct engine *e, const struct croot *r, struct changes *c, char **tmp,
		      struct berth_err *err)
{
	struct store_image img = { 0 };
	autostrv char **paths = NULL;
	autofree const char **layers = NULL;
	int rc = -1;

	if (store_image_lookup(e->store, r->sn.image_id, &img, err) < 0)
		return -1;
	for (size_t i = 0; i < img.n_layers; i++)
		strv_push_take(&paths, store_layer_path(e->store, img.layers[i].chain_id));
	if (croot_is_overlay(r)) {
		c->lowers = xcalloc(img.n_layers + 2, sizeof(int));
		/* The init layer is below the container's changes too. */
		if (r->sn.init) {
			autofree char *init = store_init_path(e->store);
			int fd = open(init, O_PATH | O_DIRECTORY | O_CLOEXEC);

			if (fd < 0) {
				berth_err_set(err, errno, "open layer %s", init);
				goto out;
			}
			c->lowers[c->n_lowers++] = fd;
		}
		for (size_t i = img.n_layers; i > 0; i--) {
			int fd = open(paths[i - 1], O_PATH | O_DIRECTORY | O_CLOEXEC);

			if (fd < 0) {
				berth_err_set(err, errno, "open layer %s", paths[i - 1]);
				goto out;
			}
			c->lowers[c->n_lowers++] = fd;
		}
		rc = 0;
		goto out;
	}
	*tmp = xasprintf("%s/tmp/diff-XXXXXX", e->store->root);
	if (mkdtemp(*tmp) == NULL) {
		berth_err_set(err, errno, "mkdtemp %s", *tmp);
		free(*tmp);
		*tmp = NULL;
		goto out;
	}
	layers = xcalloc(img.n_layers + 1, sizeof(*layers));
	for (size_t i = 0; i < img.n_layers; i++)
		layers[i] = paths[i];
	rc = snapshot_vfs_populate(layers, img.n_layers, *tmp, err);
out:
	store_image_clear(&img);
	return rc;
}

int changes_read(struct engine *e, const struct croot *r, struct changes *c, struct berth_err *err)
{
	autofree char *tmp = NULL;
	struct berth_err ignored;
	int rc;

	c->err = err;
	if (image_tree(e, r, c, &tmp, err) < 0) {
		if (tmp != NULL)
			fs_rm_rf(tmp, &ignored);
		return -1;
	}
	if (croot_is_overlay(r)) {
		autofree char *upper = xasprintf("%s/upper", r->snapdir);
		autoclose int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			return berth_err_set(err, errno, "open %s", upper);
		rc = upper_walk(c, fd, "/", 0);
	} else {
		autoclose int nfd = croot_reopen(r->fd, O_RDONLY | O_DIRECTORY);
		autoclose int ofd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		rc = nfd < 0 || ofd < 0 ? berth_err_set(err, errno, "open %s", r->sn.mountpoint)
					: tree_compare(c, nfd, ofd, "", 0);
		fs_rm_rf(tmp, &ignored);
	}
	if (rc == 0 && c->n > 1)
		qsort(c->v, c->n, sizeof(*c->v), change_cmp);
	return rc;
}

int engine_diff(struct engine *e, const char *what, struct engine_change **out, size_t *n,
		struct berth_err *err)
{
	struct croot r;
	struct changes c = { 0 };
	int rc;

	if (croot_open(e, what, &r, err) < 0)
		return -1;
	rc = changes_read(e, &r, &c, err);
	if (rc == 0) {
		*out = steal_ptr(c.v);
		*n = c.n;
		c.n = 0;
	}
	changes_clear(&c);
	croot_close(&r);
	return rc;
}
