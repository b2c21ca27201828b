/* A container's life: create, run, start, state, kill, delete, pause,
 * resume, and list. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/json-print.h"
#include "cli/runtime.h"
#include "runtime/signals.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"

struct create_flags {
	const char *bundle;
	const char *pid_file;
	const char *console_socket;
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds;
	/* run only */
	bool detach;
	bool keep;
	bool no_subreaper;
};

/* The flags create and run share. */
/* clang-format off */
#define CREATE_FLAGS                                                                        \
	{ "bundle", 'b', CLI_OPT_STRING, offsetof(struct create_flags, bundle), "DIR",      \
	  "the bundle directory (default: the current directory)" },                        \
	{ "console-socket", 0, CLI_OPT_STRING, offsetof(struct create_flags, console_socket), \
	  "PATH", "AF_UNIX socket that receives the console's pty master" },                \
	{ "pid-file", 0, CLI_OPT_STRING, offsetof(struct create_flags, pid_file), "FILE",   \
	  "write the container's pid to FILE" },                                            \
	{ "no-pivot", 0, CLI_OPT_BOOL, offsetof(struct create_flags, no_pivot), NULL,       \
	  "do not use pivot_root (for a rootfs on a ramdisk)" },                            \
	{ "no-new-keyring", 0, CLI_OPT_BOOL, offsetof(struct create_flags, no_new_keyring), \
	  NULL, "keep the caller's session keyring" },                                      \
	{ "preserve-fds", 0, CLI_OPT_INT, offsetof(struct create_flags, preserve_fds), "N", \
	  "pass N more file descriptors (from 3) to the container" }
/* clang-format on */

static const struct cli_opt create_table[] = {
	CREATE_FLAGS,
	CLI_OPT_END,
};

static const struct cli_opt run_table[] = {
	CREATE_FLAGS,
	{ "detach", 'd', CLI_OPT_BOOL, offsetof(struct create_flags, detach), NULL,
	  "do not wait for the container's process" },
	{ "keep", 0, CLI_OPT_BOOL, offsetof(struct create_flags, keep), NULL,
	  "keep the stopped container (its state and cgroup) until delete" },
	{ "no-subreaper", 0, CLI_OPT_BOOL, offsetof(struct create_flags, no_subreaper), NULL,
	  NULL },
	CLI_OPT_END,
};

static void create_opts_fill(struct create_opts *o, const struct create_flags *f, const char *id)
{
	o->id = id;
	o->bundle = f->bundle != NULL && f->bundle[0] != '\0' ? f->bundle : ".";
	o->pid_file = f->pid_file;
	o->console_socket = f->console_socket;
	o->no_pivot = f->no_pivot;
	o->no_new_keyring = f->no_new_keyring;
	o->preserve_fds = f->preserve_fds;
}

static int cmd_create(struct runtime_cli *cli, void *opts, char **args, struct berth_err *err)
{
	struct create_opts o = { 0 };

	if (runtime_check_create(cli, err) < 0)
		return -1;
	create_opts_fill(&o, opts, args[0]);
	if (container_create(&cli->ctx, &o, err) < 0)
		return -1;
	return 0;
}

static int cmd_run(struct runtime_cli *cli, void *opts, char **args, struct berth_err *err)
{
	const struct create_flags *f = opts;
	struct create_opts o = { 0 };
	int status = 0;

	if (runtime_check_create(cli, err) < 0)
		return -1;
	create_opts_fill(&o, f, args[0]);
	o.keep = f->keep;
	if (container_run(&cli->ctx, &o, f->detach, &status, err) < 0)
		return -1;
	return f->detach ? 0 : status;
}

static int cmd_start(struct runtime_cli *cli, void *opts, char **args, struct berth_err *err)
{
	return container_start(&cli->ctx, args[0], err);
}

static int cmd_state(struct runtime_cli *cli, void *opts, char **args, struct berth_err *err)
{
	autojson json_object *state = NULL;

	if (container_state(&cli->ctx, args[0], &state, err) < 0)
		return -1;
	cli_json_print(stdout, state, "  ");
	return 0;
}

struct kill_flags {
	bool all;
};

static const struct cli_opt kill_table[] = {
	{ "all", 'a', CLI_OPT_BOOL, offsetof(struct kill_flags, all), NULL,
	  "send the signal to every process in the container" },
	CLI_OPT_END,
};

static int cmd_kill(struct runtime_cli *cli, void *opts, char **args, struct berth_err *err)
{
	const struct kill_flags *f = opts;
	int sig = SIGTERM;

	if (args[1] != NULL) {
		sig = signal_parse(args[1]);
		if (sig < 0)
			return berth_err_set(err, 0, "unknown signal \"%s\"", args[1]);
	}
	return container_kill(&cli->ctx, args[0], sig, f->all, err);
}

struct delete_flags {
	bool force;
};

static const struct cli_opt delete_table[] = {
	{ "force", 'f', CLI_OPT_BOOL, offsetof(struct delete_flags, force), NULL,
	  "delete the container even if it is running (SIGKILL)" },
	CLI_OPT_END,
};

static int cmd_delete(struct runtime_cli *cli, void *opts, char **args, struct berth_err *err)
{
	const struct delete_flags *f = opts;

	return container_delete(&cli->ctx, args[0], f->force, err);
}

static int cmd_pause(struct runtime_cli *cli, void *opts, char **args, struct berth_err *err)
{
	return container_pause(&cli->ctx, args[0], err);
}

static int cmd_resume(struct runtime_cli *cli, void *opts, char **args, struct berth_err *err)
{
	return container_resume(&cli->ctx, args[0], err);
}

