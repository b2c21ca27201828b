/* The "linux" object: namespaces, id mappings, devices, sysctls and the
 * subsystem sections (resources, seccomp) handed to their own parsers, plus
 * the rules that tie fields to namespaces, checked before anything exists. */
#include "runtime/spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <time.h>

#include "runtime/cgroup/resources.h"
#include "runtime/mounts.h"
#include "runtime/seccomp.h"
#include "runtime/spec-internal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* uid_map/gid_map accept at most 340 lines since Linux 4.15. */
#define SPEC_IDMAP_MAX 340

static const char *const ns_names[SPEC_NS_COUNT] = {
	[SPEC_NS_USER] = "user",     [SPEC_NS_PID] = "pid",   [SPEC_NS_NETWORK] = "network",
	[SPEC_NS_MOUNT] = "mount",   [SPEC_NS_IPC] = "ipc",   [SPEC_NS_UTS] = "uts",
	[SPEC_NS_CGROUP] = "cgroup", [SPEC_NS_TIME] = "time",
};

static int spec_idmap_int(json_object *o, const char *key, const char *path, uint32_t *out,
			  struct berth_err *err)
{
	int64_t v;
	int r = json_get_int_range(o, key, path, 0, UINT32_MAX, &v, err);

	if (spec_need(r, path, key, err) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}
/* ---- linux: namespaces and id mappings ---------------------------------- */

static int spec_ns_from_name(const char *name)
{
	for (int i = 0; i < SPEC_NS_COUNT; i++)
		if (strcmp(ns_names[i], name) == 0)
			return i;
	return -1;
}

static int spec_parse_namespace(json_object *o, const char *path, struct spec *s, bool check_host,
				struct berth_err *err)
{
	const char *type, *nspath = NULL;
	struct stat st;
	int kind;

	if (spec_req_string(o, "type", path, &type, err) < 0)
		return -1;
	kind = spec_ns_from_name(type);
	if (kind < 0)
		return berth_err_set(err, 0, "%s.type: unknown namespace type \"%s\"", path, type);
	if (s->ns[kind].present)
		return berth_err_set(err, 0, "%s.type: duplicate namespace type \"%s\"", path,
				     type);
	s->ns[kind].present = true;
	if (json_get_string(o, "path", path, &nspath, err) < 0)
		return -1;
	/* An empty path means "create", as runc reads it. */
	if (nspath == NULL || nspath[0] == '\0')
		return 0;
	if (check_host && stat(nspath, &st) < 0)
		return berth_err_set(err, errno, "%s.path: %s", path, nspath);
	s->ns[kind].path = xstrdup(nspath);
	return 0;
}

static int spec_parse_namespaces(json_object *linux_obj, struct spec *s, bool check_host,
				 struct berth_err *err)
{
	char sub[SPEC_PATH_MAX];
	json_object *arr;
	int r = json_get_array(linux_obj, "namespaces", "linux", &arr, err);

	if (r <= 0)
		return r;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *o;
		spec_pathf(sub, "linux.namespaces[%zu]", i);
		if (spec_array_object(arr, i, sub, &o, err) < 0 ||
		    spec_parse_namespace(o, sub, s, check_host, err) < 0)
			return -1;
	}
	return 0;
}

static int spec_parse_idmap(json_object *o, const char *path, struct spec_idmap *m,
			    struct berth_err *err)
{
	if (spec_idmap_int(o, "containerID", path, &m->container_id, err) < 0 ||
	    spec_idmap_int(o, "hostID", path, &m->host_id, err) < 0 ||
	    spec_idmap_int(o, "size", path, &m->size, err) < 0)
		return -1;
	if (m->size == 0)
		return berth_err_set(err, 0, "%s.size: must be positive", path);
	/* The kernel refuses extents whose end wraps to 0, and id 4294967295
	 * is (uid_t)-1, never a real id. */
	if ((uint64_t)m->container_id + m->size > UINT32_MAX ||
	    (uint64_t)m->host_id + m->size > UINT32_MAX)
		return berth_err_set(err, 0, "%s: range exceeds 32-bit ids", path);
	return 0;
}

