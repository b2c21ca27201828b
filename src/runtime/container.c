/* The container lifecycle after create: start, run, state, list, kill,
 * delete, pause/resume, update, ps and stats. Status is derived from the
 * recorded process, the exec fifo and the freezer (state.c). */
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
#include "runtime/rootfs.h"
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
#include "util/strv.h"
#include "util/xalloc.h"

/* How long delete waits for a killed container to go away. */
#define KILL_WAIT_MS 10000

int container_id_validate(const char *id, struct berth_err *err)
{
	if (id == NULL || id[0] == '\0')
		return berth_err_set(err, 0, "container id must not be empty");
	if (strlen(id) > 1024)
		return berth_err_set(err, 0, "container id is longer than 1024 bytes");
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0 || strchr(id, '/') != NULL)
		return berth_err_set(err, 0, "invalid container id \"%s\": must not be \".\", "
				     "\"..\" or contain \"/\"", id);
	/* The state root's one entry that is not a container. */
	if (strcmp(id, SECCOMP_CACHE_NAME) == 0)
		return berth_err_set(err, 0, "invalid container id \"%s\": the runtime's own cache "
				     "of seccomp filters", id);
	for (const char *c = id; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return berth_err_set(err, 0, "invalid container id: control character");
	return 0;
}

int pidfd_open_checked(const struct container_state *st)
{
	int fd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	/* The pid may have been reused between the state read and the
	 * pidfd: check the start time once the pidfd pins the process. */
	if (fd >= 0 && !state_pid_alive(st)) {
		close(fd);
		errno = ESRCH;
		return -1;
	}
	return fd;
}

/* Waits until the process behind pidfd exits (it need not be our child). */
static bool pidfd_wait(int pidfd, int timeout_ms)
{
	struct pollfd p = {pidfd, POLLIN, 0};
	int r;
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r > 0;
}

/* Loads the state and the config stored at create. */
/* The config.json kept in the state directory at create. */
static int read_stored_config(const struct runtime_ctx *ctx, const char *id, json_object **doc,
			      struct berth_err *err)
{
	autofree char *path = xasprintf("%s/%s/config.json", ctx->root, id);
	autofree char *text = NULL;
	size_t len;

	if (fs_read_file(path, SPEC_CONFIG_MAX, &text, &len, err) < 0)
		return -1;
	return json_parse_text(text, len, path, doc, err);
}

void runtime_seccomp_cache(const struct runtime_ctx *ctx)
{
	autofree char *dir = xasprintf("%s/%s", ctx->root, SECCOMP_CACHE_NAME);

	seccomp_cache_dir(dir);
}

int load_container(const struct runtime_ctx *ctx, const char *id,
			  struct container_state **st, struct spec **s, struct berth_err *err)
{
	if (container_id_validate(id, err) < 0 || state_load(ctx->root, id, st, err) < 0)
		return -1;
	if (s != NULL) {
		autojson json_object *doc = NULL;

		runtime_seccomp_cache(ctx);
		if (read_stored_config(ctx, id, &doc, err) < 0 ||
		    spec_parse_stored(doc, (*st)->bundle, s, err) < 0) {
			state_free(*st);
			*st = NULL;
			return -1;
		}
	}
	return 0;
}

int load_cgroup(const struct container_state *st, struct cgroup **cg,
		       struct berth_err *err)
{
	if (st->cgroup == NULL)
		return berth_err_set(err, 0, "container \"%s\" has no cgroup (it was created by a "
				     "caller that may not make cgroups)", st->id);
	return cgroup_from_json(st->cgroup, NULL, cg, err);
}

/* Opens the exec fifo, which lets the created container's process go on,
 * and returns once it has exec'd; then the poststart hooks. reader is the
 * fifo already open for reading, taken over, or -1: `run`'s, whose
 * container process is its own child, not yet reaped (so its pid cannot
 * have been reused), and may have run and exited already. */
