/* --memory, --cpus, --pids-limit, --ulimit, --device and friends, checked
 * with docker's rules and words and written into a container's config.json
 * (linux.resources, process.rlimits, linux.devices) and its recorded
 * HostConfig.
 *
 * The rlimits: docker sets none unless --ulimit asks, so a container
 * inherits dockerd's; Berth's inherits the limits of the berth command that
 * created it (through the monitor and the runtime, which change none). An
 * inherited limit can never be above the host's hard limit, which is what
 * makes a podman whose default RLIMIT_NOFILE exceeds this host's hard limit
 * fail where Berth just works. */
#include "engine/ocispec-resources.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/num.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define CPUSET_MAX       65535 /* the largest cpu or node number a list may name */
#define DEVICE_DIR_DEPTH 8     /* how deep a --device directory is walked */

/* ---- small helpers ---------------------------------------------------------- */

/* The object at key, added when missing. */
static json_object *child(json_object *o, const char *key)
{
	json_object *c = NULL;

	if (json_object_object_get_ex(o, key, &c) && json_object_is_type(c, json_type_object))
		return c;
	c = json_object_new_object();
	json_object_object_add(o, key, c);
	return c;
}

static json_object *child_array(json_object *o, const char *key)
{
	json_object *c = NULL;

	if (json_object_object_get_ex(o, key, &c) && json_object_is_type(c, json_type_array))
		return c;
	c = json_object_new_array();
	json_object_object_add(o, key, c);
	return c;
}

/* An rlimit value: -1 is RLIM_INFINITY, as runc reads docker's. */
static json_object *rlimit_value(int64_t v)
{
	return json_object_new_uint64(v < 0 ? UINT64_MAX : (uint64_t)v);
}

/* ---- --ulimit ---------------------------------------------------------------- */

static const struct {
	const char *name;
	int resource;
} ulimit_names[] = {
	{ "core", RLIMIT_CORE },         { "cpu", RLIMIT_CPU },
	{ "data", RLIMIT_DATA },         { "fsize", RLIMIT_FSIZE },
	{ "locks", RLIMIT_LOCKS },       { "memlock", RLIMIT_MEMLOCK },
	{ "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE },
	{ "nofile", RLIMIT_NOFILE },     { "nproc", RLIMIT_NPROC },
	{ "rss", RLIMIT_RSS },           { "rtprio", RLIMIT_RTPRIO },
	{ "rttime", RLIMIT_RTTIME },     { "sigpending", RLIMIT_SIGPENDING },
	{ "stack", RLIMIT_STACK },
};

/* -1 (unlimited) is above every number. */
static bool ulimit_above(int64_t a, int64_t b)
{
	if (a < 0)
		return b >= 0;
	return b >= 0 && a > b;
}

int ocispec_ulimit_parse(const char *s, struct ocispec_ulimit *out, struct berth_err *err)
{
	const char *eq = strchr(s, '='), *vals, *colon;
	autofree char *soft = NULL;
	size_t i;
	int r;

	if (eq == NULL)
		return berth_err_set(err, 0, "invalid ulimit argument: %s", s);
	for (i = 0; i < ARRAY_SIZE(ulimit_names); i++)
		if (strlen(ulimit_names[i].name) == (size_t)(eq - s) &&
		    strncmp(ulimit_names[i].name, s, (size_t)(eq - s)) == 0)
			break;
	if (i == ARRAY_SIZE(ulimit_names))
		return berth_err_set(err, 0, "invalid ulimit type: %.*s", (int)(eq - s), s);
	vals = eq + 1;
	colon = strchr(vals, ':');
	if (colon != NULL && strchr(colon + 1, ':') != NULL)
		return berth_err_set(err, 0,
				     "too many limit value arguments - %s, can only have up to "
				     "two, `soft[:hard]`",
				     vals);
	soft = colon != NULL ? xstrndup(vals, (size_t)(colon - vals)) : xstrdup(vals);
	if ((r = num_parse_i64(soft, 10, INT64_MIN, INT64_MAX, &out->soft)) < 0)
		return berth_err_set(err, 0, "invalid ulimit value \"%s\": %s", soft,
				     r == -ERANGE ? "value out of range" : "not an integer");
	out->hard = out->soft;
	if (colon != NULL &&
	    (r = num_parse_i64(colon + 1, 10, INT64_MIN, INT64_MAX, &out->hard)) < 0)
		return berth_err_set(err, 0, "invalid ulimit value \"%s\": %s", colon + 1,
				     r == -ERANGE ? "value out of range" : "not an integer");
	if (out->soft < -1 || out->hard < -1)
		return berth_err_set(err, 0, "invalid ulimit value %s: below -1 (unlimited)", vals);
	if (ulimit_above(out->soft, out->hard))
		return berth_err_set(err, 0,
				     "ulimit soft limit must be less than or equal to hard limit: "
				     "%lld > %lld",
				     (long long)out->soft, (long long)out->hard);
	out->name = ulimit_names[i].name;
	out->resource = ulimit_names[i].resource;
	return 0;
}

/* The --ulimit values, one per name (the last given wins, in the place of
 * the first), already checked. */
static int ulimits_collect(char *const *v, struct ocispec_ulimit **out, size_t *n,
			   struct berth_err *err)
{
	struct ocispec_ulimit *u = NULL;
	size_t count = 0;

	for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
		struct ocispec_ulimit one;
		size_t k;

		if (ocispec_ulimit_parse(v[i], &one, err) < 0) {
			free(u);
			return berth_err_wrap(err, "--ulimit %s", v[i]);
		}
		for (k = 0; k < count && u[k].resource != one.resource; k++)
			;
		if (k == count)
			u = xreallocarray(u, ++count, sizeof(*u));
		u[k] = one;
	}
	*out = u;
	*n = count;
	return 0;
}

