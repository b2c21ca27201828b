/* linux.resources from the runtime spec as a plain struct.
 *
 * Only what the document sets is marked (has_* flags, non-empty arrays), so
 * the same parser serves `create` (the whole spec) and `update` (a partial
 * resources document that cgroup_resources_merge() overlays on the stored
 * one). Values are checked for type and range here; whether a host can honour
 * them is the backends' business. */
#include "runtime/cgroup/resources.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/xalloc.h"

#define RWM_ALL 7

/* runc 1.1's AllowedDevices: no /dev/console (5:1), which the container
 * reaches as its pty slave (136:N) bound there. */
const struct cgroup_device_rule cgroup_default_device_rules[] = {
	/* mknod of any node is harmless without the matching r/w rule, and
	 * images unpacked inside the container may need it (runc allows it). */
	{ true, 'c', -1, -1, "m" },    /* mknod of char nodes */
	{ true, 'b', -1, -1, "m" },    /* mknod of block nodes */
	{ true, 'c', 1, 3, "rwm" },    /* /dev/null */
	{ true, 'c', 1, 5, "rwm" },    /* /dev/zero */
	{ true, 'c', 1, 7, "rwm" },    /* /dev/full */
	{ true, 'c', 1, 8, "rwm" },    /* /dev/random */
	{ true, 'c', 1, 9, "rwm" },    /* /dev/urandom */
	{ true, 'c', 5, 0, "rwm" },    /* /dev/tty */
	{ true, 'c', 5, 2, "rwm" },    /* /dev/ptmx */
	{ true, 'c', 136, -1, "rwm" }, /* /dev/pts/N */
	{ true, 'c', 10, 200, "rwm" }, /* /dev/net/tun, as runc allows: a node the
					* container must still be given */
};
const size_t cgroup_n_default_device_rules = ARRAY_SIZE(cgroup_default_device_rules);

static char *path_at(const char *path, const char *key)
{
	return xasprintf("%s.%s", path, key);
}

static char *path_idx(const char *path, const char *key, size_t i)
{
	return xasprintf("%s.%s[%zu]", path, key, i);
}

/* A blkio weight: 10-1000, or 0 for "not set" (runc writes a weight only
 * when it is not 0: docker always sends one, 0 without --blkio-weight). */
static int get_weight(json_object *o, const char *key, const char *path, bool *has,
		      uint16_t *out, struct berth_err *err)
{
	int64_t v;
	int r = json_get_int_range(o, key, path, 0, 1000, &v, err);

	if (r > 0 && v != 0 && v < 10)
		return berth_err_set(err, EINVAL, "%s.%s: %" PRId64 " out of range [10, 1000]",
				     path, key, v);
	if (r > 0 && v != 0) {
		*has = true;
		*out = (uint16_t)v;
	}
	return r;
}

/* memory.swappiness: 0-100; -1, which docker sends as 2^64-1 (its -1 as
 * the spec's uint64), means "not set", as runc reads it. */
static int parse_swappiness(json_object *m, const char *p, int64_t *out, struct berth_err *err)
{
	json_object *v = NULL;
	int k;

	if (json_object_object_get_ex(m, "swappiness", &v) && json_object_is_type(v, json_type_int) &&
	    (json_object_get_int64(v) == -1 || json_object_get_uint64(v) == UINT64_MAX))
		return 0;
	if ((k = json_get_int_range(m, "swappiness", p, 0, 100, out, err)) < 0)
		return -1;
	return k;
}

static int parse_memory(json_object *res, const char *path, struct cgroup_resources *r,
			struct berth_err *err)
{
	json_object *m = NULL;
	autofree char *p = path_at(path, "memory");
	int64_t swappiness;
	int k;

