/* util: errors, JSON accessors, files, string vectors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/mountinfo.h"
#include "util/output.h"
#include "util/quote.h"
#include "util/num.h"
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
	/* Only the runtime's report about the program carries cmd_status:
	 * wrapping keeps it, any new error drops it. */
	CHECK(err.cmd_status == 0, "cmd_status 0 after set");
	err.cmd_status = 127;
	berth_err_wrap(&err, "start");
	CHECK(err.cmd_status == 127, "cmd_status kept by wrap");
	berth_err_set(&err, ENOENT, "mount tmpfs");
	CHECK(err.cmd_status == 0, "cmd_status reset by set, whatever the errno");
	err.cmd_status = 126;
	berth_err_clear(&err);
	CHECK(err.cmd_status == 0, "cmd_status reset by clear");
}

/* A "\u0000" parse error, or NULL when the text parses. */
static const char *nul_parse(const char *text)
{
	static struct berth_err err;
	json_object *o = NULL;

	if (json_parse_text(text, strlen(text), "manifest.json", &o, &err) == 0) {
		json_object_put(o);
		return NULL;
	}
	return err.msg;
}

/* Strings with a NUL byte: refused by the parser (keys too) and by every
 * string accessor, each naming the JSON path. */
static void test_json_nul(void)
{
	struct berth_err err = { 0 };
	json_object *o;
	const char *s = "untouched";
	char **v = NULL;
	size_t len = 0;

	CHECK_STR(nul_parse("[{\"RepoTags\":[\"rt/bb\\u0000evil:latest\"]}]"),
		  "manifest.json[0].RepoTags[0]: contains a NUL byte", "parse: a NUL in a tag");
	CHECK_STR(nul_parse("{\"config\":{\"Env\":[\"A=b\\u0000c\"]}}"),
		  "manifest.json: config.Env[0]: contains a NUL byte", "parse: a NUL in Env");
	CHECK_STR(nul_parse("{\"Labels\":{\"a\\u0000b\":\"x\"}}"),
		  "manifest.json: an object key contains a NUL byte", "parse: a NUL in a key");
	CHECK_STR(nul_parse("\"\\u0000\""), "manifest.json: contains a NUL byte",
		  "parse: a NUL in a top-level string");
	CHECK(nul_parse("[\"\\\\u0000\"]") == NULL, "parse: an escaped backslash then u0000");
	CHECK(nul_parse("[\"\\\\\\u0000\"]") != NULL, "parse: three backslashes, a NUL");
	CHECK(nul_parse("[\"u0000\", \"\\u0001\"]") == NULL, "parse: no NUL");

	/* Objects that came another way: the accessors check too. */
	o = json_object_new_object();
	json_object_object_add(o, "tag", json_object_new_string_len("rt/bb\0evil", 10));
	json_object_object_add(o, "tags", json_object_new_array());
	json_object_array_add(json_object_object_get(o, "tags"), json_object_new_string("ok"));
	json_object_array_add(json_object_object_get(o, "tags"),
			      json_object_new_string_len("a\0b", 3));
	CHECK(json_get_string(o, "tag", "manifest.json[0]", &s, &err) == -1 &&
		  strcmp(s, "untouched") == 0,
	      "json_get_string refuses a NUL");
	CHECK_STR(err.msg, "manifest.json[0].tag: contains a NUL byte",
		  "json_get_string: the path");
	CHECK(json_get_strv(o, "tags", "manifest.json[0]", &v, &err) == -1 && v == NULL,
	      "json_get_strv refuses a NUL");
	CHECK_STR(err.msg, "manifest.json[0].tags[1]: contains a NUL byte",
		  "json_get_strv: the path");
	CHECK(json_string_value(json_object_object_get(o, "tag"), "linux.sysctl.x", &s, &err) ==
		      -1 &&
		  strcmp(err.msg, "linux.sysctl.x: contains a NUL byte") == 0,
	      "json_string_value refuses a NUL: %s", err.msg);
	CHECK(json_get_bytes(o, "tag", NULL, &s, &len, &err) == 1 && len == 10 &&
		  memcmp(s, "rt/bb\0evil", 10) == 0,
	      "json_get_bytes hands out the bytes and their length");
	json_object_put(o);
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
	test_json_nul();
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

/* A child that reads path (a FIFO) to its end and writes what it read to
 * out. */
static pid_t fifo_reader(const char *path, const char *out)
{
	pid_t pid = fork();

	if (pid == 0) {
		char buf[256];
		int in = open(path, O_RDONLY), o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		ssize_t n;

		while (in >= 0 && o >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
			if (write(o, buf, (size_t)n) != n)
				_exit(1);
		_exit(0);
	}
	return pid;
}

static int write_output(const char *path, const char *text, unsigned flags, struct berth_err *err)
{
	autooutput struct output_file out = OUTPUT_FILE_INIT;

	if (output_file_open(&out, path, 0640, flags, err) < 0 ||
	    output_file_write(&out, text, strlen(text), err) < 0 ||
	    output_file_commit(&out, false, err) < 0)
		return -1;
	return 0;
}

static bool only_names(const char *dir, size_t want)
{
	autoclosedir DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	while (d != NULL && (de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	return n == want;
}

static void test_output(void)
{
	char tmpl[] = "/tmp/berth-test-output-XXXXXX";
	char *dir = mkdtemp(tmpl);
	autofree char *file = xasprintf("%s/file", dir);
	autofree char *fifo = xasprintf("%s/fifo", dir);
	autofree char *got = xasprintf("%s/got", dir);
	autofree char *link = xasprintf("%s/link", dir);
	autofree char *dangling = xasprintf("%s/dangling", dir);
	autofree char *dev = xasprintf("%s/null", dir);
	autofree char *text = NULL;
	struct berth_err err;
	struct stat st, before;
	size_t made = 5; /* file, link, dangling, fifo, got */
	int status = -1;
	pid_t pid;

	CHECK(write_output(file, "one", 0, &err) == 0, "a new file");
	CHECK(stat(file, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0640,
	      "made with the mode asked for");
	chmod(file, 0600);
	stat(file, &before);
	CHECK(write_output(file, "two", 0, &err) == 0, "a regular file is replaced");
	CHECK(fs_read_file(file, 100, &text, NULL, &err) == 0 && strcmp(text, "two") == 0 &&
		      stat(file, &st) == 0 && st.st_ino != before.st_ino &&
		      (st.st_mode & 0777) == 0600,
	      "by a new inode, keeping the old permission bits");
	free(steal_ptr(text));
	CHECK(write_output(file, "x", OUTPUT_NEW_ONLY, &err) == -1 && err.code == EEXIST,
	      "OUTPUT_NEW_ONLY refuses an existing file: %s", err.msg);

	symlink(file, link);
	CHECK(write_output(link, "three", 0, &err) == 0, "through a symlink");
	CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode) &&
		      fs_read_file(file, 100, &text, NULL, &err) == 0 && strcmp(text, "three") == 0,
	      "the link stays, what it points at is written");
	free(steal_ptr(text));
	symlink("/nonexistent/berth", dangling);
	CHECK(write_output(dangling, "x", 0, &err) == -1 && strstr(err.msg, "symlink to nothing"),
	      "a dangling symlink is refused: %s", err.msg);
	CHECK(write_output(dir, "x", 0, &err) == -1 && err.code == EISDIR, "a directory: %s",
	      err.msg);

	mkfifo(fifo, 0600);
	pid = fifo_reader(fifo, got);
	CHECK(write_output(fifo, "piped", 0, &err) == 0, "a FIFO is written into");
	waitpid(pid, &status, 0);
	CHECK(status == 0 && lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode) &&
		      fs_read_file(got, 100, &text, NULL, &err) == 0 && strcmp(text, "piped") == 0,
	      "it stays a FIFO and its reader got the bytes");
	free(steal_ptr(text));

	if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)) == 0) {
		made++;
		CHECK(write_output(dev, "gone", 0, &err) == 0,
		      "a character device is written into");
		CHECK(lstat(dev, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3),
		      "and stays the device 1:3");
	} else {
		printf("# skipped: mknod needs CAP_MKNOD\n");
	}

	/* A regular file that became a FIFO while the output was written is
	 * not replaced. */
	{
		autooutput struct output_file out = OUTPUT_FILE_INIT;

		CHECK(output_file_open(&out, file, 0644, 0, &err) == 0, "open to replace");
		unlink(file);
		mkfifo(file, 0600);
		CHECK(output_file_commit(&out, false, &err) == -1 &&
			      strstr(err.msg, "changed while it was written"),
		      "a swap is noticed: %s", err.msg);
		output_file_clear(&out);
		CHECK(lstat(file, &st) == 0 && S_ISFIFO(st.st_mode), "the FIFO is left");
	}
	/* Not committed: nothing is left but what was there. */
	{
		autooutput struct output_file out = OUTPUT_FILE_INIT;
		autofree char *fresh = xasprintf("%s/fresh", dir);

		CHECK(output_file_open(&out, fresh, 0644, 0, &err) == 0 &&
			      output_file_write(&out, "x", 1, &err) == 0,
		      "a new file, written");
	}
	CHECK(only_names(dir, made), "no temporary file is left");
	fs_rm_rf(dir, &err);
}

