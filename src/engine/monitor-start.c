/* Starting a container: engine_start, in the berth command that starts
 * it. It clears what an earlier run left, mounts the snapshot, writes the
 * bundle, then forks, setsids and forks again, and the grandchild
 * executes the monitor's first program, `berth __monitor` (monitor.c),
 * with what the monitor needs of the config in its arguments. The
 * command waits for the monitor's answer on a socketpair and records the
 * container running (the monitor goes on only once it is), or the
 * monitor's error. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/container-mounts.h"
#include "engine/engine-internal.h"
#include "engine/monitor-internal.h"
#include "image/store.h"
#include "runtime/exeseal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/num.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* The monitor is this same binary, run afresh: a forked copy of a process
 * that has the database open must not use SQLite (its per-process lock
 * state came along), and a fresh process is a smaller one to fork the
 * container from (measured: forking the caller instead is 2 ms slower).
 * argv is complete but for SYNC_FD and CLIENT_FD, filled in here. */
static _Noreturn void exec_monitor(char **argv, int sync_fd, int client)
{
	struct berth_err err = { 0 };
	char fds[2][16];

	snprintf(fds[0], sizeof(fds[0]), "%d", sync_fd);
	snprintf(fds[1], sizeof(fds[1]), "%d", client);
	argv[6] = fds[0];
	argv[7] = fds[1];
	fcntl(sync_fd, F_SETFD, 0);
	if (client >= 0)
		fcntl(client, F_SETFD, 0);
	/* The monitor creates the container's process: it runs from a sealed
	 * copy of this binary (runtime/exeseal.h), at no extra cost here. */
	exeseal_execv(argv, &err);
	monitor_sync_error(sync_fd, &err);
	_exit(127);
}

static char **monitor_argv(struct engine *e, const struct engine_container *c, const char *bundle)
{
	struct monitor_settings set = { 0 };
	char **argv = NULL;

	monitor_settings_from_config(c->config, &set);
	strv_push(&argv, "berth");
	strv_push(&argv, "__monitor");
	strv_push(&argv, e->store->root);
	strv_push(&argv, snapshot_driver_name(e->store->driver));
	strv_push(&argv, e->run_root);
	strv_push(&argv, c->id);
	strv_push(&argv, "SYNC_FD");
	strv_push(&argv, "CLIENT_FD");
	strv_push_take(&argv, xasprintf("tty=%d", set.tty));
	strv_push_take(&argv, xasprintf("open-stdin=%d", set.open_stdin));
	strv_push_take(&argv, xasprintf("stdin-once=%d", set.stdin_once));
	strv_push_take(&argv, xasprintf("log-max-size=%lld", (long long)set.log_max_size));
	strv_push_take(&argv, xasprintf("log-max-file=%lld", (long long)set.log_max_file));
	strv_push_take(&argv, xasprintf("no-log=%d", set.no_log));
	strv_push_take(&argv, xasprintf("journald=%d", set.journald));
	strv_push_take(&argv, xasprintf("bundle=%s", bundle));
	if (set.has_health)
		strv_push_take(&argv,
			       xasprintf("health=%lld:%lld:%lld", (long long)set.health.interval,
					 (long long)set.health.start_interval,
					 (long long)set.health.start_period));
	return argv;
}

/* "ok PID MONITOR_PID STARTED_NS\n" into v. */
static bool monitor_answer_ok(const char *msg, int64_t v[3])
{
	const char *p = msg + 3;
	uint64_t x;

	if (strncmp(msg, "ok ", 3) != 0)
		return false;
	for (int i = 0; i < 3; i++) {
		if (num_take_u64(&p, 10, INT64_MAX, &x) < 0 || *p++ != (i < 2 ? ' ' : '\n'))
			return false;
		v[i] = (int64_t)x;
	}
	return true;
}

/* The monitor's answer: "ok PID MONITOR_PID STARTED_NS\n", which is
 * recorded here and acknowledged (record_running), or "error CMD_STATUS
 * MSG" (monitor_sync_error), recorded as the container's error; a program that
 * cannot be run is its exit code too, as docker records it. */
static int monitor_answer(struct engine *e, const char *id, int fd, struct berth_err *err)
{
	char msg[BERTH_ERR_MSG_MAX + 32] = "";
	size_t got = 0;
	int64_t v[3];
	int cmd_status = 0, text = 0;
	struct berth_err ignored;

	while (got < sizeof(msg) - 1) {
		ssize_t n = read(fd, msg + got, sizeof(msg) - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (strncmp(msg, "ok ", 3) == 0 && memchr(msg, '\n', got) != NULL)
			break;
	}
	msg[got] = '\0';
	if (monitor_answer_ok(msg, v) && v[0] <= INT_MAX && v[1] <= INT_MAX) {
		if (engine_record_running(e, id, (pid_t)v[0], (pid_t)v[1], v[2], err) < 0)
			return -1;
		if (write(fd, "k", 1) != 1)
			return berth_err_set(err, errno, "the container's monitor died");
		return 0;
	}
	if (sscanf(msg, "error %d %n", &cmd_status, &text) == 1 && text > 0) {
		berth_err_set(err, 0, "%s", msg + text);
		if (cmd_status == 126 || cmd_status == 127)
			err->cmd_status = cmd_status;
	} else {
		berth_err_set(err, 0, "the container's monitor died");
	}
	engine_update(e, id, err->cmd_status != 0 ? "error = ?4, exit_code = ?1" : "error = ?4",
		      err->cmd_status, 0, 0, err->msg, &ignored);
	return -1;
}

int engine_start(struct engine *e, const char *what, int attach_fd, struct berth_err *err)
{
	struct engine_container c = { 0 };
	struct runtime_ctx ctx = engine_runtime_ctx(e);
	autostrv char **argv = NULL;
	autofree char *bundle = NULL;
	int sync[2] = { -1, -1 };
	pid_t pid;
	int status, r = -1;

	if (engine_lookup(e, what, &c, err) < 0)
		return -1;
	if (c.state == ENGINE_RUNNING || c.state == ENGINE_RESTARTING) {
		engine_container_clear(&c);
		return 0;
	}
	/* A user's start clears what stop said and the restart count. */
	if (engine_update(e, c.id, "manually_stopped = 0, restart_count = 0", 0, 0, 0, NULL, err) <
	    0)
		goto out;
	/* What an earlier run left in the runtime, and a snapshot a reboot
	 * unmounted. */
	container_delete(&ctx, c.id, true, err);
	berth_err_clear(err);
	if (store_snapshot_mount(e->store, c.id, err) < 0 ||
	    engine_mounts_remount(e->store, c.config, err) < 0 ||
	    engine_bundle_write(e, &c, &bundle, err) < 0)
		goto out;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) < 0) {
		berth_err_set(err, errno, "socketpair");
		goto out;
	}
	argv = monitor_argv(e, &c, bundle);
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
		close(sync[0]);
		exec_monitor(argv, sync[1], attach_fd);
	}
	close(sync[1]);
	sync[1] = -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (monitor_answer(e, c.id, sync[0], err) < 0)
		goto out;
	r = 0;
out:
	for (int i = 0; i < 2; i++)
		if (sync[i] >= 0)
			close(sync[i]);
	engine_container_clear(&c);
	return r;
}
