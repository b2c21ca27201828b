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
	return TEST_DONE();
}
