/* berth save: images out of the store as a docker-archive or an OCI layout,
 * in one tar stream. Blobs are written as stored, so digests survive the
 * round trip; a docker-archive holds uncompressed layers (as docker and
 * containers/image expect), decompressed on the way out when stored
 * compressed. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/archive.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

int save_format_parse(const char *s, enum save_format *out, struct berth_err *err)
{
	if (s == NULL || strcmp(s, "docker-archive") == 0 || strcmp(s, "docker") == 0)
		*out = SAVE_DOCKER_ARCHIVE;
	else if (strcmp(s, "oci-archive") == 0 || strcmp(s, "oci") == 0)
		*out = SAVE_OCI_ARCHIVE;
	else
		return berth_err_set(err, EINVAL,
				     "unknown format \"%s\" (docker-archive or oci-archive)", s);
	return 0;
}

struct saver {
	struct store *s;
	struct archive *a;
	char **written; /* entry names already in the archive */
	time_t mtime;
};

static int ar_err(struct saver *sv, const char *name, struct berth_err *err)
{
	return berth_err_set(err, archive_errno(sv->a) > 0 ? archive_errno(sv->a) : 0,
			     "write %s: %s", name, archive_error_string(sv->a));
}

static int write_header(struct saver *sv, const char *name, mode_t type, int64_t size,
			struct berth_err *err)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_size(e, type == AE_IFDIR ? 0 : size);
	archive_entry_set_mtime(e, sv->mtime, 0);
	r = archive_write_header(sv->a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return ar_err(sv, name, err);
	strv_push(&sv->written, name);
	return 0;
}

static int write_all(struct saver *sv, const char *name, const void *buf, size_t len,
		     struct berth_err *err)
{
	const char *p = buf;

	while (len > 0) {
		la_ssize_t n = archive_write_data(sv->a, p, len);

		if (n <= 0)
			return ar_err(sv, name, err);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_mem(struct saver *sv, const char *name, const char *data, size_t len,
		     struct berth_err *err)
{
	if (write_header(sv, name, AE_IFREG, (int64_t)len, err) < 0)
		return -1;
	return write_all(sv, name, data, len, err);
}

static int write_dir(struct saver *sv, const char *name, struct berth_err *err)
{
	if (strv_contains(sv->written, name))
		return 0;
	return write_header(sv, name, AE_IFDIR, 0, err);
}

/* Copies a stored blob into the archive under name. */
static int write_blob(struct saver *sv, const char *name, const char *digest, struct berth_err *err)
{
	static char buf[1 << 17];
	autoclose int fd = -1;
	struct stat st;
	uint64_t left;

	if (strv_contains(sv->written, name))
		return 0;
	fd = store_blob_open(sv->s, digest, err);
	if (fd < 0 || fstat(fd, &st) < 0)
		return fd < 0 ? -1 : berth_err_set(err, errno, "blob %s", digest);
	if (write_header(sv, name, AE_IFREG, st.st_size, err) < 0)
		return -1;
	for (left = (uint64_t)st.st_size; left > 0;) {
		ssize_t n = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return berth_err_set(err, n < 0 ? errno : 0, "read blob %s%s", digest,
					     n == 0 ? ": shorter than it was" : "");
		if (write_all(sv, name, buf, (size_t)n, err) < 0)
			return -1;
		left -= (uint64_t)n;
	}
	return 0;
}

/* A layer's uncompressed tar, decompressed from its blob as it streams. */
static int write_layer_tar(struct saver *sv, const char *name, const struct store_layer *l,
			   struct berth_err *err)
{
	autoclose int fd = -1;
	struct archive *in = NULL;
	struct archive_entry *e;
	uint64_t total = 0;
	const void *buf;
	size_t len;
	la_int64_t off;
	int r, ret = -1;

	if (strv_contains(sv->written, name))
		return 0;
	if (strcmp(l->blob, l->diff_id) == 0)
		return write_blob(sv, name, l->blob, err);
	fd = store_blob_open(sv->s, l->blob, err);
	if (fd < 0)
		return -1;
	if (write_header(sv, name, AE_IFREG, (int64_t)l->tar_size, err) < 0)
		return -1;
	in = archive_read_new();
	archive_read_support_filter_gzip(in);
	archive_read_support_filter_zstd(in);
	archive_read_support_format_raw(in);
	if (archive_read_open_fd(in, fd, 1 << 16) != ARCHIVE_OK ||
	    archive_read_next_header(in, &e) != ARCHIVE_OK) {
		berth_err_set(err, 0, "layer %s: %s", l->blob, archive_error_string(in));
		goto out;
	}
	while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK) {
		if (total + len > l->tar_size) {
			berth_err_set(err, 0, "layer %s: longer than its recorded size", l->blob);
			goto out;
		}
		if (write_all(sv, name, buf, len, err) < 0)
			goto out;
		total += len;
	}
	if (r != ARCHIVE_EOF) {
		berth_err_set(err, 0, "layer %s: %s", l->blob, archive_error_string(in));
		goto out;
	}
	if (total != l->tar_size) {
		berth_err_set(err, 0, "layer %s: shorter than its recorded size", l->blob);
		goto out;
	}
	ret = 0;
out:
	archive_read_free(in);
	return ret;
}

/* What the user asked for, resolved: the image and the names it goes out
 * under. */
struct wanted {
	struct store_image img;
	char **names;
};

static int resolve(struct store *s, char *const *what, struct wanted **out, size_t *n,
		   struct berth_err *err)
{
	struct wanted *w = NULL;
	size_t count = 0;

