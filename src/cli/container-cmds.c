/* start, stop, kill, rm, wait, ps and logs: the commands that act on
 * existing containers. Failures exit 125, as docker's do. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/engine.h"
#include "cli/listing.h"
#include "cli/ps-filter.h"
#include "engine/attach.h"
#include "engine/engine.h"
#include "image/store.h"
#include "runtime/signals.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/human.h"
#include "util/json.h"
#include "util/num.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define ENGINE_ERR 125

int engine_cli_each(struct engine_cli *cli, char **args,
		    int (*fn)(struct engine *e, const char *what, void *o, struct berth_err *err),
		    void *o, bool echo, struct berth_err *err)
{
	struct engine *e;
	autofree char *errors = NULL;
	size_t len = 0;

	if (engine_cli_engine(cli, &e, err) < 0)
		return -1;
	for (size_t i = 0; args[i] != NULL; i++) {
		struct berth_err one = { 0 };

		if (fn(e, args[i], o, &one) == 0) {
			if (echo)
				printf("%s\n", args[i]);
			continue;
		}
		listing_append(&errors, &len, "; ", one.msg);
	}
	if (errors != NULL)
		return berth_err_set(err, 0, "%s", errors);
	return 0;
}

/* ---- stop ---- */

struct stop_opts {
	int time;
	const char *signal;
};

static const struct cli_opt stop_table[] = {
	{ "time", 't', CLI_OPT_INT, offsetof(struct stop_opts, time), "SECONDS",
	  "seconds to wait before killing the container" },
	{ "timeout", 0, CLI_OPT_INT, offsetof(struct stop_opts, time), "SECONDS", NULL },
	CLI_OPT_END,
};

static void stop_defaults(void *o)
{
	((struct stop_opts *)o)->time = -1;
}

static int stop_one(struct engine *e, const char *what, void *o, struct berth_err *err)
{
	return engine_stop(e, what, ((struct stop_opts *)o)->time, err);
}

static int stop_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	return engine_cli_each(cli, args, stop_one, o, true, err);
}

const struct engine_cmd engine_cmd_stop = {
	.name = "stop",
	.args = "CONTAINER [CONTAINER...]",
	.summary = "Stop one or more running containers",
	.opts = stop_table,
	.opts_size = sizeof(struct stop_opts),
	.min_args = 1,
	.max_args = -1,
	.defaults = stop_defaults,
	.err_status = 1, /* docker: 1 for its errors, 125 for bad flags */
	.run = stop_run,
};

/* ---- kill ---- */

struct kill_opts {
	const char *signal;
	int sig;
};

static const struct cli_opt kill_table[] = {
	{ "signal", 's', CLI_OPT_STRING, offsetof(struct kill_opts, signal), "SIGNAL",
	  "signal to send (default KILL)" },
	CLI_OPT_END,
};

static int kill_one(struct engine *e, const char *what, void *o, struct berth_err *err)
{
	return engine_kill(e, what, ((struct kill_opts *)o)->sig, err);
}

static int kill_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct kill_opts *k = o;

	k->sig = k->signal != NULL ? signal_parse(k->signal) : SIGKILL;
	if (k->sig <= 0)
		return berth_err_set(
		    err, 0, "invalid argument \"%s\" for \"-s, --signal\" flag: invalid signal",
		    k->signal);
	return engine_cli_each(cli, args, kill_one, o, true, err);
}

const struct engine_cmd engine_cmd_kill = {
	.name = "kill",
	.args = "CONTAINER [CONTAINER...]",
	.summary = "Kill one or more running containers",
	.opts = kill_table,
	.opts_size = sizeof(struct kill_opts),
	.min_args = 1,
	.max_args = -1,
	.err_status = 1, /* docker: 1 for its errors, 125 for bad flags */
	.run = kill_run,
};

/* ---- rm ---- */

struct rm_opts {
	bool force, volumes;
};

static const struct cli_opt rm_table[] = {
	{ "force", 'f', CLI_OPT_BOOL, offsetof(struct rm_opts, force), NULL,
	  "force the removal of a running container (SIGKILL)" },
	{ "volumes", 'v', CLI_OPT_BOOL, offsetof(struct rm_opts, volumes), NULL,
	  "remove the anonymous volumes of the container" },
	CLI_OPT_END,
};