static int start_loaded(const struct runtime_ctx *ctx, const struct container_state *st,
			const struct spec *s, int reader, struct berth_err *err)
{
	const char *id = st->id;
	autofree char *fifo = NULL;
	autoclose int fd = reader;
	autoclose int pidfd = -1;
	int r = -1;

	fifo = xasprintf("%s/%s/exec.fifo", ctx->root, id);
	/* The pidfd first: once the fifo is open the program may run and
	 * exit at once. Non-blocking for us; it unblocks the init's open. */
	pidfd = reader >= 0 ? (int)syscall(SYS_pidfd_open, st->pid, 0) : pidfd_open_checked(st);
	if (pidfd >= 0 && fd < 0)
		fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || pidfd < 0) {
		berth_err_set(err, errno, "cannot start container \"%s\"", id);
		goto out;
	}
	for (;;) {
		struct pollfd p[2] = {{fd, POLLIN, 0}, {pidfd, POLLIN, 0}};
		char c;
		ssize_t n;

		if (poll(p, 2, -1) < 0 && errno != EINTR) {
			berth_err_set(err, errno, "poll exec.fifo");
			goto out;
		}
		n = read(fd, &c, 1);
		if (n == 1)
			break;
		if ((n < 0 && errno != EAGAIN && errno != EINTR) || (p[1].revents & POLLIN)) {
			berth_err_set(err, 0, "container \"%s\" exited before it was started", id);
			goto out;
		}
		if (n == 0 && !(p[0].revents & POLLIN))
			continue;
		if (n == 0) /* writer not there yet: it opens after us */
			usleep(100);
	}
	unlink(fifo);
	/* Wait for the hang-up that execve causes, so startContainer hooks
	 * have run and poststart hooks follow the program's start. */
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		char buf[16];
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		if (read(fd, buf, sizeof(buf)) == 0 || (p.revents & POLLHUP))
			break;
	}
	r = 0;
	if (s->hooks[SPEC_HOOK_POSTSTART].n > 0) {
		json_object *o = state_to_json(st, STATUS_RUNNING);
		/* runtime-spec: a failing poststart hook is logged, and the
		 * other hooks and the container go on. */
		hooks_run_all(s, SPEC_HOOK_POSTSTART, json_to_text(o));
		json_object_put(o);
	}
out:
	return r;
}

int container_start(const struct runtime_ctx *ctx, const char *id, struct berth_err *err)
{
	struct container_state *st = NULL;
	struct spec *s = NULL;
	enum container_status status;
	int r = -1;

	if (load_container(ctx, id, &st, &s, err) < 0)
		return -1;
	status = state_status(ctx->root, st);
	if (status == STATUS_CREATED)
		r = start_loaded(ctx, st, s, -1, err);
	else
		berth_err_set(err, 0, "cannot start container \"%s\": it is %s, not created", id,
			      state_status_name(status));
	spec_free(s);
	state_free(st);
	return r;
}