int spec_parse_idmap_list(json_object *obj, const char *key, const char *path,
			  struct spec_idmap **out, size_t *n_out, struct berth_err *err)
{
	char sub[SPEC_PATH_MAX];
	json_object *arr;
	size_t n;
	int r = json_get_array(obj, key, path, &arr, err);

	if (r <= 0)
		return r;
	n = json_object_array_length(arr);
	if (n > SPEC_IDMAP_MAX)
		return berth_err_set(err, 0, "%s.%s: more than %d entries", path, key,
				     SPEC_IDMAP_MAX);
	*out = xcalloc(n + 1, sizeof(**out));
	*n_out = n;
	for (size_t i = 0; i < n; i++) {
		json_object *o;
		spec_pathf(sub, "%s.%s[%zu]", path, key, i);
		if (spec_array_object(arr, i, sub, &o, err) < 0 ||
		    spec_parse_idmap(o, sub, &(*out)[i], err) < 0)
			return -1;
	}
	return 0;
}

/* ---- linux: devices ------------------------------------------------------ */

static int spec_parse_device_ids(json_object *o, const char *path, struct spec_device *d,
				 struct berth_err *err)
{
	int64_t v;
	int r;

	if ((r = json_get_int_range(o, "fileMode", path, 0, 0177777, &v, err)) < 0)
		return r;
	if (r > 0) {
		d->has_mode = true;
		/* The node type comes from "type"; keep permission bits only. */
		d->file_mode = (mode_t)v & 07777;
	}
	if ((r = json_get_int_range(o, "uid", path, 0, SPEC_ID_MAX, &v, err)) < 0)
		return r;
	if (r > 0) {
		d->has_uid = true;
		d->uid = (uid_t)v;
	}
	if ((r = json_get_int_range(o, "gid", path, 0, SPEC_ID_MAX, &v, err)) < 0)
		return r;
	if (r > 0) {
		d->has_gid = true;
		d->gid = (gid_t)v;
	}
	return 0;
}

static int spec_parse_device(json_object *o, const char *path, struct spec_device *d,
			     struct berth_err *err)
{
	char sub[SPEC_PATH_MAX];
	const char *dpath, *type;

	if (spec_req_string(o, "path", path, &dpath, err) < 0)
		return -1;
	spec_pathf(sub, "%s.path", path);
	if (spec_check_absolute(dpath, sub, err) < 0)
		return -1;
	d->path = xstrdup(dpath);
	if (spec_req_string(o, "type", path, &type, err) < 0)
		return -1;
	if (strlen(type) != 1 || strchr("cbup", type[0]) == NULL)
		return berth_err_set(err, 0, "%s.type: unknown device type \"%s\"", path, type);
	d->type = type[0];
	/* A fifo has no device numbers; the others are useless without. */
	if (d->type != 'p') {
		if (spec_need(json_get_int64(o, "major", path, &d->major, err), path, "major",
			      err) < 0 ||
		    spec_need(json_get_int64(o, "minor", path, &d->minor, err), path, "minor",
			      err) < 0)
			return -1;
		if (d->major < 0 || d->major > UINT32_MAX || d->minor < 0 || d->minor > UINT32_MAX)
			return berth_err_set(err, 0, "%s: device number out of range", path);
	}
	return spec_parse_device_ids(o, path, d, err);
}

static int spec_parse_devices(json_object *linux_obj, struct spec *s, struct berth_err *err)
{
	char sub[SPEC_PATH_MAX];
	json_object *arr;
	int r = json_get_array(linux_obj, "devices", "linux", &arr, err);

	if (r <= 0)
		return r;
	s->n_devices = json_object_array_length(arr);
	s->devices = xcalloc(s->n_devices + 1, sizeof(*s->devices));
	for (size_t i = 0; i < s->n_devices; i++) {
		json_object *o;
		spec_pathf(sub, "linux.devices[%zu]", i);
		if (spec_array_object(arr, i, sub, &o, err) < 0 ||
		    spec_parse_device(o, sub, &s->devices[i], err) < 0)
			return -1;
	}
	return 0;
}

/* ---- linux: sysctl ------------------------------------------------------- */