static int rm_one(struct engine *e, const char *what, void *o, struct berth_err *err)
{
	const struct rm_opts *r = o;

	if (r->volumes)
		return engine_remove_volumes(e, what, r->force, err);
	return engine_remove(e, what, r->force, err);
}

/* rm -f, as docker's: a container that is not there is told on stderr and
 * is no failure; one that went away while it was being removed (a --rm
 * container's monitor removes it as it stops) is removed. */
static int rm_force_one(struct engine *e, const char *what, const struct rm_opts *r,
			char **errors, size_t *len)
{
	struct engine_container c = { 0 };
	struct berth_err one = { 0 };

	if (engine_lookup(e, what, &c, &one) < 0) {
		if (one.code == ENOENT) {
			fflush(stdout);
			fprintf(stderr, "berth: %s\n", one.msg);
			return 0;
		}
		listing_append(errors, len, "; ", one.msg);
		return -1;
	}
	if (rm_one(e, c.id, (void *)r, &one) < 0 && one.code != ENOENT) {
		listing_append(errors, len, "; ", one.msg);
		engine_container_clear(&c);
		return -1;
	}
	printf("%s\n", what);
	engine_container_clear(&c);
	return 0;
}

static int rm_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	const struct rm_opts *r = o;
	autofree char *errors = NULL;
	size_t len = 0;
	struct engine *e;

	if (!r->force)
		return engine_cli_each(cli, args, rm_one, o, true, err);
	if (engine_cli_engine(cli, &e, err) < 0)
		return -1;
	for (size_t i = 0; args[i] != NULL; i++)
		rm_force_one(e, args[i], r, &errors, &len);
	if (errors != NULL)
		return berth_err_set(err, 0, "%s", errors);
	return 0;
}

const struct engine_cmd engine_cmd_rm = {
	.name = "rm",
	.args = "CONTAINER [CONTAINER...]",
	.summary = "Remove one or more containers",
	.opts = rm_table,
	.opts_size = sizeof(struct rm_opts),
	.min_args = 1,
	.max_args = -1,
	.err_status = 1, /* docker: 1 for its errors, 125 for bad flags */
	.run = rm_run,
};

/* ---- wait ---- */

struct wait_opts {
	const char *condition;
};

static const struct cli_opt wait_table[] = {
	{ "condition", 0, CLI_OPT_STRING, offsetof(struct wait_opts, condition), "CONDITION",
	  "not-running (default), next-exit, removed (docker's API), running, healthy or "
	  "unhealthy (podman's)" },
	CLI_OPT_END,
};

static int wait_one(struct engine *e, const char *what, void *o, struct berth_err *err)
{
	const struct wait_opts *w = o;
	int code = 0;

	if (w->condition == NULL || strcmp(w->condition, "not-running") == 0) {
		if (engine_wait(e, what, &code, err) < 0)
			return -1;
	} else if (engine_wait_condition(e, what, w->condition, &code, err) < 0) {
		return -1;
	}
	/* the exit status, for the conditions that end with an exit */
	if (w->condition == NULL || strcmp(w->condition, "not-running") == 0 ||
	    strcmp(w->condition, "next-exit") == 0 || strcmp(w->condition, "removed") == 0)
		printf("%d\n", code);
	return 0;
}

static int wait_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	return engine_cli_each(cli, args, wait_one, o, false, err);
}

const struct engine_cmd engine_cmd_wait = {
	.name = "wait",
	.args = "CONTAINER [CONTAINER...]",
	.summary = "Block until containers stop, then print their exit codes",
	.opts = wait_table,
	.opts_size = sizeof(struct wait_opts),
	.min_args = 1,
	.max_args = -1,
	.err_status = 1, /* docker: 1 for its errors, 125 for bad flags */
	.run = wait_run,
};

/* ---- ps ---- */

struct ps_opts {
	bool all, quiet, no_trunc, latest, size;
	int last;
	const char *format;
	char **filters;
};

