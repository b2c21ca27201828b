#include "runtime/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/unixsock.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int terminal_connect(const char *socket_path, struct berth_err *err)
{
	int fd = unixsock_connect(socket_path);

	if (fd < 0)
		return berth_err_set(err, errno, "connect to console socket %s", socket_path);
	return fd;
}

int terminal_open(int rootfd, unsigned short rows, unsigned short cols, int *master, int *slave,
		  struct berth_err *err)
{
	autoclose int m = -1;
	int s;

	if (rootfd >= 0) {
		/* The container's devpts, resolved inside its root so a hostile
		 * /dev symlink cannot hand us the host's ptmx. */
		struct open_how how = {
			.flags = O_RDWR | O_NOCTTY | O_CLOEXEC,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		m = (int)syscall(SYS_openat2, rootfd, "/dev/pts/ptmx", &how, sizeof(how));
		if (m < 0 && errno == ENOENT)
			m = (int)syscall(SYS_openat2, rootfd, "/dev/ptmx", &how, sizeof(how));
	} else {
		m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	}
	if (m < 0)
		return berth_err_set(err, errno, "open the container's /dev/pts/ptmx");
	if (unlockpt(m) < 0)
		return berth_err_set(err, errno, "unlockpt");
	/* TIOCGPTPEER (Linux 4.13) opens the slave without a path lookup. */
	s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		return berth_err_set(err, errno, "open the pty slave");
	if (rows != 0 || cols != 0) {
		struct winsize ws = {.ws_row = rows, .ws_col = cols};
		if (ioctl(m, TIOCSWINSZ, &ws) < 0) {
			close(s);
			return berth_err_set(err, errno, "set the console size");
		}
	}
	*master = steal_fd(&m);
	*slave = s;
	return 0;
}

int terminal_send_fd(int sock, int fd, const char *name, struct berth_err *err)
{
	if (unixsock_send_fd(sock, name, strlen(name), fd) < 0)
		return berth_err_set(err, errno, "send the terminal over the console socket");
	return 0;
}

int terminal_recv_fd(int sock, int *fd, struct berth_err *err)
{
	char name[4096];

	if (unixsock_recv_fd(sock, name, sizeof(name), fd) < 0)
		return berth_err_set(err, errno, "receive the terminal");
	if (*fd < 0)
		return berth_err_set(err, EBADMSG, "receive the terminal: no fd in the message");
	return 0;
}

int terminal_become_controlling(int slave, struct berth_err *err)
{
	/* The container's process has its own session already. */
	if (getsid(0) != getpid() && setsid() < 0)
		return berth_err_set(err, errno, "setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return berth_err_set(err, errno, "make the pty the controlling terminal");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return berth_err_set(err, errno, "dup2 the pty onto fd %d", fd);
	if (slave > 2)
		close(slave);
	return 0;
}

static void copy_winsize(int from, int to)
{
	struct winsize ws;
	if (ioctl(from, TIOCGWINSZ, &ws) == 0)
		ioctl(to, TIOCSWINSZ, &ws);
}

/* Moves what is readable from `from` to `to`; false on EOF or error. */
static bool pump(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 && (errno == EINTR || errno == EAGAIN);
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		off += w;
	}
	return true;
}

int terminal_proxy(int master, struct berth_err *err)
{
	struct termios saved, raw;
	bool is_tty = tcgetattr(STDIN_FILENO, &saved) == 0;
	bool in_open = true;
	sigset_t mask;
	autoclose int sfd = -1;

	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (is_tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
		copy_winsize(STDIN_FILENO, master);
	}
	for (;;) {
		struct pollfd p[3] = {
			{master, POLLIN, 0}, {in_open ? STDIN_FILENO : -1, POLLIN, 0}, {sfd, POLLIN, 0}};
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			berth_err_set(err, errno, "poll the terminal");
			break;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
			if (!pump(master, STDOUT_FILENO))
				break;
		if (p[1].revents & (POLLIN | POLLHUP))
			if (!pump(STDIN_FILENO, master))
				in_open = false;
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) > 0 && is_tty)
				copy_winsize(STDIN_FILENO, master);
		}
	}
	if (is_tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
	return 0;
}
