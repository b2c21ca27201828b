/* create: the job that makes a container (state directory, cgroup, the
 * container process and its setup conversation) and takes it all back when
 * any step fails. exec uses the same job to start a process in a running
 * container. */
#include "runtime/container-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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
#include "runtime/idmap.h"
#include "runtime/netdev.h"
#include "runtime/exeseal.h"
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
#include "util/output.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* How long delete waits for a killed container to go away. */
#define KILL_WAIT_MS 10000


/* Written atomically (containerd reads it as soon as the runtime exits),
 * and only a regular file is replaced: a FIFO or /dev/stdout named by the
 * caller is written into (util/output.h). */
int write_pid_file(const char *path, pid_t pid, struct berth_err *err)
{
	autooutput struct output_file out = OUTPUT_FILE_INIT;
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", pid);
	if (output_file_open(&out, path, 0644, 0, err) < 0 ||
	    output_file_write(&out, buf, strlen(buf), err) < 0 ||
	    output_file_commit(&out, false, err) < 0)
		return berth_err_wrap(err, "--pid-file");
	return 0;
}

void job_undo(struct create_job *j)
{
	struct berth_err ignored;

	if (j->init > 0) {
		kill(j->init, SIGKILL);
		waitpid(j->init, NULL, 0);
	}
	if (j->stage1 > 0) {
		kill(j->stage1, SIGKILL);
		waitpid(j->stage1, NULL, 0);
	}
	if (j->cg != NULL) {
		cgroup_kill_all(j->cg, SIGKILL, &ignored);
		cgroup_destroy(j->cg, &ignored);
	}
	if (j->st.shared_mounts && j->s != NULL && j->s->root_path != NULL)
		rootfs_cleanup_shared(j->s->root_path, &ignored);
	if (j->dir_made)
		fs_rm_rf(j->dir, &ignored);
}

void job_free(struct create_job *j)
{
	for (int i = 0; i < 2; i++)
		if (j->sync[i] >= 0)
			close(j->sync[i]);
	if (j->console_fd >= 0)
		close(j->console_fd);
	if (j->fifo_fd >= 0)
		close(j->fifo_fd);
	if (j->fifo_reader >= 0)
		close(j->fifo_reader);
	mount_trees_close(j->mount_fds, j->s != NULL ? j->s->n_mounts : 0);
	cgroup_free(j->cg);
	if (j->owns_spec)
		spec_free(j->s);
	free(j->dir);
	free(j->st.created);
	if (j->st.cgroup != NULL)
		json_object_put(j->st.cgroup);
}

static int job_make_dir(struct create_job *j, struct berth_err *err)
{
	autofree char *fifo = NULL;
	const char *config_text;

	/* 0711: a container root in a user namespace must be able to reach
	 * exec.fifo (mode 0622: it may write, only root may read, and reading
	 * is what starts the container). */
	if (fs_mkdir_p(j->ctx->root, 0711, err) < 0)
		return berth_err_wrap(err, "state root");
	j->dir = state_dir(j->ctx->root, j->o->id);
	if (mkdir(j->dir, 0711) < 0) {
		if (errno == EEXIST)
			return berth_err_set(err, 0, "container \"%s\" already exists", j->o->id);
		return berth_err_set(err, errno, "mkdir %s", j->dir);
	}
	j->dir_made = true;
	fifo = xasprintf("%s/exec.fifo", j->dir);
	if (mkfifo(fifo, 0622) < 0 || chmod(fifo, 0622) < 0)
		return berth_err_set(err, errno, "mkfifo %s", fifo);
	config_text = json_to_text(j->s->json);
	{
		autofree char *cfg = xasprintf("%s/config.json", j->dir);
		if (fs_write_file_replace(cfg, config_text, strlen(config_text), 0600, err) < 0)
			return -1;
	}
	/* The container process gets the fifo itself, never the directory:
	 * an fd of a host directory would be a way out of the container
	 * until execve (CVE-2024-21626 class). */
	j->fifo_fd = open(fifo, O_PATH | O_CLOEXEC);
	if (j->fifo_fd < 0)
		return berth_err_set(err, errno, "open %s", fifo);
	/* `run` starts what it creates: when the container process may
	 * share this one's memory until it execs (process_can_share_memory),
	 * the reader is there before the process, which then never waits for
	 * it. Otherwise the process waits for `start` as after `create`, so
	 * what this runtime does once it exists (network devices moved, its
	 * oom_score_adj) is done before its program runs. */
	if (j->o->run && process_can_share_memory(j->s)) {
		j->fifo_reader = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (j->fifo_reader < 0)
			return berth_err_set(err, errno, "open %s", fifo);
	}
	return 0;
}

