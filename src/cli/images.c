/* Docker's images (image ls), tag and rmi over the image store. The rows
 * and their printing are listing.c's; image inspect and history are in
 * image-inspect.c, system df and the prunes in system.c, image mount and
 * unmount in image-mount.c. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/engine.h"
#include "cli/listing.h"
#include "image/reference.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* ---- berth images ---- */

static const struct listing_column image_fields[] = {
	{ "ID", "IMAGE ID" },
	{ "Repository", "REPOSITORY" },
	{ "Tag", "TAG" },
	{ "Digest", "DIGEST" },
	{ "CreatedSince", "CREATED" },
	{ "CreatedAt", "CREATED AT" },
	{ "Size", "SIZE" },
	{ "Containers", "CONTAINERS" },
	{ "VirtualSize", "SIZE" },
	{ "SharedSize", "SHARED SIZE" },
	{ "UniqueSize", "UNIQUE SIZE" },
	{ NULL, NULL },
};

static const struct listing_column images_table[] = {
	{ "Repository", "REPOSITORY" }, { "Tag", "TAG" },   { "ID", "IMAGE ID" },
	{ "CreatedSince", "CREATED" },  { "Size", "SIZE" }, { NULL, NULL },
};

static const struct listing_column images_digest_table[] = {
	{ "Repository", "REPOSITORY" },
	{ "Tag", "TAG" },
	{ "Digest", "DIGEST" },
	{ "ID", "IMAGE ID" },
	{ "CreatedSince", "CREATED" },
	{ "Size", "SIZE" },
	{ NULL, NULL },
};

struct image_filter {
	int dangling;  /* -1: either */
	char **labels; /* "KEY" or "KEY=VALUE": all must match */
	char **refs;   /* globs: one must match */
	bool before_set, since_set;
	int64_t before, since;
};

static void image_filter_clear(struct image_filter *f)
{
	strv_free(f->labels);
	strv_free(f->refs);
}

/* before=IMAGE and since=IMAGE compare with that image's creation time. */
static int filter_time_of(struct store *s, const char *what, int64_t *out, struct berth_err *err)
{
	struct store_image img = { 0 };

	if (store_image_lookup(s, what, &img, err) < 0)
		return -1;
	*out = img.created;
	store_image_clear(&img);
	return 0;
}

static int filter_add(struct store *s, struct image_filter *f, const char *key, const char *value,
		      struct berth_err *err)
{
	if (strcmp(key, "dangling") == 0) {
		if (strcasecmp(value, "true") == 0 || strcmp(value, "1") == 0)
			f->dangling = 1;
		else if (strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0)
			f->dangling = 0;
		else
			return berth_err_set(err, 0, "invalid filter 'dangling=%s'", value);
	} else if (strcmp(key, "label") == 0) {
		strv_push(&f->labels, value);
	} else if (strcmp(key, "reference") == 0) {
		strv_push(&f->refs, value);
	} else if (strcmp(key, "before") == 0) {
		f->before_set = true;
		return filter_time_of(s, value, &f->before, err);
	} else if (strcmp(key, "since") == 0) {
		f->since_set = true;
		return filter_time_of(s, value, &f->since, err);
	} else {
		return berth_err_set(err, 0, "invalid filter '%s'", key);
	}
	return 0;
}

/* s without its leading and trailing spaces, trimmed in place. */
static char *trim_spaces(char *s)
{
	while (*s == ' ')
		s++;
	for (char *p = s + strlen(s); p > s && p[-1] == ' ';)
		*--p = '\0';
	return s;
}

/* Each -f NAME=VALUE; the name is case-insensitive and both are trimmed,
 * as docker's FilterOpt does. */
static int image_filter_parse(struct store *s, char *const *specs, struct image_filter *f,
			      struct berth_err *err)
{
	f->dangling = -1;
	for (size_t i = 0; specs != NULL && specs[i] != NULL; i++) {
		autofree char *spec = xstrdup(specs[i]);
		char *eq = strchr(spec, '='), *key, *value;

		if (eq == NULL)
			return berth_err_set(
			    err, 0, "bad format of filter (expected name=value): %s", specs[i]);
		*eq = '\0';
		key = trim_spaces(spec);
		value = trim_spaces(eq + 1);
		for (char *p = key; *p != '\0'; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		if (filter_add(s, f, key, value, err) < 0)
			return -1;
	}
	return 0;
}

/* reference=PATTERN: path.Match against "repo:tag" and then "repo", both
 * familiar (docker's reference.FamiliarMatch). */
static bool ref_matches(char *const *patterns, const char *tag)
{
	autofree char *name = image_ref_familiar_name(tag);
	autofree char *short_repo = NULL;
	autofree char *t = NULL;

	listing_name_split(tag, &short_repo, &t);
	for (size_t i = 0; patterns[i] != NULL; i++)
		if (fnmatch(patterns[i], name, FNM_PATHNAME) == 0 ||
		    (short_repo != NULL && fnmatch(patterns[i], short_repo, FNM_PATHNAME) == 0))
			return true;
	return false;
}

/* label=KEY or label=KEY=VALUE against the config's config.Labels. */
static bool labels_match(char *const *want, json_object *labels)
{
	for (size_t i = 0; want != NULL && want[i] != NULL; i++) {
		autofree char *key = xstrdup(want[i]);
		char *eq = strchr(key, '=');
		const char *have;

		if (eq != NULL)
			*eq = '\0';
		have = listing_get_str(labels, key);
		if (have == NULL || (eq != NULL && strcmp(have, eq + 1) != 0))
			return false;
	}
	return true;
}

/* Whether img passes the filters; *tags gets the names to show (those the
 * reference filters match, or all). */
static int image_filter_apply(struct store *s, const struct image_filter *f,
			      const struct store_image *img, char ***tags, bool *keep,
			      struct berth_err *err)
{
	bool dangling = img->tags == NULL || img->tags[0] == NULL;