/* A key becomes a path under /proc/sys, so it must stay beneath it. */
static bool spec_sysctl_key_safe(const char *key)
{
	const char *p;

	if (key[0] == '\0' || key[0] == '.' || key[0] == '/')
		return false;
	for (p = key; *p != '\0'; p++)
		if (!(*p == '.' || *p == '/' || *p == '_' || *p == '-' ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			return false;
	return strstr(key, "..") == NULL && strstr(key, "//") == NULL &&
	       strstr(key, "./") == NULL && strstr(key, "/.") == NULL;
}

static bool spec_ns_is_host(const char *nspath, const char *self)
{
	struct stat a, b;

	return stat(nspath, &a) == 0 && stat(self, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* Only sysctls the kernel scopes to a namespace may be set, and only when
 * the container has that namespace; anything else would change the host. */
static int spec_check_sysctl(const struct spec *s, const char *key, struct berth_err *err)
{
	static const char *const ipc_exact[] = { "kernel.sem", "kernel.sem_next_id" };
	char dotted[SPEC_PATH_MAX];
	int need = -1;

	if (!spec_sysctl_key_safe(key) || strlen(key) >= sizeof(dotted))
		return berth_err_set(err, 0, "linux.sysctl: invalid key \"%s\"", key);
	/* "net/ipv4/ip_forward" names the same file as "net.ipv4.ip_forward". */
	snprintf(dotted, sizeof(dotted), "%s", key);
	for (char *c = dotted; *c != '\0'; c++)
		if (*c == '/')
			*c = '.';
	if (strncmp(dotted, "kernel.shm", 10) == 0 || strncmp(dotted, "kernel.msg", 10) == 0 ||
	    strncmp(dotted, "fs.mqueue.", 10) == 0)
		need = SPEC_NS_IPC;
	for (size_t i = 0; i < ARRAY_SIZE(ipc_exact); i++)
		if (strcmp(dotted, ipc_exact[i]) == 0)
			need = SPEC_NS_IPC;
	if (strncmp(dotted, "net.", 4) == 0)
		need = SPEC_NS_NETWORK;
	if (strcmp(dotted, "kernel.hostname") == 0 || strcmp(dotted, "kernel.domainname") == 0)
		need = SPEC_NS_UTS;
	if (need < 0)
		return berth_err_set(err, 0, "linux.sysctl.%s: not in a separate kernel namespace",
				     key);
	if (!s->ns[need].present)
		return berth_err_set(err, 0, "linux.sysctl.%s: requires a private %s namespace",
				     key, ns_names[need]);
	if (need == SPEC_NS_NETWORK && s->ns[need].path != NULL &&
	    spec_ns_is_host(s->ns[need].path, "/proc/self/ns/net"))
		return berth_err_set(
		    err, 0, "linux.sysctl.%s: not allowed in the host's network namespace", key);
	return 0;
}

static int spec_parse_sysctl(json_object *linux_obj, struct spec *s, struct berth_err *err)
{
	json_object *obj;
	size_t i = 0;
	int r = json_get_object(linux_obj, "sysctl", "linux", &obj, err);

	if (r <= 0)
		return r;
	s->sysctl = xcalloc((size_t)json_object_object_length(obj) + 1, sizeof(*s->sysctl));
	json_object_object_foreach(obj, key, val)
	{
		char sub[SPEC_PATH_MAX];
		const char *v;

		spec_pathf(sub, "linux.sysctl.%s", key);
		if (json_string_value(val, sub, &v, err) < 0)
			return -1;
		s->sysctl[i].key = xstrdup(key);
		s->sysctl[i].value = xstrdup(v);
		s->n_sysctl = ++i;
	}
	return 0;
}

/* ---- linux: the rest ----------------------------------------------------- */

static int spec_parse_path_list(json_object *linux_obj, const char *key, char ***out,
				struct berth_err *err)
{
	char sub[SPEC_PATH_MAX];

	if (json_get_strv(linux_obj, key, "linux", out, err) < 0)
		return -1;
	for (size_t i = 0; *out != NULL && (*out)[i] != NULL; i++) {
		spec_pathf(sub, "linux.%s[%zu]", key, i);
		if (spec_check_absolute((*out)[i], sub, err) < 0)
			return -1;
	}
	return 0;
}

static int spec_parse_personality(json_object *linux_obj, struct spec *s, struct berth_err *err)
{
	json_object *obj, *flags = NULL;
	const char *domain;
	int r = json_get_object(linux_obj, "personality", "linux", &obj, err);

	if (r <= 0)
		return r;
	if (spec_req_string(obj, "domain", "linux.personality", &domain, err) < 0)
		return -1;
	if (strcmp(domain, "LINUX") == 0)
		s->personality = PER_LINUX;
	else if (strcmp(domain, "LINUX32") == 0)
		s->personality = PER_LINUX32;
	else
		return berth_err_set(err, 0, "linux.personality.domain: unknown \"%s\"", domain);
	s->has_personality = true;
	if (json_get_array(obj, "flags", "linux.personality", &flags, err) < 0)
		return -1;
	/* The spec defines no flag values yet. */
	if (flags != NULL && json_object_array_length(flags) > 0)
		log_warn("linux.personality.flags: not supported, ignoring");
	return 0;
}

static int spec_parse_time_offset(json_object *o, const char *path, struct spec_time_offset *t,
				  struct berth_err *err)
{
	int64_t ns = 0;

	if (!json_object_is_type(o, json_type_object))
		return berth_err_set(err, 0, "%s: expected an object", path);
	if (json_get_int64(o, "secs", path, &t->secs, err) < 0 ||
	    json_get_int_range(o, "nanosecs", path, 0, 999999999, &ns, err) < 0)
		return -1;
	t->nanosecs = (uint32_t)ns;
	return 0;
}

static int spec_parse_time_offsets(json_object *linux_obj, struct spec *s, struct berth_err *err)
{
	char sub[SPEC_PATH_MAX];
	json_object *obj;
	int r = json_get_object(linux_obj, "timeOffsets", "linux", &obj, err);

	if (r <= 0)
		return r;
	json_object_object_foreach(obj, key, val)
	{
		struct spec_time_offset *t;
		int clock;
		if (strcmp(key, "monotonic") == 0)
			clock = CLOCK_MONOTONIC;
		else if (strcmp(key, "boottime") == 0)
			clock = CLOCK_BOOTTIME;
		else
			return berth_err_set(err, 0, "linux.timeOffsets: unknown clock \"%s\"",
					     key);
		if (s->n_time_offsets >= ARRAY_SIZE(s->time_offsets))
			return berth_err_set(err, 0, "linux.timeOffsets: duplicate clock");
		t = &s->time_offsets[s->n_time_offsets++];
		t->clock = clock;
		spec_pathf(sub, "linux.timeOffsets.%s", key);
		if (spec_parse_time_offset(val, sub, t, err) < 0)
			return -1;
	}
	return 0;
}

static int spec_parse_subsystems(json_object *linux_obj, struct spec *s, bool check_host,
				 struct berth_err *err)
{
	json_object *obj;
	const char *prop = NULL;
	int r;

	r = json_get_object(linux_obj, "resources", "linux", &obj, err);
	if (r < 0 ||
	    (r > 0 && cgroup_resources_parse(obj, "linux.resources", &s->resources, err) < 0))
		return -1;
	r = json_get_object(linux_obj, "seccomp", "linux", &obj, err);
	if (r > 0 && !check_host) {
		s->seccomp_json = json_object_get(obj);
		r = 0;
	}
	if (r < 0 || (r > 0 && seccomp_config_parse(obj, "linux.seccomp", &s->seccomp, err) < 0))
		return -1;
	if (json_get_string(linux_obj, "rootfsPropagation", "linux", &prop, err) < 0)
		return -1;
	if (prop != NULL && prop[0] != '\0' &&
	    mount_propagation_parse(prop, &s->rootfs_propagation) < 0)
		return berth_err_set(err, 0, "linux.rootfsPropagation: unknown propagation \"%s\"",
				     prop);
	return 0;
}

static int spec_linux_parse_fields(json_object *lo, struct spec *s, bool check_host,
				   struct berth_err *err)
{
	if (json_object_object_get_ex(lo, "intelRdt", NULL))
		return berth_err_set(err, 0, "linux.intelRdt: Intel RDT is not supported");
	if (sched_mempolicy_parse(lo, &s->memory_policy, err) < 0 ||
	    netdev_parse(lo, &s->net_devices, &s->n_net_devices, err) < 0)
		return -1;
	if (spec_parse_namespaces(lo, s, check_host, err) < 0 ||
	    spec_parse_idmap_list(lo, "uidMappings", "linux", &s->uid_mappings,
				  &s->n_uid_mappings, err) < 0 ||
	    spec_parse_idmap_list(lo, "gidMappings", "linux", &s->gid_mappings,
				  &s->n_gid_mappings, err) < 0 ||
	    spec_parse_devices(lo, s, err) < 0 ||
	    spec_dup_string(lo, "cgroupsPath", "linux", &s->cgroups_path, err) < 0 ||
	    spec_parse_sysctl(lo, s, err) < 0 || spec_parse_subsystems(lo, s, check_host, err) < 0 ||
	    spec_parse_path_list(lo, "maskedPaths", &s->masked_paths, err) < 0 ||
	    spec_parse_path_list(lo, "readonlyPaths", &s->readonly_paths, err) < 0 ||
	    spec_dup_string(lo, "mountLabel", "linux", &s->mount_label, err) < 0 ||
	    spec_parse_personality(lo, s, err) < 0 || spec_parse_time_offsets(lo, s, err) < 0)
		return -1;
	return 0;
}

int spec_linux_parse(json_object *doc, struct spec *s, bool check_host, struct berth_err *err)
{
	json_object *linux_obj;
	int r = json_get_object(doc, "linux", NULL, &linux_obj, err);

	if (r < 0 || (r > 0 && spec_linux_parse_fields(linux_obj, s, check_host, err) < 0))
		return -1;
	/* A container always gets a device policy: the spec's rules (or none)
	 * then the runtime's defaults, on a deny-all base, as runc does.
	 * Without this, a spec that omits linux.resources.devices would leave
	 * every host device node open to the container. */
	if (s->resources == NULL)
		s->resources = xzalloc(sizeof(*s->resources));
	s->resources->has_devices = true;
	return 0;
}

/* ---- rules across fields -------------------------------------------------- */

int spec_linux_validate(const struct spec *s, struct berth_err *err)
{
	const struct spec_namespace *user = &s->ns[SPEC_NS_USER];

	if (!user->present && s->n_uid_mappings > 0)
		return berth_err_set(err, 0, "linux.uidMappings: requires a user namespace");
	if (!user->present && s->n_gid_mappings > 0)
		return berth_err_set(err, 0, "linux.gidMappings: requires a user namespace");
	if (user->present && user->path == NULL &&
	    (s->n_uid_mappings == 0 || s->n_gid_mappings == 0))
		return berth_err_set(err, 0,
				     "linux.namespaces: a new user namespace requires "
				     "linux.uidMappings and linux.gidMappings");
	if (s->hostname != NULL && s->hostname[0] != '\0' && !s->ns[SPEC_NS_UTS].present)
		return berth_err_set(err, 0, "hostname: requires a UTS namespace");
	if (s->domainname != NULL && s->domainname[0] != '\0' && !s->ns[SPEC_NS_UTS].present)
		return berth_err_set(err, 0, "domainname: requires a UTS namespace");
	if (s->n_net_devices > 0 && !s->ns[SPEC_NS_NETWORK].present)
		return berth_err_set(err, 0, "linux.netDevices: requires a network namespace");
	for (size_t i = 0; i < s->n_mounts; i++)
		if (s->mounts[i].idmap && s->mounts[i].n_uid_mappings == 0 &&
		    s->n_uid_mappings == 0)
			return berth_err_set(err, 0,
					     "mounts[%zu]: idmap without uidMappings uses the "
					     "container's user namespace mappings, and there are none",
					     i);
	/* Without a mount namespace, masked and read-only paths are still
	 * applied inside the container's root (rootfs.c), never to the
	 * host's own /proc or /sys. */
	/* Offsets can only be written before a process enters the namespace,
	 * so they need a new one. */
	if (s->n_time_offsets > 0 &&
	    (!s->ns[SPEC_NS_TIME].present || s->ns[SPEC_NS_TIME].path != NULL))
		return berth_err_set(err, 0, "linux.timeOffsets: requires a new time namespace");
	for (size_t i = 0; i < s->n_sysctl; i++)
		if (spec_check_sysctl(s, s->sysctl[i].key, err) < 0)
			return -1;
	return 0;
}
