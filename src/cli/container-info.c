/* top, stats and port: what a container is doing and where it listens.
 * top runs the host's ps and keeps the lines of the container's processes
 * (docker's approach); stats samples the container's cgroup through the
 * runtime and prints docker's columns; port reads the published ports
 * (none yet: bridge networking comes later). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/engine.h"
#include "cli/listing.h"
#include "engine/engine.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/human.h"
#include "util/json.h"
#include "util/num.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define ENGINE_ERR 125

extern char **environ;

/* ---- top ---- */

/* Runs argv, its stdout into *out; the exit status must be 0. */
static int run_capture(char *const *argv, char **out, struct berth_err *err)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2], status = 0, r;
	pid_t pid;
	size_t len = 0;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return berth_err_set(err, errno, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (r != 0) {
		close(pipefd[0]);
		return berth_err_set(err, r, "Error running ps");
	}
	r = fs_read_fd(pipefd[0], 64 << 20, out, &len, err);
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		free(*out);
		*out = NULL;
		return berth_err_set(err, 0, "Error running ps: exit status %d",
				     WIFEXITED(status) ? WEXITSTATUS(status)
						       : 128 + WTERMSIG(status));
	}
	return 0;
}

static char **split_fields(const char *line)
{
	autofree char *copy = xstrdup(line);
	char **v = NULL, *save = NULL;

	for (char *t = strtok_r(copy, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save))
		strv_push(&v, t);
	return v;
}

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* Go's tabwriter as docker's top uses it: minimum width 20, padding 3;
 * the last cell of a row is not padded. */
static void top_print(char ***rows, size_t n)
{
	size_t cols = 0, *width;

	for (size_t i = 0; i < n; i++)
		if (strv_len(rows[i]) > cols)
			cols = strv_len(rows[i]);
	width = xcalloc(cols + 1, sizeof(*width));
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; rows[i][j] != NULL; j++)
			if (strlen(rows[i][j]) + 3 > width[j])
				width[j] = strlen(rows[i][j]) + 3;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; rows[i][j] != NULL; j++) {
			if (rows[i][j + 1] == NULL)
				printf("%s\n", rows[i][j]);
			else
				printf("%-*s", (int)(width[j] < 20 ? 20 : width[j]), rows[i][j]);
		}
	}
	free(width);
}

/* The processes of ps's output whose PID is one of pids, each cut to the
 * header's number of fields (the last takes the rest, the command line). */
static int top_filter(char *text, const pid_t *pids, size_t n, struct berth_err *err)
{
	char *save = NULL, *line = strtok_r(text, "\n", &save);
	autostrv char **titles = line != NULL ? split_fields(line) : NULL;
	char ***rows = NULL;
	size_t nrows = 0, ntitles = strv_len(titles), pid_col = SIZE_MAX;
	int r = 0;

	for (size_t i = 0; i < ntitles; i++)
		if (strcmp(titles[i], "PID") == 0)
			pid_col = i;
	if (pid_col == SIZE_MAX)
		return berth_err_set(err, 0, "Couldn't find PID field in ps output");
	rows = xcalloc(1, sizeof(*rows));
	rows[nrows++] = strv_dup(titles);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		autostrv char **f = split_fields(line);
		size_t nf = strv_len(f);
		char **row = NULL;
		int pid;

		if (nf <= pid_col || strcmp(f[pid_col], "-") == 0)
			continue;
		if (num_parse_int(f[pid_col], 0, INT_MAX, &pid) < 0) {
			r = berth_err_set(err, 0, "Unexpected pid '%s'", f[pid_col]);
			break;
		}
		if (!has_pid(pids, n, pid))
			continue;
		for (size_t i = 0; i + 1 < ntitles && i < nf; i++)
			strv_push(&row, f[i]);
		if (nf >= ntitles) {
			char *rest = xstrdup(f[ntitles - 1]);

			for (size_t i = ntitles; i < nf; i++) {
				char *more = xasprintf("%s %s", rest, f[i]);

				free(rest);
				rest = more;
			}
			strv_push_take(&row, rest);
		}
		rows = xreallocarray(rows, nrows + 1, sizeof(*rows));
		rows[nrows++] = row != NULL ? row : xcalloc(1, sizeof(char *));
	}
	if (r == 0)
		top_print(rows, nrows);
	for (size_t i = 0; i < nrows; i++)
		strv_free(rows[i]);
	free(rows);
	return r;
}

