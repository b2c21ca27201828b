/* Reading images, naming them, removing them, and collecting garbage. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/layer-size.h"
#include "image/reference.h"
#include "image/store-internal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define CONFIG_MAX (8u << 20)

static void copy_digest(char dst[DIGEST_STR_LEN + 1], const unsigned char *src)
{
	snprintf(dst, DIGEST_STR_LEN + 1, "%s", src != NULL ? (const char *)src : "");
}

void store_image_clear(struct store_image *img)
{
	for (size_t i = 0; i < img->n_layers; i++)
		free(img->layers[i].media_type);
	free(img->layers);
	free(img->manifest_media_type);
	strv_free(img->tags);
	memset(img, 0, sizeof(*img));
}

void store_images_free(struct store_image *imgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_image_clear(&imgs[i]);
	free(imgs);
}

static int load_tags(struct store *s, struct store_image *img, struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (store_prepare(s, "SELECT name FROM tags WHERE image_id = ? ORDER BY name", &st, err) <
	    0)
		return -1;
	sqlite3_bind_text(st, 1, img->id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		strv_push(&img->tags, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sql_err(s, "read tags", err);
	return 0;
}

static int load_layers(struct store *s, struct store_image *img, struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (store_prepare(s,
			  "SELECT l.chain_id, l.diff_id, il.blob, il.media_type, "
			  "COALESCE(b.size, 0), l.tar_size, l.size "
			  "FROM image_layers il JOIN layers l ON l.chain_id = il.chain_id "
			  "LEFT JOIN blobs b ON b.digest = il.blob "
			  "WHERE il.image_id = ? ORDER BY il.idx",
			  &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, img->id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_layer *l;

		img->layers = xreallocarray(img->layers, img->n_layers + 1, sizeof(*img->layers));
		l = &img->layers[img->n_layers++];
		memset(l, 0, sizeof(*l));
		copy_digest(l->chain_id, sqlite3_column_text(st, 0));
		copy_digest(l->diff_id, sqlite3_column_text(st, 1));
		copy_digest(l->blob, sqlite3_column_text(st, 2));
		l->media_type = xstrdup((const char *)sqlite3_column_text(st, 3));
		l->blob_size = (uint64_t)sqlite3_column_int64(st, 4);
		l->tar_size = (uint64_t)sqlite3_column_int64(st, 5);
		l->size = (uint64_t)sqlite3_column_int64(st, 6);
		img->size += l->size;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sql_err(s, "read layers", err);
	return 0;
}

static int count_snapshots(struct store *s, struct store_image *img, struct berth_err *err)
{
	sqlite3_stmt *st = NULL;

	if (store_prepare(s, "SELECT COUNT(*) FROM snapshots WHERE image_id = ?", &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, img->id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		img->snapshots = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static void read_image_row(sqlite3_stmt *st, struct store_image *img)
{
	memset(img, 0, sizeof(*img));
	copy_digest(img->id, sqlite3_column_text(st, 0));
	copy_digest(img->manifest, sqlite3_column_text(st, 1));
	img->manifest_media_type = xstrdup((const char *)sqlite3_column_text(st, 2));
	img->created = sqlite3_column_int64(st, 3);
	img->added = sqlite3_column_int64(st, 4);
	img->last_tag_time = sqlite3_column_int64(st, 5);
}

#define IMAGE_COLUMNS "id, manifest, manifest_media_type, created, added, last_tag_time"

static int fill_image(struct store *s, struct store_image *img, struct berth_err *err)
{
	if (load_tags(s, img, err) < 0 || load_layers(s, img, err) < 0 ||
	    count_snapshots(s, img, err) < 0)
		return -1;
	return 0;
}

int store_image_list(struct store *s, struct store_image **out, size_t *n, struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	struct store_image *imgs = NULL;
	size_t count = 0;
	int rc;

	/* One read transaction: a consistent view while others write. */
	if (store_exec(s, "BEGIN", err) < 0)
		return -1;
	if (store_prepare(s,
			  "SELECT " IMAGE_COLUMNS " FROM images ORDER BY created DESC, added DESC, "
			  "id",
			  &st, err) < 0)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		imgs = xreallocarray(imgs, count + 1, sizeof(*imgs));
		read_image_row(st, &imgs[count++]);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		store_sql_err(s, "list images", err);
		goto fail;
	}
	for (size_t i = 0; i < count; i++)
		if (fill_image(s, &imgs[i], err) < 0)
			goto fail;
	store_exec(s, "COMMIT", err);
	*out = imgs;
	*n = count;
	return 0;
