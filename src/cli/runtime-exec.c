/* exec (a new process in a running container) and ps (its processes). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/runtime.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/log.h"
#include "util/num.h"
#include "util/strv.h"
#include "util/xalloc.h"

extern char **environ;

struct exec_flags {
	const char *process;
	const char *console_socket;
	const char *cwd;
	char **env;
	bool tty;
	const char *user;
	char **additional_gids;
	bool detach;
	const char *pid_file;
	const char *process_label;
	const char *apparmor;
	bool no_new_privs;
	char **caps;
	int preserve_fds;
	char **cgroups;
	bool ignore_paused;
};

static const struct cli_opt exec_table[] = {
	{ "console-socket", 0, CLI_OPT_STRING, offsetof(struct exec_flags, console_socket), "PATH",
	  "AF_UNIX socket that receives the console's pty master" },
	{ "cwd", 0, CLI_OPT_STRING, offsetof(struct exec_flags, cwd), "DIR",
	  "working directory in the container" },
	{ "env", 'e', CLI_OPT_STRV, offsetof(struct exec_flags, env), "NAME=VALUE",
	  "set an environment variable (repeatable)" },
	{ "tty", 't', CLI_OPT_BOOL, offsetof(struct exec_flags, tty), NULL,
	  "allocate a pseudo-terminal" },
	{ "user", 'u', CLI_OPT_STRING, offsetof(struct exec_flags, user), "UID[:GID]",
	  "run as this user" },
	{ "additional-gids", 'g', CLI_OPT_STRV, offsetof(struct exec_flags, additional_gids), "GID",
	  "additional group (repeatable)" },
	{ "process", 'p', CLI_OPT_STRING, offsetof(struct exec_flags, process), "FILE",
	  "read the process (the spec's process object) from FILE" },
	{ "detach", 'd', CLI_OPT_BOOL, offsetof(struct exec_flags, detach), NULL,
	  "do not wait for the process" },
	{ "pid-file", 0, CLI_OPT_STRING, offsetof(struct exec_flags, pid_file), "FILE",
	  "write the process's pid to FILE" },
	{ "process-label", 0, CLI_OPT_STRING, offsetof(struct exec_flags, process_label), "LABEL",
	  "SELinux label of the process (not supported yet)" },
	{ "apparmor", 0, CLI_OPT_STRING, offsetof(struct exec_flags, apparmor), "PROFILE",
	  "AppArmor profile of the process (not supported yet)" },
	{ "no-new-privs", 0, CLI_OPT_BOOL, offsetof(struct exec_flags, no_new_privs), NULL,
	  "set no_new_privs for the process" },
	{ "cap", 'c', CLI_OPT_STRV, offsetof(struct exec_flags, caps), "CAP",
	  "add a capability to the process (repeatable)" },
	{ "preserve-fds", 0, CLI_OPT_INT, offsetof(struct exec_flags, preserve_fds), "N",
	  "pass N more file descriptors (from 3) to the process" },
	{ "cgroup", 0, CLI_OPT_STRV, offsetof(struct exec_flags, cgroups), "[CONTROLLER:]PATH",
	  "run in an existing sub-cgroup of the container's (repeatable)" },
	{ "ignore-paused", 0, CLI_OPT_BOOL, offsetof(struct exec_flags, ignore_paused), NULL,
	  "exec into a paused container (the process waits until it is resumed)" },
	CLI_OPT_END,
};

/* Flags whose effect the runtime cannot give yet: refusing them is safer
 * than running a process without the confinement or groups asked for. */
static int exec_flags_check(const struct exec_flags *f, struct berth_err *err)
{
	if (f->process_label != NULL)
		return berth_err_set(err, 0, "--process-label is not supported yet");
	if (f->apparmor != NULL)
		return berth_err_set(err, 0, "--apparmor is not supported yet");
	if (f->process == NULL && f->user != NULL && f->user[0] == '\0')
		return berth_err_set(err, 0, "--user must not be empty");
	return 0;
}

static int cmd_exec(struct runtime_cli *cli, void *opts, char **args, struct berth_err *err)
{
	struct exec_flags *f = opts;
	struct exec_opts o = { 0 };
	char **cmd = args + 1;
	int status = 0;

	if (exec_flags_check(f, err) < 0) {
		err->exit_status = 255;
		return -1;
	}
	/* "exec ID -- CMD": the separator is not part of the command. */
	if (cmd[0] != NULL && strcmp(cmd[0], "--") == 0)
		cmd++;
	if (f->process == NULL && cmd[0] == NULL)
		return berth_err_set(err, 0, "exec: no command given (and no --process)");
	o.process_file = f->process;
	o.args = cmd[0] != NULL ? cmd : NULL;
	o.env = f->env;
	o.cwd = f->cwd;
	o.user = f->user;
	o.caps = f->caps;
	o.additional_gids = f->additional_gids;
	o.tty = f->tty;
	o.detach = f->detach;
	o.pid_file = f->pid_file;
	o.console_socket = f->console_socket;
	o.preserve_fds = f->preserve_fds;
	o.no_new_privs = f->no_new_privs;
	o.cgroups = f->cgroups;
	o.ignore_paused = f->ignore_paused;
	/* runc's exit status for its own failures, apart from any status
	 * the process could have, and its prefix */
	if (container_exec(&cli->ctx, args[0], &o, &status, err) < 0) {
		berth_err_wrap(err, "exec failed");
		err->exit_status = 255;
		return -1;
	}
	return f->detach ? 0 : status;
}