static void test_num(void)
{
	int64_t i = 7;
	uint64_t u = 7;
	int n = 7;

	CHECK(num_parse_i64("42", 10, INT64_MIN, INT64_MAX, &i) == 0 && i == 42, "i64 42");
	CHECK(num_parse_i64("-42", 10, INT64_MIN, INT64_MAX, &i) == 0 && i == -42, "i64 -42");
	CHECK(num_parse_i64("+42", 10, INT64_MIN, INT64_MAX, &i) == 0 && i == 42,
	      "i64 +42, as Go's ParseInt");
	CHECK(num_parse_i64("9223372036854775807", 10, INT64_MIN, INT64_MAX, &i) == 0 &&
		  i == INT64_MAX,
	      "i64 max");
	CHECK(num_parse_i64("-9223372036854775808", 10, INT64_MIN, INT64_MAX, &i) == 0 &&
		  i == INT64_MIN,
	      "i64 min");
	i = 7;
	CHECK(num_parse_i64("9223372036854775808", 10, INT64_MIN, INT64_MAX, &i) == -ERANGE &&
		  i == 7,
	      "i64 max + 1: range, *out untouched");
	CHECK(num_parse_i64("-9223372036854775809", 10, INT64_MIN, INT64_MAX, &i) == -ERANGE,
	      "i64 min - 1: range");
	CHECK(num_parse_i64("18446744073709551617", 10, INT64_MIN, INT64_MAX, &i) == -ERANGE,
	      "2^64+1: range, not wrapped");
	CHECK(num_parse_i64("99999999999999999999", 10, INT64_MIN, INT64_MAX, &i) == -ERANGE,
	      "20 nines: range, not clamped");
	CHECK(num_parse_i64("999999999999999999999999999999999999", 10, INT64_MIN, INT64_MAX, &i) ==
		  -ERANGE,
	      "36 nines: range");
	CHECK(num_parse_i64("12abc", 10, INT64_MIN, INT64_MAX, &i) == -EINVAL, "12abc: syntax");
	CHECK(num_parse_i64("99999999999999999999x", 10, INT64_MIN, INT64_MAX, &i) == -EINVAL,
	      "overflow then junk: syntax");
	CHECK(num_parse_i64("", 10, INT64_MIN, INT64_MAX, &i) == -EINVAL, "empty: syntax");
	CHECK(num_parse_i64("-", 10, INT64_MIN, INT64_MAX, &i) == -EINVAL, "a sign alone");
	CHECK(num_parse_i64(" 1", 10, INT64_MIN, INT64_MAX, &i) == -EINVAL, "leading blank");
	CHECK(num_parse_i64("1 ", 10, INT64_MIN, INT64_MAX, &i) == -EINVAL, "trailing blank");
	CHECK(num_parse_i64("1\n", 10, INT64_MIN, INT64_MAX, &i) == -EINVAL, "trailing newline");
	CHECK(num_parse_i64("--1", 10, INT64_MIN, INT64_MAX, &i) == -EINVAL, "two signs");
	CHECK(num_parse_i64("0x10", 10, INT64_MIN, INT64_MAX, &i) == -EINVAL, "no hex prefix");
	CHECK(num_parse_i64("1e3", 10, INT64_MIN, INT64_MAX, &i) == -EINVAL, "no exponent");
	CHECK(num_parse_i64(NULL, 10, INT64_MIN, INT64_MAX, &i) == -EINVAL, "NULL");
	CHECK(num_parse_i64("5", 10, 0, 4, &i) == -ERANGE, "above max");
	CHECK(num_parse_i64("-1", 10, 0, 4, &i) == -ERANGE, "below min");
	CHECK(num_parse_i64("-1", 10, -1, 4, &i) == 0 && i == -1, "-1 when allowed");
	CHECK(num_parse_i64("755", 8, 0, 07777, &i) == 0 && i == 0755, "octal");
	CHECK(num_parse_i64("8", 8, 0, 07777, &i) == -EINVAL, "8 is no octal digit");
	CHECK(num_parse_i64("ff", 16, 0, 255, &i) == 0 && i == 255, "hex");
	CHECK(num_parse_i64("1", 7, 0, 255, &i) == -EINVAL, "unsupported base");

	CHECK(num_parse_u64("18446744073709551615", 10, UINT64_MAX, &u) == 0 && u == UINT64_MAX,
	      "u64 max");
	CHECK(num_parse_u64("18446744073709551616", 10, UINT64_MAX, &u) == -ERANGE,
	      "u64 max + 1: range");
	CHECK(num_parse_u64("-1", 10, UINT64_MAX, &u) == -EINVAL, "u64 -1: syntax, not wrapped");
	CHECK(num_parse_u64("+1", 10, UINT64_MAX, &u) == -EINVAL, "u64 takes no sign");
	CHECK(num_parse_u64("65536", 10, 65535, &u) == -ERANGE, "u64 above max");

	CHECK(num_parse_int("2147483647", 0, INT32_MAX, &n) == 0 && n == 2147483647, "int max");
	CHECK(num_parse_int("2147483648", 0, INT32_MAX, &n) == -ERANGE, "int max + 1");
	CHECK(num_parse_int("-2147483648", INT32_MIN, INT32_MAX, &n) == 0 && n == INT32_MIN,
	      "int min");
	{
		const char *list = "0-3,7", *p = list;

		CHECK(num_take_u64(&p, 10, 1024, &u) == 0 && u == 0 && *p == '-',
		      "take 0 of 0-3,7");
		p++;
		CHECK(num_take_u64(&p, 10, 1024, &u) == 0 && u == 3 && *p == ',', "take 3");
		p = "18446744073709551617,1";
		CHECK(num_take_u64(&p, 10, UINT64_MAX, &u) == -ERANGE, "take 2^64+1: range");
		p = "0000000000000000000000000000000042x";
		CHECK(num_take_u64(&p, 10, 100, &u) == 0 && u == 42 && *p == 'x',
		      "take: leading zeros do not overflow");
		p = "-1";
		CHECK(num_take_u64(&p, 10, 100, &u) == -EINVAL, "take: no sign");
	}
	{
		int64_t v = 0;

		CHECK(num_parse_size("1024", &v) == 0 && v == 1024, "size 1024");
		CHECK(num_parse_size("64m", &v) == 0 && v == 64 << 20, "size 64m");
		CHECK(num_parse_size("1.5g", &v) == 0 && v == (int64_t)3 << 29, "size 1.5g");
		CHECK(num_parse_size("512KiB", &v) == 0 && v == 512 << 10, "size 512KiB");
		CHECK(num_parse_size("1 k", &v) == 0 && v == 1024, "size with a blank");
		CHECK(num_parse_size("100b", &v) == 0 && v == 100, "size 100b");
		CHECK(num_parse_size("9007199254740993", &v) == 0 && v == 9007199254740993,
		      "size 2^53+1: exact, no trip through a double");
		CHECK(num_parse_size("9223372036854775807", &v) == 0 && v == INT64_MAX,
		      "size INT64_MAX");
		CHECK(num_parse_size("9223372036854775808", &v) == -ERANGE, "size INT64_MAX + 1");
		CHECK(num_parse_size("18446744073709551617", &v) == -ERANGE, "size 2^64+1");
		CHECK(num_parse_size("8388608t", &v) == -ERANGE, "size 2^23 TiB overflows");
		CHECK(num_parse_size("8388607.99t", &v) == 0 && v > 0, "size just below");
		CHECK(num_parse_size("12abc", &v) == -EINVAL, "size 12abc");
		CHECK(num_parse_size("", &v) == -EINVAL, "size empty");
		CHECK(num_parse_size("-1", &v) == -EINVAL, "size -1");
		CHECK(num_parse_size("nan", &v) == -EINVAL, "size nan");
		CHECK(num_parse_size("inf", &v) == -EINVAL, "size inf");
		CHECK(num_parse_size("0x10", &v) == -EINVAL, "size hex");
		CHECK(num_parse_size("1e9", &v) == -EINVAL, "size exponent");
		CHECK(num_parse_size("1.", &v) == -EINVAL, "size 1.");
		CHECK(num_parse_size(".5k", &v) == -EINVAL, "size .5k");
	}
	CHECK_STR(num_strerror(-ERANGE), "value out of range", "strconv's range words");
	CHECK_STR(num_strerror(-EINVAL), "invalid syntax", "strconv's syntax words");
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
	test_output();
	test_num();
	return TEST_DONE();
}
