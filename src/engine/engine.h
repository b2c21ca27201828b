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

#include "engine/ocispec-resources.h"

struct berth_err;
struct store;

#define ENGINE_ID_LEN   64
#define ENGINE_RUN_ROOT "/run/berth"

struct engine {
	struct store *store;
	char *run_root;     /* per-container run dirs and the runtime's state */
	char *runtime_root; /* run_root/runtime: the OCI runtime's --root */
};

/* run_root: NULL means /run/berth for the default store, else ROOT/run; a
 * relative one is made absolute, an empty one refused. It must belong to
 * this user and is made 0700. */
int engine_open(struct store *s, const char *run_root, struct engine *out, struct berth_err *err);
void engine_close(struct engine *e);

/* --health-*: docker's HealthConfig over the image's HEALTHCHECK (each
 * field unset, 0 or NULL, takes the image's); durations in ns. */
struct engine_health_opts {
	const char *cmd; /* --health-cmd: ["CMD-SHELL", cmd] */
	int64_t interval_ns, timeout_ns, start_period_ns, start_interval_ns;
	int retries;
	bool none; /* --no-healthcheck: ["NONE"] */
	/* --health-on-failure (podman's): what an unhealthy container gets:
	 * NULL or "none", "kill" (SIGKILL; the restart policy decides),
	 * "stop" (as `stop`), "restart" (stopped and started again, whatever
	 * the restart policy) */
	const char *on_failure;
};

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
	char **group_add; /* --group-add */
	const char *network; /* none (default) or host */
	const char *log_driver; /* json-file (NULL), local, journald or none */
	char **log_opts;        /* --log-opt K=V, as given (checked by the CLI) */
	/* --pid host, --ipc private|shareable|host, --uts host, --cgroupns
	 * private|host (NULL or "": docker's default); --sysctl K=V */
	const char *pid_mode, *ipc_mode, *uts_mode, *cgroupns_mode;
	const char *userns_mode; /* --userns: NULL, "" or host (no remapping) */
	/* --platform os[/arch[/variant]]: the image must be of it (no
	 * registry to fetch another one from yet) */
	const char *platform;
	char **sysctls;
	const char *stop_signal;
	int stop_timeout;      /* seconds; -1: default 10 */
	uint64_t log_max_size; /* bytes; 0: 10 MiB */
	int log_max_file;      /* 0: 3 */
	/* --restart: "no" (NULL), "always", "unless-stopped", "on-failure"
	 * with restart_max retries (0: no limit) */
	const char *restart_policy;
	int restart_max;
	bool stdin_once; /* run -i attached: stdin ends with the client's */
	bool attach_stdin, attach_stdout, attach_stderr; /* recorded for inspect */
	/* -v, --mount, --tmpfs as given (docker's syntax, parsed by
	 * mount-spec.c); the volumes they name are created by create. */
	char **volumes, **mounts, **tmpfs;
	/* --volumes-from CONTAINER[:ro|:rw]: its volumes and binds, at their
	 * places, unless a mount above takes the same one */
	char **volumes_from;
	char **recorded_volumes_from; /* as given, for HostConfig.VolumesFrom */
	/* --memory, --cpus, --pids-limit, --ulimit, --device, --shm-size,
	 * --cgroup-parent, ... (ocispec-resources.h) */
	struct ocispec_resources res;
	/* --security-opt seccomp=: NULL docker's default profile (built in,
	 * seccomp-default.c), "unconfined", or a profile file */
	const char *seccomp;
	char **security_opts; /* as given: SecurityOpt */
	bool init;            /* --init: berth-init as pid 1 (ocispec-init.h) */
	struct engine_health_opts health;
};

enum engine_state {
	ENGINE_CREATED,
	ENGINE_RUNNING,
	ENGINE_EXITED,
	ENGINE_RESTARTING, /* exited; the monitor starts it again after a back-off */
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
	int restart_count;     /* restarts by the restart policy since the last start */
	bool manually_stopped; /* stop or kill said so: no restart until started again */
	bool oom_killed;       /* the OOM killer killed a process of its last run */
	bool paused;           /* running, with its cgroup frozen (container-ops.c) */
	/* docker's State.Health (Status, FailingStreak, Log) while it has a
	 * health check (health.c); NULL without one */
	json_object *health;
};
void engine_container_clear(struct engine_container *c);
void engine_containers_free(struct engine_container *v, size_t n);

