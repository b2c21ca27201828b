/* One container's cgroups across every hierarchy the host mounts.
 *
 * cgroup_create() works out one directory per hierarchy (v1 controller
 * mounts, and the cgroup2 mount on v2 and hybrid hosts), makes it and
 * remembers which directories it made, so cgroup_destroy() removes exactly
 * those. Limits go through the backend for the host's mode (v1.c, v2.c);
 * on hybrid hosts the v1 backend carries the limits (devices.allow/deny
 * included) and every process of the container also joins the cgroup2
 * side, where an eBPF device program is attached only when no v1 hierarchy
 * has the devices controller. */
#include "runtime/cgroup/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup-internal.h"
#include "runtime/cgroup/resources.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define IFACE_MAX (1 << 20)

void cgroup_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

const char *cgroup_mode_name(enum cgroup_mode mode)
{
	switch (mode) {
	case CGROUP_MODE_V1:
		return "v1";
	case CGROUP_MODE_V2:
		return "v2";
	case CGROUP_MODE_HYBRID:
		return "hybrid";
	}
	return "unknown";
}

static int mode_from_name(const char *s, enum cgroup_mode *mode)
{
	for (int m = CGROUP_MODE_V1; m <= CGROUP_MODE_HYBRID; m++)
		if (strcmp(s, cgroup_mode_name(m)) == 0) {
			*mode = m;
			return 0;
		}
	return -1;
}

int cgroup_detect(const struct cgroup_host *host, enum cgroup_mode *mode, struct berth_err *err)
{
	struct cgroup_mount *m;
	size_t n;

	if (cgroup_host_mounts(host, &m, &n, mode, err) < 0)
		return -1;
	cgroup_mounts_free(m, n);
	return 0;
}

/* ---- file helpers shared by the backends ---- */

bool cgroup_file_exists(const char *dir, const char *file)
{
	autofree char *p = xasprintf("%s/%s", dir, file);
	return access(p, F_OK) == 0;
}

int cgroup_write_at(const char *dir, const char *file, const char *value, struct berth_err *err)
{
	autofree char *p = xasprintf("%s/%s", dir, file);

	/* fs_write_file never creates: a missing interface file means the
	 * controller is not there, and must not turn into a stray file. */
	if (fs_write_file(p, value, strlen(value), err) < 0)
		return berth_err_wrap(err, "write \"%s\"", value);
	return 0;
}

int cgroup_read_at(const char *dir, const char *file, char **out, struct berth_err *err)
{
	autofree char *p = xasprintf("%s/%s", dir, file);
	size_t len;

	if (fs_read_file(p, IFACE_MAX, out, &len, err) < 0)
		return -1;
	while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == ' '))
		(*out)[--len] = '\0';
	return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (strcmp(s, "max") == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno != 0 || end == s || (*end != '\0' && *end != '\n' && *end != ' '))
		return -1;
	return 0;
}

int cgroup_read_u64(const char *dir, const char *file, uint64_t *out, struct berth_err *err)
{
	autofree char *s = NULL;

	if (cgroup_read_at(dir, file, &s, err) < 0)
		return -1;
	/* v1 reports "no limit" as a huge number, negative in some files */
	if (s[0] == '-') {
		*out = UINT64_MAX;
		return 0;
	}
	if (parse_u64(s, out) < 0)
		return berth_err_set(err, EINVAL, "%s/%s: not a number: \"%s\"", dir, file, s);
	return 0;
}