	k = json_get_object(res, "memory", path, &m, err);
	if (k <= 0)
		return k;
	if ((k = json_get_int64(m, "limit", p, &r->mem_limit, err)) < 0)
		return -1;
	r->has_mem_limit = k > 0;
	if ((k = json_get_int64(m, "reservation", p, &r->mem_reservation, err)) < 0)
		return -1;
	r->has_mem_reservation = k > 0;
	if ((k = json_get_int64(m, "swap", p, &r->mem_swap, err)) < 0)
		return -1;
	r->has_mem_swap = k > 0;
	if ((k = json_get_int64(m, "kernel", p, &r->mem_kernel, err)) < 0)
		return -1;
	r->has_mem_kernel = k > 0;
	if ((k = json_get_int64(m, "kernelTCP", p, &r->mem_kernel_tcp, err)) < 0)
		return -1;
	r->has_mem_kernel_tcp = k > 0;
	if ((k = parse_swappiness(m, p, &swappiness, err)) < 0)
		return -1;
	r->has_mem_swappiness = k > 0;
	if (k > 0)
		r->mem_swappiness = (uint64_t)swappiness;
	if ((k = json_get_bool(m, "disableOOMKiller", p, &r->disable_oom_killer, err)) < 0)
		return -1;
	r->has_disable_oom_killer = k > 0;
	if ((k = json_get_bool(m, "useHierarchy", p, &r->use_hierarchy, err)) < 0)
		return -1;
	r->has_use_hierarchy = k > 0;
	return 0;
}

static int parse_cpu(json_object *res, const char *path, struct cgroup_resources *r,
		     struct berth_err *err)
{
	json_object *c = NULL;
	autofree char *p = path_at(path, "cpu");
	const char *s;
	int k;

	k = json_get_object(res, "cpu", path, &c, err);
	if (k <= 0)
		return k;
	if ((k = json_get_uint64(c, "shares", p, &r->cpu_shares, err)) < 0)
		return -1;
	r->has_cpu_shares = k > 0;
	if ((k = json_get_int64(c, "quota", p, &r->cpu_quota, err)) < 0)
		return -1;
	r->has_cpu_quota = k > 0;
	if ((k = json_get_uint64(c, "period", p, &r->cpu_period, err)) < 0)
		return -1;
	r->has_cpu_period = k > 0;
	if ((k = json_get_uint64(c, "burst", p, &r->cpu_burst, err)) < 0)
		return -1;
	r->has_cpu_burst = k > 0;
	if ((k = json_get_int64(c, "realtimeRuntime", p, &r->cpu_rt_runtime, err)) < 0)
		return -1;
	r->has_cpu_rt_runtime = k > 0;
	if ((k = json_get_uint64(c, "realtimePeriod", p, &r->cpu_rt_period, err)) < 0)
		return -1;
	r->has_cpu_rt_period = k > 0;
	if ((k = json_get_int64(c, "idle", p, &r->cpu_idle, err)) < 0)
		return -1;
	r->has_cpu_idle = k > 0;
	s = NULL;
	if (json_get_string(c, "cpus", p, &s, err) < 0)
		return -1;
	if (s != NULL && *s != '\0')
		r->cpuset_cpus = xstrdup(s);
	s = NULL;
	if (json_get_string(c, "mems", p, &s, err) < 0)
		return -1;
	if (s != NULL && *s != '\0')
		r->cpuset_mems = xstrdup(s);
	return 0;
}

static int parse_pids(json_object *res, const char *path, struct cgroup_resources *r,
		      struct berth_err *err)
{
	json_object *o = NULL;
	autofree char *p = path_at(path, "pids");
	int k = json_get_object(res, "pids", path, &o, err);

	if (k <= 0)
		return k;
	if ((k = json_get_int64(o, "limit", p, &r->pids_limit, err)) < 0)
		return -1;
	r->has_pids_limit = k > 0;
	return 0;
}

static int parse_major_minor(json_object *e, const char *p, int64_t *major, int64_t *minor,
			     bool required, struct berth_err *err)
{
	int k;

	*major = *minor = -1;
	if ((k = json_get_int_range(e, "major", p, -1, INT32_MAX, major, err)) < 0)
		return -1;
	if (k == 0 && required)
		return berth_err_set(err, EINVAL, "%s.major: required", p);
	if ((k = json_get_int_range(e, "minor", p, -1, INT32_MAX, minor, err)) < 0)
		return -1;
	if (k == 0 && required)
		return berth_err_set(err, EINVAL, "%s.minor: required", p);
	return 0;
}

