/* Manifests, indexes and configs (image/manifest.h) and the --change
 * instructions of berth import (image_config_change, image/archive.h):
 * valid OCI and Docker documents, each way a document can be wrong, the
 * byte-exact JSON manifest_build writes, and what each instruction does to a
 * config. Pure logic: no files, no root. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/archive.h"
#include "image/manifest.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HEX_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define HEX_D "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define D_CFG "sha256:" HEX_A
#define D_L1  "sha256:" HEX_B
#define D_L2  "sha256:" HEX_C
#define D_M   "sha256:" HEX_D

static bool has(const struct berth_err *err, const char *needle)
{
	return needle == NULL || strstr(err->msg, needle) != NULL;
}

static bool manifest_is_clear(const struct manifest *m)
{
	return m->media_type == NULL && m->layers == NULL && m->n_layers == 0 &&
	       m->config.media_type == NULL;
}

/* ---- manifest_parse ---- */

static const char oci_manifest[] =
    "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\","
    "\"config\":{\"mediaType\":\"" MT_OCI_CONFIG "\",\"digest\":\"" D_CFG "\",\"size\":1469},"
    "\"layers\":[{\"mediaType\":\"" MT_OCI_LAYER_GZIP "\",\"digest\":\"" D_L1 "\",\"size\":2"
    "},{\"mediaType\":\"" MT_OCI_LAYER "\",\"digest\":\"" D_L2 "\",\"size\":0,"
    "\"annotations\":{\"org.opencontainers.image.ref.name\":\"l2\"}}],"
    "\"annotations\":{\"a\":\"b\"}}";

static const char docker_manifest[] =
    "{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"" MT_DOCKER_MANIFEST "\",\n"
    "  \"config\": {\"mediaType\": \"" MT_DOCKER_CONFIG "\", \"size\": 7023, \"digest\": \"" D_CFG
    "\"},\n  \"layers\": [{\"mediaType\": \"" MT_DOCKER_LAYER_GZIP
    "\", \"size\": 32654, \"digest\": \"" D_L1 "\"}]\n}\n";

static void test_manifest_valid(void)
{
	struct berth_err err = { 0 };
	struct manifest m;
	static const char no_mt[] =
	    "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" MT_OCI_CONFIG
	    "\",\"digest\":\"" D_CFG "\",\"size\":3},\"layers\":[]}";
	int r;

	r = manifest_parse(oci_manifest, strlen(oci_manifest), "oci", &m, &err);
	CHECK(r == 0, "OCI manifest parses: %s", r ? err.msg : "ok");
	if (r == 0) {
		CHECK_STR(m.media_type, MT_OCI_MANIFEST, "OCI media type");
		CHECK_STR(m.config.media_type, MT_OCI_CONFIG, "OCI config media type");
		CHECK_STR(m.config.digest, D_CFG, "OCI config digest");
		CHECK(m.config.size == 1469, "OCI config size %lld", (long long)m.config.size);
		CHECK(m.n_layers == 2, "two layers (%zu)", m.n_layers);
		if (m.n_layers == 2) {
			CHECK_STR(m.layers[0].media_type, MT_OCI_LAYER_GZIP, "layer 0 media type");
			CHECK_STR(m.layers[0].digest, D_L1, "layer 0 digest");
			CHECK(m.layers[0].size == 2, "layer 0 size");
			CHECK_STR(m.layers[1].digest, D_L2, "layer 1 digest");
			CHECK(m.layers[1].size == 0, "layer 1 size 0 is fine");
			CHECK_STR(m.layers[1].ref_name, "l2", "layer annotations read");
		}
		manifest_clear(&m);
		CHECK(manifest_is_clear(&m), "manifest_clear clears");
	}

	r = manifest_parse(docker_manifest, strlen(docker_manifest), "docker", &m, &err);
	CHECK(r == 0, "Docker manifest (with whitespace) parses: %s", r ? err.msg : "ok");
	if (r == 0) {
		CHECK_STR(m.media_type, MT_DOCKER_MANIFEST, "Docker media type");
		CHECK_STR(m.config.media_type, MT_DOCKER_CONFIG, "Docker config media type");
		CHECK(m.config.size == 7023, "Docker config size");
		CHECK(m.n_layers == 1 && m.layers[0].size == 32654, "one Docker layer");
		CHECK_STR(m.n_layers ? m.layers[0].media_type : NULL, MT_DOCKER_LAYER_GZIP,
			  "Docker layer media type");
		manifest_clear(&m);
	}

	r = manifest_parse(no_mt, strlen(no_mt), "no-mt", &m, &err);
	CHECK(r == 0, "an OCI manifest without mediaType parses: %s", r ? err.msg : "ok");
	CHECK_STR(m.media_type, MT_OCI_MANIFEST, "and is taken as OCI");
	CHECK(m.n_layers == 0, "no layers");
	manifest_clear(&m);

	CHECK(media_type_is_layer(MT_OCI_LAYER_ZSTD) && media_type_is_layer(MT_DOCKER_LAYER) &&
		  !media_type_is_layer(MT_OCI_CONFIG) && !media_type_is_layer(NULL),
	      "media_type_is_layer");
	CHECK(media_type_is_manifest(MT_OCI_MANIFEST) &&
		  media_type_is_manifest(MT_DOCKER_MANIFEST) &&
		  !media_type_is_manifest(MT_OCI_INDEX),
	      "media_type_is_manifest");
	CHECK(media_type_is_index(MT_OCI_INDEX) && media_type_is_index(MT_DOCKER_LIST) &&
		  !media_type_is_index(MT_OCI_MANIFEST),
	      "media_type_is_index");
}

