/* Snapshots: ROOT/snapshots/ID/{upper,work,merged} (overlay) or
 * ROOT/snapshots/ID/merged (vfs, a full copy). A snapshot's directory
 * exists before its database row; a directory without a row is what a
 * crash left and store_gc removes it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/store-internal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/mountinfo.h"
#include "util/strv.h"
#include "util/xalloc.h"

void store_snapshot_clear(struct store_snapshot *sn)
{
	free(sn->id);
	free(sn->driver);
	free(sn->mountpoint);
	memset(sn, 0, sizeof(*sn));
}

static int check_id(const char *id, struct berth_err *err)
{
	size_t n = strlen(id);

	if (n == 0 || n > 64 || id[0] == '.')
		goto bad;
	for (const char *p = id; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			goto bad;
	return 0;
bad:
	return berth_err_set(err, EINVAL, "invalid snapshot id \"%s\": 1-64 of [a-zA-Z0-9_.-]", id);
}

static void read_row(struct store *s, sqlite3_stmt *st, struct store_snapshot *sn)
{
	memset(sn, 0, sizeof(*sn));
	sn->id = xstrdup((const char *)sqlite3_column_text(st, 0));
	snprintf(sn->image_id, sizeof(sn->image_id), "%s",
		 (const char *)sqlite3_column_text(st, 1));
	sn->driver = xstrdup((const char *)sqlite3_column_text(st, 2));
	sn->created = sqlite3_column_int64(st, 3);
	sn->init = sqlite3_column_int(st, 4) != 0;
	sn->mountpoint = xasprintf("%s/snapshots/%s/merged", s->root, sn->id);
}

int store_snapshot_get(struct store *s, const char *id, struct store_snapshot *out,
		       struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (store_prepare(s, "SELECT id, image_id, driver, created, init FROM snapshots WHERE id = ?",
			  &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_row(s, st, out);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return berth_err_set(err, ENOENT, "no such snapshot: %s", id);
	return store_sql_err(s, "read snapshot", err);
}

int store_snapshot_list(struct store *s, struct store_snapshot **out, size_t *n,
			struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	struct store_snapshot *v = NULL;
	size_t count = 0;
	int rc;

	if (store_prepare(s, "SELECT id, image_id, driver, created, init FROM snapshots ORDER BY id", &st,
			  err) < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, count + 1, sizeof(*v));
		read_row(s, st, &v[count++]);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		for (size_t i = 0; i < count; i++)
			store_snapshot_clear(&v[i]);
		free(v);
		return store_sql_err(s, "list snapshots", err);
	}
	*out = v;
	*n = count;
	return 0;
}

static bool is_mounted(const char *path)
{
	struct stat a, b;
	autofree char *parent = xasprintf("%s/..", path);

	/* A mount point sits on another device than its parent; overlay gets
	 * its own anonymous device. */
	return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

/* "init-2": the init layer with /.dockerenv. A store's older "init" (without
 * it) may still be a lower dir of mounted snapshots, so it is left be;
 * snapshots mounted from now on use this one. */
char *store_init_path(struct store *s)
{
	return xasprintf("%s/init-2", s->root);
}

int store_init_layer(struct store *s, struct berth_err *err)
{
	static const char *const dirs[] = { "proc", "sys", "dev", "etc" };
	/* Empty files: the engine's /etc mount points, and /.dockerenv
	 * (0755, as docker's), which tools take for "in a container". */
	static const struct {
		const char *name;
		mode_t mode;
	} files[] = {
		{ "etc/hostname", 0644 }, { "etc/hosts", 0644 }, { "etc/resolv.conf", 0644 },
		{ ".dockerenv", 0755 },
	};
	autofree char *path = store_init_path(s);
	autofree char *stage = xasprintf("%s/tmp/init.XXXXXX", s->root);
	autoclose int fd = -1;

	if (access(path, F_OK) == 0)
		return 0;
	if (mkdtemp(stage) == NULL)
		return berth_err_set(err, errno, "mkdtemp %s", stage);
	fd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* Held: gc leaves a stage alone while it is locked. */
	if (fd < 0 || flock(fd, LOCK_EX) < 0 || fchmod(fd, 0755) < 0) {
		berth_err_set(err, errno, "init layer %s", stage);
		goto fail;
	}
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (mkdirat(fd, dirs[i], 0755) < 0) {
			berth_err_set(err, errno, "init layer: mkdir %s", dirs[i]);
			goto fail;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		int f = openat(fd, files[i].name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			       files[i].mode);

		if (f < 0 || fchmod(f, files[i].mode) < 0) {
			berth_err_set(err, errno, "init layer: create %s", files[i].name);
			if (f >= 0)
				close(f);
			goto fail;
		}
		close(f);
	}
	/* Another process may have won: its layer is the same. */
	if (rename(stage, path) < 0 && errno != EEXIST && errno != ENOTEMPTY) {
		berth_err_set(err, errno, "init layer: rename %s to %s", stage, path);
		goto fail;
	}
	fs_rm_rf(stage, err);
	berth_err_clear(err);
	return 0;
fail:
	{
		struct berth_err ignored;

		fs_rm_rf(stage, &ignored);
	}
	return -1;
}