/* A hard limit above the caller's can only be set with CAP_SYS_RESOURCE
 * in the initial user namespace (and, for nofile, not above fs.nr_open),
 * which an engine in a VM or a container may lack: this host's root
 * cannot raise RLIMIT_NOFILE past 20000. Tried on this process and put
 * back (lowering a hard limit is always allowed), so that the refusal
 * comes at create naming the flag, not from the runtime at start. */
static int ulimit_check_raise(const struct ocispec_ulimit *u, struct berth_err *err)
{
	rlim_t hard = u->hard < 0 ? RLIM_INFINITY : (rlim_t)u->hard;
	struct rlimit cur, want;

	if (getrlimit(u->resource, &cur) < 0 || hard <= cur.rlim_max)
		return 0;
	want = cur;
	want.rlim_max = hard;
	if (setrlimit(u->resource, &want) == 0) {
		setrlimit(u->resource, &cur);
		return 0;
	}
	return berth_err_set(err, errno,
			     "--ulimit %s: cannot raise the hard limit to %lld above this host's "
			     "%llu",
			     u->name, (long long)u->hard, (unsigned long long)cur.rlim_max);
}

static int ulimits_check(char *const *v, struct berth_err *err)
{
	struct ocispec_ulimit *u = NULL;
	size_t n = 0;
	int r = 0;

	if (ulimits_collect(v, &u, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && r == 0; i++)
		r = ulimit_check_raise(&u[i], err);
	free(u);
	return r;
}

static json_object *rlimits_json(const struct ocispec_ulimit *u, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_new_object();
		autofree char *type = xasprintf("RLIMIT_%s", u[i].name);

		for (char *c = type; *c != '\0'; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 'a' + 'A');
		json_object_object_add(r, "type", json_object_new_string(type));
		json_object_object_add(r, "hard", rlimit_value(u[i].hard));
		json_object_object_add(r, "soft", rlimit_value(u[i].soft));
		json_object_array_add(a, r);
	}
	return a;
}

/* ---- --device ---------------------------------------------------------------- */

/* docker's validDeviceMode: one to three of r, w, m, none twice. */
static bool device_mode_valid(const char *m)
{
	size_t n = strlen(m);

	if (n == 0 || n > 3)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strchr("rwm", m[i]) == NULL || strchr(m + i + 1, m[i]) != NULL)
			return false;
	return true;
}

void ocispec_device_spec_clear(struct ocispec_device_spec *d)
{
	free(d->host);
	free(d->container);
	free(d->perms);
	memset(d, 0, sizeof(*d));
}