static int run_runtime_hooks(struct create_job *j, struct berth_err *err)
{
	json_object *o = state_to_json(&j->st, STATUS_CREATING);
	int r = hooks_run(j->s, SPEC_HOOK_PRESTART, json_to_text(o), err);
	if (r == 0)
		r = hooks_run(j->s, SPEC_HOOK_CREATE_RUNTIME, json_to_text(o), err);
	json_object_put(o);
	return r;
}

static int forward_seccomp_fd(struct create_job *j, int fd, struct berth_err *err)
{
	const char *listener = seccomp_config_listener_path(j->s->seccomp);
	const char *meta = seccomp_config_listener_metadata(j->s->seccomp);
	json_object *o = json_object_new_object();
	json_object *fds = json_object_new_array();
	int r;

	/* runtime-spec "containerProcessState". */
	json_object_array_add(fds, json_object_new_string("seccompFd"));
	json_object_object_add(o, "ociVersion", json_object_new_string("1.2.0"));
	json_object_object_add(o, "fds", fds);
	json_object_object_add(o, "pid", json_object_new_int(j->init));
	json_object_object_add(o, "metadata", json_object_new_string(meta ? meta : ""));
	json_object_object_add(o, "state", state_to_json(&j->st, STATUS_CREATING));
	r = seccomp_notify_send(listener, fd, json_to_text(o), err);
	json_object_put(o);
	return r;
}

/* The container process exists. Its oom_score_adj is written from here:
 * lowering it needs CAP_SYS_RESOURCE in the host's user namespace. */
static int job_got_init(struct create_job *j, pid_t pid, struct berth_err *err)
{
	j->init = pid;
	j->st.pid = pid;
	/* Its network namespace exists now; exec joins one that has them. */
	if (!j->exec && netdev_move_all(j->s->net_devices, j->s->n_net_devices, pid, err) < 0)
		return -1;
	if (j->s->process.has_oom_score_adj) {
		char path[64], val[16];
		snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", pid);
		snprintf(val, sizeof(val), "%d", j->s->process.oom_score_adj);
		if (fs_write_file(path, val, strlen(val), err) < 0)
			return berth_err_wrap(err, "process.oomScoreAdj");
	}
	return 0;
}

/* Serves the container's setup requests until it reports ready. */
static int job_converse(struct create_job *j, struct berth_err *err)
{
	for (;;) {
		struct sync_msg m;
		int fd = -1;

		if (sync_recv(j->sync[0], &m, &fd) < 0)
			return berth_err_set(err, errno, "sync with the container");
		switch (m.type) {
		case SYNC_USERNS:
			if (idmap_write(j->stage1, j->s->uid_mappings, j->s->n_uid_mappings,
					j->s->gid_mappings, j->s->n_gid_mappings, "linux", err) < 0)
				return -1;
			sync_send(j->sync[0], SYNC_ACK, 0, NULL, -1);
			break;
		case SYNC_PID:
			waitpid(j->stage1, NULL, 0);
			j->stage1 = 0;
			if (job_got_init(j, m.value, err) < 0)
				return -1;
			break;
		case SYNC_HOOKS:
			if (run_runtime_hooks(j, err) < 0)
				return -1;
			sync_send(j->sync[0], SYNC_ACK, 0, NULL, -1);
			break;
		case SYNC_SECCOMP_FD: {
			int r = fd < 0 ? berth_err_set(err, EBADMSG, "no seccomp fd received")
				       : forward_seccomp_fd(j, fd, err);
			if (fd >= 0)
				close(fd);
			if (r < 0)
				return -1;
			break;
		}
		case SYNC_READY:
			/* Stage 1 tells the pid before stage 2 may speak. */
			if (j->init <= 0)
				return berth_err_set(err, EPROTO, "the container process was "
						     "ready before its pid was known");
			return 0;
		case SYNC_ERROR:
			return sync_error(&m, err);
		case 0:
			return berth_err_set(err, 0, "container init exited during setup");
		default:
			return berth_err_set(err, EPROTO, "unexpected sync message %d", m.type);
		}
	}
}

