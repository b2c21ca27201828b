/* Docker's image commands over the image store: images (image ls), image
 * inspect, history, tag, rmi, image prune, system df and system prune, plus
 * podman's image mount and unmount.
 *
 * Scripts parse what these print, so the output follows docker's CLI
 * (24-28) byte for byte: each listing builds one JSON object per row with
 * docker's field names and values, and that one object feeds the default
 * table, --format templates and --format json. Default tables are aligned
 * as docker's formatter aligns them: Go's tabwriter with a minimum cell
 * width of 10 and a padding of 3. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli/engine.h"
#include "cli/json-print.h"
#include "image/layer.h"
#include "image/reference.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/human.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/template.h"
#include "util/xalloc.h"

#define NONE         "<none>"
#define MOUNT_PREFIX "mount-"
/* Go's encoding/json as docker's `{{json .}}` uses it: no HTML escaping,
 * and '/' is not escaped either. */
#define JSON_LINE_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* ---- text: names, ids, sizes, times ---- */

/* "busybox:latest" for "docker.io/library/busybox:latest". */
static char *familiar_name(const char *name)
{
	autofree char *repo = NULL;
	autofree char *tag = NULL;
	autofree char *short_repo = NULL;

	if (!image_ref_split_tag(name, &repo, &tag))
		return image_ref_familiar_repo(name);
	short_repo = image_ref_familiar_repo(repo);
	return xasprintf("%s:%s", short_repo, tag);
}

/* The first 12 hex digits of an id (docker's TruncateID), or all of it. */
static char *id_text(const char *id, bool trunc)
{
	if (!trunc)
		return xstrdup(id);
	return xstrndup(
	    strncmp(id, DIGEST_PREFIX, strlen(DIGEST_PREFIX)) == 0 ? digest_hex(id) : id, 12);
}

/* go-units HumanSize (four significant digits), which docker uses for
 * VirtualSize, SharedSize, df and the prune totals; human_size is the
 * three-digit HumanSizeWithPrecision(x, 3) of the SIZE columns. */
static char *human_size4(double bytes, char buf[static 32])
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB" };
	size_t i = 0;

	while (bytes >= 1000.0 && i < ARRAY_SIZE(units) - 1) {
		bytes /= 1000.0;
		i++;
	}
	snprintf(buf, 32, "%.4g%s", bytes, units[i]);
	return buf;
}

/* Go's time.Time.String() of a Unix time in the local zone, as docker's
 * CreatedAt prints it: "2024-05-01 12:00:00 +0000 UTC". */
static char *time_go_string(int64_t sec, char buf[static 64])
{
	time_t t = (time_t)sec;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(buf, 64, "%Y-%m-%d %H:%M:%S %z %Z", &tm) == 0)
		snprintf(buf, 64, "%lld", (long long)sec);
	return buf;
}

