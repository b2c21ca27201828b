#include "runtime/sched.h"

#include <errno.h>
#include <linux/mempolicy.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/num.h"
#include "util/xalloc.h"

/* <linux/sched/types.h> and glibc's <sched.h> collide; the layout is the
 * kernel's (SCHED_ATTR_SIZE_VER0, 48 bytes). */
struct sched_attr_v0 {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
#ifndef SCHED_ISO
#define SCHED_ISO 4
#endif
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_WHO_PROCESS 1

/* The spec's names for the kernel's numbers, one table per field. */
struct sched_name {
	const char *name;
	uint64_t value;
};

static bool name_find(const struct sched_name *t, size_t n, const char *name, uint64_t *value)
{
	for (size_t i = 0; name != NULL && i < n; i++) {
		if (strcmp(t[i].name, name) == 0) {
			*value = t[i].value;
			return true;
		}
	}
	return false;
}

/* ORs the named flags of the array at obj.key (absent: nothing). */
static int flags_parse(json_object *obj, const char *path, const struct sched_name *t, size_t n,
		       uint64_t *out, struct berth_err *err)
{
	json_object *arr;
	int r = json_get_array(obj, "flags", path, &arr, err);

	for (size_t k = 0; r > 0 && k < json_object_array_length(arr); k++) {
		json_object *e = json_object_array_get_idx(arr, k);
		const char *f = NULL;
		uint64_t v;

		if (json_object_is_type(e, json_type_string) &&
		    strlen(json_object_get_string(e)) == (size_t)json_object_get_string_len(e))
			f = json_object_get_string(e);
		if (!name_find(t, n, f, &v))
			return berth_err_set(err, 0, "%s.flags[%zu]: unknown flag \"%s\"", path, k,
					     f ? f : "");
		*out |= v;
	}
	return r < 0 ? -1 : 0;
}

static const struct sched_name policies[] = {
	{ "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO },
	{ "SCHED_RR", SCHED_RR },       { "SCHED_BATCH", SCHED_BATCH },
	{ "SCHED_ISO", SCHED_ISO },     { "SCHED_IDLE", SCHED_IDLE },
	{ "SCHED_DEADLINE", SCHED_DEADLINE },
};

static const struct sched_name sched_flags[] = {
	{ "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },
	{ "SCHED_FLAG_DL_OVERRUN", 0x04 },    { "SCHED_FLAG_KEEP_POLICY", 0x08 },
	{ "SCHED_FLAG_KEEP_PARAMS", 0x10 },   { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
	{ "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

static const struct sched_name ioprio_classes[] = {
	{ "IOPRIO_CLASS_RT", 1 },
	{ "IOPRIO_CLASS_BE", 2 },
	{ "IOPRIO_CLASS_IDLE", 3 },
};

int sched_cpulist_parse(const char *list, void *set, unsigned long setsize)
{
	cpu_set_t *s = set;
	const char *p = list;

	CPU_ZERO_S(setsize, s);
	if (p == NULL || *p == '\0')
		return -1;
	while (*p != '\0') {
		uint64_t a, b;

		if (num_take_u64(&p, 10, setsize * 8 - 1, &a) < 0)
			return -1;
		b = a;
		if (*p == '-') {
			p++;
			if (num_take_u64(&p, 10, setsize * 8 - 1, &b) < 0 || b < a)
				return -1;
		}
		for (uint64_t c = a; c <= b; c++)
			CPU_SET_S(c, setsize, s);
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return -1;
	}
	return 0;
}

static int parse_scheduler(json_object *o, const char *path, struct spec_sched *s,
			   struct berth_err *err)
{
	const char *pol = NULL;
	int64_t v;
	uint64_t u;
	int r;

	if (json_get_string(o, "policy", path, &pol, err) < 0)
		return -1;
	if (pol == NULL)
		return berth_err_set(err, 0, "%s.policy: required", path);
	if (!name_find(policies, ARRAY_SIZE(policies), pol, &u))
		return berth_err_set(err, 0, "%s.policy: unknown policy \"%s\"", path, pol);
	s->policy = (uint32_t)u;
	if ((r = json_get_int_range(o, "nice", path, -20, 19, &v, err)) < 0)
		return -1;
	s->nice = r > 0 ? (int32_t)v : 0;
	if ((r = json_get_int_range(o, "priority", path, 0, 99, &v, err)) < 0)
		return -1;
	s->priority = r > 0 ? (uint32_t)v : 0;
	if (json_get_uint64(o, "runtime", path, &s->runtime, err) < 0 ||
	    json_get_uint64(o, "deadline", path, &s->deadline, err) < 0 ||
	    json_get_uint64(o, "period", path, &s->period, err) < 0)
		return -1;
	if (flags_parse(o, path, sched_flags, ARRAY_SIZE(sched_flags), &s->flags, err) < 0)
		return -1;
	if ((s->policy == SCHED_FIFO || s->policy == SCHED_RR) && s->priority == 0)
		return berth_err_set(err, 0, "%s.priority: %s needs a priority of 1 to 99", path,
				     pol);
	if (s->policy != SCHED_FIFO && s->policy != SCHED_RR && s->priority != 0)
		return berth_err_set(err, 0, "%s.priority: only SCHED_FIFO and SCHED_RR take one",
				     path);
	s->has_scheduler = true;
	return 0;
}

static int parse_ioprio(json_object *o, const char *path, struct spec_sched *s,
			struct berth_err *err)
{
	const char *cls = NULL;
	int64_t v = 0;
	uint64_t u;

	if (json_get_string(o, "class", path, &cls, err) < 0 ||
	    json_get_int_range(o, "priority", path, 0, 7, &v, err) < 0)
		return -1;
	if (cls == NULL)
		return berth_err_set(err, 0, "%s.class: required", path);
	if (!name_find(ioprio_classes, ARRAY_SIZE(ioprio_classes), cls, &u))
		return berth_err_set(err, 0, "%s.class: unknown class \"%s\"", path, cls);
	s->has_ioprio = true;
	s->ioprio_class = (int)u;
	s->ioprio_level = (int)v;
	return 0;
}

static int parse_affinity(json_object *o, const char *path, struct spec_sched *s,
			  struct berth_err *err)
{
	static const char *const keys[] = { "initial", "final" };
	char **dst[] = { &s->cpus_initial, &s->cpus_final };

	for (size_t k = 0; k < 2; k++) {
		const char *list = NULL;
		cpu_set_t set;
		if (json_get_string(o, keys[k], path, &list, err) < 0)
			return -1;
		if (list == NULL)
			continue;
		if (sched_cpulist_parse(list, &set, sizeof(set)) < 0)
			return berth_err_set(err, 0, "%s.%s: \"%s\" is not a CPU list", path,
					     keys[k], list);
		*dst[k] = xstrdup(list);
	}
	return 0;
}

int sched_parse(json_object *proc, const char *path, struct spec_sched *out,
		struct berth_err *err)
{
	char sub[256];
	json_object *o;
	int r;

	if ((r = json_get_object(proc, "scheduler", path, &o, err)) < 0)
		return -1;
	snprintf(sub, sizeof(sub), "%s.scheduler", path);
	if (r > 0 && parse_scheduler(o, sub, out, err) < 0)
		return -1;
	if ((r = json_get_object(proc, "ioPriority", path, &o, err)) < 0)
		return -1;
	snprintf(sub, sizeof(sub), "%s.ioPriority", path);
	if (r > 0 && parse_ioprio(o, sub, out, err) < 0)
		return -1;
	if ((r = json_get_object(proc, "execCPUAffinity", path, &o, err)) < 0)
		return -1;
	snprintf(sub, sizeof(sub), "%s.execCPUAffinity", path);
	if (r > 0 && parse_affinity(o, sub, out, err) < 0)
		return -1;
	return 0;
}

void sched_clear(struct spec_sched *s)
{
	free(s->cpus_initial);
	free(s->cpus_final);
	memset(s, 0, sizeof(*s));
}

static int set_affinity(const char *list, const char *what, struct berth_err *err)
{
	cpu_set_t set;

	if (list == NULL)
		return 0;
	if (sched_cpulist_parse(list, &set, sizeof(set)) < 0 ||
	    sched_setaffinity(0, sizeof(set), &set) < 0)
		return berth_err_set(err, errno ? errno : EINVAL, "process.execCPUAffinity.%s "
				     "\"%s\"", what, list);
	return 0;
}

int sched_apply(const struct spec_sched *s, struct berth_err *err)
{
	if (set_affinity(s->cpus_initial, "initial", err) < 0)
		return -1;
	if (s->has_scheduler) {
		struct sched_attr_v0 a = {
			.size = sizeof(a),
			.sched_policy = s->policy,
			.sched_flags = s->flags,
			.sched_nice = s->nice,
			.sched_priority = s->priority,
			.sched_runtime = s->runtime,
			.sched_deadline = s->deadline,
			.sched_period = s->period,
		};
		if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
			return berth_err_set(err, errno, "process.scheduler");
	}
	if (s->has_ioprio &&
	    syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0,
		    (s->ioprio_class << IOPRIO_CLASS_SHIFT) | s->ioprio_level) < 0)
		return berth_err_set(err, errno, "process.ioPriority");
	return 0;
}

int sched_apply_final(const struct spec_sched *s, struct berth_err *err)
{
	return set_affinity(s->cpus_final, "final", err);
}

static const struct sched_name mpol_modes[] = {
	{ "MPOL_DEFAULT", MPOL_DEFAULT },	  { "MPOL_PREFERRED", MPOL_PREFERRED },
	{ "MPOL_BIND", MPOL_BIND },		  { "MPOL_INTERLEAVE", MPOL_INTERLEAVE },
	{ "MPOL_LOCAL", MPOL_LOCAL },		  { "MPOL_PREFERRED_MANY", MPOL_PREFERRED_MANY },
	{ "MPOL_WEIGHTED_INTERLEAVE", 6 },
};

static const struct sched_name mpol_flags[] = {
	{ "MPOL_F_NUMA_BALANCING", MPOL_F_NUMA_BALANCING },
	{ "MPOL_F_RELATIVE_NODES", MPOL_F_RELATIVE_NODES },
	{ "MPOL_F_STATIC_NODES", MPOL_F_STATIC_NODES },
};

/* Node lists share the CPU list syntax; 1024 nodes is MAX_NUMNODES'
 * largest configuration. */
#define NODE_BITS 1024

int sched_mempolicy_parse(json_object *linux_obj, struct spec_mempolicy *out,
			  struct berth_err *err)
{
	const char *path = "linux.memoryPolicy";
	const char *mode = NULL, *nodes = NULL;
	json_object *o;
	uint64_t u = 0;
	int r;

	if ((r = json_get_object(linux_obj, "memoryPolicy", "linux", &o, err)) <= 0)
		return r;
	if (json_get_string(o, "mode", path, &mode, err) < 0 ||
	    json_get_string(o, "nodes", path, &nodes, err) < 0)
		return -1;
	if (mode == NULL)
		return berth_err_set(err, 0, "%s.mode: required", path);
	if (!name_find(mpol_modes, ARRAY_SIZE(mpol_modes), mode, &u))
		return berth_err_set(err, 0, "%s.mode: unknown mode \"%s\"", path, mode);
	out->mode = (int)u;
	u = 0;
	if (flags_parse(o, path, mpol_flags, ARRAY_SIZE(mpol_flags), &u, err) < 0)
		return -1;
	out->flags = (unsigned)u;
	if (nodes != NULL && nodes[0] != '\0') {
		unsigned long mask[NODE_BITS / (8 * sizeof(unsigned long))];
		if (sched_cpulist_parse(nodes, mask, sizeof(mask)) < 0)
			return berth_err_set(err, 0, "%s.nodes: \"%s\" is not a node list", path,
					     nodes);
		out->nodes = xstrdup(nodes);
	}
	/* The kernel's rules (set_mempolicy(2)): these modes need nodes,
	 * default and local take none. */
	if ((out->mode == MPOL_BIND || out->mode == MPOL_INTERLEAVE ||
	     out->mode == MPOL_PREFERRED_MANY || out->mode == 6) && out->nodes == NULL)
		return berth_err_set(err, 0, "%s.nodes: %s needs nodes", path, mode);
	if ((out->mode == MPOL_DEFAULT || out->mode == MPOL_LOCAL) && out->nodes != NULL)
		return berth_err_set(err, 0, "%s.nodes: %s takes no nodes", path, mode);
	out->present = true;
	return 0;
}

void sched_mempolicy_clear(struct spec_mempolicy *m)
{
	free(m->nodes);
	memset(m, 0, sizeof(*m));
}

int sched_mempolicy_apply(const struct spec_mempolicy *m, struct berth_err *err)
{
	unsigned long mask[NODE_BITS / (8 * sizeof(unsigned long))];

	if (!m->present)
		return 0;
	memset(mask, 0, sizeof(mask));
	if (m->nodes != NULL && sched_cpulist_parse(m->nodes, mask, sizeof(mask)) < 0)
		return berth_err_set(err, EINVAL, "linux.memoryPolicy.nodes");
	if (syscall(SYS_set_mempolicy, m->mode | (int)m->flags, m->nodes ? mask : NULL,
		    m->nodes ? (unsigned long)NODE_BITS : 0UL) < 0)
		return berth_err_set(err, errno, "linux.memoryPolicy");
	return 0;
}

const char *const *sched_mempolicy_known_modes(void)
{
	static const char *names[ARRAY_SIZE(mpol_modes) + 1];

	for (size_t i = 0; i < ARRAY_SIZE(mpol_modes); i++)
		names[i] = mpol_modes[i].name;
	return names;
}

const char *const *sched_mempolicy_known_flags(void)
{
	static const char *names[ARRAY_SIZE(mpol_flags) + 1];

	for (size_t i = 0; i < ARRAY_SIZE(mpol_flags); i++)
		names[i] = mpol_flags[i].name;
	return names;
}