	*keep = false;
	*tags = NULL;
	if ((f->dangling == 1 && !dangling) || (f->dangling == 0 && dangling) ||
	    (f->before_set && img->created >= f->before) ||
	    (f->since_set && img->created <= f->since))
		return 0;
	if (f->labels != NULL) {
		autojson json_object *cfg = NULL;
		json_object *inner = NULL, *labels = NULL;

		if (store_image_config(s, img->id, &cfg, err) < 0)
			return -1;
		if (json_object_object_get_ex(cfg, "config", &inner))
			json_object_object_get_ex(inner, "Labels", &labels);
		if (!labels_match(f->labels, labels))
			return 0;
	}
	for (size_t i = 0; !dangling && img->tags[i] != NULL; i++)
		if (f->refs == NULL || ref_matches(f->refs, img->tags[i]))
			strv_push(tags, img->tags[i]);
	*keep = f->refs == NULL || *tags != NULL;
	return 0;
}

/* The rows of one image: one per name, or <none> <none> for an image
 * without one. The digest column shows the manifest digest when asked for
 * (--digests or a format naming .Digest), as docker shows repo digests. */
static void image_rows(const struct store_image *img, char *const *tags, bool digests, bool trunc,
		       time_t now, json_object *rows)
{
	struct listing_image_row r = { .img = img, .trunc = trunc, .shared = -1, .containers = -1 };

	if (tags == NULL) {
		r.repo = r.tag = r.digest = LISTING_NONE;
		json_object_array_add(rows, listing_image_row_json(&r, now));
		return;
	}
	for (size_t i = 0; tags[i] != NULL; i++) {
		autofree char *short_repo = NULL;
		autofree char *tag = NULL;

		if (!listing_name_split(tags[i], &short_repo, &tag))
			continue;
		r.repo = short_repo;
		r.tag = tag;
		r.digest = digests ? img->manifest : LISTING_NONE;
		json_object_array_add(rows, listing_image_row_json(&r, now));
	}
}

struct images_opts {
	bool all, quiet, digests, no_trunc;
	const char *format;
	char **filters;
};

static const struct cli_opt images_table_opts[] = {
	{ "all", 'a', CLI_OPT_BOOL, offsetof(struct images_opts, all), NULL,
	  "show all images (Berth keeps no intermediate images: the same list)" },
	{ "digests", 0, CLI_OPT_BOOL, offsetof(struct images_opts, digests), NULL, "show digests" },
	{ "filter", 'f', CLI_OPT_STRV, offsetof(struct images_opts, filters), "FILTER",
	  "filter output: dangling=true|false, label=KEY[=VALUE], before=IMAGE, since=IMAGE, "
	  "reference=PATTERN" },
	{ "format", 0, CLI_OPT_STRING, offsetof(struct images_opts, format), "FORMAT",
	  "\"table\", \"table TEMPLATE\", \"json\" or a Go template" },
	{ "no-trunc", 0, CLI_OPT_BOOL, offsetof(struct images_opts, no_trunc), NULL,
	  "don't truncate output" },
	{ "quiet", 'q', CLI_OPT_BOOL, offsetof(struct images_opts, quiet), NULL,
	  "only show image IDs" },
	CLI_OPT_END,
};

/* -q: each id once, in list order. */
static void print_ids(json_object *rows)
{
	autostrv char **seen = NULL;

	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		const char *id = json_object_get_string(
		    json_object_object_get(json_object_array_get_idx(rows, i), "ID"));

		if (strv_contains(seen, id))
			continue;
		strv_push(&seen, id);
		printf("%s\n", id);
	}
}

static int images_collect(struct store *s, const struct images_opts *opts,
			  const struct image_filter *f, bool digests, json_object *rows,
			  struct berth_err *err)
{
	struct store_image *imgs = NULL;
	size_t n = 0;
	time_t now = time(NULL);
	int r = 0;

