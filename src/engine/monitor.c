/* The monitor: one process per running container, double-forked into its
 * own session so it outlives the berth command that started it. It is a
 * child subreaper, so the container's init (created by a runtime child it
 * forks) becomes its child. Its life has three programs, one pid:
 *
 *   berth __monitor        sets up: the store row, the container's stdio
 *                          (pipes, or a pty through the runtime's console
 *                          socket), the attach socket RUN_ROOT/ID/attach.sock,
 *                          runtime create and start; then executes
 *   berth-monitor          the small static event loop (monitor-io.c,
 *                          monitor-tiny.c) while the container runs; when
 *                          the init has exited it executes
 *   berth __monitor-exit   which records the exit, tells attached clients,
 *                          and applies the restart policy: after a back-off
 *                          it starts the container again and executes
 *                          berth-monitor once more; else it removes --rm
 *                          containers and ends.
 *
 * Without berth-monitor (not installed) the loop runs in-process. The
 * starting command's side (engine_start, which executes program 1 and
 * records its answer) is monitor-start.c's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/container-mounts.h"
#include "engine/engine-internal.h"
#include "engine/monitor-internal.h"
#include "engine/monitor-io.h"
#include "image/store.h"
#include "runtime/exeseal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/num.h"
#include "util/strv.h"
#include "util/unixsock.h"
#include "util/xalloc.h"

#define MONITOR_COMM "berth-monitor"

#ifndef BERTH_LIBEXECDIR
#define BERTH_LIBEXECDIR "/usr/local/libexec/berth"
#endif

/* Docker's restart back-off: 100 ms, doubling, at most a minute; back to
 * the start once the container ran for 10 s. */
#define BACKOFF_START_MS 100
#define BACKOFF_MAX_MS   60000
#define BACKOFF_RESET_NS (10 * 1000000000LL)

bool engine_monitor_alive(pid_t pid, const char *id)
{
	autofree char *path = xasprintf("/proc/%d/stat", (int)pid);
	autofree char *stat = NULL;
	autofree char *cmdline = NULL;
	struct berth_err ignored;
	const char *close_paren;
	size_t len = 0;

	/* "pid (comm) S ...": not a zombie nobody reaped yet. */
	if (fs_read_file(path, 4096, &stat, NULL, &ignored) < 0)
		return false;
	close_paren = strrchr(stat, ')');
	if (close_paren == NULL || close_paren[1] != ' ' || close_paren[2] == 'Z' ||
	    close_paren[2] == 'X')
		return false;
	/* Every program of the monitor has the id in its command line. While
	 * the monitor executes its next program, the kernel shows the new
	 * one's command line empty until the arguments are laid out (between
	 * exec_mmap and create_elf_tables): empty is "look again", or a
	 * restart would take the monitor for lost and start over a run
	 * directory it is about to remove (found by CI). */
	free(path);
	path = xasprintf("/proc/%d/cmdline", (int)pid);
	for (int tries = 0;; tries++) {
		if (fs_read_file(path, 1 << 16, &cmdline, &len, &ignored) < 0)
			return false;
		if (len > 0)
			break;
		/* Still empty after a while: on a busy host an exec can take
		 * longer than any wait worth making here (CI saw a stop record
		 * a live monitor as lost). A user process shows an empty
		 * command line only in the middle of an exec; a kernel thread
		 * (a child of kthreadd, pid 2, or kthreadd itself) always. */
		if (tries == 20) {
			unsigned long ppid = 0;

			return sscanf(close_paren + 3, "%lu", &ppid) == 1 && ppid != 2 && ppid != 0;
		}
		free(steal_ptr(cmdline));
		usleep(1000);
	}
	for (size_t i = 0; i < len; i += strlen(cmdline + i) + 1)
		if (strcmp(cmdline + i, id) == 0)
			return true;
	return false;
}

char *engine_run_dir(struct engine *e, const char *id)
{
	return engine_run_dir_in(e->run_root, id);
}