struct ps_flags {
	const char *format;
};

static const struct cli_opt ps_table[] = {
	{ "format", 'f', CLI_OPT_STRING, offsetof(struct ps_flags, format), "FORMAT",
	  "table (default: the host's ps output for the container's processes) or json "
	  "(the pids)" },
	CLI_OPT_END,
};

/* Runs ps(1) with the given arguments (no shell) and returns its stdout. */
static int ps_run(char **ps_args, char **out, struct berth_err *err)
{
	autofree char *buf = NULL;
	size_t len = 0, cap = 0;
	autoclose int rfd = -1;
	int fds[2], status, r;
	posix_spawn_file_actions_t fa;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return berth_err_set(err, errno, "pipe");
	rfd = fds[0];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	r = posix_spawnp(&pid, "ps", &fa, NULL, ps_args, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (r != 0)
		return berth_err_set(err, r, "run ps");
	for (;;) {
		ssize_t n;

		if (len + 4096 + 1 > cap) {
			cap = cap * 2 + 8192;
			buf = xrealloc(buf, cap);
		}
		n = read(rfd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return berth_err_set(err, 0, "ps %s", WIFEXITED(status) ? "failed" : "was killed");
	*out = steal_ptr(buf);
	return 0;
}

/* The index of the "PID" column in ps's header line. */
static int ps_pid_column(const char *header)
{
	autofree char *copy = xstrdup(header);
	char *save = NULL;
	int i = 0;

	for (char *t = strtok_r(copy, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save)) {
		if (strcmp(t, "PID") == 0)
			return i;
		i++;
	}
	return -1;
}

static bool ps_line_in(const char *line, int column, const pid_t *pids, size_t n)
{
	autofree char *copy = xstrdup(line);
	char *save = NULL, *t = strtok_r(copy, " \t", &save);
	int pid;

	for (int i = 0; t != NULL && i < column; i++)
		t = strtok_r(NULL, " \t", &save);
	if (t == NULL || num_parse_int(t, 0, INT_MAX, &pid) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

static int ps_table_print(char **ps_opts, const pid_t *pids, size_t n, struct berth_err *err)
{
	static const char *const default_opts[] = { "-ef", NULL };
	autostrv char **argv = NULL;
	autofree char *text = NULL;
	char *save = NULL, *line;
	int column;

	strv_push(&argv, "ps");
	for (const char *const *a = ps_opts[0] != NULL ? (const char *const *)ps_opts
						       : default_opts;
	     *a != NULL; a++)
		strv_push(&argv, *a);
	if (ps_run(argv, &text, err) < 0)
		return -1;
	line = strtok_r(text, "\n", &save);
	if (line == NULL)
		return berth_err_set(err, 0, "ps printed nothing");
	column = ps_pid_column(line);
	if (column < 0)
		return berth_err_set(err, 0, "ps output has no PID column: %s", line);
	printf("%s\n", line);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL)
		if (ps_line_in(line, column, pids, n))
			printf("%s\n", line);
	return 0;
}

static int cmd_ps(struct runtime_cli *cli, void *opts, char **args, struct berth_err *err)
{
	const struct ps_flags *f = opts;
	const char *format = f->format != NULL ? f->format : "table";
	autofree pid_t *pids = NULL;
	char **ps_opts;
	size_t n = 0;

	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return berth_err_set(err, 0, "invalid format option \"%s\": want table or json",
				     format);
	if (container_pids(&cli->ctx, args[0], &pids, &n, err) < 0)
		return -1;
	ps_opts = args + 1;
	if (ps_opts[0] != NULL && strcmp(ps_opts[0], "--") == 0)
		ps_opts++;
	if (strcmp(format, "table") == 0)
		return ps_table_print(ps_opts, pids, n, err);
	if (ps_opts[0] != NULL)
		return berth_err_set(err, 0, "ps options cannot be used with --format json");
	putchar('[');
	for (size_t i = 0; i < n; i++)
		printf("%s%d", i > 0 ? "," : "", (int)pids[i]);
	printf("]\n");
	return 0;
}

const struct runtime_cmd runtime_cmd_exec = {
	.name = "exec",
	.args = "<container-id> <command> [args...]",
	.summary = "run a new process inside a container",
	.opts = exec_table,
	.opts_size = sizeof(struct exec_flags),
	.parse_flags = CLI_ARGS_STOP_AT_POSITIONAL,
	.min_args = 1,
	.max_args = -1,
	.run = cmd_exec,
};

const struct runtime_cmd runtime_cmd_ps = {
	.name = "ps",
	.args = "<container-id> [ps options]",
	.summary = "show the processes of a container",
	.opts = ps_table,
	.opts_size = sizeof(struct ps_flags),
	.parse_flags = CLI_ARGS_STOP_AT_POSITIONAL,
	.min_args = 1,
	.max_args = -1,
	.run = cmd_ps,
};