int cgroup_read_keyed(const char *dir, const char *file, const char *key, uint64_t *out)
{
	autofree char *s = NULL;
	struct berth_err e;
	size_t kl = strlen(key);

	if (cgroup_read_at(dir, file, &s, &e) < 0)
		return -1;
	for (char *l = s; l != NULL && *l != '\0';) {
		char *nl = strchr(l, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (strncmp(l, key, kl) == 0 && l[kl] == ' ')
			return parse_u64(l + kl + 1, out);
		l = nl ? nl + 1 : NULL;
	}
	return -1;
}

int cgroup_read_oom_kill(const char *dir, const char *file, uint64_t *kills, struct berth_err *err)
{
	if (cgroup_read_keyed(dir, file, "oom_kill", kills) == 0)
		return 0;
	if (!cgroup_file_exists(dir, file))
		return berth_err_set(err, ENOENT, "%s/%s", dir, file);
	return berth_err_set(err, 0, "%s/%s: no oom_kill count (Linux 4.13 has it)", dir, file);
}

json_object *cgroup_read_keyed_all(const char *dir, const char *file)
{
	autofree char *s = NULL;
	struct berth_err e;
	json_object *o = json_object_new_object();
	char *save = NULL;

	if (cgroup_read_at(dir, file, &s, &e) < 0)
		return o;
	for (char *l = strtok_r(s, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(l, ' ');
		uint64_t v;
		if (sp == NULL)
			continue;
		*sp = '\0';
		if (parse_u64(sp + 1, &v) == 0)
			json_object_object_add(o, l, json_object_new_uint64(v));
	}
	return o;
}

struct cgroup_hier *cgroup_hier_unified(struct cgroup *cg)
{
	return cg->unified >= 0 ? &cg->h[cg->unified] : NULL;
}

struct cgroup_hier *cgroup_hier_for(struct cgroup *cg, const char *controller)
{
	if (cg->mode == CGROUP_MODE_V2)
		return cgroup_hier_unified(cg);
	for (size_t i = 0; i < cg->n; i++)
		if (!cg->h[i].v2 && strv_contains(cg->h[i].controllers, controller))
			return &cg->h[i];
	return NULL;
}

int cgroup_write(struct cgroup *cg, const char *controller, const char *file, const char *value,
		 struct berth_err *err)
{
	struct cgroup_hier *h = cgroup_hier_for(cg, controller);

	if (h == NULL)
		return berth_err_set(err, ENOENT,
				     "cgroup controller \"%s\" is not mounted on this host "
				     "(needed for %s)",
				     controller, file);
	if (cgroup_write_at(h->path, file, value, err) < 0) {
		if (err->code == ENOENT)
			return berth_err_set(err, ENOENT,
					     "cgroup controller \"%s\" is not available in %s "
					     "(no %s)",
					     controller, h->path, file);
		return berth_err_wrap(err, "%s/%s", h->path, file);
	}
	return 0;
}

int cgroup_writef(struct cgroup *cg, const char *controller, const char *file,
		  struct berth_err *err, const char *fmt, ...)
{
	autofree char *v = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&v, fmt, ap) < 0)
		abort();
	va_end(ap);
	return cgroup_write(cg, controller, file, v, err);
}

/* ---- create ---- */

static void hier_free(struct cgroup_hier *h)
{
	strv_free(h->controllers);
	free(h->mount);
	free(h->path);
	strv_free(h->created);
}

void cgroup_free(struct cgroup *cg)
{
	if (cg == NULL)
		return;
	for (size_t i = 0; i < cg->n; i++)
		hier_free(&cg->h[i]);
	free(cg->h);
	free(cg);
}

/* Joins base and rel into a clean "/a/b" path; ".." is refused so no
 * cgroups_path can climb out of a hierarchy. */
static int path_join_clean(const char *base, const char *rel, char **out, struct berth_err *err)
{
	autofree char *in = xasprintf("%s/%s", base, rel);
	autofree char *res = xzalloc(strlen(in) + 2);
	char *save = NULL;

	for (char *c = strtok_r(in, "/", &save); c != NULL; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0)
			return berth_err_set(err, EINVAL, "cgroupsPath %s: \"..\" is not allowed",
					     rel);
		strcat(res, "/");
		strcat(res, c);
	}
	if (res[0] == '\0')
		strcpy(res, "/");
	*out = steal_ptr(res);
	return 0;
}

/* mkdir -p that records which directories it made, outermost first. */
static int mkdir_recorded(const struct cgroup_host *host, const char *mount, const char *rel,
			  char ***created, struct berth_err *err)
{
	autofree char *p = xasprintf("%s%s", mount, rel);
	size_t ml = strlen(mount);

	for (char *s = p + ml + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		if (mkdir(p, 0755) == 0) {
			strv_push(created, p);
			if (host != NULL && host->mkdir_hook != NULL)
				host->mkdir_hook(p, host->hook_data);
		} else if (errno != EEXIST)
			return berth_err_set(err, errno, "mkdir %s", p);
		*s = saved;
		if (saved == '\0')
			return 0;
	}
}

