/* What the cgroup files share among themselves: the handle's layout, the
 * backend ops table (v1.c, v2.c) and the small file helpers every writer
 * uses. Not for use outside src/runtime/cgroup/ (tests excepted). */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "runtime/cgroup/cgroup.h"

struct berth_err;
struct cgroup_resources;

/* One hierarchy the container lives in. */
struct cgroup_hier {
	bool v2;
	char **controllers; /* v1: the mount's controllers ("cpu", "cpuacct"); v2: NULL */
	char *mount;        /* mount point, with the host's root prefix */
	char *path;         /* the container's directory: mount + relative path */
	char **created;     /* directories cgroup_create made, outermost first */
};

struct cgroup {
	enum cgroup_mode mode;
	struct cgroup_hier *h;
	size_t n;
	int unified;          /* index of the cgroup2 hierarchy, -1 on pure v1 */
	uint32_t bpf_prog_id; /* device program attached by us, 0 if none */
};

/* A backend writes limits and reads them back for one family of
 * hierarchies. On hybrid hosts the v1 backend carries the limits and
 * cgroup.c adds the unified-side work (device program, unified keys). */
struct cgroup_ops {
	int (*apply)(struct cgroup *cg, const struct cgroup_resources *res, struct berth_err *err);
	int (*stats)(struct cgroup *cg, json_object *out, struct berth_err *err);
	int (*read_limits)(struct cgroup *cg, json_object *out, struct berth_err *err);
	int (*oom_kills)(struct cgroup *cg, uint64_t *kills, struct berth_err *err);
};

extern const struct cgroup_ops cgroup_v1_ops;
extern const struct cgroup_ops cgroup_v2_ops;

/* The hierarchy that carries controller: on v2 the unified one, on v1 and
 * hybrid the v1 mount listing it. NULL when none does. */
/* Sleeps ms milliseconds (the bounded polls of freeze and rmdir). */
void cgroup_sleep_ms(long ms);
struct cgroup_hier *cgroup_hier_for(struct cgroup *cg, const char *controller);
struct cgroup_hier *cgroup_hier_unified(struct cgroup *cg);

/* Writes value to file in the hierarchy of controller. The error names the
 * controller when it is absent (no hierarchy, or no such interface file). */
int cgroup_write(struct cgroup *cg, const char *controller, const char *file, const char *value,
		 struct berth_err *err);
int cgroup_writef(struct cgroup *cg, const char *controller, const char *file,
		  struct berth_err *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Writes to a file of one directory (never creates it). */
int cgroup_write_at(const char *dir, const char *file, const char *value, struct berth_err *err);
/* Reads a small interface file, trailing newline removed. */
int cgroup_read_at(const char *dir, const char *file, char **out, struct berth_err *err);
bool cgroup_file_exists(const char *dir, const char *file);
/* Reads a file holding one unsigned number ("max" reads as UINT64_MAX). */
int cgroup_read_u64(const char *dir, const char *file, uint64_t *out, struct berth_err *err);
/* Looks key up in a "key value\n" file (memory.stat, cpu.stat). */
int cgroup_read_keyed(const char *dir, const char *file, const char *key, uint64_t *out);
/* The oom_kill line of dir/file (memory.events, memory.oom_control); the
 * error tells a missing file from a kernel that does not count. */
int cgroup_read_oom_kill(const char *dir, const char *file, uint64_t *kills, struct berth_err *err);
/* A json object of every "key value" line of a flat keyed file. */
json_object *cgroup_read_keyed_all(const char *dir, const char *file);

/* Device rules: the spec's followed by the defaults it does not already
 * grant, as an owned array. */
struct cgroup_device_rule *cgroup_device_rules_effective(const struct cgroup_resources *res,
							 size_t *n);
/* Compiles and attaches the device program to the cgroup2 directory,
 * replacing the one attached before. */
int cgroup_devices_bpf_apply(struct cgroup *cg, struct cgroup_hier *h,
			     const struct cgroup_device_rule *rules, size_t n,
			     struct berth_err *err);

/* cpu.shares onto cpu.weight (v2.c). */
uint64_t cgroup_v2_weight_from_shares(uint64_t shares);

/* Writes the unified key/value pairs into h's directory. */
int cgroup_v2_write_unified(struct cgroup_hier *h, const struct cgroup_resources *res,
			    struct berth_err *err);

/* host.c: the host's cgroup mounts and our own place in them. */
struct cgroup_mount {
	bool v2;
	char **controllers; /* v1 controllers of the mount; NULL for cgroup2 */
	char *mount;        /* root prefix + mount point */
	char *root;         /* the mount's root within its hierarchy (mountinfo field 4) */
};

/* The controller hierarchies (named v1 hierarchies such as name=systemd
 * skipped, bind-mount duplicates dropped) and the first cgroup2 mount. */
int cgroup_host_mounts(const struct cgroup_host *host, struct cgroup_mount **out, size_t *n,
		       enum cgroup_mode *mode, struct berth_err *err);
void cgroup_mounts_free(struct cgroup_mount *m, size_t n);
/* The text of the calling process's /proc/self/cgroup (or the host's
 * stand-in), read once for all hierarchies. */
int cgroup_host_read_own(const struct cgroup_host *host, char **text, struct berth_err *err);
/* The calling process's cgroup in m's hierarchy, relative to m->mount
 * ("/" or "/a/b"). own is cgroup_host_read_own's text, or NULL to read it. */
int cgroup_host_own_path(const struct cgroup_host *host, const char *own, const struct cgroup_mount *m,
			 char **out, struct berth_err *err);
