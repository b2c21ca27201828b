/* update: change a running container's cgroup limits, from flags or from a
 * linux.resources document (-r FILE, "-" for stdin). */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/runtime.h"
#include "cli/units.h"
#include "runtime/cgroup/resources.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/num.h"
#include "util/xalloc.h"

/* Bounds what -r reads: a resources document is a few KiB. */
#define UPDATE_RESOURCES_MAX (1 << 20)

enum update_kind { UPD_SIZE, UPD_INT, UPD_UINT, UPD_U16, UPD_STRING };

/* The flags that map to one field of struct cgroup_resources, in the order
 * of the value slots in struct update_flags. */
enum {
	UPD_MEMORY,
	UPD_MEMORY_RESERVATION,
	UPD_MEMORY_SWAP,
	UPD_KERNEL_MEMORY,
	UPD_KERNEL_MEMORY_TCP,
	UPD_CPU_SHARES,
	UPD_CPU_SHARE, /* runc's spelling of --cpu-shares */
	UPD_CPU_QUOTA,
	UPD_CPU_PERIOD,
	UPD_CPU_RT_PERIOD,
	UPD_CPU_RT_RUNTIME,
	UPD_CPUSET_CPUS,
	UPD_CPUSET_MEMS,
	UPD_PIDS_LIMIT,
	UPD_BLKIO_WEIGHT,
	UPD_COUNT
};

#define NO_HAS SIZE_MAX
#define RES(f) offsetof(struct cgroup_resources, f)

static const struct update_field {
	const char *flag;
	enum update_kind kind;
	size_t has; /* offset of the bool has_* flag, or NO_HAS */
	size_t value;
} update_fields[UPD_COUNT] = {
	[UPD_MEMORY] = { "memory", UPD_SIZE, RES(has_mem_limit), RES(mem_limit) },
	[UPD_MEMORY_RESERVATION] = { "memory-reservation", UPD_SIZE, RES(has_mem_reservation),
				     RES(mem_reservation) },
	[UPD_MEMORY_SWAP] = { "memory-swap", UPD_SIZE, RES(has_mem_swap), RES(mem_swap) },
	[UPD_KERNEL_MEMORY] = { "kernel-memory", UPD_SIZE, RES(has_mem_kernel), RES(mem_kernel) },
	[UPD_KERNEL_MEMORY_TCP] = { "kernel-memory-tcp", UPD_SIZE, RES(has_mem_kernel_tcp),
				    RES(mem_kernel_tcp) },
	[UPD_CPU_SHARES] = { "cpu-shares", UPD_UINT, RES(has_cpu_shares), RES(cpu_shares) },
	[UPD_CPU_SHARE] = { "cpu-share", UPD_UINT, RES(has_cpu_shares), RES(cpu_shares) },
	[UPD_CPU_QUOTA] = { "cpu-quota", UPD_INT, RES(has_cpu_quota), RES(cpu_quota) },
	[UPD_CPU_PERIOD] = { "cpu-period", UPD_UINT, RES(has_cpu_period), RES(cpu_period) },
	[UPD_CPU_RT_PERIOD] = { "cpu-rt-period", UPD_UINT, RES(has_cpu_rt_period),
				RES(cpu_rt_period) },
	[UPD_CPU_RT_RUNTIME] = { "cpu-rt-runtime", UPD_INT, RES(has_cpu_rt_runtime),
				 RES(cpu_rt_runtime) },
	[UPD_CPUSET_CPUS] = { "cpuset-cpus", UPD_STRING, NO_HAS, RES(cpuset_cpus) },
	[UPD_CPUSET_MEMS] = { "cpuset-mems", UPD_STRING, NO_HAS, RES(cpuset_mems) },
	[UPD_PIDS_LIMIT] = { "pids-limit", UPD_INT, RES(has_pids_limit), RES(pids_limit) },
	[UPD_BLKIO_WEIGHT] = { "blkio-weight", UPD_U16, RES(has_blkio_weight), RES(blkio_weight) },
};

struct update_flags {
	const char *resources;
	const char *l3_cache_schema;
	const char *mem_bw_schema;
	const char *values[UPD_COUNT];
};

/* The flag names repeat update_fields[].flag: a static initializer cannot
 * read them from another table. */