static int top_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct engine *e;
	autofree pid_t *pids = NULL;
	autofree char *out = NULL;
	autostrv char **argv = NULL;
	size_t n = 0;

	(void)o;
	if (engine_cli_engine(cli, &e, err) < 0 ||
	    engine_container_pids(e, args[0], &pids, &n, err) < 0)
		return -1;
	strv_push(&argv, "ps");
	if (args[1] == NULL)
		strv_push(&argv, "-ef");
	for (size_t i = 1; args[i] != NULL; i++)
		strv_push(&argv, args[i]);
	if (run_capture(argv, &out, err) < 0)
		return -1;
	return top_filter(out, pids, n, err);
}

const struct engine_cmd engine_cmd_top = {
	.name = "top",
	.args = "CONTAINER [ps OPTIONS]",
	.summary = "Display the running processes of a container",
	.parse_flags = CLI_ARGS_STOP_AT_POSITIONAL,
	.min_args = 1,
	.max_args = -1,
	.err_status = 1, /* docker: 1 for its errors, 125 for bad flags */
	.run = top_run,
};

/* ---- stats ---- */

struct stats_opts {
	bool all, no_stream, no_trunc;
	const char *format;
};

static const struct cli_opt stats_table[] = {
	{ "all", 'a', CLI_OPT_BOOL, offsetof(struct stats_opts, all), NULL,
	  "show all containers (default shows just running)" },
	{ "format", 0, CLI_OPT_STRING, offsetof(struct stats_opts, format), "FORMAT",
	  "\"table\", \"table TEMPLATE\", \"json\" or a Go template" },
	{ "no-stream", 0, CLI_OPT_BOOL, offsetof(struct stats_opts, no_stream), NULL,
	  "disable streaming stats and only pull the first result" },
	{ "no-trunc", 0, CLI_OPT_BOOL, offsetof(struct stats_opts, no_trunc), NULL,
	  "do not truncate output" },
	CLI_OPT_END,
};

/* The fields --format knows; the default table shows all but the first. */
static const struct listing_column stats_fields[] = {
	{ "Container", "CONTAINER" },
	{ "ID", "CONTAINER ID" },
	{ "Name", "NAME" },
	{ "CPUPerc", "CPU %" },
	{ "MemUsage", "MEM USAGE / LIMIT" },
	{ "MemPerc", "MEM %" },
	{ "NetIO", "NET I/O" },
	{ "BlockIO", "BLOCK I/O" },
	{ "PIDs", "PIDS" },
	{ NULL, NULL },
};

/* One container followed: what the user called it and its last sample. */
struct stats_entry {
	char *label; /* the Container field */
	char id[ENGINE_ID_LEN + 1];
	char *name;
	bool sampled;
	struct engine_stats prev, now;
};

static void stats_entries_free(struct stats_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].label);
		free(v[i].name);
	}
	free(v);
}

static void stats_add(struct stats_entry **v, size_t *n, const struct engine_container *c,
		      const char *label)
{
	struct stats_entry *en;

	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	en = &(*v)[(*n)++];
	memset(en, 0, sizeof(*en));
	en->label = label != NULL ? xstrdup(label) : xstrndup(c->id, 12);
	snprintf(en->id, sizeof(en->id), "%s", c->id);
	en->name = xstrdup(c->name);
}

/* The containers named, or every running one (-a: every one). */
static int stats_targets(struct engine *e, const struct stats_opts *o, char **args,
			 struct stats_entry **v, size_t *n, struct berth_err *err)
{
	struct engine_container *all = NULL;
	size_t count = 0;