/* time.RFC3339 in the local zone: "2024-05-01T12:00:00Z" or "...+02:00". */
static char *time_rfc3339_local(int64_t sec, char buf[static 48])
{
	time_t t = (time_t)sec;
	struct tm tm;
	long off;
	size_t n;

	if (localtime_r(&t, &tm) == NULL) {
		snprintf(buf, 48, "%lld", (long long)sec);
		return buf;
	}
	n = strftime(buf, 48, "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff;
	if (off == 0)
		snprintf(buf + n, 48 - n, "Z");
	else
		snprintf(buf + n, 48 - n, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600,
			 labs(off) % 3600 / 60);
	return buf;
}

/* A config's RFC 3339 "created" as seconds; 0 when absent or unreadable. */
static int64_t created_seconds(json_object *o, long *nsec)
{
	json_object *v = NULL;
	struct berth_err ignored;
	int64_t sec = 0;
	long ns = 0;

	if (json_object_object_get_ex(o, "created", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    human_parse_rfc3339(json_object_get_string(v), &sec, &ns, &ignored) < 0)
		sec = ns = 0;
	if (nsec != NULL)
		*nsec = ns;
	return sec;
}

/* A string member, or NULL when absent or not a string. */
static const char *member_str(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
}

/* A JSON string of a malloc'd C string, which it frees. */
static json_object *json_string_take(char *s)
{
	json_object *o = json_object_new_string(s);

	free(s);
	return o;
}

static size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* The store words a missing image "No such image: X" and appends errno's
 * text; docker's message ends at the name. */
static void trim_no_such(struct berth_err *err)
{
	const char *suffix = strerror(ENOENT);
	size_t n = strlen(err->msg), k = strlen(suffix);

	if (err->code == ENOENT && strncmp(err->msg, "No such image: ", 15) == 0 && n > k + 2 &&
	    strcmp(err->msg + n - k, suffix) == 0 && strncmp(err->msg + n - k - 2, ": ", 2) == 0)
		err->msg[n - k - 2] = '\0';
}

/* store_image_lookup with docker's wording of a missing image. */
static int image_lookup(struct store *s, const char *what, struct store_image *out,
			struct berth_err *err)
{
	if (store_image_lookup(s, what, out, err) == 0)
		return 0;
	trim_no_such(err);
	return -1;
}

/* ---- output: default tables, --format TEMPLATE, --format json ---- */

struct column {
	const char *field;  /* the row's key, as a template names it */
	const char *header; /* its table heading */
};

static void str_append(char **s, size_t *len, const char *text)
{
	size_t n = strlen(text);

	*s = xrealloc(*s, *len + n + 1);
	memcpy(*s + *len, text, n + 1);
	*len += n;
}

/* One tab-separated line of the default table: the headings when row is
 * NULL. */
static char *table_line(const struct column *cols, json_object *row)
{
	char *line = xstrdup("");
	size_t len = 0;

	for (size_t i = 0; cols[i].field != NULL; i++) {
		const char *text = cols[i].header;

		if (row != NULL)
			text = json_object_get_string(json_object_object_get(row, cols[i].field));
		str_append(&line, &len, text != NULL ? text : "");
		if (cols[i + 1].field != NULL)
			str_append(&line, &len, "\t");
	}
	return line;
}

static void print_table(const struct column *cols, json_object *rows)
{
	size_t n = json_object_array_length(rows);
	autostrv char **lines = xcalloc(n + 2, sizeof(*lines));

	lines[0] = table_line(cols, NULL);
	for (size_t i = 0; i < n; i++)
		lines[i + 1] = table_line(cols, json_object_array_get_idx(rows, i));
	tmpl_tabwrite(stdout, lines, n + 1);
}

static json_object *header_map(const struct column *fields)
{
	json_object *m = json_object_new_object();

	for (size_t i = 0; fields[i].field != NULL; i++)
		add_str(m, fields[i].field, fields[i].header);
	return m;
}

/* A user's template over each row: "table ..." aligned with headings from
 * fields, anything else one line per row. */
static int print_template(const char *format, json_object *rows, const struct column *fields,
			  struct berth_err *err)
{
	struct tmpl *t = NULL;
	int r = 0;

	if (tmpl_parse(format, &t, err) < 0)
		return -1;
	for (size_t i = 0; r == 0 && i < json_object_array_length(rows); i++) {
		json_object *row = json_object_array_get_idx(rows, i);
		autofree char *out = NULL;

		if (tmpl_is_table(t)) {
			r = tmpl_table_row(t, row, err);
		} else {
			r = tmpl_exec(t, row, &out, err);
			if (r == 0)
				printf("%s\n", out);
		}
	}
	if (r == 0 && tmpl_is_table(t)) {
		autojson json_object *headers = header_map(fields);

		tmpl_table_flush(t, headers, stdout);
	}
	tmpl_free(t);
	return r;
}

/* format: NULL or "table" for the default table, "json" for a JSON object
 * per line, else a template. */
static int print_rows(const char *format, json_object *rows, const struct column *table,
		      const struct column *fields, struct berth_err *err)
{
	if (format == NULL || format[0] == '\0' || strcmp(format, "table") == 0) {
		print_table(table, rows);
		return 0;
	}
	if (strcmp(format, "json") == 0) {
		for (size_t i = 0; i < json_object_array_length(rows); i++)
			printf("%s\n", json_object_to_json_string_ext(
					   json_object_array_get_idx(rows, i), JSON_LINE_FLAGS));
		return 0;
	}
	return print_template(format, rows, fields, err);
}

/* ---- berth images ---- */

static const struct column image_fields[] = {
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

static const struct column images_table[] = {
	{ "Repository", "REPOSITORY" }, { "Tag", "TAG" },   { "ID", "IMAGE ID" },
	{ "CreatedSince", "CREATED" },  { "Size", "SIZE" }, { NULL, NULL },
};

static const struct column images_digest_table[] = {
	{ "Repository", "REPOSITORY" },
	{ "Tag", "TAG" },
	{ "Digest", "DIGEST" },
	{ "ID", "IMAGE ID" },
	{ "CreatedSince", "CREATED" },
	{ "Size", "SIZE" },
	{ NULL, NULL },
};

/* What one row of `images` (and of `system df -v`) shows. */
struct image_row {
	const struct store_image *img;
	const char *repo, *tag, *digest;
	bool trunc;
	int64_t shared;     /* -1: not computed ("N/A") */
	int64_t containers; /* -1: not computed */
};

/* One row as docker's image formatter context marshals it: keys sorted. */
static json_object *image_row_json(const struct image_row *r, time_t now)
{
	json_object *o = json_object_new_object();
	autofree char *id = id_text(r->img->id, r->trunc);
	char buf[64], since[48];

	snprintf(buf, sizeof(buf), "%lld", (long long)r->containers);
	add_str(o, "Containers", r->containers < 0 ? "N/A" : buf);
	add_str(o, "CreatedAt", time_go_string(r->img->created, buf));
	add_str(o, "CreatedSince", human_since((time_t)r->img->created, now, since));
	add_str(o, "Digest", r->digest);
	add_str(o, "ID", id);
	add_str(o, "Repository", r->repo);
	add_str(o, "SharedSize", r->shared < 0 ? "N/A" : human_size4((double)r->shared, buf));
	add_str(o, "Size", human_size((double)r->img->size, buf));
	add_str(o, "Tag", r->tag);
	add_str(o, "UniqueSize",
		r->shared < 0 ? "N/A" : human_size4((double)r->img->size - (double)r->shared, buf));
	add_str(o, "VirtualSize", human_size4((double)r->img->size, buf));
	return o;
}

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

	if (image_lookup(s, what, &img, err) < 0)
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

/* Each -f NAME=VALUE; the name is case-insensitive and both are trimmed,
 * as docker's FilterOpt does. */
static int image_filter_parse(struct store *s, char *const *specs, struct image_filter *f,
			      struct berth_err *err)
{
	f->dangling = -1;
	for (size_t i = 0; specs != NULL && specs[i] != NULL; i++) {
		autofree char *spec = xstrdup(specs[i]);
		char *eq = strchr(spec, '='), *key = spec, *value;

		if (eq == NULL)
			return berth_err_set(
			    err, 0, "bad format of filter (expected name=value): %s", specs[i]);
		*eq = '\0';
		value = eq + 1;
		while (*key == ' ')
			key++;
		for (char *p = key + strlen(key); p > key && p[-1] == ' ';)
			*--p = '\0';
		for (char *p = key; *p != '\0'; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		while (*value == ' ')
			value++;
		for (char *p = value + strlen(value); p > value && p[-1] == ' ';)
			*--p = '\0';
		if (filter_add(s, f, key, value, err) < 0)
			return -1;
	}
	return 0;
}

/* reference=PATTERN: path.Match against "repo:tag" and then "repo", both
 * familiar (docker's reference.FamiliarMatch). */
static bool ref_matches(char *const *patterns, const char *tag)
{
	autofree char *name = familiar_name(tag);
	autofree char *repo = NULL;
	autofree char *t = NULL;
	autofree char *short_repo = NULL;

	if (image_ref_split_tag(tag, &repo, &t))
		short_repo = image_ref_familiar_repo(repo);
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
		have = member_str(labels, key);
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
	struct image_row r = { .img = img, .trunc = trunc, .shared = -1, .containers = -1 };

	if (tags == NULL) {
		r.repo = r.tag = r.digest = NONE;
		json_object_array_add(rows, image_row_json(&r, now));
		return;
	}
	for (size_t i = 0; tags[i] != NULL; i++) {
		autofree char *repo = NULL;
		autofree char *tag = NULL;
		autofree char *short_repo = NULL;

		if (!image_ref_split_tag(tags[i], &repo, &tag))
			continue;
		short_repo = image_ref_familiar_repo(repo);
		r.repo = short_repo;
		r.tag = tag;
		r.digest = digests ? img->manifest : NONE;
		json_object_array_add(rows, image_row_json(&r, now));
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
	if (print_rows(format, rows, opts->digests ? images_digest_table : images_table,
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

/* ---- berth image inspect ---- */

enum config_default { DEF_EMPTY, DEF_FALSE, DEF_NULL, DEF_OMIT };

/* Docker's container.Config, in its field order, with what docker shows when
 * the image's config lacks the key (omitempty fields are left out). */
static const struct {
	const char *key;
	enum config_default def;
} docker_config_keys[] = {
	{ "Hostname", DEF_EMPTY },
	{ "Domainname", DEF_EMPTY },
	{ "User", DEF_EMPTY },
	{ "AttachStdin", DEF_FALSE },
	{ "AttachStdout", DEF_FALSE },
	{ "AttachStderr", DEF_FALSE },
	{ "ExposedPorts", DEF_OMIT },
	{ "Tty", DEF_FALSE },
	{ "OpenStdin", DEF_FALSE },
	{ "StdinOnce", DEF_FALSE },
	{ "Env", DEF_NULL },
	{ "Cmd", DEF_NULL },
	{ "Healthcheck", DEF_OMIT },
	{ "ArgsEscaped", DEF_OMIT },
	{ "Image", DEF_EMPTY },
	{ "Volumes", DEF_NULL },
	{ "WorkingDir", DEF_EMPTY },
	{ "Entrypoint", DEF_NULL },
	{ "NetworkDisabled", DEF_OMIT },
	{ "MacAddress", DEF_OMIT },
	{ "OnBuild", DEF_NULL },
	{ "Labels", DEF_NULL },
	{ "StopSignal", DEF_OMIT },
	{ "StopTimeout", DEF_OMIT },
	{ "Shell", DEF_OMIT },
};

static json_object *docker_config(json_object *cfg)
{
	json_object *out = json_object_new_object(), *inner = NULL;

	json_object_object_get_ex(cfg, "config", &inner);
	for (size_t i = 0; i < ARRAY_SIZE(docker_config_keys); i++) {
		const char *key = docker_config_keys[i].key;
		json_object *v = NULL;

		if (inner != NULL && json_object_object_get_ex(inner, key, &v))
			json_object_object_add(out, key, json_object_get(v));
		else if (docker_config_keys[i].def == DEF_EMPTY)
			add_str(out, key, "");
		else if (docker_config_keys[i].def == DEF_FALSE)
			json_object_object_add(out, key, json_object_new_boolean(0));
		else if (docker_config_keys[i].def == DEF_NULL)
			json_object_object_add(out, key, NULL);
	}
	return out;
}

/* RepoTags ("busybox:latest") and RepoDigests ("busybox@sha256:...", one per
 * repository). */
static void inspect_names(const struct store_image *img, json_object *o)
{
	json_object *tags = json_object_new_array(), *digests = json_object_new_array();
	autostrv char **repos = NULL;

	for (size_t i = 0; img->tags != NULL && img->tags[i] != NULL; i++) {
		autofree char *repo = NULL;
		autofree char *tag = NULL;
		autofree char *short_repo = NULL;

		json_object_array_add(tags, json_string_take(familiar_name(img->tags[i])));
		if (!image_ref_split_tag(img->tags[i], &repo, &tag))
			continue;
		short_repo = image_ref_familiar_repo(repo);
		if (strv_contains(repos, short_repo))
			continue;
		strv_push(&repos, short_repo);
		json_object_array_add(
		    digests, json_string_take(xasprintf("%s@%s", short_repo, img->manifest)));
	}
	json_object_object_add(o, "RepoTags", tags);
	json_object_object_add(o, "RepoDigests", digests);
}

/* The top-level comment, else the newest history entry's. */
static const char *image_comment(json_object *cfg)
{
	json_object *hist = NULL;
	const char *c = member_str(cfg, "comment");
	size_t n;

	if (c != NULL)
		return c;
	if (!json_object_object_get_ex(cfg, "history", &hist) ||
	    !json_object_is_type(hist, json_type_array) ||
	    (n = json_object_array_length(hist)) == 0)
		return "";
	c = member_str(json_object_array_get_idx(hist, n - 1), "comment");
	return c != NULL ? c : "";
}

/* Overlay's view of the layers: the top layer as UpperDir, the others top
 * down as LowerDir. */
static json_object *graph_driver(struct store *s, const struct store_image *img)
{
	json_object *g = json_object_new_object(), *data = NULL;
	char *lower = NULL;
	size_t len = 0;

	for (size_t i = img->n_layers - (img->n_layers > 0); i-- > 0;) {
		autofree char *p = store_layer_path(s, img->layers[i].chain_id);

		if (lower != NULL)
			str_append(&lower, &len, ":");
		else
			lower = xstrdup("");
		str_append(&lower, &len, p);
	}
	if (img->n_layers > 0) {
		data = json_object_new_object();
		if (lower != NULL)
			json_object_object_add(data, "LowerDir", json_string_take(lower));
		json_object_object_add(
		    data, "UpperDir",
		    json_string_take(store_layer_path(s, img->layers[img->n_layers - 1].chain_id)));
	}
	json_object_object_add(g, "Data", data);
	add_str(g, "Name", snapshot_driver_name(s->driver));
	return g;
}

static json_object *inspect_rootfs(const struct store_image *img)
{
	json_object *r = json_object_new_object(), *layers = json_object_new_array();

	add_str(r, "Type", "layers");
	for (size_t i = 0; i < img->n_layers; i++)
		json_object_array_add(layers, json_object_new_string(img->layers[i].diff_id));
	if (img->n_layers > 0)
		json_object_object_add(r, "Layers", layers);
	else
		json_object_put(layers);
	return r;
}

static json_object *inspect_object(struct store *s, const struct store_image *img, json_object *cfg)
{
	json_object *o = json_object_new_object(), *meta = json_object_new_object();
	const char *v;
	char buf[48];
	long nsec;
	int64_t created = created_seconds(cfg, &nsec);

	add_str(o, "Id", img->id);
	inspect_names(img, o);
	add_str(o, "Parent", "");
	add_str(o, "Comment", image_comment(cfg));
	if (member_str(cfg, "created") != NULL)
		add_str(o, "Created", human_rfc3339(created, nsec, buf));
	v = member_str(cfg, "docker_version");
	add_str(o, "DockerVersion", v != NULL ? v : "");
	v = member_str(cfg, "author");
	add_str(o, "Author", v != NULL ? v : "");
	json_object_object_add(o, "Config", docker_config(cfg));
	v = member_str(cfg, "architecture");
	add_str(o, "Architecture", v != NULL ? v : "");
	if ((v = member_str(cfg, "variant")) != NULL)
		add_str(o, "Variant", v);
	v = member_str(cfg, "os");
	add_str(o, "Os", v != NULL ? v : "");
	if ((v = member_str(cfg, "os.version")) != NULL)
		add_str(o, "OsVersion", v);
	json_object_object_add(o, "Size", json_object_new_int64((int64_t)img->size));
	json_object_object_add(o, "GraphDriver", graph_driver(s, img));
	json_object_object_add(o, "RootFS", inspect_rootfs(img));
	add_str(meta, "LastTagTime",
		img->last_tag_time > 0 ? human_rfc3339(img->last_tag_time, 0, buf)
				       : "0001-01-01T00:00:00Z");
	json_object_object_add(o, "Metadata", meta);
	return o;
}

/* Docker's daemon writes JSON with Go's encoding/json: <, > and & as
 * \u003c, \u003e and \u0026, U+2028 and U+2029 escaped, and \b and \f as
 * \u0008 and \u000c; inspect output keeps that text. Those bytes occur only
 * inside strings, so escaping json-c's text is exact. */
static void print_json_go(json_object *o)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	if (m == NULL)
		abort();
	cli_json_print(m, o, "    ");
	fclose(m);
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\\' && (p[1] == 'b' || p[1] == 'f')) {
			fputs(p[1] == 'b' ? "\\u0008" : "\\u000c", stdout);
			p++;
		} else if (*p == '\\' && p[1] != '\0') {
			fputc(*p++, stdout);
			fputc(*p, stdout);
		} else if (*p == '<' || *p == '>' || *p == '&') {
			printf("\\u%04x", (unsigned)*p);
		} else if (strncmp(p, "\xe2\x80\xa8", 3) == 0 ||
			   strncmp(p, "\xe2\x80\xa9", 3) == 0) {
			printf("\\u%04x", p[2] == '\xa8' ? 0x2028u : 0x2029u);
			p += 2;
		} else {
			fputc(*p, stdout);
		}
	}
	free(text);
}

struct inspect_opts {
	const char *format;
};

static const struct cli_opt inspect_table_opts[] = {
	{ "format", 'f', CLI_OPT_STRING, offsetof(struct inspect_opts, format), "FORMAT",
	  "format the output using a Go template" },
	CLI_OPT_END,
};

/* One image's object into all; a missing image is noted in missing. */
static int inspect_one(struct store *s, const char *what, json_object *all, char **missing,
		       struct berth_err *err)
{
	struct store_image img = { 0 };
	autojson json_object *cfg = NULL;
	size_t len = *missing != NULL ? strlen(*missing) : 0;

	if (image_lookup(s, what, &img, err) < 0) {
		if (err->code != ENOENT)
			return -1;
		if (*missing != NULL)
			str_append(missing, &len, "; ");
		str_append(missing, &len, err->msg);
		return 0;
	}
	if (store_image_config(s, img.id, &cfg, err) < 0) {
		store_image_clear(&img);
		return -1;
	}
	json_object_array_add(all, inspect_object(s, &img, cfg));
	store_image_clear(&img);
	return 0;
}

static int inspect_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct inspect_opts *opts = o;
	autojson json_object *all = json_object_new_array();
	autofree char *missing = NULL;
	struct tmpl *t = NULL;
	struct store *s;
	int r = 0;

	if (engine_store(cli, &s, err) < 0)
		return -1;
	if (opts->format != NULL && tmpl_parse(opts->format, &t, err) < 0)
		return -1;
	for (size_t i = 0; r == 0 && args[i] != NULL; i++)
		r = inspect_one(s, args[i], all, &missing, err);
	for (size_t i = 0; r == 0 && t != NULL && i < json_object_array_length(all); i++) {
		autofree char *out = NULL;

		r = tmpl_exec(t, json_object_array_get_idx(all, i), &out, err);
		if (r == 0)
			printf("%s\n", out);
	}
	tmpl_free(t);
	if (r < 0)
		return -1;
	if (opts->format == NULL)
		print_json_go(all);
	if (missing != NULL) {
		berth_err_set(err, 0, "%s", missing);
		err->code = ENOENT;
		return -1;
	}
	return 0;
}

const struct engine_cmd engine_cmd_image_inspect = {
	.name = "inspect",
	.args = "IMAGE [IMAGE...]",
	.summary = "Display detailed information on one or more images",
	.opts = inspect_table_opts,
	.opts_size = sizeof(struct inspect_opts),
	.min_args = 1,
	.max_args = -1,
	.run = inspect_run,
};

/* ---- berth history ---- */

static const struct column history_fields[] = {
	{ "ID", "IMAGE" },
	{ "CreatedSince", "CREATED" },
	{ "CreatedAt", "CREATED AT" },
	{ "CreatedBy", "CREATED BY" },
	{ "Size", "SIZE" },
	{ "Comment", "COMMENT" },
	{ NULL, NULL },
};

static const struct column history_table[] = {
	{ "ID", "IMAGE" },  { "CreatedSince", "CREATED" }, { "CreatedBy", "CREATED BY" },
	{ "Size", "SIZE" }, { "Comment", "COMMENT" },      { NULL, NULL },
};

static const struct column history_table_raw[] = {
	{ "ID", "IMAGE" },  { "CreatedAt", "CREATED AT" }, { "CreatedBy", "CREATED BY" },
	{ "Size", "SIZE" }, { "Comment", "COMMENT" },      { NULL, NULL },
};

/* One history entry as the daemon reports it. */
struct history_item {
	int64_t created;
	const char *created_by, *comment;
	uint64_t size;
};

struct history_opts {
	const char *human; /* a bool defaulting to true (see the table) */
	bool quiet, no_trunc;
	const char *format;
};

/* --human defaults to true, which a CLI_OPT_BOOL cannot express (zero is
 * false and is also "not given"), so it takes its value as a string:
 * --human=false, -H=false. */
static const struct cli_opt history_table_opts[] = {
	{ "format", 0, CLI_OPT_STRING, offsetof(struct history_opts, format), "FORMAT",
	  "\"table\", \"table TEMPLATE\", \"json\" or a Go template" },
	{ "human", 'H', CLI_OPT_STRING, offsetof(struct history_opts, human), "BOOL",
	  "print sizes and dates in human readable format (default true)" },
	{ "no-trunc", 0, CLI_OPT_BOOL, offsetof(struct history_opts, no_trunc), NULL,
	  "don't truncate output" },
	{ "quiet", 'q', CLI_OPT_BOOL, offsetof(struct history_opts, quiet), NULL,
	  "only show image IDs" },
	CLI_OPT_END,
};

/* docker's formatter.Ellipsis for text of single-width characters: at most
 * max characters, the last one "…" when cut. */
static char *ellipsis(const char *s, size_t max)
{
	size_t runes = 0;
	const char *p = s;

	if (utf8_len(s) <= max)
		return xstrdup(s);
	for (; *p != '\0'; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80 && runes++ == max - 1)
			break;
	}
	return xasprintf("%.*s…", (int)(p - s), s);
}

/* 2000-01-01T00:00:00Z: docker shows no age for older times (a zero time). */
#define HISTORY_EPOCH 946684800

static json_object *history_row_json(const struct history_item *h, const char *id, bool human,
				     bool trunc, time_t now)
{
	json_object *o = json_object_new_object();
	autofree char *by = xstrdup(h->created_by != NULL ? h->created_by : "");
	autofree char *shown = NULL;
	char at[48], since[48], size[32];

	for (char *p = by; *p != '\0'; p++)
		if (*p == '\t')
			*p = ' ';
	shown = trunc ? ellipsis(by, 45) : xstrdup(by);
	time_rfc3339_local(h->created, at);
	if (!human)
		snprintf(since, sizeof(since), "%s", at);
	else if (h->created <= HISTORY_EPOCH)
		since[0] = '\0';
	else
		human_since((time_t)h->created, now, since);
	if (human)
		human_size((double)h->size, size);
	else
		snprintf(size, sizeof(size), "%llu", (unsigned long long)h->size);
	add_str(o, "Comment", h->comment != NULL ? h->comment : "");
	add_str(o, "CreatedAt", at);
	add_str(o, "CreatedBy", shown);
	add_str(o, "CreatedSince", since);
	add_str(o, "ID", id);
	add_str(o, "Size", size);
	return o;
}

/* The config's history, oldest first; entries that made a layer take that
 * layer's size in turn. Without a history, one entry per layer. */
static struct history_item *history_items(const struct store_image *img, json_object *cfg,
					  size_t *n)
{
	json_object *hist = NULL;
	struct history_item *items;
	size_t count, layer = 0;

	if (!json_object_object_get_ex(cfg, "history", &hist) ||
	    !json_object_is_type(hist, json_type_array) || json_object_array_length(hist) == 0) {
		items = xcalloc(img->n_layers + 1, sizeof(*items));
		for (size_t i = 0; i < img->n_layers; i++)
			items[i] = (struct history_item){ .created = img->created,
							  .size = img->layers[i].size };
		*n = img->n_layers;
		return items;
	}
	count = json_object_array_length(hist);
	items = xcalloc(count, sizeof(*items));
	for (size_t i = 0; i < count; i++) {
		json_object *e = json_object_array_get_idx(hist, i), *empty = NULL;

		items[i].created = created_seconds(e, NULL);
		items[i].created_by = member_str(e, "created_by");
		items[i].comment = member_str(e, "comment");
		if (json_object_object_get_ex(e, "empty_layer", &empty) &&
		    json_object_get_boolean(empty))
			continue;
		if (layer < img->n_layers)
			items[i].size = img->layers[layer++].size;
	}
	*n = count;
	return items;
}

static int history_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct history_opts *opts = o;
	struct store_image img = { 0 };
	autojson json_object *cfg = NULL;
	autojson json_object *rows = json_object_new_array();
	autofree struct history_item *items = NULL;
	autofree char *id = NULL;
	const char *format = opts->format;
	struct store *s;
	size_t n = 0;
	time_t now = time(NULL);
	bool human = true;
	int r;

	if (opts->human != NULL && cli_parse_bool(opts->human, &human) < 0)
		return berth_err_set(err, 0, "invalid boolean value \"%s\" for flag --human",
				     opts->human);
	if (engine_store(cli, &s, err) < 0 || image_lookup(s, args[0], &img, err) < 0)
		return -1;
	if (store_image_config(s, img.id, &cfg, err) < 0) {
		store_image_clear(&img);
		return -1;
	}
	id = id_text(img.id, !opts->no_trunc);
	items = history_items(&img, cfg, &n);
	for (size_t i = n; i-- > 0;)
		json_object_array_add(rows,
				      history_row_json(&items[i], i == n - 1 ? id : "<missing>",
						       human, !opts->no_trunc, now));
	store_image_clear(&img);
	if (opts->quiet && (format == NULL || strcmp(format, "table") == 0))
		format = "{{.ID}}";
	r = print_rows(format, rows, human ? history_table : history_table_raw, history_fields,
		       err);
	return r < 0 ? -1 : 0;
}

const struct engine_cmd engine_cmd_history = {
	.name = "history",
	.args = "IMAGE",
	.summary = "Show the history of an image",
	.opts = history_table_opts,
	.opts_size = sizeof(struct history_opts),
	.min_args = 1,
	.max_args = 1,
	.run = history_run,
};

/* ---- berth tag ---- */

static int tag_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct store_image img = { 0 };
	struct store *s;
	int r;

	(void)o;
	if (engine_store(cli, &s, err) < 0 || image_lookup(s, args[0], &img, err) < 0)
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

static void print_removed(const struct store_removed *r, const char *untagged, const char *deleted)
{
	for (size_t i = 0; r->untagged != NULL && r->untagged[i] != NULL; i++) {
		autofree char *name = familiar_name(r->untagged[i]);

		printf("%s%s\n", untagged, name);
	}
	for (size_t i = 0; r->deleted != NULL && r->deleted[i] != NULL; i++)
		printf("%s%s\n", deleted, r->deleted[i]);
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
			print_removed(&r, "Untagged: ", "Deleted: ");
			store_removed_clear(&r);
			continue;
		}
		store_removed_clear(&r);
		trim_no_such(err);
		fatal |= err->code != ENOENT;
		if (errors != NULL)
			str_append(&errors, &len, "; ");
		str_append(&errors, &len, err->msg);
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

/* ---- berth image prune, berth system prune ---- */

/* Docker's prompt: the question, " [y/N] ", and a line from stdin; only "y"
 * or "Y" (spaces aside) goes ahead. */
static bool confirm(const char *question)
{
	autofree char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	char *p;

	printf("%s [y/N] ", question);
	fflush(stdout);
	n = getline(&line, &cap, stdin);
	if (n <= 0)
		return false;
	for (p = line; *p == ' ' || *p == '\t'; p++)
		;
	while (n > 0 && strchr(" \t\r\n", line[n - 1]) != NULL)
		line[--n] = '\0';
	return strcmp(p, "y") == 0 || strcmp(p, "Y") == 0;
}

/* "Deleted Images:" with docker's lines per image (its names untagged, then
 * the image deleted), in the order the store removed them. before holds
 * the images as they were, to group names with their image. */
static void print_pruned(const struct store_removed *r, const struct store_image *before, size_t n)
{
	if (r->deleted == NULL && r->untagged == NULL)
		return;
	printf("Deleted Images:\n");
	for (size_t i = 0; r->deleted != NULL && r->deleted[i] != NULL; i++) {
		for (size_t j = 0; j < n; j++) {
			if (strcmp(before[j].id, r->deleted[i]) != 0)
				continue;
			for (size_t k = 0; before[j].tags != NULL && before[j].tags[k] != NULL;
			     k++) {
				autofree char *name = familiar_name(before[j].tags[k]);

				if (strv_contains(r->untagged, before[j].tags[k]))
					printf("untagged: %s\n", name);
			}
		}
		printf("deleted: %s\n", r->deleted[i]);
	}
	printf("\n");
}

/* Prunes images and prints what went; *reclaimed gets the bytes freed. */
static int prune_images(struct store *s, bool all, uint64_t *reclaimed, struct berth_err *err)
{
	struct store_image *before = NULL;
	struct store_removed r = { 0 };
	size_t n = 0;

	if (store_image_list(s, &before, &n, err) < 0)
		return -1;
	if (store_image_prune(s, all, &r, reclaimed, err) < 0) {
		store_images_free(before, n);
		return -1;
	}
	print_pruned(&r, before, n);
	store_removed_clear(&r);
	store_images_free(before, n);
	return 0;
}

static void print_reclaimed(uint64_t bytes)
{
	char buf[32];

	printf("Total reclaimed space: %s\n", human_size4((double)bytes, buf));
}

struct prune_opts {
	bool all, force;
	char **filters;
};

static const struct cli_opt image_prune_table_opts[] = {
	{ "all", 'a', CLI_OPT_BOOL, offsetof(struct prune_opts, all), NULL,
	  "remove all unused images, not just dangling ones" },
	{ "filter", 0, CLI_OPT_STRV, offsetof(struct prune_opts, filters), "FILTER",
	  "not supported yet: refused" },
	{ "force", 'f', CLI_OPT_BOOL, offsetof(struct prune_opts, force), NULL,
	  "do not prompt for confirmation" },
	CLI_OPT_END,
};

static int image_prune_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct prune_opts *opts = o;
	uint64_t reclaimed = 0;
	struct store *s;

	(void)args;
	if (opts->filters != NULL)
		return berth_err_set(err, 0, "image prune: --filter is not supported yet");
	if (!opts->force &&
	    !confirm(opts->all ? "WARNING! This will remove all images without at least one "
				 "container associated to them.\nAre you sure you want to continue?"
			       : "WARNING! This will remove all dangling images.\nAre you sure you "
				 "want to continue?"))
		return 0;
	if (engine_store(cli, &s, err) < 0 || prune_images(s, opts->all, &reclaimed, err) < 0)
		return -1;
	print_reclaimed(reclaimed);
	return 0;
}

const struct engine_cmd engine_cmd_image_prune = {
	.name = "prune",
	.args = "",
	.summary = "Remove unused images",
	.opts = image_prune_table_opts,
	.opts_size = sizeof(struct prune_opts),
	.min_args = 0,
	.max_args = 0,
	.run = image_prune_run,
};

static const struct cli_opt system_prune_table_opts[] = {
	{ "all", 'a', CLI_OPT_BOOL, offsetof(struct prune_opts, all), NULL,
	  "remove all unused images, not just dangling ones" },
	{ "filter", 0, CLI_OPT_STRV, offsetof(struct prune_opts, filters), "FILTER",
	  "not supported yet: refused" },
	{ "force", 'f', CLI_OPT_BOOL, offsetof(struct prune_opts, force), NULL,
	  "do not prompt for confirmation" },
	CLI_OPT_END,
};

/* Docker's question, listing what Berth removes: images, and what no image
 * or snapshot needs (store_gc). */
static bool system_prune_confirm(bool all)
{
	autofree char *q = xasprintf(
	    "WARNING! This will remove:\n  - %s\n  - all blobs and layers no image uses\n"
	    "  - all files left by interrupted loads and snapshots\n\nAre you sure you want "
	    "to continue?",
	    all ? "all images without at least one snapshot associated to them"
		: "all dangling images");

	return confirm(q);
}

static int system_prune_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct prune_opts *opts = o;
	struct store_gc_stats gc = { 0 };
	uint64_t reclaimed = 0;
	struct store *s;

	(void)args;
	if (opts->filters != NULL)
		return berth_err_set(err, 0, "system prune: --filter is not supported yet");
	if (!opts->force && !system_prune_confirm(opts->all))
		return 0;
	if (engine_store(cli, &s, err) < 0 || prune_images(s, opts->all, &reclaimed, err) < 0 ||
	    store_gc(s, &gc, err) < 0)
		return -1;
	print_reclaimed(reclaimed + gc.bytes);
	return 0;
}

