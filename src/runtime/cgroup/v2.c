/* The cgroup v2 backend: one directory, limits converted from the spec's
 * v1-shaped fields the way the runtime spec's cgroup v2 notes and runc
 * define them (cpu.weight from shares, memory.swap.max from memory+swap,
 * io.max from the four throttle lists, devices as an eBPF program). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cgroup/cgroup-internal.h"
#include "runtime/cgroup/resources.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/log.h"
#include "util/xalloc.h"

/* shares 2..262144 onto weight 1..10000, linearly (runc's mapping, so
 * the same spec gives the same weight under either runtime). */
uint64_t cgroup_v2_weight_from_shares(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

/* blkio weight 10..1000 onto io.weight 1..10000. */
static uint64_t io_weight(uint64_t w)
{
	if (w < 10)
		w = 10;
	return 1 + ((w - 10) * 9999) / 990;
}

static char *limit_text(int64_t v)
{
	return v < 0 ? xstrdup("max") : xasprintf("%" PRId64, v);
}

static int v2_cpu_max(struct cgroup *cg, const struct cgroup_resources *r, struct berth_err *err)
{
	bool quota = r->has_cpu_quota && r->cpu_quota != 0;
	bool period = r->has_cpu_period && r->cpu_period != 0;
	autofree char *q = NULL, *cur = NULL;
	struct cgroup_hier *h = cgroup_hier_unified(cg);

	if (!quota && !period)
		return 0;
	if (quota) {
		q = limit_text(r->cpu_quota);
	} else {
		/* A new period alone keeps the quota in force. */
		struct berth_err e;
		if (h != NULL && cgroup_read_at(h->path, "cpu.max", &cur, &e) == 0)
			q = xstrndup(cur, strcspn(cur, " "));
		else
			q = xstrdup("max");
	}
	if (!period)
		return cgroup_write(cg, "cpu", "cpu.max", q, err);
	return cgroup_writef(cg, "cpu", "cpu.max", err, "%s %" PRIu64, q, r->cpu_period);
}

static int v2_cpu(struct cgroup *cg, const struct cgroup_resources *r, struct berth_err *err)
{
	if (r->has_cpu_shares && r->cpu_shares != 0 &&
	    cgroup_writef(cg, "cpu", "cpu.weight", err, "%" PRIu64,
			  cgroup_v2_weight_from_shares(r->cpu_shares)) < 0)
		return -1;
	if (v2_cpu_max(cg, r, err) < 0)
		return -1;
	if (r->has_cpu_burst &&
	    cgroup_writef(cg, "cpu", "cpu.max.burst", err, "%" PRIu64, r->cpu_burst) < 0)
		return -1;
	if (r->has_cpu_idle &&
	    cgroup_writef(cg, "cpu", "cpu.idle", err, "%" PRId64, r->cpu_idle) < 0)
		return -1;
	if ((r->has_cpu_rt_period && r->cpu_rt_period != 0) ||
	    (r->has_cpu_rt_runtime && r->cpu_rt_runtime != 0))
		return berth_err_set(
		    err, ENOTSUP,
		    "linux.resources.cpu.realtimeRuntime/realtimePeriod: cgroup v2 "
		    "has no real-time bandwidth control");
	if (r->cpuset_cpus && cgroup_write(cg, "cpuset", "cpuset.cpus", r->cpuset_cpus, err) < 0)
		return -1;
	if (r->cpuset_mems && cgroup_write(cg, "cpuset", "cpuset.mems", r->cpuset_mems, err) < 0)
		return -1;
	return 0;
}

/* The spec's swap is memory+swap (v1's memsw); v2 limits swap alone. */
static int v2_swap_text(const struct cgroup_resources *r, char **out, struct berth_err *err)
{
	if (r->mem_swap == -1) {
		*out = xstrdup("max");
		return 0;
	}
	if (!r->has_mem_limit || r->mem_limit == 0 || r->mem_limit == -1)
		return berth_err_set(err, EINVAL,
				     "linux.resources.memory.swap: on cgroup v2 a swap limit needs "
				     "a memory limit (swap counts memory plus swap)");
	if (r->mem_swap < r->mem_limit)
		return berth_err_set(err, EINVAL,
				     "linux.resources.memory.swap: %" PRId64
				     " is below memory.limit %" PRId64,
				     r->mem_swap, r->mem_limit);
	*out = xasprintf("%" PRId64, r->mem_swap - r->mem_limit);
	return 0;
}

static int v2_memory(struct cgroup *cg, const struct cgroup_resources *r, struct berth_err *err)
{
	if (r->has_mem_limit && r->mem_limit != 0) {
		autofree char *v = limit_text(r->mem_limit);
		if (cgroup_write(cg, "memory", "memory.max", v, err) < 0)
			return -1;
	}
	if (r->has_mem_swap && r->mem_swap != 0) {
		autofree char *v = NULL;
		if (v2_swap_text(r, &v, err) < 0 ||
		    cgroup_write(cg, "memory", "memory.swap.max", v, err) < 0)
			return -1;
	}
	if (r->has_mem_reservation && r->mem_reservation != 0) {
		autofree char *v = limit_text(r->mem_reservation);
		if (cgroup_write(cg, "memory", "memory.low", v, err) < 0)
			return -1;
	}
	/* No v2 counterparts: kernel memory is always charged to memory.max,
	 * the hierarchy is always used, and there is no per-cgroup
	 * swappiness or OOM-killer switch. */
	if (r->has_mem_kernel && r->mem_kernel != 0)
		log_warn("linux.resources.memory.kernel ignored on cgroup v2");
	if (r->has_mem_kernel_tcp && r->mem_kernel_tcp != 0)
		log_warn("linux.resources.memory.kernelTCP ignored on cgroup v2");
	if (r->has_mem_swappiness)
		log_warn("linux.resources.memory.swappiness ignored on cgroup v2");
	if (r->has_disable_oom_killer && r->disable_oom_killer)
		log_warn("linux.resources.memory.disableOOMKiller ignored on cgroup v2");
	return 0;
}

static int v2_pids(struct cgroup *cg, const struct cgroup_resources *r, struct berth_err *err)
{
	if (!r->has_pids_limit)
		return 0;
	if (r->pids_limit <= 0)
		return cgroup_write(cg, "pids", "pids.max", "max", err);
	return cgroup_writef(cg, "pids", "pids.max", err, "%" PRId64, r->pids_limit);
}

struct io_max {
	int64_t major, minor;
	uint64_t v[4]; /* rbps wbps riops wiops */
	bool set[4];
};

static void io_max_add(struct io_max **v, size_t *n, const struct cgroup_throttle *t, size_t nt,
		       int which)
{
	for (size_t i = 0; i < nt; i++) {
		size_t j;
		for (j = 0; j < *n; j++)
			if ((*v)[j].major == t[i].major && (*v)[j].minor == t[i].minor)
				break;
		if (j == *n) {
			*v = xreallocarray(*v, *n + 1, sizeof(**v));
			(*v)[j] = (struct io_max){ .major = t[i].major, .minor = t[i].minor };
			(*n)++;
		}
		(*v)[j].v[which] = t[i].rate;
		(*v)[j].set[which] = true;
	}
}

static int v2_io(struct cgroup *cg, const struct cgroup_resources *r, struct berth_err *err)
{
	static const char *const keys[] = { "rbps", "wbps", "riops", "wiops" };
	struct cgroup_hier *h = cgroup_hier_unified(cg);
	/* BFQ's io.bfq.weight takes blkio's own 1..1000 scale; io.weight
	 * (the io controller's) is 1..10000. */
	bool bfq = h != NULL && cgroup_file_exists(h->path, "io.bfq.weight");
	const char *wfile = bfq ? "io.bfq.weight" : "io.weight";
	autofree struct io_max *m = NULL;
	size_t n = 0;

	if (r->has_blkio_weight &&
	    cgroup_writef(cg, "io", wfile, err, "default %" PRIu64,
			  bfq ? r->blkio_weight : io_weight(r->blkio_weight)) < 0)
		return -1;
	if (r->has_blkio_leaf_weight)
		log_warn("linux.resources.blockIO.leafWeight ignored on cgroup v2");
	for (size_t i = 0; i < r->n_weight_devices; i++) {
		const struct cgroup_weight_device *d = &r->weight_devices[i];
		if (d->has_weight &&
		    cgroup_writef(cg, "io", wfile, err, "%" PRId64 ":%" PRId64 " %" PRIu64,
				  d->major, d->minor, bfq ? d->weight : io_weight(d->weight)) < 0)
			return -1;
	}
	io_max_add(&m, &n, r->throttle_read_bps, r->n_throttle_read_bps, 0);
	io_max_add(&m, &n, r->throttle_write_bps, r->n_throttle_write_bps, 1);
	io_max_add(&m, &n, r->throttle_read_iops, r->n_throttle_read_iops, 2);
	io_max_add(&m, &n, r->throttle_write_iops, r->n_throttle_write_iops, 3);
	for (size_t i = 0; i < n; i++) {
		char line[256];
		int len =
		    snprintf(line, sizeof(line), "%" PRId64 ":%" PRId64, m[i].major, m[i].minor);
		for (size_t k = 0; k < 4; k++) {
			if (!m[i].set[k])
				continue;
			/* v1 removes a throttle with rate 0; v2 spells it "max" */
			if (m[i].v[k] == 0)
				len += snprintf(line + len, sizeof(line) - (size_t)len, " %s=max",
						keys[k]);
			else
				len += snprintf(line + len, sizeof(line) - (size_t)len,
						" %s=%" PRIu64, keys[k], m[i].v[k]);
		}
		if (cgroup_write(cg, "io", "io.max", line, err) < 0)
			return -1;
	}
	return 0;
}

static int v2_hugetlb(struct cgroup *cg, const struct cgroup_resources *r, struct berth_err *err)
{
	for (size_t i = 0; i < r->n_hugepages; i++) {
		autofree char *f = xasprintf("hugetlb.%s.max", r->hugepages[i].page_size);
		if (cgroup_writef(cg, "hugetlb", f, err, "%" PRIu64, r->hugepages[i].limit) < 0)
			return -1;
	}
	return 0;
}

int cgroup_v2_write_unified(struct cgroup_hier *h, const struct cgroup_resources *r,
			    struct berth_err *err)
{
	for (size_t i = 0; i < r->n_unified; i++) {
		const char *key = r->unified[i].key;
		if (!cgroup_file_exists(h->path, key)) {
			autofree char *ctrl = xstrndup(key, strcspn(key, "."));
			return berth_err_set(err, ENOENT,
					     "linux.resources.unified.%s: no such file in %s "
					     "(is the \"%s\" controller enabled?)",
					     key, h->path, ctrl);
		}
		if (cgroup_write_at(h->path, key, r->unified[i].value, err) < 0)
			return berth_err_wrap(err, "linux.resources.unified.%s", key);
	}
	return 0;
}

static int v2_apply(struct cgroup *cg, const struct cgroup_resources *r, struct berth_err *err)
{
	struct cgroup_hier *h = cgroup_hier_unified(cg);

	if (h == NULL)
		return berth_err_set(err, ENOENT, "cgroup v2 hierarchy missing");
	if (v2_cpu(cg, r, err) < 0 || v2_memory(cg, r, err) < 0 || v2_pids(cg, r, err) < 0 ||
	    v2_io(cg, r, err) < 0 || v2_hugetlb(cg, r, err) < 0)
		return -1;
	if (r->has_net_class_id)
		log_warn("linux.resources.network.classID ignored: cgroup v2 has no net_cls");
	if (r->has_devices) {
		size_t n;
		autofree struct cgroup_device_rule *rules = cgroup_device_rules_effective(r, &n);
		if (cgroup_devices_bpf_apply(cg, h, rules, n, err) < 0)
			return -1;
	}
	/* Unified keys come last so they can override a converted value. */
	return cgroup_v2_write_unified(h, r, err);
}

/* ---- reading back ---- */

static void add_u64(json_object *o, const char *key, const char *dir, const char *file)
{
	uint64_t v;
	struct berth_err e;

	if (cgroup_read_u64(dir, file, &v, &e) == 0)
		json_object_object_add(o, key, json_object_new_uint64(v));
}

static void add_keyed(json_object *o, const char *key, const char *dir, const char *file,
		      const char *field, uint64_t scale)
{
	uint64_t v;

	if (cgroup_read_keyed(dir, file, field, &v) == 0)
		json_object_object_add(o, key, json_object_new_uint64(v * scale));
}

static void v2_stats_memory(const char *dir, json_object *out)
{
	json_object *m = json_object_new_object(), *u = json_object_new_object();
	json_object *s = json_object_new_object();
	uint64_t cur, swap, max, swmax;
	struct berth_err e;

	add_keyed(m, "cache", dir, "memory.stat", "file", 1);
	add_u64(u, "usage", dir, "memory.current");
	add_u64(u, "max", dir, "memory.peak");
	add_u64(u, "limit", dir, "memory.max");
	add_keyed(u, "failcnt", dir, "memory.events", "max", 1);
	/* Shown as memory+swap, like v1's memsw, so the numbers mean the
	 * same on both. */
	if (cgroup_read_u64(dir, "memory.current", &cur, &e) == 0 &&
	    cgroup_read_u64(dir, "memory.swap.current", &swap, &e) == 0)
		json_object_object_add(s, "usage", json_object_new_uint64(cur + swap));
	if (cgroup_read_u64(dir, "memory.max", &max, &e) == 0 &&
	    cgroup_read_u64(dir, "memory.swap.max", &swmax, &e) == 0)
		json_object_object_add(
		    s, "limit",
		    json_object_new_uint64(max == UINT64_MAX || swmax == UINT64_MAX ? UINT64_MAX
										    : max + swmax));
	json_object_object_add(m, "usage", u);
	json_object_object_add(m, "swap", s);
	json_object_object_add(m, "raw", cgroup_read_keyed_all(dir, "memory.stat"));
	json_object_object_add(out, "memory", m);
}

static void blk_entry(json_object *a, unsigned maj, unsigned min, const char *op, uint64_t v)
{
	json_object *en = json_object_new_object();

	json_object_object_add(en, "major", json_object_new_uint64(maj));
	json_object_object_add(en, "minor", json_object_new_uint64(min));
	json_object_object_add(en, "op", json_object_new_string(op));
	json_object_object_add(en, "value", json_object_new_uint64(v));
	json_object_array_add(a, en);
}

/* io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" */
static void v2_stats_io(const char *dir, json_object *out)
{
	json_object *b = json_object_new_object();
	json_object *bytes = json_object_new_array(), *ios = json_object_new_array();
	autofree char *s = NULL;
	struct berth_err e;
	char *save = NULL;

	if (cgroup_read_at(dir, "io.stat", &s, &e) < 0)
		s = xstrdup("");
	for (char *l = strtok_r(s, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		unsigned maj, min;
		uint64_t rb = 0, wb = 0, ri = 0, wi = 0;
		char *save2 = NULL;
		if (sscanf(l, "%u:%u", &maj, &min) != 2)
			continue;
		strtok_r(l, " ", &save2);
		for (char *kv = strtok_r(NULL, " ", &save2); kv; kv = strtok_r(NULL, " ", &save2)) {
			char *eq = strchr(kv, '=');
			if (eq == NULL)
				continue;
			uint64_t v = strtoull(eq + 1, NULL, 10);
			*eq = '\0';
			if (strcmp(kv, "rbytes") == 0)
				rb = v;
			else if (strcmp(kv, "wbytes") == 0)
				wb = v;
			else if (strcmp(kv, "rios") == 0)
				ri = v;
			else if (strcmp(kv, "wios") == 0)
				wi = v;
		}
		blk_entry(bytes, maj, min, "Read", rb);
		blk_entry(bytes, maj, min, "Write", wb);
		blk_entry(ios, maj, min, "Read", ri);
		blk_entry(ios, maj, min, "Write", wi);
	}
	json_object_object_add(b, "ioServiceBytesRecursive", bytes);
	json_object_object_add(b, "ioServicedRecursive", ios);
	json_object_object_add(out, "blkio", b);
}

static void v2_stats_hugetlb(const char *dir, json_object *out)
{
	json_object *hs = json_object_new_object();
	autoclosedir DIR *d = opendir(dir);
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL) {
		char size[32];
		if (sscanf(de->d_name, "hugetlb.%31[^.].current", size) != 1 ||
		    strcmp(de->d_name + strlen("hugetlb.") + strlen(size), ".current") != 0)
			continue;
		autofree char *cur = xasprintf("hugetlb.%s.current", size);
		autofree char *ev = xasprintf("hugetlb.%s.events", size);
		json_object *en = json_object_new_object();
		add_u64(en, "usage", dir, cur);
		add_keyed(en, "failcnt", dir, ev, "max", 1);
		json_object_object_add(hs, size, en);
	}
	json_object_object_add(out, "hugetlb", hs);
}

static int v2_stats(struct cgroup *cg, json_object *out, struct berth_err *err)
{
	struct cgroup_hier *h = cgroup_hier_unified(cg);
	json_object *c = json_object_new_object(), *u = json_object_new_object();
	json_object *t = json_object_new_object(), *p = json_object_new_object();
	uint64_t max;
	struct berth_err e;

	if (h == NULL) {
		json_object_put(c);
		json_object_put(u);
		json_object_put(t);
		json_object_put(p);
		return berth_err_set(err, ENOENT, "cgroup v2 hierarchy missing");
	}
	/* cpu.stat counts microseconds; the stats speak nanoseconds. */
	add_keyed(u, "total", h->path, "cpu.stat", "usage_usec", 1000);
	add_keyed(u, "user", h->path, "cpu.stat", "user_usec", 1000);
	add_keyed(u, "kernel", h->path, "cpu.stat", "system_usec", 1000);
	add_keyed(t, "periods", h->path, "cpu.stat", "nr_periods", 1);
	add_keyed(t, "throttled_periods", h->path, "cpu.stat", "nr_throttled", 1);
	add_keyed(t, "throttled_time", h->path, "cpu.stat", "throttled_usec", 1000);
	json_object_object_add(c, "usage", u);
	json_object_object_add(c, "throttling", t);
	json_object_object_add(out, "cpu", c);
	v2_stats_memory(h->path, out);
	add_u64(p, "current", h->path, "pids.current");
	if (cgroup_read_u64(h->path, "pids.max", &max, &e) == 0)
		json_object_object_add(p, "limit",
				       json_object_new_uint64(max == UINT64_MAX ? 0 : max));
	json_object_object_add(out, "pids", p);
	v2_stats_io(h->path, out);
	v2_stats_hugetlb(h->path, out);
	return 0;
}

static int v2_read_limits(struct cgroup *cg, json_object *out, struct berth_err *err)
{
	struct cgroup_hier *h = cgroup_hier_unified(cg);
	json_object *m = json_object_new_object(), *c = json_object_new_object();
	json_object *p = json_object_new_object(), *s = json_object_new_object();
	autofree char *cpumax = NULL, *cpus = NULL, *mems = NULL;
	struct berth_err e;

	if (h == NULL) {
		json_object_put(m);
		json_object_put(c);
		json_object_put(p);
		json_object_put(s);
		return berth_err_set(err, ENOENT, "cgroup v2 hierarchy missing");
	}
	add_u64(m, "limit", h->path, "memory.max");
	add_u64(m, "reservation", h->path, "memory.low");
	add_u64(m, "swap", h->path, "memory.swap.max");
	add_u64(c, "weight", h->path, "cpu.weight");
	if (cgroup_read_at(h->path, "cpu.max", &cpumax, &e) == 0) {
		char q[32] = "";
		unsigned long long period = 0;
		if (sscanf(cpumax, "%31s %llu", q, &period) >= 1) {
			json_object_object_add(c, "quota",
					       json_object_new_int64(strcmp(q, "max") == 0
									 ? -1
									 : strtoll(q, NULL, 10)));
			if (period != 0)
				json_object_object_add(c, "period", json_object_new_uint64(period));
		}
	}
	add_u64(p, "limit", h->path, "pids.max");
	if (cgroup_read_at(h->path, "cpuset.cpus", &cpus, &e) == 0)
		json_object_object_add(s, "cpus", json_object_new_string(cpus));
	if (cgroup_read_at(h->path, "cpuset.mems", &mems, &e) == 0)
		json_object_object_add(s, "mems", json_object_new_string(mems));
	json_object_object_add(out, "memory", m);
	json_object_object_add(out, "cpu", c);
	json_object_object_add(out, "pids", p);
	json_object_object_add(out, "cpuset", s);
	return 0;
}

/* memory.events counts in the cgroup and its descendants ("oom" is an
 * OOM condition, "oom_kill" a process killed for it; memory.events.local
 * would miss a kill in a cgroup the container made below its own). */
static int v2_oom_kills(struct cgroup *cg, uint64_t *kills, struct berth_err *err)
{
	struct cgroup_hier *h = cgroup_hier_unified(cg);

	if (h == NULL)
		return berth_err_set(err, ENOENT, "no cgroup2 hierarchy");
	return cgroup_read_oom_kill(h->path, "memory.events", kills, err);
}

const struct cgroup_ops cgroup_v2_ops = {
	.apply = v2_apply,
	.stats = v2_stats,
	.read_limits = v2_read_limits,
	.oom_kills = v2_oom_kills,
};
