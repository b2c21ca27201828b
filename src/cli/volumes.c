/* docker's volume commands: volume create, ls, inspect, rm, prune. Their
 * failures exit 1, as docker's do (they are not container commands). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/engine.h"
#include "cli/inspect.h"
#include "cli/listing.h"
#include "engine/volume.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/human.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* ---- shared ---- */

/* Go's time.RFC3339 in local time, as docker's CreatedAt. */
static char *rfc3339(int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	char buf[64], zone[48];
	long off;

	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff;
	if (off == 0)
		snprintf(zone, sizeof(zone), "Z");
	else
		snprintf(zone, sizeof(zone), "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600,
			 labs(off) % 3600 / 60);
	return xasprintf("%s%s", buf, zone);
}

/* docker's volume inspect object (volume.Volume). */
static json_object *inspect_json(const struct volume *v)
{
	json_object *o = json_object_new_object();
	autofree char *created = rfc3339(v->created_ns);
	bool has_opts = json_object_object_length(v->options) > 0;
	bool has_labels = json_object_object_length(v->labels) > 0;

	json_object_object_add(o, "CreatedAt", json_object_new_string(created));
	json_object_object_add(o, "Driver", json_object_new_string(v->driver));
	json_object_object_add(o, "Labels", has_labels ? json_object_get(v->labels) : NULL);
	json_object_object_add(o, "Mountpoint", json_object_new_string(v->mountpoint));
	json_object_object_add(o, "Name", json_object_new_string(v->name));
	json_object_object_add(o, "Options", has_opts ? json_object_get(v->options) : NULL);
	json_object_object_add(o, "Scope", json_object_new_string("local"));
	return o;
}

/* "k=v,k2=v2", as the Labels column shows them. */
static char *labels_text(json_object *labels)
{
	char *s = NULL;
	size_t len = 0;

	json_object_object_foreach(labels, key, val)
	{
		autofree char *kv = xasprintf("%s=%s", key, json_object_get_string(val));

		listing_append(&s, &len, ",", kv);
	}
	return s != NULL ? s : xstrdup("");
}

/* ---- create ---- */

struct create_opts {
	const char *driver, *name;
	char **labels, **opts;
};

static const struct cli_opt create_table[] = {
	{ "driver", 'd', CLI_OPT_STRING, offsetof(struct create_opts, driver), "NAME",
	  "volume driver (only local)" },
	{ "label", 0, CLI_OPT_STRV, offsetof(struct create_opts, labels), "K=V",
	  "set metadata on the volume" },
	{ "opt", 'o', CLI_OPT_STRV, offsetof(struct create_opts, opts), "K=V",
	  "driver options: type=, device=, o= (mounted on first use)" },
	{ "name", 0, CLI_OPT_STRING, offsetof(struct create_opts, name), "NAME", NULL },
	CLI_OPT_END,
};

static int create_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct create_opts *c = o;
	struct store *s;
	const char *name = args[0];
	char random[VOLUME_NAME_LEN + 1];

	if (name != NULL && c->name != NULL && strcmp(name, c->name) != 0)
		return berth_err_set(err, 0,
				     "conflicting options: either specify --name or provide "
				     "positional arg, not both");
	if (name == NULL)
		name = c->name;
	if (c->driver != NULL && strcmp(c->driver, VOLUME_DRIVER) != 0)
		return berth_err_set(err, 0, "create %s: volume driver %s: only local is supported",
				     name ? name : "", c->driver);
	if (name == NULL) {
		if (volume_random_name(random, err) < 0)
			return -1;
		name = random;
	}
	if (engine_store(cli, &s, err) < 0 ||
	    volume_create(s, name, c->labels, c->opts, false, NULL, err) < 0)
		return -1;
	printf("%s\n", name);
	return 0;
}

const struct engine_cmd engine_cmd_volume_create = {
	.name = "create",
	.args = "[VOLUME]",
	.summary = "Create a volume",
	.opts = create_table,
	.opts_size = sizeof(struct create_opts),
	.min_args = 0,
	.max_args = 1,
	.run = create_run,
};

