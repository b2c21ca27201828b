/* The cgroup v1 backend: one hierarchy per controller (or co-mounted
 * group), each limit written to the hierarchy that owns its controller.
 * Also the limit side of hybrid hosts.
 *
 * Write order matters because `update` changes a running container: the
 * kernel checks each value against the others as it lands (memory <=
 * memory+swap, quota against period, rt runtime against rt period), so
 * pairs are written in the order that keeps every intermediate state
 * valid. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup-internal.h"
#include "runtime/cgroup/resources.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define MEMSW "memory.memsw.limit_in_bytes"

/* Writes (f1, v1) then (f2, v2); when the first is refused as invalid
 * (it only fits with the other's new value), the other goes first. */
static int write_pair(struct cgroup *cg, const char *ctrl, const char *f1, const char *v1,
		      const char *f2, const char *v2, struct berth_err *err)
{
	if (v1 == NULL || v2 == NULL)
		return cgroup_write(cg, ctrl, v1 ? f1 : f2, v1 ? v1 : v2, err);
	if (cgroup_write(cg, ctrl, f1, v1, err) == 0)
		return cgroup_write(cg, ctrl, f2, v2, err);
	if (err->code != EINVAL)
		return -1;
	if (cgroup_write(cg, ctrl, f2, v2, err) < 0)
		return -1;
	return cgroup_write(cg, ctrl, f1, v1, err);
}

static char *i64(int64_t v)
{
	return xasprintf("%" PRId64, v);
}

static int v1_memory_swap(struct cgroup *cg, struct cgroup_hier *h,
			  const struct cgroup_resources *r, struct berth_err *err)
{
	bool limit = r->has_mem_limit && r->mem_limit != 0;
	bool swap = r->has_mem_swap && r->mem_swap != 0;
	bool have_memsw = cgroup_file_exists(h->path, MEMSW);
	autofree char *lv = limit ? i64(r->mem_limit) : NULL;
	autofree char *sv = swap ? i64(r->mem_swap) : NULL;
	uint64_t cur_memsw = 0;

	if (swap && !have_memsw)
		return berth_err_set(err, ENOENT,
				     "linux.resources.memory.swap: the host has no swap accounting "
				     "(%s/%s missing)",
				     h->path, MEMSW);
	if (!swap) {
		/* Unlimited memory with memsw left as it was would stay
		 * capped by memsw: lift both, as runc does. */
		if (limit && r->mem_limit == -1 && have_memsw &&
		    cgroup_write(cg, "memory", MEMSW, "-1", err) < 0)
			return -1;
		return limit ? cgroup_write(cg, "memory", "memory.limit_in_bytes", lv, err) : 0;
	}
	if (!limit)
		return cgroup_write(cg, "memory", MEMSW, sv, err);
	/* The kernel keeps limit <= memsw at every step. Raising the limit
	 * past the current memsw needs memsw first; lowering needs the limit
	 * first. */
	if (cgroup_read_u64(h->path, MEMSW, &cur_memsw, err) < 0)
		return -1;
	if (r->mem_swap == -1 || r->mem_limit == -1 || (uint64_t)r->mem_limit > cur_memsw) {
		if (cgroup_write(cg, "memory", MEMSW, sv, err) < 0)
			return -1;
		return cgroup_write(cg, "memory", "memory.limit_in_bytes", lv, err);
	}
	if (cgroup_write(cg, "memory", "memory.limit_in_bytes", lv, err) < 0)
		return -1;
	return cgroup_write(cg, "memory", MEMSW, sv, err);
}