/* Forwards our signals to the container until it exits, then reaps it. */
int wait_forwarding(pid_t pid, int *status, struct berth_err *err)
{
	static const int fwd[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	sigset_t mask, old;
	autoclose int sfd = -1;
	autoclose int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int ws;

	/* waitpid(0) would take any child in our process group. */
	if (pid <= 0)
		return berth_err_set(err, ESRCH, "wait for the container: no pid");
	sigemptyset(&mask);
	for (size_t i = 0; i < ARRAY_SIZE(fwd); i++)
		sigaddset(&mask, fwd[i]);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	while (pidfd >= 0 && sfd >= 0) {
		struct pollfd p[2] = {{pidfd, POLLIN, 0}, {sfd, POLLIN, 0}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN)
			break;
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				kill(pid, (int)si.ssi_signo);
		}
	}
	while (waitpid(pid, &ws, 0) < 0) {
		if (errno != EINTR) {
			sigprocmask(SIG_SETMASK, &old, NULL);
			return berth_err_set(err, errno, "wait for the container");
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	*status = WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : WEXITSTATUS(ws);
	return 0;
}

int container_state(const struct runtime_ctx *ctx, const char *id, json_object **out,
		    struct berth_err *err)
{
	struct container_state *st = NULL;

	if (container_id_validate(id, err) < 0 || state_load(ctx->root, id, &st, err) < 0)
		return -1;
	*out = state_to_json(st, state_status(ctx->root, st));
	state_free(st);
	return 0;
}

static int state_id_cmp(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
	json_object *ix = NULL, *iy = NULL;

	json_object_object_get_ex(x, "id", &ix);
	json_object_object_get_ex(y, "id", &iy);
	return strcmp(ix != NULL ? json_object_get_string(ix) : "",
		      iy != NULL ? json_object_get_string(iy) : "");
}

int container_list(const struct runtime_ctx *ctx, json_object **out, struct berth_err *err)
{
	autoclosedir DIR *d = opendir(ctx->root);
	json_object *arr = json_object_new_array();
	struct dirent *de;

	if (d == NULL && errno != ENOENT) {
		json_object_put(arr);
		return berth_err_set(err, errno, "open %s", ctx->root);
	}
	while (d != NULL && (de = readdir(d)) != NULL) {
		struct container_state *st = NULL;
		struct berth_err ignored;
		if (de->d_name[0] == '.' || state_load(ctx->root, de->d_name, &st, &ignored) < 0)
			continue;
		json_object_array_add(arr, state_to_json(st, state_status(ctx->root, st)));
		state_free(st);
	}
	/* by id, as runc lists them (readdir's order is the filesystem's) */
	json_object_array_sort(arr, state_id_cmp);
	*out = arr;
	return 0;
}

int container_kill(const struct runtime_ctx *ctx, const char *id, int sig, bool all,
		   struct berth_err *err)
{
	struct container_state *st = NULL;
	struct cgroup *cg = NULL;
	enum container_status status;
	int r = -1;

	if (load_container(ctx, id, &st, NULL, err) < 0)
		return -1;
	status = state_status(ctx->root, st);
	if (all) {
		/* Every process in the cgroup, also once the init has exited:
		 * without a pid namespace of its own (hostPID, a shared-pid
		 * pod) the rest live on, and containerd's shim sends exactly
		 * this when the init exits. A cgroup already gone holds
		 * nothing to signal. */
		r = status == STATUS_STOPPED && st->cgroup == NULL ? 0 : load_cgroup(st, &cg, err);
		if (r == 0 && cg != NULL)
			r = cgroup_kill_all(cg, sig, err);
		if (r < 0 && status == STATUS_STOPPED && err->code == ENOENT) {
			berth_err_clear(err);
			r = 0;
		}
	} else if (status == STATUS_STOPPED || status == STATUS_CREATING) {
		/* "container not running": the words containerd maps to
		 * NotFound */
		berth_err_set(err, 0, "container \"%s\": container not running (%s)", id,
			      state_status_name(status));
	} else {
		autoclose int pidfd = pidfd_open_checked(st);
		if (pidfd < 0 || syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
			berth_err_set(err, errno, "kill container \"%s\"", id);
		else
			r = 0;
	}
	cgroup_free(cg);
	state_free(st);
	return r;
}

/* Kills the container's processes and waits until they are gone. */
static int stop_all(const struct container_state *st, struct cgroup *cg, struct berth_err *err)
{
	autoclose int pidfd = pidfd_open_checked(st);

	if (pidfd >= 0) {
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		/* A frozen task cannot die until thawed. */
		if (cg != NULL && cgroup_is_frozen(cg))
			cgroup_freeze(cg, false, err);
		if (!pidfd_wait(pidfd, KILL_WAIT_MS))
			return berth_err_set(err, ETIMEDOUT, "container \"%s\" did not exit",
					     st->id);
	}
	/* Without its own pid namespace, the init's death leaves the rest. A
	 * cgroup already gone (shared with a container deleted before) holds
	 * nothing to kill. */
	if (cg != NULL && cgroup_kill_all(cg, SIGKILL, err) < 0 && err->code != ENOENT)
		return -1;
	return 0;
}

static void run_poststop(const struct container_state *st, const struct spec *s)
{
	json_object *o;

	if (s->hooks[SPEC_HOOK_POSTSTOP].n == 0)
		return;
	o = state_to_json(st, STATUS_STOPPED);
	/* runtime-spec: a failing poststop hook is logged; the other hooks
	 * and delete go on. */
	hooks_run_all(s, SPEC_HOOK_POSTSTOP, json_to_text(o));
	json_object_put(o);
}

/* The poststop hooks from the config kept at create; only they matter now,
 * and the rest (the bundle) may be gone. */
static void run_poststop_stored(const struct runtime_ctx *ctx, const struct container_state *st)
{
	autojson json_object *doc = NULL;
	struct spec *s = NULL;
	struct berth_err err;

	if (read_stored_config(ctx, st->id, &doc, &err) < 0 ||
	    !json_object_object_get_ex(doc, "hooks", NULL))
		return;
	if (spec_parse_stored(doc, st->bundle, &s, &err) < 0) {
		log_warn("poststop hooks not run: %s", err.msg);
		return;
	}
	run_poststop(st, s);
	spec_free(s);
}

/* Kills what is left, removes the cgroup and the state directory; s (the
 * config, for poststop hooks) may be NULL to read the stored one. */
static int delete_loaded(const struct runtime_ctx *ctx, const struct container_state *st,
			 struct cgroup *cg, const struct spec *s, struct berth_err *err)
{
	autofree char *dir = NULL;

	if (stop_all(st, cg, err) < 0)
		return -1;
	if (cg != NULL && cgroup_destroy(cg, err) < 0 && err->code != ENOENT)
		return -1;
	if (st->shared_mounts && rootfs_cleanup_shared(st->rootfs, err) < 0)
		return -1;
	if (s != NULL)
		run_poststop(st, s);
	else
		run_poststop_stored(ctx, st);
	dir = state_dir(ctx->root, st->id);
	return fs_rm_rf(dir, err);
}

int container_delete(const struct runtime_ctx *ctx, const char *id, bool force,
		     struct berth_err *err)
{
	struct container_state *st = NULL;
	struct cgroup *cg = NULL;
	enum container_status status;
	int r = -1;

	if (load_container(ctx, id, &st, NULL, err) < 0)
		/* runc: deleting a missing container with --force succeeds,
		 * and containerd relies on that. */
		return force && err->code == ENOENT ? 0 : -1;
	status = state_status(ctx->root, st);
	if ((status == STATUS_RUNNING || status == STATUS_PAUSED || status == STATUS_CREATING) &&
	    !force)
		berth_err_set(err, 0, "cannot delete container \"%s\" that is not stopped: %s", id,
			      state_status_name(status));
	else if (st->cgroup == NULL || load_cgroup(st, &cg, err) == 0)
		r = delete_loaded(ctx, st, cg, NULL, err);
	cgroup_free(cg);
	state_free(st);
	return r;
}

int container_run(const struct runtime_ctx *ctx, const struct create_opts *o, bool detach,
		  int *status, struct berth_err *err)
{
	struct create_job j;
	autoclose int proxy_end = -1;
	autoclose int master = -1;
	int reader, r = -1;

	struct create_opts run_opts = *o;

	/* One process does it all, so the config parsed and the state made
	 * by create serve start and delete too. The state is saved once the
	 * container's program runs: until then no `exec` can find the
	 * container, so no process joins its pid namespace while its init is
	 * still this runtime (create_needs_seal). */
	run_opts.run = true;
	if (create_begin(ctx, &run_opts, &j, detach ? NULL : &proxy_end, err) < 0)
		goto out;
	if (proxy_end >= 0 && terminal_recv_fd(proxy_end, &master, err) < 0) {
		job_undo(&j);
		goto out;
	}
	reader = j.fifo_reader;
	j.fifo_reader = -1;
	if (start_loaded(ctx, &j.st, j.s, reader, err) < 0 ||
	    state_save(ctx->root, &j.st, err) < 0) {
		job_undo(&j);
		goto out;
	}
	*status = 0;
	r = 0;
	if (detach)
		goto out;
	if (master >= 0)
		terminal_proxy(master, err);
	r = wait_forwarding(j.init, status, err);
	j.init = 0; /* reaped */
	if (r == 0)
		log_debug("container \"%s\" exited with status %d", o->id, *status);
	/* --keep: the state (stopped) and the cgroup stay for the caller,
	 * as runc keeps them, until `delete` */
	if (r == 0 && !o->keep)
		r = delete_loaded(ctx, &j.st, j.cg, j.s, err);
out:
	job_free(&j);
	return r;
}

static int with_cgroup(const struct runtime_ctx *ctx, const char *id, bool need_running,
		       struct cgroup **cg, struct berth_err *err)
{
	struct container_state *st = NULL;
	int r;

	if (load_container(ctx, id, &st, NULL, err) < 0)
		return -1;
	if (need_running && state_status(ctx->root, st) == STATUS_STOPPED) {
		state_free(st);
		return berth_err_set(err, 0, "container \"%s\": container not running", id);
	}
	r = load_cgroup(st, cg, err);
	state_free(st);
	return r;
}

int container_pids(const struct runtime_ctx *ctx, const char *id, pid_t **pids, size_t *n,
		   struct berth_err *err)
{
	struct cgroup *cg = NULL;
	int r = with_cgroup(ctx, id, false, &cg, err);
	if (r == 0)
		r = cgroup_pids(cg, pids, n, err);
	cgroup_free(cg);
	return r;
}

static int set_frozen(const struct runtime_ctx *ctx, const char *id, bool frozen,
		      struct berth_err *err)
{
	struct cgroup *cg = NULL;
	int r = with_cgroup(ctx, id, true, &cg, err);
	if (r == 0)
		r = cgroup_freeze(cg, frozen, err);
	cgroup_free(cg);
	return r;
}

int container_pause(const struct runtime_ctx *ctx, const char *id, struct berth_err *err)
{
	return set_frozen(ctx, id, true, err);
}

int container_resume(const struct runtime_ctx *ctx, const char *id, struct berth_err *err)
{
	return set_frozen(ctx, id, false, err);
}

int container_update(const struct runtime_ctx *ctx, const char *id,
		     const struct cgroup_resources *res, struct berth_err *err)
{
	struct cgroup *cg = NULL;
	int r = with_cgroup(ctx, id, true, &cg, err);
	if (r == 0)
		r = cgroup_apply(cg, res, err);
	cgroup_free(cg);
	return r;
}

int container_oom_watch(const struct runtime_ctx *ctx, const char *id, int *fd,
			struct berth_err *err)
{
	struct cgroup *cg = NULL;
	int r = with_cgroup(ctx, id, false, &cg, err);

	*fd = -1;
	if (r == 0) {
		*fd = cgroup_oom_watch(cg, err);
		r = *fd < 0 ? -1 : 0;
	}
	cgroup_free(cg);
	return r;
}

int container_oom_kills(const struct runtime_ctx *ctx, const char *id, uint64_t *kills,
			struct berth_err *err)
{
	struct cgroup *cg = NULL;
	int r = with_cgroup(ctx, id, false, &cg, err);

	*kills = 0;
	if (r == 0)
		r = cgroup_oom_kills(cg, kills, err);
	cgroup_free(cg);
	return r;
}

int container_stats(const struct runtime_ctx *ctx, const char *id, json_object **out,
		    struct berth_err *err)
{
	struct cgroup *cg = NULL;
	json_object *data = NULL;
	int r = with_cgroup(ctx, id, true, &cg, err);

	if (r == 0)
		r = cgroup_stats(cg, &data, err);
	cgroup_free(cg);
	if (r < 0)
		return -1;
	*out = json_object_new_object();
	json_object_object_add(*out, "type", json_object_new_string("stats"));
	json_object_object_add(*out, "id", json_object_new_string(id));
	json_object_object_add(*out, "data", data);
	return 0;
}