/* ---- ls ---- */

struct ls_opts {
	bool quiet;
	const char *format;
	char **filters;
};

static const struct cli_opt ls_table[] = {
	{ "quiet", 'q', CLI_OPT_BOOL, offsetof(struct ls_opts, quiet), NULL,
	  "only display volume names" },
	{ "format", 0, CLI_OPT_STRING, offsetof(struct ls_opts, format), "FORMAT",
	  "table, json or a Go template" },
	{ "filter", 'f', CLI_OPT_STRV, offsetof(struct ls_opts, filters), "FILTER",
	  "dangling=true|false, name=, label=K[=V], driver=" },
	CLI_OPT_END,
};

static const struct listing_column ls_columns[] = {
	{ "Driver", "DRIVER" },
	{ "Name", "VOLUME NAME" },
	{ NULL, NULL },
};

static const struct listing_column ls_fields[] = {
	{ "Name", "VOLUME NAME" },
	{ "Driver", "DRIVER" },
	{ "Scope", "SCOPE" },
	{ "Mountpoint", "MOUNTPOINT" },
	{ "Labels", "LABELS" },
	{ "Links", "LINKS" },
	{ "Size", "SIZE" },
	{ "Availability", "AVAILABILITY" },
	{ "Group", "GROUP" },
	{ "Status", "STATUS" },
	{ NULL, NULL },
};

static bool has_label(json_object *labels, const char *want)
{
	size_t klen = strcspn(want, "=");
	autofree char *key = xstrndup(want, klen);
	json_object *v = NULL;

	if (!json_object_object_get_ex(labels, key, &v))
		return false;
	return want[klen] != '=' || strcmp(json_object_get_string(v), want + klen + 1) == 0;
}

/* docker's filters: each key must match (any of its values). */
static int keep_volume(struct store *s, const struct volume *v, char **filters, bool *keep,
		       struct berth_err *err)
{
	static const char *const keys[] = { "dangling", "name", "label", "driver" };

	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		bool given = false, any = false;
		size_t klen = strlen(keys[k]);

		for (size_t i = 0; filters != NULL && filters[i] != NULL; i++) {
			const char *val = filters[i] + klen + 1;

			if (strncmp(filters[i], keys[k], klen) != 0 || filters[i][klen] != '=')
				continue;
			given = true;
			if (k == 0) {
				autostrv char **users = NULL;
				bool want;

				if (strcmp(val, "true") == 0 || strcmp(val, "1") == 0)
					want = true;
				else if (strcmp(val, "false") == 0 || strcmp(val, "0") == 0)
					want = false;
				else
					return berth_err_set(err, 0, "invalid filter 'dangling=%s'",
							     val);
				if (volume_users(s, v->name, &users, err) < 0)
					return -1;
				any = any || (users == NULL) == want;
			} else if (k == 1) {
				any = any || strstr(v->name, val) != NULL;
			} else if (k == 2) {
				any = any || has_label(v->labels, val);
			} else {
				any = any || strcmp(v->driver, val) == 0;
			}
		}
		if (given && !any) {
			*keep = false;
			return 0;
		}
	}
	*keep = true;
	return 0;
}

static int check_filters(char **filters, struct berth_err *err)
{
	for (size_t i = 0; filters != NULL && filters[i] != NULL; i++) {
		size_t klen = strcspn(filters[i], "=");
		autofree char *key = xstrndup(filters[i], klen);

		if (filters[i][klen] != '=')
			return berth_err_set(err, 0, "bad format of filter (expected name=value)");
		if (strcmp(key, "dangling") != 0 && strcmp(key, "name") != 0 &&
		    strcmp(key, "label") != 0 && strcmp(key, "driver") != 0)
			return berth_err_set(err, 0, "invalid filter '%s'", key);
	}
	return 0;
}