const struct engine_cmd engine_cmd_system_prune = {
	.name = "prune",
	.args = "",
	.summary = "Remove unused images and data",
	.opts = system_prune_table_opts,
	.opts_size = sizeof(struct prune_opts),
	.min_args = 0,
	.max_args = 0,
	.run = system_prune_run,
};

/* ---- berth system df ---- */

static const struct column df_fields[] = {
	{ "Type", "TYPE" }, { "TotalCount", "TOTAL" },        { "Active", "ACTIVE" },
	{ "Size", "SIZE" }, { "Reclaimable", "RECLAIMABLE" }, { NULL, NULL },
};

static const struct column df_image_table[] = {
	{ "Repository", "REPOSITORY" },
	{ "Tag", "TAG" },
	{ "ID", "IMAGE ID" },
	{ "CreatedSince", "CREATED" },
	{ "Size", "SIZE" },
	{ "SharedSize", "SHARED SIZE" },
	{ "UniqueSize", "UNIQUE SIZE" },
	{ "Containers", "CONTAINERS" },
	{ NULL, NULL },
};

static const struct column df_container_fields[] = {
	{ "ID", "CONTAINER ID" }, { "Image", "IMAGE" },
	{ "Command", "COMMAND" }, { "LocalVolumes", "LOCAL VOLUMES" },
	{ "Size", "SIZE" },       { "RunningFor", "CREATED" },
	{ "Status", "STATUS" },   { "Names", "NAMES" },
	{ NULL, NULL },
};

