/* The engine's global flags, config file, command table and dispatch. */
#include "cli/engine.h"
#include "cli/units.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "image/store.h"
#include "runtime/exeseal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/num.h"
#include "util/path.h"
#include "util/strv.h"
#include "util/xalloc.h"

struct engine_group {
	const char *name; /* "image", "system" */
	const struct engine_cmd *const *cmds;
	const char *const *aliases; /* name in the group for each cmd */
	size_t n;
};

/* Top-level commands, in help order. */
static const struct engine_cmd *const top_cmds[] = {
	&engine_cmd_run,    &engine_cmd_create,  &engine_cmd_start,   &engine_cmd_ps,
	&engine_cmd_attach, &engine_cmd_restart, &engine_cmd_exec,    &engine_cmd_logs,
	&engine_cmd_stop,   &engine_cmd_kill,    &engine_cmd_rm,      &engine_cmd_wait,
	&engine_cmd_images, &engine_cmd_load,    &engine_cmd_save,    &engine_cmd_import,
	&engine_cmd_tag,    &engine_cmd_rmi,     &engine_cmd_history, &engine_cmd_cp,
	&engine_cmd_diff,   &engine_cmd_export,  &engine_cmd_commit,  &engine_cmd_inspect,
	&engine_cmd_rename, &engine_cmd_pause,   &engine_cmd_unpause, &engine_cmd_port,
	&engine_cmd_top,    &engine_cmd_stats,   &engine_cmd_update,  &engine_cmd_info,
	&engine_cmd_version,
};

/* `berth image X` and `berth system X`: docker's management commands. */
static const struct {
	const char *group, *name;
	const struct engine_cmd *cmd;
} sub_cmds[] = {
	{ "image", "ls", &engine_cmd_images },
	{ "image", "list", &engine_cmd_images },
	{ "image", "inspect", &engine_cmd_image_inspect },
	{ "image", "history", &engine_cmd_history },
	{ "image", "load", &engine_cmd_load },
	{ "image", "save", &engine_cmd_save },
	{ "image", "import", &engine_cmd_import },
	{ "image", "tag", &engine_cmd_tag },
	{ "image", "rm", &engine_cmd_rmi },
	{ "image", "remove", &engine_cmd_rmi },
	{ "image", "prune", &engine_cmd_image_prune },
	{ "image", "mount", &engine_cmd_image_mount },
	{ "image", "unmount", &engine_cmd_image_unmount },
	{ "image", "umount", &engine_cmd_image_unmount },
	{ "container", "ls", &engine_cmd_ps },
	{ "container", "ps", &engine_cmd_ps },
	{ "container", "list", &engine_cmd_ps },
	{ "container", "run", &engine_cmd_run },
	{ "container", "create", &engine_cmd_create },
	{ "container", "start", &engine_cmd_start },
	{ "container", "stop", &engine_cmd_stop },
	{ "container", "kill", &engine_cmd_kill },
	{ "container", "rm", &engine_cmd_rm },
	{ "container", "remove", &engine_cmd_rm },
	{ "container", "wait", &engine_cmd_wait },
	{ "container", "logs", &engine_cmd_logs },
	{ "container", "inspect", &engine_cmd_container_inspect },
	{ "container", "rename", &engine_cmd_rename },
	{ "container", "pause", &engine_cmd_pause },
	{ "container", "unpause", &engine_cmd_unpause },
	{ "container", "port", &engine_cmd_port },
	{ "container", "prune", &engine_cmd_container_prune },
	{ "container", "top", &engine_cmd_top },
	{ "container", "stats", &engine_cmd_stats },
	{ "container", "update", &engine_cmd_update },
	{ "container", "cp", &engine_cmd_cp },
	{ "container", "diff", &engine_cmd_diff },
	{ "container", "export", &engine_cmd_export },
	{ "container", "commit", &engine_cmd_commit },
	{ "system", "boot", &engine_cmd_system_boot },
	{ "container", "attach", &engine_cmd_attach },
	{ "container", "exec", &engine_cmd_exec },
	{ "container", "restart", &engine_cmd_restart },
	{ "system", "df", &engine_cmd_system_df },
	{ "system", "prune", &engine_cmd_system_prune },
	{ "volume", "create", &engine_cmd_volume_create },
	{ "volume", "ls", &engine_cmd_volume_ls },
	{ "volume", "list", &engine_cmd_volume_ls },
	{ "volume", "inspect", &engine_cmd_volume_inspect },
	{ "volume", "rm", &engine_cmd_volume_rm },
	{ "volume", "remove", &engine_cmd_volume_rm },
	{ "volume", "prune", &engine_cmd_volume_prune },
};

