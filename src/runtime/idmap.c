#include "runtime/idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/spec.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/xalloc.h"

static int write_map(pid_t pid, const char *file, const struct spec_idmap *m, size_t n,
		     struct berth_err *err)
{
	char path[64], buf[4096];
	size_t len = 0;

	for (size_t j = 0; j < n && len < sizeof(buf); j++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n",
					m[j].container_id, m[j].host_id, m[j].size);
	if (len >= sizeof(buf))
		return berth_err_set(err, E2BIG, "%s: too many mappings", file);
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	return fs_write_file(path, buf, len, err);
}

int idmap_write(pid_t pid, const struct spec_idmap *uid, size_t nu, const struct spec_idmap *gid,
		size_t ng, const char *what, struct berth_err *err)
{
	char path[64];

	if (write_map(pid, "uid_map", uid, nu, err) < 0)
		return berth_err_wrap(err, "%s.uidMappings", what);
	/* An unprivileged caller may write gid_map only once setgroups is
	 * denied. */
	if (geteuid() != 0) {
		snprintf(path, sizeof(path), "/proc/%d/setgroups", pid);
		if (fs_write_file(path, "deny", 4, err) < 0)
			return berth_err_wrap(err, "%s.gidMappings", what);
	}
	if (write_map(pid, "gid_map", gid, ng, err) < 0)
		return berth_err_wrap(err, "%s.gidMappings", what);
	return 0;
}

/* A user namespace with these maps, as an fd: a child makes it and waits
 * while we write its maps, then goes; the fd keeps the namespace. */
static int userns_open(const struct spec_idmap *uid, size_t nu, const struct spec_idmap *gid,
		       size_t ng, const char *what, struct berth_err *err)
{
	int ready[2] = { -1, -1 }, go[2] = { -1, -1 };
	int fd = -1, status;
	char c, path[64];
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
		berth_err_set(err, errno, "%s: pipe", what);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		berth_err_set(err, errno, "%s: fork", what);
		goto out;
	}
	if (pid == 0) {
		/* Only the runtime may hold the write end, or EOF never comes. */
		close(go[1]);
		if (unshare(CLONE_NEWUSER) < 0 || write(ready[1], "1", 1) != 1)
			_exit(1);
		/* Until the runtime has what it needs (EOF). */
		while (read(go[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	ready[1] = -1;
	if (read(ready[0], &c, 1) != 1)
		berth_err_set(err, 0, "%s: could not create a user namespace for the mount", what);
	else if (idmap_write(pid, uid, nu, gid, ng, what, err) == 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			berth_err_set(err, errno, "open %s", path);
	}
	close(go[1]);
	go[1] = -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
out:
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		if (go[i] >= 0)
			close(go[i]);
	}
	return fd;
}

static int open_one(const struct spec *s, size_t i, struct berth_err *err)
{
	const struct spec_mount *m = &s->mounts[i];
	bool own = m->n_uid_mappings > 0;
	autofree char *source = NULL;
	autoclose int userns = -1;
	autoclose int tree = -1;
	char what[32];
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };

	snprintf(what, sizeof(what), "mounts[%zu]", i);
	userns = userns_open(own ? m->uid_mappings : s->uid_mappings,
			     own ? m->n_uid_mappings : s->n_uid_mappings,
			     own ? m->gid_mappings : s->gid_mappings,
			     own ? m->n_gid_mappings : s->n_gid_mappings, what, err);
	if (userns < 0)
		return -1;
	source = spec_mount_source(s, m);
	tree = open_tree(AT_FDCWD, source,
			 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (m->recursive ? AT_RECURSIVE : 0));
	if (tree < 0)
		return berth_err_set(err, errno, "%s: clone %s", what, source);
	attr.userns_fd = (uint64_t)userns;
	if (mount_setattr(tree, "", AT_EMPTY_PATH | (m->idmap_recursive ? AT_RECURSIVE : 0), &attr,
			  sizeof(attr)) < 0)
		return berth_err_set(err, errno, "%s: idmap %s (does its filesystem support "
				     "idmapped mounts?)", what, source);
	return steal_fd(&tree);
}

/* A bind's source, cloned as the runtime (the host's root) sees it. */
static int open_plain(const struct spec *s, size_t i, struct berth_err *err)
{
	const struct spec_mount *m = &s->mounts[i];
	autofree char *source = spec_mount_source(s, m);
	int tree =
	    open_tree(AT_FDCWD, source,
		      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (m->recursive ? AT_RECURSIVE : 0));

	if (tree < 0)
		return berth_err_set(err, errno, "mounts[%zu].source \"%s\"", i, source);
	return tree;
}

int mount_trees_open(const struct spec *s, int **fds, struct berth_err *err)
{
	int *v = NULL;
	bool userns =
	    s->ns[SPEC_NS_USER].present && s->ns[SPEC_NS_USER].path == NULL && geteuid() == 0;

	*fds = NULL;
	for (size_t i = 0; i < s->n_mounts; i++) {
		if (!s->mounts[i].idmap && !(userns && s->mounts[i].bind))
			continue;
		if (v == NULL) {
			v = xcalloc(s->n_mounts, sizeof(*v));
			for (size_t j = 0; j < s->n_mounts; j++)
				v[j] = -1;
		}
		v[i] = s->mounts[i].idmap ? open_one(s, i, err) : open_plain(s, i, err);
		if (v[i] < 0) {
			mount_trees_close(v, s->n_mounts);
			return -1;
		}
	}
	*fds = v;
	return 0;
}

void mount_trees_close(int *fds, size_t n)
{
	for (size_t i = 0; fds != NULL && i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}
