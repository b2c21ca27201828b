/* The image store (image/store.h) on fake images made by hand (see
 * store-fixtures.h). Covers the schema version, staging, lookups as docker
 * resolves them, tags, rmi, prune, gc, chain ids and df; snapshots are in
 * test-store-snapshot.c. Everything lives in one mkdtemp directory under
 * /tmp, removed at the end. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/store.h"
#include "store-fixtures.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/strv.h"
#include "util/xalloc.h"

static int user_version(const char *db_path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int set_user_version(const char *db_path, int v)
{
	sqlite3 *db = NULL;
	autofree char *sql = xasprintf("PRAGMA user_version = %d", v);
	int rc = -1;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		rc = 0;
	sqlite3_close(db);
	return rc;
}

/* The tags of what, joined by ' ', or "(error: ...)" / "" for none. */
static char *tags_of(struct store *s, const char *what)
{
	struct store_image img = { 0 };
	struct berth_err err = { 0 };
	char *out = xstrdup("");

	if (store_image_lookup(s, what, &img, &err) < 0) {
		free(out);
		return xasprintf("(error: %s)", err.msg);
	}
	for (size_t i = 0; img.tags != NULL && img.tags[i] != NULL; i++) {
		char *next = xasprintf("%s%s%s", out, i ? " " : "", img.tags[i]);

		free(out);
		out = next;
	}
	store_image_clear(&img);
	return out;
}

/* ---- the tests ---- */

static struct fake_image A, B, C, F, G;