char *engine_run_dir_in(const char *run_root, const char *id)
{
	return xasprintf("%s/%s", run_root, id);
}

char *engine_attach_path(struct engine *e, const char *id)
{
	return xasprintf("%s/%s/attach.sock", e->run_root, id);
}

void monitor_settings_from_config(json_object *config, struct monitor_settings *set)
{
	struct berth_err ignored;

	json_get_bool(config, "Tty", NULL, &set->tty, &ignored);
	json_get_bool(config, "OpenStdin", NULL, &set->open_stdin, &ignored);
	json_get_bool(config, "StdinOnce", NULL, &set->stdin_once, &ignored);
	json_get_int64(config, "LogMaxSize", NULL, &set->log_max_size, &ignored);
	json_get_int64(config, "LogMaxFile", NULL, &set->log_max_file, &ignored);
	set->no_log = engine_log_driver_none(config);
	set->journald = engine_log_driver_is(config, "journald");
	set->has_health = engine_health_schedule(config, &set->health);
}

struct monitor {
	const char *root, *driver, *run_root;
	char *runtime_root;  /* RUN_ROOT/runtime, the runtime's state */
	struct engine e;
	struct store *store; /* open only while exiting or restarting */
	struct engine_container c;
	char *dir; /* RUN_ROOT/ID */
	int listen;
	int sync_fd; /* to the command that started the monitor, -1 after */
	struct monitor_client clients[MONITOR_MAX_CLIENTS];
	size_t n_clients;
	int64_t delay_ms; /* the next restart's back-off */
	struct monitor_settings set;
	char *bundle;    /* engine_bundle_write's */
	bool oom_killed; /* the run that ended had a process OOM-killed */
};

/* A line on the pipe to the command that started the monitor. */
static void sync_write(int fd, const char *msg)
{
	if (fd >= 0)
		(void)fs_write_all(fd, msg, strlen(msg), -1);
}

/* "error CMD_STATUS MSG": the status travels beside the text, so only the
 * runtime's own report that the program cannot be run becomes 126 or 127
 * (monitor_answer). */
void monitor_sync_error(int fd, const struct berth_err *err)
{
	char head[32];

	snprintf(head, sizeof(head), "error %d ", err->cmd_status);
	sync_write(fd, head);
	sync_write(fd, err->msg);
}

static struct runtime_ctx monitor_ctx(struct monitor *m)
{
	return (struct runtime_ctx){ .root = m->runtime_root };
}

static int monitor_open(struct monitor *m, const char *id, struct berth_err *err)
{
	/* a store removed under the monitor is not made again */
	if (store_open_existing(m->root, m->driver, &m->store, err) < 0 ||
	    engine_open(m->store, m->run_root, &m->e, err) < 0 ||
	    engine_lookup(&m->e, id, &m->c, err) < 0)
		return -1;
	free(m->dir);
	m->dir = engine_run_dir(&m->e, m->c.id);
	monitor_settings_from_config(m->c.config, &m->set);
	return 0;
}

/* The database closes before the long wait: SQLite's state must not
 * outlive an exec, and an idle monitor holds nothing. */
static void monitor_close_store(struct monitor *m)
{
	if (m->store == NULL)
		return;
	engine_close(&m->e);
	store_close(m->store);
	m->store = NULL;
}

static bool config_bool(struct monitor *m, const char *key)
{
	struct berth_err ignored;
	bool v = false;

	json_get_bool(m->c.config, key, NULL, &v, &ignored);
	return v;
}

/* ---- setting the container up ---- */

/* The runtime's create, in this process: the container's init is born
 * its child, with no runtime process in between to fork, wait for and
 * reap. The runtime hands the init its own stdio, so for the call that
 * is the container's. */
static int create_container(struct monitor *m, const int stdio[3], const char *console,
			    struct berth_err *err)
{
	struct runtime_ctx ctx = monitor_ctx(m);
	autofree char *legacy = engine_container_dir_in(m->root, m->c.id);
	struct create_opts o = { .id = m->c.id,
				 .bundle = m->bundle != NULL ? m->bundle : legacy,
				 .console_socket = console };
	int saved[3] = { -1, -1, -1 }, r = -1;