	for (size_t i = 0; what[i] != NULL; i++) {
		struct store_image img;
		struct wanted *slot = NULL;
		struct image_ref ref = { 0 };
		struct berth_err perr;
		autofree char *name = NULL;

		if (store_image_lookup(s, what[i], &img, err) < 0)
			goto fail;
		/* By name: that name. By id: all of the image's names. */
		if (!digest_is_hex64(what[i]) && !digest_is_valid(what[i]) &&
		    image_ref_parse(what[i], &ref, &perr) == 0) {
			if (ref.tag != NULL) {
				autofree char *repo = image_ref_repo(&ref);

				name = xasprintf("%s:%s", repo, ref.tag);
				if (!strv_contains(img.tags, name))
					free(steal_ptr(
					    name)); /* an id prefix that parses as a name */
			}
			image_ref_free(&ref);
		}
		for (size_t j = 0; j < count; j++)
			if (strcmp(w[j].img.id, img.id) == 0)
				slot = &w[j];
		if (slot == NULL) {
			w = xreallocarray(w, count + 1, sizeof(*w));
			slot = &w[count++];
			slot->img = img;
			slot->names = NULL;
		} else {
			store_image_clear(&img);
		}
		if (name != NULL) {
			if (!strv_contains(slot->names, name))
				strv_push(&slot->names, name);
		} else {
			for (size_t j = 0; slot->img.tags != NULL && slot->img.tags[j] != NULL; j++)
				if (!strv_contains(slot->names, slot->img.tags[j]))
					strv_push(&slot->names, slot->img.tags[j]);
		}
	}
	*out = w;
	*n = count;
	return 0;
fail:
	for (size_t j = 0; j < count; j++) {
		store_image_clear(&w[j].img);
		strv_free(w[j].names);
	}
	free(w);
	return -1;
}

/* manifest.json of a docker-archive; tags in docker's short form. */
static int save_docker(struct saver *sv, struct wanted *w, size_t n, struct berth_err *err)
{
	autojson json_object *manifest = json_object_new_array();
	const char *text;

	for (size_t i = 0; i < n; i++) {
		json_object *item = json_object_new_object();
		json_object *tags = json_object_new_array();
		json_object *layers = json_object_new_array();
		autofree char *cfg = xasprintf("%s.json", digest_hex(w[i].img.id));

		json_object_array_add(manifest, item);
		if (write_blob(sv, cfg, w[i].img.id, err) < 0)
			return -1;
		json_object_object_add(item, "Config", json_object_new_string(cfg));
		/* Full names: docker normalises them on load, and podman would read
		 * a short "busybox:latest" as localhost/busybox. */
		for (size_t j = 0; w[i].names != NULL && w[i].names[j] != NULL; j++)
			json_object_array_add(tags, json_object_new_string(w[i].names[j]));
		json_object_object_add(item, "RepoTags", tags);
		for (size_t j = 0; j < w[i].img.n_layers; j++) {
			const struct store_layer *l = &w[i].img.layers[j];
			const char *hex = digest_hex(l->diff_id);
			autofree char *tar = xasprintf("%s/layer.tar", hex);

			if (write_dir(sv, hex, err) < 0 || write_layer_tar(sv, tar, l, err) < 0)
				return -1;
			json_object_array_add(layers, json_object_new_string(tar));
		}
		json_object_object_add(item, "Layers", layers);
	}
	text = json_object_to_json_string_ext(manifest, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE);
	return write_mem(sv, "manifest.json", text, strlen(text), err);
}

static int write_oci_blob(struct saver *sv, const char *digest, struct berth_err *err)
{
	autofree char *name = xasprintf("blobs/sha256/%s", digest_hex(digest));

	return write_blob(sv, name, digest, err);
}

static json_object *index_entry(const struct store_image *img, uint64_t size, const char *name)
{
	json_object *d = json_object_new_object();

	json_object_object_add(d, "mediaType", json_object_new_string(img->manifest_media_type));
	json_object_object_add(d, "digest", json_object_new_string(img->manifest));
	json_object_object_add(d, "size", json_object_new_int64((int64_t)size));
	if (name != NULL) {
		json_object *ann = json_object_new_object();

		json_object_object_add(ann, ANNOTATION_IMAGE_NAME, json_object_new_string(name));
		json_object_object_add(ann, ANNOTATION_REF_NAME, json_object_new_string(name));
		json_object_object_add(d, "annotations", ann);
	}
	return d;
}

static int save_oci(struct saver *sv, struct wanted *w, size_t n, struct berth_err *err)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	autojson json_object *index = json_object_new_object();
	json_object *manifests = json_object_new_array();
	const char *text;

