/* Image references, written from the grammar docker documents for its
 * "normalized named" references (distribution/reference):
 *
 *   reference      := name [ ":" tag ] [ "@" digest ]
 *   name           := [ domain "/" ] path
 *   domain         := host [ ":" port ]
 *   host           := domain-name | "[" ipv6 "]"
 *   domain-name    := component ( "." component )*,
 *                     component = [A-Za-z0-9] | [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]
 *   port           := [0-9]+
 *   path           := path-component ( "/" path-component )*
 *   path-component := [a-z0-9]+ ( separator [a-z0-9]+ )*,  separator = [._] | "__" | "-"+
 *   tag            := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest         := algorithm ":" hex
 *
 * Normalisation is docker's: the first '/'-separated component is a registry
 * host only when it contains '.' or ':', is "localhost", or has an uppercase
 * letter (a lowercase word like "me" is a Docker Hub user); otherwise the
 * registry is docker.io. "index.docker.io" is the old name of docker.io, and a
 * one-component Docker Hub name lives under "library/". Only the repository
 * path must be lowercase; host names are case-insensitive and kept as given.
 *
 * Where docker's regular expression would accept a first component as a
 * domain and then, failing that, reparse it as a path (so "a_b.c/d" becomes a
 * name without any registry), we refuse it: a name whose registry cannot be
 * told is not something to pull. */
#include "image/reference.h"

#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/xalloc.h"

#define REF_NAME_MAX        255 /* domain + "/" + path */
#define REF_TAG_MAX         128
#define REF_DEFAULT_DOMAIN  "docker.io"
#define REF_LEGACY_DOMAIN   "index.docker.io"
#define REF_OFFICIAL_PREFIX "library/"
#define REF_DEFAULT_TAG     "latest"
#define REF_INVALID         "invalid reference format"

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_lower_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

static bool is_word(char c)
{
	return is_alnum(c) || c == '_';
}

/* s[0..n) is exactly lit. */
static bool span_is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncmp(s, lit, n) == 0;
}

static bool has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return true;
	return false;
}

/* [a-z0-9]+ ( ("." | "_" | "__" | "-"+) [a-z0-9]+ )* */
static bool path_component_valid(const char *s, size_t n)
{
	size_t i = 0;

	for (;;) {
		size_t start = i;
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == start)
			return false;
		if (i == n)
			return true;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
	}
}