	for (int i = 0; i < 3; i++) {
		saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
		if (saved[i] < 0 || dup2(stdio[i], i) < 0) {
			berth_err_set(err, errno, "set up the container's stdio");
			goto out;
		}
	}
	r = container_create(&ctx, &o, err);
out:
	for (int i = 0; i < 3; i++) {
		if (saved[i] >= 0) {
			dup2(saved[i], i);
			close(saved[i]);
		}
	}
	return r;
}

/* With a tty: the runtime makes the pty inside the container and sends
 * its master over a console socket in the run directory. */
static int create_tty(struct monitor *m, struct monitor_io *io, struct berth_err *err)
{
	autofree char *path = xasprintf("%s/console.sock", m->dir);
	autoclose int lsock = -1, conn = -1;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int stdio[3] = { null, null, null };
	char buf[256];
	int master = -1, r;

	unlink(path);
	lsock = unixsock_listen(path, SOCK_STREAM, 1);
	if (lsock < 0) {
		r = berth_err_set(err, errno, "listen on %s", path);
		goto out;
	}
	r = create_container(m, stdio, path, err);
	if (r < 0)
		goto out;
	fcntl(lsock, F_SETFL, O_NONBLOCK);
	conn = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0 || unixsock_recv_fd(conn, buf, sizeof(buf), &master) < 0 || master < 0) {
		r = berth_err_set(err, errno, "the runtime sent no terminal");
		goto out;
	}
	io->tty = true;
	io->out = master;
	io->in = m->set.open_stdin ? master : -1;
	io->err = -1;
out:
	unlink(path);
	if (null >= 0)
		close(null);
	return r;
}

static int create_pipes(struct monitor *m, struct monitor_io *io, struct berth_err *err)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int stdio[3], r = -1;

	if ((m->set.open_stdin ? pipe2(in, O_CLOEXEC)
					 : (in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC))) < 0 ||
	    pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		berth_err_set(err, errno, "pipe");
		goto out;
	}
	stdio[0] = in[0];
	stdio[1] = out[1];
	stdio[2] = errp[1];
	if (create_container(m, stdio, NULL, err) < 0)
		goto out;
	io->tty = false;
	io->in = in[1];
	io->out = out[0];
	io->err = errp[0];
	in[1] = out[0] = errp[0] = -1;
	r = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	return r;
}

/* The row says running. The command that started the monitor writes it,
 * having the database open already: it gets "ok PID MONITOR_PID
 * STARTED_NS" and answers with a byte once it is written (the monitor
 * waits: an exit recorded before would be overwritten). A monitor with the
 * store open (restarting) writes it itself, and so does one whose starter
 * went away without answering. */
static int record_running(struct monitor *m, pid_t pid, int64_t started, struct berth_err *err)
{
	if (m->store == NULL && m->sync_fd >= 0) {
		char line[80], ack;
		ssize_t n;

		snprintf(line, sizeof(line), "ok %d %d %lld\n", (int)pid, (int)getpid(),
			 (long long)started);
		if (fs_write_all(m->sync_fd, line, strlen(line), -1) == 0) {
			do
				n = read(m->sync_fd, &ack, 1);
			while (n < 0 && errno == EINTR);
			if (n == 1)
				return 0;
		}
	}
	if (m->store == NULL) {
		autofree char *id = xstrdup(m->c.id);

		if (monitor_open(m, id, err) < 0)
			return -1;
	}
	return engine_record_running(&m->e, m->c.id, pid, getpid(), started, err);
}