static const struct cli_opt update_table[] = {
	{ "resources", 'r', CLI_OPT_STRING, offsetof(struct update_flags, resources), "FILE",
	  "read linux.resources JSON from FILE (\"-\": stdin); other flags are then ignored" },
	{ "memory", 0, CLI_OPT_STRING, offsetof(struct update_flags, values[UPD_MEMORY]), "SIZE",
	  "memory limit (bytes, or with a unit: 64m, 1g)" },
	{ "memory-reservation", 0, CLI_OPT_STRING,
	  offsetof(struct update_flags, values[UPD_MEMORY_RESERVATION]), "SIZE",
	  "memory soft limit" },
	{ "memory-swap", 0, CLI_OPT_STRING, offsetof(struct update_flags, values[UPD_MEMORY_SWAP]),
	  "SIZE", "memory plus swap limit; -1 for unlimited swap" },
	{ "kernel-memory", 0, CLI_OPT_STRING,
	  offsetof(struct update_flags, values[UPD_KERNEL_MEMORY]), "SIZE", NULL },
	{ "kernel-memory-tcp", 0, CLI_OPT_STRING,
	  offsetof(struct update_flags, values[UPD_KERNEL_MEMORY_TCP]), "SIZE", NULL },
	{ "cpu-shares", 0, CLI_OPT_STRING, offsetof(struct update_flags, values[UPD_CPU_SHARES]),
	  "N", "CPU shares (relative weight)" },
	{ "cpu-share", 0, CLI_OPT_STRING, offsetof(struct update_flags, values[UPD_CPU_SHARE]), "N",
	  NULL },
	{ "cpu-quota", 0, CLI_OPT_STRING, offsetof(struct update_flags, values[UPD_CPU_QUOTA]),
	  "USECS", "CFS quota per period (-1: none)" },
	{ "cpu-period", 0, CLI_OPT_STRING, offsetof(struct update_flags, values[UPD_CPU_PERIOD]),
	  "USECS", "CFS period" },
	{ "cpu-rt-period", 0, CLI_OPT_STRING,
	  offsetof(struct update_flags, values[UPD_CPU_RT_PERIOD]), "USECS", "realtime period" },
	{ "cpu-rt-runtime", 0, CLI_OPT_STRING,
	  offsetof(struct update_flags, values[UPD_CPU_RT_RUNTIME]), "USECS", "realtime runtime" },
	{ "cpuset-cpus", 0, CLI_OPT_STRING, offsetof(struct update_flags, values[UPD_CPUSET_CPUS]),
	  "LIST", "CPUs to use (0-3,5)" },
	{ "cpuset-mems", 0, CLI_OPT_STRING, offsetof(struct update_flags, values[UPD_CPUSET_MEMS]),
	  "LIST", "memory nodes to use" },
	{ "pids-limit", 0, CLI_OPT_STRING, offsetof(struct update_flags, values[UPD_PIDS_LIMIT]),
	  "N", "maximum number of processes (0 or -1: unlimited)" },
	{ "blkio-weight", 0, CLI_OPT_STRING,
	  offsetof(struct update_flags, values[UPD_BLKIO_WEIGHT]), "N",
	  "block IO weight (10-1000)" },
	{ "l3-cache-schema", 0, CLI_OPT_STRING, offsetof(struct update_flags, l3_cache_schema),
	  "SCHEMA", "Intel RDT L3 schema (not supported)" },
	{ "mem-bw-schema", 0, CLI_OPT_STRING, offsetof(struct update_flags, mem_bw_schema),
	  "SCHEMA", "Intel RDT memory bandwidth schema (not supported)" },
	CLI_OPT_END,
};

/* runc's strconv.ParseInt and ParseUint; an unsigned value beyond
 * INT64_MAX has no field to go in. */
static int update_number(const char *s, bool is_signed, int64_t *out)
{
	uint64_t u;
	int r;

	if (is_signed)
		return num_parse_i64(s, 10, INT64_MIN, INT64_MAX, out);
	r = num_parse_u64(s, 10, INT64_MAX, &u);
	if (r == 0)
		*out = (int64_t)u;
	return r;
}

static int update_field_set(struct cgroup_resources *res, const struct update_field *f,
			    const char *value, struct berth_err *err)
{
	char *base = (char *)res;
	int64_t v = 0;
	int r = -1;

	switch (f->kind) {
	case UPD_STRING:
		free(*(char **)(base + f->value));
		*(char **)(base + f->value) = xstrdup(value);
		return 0;
	case UPD_SIZE:
		r = cli_parse_size(value, &v);
		break;
	case UPD_INT:
		r = update_number(value, true, &v);
		break;
	case UPD_UINT:
	case UPD_U16:
		r = update_number(value, false, &v);
		if (f->kind == UPD_U16 && v > UINT16_MAX)
			r = -1;
		break;
	}
	if (r < 0)
		return berth_err_set(err, 0, "invalid value \"%s\" for --%s", value, f->flag);
	*(bool *)(base + f->has) = true;
	if (f->kind == UPD_U16)
		*(uint16_t *)(base + f->value) = (uint16_t)v;
	else if (f->kind == UPD_UINT)
		*(uint64_t *)(base + f->value) = (uint64_t)v;
	else
		*(int64_t *)(base + f->value) = v;
	return 0;
}

static int update_from_file(const char *path, struct cgroup_resources **out, struct berth_err *err)
{
	autofree char *text = NULL;
	autojson json_object *doc = NULL;
	size_t len = 0;
	const char *what = strcmp(path, "-") == 0 ? "stdin" : path;

	if (fs_read_file(strcmp(path, "-") == 0 ? "/dev/stdin" : path, UPDATE_RESOURCES_MAX, &text,
			 &len, err) < 0)
		return berth_err_wrap(err, "read resources");
	if (json_parse_text(text, len, what, &doc, err) < 0)
		return -1;
	return cgroup_resources_parse(doc, "resources", out, err);
}

static int cmd_update(struct runtime_cli *cli, void *opts, char **args, struct berth_err *err)
{
	const struct update_flags *f = opts;
	struct cgroup_resources *res = NULL;
	int r;

	if (f->l3_cache_schema != NULL || f->mem_bw_schema != NULL)
		return berth_err_set(err, 0, "Intel RDT is not supported");
	if (f->resources != NULL) {
		if (update_from_file(f->resources, &res, err) < 0)
			return -1;
	} else {
		res = xzalloc(sizeof(*res));
		for (size_t i = 0; i < UPD_COUNT; i++) {
			if (f->values[i] == NULL)
				continue;
			if (update_field_set(res, &update_fields[i], f->values[i], err) < 0) {
				cgroup_resources_free(res);
				return -1;
			}
		}
	}
	r = container_update(&cli->ctx, args[0], res, err);
	cgroup_resources_free(res);
	return r;
}

const struct runtime_cmd runtime_cmd_update = {
	.name = "update",
	.args = "<container-id>",
	.summary = "change the resource limits of a running container",
	.opts = update_table,
	.opts_size = sizeof(struct update_flags),
	.min_args = 1,
	.max_args = 1,
	.run = cmd_update,
};