/* fds 3 .. 3+n-1 cross into the container: no more than this process may
 * have open, so the loop that clears their close-on-exec flag is bounded
 * and 3 + n cannot overflow. */
static int preserve_fds_check(int n, struct berth_err *err)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return berth_err_set(err, errno, "getrlimit");
	if (n < 0 || (rlim_t)n > (rl.rlim_cur > 3 ? rl.rlim_cur - 3 : 0))
		return berth_err_set(err, 0,
				     "--preserve-fds %d: more than the %llu open files this "
				     "process may have",
				     n, (unsigned long long)rl.rlim_cur);
	return 0;
}

int job_spawn(struct create_job *j, const struct spec_process *proc, pid_t join_pid,
		     struct berth_err *err)
{
	struct init_args a = {
		.spec = j->s,
		.process = proc,
		.console_fd = j->console_fd,
		.fifo_fd = j->fifo_fd,
		.no_pivot = j->o != NULL && j->o->no_pivot,
		.new_keyring = j->o != NULL && !j->o->no_new_keyring,
		.preserve_fds = j->o != NULL ? j->o->preserve_fds : 0,
		.join_pid = join_pid,
		.id = j->st.id,
		.cg = j->cg,
		.mount_fds = j->mount_fds,
		.make_cwd = join_pid == 0,
	};

	/* Only a process that never waits for us may share our memory: the
	 * runtime is suspended until it execs (job_make_dir). */
	a.share_memory = join_pid == 0 && j->fifo_reader >= 0;
	if (a.share_memory)
		log_debug("the container process shares this runtime's memory until it execs");

	j->exec = join_pid > 0;
	if (preserve_fds_check(a.preserve_fds, err) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, j->sync) < 0)
		return berth_err_set(err, errno, "socketpair");
	a.sync_fd = j->sync[1];
	if (join_pid == 0 && process_can_spawn_direct(j->s)) {
		pid_t pid = process_spawn_direct(&a, err);
		if (pid < 0)
			return -1;
		if (pid > 0) {
			close(j->sync[1]);
			j->sync[1] = -1;
			if (job_got_init(j, pid, err) < 0)
				return -1;
			return job_converse(j, err);
		}
	}
	/* sync[0] is close-on-exec, and stage 1 closes what it does not need. */
	j->stage1 = process_fork_stage1(&a, err);
	if (j->stage1 < 0) {
		j->stage1 = 0;
		return -1;
	}
	close(j->sync[1]);
	j->sync[1] = -1;
	return job_converse(j, err);
}