/* Creates and starts the container; io gets its stdio and init. */
static int run_container(struct monitor *m, struct monitor_io *io, struct berth_err *err)
{
	struct runtime_ctx ctx = monitor_ctx(m);
	autojson json_object *state = NULL;
	int64_t pid = 0;

	io->out = io->err = io->in = -1;
	io->stdin_once = m->set.stdin_once;
	if ((m->set.tty ? create_tty(m, io, err) : create_pipes(m, io, err)) < 0)
		return -1;
	if (container_state(&ctx, m->c.id, &state, err) < 0 ||
	    json_get_int64(state, "pid", NULL, &pid, err) < 0)
		return -1;
	io->init = (pid_t)pid;
	if (container_start(&ctx, m->c.id, err) < 0)
		return -1;
	return record_running(m, (pid_t)pid, engine_now_ns(), err);
}

static void close_io(struct monitor_io *io)
{
	if (io->out >= 0)
		close(io->out);
	if (io->err >= 0)
		close(io->err);
	if (io->in >= 0 && !io->tty)
		close(io->in);
	io->out = io->err = io->in = -1;
}

/* ---- while it runs ---- */

static void monitor_exit(struct monitor *m, int code);
static void tell_clients(struct monitor *m, int code);
static void cleanup_gone(struct monitor *m);

/* berth-monitor beside this binary (a build tree, a package that keeps
 * them together), else in the libexec directory; NULL when neither. */
static char *tiny_path(void)
{
	autofree char *self = exeseal_host_path();
	char *path;

	if (self != NULL) {
		char *slash;

		slash = strrchr(self, '/');
		if (slash != NULL) {
			*slash = '\0';
			path = xasprintf("%s/berth-monitor", self);
			if (access(path, X_OK) == 0)
				return path;
			free(path);
		}
	}
	path = xstrdup(BERTH_LIBEXECDIR "/berth-monitor");
	if (access(path, X_OK) == 0)
		return path;
	free(path);
	return NULL;
}

static void exec_tiny(struct monitor *m, struct monitor_io *io)
{
	autofree char *tiny = tiny_path();
	/* "" for no log at all (--log-driver none). */
	autofree char *log = m->set.no_log ? xstrdup("") : engine_log_path_in(m->root, m->c.id);
	/* engine_bundle_write's, beside the bundle */
	autofree char *journal =
	    m->set.journald ? xasprintf("%s/" ENGINE_JOURNAL_FILE, m->dir) : NULL;
	struct berth_err err = { 0 };
	/* The exit command is this program, executed through an fd of its
	 * sealed file, never by a path (which a container could not write
	 * either, but a path names whatever is there when it is used). */
	int exe = exeseal_open(&err);
	char self[32];
	int64_t max_size = m->set.log_max_size, max_file = m->set.log_max_file;
	autostrv char **argv = NULL;
	int code;
	int fds[3] = { io->out, io->err, io->in };
	struct engine_health_schedule sched = m->set.health;
	bool has_health = m->set.has_health;
	autostrv char **health_argv = NULL;
	bool gone;

	if (exe >= 0)
		snprintf(self, sizeof(self), "/proc/self/fd/%d", exe);
	if (tiny == NULL || exe < 0)
		goto in_process;
	fcntl(exe, F_SETFD, 0);
	strv_push(&argv, tiny);
	strv_push_take(&argv, xasprintf("init=%d", (int)io->init));
	strv_push_take(&argv, xasprintf("tty=%d", io->tty));
	strv_push_take(&argv, xasprintf("stdin-once=%d", io->stdin_once));
	strv_push_take(&argv, xasprintf("out=%d", io->out));
	strv_push_take(&argv, xasprintf("err=%d", io->err));
	strv_push_take(&argv, xasprintf("in=%d", io->in));
	strv_push_take(&argv, xasprintf("listen=%d", m->listen));
	strv_push_take(&argv, xasprintf("log=%s", log));
	strv_push_take(&argv, xasprintf("log-max-size=%lld", (long long)max_size));
	strv_push_take(&argv, xasprintf("log-max-file=%lld", (long long)max_file));
	if (journal != NULL)
		strv_push_take(&argv, xasprintf("journal=%s", journal));
	if (has_health)
		strv_push_take(&argv, xasprintf("health=%lld:%lld:%lld", (long long)sched.interval,
						(long long)sched.start_interval,
						(long long)sched.start_period));
	for (size_t i = 0; i < m->n_clients; i++) {
		strv_push_take(&argv,
			       xasprintf("client=%d:%u", m->clients[i].fd, m->clients[i].want));
		fcntl(m->clients[i].fd, F_SETFD, 0);
	}
	strv_push(&argv, "--");
	strv_push(&argv, self);
	strv_push(&argv, "__monitor-exit");
	strv_push(&argv, m->root);
	strv_push(&argv, m->driver);
	strv_push(&argv, m->run_root);
	strv_push(&argv, m->c.id);
	strv_push_take(&argv, xasprintf("%lld", (long long)m->delay_ms));
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			fcntl(fds[i], F_SETFD, 0);
	if (m->listen >= 0)
		fcntl(m->listen, F_SETFD, 0);
	monitor_close_store(m);
	execv(tiny, argv);
	/* Not runnable: the loop runs here instead. */
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			fcntl(fds[i], F_SETFD, FD_CLOEXEC);
in_process:
	if (has_health && exe >= 0) {
		/* the probe program as berth-monitor would run it */
		strv_push(&health_argv, self);
		strv_push(&health_argv, "__health");
		strv_push(&health_argv, m->root);
		strv_push(&health_argv, m->driver);
		strv_push(&health_argv, m->run_root);
		strv_push(&health_argv, m->c.id);
		io->health_argv = health_argv;
		io->health = sched;
	} else if (exe >= 0) {
		close(exe);
	}
	monitor_close_store(m);
	io->listen = m->listen;
	memcpy(io->clients, m->clients, sizeof(m->clients));
	io->n_clients = m->n_clients;
	code = monitor_io_run_logged(io, log, (uint64_t)max_size, (int)max_file, journal);
	gone = code >= 0 && monitor_io_hand_over(io, code);
	memcpy(m->clients, io->clients, sizeof(m->clients));
	m->n_clients = io->n_clients;
	close_io(io);
	if (gone) {
		tell_clients(m, code);
		cleanup_gone(m);
	}
	monitor_exit(m, code < 0 ? 255 : code);
}