static const struct cli_opt ps_table[] = {
	{ "all", 'a', CLI_OPT_BOOL, offsetof(struct ps_opts, all), NULL,
	  "show all containers (default shows just running)" },
	{ "quiet", 'q', CLI_OPT_BOOL, offsetof(struct ps_opts, quiet), NULL,
	  "only display container IDs" },
	{ "no-trunc", 0, CLI_OPT_BOOL, offsetof(struct ps_opts, no_trunc), NULL,
	  "don't truncate output" },
	{ "size", 's', CLI_OPT_BOOL, offsetof(struct ps_opts, size), NULL,
	  "display total file sizes" },
	{ "latest", 'l', CLI_OPT_BOOL, offsetof(struct ps_opts, latest), NULL,
	  "show the latest created container (includes all states)" },
	{ "last", 'n', CLI_OPT_INT, offsetof(struct ps_opts, last), "N",
	  "show the N last created containers (includes all states)", -1 },
	{ "format", 0, CLI_OPT_STRING, offsetof(struct ps_opts, format), "FORMAT",
	  "\"table\", \"table TEMPLATE\", \"json\" or a Go template" },
	{ "filter", 'f', CLI_OPT_STRV, offsetof(struct ps_opts, filters), "K=V",
	  "docker's: status=, name= (a regular expression), id=, label=, ancestor=, "
	  "exited=, before=, since=, volume=, network=, health=, publish=, expose=; "
	  "a key given twice matches either value" },
	CLI_OPT_END,
};

static void ps_defaults(void *o)
{
	((struct ps_opts *)o)->last = -1;
}

/* "Up 5 seconds", "Exited (0) 3 minutes ago", "Created". */
static char *status_text(const struct engine_container *c, time_t now)
{
	char buf[48];

	switch (c->state) {
	case ENGINE_RUNNING:
		human_duration((double)(now - c->started_ns / 1000000000), buf);
		if (c->paused)
			return xasprintf("Up %s (Paused)", buf);
		/* docker's Health.String(): "health: starting", "healthy",
		 * "unhealthy" */
		if (c->health != NULL) {
			const char *h = listing_get_str(c->health, "Status");

			if (h != NULL)
				return xasprintf(strcmp(h, "starting") == 0 ? "Up %s (health: %s)"
									    : "Up %s (%s)",
						 buf, h);
		}
		return xasprintf("Up %s", buf);
	case ENGINE_EXITED:
		human_since(c->finished_ns / 1000000000, now, buf);
		return xasprintf("Exited (%d) %s", c->exit_code, buf);
	case ENGINE_RESTARTING:
		human_since(c->finished_ns / 1000000000, now, buf);
		return xasprintf("Restarting (%d) %s", c->exit_code, buf);
	default:
		return xstrdup("Created");
	}
}

/* docker's COMMAND column: path and args, an arg with a space in single
 * quotes, cut to 20 characters with "…" and the whole in double quotes. */
static char *command_text(const struct engine_container *c, bool trunc)
{
	json_object *path = NULL, *args = NULL;
	autofree char *s = NULL;
	autofree char *cut = NULL;
	size_t chars = 0, i;

	json_object_object_get_ex(c->config, "Path", &path);
	json_object_object_get_ex(c->config, "Args", &args);
	s = xstrdup(path != NULL ? json_object_get_string(path) : "");
	for (i = 0; args != NULL && i < json_object_array_length(args); i++) {
		const char *a = json_object_get_string(json_object_array_get_idx(args, i));
		char *n = xasprintf(strchr(a, ' ') ? "%s '%s'" : "%s %s", s, a);

		free(s);
		s = n;
	}
	if (!trunc)
		return xasprintf("\"%s\"", s);
	for (i = 0; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && ++chars == 20)
			break;
	}
	if (s[i] == '\0')
		return xasprintf("\"%s\"", s);
	/* 19 characters and the ellipsis */
	cut = xstrndup(s, i);
	return xasprintf("\"%s…\"", cut);
}

/* docker's ps .Mounts (each volume's name or else the source, cut to 15
 * columns unless --no-trunc) and .LocalVolumes (how many volumes). */
static char *mounts_text(const struct engine_container *c, bool trunc, int *volumes)
{
	json_object *mounts = NULL;
	char *out = xstrdup("");

	*volumes = 0;
	if (!json_object_object_get_ex(c->config, "Mounts", &mounts) ||
	    !json_object_is_type(mounts, json_type_array))
		return out;
	for (size_t i = 0; i < json_object_array_length(mounts); i++) {
		json_object *m = json_object_array_get_idx(mounts, i), *v = NULL;
		const char *name = "";
		autofree char *shown = NULL;
		char *next;

		if (json_object_object_get_ex(m, "Name", &v))
			name = json_object_get_string(v);
		if (name[0] == '\0' && json_object_object_get_ex(m, "Source", &v))
			name = json_object_get_string(v);
		if (json_object_object_get_ex(m, "Type", &v) &&
		    strcmp(json_object_get_string(v), "volume") == 0)
			(*volumes)++;
		/* Go's stringutils.Ellipsis: 14 characters and "…". */
		shown = trunc && strlen(name) > 15 ? xasprintf("%.14s\u2026", name) : xstrdup(name);
		next = xasprintf("%s%s%s", out, i > 0 ? "," : "", shown);
		free(out);
		out = next;
	}
	return out;
}