/* A manifest with the given config and layers parts. */
#define MANIFEST(version, mt, config, layers)                                                      \
	"{\"schemaVersion\":" version ",\"mediaType\":\"" mt "\"" config ",\"layers\":[" layers "]}"
#define CONFIG_OK                                                                                  \
	",\"config\":{\"mediaType\":\"" MT_OCI_CONFIG "\",\"digest\":\"" D_CFG "\",\"size\":3}"
#define LAYER_OK "{\"mediaType\":\"" MT_OCI_LAYER "\",\"digest\":\"" D_L1 "\",\"size\":5}"

static const struct {
	const char *what;
	const char *json;
	const char *want1, *want2;
} bad_manifests[] = {
	{ "schemaVersion 1", MANIFEST("1", MT_OCI_MANIFEST, CONFIG_OK, LAYER_OK),
	  "unsupported schemaVersion 1", NULL },
	{ "schemaVersion as a string", MANIFEST("\"2\"", MT_OCI_MANIFEST, CONFIG_OK, LAYER_OK),
	  "schemaVersion", NULL },
	{ "no schemaVersion", "{\"mediaType\":\"" MT_OCI_MANIFEST "\"" CONFIG_OK ",\"layers\":[]}",
	  "schemaVersion", NULL },
	{ "an index media type", MANIFEST("2", MT_OCI_INDEX, CONFIG_OK, LAYER_OK),
	  "unknown manifest media type", MT_OCI_INDEX },
	{ "an unknown media type", MANIFEST("2", "application/x-foo", CONFIG_OK, LAYER_OK),
	  "unknown manifest media type", "application/x-foo" },
	{ "missing config", MANIFEST("2", MT_OCI_MANIFEST, "", LAYER_OK), "config is missing",
	  NULL },
	{ "config not an object", MANIFEST("2", MT_OCI_MANIFEST, ",\"config\":[]", LAYER_OK),
	  "config", NULL },
	{ "config with an unknown media type",
	  MANIFEST("2", MT_OCI_MANIFEST,
		   ",\"config\":{\"mediaType\":\"application/x-cfg\",\"digest\":\"" D_CFG
		   "\",\"size\":3}",
		   LAYER_OK),
	  "unknown config media type", "application/x-cfg" },
	{ "config without a media type",
	  MANIFEST("2", MT_OCI_MANIFEST, ",\"config\":{\"digest\":\"" D_CFG "\",\"size\":3}",
		   LAYER_OK),
	  "unknown config media type", NULL },
	{ "a layer with an unknown media type",
	  MANIFEST("2", MT_OCI_MANIFEST, CONFIG_OK,
		   LAYER_OK ",{\"mediaType\":\"application/x-tarball\",\"digest\":\"" D_L2
			    "\",\"size\":1}"),
	  "application/x-tarball", D_L2 },
	{ "a layer with a config media type",
	  MANIFEST("2", MT_OCI_MANIFEST, CONFIG_OK,
		   "{\"mediaType\":\"" MT_OCI_CONFIG "\",\"digest\":\"" D_L2 "\",\"size\":1}"),
	  MT_OCI_CONFIG, D_L2 },
	{ "config digest sha256:xyz",
	  MANIFEST("2", MT_OCI_MANIFEST,
		   ",\"config\":{\"mediaType\":\"" MT_OCI_CONFIG
		   "\",\"digest\":\"sha256:xyz\",\"size\":3}",
		   LAYER_OK),
	  "sha256:xyz", "config.digest" },
	{ "layer digest md5",
	  MANIFEST("2", MT_OCI_MANIFEST, CONFIG_OK,
		   "{\"mediaType\":\"" MT_OCI_LAYER
		   "\",\"digest\":\"md5:d41d8cd98f00b204e9800998ecf8427e\",\"size\":1}"),
	  "md5", "layers[0].digest" },
	{ "uppercase digest",
	  MANIFEST(
	      "2", MT_OCI_MANIFEST, CONFIG_OK,
	      "{\"mediaType\":\"" MT_OCI_LAYER "\",\"digest\":\"sha256:"
	      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"size\":1}"),
	  "layers[0].digest", NULL },
	{ "missing layer digest",
	  MANIFEST("2", MT_OCI_MANIFEST, CONFIG_OK,
		   "{\"mediaType\":\"" MT_OCI_LAYER "\",\"size\":1}"),
	  "layers[0].digest is missing", NULL },
	{ "negative layer size",
	  MANIFEST("2", MT_OCI_MANIFEST, CONFIG_OK,
		   LAYER_OK ",{\"mediaType\":\"" MT_OCI_LAYER "\",\"digest\":\"" D_L2
			    "\",\"size\":-1}"),
	  "layers[1].size is negative", NULL },
	{ "negative config size",
	  MANIFEST("2", MT_OCI_MANIFEST,
		   ",\"config\":{\"mediaType\":\"" MT_OCI_CONFIG "\",\"digest\":\"" D_CFG
		   "\",\"size\":-3}",
		   LAYER_OK),
	  "config.size is negative", NULL },
	{ "size as a string",
	  MANIFEST("2", MT_OCI_MANIFEST, CONFIG_OK,
		   "{\"mediaType\":\"" MT_OCI_LAYER "\",\"digest\":\"" D_L1 "\",\"size\":\"5\"}"),
	  "size", NULL },
	{ "a layer that is not an object", MANIFEST("2", MT_OCI_MANIFEST, CONFIG_OK, "\"x\""),
	  "layers[0]", NULL },
	{ "layers not an array", "{\"schemaVersion\":2" CONFIG_OK ",\"layers\":{}}", "layers",
	  NULL },
	{ "a JSON array", "[1,2]", "not a JSON object", NULL },
	{ "a JSON string", "\"manifest\"", "not a JSON object", NULL },
	{ "truncated JSON", "{\"schemaVersion\":2,\"config\":{\"mediaType\":", "invalid JSON",
	  NULL },
	{ "empty input", "", "invalid JSON", NULL },
	{ "trailing garbage", MANIFEST("2", MT_OCI_MANIFEST, CONFIG_OK, LAYER_OK) "x",
	  "invalid JSON", NULL },
};