static int parse_throttle(json_object *blk, const char *bpath, const char *key,
			  struct cgroup_throttle **out, size_t *n, struct berth_err *err)
{
	json_object *arr = NULL;
	int k = json_get_array(blk, key, bpath, &arr, err);

	if (k <= 0)
		return k;
	*n = json_object_array_length(arr);
	*out = xcalloc(*n + 1, sizeof(**out));
	for (size_t i = 0; i < *n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		autofree char *p = path_idx(bpath, key, i);
		if (!json_object_is_type(e, json_type_object))
			return berth_err_set(err, EINVAL, "%s: expected an object", p);
		if (parse_major_minor(e, p, &(*out)[i].major, &(*out)[i].minor, true, err) < 0)
			return -1;
		if ((k = json_get_uint64(e, "rate", p, &(*out)[i].rate, err)) < 0)
			return -1;
		if (k == 0)
			return berth_err_set(err, EINVAL, "%s.rate: required", p);
	}
	return 0;
}

static int parse_blkio(json_object *res, const char *path, struct cgroup_resources *r,
		       struct berth_err *err)
{
	json_object *b = NULL, *arr = NULL;
	autofree char *p = path_at(path, "blockIO");
	int k = json_get_object(res, "blockIO", path, &b, err);

	if (k <= 0)
		return k;
	if (get_weight(b, "weight", p, &r->has_blkio_weight, &r->blkio_weight, err) < 0 ||
	    get_weight(b, "leafWeight", p, &r->has_blkio_leaf_weight, &r->blkio_leaf_weight,
		       err) < 0)
		return -1;
	if ((k = json_get_array(b, "weightDevice", p, &arr, err)) < 0)
		return -1;
	if (k > 0) {
		r->n_weight_devices = json_object_array_length(arr);
		r->weight_devices = xcalloc(r->n_weight_devices + 1, sizeof(*r->weight_devices));
		for (size_t i = 0; i < r->n_weight_devices; i++) {
			struct cgroup_weight_device *wd = &r->weight_devices[i];
			json_object *e = json_object_array_get_idx(arr, i);
			autofree char *ep = path_idx(p, "weightDevice", i);
			if (!json_object_is_type(e, json_type_object))
				return berth_err_set(err, EINVAL, "%s: expected an object", ep);
			if (parse_major_minor(e, ep, &wd->major, &wd->minor, true, err) < 0 ||
			    get_weight(e, "weight", ep, &wd->has_weight, &wd->weight, err) < 0 ||
			    get_weight(e, "leafWeight", ep, &wd->has_leaf_weight, &wd->leaf_weight,
				       err) < 0)
				return -1;
		}
	}
	if (parse_throttle(b, p, "throttleReadBpsDevice", &r->throttle_read_bps,
			   &r->n_throttle_read_bps, err) < 0 ||
	    parse_throttle(b, p, "throttleWriteBpsDevice", &r->throttle_write_bps,
			   &r->n_throttle_write_bps, err) < 0 ||
	    parse_throttle(b, p, "throttleReadIOPSDevice", &r->throttle_read_iops,
			   &r->n_throttle_read_iops, err) < 0 ||
	    parse_throttle(b, p, "throttleWriteIOPSDevice", &r->throttle_write_iops,
			   &r->n_throttle_write_iops, err) < 0)
		return -1;
	return 0;
}

/* "2MB", "1GB", "64KB": what the hugetlb files are named after. */
static bool hugepage_size_valid(const char *s)
{
	size_t i = 0;

	while (s[i] >= '0' && s[i] <= '9')
		i++;
	return i > 0 &&
	       (strcmp(s + i, "KB") == 0 || strcmp(s + i, "MB") == 0 || strcmp(s + i, "GB") == 0);
}

static int parse_hugepages(json_object *res, const char *path, struct cgroup_resources *r,
			   struct berth_err *err)
{
	json_object *arr = NULL;
	int k = json_get_array(res, "hugepageLimits", path, &arr, err);