/* docker's SIZE: what the container wrote, and with its image's layers
 * ("2B (virtual 1.98MB)"); "0B" unless sizes were asked for (-s, or a
 * format that names .Size). */
static char *size_text(struct engine *e, struct store *st, const struct engine_container *c,
		       bool want)
{
	struct store_image img = { 0 };
	struct berth_err ignored;
	char rw[32], virt[32];
	uint64_t size_rw, root;

	if (!want)
		return xstrdup("0B");
	size_rw = engine_container_size_rw(e, c->id);
	root = size_rw;
	if (st != NULL && store_image_lookup(st, c->image_id, &img, &ignored) == 0) {
		root += img.size;
		store_image_clear(&img);
	}
	human_size((double)size_rw, rw);
	if (root == 0)
		return xstrdup(rw);
	return xasprintf("%s (virtual %s)", rw, human_size((double)root, virt));
}

static json_object *ps_row(const struct engine_container *c, bool trunc, time_t now,
			   const char *size)
{
	json_object *o = json_object_new_object();
	autofree char *status = status_text(c, now);
	autofree char *cmd = command_text(c, trunc);
	char created[48], since[48];
	json_object *labels = NULL;
	autofree char *label_text = xstrdup("");

	human_rfc3339(c->created_ns / 1000000000, 0, created);
	human_since(c->created_ns / 1000000000, now, since);
	json_object_object_get_ex(c->config, "Labels", &labels);
	for (size_t i = 0; labels != NULL && i < json_object_array_length(labels); i++) {
		char *n = xasprintf("%s%s%s", label_text, i ? "," : "",
				    json_object_get_string(json_object_array_get_idx(labels, i)));

		free(label_text);
		label_text = n;
	}
	json_object_object_add(o, "Command", json_object_new_string(cmd));
	json_object_object_add(o, "CreatedAt", json_object_new_string(created));
	json_object_object_add(o, "ID", json_object_new_string_len(c->id, trunc ? 12 : 64));
	json_object_object_add(o, "Image", json_object_new_string(c->image));
	json_object_object_add(o, "Labels", json_object_new_string(label_text));
	json_object_object_add(o, "Names", json_object_new_string(c->name));
	{
		int volumes;
		autofree char *mounts = mounts_text(c, trunc, &volumes);
		const char *network = NULL;
		struct berth_err ignored;
		char count[16];

		json_get_string(c->config, "NetworkMode", NULL, &network, &ignored);
		snprintf(count, sizeof(count), "%d", volumes);
		json_object_object_add(o, "Mounts", json_object_new_string(mounts));
		json_object_object_add(o, "LocalVolumes", json_object_new_string(count));
		json_object_object_add(o, "Networks",
				       json_object_new_string(network != NULL ? network : "none"));
		json_object_object_add(o, "Size", json_object_new_string(size));
	}
	json_object_object_add(o, "Ports", json_object_new_string(""));
	json_object_object_add(o, "RunningFor", json_object_new_string(since));
	json_object_object_add(o, "State", json_object_new_string(engine_container_status(c)));
	json_object_object_add(o, "Status", json_object_new_string(status));
	return o;
}

/* docker's default columns, and the headings of every field a
 * "table TEMPLATE" may name. */
static const struct listing_column ps_columns[] = {
	{ "ID", "CONTAINER ID" },    { "Image", "IMAGE" },   { "Command", "COMMAND" },
	{ "RunningFor", "CREATED" }, { "Status", "STATUS" }, { "Ports", "PORTS" },
	{ "Names", "NAMES" },        { NULL, NULL },
};