static void test_open(void)
{
	struct berth_err err = { 0 };
	struct store *s = NULL;
	autofree char *db = xasprintf("%s/berth.db", root);
	autofree char *v99 = xasprintf("%s/v99", tmp);
	autofree char *v99db = xasprintf("%s/v99/berth.db", tmp);
	int r;

	r = store_open(root, "vfs", &s, &err);
	CHECK(r == 0 && s != NULL, "store_open creates a store: %s", r ? err.msg : "ok");
	must(r == 0, "store_open");
	CHECK(s->driver == SNAPSHOT_VFS, "driver vfs as asked");
	CHECK(exists(p("root/blobs/sha256")) && exists(p("root/layers")) &&
		  exists(p("root/snapshots")) && exists(p("root/tmp")) &&
		  exists(p("root/store.lock")),
	      "store directories made");
	CHECK(user_version(db) == 7, "schema version is 7 (got %d)", user_version(db));
	store_close(s);
	s = NULL;
	r = store_open(root, "vfs", &s, &err);
	CHECK(r == 0, "reopening is fine: %s", r ? err.msg : "ok");
	CHECK(user_version(db) == 7, "schema version still 7 after reopening");
	store_close(s);
	s = NULL;
	/* A store of an older schema (4: no snapshots.init, containers.spec
	 * nor containers.oom_killed) migrates when opened, and its snapshots
	 * have no init layer. */
	{
		sqlite3 *raw = NULL;
		int has_col = -1;

		must(sqlite3_open_v2(db, &raw, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK,
		     "open the database");
		must(sqlite3_exec(raw,
				  "INSERT INTO images VALUES ('old', '{}', 'm', 0, 0, 0);"
				  "INSERT INTO snapshots (id, image_id, driver, created, init) "
				  "VALUES ('snapold', 'old', 'vfs', 0, 0);"
				  "ALTER TABLE snapshots DROP COLUMN init;"
				  "ALTER TABLE containers DROP COLUMN spec;"
				  "ALTER TABLE containers DROP COLUMN oom_killed;"
				  "ALTER TABLE containers DROP COLUMN health;"
				  "PRAGMA user_version = 4;",
				  NULL, NULL, NULL) == SQLITE_OK,
		     "make it schema 4");
		sqlite3_close(raw);
		r = store_open(root, "vfs", &s, &err);
		CHECK(r == 0 && user_version(db) == 7, "a schema 4 store migrates to 7: %s",
		      r ? err.msg : "ok");
		if (r == 0) {
			struct store_snapshot sn = { 0 };

			has_col = store_snapshot_get(s, "snapold", &sn, &err) == 0 ? sn.init : -1;
			store_snapshot_clear(&sn);
			store_close(s);
			s = NULL;
		}
		must(sqlite3_open_v2(db, &raw, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
			     sqlite3_exec(raw, "DELETE FROM snapshots; DELETE FROM images;", NULL,
					  NULL, NULL) == SQLITE_OK,
		     "clean up");
		sqlite3_close(raw);
		CHECK(has_col == 0, "its snapshot reads back without the init layer (%d)", has_col);
	}
	/* Schema 5 (no containers.oom_killed): its containers read back as
	 * not OOM-killed. */
	{
		sqlite3 *raw = NULL;
		sqlite3_stmt *st = NULL;
		int oom = -1;

		must(sqlite3_open_v2(db, &raw, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK,
		     "open the database");
		must(sqlite3_exec(raw,
				  "INSERT INTO images VALUES ('old', '{}', 'm', 0, 0, 0);"
				  "ALTER TABLE containers DROP COLUMN oom_killed;"
				  "ALTER TABLE containers DROP COLUMN health;"
				  "INSERT INTO containers (id, name, image_id, image, config, "
				  "created_ns, state) VALUES ('c5', 'five', 'old', 'old', '{}', 0, "
				  "'exited');"
				  "PRAGMA user_version = 5;",
				  NULL, NULL, NULL) == SQLITE_OK,
		     "make it schema 5");
		sqlite3_close(raw);
		r = store_open(root, "vfs", &s, &err);
		CHECK(r == 0 && user_version(db) == 7, "a schema 5 store migrates to 7: %s",
		      r ? err.msg : "ok");
		store_close(s);
		s = NULL;
		must(sqlite3_open_v2(db, &raw, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK,
		     "open the database");
		if (sqlite3_prepare_v2(raw, "SELECT oom_killed FROM containers WHERE id = 'c5'", -1,
				       &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			oom = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		must(sqlite3_exec(raw, "DELETE FROM containers; DELETE FROM images;", NULL, NULL,
				  NULL) == SQLITE_OK,
		     "clean up");
		sqlite3_close(raw);
		CHECK(oom == 0, "its container reads back not OOM-killed (%d)", oom);
	}

	r = store_open(root, "zfs", &s, &err);
	CHECK(r < 0 && has(&err, "zfs"), "unknown driver refused: %s", err.msg);
	store_close(s);
	s = NULL;

	must(store_open(v99, "vfs", &s, &err) == 0, "store_open v99");
	store_close(s);
	s = NULL;
	must(set_user_version(v99db, 99) == 0, "set user_version 99");
	memset(&err, 0, sizeof(err));
	r = store_open(v99, "vfs", &s, &err);
	CHECK(r < 0, "a database with schema version 99 is refused");
	CHECK(has(&err, "99"), "the error names the version: %s", err.msg);
	CHECK(user_version(v99db) == 99, "the refused database is left as it was");
	if (r == 0)
		store_close(s);
}

static void test_staging(struct store *s)
{
	struct berth_err err = { 0 };
	struct store_stage st;
	struct blob_writer w;
	char got[DIGEST_STR_LEN + 1], want[DIGEST_STR_LEN + 1], other[DIGEST_STR_LEN + 1];
	autofree char *stage_dir = NULL;
	int r;

	digest_buf("hello", 5, want);
	digest_buf("other", 5, other);
	must(store_stage_begin(s, &st, &err) == 0, "store_stage_begin");
	stage_dir = xstrdup(st.dir);
	CHECK(strncmp(st.dir, p("root/tmp/stage-"), strlen(p("root/tmp/stage-"))) == 0,
	      "stage under ROOT/tmp: %s", st.dir);

	must(blob_writer_begin(&st, &w, &err) == 0, "blob_writer_begin");
	must(blob_writer_write(&w, "hel", 3, &err) == 0 &&
		 blob_writer_write(&w, "lo", 2, &err) == 0,
	     "blob_writer_write");
	r = blob_writer_finish(&w, other, got, &err);
	CHECK(r < 0 && has(&err, "digest mismatch"), "wrong expected digest: %s", err.msg);
	CHECK(has(&err, other) && has(&err, want), "the error names both digests: %s", err.msg);
	CHECK(count_entries(st.blobsfd) == 0, "a mismatched blob leaves nothing in the stage (%d)",
	      count_entries(st.blobsfd));
	CHECK(!store_stage_blob_exists(&st, want), "and is not visible");

	must(blob_writer_begin(&st, &w, &err) == 0, "blob_writer_begin");
	must(blob_writer_write(&w, "hello", 5, &err) == 0, "blob_writer_write");
	r = blob_writer_finish(&w, want, got, &err);
	CHECK(r == 0, "the right expected digest passes: %s", r ? err.msg : "ok");
	CHECK_STR(got, want, "digest of the blob");
	CHECK(w.size == 5, "writer counted 5 bytes (%llu)", (unsigned long long)w.size);
	CHECK(faccessat(st.blobsfd, digest_hex(want), F_OK, 0) == 0 &&
		  count_entries(st.blobsfd) == 1,
	      "the blob is named by its digest in the stage");
	CHECK(store_stage_blob_exists(&st, want), "store_stage_blob_exists");
	CHECK(!store_blob_exists(s, want), "not in the store before a commit");

	r = store_stage_put(&st, "other", 5, got, &err);
	CHECK(r == 0 && strcmp(got, other) == 0, "store_stage_put names the blob by its digest");
	{
		autoclose int fd = store_stage_blob_open(&st, other, &err);
		char buf[16] = { 0 };

		CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 5 && strcmp(buf, "other") == 0,
		      "store_stage_blob_open reads it back");
	}
	store_stage_end(&st);
	CHECK(!exists(stage_dir), "store_stage_end removes the stage");
	CHECK(!store_blob_exists(s, want) && !store_blob_exists(s, other),
	      "an uncommitted stage adds nothing to the store");
}

static void test_chain_id(void)
{
	static const char d1[] =
	    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char d2[] =
	    "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	static const char joined[] =
	    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
	    "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	char out[DIGEST_STR_LEN + 1], want[DIGEST_STR_LEN + 1];

	store_chain_id(NULL, d1, out);
	CHECK_STR(out, d1, "the first layer's chain id is its diff id");
	store_chain_id(d1, d2, out);
	digest_buf(joined, strlen(joined), want);
	CHECK_STR(out, want, "the second: sha256(\"<parent> <diff>\")");
	/* printf '%s' "sha256:a... sha256:b..." | sha256sum */
	CHECK_STR(out, "sha256:ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c",
		  "and the value sha256sum gives");
}

static void check_lookup(struct store *s, const char *what, const char *want_id)
{
	struct store_image img = { 0 };
	struct berth_err err = { 0 };
	int r = store_image_lookup(s, what, &img, &err);

	CHECK(r == 0 && strcmp(img.id, want_id) == 0, "lookup \"%s\": %s", what,
	      r ? err.msg : img.id);
	store_image_clear(&img);
}

static void test_commit_and_lookup(struct store *s)
{
	struct berth_err err = { 0 };
	struct store_image *imgs = NULL, img = { 0 };
	size_t n = 0;
	const struct fake_layer ab[] = { L1, L2 };
	char buf[128];
	int r;

	r = make_image(s, "A", 1704067200, "2024-01-01T00:00:00Z", &L1, 1,
		       "docker.io/library/x:latest", &A, &err);
	CHECK(r == 0, "commit image A: %s", r ? err.msg : A.id);
	must(r == 0, "image A");
	CHECK(store_blob_exists(s, A.id) && store_blob_exists(s, A.manifest) &&
		  store_blob_exists(s, A.blob[0]),
	      "A's config, manifest and layer blob are in the store");
	CHECK(exists(layer_dir(A.chain[0])) &&
		  exists(p("root/layers/%s/layer-one.txt", digest_hex(A.chain[0]))),
	      "A's layer directory is in the store");
	{
		autoclose int fd = open(p("root/tmp"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		CHECK(count_entries(fd) == 0, "no stage left in ROOT/tmp");
	}

	r = store_image_list(s, &imgs, &n, &err);
	CHECK(r == 0 && n == 1, "store_image_list: one image (%zu) %s", n, r ? err.msg : "");
	if (r == 0 && n == 1) {
		CHECK_STR(imgs[0].id, A.id, "listed id");
		CHECK_STR(imgs[0].manifest, A.manifest, "listed manifest digest");
		CHECK_STR(imgs[0].manifest_media_type, MT_OCI_MANIFEST, "manifest media type");
		CHECK(imgs[0].created == 1704067200, "created %lld", (long long)imgs[0].created);
		CHECK(imgs[0].added > 0 && imgs[0].last_tag_time > 0, "added and tag times set");
		CHECK(strv_len(imgs[0].tags) == 1, "one tag");
		CHECK_STR(imgs[0].tags ? imgs[0].tags[0] : NULL, "docker.io/library/x:latest",
			  "tag");
		CHECK(imgs[0].n_layers == 1 && imgs[0].size == 1000, "one layer of 1000 bytes");
		if (imgs[0].n_layers == 1) {
			CHECK_STR(imgs[0].layers[0].chain_id, A.chain[0], "layer chain id");
			CHECK_STR(imgs[0].layers[0].diff_id, A.blob[0], "layer diff id");
			CHECK_STR(imgs[0].layers[0].blob, A.blob[0], "layer blob");
			CHECK_STR(imgs[0].layers[0].media_type, MT_OCI_LAYER, "layer media type");
			CHECK(imgs[0].layers[0].blob_size == strlen(L1.name) &&
				  imgs[0].layers[0].tar_size == strlen(L1.name) &&
				  imgs[0].layers[0].size == 1000,
			      "layer sizes");
		}
		CHECK(imgs[0].snapshots == 0, "no snapshots");
	}
	store_images_free(imgs, n);

	check_lookup(s, "docker.io/library/x:latest", A.id);
	check_lookup(s, "x", A.id);
	check_lookup(s, "x:latest", A.id);
	check_lookup(s, "library/x", A.id);
	check_lookup(s, digest_hex(A.id), A.id);
	check_lookup(s, A.id, A.id);
	snprintf(buf, sizeof(buf), "%.12s", digest_hex(A.id));
	check_lookup(s, buf, A.id);
	snprintf(buf, sizeof(buf), "sha256:%.12s", digest_hex(A.id));
	check_lookup(s, buf, A.id);
	snprintf(buf, sizeof(buf), "x@%s", A.manifest);
	check_lookup(s, buf, A.id);
	snprintf(buf, sizeof(buf), "docker.io/library/x@%s", A.manifest);
	check_lookup(s, buf, A.id);

	r = store_image_lookup(s, "nope", &img, &err);
	CHECK(r < 0 && err.code == ENOENT && has(&err, "No such image: nope"),
	      "missing name: %s (code %d)", err.msg, err.code);
	store_image_clear(&img);
	r = store_image_lookup(s, "x:other", &img, &err);
	CHECK(r < 0 && err.code == ENOENT && has(&err, "No such image"), "missing tag: %s",
	      err.msg);
	store_image_clear(&img);
	/* KNOWN BUG: lookup_name() matches only the manifest digest and ignores
	 * the repository, so any name@<digest of x's manifest> resolves to x (and
	 * "rmi other@sha256:..." deletes x). Docker finds nothing there. */
	snprintf(buf, sizeof(buf), "nope@%s", A.manifest);
	r = store_image_lookup(s, buf, &img, &err);
	CHECK(r < 0 && err.code == ENOENT,
	      "KNOWN BUG: nope@<x's manifest digest> must not resolve to x: %s",
	      r < 0 ? err.msg : img.id);
	store_image_clear(&img);
	r = store_image_lookup(s, "sha256:", &img, &err);
	CHECK(r < 0 && err.code == EINVAL && strstr(err.msg, "invalid reference format") != NULL,
	      "\"sha256:\" alone is no name (docker's invalid reference format): %s", err.msg);
	store_image_clear(&img);
	snprintf(buf, sizeof(buf), "x@%s", A.id); /* a config digest is not a manifest digest */
	r = store_image_lookup(s, buf, &img, &err);
	CHECK(r < 0 && err.code == ENOENT, "name@<config digest> is not found: %s", err.msg);
	store_image_clear(&img);
	snprintf(buf, sizeof(buf), "%c%c%c%c", A.id[7] == 'f' ? '0' : 'f', A.id[8], A.id[9],
		 A.id[10]);
	r = store_image_lookup(s, buf, &img, &err);
	CHECK(r < 0 && err.code == ENOENT, "missing id prefix %s: %s", buf, err.msg);
	store_image_clear(&img);
	r = store_image_lookup(s, "", &img, &err);
	CHECK(r < 0, "empty name refused: %s", err.msg);
	store_image_clear(&img);

	{
		json_object *cfg = NULL, *c = NULL;

		r = store_image_config(s, A.id, &cfg, &err);
		CHECK(r == 0 && json_object_object_get_ex(cfg, "comment", &c) &&
			  strcmp(json_object_get_string(c), "A") == 0,
		      "store_image_config reads the config back: %s", r ? err.msg : "ok");
		json_object_put(cfg);
	}

	{
		struct fake_image again;
		struct store_image *v = NULL;
		size_t nv = 0;

		r = make_image(s, "A", 1704067200, "2024-01-01T00:00:00Z", &L1, 1,
			       "docker.io/library/x:latest", &again, &err);
		CHECK(r == 0 && strcmp(again.id, A.id) == 0,
		      "committing the same image again is fine: %s", r ? err.msg : "ok");
		r = store_image_list(s, &v, &nv, &err);
		CHECK(r == 0 && nv == 1, "and still lists one image (%zu)", nv);
		store_images_free(v, nv);
		CHECK(exists(p("root/layers/%s/layer-one.txt", digest_hex(A.chain[0]))),
		      "the layer directory is intact");
	}

	r = make_image(s, "B", 1706745600, "2024-02-01T00:00:00Z", ab, 2, "docker.io/library/z:1",
		       &B, &err);
	CHECK(r == 0, "commit image B (sharing A's layer): %s", r ? err.msg : B.id);
	must(r == 0, "image B");
	{
		char want[DIGEST_STR_LEN + 1];
		char d2[DIGEST_STR_LEN + 1];
		autofree char *joined = NULL;

		layer_digest(&L2, d2);
		joined = xasprintf("%s %s", A.chain[0], d2);
		digest_buf(joined, strlen(joined), want);
		CHECK_STR(B.chain[0], A.chain[0], "B's first chain id is A's");
		CHECK_STR(B.chain[1], want, "B's second chain id");
	}
	r = store_image_list(s, &imgs, &n, &err);
	CHECK(r == 0 && n == 2, "two images listed (%zu)", n);
	if (r == 0 && n == 2) {
		CHECK(strcmp(imgs[0].id, B.id) == 0 && strcmp(imgs[1].id, A.id) == 0,
		      "newest first");
		CHECK(imgs[0].n_layers == 2 && imgs[0].size == 3000, "B: two layers, 3000 bytes");
		if (imgs[0].n_layers == 2)
			CHECK_STR(imgs[0].layers[1].chain_id, B.chain[1], "B's listed chain id");
	}
	store_images_free(imgs, n);
	check_lookup(s, "z:1", B.id);
	check_lookup(s, "docker.io/library/z:1", B.id);
	snprintf(buf, sizeof(buf), "%.3s", digest_hex(A.id));
	check_lookup(s, buf, A.id);
	snprintf(buf, sizeof(buf), "%.3s", digest_hex(B.id));
	check_lookup(s, buf, B.id);
}

/* A commit that fails half-way (a layer it counted on is gone) moves back
 * what it had moved in. */
static void test_commit_failure(struct store *s)
{
	struct berth_err err = { 0 };
	struct store_stage st;
	struct store_new_layer nl = { 0 };
	struct store_new_image img = { 0 };
	static const char cfg[] = "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},"
				  "\"comment\":\"failing\"}";
	static const char manifest[] = "{\"comment\":\"failing manifest\"}";
	char *tags[] = { (char *)"docker.io/library/failing:latest", NULL };
	int r;

	must(store_stage_begin(s, &st, &err) == 0, "store_stage_begin");
	must(store_stage_put(&st, cfg, strlen(cfg), img.id, &err) == 0 &&
		 store_stage_put(&st, manifest, strlen(manifest), img.manifest, &err) == 0,
	     "stage config and manifest");
	digest_buf("ghost", 5, nl.blob);
	memcpy(nl.diff_id, nl.blob, sizeof(nl.diff_id));
	memcpy(nl.chain_id, nl.blob, sizeof(nl.chain_id));
	nl.media_type = (char *)MT_OCI_LAYER;
	nl.staged = false; /* "already in the store": it is not */
	img.manifest_media_type = (char *)MT_OCI_MANIFEST;
	img.layers = &nl;
	img.n_layers = 1;
	img.tags = tags;
	r = store_stage_commit(&st, &img, 1, &err);
	CHECK(r < 0 && err.code == EAGAIN && has(&err, nl.chain_id),
	      "a commit naming a layer the store lacks fails: %s", err.msg);
	CHECK(!store_blob_exists(s, img.id) && !store_blob_exists(s, img.manifest),
	      "the blobs it moved in are moved back out");
	CHECK(store_stage_blob_exists(&st, img.id) &&
		  faccessat(st.blobsfd, digest_hex(img.id), F_OK, 0) == 0,
	      "and are in the stage again");
	CHECK(!image_exists(s, "failing") && !image_exists(s, img.id), "no image was recorded");
	CHECK(s->lockmode == 0, "the store lock is released");
	store_stage_end(&st);
}

static uint64_t blobs_du(void)
{
	autoclosedir DIR *d = opendir(p("root/blobs/sha256"));
	struct dirent *de;
	struct stat st;
	uint64_t total = 0;

	must(d != NULL && fstat(dirfd(d), &st) == 0, "open blobs");
	total = (uint64_t)st.st_size;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		must(fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0, "stat blob");
		total += (uint64_t)st.st_size;
	}
	return total;
}

static void test_df(struct store *s)
{
	struct berth_err err = { 0 };
	struct store_df df;
	autoclose int bfd = open(p("root/blobs/sha256"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = store_df(s, &df, &err);

	CHECK(r == 0, "store_df: %s", r ? err.msg : "ok");
	CHECK(df.images == 2, "df: 2 images (%llu)", (unsigned long long)df.images);
	CHECK(df.images_active == 0, "df: none active");
	CHECK(df.images_size == 3000, "df: images size counts the shared layer once (%llu)",
	      (unsigned long long)df.images_size);
	CHECK(df.images_reclaimable == 3000, "df: all reclaimable (%llu)",
	      (unsigned long long)df.images_reclaimable);
	CHECK(df.layers == 2 && df.layers_size == 3000, "df: 2 layers, 3000 bytes (%llu, %llu)",
	      (unsigned long long)df.layers, (unsigned long long)df.layers_size);
	CHECK(count_entries(bfd) == 6, "six blob files on disk (%d)", count_entries(bfd));
	CHECK(df.blobs == 6, "df: 6 blobs (%llu)", (unsigned long long)df.blobs);
	CHECK(df.blobs_size == blobs_du(), "df: blobs size as du -sb counts it (%llu vs %llu)",
	      (unsigned long long)df.blobs_size, (unsigned long long)blobs_du());
	CHECK(df.snapshots == 0 && df.snapshots_size == 0, "df: no snapshots");
}

/* Functions that take the store lock themselves give back what the caller
 * held, as store_stage_commit does. */
static void test_lock_modes(struct store *s)
{
	struct berth_err err = { 0 };
	struct store_gc_stats stats;
	struct store_removed rm = { 0 };
	int r;

	must(store_lock(s, LOCK_SH, &err) == 0, "store_lock SH");
	r = store_gc(s, &stats, &err);
	/* KNOWN BUG: store_gc, store_image_remove and store_image_prune restore
	 * nothing when the caller held a lock (only "prev == 0" is handled): a
	 * caller holding LOCK_SH comes back holding LOCK_EX. */
	CHECK(r == 0 && s->lockmode == LOCK_SH,
	      "KNOWN BUG: store_gc under a shared lock gives it back shared (lockmode %d)",
	      s->lockmode);
	store_unlock(s);
	must(store_lock(s, LOCK_SH, &err) == 0, "store_lock SH");
	r = store_image_remove(s, "nosuch", false, &rm, &err);
	CHECK(r < 0 && s->lockmode == LOCK_SH,
	      "KNOWN BUG: a failed rmi under a shared lock gives it back shared (lockmode %d)",
	      s->lockmode);
	store_removed_clear(&rm);
	store_unlock(s);
	CHECK(s->lockmode == 0, "store_unlock releases");
}

static void test_tags(struct store *s)
{
	struct berth_err err = { 0 };
	autofree char *ta = NULL;
	autofree char *tb = NULL;
	int r;

	r = store_tag(s, A.id, "y", &err);
	CHECK(r == 0, "store_tag A y: %s", r ? err.msg : "ok");
	ta = tags_of(s, A.id);
	CHECK_STR(ta, "docker.io/library/x:latest docker.io/library/y:latest", "A's tags");
	check_lookup(s, "y", A.id);
	r = store_tag(s, B.id, "y:latest", &err);
	CHECK(r == 0, "store_tag B y:latest: %s", r ? err.msg : "ok");
	free(ta);
	ta = tags_of(s, A.id);
	tb = tags_of(s, B.id);
	CHECK_STR(ta, "docker.io/library/x:latest", "the tag left A");
	CHECK_STR(tb, "docker.io/library/y:latest docker.io/library/z:1", "and moved to B");
	check_lookup(s, "y", B.id);

	r = store_tag(s, A.id,
		      "x@sha256:0000000000000000000000000000000000000000000000000000000000000000",
		      &err);
	CHECK(r < 0 && has(&err, "digest"), "tagging with a digest reference refused: %s", err.msg);
	r = store_tag(s, A.id, "Bad:Name", &err);
	CHECK(r < 0, "an invalid name refused: %s", err.msg);
}

/* F: an image whose id shares A's first hex digit. */
static void test_ambiguous(struct store *s)
{
	struct berth_err err = { 0 };
	struct store_image img = { 0 };
	struct store_removed rm = { 0 };
	char salt[32], prefix[2] = { digest_hex(A.id)[0], 0 };
	char buf[32];
	int r, i;

	for (i = 0; i < 10000; i++) {
		char d[DIGEST_STR_LEN + 1];
		autofree char *text = NULL;

		snprintf(salt, sizeof(salt), "F-%d", i);
		text = config_text(salt, "2023-06-01T00:00:00Z", &L1, 1);
		digest_buf(text, strlen(text), d);
		if (digest_hex(d)[0] == prefix[0])
			break;
	}
	must(i < 10000, "find a colliding config");
	r = make_image(s, salt, 1685577600, "2023-06-01T00:00:00Z", &L1, 1, NULL, &F, &err);
	CHECK(r == 0, "commit untagged image F (%s): %s", salt, r ? err.msg : F.id);
	must(r == 0, "image F");
	CHECK(F.id[7] == A.id[7], "F's id %.12s shares A's first digit (%.12s)", digest_hex(F.id),
	      digest_hex(A.id));

	r = store_image_lookup(s, prefix, &img, &err);
	CHECK(r < 0 && has(&err, "ambiguous"), "prefix \"%s\" is ambiguous: %s", prefix, err.msg);
	store_image_clear(&img);
	snprintf(buf, sizeof(buf), "sha256:%s", prefix);
	r = store_image_lookup(s, buf, &img, &err);
	CHECK(r < 0 && has(&err, "ambiguous"), "\"%s\" is ambiguous: %s", buf, err.msg);
	store_image_clear(&img);
	snprintf(buf, sizeof(buf), "%.12s", digest_hex(F.id));
	check_lookup(s, buf, F.id);
	snprintf(buf, sizeof(buf), "%.12s", digest_hex(A.id));
	check_lookup(s, buf, A.id);

	r = store_image_remove(s, F.id, false, &rm, &err);
	CHECK(r == 0 && strv_len(rm.deleted) == 1 && strv_len(rm.untagged) == 0,
	      "remove untagged F by id: %s", r ? err.msg : "ok");
	CHECK(rm.deleted && strcmp(rm.deleted[0], F.id) == 0, "F reported deleted");
	store_removed_clear(&rm);
	CHECK(!image_exists(s, F.id), "F is gone");
	CHECK(!exists(blob_file(F.id)) && !exists(blob_file(F.manifest)),
	      "F's config and manifest blobs are gone");
	CHECK(exists(blob_file(A.blob[0])) && exists(layer_dir(A.chain[0])),
	      "the layer it shared with A stays");
	check_lookup(s, prefix, A.id);
}

static void test_remove(struct store *s)
{
	struct berth_err err = { 0 };
	struct store_removed rm = { 0 };
	autofree char *tb = NULL;
	int r;

	r = store_image_remove(s, "y", false, &rm, &err);
	CHECK(r == 0, "rmi y (B has two names): %s", r ? err.msg : "ok");
	CHECK(strv_len(rm.untagged) == 1 && rm.untagged &&
		  strcmp(rm.untagged[0], "docker.io/library/y:latest") == 0,
	      "only untagged y");
	CHECK(rm.deleted == NULL, "nothing deleted");
	store_removed_clear(&rm);
	tb = tags_of(s, B.id);
	CHECK_STR(tb, "docker.io/library/z:1", "B keeps z:1");
	CHECK(exists(blob_file(B.id)), "B's config is still there");

	must(store_tag(s, B.id, "y", &err) == 0, "tag B y again");
	r = store_image_remove(s, B.id, false, &rm, &err);
	CHECK(r < 0 && has(&err, "multiple repositories"),
	      "rmi by id with two names and no force: %s", err.msg);
	CHECK(rm.deleted == NULL && rm.untagged == NULL, "reported nothing removed");
	store_removed_clear(&rm);
	CHECK(image_exists(s, "y") && image_exists(s, "z:1"), "both names still there");

	r = store_image_remove(s, B.id, true, &rm, &err);
	CHECK(r == 0, "rmi -f by id: %s", r ? err.msg : "ok");
	CHECK(strv_len(rm.deleted) == 1 && rm.deleted && strcmp(rm.deleted[0], B.id) == 0,
	      "B reported deleted");
	CHECK(strv_len(rm.untagged) == 2, "both names reported untagged (%zu)",
	      strv_len(rm.untagged));
	store_removed_clear(&rm);
	CHECK(!image_exists(s, B.id) && !image_exists(s, "y") && !image_exists(s, "z:1"),
	      "B and its names are gone");
	CHECK(!exists(blob_file(B.id)) && !exists(blob_file(B.manifest)),
	      "B's config and manifest blobs are gone from disk");
	CHECK(!exists(blob_file(B.blob[1])), "B's own layer blob is gone");
	CHECK(!exists(layer_dir(B.chain[1])), "B's own layer directory is gone");
	CHECK(exists(blob_file(A.blob[0])) && exists(layer_dir(A.chain[0])),
	      "the layer shared with A stays");
	CHECK(exists(blob_file(A.id)) && exists(blob_file(A.manifest)),
	      "A's config and manifest stay");
	CHECK(store_layer_exists(s, A.chain[0]) && !store_layer_exists(s, B.chain[1]),
	      "layer rows follow");
}

static void test_prune(struct store *s)
{
	struct berth_err err = { 0 };
	struct store_removed rm = { 0 };
	autofree char *t = NULL;
	uint64_t reclaimed = 0;
	int r;

	r = make_image(s, "C", 1700000000, "2023-11-14T22:13:20Z", &L3, 1, NULL, &C, &err);
	CHECK(r == 0, "commit untagged image C: %s", r ? err.msg : C.id);
	must(r == 0, "image C");
	/* G takes x:latest from A on commit, leaving A dangling. */
	r = make_image(s, "G", 1710000000, "2024-03-09T16:00:00Z", &L1, 1,
		       "docker.io/library/x:latest", &G, &err);
	CHECK(r == 0, "commit image G tagged x:latest: %s", r ? err.msg : G.id);
	must(r == 0, "image G");
	check_lookup(s, "x", G.id);
	t = tags_of(s, A.id);
	CHECK_STR(t, "", "A lost x:latest to G");

	r = store_image_prune(s, false, &rm, &reclaimed, &err);
	CHECK(r == 0, "prune dangling: %s", r ? err.msg : "ok");
	CHECK(strv_len(rm.deleted) == 2 && strv_contains(rm.deleted, A.id) &&
		  strv_contains(rm.deleted, C.id),
	      "A and C (untagged) were pruned (%zu)", strv_len(rm.deleted));
	CHECK(!strv_contains(rm.deleted, G.id) && image_exists(s, "x"), "tagged G stays");
	CHECK(reclaimed > 0, "reclaimed %llu bytes", (unsigned long long)reclaimed);
	store_removed_clear(&rm);
	CHECK(!exists(blob_file(C.id)) && !exists(blob_file(C.blob[0])) &&
		  !exists(layer_dir(C.chain[0])),
	      "C's blobs and layer are gone");
	CHECK(!exists(blob_file(A.id)) && !exists(blob_file(A.manifest)), "A's blobs are gone");
	CHECK(exists(blob_file(G.blob[0])) && exists(layer_dir(G.chain[0])),
	      "the layer G shares with A stays");
}

static void test_gc(struct store *s)
{
	struct berth_err err = { 0 };
	struct store_gc_stats stats;
	char orphan[DIGEST_STR_LEN + 1];
	const char *orphan_path;
	autoclose int held = -1;
	autofree char *held_dir = xstrdup(p("root/tmp/stage-held"));
	int fd, r;

	digest_buf("orphan", 6, orphan);
	orphan_path = blob_file(orphan);
	must(put(orphan_path, "orphan") == 0, "write orphan blob");
	must(put(p("root/blobs/sha256/not-a-digest"), "junk") == 0, "write junk blob");
	must(mkdir(p("root/layers/%s", digest_hex(orphan)), 0755) == 0, "mkdir orphan layer");
	must(mkdir(p("root/tmp/stage-stale"), 0700) == 0, "mkdir stale stage");
	must(put(p("root/tmp/stage-stale/x"), "x") == 0, "write stale stage");
	must(mkdir(held_dir, 0700) == 0, "mkdir held stage");
	held = open(held_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	must(held >= 0 && flock(held, LOCK_EX) == 0, "flock held stage");
	must(mkdir(p("root/snapshots/orphan-snap"), 0700) == 0, "mkdir orphan snapshot");

	r = store_gc(s, &stats, &err);
	CHECK(r == 0, "store_gc: %s", r ? err.msg : "ok");
	CHECK(!exists(orphan_path), "an orphan blob file is removed");
	CHECK(!exists(p("root/blobs/sha256/not-a-digest")), "a file not named by a digest too");
	CHECK(stats.blobs == 2, "gc counted 2 blobs (%llu)", (unsigned long long)stats.blobs);
	CHECK(!exists(p("root/layers/%s", digest_hex(orphan))) && stats.layers == 1,
	      "an orphan layer directory is removed");
	CHECK(!exists(p("root/tmp/stage-stale")), "a stage nobody holds is removed");
	CHECK(exists(held_dir), "a stage held by flock stays");
	CHECK(stats.stages == 1, "gc counted 1 stage (%llu)", (unsigned long long)stats.stages);
	CHECK(!exists(p("root/snapshots/orphan-snap")) && stats.snapshots_removed == 1,
	      "a snapshot directory without a row is removed");
	CHECK(stats.bytes >= 6 + 4 + 1, "gc counted bytes (%llu)", (unsigned long long)stats.bytes);
	CHECK(exists(blob_file(G.id)) && exists(blob_file(G.manifest)) &&
		  exists(blob_file(G.blob[0])) && exists(layer_dir(G.chain[0])),
	      "G's blobs and layer stay");
	CHECK(image_exists(s, "x"), "G is still there");

	fd = steal_fd(&held);
	close(fd);
	r = store_gc(s, &stats, &err);
	CHECK(r == 0 && !exists(held_dir) && stats.stages == 1,
	      "once released, the stage goes too: %s", r ? err.msg : "ok");
}

int main(void)
{
	struct berth_err err = { 0 };
	struct store *s = NULL;

	fixtures_begin();

	test_open();
	test_chain_id();
	must(store_open(root, "vfs", &s, &err) == 0, "store_open");
	test_staging(s);
	test_commit_and_lookup(s);
	test_commit_failure(s);
	test_df(s);
	test_lock_modes(s);
	test_tags(s);
	test_ambiguous(s);
	test_remove(s);
	test_prune(s);
	test_gc(s);
	store_close(s);
	cleanup();
	return TEST_DONE();
}
