/* `berth runtime` and `berth-runc`: runc's command line over the runtime
 * layer (runtime/container.h). runtime.c parses the global flags and
 * dispatches; each runtime-*.c file holds a group of commands, each
 * described by a struct runtime_cmd: its flag table, how many positional
 * arguments it takes, and the function that runs it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cli/args.h"
#include "runtime/container.h"

struct berth_err;

struct runtime_cli {
	struct runtime_ctx ctx;
	const char *prog; /* "berth-runc" or "berth runtime", for help */
	char *root;       /* --root made absolute; ctx.root points here or at the default */
};

struct runtime_cmd {
	const char *name;
	const char *alias; /* "ls" for list; may be NULL */
	const char *args;  /* "<container-id> [signal]", for usage */
	const char *summary;
	const struct cli_opt *opts; /* may be NULL: no flags */
	size_t opts_size;           /* sizeof the options struct opts fill */
	unsigned parse_flags;       /* CLI_ARGS_* */
	bool unparsed;              /* every argument goes to run() as is */
	int min_args, max_args;     /* positional arguments; max -1 = any */
	/* Returns the exit status (>= 0) or -1 with err filled. */
	int (*run)(struct runtime_cli *cli, void *opts, char **args, struct berth_err *err);
};

/* The entry point for both spellings: argv[0] is the first argument after
 * the program (or after "runtime"). Returns the exit status, or -1 with err
 * filled (main prints it). */
int runtime_main(const char *prog, int argc, char **argv, struct berth_err *err);

/* runtime-life.c */
extern const struct runtime_cmd runtime_cmd_create, runtime_cmd_run, runtime_cmd_start,
    runtime_cmd_state, runtime_cmd_kill, runtime_cmd_delete, runtime_cmd_pause, runtime_cmd_resume,
    runtime_cmd_list;
/* runtime-exec.c */
extern const struct runtime_cmd runtime_cmd_exec, runtime_cmd_ps;
/* runtime-update.c */
extern const struct runtime_cmd runtime_cmd_update;
/* runtime-info.c */
extern const struct runtime_cmd runtime_cmd_features, runtime_cmd_spec, runtime_cmd_events,
    runtime_cmd_checkpoint, runtime_cmd_restore;

/* Refuses what create/run cannot honour yet (the systemd cgroup driver). */
int runtime_check_create(const struct runtime_cli *cli, struct berth_err *err);