static void test_manifest_errors(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_manifests); i++) {
		struct berth_err err = { 0 };
		struct manifest m;
		const char *json = bad_manifests[i].json;
		int r;

		memset(&m, 0x5a, sizeof(m)); /* whatever was there is not freed */
		r = manifest_parse(json, strlen(json), "manifest " D_M, &m, &err);
		CHECK(r < 0 && has(&err, bad_manifests[i].want1) &&
			  has(&err, bad_manifests[i].want2),
		      "%s refused: %s", bad_manifests[i].what, err.msg);
		CHECK(r < 0 && has(&err, "manifest " D_M), "%s: the error names the document",
		      bad_manifests[i].what);
		if (r == 0)
			manifest_clear(&m);
		else
			CHECK(manifest_is_clear(&m), "%s: nothing left allocated in the result",
			      bad_manifests[i].what);
	}
}

/* The path in a type error names the field once. */
static void test_manifest_error_paths(void)
{
	static const struct {
		const char *json, *want, *doubled;
	} cases[] = {
		{ MANIFEST("\"2\"", MT_OCI_MANIFEST, CONFIG_OK, LAYER_OK),
		  "schemaVersion: expected", "schemaVersion.schemaVersion" },
		{ MANIFEST("2", MT_OCI_MANIFEST, ",\"config\":[]", LAYER_OK), "config: expected",
		  "config.config" },
		{ "{\"schemaVersion\":2" CONFIG_OK ",\"layers\":{}}", "layers: expected",
		  "layers.layers" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct berth_err err = { 0 };
		struct manifest m;
		int r = manifest_parse(cases[i].json, strlen(cases[i].json), "m", &m, &err);

		/* KNOWN BUG: manifest_parse passes the key as the path too
		 * (json_get_int64(root, "schemaVersion", "schemaVersion", ...)), so
		 * type errors read "m: schemaVersion.schemaVersion: expected an
		 * integer"; the path of a top-level key should be NULL. */
		CHECK(r < 0 && has(&err, cases[i].want) && !has(&err, cases[i].doubled),
		      "KNOWN BUG: the error names %s once: %s", cases[i].want, err.msg);
		if (r == 0)
			manifest_clear(&m);
	}
}

/* ---- indexes and platforms ---- */

static void test_index(void)
{
	static const char index[] =
	    "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\",\"manifests\":["
	    "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" D_M "\",\"size\":7,"
	    "\"annotations\":{\"" ANNOTATION_REF_NAME "\":\"1.0\",\"" ANNOTATION_IMAGE_NAME
	    "\":\"docker.io/library/x:1.0\",\"other\":\"ignored\"},"
	    "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}},"
	    "{\"mediaType\":\"" MT_DOCKER_MANIFEST "\",\"digest\":\"" D_L1 "\",\"size\":9}]}";
	static const char no_mt[] = "{\"schemaVersion\":2,\"manifests\":[]}";
	static const struct {
		const char *what, *json, *want;
	} bad[] = {
		{ "schemaVersion 1", "{\"schemaVersion\":1,\"manifests\":[]}",
		  "unsupported schemaVersion 1" },
		{ "a manifest media type",
		  "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\",\"manifests\":[]}",
		  "unknown index media type" },
		{ "no manifests", "{\"schemaVersion\":2}", "manifests is missing" },
		{ "a bad entry digest",
		  "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST
		  "\",\"digest\":\"sha256:xyz\",\"size\":1}]}",
		  "manifests[0].digest" },
		{ "a NUL in a ref.name annotation",
		  "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST
		  "\",\"digest\":\"" D_M "\",\"size\":1,\"annotations\":{\"" ANNOTATION_REF_NAME
		  "\":\"rt/bb\\u0000evil:latest\"}}]}",
		  "index.json: manifests[0].annotations." ANNOTATION_REF_NAME
		  ": contains a NUL byte" },
		{ "platform os not a string",
		  "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST
		  "\",\"digest\":\"" D_M "\",\"size\":1,\"platform\":{\"os\":7}}]}",
		  "manifests[0].platform" },
		{ "ref name not a string",
		  "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST
		  "\",\"digest\":\"" D_M "\",\"size\":1,\"annotations\":{\"" ANNOTATION_REF_NAME
		  "\":1}}]}",
		  "manifests[0].annotations" },
		{ "not an object", "[]", "not a JSON object" },
	};
	struct berth_err err = { 0 };
	struct image_index ix;
	int r;

	r = image_index_parse(index, strlen(index), "index.json", &ix, &err);
	CHECK(r == 0, "index parses: %s", r ? err.msg : "ok");
	if (r == 0) {
		CHECK_STR(ix.media_type, MT_OCI_INDEX, "index media type");
		CHECK(ix.n == 2, "two entries (%zu)", ix.n);
	}
	if (r == 0 && ix.n == 2) {
		const struct descriptor *d = &ix.manifests[0];

		CHECK_STR(d->media_type, MT_OCI_MANIFEST, "entry media type");
		CHECK_STR(d->digest, D_M, "entry digest");
		CHECK(d->size == 7, "entry size");
		CHECK_STR(d->ref_name, "1.0", "ref.name annotation");
		CHECK_STR(d->image_name, "docker.io/library/x:1.0", "containerd image name");
		CHECK_STR(d->os, "linux", "platform os");
		CHECK_STR(d->arch, "arm64", "platform architecture");
		CHECK_STR(d->variant, "v8", "platform variant");
		d = &ix.manifests[1];
		CHECK(d->ref_name == NULL && d->image_name == NULL && d->os == NULL &&
			  d->arch == NULL && d->variant == NULL,
		      "an entry without annotations or platform");
		CHECK(descriptor_platform_matches(d), "no platform suits any host");
	}
	if (r == 0)
		image_index_clear(&ix);

	r = image_index_parse(no_mt, strlen(no_mt), "index.json", &ix, &err);
	CHECK(r == 0 && ix.n == 0, "an empty index without mediaType: %s", r ? err.msg : "ok");
	CHECK_STR(ix.media_type, MT_OCI_INDEX, "taken as OCI");
	image_index_clear(&ix);

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		r = image_index_parse(bad[i].json, strlen(bad[i].json), "index.json", &ix, &err);
		CHECK(r < 0 && has(&err, bad[i].want) && has(&err, "index.json"),
		      "index with %s refused: %s", bad[i].what, err.msg);
		CHECK(ix.manifests == NULL && ix.n == 0 && ix.media_type == NULL,
		      "index with %s: nothing left allocated", bad[i].what);
		if (r == 0)
			image_index_clear(&ix);
	}
}

