/* Containers as users see them: names, ids, a row each in the store's
 * database, a snapshot of their image as root, and a monitor process per
 * running container that is its parent (see monitor.c). No daemon: every
 * berth command opens the store, acts, and exits; the monitors keep the
 * containers. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct berth_err;
struct store;

#define ENGINE_ID_LEN   64
#define ENGINE_RUN_ROOT "/run/berth"

struct engine {
	struct store *store;
	char *run_root;     /* per-container run dirs and the runtime's state */
	char *runtime_root; /* run_root/runtime: the OCI runtime's --root */
};

/* run_root: NULL means /run/berth for the default store, else ROOT/run. */
int engine_open(struct store *s, const char *run_root, struct engine *out, struct berth_err *err);
void engine_close(struct engine *e);

/* What create needs; strings point into the caller's memory. */
struct engine_create_opts {
	const char *image; /* as the user typed it */
	const char *name;  /* NULL: a generated adjective_noun */
	char **cmd;
	const char *entrypoint;
	char **env;
	const char *workdir;
	const char *user;
	const char *hostname;
	char **labels;
	bool tty, interactive, read_only, privileged, no_new_privileges, auto_remove;
	char **cap_add, **cap_drop;
	const char *network; /* none (default) or host */
	const char *stop_signal;
	int stop_timeout;      /* seconds; -1: default 10 */
	uint64_t log_max_size; /* bytes; 0: 10 MiB */
	int log_max_file;      /* 0: 3 */
};

enum engine_state {
	ENGINE_CREATED,
	ENGINE_RUNNING,
	ENGINE_EXITED,
};
const char *engine_state_name(enum engine_state s);

struct engine_container {
	char id[ENGINE_ID_LEN + 1];
	char *name;
	char *image_id;
	char *image;         /* as given */
	json_object *config; /* what create recorded: Cmd, Entrypoint, Env, ... */
	int64_t created_ns;
	enum engine_state state;
	pid_t pid;         /* the container's init while running */
	pid_t monitor_pid; /* while running */
	int exit_code;
	int64_t started_ns, finished_ns;
	char *error;
};
void engine_container_clear(struct engine_container *c);
void engine_containers_free(struct engine_container *v, size_t n);

int engine_create(struct engine *e, const struct engine_create_opts *o,
		  struct engine_container *out, struct berth_err *err);

/* Starts the container's monitor, which creates and starts it through the
 * runtime. With attach_fds (stdout, stderr of the caller), the monitor also
 * copies the container's output there; *done_fd (when not NULL) gets a pipe
 * that reaches EOF once the monitor has recorded the exit. */
int engine_start(struct engine *e, const char *what, const int attach_fds[2], int *done_fd,
		 struct berth_err *err);

/* Finds a container by full id, unique id prefix, or name (with or without
 * the leading '/'). "No such container: X" (ENOENT) otherwise. Refreshes its
 * state: a running container whose monitor died is marked exited. */
int engine_lookup(struct engine *e, const char *what, struct engine_container *out,
		  struct berth_err *err);
int engine_list(struct engine *e, struct engine_container **out, size_t *n, struct berth_err *err);

int engine_kill(struct engine *e, const char *what, int sig, struct berth_err *err);
/* SIGTERM (or the stop signal), then SIGKILL after timeout seconds (-1:
 * the container's own stop timeout). */
int engine_stop(struct engine *e, const char *what, int timeout, struct berth_err *err);
/* Blocks until the container is not running; *exit_code gets its status. */
int engine_wait(struct engine *e, const char *what, int *exit_code, struct berth_err *err);
/* Removes a stopped container (force: kills a running one first). */
int engine_remove(struct engine *e, const char *what, bool force, struct berth_err *err);

/* `berth __monitor ROOT DRIVER RUN_ROOT ID SYNC_FD DONE_FD OUT_FD ERR_FD`:
 * the monitor process, which engine_start executes. Never returns on
 * success. */
int engine_monitor_main(int argc, char **argv);

/* The json-file log of a container. */
char *engine_log_path(struct engine *e, const char *id);
