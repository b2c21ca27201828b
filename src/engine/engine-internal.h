/* Shared by the engine's own files; not for other layers. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/engine.h"
#include "runtime/container.h"

struct mount_spec_list;

int64_t engine_now_ns(void);
/* The error recorded for a container whose monitor died with it running
 * (killed, or the host went down). */
#define ENGINE_MONITOR_LOST "the container's monitor exited without recording the container's exit"
/* Docker's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (EINVAL otherwise). */
int engine_check_name(const char *name, struct berth_err *err);
/* ROOT/containers/ID: the json-file logs (made with the first record),
 * and the bundle of a container an older berth made. */
char *engine_container_dir(struct engine *e, const char *id);
/* A container's OCI config for create: docker's defaults, the image's
 * config and o, with rootfs (the snapshot's merged dir, where users are
 * resolved); *args gets the process's args (a new ref). */
int engine_build_spec(struct engine *e, const struct engine_create_opts *o, const char *id,
		      const char *rootfs, json_object *image_config,
		      const struct mount_spec_list *mounts, json_object **args, char **out,
		      struct berth_err *err);
/* Writes the bundle a start runs: RUN_ROOT/ID/config.json from the row,
 * and the files bind mounted at /etc/hostname, /etc/hosts and
 * /etc/resolv.conf, made afresh (a tmpfs on a usual host: no disk inode
 * per container). *bundle gets its directory. */
int engine_bundle_write(struct engine *e, const struct engine_container *c, char **bundle,
			struct berth_err *err);
char *engine_container_dir_in(const char *root, const char *id);
/* Removes a run directory (RUN_ROOT/ID), unmounting what a start mounted
 * in it first (--ipc shareable's /dev/shm). */
void engine_run_dir_remove(const char *dir);
/* UPDATE containers SET <set> WHERE id = ?5, with ?1..?3 integers and ?4
 * text bound. */
int engine_update(struct engine *e, const char *id, const char *set, int64_t a, int64_t b,
		  int64_t c, const char *text, struct berth_err *err);
/* The container's restart policy's name ("no" when none), and with
 * max_retries its MaximumRetryCount. */
const char *engine_restart_policy(const struct engine_container *c, int64_t *max_retries);
int engine_record_running(struct engine *e, const char *id, pid_t pid, pid_t monitor,
			  int64_t started_ns, struct berth_err *err);
/* The exit: its status, whether the OOM killer killed a process of the
 * run (docker's OOMKilled) and the error (NULL: none). */
int engine_record_exit(struct engine *e, const char *id, int code, bool oom_killed,
		       const char *error, struct berth_err *err);
int engine_delete_row(struct engine *e, const char *id, struct berth_err *err);
/* The row's config and OCI config (spec NULL: none, an older berth's). */
int engine_record_config_spec(struct engine *e, const char *id, json_object *config,
			      const char *spec, struct berth_err *err);

/* ---- health checks (health.c) ---- */

/* SQL for the health column at a start: "starting" with no failing streak
 * (the log kept) when the config has a health check that runs, else
 * NULL; and at a stop: "unhealthy", as docker's once its probes stop. */
#define ENGINE_HEALTH_STARTING_SQL                                                                 \
	"CASE WHEN json_extract(config, '$.Healthcheck.Test[0]') IN ('CMD', 'CMD-SHELL') "       \
	"THEN json_set(coalesce(health, '{\"Log\":[]}'), '$.Status', 'starting', "                \
	"'$.FailingStreak', 0) END"
#define ENGINE_HEALTH_STOPPED_SQL "json_set(health, '$.Status', 'unhealthy')"

/* When the monitor runs the probe (durations in ns): every interval, or
 * every start_interval while the container is starting within its
 * start_period. */
struct engine_health_schedule {
	int64_t interval, start_interval, start_period;
};
/* Whether config has a health check that runs (its Test CMD or
 * CMD-SHELL), and when. */
bool engine_health_schedule(json_object *config, struct engine_health_schedule *out);
/* Docker's Config.Healthcheck for create: o over the image's (image_config
 * the image's whole config, NULL: none); NULL when neither has one.
 * Refuses what docker's daemon refuses (durations under 1ms, negative
 * retries), and an unknown on_failure. */
int engine_health_config(const struct engine_health_opts *o, json_object *image_config,
			 json_object **out, struct berth_err *err);
/* Whether an unhealthy container is to be restarted whatever its restart
 * policy (--health-on-failure restart). */
bool engine_health_restarts(const struct engine_container *c);
/* engine_remove for the monitor of a --rm container: the container is
 * gone (row, mounts, runtime state) when it returns, but its directories
 * are only moved aside, *trash getting their paths to remove after the
 * attached `run` has been told. */
int engine_remove_deferred(struct engine *e, const char *id, char ***trash, struct berth_err *err);
/* For an attached `run --rm` its monitor handed the end over to
 * (monitor_io_hand_over): takes the exited container out of the store
 * (row, snapshot mount and row, anonymous volumes; its directories moved
 * to store_trash_path) and leaves the runtime's state and the trash to
 * the monitor. EAGAIN when it is not such a container. */
int engine_remove_handed_over(struct engine *e, const char *id, struct berth_err *err);
struct runtime_ctx engine_runtime_ctx(struct engine *e);
/* Whether pid is the live monitor of container id: not a zombie, and the
 * id in its command line (every program of the monitor has it there, so
 * a reused pid, even another container's monitor, is told apart). */
bool engine_monitor_alive(pid_t pid, const char *id);

/* The journald driver (log-journald.c): at each start, the fields of the
 * container's journal entries into DIR/ENGINE_JOURNAL_FILE (nothing
 * without the driver; refused when journald does not listen). */
#define ENGINE_JOURNAL_FILE "journal"
int engine_journal_prepare(struct engine *e, const struct engine_container *c, const char *dir,
			   struct berth_err *err);
/* Whether the container's LogDriver is driver. */
bool engine_log_driver_is(json_object *config, const char *driver);

/* json-file logs (logs.c). */
struct log_writer {
	int fd;      /* -1 until the first record */
	bool failed; /* the file could not be made: records go to clients only */
	char *path;
	uint64_t size, max_size;
	int max_file;
	char *partial[2]; /* a line not yet ended, per stream */
	size_t partial_len[2];
	/* Called with each record as it is written (the monitor sends it to
	 * `logs -f`); may be NULL. */
	void (*on_record)(void *ctx, const char *rec, size_t len);
	void *ctx;
	/* The journald driver: each record also goes to the journal with
	 * these fields (journal.h); journal_fd -1 without. */
	int journal_fd;
	char *journal_fields;
	size_t journal_fields_len;
};
int log_writer_open(struct log_writer *w, const char *path, uint64_t max_size, int max_file,
		    struct berth_err *err);
/* stream: 0 stdout, 1 stderr. */
void log_writer_write(struct log_writer *w, int stream, const char *buf, size_t len);
void log_writer_close(struct log_writer *w);
/* Records also go to the journal, with the fields (journal.h's encoding)
 * read from path; -1 and err when it cannot be read or journald reached. */
int log_writer_journal(struct log_writer *w, const char *path, struct berth_err *err);
