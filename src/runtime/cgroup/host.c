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

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r != '\0'; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static char **controllers_from_options(const char *opts)
{
	char **v = NULL;
	autofree char *copy = xstrdup(opts);
	char *save = NULL;

	for (char *o = strtok_r(copy, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save))
		for (size_t i = 0; i < ARRAY_SIZE(known_controllers); i++)
			if (strcmp(o, known_controllers[i]) == 0)
				strv_push(&v, o);
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

/* Splits one mountinfo line into the fields we need. Returns false for a
 * line that is not a cgroup mount. */
static bool parse_line(char *line, char **root, char **mnt, char **fstype, char **super)
{
	char *f[6], *save = NULL, *tok;
	size_t n = 0;

	for (tok = strtok_r(line, " \n", &save); tok != NULL && n < 6;
	     tok = strtok_r(NULL, " \n", &save))
		f[n++] = tok;
	if (n < 6)
		return false;
	/* optional fields run up to the "-" separator */
	while (tok != NULL && strcmp(tok, "-") != 0)
		tok = strtok_r(NULL, " \n", &save);
	if (tok == NULL)
		return false;
	*fstype = strtok_r(NULL, " \n", &save);
	if (*fstype == NULL || strtok_r(NULL, " \n", &save) == NULL)
		return false;
	*super = strtok_r(NULL, " \n", &save);
	if (*super == NULL)
		return false;
	*root = f[3];
	*mnt = f[4];
	unescape_octal(*root);
	unescape_octal(*mnt);
	return strcmp(*fstype, "cgroup") == 0 || strcmp(*fstype, "cgroup2") == 0;
}

int cgroup_host_mounts(const struct cgroup_host *host, struct cgroup_mount **out, size_t *n,
		       enum cgroup_mode *mode, struct berth_err *err)
{
	autofree char *text = NULL;
	struct cgroup_mount *m = NULL;
	size_t nm = 0, n_v1 = 0;
	bool have_v2 = false;
	char *save = NULL;

	if (fs_read_file(host_mountinfo(host), PROC_FILE_MAX, &text, NULL, err) < 0)
		return -1;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *root, *mnt, *fstype, *super;
		char **ctrls = NULL;
		bool v2, dup = false;

		if (!parse_line(line, &root, &mnt, &fstype, &super))
			continue;
		v2 = strcmp(fstype, "cgroup2") == 0;
		if (v2 && have_v2)
			continue;
		if (!v2) {
			ctrls = controllers_from_options(super);
			for (size_t i = 0; i < nm && ctrls != NULL; i++)
				if (!m[i].v2 && same_controllers(m[i].controllers, ctrls))
					dup = true;
			if (ctrls == NULL || dup) {
				strv_free(ctrls);
				continue;
			}
			n_v1++;
		}
		have_v2 = have_v2 || v2;
		m = xreallocarray(m, nm + 1, sizeof(*m));
		m[nm++] = (struct cgroup_mount){
			.v2 = v2,
			.controllers = ctrls,
			.mount = xasprintf("%s%s", host_prefix(host), mnt),
			.root = xstrdup(root),
		};
	}
	if (nm == 0)
		return berth_err_set(err, ENOENT, "no cgroup filesystem mounted (read %s)",
				     host_mountinfo(host));
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