static const struct column df_volume_fields[] = {
	{ "Name", "VOLUME NAME" },
	{ "Links", "LINKS" },
	{ "Size", "SIZE" },
	{ NULL, NULL },
};

static const struct column df_cache_fields[] = {
	{ "ID", "CACHE ID" },
	{ "CacheType", "CACHE TYPE" },
	{ "Size", "SIZE" },
	{ "CreatedSince", "CREATED" },
	{ "LastUsedSince", "LAST USED" },
	{ "UsageCount", "USAGE" },
	{ "Shared", "SHARED" },
	{ NULL, NULL },
};

static json_object *df_row(const char *type, uint64_t total, uint64_t active, uint64_t size,
			   uint64_t reclaimable, bool percent)
{
	json_object *o = json_object_new_object();
	char buf[64], sz[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)active);
	add_str(o, "Active", buf);
	human_size4((double)reclaimable, sz);
	if (percent && size > 0)
		snprintf(buf, sizeof(buf), "%s (%llu%%)", sz,
			 (unsigned long long)(reclaimable * 100 / size));
	else
		snprintf(buf, sizeof(buf), "%s", sz);
	add_str(o, "Reclaimable", buf);
	add_str(o, "Size", human_size4((double)size, sz));
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)total);
	add_str(o, "TotalCount", buf);
	add_str(o, "Type", type);
	return o;
}

