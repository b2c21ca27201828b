/*
 * seccomp-agent: a minimal seccomp user-notification agent for the
 * integration tests; it runs on the host.
 *
 *   seccomp-agent SOCKET STATE-FILE LOG-FILE ERRNO TIMEOUT-SECS
 *
 * It listens on the unix socket named by linux.seccomp.listenerPath, accepts
 * one connection from the runtime, writes the container process state that
 * comes with it (runtime-spec "containerProcessState") to STATE-FILE, and
 * takes the listener fd passed with it by SCM_RIGHTS. Then it answers every
 * notification with -ERRNO (or, when ERRNO is 0, with success and the return
 * value 0), logging one line "nr=<syscall number> pid=<pid>" per notification
 * to LOG-FILE. It exits once no process is left under the filter, or after
 * TIMEOUT-SECS in all, so a failing test cannot leave it behind.
 *
 * It speaks the raw SECCOMP_IOCTL_NOTIF_* ioctls, so it needs no libseccomp,
 * and it is not sanitized so that it starts as fast as the runtime does.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Bounds the state JSON; a real one is a few kilobytes. */
#define STATE_MAX (1 << 20)

static time_t deadline;

static void die(const char *what)
{
	fprintf(stderr, "seccomp-agent: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Milliseconds left before the deadline; exits once it has passed. */
static int ms_left(void)
{
	time_t now = time(NULL);
	if (now >= deadline) {
		fprintf(stderr, "seccomp-agent: timed out\n");
		exit(3);
	}
	return (int)(deadline - now) * 1000;
}

static void wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	for (;;) {
		int r = poll(&p, 1, ms_left());
		if (r > 0)
			return;
		if (r < 0 && errno != EINTR)
			die("poll");
	}
}

static int listen_on(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "seccomp-agent: socket path too long\n");
		exit(2);
	}
	strcpy(addr.sun_path, path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die("socket");
	unlink(path);
	if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("bind");
	if (listen(s, 1) < 0)
		die("listen");
	return s;
}

/*
 * True once the text holds one whole JSON object. Counting braces outside
 * strings is enough for that: the state is one object, and a stream socket
 * gives no other way to tell where it ends, since a runtime need not close
 * the connection once it has sent it (runc 1.1's `run` keeps it open until
 * it exits, which is after the container has made its syscalls).
 */
static bool json_complete(const char *s, size_t len)
{
	int depth = 0;
	bool in_str = false, esc = false, opened = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			depth++;
			opened = true;
		} else if (c == '}' || c == ']') {
			depth--;
			if (opened && depth == 0)
				return true;
		}
	}
	return false;
}

/*
 * Reads the state until it is a whole JSON object or the runtime closes the
 * connection; the listener fd rides on one of the messages (in practice the
 * first).
 */
static int receive_state(int conn, char *state, size_t *len)
{
	int notify_fd = -1;
	*len = 0;
	for (;;) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * 4)];
			struct cmsghdr align;
		} control;
		struct iovec iov = { .iov_base = state + *len, .iov_len = STATE_MAX - *len };
		struct msghdr msg = { .msg_iov = &iov,
				      .msg_iovlen = 1,
				      .msg_control = control.buf,
				      .msg_controllen = sizeof(control.buf) };
		if (iov.iov_len == 0) {
			fprintf(stderr, "seccomp-agent: state too large\n");
			exit(2);
		}
		wait_readable(conn);
		ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("recvmsg");
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int fds[4];
			memcpy(fds, CMSG_DATA(c), nfds * sizeof(int));
			for (size_t i = 0; i < nfds; i++) {
				if (notify_fd < 0)
					notify_fd = fds[i];
				else
					close(fds[i]);
			}
		}
		if (n == 0)
			break;
		*len += (size_t)n;
		if (notify_fd >= 0 && json_complete(state, *len))
			break;
	}
	state[*len] = '\0';
	return notify_fd;
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		die(path);
}

/* Answers notifications until no task is left under the filter. */
static void serve(int notify_fd, int answer_errno, FILE *log)
{
	for (;;) {
		struct pollfd p = { .fd = notify_fd, .events = POLLIN };
		int r = poll(&p, 1, ms_left());
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("poll");
		if (r == 0)
			continue;
		if (p.revents & POLLIN) {
			struct seccomp_notif req;
			struct seccomp_notif_resp resp;
			/* The kernel rejects a receive buffer that is not zeroed. */
			memset(&req, 0, sizeof(req));
			if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
				/* The caller died or was interrupted meanwhile. */
				if (errno == ENOENT || errno == EINTR)
					continue;
				die("SECCOMP_IOCTL_NOTIF_RECV");
			}
			fprintf(log, "nr=%d pid=%u\n", req.data.nr, req.pid);
			fflush(log);
			memset(&resp, 0, sizeof(resp));
			resp.id = req.id;
			resp.error = answer_errno ? -answer_errno : 0;
			resp.val = 0;
			if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 &&
			    errno != ENOENT)
				die("SECCOMP_IOCTL_NOTIF_SEND");
			continue;
		}
		if (p.revents & (POLLHUP | POLLERR))
			return;
	}
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: seccomp-agent SOCKET STATE-FILE LOG-FILE ERRNO TIMEOUT\n");
		return 2;
	}
	const char *sock_path = argv[1], *state_path = argv[2], *log_path = argv[3];
	int answer_errno = atoi(argv[4]);
	deadline = time(NULL) + atoi(argv[5]);

	FILE *log = fopen(log_path, "w");
	if (!log)
		die(log_path);
	int s = listen_on(sock_path);
	wait_readable(s);
	int conn = accept4(s, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		die("accept");
	close(s);
	unlink(sock_path);

	char *state = malloc(STATE_MAX + 1);
	if (!state)
		die("malloc");
	size_t len;
	int notify_fd = receive_state(conn, state, &len);
	close(conn);
	write_file(state_path, state, len);
	free(state);
	if (notify_fd < 0) {
		fprintf(stderr, "seccomp-agent: no fd came with the state\n");
		return 1;
	}
	fprintf(log, "fd received\n");
	fflush(log);
	serve(notify_fd, answer_errno, log);
	fprintf(log, "done\n");
	fclose(log);
	return 0;
}