	if (k <= 0)
		return k;
	r->n_hugepages = json_object_array_length(arr);
	r->hugepages = xcalloc(r->n_hugepages + 1, sizeof(*r->hugepages));
	for (size_t i = 0; i < r->n_hugepages; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		autofree char *p = path_idx(path, "hugepageLimits", i);
		const char *size = NULL;
		if (!json_object_is_type(e, json_type_object))
			return berth_err_set(err, EINVAL, "%s: expected an object", p);
		if (json_get_string(e, "pageSize", p, &size, err) < 0)
			return -1;
		if (size == NULL || !hugepage_size_valid(size))
			return berth_err_set(err, EINVAL,
					     "%s.pageSize: must be a size such as \"2MB\"", p);
		r->hugepages[i].page_size = xstrdup(size);
		if ((k = json_get_uint64(e, "limit", p, &r->hugepages[i].limit, err)) < 0)
			return -1;
		if (k == 0)
			return berth_err_set(err, EINVAL, "%s.limit: required", p);
	}
	return 0;
}

static int access_parse(const char *s, char out[4])
{
	int mask = 0;

	for (const char *c = s; *c != '\0'; c++) {
		int bit = *c == 'r' ? 1 : *c == 'w' ? 2 : *c == 'm' ? 4 : 0;
		if (bit == 0 || (mask & bit) != 0)
			return -1;
		mask |= bit;
	}
	if (mask == 0)
		mask = RWM_ALL;
	/* Canonical order so rules compare and print the same way. */
	size_t n = 0;
	if (mask & 1)
		out[n++] = 'r';
	if (mask & 2)
		out[n++] = 'w';
	if (mask & 4)
		out[n++] = 'm';
	out[n] = '\0';
	return 0;
}

static int parse_devices(json_object *res, const char *path, struct cgroup_resources *r,
			 struct berth_err *err)
{
	json_object *arr = NULL;
	int k = json_get_array(res, "devices", path, &arr, err);

	if (k <= 0)
		return k;
	r->has_devices = true;
	r->n_devices = json_object_array_length(arr);
	r->devices = xcalloc(r->n_devices + 1, sizeof(*r->devices));
	for (size_t i = 0; i < r->n_devices; i++) {
		struct cgroup_device_rule *d = &r->devices[i];
		json_object *e = json_object_array_get_idx(arr, i);
		autofree char *p = path_idx(path, "devices", i);
		const char *type = "a", *access = "";
		if (!json_object_is_type(e, json_type_object))
			return berth_err_set(err, EINVAL, "%s: expected an object", p);
		if ((k = json_get_bool(e, "allow", p, &d->allow, err)) < 0)
			return -1;
		if (k == 0)
			return berth_err_set(err, EINVAL, "%s.allow: required", p);
		if (json_get_string(e, "type", p, &type, err) < 0)
			return -1;
		if (strcmp(type, "a") != 0 && strcmp(type, "b") != 0 && strcmp(type, "c") != 0)
			return berth_err_set(err, EINVAL, "%s.type: must be one of a, b, c", p);
		d->type = type[0];
		if (parse_major_minor(e, p, &d->major, &d->minor, false, err) < 0)
			return -1;
		if (json_get_string(e, "access", p, &access, err) < 0)
			return -1;
		if (access_parse(access, d->access) < 0)
			return berth_err_set(
			    err, EINVAL, "%s.access: must be letters from \"rwm\", each once", p);
	}
	return 0;
}

static int parse_unified(json_object *res, const char *path, struct cgroup_resources *r,
			 struct berth_err *err)
{
	json_object *u = NULL;
	size_t i = 0;
	int k = json_get_object(res, "unified", path, &u, err);