struct df_opts {
	bool verbose;
	const char *format;
};

static const struct cli_opt df_table_opts[] = {
	{ "format", 0, CLI_OPT_STRING, offsetof(struct df_opts, format), "FORMAT",
	  "\"table\", \"table TEMPLATE\", \"json\" or a Go template" },
	{ "verbose", 'v', CLI_OPT_BOOL, offsetof(struct df_opts, verbose), NULL,
	  "show detailed information on space usage" },
	CLI_OPT_END,
};

/* Bytes of an image's layers that other images also use. */
static uint64_t shared_size(const struct store_image *imgs, size_t n, size_t which)
{
	const struct store_image *img = &imgs[which];
	uint64_t shared = 0;

	for (size_t l = 0; l < img->n_layers; l++) {
		bool found = false;

		for (size_t j = 0; j < n && !found; j++)
			for (size_t k = 0; j != which && k < imgs[j].n_layers && !found; k++)
				found = strcmp(imgs[j].layers[k].chain_id,
					       img->layers[l].chain_id) == 0;
		if (found)
			shared += img->layers[l].size;
	}
	return shared;
}

/* df -v's image rows: the first name of each image only, as docker shows. */
static int df_image_rows(struct store *s, bool trunc, json_object *rows, struct berth_err *err)
{
	struct store_image *imgs = NULL;
	size_t n = 0;
	time_t now = time(NULL);

	if (store_image_list(s, &imgs, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct image_row r = {
			.img = &imgs[i], .repo = NONE, .tag = NONE, .digest = NONE, .trunc = trunc
		};
		autofree char *repo = NULL;
		autofree char *tag = NULL;
		autofree char *short_repo = NULL;

		if (imgs[i].tags != NULL && image_ref_split_tag(imgs[i].tags[0], &repo, &tag)) {
			short_repo = image_ref_familiar_repo(repo);
			r.repo = short_repo;
			r.tag = tag;
		}
		r.shared = (int64_t)shared_size(imgs, n, i);
		r.containers = imgs[i].snapshots;
		json_object_array_add(rows, image_row_json(&r, now));
	}
	store_images_free(imgs, n);
	return 0;
}

/* Berth's snapshots stand where docker's containers are. */
static int df_snapshot_rows(struct store *s, json_object *rows, struct berth_err *err)
{
	struct store_snapshot *snaps = NULL;
	size_t n = 0;
	time_t now = time(NULL);

	if (store_snapshot_list(s, &snaps, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		bool overlay = strcmp(snaps[i].driver, "overlay") == 0;
		autofree char *dir = xasprintf("%s/snapshots/%s/%s", s->root, snaps[i].id,
					       overlay ? "upper" : "merged");
		autofree char *image = id_text(snaps[i].image_id, true);
		autoclose int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		uint64_t size = 0;
		struct berth_err ignored;
		char buf[48];

		if (fd >= 0 && layer_dir_size(fd, &size, &ignored) < 0)
			size = 0;
		add_str(o, "Command", "");
		add_str(o, "ID", snaps[i].id);
		add_str(o, "Image", image);
		add_str(o, "LocalVolumes", "0");
		add_str(o, "Names", snaps[i].id);
		add_str(o, "RunningFor", human_since((time_t)snaps[i].created, now, buf));
		add_str(o, "Size", human_size((double)size, buf));
		add_str(o, "Status", "");
		json_object_array_add(rows, o);
		store_snapshot_clear(&snaps[i]);
	}
	free(snaps);
	return 0;
}

static int df_verbose(struct store *s, const char *format, struct berth_err *err)
{
	autojson json_object *all = json_object_new_object();
	json_object *images = json_object_new_array(), *snaps = json_object_new_array();
	bool table = format == NULL || strcmp(format, "table") == 0;
	autojson json_object *none = json_object_new_array();

	json_object_object_add(all, "Images", images);
	json_object_object_add(all, "Containers", snaps);
	json_object_object_add(all, "Volumes", json_object_new_array());
	json_object_object_add(all, "BuildCache", json_object_new_array());
	if (df_image_rows(s, table, images, err) < 0 || df_snapshot_rows(s, snaps, err) < 0)
		return -1;
	if (!table) {
		struct tmpl *t = NULL;
		autofree char *out = NULL;
		int r;

		if (strcmp(format, "json") == 0) {
			printf("%s\n", json_object_to_json_string_ext(all, JSON_LINE_FLAGS));
			return 0;
		}
		if (tmpl_parse(format, &t, err) < 0)
			return -1;
		r = tmpl_exec(t, all, &out, err);
		tmpl_free(t);
		if (r == 0)
			fputs(out, stdout);
		return r;
	}
	printf("Images space usage:\n\n");
	print_table(df_image_table, images);
	printf("\nContainers space usage:\n\n");
	print_table(df_container_fields, snaps);
	printf("\nLocal Volumes space usage:\n\n");
	print_table(df_volume_fields, none);
	printf("\nBuild cache usage: 0B\n\n");
	print_table(df_cache_fields, none);
	return 0;
}

static int df_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct df_opts *opts = o;
	struct store_df df;
	autojson json_object *rows = json_object_new_array();
	struct store *s;

	(void)args;
	if (engine_store(cli, &s, err) < 0)
		return -1;
	if (opts->verbose)
		return df_verbose(s, opts->format, err) < 0 ? -1 : 0;
	if (store_df(s, &df, err) < 0)
		return -1;
	json_object_array_add(rows, df_row("Images", df.images, df.images_active, df.images_size,
					   df.images_reclaimable, true));
	/* Snapshots are in use while they exist: nothing to reclaim. */
	json_object_array_add(
	    rows, df_row("Containers", df.snapshots, df.snapshots, df.snapshots_size, 0, true));
	json_object_array_add(rows, df_row("Local Volumes", 0, 0, 0, 0, true));
	json_object_array_add(rows, df_row("Build Cache", 0, 0, 0, 0, false));
	return print_rows(opts->format, rows, df_fields, df_fields, err) < 0 ? -1 : 0;
}

const struct engine_cmd engine_cmd_system_df = {
	.name = "df",
	.args = "",
	.summary = "Show disk usage",
	.opts = df_table_opts,
	.opts_size = sizeof(struct df_opts),
	.min_args = 0,
	.max_args = 0,
	.run = df_run,
};

/* ---- berth image mount, berth image unmount ---- */

/* An image's mount is the snapshot "mount-<first 12 hex of its id>". */
static char *mount_id(const char *image_id)
{
	return xasprintf(MOUNT_PREFIX "%.12s", digest_hex(image_id));
}

static int mount_one(struct store *s, const char *what, struct berth_err *err)
{
	struct store_image img = { 0 };
	struct store_snapshot sn = { 0 };
	autofree char *id = NULL;
	int r;

	if (image_lookup(s, what, &img, err) < 0)
		return -1;
	id = mount_id(img.id);
	r = store_snapshot_get(s, id, &sn, err);
	if (r == 0)
		r = store_snapshot_mount(s, id, err);
	else if (err->code == ENOENT)
		r = store_snapshot_create(s, img.id, id, &sn, err);
	if (r == 0)
		printf("%s\n", sn.mountpoint);
	store_snapshot_clear(&sn);
	store_image_clear(&img);
	return r;
}

static int mount_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct store *s;

	(void)o;
	if (engine_store(cli, &s, err) < 0)
		return -1;
	for (size_t i = 0; args[i] != NULL; i++)
		if (mount_one(s, args[i], err) < 0)
			return -1;
	return 0;
}

