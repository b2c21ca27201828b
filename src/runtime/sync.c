#include "runtime/sync.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"
#include "util/unixsock.h"

int sync_send(int sock, int type, int value, const char *text, int fd)
{
	struct sync_msg m = {.type = type, .value = value};
	size_t tlen = text != NULL ? strnlen(text, sizeof(m.text) - 1) : 0;

	memcpy(m.text, text != NULL ? text : "", tlen);
	m.text[tlen] = '\0';
	return unixsock_send_fd(sock, &m, offsetof(struct sync_msg, text) + tlen + 1, fd) < 0
		       ? -1
		       : 0;
}

int sync_recv(int sock, struct sync_msg *m, int *fd)
{
	int got = -1;
	ssize_t r;

	memset(m, 0, offsetof(struct sync_msg, text) + 1);
	r = unixsock_recv_fd(sock, m, sizeof(*m), &got);
	if (fd != NULL)
		*fd = got;
	else if (got >= 0)
		close(got);
	if (r < 0)
		return -1;
	if (r == 0)
		m->type = 0;
	m->text[sizeof(m->text) - 1] = '\0';
	return 0;
}

int sync_error(const struct sync_msg *m, struct berth_err *err)
{
	berth_err_set(err, 0, "%s", m->text);
	if (m->value == 126 || m->value == 127)
		err->cmd_status = m->value;
	return -1;
}

int sync_expect(int sock, int type, struct berth_err *err)
{
	struct sync_msg m;

	if (sync_recv(sock, &m, NULL) < 0)
		return berth_err_set(err, errno, "sync with the runtime");
	if (m.type == type)
		return 0;
	if (m.type == SYNC_ERROR)
		return sync_error(&m, err);
	if (m.type == 0)
		return berth_err_set(err, 0, "the other side exited during setup");
	return berth_err_set(err, EPROTO, "sync: expected message %d, got %d", type, m.type);
}
