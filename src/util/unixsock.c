#include "util/unixsock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Control buffer for one fd, aligned for struct cmsghdr. */
union fd_control {
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

/* The address of path. One longer than sun_path (a deep run directory)
 * is reached through its directory: *dirfd gets an O_PATH fd of it and
 * the address names /proc/self/fd/N/BASE. */
static int sock_addr(const char *path, struct sockaddr_un *addr, int *dirfd)
{
	const char *slash = strrchr(path, '/');

	*dirfd = -1;
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (strlen(path) < sizeof(addr->sun_path)) {
		memcpy(addr->sun_path, path, strlen(path) + 1);
		return 0;
	}
	if (slash == NULL || slash == path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	{
		char dir[PATH_MAX];
		size_t n = (size_t)(slash - path);

		if (n >= sizeof(dir)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, n);
		dir[n] = '\0';
		*dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (*dirfd < 0)
			return -1;
	}
	if ((size_t)snprintf(addr->sun_path, sizeof(addr->sun_path), "/proc/self/fd/%d/%s", *dirfd,
			     slash + 1) >= sizeof(addr->sun_path)) {
		close(*dirfd);
		*dirfd = -1;
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int unixsock_connect_type(const char *path, int type)
{
	struct sockaddr_un addr;
	int fd, dirfd, saved;

	if (sock_addr(path, &addr, &dirfd) < 0)
		return -1;
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		while (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
			if (errno != EINTR) {
				saved = errno;
				close(fd);
				fd = -1;
				errno = saved;
				break;
			}
		}
	}
	saved = errno;
	if (dirfd >= 0)
		close(dirfd);
	errno = saved;
	return fd;
}

int unixsock_connect(const char *path)
{
	return unixsock_connect_type(path, SOCK_STREAM);
}

int unixsock_listen(const char *path, int type, int backlog)
{
	struct sockaddr_un addr;
	int fd, dirfd, saved;

	if (sock_addr(path, &addr, &dirfd) < 0)
		return -1;
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd >= 0 &&
	    (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, backlog) < 0)) {
		saved = errno;
		close(fd);
		fd = -1;
		errno = saved;
	}
	saved = errno;
	if (dirfd >= 0)
		close(dirfd);
	errno = saved;
	return fd;
}

ssize_t unixsock_send_fd(int sock, const void *buf, size_t len, int fd)
{
	union fd_control cbuf;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t r;

	if (fd >= 0) {
		struct cmsghdr *c;
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof(cbuf.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		r = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r;
}

ssize_t unixsock_recv_fd(int sock, void *buf, size_t cap, int *fd)
{
	union fd_control cbuf = { 0 };
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = sizeof(cbuf.buf),
	};
	struct cmsghdr *c;
	ssize_t r;

	*fd = -1;
	do
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (c != NULL && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	return r;
}