int ocispec_device_parse(const char *s, struct ocispec_device_spec *out, struct berth_err *err)
{
	autostrv char **parts = NULL;
	const char *p = s;

	memset(out, 0, sizeof(*out));
	for (;;) {
		size_t n = strcspn(p, ":");
		strv_push_take(&parts, xstrndup(p, n));
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	switch (strv_len(parts)) {
	case 3:
		if (!device_mode_valid(parts[2]))
			return berth_err_set(err, 0, "bad mode specified: %s", parts[2]);
		out->perms = xstrdup(parts[2]);
		out->container = xstrdup(parts[1]);
		break;
	case 2:
		if (device_mode_valid(parts[1]))
			out->perms = xstrdup(parts[1]);
		else
			out->container = xstrdup(parts[1]);
		break;
	case 1:
		break;
	default:
		return berth_err_set(err, 0, "bad format for path: %s", s);
	}
	out->host = xstrdup(parts[0]);
	if (out->container == NULL)
		out->container = xstrdup(parts[0]);
	if (out->perms == NULL)
		out->perms = xstrdup("rwm");
	if (out->host[0] == '\0' || out->container[0] != '/') {
		berth_err_set(err, 0, "%s is not an absolute path", out->container);
		ocispec_device_spec_clear(out);
		return -1;
	}
	return 0;
}

struct device_out {
	json_object *nodes, *rules; /* linux.devices, linux.resources.devices */
	const char *perms;
};

/* One node: its linux.devices entry (the host's type, numbers, mode and
 * owner) and the cgroup rule that lets the container use it. */
static void device_add(struct device_out *d, const char *container, const struct stat *st)
{
	json_object *n = json_object_new_object(), *r = json_object_new_object();
	const char *type = S_ISBLK(st->st_mode) ? "b" : "c";

	json_object_object_add(n, "path", json_object_new_string(container));
	json_object_object_add(n, "type", json_object_new_string(type));
	json_object_object_add(n, "major", json_object_new_int64(major(st->st_rdev)));
	json_object_object_add(n, "minor", json_object_new_int64(minor(st->st_rdev)));
	json_object_object_add(n, "fileMode", json_object_new_int64(st->st_mode & 07777));
	json_object_object_add(n, "uid", json_object_new_int64(st->st_uid));
	json_object_object_add(n, "gid", json_object_new_int64(st->st_gid));
	json_object_array_add(d->nodes, n);
	if (d->rules == NULL) { /* --privileged: every device is allowed */
		json_object_put(r);
		return;
	}

	json_object_object_add(r, "allow", json_object_new_boolean(true));
	json_object_object_add(r, "type", json_object_new_string(type));
	json_object_object_add(r, "major", json_object_new_int64(major(st->st_rdev)));
	json_object_object_add(r, "minor", json_object_new_int64(minor(st->st_rdev)));
	json_object_object_add(r, "access", json_object_new_string(d->perms));
	json_object_array_add(d->rules, r);
}

/* docker's directory case: every device node below host (symlinks not
 * followed), at the same place below container. */
static int device_dir_add(struct device_out *d, const char *host, const char *container, int depth,
			  struct berth_err *err)
{
	autoclosedir DIR *dir = opendir(host);
	struct dirent *e;

	if (dir == NULL)
		return berth_err_set(err, errno, "open %s", host);
	while ((e = readdir(dir)) != NULL) {
		autofree char *h = NULL, *c = NULL;
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		h = xasprintf("%s/%s", host, e->d_name);
		c = xasprintf("%s/%s", container, e->d_name);
		if (lstat(h, &st) < 0)
			continue; /* gone meanwhile */
		if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
			device_add(d, c, &st);
		else if (S_ISDIR(st.st_mode) && depth < DEVICE_DIR_DEPTH &&
			 device_dir_add(d, h, c, depth + 1, err) < 0)
			return -1;
	}
	return 0;
}

/* runc's HostDevices (what docker gives --privileged): every device node
 * of the host's /dev, but those below the directories below, the
 * console, and the nodes the runtime makes in every container. */
static void host_devices_add(struct device_out *d, const char *dir, int depth)
{
	static const char *const skip_dirs[] = { "pts", "shm", "fd", "mqueue", ".lxc",
						 ".lxd-mounts", ".udev" };
	static const char *const standard[] = { "/dev/null", "/dev/zero",    "/dev/full",
						"/dev/random", "/dev/urandom", "/dev/tty",
						"/dev/console", "/dev/ptmx" };
	autoclosedir DIR *dp = opendir(dir);
	struct dirent *e;

	if (dp == NULL)
		return;
	while ((e = readdir(dp)) != NULL) {
		autofree char *path = NULL;
		struct stat st;
		bool skip = false;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (lstat(path, &st) < 0)
			continue; /* gone meanwhile */
		if (S_ISDIR(st.st_mode)) {
			for (size_t i = 0; i < ARRAY_SIZE(skip_dirs) && depth == 0; i++)
				skip |= strcmp(e->d_name, skip_dirs[i]) == 0;
			if (!skip && depth < DEVICE_DIR_DEPTH)
				host_devices_add(d, path, depth + 1);
			continue;
		}
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(standard); i++)
			skip |= strcmp(path, standard[i]) == 0;
		if (!skip)
			device_add(d, path, &st);
	}
}

