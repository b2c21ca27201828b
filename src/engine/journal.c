/* journald's native protocol, the sending side (see journal.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine/journal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static void put(struct journal_fields *f, const void *p, size_t n)
{
	if (f->len + n > f->cap) {
		f->cap = (f->len + n) * 2 + 64;
		f->buf = xrealloc(f->buf, f->cap);
	}
	memcpy(f->buf + f->len, p, n);
	f->len += n;
}

void journal_fields_add(struct journal_fields *f, const char *key, const char *value, size_t len)
{
	put(f, key, strlen(key));
	if (memchr(value, '\n', len) == NULL) {
		put(f, "=", 1);
	} else {
		unsigned char le[8];
		uint64_t n = len;

		for (int i = 0; i < 8; i++)
			le[i] = (unsigned char)(n >> (8 * i));
		put(f, "\n", 1);
		put(f, le, sizeof(le));
	}
	put(f, value, len);
	put(f, "\n", 1);
}

void journal_fields_free(struct journal_fields *f)
{
	free(f->buf);
	*f = (struct journal_fields){ 0 };
}

bool journal_key_valid(const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || n > 64 || key[0] == '_' || (key[0] >= '0' && key[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((key[i] >= 'A' && key[i] <= 'Z') || (key[i] >= '0' && key[i] <= '9') ||
		      key[i] == '_'))
			return false;
	return true;
}

char *journal_key_from_name(const char *name)
{
	char *out = xmalloc(strlen(name) + 1);
	size_t n = 0;

	for (const char *p = name; *p != '\0'; p++) {
		char c = *p;

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			c = '_';
		if (n == 0 && c == '_')
			continue;
		out[n++] = c;
	}
	out[n] = '\0';
	return out;
}

bool journal_available(void)
{
	struct stat st;

	return stat(JOURNAL_SOCKET, &st) == 0 && S_ISSOCK(st.st_mode);
}

int journal_open(struct berth_err *err)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	/* As sd_journal: a bigger send buffer, so a burst of entries waits
	 * in the kernel rather than failing; refused quietly if capped. */
	int size = 8 << 20;

	if (fd < 0)
		return berth_err_set(err, errno, "journald socket");
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	return fd;
}

/* An entry too big for a datagram: written to a sealed memfd, whose fd
 * journald takes instead of a payload. */
static int send_as_memfd(int sock, const struct sockaddr_un *addr, const struct iovec *iov,
			 size_t n)
{
	autoclose int mfd = memfd_create("berth-journal", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	char ctl[CMSG_SPACE(sizeof(int))];
	struct msghdr msg = { .msg_name = (void *)addr,
			      .msg_namelen = sizeof(*addr),
			      .msg_control = ctl,
			      .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm;

	if (mfd < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (fs_write_all(mfd, iov[i].iov_base, iov[i].iov_len, -1) < 0)
			return -1;
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return -1;
	memset(ctl, 0, sizeof(ctl));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &mfd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int journal_send(int sock, const struct journal_fields *fixed, int priority, const char *msg,
		 size_t len, bool partial)
{
	return journal_send_to(sock, JOURNAL_SOCKET, fixed, priority, msg, len, partial);
}

int journal_send_to(int sock, const char *path, const struct journal_fields *fixed, int priority,
		    const char *msg, size_t len, bool partial)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct journal_fields var = { 0 };
	char prio[16];
	struct iovec iov[2];
	struct msghdr m = {
		.msg_name = &addr, .msg_namelen = sizeof(addr), .msg_iov = iov, .msg_iovlen = 2
	};
	int r;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	prio[0] = (char)('0' + (priority & 7));
	journal_fields_add(&var, "PRIORITY", prio, 1);
	journal_fields_add(&var, "MESSAGE", msg, len);
	if (partial)
		journal_fields_add(&var, "CONTAINER_PARTIAL_MESSAGE", "true", 4);
	iov[0] = (struct iovec){ .iov_base = fixed->buf, .iov_len = fixed->len };
	iov[1] = (struct iovec){ .iov_base = var.buf, .iov_len = var.len };
	r = sendmsg(sock, &m, MSG_NOSIGNAL) < 0 ? -1 : 0;
	if (r < 0 && (errno == EMSGSIZE || errno == ENOBUFS))
		r = send_as_memfd(sock, &addr, iov, 2);
	journal_fields_free(&var);
	return r;
}