	if (store_image_list(s, &imgs, &n, err) < 0)
		return -1;
	for (size_t i = 0; r == 0 && i < n; i++) {
		autostrv char **tags = NULL;
		bool keep;

		r = image_filter_apply(s, f, &imgs[i], &tags, &keep, err);
		if (r == 0 && keep)
			image_rows(&imgs[i], tags, digests, !opts->no_trunc, now, rows);
	}
	store_images_free(imgs, n);
	return r;
}

/* docker's NewImageFormat: a custom table with --digests gets the digest
 * column appended. */
static char *images_format(const struct images_opts *opts)
{
	const char *f = opts->format;

	if (f == NULL)
		return NULL;
	if (opts->digests && strncmp(f, "table", 5) == 0 && strcmp(f, "table") != 0 &&
	    strstr(f, "{{.Digest}}") == NULL)
		return xasprintf("%s\t{{.Digest}}", f);
	return xstrdup(f);
}

static int images_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct images_opts *opts = o;
	struct image_filter f = { 0 };
	autojson json_object *rows = json_object_new_array();
	autofree char *format = NULL;
	struct store *s;
	bool digests;
	int r;

	if (engine_store(cli, &s, err) < 0)
		return -1;
	r = image_filter_parse(s, opts->filters, &f, err);
	if (r == 0 && args[0] != NULL)
		strv_push(&f.refs, args[0]); /* REPOSITORY[:TAG] is a reference filter */
	format = images_format(opts);
	digests = opts->digests || (format != NULL && strstr(format, "{{.Digest}}") != NULL);
	if (r == 0)
		r = images_collect(s, opts, &f, digests, rows, err);
	image_filter_clear(&f);
	if (r < 0)
		return -1;
	if (opts->quiet && (format == NULL || strcmp(format, "table") == 0)) {
		print_ids(rows);
		return 0;
	}
	if (listing_print_rows(format, rows, opts->digests ? images_digest_table : images_table,
			       image_fields, err) < 0)
		return -1;
	return 0;
}

const struct engine_cmd engine_cmd_images = {
	.name = "images",
	.args = "[REPOSITORY[:TAG]]",
	.summary = "List images",
	.opts = images_table_opts,
	.opts_size = sizeof(struct images_opts),
	.min_args = 0,
	.max_args = 1,
	.run = images_run,
};

/* ---- berth tag ---- */

static int tag_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct store_image img = { 0 };
	struct store *s;
	int r;

	(void)o;
	if (engine_store(cli, &s, err) < 0 || store_image_lookup(s, args[0], &img, err) < 0)
		return -1;
	r = store_tag(s, img.id, args[1], err);
	store_image_clear(&img);
	return r < 0 ? -1 : 0;
}

const struct engine_cmd engine_cmd_tag = {
	.name = "tag",
	.args = "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
	.summary = "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
	.min_args = 2,
	.max_args = 2,
	.run = tag_run,
};

/* ---- berth rmi ---- */

struct rmi_opts {
	bool force, no_prune;
};

static const struct cli_opt rmi_table_opts[] = {
	{ "force", 'f', CLI_OPT_BOOL, offsetof(struct rmi_opts, force), NULL,
	  "force removal of the image" },
	{ "no-prune", 0, CLI_OPT_BOOL, offsetof(struct rmi_opts, no_prune), NULL,
	  "do not delete untagged parents (Berth has no parent images)" },
	CLI_OPT_END,
};

static void print_removed(const struct store_removed *r)
{
	for (size_t i = 0; r->untagged != NULL && r->untagged[i] != NULL; i++) {
		autofree char *name = image_ref_familiar_name(r->untagged[i]);

		printf("Untagged: %s\n", name);
	}
	for (size_t i = 0; r->deleted != NULL && r->deleted[i] != NULL; i++)
		printf("Deleted: %s\n", r->deleted[i]);
}

/* Each image in turn, as docker does: a failure does not stop the others;
 * the errors are reported at the end. With --force, images that do not
 * exist are only warned about. */
static int rmi_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct rmi_opts *opts = o;
	autofree char *errors = NULL;
	size_t len = 0;
	bool fatal = false;
	struct store *s;

	if (engine_store(cli, &s, err) < 0)
		return -1;
	for (size_t i = 0; args[i] != NULL; i++) {
		struct store_removed r = { 0 };

		if (store_image_remove(s, args[i], opts->force, &r, err) == 0) {
			print_removed(&r);
			store_removed_clear(&r);
			continue;
		}
		store_removed_clear(&r);
		fatal |= err->code != ENOENT;
		listing_append(&errors, &len, "; ", err->msg);
	}
	if (errors == NULL)
		return 0;
	if (opts->force && !fatal) {
		fflush(stdout);
		log_warn("%s", errors);
		return 0;
	}
	return berth_err_set(err, 0, "%s", errors);
}

const struct engine_cmd engine_cmd_rmi = {
	.name = "rmi",
	.args = "IMAGE [IMAGE...]",
	.summary = "Remove one or more images",
	.opts = rmi_table_opts,
	.opts_size = sizeof(struct rmi_opts),
	.min_args = 1,
	.max_args = -1,
	.run = rmi_run,
};
