/*
 * console-recv: the receiving end of an OCI runtime's --console-socket. It
 * listens on a unix socket, takes the pty master that the runtime passes with
 * SCM_RIGHTS, and copies everything the container writes to the terminal to
 * stdout until the last slave descriptor closes.
 *
 * usage: console-recv SOCKET [INPUT]
 * INPUT, when given, is written to the terminal first (the container reads it
 * from its stdin).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int recv_fd(int conn)
{
	char name[256];
	struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	if (recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) < 0)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
		errno = EBADMSG;
		return -1;
	}
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	return fd;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: console-recv SOCKET [INPUT]\n");
		return 2;
	}
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "console-recv: socket path too long: %s\n", argv[1]);
		return 2;
	}
	strcpy(addr.sun_path, argv[1]);
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(sock, 1) < 0) {
		fprintf(stderr, "console-recv: listen %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	int conn = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0) {
		fprintf(stderr, "console-recv: accept: %s\n", strerror(errno));
		return 1;
	}
	int master = recv_fd(conn);
	if (master < 0) {
		fprintf(stderr, "console-recv: receive pty: %s\n", strerror(errno));
		return 1;
	}
	close(conn);
	close(sock);
	unlink(argv[1]);
	if (argc > 2 && write(master, argv[2], strlen(argv[2])) < 0)
		fprintf(stderr, "console-recv: write input: %s\n", strerror(errno));

	char buf[4096];
	for (;;) {
		ssize_t n = read(master, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		/* EIO is how a pty master reports that every slave fd is closed. */
		if (n <= 0)
			break;
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return 1;
		fflush(stdout);
	}
	return 0;
}