static void test_platform(void)
{
	const char *host = manifest_host_arch();
	const char *other = strcmp(host, "amd64") == 0 ? "arm64" : "amd64";
	struct descriptor d = { 0 };

	CHECK(strcmp(host, "unknown") != 0, "manifest_host_arch: %s", host);
#if defined(__x86_64__)
	CHECK_STR(host, "amd64", "x86_64 is amd64");
#endif
	CHECK(descriptor_platform_matches(&d), "no platform matches");
	d.os = (char *)"linux";
	d.arch = (char *)host;
	CHECK(descriptor_platform_matches(&d), "linux/%s matches", host);
	d.variant = (char *)"v8";
	CHECK(descriptor_platform_matches(&d), "a variant does not get in the way");
	d.variant = NULL;
	d.arch = (char *)other;
	CHECK(!descriptor_platform_matches(&d), "linux/%s does not", other);
	d.os = (char *)"windows";
	d.arch = (char *)host;
	CHECK(!descriptor_platform_matches(&d), "windows/%s does not", host);
	d.os = (char *)"linux";
	d.arch = NULL;
	CHECK(!descriptor_platform_matches(&d), "linux with no architecture does not");
}

/* ---- image_config_parse ---- */

static int config_parse(const char *text, char ***ids, int64_t *created, struct berth_err *err)
{
	json_object *cfg = json_tokener_parse(text);
	int r;

	if (cfg == NULL)
		return berth_err_set(err, 0, "test: bad JSON %s", text);
	r = image_config_parse(cfg, "config " D_CFG, ids, created, err);
	json_object_put(cfg);
	return r;
}

