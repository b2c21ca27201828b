/* journald's native protocol as journal.c writes it: fields with and
 * without newlines, a datagram received on a socket of the test's own,
 * an entry too big for a datagram sent as a sealed memfd, and docker's
 * keys for label and variable names. (The driver against a real
 * systemd-journald: tests/integration/logs-journald.bats.) */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine/journal.h"
#include "test.h"

/* The value of field key in an encoded entry (binary-safe); NULL if none. */
static char *field(const char *buf, size_t len, const char *key, size_t *vlen)
{
	size_t k = strlen(key);

	for (size_t i = 0; i < len;) {
		const char *nl = memchr(buf + i, '\n', len - i);
		const char *eq = memchr(buf + i, '=', len - i);

		if (nl == NULL)
			return NULL;
		if (eq != NULL && eq < nl) {
			size_t n = (size_t)(nl - eq - 1);

			if ((size_t)(eq - buf - i) == k && memcmp(buf + i, key, k) == 0) {
				*vlen = n;
				return strndup(eq + 1, n);
			}
			i = (size_t)(nl - buf) + 1;
		} else {
			uint64_t n = 0;
			const unsigned char *p = (const unsigned char *)nl + 1;
			bool match = (size_t)(nl - buf - i) == k && memcmp(buf + i, key, k) == 0;

			for (int b = 7; b >= 0; b--)
				n = n << 8 | p[b];
			if (match) {
				char *v = malloc(n + 1);

				memcpy(v, p + 8, n);
				v[n] = '\0';
				*vlen = n;
				return v;
			}
			i = (size_t)(nl - buf) + 1 + 8 + n + 1;
		}
	}
	return NULL;
}

static void test_encoding(void)
{
	struct journal_fields f = { 0 };
	size_t n = 0;
	char *v;

	journal_fields_add(&f, "CONTAINER_NAME", "web", 3);
	journal_fields_add(&f, "MULTI", "a\nb", 3);
	CHECK(f.len == strlen("CONTAINER_NAME=web\n") + strlen("MULTI\n") + 8 + 3 + 1,
	      "lengths: %zu", f.len);
	CHECK(memcmp(f.buf, "CONTAINER_NAME=web\nMULTI\n\x03\0\0\0\0\0\0\0a\nb\n", f.len) == 0,
	      "bytes as the protocol has them");
	v = field(f.buf, f.len, "MULTI", &n);
	CHECK(v != NULL && n == 3 && memcmp(v, "a\nb", 3) == 0, "a value with a newline");
	free(v);
	journal_fields_free(&f);
}

static void test_keys(void)
{
	static const struct {
		const char *name, *key;
	} cases[] = {
		{ "app", "APP" },          { "com.example.tier", "COM_EXAMPLE_TIER" },
		{ "_private", "PRIVATE" }, { "..x-y", "X_Y" },
		{ "9lives", "9LIVES" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *k = journal_key_from_name(cases[i].name);

		CHECK_STR(k, cases[i].key, cases[i].name);
		free(k);
	}
	CHECK(journal_key_valid("CONTAINER_ID"), "a plain key");
	CHECK(!journal_key_valid("9LIVES"), "no leading digit");
	CHECK(!journal_key_valid("_PID"), "journald's own");
	CHECK(!journal_key_valid("lower"), "upper case only");
	CHECK(!journal_key_valid(""), "not empty");
	CHECK(!journal_key_valid("A12345678901234567890123456789012345678901234567890123456789"
				 "01234"),
	      "at most 64 bytes");
}

static int receiver(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int big = 8 << 20;

	if (strlen(path) >= sizeof(a.sun_path))
		return -1;
	memcpy(a.sun_path, path, strlen(path) + 1);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	return fd;
}

/* One entry as received: the datagram's bytes, or the memfd's. */
static ssize_t receive(int fd, char *buf, size_t size, bool *via_fd, int *seals)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)
	};
	ssize_t n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	int mfd;
	struct stat st;

	*via_fd = false;
	if (n < 0 || cm == NULL || cm->cmsg_type != SCM_RIGHTS)
		return n;
	memcpy(&mfd, CMSG_DATA(cm), sizeof(int));
	*via_fd = true;
	*seals = fcntl(mfd, F_GET_SEALS);
	if (fstat(mfd, &st) < 0 || (size_t)st.st_size > size)
		return -1;
	n = pread(mfd, buf, (size_t)st.st_size, 0);
	close(mfd);
	return n;
}

static void test_send(void)
{
	char dir[] = "/tmp/berth-journal-XXXXXX";
	char path[128];
	struct journal_fields fixed = { 0 };
	size_t big_len = 1 << 20, n = 0;
	char *buf = malloc(4 << 20), *big = malloc(big_len), *v;
	int rx, tx, seals = 0, small = 4096;
	bool via_fd;
	ssize_t got;

	if (mkdtemp(dir) == NULL) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/socket", dir);
	rx = receiver(path);
	tx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(rx >= 0 && tx >= 0, "sockets");
	journal_fields_add(&fixed, "CONTAINER_ID", "0123456789ab", 12);

	CHECK(journal_send_to(tx, path, &fixed, 3, "oops", 4, false) == 0, "send: %s",
	      strerror(errno));
	got = receive(rx, buf, 4 << 20, &via_fd, &seals);
	CHECK(got > 0 && !via_fd, "a datagram");
	v = field(buf, (size_t)got, "MESSAGE", &n);
	CHECK_STR(v, "oops", "MESSAGE");
	free(v);
	v = field(buf, (size_t)got, "PRIORITY", &n);
	CHECK_STR(v, "3", "PRIORITY");
	free(v);
	v = field(buf, (size_t)got, "CONTAINER_ID", &n);
	CHECK_STR(v, "0123456789ab", "the fixed fields");
	free(v);
	CHECK(field(buf, (size_t)got, "CONTAINER_PARTIAL_MESSAGE", &n) == NULL, "whole line");

	/* too big for the sender's buffer: a sealed memfd instead */
	setsockopt(tx, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	for (size_t i = 0; i < big_len; i++)
		big[i] = (char)('a' + i % 26);
	CHECK(journal_send_to(tx, path, &fixed, 6, big, big_len, true) == 0, "big send: %s",
	      strerror(errno));
	got = receive(rx, buf, 4 << 20, &via_fd, &seals);
	CHECK(got > (ssize_t)big_len && via_fd, "sent as a memfd (%zd bytes)", got);
	CHECK((seals & (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) ==
		  (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
	      "sealed (%#x), as journald requires", seals);
	v = field(buf, got > 0 ? (size_t)got : 0, "MESSAGE", &n);
	CHECK(v != NULL && n == big_len && memcmp(v, big, big_len) == 0, "the whole message");
	free(v);
	v = field(buf, got > 0 ? (size_t)got : 0, "CONTAINER_PARTIAL_MESSAGE", &n);
	CHECK_STR(v, "true", "a cut line is marked");
	free(v);

	close(rx);
	close(tx);
	unlink(path);
	rmdir(dir);
	journal_fields_free(&fixed);
	free(buf);
	free(big);
}

int main(void)
{
	test_encoding();
	test_keys();
	test_send();
	return TEST_DONE();
}