	for (size_t i = 0; args[i] != NULL; i++) {
		struct engine_container c = { 0 };

		if (engine_lookup(e, args[i], &c, err) < 0)
			return -1;
		stats_add(v, n, &c, args[i]);
		engine_container_clear(&c);
	}
	if (args[0] != NULL)
		return 0;
	if (engine_list(e, &all, &count, err) < 0)
		return -1;
	for (size_t i = 0; i < count; i++)
		if (o->all || all[i].state == ENGINE_RUNNING)
			stats_add(v, n, &all[i], NULL);
	engine_containers_free(all, count);
	return 0;
}

/* Takes a sample of each entry; a container that is not running (or not
 * any more) keeps zeros. */
static void stats_sample(struct engine *e, struct stats_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct berth_err ignored;
		struct engine_stats s;

		if (engine_stats_read(e, v[i].id, &s, &ignored) < 0) {
			memset(&v[i].now, 0, sizeof(v[i].now));
			v[i].sampled = false;
			continue;
		}
		v[i].prev = v[i].sampled ? v[i].now : s;
		v[i].now = s;
		v[i].sampled = true;
	}
}

static json_object *stats_row(const struct stats_entry *en, bool trunc)
{
	json_object *o = json_object_new_object();
	char a[32], b[32];
	autofree char *text = NULL;
	const struct engine_stats *s = &en->now;

	/* docker's json of a row has its keys sorted */
	text = xasprintf("%s / %s", human_size((double)s->blk_read, a),
			 human_size((double)s->blk_write, b));
	listing_add_str(o, "BlockIO", text);
	free(text);
	text = xasprintf("%.2f%%", en->sampled ? engine_stats_cpu_percent(&en->prev, s) : 0.0);
	listing_add_str(o, "CPUPerc", text);
	listing_add_str(o, "Container", en->label);
	free(text);
	text = listing_id_text(en->id, trunc);
	listing_add_str(o, "ID", text);
	free(text);
	text = xasprintf("%.2f%%", engine_stats_mem_percent(s));
	listing_add_str(o, "MemPerc", text);
	free(text);
	text = xasprintf("%s / %s", human_size_binary((double)s->mem_usage, a),
			 human_size_binary((double)s->mem_limit, b));
	listing_add_str(o, "MemUsage", text);
	listing_add_str(o, "Name", en->name);
	/* No network of its own beyond loopback yet (--network none or host):
	 * docker shows the same zeros for both. */
	listing_add_str(o, "NetIO", "0B / 0B");
	free(text);
	text = xasprintf("%llu", (unsigned long long)s->pids);
	listing_add_str(o, "PIDs", text);
	return o;
}

static int stats_print(const struct stats_opts *o, const struct stats_entry *v, size_t n,
		       struct berth_err *err)
{
	autojson json_object *rows = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(rows, stats_row(&v[i], !o->no_trunc));
	return listing_print_rows(o->format, rows, stats_fields + 1, stats_fields, err);
}

/* Without names, docker follows what runs now: containers started since
 * join, those gone leave; the ones still there keep their last sample. */
static int stats_relist(struct engine *e, const struct stats_opts *o, struct stats_entry **v,
			size_t *n, struct berth_err *err)
{
	struct stats_entry *fresh = NULL;
	size_t m = 0;
	char *none[] = { NULL };

	if (stats_targets(e, o, none, &fresh, &m, err) < 0) {
		stats_entries_free(fresh, m);
		return -1;
	}
	for (size_t i = 0; i < m; i++) {
		for (size_t j = 0; j < *n; j++) {
			if (strcmp(fresh[i].id, (*v)[j].id) != 0)
				continue;
			fresh[i].sampled = (*v)[j].sampled;
			fresh[i].prev = (*v)[j].prev;
			fresh[i].now = (*v)[j].now;
		}
	}
	stats_entries_free(*v, *n);
	*v = fresh;
	*n = m;
	return 0;
}

