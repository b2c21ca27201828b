/* Reading the host's cgroup layout: which hierarchies are mounted where
 * (/proc/self/mountinfo) and which cgroup the calling process is in
 * (/proc/self/cgroup). Both files come through struct cgroup_host so tests
 * can hand in fakes, and every mount point gets the host's root prefix. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime/cgroup/cgroup-internal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/mountinfo.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define PROC_FILE_MAX (1 << 20)

/* v1 mount options that name a controller; anything else in the super
 * options (rw, name=..., clone_children, noprefix, ...) is not one. */
static const char *const known_controllers[] = {
	"cpu",      "cpuacct", "cpuset", "memory",  "devices",    "freezer", "net_cls",
	"net_prio", "blkio",   "pids",   "hugetlb", "perf_event", "rdma",    "misc",
};

static const char *host_mountinfo(const struct cgroup_host *h)
{
	return h && h->mountinfo ? h->mountinfo : "/proc/self/mountinfo";
}

static const char *host_proc_cgroup(const struct cgroup_host *h)
{
	return h && h->proc_cgroup ? h->proc_cgroup : "/proc/self/cgroup";
}

static const char *host_prefix(const struct cgroup_host *h)
{
	return h && h->root_prefix ? h->root_prefix : "";
}

/* The hierarchy's controllers; systemd's named hierarchy counts as one
 * ("name=systemd", as /proc/PID/cgroup names it): runc places containers
 * there too on v1 and hybrid hosts, and tools (systemd itself, ps's
 * unit column) look there. */
static char **controllers_from_options(const char *opts)
{
	char **v = NULL;
	autofree char *copy = xstrdup(opts);
	char *save = NULL;

	for (char *o = strtok_r(copy, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save)) {
		if (strcmp(o, "name=systemd") == 0)
			strv_push(&v, o);
		for (size_t i = 0; i < ARRAY_SIZE(known_controllers); i++)
			if (strcmp(o, known_controllers[i]) == 0)
				strv_push(&v, o);
	}
	return v;
}

static bool same_controllers(char **a, char **b)
{
	if (strv_len(a) != strv_len(b))
		return false;
	for (size_t i = 0; a[i] != NULL; i++)
		if (!strv_contains(b, a[i]))
			return false;
	return true;
}

int cgroup_host_mounts(const struct cgroup_host *host, struct cgroup_mount **out, size_t *n,
		       enum cgroup_mode *mode, struct berth_err *err)
{
	automountinfo struct mountinfo mi = { 0 };
	struct cgroup_mount *m = NULL;
	size_t nm = 0, n_v1 = 0;
	bool have_v2 = false;

	if (mountinfo_read(host_mountinfo(host), &mi, err) < 0)
		return -1;
	for (size_t i = 0; i < mi.n; i++) {
		const struct mountinfo_entry *e = &mi.v[i];
		char **ctrls = NULL;
		bool v2 = strcmp(e->fstype, "cgroup2") == 0, dup = false;

		if (!v2 && strcmp(e->fstype, "cgroup") != 0)
			continue;
		if (v2 && have_v2)
			continue;
		if (!v2) {
			ctrls = controllers_from_options(e->super);
			for (size_t j = 0; j < nm && ctrls != NULL; j++)
				if (!m[j].v2 && same_controllers(m[j].controllers, ctrls))
					dup = true;
			if (ctrls == NULL || dup) {
				strv_free(ctrls);
				continue;
			}
			/* systemd's named hierarchy alone makes no cgroup host */
			if (!(strv_len(ctrls) == 1 && strcmp(ctrls[0], "name=systemd") == 0))
				n_v1++;
		}
		have_v2 = have_v2 || v2;
		m = xreallocarray(m, nm + 1, sizeof(*m));
		m[nm++] = (struct cgroup_mount){
			.v2 = v2,
			.controllers = ctrls,
			.mount = xasprintf("%s%s", host_prefix(host), e->point),
			.root = xstrdup(e->root),
		};
	}
	if (n_v1 == 0 && !have_v2) {
		cgroup_mounts_free(m, nm);
		return berth_err_set(err, ENOENT, "no cgroup filesystem mounted (read %s)",
				     host_mountinfo(host));
	}
	*mode = n_v1 == 0 ? CGROUP_MODE_V2 : have_v2 ? CGROUP_MODE_HYBRID : CGROUP_MODE_V1;
	*out = m;
	*n = nm;
	return 0;
}

void cgroup_mounts_free(struct cgroup_mount *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		strv_free(m[i].controllers);
		free(m[i].mount);
		free(m[i].root);
	}
	free(m);
}

static bool line_matches(const struct cgroup_mount *m, char *ctrl_field)
{
	char *save = NULL;

	if (m->v2)
		return *ctrl_field == '\0';
	for (char *c = strtok_r(ctrl_field, ",", &save); c != NULL; c = strtok_r(NULL, ",", &save))
		if (strv_contains(m->controllers, c))
			return true;
	return false;
}

int cgroup_host_read_own(const struct cgroup_host *host, char **text, struct berth_err *err)
{
	return fs_read_file(host_proc_cgroup(host), PROC_FILE_MAX, text, NULL, err);
}

int cgroup_host_own_path(const struct cgroup_host *host, const char *own, const struct cgroup_mount *m,
			 char **out, struct berth_err *err)
{
	autofree char *text = NULL;
	char *save = NULL;

	if (own != NULL)
		text = xstrdup(own);
	else if (cgroup_host_read_own(host, &text, err) < 0)
		return -1;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2, *path;
		size_t rl;

		if (c1 == NULL || (c2 = strchr(c1 + 1, ':')) == NULL)
			continue;
		*c2 = '\0';
		path = c2 + 1;
		if (m->v2 && strcmp(line, "0:") != 0)
			continue;
		if (!line_matches(m, c1 + 1))
			continue;
		/* A mount of a sub-tree (bind mount from outside a cgroup
		 * namespace) shows our path from the hierarchy's real root:
		 * drop the part the mount already covers. */
		rl = strlen(m->root);
		if (strcmp(m->root, "/") != 0 && strncmp(path, m->root, rl) == 0 &&
		    (path[rl] == '/' || path[rl] == '\0'))
			path += rl;
		*out = xstrdup(*path == '\0' ? "/" : path);
		return 0;
	}
	return berth_err_set(err, ENOENT, "%s: no entry for the cgroup hierarchy at %s",
			     host_proc_cgroup(host), m->mount);
}
