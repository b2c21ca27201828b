/* Manifests, indexes and image configs, OCI's and Docker's, parsed with
 * every field checked: media types must be known, digests valid, sizes
 * non-negative, and the config's rootfs.diff_ids must match the layers. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/digest.h"

struct berth_err;

#define MT_OCI_INDEX         "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST      "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG        "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER         "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP    "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD    "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_LIST       "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST   "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG     "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER      "application/vnd.docker.image.rootfs.diff.tar"
#define MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

/* Annotations OCI layouts use to name images. */
#define ANNOTATION_REF_NAME   "org.opencontainers.image.ref.name"
#define ANNOTATION_IMAGE_NAME "io.containerd.image.name"

/* Manifests, indexes and configs are small; anything larger is hostile. */
#define MANIFEST_MAX (4u << 20)

struct descriptor {
	char *media_type;
	char digest[DIGEST_STR_LEN + 1];
	int64_t size;
	char *ref_name;            /* annotation org.opencontainers.image.ref.name */
	char *image_name;          /* annotation io.containerd.image.name */
	char *os, *arch, *variant; /* platform, in an index */
};

struct manifest {
	char *media_type;
	struct descriptor config;
	struct descriptor *layers;
	size_t n_layers;
};

struct image_index {
	char *media_type;
	struct descriptor *manifests;
	size_t n;
};

bool media_type_is_layer(const char *mt);
bool media_type_is_manifest(const char *mt);
bool media_type_is_index(const char *mt);

void descriptor_clear(struct descriptor *d);
void manifest_clear(struct manifest *m);
void image_index_clear(struct image_index *ix);

/* what names the document in errors ("manifest sha256:..", "index.json"). */
int manifest_parse(const char *text, size_t len, const char *what, struct manifest *out,
		   struct berth_err *err);
int image_index_parse(const char *text, size_t len, const char *what, struct image_index *out,
		      struct berth_err *err);

/* The config's rootfs.diff_ids (checked: type "layers", valid digests) and
 * its creation time (0 when absent). */
int image_config_parse(json_object *cfg, const char *what, char ***diff_ids, int64_t *created,
		       struct berth_err *err);

/* True when an index entry's platform suits this host (linux, this
 * architecture; a missing platform suits). */
bool descriptor_platform_matches(const struct descriptor *d);
/* This host's architecture in OCI's words: amd64, arm64, ... */
const char *manifest_host_arch(void);

/* Serialises an OCI or Docker manifest for the given config and layers,
 * deterministically (so the same input always has the same digest). */
char *manifest_build(const char *media_type, const struct descriptor *config,
		     const struct descriptor *layers, size_t n);