/* ps -s: docker's table with SIZE last. */
static const struct listing_column ps_columns_size[] = {
	{ "ID", "CONTAINER ID" },    { "Image", "IMAGE" },   { "Command", "COMMAND" },
	{ "RunningFor", "CREATED" }, { "Status", "STATUS" }, { "Ports", "PORTS" },
	{ "Names", "NAMES" },        { "Size", "SIZE" },     { NULL, NULL },
};

static const struct listing_column ps_fields[] = {
	{ "ID", "CONTAINER ID" },
	{ "Image", "IMAGE" },
	{ "Command", "COMMAND" },
	{ "RunningFor", "CREATED" },
	{ "CreatedAt", "CREATED AT" },
	{ "Status", "STATUS" },
	{ "State", "STATE" },
	{ "Ports", "PORTS" },
	{ "Names", "NAMES" },
	{ "Labels", "LABELS" },
	{ "Mounts", "MOUNTS" },
	{ "Networks", "NETWORKS" },
	{ "LocalVolumes", "LOCAL VOLUMES" },
	{ "Size", "SIZE" },
	{ NULL, NULL },
};

static int ps_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct ps_opts *p = o;
	struct engine *e;
	struct engine_container *v = NULL;
	size_t n = 0, shown = 0;
	autojson json_object *rows = json_object_new_array();
	time_t now = time(NULL);
	const char *format = p->format;
	int limit = p->latest ? 1 : p->last;
	struct ps_filters *filters = NULL;
	/* docker's client asks for sizes for -s, or a format naming .Size */
	bool want_size = p->size || (format != NULL && strstr(format, ".Size") != NULL);
	struct store *st = NULL;
	int r = -1;

	(void)args;
	if (engine_cli_engine(cli, &e, err) < 0 || engine_list(e, &v, &n, err) < 0)
		return -1;
	if (ps_filters_parse(p->filters, v, n, &filters, err) < 0 ||
	    (want_size && engine_store(cli, &st, err) < 0))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (limit >= 0 && (int)i >= limit)
			break;
		if (!ps_filters_match(filters, &v[i]) ||
		    (!p->all && limit < 0 && !ps_filters_show_all(filters) &&
		     v[i].state != ENGINE_RUNNING && v[i].state != ENGINE_RESTARTING))
			continue;
		{
			autofree char *size = size_text(e, st, &v[i], want_size);

			json_object_array_add(rows, ps_row(&v[i], !p->no_trunc, now, size));
		}
		shown++;
	}
	if (p->quiet) {
		for (size_t i = 0; i < shown; i++)
			printf("%s\n", json_object_get_string(json_object_object_get(
					   json_object_array_get_idx(rows, i), "ID")));
		r = 0;
		goto out;
	}
	if (listing_print_rows(format, rows, p->size ? ps_columns_size : ps_columns, ps_fields,
			       err) < 0)
		goto out;
	r = 0;
out:
	ps_filters_free(filters);
	engine_containers_free(v, n);
	return r;
}

const struct engine_cmd engine_cmd_ps = {
	.name = "ps",
	.args = "",
	.summary = "List containers",
	.opts = ps_table,
	.opts_size = sizeof(struct ps_opts),
	.min_args = 0,
	.max_args = 0,
	.defaults = ps_defaults,
	.err_status = 1, /* docker: its daemon's "Invalid filter" is 1 */
	.run = ps_run,
};

/* ---- logs ---- */

struct logs_opts {
	bool follow, timestamps;
	const char *tail, *since, *until;
	int64_t since_ns, until_ns; /* parsed; 0: none */
};

static const struct cli_opt logs_table[] = {
	{ "follow", 'f', CLI_OPT_BOOL, offsetof(struct logs_opts, follow), NULL,
	  "follow log output until the container stops" },
	{ "timestamps", 't', CLI_OPT_BOOL, offsetof(struct logs_opts, timestamps), NULL,
	  "show timestamps" },
	{ "tail", 'n', CLI_OPT_STRING, offsetof(struct logs_opts, tail), "N",
	  "number of lines to show from the end (default all)" },
	{ "since", 0, CLI_OPT_STRING, offsetof(struct logs_opts, since), "TIME",
	  "show logs since a timestamp (2013-01-02T13:23:37Z) or a relative time (42m)" },
	{ "until", 0, CLI_OPT_STRING, offsetof(struct logs_opts, until), "TIME",
	  "show logs before a timestamp (2013-01-02T13:23:37Z) or a relative time (42m)" },
	CLI_OPT_END,
};

