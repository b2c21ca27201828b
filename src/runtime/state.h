/* What a created container leaves on disk between runtime invocations:
 * ROOT/ID/state.json (written atomically), ROOT/ID/config.json (the spec as
 * parsed at create, for exec and poststop hooks) and ROOT/ID/exec.fifo,
 * which the init blocks on until `start` opens it. The status is derived,
 * never stored: see state_status(). */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

struct berth_err;

struct container_state {
	char *id;
	char *bundle;
	char *rootfs;
	pid_t pid;
	unsigned long long start_time;	/* /proc/PID/stat field 22, guards against pid reuse */
	char *created;			/* RFC 3339, UTC */
	uid_t owner;
	json_object *cgroup;		/* cgroup_to_json() */
	json_object *annotations;
	bool has_pid_ns;		/* the container owns its pid namespace */
	bool creating;			/* its directory exists, its state.json not yet */
	bool shared_mounts;		/* no mount namespace: its mounts are below rootfs
					 * in the runtime's, and delete removes them */
};

enum container_status {
	STATUS_CREATING,
	STATUS_CREATED,
	STATUS_RUNNING,
	STATUS_PAUSED,
	STATUS_STOPPED,
};

const char *state_status_name(enum container_status s);

/* Directory of one container: ROOT/ID. Caller frees. */
char *state_dir(const char *root, const char *id);

int state_save(const char *root, const struct container_state *st, struct berth_err *err);
/* A missing container is reported as `container "ID" does not exist`
 * (code ENOENT). One whose directory exists without state.json is being
 * created (or its create was killed): it loads with creating set. */
int state_load(const char *root, const char *id, struct container_state **out,
	       struct berth_err *err);
void state_free(struct container_state *st);

/* Start time of a live process, or 0 when it is gone or a zombie. */
unsigned long long state_proc_start_time(pid_t pid);
/* True while the recorded process is the same one and has not exited. */
bool state_pid_alive(const struct container_state *st);

/* Derives created/running/paused/stopped from the process, the exec fifo
 * and the freezer. */
enum container_status state_status(const char *root, const struct container_state *st);

/* The runtime-spec state object given to hooks and printed by `state`. */
json_object *state_to_json(const struct container_state *st, enum container_status status);

/* Current time in RFC 3339 with nanoseconds, as runc prints "created". */
char *state_now_rfc3339(void);
