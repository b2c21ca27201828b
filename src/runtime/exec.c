/* exec: another process in a running container, in its namespaces and
 * cgroup, from a --process file or the container's own process with the
 * command line's overrides. */
#include "runtime/container-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/caps.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/resources.h"
#include "runtime/hooks.h"
#include "runtime/process.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"
#include "runtime/state.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/num.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* How long delete waits for a killed container to go away. */
#define KILL_WAIT_MS 10000

/* uid[:gid]. An id of 2^32-1 is (uid_t)-1, which setresuid(2) reads as
 * "leave unchanged": the process would keep root. Ids above it used to
 * wrap, "-1" too. Neither gets through: the bound is the config's. */
static int parse_user(const char *spec, struct spec_user *u, struct berth_err *err)
{
	const char *p = spec;
	uint64_t uid, gid = u->gid;
	int r;

	if ((r = num_take_u64(&p, 10, SPEC_ID_MAX, &uid)) < 0 || (*p != '\0' && *p != ':'))
		goto bad;
	if (*p == ':') {
		p++;
		if ((r = num_parse_u64(p, 10, SPEC_ID_MAX, &gid)) < 0)
			goto bad;
	}
	u->uid = (uid_t)uid;
	u->gid = (gid_t)gid;
	return 0;
bad:
	if (r == -ERANGE)
		return berth_err_set(err, 0, "--user \"%s\": ids must be in [0, %u]", spec,
				     SPEC_ID_MAX);
	return berth_err_set(err, 0, "--user \"%s\": expected uid[:gid]", spec);
}

/* The process exec runs: a --process file, or the container's own process
 * with the command line's overrides. */
static int exec_process(struct spec *s, const struct exec_opts *o, struct berth_err *err)
{
	struct spec_process *p = &s->process;

	if (o->process_file != NULL) {
		autofree char *text = NULL;
		autojson json_object *doc = NULL;
		struct spec_process np = {0};
		size_t len;
		if (fs_read_file(o->process_file, SPEC_CONFIG_MAX, &text, &len, err) < 0 ||
		    json_parse_text(text, len, o->process_file, &doc, err) < 0 ||
		    spec_process_parse(doc, "process", &np, err) < 0)
			return -1;
		spec_process_clear(p);
		*p = np;
	} else {
		if (o->args == NULL || o->args[0] == NULL)
			return berth_err_set(err, 0, "exec: no command given");
		strv_free(p->args);
		p->args = strv_dup(o->args);
		for (size_t i = 0; o->env != NULL && o->env[i] != NULL; i++)
			strv_push(&p->env, o->env[i]);
		if (o->cwd != NULL) {
			free(p->cwd);
			p->cwd = xstrdup(o->cwd);
		}
		if (o->user != NULL) {
			p->user.n_additional_gids = 0;
			if (parse_user(o->user, &p->user, err) < 0)
				return -1;
		}
		for (size_t i = 0; o->additional_gids != NULL && o->additional_gids[i]; i++) {
			uint64_t g;

			if (num_parse_u64(o->additional_gids[i], 10, SPEC_ID_MAX, &g) < 0)
				return berth_err_set(err, 0, "--additional-gids \"%s\": not a gid",
						     o->additional_gids[i]);
			p->user.additional_gids =
				xreallocarray(p->user.additional_gids,
					      p->user.n_additional_gids + 1, sizeof(gid_t));
			p->user.additional_gids[p->user.n_additional_gids++] = (gid_t)g;
		}
		p->terminal = o->tty;
		if (o->no_new_privs)
			p->no_new_privileges = true;
	}
	if (o->caps != NULL) {
		uint64_t add = 0;
		if (caps_parse_list(o->caps, "--cap", &add, err) < 0)
			return -1;
		p->caps.present = true;
		p->caps.bounding |= add;
		p->caps.effective |= add;
		p->caps.permitted |= add;
		p->caps.inheritable |= add;
		p->caps.ambient |= add;
	}
	return 0;
}

int container_exec(const struct runtime_ctx *ctx, const char *id, const struct exec_opts *o,
		   int *status, struct berth_err *err)
{
	struct container_state *st = NULL;
	struct spec *s = NULL;
	struct create_job j;
	struct create_opts copts = {.id = id, .preserve_fds = o->preserve_fds,
				    .no_new_keyring = true};
	enum container_status cs;
	autoclose int proxy_end = -1;
	autoclose int master = -1;
	int r = -1;

	if (load_container(ctx, id, &st, &s, err) < 0)
		return -1;
	if (spec_seccomp_ready(s, err) < 0) {
		spec_free(s);
		state_free(st);
		return -1;
	}
	job_init(&j, ctx, &copts, s);
	j.st = *st;
	j.st.created = NULL;
	j.st.cgroup = NULL;
	cs = state_status(ctx->root, st);
	/* runc's words and its --ignore-paused (whose process stays frozen
	 * until the container is resumed) */
	if (cs == STATUS_PAUSED && !o->ignore_paused) {
		berth_err_set(err, 0,
			      "cannot exec in a paused container (use --ignore-paused to "
			      "override)");
		goto out;
	}
	if (cs != STATUS_RUNNING && cs != STATUS_CREATED && cs != STATUS_PAUSED) {
		berth_err_set(err, 0, "cannot exec in a %s container", state_status_name(cs));
		goto out;
	}
	if (exec_process(s, o, err) < 0)
		goto out;
	if (s->process.terminal && o->console_socket == NULL && o->detach) {
		berth_err_set(err, 0, "--tty with --detach needs --console-socket");
		goto out;
	}
	/* A rootless container may have no cgroup; then neither does this. */
	if (st->cgroup != NULL && load_cgroup(st, &j.cg, err) < 0)
		goto out;
	for (size_t i = 0; o->cgroups != NULL && o->cgroups[i] != NULL; i++) {
		if (j.cg == NULL) {
			berth_err_set(err, 0, "--cgroup: the container has no cgroup");
			goto out;
		}
		if (cgroup_descend(j.cg, o->cgroups[i], err) < 0)
			goto out;
	}
	if (job_console(&j, o->console_socket, s->process.terminal, &proxy_end, err) < 0)
		goto out;
	if (job_spawn(&j, &s->process, st->pid, err) < 0) {
		if (j.init > 0) {
			kill(j.init, SIGKILL);
			waitpid(j.init, NULL, 0);
		}
		if (j.stage1 > 0) {
			kill(j.stage1, SIGKILL);
			waitpid(j.stage1, NULL, 0);
		}
		goto out;
	}
	if (o->pid_file != NULL && write_pid_file(o->pid_file, j.init, err) < 0)
		goto out;
	*status = 0;
	r = 0;
	if (o->detach)
		goto out;
	if (proxy_end >= 0 && terminal_recv_fd(proxy_end, &master, err) == 0)
		terminal_proxy(master, err);
	r = wait_forwarding(j.init, status, err);
out:
	j.st.created = NULL;
	job_free(&j);
	spec_free(s);
	state_free(st);
	return r;
}
