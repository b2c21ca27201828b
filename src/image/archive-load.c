/* berth load: docker-archive and OCI layout tars into the store.
 *
 * One pass over the archive streams every regular file into the staging
 * area, hashed as it passes (entries may come in any order: manifest.json
 * is often last). Then the manifests are read and checked against what
 * arrived, the layers not already in the store are unpacked in parallel,
 * each verified against its DiffID, and one commit makes it all visible. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/archive-internal.h"
#include "image/archive.h"
#include "image/layer.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* An image archive holds a few files per layer; more than this is an
 * attack on the staging area, not an image. */
#define ARCHIVE_MAX_ENTRIES 10000
#define ARCHIVE_MAX_NAME    1024
#define INDEX_MAX_DEPTH     4

void load_result_clear(struct load_result *r)
{
	strv_free(r->names);
	strv_free(r->ids);
	r->names = r->ids = NULL;
}

/* ---- reading the archive ---- */

/* "./a//b/" -> "a/b"; NULL for names that escape (absolute, ".."). */
static char *clean_name(const char *name)
{
	autofree char *out = xmalloc(strlen(name) + 1);
	char *o = out;
	const char *p = name;

	if (*p == '/')
		return NULL;
	while (*p != '\0') {
		const char *end = strchrnul(p, '/');
		size_t len = (size_t)(end - p);

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return NULL;
		if (len > 0 && !(len == 1 && p[0] == '.')) {
			if (o != out)
				*o++ = '/';
			memcpy(o, p, len);
			o += len;
		}
		p = *end == '/' ? end + 1 : end;
	}
	*o = '\0';
	return steal_ptr(out);
}

/* A symlink's target relative to the directory of the link. */
static char *resolve_link(const char *entry, const char *target)
{
	const char *slash = strrchr(entry, '/');
	autofree char *joined = NULL;
	autostrv char **parts = NULL;
	autofree char *copy = NULL;
	size_t n = 0;
	char *tok, *save = NULL, *out;

	if (target[0] == '/')
		joined = xstrdup(target + 1);
	else if (slash != NULL)
		joined = xasprintf("%.*s/%s", (int)(slash - entry), entry, target);
	else
		joined = xstrdup(target);
	copy = xstrdup(joined);
	for (tok = strtok_r(copy, "/", &save); tok != NULL; tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			if (n == 0)
				return NULL;
			free(parts[--n]);
			parts[n] = NULL;
			continue;
		}
		strv_push(&parts, tok);
		n++;
	}
	out = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *next = xasprintf("%s%s%s", out, i ? "/" : "", parts[i]);

		free(out);
		out = next;
	}
	return out;
}

static struct entry *find_entry(struct loader *l, const char *name)
{
	autofree char *clean = clean_name(name);

	for (int depth = 0; clean != NULL && depth < 8; depth++) {
		struct entry *e = NULL;

		for (size_t i = 0; i < l->n; i++)
			if (strcmp(l->entries[i].name, clean) == 0)
				e = &l->entries[i];
		if (e == NULL || e->link == NULL)
			return e;
		free(clean);
		clean = xstrdup(e->link);
	}
	return NULL;
}

static enum entry_kind sniff(const unsigned char *p, size_t len)
{
	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return ENTRY_COMPRESSED;
	if (len >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return ENTRY_COMPRESSED;
	if (len >= 262 && memcmp(p + 257, "ustar", 5) == 0)
		return ENTRY_TAR;
	return ENTRY_OTHER;
}

static int stream_entry(struct loader *l, struct archive *a, struct entry *e, struct berth_err *err)
{
	struct blob_writer w;
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	if (blob_writer_begin(&l->st, &w, err) < 0)
		return -1;
	while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
		if (w.size == 0 && len > 0)
			e->kind = sniff(buf, len);
		if ((uint64_t)off != w.size) {
			blob_writer_abort(&w);
			return berth_err_set(err, 0, "entry \"%s\": sparse files are not blobs",
					     e->name);
		}
		if (blob_writer_write(&w, buf, len, err) < 0) {
			blob_writer_abort(&w);
			return -1;
		}
	}
	if (r != ARCHIVE_EOF) {
		blob_writer_abort(&w);
		return berth_err_set(err, 0, "entry \"%s\": %s", e->name, archive_error_string(a));
	}
	e->size = w.size;
	if (blob_writer_finish(&w, NULL, e->digest, err) < 0)
		return -1;
	if (e->kind != ENTRY_OTHER)
		early_submit(l, e);
	return 0;
}

