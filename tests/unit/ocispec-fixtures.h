/* What the ocispec tests share (test-ocispec.c, test-ocispec-seccomp.c): a
 * temporary directory with a rootfs holding its own /etc/passwd and
 * /etc/group and the files a container's /etc is given, JSON path helpers,
 * and builders that hand every document to the runtime's own parser. */
#pragma once

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ocispec.h"
#include "runtime/spec.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

#define ID           "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define REAL_PROFILE "/usr/share/containers/seccomp.json"

/* A NULL-terminated vector of literals, as the options take them. */
#define STRV(...) ((char **)(const char *[]){ __VA_ARGS__, NULL })

static char tmpdir[64];
static char rootfs[128];

static inline void cleanup_tmpdir(void)
{
	if (tmpdir[0] != '\0')
		fs_rm_rf(tmpdir, NULL);
}

static inline void write_file(const char *dir, const char *name, const char *text)
{
	autofree char *path = xasprintf("%s/%s", dir, name);
	struct berth_err err = { 0 };

	if (fs_write_file_replace(path, text, strlen(text), 0644, &err) < 0) {
		fprintf(stderr, "write %s: %s\n", path, err.msg);
		exit(1);
	}
}

static inline void make_dir(const char *path)
{
	struct berth_err err = { 0 };

	if (fs_mkdir_p(path, 0755, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
}

static inline json_object *parse(const char *text)
{
	json_object *o = NULL;
	struct berth_err err = { 0 };

	if (json_parse_text(text, strlen(text), "literal", &o, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	return o;
}

/* The value at a dotted path of object keys, or NULL. */
static inline json_object *at(json_object *o, const char *path)
{
	autofree char *copy = xstrdup(path);
	char *save = NULL;

	for (char *k = strtok_r(copy, ".", &save); k != NULL && o != NULL;
	     k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, k, &o))
			o = NULL;
	return o;
}

static const char *str_at(json_object *o, const char *path)
{
	json_object *v = at(o, path);
	return v != NULL ? json_object_get_string(v) : NULL;
}

/* An array's elements joined with sep ("" for an absent array, so a
 * comparison says what was there). */
static char *join_sep(json_object *a, const char *sep)
{
	char *s = xstrdup("");

	for (size_t i = 0; a != NULL && i < json_object_array_length(a); i++) {
		char *n = xasprintf("%s%s%s", s, i > 0 ? sep : "",
				    json_object_get_string(json_object_array_get_idx(a, i)));
		free(s);
		s = n;
	}
	return s;
}

static char *join_at(json_object *o, const char *path)
{
	return join_sep(at(o, path), ",");
}

static inline struct ocispec_opts base_opts(void)
{
	return (struct ocispec_opts){ .id = ID, .rootfs = rootfs, .network = "none" };
}

static const char *const image_sh = "{\"config\":{\"Cmd\":[\"sh\"]}}";

/* Builds with an image config literal (NULL: no image config). */
static inline int build(const struct ocispec_opts *o, const char *image, json_object **doc,
			struct berth_err *err)
{
	autojson json_object *img = image != NULL ? parse(image) : NULL;

	*doc = NULL;
	memset(err, 0, sizeof(*err));
	return ocispec_build(o, img, doc, err);
}

/* Builds, checks the runtime parses it, and returns the document. */
static inline json_object *build_ok(const struct ocispec_opts *o, const char *image,
				    const char *what)
{
	struct berth_err err = { 0 };
	json_object *doc = NULL;
	struct spec *s = NULL;
	int r = build(o, image, &doc, &err);

	CHECK(r == 0, "%s: builds (%s)", what, r == 0 ? "" : err.msg);
	if (r != 0)
		return NULL;
	r = spec_parse(doc, tmpdir, &s, &err);
	CHECK(r == 0, "%s: the runtime's parser accepts it (%s)", what, r == 0 ? "" : err.msg);
	spec_free(s);
	return doc;
}

static inline void check_build_error(const struct ocispec_opts *o, const char *image,
				     const char *want, const char *what)
{
	struct berth_err err = { 0 };
	json_object *doc = NULL;
	int r = build(o, image, &doc, &err);

	CHECK(r < 0 && strstr(err.msg, want) != NULL && strchr(err.msg, '\n') == NULL,
	      "%s: error \"%s\" names \"%s\"", what, err.msg, want);
	CHECK(doc == NULL, "%s: no document on failure", what);
	json_object_put(doc);
}

/* The temporary directory (removed at exit) and the rootfs and run files
 * in it that every test builds on. */
static inline void fixtures_begin(void)
{
	autofree char *etc = NULL, *run = NULL;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/berth-test-ocispec-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	atexit(cleanup_tmpdir);
	snprintf(rootfs, sizeof(rootfs), "%s/root", tmpdir);
	etc = xasprintf("%s/etc", rootfs);
	run = xasprintf("%s/run", tmpdir);
	make_dir(etc);
	make_dir(run);
	write_file(run, "hosts", "127.0.0.1 localhost\n");
	write_file(run, "hostname", "box\n");
	write_file(run, "resolv.conf", "nameserver 192.0.2.1\n");
	write_file(etc, "passwd",
		   "root:x:0:0:root:/root:/bin/sh\n"
		   "# a comment\n"
		   "\n"
		   "+x::::::\n"
		   "bob:x:1000:1000:Bob:/home/bob:/bin/sh\r\n"
		   "svc:x:1001:1001:::/bin/false\n"
		   "bob:x:2000:2000:second bob:/nowhere:/bin/sh\n");
	write_file(etc, "group",
		   "root:x:0:root\n"
		   "wheel:x:10:root,bob\n"
		   "staff:x:50:alice,bob\n"
		   "bob:x:1000:\n"
		   "svc:x:1001:\n"
		   "audio:x:29:svc\n"
		   "bad:x:notanumber:bob\n"
		   "bobby:x:60:bobby\n");
}