/* Mounts the overlay of the image's layers for snapshot dir. */
static int mount_overlay(struct store *s, const struct store_image *img, const char *dir,
			 unsigned flags, struct berth_err *err)
{
	autofree const char **lowers = NULL;
	autostrv char **paths = NULL;
	autofree char *upper = xasprintf("%s/upper", dir);
	autofree char *work = xasprintf("%s/work", dir);
	autofree char *merged = xasprintf("%s/merged", dir);
	autofree char *linkdir = xasprintf("%s/l", s->root);
	size_t n = img->n_layers;

	/* Top layer first: the init layer, when asked for (and there is
	 * room: overlayfs stacks at most 500), then the image's. An image
	 * without layers gets an empty lower dir. */
	if ((flags & STORE_SNAPSHOT_INIT) && n < SNAPSHOT_OVERLAY_MAX_LOWERS)
		strv_push_take(&paths, store_init_path(s));
	for (size_t i = n; i > 0; i--)
		strv_push_take(&paths, store_layer_path(s, img->layers[i - 1].chain_id));
	n = strv_len(paths);
	if (n == 0) {
		strv_push_take(&paths, xasprintf("%s/empty", dir));
		if (mkdir(paths[0], 0755) < 0 && errno != EEXIST)
			return berth_err_set(err, errno, "mkdir %s", paths[0]);
		n = 1;
	}
	lowers = xcalloc(n, sizeof(*lowers));
	for (size_t i = 0; i < n; i++)
		lowers[i] = paths[i];
	return snapshot_overlay_mount(lowers, n, upper, work, merged, linkdir, err);
}

static int populate_vfs(struct store *s, const struct store_image *img, const char *dir,
			struct berth_err *err)
{
	autofree const char **layers = xcalloc(img->n_layers + 1, sizeof(*layers));
	autostrv char **paths = NULL;
	autofree char *merged = xasprintf("%s/merged", dir);

	for (size_t i = 0; i < img->n_layers; i++)
		strv_push_take(&paths, store_layer_path(s, img->layers[i].chain_id));
	for (size_t i = 0; i < img->n_layers; i++)
		layers[i] = paths[i];
	return snapshot_vfs_populate(layers, img->n_layers, merged, err);
}

static int make_dirs(const char *dir, bool overlay, struct berth_err *err)
{
	static const char *const subs[] = { "merged", "upper", "work" };

	if (mkdir(dir, 0700) < 0)
		return berth_err_set(err, errno, "mkdir %s", dir);
	for (size_t i = 0; i < (overlay ? ARRAY_SIZE(subs) : 1); i++) {
		autofree char *p = xasprintf("%s/%s", dir, subs[i]);

		if (mkdir(p, 0755) < 0)
			return berth_err_set(err, errno, "mkdir %s", p);
	}
	return 0;
}

static int create_locked(struct store *s, const char *image_id, const char *id, unsigned flags,
			 struct berth_err *err)
{
	struct store_image img = { 0 };
	autofree char *dir = xasprintf("%s/snapshots/%s", s->root, id);
	bool overlay = s->driver == SNAPSHOT_OVERLAY, made = false;
	sqlite3_stmt *st = NULL;
	struct berth_err ignored;
	int rc;

	if (store_image_lookup(s, image_id, &img, err) < 0)
		return -1;
	if (make_dirs(dir, overlay, err) < 0)
		goto fail;
	made = true;
	if (overlay ? mount_overlay(s, &img, dir, flags, err) : populate_vfs(s, &img, dir, err))
		goto fail;
	if (store_prepare(
		s,
		"INSERT INTO snapshots (id, image_id, driver, created, init) VALUES (?, ?, ?, ?, ?)",
		&st, err) < 0)
		goto fail;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, img.id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, snapshot_driver_name(s->driver), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)time(NULL));
	sqlite3_bind_int(st, 5, overlay && (flags & STORE_SNAPSHOT_INIT) &&
					img.n_layers < SNAPSHOT_OVERLAY_MAX_LOWERS);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		store_sql_err(s, "insert snapshot", err);
		goto fail;
	}
	store_image_clear(&img);
	return 0;
fail:
	if (made) {
		autofree char *merged = xasprintf("%s/merged", dir);

		snapshot_unmount(merged, &ignored);
		fs_rm_rf(dir, &ignored);
	}
	store_image_clear(&img);
	return -1;
}