/* Whether a record's time is outside --since/--until (docker: before since
 * is skipped, after until is not shown). */
static bool record_filtered(const struct logs_opts *l, const char *when)
{
	struct berth_err ignored;
	int64_t sec;
	long nsec;

	if (l->since_ns == 0 && l->until_ns == 0)
		return false;
	if (when == NULL || human_parse_rfc3339(when, &sec, &nsec, &ignored) < 0)
		return true;
	return (l->since_ns != 0 && sec * 1000000000 + nsec < l->since_ns) ||
	       (l->until_ns != 0 && sec * 1000000000 + nsec > l->until_ns);
}

/* Prints one json-file record; returns false for a line that is not one. */
static bool print_record(const char *line, const struct logs_opts *l)
{
	autojson json_object *o = json_tokener_parse(line);
	const char *log = NULL, *stream = NULL, *when = NULL;
	struct berth_err ignored;
	size_t len = 0;
	FILE *f;

	/* The output as the container wrote it, NUL bytes and all. */
	if (o == NULL || json_get_bytes(o, "log", NULL, &log, &len, &ignored) != 1)
		return false;
	json_get_string(o, "stream", NULL, &stream, &ignored);
	json_get_string(o, "time", NULL, &when, &ignored);
	if (record_filtered(l, when))
		return true;
	f = stream != NULL && strcmp(stream, "stderr") == 0 ? stderr : stdout;
	/* The two streams keep the records' order when they go to one file
	 * (2>&1): what stdout buffered is out before a stderr record. */
	if (f == stderr)
		fflush(stdout);
	if (l->timestamps && when != NULL)
		fprintf(f, "%s ", when);
	fwrite(log, 1, len, f);
	return true;
}

/* The records print_log shows: all of them, printed as they are read, or
 * (tail >= 0) the last tail, kept in a ring until the end. */
struct record_sink {
	const struct logs_opts *l;
	long tail;
	char **ring; /* tail >= 0: up to tail records, oldest at head */
	size_t cap, n, head;
};

static void sink_add(struct record_sink *k, const char *line)
{
	if (k->tail < 0) {
		print_record(line, k->l);
		return;
	}
	if (k->tail == 0)
		return;
	if (k->n == k->cap && k->cap < (size_t)k->tail) {
		/* Grows as records come, never past tail: `--tail 1000000`
		 * of a short log costs what the log holds. The ring is not
		 * wrapped yet (it wraps only once full at tail). */
		size_t cap = k->cap == 0 ? 64 : k->cap * 2;

		if (cap > (size_t)k->tail)
			cap = (size_t)k->tail;
		k->ring = xreallocarray(k->ring, cap, sizeof(char *));
		k->cap = cap;
	}
	if (k->n < k->cap) {
		k->ring[k->n++] = xstrdup(line);
		return;
	}
	free(k->ring[k->head]);
	k->ring[k->head] = xstrdup(line);
	k->head = (k->head + 1) % k->cap;
}

static void sink_finish(struct record_sink *k)
{
	for (size_t i = 0; i < k->n; i++) {
		char *line = k->ring[(k->head + i) % k->cap];

		print_record(line, k->l);
		free(line);
	}
	free(k->ring);
}

/* Passes on the complete records of one log file, from offset *off (when
 * not NULL, advanced past them) up to limit bytes (-1: the end). */
static void read_records(const char *path, off_t *off, long long limit, struct record_sink *k)
{
	autofclose FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	off_t pos = off != NULL ? *off : 0;

	if (f == NULL || fseeko(f, pos, SEEK_SET) < 0)
		return;
	while ((limit < 0 || pos < limit) && (len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] != '\n')
			break; /* a record still being written */
		pos += len;
		sink_add(k, line);
	}
	free(line);
	if (off != NULL)
		*off = pos;
}

/* Prints the last tail records (tail < 0: all) of the rotated files,
 * oldest first, and of the current one from *off up to limit bytes. */
static void print_log(const char *path, off_t *off, long long limit, long tail,
		      const struct logs_opts *l)
{
	struct record_sink k = { .l = l, .tail = tail };
	int rotated = 0;

	/* ID-json.log.N ... ID-json.log.1 exist only from the first read. */
	while (*off == 0 && rotated < 1000) {
		autofree char *older = xasprintf("%s.%d", path, rotated + 1);

		if (access(older, F_OK) < 0)
			break;
		rotated++;
	}
	for (int i = rotated; i > 0; i--) {
		autofree char *older = xasprintf("%s.%d", path, i);

		read_records(older, NULL, -1, &k);
	}
	read_records(path, off, limit, &k);
	sink_finish(&k);
	fflush(stdout);
	fflush(stderr);
}