static void test_config_parse(void)
{
	struct berth_err err = { 0 };
	char **ids = NULL;
	int64_t created = -1;
	int r;
	static const struct {
		const char *what, *json, *want;
	} bad[] = {
		{ "rootfs.type \"foo\"",
		  "{\"rootfs\":{\"type\":\"foo\",\"diff_ids\":[\"" D_L1 "\"]}}", "rootfs.type" },
		{ "no rootfs.type", "{\"rootfs\":{\"diff_ids\":[]}}", "rootfs.type" },
		{ "no rootfs", "{\"config\":{}}", "rootfs is missing" },
		{ "rootfs not an object", "{\"rootfs\":[]}", "rootfs" },
		{ "a bad diff id",
		  "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D_L1 "\",\"sha256:xyz\"]}}",
		  "rootfs.diff_ids[1]" },
		{ "a sha512 diff id",
		  "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha512:" HEX_A HEX_A "\"]}}",
		  "sha512" },
		{ "a diff id not a string", "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[1]}}",
		  "diff_ids" },
		{ "a bad created time",
		  "{\"created\":\"yesterday\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
		  "created" },
	};

	r = config_parse("{\"architecture\":\"amd64\",\"created\":\"2024-05-01T12:00:00Z\","
			 "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D_L1 "\",\"" D_L2
			 "\"]}}",
			 &ids, &created, &err);
	CHECK(r == 0, "config parses: %s", r ? err.msg : "ok");
	CHECK(strv_len(ids) == 2, "two diff ids (%zu)", strv_len(ids));
	if (strv_len(ids) == 2) {
		CHECK_STR(ids[0], D_L1, "diff id 0");
		CHECK_STR(ids[1], D_L2, "diff id 1");
	}
	CHECK(created == 1714564800, "created parsed: %lld", (long long)created);
	strv_free(ids);
	ids = NULL;

	r = config_parse("{\"created\":\"2024-05-01T14:00:00.123456789+02:00\","
			 "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
			 &ids, &created, &err);
	CHECK(r == 0 && created == 1714564800, "created with a fraction and an offset: %lld %s",
	      (long long)created, r ? err.msg : "");
	CHECK(ids != NULL && ids[0] == NULL, "no diff ids: an empty vector");
	strv_free(ids);
	ids = NULL;

	created = -1;
	r = config_parse("{\"rootfs\":{\"type\":\"layers\"}}", &ids, &created, &err);
	CHECK(r == 0 && created == 0, "no created: 0 (%lld)", (long long)created);
	CHECK(ids != NULL && ids[0] == NULL, "no diff_ids: an empty vector");
	strv_free(ids);
	ids = NULL;

	r = config_parse("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[1]}}", &ids, &created,
			 &err);
	/* KNOWN BUG: image_config_parse passes "rootfs.diff_ids" as the path of
	 * the key "diff_ids" (and "rootfs" for "rootfs"), so the message reads
	 * "rootfs.diff_ids.diff_ids[0]: expected a string". */
	CHECK(r < 0 && has(&err, "rootfs.diff_ids[0]: expected a string"),
	      "KNOWN BUG: a diff id of the wrong type is named rootfs.diff_ids[0]: %s", err.msg);
	if (r == 0) {
		strv_free(ids);
		ids = NULL;
	}

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		r = config_parse(bad[i].json, &ids, &created, &err);
		CHECK(r < 0 && has(&err, bad[i].want) && has(&err, "config " D_CFG),
		      "config with %s refused: %s", bad[i].what, err.msg);
		CHECK(ids == NULL, "config with %s: no diff ids handed out", bad[i].what);
		if (r == 0) {
			strv_free(ids);
			ids = NULL;
		}
	}
}

