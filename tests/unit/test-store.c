/* The image store (image/store.h) on fake images made by hand: configs and
 * manifests staged with store_stage_put, layers as directories written
 * straight into the stage. Covers the schema version, staging, lookups as
 * docker resolves them, tags, rmi, prune, gc, chain ids, df and snapshots
 * (vfs always; overlay when root and the kernel has it). Everything lives in
 * one mkdtemp directory under /tmp, unmounted and removed at the end. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/manifest.h"
#include "image/store.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/mountinfo.h"
#include "util/strv.h"
#include "util/xalloc.h"

static char tmp[] = "/tmp/berth-store-XXXXXX";
static char *root; /* tmp/root: the store under test */

/* A path under the test directory, in a static buffer (one of eight). */
static const char *p(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *p(const char *fmt, ...)
{
	static char bufs[8][4096];
	static int next;
	char *b = bufs[next++ % 8];
	int n = snprintf(b, sizeof(bufs[0]), "%s/", tmp);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b + n, sizeof(bufs[0]) - (size_t)n, fmt, ap);
	va_end(ap);
	return b;
}

/* Unmounts whatever a failed check left mounted under tmp (deepest first),
 * then removes tmp. */
static void cleanup(void)
{
	struct berth_err err = { 0 };
	struct mountinfo mi = { 0 };
	size_t plen = strlen(tmp);
	bool all = true;

	if (tmp[plen - 1] == 'X')
		return;
	if (mountinfo_read(NULL, &mi, &err) == 0) {
		for (size_t i = mi.n; i > 0; i--) {
			const char *pt = mi.v[i - 1].point;

			if (strncmp(pt, tmp, plen) == 0 && pt[plen] == '/' &&
			    umount2(pt, MNT_DETACH) < 0) {
				printf("# cleanup: umount %s: %s\n", pt, strerror(errno));
				all = false;
			}
		}
		mountinfo_free(&mi);
	}
	/* A mount left behind would let rm -rf reach into the layers it shows. */
	if (all && fs_rm_rf(tmp, &err) < 0)
		printf("# cleanup: %s\n", err.msg);
	free(root);
	root = NULL;
}

static void must(bool ok, const char *what)
{
	if (!ok) {
		printf("Bail out! %s: %s\n", what, strerror(errno));
		cleanup();
		exit(1);
	}
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Creates (or truncates) path with data; 0 or -1 with errno. */
static int put(const char *path, const char *data)
{
	autoclose int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(data);

	return fd >= 0 && write(fd, data, len) == (ssize_t)len ? 0 : -1;
}

static bool has(const struct berth_err *err, const char *needle)
{
	return strstr(err->msg, needle) != NULL;
}

/* Entries of a directory but . and .. */
static int count_entries(int dirfd)
{
	autoclosedir DIR *d = NULL;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	int n = 0;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	return n;
}

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

/* ---- fake images ---- */

/* A layer: its "tar" (the blob, taken as uncompressed so the diff id is the
 * blob's digest), the unpacked size recorded for it, and one file named
 * after it (NAME.txt holding the content) in its directory. */
struct fake_layer {
	const char *name;
	uint64_t size;
};

struct fake_image {
	char id[DIGEST_STR_LEN + 1];
	char manifest[DIGEST_STR_LEN + 1];
	char blob[4][DIGEST_STR_LEN + 1];
	char chain[4][DIGEST_STR_LEN + 1];
	size_t n;
};

static void layer_digest(const struct fake_layer *l, char out[DIGEST_STR_LEN + 1])
{
	digest_buf(l->name, strlen(l->name), out);
}

static char *config_text(const char *salt, const char *created, const struct fake_layer *layers,
			 size_t n)
{
	char *ids = xstrdup("");
	char *text;

	for (size_t i = 0; i < n; i++) {
		char d[DIGEST_STR_LEN + 1];
		char *next;

		layer_digest(&layers[i], d);
		next = xasprintf("%s%s\"%s\"", ids, i ? "," : "", d);
		free(ids);
		ids = next;
	}
	text = xasprintf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"%s\","
			 "\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[%s]},"
			 "\"comment\":\"%s\"}",
			 created, ids, salt);
	free(ids);
	return text;
}