struct global_opts {
	const char *root;
	const char *driver;
	const char *config;
};

static const struct cli_opt global_table[] = {
	{ "root", 0, CLI_OPT_STRING, offsetof(struct global_opts, root), "DIR",
	  "storage root (default: $BERTH_ROOT, the config file, or " STORE_DEFAULT_ROOT ")" },
	{ "storage-driver", 0, CLI_OPT_STRING, offsetof(struct global_opts, driver), "NAME",
	  "snapshot driver: overlay or vfs (default: overlay when the kernel has it)" },
	{ "config", 0, CLI_OPT_STRING, offsetof(struct global_opts, config), "FILE",
	  "config file (default: $BERTH_CONFIG or " ENGINE_CONFIG_DEFAULT ")" },
	CLI_OPT_END,
};

static void engine_usage(FILE *f)
{
	fprintf(f, "Usage: berth [global options] COMMAND [ARGS...]\n\n"
		   "A container engine with docker's command line.\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(top_cmds); i++)
		fprintf(f, "   %-10s %s\n", top_cmds[i]->name, top_cmds[i]->summary);
	fprintf(f, "   %-10s %s\n", "container", "manage containers (berth container --help)");
	fprintf(f, "   %-10s %s\n", "image", "manage images (berth image --help)");
	fprintf(f, "   %-10s %s\n", "system",
		"storage usage, cleanup and the boot-time start (berth system --help)");
	fprintf(f, "   %-10s %s\n", "volume", "manage volumes (berth volume --help)");
	fprintf(f, "   %-10s %s\n", "runtime",
		"the OCI runtime, with runc's command line (berth runtime --help)");
	fprintf(f, "\nGlobal options:\n");
	cli_args_help(f, global_table);
}

static void group_usage(FILE *f, const char *group)
{
	fprintf(f, "Usage: berth %s COMMAND\n\nCommands:\n", group);
	for (size_t i = 0; i < ARRAY_SIZE(sub_cmds); i++)
		if (strcmp(sub_cmds[i].group, group) == 0)
			fprintf(f, "   %-10s %s\n", sub_cmds[i].name, sub_cmds[i].cmd->summary);
}

static void cmd_usage(FILE *f, const char *prog, const struct engine_cmd *c)
{
	fprintf(f, "Usage: %s%s%s%s\n\n%s\n", prog, c->opts != NULL ? " [OPTIONS]" : "",
		c->args[0] != '\0' ? " " : "", c->args, c->summary);
	if (c->opts != NULL) {
		fprintf(f, "\nOptions:\n");
		cli_args_help(f, c->opts);
	}
	if (c->notes != NULL)
		fprintf(f, "\n%s\n", c->notes);
}

/* The store root and the run root, once, before any command runs: made
 * absolute against the working directory at start, so that the monitor
 * and every later command, whatever their cwd, mean the same store. An
 * empty one (a script's unset variable) is refused: taken for the default
 * it would have pointed the command at the host's real store. */
static int engine_cli_roots(struct engine_cli *cli, const char *flag, struct berth_err *err)
{
	const char *env = getenv("BERTH_ROOT"), *run = getenv("BERTH_RUN_ROOT");
	int r = 0;

	if (flag != NULL)
		r = path_absolute(flag, "--root", &cli->root, err);
	else if (env != NULL)
		r = path_absolute(env, "BERTH_ROOT", &cli->root, err);
	else if (cli->config_root != NULL)
		cli->root = xstrdup(cli->config_root);
	if (r == 0 && run != NULL)
		r = path_absolute(run, "BERTH_RUN_ROOT", &cli->run_root, err);
	if (r < 0)
		err->exit_status = 125;
	return r;
}

int engine_store(struct engine_cli *cli, struct store **out, struct berth_err *err)
{
	const char *driver = cli->driver;

	if (cli->store == NULL) {
		if (driver == NULL)
			driver = getenv("BERTH_STORAGE_DRIVER");
		if (driver == NULL || driver[0] == '\0')
			driver = cli->config_driver;
		if (store_open(cli->root, driver, &cli->store, err) < 0)
			return -1;
	}
	*out = cli->store;
	return 0;
}

int engine_cli_engine(struct engine_cli *cli, struct engine **out, struct berth_err *err)
{
	struct store *s;

	if (cli->engine == NULL) {
		if (engine_store(cli, &s, err) < 0)
			return -1;
		cli->engine = xzalloc(sizeof(*cli->engine));
		if (engine_open(s, cli->run_root, cli->engine, err) < 0) {
			free(cli->engine);
			cli->engine = NULL;
			return -1;
		}
	}
	*out = cli->engine;
	return 0;
}

static char *config_value(char *v)
{
	size_t n;

	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r'))
		v[--n] = '\0';
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v[n - 1] = '\0';
		v++;
	}
	return v;
}