static int stats_run(struct engine_cli *cli, void *opts, char **args, struct berth_err *err)
{
	struct stats_opts *o = opts;
	struct stats_entry *v = NULL;
	struct engine *e;
	size_t n = 0;
	int r = -1;

	if (engine_cli_engine(cli, &e, err) < 0 || stats_targets(e, o, args, &v, &n, err) < 0)
		goto out;
	/* CPU % is a rate: two samples apart. */
	stats_sample(e, v, n);
	usleep(500000);
	stats_sample(e, v, n);
	if (o->no_stream) {
		r = stats_print(o, v, n, err);
		goto out;
	}
	for (;;) {
		/* docker's redraw: clear the screen, cursor home, the table */
		printf("\033[2J\033[H");
		if (stats_print(o, v, n, err) < 0)
			goto out;
		fflush(stdout);
		sleep(1);
		if (args[0] == NULL && stats_relist(e, o, &v, &n, err) < 0)
			goto out;
		stats_sample(e, v, n);
	}
out:
	stats_entries_free(v, n);
	return r;
}

const struct engine_cmd engine_cmd_stats = {
	.name = "stats",
	.args = "[CONTAINER...]",
	.summary = "Display a live stream of container(s) resource usage statistics",
	.opts = stats_table,
	.opts_size = sizeof(struct stats_opts),
	.min_args = 0,
	.max_args = -1,
	.err_status = ENGINE_ERR,
	.run = stats_run,
};

/* ---- port ---- */

/* "80/tcp -> 0.0.0.0:8080" lines from docker's port map
 * {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}; only the
 * private port want when given. 1 when want was found. */
static int port_print(json_object *ports, const char *want, bool *found)
{
	*found = false;
	if (ports == NULL || !json_object_is_type(ports, json_type_object))
		return 0;
	json_object_object_foreach(ports, key, binds)
	{
		if (want != NULL && strcmp(key, want) != 0)
			continue;
		for (size_t i = 0; binds != NULL && json_object_is_type(binds, json_type_array) &&
				   i < json_object_array_length(binds);
		     i++) {
			json_object *b = json_object_array_get_idx(binds, i);
			const char *ip = listing_get_str(b, "HostIp");
			const char *port = listing_get_str(b, "HostPort");

			if (ip == NULL || ip[0] == '\0')
				ip = "0.0.0.0";
			if (want != NULL)
				printf("%s:%s\n", ip, port != NULL ? port : "");
			else
				printf("%s -> %s:%s\n", key, ip, port != NULL ? port : "");
			*found = true;
		}
	}
	return 0;
}

static int port_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct engine *e;
	struct engine_container c = { 0 };
	autofree char *want = NULL;
	json_object *ports = NULL;
	bool found = false;

	(void)o;
	if (args[1] != NULL) {
		const char *slash = strchr(args[1], '/');
		autofree char *num =
		    slash ? xstrndup(args[1], (size_t)(slash - args[1])) : xstrdup(args[1]);
		uint64_t p;

		if (num_parse_u64(num, 10, 65535, &p) < 0)
			return berth_err_set(err, 0, "invalid port: %s", args[1]);
		want = xasprintf("%llu/%s", (unsigned long long)p,
				 slash != NULL && slash[1] ? slash + 1 : "tcp");
	}
	if (engine_cli_engine(cli, &e, err) < 0 || engine_lookup(e, args[0], &c, err) < 0)
		return -1;
	/* Published ports exist while the container runs; nothing publishes
	 * them yet (bridge networking comes later), so this reads what create
	 * may record one day. */
	if (c.state == ENGINE_RUNNING && !json_object_object_get_ex(c.config, "Ports", &ports))
		ports = NULL;
	port_print(ports, want, &found);
	engine_container_clear(&c);
	if (want != NULL && !found)
		return berth_err_set(err, 0, "No public port '%s' published for %s", want, args[0]);
	return 0;
}

const struct engine_cmd engine_cmd_port = {
	.name = "port",
	.args = "CONTAINER [PRIVATE_PORT[/PROTO]]",
	.summary = "List port mappings or a specific mapping for the container",
	.min_args = 1,
	.max_args = 2,
	.run = port_run,
};