/* ---- manifest_build ---- */

static void test_manifest_build(void)
{
	struct berth_err err = { 0 };
	struct descriptor cfg = { .media_type = (char *)MT_DOCKER_CONFIG,
				  .digest = D_CFG,
				  .size = 1469 };
	struct descriptor layers[2] = {
		{ .media_type = (char *)MT_DOCKER_LAYER_GZIP, .digest = D_L1, .size = 32654 },
		{ .media_type = (char *)MT_DOCKER_LAYER, .digest = D_L2, .size = 0 },
	};
	static const char want_docker[] =
	    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest."
	    "v2+json\",\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+"
	    "json\",\"size\":1469,\"digest\":\"sha256:" HEX_A "\"},\"layers\":[{\"mediaType\":"
	    "\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":32654,\"digest\":"
	    "\"sha256:" HEX_B "\"},{\"mediaType\":\"application/vnd.docker.image.rootfs.diff."
	    "tar\",\"size\":0,\"digest\":\"sha256:" HEX_C "\"}]}";
	static const char want_oci[] =
	    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":"
	    "\"sha256:" HEX_A "\",\"size\":1469},\"layers\":[{\"mediaType\":\"application/vnd."
	    "oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:" HEX_B "\",\"size\":32654},{"
	    "\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:" HEX_C
	    "\",\"size\":0}]}";
	static const char want_empty[] =
	    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":"
	    "\"sha256:" HEX_A "\",\"size\":1469},\"layers\":[]}";
	autofree char *docker = manifest_build(MT_DOCKER_MANIFEST, &cfg, layers, 2);
	autofree char *oci = NULL;
	autofree char *empty = NULL;
	struct manifest m;
	int r;

	CHECK_STR(docker, want_docker, "Docker manifest: mediaType, size, digest");
	cfg.media_type = (char *)MT_OCI_CONFIG;
	layers[0].media_type = (char *)MT_OCI_LAYER_GZIP;
	layers[1].media_type = (char *)MT_OCI_LAYER;
	oci = manifest_build(MT_OCI_MANIFEST, &cfg, layers, 2);
	CHECK_STR(oci, want_oci, "OCI manifest: mediaType, digest, size");
	empty = manifest_build(MT_OCI_MANIFEST, &cfg, NULL, 0);
	CHECK_STR(empty, want_empty, "no layers: an empty array");

	r = manifest_parse(docker, strlen(docker), "built", &m, &err);
	CHECK(r == 0 && m.n_layers == 2 && strcmp(m.layers[1].digest, D_L2) == 0 &&
		  m.config.size == 1469,
	      "a built Docker manifest parses back: %s", r ? err.msg : "ok");
	if (r == 0)
		manifest_clear(&m);
	r = manifest_parse(oci, strlen(oci), "built", &m, &err);
	CHECK(r == 0 && m.n_layers == 2 && m.layers[0].size == 32654,
	      "a built OCI manifest parses back: %s", r ? err.msg : "ok");
	if (r == 0)
		manifest_clear(&m);
}

