/* runc's global flags, the command table and dispatch. */
#include "cli/runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "runtime/exeseal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/log.h"
#include "util/path.h"
#include "util/xalloc.h"

#define RUNTIME_DEFAULT_ROOT "/run/berth-runc"

static const struct runtime_cmd *const runtime_cmds[] = {
	&runtime_cmd_checkpoint, &runtime_cmd_create,  &runtime_cmd_delete, &runtime_cmd_events,
	&runtime_cmd_exec,       &runtime_cmd_kill,    &runtime_cmd_list,   &runtime_cmd_pause,
	&runtime_cmd_ps,         &runtime_cmd_restore, &runtime_cmd_resume, &runtime_cmd_run,
	&runtime_cmd_spec,       &runtime_cmd_start,   &runtime_cmd_state,  &runtime_cmd_update,
	&runtime_cmd_features,
};

struct global_opts {
	const char *root;
	const char *log;
	const char *log_format;
	bool debug;
	bool systemd_cgroup;
	const char *rootless;
	const char *criu;
	bool version;
	bool help;
};

static const struct cli_opt global_table[] = {
	{ "debug", 0, CLI_OPT_BOOL, offsetof(struct global_opts, debug), NULL,
	  "enable debug logging" },
	{ "log", 0, CLI_OPT_STRING, offsetof(struct global_opts, log), "FILE",
	  "write logs to FILE (default: stderr)" },
	{ "log-format", 0, CLI_OPT_STRING, offsetof(struct global_opts, log_format), "FORMAT",
	  "log format: text (default) or json" },
	{ "root", 0, CLI_OPT_STRING, offsetof(struct global_opts, root), "DIR",
	  "state directory (default: " RUNTIME_DEFAULT_ROOT ")" },
	{ "systemd-cgroup", 0, CLI_OPT_BOOL, offsetof(struct global_opts, systemd_cgroup), NULL,
	  "use the systemd cgroup driver (not supported yet)" },
	{ "rootless", 0, CLI_OPT_STRING, offsetof(struct global_opts, rootless), "true|false|auto",
	  "accepted for compatibility; detected automatically" },
	{ "criu", 0, CLI_OPT_STRING, offsetof(struct global_opts, criu), "PATH",
	  "accepted for compatibility; checkpoint is not supported" },
	{ "version", 'v', CLI_OPT_BOOL, offsetof(struct global_opts, version), NULL,
	  "print the version" },
	{ "help", 'h', CLI_OPT_BOOL, offsetof(struct global_opts, help), NULL, "show help" },
	CLI_OPT_END,
};

static void runtime_usage(FILE *f, const char *prog)
{
	fprintf(f, "Usage: %s [global options] command [command options] [arguments...]\n\n", prog);
	fprintf(f, "An OCI runtime with runc's command line.\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(runtime_cmds); i++)
		fprintf(f, "   %-11s %s\n", runtime_cmds[i]->name, runtime_cmds[i]->summary);
	fprintf(f, "   %-11s %s\n", "help", "show the commands or the help of one command");
	fprintf(f, "\nGlobal options:\n");
	cli_args_help(f, global_table);
}

static void runtime_cmd_usage(FILE *f, const char *prog, const struct runtime_cmd *c)
{
	fprintf(f, "Usage: %s %s%s%s%s\n\n%s\n", prog, c->name, c->opts != NULL ? " [options]" : "",
		c->args[0] != '\0' ? " " : "", c->args, c->summary);
	if (c->alias != NULL)
		fprintf(f, "Alias: %s\n", c->alias);
	if (c->opts != NULL) {
		fprintf(f, "\nOptions:\n");
		cli_args_help(f, c->opts);
	}
}

static const struct runtime_cmd *runtime_cmd_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(runtime_cmds); i++) {
		const struct runtime_cmd *c = runtime_cmds[i];

		if (strcmp(c->name, name) == 0 || (c->alias != NULL && strcmp(c->alias, name) == 0))
			return c;
	}
	return NULL;
}

static int runtime_args_check(const struct runtime_cmd *c, char **args, struct berth_err *err)
{
	int n = 0;

	while (args[n] != NULL)
		n++;
	if (n >= c->min_args && (c->max_args < 0 || n <= c->max_args))
		return 0;
	if (c->max_args == 0)
		return berth_err_set(err, 0, "\"%s\" takes no arguments", c->name);
	if (c->min_args == c->max_args)
		return berth_err_set(err, 0, "\"%s\" requires exactly %d argument(s): %s", c->name,
				     c->min_args, c->args);
	if (n < c->min_args)
		return berth_err_set(err, 0, "\"%s\" requires at least %d argument(s): %s", c->name,
				     c->min_args, c->args);
	return berth_err_set(err, 0, "\"%s\" takes at most %d argument(s): %s", c->name,
			     c->max_args, c->args);
}

static const struct cli_opt no_opts[] = { CLI_OPT_END };

static int runtime_cmd_dispatch(struct runtime_cli *cli, const struct runtime_cmd *c, int argc,
				char **argv, struct berth_err *err)
{
	const struct cli_opt *table = c->opts != NULL ? c->opts : no_opts;
	autofree void *opts = xzalloc(c->opts_size > 0 ? c->opts_size : 1);
	autofree char **args = NULL;
	int r;

	if (c->unparsed)
		return c->run(cli, NULL, argv, err);
	r = cli_args_parse(table, opts, argc, argv, c->parse_flags, &args, err);
	if (r < 0) {
		berth_err_wrap(err, "%s", c->name);
	} else if (r == 1) {
		runtime_cmd_usage(stdout, cli->prog, c);
		r = 0;
	} else if (runtime_args_check(c, args, err) < 0) {
		r = -1;
	} else {
		r = c->run(cli, opts, args, err);
	}
	cli_args_free(table, opts);
	return r;
}

