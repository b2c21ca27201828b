/* Docker's image inspect and history: what the daemon reports of one image,
 * built from its stored config and layers. Inspect prints the object docker
 * prints (its field order, its defaults for what the config lacks, Go's
 * JSON escaping); history prints a listing (listing.c) of the config's
 * history entries. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/engine.h"
#include "cli/inspect.h"
#include "cli/json-print.h"
#include "cli/listing.h"
#include "image/reference.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/human.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/template.h"
#include "util/xalloc.h"

/* A JSON string of a malloc'd C string, which it frees. */
static json_object *json_string_take(char *s)
{
	json_object *o = json_object_new_string(s);

	free(s);
	return o;
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
			listing_add_str(out, key, "");
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
		autofree char *short_repo = NULL;
		autofree char *tag = NULL;

		json_object_array_add(tags,
				      json_string_take(image_ref_familiar_name(img->tags[i])));
		if (!listing_name_split(img->tags[i], &short_repo, &tag) ||
		    strv_contains(repos, short_repo))
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
	const char *c = listing_get_str(cfg, "comment");
	size_t n;

	if (c != NULL)
		return c;
	if (!json_object_object_get_ex(cfg, "history", &hist) ||
	    !json_object_is_type(hist, json_type_array) ||
	    (n = json_object_array_length(hist)) == 0)
		return "";
	c = listing_get_str(json_object_array_get_idx(hist, n - 1), "comment");
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

		listing_append(&lower, &len, ":", p);
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
	listing_add_str(g, "Name", snapshot_driver_name(s->driver));
	return g;
}

static json_object *inspect_rootfs(const struct store_image *img)
{
	json_object *r = json_object_new_object(), *layers = json_object_new_array();

	listing_add_str(r, "Type", "layers");
	for (size_t i = 0; i < img->n_layers; i++)
		json_object_array_add(layers, json_object_new_string(img->layers[i].diff_id));
	if (img->n_layers > 0)
		json_object_object_add(r, "Layers", layers);
	else
		json_object_put(layers);
	return r;
}

/* A string member of cfg, or "" when absent. */
static void add_cfg_str(json_object *o, const char *key, json_object *cfg, const char *member)
{
	const char *v = listing_get_str(cfg, member);

	listing_add_str(o, key, v != NULL ? v : "");
}

static json_object *inspect_object(struct store *s, const struct store_image *img, json_object *cfg)
{
	json_object *o = json_object_new_object(), *meta = json_object_new_object();
	const char *v;
	char buf[48];
	long nsec;
	int64_t created = created_seconds(cfg, &nsec);

	listing_add_str(o, "Id", img->id);
	inspect_names(img, o);
	listing_add_str(o, "Parent", "");
	listing_add_str(o, "Comment", image_comment(cfg));
	if (listing_get_str(cfg, "created") != NULL)
		listing_add_str(o, "Created", human_rfc3339(created, nsec, buf));
	add_cfg_str(o, "DockerVersion", cfg, "docker_version");
	add_cfg_str(o, "Author", cfg, "author");
	json_object_object_add(o, "Config", docker_config(cfg));
	add_cfg_str(o, "Architecture", cfg, "architecture");
	if ((v = listing_get_str(cfg, "variant")) != NULL)
		listing_add_str(o, "Variant", v);
	add_cfg_str(o, "Os", cfg, "os");
	if ((v = listing_get_str(cfg, "os.version")) != NULL)
		listing_add_str(o, "OsVersion", v);
	json_object_object_add(o, "Size", json_object_new_int64((int64_t)img->size));
	json_object_object_add(o, "GraphDriver", graph_driver(s, img));
	json_object_object_add(o, "RootFS", inspect_rootfs(img));
	listing_add_str(meta, "LastTagTime",
			img->last_tag_time > 0 ? human_rfc3339(img->last_tag_time, 0, buf)
					       : "0001-01-01T00:00:00Z");
	json_object_object_add(o, "Metadata", meta);
	return o;
}

/* Docker's daemon writes JSON with Go's encoding/json: <, > and & as
 * \u003c, \u003e and \u0026, U+2028 and U+2029 escaped, and \b and \f as
 * \u0008 and \u000c; inspect output keeps that text. Those bytes occur only
 * inside strings, so escaping json-c's text is exact. */
void inspect_print_json(json_object *o)
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

int inspect_image_object(struct store *s, const char *what, json_object **out,
			 struct berth_err *err)
{
	struct store_image img = { 0 };
	autojson json_object *cfg = NULL;

	if (store_image_lookup(s, what, &img, err) < 0)
		return -1;
	if (store_image_config(s, img.id, &cfg, err) < 0) {
		store_image_clear(&img);
		return -1;
	}
	*out = inspect_object(s, &img, cfg);
	store_image_clear(&img);
	return 0;
}

