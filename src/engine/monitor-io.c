/* The monitor's event loop (see monitor-io.h). One poll over the
 * container's output, the attach socket, the clients, the container's
 * stdin when it has bytes waiting, and a signalfd for SIGCHLD. */
#include "engine/monitor-io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"
#include "util/num.h"

/* After the init's exit, its output ends as soon as the rest of the pid
 * namespace is gone; don't wait forever for a straggler holding it. */
#define DRAIN_MS 2000

/* How long a client that took the end over may take to answer; then the
 * monitor ends the container itself (the client finds it gone). */
#define HAND_OVER_MS 10000

bool monitor_io_send(int fd, char kind, const void *buf, size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = &kind, .iov_len = 1 },
		{ .iov_base = (void *)buf, .iov_len = len },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len > 0 ? 2 : 1 };
	ssize_t r;

	do
		r = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r == (ssize_t)(len + 1);
}

ssize_t monitor_io_recv(int fd, char *buf, size_t cap, int flags)
{
	ssize_t n;

	/* MSG_TRUNC: a seqpacket frame longer than the buffer reports its
	 * whole length, where the kernel would drop the rest unsaid. */
	do
		n = recv(fd, buf, cap - 1, flags | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n >= (ssize_t)cap) {
		errno = EMSGSIZE;
		return -1;
	}
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

int monitor_client_parse(const char *s, struct monitor_client *out)
{
	uint64_t fd, want;

	if (num_take_u64(&s, 10, 65535, &fd) < 0 || *s++ != ':' ||
	    num_parse_u64(s, 10, UINT_MAX, &want) < 0)
		return -1;
	out->fd = (int)fd;
	out->want = (unsigned)want;
	return 0;
}

int monitor_health_parse(const char *s, struct engine_health_schedule *out)
{
	uint64_t iv, si;

	if (num_take_u64(&s, 10, INT64_MAX, &iv) < 0 || iv == 0 || *s++ != ':' ||
	    num_take_u64(&s, 10, INT64_MAX, &si) < 0 || si == 0 || *s++ != ':' ||
	    num_parse_i64(s, 10, 0, INT64_MAX, &out->start_period) < 0)
		return -1;
	out->interval = (int64_t)iv;
	out->start_interval = (int64_t)si;
	return 0;
}

static void drop_client(struct monitor_io *m, size_t i)
{
	close(m->clients[i].fd);
	m->clients[i] = m->clients[--m->n_clients];
}

static void close_stdin(struct monitor_io *m)
{
	if (m->in < 0)
		return;
	if (!m->tty)
		close(m->in);
	m->in = -1;
	m->pending_len = 0;
}

/* Output of one stream: to the log and to every client that wants it. */
static void copy_out(struct monitor_io *m, int stream, int *fd)
{
	char buf[ATTACH_FRAME_MAX - 1];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* A pty gives EIO once the last slave is closed. */
		if (!m->tty)
			close(*fd);
		*fd = -1;
		return;
	}
	log_writer_write(&m->log, stream, buf, (size_t)n);
	for (size_t i = 0; i < m->n_clients;) {
		unsigned want = stream == 0 ? ATTACH_WANT_STDOUT : ATTACH_WANT_STDERR;

		if ((m->clients[i].want & want) &&
		    !monitor_io_send(m->clients[i].fd, stream == 0 ? ATTACH_STDOUT : ATTACH_STDERR,
				     buf, (size_t)n)) {
			drop_client(m, i);
			continue;
		}
		i++;
	}
}

/* The log writer's hook: a record to every `logs -f`. */
static void log_record(void *ctx, const char *rec, size_t len)
{
	struct monitor_io *m = ctx;

	for (size_t i = 0; i < m->n_clients;) {
		if ((m->clients[i].want & ATTACH_WANT_LOG) &&
		    !monitor_io_send(m->clients[i].fd, ATTACH_LOG_RECORD, rec, len)) {
			drop_client(m, i);
			continue;
		}
		i++;
	}
}

static void flush_stdin(struct monitor_io *m)
{
	while (m->pending_len > 0 && m->in >= 0) {
		ssize_t w = write(m->in, m->pending, m->pending_len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w <= 0) {
			close_stdin(m);
			return;
		}
		memmove(m->pending, m->pending + w, m->pending_len - (size_t)w);
		m->pending_len -= (size_t)w;
	}
}

