/* util: errors, JSON accessors, files, string vectors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/mountinfo.h"
#include "util/quote.h"
#include "util/strv.h"
#include "util/unixsock.h"
#include "util/xalloc.h"

static void test_err(void)
{
	struct berth_err err;
	int r = berth_err_set(&err, ENOENT, "open %s", "/x");

	CHECK(r == -1, "berth_err_set returns -1");
	CHECK(err.code == ENOENT, "code kept");
	CHECK_STR(err.msg, "open /x: No such file or directory", "message with strerror");
	berth_err_wrap(&err, "create %s", "c1");
	CHECK_STR(err.msg, "create c1: open /x: No such file or directory", "wrapped");
	berth_err_set(&err, 0, "plain");
	CHECK_STR(err.msg, "plain", "no strerror for code 0");
}

static void test_json(void)
{
	struct berth_err err;
	json_object *o = NULL;
	const char *s = NULL;
	int64_t i = 0;
	uint64_t u = 0;
	bool b = false;
	char **v = NULL;
	const char *doc = "{\"a\":\"x\",\"n\":-3,\"u\":18446744073709551615,\"b\":true,"
			  "\"l\":[\"p\",\"q\"],\"bad\":[1]}  \n";

	CHECK(json_parse_text(doc, strlen(doc), "doc", &o, &err) == 0, "parse with trailing space");
	CHECK(json_get_string(o, "a", "root", &s, &err) == 1 && strcmp(s, "x") == 0, "string");
	CHECK(json_get_string(o, "missing", "root", &s, &err) == 0, "absent key is 0");
	CHECK(json_get_int64(o, "n", "root", &i, &err) == 1 && i == -3, "int64");
	CHECK(json_get_uint64(o, "u", "root", &u, &err) == 1 && u == UINT64_MAX, "uint64 max");
	CHECK(json_get_uint64(o, "n", "root", &u, &err) == -1 && strstr(err.msg, "root.n"),
	      "negative uint64 names the field: %s", err.msg);
	CHECK(json_get_bool(o, "b", "root", &b, &err) == 1 && b, "bool");
	CHECK(json_get_string(o, "n", "root", &s, &err) == -1 &&
		      strcmp(err.msg, "root.n: expected a string") == 0,
	      "wrong type: %s", err.msg);
	CHECK(json_get_int_range(o, "n", "root", 0, 10, &i, &err) == -1 &&
		      strstr(err.msg, "out of range"),
	      "range: %s", err.msg);
	CHECK(json_get_strv(o, "l", "root", &v, &err) == 1 && strv_len(v) == 2 &&
		      strcmp(v[1], "q") == 0,
	      "strv");
	CHECK(json_get_strv(o, "bad", "root", &v, &err) == -1 && strstr(err.msg, "root.bad[0]"),
	      "strv element type: %s", err.msg);
	strv_free(v);
	json_object_put(o);

	o = NULL;
	CHECK(json_parse_text("{\"a\":", 5, "config.json", &o, &err) == -1 &&
		      strstr(err.msg, "config.json: invalid JSON"),
	      "truncated: %s", err.msg);
	CHECK(json_parse_text("{} {}", 5, "config.json", &o, &err) == -1, "trailing document");
	CHECK(json_parse_text("[1,]", 4, "f", &o, &err) == -1, "syntax error: %s", err.msg);
}

static void test_fs(void)
{
	char tmpl[] = "/tmp/berth-test-util-XXXXXX";
	char *dir = mkdtemp(tmpl);
	autofree char *file = xasprintf("%s/a/b/c", dir);
	autofree char *deep = xasprintf("%s/a/b", dir);
	autofree char *text = NULL;
	struct berth_err err;
	struct stat st;
	size_t len;

	CHECK(fs_mkdir_p(deep, 0755, &err) == 0, "mkdir -p");
	CHECK(fs_mkdir_p(deep, 0755, &err) == 0, "mkdir -p again is fine");
	CHECK(fs_write_file_atomic(file, "hello", 5, 0640, &err) == 0, "atomic write");
	CHECK(stat(file, &st) == 0 && (st.st_mode & 0777) == 0640, "mode kept");
	CHECK(fs_read_file(file, 100, &text, &len, &err) == 0 && len == 5 &&
		      strcmp(text, "hello") == 0,
	      "read back");
	free(text);
	text = NULL;
	CHECK(fs_read_file(file, 3, &text, &len, &err) == -1 && err.code == EFBIG, "bounded read");
	CHECK(fs_write_file(file, "x", 1, &err) == 0, "overwrite existing");
	CHECK(fs_write_file(deep, "x", 1, &err) == -1, "write to a directory fails");
	symlink("/etc", deep);
	CHECK(fs_rm_rf(dir, &err) == 0 && !fs_exists(dir), "rm -rf");
	CHECK(stat("/etc/passwd", &st) == 0, "rm -rf does not follow symlinks");
	CHECK(fs_rm_rf(dir, &err) == 0, "rm -rf of a missing path is fine");
}

static void test_strv(void)
{
	char **v = NULL;

	strv_push(&v, "a");
	strv_push(&v, "b");
	CHECK(strv_len(v) == 2 && strv_contains(v, "b") && !strv_contains(v, "c"), "push");
	{
		autostrv char **d = strv_dup(v);
		CHECK(d != v && strv_len(d) == 2 && strcmp(d[0], "a") == 0, "dup");
	}
	strv_free(v);
	CHECK(strv_len(NULL) == 0, "NULL is empty");
}

static void test_unixsock(void)
{
	int sp[2], p[2], fd = -2;
	char buf[16] = {0};

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0 || pipe(p) < 0)
		abort();
	CHECK(unixsock_send_fd(sp[0], "hi", 2, p[0]) == 2, "send with an fd");
	CHECK(unixsock_recv_fd(sp[1], buf, sizeof(buf), &fd) == 2 && strcmp(buf, "hi") == 0,
	      "message arrives");
	CHECK(fd >= 0 && fd != p[0], "a new fd arrives");
	CHECK(write(p[1], "x", 1) == 1 && read(fd, buf, 1) == 1 && buf[0] == 'x',
	      "it is the same pipe");
	CHECK(unixsock_send_fd(sp[0], "no", 2, -1) == 2 &&
		      unixsock_recv_fd(sp[1], buf, sizeof(buf), &fd) == 2 && fd == -1,
	      "without an fd");
	close(sp[0]);
	CHECK(unixsock_recv_fd(sp[1], buf, sizeof(buf), &fd) == 0, "EOF is 0");
	CHECK(unixsock_connect("/nonexistent/berth.sock") == -1 && errno == ENOENT,
	      "connect to a missing socket fails with ENOENT");
	close(sp[1]);
	close(p[0]);
	close(p[1]);
}

static void test_mountinfo(void)
{
	automountinfo struct mountinfo m = { 0 };
	const char *text =
		"22 1 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n"
		"30 22 8:1 /a\\040b /mnt/with\\040space rw master:3 - ext4 /dev/sda1 rw,errors=x\n"
		"garbage line\n"
		"31 22 0:5 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";

	mountinfo_parse(text, &m);
	CHECK(m.n == 3, "three mounts, the garbage line skipped (%zu)", m.n);
	if (m.n != 3)
		return;
	CHECK(strcmp(m.v[0].point, "/proc") == 0 && m.v[0].shared &&
		      strcmp(m.v[0].fstype, "proc") == 0,
	      "point, shared, type");
	CHECK(strcmp(m.v[1].point, "/mnt/with space") == 0 && strcmp(m.v[1].root, "/a b") == 0,
	      "octal escapes undone");
	CHECK(!m.v[1].shared && strcmp(m.v[1].source, "/dev/sda1") == 0 &&
		      strcmp(m.v[1].super, "rw,errors=x") == 0,
	      "master is not shared; source and super options");
	CHECK(strcmp(m.v[2].super, "rw,cpu") == 0, "cgroup controllers in the super options");
}

static void check_quote(char *(*fn)(const char *), const char *in, const char *want,
			const char *what)
{
	autofree char *got = fn(in);

	CHECK_STR(got, want, what);
}

static void test_quote(void)
{
	autofree char *q = quote_string("a\"b\\c\x01", 6, QUOTE_GO);

	CHECK_STR(q, "\"a\\\"b\\\\c\\x01\"", "strconv.Quote of quotes, backslash, SOH");
	free(q);
	q = quote_string("\xff\n", 2, QUOTE_JSON);
	CHECK_STR(q, "\"\\ufffd\\n\"", "JSON: invalid byte as U+FFFD");
	check_quote(quote_name, "/etc/passwd", "/etc/passwd", "a plain name is unchanged");
	check_quote(quote_name, "/caf\xc3\xa9 b\\c", "/caf\xc3\xa9 b\\c",
		    "UTF-8, spaces and backslashes are unchanged");
	check_quote(quote_name, "/a\nD /etc", "\"/a\\nD /etc\"", "a newline is escaped");
	check_quote(quote_name, "/\x1b[31mred", "\"/\\x1b[31mred\"", "ESC is escaped");
	check_quote(quote_name, "/x\xe2\x80\xae", "\"/x\\u202e\"", "a bidi override is escaped");
	check_quote(quote_name, "/bad\xff", "\"/bad\\xff\"", "invalid UTF-8 is escaped");
	check_quote(quote_name, "\"q", "\"\\\"q\"", "a leading quote forces quoting");
	check_quote(quote_controls, "open \"a\\b\"\tx\x1b", "open \"a\\b\"\\tx\\x1b",
		    "controls escaped in free text, quotes left");
	check_quote(quote_controls, "", "", "empty text");
}

int main(void)
{
	test_err();
	test_json();
	test_fs();
	test_strv();
	test_unixsock();
	test_mountinfo();
	test_quote();
	return TEST_DONE();
}