static json_object *ls_row(const struct volume *v)
{
	json_object *o = json_object_new_object();
	autofree char *labels = labels_text(v->labels);

	/* Keys sorted, as docker's {{json .}} marshals its context. */
	listing_add_str(o, "Availability", "N/A");
	listing_add_str(o, "Driver", v->driver);
	listing_add_str(o, "Group", "N/A");
	listing_add_str(o, "Labels", labels);
	listing_add_str(o, "Links", "N/A");
	listing_add_str(o, "Mountpoint", v->mountpoint);
	listing_add_str(o, "Name", v->name);
	listing_add_str(o, "Scope", "local");
	listing_add_str(o, "Size", "N/A");
	listing_add_str(o, "Status", "N/A");
	return o;
}

static int ls_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct ls_opts *opts = o;
	struct store *s;
	struct volume *v = NULL;
	size_t n = 0;
	autojson json_object *rows = json_object_new_array();
	const char *format = opts->format;
	int r = -1;

	(void)args;
	if (check_filters(opts->filters, err) < 0 || engine_store(cli, &s, err) < 0 ||
	    volume_list(s, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		bool keep = false;

		if (keep_volume(s, &v[i], opts->filters, &keep, err) < 0)
			goto out;
		if (keep)
			json_object_array_add(rows, ls_row(&v[i]));
	}
	if (opts->quiet && (format == NULL || strcmp(format, "table") == 0))
		format = "{{.Name}}";
	r = listing_print_rows(format, rows, ls_columns, ls_fields, err);
out:
	volumes_free(v, n);
	return r;
}

const struct engine_cmd engine_cmd_volume_ls = {
	.name = "ls",
	.args = "",
	.summary = "List volumes",
	.opts = ls_table,
	.opts_size = sizeof(struct ls_opts),
	.min_args = 0,
	.max_args = 0,
	.run = ls_run,
};

/* ---- inspect ---- */

struct inspect_opts {
	const char *format;
};

static const struct cli_opt inspect_table[] = {
	{ "format", 'f', CLI_OPT_STRING, offsetof(struct inspect_opts, format), "FORMAT",
	  "format the output using a Go template" },
	CLI_OPT_END,
};

static int inspect_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct inspect_opts *opts = o;
	autojson json_object *all = json_object_new_array();
	autofree char *missing = NULL;
	size_t missing_len = 0;
	struct store *s;

	if (engine_store(cli, &s, err) < 0)
		return -1;
	for (size_t i = 0; args[i] != NULL; i++) {
		struct volume v = { 0 };

		if (volume_get(s, args[i], &v, err) < 0) {
			if (err->code != ENOENT)
				return -1;
			/* docker's inspect: "Error: No such volume: X". */
			autofree char *msg = xasprintf("No such volume: %s", args[i]);

			listing_append(&missing, &missing_len, "\n", msg);
			berth_err_clear(err);
			continue;
		}
		json_object_array_add(all, inspect_json(&v));
		volume_clear(&v);
	}
	if (inspect_print(opts->format, all, err) < 0)
		return -1;
	if (missing != NULL)
		return berth_err_set(err, 0, "%s", missing);
	return 0;
}

const struct engine_cmd engine_cmd_volume_inspect = {
	.name = "inspect",
	.args = "VOLUME [VOLUME...]",
	.summary = "Display detailed information on one or more volumes",
	.opts = inspect_table,
	.opts_size = sizeof(struct inspect_opts),
	.min_args = 1,
	.max_args = -1,
	.run = inspect_run,
};

/* ---- rm ---- */

struct rm_opts {
	bool force;
};

static const struct cli_opt rm_table[] = {
	{ "force", 'f', CLI_OPT_BOOL, offsetof(struct rm_opts, force), NULL,
	  "do not fail on a missing volume" },
	CLI_OPT_END,
};