fail:
	store_rollback(s);
	store_images_free(imgs, count);
	return -1;
}

/* One image by a query with one or two text parameters (arg2 may be
 * NULL); 1 found, 0 not, -1 error; 2 when the query matched more than one
 * image. */
static int image_by2(struct store *s, const char *sql, const char *arg, const char *arg2,
		     struct store_image *out, struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, found = 0;

	if (store_prepare(s, sql, &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	if (arg2 != NULL)
		sqlite3_bind_text(st, 2, arg2, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (found) {
			store_image_clear(out);
			sqlite3_finalize(st);
			return 2;
		}
		read_image_row(st, out);
		found = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		if (found)
			store_image_clear(out);
		return store_sql_err(s, "look up image", err);
	}
	if (found && fill_image(s, out, err) < 0) {
		store_image_clear(out);
		return -1;
	}
	return found;
}

static int image_by(struct store *s, const char *sql, const char *arg, struct store_image *out,
		    struct berth_err *err)
{
	return image_by2(s, sql, arg, NULL, out, err);
}

static bool is_hex(const char *p)
{
	if (*p == '\0')
		return false;
	for (; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static int lookup_id(struct store *s, const char *what, struct store_image *out,
		     struct berth_err *err)
{
	const char *hex = what;
	autofree char *pattern = NULL;
	int r;

	if (strncmp(hex, DIGEST_PREFIX, strlen(DIGEST_PREFIX)) == 0)
		hex += strlen(DIGEST_PREFIX);
	if (!is_hex(hex) || strlen(hex) > DIGEST_HEX_LEN)
		return 0;
	pattern = xasprintf(DIGEST_PREFIX "%s*", hex);
	r = image_by(s, "SELECT " IMAGE_COLUMNS " FROM images WHERE id GLOB ?", pattern, out, err);
	if (r == 2)
		return berth_err_set(err, 0,
				     "ambiguous image id prefix %s: more than one image "
				     "matches",
				     what);
	return r;
}

/* 1 with the normalised name in *name when what resolves through a tag. */
static int lookup_name(struct store *s, const char *what, struct store_image *out, char **name,
		       struct berth_err *err)
{
	struct image_ref ref = { 0 };
	struct berth_err perr;
	autofree char *repo = NULL;
	autofree char *full = NULL;
	int r;

	if (image_ref_parse(what, &ref, &perr) < 0)
		return 0;
	repo = image_ref_repo(&ref);
	if (ref.digest != NULL) {
		/* repo@digest: the manifest, of an image named in that repository. */
		autofree char *prefix = xasprintf("%s:", repo);

		r = image_by2(s,
			      "SELECT " IMAGE_COLUMNS " FROM images WHERE manifest = ?1 AND EXISTS "
			      "(SELECT 1 FROM tags WHERE image_id = images.id AND "
			      "substr(name, 1, length(?2)) = ?2)",
			      ref.digest, prefix, out, err);
		image_ref_free(&ref);
		return r == 2 ? 1 : r;
	}
	full = xasprintf("%s:%s", repo, ref.tag);
	image_ref_free(&ref);
	r = image_by(s,
		     "SELECT " IMAGE_COLUMNS " FROM images WHERE id = "
		     "(SELECT image_id FROM tags WHERE name = ?)",
		     full, out, err);
	if (r == 1 && name != NULL)
		*name = steal_ptr(full);
	return r;
}

static int lookup(struct store *s, const char *what, struct store_image *out, char **name,
		  struct berth_err *err)
{
	int r;

	if (name != NULL)
		*name = NULL;
	if (what == NULL || what[0] == '\0')
		return berth_err_set(err, EINVAL, "empty image name");
	if (digest_is_valid(what) || digest_is_hex64(what)) {
		r = lookup_id(s, what, out, err);
	} else {
		r = lookup_name(s, what, out, name, err);
		if (r == 0)
			r = lookup_id(s, what, out, err);
	}
	if (r < 0)
		return -1;
	if (r == 0) {
		struct image_ref ref;

		/* Not an image, and not a name either: docker says what is
		 * wrong with it ("invalid reference format"). */
		if (image_ref_parse(what, &ref, err) < 0) {
			err->code = EINVAL;
			return -1;
		}
		image_ref_free(&ref);
		/* The errno is for callers; the message is docker's, without it. */
		berth_err_set(err, 0, "No such image: %s", what);
		err->code = ENOENT;
		return -1;
	}
	return 0;
}

int store_image_lookup(struct store *s, const char *what, struct store_image *out,
		       struct berth_err *err)
{
	return lookup(s, what, out, NULL, err);
}

int store_image_config(struct store *s, const char *id, json_object **out, struct berth_err *err)
{
	autofree char *text = NULL;
	size_t len;

	if (store_blob_read(s, id, CONFIG_MAX, &text, &len, err) < 0)
		return -1;
	if (json_parse_text(text, len, id, out, err) < 0)
		return -1;
	if (!json_object_is_type(*out, json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		return berth_err_set(err, 0, "image config %s: not a JSON object", id);
	}
	return 0;
}

/* "docker.io/library/busybox:latest" for what the user typed; the tag
 * defaults to latest; digests are not names. */
static int normalise_tag(const char *name, char **out, struct berth_err *err)
{
	struct image_ref ref = { 0 };
	autofree char *repo = NULL;

	if (image_ref_parse(name, &ref, err) < 0)
		return -1;
	if (ref.digest != NULL) {
		image_ref_free(&ref);
		return berth_err_set(err, 0, "refusing to create a tag with a digest reference: %s",
				     name);
	}
	repo = image_ref_repo(&ref);
	*out = xasprintf("%s:%s", repo, ref.tag);
	image_ref_free(&ref);
	return 0;
}

int store_tag(struct store *s, const char *id, const char *name, struct berth_err *err)
{
	autofree char *full = NULL;

	if (normalise_tag(name, &full, err) < 0)
		return -1;
	if (store_begin(s, err) < 0)
		return -1;
	if (store_set_tag(s, id, full, (int64_t)time(NULL), err) < 0 || store_commit(s, err) < 0) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

void store_removed_clear(struct store_removed *r)
{
	strv_free(r->untagged);
	strv_free(r->deleted);
	memset(r, 0, sizeof(*r));
}

static int exec_text(struct store *s, const char *sql, const char *arg, struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (store_prepare(s, sql, &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sql_err(s, "update", err);
	return 0;
}

/* Deletes the image rows (tags and layer links go with them). */
static int delete_image(struct store *s, const struct store_image *img, struct store_removed *r,
			struct berth_err *err)
{
	for (size_t i = 0; img->tags != NULL && img->tags[i] != NULL; i++)
		strv_push(&r->untagged, img->tags[i]);
	if (exec_text(s, "DELETE FROM images WHERE id = ?", img->id, err) < 0)
		return -1;
	strv_push(&r->deleted, img->id);
	return 0;
}

static int remove_locked(struct store *s, const char *what, bool force, struct store_removed *r,
			 struct berth_err *err)
{
	struct store_image img = { 0 };
	autofree char *name = NULL;
	size_t ntags;
	int ret = -1;

	if (store_begin(s, err) < 0)
		return -1;
	if (lookup(s, what, &img, &name, err) < 0)
		goto out;
	ntags = strv_len(img.tags);
	if (name != NULL && (ntags > 1 || img.snapshots > 0)) {
		if (ntags == 1 && !force) {
			berth_err_set(
			    err, 0,
			    "conflict: unable to remove repository reference \"%s\" (must "
			    "force) - image %.12s is in use by %d snapshot(s)",
			    what, digest_hex(img.id), img.snapshots);
			err->code = EBUSY;
			goto out;
		}
		if (exec_text(s, "DELETE FROM tags WHERE name = ?", name, err) < 0)
			goto out;
		strv_push(&r->untagged, name);
	} else if (img.snapshots > 0) {
		if (!force) {
			berth_err_set(
			    err, 0,
			    "conflict: unable to delete %.12s (must be forced) - image is in "
			    "use by %d snapshot(s)",
			    digest_hex(img.id), img.snapshots);
			err->code = EBUSY;
			goto out;
		}
		for (size_t i = 0; i < ntags; i++)
			strv_push(&r->untagged, img.tags[i]);
		if (exec_text(s, "DELETE FROM tags WHERE image_id = ?", img.id, err) < 0)
			goto out;
	} else if (name == NULL && ntags > 1 && !force) {
		berth_err_set(err, 0,
			      "conflict: unable to delete %.12s (must be forced) - image is "
			      "referenced in multiple repositories",
			      digest_hex(img.id));
		err->code = EBUSY;
		goto out;
	} else if (delete_image(s, &img, r, err) < 0) {
		goto out;
	}
	ret = store_commit(s, err);
out:
	if (ret < 0)
		store_rollback(s);
	store_image_clear(&img);
	return ret;
}

int store_image_remove(struct store *s, const char *what, bool force, struct store_removed *r,
		       struct berth_err *err)
{
	int prev = s->lockmode, ret;

	if (store_lock(s, LOCK_EX, err) < 0)
		return -1;
	ret = remove_locked(s, what, force, r, err);
	if (ret == 0 && r->deleted != NULL)
		ret = store_gc_locked(s, NULL, err);
	store_lock_restore(s, prev);
	return ret;
}

int store_image_prune(struct store *s, bool all, struct store_removed *r, uint64_t *reclaimed,
		      struct berth_err *err)
{
	struct store_image *imgs = NULL;
	struct store_gc_stats stats = { 0 };
	size_t n = 0;
	int prev = s->lockmode, ret = -1;

	if (store_lock(s, LOCK_EX, err) < 0)
		return -1;
	if (store_image_list(s, &imgs, &n, err) < 0)
		goto out;
	if (store_begin(s, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (imgs[i].snapshots > 0 || (!all && imgs[i].tags != NULL))
			continue;
		if (delete_image(s, &imgs[i], r, err) < 0) {
			store_rollback(s);
			goto out;
		}
	}
	if (store_commit(s, err) < 0) {
		store_rollback(s);
		goto out;
	}
	ret = store_gc_locked(s, &stats, err);
	if (reclaimed != NULL)
		*reclaimed = stats.bytes;
out:
	store_images_free(imgs, n);
	store_lock_restore(s, prev);
	return ret;
}

/* ---- garbage collection ---- */

static uint64_t tree_size(int dirfd, const char *name)
{
	autoclose int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct berth_err ignored;
	uint64_t size = 0;

	if (fd >= 0 && layer_dir_size(fd, &size, &ignored) < 0)
		size = 0;
	return size;
}

/* Calls fn for every entry of ROOT/dir but . and .. */
static int sweep_dir(struct store *s, const char *dir,
		     int (*fn)(struct store *s, int dfd, const char *name,
			       struct store_gc_stats *stats, struct berth_err *err),
		     struct store_gc_stats *stats, struct berth_err *err)
{
	autoclosedir DIR *d = NULL;
	struct dirent *de;
	int fd = openat(s->rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : berth_err_set(err, errno, "open %s/%s", s->root, dir);
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return berth_err_set(err, errno, "open %s/%s", s->root, dir);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fn(s, dirfd(d), de->d_name, stats, err) < 0)
			return -1;
	}
	return 0;
}

static int sweep_blob(struct store *s, int dfd, const char *name, struct store_gc_stats *stats,
		      struct berth_err *err)
{
	autofree char *digest = xasprintf(DIGEST_PREFIX "%s", name);
	struct stat stb;

	if (digest_is_hex64(name) &&
	    store_row_exists(s,
			     "SELECT 1 FROM images WHERE id = ?1 OR manifest = ?1 UNION ALL "
			     "SELECT 1 FROM image_layers WHERE blob = ?1 LIMIT 1",
			     digest) != 0) /* in doubt, keep */
		return 0;
	if (fstatat(dfd, name, &stb, AT_SYMLINK_NOFOLLOW) == 0) {
		stats->bytes += (uint64_t)stb.st_size;
		stats->blobs++;
	}
	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
		return berth_err_set(err, errno, "remove blob %s", name);
	return 0;
}

static int sweep_layer(struct store *s, int dfd, const char *name, struct store_gc_stats *stats,
		       struct berth_err *err)
{
	autofree char *chain = xasprintf(DIGEST_PREFIX "%s", name);

	if (digest_is_hex64(name) &&
	    store_row_exists(s, "SELECT 1 FROM layers WHERE chain_id = ?", chain) != 0)
		return 0;
	stats->bytes += tree_size(dfd, name);
	stats->layers++;
	if (fs_rm_rf_at(dfd, name, err) < 0)
		return berth_err_wrap(err, "remove layer %s", name);
	return 0;
}

/* A staging area nobody holds (its loader died) is garbage. */
static int sweep_stage(struct store *s, int dfd, const char *name, struct store_gc_stats *stats,
		       struct berth_err *err)
{
	autoclose int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
		return 0; /* in use */
	if (strncmp(name, "trash-snapshot-", 15) == 0) {
		autofree char *merged = xasprintf("%s/tmp/%s/merged", s->root, name);

		/* a forgotten snapshot whose overlay a crash left mounted */
		if (snapshot_unmount(merged, err) < 0)
			return -1;
	}
	stats->bytes += tree_size(dfd, name);
	stats->stages++;
	if (fs_rm_rf_at(dfd, name, err) < 0)
		return berth_err_wrap(err, "remove %s/tmp/%s", s->root, name);
	return 0;
}

int store_gc_locked(struct store *s, struct store_gc_stats *stats, struct berth_err *err)
{
	struct store_gc_stats local = { 0 };

	if (stats == NULL)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	if (store_begin(s, err) < 0)
		return -1;
	if (store_exec(s,
		       "DELETE FROM layers WHERE chain_id NOT IN (SELECT chain_id FROM "
		       "image_layers);"
		       "DELETE FROM blobs WHERE digest NOT IN (SELECT blob FROM image_layers);",
		       err) < 0 ||
	    store_commit(s, err) < 0) {
		store_rollback(s);
		return -1;
	}
	if (sweep_dir(s, "snapshots", store_snapshot_sweep, stats, err) < 0 ||
	    sweep_dir(s, "blobs/sha256", sweep_blob, stats, err) < 0 ||
	    sweep_dir(s, "layers", sweep_layer, stats, err) < 0 ||
	    sweep_dir(s, "tmp", sweep_stage, stats, err) < 0)
		return -1;
	return 0;
}

int store_gc(struct store *s, struct store_gc_stats *stats, struct berth_err *err)
{
	int prev = s->lockmode, r;

	if (store_lock(s, LOCK_EX, err) < 0)
		return -1;
	r = store_gc_locked(s, stats, err);
	store_lock_restore(s, prev);
	return r;
}

/* ---- usage ---- */

static int64_t scalar(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	struct berth_err ignored;
	int64_t v = 0;

	if (store_prepare(s, sql, &st, &ignored) < 0)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int store_df(struct store *s, struct store_df *df, struct berth_err *err)
{
	struct store_snapshot *snaps = NULL;
	size_t n = 0;

	memset(df, 0, sizeof(*df));
	if (store_exec(s, "BEGIN", err) < 0)
		return -1;
	df->images = (uint64_t)scalar(s, "SELECT COUNT(*) FROM images");
	df->images_active = (uint64_t)scalar(s, "SELECT COUNT(DISTINCT image_id) FROM snapshots");
	/* Layers shared by images count once. */
	df->images_size = (uint64_t)scalar(s, "SELECT COALESCE(SUM(size), 0) FROM layers");
	df->images_reclaimable =
	    (uint64_t)scalar(s, "SELECT COALESCE(SUM(size), 0) FROM layers WHERE chain_id NOT IN "
				"(SELECT il.chain_id FROM image_layers il JOIN snapshots sn "
				"ON sn.image_id = il.image_id)");
	df->layers = (uint64_t)scalar(s, "SELECT COUNT(*) FROM layers");
	df->layers_size = df->images_size;
	df->blobs = (uint64_t)scalar(
	    s, "SELECT COUNT(*) FROM (SELECT id FROM images UNION SELECT manifest FROM images "
	       "UNION SELECT blob FROM image_layers)");
	store_exec(s, "COMMIT", err);
	{
		autofree char *dir = xasprintf("%s/blobs/sha256", s->root);
		autoclose int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd >= 0 && layer_dir_size(fd, &df->blobs_size, err) < 0)
			return -1;
	}
	if (store_snapshot_list(s, &snaps, &n, err) < 0)
		return -1;
	df->snapshots = n;
	for (size_t i = 0; i < n; i++) {
		/* What a snapshot adds: its upper dir, or its whole copy with vfs. */
		bool overlay = strcmp(snaps[i].driver, "overlay") == 0;
		autofree char *upper = xasprintf("%s/snapshots/%s/%s", s->root, snaps[i].id,
						 overlay ? "upper" : "merged");

		df->snapshots_size += tree_size(AT_FDCWD, upper);
		store_snapshot_clear(&snaps[i]);
	}
	free(snaps);
	return 0;
}