void ocispec_privileged_devices(json_object *doc)
{
	struct device_out d = { child_array(child(doc, "linux"), "devices"), NULL, "rwm" };

	host_devices_add(&d, "/dev", 0);
}

static int device_apply(struct device_out *d, const char *spec, struct berth_err *err)
{
	struct ocispec_device_spec ds;
	autofree char *resolved = NULL;
	struct stat st;
	int r = -1;

	if (ocispec_device_parse(spec, &ds, err) < 0)
		return berth_err_wrap(err, "--device %s", spec);
	d->perms = ds.perms;
	/* docker resolves the host path first (/dev/disk/by-id/... links). */
	resolved = realpath(ds.host, NULL);
	if (resolved == NULL || stat(resolved, &st) < 0) {
		berth_err_set(err, errno,
			      "error gathering device information while adding custom device "
			      "\"%s\"",
			      ds.host);
		goto out;
	}
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		device_add(d, ds.container, &st);
		r = 0;
	} else if (!S_ISDIR(st.st_mode)) {
		berth_err_set(err, 0,
			      "error gathering device information while adding custom device "
			      "\"%s\": not a device node",
			      ds.host);
	} else if (device_dir_add(d, resolved, ds.container, 0, err) < 0) {
		berth_err_wrap(err, "--device %s", spec);
	} else {
		r = 0;
	}
out:
	ocispec_device_spec_clear(&ds);
	return r;
}

/* ---- cpusets and the cgroup parent -------------------------------------------- */

/* Calls fn for each "a-b" range of a list; -1 when the list is malformed. */
static int cpuset_walk(const char *list, int (*fn)(unsigned a, unsigned b, void *data), void *data)
{
	const char *p = list;

	if (*p == '\0')
		return -1;
	for (;;) {
		uint64_t a, b;

		if (num_take_u64(&p, 10, CPUSET_MAX, &a) < 0)
			return -1;
		b = a;
		if (*p == '-') {
			p++;
			if (num_take_u64(&p, 10, CPUSET_MAX, &b) < 0)
				return -1;
		}
		if (b < a)
			return -1;
		if (fn != NULL && fn((unsigned)a, (unsigned)b, data) < 0)
			return -1;
		if (*p == '\0')
			return 0;
		if (*p != ',')
			return -1;
		p++;
	}
}

static int max_of(unsigned a, unsigned b, void *data)
{
	unsigned *max = data;

	if (b > *max)
		*max = b;
	return 0;
}

int ocispec_cpuset_parse(const char *list, unsigned *max)
{
	unsigned m = 0;

	if (cpuset_walk(list, max_of, &m) < 0)
		return -1;
	if (max != NULL)
		*max = m;
	return 0;
}

/* A bitmap of the numbers a list names. */
struct bitmap {
	unsigned char bits[(CPUSET_MAX + 1) / 8 + 1];
};

static int bitmap_set(unsigned a, unsigned b, void *data)
{
	struct bitmap *m = data;

	for (unsigned i = a; i <= b; i++)
		m->bits[i / 8] |= (unsigned char)(1u << (i % 8));
	return 0;
}

static int bitmap_check(unsigned a, unsigned b, void *data)
{
	const struct bitmap *m = data;

	for (unsigned i = a; i <= b; i++)
		if ((m->bits[i / 8] & (1u << (i % 8))) == 0)
			return -1;
	return 0;
}

/* A sysfs list of what is online ("0-3"); fallback when the file is
 * missing (a kernel without NUMA has no node directory: node 0). */
static char *online_list(const char *path, const char *fallback)
{
	char *text = NULL;
	struct berth_err ignored;

	if (fs_read_file(path, 1 << 16, &text, NULL, &ignored) < 0)
		return xstrdup(fallback);
	text[strcspn(text, "\n")] = '\0';
	return text;
}

