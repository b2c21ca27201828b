#include "runtime/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/log.h"

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes all of buf; a hook that exits without reading stdin is fine, so
 * EPIPE ends the write quietly. */
static void write_state(int fd, const char *buf)
{
	size_t len = strlen(buf), off = 0;

	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

static _Noreturn void hook_child(const struct spec_hook *h, int in_fd, int err_fd)
{
	char *default_argv[] = {h->path, NULL};
	char *empty_env[] = {NULL};

	dup2(in_fd, STDIN_FILENO);
	dup2(err_fd, STDERR_FILENO);
	/* The hook's stdout is not the container's: send it to stderr's pipe
	 * too, so a chatty hook cannot write into the container's log. */
	dup2(err_fd, STDOUT_FILENO);
	execve(h->path, h->args != NULL && h->args[0] != NULL ? h->args : default_argv,
	       h->env != NULL ? h->env : empty_env);
	dprintf(err_fd, "exec %s: %s\n", h->path, strerror(errno));
	_exit(127);
}

/* Waits for the hook while collecting its stderr; kills it at the timeout. */
static int hook_wait(pid_t pid, int pidfd, int err_fd, int timeout_s, char *errbuf,
		     size_t errcap, int *status, bool *timed_out)
{
	long deadline = timeout_s > 0 ? now_ms() + timeout_s * 1000L : -1;
	size_t used = 0;
	bool out_open = true;

	*timed_out = false;
	for (;;) {
		struct pollfd p[2] = {{pidfd, POLLIN, 0}, {err_fd, POLLIN, 0}};
		int wait_ms = deadline < 0 ? -1 : (int)(deadline - now_ms());
		int r;

		if (deadline >= 0 && wait_ms <= 0) {
			*timed_out = true;
			kill(pid, SIGKILL);
			break;
		}
		r = poll(p, out_open ? 2 : 1, wait_ms);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0 && out_open && (p[1].revents & (POLLIN | POLLHUP))) {
			char tmp[512];
			ssize_t n = read(err_fd, tmp, sizeof(tmp));
			if (n <= 0) {
				out_open = false;
			} else if (used + 1 < errcap) {
				size_t take = (size_t)n < errcap - used - 1 ? (size_t)n
									: errcap - used - 1;
				memcpy(errbuf + used, tmp, take);
				used += take;
			}
		}
		if (r > 0 && (p[0].revents & POLLIN))
			break;
	}
	errbuf[used] = '\0';
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

static int hook_run_one(const struct spec_hook *h, const char *where, const char *state_json,
			struct berth_err *err)
{
	int in[2] = {-1, -1}, errp[2] = {-1, -1};
	autoclose int pidfd = -1;
	char errbuf[1024];
	bool timed_out;
	int status = 0;
	pid_t pid;
	char *nl;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		berth_err_set(err, errno, "%s: pipe", where);
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		berth_err_set(err, errno, "%s: fork", where);
		goto fail;
	}
	if (pid == 0)
		hook_child(h, in[0], errp[1]);
	close(in[0]);
	close(errp[1]);
	in[0] = errp[1] = -1;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		berth_err_set(err, errno, "%s: pidfd_open", where);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto fail;
	}
	/* A hook that never reads stdin must not block us on a full pipe: the
	 * state is far smaller than the pipe buffer, and SIGPIPE is ignored by
	 * the caller. */
	write_state(in[1], state_json);
	close(in[1]);
	in[1] = -1;
	if (hook_wait(pid, pidfd, errp[0], h->timeout, errbuf, sizeof(errbuf), &status,
		      &timed_out) < 0) {
		berth_err_set(err, errno, "%s: wait", where);
		goto fail;
	}
	close(errp[0]);
	errp[0] = -1;
	nl = strchr(errbuf, '\n');
	if (nl != NULL)
		*nl = '\0';
	if (timed_out)
		return berth_err_set(err, 0, "%s %s: timed out after %d s", where, h->path,
				     h->timeout);
	if (WIFSIGNALED(status))
		return berth_err_set(err, 0, "%s %s: killed by signal %d%s%s", where, h->path,
				     WTERMSIG(status), errbuf[0] ? ": " : "", errbuf);
	if (WEXITSTATUS(status) != 0)
		return berth_err_set(err, 0, "%s %s: exited with status %d%s%s", where, h->path,
				     WEXITSTATUS(status), errbuf[0] ? ": " : "", errbuf);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	return -1;
}

/* Runs the hooks of one kind in order. keep_going: a failure is logged as a
 * warning and the rest still run (counted in the return value); otherwise
 * the first failure stops them and fills err. */
static int run_kind(const struct spec *s, enum spec_hook_kind kind, const char *state_json,
		    bool keep_going, struct berth_err *err)
{
	const struct spec_hooks *hs = &s->hooks[kind];
	void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
	int failed = 0;

	for (size_t i = 0; i < hs->n; i++) {
		char where[64];
		snprintf(where, sizeof(where), "hooks.%s[%zu]", spec_hook_kind_name(kind), i);
		if (hook_run_one(&hs->list[i], where, state_json, err) == 0)
			continue;
		failed++;
		if (!keep_going)
			break;
		log_warn("%s", err->msg);
	}
	signal(SIGPIPE, old_pipe);
	return failed;
}

int hooks_run(const struct spec *s, enum spec_hook_kind kind, const char *state_json,
	      struct berth_err *err)
{
	return run_kind(s, kind, state_json, false, err) == 0 ? 0 : -1;
}

int hooks_run_all(const struct spec *s, enum spec_hook_kind kind, const char *state_json)
{
	struct berth_err err;

	return run_kind(s, kind, state_json, true, &err);
}
