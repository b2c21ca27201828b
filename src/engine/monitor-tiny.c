/* berth-monitor: what a running container's monitor is while the
 * container runs. `berth __monitor` sets the container up (the store, the
 * runtime, the spec: megabytes of code) and then executes this small
 * static program, which keeps only the event loop (monitor-io.c) in
 * memory. When the container's init has exited it executes the exit
 * command it was given, with the exit status, the attach socket and its
 * clients (FD:WANT) appended, and that records the exit (monitor.c); or,
 * when an attached `run --rm` took the end over and removed the
 * container (monitor_io_hand_over), with "gone" for the status, and that
 * only cleans up.
 *
 *   berth-monitor init=PID [tty=1] [stdin-once=1] out=FD [err=FD] [in=FD]
 *                 listen=FD log=PATH log-max-size=N log-max-file=N [journal=PATH]
 *                 [health=INTERVAL:START_INTERVAL:START_PERIOD]
 *                 [client=FD:WANT]... -- EXIT_COMMAND [ARG]...
 *
 * EXIT_COMMAND is `BERTH __monitor-exit ROOT DRIVER RUN_ROOT ID DELAY`;
 * with health= (nanoseconds) the monitor runs the container's health
 * probe, `BERTH __health ROOT DRIVER RUN_ROOT ID` (health.c), on that
 * schedule.
 *
 * Runs with SIGCHLD blocked, as a child subreaper: both survive execve. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/monitor-io.h"
#include "util/num.h"

static long num(const char *s)
{
	int64_t v;

	if (num_parse_i64(s, 10, LONG_MIN, LONG_MAX, &v) < 0) {
		fprintf(stderr, "berth-monitor: bad number: %s\n", s);
		exit(2);
	}
	return (long)v;
}

/* The rest of a static binary's file pages that setup touched (the C
 * library's startup, stdio) are given back: only the loop's own pages
 * fault in again. Read-only mappings only: nothing is lost. */
static void shed_pages(void)
{
	FILE *maps = fopen("/proc/self/maps", "re");
	char line[512];

	while (maps != NULL && fgets(line, sizeof(line), maps) != NULL) {
		unsigned long start, end, inode;
		unsigned long long offset;
		char perms[8], dev[16];

		if (sscanf(line, "%lx-%lx %7s %llx %15s %lu", &start, &end, perms, &offset, dev,
			   &inode) == 6 &&
		    inode != 0 && perms[1] != 'w')
			madvise((void *)start, end - start, MADV_DONTNEED);
	}
	if (maps != NULL)
		fclose(maps);
}

int main(int argc, char **argv)
{
	struct monitor_io m = { .out = -1, .err = -1, .in = -1, .listen = -1 };
	const char *log = NULL;
	const char *journal = NULL; /* the journald driver's fields (log-journald.c) */
	long max_size = 0, max_file = 0;
	char **exit_argv = NULL;
	bool gone = false;
	char *health = NULL;
	char *health_argv[7];
	int code, i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = strchr(a, '=');

		if (strcmp(a, "--") == 0) {
			exit_argv = argv + i + 1;
			break;
		}
		if (v == NULL)
			goto usage;
		v++;
		if (strncmp(a, "init=", 5) == 0)
			m.init = (pid_t)num(v);
		else if (strncmp(a, "tty=", 4) == 0)
			m.tty = num(v) != 0;
		else if (strncmp(a, "stdin-once=", 11) == 0)
			m.stdin_once = num(v) != 0;
		else if (strncmp(a, "out=", 4) == 0)
			m.out = (int)num(v);
		else if (strncmp(a, "err=", 4) == 0)
			m.err = (int)num(v);
		else if (strncmp(a, "in=", 3) == 0)
			m.in = (int)num(v);
		else if (strncmp(a, "listen=", 7) == 0)
			m.listen = (int)num(v);
		else if (strncmp(a, "log=", 4) == 0)
			log = v;
		else if (strncmp(a, "journal=", 8) == 0)
			journal = v;
		else if (strncmp(a, "log-max-size=", 13) == 0)
			max_size = num(v);
		else if (strncmp(a, "log-max-file=", 13) == 0)
			max_file = num(v);
		else if (strncmp(a, "health=", 7) == 0)
			health = (char *)v;
		else if (strncmp(a, "client=", 7) == 0 && m.n_clients < MONITOR_MAX_CLIENTS) {
			if (monitor_client_parse(v, &m.clients[m.n_clients]) < 0)
				goto usage;
			m.n_clients++;
		} else
			goto usage;
	}
	if (exit_argv == NULL || exit_argv[0] == NULL || m.init <= 0 || m.out < 0 || log == NULL)
		goto usage;
	if (health != NULL) {
		if (monitor_health_parse(health, &m.health) < 0)
			goto usage;
		for (int k = 0; k < 6; k++)
			if (exit_argv[k] == NULL)
				goto usage;
		health_argv[0] = exit_argv[0];
		health_argv[1] = (char *)"__health";
		for (int k = 2; k < 6; k++)
			health_argv[k] = exit_argv[k];
		health_argv[6] = NULL;
		m.health_argv = health_argv;
	}
	shed_pages();
	code = monitor_io_run_logged(&m, log, (uint64_t)max_size, (int)max_file, journal);
	/* An attached `run --rm` removed the container itself: the others
	 * learn the exit now, and the exit command only cleans up. */
	if (code >= 0 && monitor_io_hand_over(&m, code)) {
		monitor_clients_tell_exit(m.clients, &m.n_clients, code);
		close(m.listen);
		m.listen = -1;
		gone = true;
	}
	{
		/* exit_argv + CODE + LISTEN + one fd per client */
		char **args = calloc((size_t)(argc - i) + 3 + m.n_clients, sizeof(char *));
		size_t n = 0;

		if (args == NULL)
			return 1;
		for (char **a = exit_argv; *a != NULL; a++)
			args[n++] = *a;
		if ((gone ? (args[n++] = strdup("gone")) == NULL
			  : asprintf(&args[n++], "%d", code < 0 ? 255 : code) < 0) ||
		    asprintf(&args[n++], "%d", m.listen) < 0)
			return 1;
		if (m.listen >= 0)
			fcntl(m.listen, F_SETFD, 0);
		for (size_t c = 0; c < m.n_clients; c++) {
			fcntl(m.clients[c].fd, F_SETFD, 0);
			if (asprintf(&args[n++], "%d:%u", m.clients[c].fd, m.clients[c].want) < 0)
				return 1;
		}
		execv(args[0], args);
		fprintf(stderr, "berth-monitor: exec %s: %s\n", args[0], strerror(errno));
		return 1;
	}
usage:
	fprintf(stderr, "berth-monitor: started by berth, not by hand\n");
	return 2;
}