/* -f through the container's monitor: the file up to where the monitor
 * took over, then each record as it is written, until the container
 * exits (or --until passes). -1 when the monitor cannot be asked. */
static int follow_monitor(struct engine *e, const char *id, const char *path, long tail,
			  const struct logs_opts *l)
{
	autoclose int sock = -1;
	unsigned long long size;
	struct berth_err ignored;
	size_t cap = ENGINE_LOG_RECORD_MAX + 2;
	autofree char *buf = xmalloc(cap);
	off_t off = 0;

	if (engine_logs_subscribe(e, id, &sock, &size, &ignored) < 0)
		return -1;
	print_log(path, &off, (long long)size, tail, l);
	for (;;) {
		int64_t now = (int64_t)time(NULL) * 1000000000;
		int timeout = -1, r;

		if (l->until_ns != 0) {
			if (now > l->until_ns)
				break;
			timeout = (int)((l->until_ns - now) / 1000000) + 1;
		}
		r = engine_logs_next(sock, buf, cap, timeout, &ignored);
		if (r <= 0)
			break;
		if (r == 1) {
			print_record(buf, l);
			fflush(stdout);
			fflush(stderr);
		}
	}
	return 0;
}

static int logs_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct logs_opts *l = o;
	struct engine *e;
	struct engine_container c = { 0 };
	autofree char *path = NULL;
	off_t off = 0;
	long tail = -1;

	if (l->tail != NULL && strcmp(l->tail, "all") != 0) {
		int64_t n;
		int r = num_parse_i64(l->tail, 10, 0, LONG_MAX, &n);

		if (r < 0)
			return berth_err_set(err, 0,
					     "invalid argument \"%s\" for \"-n, --tail\" flag: %s "
					     "(a number of lines, or all)",
					     l->tail, num_strerror(r));
		tail = (long)n;
	}
	if (l->since != NULL && engine_timestamp_parse(l->since, (int64_t)time(NULL) * 1000000000,
						       &l->since_ns, err) < 0)
		return berth_err_wrap(err, "invalid value for \"since\"");
	if (l->until != NULL && engine_timestamp_parse(l->until, (int64_t)time(NULL) * 1000000000,
						       &l->until_ns, err) < 0)
		return berth_err_wrap(err, "invalid value for \"until\"");
	if (engine_cli_engine(cli, &e, err) < 0 || engine_lookup(e, args[0], &c, err) < 0)
		return -1;
	if (engine_log_driver_none(c.config)) {
		engine_container_clear(&c);
		return berth_err_set(err, 0, "configured logging driver does not support reading");
	}
	path = engine_log_path(e, c.id);
	if (l->follow && c.state == ENGINE_RUNNING && follow_monitor(e, c.id, path, tail, l) == 0) {
		engine_container_clear(&c);
		return 0;
	}
	print_log(path, &off, -1, tail, l);
	/* A monitor that cannot be asked (restarting, just exiting): poll
	 * the file while the container runs. docker stops following once
	 * --until has passed. */
	while (l->follow && (l->until_ns == 0 || (int64_t)time(NULL) * 1000000000 <= l->until_ns)) {
		struct engine_container now = { 0 };
		bool running;

		if (engine_lookup(e, c.id, &now, err) < 0)
			break; /* removed (--rm): what was logged is printed */
		running = now.state == ENGINE_RUNNING || now.state == ENGINE_RESTARTING;
		engine_container_clear(&now);
		usleep(100000);
		print_log(path, &off, -1, -1, l);
		if (!running)
			break;
	}
	berth_err_clear(err);
	engine_container_clear(&c);
	return 0;
}

const struct engine_cmd engine_cmd_logs = {
	.name = "logs",
	.args = "CONTAINER",
	.summary = "Fetch the logs of a container",
	.opts = logs_table,
	.opts_size = sizeof(struct logs_opts),
	.min_args = 1,
	.max_args = 1,
	.err_status = 1, /* docker: 1 for its errors, 125 for bad flags */
	.run = logs_run,
};