static char *parent_dir(const char *p)
{
	const char *slash = strrchr(p, '/');
	return xstrndup(p, slash > p ? (size_t)(slash - p) : 1);
}

static bool str_blank(const char *s)
{
	return s[strspn(s, " \t\n")] == '\0';
}

/* A new v1 cpuset cgroup starts with empty cpuset.cpus/mems and refuses
 * tasks until they are set; give it the parent's (fixing the parent first
 * when it is empty too, up to the mount). */
static int cpuset_fill(const char *mount, const char *dir, struct berth_err *err)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

	if (strcmp(dir, mount) == 0 || strlen(dir) <= strlen(mount))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		autofree char *cur = NULL, *par = NULL;
		autofree char *up = parent_dir(dir);
		if (cgroup_read_at(dir, files[i], &cur, err) < 0)
			return -1;
		if (!str_blank(cur))
			continue;
		if (cgroup_read_at(up, files[i], &par, err) < 0)
			return -1;
		if (str_blank(par)) {
			if (cpuset_fill(mount, up, err) < 0)
				return -1;
			free(par);
			par = NULL;
			if (cgroup_read_at(up, files[i], &par, err) < 0)
				return -1;
		}
		if (cgroup_write_at(dir, files[i], par, err) < 0)
			return berth_err_wrap(err, "%s/%s", dir, files[i]);
	}
	return 0;
}

/* On v2, controllers reach a cgroup only when its parent lists them in
 * cgroup.subtree_control. Enable what the parent has; a parent that holds
 * processes refuses (EBUSY: "no internal processes"), and a missing
 * controller is only an error later if a limit needs it. */
static void v2_enable_controllers(const char *dir)
{
	static const char *const wanted[] = { "cpu",  "cpuset",  "io",   "memory",
					      "pids", "hugetlb", "misc", "rdma" };
	autofree char *parent = parent_dir(dir);
	autofree char *avail = NULL;
	struct berth_err e;

	if (cgroup_read_at(parent, "cgroup.controllers", &avail, &e) < 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(wanted); i++) {
		autofree char *plus = xasprintf("+%s", wanted[i]);
		autofree char *list = xasprintf(" %s ", avail);
		autofree char *needle = xasprintf(" %s ", wanted[i]);
		if (strstr(list, needle) == NULL)
			continue;
		if (cgroup_write_at(parent, "cgroup.subtree_control", plus, &e) < 0)
			log_debug("cgroup: enable %s in %s: %s", wanted[i], parent, e.msg);
	}
}

static void remove_created(struct cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++) {
		char **c = cg->h[i].created;
		for (size_t j = strv_len(c); j-- > 0;)
			rmdir(c[j]);
	}
}

static int hier_setup(const struct cgroup_host *host, const char *own_text,
		      const struct cgroup_mount *m, const char *cgroups_path, const char *id,
		      struct cgroup_hier *h, struct berth_err *err)
{
	autofree char *own = NULL, *rel = NULL, *name = NULL;

	h->v2 = m->v2;
	h->controllers = strv_dup(m->controllers);
	h->mount = xstrdup(m->mount);
	if (cgroups_path != NULL && cgroups_path[0] == '/') {
		if (path_join_clean("", cgroups_path, &rel, err) < 0)
			return -1;
	} else {
		if (cgroup_host_own_path(host, own_text, m, &own, err) < 0)
			return -1;
		name = cgroups_path ? xstrdup(cgroups_path) : xasprintf("berth-%s", id);
		if (path_join_clean(own, name, &rel, err) < 0)
			return -1;
	}
	if (strcmp(rel, "/") == 0)
		return berth_err_set(err, EINVAL,
				     "cgroupsPath \"%s\" names the root of %s; refusing to use it",
				     cgroups_path ? cgroups_path : "", m->mount);
	h->path = xasprintf("%s%s", m->mount, rel);
	if (mkdir_recorded(host, m->mount, rel, &h->created, err) < 0)
		return -1;
	return 0;
}

