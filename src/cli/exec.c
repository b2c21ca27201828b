/* `berth exec`: a command in a running container, docker's flags and exit
 * statuses (the command's own; 126 when it cannot be started, whatever the
 * reason, a missing program or working directory too; 1 when the container
 * is not there or not running; 125 for bad flags). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/engine.h"
#include "engine/engine.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define ENGINE_ERR 125

struct exec_cli {
	bool interactive, tty, detach, privileged;
	const char *user, *workdir, *detach_keys;
	char **env, **env_files;
};

static const struct cli_opt exec_table[] = {
	{ "interactive", 'i', CLI_OPT_BOOL, offsetof(struct exec_cli, interactive), NULL,
	  "keep stdin open" },
	{ "tty", 't', CLI_OPT_BOOL, offsetof(struct exec_cli, tty), NULL,
	  "allocate a pseudo-terminal" },
	{ "detach", 'd', CLI_OPT_BOOL, offsetof(struct exec_cli, detach), NULL,
	  "run the command in the background" },
	{ "env", 'e', CLI_OPT_STRV, offsetof(struct exec_cli, env), "K=V",
	  "set an environment variable" },
	{ "env-file", 0, CLI_OPT_STRV, offsetof(struct exec_cli, env_files), "FILE",
	  "read environment variables from a file" },
	{ "user", 'u', CLI_OPT_STRING, offsetof(struct exec_cli, user), "USER[:GROUP]",
	  "user to run as" },
	{ "workdir", 'w', CLI_OPT_STRING, offsetof(struct exec_cli, workdir), "DIR",
	  "working directory inside the container" },
	{ "privileged", 0, CLI_OPT_BOOL, offsetof(struct exec_cli, privileged), NULL,
	  "give the process every capability" },
	{ "detach-keys", 0, CLI_OPT_STRING, offsetof(struct exec_cli, detach_keys), "KEYS",
	  "accepted for docker's command line" },
	CLI_OPT_END,
};

static int exec_run(struct engine_cli *cli, void *opts, char **args, struct berth_err *err)
{
	struct exec_cli *x = opts;
	struct engine_exec_opts o = { 0 };
	autostrv char **env = NULL, **given = NULL;
	struct engine *e;
	int status = 0;

	if (engine_cli_env_files(x->env_files, &given, err) < 0)
		return -1;
	for (size_t i = 0; x->env != NULL && x->env[i] != NULL; i++)
		strv_push(&given, x->env[i]);
	for (size_t i = 0; given != NULL && given[i] != NULL; i++) {
		const char *v;

		/* A bare NAME: the caller's value, or nothing when it has none. */
		if (strchr(given[i], '=') != NULL)
			strv_push(&env, given[i]);
		else if ((v = getenv(given[i])) != NULL)
			strv_push_take(&env, xasprintf("%s=%s", given[i], v));
	}
	if (x->tty && x->interactive && !x->detach && !isatty(STDIN_FILENO))
		return berth_err_set(err, 0, "the input device is not a TTY");
	o.cmd = args + 1;
	o.env = env;
	o.user = x->user;
	o.workdir = x->workdir;
	o.tty = x->tty;
	o.interactive = x->interactive;
	o.detach = x->detach;
	o.privileged = x->privileged;
	if (engine_cli_engine(cli, &e, err) < 0)
		return -1;
	fflush(stdout);
	if (engine_exec(e, args[0], &o, &status, err) < 0)
		return -1;
	return status;
}

const struct engine_cmd engine_cmd_exec = {
	.name = "exec",
	.args = "CONTAINER COMMAND [ARG...]",
	.summary = "Execute a command in a running container",
	.opts = exec_table,
	.opts_size = sizeof(struct exec_cli),
	.parse_flags = CLI_ARGS_STOP_AT_POSITIONAL,
	.min_args = 2,
	.max_args = -1,
	.err_status = ENGINE_ERR,
	.run = exec_run,
};
