#include "runtime/sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "util/err.h"

int sync_send(int sock, int type, int value, const char *text, int fd)
{
	struct sync_msg m = {.type = type, .value = value};
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	size_t tlen = text != NULL ? strnlen(text, sizeof(m.text) - 1) : 0;
	ssize_t r;

	memcpy(m.text, text != NULL ? text : "", tlen);
	m.text[tlen] = '\0';
	iov.iov_base = &m;
	iov.iov_len = offsetof(struct sync_msg, text) + tlen + 1;
	if (fd >= 0) {
		struct cmsghdr *c;
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		r = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -1 : 0;
}

int sync_recv(int sock, struct sync_msg *m, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	ssize_t r;

	if (fd != NULL)
		*fd = -1;
	memset(m, 0, offsetof(struct sync_msg, text) + 1);
	do
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	if (r == 0) {
		m->type = 0;
		return 0;
	}
	m->text[sizeof(m->text) - 1] = '\0';
	c = CMSG_FIRSTHDR(&msg);
	if (c != NULL && c->cmsg_type == SCM_RIGHTS && fd != NULL)
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

int sync_expect(int sock, int type, struct berth_err *err)
{
	struct sync_msg m;

	if (sync_recv(sock, &m, NULL) < 0)
		return berth_err_set(err, errno, "sync with the runtime");
	if (m.type == type)
		return 0;
	if (m.type == SYNC_ERROR)
		return berth_err_set(err, 0, "%s", m.text);
	if (m.type == 0)
		return berth_err_set(err, 0, "the other side exited during setup");
	return berth_err_set(err, EPROTO, "sync: expected message %d, got %d", type, m.type);
}