static int rm_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct rm_opts *opts = o;
	autofree char *errors = NULL;
	size_t errors_len = 0;
	struct store *s;

	if (engine_store(cli, &s, err) < 0)
		return -1;
	/* Each one tried; the failures reported together, as docker does. */
	for (size_t i = 0; args[i] != NULL; i++) {
		if (volume_remove(s, args[i], opts->force, err) < 0) {
			listing_append(&errors, &errors_len, "\n", err->msg);
			berth_err_clear(err);
			continue;
		}
		printf("%s\n", args[i]);
	}
	if (errors != NULL)
		return berth_err_set(err, 0, "%s", errors);
	return 0;
}

const struct engine_cmd engine_cmd_volume_rm = {
	.name = "rm",
	.args = "VOLUME [VOLUME...]",
	.summary = "Remove one or more volumes",
	.opts = rm_table,
	.opts_size = sizeof(struct rm_opts),
	.min_args = 1,
	.max_args = -1,
	.run = rm_run,
};

/* ---- prune ---- */

struct prune_opts {
	bool all, force;
	char **filters;
};

static const struct cli_opt prune_table[] = {
	{ "all", 'a', CLI_OPT_BOOL, offsetof(struct prune_opts, all), NULL,
	  "remove all unused volumes, not just anonymous ones" },
	{ "filter", 0, CLI_OPT_STRV, offsetof(struct prune_opts, filters), "FILTER",
	  "label=K[=V]" },
	{ "force", 'f', CLI_OPT_BOOL, offsetof(struct prune_opts, force), NULL,
	  "do not prompt for confirmation" },
	CLI_OPT_END,
};

static bool confirm(bool all)
{
	return engine_cli_confirm(
	    all ? "WARNING! This will remove all local volumes not used by at "
		  "least one container.\nAre you sure you want to continue?"
		: "WARNING! This will remove anonymous local volumes not used "
		  "by at least one container.\nAre you sure you want to "
		  "continue?");
}

static int prune_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct prune_opts *opts = o;
	struct store *s;
	struct volume *v = NULL;
	size_t n = 0;
	uint64_t reclaimed = 0;
	bool printed = false;
	char buf[32];

	(void)args;
	for (size_t i = 0; opts->filters != NULL && opts->filters[i] != NULL; i++)
		if (strncmp(opts->filters[i], "label=", 6) != 0 &&
		    strncmp(opts->filters[i], "label!=", 7) != 0)
			return berth_err_set(err, 0, "invalid filter '%.*s'",
					     (int)strcspn(opts->filters[i], "!="),
					     opts->filters[i]);
	if (!opts->force && !confirm(opts->all))
		return 0;
	if (engine_store(cli, &s, err) < 0 || volume_list(s, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		autostrv char **users = NULL;
		bool keep = false;
		uint64_t size;

		/* docker 23+: only anonymous volumes unless --all. */
		if (!opts->all && !v[i].anonymous)
			continue;
		for (size_t f = 0; opts->filters != NULL && opts->filters[f] != NULL; f++) {
			const char *fl = opts->filters[f];
			bool neg = strncmp(fl, "label!=", 7) == 0;

			if (has_label(v[i].labels, fl + (neg ? 7 : 6)) == neg)
				keep = true;
		}
		if (keep || volume_users(s, v[i].name, &users, err) < 0 || users != NULL) {
			berth_err_clear(err);
			continue;
		}
		size = volume_size(s, v[i].name);
		if (volume_remove(s, v[i].name, false, err) < 0) {
			/* Taken into use meanwhile: not unused after all. */
			berth_err_clear(err);
			continue;
		}
		if (!printed)
			printf("Deleted Volumes:\n");
		printed = true;
		printf("%s\n", v[i].name);
		reclaimed += size;
	}
	volumes_free(v, n);
	if (printed)
		printf("\n");
	printf("Total reclaimed space: %s\n", human_size4((double)reclaimed, buf));
	return 0;
}

const struct engine_cmd engine_cmd_volume_prune = {
	.name = "prune",
	.args = "",
	.summary = "Remove unused local volumes",
	.opts = prune_table,
	.opts_size = sizeof(struct prune_opts),
	.min_args = 0,
	.max_args = 0,
	.run = prune_run,
};