const struct engine_cmd engine_cmd_image_mount = {
	.name = "mount",
	.args = "IMAGE [IMAGE...]",
	.summary = "Mount an image's root filesystem (writes are discarded at unmount)",
	.min_args = 1,
	.max_args = -1,
	.run = mount_run,
};

struct unmount_opts {
	bool all;
};

static const struct cli_opt unmount_table_opts[] = {
	{ "all", 'a', CLI_OPT_BOOL, offsetof(struct unmount_opts, all), NULL,
	  "unmount all mounted images" },
	CLI_OPT_END,
};

/* The snapshot of what names an image; an image removed (rmi -f) while
 * mounted is still found by its 12-hex id. */
static int unmount_one(struct store *s, const char *what, struct berth_err *err)
{
	struct store_image img = { 0 };
	struct store_snapshot sn = { 0 };
	autofree char *id = NULL;

	if (image_lookup(s, what, &img, err) == 0) {
		id = mount_id(img.id);
		store_image_clear(&img);
	} else if (err->code == ENOENT && strlen(what) >= 12 &&
		   strspn(what, "0123456789abcdef") >= 12) {
		id = xasprintf(MOUNT_PREFIX "%.12s", what);
	} else {
		return -1;
	}
	if (store_snapshot_get(s, id, &sn, err) < 0)
		return berth_err_set(err, 0, "image %s is not mounted", what);
	if (store_snapshot_remove(s, id, err) < 0) {
		store_snapshot_clear(&sn);
		return -1;
	}
	printf("%s\n", digest_hex(sn.image_id));
	store_snapshot_clear(&sn);
	return 0;
}

