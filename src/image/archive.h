/* Moving images in and out of the store without a registry:
 *   load   a docker-archive tar (manifest.json) or an OCI image layout tar
 *          (oci-layout + index.json), detected from the content, optionally
 *          gzip/zstd-compressed as a whole;
 *   save   one or several images as a docker-archive or an OCI layout tar;
 *   import a root filesystem tarball as a one-layer image.
 * Every input is untrusted: sizes are bounded, digests verified, names
 * checked, and a failure leaves the store as it was. */
#pragma once

#include <stdbool.h>

#include "util/digest.h"

struct berth_err;
struct store;

/* What a load added: one line per image, as docker prints them
 * ("docker.io/library/busybox:latest" or, for an image without a name,
 * its id). */
struct load_result {
	char **names; /* normalised tags */
	char **ids;   /* ids of images without a tag */
};
void load_result_clear(struct load_result *r);

/* Reads the archive from in_fd; what names it in errors. */
int image_load(struct store *s, int in_fd, const char *what, struct load_result *res,
	       struct berth_err *err);

enum save_format {
	SAVE_DOCKER_ARCHIVE,
	SAVE_OCI_ARCHIVE,
};
int save_format_parse(const char *s, enum save_format *out, struct berth_err *err);

/* Writes the images named (names, ids or digests, as rmi takes them) to
 * out_fd. A name with a tag puts that name in the archive; an id puts all
 * of the image's names. */
int image_save(struct store *s, char *const *names, enum save_format fmt, int out_fd,
	       struct berth_err *err);

struct import_opts {
	const char *source;   /* for the history comment: a file name or "-" */
	const char *message;  /* -m; NULL for "Imported from SOURCE" */
	char *const *changes; /* Dockerfile instructions (--change) */
	const char *tag;      /* repository[:tag], or NULL */
};
int image_import(struct store *s, int in_fd, const struct import_opts *opts,
		 char id[DIGEST_STR_LEN + 1], struct berth_err *err);

/* Applies one --change instruction ("CMD [\"sh\"]", "ENV A=1 B=2",
 * "EXPOSE 80/tcp", ...) to an image config's "config" object. */
struct json_object;
int image_config_change(struct json_object *config, const char *instruction, struct berth_err *err);