/* ---- image_config_change ---- */

/* config[key] as plain JSON, or "(none)". */
static const char *field(json_object *config, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(config, key, &v))
		return "(none)";
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* note prefixes the checks' descriptions ("KNOWN BUG: "). */
static void change_note(const char *note, json_object *config, const char *instr, const char *key,
			const char *want)
{
	struct berth_err err = { 0 };
	autofree char *what = xasprintf("%s%s", note, instr);
	int r = image_config_change(config, instr, &err);

	CHECK(r == 0, "%s: %s", what, r ? err.msg : "ok");
	CHECK_STR(field(config, key), want, what);
}

static void change_ok(json_object *config, const char *instr, const char *key, const char *want)
{
	change_note("", config, instr, key, want);
}

static void change_bad(const char *instr, const char *want1, const char *want2)
{
	struct berth_err err = { 0 };
	autojson json_object *config = json_object_new_object();
	int r = image_config_change(config, instr, &err);

	CHECK(r < 0 && has(&err, want1) && has(&err, want2), "%s refused: %s", instr, err.msg);
}

static void test_config_change(void)
{
	autojson json_object *c = json_object_new_object();

	change_ok(c, "CMD [\"echo\", \"hi there\"]", "Cmd", "[\"echo\",\"hi there\"]");
	change_ok(c, "CMD echo \"$HOME\" && ls", "Cmd",
		  "[\"/bin/sh\",\"-c\",\"echo \\\"$HOME\\\" && ls\"]");
	change_ok(c, "CMD [not json", "Cmd", "[\"/bin/sh\",\"-c\",\"[not json\"]");
	change_ok(c, "CMD []", "Cmd", "[]");
	change_ok(c, "ENTRYPOINT [\"/entry\",\"-x\"]", "Entrypoint", "[\"/entry\",\"-x\"]");
	change_ok(c, "ENTRYPOINT exec run", "Entrypoint", "[\"/bin/sh\",\"-c\",\"exec run\"]");
	CHECK_STR(field(c, "Cmd"), "[]", "ENTRYPOINT leaves Cmd alone");

	change_ok(c, "ENV a=1 b=\"x y\"", "Env", "[\"a=1\",\"b=x y\"]");
	change_ok(c, "ENV k v w", "Env", "[\"a=1\",\"b=x y\",\"k=v w\"]");
	change_ok(c, "ENV a=2", "Env", "[\"a=2\",\"b=x y\",\"k=v w\"]");
	change_ok(c, "ENV ab=3 c='s q' d=x\\ y e=", "Env",
		  "[\"a=2\",\"b=x y\",\"k=v w\",\"ab=3\",\"c=s q\",\"d=x y\",\"e=\"]");
	/* KNOWN BUG: the legacy form is chosen only when no '=' appears anywhere,
	 * so "ENV k2 v=w" (docker: k2="v=w", the first word has no '=') is refused
	 * with "expected KEY=VALUE". */
	change_note("KNOWN BUG: ", c, "ENV k2 v=w", "Env",
		    "[\"a=2\",\"b=x y\",\"k=v w\",\"ab=3\",\"c=s q\",\"d=x y\",\"e=\",\"k2=v=w\"]");

	change_ok(c, "LABEL version=\"1.0 beta\" name='single q' plain=yes", "Labels",
		  "{\"version\":\"1.0 beta\",\"name\":\"single q\",\"plain\":\"yes\"}");
	change_ok(c, "LABEL version=2", "Labels",
		  "{\"version\":\"2\",\"name\":\"single q\",\"plain\":\"yes\"}");
	/* KNOWN BUG: a quoted key keeps its quotes; the Dockerfile reference's own
	 * example, LABEL "com.example.vendor"="ACME Incorporated", gives docker the
	 * key com.example.vendor. */
	{
		autojson json_object *l = json_object_new_object();

		change_note("KNOWN BUG: ", l, "LABEL \"com.example.vendor\"=\"ACME Incorporated\"",
			    "Labels", "{\"com.example.vendor\":\"ACME Incorporated\"}");
	}

	change_ok(c, "WORKDIR /srv/app", "WorkingDir", "\"/srv/app\"");
	change_ok(c, "USER nobody:nogroup", "User", "\"nobody:nogroup\"");
	change_ok(c, "STOPSIGNAL SIGTERM", "StopSignal", "\"SIGTERM\"");
	change_ok(c, "EXPOSE 80", "ExposedPorts", "{\"80/tcp\":{}}");
	change_ok(c, "EXPOSE 53/udp 443/tcp 9/sctp", "ExposedPorts",
		  "{\"80/tcp\":{},\"53/udp\":{},\"443/tcp\":{},\"9/sctp\":{}}");
	change_ok(c, "EXPOSE 80/tcp", "ExposedPorts",
		  "{\"80/tcp\":{},\"53/udp\":{},\"443/tcp\":{},\"9/sctp\":{}}");
	change_ok(c, "VOLUME [\"/data\", \"/var/log\"]", "Volumes",
		  "{\"/data\":{},\"/var/log\":{}}");
	change_ok(c, "VOLUME /a /b", "Volumes",
		  "{\"/data\":{},\"/var/log\":{},\"/a\":{},\"/b\":{}}");

	/* Instruction names are case-insensitive, leading blanks are fine. */
	{
		autojson json_object *l = json_object_new_object();

		change_ok(l, "cmd [\"lower\"]", "Cmd", "[\"lower\"]");
		change_ok(l, "  Env  LC=1", "Env", "[\"LC=1\"]");
		change_ok(l, "workdir /w", "WorkingDir", "\"/w\"");
		change_ok(l, "expose 8080", "ExposedPorts", "{\"8080/tcp\":{}}");
	}

	/* HEALTHCHECK as docker's builder reads it */
	change_ok(c, "HEALTHCHECK CMD curl -f http://localhost/ || exit 1", "Healthcheck",
		  "{\"Test\":[\"CMD-SHELL\",\"curl -f http://localhost/ || exit 1\"]}");
	change_ok(c, "HEALTHCHECK --interval=5m --timeout=3s --start-period=1s "
		     "--start-interval=500ms --retries=4 CMD [\"/bin/check\", \"-q\"]",
		  "Healthcheck",
		  "{\"Test\":[\"CMD\",\"/bin/check\",\"-q\"],\"Interval\":300000000000,"
		  "\"Timeout\":3000000000,\"StartPeriod\":1000000000,\"StartInterval\":"
		  "500000000,\"Retries\":4}");
	change_ok(c, "healthcheck none", "Healthcheck", "{\"Test\":[\"NONE\"]}");
	change_bad("HEALTHCHECK SOMETIMES x", "Unknown type \"SOMETIMES\" in HEALTHCHECK", NULL);
	change_bad("HEALTHCHECK NONE please", "HEALTHCHECK NONE takes no arguments", NULL);
	change_bad("HEALTHCHECK --interval=5 CMD true", "invalid duration", "\"5\"");
	change_bad("HEALTHCHECK --interval=10us CMD true", "--interval", "less than 1ms");
	change_bad("HEALTHCHECK --retries=-1 CMD true", "--retries", "-1");
	change_bad("HEALTHCHECK --every=1s CMD true", "unknown flag", "--every");
	change_bad("HEALTHCHECK --interval CMD true", "--interval", "needs a value");

	change_bad("WORKDIR srv/app", "WORKDIR", "absolute");
	change_bad("EXPOSE abc", "invalid port", "abc");
	change_bad("EXPOSE 0", "invalid port", "0");
	change_bad("EXPOSE 65536", "invalid port", "65536");
	change_bad("EXPOSE 80/xyz", "invalid port", "80/xyz");
	change_bad("EXPOSE 80x", "invalid port", "80x");
	change_bad("EXPOSE -1", "invalid port", "-1");
	change_bad("FROM busybox", "FROM", NULL);
	change_bad("RUN echo hi", "RUN", NULL);
	change_bad("ADD a /b", "ADD", NULL);
	change_bad("ONBUILD RUN x", "ONBUILD", NULL);
	change_bad("ENV a=\"x", "unterminated quote", NULL);
	change_bad("LABEL a='x y", "unterminated quote", NULL);
	change_bad("ENV =x", "KEY=VALUE", NULL);
	change_bad("ENV k", "ENV", NULL);
	change_bad("CMD", "CMD", "argument");
	change_bad("CMD [\"a\", 1]", "only strings", NULL);
	change_bad("", NULL, NULL);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_manifest_valid();
	test_manifest_errors();
	test_manifest_error_paths();
	test_index();
	test_platform();
	test_config_parse();
	test_manifest_build();
	test_config_change();
	return TEST_DONE();
}
