/* The attach client (see attach.h). */
#include "engine/attach.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/monitor-io.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/num.h"
#include "util/unixsock.h"

/* What --sig-proxy forwards: what a user sends a foreground program. */
static const int proxied[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

void engine_attach_opts_init(struct engine_attach_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->out = o->err = true;
	o->sig_proxy = true;
	o->detach_keys[0] = 0x10; /* ctrl-p */
	o->detach_keys[1] = 0x11; /* ctrl-q */
	o->n_detach_keys = 2;
}

int engine_attach_detach_keys(const char *spec, struct engine_attach_opts *o, struct berth_err *err)
{
	const char *p = spec;

	o->n_detach_keys = 0;
	while (*p != '\0') {
		size_t len = strcspn(p, ",");
		unsigned char key;

		if (len == 1) {
			key = (unsigned char)p[0];
		} else if (len == 6 && strncmp(p, "ctrl-", 5) == 0 &&
			   ((p[5] >= 'a' && p[5] <= 'z') || strchr("@[\\]^_", p[5]))) {
			key = p[5] >= 'a' && p[5] <= 'z' ? (unsigned char)(p[5] - 'a' + 1)
							 : (unsigned char)(p[5] - '@');
		} else {
			return berth_err_set(err, 0, "invalid detach keys (%s): unknown key %.*s",
					     spec, (int)len, p);
		}
		if (o->n_detach_keys == ATTACH_DETACH_KEYS_MAX)
			return berth_err_set(err, 0, "invalid detach keys (%s): too many keys",
					     spec);
		o->detach_keys[o->n_detach_keys++] = key;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int send_hello(int fd, const struct engine_attach_opts *o, struct berth_err *err)
{
	char want = (char)((o->in ? ATTACH_WANT_STDIN : 0) | (o->out ? ATTACH_WANT_STDOUT : 0) |
			   (o->err ? ATTACH_WANT_STDERR : 0) | (o->finish ? ATTACH_WANT_FINISH : 0));

	if (!monitor_io_send(fd, ATTACH_HELLO, &want, 1))
		return berth_err_set(err, errno, "attach");
	return 0;
}

int engine_attach_pair(const struct engine_attach_opts *o, int *mine, int *theirs,
		       struct berth_err *err)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return berth_err_set(err, errno, "socketpair");
	if (send_hello(sv[0], o, err) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	*mine = sv[0];
	*theirs = sv[1];
	return 0;
}

int engine_attach_connect(struct engine *e, const char *id, const struct engine_attach_opts *o,
			  int *sock, struct berth_err *err)
{
	autofree char *path = engine_attach_path(e, id);
	int fd = unixsock_connect_type(path, SOCK_SEQPACKET);

	if (fd < 0)
		return berth_err_set(err, errno, "attach to %.12s: connect %s", id, path);
	if (send_hello(fd, o, err) < 0) {
		close(fd);
		return -1;
	}
	*sock = fd;
	return 0;
}

static void send_size(int sock)
{
	struct winsize ws;
	uint16_t rc[2];

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
		return;
	rc[0] = ws.ws_row;
	rc[1] = ws.ws_col;
	monitor_io_send(sock, ATTACH_RESIZE, rc, sizeof(rc));
}

struct relay {
	int sock;
	const struct engine_attach_opts *o;
	/* The detach sequence's length: keys a user types at a terminal,
	 * so none without one (-t), as docker; piped input of any bytes
	 * passes through. */
	size_t n_keys;
	size_t matched; /* how much of the detach sequence the input ended with */
	bool detached;
};

/* Sends stdin bytes, holding back a possible start of the detach keys;
 * true once the user typed all of them. */
static bool forward_input(struct relay *r, const unsigned char *buf, size_t n)
{
	unsigned char out[ATTACH_FRAME_MAX];
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		if (r->n_keys > 0 && buf[i] == r->o->detach_keys[r->matched]) {
			if (++r->matched == r->n_keys)
				return true;
			continue;
		}
		/* A partial sequence that did not go on is input after all. */
		if (len + r->matched + 1 > sizeof(out) - 1) {
			monitor_io_send(r->sock, ATTACH_STDIN, out, len);
			len = 0;
		}
		memcpy(out + len, r->o->detach_keys, r->matched);
		len += r->matched;
		r->matched = 0;
		if (r->n_keys > 0 && buf[i] == r->o->detach_keys[0]) {
			r->matched = 1;
			continue;
		}
		out[len++] = buf[i];
	}
	if (len > 0)
		monitor_io_send(r->sock, ATTACH_STDIN, out, len);
	return false;
}

int engine_attach_relay(struct engine *e, const char *id, int sock,
			const struct engine_attach_opts *o, int *exit_code, bool *detached,
			struct berth_err *err)
{
	struct relay r = { .sock = sock, .o = o, .n_keys = o->tty ? o->n_detach_keys : 0 };
	struct termios saved, raw;
	bool raw_mode = false, in_open = o->in, proxy = o->sig_proxy && !o->tty;
	sigset_t mask, old;
	autoclose int sfd = -1;
	int ret = -1;

	*detached = false;
	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	if (proxy)
		for (size_t i = 0; i < ARRAY_SIZE(proxied); i++)
			sigaddset(&mask, proxied[i]);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (o->tty && o->in && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		raw_mode = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	if (o->tty)
		send_size(sock);
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = sock, .events = POLLIN },
			{ .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		/* A whole frame and its NUL (monitor_io_recv); stdin is read
		 * in pieces of one frame's data. */
		char buf[ATTACH_FRAME_MAX + 1];
		ssize_t n;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			berth_err_set(err, errno, "poll");
			break;
		}
		if (p[2].revents) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				struct berth_err ignored;

				if (si.ssi_signo == SIGWINCH) {
					if (o->tty)
						send_size(sock);
				} else {
					engine_kill(e, id, (int)si.ssi_signo, &ignored);
				}
			}
		}
		if (p[1].revents) {
			n = read(STDIN_FILENO, buf, ATTACH_FRAME_MAX - 1);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				in_open = false;
				monitor_io_send(sock, ATTACH_CLOSE_STDIN, NULL, 0);
			} else if (forward_input(&r, (unsigned char *)buf, (size_t)n)) {
				*detached = true;
				ret = 0;
				break;
			}
		}
		if (p[0].revents) {
			n = monitor_io_recv(sock, buf, sizeof(buf), 0);
			if (n < 0 && errno == EMSGSIZE) {
				berth_err_set(err, EMSGSIZE, "the container's monitor sent a frame "
					      "larger than %d bytes", ATTACH_FRAME_MAX);
				break;
			}
			if (n <= 0) {
				berth_err_set(err, 0, "the container's monitor went away");
				err->code = ECONNRESET;
				break;
			}
			if (buf[0] == ATTACH_STDOUT || buf[0] == ATTACH_STDERR) {
				int fd = buf[0] == ATTACH_STDOUT ? STDOUT_FILENO : STDERR_FILENO;

				(void)fs_write_all(fd, buf + 1, (size_t)n - 1, -1);
			} else if (buf[0] == ATTACH_EXIT) {
				if (num_parse_int(buf + 1, INT_MIN, INT_MAX, exit_code) < 0)
					*exit_code = 255;
				ret = 0;
				break;
			} else if (buf[0] == ATTACH_DONE) {
				struct berth_err declined;

				/* The monitor waits: the container leaves the
				 * store here, the monitor cleans up after. */
				if (engine_remove_handed_over(e, id, &declined) == 0 &&
				    monitor_io_send(sock, ATTACH_REMOVED, NULL, 0)) {
					if (num_parse_int(buf + 1, INT_MIN, INT_MAX, exit_code) < 0)
						*exit_code = 255;
					ret = 0;
					break;
				}
				monitor_io_send(sock, ATTACH_DECLINE, NULL, 0);
			}
		}
	}
	if (raw_mode)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}