struct list_flags {
	const char *format;
	bool quiet;
};

static const struct cli_opt list_table[] = {
	{ "format", 'f', CLI_OPT_STRING, offsetof(struct list_flags, format), "FORMAT",
	  "table (default) or json" },
	{ "quiet", 'q', CLI_OPT_BOOL, offsetof(struct list_flags, quiet), NULL,
	  "print the container ids only" },
	CLI_OPT_END,
};

/* The cells of one row of `list`, as strings. */
static void list_row(json_object *st, const char *cells[6], char pid[24])
{
	json_object *v;

	memset(cells, 0, 6 * sizeof(cells[0]));
	cells[0] = json_object_object_get_ex(st, "id", &v) ? json_object_get_string(v) : "";
	snprintf(pid, 24, "%d",
		 json_object_object_get_ex(st, "pid", &v) ? json_object_get_int(v) : 0);
	cells[1] = pid;
	cells[2] = json_object_object_get_ex(st, "status", &v) ? json_object_get_string(v) : "";
	cells[3] = json_object_object_get_ex(st, "bundle", &v) ? json_object_get_string(v) : "";
	cells[4] = json_object_object_get_ex(st, "created", &v) ? json_object_get_string(v) : "";
	cells[5] = json_object_object_get_ex(st, "owner", &v) ? json_object_get_string(v) : "";
}

/* runc lays the table out with Go's tabwriter (minimum width 12, padding 3):
 * every column but the last is as wide as its widest cell plus 3, and at
 * least 12. */
static void list_table_print(json_object *list)
{
	static const char *const header[6] = {
		"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"
	};
	size_t n = json_object_array_length(list);
	int width[5];
	const char *cells[6];
	char pid[24];

	for (int c = 0; c < 5; c++)
		width[c] = (int)strlen(header[c]) + 3 > 12 ? (int)strlen(header[c]) + 3 : 12;
	for (size_t i = 0; i < n; i++) {
		list_row(json_object_array_get_idx(list, i), cells, pid);
		for (int c = 0; c < 5; c++)
			if ((int)strlen(cells[c]) + 3 > width[c])
				width[c] = (int)strlen(cells[c]) + 3;
	}
	for (size_t i = 0; i <= n; i++) {
		if (i == 0)
			memcpy(cells, header, sizeof(header));
		else
			list_row(json_object_array_get_idx(list, i - 1), cells, pid);
		for (int c = 0; c < 5; c++)
			printf("%-*s", width[c], cells[c]);
		printf("%s\n", cells[5]);
	}
}

static int cmd_list(struct runtime_cli *cli, void *opts, char **args, struct berth_err *err)
{
	const struct list_flags *f = opts;
	autojson json_object *list = NULL;
	const char *format = f->format != NULL ? f->format : "table";

	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return berth_err_set(err, 0, "invalid format option \"%s\": want table or json",
				     format);
	if (container_list(&cli->ctx, &list, err) < 0)
		return -1;
	if (f->quiet) {
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			json_object *v;

			if (json_object_object_get_ex(json_object_array_get_idx(list, i), "id", &v))
				printf("%s\n", json_object_get_string(v));
		}
	} else if (strcmp(format, "json") == 0) {
		cli_json_print(stdout, list, NULL);
	} else {
		list_table_print(list);
	}
	return 0;
}

#define ID_ONLY(cmd, fn, text)                                                                     \
	const struct runtime_cmd runtime_cmd_##cmd = {                                             \
		.name = #cmd,                                                                      \
		.args = "<container-id>",                                                          \
		.summary = text,                                                                   \
		.min_args = 1,                                                                     \
		.max_args = 1,                                                                     \
		.run = fn,                                                                         \
	}

const struct runtime_cmd runtime_cmd_create = {
	.name = "create",
	.args = "<container-id>",
	.summary = "create a container from a bundle; its process waits for start",
	.opts = create_table,
	.opts_size = sizeof(struct create_flags),
	.min_args = 1,
	.max_args = 1,
	.run = cmd_create,
};

const struct runtime_cmd runtime_cmd_run = {
	.name = "run",
	.args = "<container-id>",
	.summary = "create and start a container",
	.opts = run_table,
	.opts_size = sizeof(struct create_flags),
	.min_args = 1,
	.max_args = 1,
	.run = cmd_run,
};

ID_ONLY(start, cmd_start, "start the process of a created container");
ID_ONLY(state, cmd_state, "print the state of a container as JSON");
ID_ONLY(pause, cmd_pause, "freeze every process of a container");
ID_ONLY(resume, cmd_resume, "thaw a paused container");

const struct runtime_cmd runtime_cmd_kill = {
	.name = "kill",
	.args = "<container-id> [signal]",
	.summary = "send a signal (default SIGTERM) to the container's init process",
	.opts = kill_table,
	.opts_size = sizeof(struct kill_flags),
	.min_args = 1,
	.max_args = 2,
	.run = cmd_kill,
};

const struct runtime_cmd runtime_cmd_delete = {
	.name = "delete",
	.args = "<container-id>",
	.summary = "delete a stopped container and what it holds",
	.opts = delete_table,
	.opts_size = sizeof(struct delete_flags),
	.min_args = 1,
	.max_args = 1,
	.run = cmd_delete,
};

const struct runtime_cmd runtime_cmd_list = {
	.name = "list",
	.alias = "ls",
	.args = "",
	.summary = "list the containers under the state directory",
	.opts = list_table,
	.opts_size = sizeof(struct list_flags),
	.min_args = 0,
	.max_args = 0,
	.run = cmd_list,
};