static int v1_memory(struct cgroup *cg, const struct cgroup_resources *r, struct berth_err *err)
{
	struct cgroup_hier *h = cgroup_hier_for(cg, "memory");
	bool any = r->has_mem_limit || r->has_mem_swap || r->has_mem_reservation ||
		   r->has_mem_kernel || r->has_mem_kernel_tcp || r->has_mem_swappiness ||
		   r->has_disable_oom_killer || r->has_use_hierarchy;

	if (!any)
		return 0;
	if (h == NULL)
		return berth_err_set(err, ENOENT,
				     "cgroup controller \"memory\" is not mounted on this host "
				     "(needed for linux.resources.memory)");
	if (v1_memory_swap(cg, h, r, err) < 0)
		return -1;
	if (r->has_mem_reservation && r->mem_reservation != 0 &&
	    cgroup_writef(cg, "memory", "memory.soft_limit_in_bytes", err, "%" PRId64,
			  r->mem_reservation) < 0)
		return -1;
	if (r->has_mem_kernel && r->mem_kernel != 0 &&
	    cgroup_writef(cg, "memory", "memory.kmem.limit_in_bytes", err, "%" PRId64,
			  r->mem_kernel) < 0) {
		/* memory.kernel is deprecated in the spec; Linux 5.16+ no
		 * longer enforces it and 6.x refuses or drops the file. */
		log_warn("linux.resources.memory.kernel ignored: %s", err->msg);
		berth_err_clear(err);
	}
	if (r->has_mem_kernel_tcp && r->mem_kernel_tcp != 0 &&
	    cgroup_writef(cg, "memory", "memory.kmem.tcp.limit_in_bytes", err, "%" PRId64,
			  r->mem_kernel_tcp) < 0)
		return -1;
	if (r->has_mem_swappiness && cgroup_writef(cg, "memory", "memory.swappiness", err,
						   "%" PRIu64, r->mem_swappiness) < 0)
		return -1;
	if (r->has_disable_oom_killer && cgroup_write(cg, "memory", "memory.oom_control",
						      r->disable_oom_killer ? "1" : "0", err) < 0)
		return -1;
	if (r->has_use_hierarchy && cgroup_write(cg, "memory", "memory.use_hierarchy",
						 r->use_hierarchy ? "1" : "0", err) < 0)
		return -1;
	return 0;
}

static int v1_cpu(struct cgroup *cg, const struct cgroup_resources *r, struct berth_err *err)
{
	autofree char *period = NULL, *quota = NULL, *rtp = NULL, *rtr = NULL;

	/* 0 means "not set" for these, as runc reads the spec. */
	if (r->has_cpu_shares && r->cpu_shares != 0 &&
	    cgroup_writef(cg, "cpu", "cpu.shares", err, "%" PRIu64, r->cpu_shares) < 0)
		return -1;
	if (r->has_cpu_period && r->cpu_period != 0)
		period = xasprintf("%" PRIu64, r->cpu_period);
	if (r->has_cpu_quota && r->cpu_quota != 0)
		quota = i64(r->cpu_quota);
	if ((period || quota) &&
	    write_pair(cg, "cpu", "cpu.cfs_period_us", period, "cpu.cfs_quota_us", quota, err) < 0)
		return -1;
	if (r->has_cpu_burst &&
	    cgroup_writef(cg, "cpu", "cpu.cfs_burst_us", err, "%" PRIu64, r->cpu_burst) < 0)
		return -1;
	if (r->has_cpu_rt_period && r->cpu_rt_period != 0)
		rtp = xasprintf("%" PRIu64, r->cpu_rt_period);
	if (r->has_cpu_rt_runtime && r->cpu_rt_runtime != 0)
		rtr = i64(r->cpu_rt_runtime);
	if ((rtp || rtr) &&
	    write_pair(cg, "cpu", "cpu.rt_period_us", rtp, "cpu.rt_runtime_us", rtr, err) < 0)
		return -1;
	if (r->has_cpu_idle &&
	    cgroup_writef(cg, "cpu", "cpu.idle", err, "%" PRId64, r->cpu_idle) < 0)
		return -1;
	if (r->cpuset_cpus && cgroup_write(cg, "cpuset", "cpuset.cpus", r->cpuset_cpus, err) < 0)
		return -1;
	if (r->cpuset_mems && cgroup_write(cg, "cpuset", "cpuset.mems", r->cpuset_mems, err) < 0)
		return -1;
	return 0;
}

static int v1_pids(struct cgroup *cg, const struct cgroup_resources *r, struct berth_err *err)
{
	if (!r->has_pids_limit)
		return 0;
	if (r->pids_limit <= 0)
		return cgroup_write(cg, "pids", "pids.max", "max", err);
	return cgroup_writef(cg, "pids", "pids.max", err, "%" PRId64, r->pids_limit);
}

/* CFQ's blkio.weight went with CFQ (Linux 5.0); BFQ offers the same knob
 * under blkio.bfq.*. */
static const char *blkio_file(struct cgroup *cg, const char *cfq, const char *bfq)
{
	struct cgroup_hier *h = cgroup_hier_for(cg, "blkio");

	if (h != NULL && !cgroup_file_exists(h->path, cfq) && cgroup_file_exists(h->path, bfq))
		return bfq;
	return cfq;
}