int store_snapshot_create(struct store *s, const char *image_id, const char *id, unsigned flags,
			  struct store_snapshot *out, struct berth_err *err)
{
	int prev = s->lockmode, r;

	if (check_id(id, err) < 0)
		return -1;
	/* Shared: gc (exclusive) must not see the directory before its row. */
	if (prev == 0 && store_lock(s, LOCK_SH, err) < 0)
		return -1;
	r = create_locked(s, image_id, id, flags, err);
	if (r == 0 && out != NULL)
		r = store_snapshot_get(s, id, out, err);
	store_lock_restore(s, prev);
	if (r < 0 && err->code == EEXIST)
		berth_err_set(err, EEXIST, "snapshot %s already exists", id);
	return r;
}

int store_snapshot_mount(struct store *s, const char *id, struct berth_err *err)
{
	struct store_snapshot sn = { 0 };
	struct store_image img = { 0 };
	autofree char *dir = NULL;
	int r = 0;

	if (store_snapshot_get(s, id, &sn, err) < 0)
		return -1;
	if (strcmp(sn.driver, "overlay") == 0 && !is_mounted(sn.mountpoint)) {
		unsigned flags = sn.init ? STORE_SNAPSHOT_INIT : 0;

		dir = xasprintf("%s/snapshots/%s", s->root, id);
		r = store_image_lookup(s, sn.image_id, &img, err);
		if (r == 0)
			r = mount_overlay(s, &img, dir, flags, err);
		store_image_clear(&img);
	}
	store_snapshot_clear(&sn);
	return r;
}

int store_snapshot_remove(struct store *s, const char *id, struct berth_err *err)
{
	return store_snapshot_discard(s, id, NULL, err);
}

static int discard(struct store *s, const char *id, bool unmount, char **trash,
		   struct berth_err *err)
{
	struct store_snapshot sn = { 0 };
	autofree char *dir = NULL;

	if (check_id(id, err) < 0 || store_snapshot_get(s, id, &sn, err) < 0)
		return -1;
	dir = xasprintf("%s/snapshots/%s", s->root, id);
	if (unmount && snapshot_unmount(sn.mountpoint, err) < 0) {
		store_snapshot_clear(&sn);
		return -1;
	}
	/* The row goes first: a crash after it leaves a directory gc removes. */
	if (store_begin(s, err) < 0)
		return -1;
	{
		sqlite3_stmt *st = NULL;
		int rc;

		if (store_prepare(s, "DELETE FROM snapshots WHERE id = ?", &st, err) < 0) {
			store_rollback(s);
			return -1;
		}
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE || store_commit(s, err) < 0) {
			if (rc != SQLITE_DONE)
				store_sql_err(s, "delete snapshot", err);
			store_rollback(s);
			return -1;
		}
	}
	if (trash != NULL) {
		autofree char *to = store_trash_path(s, "snapshot", id);

		if (rename(dir, to) == 0) {
			*trash = steal_ptr(to);
			store_snapshot_clear(&sn);
			return 0;
		}
	}
	if (!unmount)
		snapshot_unmount(sn.mountpoint, err);
	store_snapshot_clear(&sn);
	if (fs_rm_rf(dir, err) < 0)
		return berth_err_wrap(err, "remove snapshot %s", id);
	return 0;
}

int store_snapshot_discard(struct store *s, const char *id, char **trash, struct berth_err *err)
{
	return discard(s, id, true, trash, err);
}

int store_snapshot_forget(struct store *s, const char *id, char **trash, struct berth_err *err)
{
	return discard(s, id, false, trash, err);
}

int store_trash_remove(const char *root, const char *what, const char *id, struct berth_err *err)
{
	autofree char *path = store_trash_path_in(root, what, id);
	autofree char *merged = xasprintf("%s/merged", path);

	/* A forgotten snapshot's overlay may still be mounted there. */
	if (strcmp(what, "snapshot") == 0 && snapshot_unmount(merged, err) < 0)
		return -1;
	return fs_rm_rf(path, err);
}

/* store_gc: a snapshot directory without a row is what a crash left. */
int store_snapshot_sweep(struct store *s, int dfd, const char *name, struct store_gc_stats *stats,
			 struct berth_err *err)
{
	autofree char *dir = NULL;
	autofree char *merged = NULL;

	if (store_row_exists(s, "SELECT 1 FROM snapshots WHERE id = ?", name) != 0)
		return 0; /* a row, or in doubt: keep */
	dir = xasprintf("%s/snapshots/%s", s->root, name);
	merged = xasprintf("%s/merged", dir);
	if (snapshot_unmount(merged, err) < 0)
		return -1;
	stats->snapshots_removed++;
	(void)dfd;
	if (fs_rm_rf(dir, err) < 0)
		return berth_err_wrap(err, "remove snapshot %s", name);
	return 0;
}