static bool path_valid(const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '/') {
			if (!path_component_valid(s + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

/* [A-Za-z0-9] | [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9] */
static bool domain_component_valid(const char *s, size_t n)
{
	if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* host [":" port], host = domain-name | "[" [A-Fa-f0-9:]+ "]" */
static bool domain_valid(const char *s, size_t n)
{
	size_t i = 0;

	if (n > 0 && s[0] == '[') {
		for (i = 1; i < n && (is_hex(s[i]) || s[i] == ':'); i++)
			;
		if (i == 1 || i == n || s[i] != ']')
			return false;
		i++;
	} else {
		size_t start = 0;
		while (i < n && s[i] != ':')
			i++;
		for (size_t j = 0; j <= i; j++) {
			if (j == i || s[j] == '.') {
				if (!domain_component_valid(s + start, j - start))
					return false;
				start = j + 1;
			}
		}
	}
	if (i == n)
		return true;
	if (s[i] != ':' || i + 1 == n)
		return false;
	for (i++; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

/* [\w][\w.-]{0,127} */
static bool tag_valid(const char *s, size_t n)
{
	if (n == 0 || n > REF_TAG_MAX || !is_word(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* The algorithms go-digest knows besides sha256 (which util/digest.h checks),
 * with the length of their hex encoding. The grammar admits any algorithm
 * name and at least 32 hex digits; docker then refuses the ones it cannot
 * verify, and so do we. */
static const struct {
	const char *name;
	size_t hex_len;
} digest_algorithms[] = {
	{ "sha384", 96 },
	{ "sha512", 128 },
};

/* algorithm := component ( [+._-] component )*, component = [A-Za-z][A-Za-z0-9]* */
static bool digest_algorithm_valid(const char *s, size_t n)
{
	size_t i = 0;

	for (;;) {
		if (i == n || !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
		while (i < n && is_alnum(s[i]))
			i++;
		if (i == n)
			return true;
		if (strchr("+._-", s[i]) == NULL)
			return false;
		i++;
	}
}

/* Returns NULL when the digest is good, otherwise what is wrong with it. */
static const char *ref_digest_problem(const char *d)
{
	const char *colon = strchr(d, ':');
	size_t alg_len, hex_len;

	if (colon == NULL || !digest_algorithm_valid(d, (size_t)(colon - d)))
		return "bad digest algorithm";
	alg_len = (size_t)(colon - d);
	hex_len = strlen(colon + 1);
	if (hex_len < 32)
		return "digest too short";
	for (size_t i = 0; i < hex_len; i++)
		if (!is_hex(colon[1 + i]))
			return "digest is not hexadecimal";
	if (span_is(d, alg_len, "sha256"))
		return digest_is_valid(d) ? NULL : "sha256 digest must be 64 lowercase hex digits";
	for (size_t k = 0; k < ARRAY_SIZE(digest_algorithms); k++) {
		if (!span_is(d, alg_len, digest_algorithms[k].name))
			continue;
		if (hex_len != digest_algorithms[k].hex_len)
			return "invalid checksum digest length";
		for (size_t i = 0; i < hex_len; i++)
			if (!is_lower_hex(colon[1 + i]))
				return "invalid checksum digest format";
		return NULL;
	}
	return "unsupported digest algorithm";
}

static bool is_identifier(const char *s)
{
	size_t n = strlen(s);

	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_hex(s[i]))
			return false;
	return true;
}

/* The pieces of s before validation, pointing into s (or static strings). */
struct ref_parts {
	const char *domain;
	size_t domain_len;
	const char *prefix; /* "library/" or "" */
	const char *path;
	size_t path_len;
	const char *tag; /* NULL when absent */
	size_t tag_len;
	const char *digest; /* NULL when absent; runs to the end of s */
};

/* docker's splitDockerDomain, then name ":" tag "@" digest. */
static void ref_split(const char *s, struct ref_parts *p)
{
	const char *slash = strchr(s, '/');
	const char *rest = s;
	const char *at, *colon, *last_slash;
	size_t first_len = slash != NULL ? (size_t)(slash - s) : 0;
	size_t name_len;

	memset(p, 0, sizeof(*p));
	p->prefix = "";
	if (slash != NULL &&
	    (memchr(s, '.', first_len) != NULL || memchr(s, ':', first_len) != NULL ||
	     span_is(s, first_len, "localhost") || has_upper(s, first_len))) {
		p->domain = s;
		p->domain_len = first_len;
		rest = slash + 1;
	} else {
		p->domain = REF_DEFAULT_DOMAIN;
		p->domain_len = strlen(REF_DEFAULT_DOMAIN);
	}
	if (span_is(p->domain, p->domain_len, REF_LEGACY_DOMAIN)) {
		p->domain = REF_DEFAULT_DOMAIN;
		p->domain_len = strlen(REF_DEFAULT_DOMAIN);
	}

	at = strchr(rest, '@');
	name_len = at != NULL ? (size_t)(at - rest) : strlen(rest);
	if (at != NULL)
		p->digest = at + 1;
	colon = memrchr(rest, ':', name_len);
	last_slash = memrchr(rest, '/', name_len);
	p->path = rest;
	p->path_len = name_len;
	if (colon != NULL && (last_slash == NULL || colon > last_slash)) {
		p->path_len = (size_t)(colon - rest);
		p->tag = colon + 1;
		p->tag_len = name_len - p->path_len - 1;
	}
	if (span_is(p->domain, p->domain_len, REF_DEFAULT_DOMAIN) &&
	    memchr(p->path, '/', p->path_len) == NULL)
		p->prefix = REF_OFFICIAL_PREFIX;
}

int image_ref_parse(const char *s, struct image_ref *out, struct berth_err *err)
{
	struct ref_parts p;
	const char *problem, *colon;
	size_t name_len, repo_len;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		s = "";
	if (is_identifier(s))
		return berth_err_set(
		    err, 0,
		    "invalid repository name (%s), cannot specify 64-byte hexadecimal strings", s);
	ref_split(s, &p);

	/* docker checks case before the grammar, so that the message says what
	 * to fix; the repository ends at the first ':' as docker cuts it. */
	colon = memchr(p.path, ':', p.path_len);
	repo_len = colon != NULL ? (size_t)(colon - p.path) : p.path_len;
	if (has_upper(p.path, repo_len))
		return berth_err_set(err, 0,
				     REF_INVALID ": repository name (%s%.*s) must be lowercase",
				     p.prefix, (int)repo_len, p.path);

	if (!domain_valid(p.domain, p.domain_len))
		return berth_err_set(err, 0, REF_INVALID ": \"%s\": bad registry host \"%.*s\"", s,
				     (int)p.domain_len, p.domain);
	if (!path_valid(p.path, p.path_len))
		return berth_err_set(err, 0, REF_INVALID ": \"%s\"", s);
	if (p.tag != NULL && !tag_valid(p.tag, p.tag_len))
		return berth_err_set(err, 0, REF_INVALID ": \"%s\": bad tag \"%.*s\"", s,
				     (int)p.tag_len, p.tag);
	name_len = p.domain_len + 1 + strlen(p.prefix) + p.path_len;
	if (name_len > REF_NAME_MAX)
		return berth_err_set(err, 0,
				     REF_INVALID
				     ": \"%s\": repository name must not be more than %d "
				     "characters",
				     s, REF_NAME_MAX);
	if (p.digest != NULL && (problem = ref_digest_problem(p.digest)) != NULL)
		return berth_err_set(err, 0, REF_INVALID ": \"%s\": %s", s, problem);

	out->domain = xstrndup(p.domain, p.domain_len);
	out->path = xasprintf("%s%.*s", p.prefix, (int)p.path_len, p.path);
	if (p.tag != NULL)
		out->tag = xstrndup(p.tag, p.tag_len);
	else if (p.digest == NULL)
		out->tag = xstrdup(REF_DEFAULT_TAG);
	if (p.digest != NULL)
		out->digest = xstrdup(p.digest);
	return 0;
}

void image_ref_free(struct image_ref *ref)
{
	if (ref == NULL)
		return;
	free(ref->domain);
	free(ref->path);
	free(ref->tag);
	free(ref->digest);
	memset(ref, 0, sizeof(*ref));
}

char *image_ref_repo(const struct image_ref *ref)
{
	return xasprintf("%s/%s", ref->domain, ref->path);
}

char *image_ref_string(const struct image_ref *ref)
{
	return xasprintf("%s/%s%s%s%s%s", ref->domain, ref->path, ref->tag ? ":" : "",
			 ref->tag ? ref->tag : "", ref->digest ? "@" : "",
			 ref->digest ? ref->digest : "");
}

/* docker's familiarizeName: docker.io/ is dropped, and so is library/ when
 * what follows is a single component ("docker.io/library/a/b" keeps it). */
char *image_ref_familiar_repo(const char *repo)
{
	static const char hub[] = REF_DEFAULT_DOMAIN "/";
	const char *rest;

	if (strncmp(repo, hub, strlen(hub)) != 0)
		return xstrdup(repo);
	rest = repo + strlen(hub);
	if (strncmp(rest, REF_OFFICIAL_PREFIX, strlen(REF_OFFICIAL_PREFIX)) == 0 &&
	    strchr(rest + strlen(REF_OFFICIAL_PREFIX), '/') == NULL)
		rest += strlen(REF_OFFICIAL_PREFIX);
	return xstrdup(rest);
}

/* Splits off the tag and shortens the repository; without a tag the whole
 * name is a repository. */
char *image_ref_familiar_name(const char *name)
{
	autofree char *repo = NULL;
	autofree char *tag = NULL;
	autofree char *short_repo = NULL;

	if (!image_ref_split_tag(name, &repo, &tag))
		return image_ref_familiar_repo(name);
	short_repo = image_ref_familiar_repo(repo);
	return xasprintf("%s:%s", short_repo, tag);
}

/* A ':' before the last '/' belongs to a registry port ("localhost:5000/a"),
 * and anything from an '@' on is a digest, whose "sha256:" is no tag. When
 * there is no tag, *repo is a copy of name and *tag is NULL. Either output
 * may be NULL when the caller does not want it. */
bool image_ref_split_tag(const char *name, char **repo, char **tag)
{
	const char *at = strchr(name, '@');
	size_t len = at != NULL ? (size_t)(at - name) : strlen(name);
	const char *colon = memrchr(name, ':', len);
	const char *slash = memrchr(name, '/', len);
	bool found = colon != NULL && (slash == NULL || colon > slash);

	if (repo != NULL)
		*repo = found ? xstrndup(name, (size_t)(colon - name)) : xstrdup(name);
	if (tag != NULL)
		*tag = found ? xstrndup(colon + 1, len - (size_t)(colon - name) - 1) : NULL;
	return found;
}
