#include "runtime/container.h"

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
#include "util/strv.h"
#include "util/xalloc.h"

#define CONFIG_MAX (4 << 20)
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
	for (const char *c = id; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return berth_err_set(err, 0, "invalid container id: control character");
	return 0;
}

static int pidfd_open_checked(const struct container_state *st)
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

static int write_id_maps(pid_t pid, const struct spec *s, struct berth_err *err)
{
	const struct {
		const char *file;
		const struct spec_idmap *m;
		size_t n;
	} maps[] = {
		{"uid_map", s->uid_mappings, s->n_uid_mappings},
		{"gid_map", s->gid_mappings, s->n_gid_mappings},
	};

	for (size_t i = 0; i < ARRAY_SIZE(maps); i++) {
		char path[64], buf[4096];
		size_t len = 0;
		for (size_t j = 0; j < maps[i].n && len < sizeof(buf); j++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n",
						maps[i].m[j].container_id, maps[i].m[j].host_id,
						maps[i].m[j].size);
		if (len >= sizeof(buf))
			return berth_err_set(err, E2BIG, "linux.%s: too many mappings",
					     i == 0 ? "uidMappings" : "gidMappings");
		snprintf(path, sizeof(path), "/proc/%d/%s", pid, maps[i].file);
		if (fs_write_file(path, buf, len, err) < 0)
			return berth_err_wrap(err, "linux.%s",
					      i == 0 ? "uidMappings" : "gidMappings");
	}
	return 0;
}

/* Written atomically: containerd reads it as soon as the runtime exits. */
static int write_pid_file(const char *path, pid_t pid, struct berth_err *err)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", pid);
	if (fs_write_file_replace(path, buf, strlen(buf), 0644, err) < 0)
		return berth_err_wrap(err, "--pid-file");
	return 0;
}

/* Everything create made, so a failure can take it all back. */
struct create_job {
	const struct runtime_ctx *ctx;
	const struct create_opts *o;
	struct spec *s;
	struct container_state st;
	char *dir;
	bool dir_made;
	struct cgroup *cg;
	int sync[2];
	int console_fd;
	int dirfd;
	pid_t stage1;
	pid_t init;
	bool owns_spec;		/* create loaded it (exec borrows the caller's) */
};

static void job_undo(struct create_job *j)
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
	if (j->dir_made)
		fs_rm_rf(j->dir, &ignored);
}

static void job_free(struct create_job *j)
{
	for (int i = 0; i < 2; i++)
		if (j->sync[i] >= 0)
			close(j->sync[i]);
	if (j->console_fd >= 0)
		close(j->console_fd);
	if (j->dirfd >= 0)
		close(j->dirfd);
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
	j->dirfd = open(j->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (j->dirfd < 0)
		return berth_err_set(err, errno, "open %s", j->dir);
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
			if (write_id_maps(j->stage1, j->s, err) < 0)
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
			return 0;
		case SYNC_ERROR:
			return berth_err_set(err, 0, "%s", m.text);
		case 0:
			return berth_err_set(err, 0, "container init exited during setup");
		default:
			return berth_err_set(err, EPROTO, "unexpected sync message %d", m.type);
		}
	}
}

static int job_spawn(struct create_job *j, const struct spec_process *proc, pid_t join_pid,
		     struct berth_err *err)
{
	struct init_args a = {
		.spec = j->s,
		.process = proc,
		.console_fd = j->console_fd,
		.state_dirfd = j->dirfd,
		.no_pivot = j->o != NULL && j->o->no_pivot,
		.new_keyring = j->o != NULL && !j->o->no_new_keyring,
		.preserve_fds = j->o != NULL ? j->o->preserve_fds : 0,
		.join_pid = join_pid,
		.id = j->st.id,
		.cg = j->cg,
	};

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
	j->stage1 = fork();
	if (j->stage1 < 0)
		return berth_err_set(err, errno, "fork");
	if (j->stage1 == 0) {
		close(j->sync[0]);
		process_stage1(&a);
	}
	close(j->sync[1]);
	j->sync[1] = -1;
	return job_converse(j, err);
}