int cgroup_create(const struct cgroup_host *host, const char *cgroups_path, const char *id,
		  struct cgroup **out, struct berth_err *err)
{
	struct cgroup_mount *m = NULL;
	autofree char *own = NULL;
	struct cgroup *cg;
	size_t nm = 0;
	enum cgroup_mode mode;

	/* systemd's "slice:prefix:name" is never absolute; a real path
	 * starts with '/' or is relative without colons. */
	if (cgroups_path != NULL && cgroups_path[0] != '/' && strchr(cgroups_path, ':') != NULL)
		return berth_err_set(err, ENOTSUP,
				     "cgroupsPath \"%s\" is in the systemd \"slice:prefix:name\" "
				     "form: the systemd cgroup driver is not supported yet",
				     cgroups_path);
	if (cgroups_path == NULL && (id == NULL || *id == '\0' || strchr(id, '/') != NULL))
		return berth_err_set(err, EINVAL, "cgroup: bad container id");
	if (cgroup_host_mounts(host, &m, &nm, &mode, err) < 0)
		return -1;
	if ((cgroups_path == NULL || cgroups_path[0] != '/') &&
	    cgroup_host_read_own(host, &own, err) < 0) {
		cgroup_mounts_free(m, nm);
		return -1;
	}
	cg = xzalloc(sizeof(*cg));
	cg->mode = mode;
	cg->unified = -1;
	cg->h = xcalloc(nm, sizeof(*cg->h));
	for (size_t i = 0; i < nm; i++) {
		struct cgroup_hier *h = &cg->h[cg->n++];
		if (hier_setup(host, own, &m[i], cgroups_path, id, h, err) < 0)
			goto fail;
		if (h->v2)
			cg->unified = (int)i;
		if (!h->v2 && strv_contains(h->controllers, "cpuset")) {
			for (size_t j = 0; h->created != NULL && h->created[j] != NULL; j++)
				if (cpuset_fill(h->mount, h->created[j], err) < 0)
					goto fail;
			if (cpuset_fill(h->mount, h->path, err) < 0)
				goto fail;
		}
		if (h->v2 && mode == CGROUP_MODE_V2) {
			if (h->created == NULL)
				v2_enable_controllers(h->path);
			for (size_t j = 0; h->created != NULL && h->created[j] != NULL; j++)
				v2_enable_controllers(h->created[j]);
		}
	}
	cgroup_mounts_free(m, nm);
	*out = cg;
	return 0;
fail:
	remove_created(cg);
	cgroup_free(cg);
	cgroup_mounts_free(m, nm);
	return berth_err_wrap(err, "create cgroup");
}

/* ---- apply ---- */

static bool same_rule(const struct cgroup_device_rule *a, const struct cgroup_device_rule *b)
{
	return a->allow == b->allow && a->type == b->type && a->major == b->major &&
	       a->minor == b->minor && strcmp(a->access, b->access) == 0;
}

/* Whether rule d, appended to v[0..n), would change nothing: the same
 * rule is there already with only rules of its own kind (allow or deny)
 * after it, so nothing since undid it. (docker's spec lists the very
 * rules the runtime adds: each would be a second write.) */
static bool rule_redundant(const struct cgroup_device_rule *v, size_t n,
			   const struct cgroup_device_rule *d)
{
	for (size_t i = n; i-- > 0;) {
		if (same_rule(&v[i], d))
			return true;
		if (v[i].allow != d->allow)
			return false;
	}
	return false;
}

struct cgroup_device_rule *cgroup_device_rules_effective(const struct cgroup_resources *res,
							 size_t *n)
{
	struct cgroup_device_rule *v;

	v = xcalloc(res->n_devices + cgroup_n_default_device_rules, sizeof(*v));
	if (res->n_devices > 0)
		memcpy(v, res->devices, res->n_devices * sizeof(*v));
	*n = res->n_devices;
	for (size_t i = 0; i < cgroup_n_default_device_rules; i++)
		if (!rule_redundant(v, *n, &cgroup_default_device_rules[i]))
			v[(*n)++] = cgroup_default_device_rules[i];
	return v;
}