static int read_entries(struct loader *l, int fd, struct berth_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	int r, ret = -1;

	/* The compressions docker load reads, all in-process: filter_all could
	 * start external programs (lrzip, lzop) on untrusted input. */
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
		berth_err_set(err, 0, "%s", archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		const char *raw = archive_entry_pathname(ae);
		mode_t type = archive_entry_filetype(ae);
		struct entry *e;
		char *name;

		if (raw == NULL || strlen(raw) > ARCHIVE_MAX_NAME) {
			berth_err_set(err, 0, "entry \"%.100s...\": name longer than %d bytes",
				      raw ? raw : "", ARCHIVE_MAX_NAME);
			goto out;
		}
		if (l->n >= ARCHIVE_MAX_ENTRIES) {
			berth_err_set(err, 0, "more than %d entries: not an image archive",
				      ARCHIVE_MAX_ENTRIES);
			goto out;
		}
		name = clean_name(raw);
		if (name == NULL) {
			berth_err_set(err, 0, "entry \"%s\": path escapes the archive", raw);
			goto out;
		}
		if (type == AE_IFDIR || name[0] == '\0') {
			free(name);
			continue;
		}
		l->entries = xreallocarray(l->entries, l->n + 1, sizeof(*l->entries));
		e = &l->entries[l->n++];
		memset(e, 0, sizeof(*e));
		e->name = name;
		if (archive_entry_hardlink(ae) != NULL) {
			e->link = clean_name(archive_entry_hardlink(ae));
		} else if (type == AE_IFLNK) {
			e->link = resolve_link(name, archive_entry_symlink(ae));
		} else if (type == AE_IFREG) {
			if (stream_entry(l, a, e, err) < 0)
				goto out;
			continue;
		} else {
			berth_err_set(err, 0, "entry \"%s\": not a file, directory or link", name);
			goto out;
		}
		if (e->link == NULL) {
			berth_err_set(err, 0, "entry \"%s\": link escapes the archive", name);
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		berth_err_set(err, 0, "%s", archive_error_string(a));
		goto out;
	}
	if (l->n == 0) {
		berth_err_set(err, 0, "empty archive");
		goto out;
	}
	ret = 0;
out:
	archive_read_free(a);
	return ret;
}

static int read_small(struct loader *l, const struct entry *e, char **text, size_t *len,
		      struct berth_err *err)
{
	autoclose int fd = -1;

	if (e->size > MANIFEST_MAX)
		return berth_err_set(err, EFBIG, "%s: larger than %u bytes", e->name, MANIFEST_MAX);
	fd = store_stage_blob_open(&l->st, e->digest, err);
	if (fd < 0)
		return -1;
	if (fs_read_fd(fd, MANIFEST_MAX, text, len, err) < 0)
		return berth_err_wrap(err, "%s", e->name);
	return 0;
}

/* ---- turning manifests into new images ---- */

/* An OCI blob by digest: must be in the archive, with the right content. */
static struct entry *oci_blob(struct loader *l, const char *digest, const char *owner,
			      struct berth_err *err)
{
	autofree char *path = xasprintf("blobs/sha256/%s", digest_hex(digest));
	struct entry *e = find_entry(l, path);

	if (e == NULL) {
		berth_err_set(err, ENOENT, "%s names blob %s, which is not in the archive", owner,
			      digest);
		return NULL;
	}
	if (strcmp(e->digest, digest) != 0) {
		berth_err_set(err, 0, "blob %s: digest mismatch, content hashes to %s", digest,
			      e->digest);
		return NULL;
	}
	return e;
}

static void new_image_clear(struct store_new_image *img)
{
	for (size_t i = 0; i < img->n_layers; i++)
		free(img->layers[i].media_type);
	free(img->layers);
	free(img->manifest_media_type);
	strv_free(img->tags);
	memset(img, 0, sizeof(*img));
}

static struct store_new_image *find_image(struct loader *l, const char *id)
{
	for (size_t i = 0; i < l->n_imgs; i++)
		if (strcmp(l->imgs[i].id, id) == 0)
			return &l->imgs[i];
	return NULL;
}

static int add_tag(struct store_new_image *img, const char *name, struct berth_err *err)
{
	struct image_ref ref = { 0 };
	autofree char *repo = NULL;
	char *full;

	if (image_ref_parse(name, &ref, err) < 0)
		return -1;
	if (ref.tag == NULL) {
		image_ref_free(&ref);
		return 0; /* a digest alone names content, not a tag */
	}
	repo = image_ref_repo(&ref);
	full = xasprintf("%s:%s", repo, ref.tag);
	image_ref_free(&ref);
	if (strv_contains(img->tags, full))
		free(full);
	else
		strv_push_take(&img->tags, full);
	return 0;
}

/* Checks the config against the layers and fills in DiffIDs and chain ids. */
static int add_image(struct loader *l, const char *manifest, const char *manifest_mt,
		     const struct entry *config, const struct descriptor *layers, size_t n,
		     char *const *tags, struct berth_err *err)
{
	autofree char *text = NULL;
	autofree char *what = xasprintf("image config %s", config->digest);
	autojson json_object *cfg = NULL;
	autostrv char **diff_ids = NULL;
	struct store_new_image img = { 0 }, *old;
	const char *parent = NULL;
	size_t len;

	if (read_small(l, config, &text, &len, err) < 0)
		return berth_err_wrap(err, "%s", what);
	/* Every string of the config (Env, Cmd, Labels, ...), keys too, is
	 * checked for NUL bytes here, before anything is stored. */
	if (json_parse_text(text, len, what, &cfg, err) < 0)
		return -1;
	if (!json_object_is_type(cfg, json_type_object))
		return berth_err_set(err, 0, "image config %s: not a JSON object", config->digest);
	if (image_config_parse(cfg, config->digest, &diff_ids, &img.created, err) < 0)
		return berth_err_wrap(err, "image config");
	if (strv_len(diff_ids) != n)
		return berth_err_set(err, 0,
				     "image config %s lists %zu layers (rootfs.diff_ids) but its "
				     "manifest has %zu",
				     config->digest, strv_len(diff_ids), n);
	snprintf(img.id, sizeof(img.id), "%s", config->digest);
	snprintf(img.manifest, sizeof(img.manifest), "%s", manifest);
	img.manifest_media_type = xstrdup(manifest_mt);
	img.layers = xcalloc(n ? n : 1, sizeof(*img.layers));
	img.n_layers = n;
	for (size_t i = 0; i < n; i++) {
		struct store_new_layer *nl = &img.layers[i];

		snprintf(nl->blob, sizeof(nl->blob), "%s", layers[i].digest);
		nl->media_type = xstrdup(layers[i].media_type);
		nl->blob_size = (uint64_t)layers[i].size;
		snprintf(nl->diff_id, sizeof(nl->diff_id), "%s", diff_ids[i]);
		store_chain_id(parent, diff_ids[i], nl->chain_id);
		parent = nl->chain_id;
	}
	for (size_t i = 0; tags != NULL && tags[i] != NULL; i++)
		if (add_tag(&img, tags[i], err) < 0) {
			new_image_clear(&img);
			return -1;
		}
	old = find_image(l, img.id);
	if (old != NULL) {
		/* The same image twice (two names in an index): merge names. */
		for (size_t i = 0; img.tags != NULL && img.tags[i] != NULL; i++)
			if (!strv_contains(old->tags, img.tags[i]))
				strv_push(&old->tags, img.tags[i]);
		new_image_clear(&img);
		return 0;
	}
	l->imgs = xreallocarray(l->imgs, l->n_imgs + 1, sizeof(*l->imgs));
	l->imgs[l->n_imgs++] = img;
	return 0;
}

static int check_layer_blob(const struct descriptor *d, const struct entry *e,
			    struct berth_err *err)
{
	if ((uint64_t)d->size != e->size)
		return berth_err_set(err, 0, "blob %s: size %llu, but the manifest says %lld",
				     d->digest, (unsigned long long)e->size, (long long)d->size);
	return 0;
}

static int load_oci_manifest(struct loader *l, const struct descriptor *d, char *const *tags,
			     int depth, struct berth_err *err);

static int load_oci_index(struct loader *l, const char *text, size_t len, const char *what,
			  char *const *tags, int depth, struct berth_err *err)
{
	struct image_index ix;
	int r = 0;
	bool any = false;

	if (image_index_parse(text, len, what, &ix, err) < 0)
		return -1;
	for (size_t i = 0; i < ix.n && r == 0; i++) {
		struct descriptor *d = &ix.manifests[i];
		autostrv char **names = strv_dup(tags);

		if (depth > 0 && !descriptor_platform_matches(d))
			continue;
		/* A nested index picks one platform; the top one loads all. */
		if (depth > 0 && any)
			break;
		if (d->image_name != NULL)
			strv_push(&names, d->image_name);
		else if (d->ref_name != NULL &&
			 (strchr(d->ref_name, '/') || strchr(d->ref_name, ':')))
			strv_push(&names, d->ref_name);
		r = load_oci_manifest(l, d, names, depth, err);
		any = true;
	}
	if (r == 0 && !any)
		r = berth_err_set(err, 0, "%s: no manifest for linux/%s", what,
				  manifest_host_arch());
	image_index_clear(&ix);
	return r;
}

static int load_oci_manifest(struct loader *l, const struct descriptor *d, char *const *tags,
			     int depth, struct berth_err *err)
{
	autofree char *text = NULL;
	autofree char *owner = xasprintf("manifest %s", d->digest);
	struct entry *e, *cfg;
	struct manifest m;
	size_t len;
	int r = -1;

	if (d->media_type != NULL && !media_type_is_manifest(d->media_type) &&
	    !media_type_is_index(d->media_type))
		return berth_err_set(err, 0, "index entry %s: unknown media type %s", d->digest,
				     d->media_type);
	e = oci_blob(l, d->digest, "index.json", err);
	if (e == NULL)
		return -1;
	if ((uint64_t)d->size != e->size)
		return berth_err_set(err, 0, "blob %s: size %llu, but the index says %lld",
				     d->digest, (unsigned long long)e->size, (long long)d->size);
	if (read_small(l, e, &text, &len, err) < 0)
		return -1;
	if (d->media_type != NULL && media_type_is_index(d->media_type)) {
		if (depth >= INDEX_MAX_DEPTH)
			return berth_err_set(err, 0, "index %s: nested too deep", d->digest);
		return load_oci_index(l, text, len, owner, tags, depth + 1, err);
	}
	if (manifest_parse(text, len, owner, &m, err) < 0)
		return -1;
	cfg = oci_blob(l, m.config.digest, owner, err);
	if (cfg == NULL)
		goto out;
	for (size_t i = 0; i < m.n_layers; i++) {
		struct entry *le = oci_blob(l, m.layers[i].digest, owner, err);

		if (le == NULL || check_layer_blob(&m.layers[i], le, err) < 0)
			goto out;
	}
	r = add_image(l, d->digest, m.media_type, cfg, m.layers, m.n_layers, tags, err);
out:
	manifest_clear(&m);
	return r;
}

static int load_oci(struct loader *l, struct berth_err *err)
{
	struct entry *layout = find_entry(l, "oci-layout"), *index = find_entry(l, "index.json");
	autofree char *text = NULL;
	autojson json_object *o = NULL;
	const char *version = NULL;
	size_t len;

	if (read_small(l, layout, &text, &len, err) < 0 ||
	    json_parse_text(text, len, "oci-layout", &o, err) < 0 ||
	    !json_object_is_type(o, json_type_object) ||
	    json_get_string(o, "imageLayoutVersion", NULL, &version, err) < 0)
		return berth_err_wrap(err, "oci-layout");
	if (version == NULL || strncmp(version, "1.", 2) != 0)
		return berth_err_set(err, 0, "oci-layout: unsupported imageLayoutVersion %s",
				     version ? version : "(none)");
	free(text);
	text = NULL;
	if (read_small(l, index, &text, &len, err) < 0)
		return berth_err_wrap(err, "index.json");
	return load_oci_index(l, text, len, "index.json", NULL, 0, err);
}

/* A docker-archive layer file in zstd needs OCI's media types; docker's
 * schema 2 has none for it. */
static bool sniff_zstd(struct loader *l, const struct entry *e)
{
	unsigned char magic[4] = { 0 };
	struct berth_err ignored;
	autoclose int fd = store_stage_blob_open(&l->st, e->digest, &ignored);

	return fd >= 0 && read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
	       magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd;
}

static int load_docker_one(struct loader *l, json_object *item, size_t idx, struct berth_err *err)
{
	char path[48];
	const char *config_name = NULL;
	autostrv char **tags = NULL;
	autostrv char **layer_names = NULL;
	struct descriptor cfgd = { 0 };
	struct descriptor *layers = NULL;
	struct entry *cfg;
	autofree char *manifest = NULL;
	char manifest_digest[DIGEST_STR_LEN + 1];
	size_t n;
	bool any_zstd = false;
	int r = -1;

	snprintf(path, sizeof(path), "manifest.json[%zu]", idx);
	if (!json_object_is_type(item, json_type_object))
		return berth_err_set(err, 0, "%s: not an object", path);
	if (json_get_string(item, "Config", path, &config_name, err) < 0 ||
	    json_get_strv(item, "RepoTags", path, &tags, err) < 0 ||
	    json_get_strv(item, "Layers", path, &layer_names, err) < 0)
		return -1;
	if (config_name == NULL)
		return berth_err_set(err, 0, "%s.Config is missing", path);
	cfg = find_entry(l, config_name);
	if (cfg == NULL)
		return berth_err_set(err, ENOENT,
				     "manifest.json names config %s, which is not in the archive",
				     config_name);
	{
		/* "<hex>.json" and "blobs/sha256/<hex>" name their digest. */
		const char *base = strrchr(config_name, '/');
		char hex[DIGEST_HEX_LEN + 1];

		base = base ? base + 1 : config_name;
		snprintf(hex, sizeof(hex), "%s", base);
		if (digest_is_hex64(hex) && strcmp(hex, digest_hex(cfg->digest)) != 0)
			return berth_err_set(err, 0,
					     "config %s: digest mismatch, content hashes to %s",
					     config_name, cfg->digest);
	}
	n = strv_len(layer_names);
	layers = xcalloc(n ? n : 1, sizeof(*layers));
	for (size_t i = 0; i < n; i++) {
		struct entry *le = find_entry(l, layer_names[i]);
		bool zstd;

		if (le == NULL) {
			berth_err_set(err, ENOENT,
				      "manifest.json names layer %s, which is not in the archive",
				      layer_names[i]);
			goto out;
		}
		/* containers/image calls every docker-archive layer tar.gzip,
		 * compressed or not; so does Berth, to make the same manifest.
		 * Unpacking looks at the bytes, not the name. */
		zstd = sniff_zstd(l, le);
		layers[i].media_type = xstrdup(zstd ? MT_OCI_LAYER_ZSTD : MT_DOCKER_LAYER_GZIP);
		any_zstd |= zstd;
		snprintf(layers[i].digest, sizeof(layers[i].digest), "%s", le->digest);
		layers[i].size = (int64_t)le->size;
	}
	/* The manifest a docker-archive lacks is made as containers/image makes
	 * it (Docker schema 2), so skopeo and Berth agree on its digest; zstd
	 * layers need OCI's types. */
	cfgd.media_type = xstrdup(any_zstd ? MT_OCI_CONFIG : MT_DOCKER_CONFIG);
	snprintf(cfgd.digest, sizeof(cfgd.digest), "%s", cfg->digest);
	cfgd.size = (int64_t)cfg->size;
	manifest =
	    manifest_build(any_zstd ? MT_OCI_MANIFEST : MT_DOCKER_MANIFEST, &cfgd, layers, n);
	if (store_stage_put(&l->st, manifest, strlen(manifest), manifest_digest, err) < 0)
		goto out;
	r = add_image(l, manifest_digest, any_zstd ? MT_OCI_MANIFEST : MT_DOCKER_MANIFEST, cfg,
		      layers, n, tags, err);
out:
	descriptor_clear(&cfgd);
	for (size_t i = 0; i < n; i++)
		descriptor_clear(&layers[i]);
	free(layers);
	return r;
}

static int load_docker(struct loader *l, struct berth_err *err)
{
	struct entry *e = find_entry(l, "manifest.json");
	autofree char *text = NULL;
	autojson json_object *root = NULL;
	size_t len, n;

	if (read_small(l, e, &text, &len, err) < 0)
		return berth_err_wrap(err, "manifest.json");
	if (json_parse_text(text, len, "manifest.json", &root, err) < 0)
		return -1;
	if (!json_object_is_type(root, json_type_array))
		return berth_err_set(err, 0, "manifest.json: not a JSON array");
	n = json_object_array_length(root);
	if (n == 0)
		return berth_err_set(err, 0, "manifest.json: no images");
	for (size_t i = 0; i < n; i++)
		if (load_docker_one(l, json_object_array_get_idx(root, i), i, err) < 0)
			return -1;
	return 0;
}

/* ---- the whole load ---- */

int image_load(struct store *s, int in_fd, const char *what, struct load_result *res,
	       struct berth_err *err)
{
	struct loader l = { .s = s, .what = what };
	int r = -1;

	memset(res, 0, sizeof(*res));
	if (store_stage_begin(s, &l.st, err) < 0)
		return -1;
	if (read_entries(&l, in_fd, err) < 0)
		goto out;
	if (find_entry(&l, "index.json") != NULL && find_entry(&l, "oci-layout") != NULL)
		r = load_oci(&l, err);
	else if (find_entry(&l, "manifest.json") != NULL)
		r = load_docker(&l, err);
	else
		r = berth_err_set(err, 0,
				  "neither a docker-archive (no manifest.json) nor an OCI layout "
				  "(no oci-layout and index.json)");
	if (r < 0)
		goto out;
	r = -1;
	if (unpack_layers(&l, err) < 0 || store_stage_commit(&l.st, l.imgs, l.n_imgs, err) < 0)
		goto out;
	for (size_t i = 0; i < l.n_imgs; i++) {
		if (l.imgs[i].tags == NULL)
			strv_push(&res->ids, l.imgs[i].id);
		for (size_t j = 0; l.imgs[i].tags != NULL && l.imgs[i].tags[j] != NULL; j++)
			strv_push(&res->names, l.imgs[i].tags[j]);
	}
	r = 0;
out:
	if (r < 0)
		berth_err_wrap(err, "load %s", what);
	pool_free(&l);
	for (size_t i = 0; i < l.n_imgs; i++)
		new_image_clear(&l.imgs[i]);
	free(l.imgs);
	for (size_t i = 0; i < l.n; i++) {
		free(l.entries[i].name);
		free(l.entries[i].link);
	}
	free(l.entries);
	store_stage_end(&l.st);
	return r;
}