static int job_console(struct create_job *j, const char *socket_path, bool proxy, int *proxy_end,
		       struct berth_err *err)
{
	if (socket_path != NULL) {
		j->console_fd = terminal_connect(socket_path, err);
		return j->console_fd < 0 ? -1 : 0;
	}
	if (proxy) {
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
	const struct spec *s = j->s;
	autofree struct cgroup_device_rule *extra =
		xcalloc(s->n_devices, sizeof(struct cgroup_device_rule));

	for (size_t i = 0; i < s->n_devices; i++) {
		extra[i].allow = true;
		extra[i].type = s->devices[i].type == 'b' ? 'b' : 'c';
		extra[i].major = s->devices[i].major;
		extra[i].minor = s->devices[i].minor;
		strcpy(extra[i].access, "rwm");
	}
	return cgroup_apply_create(j->cg, s->resources, extra, s->n_devices, err);
}

static int create_job_run(struct create_job *j, int *proxy_end, struct berth_err *err)
{
	struct spec *s = j->s;

	if (!s->ns[SPEC_NS_MOUNT].present)
		return berth_err_set(err, 0, "linux.namespaces: a mount namespace is required");
	if (s->process.terminal && j->o->console_socket == NULL && proxy_end == NULL)
		return berth_err_set(err, 0, "process.terminal is true: --console-socket is "
				     "required");
	j->st.id = (char *)j->o->id;
	j->st.bundle = s->bundle;
	j->st.rootfs = s->root_path;
	j->st.annotations = spec_annotations(s);
	j->st.owner = getuid();
	j->st.has_pid_ns = s->ns[SPEC_NS_PID].present && s->ns[SPEC_NS_PID].path == NULL;
	if (job_make_dir(j, err) < 0)
		return -1;
	if (cgroup_create(NULL, s->cgroups_path, j->o->id, &j->cg, err) < 0)
		return -1;
	if (apply_resources(j, err) < 0)
		return berth_err_wrap(err, "linux.resources");
	if (job_console(j, j->o->console_socket, s->process.terminal, proxy_end, err) < 0)
		return -1;
	if (job_spawn(j, &s->process, 0, err) < 0)
		return -1;
	j->st.start_time = state_proc_start_time(j->init);
	j->st.created = state_now_rfc3339();
	j->st.cgroup = cgroup_to_json(j->cg);
	if (state_save(j->ctx->root, &j->st, err) < 0)
		return -1;
	if (j->o->pid_file != NULL && write_pid_file(j->o->pid_file, j->init, err) < 0)
		return -1;
	return 0;
}

static void job_init(struct create_job *j, const struct runtime_ctx *ctx,
		     const struct create_opts *o, struct spec *s)
{
	memset(j, 0, sizeof(*j));
	j->ctx = ctx;
	j->o = o;
	j->s = s;
	j->sync[0] = j->sync[1] = j->console_fd = j->dirfd = -1;
}

/* Validates, loads the bundle's config and runs the create job; on success
 * the job (and the spec it points to) stay with the caller. */
static int create_begin(const struct runtime_ctx *ctx, const struct create_opts *o,
			struct create_job *j, int *proxy_end, struct berth_err *err)
{
	struct spec *s = NULL;