/* On hybrid hosts a unified key may only go where a cgroup2 file of that
 * name exists: core "cgroup.*" files, or a controller cgroup2 owns here. */
static int hybrid_unified(struct cgroup *cg, const struct cgroup_resources *res,
			  struct berth_err *err)
{
	struct cgroup_hier *u = cgroup_hier_unified(cg);

	for (size_t i = 0; i < res->n_unified; i++) {
		const char *key = res->unified[i].key;
		autofree char *ctrl = xstrndup(key, strcspn(key, "."));
		if (strcmp(ctrl, "cgroup") != 0 && cgroup_hier_for(cg, ctrl) != NULL)
			return berth_err_set(err, EINVAL,
					     "linux.resources.unified.%s: controller \"%s\" is on "
					     "cgroup v1 on this host; use the v1 field instead",
					     key, ctrl);
		if (u == NULL || !cgroup_file_exists(u->path, key))
			return berth_err_set(err, ENOENT,
					     "linux.resources.unified.%s: not available on this "
					     "hybrid host's cgroup2 hierarchy",
					     key);
	}
	return u ? cgroup_v2_write_unified(u, res, err) : 0;
}

int cgroup_apply(struct cgroup *cg, const struct cgroup_resources *res, struct berth_err *err)
{
	if (cgroup_resources_check(res, "linux.resources", err) < 0)
		return -1;
	if (cg->mode == CGROUP_MODE_V1 && res->n_unified > 0)
		return berth_err_set(err, EINVAL,
				     "linux.resources.unified.%s: needs cgroup v2, and this host "
				     "has v1 only",
				     res->unified[0].key);
	if (cg->mode == CGROUP_MODE_V2)
		return cgroup_v2_ops.apply(cg, res, err);
	if (cgroup_v1_ops.apply(cg, res, err) < 0)
		return -1;
	if (cg->mode != CGROUP_MODE_HYBRID)
		return 0;
	if (res->n_unified > 0 && hybrid_unified(cg, res, err) < 0)
		return -1;
	/* The kernel checks a device access against the task's v1 devices
	 * cgroup and against eBPF programs of its cgroup2 cgroups alike
	 * (devcgroup_check_permission), so the v1 rules already bind the
	 * container wherever it sits in cgroup2. Only a hybrid host without a
	 * v1 devices hierarchy needs the policy as an eBPF program. */
	if (res->has_devices && cg->unified >= 0 && cgroup_hier_for(cg, "devices") == NULL) {
		size_t n;
		autofree struct cgroup_device_rule *rules = cgroup_device_rules_effective(res, &n);
		if (cgroup_devices_bpf_apply(cg, cgroup_hier_unified(cg), rules, n, err) < 0)
			return -1;
	}
	return 0;
}

int cgroup_apply_create(struct cgroup *cg, const struct cgroup_resources *res,
			struct berth_err *err)
{
	struct cgroup_resources r = { 0 };

	/* A shallow copy: only has_devices is ours to set. */
	if (res != NULL)
		r = *res;
	r.has_devices = true;
	return cgroup_apply(cg, &r, err);
}

/* ---- processes ---- */

int cgroup_enter(struct cgroup *cg, pid_t pid, struct berth_err *err)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (size_t i = 0; i < cg->n; i++)
		if (cgroup_write_at(cg->h[i].path, "cgroup.procs", buf, err) < 0)
			return berth_err_wrap(err, "move %d into %s", (int)pid, cg->h[i].path);
	return 0;
}

/* A single thread moving itself through v1's "tasks" file skips the
 * global cgroup_threadgroup_rwsem that a cgroup.procs write takes for
 * writing (kernel/cgroup/cgroup.c, cgroup_procs_write_start: the lock is
 * only needed when another task or a whole thread group moves). That
 * write-lock waits for an RCU grace period, 0.2-17 ms here on every
 * container start; the self-move costs about 0.2 ms for all hierarchies. */