/* docker's messages for --cpuset-cpus and --cpuset-mems. */
static int cpuset_check(const char *list, const char *what, const char *sysfs,
			const char *unavailable, struct berth_err *err)
{
	autofree char *online = NULL;
	autofree struct bitmap *avail = NULL;

	if (list == NULL || list[0] == '\0')
		return 0;
	if (cpuset_walk(list, NULL, NULL) < 0)
		return berth_err_set(err, 0, "Invalid value %s for cpuset %s", list, what);
	online = online_list(sysfs, "0");
	avail = xzalloc(sizeof(*avail));
	if (cpuset_walk(online, bitmap_set, avail) < 0)
		return 0; /* an unreadable host list: the kernel will judge */
	if (cpuset_walk(list, bitmap_check, avail) < 0)
		return berth_err_set(err, 0, "%s - requested %s, available: %s", unavailable, list,
				     online);
	return 0;
}

int ocispec_cgroup_parent_check(const char *parent, struct berth_err *err)
{
	const char *p = parent;

	if (parent == NULL || parent[0] == '\0')
		return 0;
	while (*p != '\0') {
		size_t n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return berth_err_set(err, 0,
					     "invalid --cgroup-parent %s: \".\" and \"..\" are "
					     "not allowed",
					     parent);
		p += n;
		while (*p == '/')
			p++;
	}
	if (strchr(parent, ':') != NULL || strchr(parent, '\n') != NULL)
		return berth_err_set(err, 0,
				     "invalid --cgroup-parent %s: a cgroup path (systemd slices "
				     "are not supported)",
				     parent);
	return 0;
}

char *ocispec_cgroups_path(const char *parent, const char *id)
{
	size_t n;

	if (parent == NULL || parent[0] == '\0')
		return xasprintf("berth-%s", id);
	n = strlen(parent);
	while (n > 1 && parent[n - 1] == '/')
		n--;
	if (n == 1 && parent[0] == '/')
		return xasprintf("/berth-%s", id);
	return xasprintf("%.*s/berth-%s", (int)n, parent, id);
}

/* ---- memory and cpu ------------------------------------------------------------ */

