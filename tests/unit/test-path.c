/* Root-scoped resolution (util/path.h) on a temporary tree full of hostile
 * symlinks. Every lookup is done twice, by openat2 and by the userspace
 * walk, and both must land on the same inode (or fail with the same
 * errno). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/xalloc.h"

static char *tmp;
static int rootfd = -1;

static void mk(const char *rel, const char *content)
{
	int fd = openat(rootfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, content, strlen(content)) < 0) {
		perror(rel);
		exit(1);
	}
	close(fd);
}

static void ln(const char *target, const char *rel)
{
	if (symlinkat(target, rootfd, rel) < 0) {
		perror(rel);
		exit(1);
	}
}

static void setup_tree(void)
{
	tmp = xstrdup("/tmp/berth-test-path-XXXXXX");
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	autofree char *root = xasprintf("%s/root", tmp);
	autofree char *secret = xasprintf("%s/outside-secret", tmp);
	autofree char *abc = xasprintf("%s/a/b/c", root);
	struct berth_err err;
	if (fs_mkdir_p(abc, 0755, &err) < 0 ||
	    fs_write_file_atomic(secret, "secret", 6, 0600, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	mkdirat(rootfd, "etc", 0755);
	mk("etc/passwd-in-root", "inside");
	mk("file", "file");
	ln("/etc", "abs");
	ln("../../..", "up");
	ln("../../../../etc", "a/b/up3");
	ln("../outside-secret", "esc");
	ln(secret, "esc-abs");
	ln("loop2", "loop1");
	ln("loop1", "loop2");
	ln("self/x", "self");
	ln("/created-by-link", "dangling");
	ln("/nowhere/deeper", "dangling-deep");
	ln("/made/by/mkdir", "dangling-dir");
}

/* The inode of rel opened plainly from the root (no symlinks followed). */
static bool same_as(int fd, const char *rel)
{
	struct stat a, b;
	if (fstatat(rootfd, rel, &b, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) < 0 || fstat(fd, &a) < 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

struct lookup_case {
	const char *path;
	int flags;
	int want_errno;   /* 0: success */
	const char *want; /* relative to the root; "" is the root itself */
};

static const struct lookup_case lookups[] = {
	{ "/etc/passwd-in-root", O_RDONLY, 0, "etc/passwd-in-root" },
	{ "abs/passwd-in-root", O_RDONLY, 0, "etc/passwd-in-root" },
	{ "/abs/../etc/passwd-in-root", O_RDONLY, 0, "etc/passwd-in-root" },
	{ "up/etc/passwd-in-root", O_RDONLY, 0, "etc/passwd-in-root" },
	{ "../../../../etc/passwd-in-root", O_RDONLY, 0, "etc/passwd-in-root" },
	{ "a/b/up3/passwd-in-root", O_RDONLY, 0, "etc/passwd-in-root" },
	{ "a/b/c/../../../..", O_PATH, 0, "" },
	{ "/", O_PATH | O_DIRECTORY, 0, "" },
	{ "", O_PATH, 0, "" },
	{ "up", O_PATH | O_DIRECTORY, 0, "" },
	{ "abs", O_PATH | O_DIRECTORY, 0, "etc" },
	{ "abs/", O_PATH, 0, "etc" },
	{ "abs", O_PATH | O_NOFOLLOW, 0, "abs" },
	{ "abs", O_RDONLY | O_NOFOLLOW, ELOOP, NULL },
	/* The host's /etc/hostname exists; the root's does not. */
	{ "abs/hostname", O_RDONLY, ENOENT, NULL },
	{ "esc", O_RDONLY, ENOENT, NULL },
	{ "esc-abs", O_RDONLY, ENOENT, NULL },
	{ "loop1", O_RDONLY, ELOOP, NULL },
	{ "loop1/x", O_RDONLY, ELOOP, NULL },
	{ "self", O_RDONLY, ELOOP, NULL },
	{ "file/x", O_RDONLY, ENOTDIR, NULL },
	{ "file/", O_RDONLY, ENOTDIR, NULL },
	{ "file", O_RDONLY | O_DIRECTORY, ENOTDIR, NULL },
	{ "missing", O_RDONLY, ENOENT, NULL },
};

typedef int (*open_fn)(int, const char *, int, mode_t, struct berth_err *);

static void check_lookups(const char *mode, open_fn fn)
{
	for (size_t i = 0; i < ARRAY_SIZE(lookups); i++) {
		const struct lookup_case *c = &lookups[i];
		struct berth_err err = { 0 };
		autoclose int fd = fn(rootfd, c->path, c->flags, 0, &err);
		if (c->want_errno == 0)
			CHECK(fd >= 0 && same_as(fd, c->want), "%s: \"%s\" -> \"%s\" (%s)", mode,
			      c->path, c->want, fd < 0 ? err.msg : "opened");
		else
			CHECK(fd < 0 && err.code == c->want_errno, "%s: \"%s\" fails with %s (%s)",
			      mode, c->path, strerror(c->want_errno), fd < 0 ? err.msg : "opened");
	}
}

static void check_create(const char *mode, open_fn fn)
{
	struct berth_err err = { 0 };
	autoclose int fd = fn(rootfd, "dangling", O_WRONLY | O_CREAT, 0600, &err);
	CHECK(fd >= 0 && same_as(fd, "created-by-link"),
	      "%s: O_CREAT through a dangling absolute link creates inside the root", mode);
	unlinkat(rootfd, "created-by-link", 0);

	autoclose int fd2 = fn(rootfd, "dangling-deep", O_WRONLY | O_CREAT, 0600, &err);
	CHECK(fd2 < 0 && err.code == ENOENT, "%s: O_CREAT under a missing directory: ENOENT", mode);

	autoclose int fd3 = fn(rootfd, "../../new-file", O_WRONLY | O_CREAT | O_EXCL, 0600, &err);
	CHECK(fd3 >= 0 && same_as(fd3, "new-file"), "%s: \"../../new-file\" is created in the root",
	      mode);
	autoclose int fd4 = fn(rootfd, "new-file", O_WRONLY | O_CREAT | O_EXCL, 0600, &err);
	CHECK(fd4 < 0 && err.code == EEXIST, "%s: O_EXCL on an existing file: EEXIST", mode);
	autoclose int fd5 = fn(rootfd, "abs", O_WRONLY | O_CREAT | O_EXCL, 0600, &err);
	CHECK(fd5 < 0 && err.code == EEXIST, "%s: O_EXCL on a symlink: EEXIST", mode);
	unlinkat(rootfd, "new-file", 0);
}

static void check_mkdir_all(void)
{
	struct berth_err err = { 0 };
	struct stat st;

	autoclose int a = path_mkdir_all_in_root(rootfd, "/abs/x/y", 0755, &err);
	CHECK(a >= 0 && same_as(a, "etc/x/y"), "mkdir_all through /etc link stays inside (%s)",
	      a < 0 ? err.msg : "ok");
	autoclose int b = path_mkdir_all_in_root(rootfd, "up/../new1/./new2/", 0755, &err);
	CHECK(b >= 0 && same_as(b, "new1/new2"), "mkdir_all with .. clamps at the root (%s)",
	      b < 0 ? err.msg : "ok");
	autoclose int c = path_mkdir_all_in_root(rootfd, "file/x", 0755, &err);
	CHECK(c < 0 && err.code == ENOTDIR, "mkdir_all under a file: ENOTDIR (%s)", err.msg);
	autoclose int d = path_mkdir_all_in_root(rootfd, "dangling-dir/z", 0755, &err);
	CHECK(d >= 0 && same_as(d, "made/by/mkdir/z"),
	      "mkdir_all through a dangling link creates its target inside (%s)",
	      d < 0 ? err.msg : "ok");
	autoclose int e = path_mkdir_all_in_root(rootfd, "loop1/z", 0755, &err);
	CHECK(e < 0, "mkdir_all through a loop fails (%s)", err.msg);
	autoclose int f = path_mkdir_all_in_root(rootfd, "/", 0755, &err);
	CHECK(f >= 0 && same_as(f, ""), "mkdir_all of / is the root");
	CHECK(fstatat(rootfd, "etc/x", &st, 0) == 0 && (st.st_mode & 07777) == 0755,
	      "created directories get the mode");
}

static void check_mkfile(void)
{
	struct berth_err err = { 0 };

	autoclose int a = path_mkfile_in_root(rootfd, "/abs/sub/file.conf", 0644, &err);
	CHECK(a >= 0 && same_as(a, "etc/sub/file.conf"), "mkfile creates parents inside (%s)",
	      a < 0 ? err.msg : "ok");
	autoclose int b = path_mkfile_in_root(rootfd, "/etc/passwd-in-root", 0644, &err);
	CHECK(b >= 0 && same_as(b, "etc/passwd-in-root"), "mkfile keeps an existing file");
	char buf[16] = { 0 };
	int r = openat(rootfd, "etc/passwd-in-root", O_RDONLY | O_CLOEXEC);
	CHECK(r >= 0 && read(r, buf, sizeof(buf) - 1) == 6 && strcmp(buf, "inside") == 0,
	      "mkfile does not truncate");
	close(r);
	autoclose int c = path_mkfile_in_root(rootfd, "/a/b", 0644, &err);
	CHECK(c < 0 && err.code == EISDIR, "mkfile on a directory: EISDIR");
	autoclose int d = path_mkfile_in_root(rootfd, "/esc-abs", 0644, &err);
	autofree char *inside = xasprintf("%s/root%s/outside-secret", tmp, tmp);
	CHECK(d >= 0 && fs_exists(inside),
	      "mkfile through a link to a host path creates the file inside (%s)",
	      d < 0 ? err.msg : inside);
	char proc[64];
	CHECK_STR(path_fd_to_proc(7, proc), "/proc/self/fd/7", "fd to proc path");
}

/* State directories named by users become absolute against the working
 * directory; an empty name is refused. */
static void check_absolute(void)
{
	struct berth_err err = { 0 };
	autofree char *cwd = getcwd(NULL, 0);
	autofree char *want = xasprintf("%s/store", cwd);
	char *out = NULL;

	CHECK(path_absolute("/var/lib/berth/", "--root", &out, &err) == 0, "absolute");
	CHECK_STR(out, "/var/lib/berth", "absolute, cleaned");
	free(out);
	out = NULL;
	CHECK(path_absolute("./x/../store", "--root", &out, &err) == 0, "relative");
	CHECK_STR(out, want, "relative, against the working directory");
	free(out);
	out = NULL;
	CHECK(path_absolute("", "--root", &out, &err) < 0 && out == NULL, "empty refused");
	CHECK_STR(err.msg, "--root: an empty path (is a variable unset?)", "empty: the message");
	CHECK(path_absolute(NULL, "BERTH_ROOT", &out, &err) < 0, "NULL refused");
}

int main(void)
{
	struct berth_err err;
	int r;

	setup_tree();
	check_lookups("openat2", path_openat_in_root);
	check_lookups("walk", path_openat_in_root_walk);
	check_create("openat2", path_openat_in_root);
	check_create("walk", path_openat_in_root_walk);
	check_mkdir_all();
	check_mkfile();
	check_absolute();

	/* The host file the escaping links aim at is untouched and nothing
	 * was created next to the root. */
	autofree char *secret = xasprintf("%s/outside-secret", tmp);
	autofree char *host_created = xasprintf("%s/created-by-link", tmp);
	CHECK(fs_exists(secret) && !fs_exists(host_created) && !fs_exists("/created-by-link") &&
		  !fs_exists("/made/by/mkdir"),
	      "nothing created outside the root");

	close(rootfd);
	r = fs_rm_rf(tmp, &err);
	CHECK(r == 0, "cleanup %s", tmp);
	free(tmp);
	return TEST_DONE();
}