	json_object_object_add(index, "schemaVersion", json_object_new_int(2));
	json_object_object_add(index, "mediaType", json_object_new_string(MT_OCI_INDEX));
	json_object_object_add(index, "manifests", manifests);
	if (write_mem(sv, "oci-layout", layout, strlen(layout), err) < 0 ||
	    write_dir(sv, "blobs", err) < 0 || write_dir(sv, "blobs/sha256", err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct store_image *img = &w[i].img;
		struct stat st;
		int fd;

		for (size_t j = 0; j < img->n_layers; j++)
			if (write_oci_blob(sv, img->layers[j].blob, err) < 0)
				return -1;
		if (write_oci_blob(sv, img->id, err) < 0 ||
		    write_oci_blob(sv, img->manifest, err) < 0)
			return -1;
		fd = store_blob_open(sv->s, img->manifest, err);
		if (fd < 0)
			return -1;
		if (fstat(fd, &st) < 0) {
			close(fd);
			return berth_err_set(err, errno, "blob %s", img->manifest);
		}
		close(fd);
		if (w[i].names == NULL)
			json_object_array_add(manifests,
					      index_entry(img, (uint64_t)st.st_size, NULL));
		for (size_t j = 0; w[i].names != NULL && w[i].names[j] != NULL; j++)
			json_object_array_add(
			    manifests, index_entry(img, (uint64_t)st.st_size, w[i].names[j]));
	}
	text = json_object_to_json_string_ext(index, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	return write_mem(sv, "index.json", text, strlen(text), err);
}

int image_save(struct store *s, char *const *names, enum save_format fmt, int out_fd,
	       struct berth_err *err)
{
	struct saver sv = { .s = s, .mtime = time(NULL) };
	struct wanted *w = NULL;
	size_t n = 0;
	int r = -1, prev = s->lockmode;

	if (names == NULL || names[0] == NULL)
		return berth_err_set(err, EINVAL, "no images to save");
	/* Shared: no gc may remove a blob while it is being copied out. */
	if (prev == 0 && store_lock(s, LOCK_SH, err) < 0)
		return -1;
	if (resolve(s, names, &w, &n, err) < 0)
		goto out;
	sv.a = archive_write_new();
	archive_write_set_format_pax_restricted(sv.a);
	archive_write_set_bytes_in_last_block(sv.a, 1);
	if (archive_write_open_fd(sv.a, out_fd) != ARCHIVE_OK) {
		berth_err_set(err, 0, "write archive: %s", archive_error_string(sv.a));
		goto out;
	}
	r = fmt == SAVE_OCI_ARCHIVE ? save_oci(&sv, w, n, err) : save_docker(&sv, w, n, err);
	if (r == 0 && archive_write_close(sv.a) != ARCHIVE_OK)
		r = ar_err(&sv, "archive", err);
out:
	if (sv.a != NULL)
		archive_write_free(sv.a);
	for (size_t i = 0; i < n; i++) {
		store_image_clear(&w[i].img);
		strv_free(w[i].names);
	}
	free(w);
	strv_free(sv.written);
	store_lock_restore(s, prev);
	return r;
}