int engine_create(struct engine *e, const struct engine_create_opts *o,
		  struct engine_container *out, struct berth_err *err);

/* Starts the container's monitor, which creates and starts it through the
 * runtime. attach_fd (-1: none) is one end of a SOCK_SEQPACKET socketpair
 * on which the caller already sent its ATTACH_HELLO (engine/attach.h): the
 * monitor takes it as an attached client from before the container's
 * first output. */
int engine_start(struct engine *e, const char *what, int attach_fd, struct berth_err *err);

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
/* wait --condition: not-running (engine_wait), next-exit (the exit after
 * this call), removed (the container gone), running, and podman's healthy
 * and unhealthy (an error for a container without a health check, and
 * for healthy once it exited). *exit_code gets its last exit status. */
int engine_wait_condition(struct engine *e, const char *what, const char *condition,
			  int *exit_code, struct berth_err *err);
/* `update` (container-update.c): the limits given (bits of given; the rest
 * of res is ignored) and the restart policy (NULL: unchanged), recorded
 * for the next start and applied to a running container's cgroup
 * through the runtime's update. */
enum {
	ENGINE_UPDATE_MEMORY = 1 << 0,
	ENGINE_UPDATE_SWAP = 1 << 1,
	ENGINE_UPDATE_RESERVATION = 1 << 2,
	ENGINE_UPDATE_CPUS = 1 << 3,
	ENGINE_UPDATE_SHARES = 1 << 4,
	ENGINE_UPDATE_CPUSET_CPUS = 1 << 5,
	ENGINE_UPDATE_CPUSET_MEMS = 1 << 6,
	ENGINE_UPDATE_PIDS = 1 << 7,
};
struct engine_update_opts {
	struct ocispec_resources res;
	unsigned given;
	const char *restart_policy; /* "no", "always", "unless-stopped", "on-failure" */
	int restart_max;
};
int engine_update_container(struct engine *e, const char *what,
			    const struct engine_update_opts *u, struct berth_err *err);
/* Removes a stopped container (force: kills a running one first). */
int engine_remove(struct engine *e, const char *what, bool force, struct berth_err *err);
/* The same, also removing the container's anonymous volumes (rm -v; a
 * --rm container's go with it in any case, as docker's do). */
int engine_remove_volumes(struct engine *e, const char *what, bool force, struct berth_err *err);

/* `berth __monitor ROOT DRIVER RUN_ROOT ID SYNC_FD CLIENT_FD`: the
 * monitor process, which engine_start executes; `berth __monitor-exit
 * ...`: what it becomes when the container has exited (monitor.c). Never
 * return on success. */
int engine_monitor_main(int argc, char **argv);
int engine_monitor_exit_main(int argc, char **argv);
/* `berth __health ROOT DRIVER RUN_ROOT ID`: one health probe of a running
 * container, run by its monitor (health.c). Exits 0 when the container
 * is healthy after it, 1 unhealthy, 2 starting, 3 when nothing was
 * probed (not running, paused, no health check). */
int engine_health_main(int argc, char **argv);

/* RUN_ROOT/ID: a running container's run directory; attach.sock in it is
 * its monitor's attach socket. */
char *engine_run_dir(struct engine *e, const char *id);
char *engine_run_dir_in(const char *run_root, const char *id);
char *engine_attach_path(struct engine *e, const char *id);

/* The json-file log of a container; _in: of the store at root, not
 * open. */
char *engine_log_path(struct engine *e, const char *id);
char *engine_log_path_in(const char *root, const char *id);
/* Whether the container keeps no log (--log-driver none): its output goes
 * to attached clients only, and `logs` cannot read it. */
bool engine_log_driver_none(json_object *config);

/* ---- container-ops.c: rename, pause, prune, stats ---- */

/* "created", "running", "paused", "restarting" or "exited": docker's
 * State.Status. */
const char *engine_container_status(const struct engine_container *c);
/* A file of the container's bundle (hostname, hosts, resolv.conf,
 * config.json): RUN_ROOT/ID/FILE, written at each start; legacy: a
 * container an older berth made, ROOT/containers/ID/FILE. */
char *engine_container_path(struct engine *e, const char *id, bool legacy, const char *file);
/* The container's OCI config from its row (*out NULL: made by an older
 * berth, whose bundle is ROOT/containers/ID). */