static int v1_throttle(struct cgroup *cg, const char *file, const struct cgroup_throttle *t,
		       size_t n, struct berth_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (cgroup_writef(cg, "blkio", file, err, "%" PRId64 ":%" PRId64 " %" PRIu64,
				  t[i].major, t[i].minor, t[i].rate) < 0)
			return -1;
	return 0;
}

static int v1_blkio(struct cgroup *cg, const struct cgroup_resources *r, struct berth_err *err)
{
	if (r->has_blkio_weight &&
	    cgroup_writef(cg, "blkio", blkio_file(cg, "blkio.weight", "blkio.bfq.weight"), err,
			  "%u", r->blkio_weight) < 0)
		return -1;
	if (r->has_blkio_leaf_weight &&
	    cgroup_writef(cg, "blkio", "blkio.leaf_weight", err, "%u", r->blkio_leaf_weight) < 0)
		return -1;
	for (size_t i = 0; i < r->n_weight_devices; i++) {
		const struct cgroup_weight_device *d = &r->weight_devices[i];
		if (d->has_weight &&
		    cgroup_writef(cg, "blkio",
				  blkio_file(cg, "blkio.weight_device", "blkio.bfq.weight_device"),
				  err, "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
				  d->weight) < 0)
			return -1;
		if (d->has_leaf_weight && cgroup_writef(cg, "blkio", "blkio.leaf_weight_device",
							err, "%" PRId64 ":%" PRId64 " %u", d->major,
							d->minor, d->leaf_weight) < 0)
			return -1;
	}
	if (v1_throttle(cg, "blkio.throttle.read_bps_device", r->throttle_read_bps,
			r->n_throttle_read_bps, err) < 0 ||
	    v1_throttle(cg, "blkio.throttle.write_bps_device", r->throttle_write_bps,
			r->n_throttle_write_bps, err) < 0 ||
	    v1_throttle(cg, "blkio.throttle.read_iops_device", r->throttle_read_iops,
			r->n_throttle_read_iops, err) < 0 ||
	    v1_throttle(cg, "blkio.throttle.write_iops_device", r->throttle_write_iops,
			r->n_throttle_write_iops, err) < 0)
		return -1;
	return 0;
}

/* Hybrid hosts may leave hugetlb to cgroup2 (this one does: no v1 mount,
 * "hugetlb" in the unified cgroup.controllers). Its limits then go there,
 * in v2's file names, if the parent enabled the controller for us; we
 * never enable it ourselves, as that writes the parent's subtree_control. */
static int v1_hugetlb_unified(struct cgroup *cg, const struct cgroup_resources *r,
			      struct berth_err *err)
{
	struct cgroup_hier *u = cgroup_hier_unified(cg);

	for (size_t i = 0; i < r->n_hugepages; i++) {
		char buf[32];
		autofree char *f = xasprintf("hugetlb.%s.max", r->hugepages[i].page_size);
		snprintf(buf, sizeof(buf), "%" PRIu64, r->hugepages[i].limit);
		if (!cgroup_file_exists(u->path, f))
			return berth_err_set(err, 0,
					     "hugepageLimits: hugetlb is neither a v1 hierarchy nor "
					     "enabled for %s (see its parent's cgroup.subtree_control)",
					     u->path);
		if (cgroup_write_at(u->path, f, buf, err) < 0)
			return -1;
	}
	return 0;
}

static int v1_hugetlb(struct cgroup *cg, const struct cgroup_resources *r, struct berth_err *err)
{
	if (r->n_hugepages > 0 && cg->mode == CGROUP_MODE_HYBRID &&
	    cgroup_hier_for(cg, "hugetlb") == NULL && cgroup_hier_unified(cg) != NULL)
		return v1_hugetlb_unified(cg, r, err);
	for (size_t i = 0; i < r->n_hugepages; i++) {
		autofree char *f =
		    xasprintf("hugetlb.%s.limit_in_bytes", r->hugepages[i].page_size);
		if (cgroup_writef(cg, "hugetlb", f, err, "%" PRIu64, r->hugepages[i].limit) < 0)
			return -1;
	}
	return 0;
}

static char *v1_rule_text(char type, const struct cgroup_device_rule *d)
{
	char maj[24] = "*", min[24] = "*";

	if (d->major >= 0)
		snprintf(maj, sizeof(maj), "%" PRId64, d->major);
	if (d->minor >= 0)
		snprintf(min, sizeof(min), "%" PRId64, d->minor);
	return xasprintf("%c %s:%s %s", type, maj, min, d->access[0] ? d->access : "rwm");
}