int cgroup_enter_self(struct cgroup *cg, struct berth_err *err)
{
	for (size_t i = 0; i < cg->n; i++) {
		if (cg->h[i].v2)
			continue;
		if (cgroup_write_at(cg->h[i].path, "tasks", "0", err) < 0)
			return berth_err_wrap(err, "move into %s", cg->h[i].path);
	}
	return 0;
}

int cgroup_descend(struct cgroup *cg, const char *spec, struct berth_err *err)
{
	const char *colon = strchr(spec, ':');
	autofree char *controller = colon != NULL ? xstrndup(spec, (size_t)(colon - spec)) : NULL;
	const char *rel = colon != NULL ? colon + 1 : spec;
	bool any = false;

	/* below the container's directory, never out of it */
	if (rel[0] == '\0' || rel[0] == '/' || strcmp(rel, "..") == 0 ||
	    strncmp(rel, "../", 3) == 0 || strstr(rel, "/../") != NULL ||
	    (strlen(rel) >= 3 && strcmp(rel + strlen(rel) - 3, "/..") == 0))
		return berth_err_set(err, 0,
				     "--cgroup %s: a path below the container's cgroup, "
				     "without \"..\"",
				     spec);
	for (size_t i = 0; i < cg->n; i++) {
		struct cgroup_hier *h = &cg->h[i];
		autofree char *path = NULL;
		struct stat st;
		int e;

		if (controller != NULL && (h->v2 || !strv_contains(h->controllers, controller)))
			continue;
		path = xasprintf("%s/%s", h->path, rel);
		e = stat(path, &st) < 0 ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR : 0;
		if (e != 0)
			return berth_err_set(err, e, "--cgroup %s: %s", spec, path);
		free(h->path);
		h->path = steal_ptr(path);
		any = true;
	}
	if (!any)
		return berth_err_set(err, ENOENT, "--cgroup %s: no hierarchy of controller %s",
				     spec, controller);
	return 0;
}

int cgroup_open_v2(struct cgroup *cg, int *dirfd, struct berth_err *err)
{
	*dirfd = -1;
	if (cg->unified < 0)
		return 0;
	*dirfd = open(cg->h[cg->unified].path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return berth_err_set(err, errno, "open %s", cg->h[cg->unified].path);
	return 0;
}

int cgroup_enter_v2(struct cgroup *cg, pid_t pid, struct berth_err *err)
{
	char buf[32];

	if (cg->unified < 0)
		return 0;
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	if (cgroup_write_at(cg->h[cg->unified].path, "cgroup.procs", buf, err) < 0)
		return berth_err_wrap(err, "move %d into %s", (int)pid, cg->h[cg->unified].path);
	return 0;
}

static struct cgroup_hier *procs_hier(struct cgroup *cg)
{
	static const char *const pref[] = { "pids", "freezer", "memory", "cpu" };

	if (cg->unified >= 0)
		return cgroup_hier_unified(cg);
	for (size_t i = 0; i < ARRAY_SIZE(pref); i++)
		if (cgroup_hier_for(cg, pref[i]) != NULL)
			return cgroup_hier_for(cg, pref[i]);
	return cg->n > 0 ? &cg->h[0] : NULL;
}

int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, struct berth_err *err)
{
	struct cgroup_hier *h = procs_hier(cg);
	autofree char *s = NULL;
	pid_t *v = NULL;
	size_t nv = 0;
	char *save = NULL;

	if (h == NULL)
		return berth_err_set(err, ENOENT, "cgroup: no hierarchy to list processes from");
	if (cgroup_read_at(h->path, "cgroup.procs", &s, err) < 0)
		return -1;
	for (char *l = strtok_r(s, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		v = xreallocarray(v, nv + 1, sizeof(*v));
		v[nv++] = (pid_t)strtol(l, NULL, 10);
	}
	*pids = v;
	*n = nv;
	return 0;
}

/* ---- destroy ---- */

/* Nested cgroups the container made for itself (cgroupns + delegation)
 * must go before its own directory. cgroupfs holds no regular files that
 * rmdir would trip on, so only subdirectories are walked. */
static void rmdir_children(const char *dir)
{
	autoclosedir DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		autofree char *sub = xasprintf("%s/%s", dir, de->d_name);
		rmdir_children(sub);
		rmdir(sub);
	}
}

