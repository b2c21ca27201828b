/* Image references (image/reference.h): a table of names docker accepts, with
 * the normalised form it gives them, and names docker refuses, with a piece
 * of the message. */
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/xalloc.h"

#define HEX64  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA256 "sha256:" HEX64
#define SHA512 "sha512:" HEX64 HEX64

struct ref_case {
	const char *in;
	const char *want;    /* image_ref_string, or NULL when refused */
	const char *err_has; /* a piece of the message when refused */
};

static const struct ref_case cases[] = {
	/* Docker Hub names */
	{ "busybox", "docker.io/library/busybox:latest" },
	{ "busybox:1.36", "docker.io/library/busybox:1.36" },
	{ "me/app:1.0", "docker.io/me/app:1.0" },
	{ "docker.io/busybox", "docker.io/library/busybox:latest" },
	{ "docker.io/library/busybox", "docker.io/library/busybox:latest" },
	{ "index.docker.io/library/busybox", "docker.io/library/busybox:latest" },
	{ "index.docker.io/busybox:musl", "docker.io/library/busybox:musl" },
	{ "a/b/c/d", "docker.io/a/b/c/d:latest" },
	/* separators */
	{ "a.b_c__d-e---f", "docker.io/library/a.b_c__d-e---f:latest" },
	{ "a___b", NULL, "invalid reference format" },
	{ "a..b", NULL, "invalid reference format" },
	{ "-a", NULL, "invalid reference format" },
	{ "a-", NULL, "invalid reference format" },
	{ "a//b", NULL, "invalid reference format" },
	{ "a/", NULL, "invalid reference format" },
	/* registries */
	{ "localhost/foo", "localhost/foo:latest" },
	{ "localhost:5000/foo:bar", "localhost:5000/foo:bar" },
	{ "LOCALHOST:5000/foo", "LOCALHOST:5000/foo:latest" },
	{ "Registry/foo", "Registry/foo:latest" },
	{ "quay.io/a/b:v1", "quay.io/a/b:v1" },
	{ "my-reg.example.com:443/x", "my-reg.example.com:443/x:latest" },
	{ "10.0.0.1:5000/x", "10.0.0.1:5000/x:latest" },
	{ "[::1]:5000/a:b", "[::1]:5000/a:b" },
	{ "[fe80::1]/a", "[fe80::1]/a:latest" },
	{ "[]/a", NULL, "invalid reference format: \"[]/a\"" }, /* not a host: no '.' or ':' */
	{ "[::1/a", NULL, "bad registry host" },
	{ "-reg.io/a", NULL, "bad registry host" },
	{ "reg.io:/a", NULL, "bad registry host" },
	{ "reg.io:50x/a", NULL, "bad registry host" },
	{ "a_b.io/c", NULL, "bad registry host" },
	/* without a '/', "host:port" is a name and a tag, as in docker */
	{ "localhost:5000", "docker.io/library/localhost:5000" },
	/* tags */
	{ "busybox:_x.Y-1", "docker.io/library/busybox:_x.Y-1" },
	{ "busybox:", NULL, "bad tag" },
	{ "busybox:.x", NULL, "bad tag" },
	{ "busybox:a/b", NULL, "invalid reference format" },
	{ "a:b:c", NULL, "invalid reference format: \"a:b:c\"" },
	{ "Foo:bar:baz", NULL, "repository name (library/Foo) must be lowercase" },
	/* digests */
	{ "busybox@" SHA256, "docker.io/library/busybox@" SHA256 },
	{ "quay.io/a/b:v1@" SHA256, "quay.io/a/b:v1@" SHA256 },
	{ "busybox@" SHA512, "docker.io/library/busybox@" SHA512 },
	{ "busybox@sha256:abc", NULL, "digest too short" },
	{ "busybox@sha256:" HEX64 "00", NULL, "64 lowercase hex" },
	{ "busybox@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", NULL,
	  "64 lowercase hex" },
	{ "busybox@sha512:" HEX64, NULL, "invalid checksum digest length" },
	{ "busybox@md5:" HEX64, NULL, "unsupported digest algorithm" },
	{ "busybox@" HEX64, NULL, "bad digest algorithm" },
	{ "busybox@sha256:" HEX64 "@x", NULL, "digest is not hexadecimal" },
	{ "busybox@", NULL, "bad digest algorithm" },
	/* case: only the repository path must be lowercase */
	{ "Busybox", NULL, "repository name (library/Busybox) must be lowercase" },
	{ "docker.io/Me/app", NULL, "repository name (Me/app) must be lowercase" },
	{ "busybox:LATEST", "docker.io/library/busybox:LATEST" },
	/* ids and emptiness */
	{ HEX64, NULL, "cannot specify 64-byte hexadecimal strings" },
	{ "", NULL, "invalid reference format: \"\"" },
	{ ":tag", NULL, "invalid reference format" },
	{ "/a", NULL, "invalid reference format" },
	{ "a b", NULL, "invalid reference format: \"a b\"" },
};