static int v1_device_rule(struct cgroup *cg, const struct cgroup_device_rule *d,
			  struct berth_err *err)
{
	const char *file = d->allow ? "devices.allow" : "devices.deny";

	/* For the kernel "a" resets the whole list (major, minor and access
	 * ignored), so only a true all-devices rule is written that way; a
	 * narrower 'a' rule becomes its 'c' and 'b' halves. */
	if (d->type == 'a' && d->major < 0 && d->minor < 0 &&
	    (d->access[0] == '\0' || strcmp(d->access, "rwm") == 0))
		return cgroup_write(cg, "devices", file, "a", err);
	for (const char *t = d->type == 'a' ? "cb" : (d->type == 'b' ? "b" : "c"); *t; t++) {
		autofree char *line = v1_rule_text(*t, d);
		if (cgroup_write(cg, "devices", file, line, err) < 0)
			return -1;
	}
	return 0;
}

/* What v1_devices writes first anyway (a spec's usual first rule). */
static bool is_deny_all(const struct cgroup_device_rule *d)
{
	return !d->allow && d->type == 'a' && d->major < 0 && d->minor < 0 &&
	       (d->access[0] == '\0' || strcmp(d->access, "rwm") == 0);
}

static int v1_devices(struct cgroup *cg, const struct cgroup_resources *r, struct berth_err *err)
{
	autofree struct cgroup_device_rule *rules = NULL;
	size_t n;

	if (!r->has_devices)
		return 0;
	rules = cgroup_device_rules_effective(r, &n);
	/* Start from deny-all so the result is exactly the rule list, also
	 * on `update` (a running container briefly sees no devices while the
	 * list is rewritten). */
	if (cgroup_write(cg, "devices", "devices.deny", "a", err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!(i == 0 && is_deny_all(&rules[i])) && v1_device_rule(cg, &rules[i], err) < 0)
			return -1;
	return 0;
}

static int v1_apply(struct cgroup *cg, const struct cgroup_resources *r, struct berth_err *err)
{
	if (v1_cpu(cg, r, err) < 0 || v1_memory(cg, r, err) < 0 || v1_pids(cg, r, err) < 0 ||
	    v1_blkio(cg, r, err) < 0 || v1_hugetlb(cg, r, err) < 0 || v1_devices(cg, r, err) < 0)
		return -1;
	if (r->has_net_class_id) {
		/* runc refuses a limit whose controller the host lacks, in
		 * these words (cgroup v2 has no net_cls: v2.c ignores it, as
		 * runc's fs2 does) */
		if (cgroup_hier_for(cg, "net_cls") == NULL)
			return berth_err_set(err, ENOENT,
					     "linux.resources.network.classID: cannot set net_cls "
					     "limit: container could not join or create cgroup "
					     "(net_cls is not mounted)");
		if (cgroup_writef(cg, "net_cls", "net_cls.classid", err, "%" PRIu32,
				  r->net_class_id) < 0)
			return -1;
	}
	return 0;
}

/* ---- reading back ---- */

static void add_u64(json_object *o, const char *key, const char *dir, const char *file)
{
	uint64_t v;
	struct berth_err e;

	if (dir != NULL && cgroup_read_u64(dir, file, &v, &e) == 0)
		json_object_object_add(o, key, json_object_new_uint64(v));
}

static void add_i64(json_object *o, const char *key, const char *dir, const char *file)
{
	autofree char *s = NULL;
	struct berth_err e;

	if (dir != NULL && cgroup_read_at(dir, file, &s, &e) == 0)
		json_object_object_add(o, key, json_object_new_int64(strtoll(s, NULL, 10)));
}

static void add_str(json_object *o, const char *key, const char *dir, const char *file)
{
	autofree char *s = NULL;
	struct berth_err e;

	if (dir != NULL && cgroup_read_at(dir, file, &s, &e) == 0)
		json_object_object_add(o, key, json_object_new_string(s));
}

static const char *dir_of(struct cgroup *cg, const char *ctrl)
{
	struct cgroup_hier *h = cgroup_hier_for(cg, ctrl);
	return h ? h->path : NULL;
}

static json_object *mem_entry(const char *dir, const char *prefix)
{
	json_object *o = json_object_new_object();
	static const char *const keys[][2] = {
		{ "usage", "usage_in_bytes" },
		{ "max", "max_usage_in_bytes" },
		{ "failcnt", "failcnt" },
		{ "limit", "limit_in_bytes" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		autofree char *f = xasprintf("%s%s", prefix, keys[i][1]);
		add_u64(o, keys[i][0], dir, f);
	}
	return o;
}

static void v1_stats_cpu(struct cgroup *cg, json_object *out)
{
	const char *acct = dir_of(cg, "cpuacct"), *cpu = dir_of(cg, "cpu");
	json_object *c = json_object_new_object();
	json_object *usage = json_object_new_object();
	json_object *thr = json_object_new_object();
	uint64_t v, hz = (uint64_t)sysconf(_SC_CLK_TCK);
	autofree char *percpu = NULL;
	struct berth_err e;

	add_u64(usage, "total", acct, "cpuacct.usage");
	if (acct != NULL && cgroup_read_at(acct, "cpuacct.usage_percpu", &percpu, &e) == 0) {
		json_object *a = json_object_new_array();
		char *save = NULL;
		for (char *t = strtok_r(percpu, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
			json_object_array_add(a, json_object_new_uint64(strtoull(t, NULL, 10)));
		json_object_object_add(usage, "percpu", a);
	}
	/* cpuacct.stat counts USER_HZ ticks; the stats speak nanoseconds. */
	if (hz == 0)
		hz = 100;
	if (acct != NULL && cgroup_read_keyed(acct, "cpuacct.stat", "system", &v) == 0)
		json_object_object_add(usage, "kernel",
				       json_object_new_uint64(v * (1000000000ULL / hz)));
	if (acct != NULL && cgroup_read_keyed(acct, "cpuacct.stat", "user", &v) == 0)
		json_object_object_add(usage, "user",
				       json_object_new_uint64(v * (1000000000ULL / hz)));
	if (cpu != NULL && cgroup_read_keyed(cpu, "cpu.stat", "nr_periods", &v) == 0)
		json_object_object_add(thr, "periods", json_object_new_uint64(v));
	if (cpu != NULL && cgroup_read_keyed(cpu, "cpu.stat", "nr_throttled", &v) == 0)
		json_object_object_add(thr, "throttled_periods", json_object_new_uint64(v));
	if (cpu != NULL && cgroup_read_keyed(cpu, "cpu.stat", "throttled_time", &v) == 0)
		json_object_object_add(thr, "throttled_time", json_object_new_uint64(v));
	json_object_object_add(c, "usage", usage);
	json_object_object_add(c, "throttling", thr);
	json_object_object_add(out, "cpu", c);
}

static void v1_stats_memory(struct cgroup *cg, json_object *out)
{
	const char *mem = dir_of(cg, "memory");
	json_object *m = json_object_new_object();
	uint64_t v;

	if (mem == NULL) {
		json_object_object_add(out, "memory", m);
		return;
	}
	if (cgroup_read_keyed(mem, "memory.stat", "cache", &v) == 0)
		json_object_object_add(m, "cache", json_object_new_uint64(v));
	json_object_object_add(m, "usage", mem_entry(mem, "memory."));
	json_object_object_add(m, "swap", mem_entry(mem, "memory.memsw."));
	json_object_object_add(m, "kernel", mem_entry(mem, "memory.kmem."));
	json_object_object_add(m, "kernelTCP", mem_entry(mem, "memory.kmem.tcp."));
	json_object_object_add(m, "raw", cgroup_read_keyed_all(mem, "memory.stat"));
	json_object_object_add(out, "memory", m);
}

/* "8:0 Read 4096" lines; the closing "Total N" has no device. */
static json_object *blkio_entries(const char *dir, const char *file)
{
	json_object *a = json_object_new_array();
	autofree char *s = NULL;
	struct berth_err e;
	char *save = NULL;

	if (dir == NULL || cgroup_read_at(dir, file, &s, &e) < 0)
		return a;
	for (char *l = strtok_r(s, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		unsigned long long maj, min, val;
		char op[32];
		if (sscanf(l, "%llu:%llu %31s %llu", &maj, &min, op, &val) != 4)
			continue;
		json_object *en = json_object_new_object();
		json_object_object_add(en, "major", json_object_new_uint64(maj));
		json_object_object_add(en, "minor", json_object_new_uint64(min));
		json_object_object_add(en, "op", json_object_new_string(op));
		json_object_object_add(en, "value", json_object_new_uint64(val));
		json_object_array_add(a, en);
	}
	return a;
}

static void v1_stats_blkio(struct cgroup *cg, json_object *out)
{
	const char *dir = dir_of(cg, "blkio");
	json_object *b = json_object_new_object();
	const char *bytes = "blkio.throttle.io_service_bytes_recursive";
	const char *ios = "blkio.throttle.io_serviced_recursive";

	/* With a proportional scheduler the non-throttle files count every
	 * request; the throttle ones only what passed the throttle layer. */
	if (dir != NULL && cgroup_file_exists(dir, "blkio.io_service_bytes_recursive")) {
		bytes = "blkio.io_service_bytes_recursive";
		ios = "blkio.io_serviced_recursive";
	}
	json_object_object_add(b, "ioServiceBytesRecursive", blkio_entries(dir, bytes));
	json_object_object_add(b, "ioServicedRecursive", blkio_entries(dir, ios));
	json_object_object_add(out, "blkio", b);
}

static void v1_stats_hugetlb(struct cgroup *cg, json_object *out)
{
	const char *dir = dir_of(cg, "hugetlb");
	json_object *hs = json_object_new_object();
	autoclosedir DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL) {
		char size[32];
		if (sscanf(de->d_name, "hugetlb.%31[^.].usage_in_bytes", size) != 1 ||
		    strcmp(de->d_name + strlen("hugetlb.") + strlen(size), ".usage_in_bytes") != 0)
			continue;
		autofree char *pre = xasprintf("hugetlb.%s.", size);
		json_object *en = mem_entry(dir, pre);
		json_object_object_del(en, "limit");
		json_object_object_add(hs, size, en);
	}
	json_object_object_add(out, "hugetlb", hs);
}

static int v1_stats(struct cgroup *cg, json_object *out, struct berth_err *err)
{
	const char *pids = dir_of(cg, "pids");
	json_object *p = json_object_new_object();
	uint64_t max;
	struct berth_err e;

	v1_stats_cpu(cg, out);
	v1_stats_memory(cg, out);
	add_u64(p, "current", pids, "pids.current");
	/* runc reports an unlimited pids.max as 0 */
	if (pids != NULL && cgroup_read_u64(pids, "pids.max", &max, &e) == 0)
		json_object_object_add(p, "limit",
				       json_object_new_uint64(max == UINT64_MAX ? 0 : max));
	json_object_object_add(out, "pids", p);
	v1_stats_blkio(cg, out);
	v1_stats_hugetlb(cg, out);
	return 0;
}

static int v1_read_limits(struct cgroup *cg, json_object *out, struct berth_err *err)
{
	json_object *m = json_object_new_object(), *c = json_object_new_object();
	json_object *p = json_object_new_object(), *s = json_object_new_object();

	add_u64(m, "limit", dir_of(cg, "memory"), "memory.limit_in_bytes");
	add_u64(m, "reservation", dir_of(cg, "memory"), "memory.soft_limit_in_bytes");
	add_u64(m, "swap", dir_of(cg, "memory"), MEMSW);
	add_u64(c, "shares", dir_of(cg, "cpu"), "cpu.shares");
	add_i64(c, "quota", dir_of(cg, "cpu"), "cpu.cfs_quota_us");
	add_u64(c, "period", dir_of(cg, "cpu"), "cpu.cfs_period_us");
	add_u64(p, "limit", dir_of(cg, "pids"), "pids.max");
	add_str(s, "cpus", dir_of(cg, "cpuset"), "cpuset.cpus");
	add_str(s, "mems", dir_of(cg, "cpuset"), "cpuset.mems");
	json_object_object_add(out, "memory", m);
	json_object_object_add(out, "cpu", c);
	json_object_object_add(out, "pids", p);
	json_object_object_add(out, "cpuset", s);
	return 0;
}

/* v1 counts OOM kills in memory.oom_control. A hybrid host may have left
 * the memory controller to cgroup2: then memory.events there counts. */
static int v1_oom_kills(struct cgroup *cg, uint64_t *kills, struct berth_err *err)
{
	struct cgroup_hier *h = cgroup_hier_for(cg, "memory");

	if (h == NULL)
		return cgroup_v2_ops.oom_kills(cg, kills, err);
	return cgroup_read_oom_kill(h->path, "memory.oom_control", kills, err);
}

const struct cgroup_ops cgroup_v1_ops = {
	.apply = v1_apply,
	.stats = v1_stats,
	.read_limits = v1_read_limits,
	.oom_kills = v1_oom_kills,
};
