/* The monitor: one small process per running container, double-forked into
 * its own session so it outlives the berth command that started it. It is
 * a child subreaper, so the container's init (created by a runtime child
 * it forks) becomes its child: it holds the container's stdout and stderr,
 * writes them to the json-file log, reaps the container, records its exit
 * in the store and removes --rm containers. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/engine-internal.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

#define MONITOR_COMM "berth-monitor"

bool engine_monitor_alive(pid_t pid)
{
	autofree char *path = xasprintf("/proc/%d/stat", (int)pid);
	autofree char *stat = NULL;
	struct berth_err ignored;
	const char *close_paren;

	/* "pid (comm) S ...": the name, and not a zombie nobody reaped yet. */
	if (fs_read_file(path, 4096, &stat, NULL, &ignored) < 0)
		return false;
	close_paren = strrchr(stat, ')');
	if (close_paren == NULL || close_paren[1] != ' ' || close_paren[2] == 'Z' ||
	    close_paren[2] == 'X')
		return false;
	return strncmp(strchr(stat, '(') + 1, MONITOR_COMM ")", strlen(MONITOR_COMM) + 1) == 0;
}

struct monitor {
	struct engine e;
	struct store *store;
	struct engine_container c;
	int sync_fd, done_fd;
	int attach[2];
	int out[2], errp[2]; /* the container's stdout and stderr pipes */
	pid_t init;
	struct log_writer log;
};

/* A line on one of the pipes to the command that started the monitor. */
static void sync_write(int fd, const char *msg)
{
	(void)fs_write_all(fd, msg, strlen(msg), -1);
}

/* Closes every fd but those in keep[] (-1 entries ignored). */
static void close_others(const int *keep, size_t n)
{
	autoclosedir DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int self = d != NULL ? dirfd(d) : -1;

	while (d != NULL && (de = readdir(d)) != NULL) {
		int fd = atoi(de->d_name);
		bool kept = fd <= 2 || fd == self || de->d_name[0] == '.';

		for (size_t i = 0; i < n && !kept; i++)
			kept = keep[i] == fd;
		if (!kept)
			close(fd);
	}
}

/* The runtime child: `create` with the container's stdio. Exits 0, or 1
 * after writing the error to errfd. */
static void runtime_create_child(struct monitor *m, int errfd)
{
	struct runtime_ctx ctx = engine_runtime_ctx(&m->e);
	autofree char *bundle = engine_container_dir(&m->e, m->c.id);
	struct create_opts o = { .id = m->c.id, .bundle = bundle };
	struct berth_err err = { 0 };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0 || dup2(null, 0) < 0 || dup2(m->out[1], 1) < 0 || dup2(m->errp[1], 2) < 0) {
		sync_write(errfd, "set up the container's stdio");
		_exit(1);
	}
	if (container_create(&ctx, &o, &err) < 0) {
		sync_write(errfd, err.msg);
		_exit(1);
	}
	_exit(0);
}

static int create_container(struct monitor *m, struct berth_err *err)
{
	int errpipe[2];
	pid_t pid;
	int status = 0;
	char msg[BERTH_ERR_MSG_MAX] = "";
	ssize_t n;

	if (pipe2(m->out, O_CLOEXEC) < 0 || pipe2(m->errp, O_CLOEXEC) < 0 ||
	    pipe2(errpipe, O_CLOEXEC) < 0)
		return berth_err_set(err, errno, "pipe");
	pid = fork();
	if (pid < 0)
		return berth_err_set(err, errno, "fork");
	if (pid == 0) {
		close(errpipe[0]);
		runtime_create_child(m, errpipe[1]);
	}
	close(errpipe[1]);
	close(m->out[1]);
	close(m->errp[1]);
	m->out[1] = m->errp[1] = -1;
	/* Wait for the runtime child before reading: the container's init
	 * holds a copy of the pipe until it execs, so EOF comes only after
	 * start. The message, if any, is already in the pipe. */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	fcntl(errpipe[0], F_SETFL, O_NONBLOCK);
	n = read(errpipe[0], msg, sizeof(msg) - 1);
	close(errpipe[0]);
	msg[n > 0 ? n : 0] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return berth_err_set(err, 0, "%s", msg[0] ? msg : "the runtime failed");
	return 0;
}

static int start_container(struct monitor *m, struct berth_err *err)
{
	struct runtime_ctx ctx = engine_runtime_ctx(&m->e);
	autojson json_object *state = NULL;
	int64_t pid = 0;

	if (container_state(&ctx, m->c.id, &state, err) < 0 ||
	    json_get_int64(state, "pid", NULL, &pid, err) < 0)
		return -1;
	m->init = (pid_t)pid;
	if (container_start(&ctx, m->c.id, err) < 0)
		return -1;
	return engine_update(&m->e, m->c.id,
			     "state = 'running', pid = ?1, monitor_pid = ?2, started_ns = ?3, "
			     "exit_code = 0, finished_ns = 0, error = ''",
			     pid, getpid(), engine_now_ns(), NULL, err);
}