int engine_config_read(struct engine_cli *cli, const char *path, bool must_exist,
		       struct berth_err *err)
{
	autofree char *text = NULL;
	char *line, *save = NULL;
	int lineno = 0;

	if (fs_read_file(path, 1 << 20, &text, NULL, err) < 0) {
		if (err->code == ENOENT && !must_exist) {
			berth_err_clear(err);
			return 0;
		}
		return berth_err_wrap(err, "config file");
	}
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *eq, *key, *value;

		lineno++;
		key = config_value(line);
		if (key[0] == '\0' || key[0] == '#')
			continue;
		eq = strchr(key, '=');
		if (eq == NULL)
			return berth_err_set(err, 0, "%s:%d: expected key = value", path, lineno);
		*eq = '\0';
		value = config_value(eq + 1);
		key = config_value(key);
		if (strcmp(key, "root") == 0) {
			free(cli->config_root);
			cli->config_root = NULL;
			if (path_absolute(value, "root", &cli->config_root, err) < 0) {
				err->exit_status = 125;
				return berth_err_wrap(err, "%s:%d", path, lineno);
			}
		} else if (strcmp(key, "storage-driver") == 0) {
			free(cli->config_driver);
			cli->config_driver = xstrdup(value);
		} else if (strcmp(key, "log-max-size") == 0) {
			if (cli_parse_size(value, &cli->config_log_max_size) < 0 ||
			    cli->config_log_max_size <= 0)
				return berth_err_set(err, 0, "%s:%d: invalid log-max-size \"%s\"",
						     path, lineno, value);
		} else if (strcmp(key, "log-max-file") == 0) {
			if (num_parse_int(value, 1, 1000, &cli->config_log_max_file) < 0)
				return berth_err_set(err, 0, "%s:%d: invalid log-max-file \"%s\"",
						     path, lineno, value);
		} else {
			return berth_err_set(err, 0, "%s:%d: unknown key \"%s\"", path, lineno,
					     key);
		}
	}
	return 0;
}

int engine_cmd_main(struct engine_cli *cli, const struct engine_cmd *c, const char *prog, int argc,
		    char **argv, struct berth_err *err)
{
	static const struct cli_opt none[] = { CLI_OPT_END };
	const struct cli_opt *table = c->opts != NULL ? c->opts : none;
	autofree void *opts = xzalloc(c->opts_size > 0 ? c->opts_size : 1);
	autofree char **args = NULL;
	int r, n;

	if (c->defaults != NULL)
		c->defaults(opts);
	/* Messages name the command as typed, without the "berth: " main adds. */
	if (strncmp(prog, "berth ", 6) == 0)
		prog += 6;
	r = cli_args_parse(table, opts, argc, argv, CLI_ARGS_POSIX | c->parse_flags, &args, err);
	if (r < 0) {
		/* docker: 125 for a bad flag, whatever the command. */
		berth_err_wrap(err, "%s", prog);
		err->exit_status = 125;
		return -1;
	}
	if (r == 1) {
		autofree char *full = xasprintf("berth %s", prog);

		cmd_usage(stdout, full, c);
		return 0;
	}
	for (n = 0; args != NULL && args[n] != NULL; n++)
		;
	if (n < c->min_args || (c->max_args >= 0 && n > c->max_args)) {
		/* docker: a wrong number of arguments is 1, even for run. */
		err->exit_status = 1;
		cli_args_free(table, opts);
		if (c->min_args == c->max_args)
			return berth_err_set(err, 0,
					     "%s: requires exactly %d argument%s (see --help)",
					     prog, c->min_args, c->min_args == 1 ? "" : "s");
		if (n < c->min_args)
			return berth_err_set(err, 0,
					     "%s: requires at least %d argument%s (see --help)",
					     prog, c->min_args, c->min_args == 1 ? "" : "s");
		return berth_err_set(err, 0, "%s: accepts at most %d argument%s (see --help)", prog,
				     c->max_args, c->max_args == 1 ? "" : "s");
	}
	r = c->run(cli, opts, args, err);
	cli_args_free(table, opts);
	if (r < 0 && c->err_status != 0 && err->exit_status == 0)
		err->exit_status = c->err_status;
	return r;
}

static int run_group(struct engine_cli *cli, const char *group, int argc, char **argv,
		     struct berth_err *err)
{
	const char *name = argc > 0 ? argv[0] : NULL;
	autofree char *prog = NULL;