/* One frame from client i; false when the client is gone. */
static bool client_frame(struct monitor_io *m, size_t i)
{
	struct monitor_client *c = &m->clients[i];
	char buf[ATTACH_FRAME_MAX + 1];
	ssize_t n = monitor_io_recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN;
	if (n == 0)
		return false;
	if (c->want == 0) {
		/* The hello comes first; anything else ends the client. */
		if (buf[0] != ATTACH_HELLO || n != 2)
			return false;
		/* 0x80: hello seen, even when it wants nothing */
		c->want = (unsigned char)buf[1] | 0x80u;
		if (c->want & ATTACH_WANT_LOG) {
			char size[24];

			snprintf(size, sizeof(size), "%llu", (unsigned long long)m->log.size);
			return monitor_io_send(c->fd, ATTACH_LOG_SIZE, size, strlen(size));
		}
		return true;
	}
	switch (buf[0]) {
	case ATTACH_STDIN:
		if ((c->want & ATTACH_WANT_STDIN) && m->in >= 0 && n > 1) {
			memcpy(m->pending, buf + 1, (size_t)n - 1);
			m->pending_len = (size_t)n - 1;
			flush_stdin(m);
		}
		break;
	case ATTACH_CLOSE_STDIN:
		if ((c->want & ATTACH_WANT_STDIN) && m->stdin_once)
			close_stdin(m);
		break;
	case ATTACH_RESIZE:
		if (m->tty && n == 5) {
			struct winsize ws = { 0 };
			uint16_t rc[2];

			memcpy(rc, buf + 1, sizeof(rc));
			ws.ws_row = rc[0];
			ws.ws_col = rc[1];
			ioctl(m->out, TIOCSWINSZ, &ws);
		}
		break;
	default:
		return false;
	}
	return true;
}

static void accept_client(struct monitor_io *m)
{
	int fd = accept4(m->listen, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (m->n_clients == MONITOR_MAX_CLIENTS) {
		close(fd);
		return;
	}
	m->clients[m->n_clients++] = (struct monitor_client){ .fd = fd };
}

static int64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* When the probe after one that answered status runs. */
static void health_schedule(struct monitor_io *m, int64_t now)
{
	bool starting = m->health_status == 2 && now - m->health_began < m->health.start_period;

	m->health_next = now + (starting ? m->health.start_interval : m->health.interval);
}

/* The probe program, on its own: the monitor's stdio, none of its other
 * fds but the one its path may name (/proc/self/fd/N: the sealed berth),
 * no blocked signals. */
static void health_spawn(struct monitor_io *m)
{
	pid_t pid = fork();

	if (pid < 0) {
		health_schedule(m, monotonic_ns());
		return;
	}
	if (pid == 0) {
		const char *p = m->health_argv[0];
		int keep = -1;
		sigset_t none;

		if (strncmp(p, "/proc/self/fd/", 14) == 0)
			keep = atoi(p + 14);
		if (keep > 3)
			close_range(3, (unsigned)keep - 1, 0);
		close_range(keep >= 3 ? (unsigned)keep + 1 : 3, ~0U, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(p, m->health_argv);
		_exit(3);
	}
	m->health_pid = pid;
}

/* Reaps children; the init's exit status once it has exited, else -1. */
static int reap(struct monitor_io *m)
{
	int status, code = -1;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == m->health_pid && m->health_pid > 0) {
			m->health_pid = 0;
			if (WIFEXITED(status) && WEXITSTATUS(status) <= 2)
				m->health_status = WEXITSTATUS(status);
			health_schedule(m, monotonic_ns());
			continue;
		}
		if (pid != m->init)
			continue;
		code = WIFEXITED(status) ? WEXITSTATUS(status)
					 : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
	return code;
}

enum { P_OUT, P_ERR, P_IN, P_SIG, P_LISTEN, P_CLIENTS };

int monitor_io_run(struct monitor_io *m)
{
	sigset_t mask;
	int sfd, code;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	m->log.on_record = log_record;
	m->log.ctx = m;
	if (m->in >= 0)
		fcntl(m->in, F_SETFL, fcntl(m->in, F_GETFL) | O_NONBLOCK);
	if (m->health_argv != NULL) {
		m->health_began = monotonic_ns();
		m->health_status = 2;
		m->health_pid = 0;
		health_schedule(m, m->health_began);
	}
	code = reap(m);
	while (code < 0 || m->out >= 0 || m->err >= 0) {
		struct pollfd p[P_CLIENTS + MONITOR_MAX_CLIENTS];
		bool reading = m->pending_len == 0;
		size_t n_clients = m->n_clients;
		int timeout = code >= 0 ? DRAIN_MS : -1;
		bool probe_due = false;
		int r;

		p[P_OUT] = (struct pollfd){ .fd = m->out, .events = POLLIN };
		p[P_ERR] = (struct pollfd){ .fd = m->err, .events = POLLIN };
		p[P_IN] = (struct pollfd){ .fd = reading ? -1 : m->in, .events = POLLOUT };
		p[P_SIG] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		p[P_LISTEN] = (struct pollfd){ .fd = m->listen, .events = POLLIN };
		for (size_t i = 0; i < n_clients; i++)
			p[P_CLIENTS + i] = (struct pollfd){ .fd = m->clients[i].fd,
							    .events = reading ? POLLIN : 0 };
		if (code < 0 && m->health_argv != NULL && m->health_pid == 0) {
			int64_t left = (m->health_next - monotonic_ns()) / 1000000;

			probe_due = true;
			timeout = left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
		}
		r = poll(p, P_CLIENTS + n_clients, timeout);
		if (r < 0 && errno == EINTR)
			continue;
		/* (output that never pauses must not hold the probe off) */
		if (r >= 0 && probe_due && monotonic_ns() >= m->health_next)
			health_spawn(m);
		if (r == 0 && probe_due)
			continue;
		if (r <= 0)
			break;
		if (p[P_OUT].revents)
			copy_out(m, 0, &m->out);
		if (p[P_ERR].revents)
			copy_out(m, 1, &m->err);
		if (p[P_IN].revents)
			flush_stdin(m);
		if (p[P_SIG].revents) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				;
			if (code < 0)
				code = reap(m);
		}
		/* Clients last, from the end: dropping one moves the last
		 * into its slot. Once one client's input waits for the
		 * container, the others' frames wait in their sockets. */
		for (size_t i = n_clients; i-- > 0;)
			if (m->pending_len == 0 && i < m->n_clients && p[P_CLIENTS + i].revents &&
			    m->clients[i].fd == p[P_CLIENTS + i].fd && !client_frame(m, i))
				drop_client(m, i);
		if (p[P_LISTEN].revents)
			accept_client(m);
	}
	/* A probe still running outlives no container: its result would be
	 * for a run that ended, and its process would be nobody's child. */
	if (m->health_pid > 0) {
		kill(m->health_pid, SIGKILL);
		waitpid(m->health_pid, NULL, 0);
		m->health_pid = 0;
	}
	close(sfd);
	return code;
}

