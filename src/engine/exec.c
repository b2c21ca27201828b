/* `exec`: another process in a running container, through the runtime's
 * exec (which joins the container's namespaces and cgroup and applies its
 * process settings). The caller's berth process waits for it: exec needs
 * no daemon and no help from the monitor. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/engine-internal.h"
#include "engine/ocispec.h"
#include "image/store.h"
#include "runtime/caps.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

static int resolve_user(struct engine *e, const struct engine_container *c, const char *spec,
			char **user, char ***gids, struct berth_err *err)
{
	struct store_snapshot sn = { 0 };
	struct ocispec_user u = { 0 };
	autostrv char **group_add = NULL;
	struct berth_err ignored;

	if (store_snapshot_get(e->store, c->id, &sn, err) < 0)
		return -1;
	/* docker's groups for the user, and the container's --group-add. */
	json_get_strv(c->config, "GroupAdd", NULL, &group_add, &ignored);
	if (ocispec_resolve_user(sn.mountpoint, spec, &u, err) < 0 ||
	    ocispec_user_docker_groups(sn.mountpoint, group_add, &u, err) < 0) {
		ocispec_user_clear(&u);
		store_snapshot_clear(&sn);
		return -1;
	}
	*user = xasprintf("%u:%u", u.uid, u.gid);
	for (size_t i = 0; i < u.n_additional; i++)
		strv_push_take(gids, xasprintf("%u", u.additional_gids[i]));
	ocispec_user_clear(&u);
	store_snapshot_clear(&sn);
	return 0;
}

/* Runs the exec in this process; the exit status, or -1. */
static int run_exec(struct engine *e, const char *id, struct exec_opts *x, int *status,
		    struct berth_err *err)
{
	struct runtime_ctx ctx = engine_runtime_ctx(e);

	return container_exec(&ctx, id, x, status, err);
}

int engine_exec(struct engine *e, const char *what, const struct engine_exec_opts *o, int *status,
		struct berth_err *err)
{
	struct engine_container c = { 0 };
	struct exec_opts x = { 0 };
	autofree char *user = NULL;
	autostrv char **gids = NULL, **caps = NULL;
	int saved_in = -1, r = -1;

	/* docker: 1 for a container that is not there or not running, 126
	 * for any failure to start the process in it (below). */
	if (engine_lookup(e, what, &c, err) < 0) {
		err->exit_status = 1;
		return -1;
	}
	if (c.state != ENGINE_RUNNING) {
		berth_err_set(err, 0, "container %.12s is not running", c.id);
		err->exit_status = 1;
		goto out;
	}
	if (o->user != NULL && o->user[0] != '\0' &&
	    resolve_user(e, &c, o->user, &user, &gids, err) < 0)
		goto out;
	/* --privileged: every capability this process may give. */
	if (o->privileged)
		for (int cap = 0; cap <= caps_last_cap(); cap++)
			if (caps_to_name(cap) != NULL && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
				strv_push(&caps, caps_to_name(cap));
	x.args = o->cmd;
	x.env = o->env;
	x.cwd = o->workdir;
	x.user = user;
	x.additional_gids = gids;
	x.caps = caps;
	x.tty = o->tty;
	if (o->detach) {
		pid_t pid;
		int st;

		/* On its own: a session of its own, stdio on /dev/null, and
		 * a parent that waits for it and nothing else. */
		pid = fork();
		if (pid < 0) {
			berth_err_set(err, errno, "fork");
			goto out;
		}
		if (pid == 0) {
			int null = open("/dev/null", O_RDWR);

			setsid();
			if (fork() != 0)
				_exit(0);
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			_exit(run_exec(e, c.id, &x, &st, err) < 0 ? 1 : 0);
		}
		waitpid(pid, &st, 0);
		*status = 0;
		r = 0;
		goto out;
	}
	/* Without -i the process gets no stdin, as docker's. */
	if (!o->interactive) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		saved_in = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			close(null);
		}
	}
	r = run_exec(e, c.id, &x, status, err);
	if (r < 0)
		err->exit_status = 126; /* docker's "OCI runtime exec failed" */
	if (saved_in >= 0) {
		dup2(saved_in, STDIN_FILENO);
		close(saved_in);
	}
out:
	engine_container_clear(&c);
	return r;
}