int engine_container_spec(struct engine *e, const char *id, char **out, struct berth_err *err);
/* Docker's rename: the new name's rules, "Conflict. ..." (EEXIST) when
 * another container has it. */
int engine_rename(struct engine *e, const char *what, const char *new_name, struct berth_err *err);
/* Freezes / thaws the container's cgroup (docker pause / unpause). */
int engine_pause(struct engine *e, const char *what, struct berth_err *err);
int engine_unpause(struct engine *e, const char *what, struct berth_err *err);
/* Whether the runtime has the container's processes frozen. */
bool engine_container_paused(struct engine *e, const char *id);
/* The host pids of a running container's processes (its cgroup's);
 * "Container ID is not running" otherwise. */
int engine_container_pids(struct engine *e, const char *what, pid_t **pids, size_t *n,
			  struct berth_err *err);
/* Docker's label test: "k" (present) or "k=v". */
bool engine_container_has_label(const struct engine_container *c, const char *want);

/* container prune: the stopped containers created before until_ns (0: any)
 * whose labels pass (labels: each must match; labels_not: none may).
 * *deleted gets their ids, *reclaimed the bytes their writable layers
 * held. */
struct engine_prune_filter {
	int64_t until_ns;
	char **labels, **labels_not;
};
int engine_prune(struct engine *e, const struct engine_prune_filter *f, char ***deleted,
		 uint64_t *reclaimed, struct berth_err *err);

/* Bytes the container's writable layer holds (docker's SizeRw). */
uint64_t engine_container_size_rw(struct engine *e, const char *id);

/* One sample of a container's resource use, as docker's stats shows it. */
struct engine_stats {
	uint64_t cpu_ns;    /* the container's cpu time */
	uint64_t system_ns; /* the host's cpu time over all cpus (/proc/stat) */
	unsigned online_cpus;
	uint64_t mem_usage; /* without the inactive page cache, as docker */
	uint64_t mem_limit; /* the cgroup's, at most the host's memory */
	uint64_t blk_read, blk_write;
	uint64_t pids;
};
/* data: the runtime's stats "data" object (cgroup v1 or v2); host_mem: the
 * host's memory, the limit of a container without one. */
void engine_stats_from_json(json_object *data, uint64_t host_mem, struct engine_stats *out);
int engine_stats_read(struct engine *e, const char *id, struct engine_stats *out,
		      struct berth_err *err);
/* docker's CPU %: the container's share of the host's cpu time between two
 * samples, times the online cpus; 0 when nothing moved. */
double engine_stats_cpu_percent(const struct engine_stats *prev, const struct engine_stats *now);
double engine_stats_mem_percent(const struct engine_stats *s);

/* docker's --since/--until: a Go duration before now ("10m", "1h30m"), an
 * RFC 3339 time (local time when it has no zone; "2024-05-01",
 * "2024-05-01T10:00"), or Unix seconds ("1700000000", "1700000000.5").
 * *out_ns: nanoseconds since the epoch. */
int engine_timestamp_parse(const char *s, int64_t now_ns, int64_t *out_ns, struct berth_err *err);

/* Config.Env as docker shows it: the image's Env with the -e values
 * replacing or appended (docker's ReplaceOrAppendEnvValues); a bare "K"
 * takes its value from the process env that ran (resolved at create), or
 * removes K. */
char **engine_env_merge(char *const *image_env, char *const *user_env, char *const *process_env);

/* `exec`: a process in a running container (exec.c). */
struct engine_exec_opts {
	char **cmd;          /* argv */
	char **env;          /* "K=V", added to the container's */
	const char *user;    /* user[:group], resolved in the container; NULL: its own */
	const char *workdir; /* NULL: the container's */
	bool tty, interactive, detach, privileged;
};
/* Runs the process with the caller's stdio (stdin only with interactive;
 * with a tty the caller's terminal is relayed to a pty made inside the
 * container) and puts its exit status in *status; detach leaves it
 * running on its own and returns at once. */
int engine_exec(struct engine *e, const char *what, const struct engine_exec_opts *o, int *status,
		struct berth_err *err);

/* Starts the containers whose restart policy asks for it after a reboot
 * (restart.c); *started gets their names, *failed "NAME: error" lines. */
int engine_boot(struct engine *e, char ***started, char ***failed, struct berth_err *err);
