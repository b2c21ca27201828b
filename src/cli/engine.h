/* The engine's command line (`berth images`, `berth load`, ...): docker's
 * spelling of flags (pflag: -aq, --flag=value), one file per group of
 * commands, each command a struct engine_cmd. Global flags come before
 * the command: --root DIR, --storage-driver NAME; the environment
 * (BERTH_ROOT, BERTH_STORAGE_DRIVER) and the config file
 * (/etc/berth/berth.conf, or $BERTH_CONFIG) give the defaults, flags win.
 * The store root and the run root ($BERTH_RUN_ROOT) are made absolute
 * once, at start; an empty one is refused (exit 125). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/args.h"

struct berth_err;
struct store;

#define ENGINE_CONFIG_DEFAULT "/etc/berth/berth.conf"

struct engine_cli {
	char *root;                        /* store root, absolute; NULL: the default */
	char *run_root;                    /* $BERTH_RUN_ROOT, absolute; NULL: the default */
	const char *driver;                /* snapshot driver; NULL: detected */
	char *config_root, *config_driver; /* from the config file */
	int64_t config_log_max_size;       /* log-max-size =, 0: the default */
	int config_log_max_file;           /* log-max-file =, 0: the default */
	struct store *store;               /* opened on first use */
	struct engine *engine;             /* likewise */
};

struct engine;

/* Opens the store on first use; later calls return the same one. */
int engine_store(struct engine_cli *cli, struct store **out, struct berth_err *err);
/* The engine over the store, likewise. */
int engine_cli_engine(struct engine_cli *cli, struct engine **out, struct berth_err *err);

struct engine_cmd {
	const char *name;
	const char *args; /* "IMAGE [IMAGE...]", for usage */
	const char *summary;
	/* Printed after the options in --help: what the flags alone cannot
	 * say (how an output file is written, what cp leaves out); may be
	 * NULL. */
	const char *notes;
	const struct cli_opt *opts; /* may be NULL */
	size_t opts_size;
	unsigned parse_flags;   /* CLI_ARGS_* besides CLI_ARGS_POSIX */
	int min_args, max_args; /* max -1 = any */
	/* Sets defaults other than zero (a bool flag that is true unless
	 * --flag=false is given); may be NULL. */
	void (*defaults)(void *opts);
	/* The exit status of a failure (docker's container commands: 125);
	 * 0 means 1. */
	int err_status;
	/* Returns the exit status (>= 0) or -1 with err filled. */
	int (*run)(struct engine_cli *cli, void *opts, char **args, struct berth_err *err);
};

/* The --help notes of the commands that write an archive to -o FILE
 * (util/output.h). */
#define ENGINE_OUTPUT_NOTES                                                                        \
	"-o FILE is written under a temporary name and renamed over FILE once complete\n"          \
	"when FILE is new or a regular file. A FIFO or a character device (/dev/stdout,\n"         \
	"/dev/null) is written into, never replaced. A symlink is followed: what it\n"             \
	"points at is written by the same rules and the link stays. A directory, a block\n"        \
	"device, a socket or a symlink to nothing is refused."

/* Runs fn on every argument, printing each one that worked (as docker
 * echoes names back); the errors are joined into one line
 * (container-cmds.c). */
int engine_cli_each(struct engine_cli *cli, char **args,
		    int (*fn)(struct engine *e, const char *what, void *o, struct berth_err *err),
		    void *o, bool echo, struct berth_err *err);
/* --env-file: appends the KEY=VALUE lines of each file to *env ('#'
 * comments and blank lines skipped; a bare KEY is kept for the caller to
 * take from its environment, as for -e KEY). */
int engine_cli_env_files(char **files, char ***env, struct berth_err *err);
/* docker's exit status for a container command that could not start: 127
 * when it is not found, 126 when it cannot be invoked, as the runtime
 * reported it (err->cmd_status); any other error is left to the command's
 * own status (125). */
void engine_cli_command_status(struct berth_err *err);
/* Docker's prompt: the question, " [y/N] ", and a line from stdin; only
 * "y" or "Y" goes ahead (system.c). */
bool engine_cli_confirm(const char *question);

/* Parses flags for c and runs it; prog is "berth images" for usage. */
int engine_cmd_main(struct engine_cli *cli, const struct engine_cmd *c, const char *prog, int argc,
		    char **argv, struct berth_err *err);

/* The engine's entry: argv[0] is the command name. Returns the exit status
 * or -1 with err filled (main prints it). */
int engine_main(int argc, char **argv, struct berth_err *err);

/* Reads the config file: "key = value" lines, '#' comments, values
 * optionally double-quoted. Keys: root (made absolute against the working
 * directory; empty is an error), storage-driver, log-max-size,
 * log-max-file. A missing file is fine (when path is the default); an
 * unknown key is an error naming the file and line. */
int engine_config_read(struct engine_cli *cli, const char *path, bool must_exist,
		       struct berth_err *err);

/* volumes.c */
extern const struct engine_cmd engine_cmd_volume_create, engine_cmd_volume_ls,
    engine_cmd_volume_inspect, engine_cmd_volume_rm, engine_cmd_volume_prune;
/* image-io.c */
extern const struct engine_cmd engine_cmd_load, engine_cmd_save, engine_cmd_import;
/* container-fs.c */
extern const struct engine_cmd engine_cmd_cp, engine_cmd_diff, engine_cmd_export, engine_cmd_commit;
/* attach.c, exec.c */
extern const struct engine_cmd engine_cmd_attach, engine_cmd_restart, engine_cmd_exec,
    engine_cmd_system_boot;
/* container-inspect.c, container-manage.c, container-info.c, system-info.c */
extern const struct engine_cmd engine_cmd_inspect, engine_cmd_container_inspect, engine_cmd_rename,
    engine_cmd_pause, engine_cmd_unpause, engine_cmd_container_prune, engine_cmd_top,
    engine_cmd_stats, engine_cmd_port, engine_cmd_info, engine_cmd_version;
/* container-update.c */
extern const struct engine_cmd engine_cmd_update;
/* containers.c */
extern const struct engine_cmd engine_cmd_create, engine_cmd_run, engine_cmd_start, engine_cmd_ps,
    engine_cmd_logs, engine_cmd_stop, engine_cmd_kill, engine_cmd_rm, engine_cmd_wait;
/* images.c, image-inspect.c, system.c, image-mount.c */
extern const struct engine_cmd engine_cmd_images, engine_cmd_image_inspect, engine_cmd_history,
    engine_cmd_tag, engine_cmd_rmi, engine_cmd_image_prune, engine_cmd_system_df,
    engine_cmd_system_prune, engine_cmd_image_mount, engine_cmd_image_unmount;
