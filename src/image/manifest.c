#include "image/manifest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/human.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

static const char *const layer_types[] = {
	MT_OCI_LAYER,
	MT_OCI_LAYER_GZIP,
	MT_OCI_LAYER_ZSTD,
	MT_DOCKER_LAYER,
	MT_DOCKER_LAYER_GZIP,
	/* deprecated by OCI, still written by old tools; the content is the same */
	"application/vnd.oci.image.layer.nondistributable.v1.tar",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

bool media_type_is_layer(const char *mt)
{
	return in_list(mt, layer_types, ARRAY_SIZE(layer_types));
}

bool media_type_is_manifest(const char *mt)
{
	static const char *const t[] = { MT_OCI_MANIFEST, MT_DOCKER_MANIFEST };

	return in_list(mt, t, ARRAY_SIZE(t));
}

bool media_type_is_index(const char *mt)
{
	static const char *const t[] = { MT_OCI_INDEX, MT_DOCKER_LIST };

	return in_list(mt, t, ARRAY_SIZE(t));
}

void descriptor_clear(struct descriptor *d)
{
	free(d->media_type);
	free(d->ref_name);
	free(d->image_name);
	free(d->os);
	free(d->arch);
	free(d->variant);
	memset(d, 0, sizeof(*d));
}

void manifest_clear(struct manifest *m)
{
	free(m->media_type);
	descriptor_clear(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		descriptor_clear(&m->layers[i]);
	free(m->layers);
	memset(m, 0, sizeof(*m));
}

void image_index_clear(struct image_index *ix)
{
	free(ix->media_type);
	for (size_t i = 0; i < ix->n; i++)
		descriptor_clear(&ix->manifests[i]);
	free(ix->manifests);
	memset(ix, 0, sizeof(*ix));
}

static char *dup_opt(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static int descriptor_parse(json_object *o, const char *what, const char *path,
			    struct descriptor *d, struct berth_err *err)
{
	const char *mt = NULL, *digest = NULL, *s = NULL;
	json_object *ann = NULL, *plat = NULL;
	autofree char *sub = NULL;

	if (!json_object_is_type(o, json_type_object))
		return berth_err_set(err, 0, "%s: %s: not an object", what, path);
	if (json_get_string(o, "mediaType", path, &mt, err) < 0 ||
	    json_get_string(o, "digest", path, &digest, err) < 0 ||
	    json_get_int64(o, "size", path, &d->size, err) < 0)
		return berth_err_wrap(err, "%s", what);
	if (digest == NULL)
		return berth_err_set(err, 0, "%s: %s.digest is missing", what, path);
	if (digest_validate(digest, err) < 0)
		return berth_err_wrap(err, "%s: %s.digest", what, path);
	if (d->size < 0)
		return berth_err_set(err, 0, "%s: %s.size is negative", what, path);
	snprintf(d->digest, sizeof(d->digest), "%s", digest);
	d->media_type = dup_opt(mt);
	if (json_get_object(o, "annotations", path, &ann, err) < 0)
		return berth_err_wrap(err, "%s", what);
	if (ann != NULL) {
		sub = xasprintf("%s.annotations", path);
		if (json_get_string(ann, ANNOTATION_REF_NAME, sub, &s, err) < 0)
			return berth_err_wrap(err, "%s", what);
		d->ref_name = dup_opt(s);
		s = NULL;
		if (json_get_string(ann, ANNOTATION_IMAGE_NAME, sub, &s, err) < 0)
			return berth_err_wrap(err, "%s", what);
		d->image_name = dup_opt(s);
	}
	if (json_get_object(o, "platform", path, &plat, err) < 0)
		return berth_err_wrap(err, "%s", what);
	if (plat != NULL) {
		const char *os = NULL, *arch = NULL, *variant = NULL;

		free(sub);
		sub = xasprintf("%s.platform", path);
		if (json_get_string(plat, "os", sub, &os, err) < 0 ||
		    json_get_string(plat, "architecture", sub, &arch, err) < 0 ||
		    json_get_string(plat, "variant", sub, &variant, err) < 0)
			return berth_err_wrap(err, "%s", what);
		d->os = dup_opt(os);
		d->arch = dup_opt(arch);
		d->variant = dup_opt(variant);
	}
	return 0;
}

/* What manifests and indexes begin with: a JSON object, schemaVersion 2,
 * an optional mediaType (*mt, NULL when absent). */
static int parse_document(const char *text, size_t len, const char *what, json_object **root,
			  const char **mt, struct berth_err *err)
{
	int64_t version = 0;

	if (json_parse_text(text, len, what, root, err) < 0)
		return -1;
	if (!json_object_is_type(*root, json_type_object))
		return berth_err_set(err, 0, "%s: not a JSON object", what);
	if (json_get_int64(*root, "schemaVersion", NULL, &version, err) < 0 ||
	    json_get_string(*root, "mediaType", NULL, mt, err) < 0)
		return berth_err_wrap(err, "%s", what);
	if (version != 2)
		return berth_err_set(err, 0, "%s: unsupported schemaVersion %lld", what,
				     (long long)version);
	return 0;
}

int manifest_parse(const char *text, size_t len, const char *what, struct manifest *out,
		   struct berth_err *err)
{
	autojson json_object *root = NULL;
	json_object *config = NULL, *layers = NULL;
	const char *mt = NULL;

	memset(out, 0, sizeof(*out));
	if (parse_document(text, len, what, &root, &mt, err) < 0)
		return -1;
	if (json_get_object(root, "config", NULL, &config, err) < 0 ||
	    json_get_array(root, "layers", NULL, &layers, err) < 0)
		return berth_err_wrap(err, "%s", what);
	if (mt == NULL)
		mt = MT_OCI_MANIFEST; /* optional in OCI manifests */
	if (!media_type_is_manifest(mt))
		return berth_err_set(err, 0, "%s: unknown manifest media type %s", what, mt);
	if (config == NULL)
		return berth_err_set(err, 0, "%s: config is missing", what);
	out->media_type = xstrdup(mt);
	if (descriptor_parse(config, what, "config", &out->config, err) < 0)
		goto fail;
	if (out->config.media_type == NULL ||
	    (strcmp(out->config.media_type, MT_OCI_CONFIG) != 0 &&
	     strcmp(out->config.media_type, MT_DOCKER_CONFIG) != 0)) {
		berth_err_set(err, 0, "%s: unknown config media type %s", what,
			      out->config.media_type ? out->config.media_type : "(none)");
		goto fail;
	}
	if (layers != NULL) {
		size_t n = json_object_array_length(layers);

		out->layers = xcalloc(n ? n : 1, sizeof(*out->layers));
		for (size_t i = 0; i < n; i++) {
			char path[32];

			snprintf(path, sizeof(path), "layers[%zu]", i);
			out->n_layers++;
			if (descriptor_parse(json_object_array_get_idx(layers, i), what, path,
					     &out->layers[i], err) < 0)
				goto fail;
			if (!media_type_is_layer(out->layers[i].media_type)) {
				berth_err_set(err, 0, "%s: layer %s: unknown media type %s", what,
					      out->layers[i].digest,
					      out->layers[i].media_type ? out->layers[i].media_type
									: "(none)");
				goto fail;
			}
		}
	}
	return 0;
fail:
	manifest_clear(out);
	return -1;
}

int image_index_parse(const char *text, size_t len, const char *what, struct image_index *out,
		      struct berth_err *err)
{
	autojson json_object *root = NULL;
	json_object *manifests = NULL;
	const char *mt = NULL;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (parse_document(text, len, what, &root, &mt, err) < 0)
		return -1;
	if (json_get_array(root, "manifests", NULL, &manifests, err) < 0)
		return berth_err_wrap(err, "%s", what);
	if (mt != NULL && !media_type_is_index(mt))
		return berth_err_set(err, 0, "%s: unknown index media type %s", what, mt);
	if (manifests == NULL)
		return berth_err_set(err, 0, "%s: manifests is missing", what);
	out->media_type = xstrdup(mt ? mt : MT_OCI_INDEX);
	n = json_object_array_length(manifests);
	out->manifests = xcalloc(n ? n : 1, sizeof(*out->manifests));
	for (size_t i = 0; i < n; i++) {
		char path[32];

		snprintf(path, sizeof(path), "manifests[%zu]", i);
		out->n++;
		if (descriptor_parse(json_object_array_get_idx(manifests, i), what, path,
				     &out->manifests[i], err) < 0) {
			image_index_clear(out);
			return -1;
		}
	}
	return 0;
}

int image_config_parse(json_object *cfg, const char *what, char ***diff_ids, int64_t *created,
		       struct berth_err *err)
{
	json_object *rootfs = NULL;
	const char *type = NULL, *when = NULL;
	autostrv char **ids = NULL;

	if (json_get_object(cfg, "rootfs", NULL, &rootfs, err) < 0)
		return berth_err_wrap(err, "%s", what);
	if (rootfs == NULL)
		return berth_err_set(err, 0, "%s: rootfs is missing", what);
	if (json_get_string(rootfs, "type", "rootfs", &type, err) < 0 ||
	    json_get_strv(rootfs, "diff_ids", "rootfs", &ids, err) < 0)
		return berth_err_wrap(err, "%s", what);
	if (type == NULL || strcmp(type, "layers") != 0)
		return berth_err_set(err, 0, "%s: rootfs.type is \"%s\", not \"layers\"", what,
				     type ? type : "");
	for (size_t i = 0; ids != NULL && ids[i] != NULL; i++)
		if (digest_validate(ids[i], err) < 0)
			return berth_err_wrap(err, "%s: rootfs.diff_ids[%zu]", what, i);
	*created = 0;
	if (json_get_string(cfg, "created", NULL, &when, err) < 0)
		return berth_err_wrap(err, "%s", what);
	if (when != NULL) {
		int64_t sec;
		long nsec;

		if (human_parse_rfc3339(when, &sec, &nsec, err) < 0)
			return berth_err_wrap(err, "%s: created", what);
		*created = sec;
	}
	if (ids == NULL)
		ids = xcalloc(1, sizeof(char *));
	*diff_ids = steal_ptr(ids);
	return 0;
}

const char *manifest_host_arch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__arm__)
	return "arm";
#elif defined(__i386__)
	return "386";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return "ppc64le";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64";
#else
	return "unknown";
#endif
}

bool descriptor_platform_matches(const struct descriptor *d)
{
	if (d->os == NULL && d->arch == NULL)
		return true;
	return d->os != NULL && strcmp(d->os, "linux") == 0 && d->arch != NULL &&
	       strcmp(d->arch, manifest_host_arch()) == 0;
}

/* Keys in the order Go's structs marshal them (containers/image, docker):
 * a Docker descriptor is mediaType, size, digest; an OCI one mediaType,
 * digest, size. Same order, same bytes, same digest as the peers. */
static json_object *descriptor_json(const struct descriptor *d, bool docker)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "mediaType", json_object_new_string(d->media_type));
	if (docker)
		json_object_object_add(o, "size", json_object_new_int64(d->size));
	json_object_object_add(o, "digest", json_object_new_string(d->digest));
	if (!docker)
		json_object_object_add(o, "size", json_object_new_int64(d->size));
	return o;
}

char *manifest_build(const char *media_type, const struct descriptor *config,
		     const struct descriptor *layers, size_t n)
{
	json_object *root = json_object_new_object();
	json_object *arr = json_object_new_array();
	bool docker = strcmp(media_type, MT_DOCKER_MANIFEST) == 0;
	char *text;

	json_object_object_add(root, "schemaVersion", json_object_new_int(2));
	json_object_object_add(root, "mediaType", json_object_new_string(media_type));
	json_object_object_add(root, "config", descriptor_json(config, docker));
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, descriptor_json(&layers[i], docker));
	json_object_object_add(root, "layers", arr);
	text = xstrdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
								JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return text;
}