/* ---- after it ran ---- */

static void tell_clients(struct monitor *m, int code)
{
	monitor_clients_tell_exit(m->clients, &m->n_clients, code);
}

/* The restart policy's answer for an exit with code. */
static bool should_restart(struct monitor *m, int code)
{
	int64_t max = 0;
	const char *name = engine_restart_policy(&m->c, &max);

	if (m->c.manually_stopped)
		return false;
	/* --health-on-failure restart: stopped for being unhealthy */
	if (engine_health_restarts(&m->c))
		return true;
	if (strcmp(name, "always") == 0 || strcmp(name, "unless-stopped") == 0)
		return true;
	if (strcmp(name, "on-failure") == 0)
		return code != 0 && (max <= 0 || m->c.restart_count < max);
	return false;
}

/* Sleeps ms, or less when stop or kill wakes the monitor (SIGUSR1). */
static void backoff_sleep(int64_t ms)
{
	sigset_t mask;
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigtimedwait(&mask, NULL, &ts);
}

/* The end: the run directory gone, the exit recorded, a --rm container
 * removed, and then the attached clients told (docker's `run --rm`
 * returns once the container is gone); last, the removed container's
 * directories, moved aside, are deleted. */
static void finish(struct monitor *m, int code, const char *error)
{
	autostrv char **trash = NULL;
	struct berth_err err = { 0 };

	/* The run directory and the volumes go first: once the exit is
	 * recorded a new start (`restart`, `wait` then `start`) may write
	 * its bundle there and mount them. */
	if (m->listen >= 0)
		close(m->listen);
	m->listen = -1;
	engine_run_dir_remove(m->dir);
	engine_mounts_release(m->store, m->c.id, m->c.config);
	engine_record_exit(&m->e, m->c.id, code, m->oom_killed, error, &err);
	if (config_bool(m, "AutoRemove"))
		engine_remove_deferred(&m->e, m->c.id, &trash, &err);
	tell_clients(m, code);
	for (size_t i = 0; trash != NULL && trash[i] != NULL; i++)
		fs_rm_rf(trash[i], &err);
	_exit(0);
}

