/* berth-init: the pid 1 of a container run with --init.
 *
 *   berth-init [--] COMMAND [ARG...]
 *
 * A process that is pid 1 of a pid namespace has two duties nothing else
 * in a container usually performs: it adopts every orphan, so it must reap
 * them or they stay zombies, and the kernel drops any signal sent to it
 * from inside the namespace for which it has no handler, so a plain
 * program as pid 1 ignores a SIGTERM it never installed a handler for.
 * This init does both for the real command, which it runs as its only
 * child:
 *
 *  - every catchable signal is blocked and taken with sigwaitinfo: a
 *    blocked signal is never "ignored" by the kernel (it stays pending), so
 *    each one arrives here and is sent on to the child, as tini does by
 *    default (to the child, not its process group);
 *  - SIGCHLD reaps every exited process; when the child is among them,
 *    init exits with the child's status (128 + the signal when it was
 *    killed), and the kernel kills whatever else is left in the namespace.
 *
 * The child gets its own process group, and the terminal when there is
 * one, so that job control and ^C reach it as in a shell. The faults
 * (SIGSEGV, SIGBUS, ...) stay unblocked: they concern init itself.
 *
 * Built static, with nothing but libc, because it runs inside containers
 * whose images may have no C library at all (src/init/meson.build). Not
 * pid 1 (docker's --pid host case, or a test), it makes itself the child
 * subreaper so that it still reaps the orphans of its subtree. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define NAME "berth-init"

/* Signals that mean init itself went wrong, never forwarded. */
static const int fault_signals[] = { SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS };

static void usage(void)
{
	fprintf(stderr, "usage: " NAME " [--] COMMAND [ARG...]\n");
}

/* The child: its own process group (and the terminal's foreground), the
 * caller's signal mask and dispositions back, then the command. */
static void child_exec(char **argv, const sigset_t *old_mask)
{
	setpgid(0, 0);
	/* SIGTTOU is still ignored here, so taking the terminal from the
	 * background group does not stop us. */
	if (isatty(STDIN_FILENO))
		tcsetpgrp(STDIN_FILENO, getpid());
	signal(SIGTTIN, SIG_DFL);
	signal(SIGTTOU, SIG_DFL);
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	execvp(argv[0], argv);
	fprintf(stderr, NAME ": exec %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* Reaps every exited process; true when the child was one of them. */
static int reap(pid_t child, int *status)
{
	int found = 0, st;
	pid_t p;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		if (p == child) {
			*status = st;
			found = 1;
		}
	return found;
}

int main(int argc, char **argv)
{
	sigset_t wait_set, old_mask;
	int first = 1, status = 0;
	pid_t child;

	if (argc > 1 && strcmp(argv[1], "--") == 0)
		first = 2;
	else if (argc > 1 && argv[1][0] == '-') {
		usage();
		return strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	if (first >= argc) {
		usage();
		return 2;
	}

	sigfillset(&wait_set);
	for (size_t i = 0; i < sizeof(fault_signals) / sizeof(fault_signals[0]); i++)
		sigdelset(&wait_set, fault_signals[i]);
	/* A background init must not be stopped by terminal I/O. */
	sigdelset(&wait_set, SIGTTIN);
	sigdelset(&wait_set, SIGTTOU);
	signal(SIGTTIN, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	if (sigprocmask(SIG_SETMASK, &wait_set, &old_mask) < 0) {
		fprintf(stderr, NAME ": sigprocmask: %s\n", strerror(errno));
		return 1;
	}
	if (getpid() != 1)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

	child = fork();
	if (child < 0) {
		fprintf(stderr, NAME ": fork: %s\n", strerror(errno));
		return 1;
	}
	if (child == 0)
		child_exec(argv + first, &old_mask);

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&wait_set, &si);

		if (sig < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, NAME ": sigwaitinfo: %s\n", strerror(errno));
			return 1;
		}
		if (sig == SIGCHLD) {
			if (reap(child, &status))
				return exit_code(status);
			continue;
		}
		/* The child may just have exited (ESRCH): its SIGCHLD is next. */
		kill(child, sig);
	}
}