int job_console(struct create_job *j, const char *socket_path, bool proxy, int *proxy_end,
		       struct berth_err *err)
{
	if (socket_path != NULL) {
		j->console_fd = terminal_connect(socket_path, err);
		return j->console_fd < 0 ? -1 : 0;
	}
	if (proxy && proxy_end != NULL) {
		int sp[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
			return berth_err_set(err, errno, "socketpair");
		j->console_fd = sp[1];
		*proxy_end = sp[0];
	}
	return 0;
}

/* The spec's limits, and always a device policy: the spec's rules, then
 * access to the nodes it asked to be created, then the standard nodes. */
static int apply_resources(struct create_job *j, struct berth_err *err)
{
	return cgroup_apply_create(j->cg, j->s->resources, err);
}

/* A cgroup that already holds processes (another container's, a cgroupsPath
 * given twice) is used as runc uses it, with runc's warning: the limits
 * then bind those processes too, and kill --all reaches them. */
static void warn_not_empty(struct cgroup *cg)
{
	autofree pid_t *pids = NULL;
	size_t n = 0;
	struct berth_err ignored;

	if (cgroup_pids(cg, &pids, &n, &ignored) == 0 && n > 0)
		log_warn("container's cgroup is not empty: %zu process(es) found", n);
}

static int create_job_run(struct create_job *j, int *proxy_end, struct berth_err *err)
{
	struct spec *s = j->s;

	if (s->process.terminal && j->o->console_socket == NULL && proxy_end == NULL)
		return berth_err_set(err, 0, "process.terminal is true: --console-socket is "
				     "required");
	j->st.id = (char *)j->o->id;
	j->st.bundle = s->bundle;
	j->st.rootfs = s->root_path;
	j->st.annotations = spec_annotations(s);
	j->st.owner = getuid();
	j->st.has_pid_ns = s->ns[SPEC_NS_PID].present && s->ns[SPEC_NS_PID].path == NULL;
	j->st.shared_mounts = !s->ns[SPEC_NS_MOUNT].present;
	if (job_make_dir(j, err) < 0)
		return -1;
	if (cgroup_create(NULL, s->cgroups_path, j->o->id, &j->cg, err) < 0) {
		/* Rootless, as runc: a caller that may not make cgroups runs
		 * the container without one, unless it asked for limits. */
		bool denied = err->code == EACCES || err->code == EPERM || err->code == EROFS;
		if (geteuid() == 0 || !denied || cgroup_resources_has_limits(s->resources))
			return -1;
		log_debug("no cgroup (rootless): %s", err->msg);
		j->cg = NULL;
	}
	if (j->cg != NULL && cgroup_check_thawed(j->cg, err) < 0)
		return -1;
	if (j->cg != NULL)
		warn_not_empty(j->cg);
	if (j->cg != NULL && apply_resources(j, err) < 0)
		return berth_err_wrap(err, "linux.resources");
	if (job_console(j, j->o->console_socket, s->process.terminal, proxy_end, err) < 0)
		return -1;
	if (mount_trees_open(s, &j->mount_fds, err) < 0)
		return -1;
	if (job_spawn(j, &s->process, 0, err) < 0)
		return -1;
	j->st.start_time = state_proc_start_time(j->init);
	j->st.created = state_now_rfc3339();
	j->st.cgroup = j->cg != NULL ? cgroup_to_json(j->cg) : NULL;
	if (!j->o->run && state_save(j->ctx->root, &j->st, err) < 0)
		return -1;
	if (j->o->pid_file != NULL && write_pid_file(j->o->pid_file, j->init, err) < 0)
		return -1;
	return 0;
}

void job_init(struct create_job *j, const struct runtime_ctx *ctx,
		     const struct create_opts *o, struct spec *s)
{
	memset(j, 0, sizeof(*j));
	j->ctx = ctx;
	j->o = o;
	j->s = s;
	j->sync[0] = j->sync[1] = j->console_fd = j->fifo_fd = j->fifo_reader = -1;
}

/* Whether this runtime must run from a sealed copy of its binary before it
 * makes the container (runtime/exeseal.h): unless no process of any
 * container can see the container's process while it is still this
 * binary. That holds for `run` into a new pid namespace: the process is
 * pid 1 of a namespace nothing else is in, and the state that `exec`
 * needs to join it is saved only once its program runs (container_run).
 * A `create` waits for `start` in plain sight of `exec`, and a shared or
 * joined pid namespace has other processes in it: those are sealed. */
static bool create_needs_seal(const struct create_opts *o, const struct spec *s)
{
	return !(o->run && s->ns[SPEC_NS_PID].present && s->ns[SPEC_NS_PID].path == NULL);
}

/* Validates, loads the bundle's config and runs the create job; on success
 * the job (and the spec it points to) stay with the caller. */
int create_begin(const struct runtime_ctx *ctx, const struct create_opts *o,
			struct create_job *j, int *proxy_end, struct berth_err *err)
{
	struct spec *s = NULL;

	job_init(j, ctx, o, NULL);
	if (container_id_validate(o->id, err) < 0)
		return -1;
	if (ctx->systemd_cgroup)
		return berth_err_set(err, 0, "--systemd-cgroup: the systemd cgroup driver is "
				     "not supported yet");
	runtime_seccomp_cache(ctx);
	if (spec_load(o->bundle != NULL ? o->bundle : ".", &s, err) < 0)
		return -1;
	if (create_needs_seal(o, s) && exeseal_reexec(err) < 0) {
		spec_free(s);
		return -1;
	}
	j->s = s;
	j->owns_spec = true;
	if (create_job_run(j, proxy_end, err) < 0) {
		job_undo(j);
		return -1;
	}
	return 0;
}

int container_create(const struct runtime_ctx *ctx, const struct create_opts *o,
		     struct berth_err *err)
{
	struct create_job j;
	int r = create_begin(ctx, o, &j, NULL, err);

	job_free(&j);
	return r;
}