/* After an attached `run --rm` removed the container from the store
 * (monitor_io_hand_over): what nobody waits for, and no database needed.
 * The runtime's state and cgroups, the run directory, and the
 * directories the client moved aside. Never returns. */
static void cleanup_gone(struct monitor *m)
{
	autofree char *dir = engine_run_dir_in(m->run_root, m->c.id);
	struct runtime_ctx ctx = monitor_ctx(m);
	static const char *const what[] = { "snapshot", "container" };
	struct berth_err err = { 0 };

	if (m->listen >= 0)
		close(m->listen);
	container_delete(&ctx, m->c.id, true, &err);
	engine_run_dir_remove(dir);
	for (size_t i = 0; i < ARRAY_SIZE(what); i++)
		store_trash_remove(m->root, what[i], m->c.id, &err);
	_exit(0);
}

/* Whether the OOM killer killed a process of the run that just ended (not
 * only the init: docker's OOMKilled is any kill in the container), as the
 * kernel counted in its cgroup; read before the cgroup goes. A kernel or
 * host that does not count says no. */
static bool oom_killed(struct monitor *m)
{
	struct runtime_ctx ctx = monitor_ctx(m);
	struct berth_err ignored;
	uint64_t kills = 0;

	return container_oom_kills(&ctx, m->c.id, &kills, &ignored) == 0 && kills > 0;
}

/* Records the exit and restarts the container when its policy says so;
 * never returns. */
static void monitor_exit(struct monitor *m, int code)
{
	struct runtime_ctx ctx;
	struct berth_err err = { 0 };
	struct monitor_io io = { .out = -1, .err = -1, .in = -1 };
	autofree char *id = xstrdup(m->c.id);
	int64_t ran;

	engine_container_clear(&m->c);
	free(m->dir);
	m->dir = NULL;
	if (monitor_open(m, id, &err) < 0)
		_exit(1);
	ctx = monitor_ctx(m);
	m->oom_killed = oom_killed(m);
	container_delete(&ctx, m->c.id, true, &err);
	berth_err_clear(&err);
	ran = engine_now_ns() - m->c.started_ns;
	if (!should_restart(m, code))
		finish(m, code, NULL);
	m->delay_ms = ran >= BACKOFF_RESET_NS || m->delay_ms <= 0
			  ? BACKOFF_START_MS
			  : (m->delay_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : m->delay_ms * 2);
	engine_update(&m->e, m->c.id,
		      m->oom_killed
			  ? "state = 'restarting', exit_code = ?1, finished_ns = ?2, pid = 0, "
			    "monitor_pid = ?3, restart_count = restart_count + 1, oom_killed = 1, "
			    "health = " ENGINE_HEALTH_STOPPED_SQL
			  : "state = 'restarting', exit_code = ?1, finished_ns = ?2, pid = 0, "
			    "monitor_pid = ?3, restart_count = restart_count + 1, oom_killed = 0, "
			    "health = " ENGINE_HEALTH_STOPPED_SQL,
		      code, engine_now_ns(), getpid(), NULL, &err);
	/* An attached `run` ends with the first exit, as docker's does. */
	tell_clients(m, code);
	backoff_sleep(m->delay_ms);
	/* Stopped, killed or removed meanwhile? */
	engine_container_clear(&m->c);
	if (engine_lookup(&m->e, id, &m->c, &err) < 0)
		_exit(0);
	if (m->c.manually_stopped)
		finish(m, code, NULL);
	free(m->bundle);
	m->bundle = NULL;
	if (store_snapshot_mount(m->store, m->c.id, &err) < 0 ||
	    engine_bundle_write(&m->e, &m->c, &m->bundle, &err) < 0 ||
	    run_container(m, &io, &err) < 0) {
		struct berth_err ignored;

		close_io(&io);
		container_delete(&ctx, m->c.id, true, &ignored);
		finish(m, err.cmd_status != 0 ? err.cmd_status : 255, err.msg);
	}
	exec_tiny(m, &io);
	_exit(1);
}