static void copy_out(struct monitor *m, int stream, int fd, bool *open_)
{
	char buf[16384];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		*open_ = false;
		return;
	}
	log_writer_write(&m->log, stream, buf, (size_t)n);
	/* The attached client went away: keep logging. */
	if (m->attach[stream] >= 0 && fs_write_all(m->attach[stream], buf, (size_t)n, -1) < 0) {
		close(m->attach[stream]);
		m->attach[stream] = -1;
	}
}

/* Reaps children; returns the init's exit code once it has exited, else
 * -1. */
static int reap(struct monitor *m)
{
	int status, code = -1;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != m->init)
			continue;
		code = WIFEXITED(status) ? WEXITSTATUS(status)
					 : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
	return code;
}

static int event_loop(struct monitor *m)
{
	sigset_t mask;
	int sfd, code = -1;
	bool out_open = true, err_open = true;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	code = reap(m);
	while (code < 0 || out_open || err_open) {
		struct pollfd p[3] = {
			{ .fd = out_open ? m->out[0] : -1, .events = POLLIN },
			{ .fd = err_open ? m->errp[0] : -1, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		/* After the init's exit, the pipes close as soon as the rest of
		 * the pid namespace is gone; don't wait forever for stragglers. */
		int r = poll(p, 3, code >= 0 ? 2000 : -1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			break;
		if (p[0].revents)
			copy_out(m, 0, m->out[0], &out_open);
		if (p[1].revents)
			copy_out(m, 1, m->errp[0], &err_open);
		if (p[2].revents) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				;
			if (code < 0)
				code = reap(m);
		}
	}
	close(sfd);
	return code;
}

static int reopen(struct monitor *m, const char *root, const char *driver, const char *run_root,
		  struct berth_err *err)
{
	if (m->store != NULL)
		return 0;
	if (store_open(root, driver, &m->store, err) < 0)
		return -1;
	return engine_open(m->store, run_root, &m->e, err);
}

static void finish(struct monitor *m, int code)
{
	struct runtime_ctx ctx = engine_runtime_ctx(&m->e);
	struct berth_err err = { 0 };
	bool auto_remove = false;

	char msg[32];

	log_writer_close(&m->log);
	container_delete(&ctx, m->c.id, true, &err);
	engine_record_exit(&m->e, m->c.id, code, NULL, &err);
	/* An attached `run` learns the status here: with --rm the row is
	 * about to go. */
	if (m->done_fd >= 0) {
		snprintf(msg, sizeof(msg), "exit %d\n", code);
		sync_write(m->done_fd, msg);
	}
	json_get_bool(m->c.config, "AutoRemove", NULL, &auto_remove, &err);
	if (auto_remove)
		engine_remove(&m->e, m->c.id, false, &err);
}

static int monitor_setup(struct monitor *m, const char *root, const char *driver,
			 const char *run_root, const char *id, struct berth_err *err)
{
	int64_t max_size = 0, max_file = 0;
	autofree char *log = NULL;

	if (store_open(root, driver, &m->store, err) < 0 ||
	    engine_open(m->store, run_root, &m->e, err) < 0 ||
	    engine_lookup(&m->e, id, &m->c, err) < 0)
		return -1;
	json_get_int64(m->c.config, "LogMaxSize", NULL, &max_size, err);
	json_get_int64(m->c.config, "LogMaxFile", NULL, &max_file, err);
	log = engine_log_path(&m->e, m->c.id);
	return log_writer_open(&m->log, log, (uint64_t)max_size, (int)max_file, err);
}

/* While the container runs, the monitor only moves bytes: what setting up
 * touched (the store, the runtime, the parsers) is given back. The
 * database connection closes (finish reopens it), and the binary's code
 * pages are unmapped from this process (they stay in the page cache, and
 * those the event loop needs fault back in). Only executable mappings:
 * they are never written, so dropping them loses nothing. */
static void shed_memory(struct monitor *m)
{
	autofclose FILE *maps = NULL;
	char line[512];

	engine_close(&m->e);
	store_close(m->store);
	m->store = NULL;
	maps = fopen("/proc/self/maps", "re");
	while (maps != NULL && fgets(line, sizeof(line), maps) != NULL) {
		unsigned long start, end;
		char perms[8];
		unsigned long long offset;
		char dev[16];
		unsigned long inode;

		if (sscanf(line, "%lx-%lx %7s %llx %15s %lu", &start, &end, perms, &offset, dev,
			   &inode) == 6 &&
		    inode != 0 && perms[2] == 'x')
			madvise((void *)start, end - start, MADV_DONTNEED);
	}
}

/* The monitor itself; never returns. */
static void monitor_main(const char *root, const char *driver, const char *run_root, const char *id,
			 int sync_fd, int done_fd, const int attach[2])
{
	struct monitor m = { .sync_fd = sync_fd, .done_fd = done_fd };
	struct berth_err err = { 0 };
	sigset_t mask;
	int null, code, keep[4];

	/* The attached fds are usually the caller's 1 and 2, which become
	 * /dev/null here: move them out of the way first. */
	m.attach[0] = attach ? fcntl(attach[0], F_DUPFD_CLOEXEC, 3) : -1;
	m.attach[1] = attach ? fcntl(attach[1], F_DUPFD_CLOEXEC, 3) : -1;
	keep[0] = sync_fd;
	keep[1] = done_fd;
	keep[2] = m.attach[0];
	keep[3] = m.attach[1];
	prctl(PR_SET_NAME, MONITOR_COMM);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	close_others(keep, ARRAY_SIZE(keep));
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	if (monitor_setup(&m, root, driver, run_root, id, &err) < 0 ||
	    create_container(&m, &err) < 0 || start_container(&m, &err) < 0) {
		struct runtime_ctx ctx = engine_runtime_ctx(&m.e);
		struct berth_err ignored;

		if (m.e.store != NULL) {
			container_delete(&ctx, id, true, &ignored);
			engine_update(&m.e, id, "error = ?4", 0, 0, 0, err.msg, &ignored);
		}
		sync_write(sync_fd, "error ");
		sync_write(sync_fd, err.msg);
		_exit(1);
	}
	sync_write(sync_fd, "ok");
	close(sync_fd);
	shed_memory(&m);
	code = event_loop(&m);
	if (reopen(&m, root, driver, run_root, &err) < 0)
		_exit(1);
	finish(&m, code < 0 ? 255 : code);
	_exit(0);
}

/* The monitor is this same binary, run afresh: a forked copy of a process
 * that has the database open must not use SQLite (its per-process lock
 * state came along), and a fresh image is also a smaller one. */
static void exec_monitor(struct engine *e, const char *id, int sync_fd, int done_fd,
			 const int attach[2])
{
	char fds[4][16];
	int keep[4] = { sync_fd, done_fd, attach ? attach[0] : -1, attach ? attach[1] : -1 };
	char name[] = "berth", cmd[] = "__monitor";
	char *argv[] = { name,
			 cmd,
			 e->store->root,
			 (char *)snapshot_driver_name(e->store->driver),
			 e->run_root,
			 (char *)id,
			 fds[0],
			 fds[1],
			 fds[2],
			 fds[3],
			 NULL };

	for (int i = 0; i < 4; i++) {
		snprintf(fds[i], sizeof(fds[i]), "%d", keep[i]);
		if (keep[i] >= 0)
			fcntl(keep[i], F_SETFD, 0);
	}
	execv("/proc/self/exe", argv);
	sync_write(sync_fd, "error exec the monitor: ");
	sync_write(sync_fd, strerror(errno));
	_exit(127);
}

int engine_monitor_main(int argc, char **argv)
{
	int fds[4];

	if (argc != 8)
		return 2;
	for (int i = 0; i < 4; i++)
		fds[i] = atoi(argv[4 + i]);
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			fcntl(fds[i], F_SETFD, FD_CLOEXEC);
	monitor_main(argv[0], argv[1], argv[2], argv[3], fds[0], fds[1],
		     fds[2] >= 0 && fds[3] >= 0 ? fds + 2 : NULL);
	return 1;
}

int engine_start(struct engine *e, const char *what, const int attach_fds[2], int *done_fd,
		 struct berth_err *err)
{
	struct engine_container c = { 0 };
	struct runtime_ctx ctx = engine_runtime_ctx(e);
	int sync[2] = { -1, -1 }, done[2] = { -1, -1 };
	char msg[BERTH_ERR_MSG_MAX + 8] = "";
	size_t got = 0;
	pid_t pid;
	int status, r = -1;

	if (engine_lookup(e, what, &c, err) < 0)
		return -1;
	if (c.state == ENGINE_RUNNING) {
		engine_container_clear(&c);
		return 0;
	}
	/* What an earlier run left in the runtime, and a snapshot a reboot
	 * unmounted. */
	container_delete(&ctx, c.id, true, err);
	berth_err_clear(err);
	if (store_snapshot_mount(e->store, c.id, err) < 0)
		goto out;
	if (pipe2(sync, O_CLOEXEC) < 0 || (done_fd != NULL && pipe2(done, O_CLOEXEC) < 0)) {
		berth_err_set(err, errno, "pipe");
		goto out;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		berth_err_set(err, errno, "fork");
		goto out;
	}
	if (pid == 0) {
		pid_t mon;

		setsid();
		mon = fork();
		if (mon != 0)
			_exit(mon < 0);
		exec_monitor(e, c.id, sync[1], done[1], attach_fds);
	}
	close(sync[1]);
	sync[1] = -1;
	if (done_fd != NULL) {
		close(done[1]);
		done[1] = -1;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	for (;;) {
		ssize_t n = read(sync[0], msg + got, sizeof(msg) - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	msg[got] = '\0';
	if (strcmp(msg, "ok") != 0) {
		berth_err_set(err, 0, "%s",
			      strncmp(msg, "error ", 6) == 0 ? msg + 6
							     : "the container's monitor died");
		goto out;
	}
	if (done_fd != NULL) {
		*done_fd = done[0];
		done[0] = -1;
	}
	r = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (sync[i] >= 0)
			close(sync[i]);
		if (done[i] >= 0)
			close(done[i]);
	}
	engine_container_clear(&c);
	return r;
}