bool ocispec_swap_accounting(void)
{
	static int known = -1;

	if (known < 0) {
		/* v1 (alone or hybrid): the memory hierarchy's memsw files;
		 * v2: memory.swap.max, which every non-root cgroup has when
		 * the kernel accounts swap. */
		if (fs_exists("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
			known = fs_exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");
		else
			known = fs_exists("/sys/fs/cgroup/init.scope/memory.swap.max") ||
				fs_exists("/sys/fs/cgroup/system.slice/memory.swap.max");
	}
	return known == 1;
}

int64_t ocispec_memory_swap(const struct ocispec_resources *r)
{
	if (!ocispec_swap_accounting())
		return 0;
	if (r->memory_swap != 0)
		return r->memory_swap;
	if (r->memory > 0 && r->memory <= INT64_MAX / 2)
		return 2 * r->memory;
	return 0;
}

static int available_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 1;
	return CPU_COUNT(&set);
}

static int memory_check(const struct ocispec_resources *r, struct berth_err *err)
{
	if (r->memory < 0)
		return berth_err_set(err, 0, "invalid memory limit %lld", (long long)r->memory);
	if (r->memory > 0 && r->memory < OCISPEC_MEMORY_MIN)
		return berth_err_set(err, 0, "Minimum memory limit allowed is 6MB");
	if (r->memory == 0 && r->memory_swap > 0)
		return berth_err_set(err, 0,
				     "You should always set the Memory limit when using "
				     "Memoryswap limit, see usage");
	if (r->memory > 0 && r->memory_swap > 0 && r->memory_swap < r->memory)
		return berth_err_set(err, 0,
				     "Minimum memoryswap limit should be larger than memory "
				     "limit, see usage");
	if (r->memory_swap < -1)
		return berth_err_set(err, 0, "invalid memory swap limit %lld",
				     (long long)r->memory_swap);
	if (r->memory_reservation < 0)
		return berth_err_set(err, 0, "invalid memory reservation %lld",
				     (long long)r->memory_reservation);
	if (r->memory_reservation > 0 && r->memory_reservation < OCISPEC_MEMORY_MIN)
		return berth_err_set(err, 0, "Minimum memory reservation allowed is 6MB");
	if (r->memory > 0 && r->memory_reservation > 0 && r->memory < r->memory_reservation)
		return berth_err_set(err, 0,
				     "Minimum memory limit can not be less than memory reservation "
				     "limit, see usage");
	return 0;
}

int ocispec_resources_check(const struct ocispec_resources *r, struct berth_err *err)
{
	int ncpu = available_cpus();

	if (r == NULL)
		return 0;
	if (memory_check(r, err) < 0)
		return -1;
	/* Below 0.01 the quota would be under the kernel's 1 ms minimum. */
	if (r->nano_cpus != 0 &&
	    (r->nano_cpus < 10000000 || r->nano_cpus > (int64_t)ncpu * 1000000000))
		return berth_err_set(err, 0,
				     "Range of CPUs is from 0.01 to %d.00, as there are only %d "
				     "CPUs available",
				     ncpu, ncpu);
	if (cpuset_check(r->cpuset_cpus, "cpus", "/sys/devices/system/cpu/online",
			 "Requested CPUs are not available", err) < 0 ||
	    cpuset_check(r->cpuset_mems, "mems", "/sys/devices/system/node/online",
			 "Requested memory nodes are not available", err) < 0)
		return -1;
	if (r->shm_size < 0)
		return berth_err_set(err, 0, "SHM size can not be less than 0");
	if (ulimits_check(r->ulimits, err) < 0)
		return -1;
	return ocispec_cgroup_parent_check(r->cgroup_parent, err);
}

/* docker clamps cpu.shares to what the kernel takes, 0 staying "default". */
static int64_t cpu_shares(int64_t s)
{
	if (s < 0)
		return OCISPEC_SHARES_MIN;
	if (s > OCISPEC_SHARES_MAX)
		return OCISPEC_SHARES_MAX;
	return s;
}

static void add_i64(json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static void memory_apply(const struct ocispec_resources *r, json_object *res)
{
	int64_t swap = ocispec_memory_swap(r);
	json_object *m;

	if (r->memory <= 0 && r->memory_reservation <= 0 && swap == 0)
		return;
	m = child(res, "memory");
	if (r->memory > 0)
		add_i64(m, "limit", r->memory);
	if (r->memory_reservation > 0)
		add_i64(m, "reservation", r->memory_reservation);
	if (swap != 0)
		add_i64(m, "swap", swap);
}

static void cpu_apply(const struct ocispec_resources *r, json_object *res)
{
	bool cpus = r->cpuset_cpus != NULL && r->cpuset_cpus[0] != '\0';
	bool mems = r->cpuset_mems != NULL && r->cpuset_mems[0] != '\0';
	json_object *c;

	if (r->nano_cpus == 0 && r->cpu_shares == 0 && !cpus && !mems)
		return;
	c = child(res, "cpu");
	if (r->cpu_shares != 0)
		json_object_object_add(c, "shares",
				       json_object_new_uint64((uint64_t)cpu_shares(r->cpu_shares)));
	if (r->nano_cpus > 0) {
		/* docker's: period 100 ms, quota the share of it. */
		add_i64(c, "quota", r->nano_cpus * OCISPEC_CPU_PERIOD / 1000000000);
		json_object_object_add(c, "period", json_object_new_uint64(OCISPEC_CPU_PERIOD));
	}
	if (cpus)
		json_object_object_add(c, "cpus", json_object_new_string(r->cpuset_cpus));
	if (mems)
		json_object_object_add(c, "mems", json_object_new_string(r->cpuset_mems));
}

void ocispec_resources_limits(const struct ocispec_resources *r, json_object *doc)
{
	json_object *res = child(child(doc, "linux"), "resources");

	json_object_object_del(res, "memory");
	json_object_object_del(res, "cpu");
	json_object_object_del(res, "pids");
	memory_apply(r, res);
	cpu_apply(r, res);
	if (r->pids_limit != 0)
		add_i64(child(res, "pids"), "limit", r->pids_limit > 0 ? r->pids_limit : -1);
}

int ocispec_resources_apply(const struct ocispec_resources *r, json_object *doc,
			    struct berth_err *err)
{
	json_object *linux_obj, *res;
	struct ocispec_ulimit *u = NULL;
	size_t n = 0;

	if (r == NULL)
		return 0;
	if (ocispec_resources_check(r, err) < 0)
		return -1;
	linux_obj = child(doc, "linux");
	res = child(linux_obj, "resources");
	ocispec_resources_limits(r, doc);
	if (strv_len(r->devices) > 0) {
		struct device_out d = { child_array(linux_obj, "devices"),
					child_array(res, "devices"), NULL };
		for (size_t i = 0; r->devices[i] != NULL; i++)
			if (device_apply(&d, r->devices[i], err) < 0)
				return -1;
	}
	if (ulimits_collect(r->ulimits, &u, &n, err) < 0)
		return -1;
	if (n > 0)
		json_object_object_add(child(doc, "process"), "rlimits", rlimits_json(u, n));
	free(u);
	return 0;
}

/* ---- the recorded HostConfig ------------------------------------------------- */

static json_object *ulimits_record(char *const *v)
{
	struct ocispec_ulimit *u = NULL;
	struct berth_err ignored;
	json_object *a;
	size_t n = 0;

	if (ulimits_collect(v, &u, &n, &ignored) < 0 || n == 0) {
		free(u);
		return NULL;
	}
	a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "Name", json_object_new_string(u[i].name));
		add_i64(o, "Hard", u[i].hard);
		add_i64(o, "Soft", u[i].soft);
		json_object_array_add(a, o);
	}
	free(u);
	return a;
}