	if (name == NULL || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
	    strcmp(name, "help") == 0) {
		group_usage(name != NULL ? stdout : stderr, group);
		return name != NULL ? 0
				    : berth_err_set(err, 0, "berth %s: no command given", group);
	}
	for (size_t i = 0; i < ARRAY_SIZE(sub_cmds); i++) {
		if (strcmp(sub_cmds[i].group, group) != 0 || strcmp(sub_cmds[i].name, name) != 0)
			continue;
		prog = xasprintf("berth %s %s", group, name);
		return engine_cmd_main(cli, sub_cmds[i].cmd, prog, argc - 1, argv + 1, err);
	}
	return berth_err_set(err, 0, "berth %s: no such command: %s (see berth %s --help)", group,
			     name, group);
}

static int dispatch(struct engine_cli *cli, int argc, char **argv, struct berth_err *err)
{
	const char *name = argv[0];
	autofree char *prog = NULL;

	if (strcmp(name, "image") == 0 || strcmp(name, "system") == 0 ||
	    strcmp(name, "container") == 0 || strcmp(name, "volume") == 0)
		return run_group(cli, name, argc - 1, argv + 1, err);
	if (strcmp(name, "help") == 0) {
		engine_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(top_cmds); i++) {
		if (strcmp(top_cmds[i]->name, name) != 0)
			continue;
		prog = xasprintf("berth %s", name);
		return engine_cmd_main(cli, top_cmds[i], prog, argc - 1, argv + 1, err);
	}
	return berth_err_set(err, 0, "no such command: %s (see berth --help)", name);
}

int engine_main(int argc, char **argv, struct berth_err *err)
{
	struct engine_cli cli = { 0 };
	struct global_opts g = { 0 };
	const char *config;
	int first = 0, r;

	/* Global flags end at the first word that is not one. */
	while (first < argc && argv[first][0] == '-' && strcmp(argv[first], "--help") != 0 &&
	       strcmp(argv[first], "-h") != 0) {
		char *one[2] = { argv[first], first + 1 < argc ? argv[first + 1] : NULL };
		autofree char **pos = NULL;
		int used = strchr(argv[first], '=') != NULL || one[1] == NULL ? 1 : 2;

		if (cli_args_parse(global_table, &g, used, one, CLI_ARGS_POSIX, &pos, err) < 0) {
			err->exit_status = 125;
			return -1;
		}
		first += used;
	}
	if (first >= argc || strcmp(argv[first], "--help") == 0 || strcmp(argv[first], "-h") == 0) {
		engine_usage(first >= argc ? stderr : stdout);
		return first >= argc ? berth_err_set(err, 0, "no command given") : 0;
	}
	/* exec puts a process into a container from this process: it runs
	 * from a sealed copy of this binary (runtime/exeseal.h). */
	if ((strcmp(argv[first], "exec") == 0 ||
	     (strcmp(argv[first], "container") == 0 && first + 1 < argc &&
	      strcmp(argv[first + 1], "exec") == 0)) &&
	    exeseal_reexec(err) < 0)
		return -1;
	config = g.config != NULL ? g.config : getenv("BERTH_CONFIG");
	if (engine_config_read(&cli, config != NULL ? config : ENGINE_CONFIG_DEFAULT,
			       config != NULL, err) < 0 ||
	    engine_cli_roots(&cli, g.root, err) < 0) {
		r = -1;
		goto out;
	}
	cli.driver = g.driver;
	r = dispatch(&cli, argc - first, argv + first, err);
	if (cli.engine != NULL) {
		engine_close(cli.engine);
		free(cli.engine);
	}
	store_close(cli.store);
out:
	free(cli.root);
	free(cli.run_root);
	free(cli.config_root);
	free(cli.config_driver);
	return r;
}

int engine_cli_env_files(char **files, char ***env, struct berth_err *err)
{
	for (size_t i = 0; files != NULL && files[i] != NULL; i++) {
		autofree char *text = NULL;
		char *save = NULL;
		size_t len;

		if (fs_read_file(files[i], 1 << 20, &text, &len, err) < 0)
			return berth_err_wrap(err, "--env-file");
		/* A line is a C string from here: a NUL would cut it short. */
		if (memchr(text, '\0', len) != NULL)
			return berth_err_set(err, 0, "--env-file %s: contains a NUL byte", files[i]);
		for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			while (*l == ' ' || *l == '\t')
				l++;
			if (*l == '\0' || *l == '#')
				continue;
			if (*l == '=')
				return berth_err_set(err, 0,
						     "--env-file %s: variable without a name: %s",
						     files[i], l);
			strv_push(env, l);
		}
	}
	return 0;
}

void engine_cli_command_status(struct berth_err *err)
{
	if (err->cmd_status != 0)
		err->exit_status = err->cmd_status;
}
