/* What the image store tests share (test-store.c, test-store-snapshot.c):
 * a scratch directory under /tmp holding the store under test, small file
 * helpers, and fake images committed by hand: configs and manifests staged
 * with store_stage_put, layers as directories written straight into the
 * stage. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/manifest.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/mountinfo.h"
#include "util/xalloc.h"

static char tmp[] = "/tmp/berth-store-XXXXXX";
static char *root; /* tmp/root: the store under test */

/* A path under the test directory, in a static buffer (one of eight). */
static inline const char *p(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline const char *p(const char *fmt, ...)
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
static inline void cleanup(void)
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

static inline void must(bool ok, const char *what)
{
	if (!ok) {
		printf("Bail out! %s: %s\n", what, strerror(errno));
		cleanup();
		exit(1);
	}
}

static inline bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Creates (or truncates) path with data; 0 or -1 with errno. */
static inline int put(const char *path, const char *data)
{
	autoclose int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(data);

	return fd >= 0 && write(fd, data, len) == (ssize_t)len ? 0 : -1;
}

static inline bool has(const struct berth_err *err, const char *needle)
{
	return strstr(err->msg, needle) != NULL;
}

/* Entries of a directory but . and .. */
static inline int count_entries(int dirfd)
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

/* Line-buffered output, the scratch directory and root under it; cleanup()
 * undoes it. */
static inline void fixtures_begin(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	must(mkdtemp(tmp) != NULL, "mkdtemp");
	root = xasprintf("%s/root", tmp);
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

static inline void layer_digest(const struct fake_layer *l, char out[DIGEST_STR_LEN + 1])
{
	digest_buf(l->name, strlen(l->name), out);
}

static inline char *config_text(const char *salt, const char *created,
				const struct fake_layer *layers, size_t n)
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

static inline void stage_layer_dir(struct store_stage *st, const char *chain, const char *name)
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
static inline int make_image(struct store *s, const char *salt, int64_t created,
			     const char *created_s, const struct fake_layer *layers, size_t n,
			     const char *tag, struct fake_image *out, struct berth_err *err)
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

static inline const char *blob_file(const char *digest)
{
	return p("root/blobs/sha256/%s", digest_hex(digest));
}

static inline const char *layer_dir(const char *chain)
{
	return p("root/layers/%s", digest_hex(chain));
}

static inline bool image_exists(struct store *s, const char *what)
{
	struct store_image img = { 0 };
	struct berth_err err = { 0 };
	bool found = store_image_lookup(s, what, &img, &err) == 0;

	store_image_clear(&img);
	return found;
}

static const struct fake_layer L1 = { "layer-one", 1000 };
static const struct fake_layer L2 = { "layer-two", 2000 };
static const struct fake_layer L3 = { "layer-three", 3000 };
