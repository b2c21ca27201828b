/* One OCI container's life: create, start, state, kill, delete, exec,
 * pause/resume, update, ps, stats. This is the runtime layer's public API;
 * the CLI (cli/runtime.c) parses runc's command line and calls these. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct berth_err;
struct cgroup_resources;

struct runtime_ctx {
	const char *root;	/* state directory, default /run/berth-runc */
	bool systemd_cgroup;	/* refused: not supported yet */
};

struct create_opts {
	const char *id;
	const char *bundle;	/* default "." */
	const char *pid_file;	/* may be NULL */
	const char *console_socket; /* may be NULL */
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds;	/* fds 3..3+N-1 passed to the container */
	bool run;		/* started at once (`run`): state saved once it runs */
	bool keep;              /* run --keep: not deleted once it exits */
};

struct exec_opts {
	const char *process_file; /* --process; else the fields below */
	char **args;
	char **env;		/* added to the container's env */
	const char *cwd;
	const char *user;	/* "uid[:gid]" */
	char **caps;		/* --cap, added to every set */
	char **additional_gids;	/* --additional-gids, each a decimal gid */
	bool tty;
	bool detach;
	const char *pid_file;
	const char *console_socket;
	int preserve_fds;
	bool no_new_privs;	/* --no-new-privs */
	char **cgroups;         /* --cgroup [CONTROLLER:]PATH: sub-cgroups to run in */
	bool ignore_paused;     /* --ignore-paused: exec into a paused container */
};

/* Validates the id: non-empty, at most 1024 bytes, no "/", not "." or "..". */
int container_id_validate(const char *id, struct berth_err *err);

int container_create(const struct runtime_ctx *ctx, const struct create_opts *o,
		     struct berth_err *err);
int container_start(const struct runtime_ctx *ctx, const char *id, struct berth_err *err);
/* create + start; unless detach, waits and puts the container's exit status
 * (128+signal when killed) in *status, then deletes it. */
int container_run(const struct runtime_ctx *ctx, const struct create_opts *o, bool detach,
		  int *status, struct berth_err *err);
/* The spec's state object: ociVersion, id, status, pid, bundle, annotations
 * (plus runc's rootfs, created, owner). */
int container_state(const struct runtime_ctx *ctx, const char *id, json_object **out,
		    struct berth_err *err);
/* Every container under the root, as state objects. */
int container_list(const struct runtime_ctx *ctx, json_object **out, struct berth_err *err);
int container_kill(const struct runtime_ctx *ctx, const char *id, int sig, bool all,
		   struct berth_err *err);
int container_delete(const struct runtime_ctx *ctx, const char *id, bool force,
		     struct berth_err *err);
int container_exec(const struct runtime_ctx *ctx, const char *id, const struct exec_opts *o,
		   int *status, struct berth_err *err);
int container_pids(const struct runtime_ctx *ctx, const char *id, pid_t **pids, size_t *n,
		   struct berth_err *err);
int container_pause(const struct runtime_ctx *ctx, const char *id, struct berth_err *err);
int container_resume(const struct runtime_ctx *ctx, const char *id, struct berth_err *err);
int container_update(const struct runtime_ctx *ctx, const char *id,
		     const struct cgroup_resources *res, struct berth_err *err);
/* *fd gets cgroup_oom_watch's fd for the container's cgroup. */
int container_oom_watch(const struct runtime_ctx *ctx, const char *id, int *fd,
			struct berth_err *err);
/* How many processes the OOM killer killed in the container's cgroup
 * (cgroup_oom_kills): for an engine's OOMKilled, read after the container
 * exited and before it is deleted. */
int container_oom_kills(const struct runtime_ctx *ctx, const char *id, uint64_t *kills,
			struct berth_err *err);
/* runc's events --stats object: {"type":"stats","id":...,"data":{...}}. */
int container_stats(const struct runtime_ctx *ctx, const char *id, json_object **out,
		    struct berth_err *err);