int monitor_io_run_logged(struct monitor_io *m, const char *path, uint64_t max_size, int max_file,
			  const char *journal)
{
	struct berth_err ignored;
	int code;

	/* A log that cannot be used is skipped: the container runs without;
	 * so does one with no log at all (path "": --log-driver none). */
	if (path[0] == '\0') {
		memset(&m->log, 0, sizeof(m->log));
		m->log.fd = -1;
		m->log.journal_fd = -1;
		m->log.failed = true;
	} else if (log_writer_open(&m->log, path, max_size, max_file, &ignored) < 0) {
		m->log.failed = true;
	}
	/* Likewise a journal that cannot be reached: the start checked that
	 * journald listens (engine_journal_prepare). */
	if (journal != NULL)
		(void)log_writer_journal(&m->log, journal, &ignored);
	code = monitor_io_run(m);
	log_writer_close(&m->log);
	return code;
}

bool monitor_io_hand_over(struct monitor_io *m, int code)
{
	char text[16], buf[ATTACH_FRAME_MAX + 1];

	snprintf(text, sizeof(text), "%d", code);
	for (size_t i = 0; i < m->n_clients; i++) {
		struct monitor_client *c = &m->clients[i];
		struct pollfd p = { .fd = c->fd, .events = POLLIN };

		if (!(c->want & ATTACH_WANT_FINISH))
			continue;
		if (!monitor_io_send(c->fd, ATTACH_DONE, text, strlen(text))) {
			drop_client(m, i);
			return false;
		}
		for (;;) {
			int r = poll(&p, 1, HAND_OVER_MS);
			ssize_t n;

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			n = monitor_io_recv(c->fd, buf, sizeof(buf), 0);
			if (n <= 0) {
				drop_client(m, i);
				return false;
			}
			if (buf[0] == ATTACH_REMOVED) {
				drop_client(m, i);
				return true;
			}
			if (buf[0] == ATTACH_DECLINE)
				break;
			/* input or a resize sent as the container ended */
		}
		c->want &= ~(unsigned)ATTACH_WANT_FINISH;
		return false;
	}
	return false;
}

void monitor_clients_tell_exit(struct monitor_client *clients, size_t *n, int code)
{
	char text[16];

	snprintf(text, sizeof(text), "%d", code);
	for (size_t i = 0; i < *n; i++) {
		int fd = clients[i].fd;
		char drain[ATTACH_FRAME_MAX];

		monitor_io_send(fd, ATTACH_EXIT, text, strlen(text));
		/* A socket closed with frames unread (a resize sent as the
		 * container ended) makes the client's next read fail with
		 * ECONNRESET before it reads the exit: stop its sends, take
		 * what is queued, then close. */
		shutdown(fd, SHUT_RD);
		while (recv(fd, drain, sizeof(drain), MSG_DONTWAIT) > 0)
			;
		close(fd);
	}
	*n = 0;
}
