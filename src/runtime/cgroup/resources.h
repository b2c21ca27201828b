/* linux.resources as a plain struct. Every field has a has_* flag: only what
 * the spec (or `update`) sets is written. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

struct berth_err;

struct cgroup_device_rule {
	bool allow;
	char type;            /* 'a', 'c', 'b' */
	int64_t major, minor; /* -1 = wildcard */
	char access[4];       /* subset of "rwm" */
};

struct cgroup_throttle {
	int64_t major, minor;
	uint64_t rate;
};

struct cgroup_weight_device {
	int64_t major, minor;
	bool has_weight, has_leaf_weight;
	uint16_t weight, leaf_weight;
};

struct cgroup_hugepage {
	char *page_size; /* "2MB" */
	uint64_t limit;
};

struct cgroup_unified {
	char *key;
	char *value;
};

struct cgroup_resources {
	/* memory */
	bool has_mem_limit, has_mem_reservation, has_mem_swap, has_mem_kernel, has_mem_kernel_tcp,
	    has_mem_swappiness, has_disable_oom_killer, has_use_hierarchy;
	int64_t mem_limit, mem_reservation, mem_swap, mem_kernel, mem_kernel_tcp;
	uint64_t mem_swappiness;
	bool disable_oom_killer, use_hierarchy;
	/* cpu */
	bool has_cpu_shares, has_cpu_quota, has_cpu_period, has_cpu_rt_runtime, has_cpu_rt_period,
	    has_cpu_idle, has_cpu_burst;
	uint64_t cpu_shares, cpu_period, cpu_rt_period, cpu_burst;
	int64_t cpu_quota, cpu_rt_runtime, cpu_idle;
	char *cpuset_cpus, *cpuset_mems;
	/* pids */
	bool has_pids_limit;
	int64_t pids_limit; /* <= 0 means unlimited ("max") */
	/* blockIO */
	bool has_blkio_weight, has_blkio_leaf_weight;
	uint16_t blkio_weight, blkio_leaf_weight;
	struct cgroup_weight_device *weight_devices;
	size_t n_weight_devices;
	struct cgroup_throttle *throttle_read_bps, *throttle_write_bps, *throttle_read_iops,
	    *throttle_write_iops;
	size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops,
	    n_throttle_write_iops;
	/* hugepageLimits */
	struct cgroup_hugepage *hugepages;
	size_t n_hugepages;
	/* devices */
	struct cgroup_device_rule *devices;
	size_t n_devices;
	bool has_devices; /* the spec listed devices at all; for `create` the
			   * caller sets it even for an empty list, so the
			   * default deny-all + defaults policy applies */
	/* unified (v2 key/value pairs written as files) */
	struct cgroup_unified *unified;
	size_t n_unified;
	/* network (classID, priorities) */
	bool has_net_class_id;
	uint32_t net_class_id;
};

/* Parses linux.resources (path names it in errors, e.g. "linux.resources"). */
int cgroup_resources_parse(json_object *obj, const char *path, struct cgroup_resources **out,
			   struct berth_err *err);
/* Cross-field checks (memory.swap >= memory.limit); parse runs it, and
 * callers run it again after a merge. path as for parse. */
int cgroup_resources_check(const struct cgroup_resources *r, const char *path,
			   struct berth_err *err);
/* Whether any limit is asked for (the device rules aside). */
bool cgroup_resources_has_limits(const struct cgroup_resources *r);
/* Overlays every field set in src onto dst (for `update`). */
void cgroup_resources_merge(struct cgroup_resources *dst, const struct cgroup_resources *src);
void cgroup_resources_free(struct cgroup_resources *r);

/* The device rules the runtime always allows after the spec's own (the
 * standard nodes: null, zero, full, random, urandom, tty, console, ptmx,
 * /dev/pts/N), as runc does. */
extern const struct cgroup_device_rule cgroup_default_device_rules[];
extern const size_t cgroup_n_default_device_rules;