static void stage_layer_dir(struct store_stage *st, const char *chain, const char *name)
{
	autofree char *file = xasprintf("%s.txt", name);
	autoclose int dfd = -1;
	autoclose int fd = -1;

	must(mkdirat(st->layersfd, digest_hex(chain), 0755) == 0, "mkdir staged layer");
	dfd = openat(st->layersfd, digest_hex(chain), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	must(dfd >= 0, "open staged layer");
	fd = openat(dfd, file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	must(fd >= 0, "create layer file");
	must(write(fd, name, strlen(name)) == (ssize_t)strlen(name), "write layer file");
}

/* Stages and commits one image; 0 or -1 with err filled by the store. */
static int make_image(struct store *s, const char *salt, int64_t created, const char *created_s,
		      const struct fake_layer *layers, size_t n, const char *tag,
		      struct fake_image *out, struct berth_err *err)
{
	struct store_stage st;
	struct store_new_layer nl[4] = { 0 };
	struct store_new_image img = { 0 };
	struct descriptor cfgd = { 0 }, ld[4] = { 0 };
	autofree char *cfg = config_text(salt, created_s, layers, n);
	autofree char *manifest = NULL;
	char *tags[2] = { (char *)tag, NULL };
	int r = -1;

	must(n <= 4, "at most four layers");
	memset(out, 0, sizeof(*out));
	if (store_stage_begin(s, &st, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (store_stage_put(&st, layers[i].name, strlen(layers[i].name), nl[i].blob, err) <
		    0)
			goto out;
		memcpy(nl[i].diff_id, nl[i].blob, sizeof(nl[i].diff_id));
		store_chain_id(i ? nl[i - 1].chain_id : NULL, nl[i].diff_id, nl[i].chain_id);
		nl[i].media_type = (char *)MT_OCI_LAYER;
		nl[i].blob_size = nl[i].tar_size = strlen(layers[i].name);
		nl[i].size = layers[i].size;
		stage_layer_dir(&st, nl[i].chain_id, layers[i].name);
		nl[i].staged = true;
		ld[i].media_type = (char *)MT_OCI_LAYER;
		memcpy(ld[i].digest, nl[i].blob, sizeof(ld[i].digest));
		ld[i].size = (int64_t)nl[i].blob_size;
		memcpy(out->blob[i], nl[i].blob, sizeof(out->blob[i]));
		memcpy(out->chain[i], nl[i].chain_id, sizeof(out->chain[i]));
	}
	if (store_stage_put(&st, cfg, strlen(cfg), img.id, err) < 0)
		goto out;
	cfgd.media_type = (char *)MT_OCI_CONFIG;
	memcpy(cfgd.digest, img.id, sizeof(cfgd.digest));
	cfgd.size = (int64_t)strlen(cfg);
	manifest = manifest_build(MT_OCI_MANIFEST, &cfgd, ld, n);
	if (store_stage_put(&st, manifest, strlen(manifest), img.manifest, err) < 0)
		goto out;
	img.manifest_media_type = (char *)MT_OCI_MANIFEST;
	img.created = created;
	img.layers = nl;
	img.n_layers = n;
	img.tags = tag != NULL ? tags : NULL;
	if (store_stage_commit(&st, &img, 1, err) < 0)
		goto out;
	memcpy(out->id, img.id, sizeof(out->id));
	memcpy(out->manifest, img.manifest, sizeof(out->manifest));
	out->n = n;
	r = 0;
out:
	store_stage_end(&st);
	return r;
}

static const char *blob_file(const char *digest)
{
	return p("root/blobs/sha256/%s", digest_hex(digest));
}

static const char *layer_dir(const char *chain)
{
	return p("root/layers/%s", digest_hex(chain));
}

static bool image_exists(struct store *s, const char *what)
{
	struct store_image img = { 0 };
	struct berth_err err = { 0 };
	bool found = store_image_lookup(s, what, &img, &err) == 0;

	store_image_clear(&img);
	return found;
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

static const struct fake_layer L1 = { "layer-one", 1000 };
static const struct fake_layer L2 = { "layer-two", 2000 };
static const struct fake_layer L3 = { "layer-three", 3000 };

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
	CHECK(user_version(db) == 2, "schema version is 2 (got %d)", user_version(db));
	store_close(s);
	s = NULL;
	r = store_open(root, "vfs", &s, &err);
	CHECK(r == 0, "reopening is fine: %s", r ? err.msg : "ok");
	CHECK(user_version(db) == 2, "schema version still 2 after reopening");
	store_close(s);
	s = NULL;

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
	CHECK(r < 0 && err.code == ENOENT, "\"sha256:\" alone: %s", err.msg);
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

static void test_snapshots_vfs(struct store *s)
{
	struct berth_err err = { 0 };
	struct store_snapshot sn = { 0 }, *list = NULL;
	struct store_removed rm = { 0 };
	struct store_image img = { 0 };
	struct store_df df;
	size_t n = 0;
	autofree char *content = NULL;
	autofree char *id64 = NULL;
	size_t len = 0;
	int r;

	r = store_snapshot_create(s, "x", "snap1", &sn, &err);
	CHECK(r == 0, "vfs snapshot of x: %s", r ? err.msg : "ok");
	must(r == 0, "vfs snapshot");
	CHECK_STR(sn.id, "snap1", "snapshot id");
	CHECK_STR(sn.image_id, G.id, "snapshot image id");
	CHECK_STR(sn.driver, "vfs", "snapshot driver");
	CHECK_STR(sn.mountpoint, p("root/snapshots/snap1/merged"), "snapshot mount point");
	CHECK(sn.created > 0, "created time set");
	r = fs_read_file(p("root/snapshots/snap1/merged/layer-one.txt"), 4096, &content, &len,
			 &err);
	CHECK(r == 0 && len == strlen(L1.name) && memcmp(content, L1.name, len) == 0,
	      "the layer's file is copied into merged");
	store_snapshot_clear(&sn);
	CHECK(!exists(p("root/snapshots/snap1/upper")), "vfs makes no upper dir");

	r = store_snapshot_list(s, &list, &n, &err);
	CHECK(r == 0 && n == 1 && strcmp(list[0].id, "snap1") == 0, "store_snapshot_list");
	for (size_t i = 0; i < n; i++)
		store_snapshot_clear(&list[i]);
	free(list);
	r = store_snapshot_get(s, "nosuch", &sn, &err);
	CHECK(r < 0 && err.code == ENOENT, "store_snapshot_get of a missing id: %s", err.msg);

	r = store_image_lookup(s, G.id, &img, &err);
	CHECK(r == 0 && img.snapshots == 1, "the image counts one snapshot");
	store_image_clear(&img);

	r = store_df(s, &df, &err);
	CHECK(r == 0 && df.snapshots == 1 && df.images_active == 1,
	      "df: one snapshot, one active image");
	{
		struct stat d, f;

		must(stat(p("root/snapshots/snap1/merged"), &d) == 0 &&
			 stat(p("root/snapshots/snap1/merged/layer-one.txt"), &f) == 0,
		     "stat merged");
		CHECK(df.snapshots_size == (uint64_t)(d.st_size + f.st_size),
		      "df: snapshot size is its copy (%llu)",
		      (unsigned long long)df.snapshots_size);
	}
	CHECK(df.images_reclaimable == 0, "df: nothing reclaimable (%llu)",
	      (unsigned long long)df.images_reclaimable);

	must(store_lock(s, LOCK_EX, &err) == 0, "store_lock EX");
	r = store_snapshot_create(s, "x", "snap-locked", NULL, &err);
	/* KNOWN BUG: store_snapshot_create takes LOCK_SH over whatever the caller
	 * held and, as prev != 0, leaves it there: a caller holding LOCK_EX
	 * silently loses its exclusive lock. */
	CHECK(r == 0 && s->lockmode == LOCK_EX,
	      "KNOWN BUG: snapshot create under an exclusive lock keeps it exclusive (lockmode "
	      "%d): %s",
	      s->lockmode, r ? err.msg : "ok");
	store_unlock(s);
	if (r == 0)
		must(store_snapshot_remove(s, "snap-locked", &err) == 0, "remove snap-locked");

	r = store_snapshot_create(s, "x", "snap1", NULL, &err);
	CHECK(r < 0 && err.code == EEXIST && has(&err, "already exists"), "duplicate id: %s",
	      err.msg);
	CHECK(exists(p("root/snapshots/snap1/merged/layer-one.txt")),
	      "a refused duplicate leaves the first alone");
	r = store_snapshot_create(s, "nosuch", "snap2", NULL, &err);
	CHECK(r < 0 && err.code == ENOENT && !exists(p("root/snapshots/snap2")),
	      "a snapshot of a missing image is refused and leaves nothing: %s", err.msg);

	static const char *const bad[] = { "", ".hidden", "a/b", "..", "../x", "a b", "a:b", "é" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		r = store_snapshot_create(s, "x", bad[i], NULL, &err);
		CHECK(r < 0 && err.code == EINVAL && has(&err, "invalid snapshot id"),
		      "snapshot id \"%s\" refused: %s", bad[i], err.msg);
		r = store_snapshot_remove(s, bad[i], &err);
		CHECK(r < 0 && err.code == EINVAL, "remove of \"%s\" refused: %s", bad[i], err.msg);
	}
	id64 = xmalloc(66);
	memset(id64, 'a', 65);
	id64[65] = '\0';
	r = store_snapshot_create(s, "x", id64, NULL, &err);
	CHECK(r < 0 && err.code == EINVAL, "a 65-character id is refused");
	id64[64] = '\0';
	r = store_snapshot_create(s, "x", id64, NULL, &err);
	CHECK(r == 0, "a 64-character id is fine: %s", r ? err.msg : "ok");
	r = store_snapshot_remove(s, id64, &err);
	CHECK(r == 0 && !exists(p("root/snapshots/%s", id64)), "and removable");

	r = store_image_remove(s, G.id, false, &rm, &err);
	CHECK(r < 0 && err.code == EBUSY && has(&err, "snapshot"),
	      "rmi by id of an image a snapshot uses: %s", err.msg);
	store_removed_clear(&rm);
	r = store_image_remove(s, "x", false, &rm, &err);
	CHECK(r < 0 && err.code == EBUSY, "rmi by its only name: %s", err.msg);
	store_removed_clear(&rm);
	CHECK(image_exists(s, "x"), "the image and its name stay");

	r = store_snapshot_remove(s, "snap1", &err);
	CHECK(r == 0, "store_snapshot_remove: %s", r ? err.msg : "ok");
	CHECK(!exists(p("root/snapshots/snap1")), "the snapshot directory is gone");
	r = store_snapshot_remove(s, "snap1", &err);
	CHECK(r < 0 && err.code == ENOENT, "removing it again: %s", err.msg);
}

static bool mounted_at(const char *path)
{
	struct mountinfo mi = { 0 };
	struct berth_err err = { 0 };
	bool found = false;

	must(mountinfo_read(NULL, &mi, &err) == 0, "read mountinfo");
	for (size_t i = 0; i < mi.n; i++)
		if (strcmp(mi.v[i].point, path) == 0)
			found = true;
	mountinfo_free(&mi);
	return found;
}

static void test_snapshots_overlay(void)
{
	struct berth_err err = { 0 };
	struct store *s = NULL;
	struct store_snapshot sn = { 0 };
	autofree char *content = NULL;
	autofree char *merged = NULL;
	size_t len = 0;
	int r;

	if (geteuid() != 0 || snapshot_driver_detect() != SNAPSHOT_OVERLAY) {
		printf("# skip overlay snapshots: needs root and overlayfs\n");
		return;
	}
	must(store_open(root, "overlay", &s, &err) == 0, "store_open overlay");
	r = store_snapshot_create(s, "x", "ov1", &sn, &err);
	CHECK(r == 0, "overlay snapshot of x: %s", r ? err.msg : "ok");
	if (r < 0) {
		store_close(s);
		return;
	}
	merged = xstrdup(sn.mountpoint);
	CHECK_STR(sn.driver, "overlay", "snapshot driver");
	store_snapshot_clear(&sn);
	CHECK(mounted_at(merged), "merged is a mount point in /proc/self/mountinfo");
	r = fs_read_file(p("root/snapshots/ov1/merged/layer-one.txt"), 4096, &content, &len, &err);
	CHECK(r == 0 && len == strlen(L1.name) && memcmp(content, L1.name, len) == 0,
	      "merged shows the layer's file");
	r = put(p("root/snapshots/ov1/merged/new.txt"), "new");
	CHECK(r == 0 && exists(p("root/snapshots/ov1/upper/new.txt")) &&
		  !exists(p("root/layers/%s/new.txt", digest_hex(G.chain[0]))),
	      "a write lands in upper, not in the layer");
	r = store_snapshot_mount(s, "ov1", &err);
	CHECK(r == 0, "store_snapshot_mount of a mounted snapshot is a no-op: %s",
	      r ? err.msg : "ok");
	r = store_snapshot_remove(s, "ov1", &err);
	CHECK(r == 0, "store_snapshot_remove: %s", r ? err.msg : "ok");
	CHECK(!mounted_at(merged), "it is unmounted");
	CHECK(!exists(p("root/snapshots/ov1")), "its directory is gone");
	CHECK(exists(p("root/layers/%s/layer-one.txt", digest_hex(G.chain[0]))),
	      "the layer is intact");
	store_close(s);
}

static void test_remove_last(struct store *s)
{
	struct berth_err err = { 0 };
	struct store_removed rm = { 0 };
	struct store_image *imgs = NULL;
	struct store_df df;
	size_t n = 0;
	int r;

	r = store_image_remove(s, "x", false, &rm, &err);
	CHECK(r == 0 && strv_len(rm.deleted) == 1 && strv_len(rm.untagged) == 1,
	      "once no snapshot uses it, rmi x deletes G: %s", r ? err.msg : "ok");
	store_removed_clear(&rm);
	CHECK(!exists(blob_file(G.blob[0])) && !exists(layer_dir(G.chain[0])),
	      "the last image's layer blob and directory are gone");
	r = store_image_list(s, &imgs, &n, &err);
	CHECK(r == 0 && n == 0, "the store is empty (%zu)", n);
	store_images_free(imgs, n);
	r = store_df(s, &df, &err);
	CHECK(r == 0 && df.images == 0 && df.layers == 0 && df.blobs == 0 && df.images_size == 0,
	      "df of an empty store");
	{
		autoclose int bfd =
		    open(p("root/blobs/sha256"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		autoclose int lfd = open(p("root/layers"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		CHECK(count_entries(bfd) == 0 && count_entries(lfd) == 0,
		      "no blob or layer left on disk");
	}
}

int main(void)
{
	struct berth_err err = { 0 };
	struct store *s = NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	must(mkdtemp(tmp) != NULL, "mkdtemp");
	root = xasprintf("%s/root", tmp);

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
	test_snapshots_vfs(s);
	test_snapshots_overlay();
	test_remove_last(s);
	store_close(s);
	cleanup();
	return TEST_DONE();
}