static int rmdir_retry(const char *dir, struct berth_err *err)
{
	/* Exiting tasks leave a cgroup a little after they are reaped. */
	for (int i = 0; i < 100; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY && errno != ENOTEMPTY)
			break;
		rmdir_children(dir);
		cgroup_sleep_ms(i < 10 ? 2 : 20);
	}
	return berth_err_set(err, errno, "rmdir %s", dir);
}

int cgroup_destroy(struct cgroup *cg, struct berth_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < cg->n; i++) {
		char **c = cg->h[i].created;
		for (size_t j = strv_len(c); j-- > 0;) {
			struct berth_err e;
			if (rmdir_retry(c[j], &e) < 0 && rc == 0) {
				*err = e;
				rc = -1;
			}
		}
	}
	return rc;
}

/* ---- stats, limits ---- */

int cgroup_stats(struct cgroup *cg, json_object **out, struct berth_err *err)
{
	json_object *o = json_object_new_object();
	const struct cgroup_ops *ops = cg->mode == CGROUP_MODE_V2 ? &cgroup_v2_ops : &cgroup_v1_ops;

	if (ops->stats(cg, o, err) < 0) {
		json_object_put(o);
		return -1;
	}
	*out = o;
	return 0;
}

int cgroup_oom_kills(struct cgroup *cg, uint64_t *kills, struct berth_err *err)
{
	const struct cgroup_ops *ops = cg->mode == CGROUP_MODE_V2 ? &cgroup_v2_ops : &cgroup_v1_ops;

	*kills = 0;
	return ops->oom_kills(cg, kills, err);
}