int engine_logs_subscribe(struct engine *e, const char *id, int *sock, unsigned long long *size,
			  struct berth_err *err)
{
	autofree char *path = engine_attach_path(e, id);
	char want = ATTACH_WANT_LOG, buf[32];
	uint64_t sz;
	int fd = unixsock_connect_type(path, SOCK_SEQPACKET);
	ssize_t n;

	if (fd < 0)
		return berth_err_set(err, errno, "follow the log of %.12s: connect %s", id, path);
	if (!monitor_io_send(fd, ATTACH_HELLO, &want, 1) ||
	    (n = monitor_io_recv(fd, buf, sizeof(buf), 0)) <= 1 || buf[0] != ATTACH_LOG_SIZE) {
		close(fd);
		return berth_err_set(err, ECONNRESET, "follow the log of %.12s: no answer", id);
	}
	if (num_parse_u64(buf + 1, 10, UINT64_MAX, &sz) < 0) {
		close(fd);
		return berth_err_set(err, EPROTO, "follow the log of %.12s: a bad answer", id);
	}
	*size = sz;
	*sock = fd;
	return 0;
}

int engine_logs_next(int sock, char *buf, size_t cap, int timeout_ms, struct berth_err *err)
{
	for (;;) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		ssize_t n;
		int r = poll(&p, 1, timeout_ms);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return berth_err_set(err, errno, "poll");
		if (r == 0)
			return 2;
		n = monitor_io_recv(sock, buf, cap, 0);
		if (n < 0 && errno == EMSGSIZE)
			return berth_err_set(err, EMSGSIZE, "a log record larger than %zu bytes",
					     cap - 2);
		if (n <= 0 || buf[0] == ATTACH_EXIT)
			return 0;
		if (buf[0] != ATTACH_LOG_RECORD)
			continue;
		memmove(buf, buf + 1, (size_t)n - 1);
		buf[n - 1] = '\0';
		return 1;
	}
}