static void check_case(const struct ref_case *c)
{
	struct image_ref ref;
	struct berth_err err = { 0 };
	int r = image_ref_parse(c->in, &ref, &err);

	if (c->want == NULL) {
		CHECK(r < 0, "\"%.40s\" is refused", c->in);
		CHECK(r < 0 && strstr(err.msg, c->err_has) != NULL,
		      "\"%.40s\": message \"%s\" has \"%s\"", c->in, err.msg, c->err_has);
		return;
	}
	CHECK(r == 0, "\"%.40s\" parses (%s)", c->in, r < 0 ? err.msg : "ok");
	if (r == 0) {
		autofree char *s = image_ref_string(&ref);
		CHECK_STR(s, c->want, c->in);
	}
	image_ref_free(&ref);
}

static char *repeat(char c, size_t n)
{
	char *s = xmalloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* The 255-character bound is on domain "/" path after normalisation. */
static void test_lengths(void)
{
	struct image_ref ref;
	struct berth_err err = { 0 };
	/* "docker.io/library/" is 18 characters. */
	autofree char *name237 = repeat('a', 255 - 18);
	autofree char *name238 = repeat('a', 256 - 18);
	autofree char *tag128 = repeat('t', 128);
	autofree char *tag129 = repeat('t', 129);
	autofree char *ok_tag = xasprintf("busybox:%s", tag128);
	autofree char *long_tag = xasprintf("busybox:%s", tag129);
	autofree char *path249 = repeat('b', 256 - 7);
	autofree char *host_name = xasprintf("reg.io/%s", path249);

	CHECK(image_ref_parse(name237, &ref, &err) == 0, "a 255-character name parses (%s)",
	      err.msg);
	CHECK(ref.path != NULL && strlen(ref.domain) + 1 + strlen(ref.path) == 255,
	      "and is 255 characters");
	image_ref_free(&ref);
	CHECK(image_ref_parse(name238, &ref, &err) < 0 &&
		  strstr(err.msg, "must not be more than 255 characters") != NULL,
	      "a 256-character name is refused: %s", err.msg);
	CHECK(image_ref_parse(host_name, &ref, &err) < 0 &&
		  strstr(err.msg, "must not be more than 255 characters") != NULL,
	      "a 256-character name with a registry is refused");
	CHECK(image_ref_parse(ok_tag, &ref, &err) == 0 && strlen(ref.tag) == 128,
	      "a 128-character tag parses");
	image_ref_free(&ref);
	CHECK(image_ref_parse(long_tag, &ref, &err) < 0 && strstr(err.msg, "bad tag") != NULL,
	      "a 129-character tag is refused: %.60s", err.msg);
}

static void test_fields(void)
{
	struct image_ref ref;
	struct berth_err err = { 0 };

	CHECK(image_ref_parse("busybox", &ref, &err) == 0, "busybox parses");
	CHECK_STR(ref.domain, "docker.io", "busybox domain");
	CHECK_STR(ref.path, "library/busybox", "busybox path");
	CHECK_STR(ref.tag, "latest", "busybox tag");
	CHECK(ref.digest == NULL, "busybox has no digest");
	{
		autofree char *repo = image_ref_repo(&ref);
		CHECK_STR(repo, "docker.io/library/busybox", "busybox repo");
	}
	image_ref_free(&ref);
	image_ref_free(&ref); /* twice is harmless */
	image_ref_free(NULL);

	CHECK(image_ref_parse("localhost:5000/a/b@" SHA256, &ref, &err) == 0, "digest parses");
	CHECK_STR(ref.domain, "localhost:5000", "digest ref domain");
	CHECK_STR(ref.path, "a/b", "digest ref path");
	CHECK(ref.tag == NULL, "a digest alone gives no default tag");
	CHECK_STR(ref.digest, SHA256, "digest kept");
	image_ref_free(&ref);

	CHECK(image_ref_parse("Foo:bar:baz", &ref, &err) < 0 && ref.domain == NULL,
	      "a refused name leaves the output empty");
}

static void test_familiar(void)
{
	static const char *const t[][2] = {
		{ "docker.io/library/busybox", "busybox" },
		{ "docker.io/me/app", "me/app" },
		{ "docker.io/library/a/b", "library/a/b" },
		{ "quay.io/a/b", "quay.io/a/b" },
		{ "localhost:5000/x", "localhost:5000/x" },
		{ "localhost/library/x", "localhost/library/x" },
		{ "docker.io.evil/x", "docker.io.evil/x" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		autofree char *f = image_ref_familiar_repo(t[i][0]);
		CHECK_STR(f, t[i][1], t[i][0]);
	}
}

static void test_split_tag(void)
{
	static const char *const t[][3] = {
		{ "docker.io/library/busybox:latest", "docker.io/library/busybox", "latest" },
		{ "localhost:5000/a:v1", "localhost:5000/a", "v1" },
		{ "localhost:5000/a", "localhost:5000/a", NULL },
		{ "quay.io/a/b@" SHA256, "quay.io/a/b@" SHA256, NULL },
		{ "quay.io/a/b:t@" SHA256, "quay.io/a/b", "t" },
		{ "busybox", "busybox", NULL },
		{ "[::1]:5000/a:b", "[::1]:5000/a", "b" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		autofree char *repo = NULL;
		autofree char *tag = NULL;
		bool found = image_ref_split_tag(t[i][0], &repo, &tag);
		CHECK(found == (t[i][2] != NULL), "%s: tag %s", t[i][0],
		      found ? "found" : "not found");
		CHECK_STR(repo, t[i][1], t[i][0]);
		if (t[i][2] != NULL)
			CHECK_STR(tag, t[i][2], t[i][0]);
		else
			CHECK(tag == NULL, "%s: no tag", t[i][0]);
	}
	CHECK(image_ref_split_tag("a:b", NULL, NULL), "outputs may be NULL");
}

static void test_familiar_name(void)
{
	static const char *const t[][2] = {
		{ "docker.io/library/busybox:latest", "busybox:latest" },
		{ "docker.io/me/app:1.0", "me/app:1.0" },
		{ "docker.io/library/a/b:t", "library/a/b:t" },
		{ "quay.io/a/b:v2", "quay.io/a/b:v2" },
		{ "localhost:5000/x:y", "localhost:5000/x:y" },
		{ "localhost:5000/x", "localhost:5000/x" },
		{ "docker.io/library/busybox", "busybox" },
		{ "docker.io/me/app@" SHA256, "me/app@" SHA256 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		autofree char *f = image_ref_familiar_name(t[i][0]);
		CHECK_STR(f, t[i][1], t[i][0]);
	}
}

/* What image_ref_string prints parses back to itself. */
static void test_round_trip(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct image_ref ref, again;
		struct berth_err err = { 0 };
		if (cases[i].want == NULL || image_ref_parse(cases[i].in, &ref, &err) < 0)
			continue;
		autofree char *s = image_ref_string(&ref);
		int r = image_ref_parse(s, &again, &err);
		autofree char *s2 = r == 0 ? image_ref_string(&again) : NULL;
		CHECK(r == 0 && strcmp(s, s2) == 0, "%.60s round-trips", s);
		image_ref_free(&ref);
		image_ref_free(&again);
	}
}

int main(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_case(&cases[i]);
	test_lengths();
	test_fields();
	test_familiar();
	test_familiar_name();
	test_split_tag();
	test_round_trip();
	return TEST_DONE();
}