	if (k <= 0)
		return k;
	r->unified = xcalloc((size_t)json_object_object_length(u) + 1, sizeof(*r->unified));
	json_object_object_foreach(u, key, val)
	{
		/* Keys name files in the container's cgroup directory: nothing
		 * may lead out of it. */
		if (*key == '\0' || strchr(key, '/') != NULL || key[0] == '.' ||
		    strchr(key, '.') == NULL)
			return berth_err_set(err, EINVAL,
					     "%s.unified.%s: not a cgroup interface file name",
					     path, key);
		if (val == NULL || !json_object_is_type(val, json_type_string))
			return berth_err_set(err, EINVAL, "%s.unified.%s: expected a string", path,
					     key);
		if (memchr(json_object_get_string(val), '\0',
			   (size_t)json_object_get_string_len(val)) != NULL)
			return berth_err_set(err, EINVAL, "%s.unified.%s: contains a NUL byte",
					     path, key);
		r->unified[i].key = xstrdup(key);
		r->unified[i].value = xstrdup(json_object_get_string(val));
		r->n_unified = ++i;
	}
	return 0;
}

static int parse_network(json_object *res, const char *path, struct cgroup_resources *r,
			 struct berth_err *err)
{
	json_object *n = NULL;
	autofree char *p = path_at(path, "network");
	int64_t id;
	int k = json_get_object(res, "network", path, &n, err);

	if (k <= 0)
		return k;
	if ((k = json_get_int_range(n, "classID", p, 0, UINT32_MAX, &id, err)) < 0)
		return -1;
	if (k > 0) {
		r->has_net_class_id = true;
		r->net_class_id = (uint32_t)id;
	}
	/* priorities (net_prio) are accepted and not applied: no host we
	 * target mounts net_prio, and cgroup v2 has no equivalent. */
	return 0;
}

/* The values runc reads as "not set" when they are 0 (its fs and fs2
 * backends write each only when it is not 0): engines send them so, docker
 * all of them on every create and update. Unset here, they leave the
 * cgroup as it is, need no controller, and an update keeps what was set. */