int cgroup_oom_watch(struct cgroup *cg, struct berth_err *err)
{
	struct cgroup_hier *m = cg->mode != CGROUP_MODE_V2 ? cgroup_hier_for(cg, "memory") : NULL;
	struct cgroup_hier *u = cgroup_hier_unified(cg);

	if (m != NULL) {
		/* v1: an eventfd that memory.oom_control signals (Linux's
		 * cgroup.event_control; it keeps its own reference to the file) */
		autoclose int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		autoclose int ofd = -1;
		char line[64];

		if (efd < 0)
			return berth_err_set(err, errno, "eventfd");
		ofd = openat(AT_FDCWD, m->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (ofd >= 0) {
			int fd = openat(ofd, "memory.oom_control", O_RDONLY | O_CLOEXEC);

			close(ofd);
			ofd = fd;
		}
		if (ofd < 0)
			return berth_err_set(err, errno, "open %s/memory.oom_control", m->path);
		snprintf(line, sizeof(line), "%d %d", efd, ofd);
		if (cgroup_write_at(m->path, "cgroup.event_control", line, err) < 0)
			return -1;
		return steal_fd(&efd);
	}
	if (u != NULL) {
		/* v2: memory.events changes (oom, oom_kill among its counters) */
		autoclose int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		autofree char *path = xasprintf("%s/memory.events", u->path);

		if (ifd < 0)
			return berth_err_set(err, errno, "inotify_init1");
		if (inotify_add_watch(ifd, path, IN_MODIFY) < 0)
			return berth_err_set(err, errno, "watch %s", path);
		return steal_fd(&ifd);
	}
	return berth_err_set(err, ENOENT, "no memory controller to watch for OOM kills");
}

int cgroup_read_limits(struct cgroup *cg, json_object **out, struct berth_err *err)
{
	json_object *o = json_object_new_object();
	const struct cgroup_ops *ops = cg->mode == CGROUP_MODE_V2 ? &cgroup_v2_ops : &cgroup_v1_ops;

	if (ops->read_limits(cg, o, err) < 0) {
		json_object_put(o);
		return -1;
	}
	*out = o;
	return 0;
}

/* ---- state ---- */

static json_object *strv_to_json(char **v)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

json_object *cgroup_to_json(const struct cgroup *cg)
{
	json_object *o = json_object_new_object();
	json_object *hs = json_object_new_array();

	json_object_object_add(o, "mode", json_object_new_string(cgroup_mode_name(cg->mode)));
	for (size_t i = 0; i < cg->n; i++) {
		const struct cgroup_hier *h = &cg->h[i];
		json_object *j = json_object_new_object();
		json_object_object_add(j, "v2", json_object_new_boolean(h->v2));
		if (!h->v2)
			json_object_object_add(j, "controllers", strv_to_json(h->controllers));
		json_object_object_add(j, "mount", json_object_new_string(h->mount));
		json_object_object_add(j, "path", json_object_new_string(h->path));
		json_object_object_add(j, "created", strv_to_json(h->created));
		json_object_array_add(hs, j);
	}
	json_object_object_add(o, "hierarchies", hs);
	if (cg->bpf_prog_id != 0)
		json_object_object_add(o, "bpfDeviceProgramId",
				       json_object_new_int64(cg->bpf_prog_id));
	return o;
}

static bool path_under(const char *p, const char *mount)
{
	size_t ml = strlen(mount);
	return strncmp(p, mount, ml) == 0 && p[ml] == '/' && strstr(p + ml, "/..") == NULL;
}

static int hier_from_json(json_object *j, const char *p, struct cgroup_hier *h,
			  struct berth_err *err)
{
	const char *mount = NULL, *path = NULL;

	if (json_get_bool(j, "v2", p, &h->v2, err) < 0 ||
	    json_get_strv(j, "controllers", p, &h->controllers, err) < 0 ||
	    json_get_string(j, "mount", p, &mount, err) < 0 ||
	    json_get_string(j, "path", p, &path, err) < 0 ||
	    json_get_strv(j, "created", p, &h->created, err) < 0)
		return -1;
	if (mount == NULL || path == NULL)
		return berth_err_set(err, EINVAL, "%s: mount and path are required", p);
	h->mount = xstrdup(mount);
	h->path = xstrdup(path);
	/* The state file decides what destroy removes: keep every path
	 * inside its hierarchy. */
	if (!path_under(h->path, h->mount))
		return berth_err_set(err, EINVAL, "%s.path: %s is not under %s", p, h->path,
				     h->mount);
	for (size_t i = 0; h->created != NULL && h->created[i] != NULL; i++)
		if (!path_under(h->created[i], h->mount))
			return berth_err_set(err, EINVAL, "%s.created: %s is not under %s", p,
					     h->created[i], h->mount);
	if (h->created != NULL && h->created[0] == NULL) {
		strv_free(h->created);
		h->created = NULL;
	}
	return 0;
}

int cgroup_from_json(json_object *o, const struct cgroup_host *host, struct cgroup **out,
		     struct berth_err *err)
{
	struct cgroup *cg = xzalloc(sizeof(*cg));
	json_object *hs = NULL;
	const char *mode = NULL;
	int64_t id = 0;

	(void)host; /* paths are stored whole, prefix included */
	cg->unified = -1;
	if (json_get_string(o, "mode", "cgroup", &mode, err) < 0 ||
	    json_get_array(o, "hierarchies", "cgroup", &hs, err) < 0 ||
	    json_get_int_range(o, "bpfDeviceProgramId", "cgroup", 0, UINT32_MAX, &id, err) < 0)
		goto fail;
	if (mode == NULL || mode_from_name(mode, &cg->mode) < 0 || hs == NULL) {
		berth_err_set(err, EINVAL, "cgroup: bad or missing mode/hierarchies");
		goto fail;
	}
	cg->bpf_prog_id = (uint32_t)id;
	cg->h = xcalloc(json_object_array_length(hs) + 1, sizeof(*cg->h));
	for (size_t i = 0; i < json_object_array_length(hs); i++) {
		autofree char *p = xasprintf("cgroup.hierarchies[%zu]", i);
		if (hier_from_json(json_object_array_get_idx(hs, i), p, &cg->h[cg->n++], err) < 0)
			goto fail;
		if (cg->h[i].v2)
			cg->unified = (int)i;
	}
	*out = cg;
	return 0;
fail:
	cgroup_free(cg);
	return -1;
}