static int unmount_all(struct store *s, struct berth_err *err)
{
	struct store_snapshot *snaps = NULL;
	size_t n = 0;
	int r = 0;

	if (store_snapshot_list(s, &snaps, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (r == 0 && strncmp(snaps[i].id, MOUNT_PREFIX, strlen(MOUNT_PREFIX)) == 0) {
			r = store_snapshot_remove(s, snaps[i].id, err);
			if (r == 0)
				printf("%s\n", digest_hex(snaps[i].image_id));
		}
		store_snapshot_clear(&snaps[i]);
	}
	free(snaps);
	return r;
}

static int unmount_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct unmount_opts *opts = o;
	struct store *s;

	if (opts->all ? args[0] != NULL : args[0] == NULL)
		return berth_err_set(err, 0, "image unmount: name images or give --all, not both");
	if (engine_store(cli, &s, err) < 0)
		return -1;
	if (opts->all)
		return unmount_all(s, err) < 0 ? -1 : 0;
	for (size_t i = 0; args[i] != NULL; i++)
		if (unmount_one(s, args[i], err) < 0)
			return -1;
	return 0;
}

const struct engine_cmd engine_cmd_image_unmount = {
	.name = "unmount",
	.args = "IMAGE [IMAGE...]",
	.summary = "Unmount mounted images, discarding what was written to them",
	.opts = unmount_table_opts,
	.opts_size = sizeof(struct unmount_opts),
	.min_args = 0,
	.max_args = -1,
	.run = unmount_run,
};