static void zeros_unset(struct cgroup_resources *r)
{
	struct {
		bool *has;
		bool zero;
	} v[] = {
		{ &r->has_mem_limit, r->mem_limit == 0 },
		{ &r->has_mem_reservation, r->mem_reservation == 0 },
		{ &r->has_mem_swap, r->mem_swap == 0 },
		{ &r->has_mem_kernel, r->mem_kernel == 0 },
		{ &r->has_mem_kernel_tcp, r->mem_kernel_tcp == 0 },
		{ &r->has_cpu_shares, r->cpu_shares == 0 },
		{ &r->has_cpu_quota, r->cpu_quota == 0 },
		{ &r->has_cpu_period, r->cpu_period == 0 },
		{ &r->has_cpu_rt_runtime, r->cpu_rt_runtime == 0 },
		{ &r->has_cpu_rt_period, r->cpu_rt_period == 0 },
		{ &r->has_pids_limit, r->pids_limit == 0 },
		{ &r->has_net_class_id, r->net_class_id == 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		if (v[i].zero)
			*v[i].has = false;
}

int cgroup_resources_check(const struct cgroup_resources *r, const char *path,
			   struct berth_err *err)
{
	/* The spec's swap is memory+swap, so it can never be below the memory
	 * limit; 0 and -1 mean "unset" and "unlimited". */
	if (r->has_mem_limit && r->has_mem_swap && r->mem_limit > 0 && r->mem_swap > 0 &&
	    r->mem_swap < r->mem_limit)
		return berth_err_set(err, EINVAL,
				     "%s.memory.swap: %" PRId64 " is below memory.limit %" PRId64
				     " (swap counts memory plus swap)",
				     path, r->mem_swap, r->mem_limit);
	return 0;
}

int cgroup_resources_parse(json_object *obj, const char *path, struct cgroup_resources **out,
			   struct berth_err *err)
{
	struct cgroup_resources *r = xzalloc(sizeof(*r));

	if (path == NULL)
		path = "linux.resources";
	if (obj != NULL && !json_object_is_type(obj, json_type_object)) {
		cgroup_resources_free(r);
		return berth_err_set(err, EINVAL, "%s: expected an object", path);
	}
	if (parse_memory(obj, path, r, err) < 0 || parse_cpu(obj, path, r, err) < 0 ||
	    parse_pids(obj, path, r, err) < 0 || parse_blkio(obj, path, r, err) < 0 ||
	    parse_hugepages(obj, path, r, err) < 0 || parse_devices(obj, path, r, err) < 0 ||
	    parse_unified(obj, path, r, err) < 0 || parse_network(obj, path, r, err) < 0 ||
	    (zeros_unset(r), cgroup_resources_check(r, path, err)) < 0) {
		cgroup_resources_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

static void merge_str(char **dst, const char *src)
{
	if (src == NULL)
		return;
	free(*dst);
	*dst = xstrdup(src);
}

/* Entries naming the same device replace the old ones; new ones append. */
static void merge_throttle(struct cgroup_throttle **dst, size_t *nd,
			   const struct cgroup_throttle *src, size_t ns)
{
	for (size_t i = 0; i < ns; i++) {
		size_t j;
		for (j = 0; j < *nd; j++)
			if ((*dst)[j].major == src[i].major && (*dst)[j].minor == src[i].minor)
				break;
		if (j == *nd) {
			*dst = xreallocarray(*dst, *nd + 1, sizeof(**dst));
			(*nd)++;
		}
		(*dst)[j] = src[i];
	}
}

static void merge_weight_devices(struct cgroup_resources *dst, const struct cgroup_resources *src)
{
	for (size_t i = 0; i < src->n_weight_devices; i++) {
		const struct cgroup_weight_device *s = &src->weight_devices[i];
		struct cgroup_weight_device *d = NULL;
		for (size_t j = 0; j < dst->n_weight_devices && d == NULL; j++)
			if (dst->weight_devices[j].major == s->major &&
			    dst->weight_devices[j].minor == s->minor)
				d = &dst->weight_devices[j];
		if (d == NULL) {
			dst->weight_devices = xreallocarray(dst->weight_devices,
							    dst->n_weight_devices + 1, sizeof(*d));
			d = &dst->weight_devices[dst->n_weight_devices++];
			*d = (struct cgroup_weight_device){ .major = s->major, .minor = s->minor };
		}
		if (s->has_weight) {
			d->has_weight = true;
			d->weight = s->weight;
		}
		if (s->has_leaf_weight) {
			d->has_leaf_weight = true;
			d->leaf_weight = s->leaf_weight;
		}
	}
}

static void merge_hugepages(struct cgroup_resources *dst, const struct cgroup_resources *src)
{
	for (size_t i = 0; i < src->n_hugepages; i++) {
		size_t j;
		for (j = 0; j < dst->n_hugepages; j++)
			if (strcmp(dst->hugepages[j].page_size, src->hugepages[i].page_size) == 0)
				break;
		if (j == dst->n_hugepages) {
			dst->hugepages =
			    xreallocarray(dst->hugepages, j + 1, sizeof(*dst->hugepages));
			dst->hugepages[j].page_size = xstrdup(src->hugepages[i].page_size);
			dst->n_hugepages++;
		}
		dst->hugepages[j].limit = src->hugepages[i].limit;
	}
}

static void merge_unified(struct cgroup_resources *dst, const struct cgroup_resources *src)
{
	for (size_t i = 0; i < src->n_unified; i++) {
		size_t j;
		for (j = 0; j < dst->n_unified; j++)
			if (strcmp(dst->unified[j].key, src->unified[i].key) == 0)
				break;
		if (j == dst->n_unified) {
			dst->unified = xreallocarray(dst->unified, j + 1, sizeof(*dst->unified));
			dst->unified[j].key = xstrdup(src->unified[i].key);
			dst->unified[j].value = NULL;
			dst->n_unified++;
		}
		merge_str(&dst->unified[j].value, src->unified[i].value);
	}
}

bool cgroup_resources_has_limits(const struct cgroup_resources *r)
{
	if (r == NULL)
		return false;
	return r->has_mem_limit || r->has_mem_reservation || r->has_mem_swap || r->has_mem_kernel ||
	       r->has_mem_kernel_tcp || r->has_mem_swappiness || r->has_disable_oom_killer ||
	       r->has_cpu_shares || r->has_cpu_quota || r->has_cpu_period ||
	       r->has_cpu_rt_runtime || r->has_cpu_rt_period || r->has_cpu_idle ||
	       r->has_cpu_burst || r->cpuset_cpus != NULL || r->cpuset_mems != NULL ||
	       r->has_pids_limit || r->has_blkio_weight || r->has_blkio_leaf_weight ||
	       r->n_weight_devices > 0 || r->n_throttle_read_bps > 0 ||
	       r->n_throttle_write_bps > 0 || r->n_throttle_read_iops > 0 ||
	       r->n_throttle_write_iops > 0 || r->n_hugepages > 0 || r->n_unified > 0 ||
	       r->has_net_class_id;
}

void cgroup_resources_merge(struct cgroup_resources *dst, const struct cgroup_resources *src)
{
#define M(flag, field)                                                                             \
	do {                                                                                       \
		if (src->flag) {                                                                   \
			dst->flag = true;                                                          \
			dst->field = src->field;                                                   \
		}                                                                                  \
	} while (0)
	M(has_mem_limit, mem_limit);
	M(has_mem_reservation, mem_reservation);
	M(has_mem_swap, mem_swap);
	M(has_mem_kernel, mem_kernel);
	M(has_mem_kernel_tcp, mem_kernel_tcp);
	M(has_mem_swappiness, mem_swappiness);
	M(has_disable_oom_killer, disable_oom_killer);
	M(has_use_hierarchy, use_hierarchy);
	M(has_cpu_shares, cpu_shares);
	M(has_cpu_quota, cpu_quota);
	M(has_cpu_period, cpu_period);
	M(has_cpu_rt_runtime, cpu_rt_runtime);
	M(has_cpu_rt_period, cpu_rt_period);
	M(has_cpu_idle, cpu_idle);
	M(has_cpu_burst, cpu_burst);
	M(has_pids_limit, pids_limit);
	M(has_blkio_weight, blkio_weight);
	M(has_blkio_leaf_weight, blkio_leaf_weight);
	M(has_net_class_id, net_class_id);
#undef M
	merge_str(&dst->cpuset_cpus, src->cpuset_cpus);
	merge_str(&dst->cpuset_mems, src->cpuset_mems);
	merge_weight_devices(dst, src);
	merge_throttle(&dst->throttle_read_bps, &dst->n_throttle_read_bps, src->throttle_read_bps,
		       src->n_throttle_read_bps);
	merge_throttle(&dst->throttle_write_bps, &dst->n_throttle_write_bps,
		       src->throttle_write_bps, src->n_throttle_write_bps);
	merge_throttle(&dst->throttle_read_iops, &dst->n_throttle_read_iops,
		       src->throttle_read_iops, src->n_throttle_read_iops);
	merge_throttle(&dst->throttle_write_iops, &dst->n_throttle_write_iops,
		       src->throttle_write_iops, src->n_throttle_write_iops);
	merge_hugepages(dst, src);
	merge_unified(dst, src);
	/* A device list is a whole policy (order matters), so a new one
	 * replaces the old rather than being spliced into it. */
	if (src->has_devices) {
		free(dst->devices);
		dst->n_devices = src->n_devices;
		dst->devices = xcalloc(src->n_devices + 1, sizeof(*dst->devices));
		if (src->n_devices > 0)
			memcpy(dst->devices, src->devices, src->n_devices * sizeof(*src->devices));
		dst->has_devices = true;
	}
}

void cgroup_resources_free(struct cgroup_resources *r)
{
	if (r == NULL)
		return;
	free(r->cpuset_cpus);
	free(r->cpuset_mems);
	free(r->weight_devices);
	free(r->throttle_read_bps);
	free(r->throttle_write_bps);
	free(r->throttle_read_iops);
	free(r->throttle_write_iops);
	for (size_t i = 0; i < r->n_hugepages; i++)
		free(r->hugepages[i].page_size);
	free(r->hugepages);
	free(r->devices);
	for (size_t i = 0; i < r->n_unified; i++) {
		free(r->unified[i].key);
		free(r->unified[i].value);
	}
	free(r->unified);
	free(r);
}