	job_init(j, ctx, o, NULL);
	if (container_id_validate(o->id, err) < 0)
		return -1;
	if (ctx->systemd_cgroup)
		return berth_err_set(err, 0, "--systemd-cgroup: the systemd cgroup driver is "
				     "not supported yet");
	if (spec_load(o->bundle != NULL ? o->bundle : ".", &s, err) < 0)
		return -1;
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

/* Loads the state and the config stored at create. */
static int load_container(const struct runtime_ctx *ctx, const char *id,
			  struct container_state **st, struct spec **s, struct berth_err *err)
{
	if (container_id_validate(id, err) < 0 || state_load(ctx->root, id, st, err) < 0)
		return -1;
	if (s != NULL) {
		autofree char *path = xasprintf("%s/%s/config.json", ctx->root, id);
		autofree char *text = NULL;
		autojson json_object *doc = NULL;
		size_t len;

		if (fs_read_file(path, CONFIG_MAX, &text, &len, err) < 0 ||
		    json_parse_text(text, len, path, &doc, err) < 0 ||
		    spec_parse_stored(doc, (*st)->bundle, s, err) < 0) {
			state_free(*st);
			*st = NULL;
			return -1;
		}
	}
	return 0;
}

static int load_cgroup(const struct container_state *st, struct cgroup **cg,
		       struct berth_err *err)
{
	if (st->cgroup == NULL)
		return berth_err_set(err, 0, "container \"%s\" has no cgroup", st->id);
	return cgroup_from_json(st->cgroup, NULL, cg, err);
}

/* Opens the exec fifo, which lets the created container's process go on,
 * and returns once it has exec'd; then the poststart hooks. */
static int start_loaded(const struct runtime_ctx *ctx, const struct container_state *st,
			const struct spec *s, struct berth_err *err)
{
	const char *id = st->id;
	autofree char *fifo = NULL;
	autoclose int fd = -1;
	autoclose int pidfd = -1;
	int r = -1;

	fifo = xasprintf("%s/%s/exec.fifo", ctx->root, id);
	/* The pidfd first: once the fifo is open the program may run and
	 * exit at once. Non-blocking for us; it unblocks the init's open. */
	pidfd = pidfd_open_checked(st);
	if (pidfd >= 0)
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
		struct berth_err herr;
		json_object *o = state_to_json(st, STATUS_RUNNING);
		/* runtime-spec: a failing poststart hook is logged, the
		 * container keeps running. */
		if (hooks_run(s, SPEC_HOOK_POSTSTART, json_to_text(o), &herr) < 0)
			log_warn("%s", herr.msg);
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
		r = start_loaded(ctx, st, s, err);
	else
		berth_err_set(err, 0, "cannot start container \"%s\": it is %s, not created", id,
			      state_status_name(status));
	spec_free(s);
	state_free(st);
	return r;
}

/* Forwards our signals to the container until it exits, then reaps it. */
static int wait_forwarding(pid_t pid, int *status, struct berth_err *err)
{
	static const int fwd[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	sigset_t mask, old;
	autoclose int sfd = -1;
	autoclose int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int ws;

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
	if (status == STATUS_STOPPED || status == STATUS_CREATING) {
		berth_err_set(err, 0, "container \"%s\" is not running: %s", id,
			      state_status_name(status));
	} else if (all) {
		r = load_cgroup(st, &cg, err);
		if (r == 0)
			r = cgroup_kill_all(cg, sig, err);
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
	struct berth_err err;
	json_object *o;

	if (s->hooks[SPEC_HOOK_POSTSTOP].n == 0)
		return;
	o = state_to_json(st, STATUS_STOPPED);
	/* runtime-spec: a failing poststop hook is logged; delete goes on. */
	if (hooks_run(s, SPEC_HOOK_POSTSTOP, json_to_text(o), &err) < 0)
		log_warn("%s", err.msg);
	json_object_put(o);
}

/* The poststop hooks from the config kept at create; only they matter now,
 * and the rest (the bundle) may be gone. */
static void run_poststop_stored(const struct runtime_ctx *ctx, const struct container_state *st)
{
	autofree char *path = xasprintf("%s/%s/config.json", ctx->root, st->id);
	autofree char *text = NULL;
	autojson json_object *doc = NULL;
	struct spec *s = NULL;
	struct berth_err err;
	size_t len;

	if (fs_read_file(path, CONFIG_MAX, &text, &len, &err) < 0 ||
	    json_parse_text(text, len, path, &doc, &err) < 0 ||
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
	int r = -1;

	/* One process does it all, so the config parsed and the state made
	 * by create serve start and delete too. */
	if (create_begin(ctx, o, &j, detach ? NULL : &proxy_end, err) < 0)
		goto out;
	if ((proxy_end >= 0 && terminal_recv_fd(proxy_end, &master, err) < 0) ||
	    start_loaded(ctx, &j.st, j.s, err) < 0) {
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
		r = delete_loaded(ctx, &j.st, j.cg, j.s, err);
out:
	job_free(&j);
	return r;
}

static int parse_user(const char *spec, struct spec_user *u, struct berth_err *err)
{
	char *end;
	unsigned long v = strtoul(spec, &end, 10);

	if (end == spec || (*end != '\0' && *end != ':'))
		return berth_err_set(err, 0, "--user \"%s\": expected uid[:gid]", spec);
	u->uid = (uid_t)v;
	if (*end == ':') {
		const char *g = end + 1;
		v = strtoul(g, &end, 10);
		if (end == g || *end != '\0')
			return berth_err_set(err, 0, "--user \"%s\": expected uid[:gid]", spec);
		u->gid = (gid_t)v;
	}
	return 0;
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
		if (fs_read_file(o->process_file, CONFIG_MAX, &text, &len, err) < 0 ||
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
			char *end;
			unsigned long g = strtoul(o->additional_gids[i], &end, 10);
			if (end == o->additional_gids[i] || *end != '\0' || g > UINT32_MAX - 1)
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
	job_init(&j, ctx, &copts, s);
	j.st = *st;
	j.st.created = NULL;
	j.st.cgroup = NULL;
	cs = state_status(ctx->root, st);
	if (cs != STATUS_RUNNING && cs != STATUS_CREATED) {
		berth_err_set(err, 0, "cannot exec in container \"%s\": it is %s", id,
			      state_status_name(cs));
		goto out;
	}
	if (exec_process(s, o, err) < 0)
		goto out;
	if (s->process.terminal && o->console_socket == NULL && o->detach) {
		berth_err_set(err, 0, "--tty with --detach needs --console-socket");
		goto out;
	}
	if (load_cgroup(st, &j.cg, err) < 0)
		goto out;
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

static int with_cgroup(const struct runtime_ctx *ctx, const char *id, bool need_running,
		       struct cgroup **cg, struct berth_err *err)
{
	struct container_state *st = NULL;
	int r;

	if (load_container(ctx, id, &st, NULL, err) < 0)
		return -1;
	if (need_running && state_status(ctx->root, st) == STATUS_STOPPED) {
		state_free(st);
		return berth_err_set(err, 0, "container \"%s\" is not running", id);
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
