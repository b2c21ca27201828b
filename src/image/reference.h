/* Image references, parsed and normalised as docker does:
 *   busybox                 -> docker.io/library/busybox:latest
 *   me/app:1.0              -> docker.io/me/app:1.0
 *   localhost:5000/app      -> localhost:5000/app:latest
 *   quay.io/a/b@sha256:...  -> digest kept, no default tag
 * A first component is a registry host when it contains '.' or ':' or is
 * "localhost"; repository path components are lowercase [a-z0-9] with
 * separators '.', '_', '__', '-'+; a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127};
 * the whole name at most 255 characters. Errors name what is wrong in
 * docker's words ("invalid reference format: repository name (library/BusyBox)
 * must be lowercase"). */
#pragma once

#include <stdbool.h>

struct berth_err;

struct image_ref {
	char *domain; /* "docker.io", "localhost:5000" */
	char *path;   /* "library/busybox" */
	char *tag;    /* "latest"; NULL when only a digest was given */
	char *digest; /* "sha256:..." or NULL */
};

/* Parses and normalises s. When neither tag nor digest is given, the tag is
 * "latest". A bare 64-hex string is refused, as docker refuses it ("cannot
 * specify 64-byte hexadecimal strings"): it is an image id, not a name. */
int image_ref_parse(const char *s, struct image_ref *out, struct berth_err *err);
void image_ref_free(struct image_ref *ref);

/* "docker.io/library/busybox" */
char *image_ref_repo(const struct image_ref *ref);
/* The full normalised name: "docker.io/library/busybox:latest",
 * "quay.io/a/b@sha256:..." or "host/a:tag@sha256:...". */
char *image_ref_string(const struct image_ref *ref);
/* Docker's short form for display: "busybox", "me/app", "quay.io/a/b"
 * (docker.io/ and library/ dropped). Takes a repository ("docker.io/library/x"). */
char *image_ref_familiar_repo(const char *repo);
/* The same for a normalised "repo:tag": "docker.io/library/busybox:latest"
 * -> "busybox:latest". A name without a tag is taken as a repository. */
char *image_ref_familiar_name(const char *name);

/* A normalised "repo:tag" string split into its repository and tag parts
 * (the last ':' after the last '/'). Returns false when there is no tag. */
bool image_ref_split_tag(const char *name, char **repo, char **tag);