int inspect_print(const char *format, json_object *all, struct berth_err *err)
{
	struct tmpl *t = NULL;
	int r = 0;

	if (format == NULL) {
		inspect_print_json(all);
		return 0;
	}
	if (tmpl_parse(format, &t, err) < 0)
		return -1;
	for (size_t i = 0; r == 0 && i < json_object_array_length(all); i++) {
		autofree char *out = NULL;

		r = tmpl_exec(t, json_object_array_get_idx(all, i), &out, err);
		if (r == 0)
			printf("%s\n", out);
	}
	tmpl_free(t);
	return r;
}

/* One image's object into all; a missing image is noted in missing. */
static int inspect_one(struct store *s, const char *what, json_object *all, char **missing,
		       size_t *missing_len, struct berth_err *err)
{
	json_object *o = NULL;

	if (inspect_image_object(s, what, &o, err) < 0) {
		if (err->code != ENOENT)
			return -1;
		listing_append(missing, missing_len, "; ", err->msg);
		berth_err_clear(err);
		return 0;
	}
	json_object_array_add(all, o);
	return 0;
}

static int inspect_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct inspect_opts *opts = o;
	autojson json_object *all = json_object_new_array();
	autofree char *missing = NULL;
	size_t missing_len = 0;
	struct tmpl *t = NULL;
	struct store *s;
	int r = 0;

	if (engine_store(cli, &s, err) < 0)
		return -1;
	/* A bad template fails before anything is looked up. */
	if (opts->format != NULL && tmpl_parse(opts->format, &t, err) < 0)
		return -1;
	tmpl_free(t);
	for (size_t i = 0; r == 0 && args[i] != NULL; i++)
		r = inspect_one(s, args[i], all, &missing, &missing_len, err);
	if (r < 0 || inspect_print(opts->format, all, err) < 0)
		return -1;
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

static const struct listing_column history_fields[] = {
	{ "ID", "IMAGE" },
	{ "CreatedSince", "CREATED" },
	{ "CreatedAt", "CREATED AT" },
	{ "CreatedBy", "CREATED BY" },
	{ "Size", "SIZE" },
	{ "Comment", "COMMENT" },
	{ NULL, NULL },
};

static const struct listing_column history_table[] = {
	{ "ID", "IMAGE" },  { "CreatedSince", "CREATED" }, { "CreatedBy", "CREATED BY" },
	{ "Size", "SIZE" }, { "Comment", "COMMENT" },      { NULL, NULL },
};

static const struct listing_column history_table_raw[] = {
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
	bool human, quiet, no_trunc;
	const char *format;
};

static const struct cli_opt history_table_opts[] = {
	{ "format", 0, CLI_OPT_STRING, offsetof(struct history_opts, format), "FORMAT",
	  "\"table\", \"table TEMPLATE\", \"json\" or a Go template" },
	{ "human", 'H', CLI_OPT_BOOL, offsetof(struct history_opts, human), NULL,
	  "print sizes and dates in human readable format (default true; --human=false)" },
	{ "no-trunc", 0, CLI_OPT_BOOL, offsetof(struct history_opts, no_trunc), NULL,
	  "don't truncate output" },
	{ "quiet", 'q', CLI_OPT_BOOL, offsetof(struct history_opts, quiet), NULL,
	  "only show image IDs" },
	CLI_OPT_END,
};

static size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

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
	listing_add_str(o, "Comment", h->comment != NULL ? h->comment : "");
	listing_add_str(o, "CreatedAt", at);
	listing_add_str(o, "CreatedBy", shown);
	listing_add_str(o, "CreatedSince", since);
	listing_add_str(o, "ID", id);
	listing_add_str(o, "Size", size);
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
		items[i].created_by = listing_get_str(e, "created_by");
		items[i].comment = listing_get_str(e, "comment");
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
	bool human = opts->human;
	int r;

	if (engine_store(cli, &s, err) < 0 || store_image_lookup(s, args[0], &img, err) < 0)
		return -1;
	if (store_image_config(s, img.id, &cfg, err) < 0) {
		store_image_clear(&img);
		return -1;
	}
	id = listing_id_text(img.id, !opts->no_trunc);
	items = history_items(&img, cfg, &n);
	for (size_t i = n; i-- > 0;)
		json_object_array_add(rows,
				      history_row_json(&items[i], i == n - 1 ? id : "<missing>",
						       human, !opts->no_trunc, now));
	store_image_clear(&img);
	if (opts->quiet && (format == NULL || strcmp(format, "table") == 0))
		format = "{{.ID}}";
	r = listing_print_rows(format, rows, human ? history_table : history_table_raw,
			       history_fields, err);
	return r < 0 ? -1 : 0;
}

static void history_defaults(void *o)
{
	((struct history_opts *)o)->human = true;
}

const struct engine_cmd engine_cmd_history = {
	.name = "history",
	.args = "IMAGE",
	.summary = "Show the history of an image",
	.opts = history_table_opts,
	.opts_size = sizeof(struct history_opts),
	.min_args = 1,
	.max_args = 1,
	.defaults = history_defaults,
	.run = history_run,
};