static json_object *devices_record(char *const *v)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
		struct ocispec_device_spec d;
		struct berth_err ignored;
		json_object *o;

		if (ocispec_device_parse(v[i], &d, &ignored) < 0)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "PathOnHost", json_object_new_string(d.host));
		json_object_object_add(o, "PathInContainer", json_object_new_string(d.container));
		json_object_object_add(o, "CgroupPermissions", json_object_new_string(d.perms));
		json_object_array_add(a, o);
		ocispec_device_spec_clear(&d);
	}
	return a;
}

void ocispec_resources_record(const struct ocispec_resources *r, json_object *c)
{
	static const struct ocispec_resources none = { 0 };

	if (r == NULL)
		r = &none;
	ocispec_resources_record_limits(r, c);
	json_object_object_add(c, "Ulimits", ulimits_record(r->ulimits));
	json_object_object_add(c, "Devices", devices_record(r->devices));
	add_i64(c, "ShmSize", r->shm_size > 0 ? r->shm_size : INT64_C(64) << 20);
	json_object_object_add(c, "CgroupParent", json_object_new_string(r->cgroup_parent ?: ""));
}

void ocispec_resources_record_limits(const struct ocispec_resources *r, json_object *c)
{
	add_i64(c, "Memory", r->memory);
	add_i64(c, "MemorySwap", ocispec_memory_swap(r));
	add_i64(c, "MemoryReservation", r->memory_reservation);
	add_i64(c, "NanoCpus", r->nano_cpus);
	add_i64(c, "CpuShares", r->cpu_shares != 0 ? cpu_shares(r->cpu_shares) : 0);
	json_object_object_add(c, "CpusetCpus", json_object_new_string(r->cpuset_cpus ?: ""));
	json_object_object_add(c, "CpusetMems", json_object_new_string(r->cpuset_mems ?: ""));
	/* docker: null when not given, 0 for "unlimited" (0 or -1). */
	json_object_object_add(c, "PidsLimit",
			       r->pids_limit == 0  ? NULL
			       : r->pids_limit < 0 ? json_object_new_int64(0)
						   : json_object_new_int64(r->pids_limit));
}

void ocispec_resources_from_record(json_object *c, struct ocispec_resources *r)
{
	struct berth_err ignored;
	json_object *pids = NULL;
	const char *s = NULL;

	json_get_int64(c, "Memory", NULL, &r->memory, &ignored);
	json_get_int64(c, "MemorySwap", NULL, &r->memory_swap, &ignored);
	json_get_int64(c, "MemoryReservation", NULL, &r->memory_reservation, &ignored);
	json_get_int64(c, "NanoCpus", NULL, &r->nano_cpus, &ignored);
	json_get_int64(c, "CpuShares", NULL, &r->cpu_shares, &ignored);
	if (json_get_string(c, "CpusetCpus", NULL, &s, &ignored) == 1)
		r->cpuset_cpus = s;
	if (json_get_string(c, "CpusetMems", NULL, &s, &ignored) == 1)
		r->cpuset_mems = s;
	/* null: not given; 0: unlimited */
	if (json_object_object_get_ex(c, "PidsLimit", &pids) && pids != NULL) {
		int64_t v = json_object_get_int64(pids);

		r->pids_limit = v > 0 ? v : -1;
	}
}
