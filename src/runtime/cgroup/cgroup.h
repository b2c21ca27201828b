/* Cgroups for one container on v1, v2 (unified) and hybrid hosts, detected
 * at run time. Each limit goes to the hierarchy that owns its controller;
 * the backends (v1.c, v2.c) sit behind one ops table. On hybrid hosts the
 * v1 controllers carry the limits and the container also joins the cgroup2
 * mount, where device rules are enforced with an eBPF program as on v2.
 *
 * Host inspection (mount table, /proc/self/cgroup, the cgroupfs root) goes
 * through struct cgroup_host so unit tests run against a fake tree. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct berth_err;
struct cgroup_resources; /* parsed linux.resources (resources.h) */
struct cgroup;           /* one container's cgroup(s) */

enum cgroup_mode { CGROUP_MODE_V1, CGROUP_MODE_V2, CGROUP_MODE_HYBRID };

struct cgroup_host {
	const char *mountinfo;   /* default "/proc/self/mountinfo" */
	const char *proc_cgroup; /* default "/proc/self/cgroup" */
	const char *root_prefix; /* prepended to mount points ("" on a real host) */
	/* Called after cgroup_create makes a directory; on a fake tree
	 * (tests) it puts the interface files the kernel would have made. */
	void (*mkdir_hook)(const char *dir, void *data);
	void *hook_data;
};

/* Detects the mode from the mount table. host may be NULL (the real host). */
int cgroup_detect(const struct cgroup_host *host, enum cgroup_mode *mode, struct berth_err *err);
const char *cgroup_mode_name(enum cgroup_mode mode);

/* Resolves where the container's cgroup goes: an absolute cgroups_path is
 * honoured as written; a relative or NULL one nests under the cgroup of the
 * calling process (NULL uses "berth-<id>"). Creates the directories in every
 * hierarchy that matters and returns a handle. Nothing is left behind on
 * failure. */
int cgroup_create(const struct cgroup_host *host, const char *cgroups_path, const char *id,
		  struct cgroup **out, struct berth_err *err);

/* Writes the limits that res sets (has_* flags, non-empty lists), and
 * nothing else, so `update` can pass just the fields it changes. As in
 * runc, 0 means "unset" for memory limit/reservation/swap/kernel and cpu
 * shares/quota/period/rt values. The device policy is written only when
 * res->has_devices: the spec's rules followed by
 * cgroup_default_device_rules; v1 gets devices.deny/allow, v2 and the
 * unified side of hybrid hosts a BPF_PROG_TYPE_CGROUP_DEVICE program that
 * replaces the one attached before. */
int cgroup_apply(struct cgroup *cg, const struct cgroup_resources *res, struct berth_err *err);

/* For `create`: cgroup_apply, with the device policy always set even when
 * the spec has no linux.resources (res may be NULL) or no devices list:
 * res's rules, then the defaults, and nothing else: a node linux.devices
 * makes is usable only where res allows it, as under runc (engines add
 * the allow rule beside the node). An empty list thus means deny-all but
 * the defaults. */
int cgroup_apply_create(struct cgroup *cg, const struct cgroup_resources *res,
			struct berth_err *err);

/* Moves pid into the container's cgroup(s). */
int cgroup_enter(struct cgroup *cg, pid_t pid, struct berth_err *err);

/* Moves the calling single-threaded process into every v1 hierarchy,
 * without the global lock that cgroup_enter's writes wait on. */
int cgroup_enter_self(struct cgroup *cg, struct berth_err *err);
/* Opens the cgroup2 directory (*dirfd, -1 without one) to fork a child
 * into with clone3(CLONE_INTO_CGROUP), which needs no migration at all. */
int cgroup_open_v2(struct cgroup *cg, int *dirfd, struct berth_err *err);
/* runc exec's --cgroup [CONTROLLER:]PATH: the existing sub-cgroup PATH of
 * the container's, in CONTROLLER's v1 hierarchy or (without one) in every
 * hierarchy, becomes where a process enters. */
int cgroup_descend(struct cgroup *cg, const char *spec, struct berth_err *err);
/* Moves pid into the cgroup2 hierarchy only (when CLONE_INTO_CGROUP is not
 * available). */
int cgroup_enter_v2(struct cgroup *cg, pid_t pid, struct berth_err *err);

/* Freezer (v1 freezer.state, v2 cgroup.freeze). */
int cgroup_freeze(struct cgroup *cg, bool frozen, struct berth_err *err);
bool cgroup_is_frozen(struct cgroup *cg);
/* A new container's cgroup that is frozen (made so beforehand, or under a
 * frozen parent) would stop its process for good on entry: refused, in
 * runc's words, "container's cgroup unexpectedly frozen". */
int cgroup_check_thawed(struct cgroup *cg, struct berth_err *err);

/* The pids in the container's cgroup (v2 or the pids/freezer/any v1
 * hierarchy). Caller frees *pids. */
int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, struct berth_err *err);

/* Sends sig to every process in the cgroup (kill --all, delete --force). */
int cgroup_kill_all(struct cgroup *cg, int sig, struct berth_err *err);

/* Removes the directories (waiting briefly for exiting tasks). Missing
 * directories are fine. */
int cgroup_destroy(struct cgroup *cg, struct berth_err *err);

/* Reads usage back in runc's `events --stats` shape ("cpu", "memory",
 * "pids", "blkio", "hugetlb"). */
int cgroup_stats(struct cgroup *cg, json_object **out, struct berth_err *err);

/* How many processes the OOM killer killed in the container's memory
 * cgroup and below since it was made: the oom_kill count of cgroup2's
 * memory.events or of v1's memory.oom_control (both Linux 4.13). Read it
 * before cgroup_destroy. Fails when no memory controller holds the
 * container or the kernel does not count. */
/* An fd that turns readable when the memory controller records an OOM
 * event (v1: an eventfd on memory.oom_control; v2: inotify on
 * memory.events); drain it with read. -1 and err without a memory
 * controller. */
int cgroup_oom_watch(struct cgroup *cg, struct berth_err *err);
int cgroup_oom_kills(struct cgroup *cg, uint64_t *kills, struct berth_err *err);

/* Reads the current limits back (for `state`/tests): memory.limit, cpu
 * quota/period/shares, pids.limit, cpuset. */
int cgroup_read_limits(struct cgroup *cg, json_object **out, struct berth_err *err);

/* Serialised form kept in the container's state file so later commands
 * (start, kill, delete, update) find the same directories. */
json_object *cgroup_to_json(const struct cgroup *cg);
int cgroup_from_json(json_object *o, const struct cgroup_host *host, struct cgroup **out,
		     struct berth_err *err);
void cgroup_free(struct cgroup *cg);