/* ---- entry points ---- */

/* Closes every fd but 0-2 and those in keep[] (-1 entries ignored). */
static void close_others(const int *keep, size_t n)
{
	autoclosedir DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int self = d != NULL ? dirfd(d) : -1;

	while (d != NULL && (de = readdir(d)) != NULL) {
		int fd = -1;
		bool kept = num_parse_int(de->d_name, 0, INT_MAX, &fd) < 0 || fd <= 2 || fd == self;

		for (size_t i = 0; i < n && !kept; i++)
			kept = keep[i] == fd;
		if (!kept)
			close(fd);
	}
}

/* What every program of the monitor does first: its name (which tells
 * engine_monitor_alive it is one), SIGCHLD blocked for the signalfd,
 * stdio on /dev/null. */
static void monitor_process_setup(void)
{
	sigset_t mask;
	int null;

	prctl(PR_SET_NAME, MONITOR_COMM);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
}

static int listen_attach(struct monitor *m, struct berth_err *err)
{
	autofree char *sock = xasprintf("%s/attach.sock", m->dir);

	if (mkdir(m->dir, 0700) < 0 && errno != EEXIST)
		return berth_err_set(err, errno, "mkdir %s", m->dir);
	unlink(sock);
	m->listen = unixsock_listen(sock, SOCK_SEQPACKET, 16);
	if (m->listen < 0)
		return berth_err_set(err, errno, "listen on %s", sock);
	return 0;
}

/* "tty=1 open-stdin=0 stdin-once=0 log-max-size=N log-max-file=N", as
 * exec_monitor passes the container's config; -1 on anything else. */
static int settings_parse(struct monitor *m, char **args, int n)
{
	for (int i = 0; i < n; i++) {
		const char *eq = strchr(args[i], '=');
		int64_t v;

		if (eq == NULL)
			return -1;
		if (strncmp(args[i], "bundle=", 7) == 0) {
			free(m->bundle);
			m->bundle = xstrdup(eq + 1);
			continue;
		}
		if (strncmp(args[i], "health=", 7) == 0) {
			if (monitor_health_parse(eq + 1, &m->set.health) < 0)
				return -1;
			m->set.has_health = true;
			continue;
		}
		if (num_parse_i64(eq + 1, 10, INT64_MIN, INT64_MAX, &v) < 0)
			return -1;
		if (strncmp(args[i], "tty=", 4) == 0)
			m->set.tty = v != 0;
		else if (strncmp(args[i], "open-stdin=", 11) == 0)
			m->set.open_stdin = v != 0;
		else if (strncmp(args[i], "stdin-once=", 11) == 0)
			m->set.stdin_once = v != 0;
		else if (strncmp(args[i], "log-max-size=", 13) == 0)
			m->set.log_max_size = v;
		else if (strncmp(args[i], "log-max-file=", 13) == 0)
			m->set.log_max_file = v;
		else if (strncmp(args[i], "no-log=", 7) == 0)
			m->set.no_log = v != 0;
		else if (strncmp(args[i], "journald=", 9) == 0)
			m->set.journald = v != 0;
		else
			return -1;
	}
	return 0;
}

/* Program 1 (see the top); never returns. It needs no database: what it
 * needs of the container's config comes in its arguments, and the
 * command that started it records the start. */