static int runtime_help(struct runtime_cli *cli, char **args, struct berth_err *err)
{
	const struct runtime_cmd *c;

	if (args[0] == NULL) {
		runtime_usage(stdout, cli->prog);
		return 0;
	}
	c = runtime_cmd_find(args[0]);
	if (c == NULL)
		return berth_err_set(err, 0, "no help topic for '%s'", args[0]);
	runtime_cmd_usage(stdout, cli->prog, c);
	return 0;
}

/* root's state lives in /run; a rootless caller's where runc keeps its
 * own, under $XDG_RUNTIME_DIR (or a per-user directory in /tmp). */
static const char *default_root(struct runtime_cli *cli)
{
	static char buf[4096];
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	(void)cli;
	if (geteuid() == 0)
		return RUNTIME_DEFAULT_ROOT;
	if (xdg != NULL && xdg[0] == '/')
		snprintf(buf, sizeof(buf), "%s/berth-runc", xdg);
	else
		snprintf(buf, sizeof(buf), "/tmp/berth-runc-%u", (unsigned)geteuid());
	return buf;
}

static int runtime_setup(struct runtime_cli *cli, const struct global_opts *g,
			 struct berth_err *err)
{
	bool json = false;
	bool ignored;

	if (g->log_format != NULL) {
		if (strcmp(g->log_format, "json") == 0)
			json = true;
		else if (strcmp(g->log_format, "text") != 0)
			return berth_err_set(err, 0, "invalid log-format: %s (want text or json)",
					     g->log_format);
	}
	if (log_setup(g->log, json, g->debug) < 0)
		return berth_err_set(err, errno, "open log file %s", g->log);
	if (g->rootless != NULL) {
		if (strcmp(g->rootless, "auto") != 0 && cli_parse_bool(g->rootless, &ignored) < 0)
			return berth_err_set(
			    err, 0, "invalid --rootless value: %s (want true, false or auto)",
			    g->rootless);
		log_debug("--rootless=%s ignored: rootless mode follows the caller's credentials",
			  g->rootless);
	}
	if (g->criu != NULL)
		log_debug("--criu=%s ignored: checkpoint/restore is not supported", g->criu);
	/* As runc (filepath.Abs): a relative --root means the same state
	 * whatever the cwd of later calls; and an empty one is refused, not
	 * taken for the default, where another user's containers live. */
	if (g->root != NULL && path_absolute(g->root, "--root", &cli->root, err) < 0)
		return -1;
	cli->ctx.root = cli->root != NULL ? cli->root : default_root(cli);
	cli->ctx.systemd_cgroup = g->systemd_cgroup;
	return 0;
}

int runtime_check_create(const struct runtime_cli *cli, struct berth_err *err)
{
	if (cli->ctx.systemd_cgroup)
		return berth_err_set(err, 0,
				     "systemd cgroup driver is not supported yet "
				     "(drop --systemd-cgroup)");
	return 0;
}

/* exec joins a running container; create and run decide once the config
 * is read (runtime/create.c, create_needs_seal). */
static bool enters_container(const char *cmd)
{
	return strcmp(cmd, "exec") == 0;
}

static int runtime_run(struct runtime_cli *cli, int argc, char **argv, struct berth_err *err)
{
	struct global_opts g = { 0 };
	autofree char **rest = NULL;
	const struct runtime_cmd *c;
	int first, r;

	r = cli_args_parse(global_table, &g, argc, argv, CLI_ARGS_STOP_AT_POSITIONAL, &rest, err);
	if (r < 0)
		return -1;
	if (g.help) {
		runtime_usage(stdout, cli->prog);
		return 0;
	}
	if (g.version) {
		/* runc's lines, which tools parse ("commit:", "spec:") */
		const struct scmp_version *sv = seccomp_version();

		printf("%s version %s\n", cli->prog, BERTH_VERSION);
#ifdef BERTH_GIT_COMMIT
		printf("commit: %s\n", BERTH_GIT_COMMIT);
#else
		printf("commit: %s\n", BERTH_VERSION);
#endif
		printf("spec: 1.2.0\n");
		if (sv != NULL)
			printf("libseccomp: %u.%u.%u\n", sv->major, sv->minor, sv->micro);
		return 0;
	}
	/* Before anything else: exec, which puts a process into a running
	 * container, runs from a sealed copy of this binary (exeseal.h). */
	if (rest[0] != NULL && enters_container(rest[0]) && exeseal_reexec(err) < 0)
		return -1;
	if (runtime_setup(cli, &g, err) < 0)
		return -1;
	if (rest[0] == NULL) {
		runtime_usage(stderr, cli->prog);
		return berth_err_set(err, 0, "no command given");
	}
	if (strcmp(rest[0], "help") == 0 || strcmp(rest[0], "h") == 0)
		return runtime_help(cli, rest + 1, err);
	c = runtime_cmd_find(rest[0]);
	if (c == NULL)
		return berth_err_set(err, 0, "no such command: %s (see %s --help)", rest[0],
				     cli->prog);
	/* The command's own arguments start after its name in argv. */
	for (first = 0; first < argc && argv[first] != rest[0]; first++)
		;
	log_debug("%s %s", cli->prog, c->name);
	return runtime_cmd_dispatch(cli, c, argc - first - 1, argv + first + 1, err);
}

int runtime_main(const char *prog, int argc, char **argv, struct berth_err *err)
{
	struct runtime_cli cli = { .prog = prog };
	int r = runtime_run(&cli, argc, argv, err);

	free(cli.root);
	return r;
}