static void monitor_setup_main(struct monitor *m, const char *id, int client)
{
	struct monitor_io io = { .out = -1, .err = -1, .in = -1 };
	struct berth_err err = { 0 };
	int keep[2];

	keep[0] = m->sync_fd;
	keep[1] = client;
	close_others(keep, 2);
	if (m->sync_fd >= 0)
		fcntl(m->sync_fd, F_SETFD, FD_CLOEXEC);
	monitor_process_setup();
	if (client >= 0) {
		char hello[2];

		/* The client sent its hello before the monitor existed: read it
		 * now, so that no output goes by before the client is known. */
		fcntl(client, F_SETFD, FD_CLOEXEC);
		if (recv(client, hello, sizeof(hello), 0) == 2 && hello[0] == ATTACH_HELLO)
			m->clients[m->n_clients++] =
			    (struct monitor_client){ .fd = client,
						     .want = 0x80u | (unsigned char)hello[1] };
		else
			close(client);
	}
	snprintf(m->c.id, sizeof(m->c.id), "%s", id);
	m->runtime_root = xasprintf("%s/runtime", m->run_root);
	m->dir = engine_run_dir_in(m->run_root, m->c.id);
	if (listen_attach(m, &err) < 0 || run_container(m, &io, &err) < 0) {
		struct runtime_ctx ctx = monitor_ctx(m);
		struct berth_err ignored;

		close_io(&io);
		container_delete(&ctx, m->c.id, true, &ignored);
		engine_run_dir_remove(m->dir);
		monitor_sync_error(m->sync_fd, &err);
		_exit(1);
	}
	close(m->sync_fd);
	m->sync_fd = -1;
	exec_tiny(m, &io);
	_exit(1);
}

/* `berth __monitor ROOT DRIVER RUN_ROOT ID SYNC_FD CLIENT_FD SETTING...`
 * (CLIENT_FD -1: nobody attached; the settings as settings_parse reads
 * them). */
int engine_monitor_main(int argc, char **argv)
{
	struct monitor m = { .listen = -1 };
	int client;

	if (argc < 6 || strlen(argv[3]) >= sizeof(m.c.id) ||
	    settings_parse(&m, argv + 6, argc - 6) ||
	    num_parse_int(argv[4], 0, INT_MAX, &m.sync_fd) < 0 ||
	    num_parse_int(argv[5], -1, INT_MAX, &client) < 0)
		return 2;
	m.root = argv[0];
	m.driver = argv[1];
	m.run_root = argv[2];
	monitor_setup_main(&m, argv[3], client);
	return 1;
}

/* `berth __monitor-exit ROOT DRIVER RUN_ROOT ID DELAY_MS CODE LISTEN_FD
 * [CLIENT_FD:WANT]...`: what berth-monitor executes when the init has
 * exited. CODE "gone": an attached client removed the container. */
int engine_monitor_exit_main(int argc, char **argv)
{
	struct monitor m = { .listen = -1, .sync_fd = -1 };
	int64_t delay;
	int code = -1;

	if (argc < 7 || num_parse_i64(argv[4], 10, 0, INT64_MAX, &delay) < 0 ||
	    (strcmp(argv[5], "gone") != 0 && num_parse_int(argv[5], 0, INT_MAX, &code) < 0) ||
	    num_parse_int(argv[6], -1, INT_MAX, &m.listen) < 0)
		return 2;
	m.root = argv[0];
	m.driver = argv[1];
	m.run_root = argv[2];
	m.runtime_root = xasprintf("%s/runtime", m.run_root);
	snprintf(m.c.id, sizeof(m.c.id), "%s", argv[3]);
	m.delay_ms = delay;
	if (m.listen >= 0)
		fcntl(m.listen, F_SETFD, FD_CLOEXEC);
	for (int i = 7; i < argc && m.n_clients < MONITOR_MAX_CLIENTS; i++) {
		if (monitor_client_parse(argv[i], &m.clients[m.n_clients]) < 0)
			continue;
		fcntl(m.clients[m.n_clients].fd, F_SETFD, FD_CLOEXEC);
		m.n_clients++;
	}
	monitor_process_setup();
	if (code < 0)
		cleanup_gone(&m);
	monitor_exit(&m, code);
	return 1;
}
