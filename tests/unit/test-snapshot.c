/* Snapshots (image/snapshot.h): three hand-made layers in overlay's form,
 * mounted with "lowerdir+", mounted with the classic option string, and
 * copied by the vfs driver, must show the same tree, and the one expected.
 * Needs root (mounts, chown, trusted.* xattrs, mknod). Everything lives in
 * one mkdtemp directory under /tmp, unmounted and removed at the end. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/snapshot.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define NO_PLUS_ENV SNAPSHOT_NO_LOWERDIR_PLUS_ENV

static char tmp[] = "/tmp/berth-snapshot-XXXXXX";
static char *mounted[32];
static int n_mounted;

/* A path under the test directory, in a static buffer (one of eight, so a
 * call may take a few; callers keep a copy of any they need longer). */
static const char *p(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *p(const char *fmt, ...)
{
	static char bufs[8][8192];
	static int next;
	char *b = bufs[next++ % 8];
	int n = snprintf(b, sizeof(bufs[0]), "%s/", tmp);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b + n, sizeof(bufs[0]) - (size_t)n, fmt, ap);
	va_end(ap);
	return b;
}

static void cleanup(void)
{
	struct berth_err err = { 0 };
	bool all = true;

	while (n_mounted > 0) {
		char *t = mounted[--n_mounted];
		if (snapshot_unmount(t, &err) < 0) {
			printf("# cleanup: %s\n", err.msg);
			all = false;
		}
		free(t);
	}
	/* A mount left behind would let rm -rf reach into the layers it shows. */
	if (all && tmp[strlen(tmp) - 1] != 'X' && fs_rm_rf(tmp, &err) < 0)
		printf("# cleanup: %s\n", err.msg);
}

static void must(bool ok, const char *what)
{
	if (!ok) {
		printf("Bail out! %s: %s\n", what, strerror(errno));
		cleanup();
		exit(1);
	}
}

static void mkd(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	must(mkdir(path, mode) == 0 || errno == EEXIST, path);
	must(chown(path, uid, gid) == 0 && chmod(path, mode) == 0, path);
}

static void put(const char *path, const char *data, mode_t mode, uid_t uid, gid_t gid)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	must(fd >= 0, path);
	must(write(fd, data, strlen(data)) == (ssize_t)strlen(data), path);
	close(fd);
	must(chown(path, uid, gid) == 0 && chmod(path, mode) == 0, path);
}

static void whiteout(const char *path)
{
	must(mknod(path, S_IFCHR | 0000, makedev(0, 0)) == 0, path);
}

static void xset(const char *path, const char *name, const char *val)
{
	must(lsetxattr(path, name, val, strlen(val), 0) == 0, name);
}

/* mtimes that differ per entry, so copying them is checked. */
static void stamp(const char *path, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 500 } };

	must(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) == 0, path);
}

static void make_layers(void)
{
	/* l1, the bottom layer */
	mkd(p("l1"), 0755, 0, 0);
	mkd(p("l1/etc"), 0755, 0, 0);
	put(p("l1/etc/passwd"), "root\n", 0644, 0, 0);
	put(p("l1/etc/removed"), "gone", 0644, 0, 0);
	mkd(p("l1/opq"), 0755, 0, 0);
	put(p("l1/opq/a"), "a", 0644, 0, 0);
	mkd(p("l1/opq/sub"), 0755, 0, 0);
	put(p("l1/opq/sub/b"), "b", 0644, 0, 0);
	put(p("l1/rep"), "a file", 0644, 0, 0);
	mkd(p("l1/dir2"), 0755, 0, 0);
	put(p("l1/dir2/x"), "x", 0644, 0, 0);
	mkd(p("l1/bin"), 0755, 0, 0);
	put(p("l1/bin/sh"), "sh", 0755, 0, 0);
	must(link(p("l1/bin/sh"), p("l1/bin/sh-link")) == 0, "link sh");
	must(symlink("etc/passwd", p("l1/link")) == 0, "symlink");
	xset(p("l1/link"), "trusted.s", "1");
	mkd(p("l1/dev"), 0755, 0, 0);
	must(mknod(p("l1/dev/null"), S_IFCHR | 0666, makedev(1, 3)) == 0, "mknod null");
	must(chmod(p("l1/dev/null"), 0666) == 0, "chmod null");
	xset(p("l1/dev/null"), "trusted.d", "2");
	must(mkfifo(p("l1/fifo"), 0644) == 0, "mkfifo");
	must(chmod(p("l1/fifo"), 0644) == 0, "chmod fifo");
	put(p("l1/xat"), "x", 0644, 0, 0);
	xset(p("l1/xat"), "user.k", "v");
	mkd(p("l1/keep"), 0750, 1000, 1000);
	put(p("l1/keep/f"), "keep", 0600, 1000, 1001);
	mkd(p("l1/old"), 0755, 0, 0);
	mkd(p("l1/old/deep"), 0755, 0, 0);
	put(p("l1/old/deep/file"), "deep", 0644, 0, 0);
	must(symlink(p("outside"), p("l1/evil")) == 0, "symlink evil");
	put(p("l1/suid"), "suid", 04755, 1000, 1000);

	/* l2 */
	mkd(p("l2"), 0755, 0, 0);
	mkd(p("l2/etc"), 0755, 0, 0);
	whiteout(p("l2/etc/removed"));
	put(p("l2/etc/new"), "new", 0640, 1234, 5678);
	mkd(p("l2/rep"), 0711, 0, 0);
	put(p("l2/rep/inner"), "in", 0644, 0, 0);
	mkd(p("l2/opq"), 0755, 0, 0);
	put(p("l2/opq/l2"), "l2", 0644, 0, 0);
	mkd(p("l2/evil"), 0755, 0, 0);
	put(p("l2/evil/x"), "x", 0644, 0, 0);

	/* l3, the top layer */
	mkd(p("l3"), 0755, 0, 0);
	mkd(p("l3/etc"), 0700, 0, 0);
	put(p("l3/etc/passwd"), "root2\n", 0600, 0, 0);
	mkd(p("l3/opq"), 0755, 0, 0);
	xset(p("l3/opq"), "trusted.overlay.opaque", "y");
	put(p("l3/opq/c"), "c", 0644, 0, 0);
	put(p("l3/dir2"), "now a file", 0644, 0, 0);
	whiteout(p("l3/old"));
	put(p("l3/h1"), "hard", 0644, 0, 0);
	must(link(p("l3/h1"), p("l3/h2")) == 0, "link h1");
	put(p("l3/xat2"), "x2", 0644, 0, 0);
	xset(p("l3/xat2"), "user.k", "v2");
	xset(p("l3/xat2"), "trusted.t", "tv");

	const char *stamped[] = { "l1/etc",     "l1/bin/sh", "l1/link", "l1/dev/null", "l1/fifo",
				  "l1/keep",    "l1/keep/f", "l1/evil", "l2/etc",      "l2/rep",
				  "l2/etc/new", "l3/etc",    "l3/opq",  "l3/opq/c",    "l3/h1" };
	for (size_t i = 0; i < sizeof(stamped) / sizeof(stamped[0]); i++)
		stamp(p("%s", stamped[i]), 1000000 + (time_t)i * 1000);
}

/* The merged tree as the layers above must show it (root excluded). */
static const char expected[] = "bin d 0755 0:0\n"
			       "bin/sh f 0755 0:0 \"sh\"\n"
			       "bin/sh-link f 0755 0:0 \"sh\" =bin/sh\n"
			       "dev d 0755 0:0\n"
			       "dev/null c 0666 0:0 1,3 trusted.d=2\n"
			       "dir2 f 0644 0:0 \"now a file\"\n"
			       "etc d 0700 0:0\n"
			       "etc/new f 0640 1234:5678 \"new\"\n"
			       "etc/passwd f 0600 0:0 \"root2\n\"\n"
			       "evil d 0755 0:0\n"
			       "evil/x f 0644 0:0 \"x\"\n"
			       "fifo p 0644 0:0\n"
			       "h1 f 0644 0:0 \"hard\"\n"
			       "h2 f 0644 0:0 \"hard\" =h1\n"
			       "keep d 0750 1000:1000\n"
			       "keep/f f 0600 1000:1001 \"keep\"\n"
			       "link l 0777 0:0 ->etc/passwd trusted.s=1\n"
			       "opq d 0755 0:0\n"
			       "opq/c f 0644 0:0 \"c\"\n"
			       "rep d 0711 0:0\n"
			       "rep/inner f 0644 0:0 \"in\"\n"
			       "suid f 4755 1000:1000 \"suid\"\n"
			       "xat f 0644 0:0 \"x\" user.k=v\n"
			       "xat2 f 0644 0:0 \"x2\" trusted.t=tv user.k=v2\n";

struct walk {
	char *out;
	size_t len;
	bool mtimes;
	ino_t inos[64];
	char *first[64];
	int n_inos;
};

static void emit(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct walk *w, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	must(vasprintf(&s, fmt, ap) >= 0, "vasprintf");
	va_end(ap);
	w->out = xrealloc(w->out, w->len + strlen(s) + 1);
	memcpy(w->out + w->len, s, strlen(s) + 1);
	w->len += strlen(s);
	free(s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_xattrs(struct walk *w, int dirfd, const char *name)
{
	char path[4200], names[4096], val[256];
	char *v[32];
	int n = 0;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
	len = llistxattr(path, names, sizeof(names));
	for (char *s = names; len > 0 && s < names + len && n < 32; s += strlen(s) + 1)
		v[n++] = s;
	qsort(v, (size_t)n, sizeof(v[0]), cmp_str);
	for (int i = 0; i < n; i++) {
		ssize_t vl = lgetxattr(path, v[i], val, sizeof(val) - 1);
		val[vl > 0 ? vl : 0] = '\0';
		emit(w, " %s=%s", v[i], val);
	}
}

/* One line per entry, sorted by path: type, mode, owner, then the content,
 * device numbers or link target, the xattrs and which earlier name it is a
 * hard link of. */
static void walk_dir(struct walk *w, int dirfd, const char *prefix)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fdopendir(fd);
	autostrv char **names = NULL;
	struct dirent *de;

	must(d != NULL, prefix);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			strv_push(&names, de->d_name);
	qsort(names, strv_len(names), sizeof(char *), cmp_str);
	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		const char *name = names[i];
		char rel[4096], buf[256];
		struct stat st;
		ssize_t n;
		int sub;

		snprintf(rel, sizeof(rel), "%s%s", prefix, name);
		must(fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0, rel);
		emit(w, "%s %c %04o %u:%u", rel,
		     S_ISDIR(st.st_mode)    ? 'd'
		     : S_ISREG(st.st_mode)  ? 'f'
		     : S_ISLNK(st.st_mode)  ? 'l'
		     : S_ISCHR(st.st_mode)  ? 'c'
		     : S_ISBLK(st.st_mode)  ? 'b'
		     : S_ISFIFO(st.st_mode) ? 'p'
					    : 's',
		     st.st_mode & 07777, st.st_uid, st.st_gid);
		if (S_ISREG(st.st_mode)) {
			int f = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			must(f >= 0, rel);
			n = read(f, buf, sizeof(buf) - 1);
			close(f);
			buf[n > 0 ? n : 0] = '\0';
			emit(w, " \"%s\"", buf);
		} else if (S_ISLNK(st.st_mode)) {
			n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);
			buf[n > 0 ? n : 0] = '\0';
			emit(w, " ->%s", buf);
		} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
			emit(w, " %u,%u", major(st.st_rdev), minor(st.st_rdev));
		}
		walk_xattrs(w, dirfd, name);
		if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
			int k;
			for (k = 0; k < w->n_inos && w->inos[k] != st.st_ino; k++)
				;
			if (k < w->n_inos) {
				emit(w, " =%s", w->first[k]);
			} else if (k < 64) {
				w->inos[k] = st.st_ino;
				w->first[k] = xstrdup(rel);
				w->n_inos++;
			}
		}
		if (w->mtimes)
			emit(w, " @%lld.%ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		emit(w, "\n");
		if (!S_ISDIR(st.st_mode))
			continue;
		sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		must(sub >= 0, rel);
		snprintf(rel, sizeof(rel), "%s%s/", prefix, name);
		walk_dir(w, sub, rel);
		close(sub);
	}
	closedir(d);
}

static char *walk(const char *root, bool mtimes)
{
	struct walk w = { .out = xstrdup(""), .mtimes = mtimes };
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	must(fd >= 0, root);
	walk_dir(&w, fd, "");
	close(fd);
	for (int i = 0; i < w.n_inos; i++)
		free(w.first[i]);
	return w.out;
}

/* Equal trees; on a difference both are printed as TAP comments. */
static void same_tree(const char *got, const char *want, const char *what)
{
	bool same = strcmp(got, want) == 0;

	CHECK(same, "%s", what);
	if (same)
		return;
	printf("# got:\n# %s\n# want:\n# %s\n", got, want);
}

static int mount_ov(const char *const *lowers, size_t n, const char *name, const char *linkdir,
		    struct berth_err *err)
{
	char links[4096];
	int r;

	if (linkdir != NULL)
		linkdir = strcpy(links, linkdir);
	berth_err_clear(err);
	mkd(p("%s-upper", name), 0755, 0, 0);
	mkd(p("%s-work", name), 0755, 0, 0);
	mkd(p("%s", name), 0755, 0, 0);
	r = snapshot_overlay_mount(lowers, n, p("%s-upper", name), p("%s-work", name),
				   p("%s", name), linkdir, err);
	if (r == 0)
		mounted[n_mounted++] = xstrdup(p("%s", name));
	return r;
}

static void unmount_last(void)
{
	struct berth_err err = { 0 };
	char *t = mounted[--n_mounted];

	CHECK(snapshot_unmount(t, &err) == 0, "unmount %s: %s", t, err.msg);
	free(t);
}

static bool file_is(const char *path, const char *want)
{
	char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strcmp(buf, want) == 0;
}

static void test_driver_names(void)
{
	struct berth_err err = { 0 };
	enum snapshot_driver d = SNAPSHOT_VFS;

	CHECK(snapshot_driver_parse("overlay", &d, &err) == 0 && d == SNAPSHOT_OVERLAY, "overlay");
	d = SNAPSHOT_VFS;
	CHECK(snapshot_driver_parse("overlay2", &d, &err) == 0 && d == SNAPSHOT_OVERLAY,
	      "overlay2 is overlay");
	CHECK(snapshot_driver_parse("vfs", &d, &err) == 0 && d == SNAPSHOT_VFS, "vfs");
	CHECK(snapshot_driver_parse("btrfs", &d, &err) < 0 && strstr(err.msg, "\"btrfs\"") != NULL,
	      "unknown driver named: %s", err.msg);
	CHECK_STR(snapshot_driver_name(SNAPSHOT_OVERLAY), "overlay", "name");
	CHECK_STR(snapshot_driver_name(SNAPSHOT_VFS), "vfs", "name");
	CHECK(snapshot_driver_detect() == SNAPSHOT_OVERLAY, "overlay detected on this kernel");
}

/* The "source options" part of target's line in mountinfo, or "". */
static char *mount_source_opts(const char *target)
{
	autofclose FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[16384];

	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		char mnt[8192];
		char *sep = strstr(line, " - ");
		if (sep == NULL || sscanf(line, "%*s %*s %*s %*s %8191s", mnt) != 1)
			continue;
		if (strcmp(mnt, target) == 0)
			return xstrndup(sep + 3, strcspn(sep + 3, "\n"));
	}
	return xstrdup("");
}

static void test_merged_views(void)
{
	struct berth_err err = { 0 };
	char l1[4096], l2[4096], l3[4096];
	const char *top_first[] = { l3, l2, l1 };
	const char *bottom_first[] = { l1, l2, l3 };
	autofree char *plus = NULL, *legacy = NULL, *vfs = NULL;
	autofree char *plus_t = NULL, *legacy_t = NULL, *vfs_t = NULL;

	snprintf(l1, sizeof(l1), "%s", p("l1"));
	snprintf(l2, sizeof(l2), "%s", p("l2"));
	snprintf(l3, sizeof(l3), "%s", p("l3"));
	mkd(p("outside"), 0755, 0, 0);

	unsetenv(NO_PLUS_ENV);
	CHECK(mount_ov(top_first, 3, "m-plus", NULL, &err) == 0, "mount with lowerdir+: %s",
	      err.msg);
	setenv(NO_PLUS_ENV, "1", 1);
	CHECK(mount_ov(top_first, 3, "m-legacy", NULL, &err) == 0, "mount with lowerdir=: %s",
	      err.msg);
	unsetenv(NO_PLUS_ENV);
	mkd(p("vfs"), 0755, 0, 0);
	berth_err_clear(&err);
	CHECK(snapshot_vfs_populate(bottom_first, 3, p("vfs"), &err) == 0, "vfs populate: %s",
	      err.msg);
	if (n_mounted != 2)
		return;

	autofree char *plus_opts = mount_source_opts(p("m-plus"));
	autofree char *legacy_opts = mount_source_opts(p("m-legacy"));
	CHECK(strncmp(plus_opts, "overlay overlay ", 16) == 0 &&
		  strstr(plus_opts, ",lowerdir+=") != NULL &&
		  strstr(plus_opts, "lowerdir=") == NULL,
	      "mounted with lowerdir+: %s", plus_opts);
	CHECK(strncmp(legacy_opts, "overlay overlay ", 16) == 0 &&
		  strstr(legacy_opts, ",lowerdir=") != NULL &&
		  strstr(legacy_opts, "lowerdir+") == NULL,
	      "mounted with lowerdir=: %s", legacy_opts);

	plus = walk(p("m-plus"), false);
	legacy = walk(p("m-legacy"), false);
	vfs = walk(p("vfs"), false);
	same_tree(plus, expected, "lowerdir+ view");
	same_tree(legacy, expected, "lowerdir= view");
	same_tree(vfs, expected, "vfs copy");
	plus_t = walk(p("m-plus"), true);
	legacy_t = walk(p("m-legacy"), true);
	vfs_t = walk(p("vfs"), true);
	same_tree(legacy_t, plus_t, "mtimes: lowerdir= as lowerdir+");
	same_tree(vfs_t, plus_t, "mtimes: vfs as overlay");
	CHECK(access(p("outside/x"), F_OK) < 0 && errno == ENOENT,
	      "vfs replaced the symlink evil -> outside instead of following it");

	/* Writes go to the upper dir; the layers stay as they were. */
	put(p("m-plus/new-file"), "w", 0644, 0, 0);
	put(p("m-plus/etc/passwd"), "changed", 0600, 0, 0);
	must(unlink(p("m-plus/bin/sh")) == 0, "unlink bin/sh");
	struct stat st;
	CHECK(file_is(p("m-plus-upper/new-file"), "w"), "new file in upper");
	CHECK(file_is(p("m-plus-upper/etc/passwd"), "changed"), "copy-up in upper");
	CHECK(file_is(p("l3/etc/passwd"), "root2\n"), "top layer untouched");
	CHECK(lstat(p("m-plus-upper/bin/sh"), &st) == 0 && S_ISCHR(st.st_mode) &&
		  st.st_rdev == makedev(0, 0),
	      "delete leaves a whiteout in upper");
	CHECK(file_is(p("l1/bin/sh"), "sh"), "bottom layer untouched");
	CHECK(access(p("l1/new-file"), F_OK) < 0 && access(p("l3/new-file"), F_OK) < 0,
	      "no new file in the layers");

	/* An upper dir on overlayfs is refused by the kernel: the error names
	 * the target and carries the kernel's reason. */
	mkd(p("m-plus/ou"), 0755, 0, 0);
	mkd(p("m-plus/ow"), 0755, 0, 0);
	mkd(p("m-nested"), 0755, 0, 0);
	int r = snapshot_overlay_mount(top_first, 1, p("m-plus/ou"), p("m-plus/ow"), p("m-nested"),
				       NULL, &err);
	if (r == 0)
		mounted[n_mounted++] = xstrdup(p("m-nested"));
	CHECK(r < 0 && err.code != 0 && strstr(err.msg, p("m-nested")) != NULL,
	      "overlay upper on overlay refused: %s", err.msg);

	/* A busy mount is detached. */
	int fd = open(p("m-legacy/etc/new"), O_RDONLY | O_CLOEXEC);
	berth_err_clear(&err);
	CHECK(fd >= 0 && snapshot_unmount(p("m-legacy"), &err) == 0, "unmount busy: %s", err.msg);
	CHECK(access(p("m-legacy/etc"), F_OK) < 0, "busy mount detached");
	if (fd >= 0)
		close(fd);
	CHECK(snapshot_unmount(p("m-legacy"), &err) == 0, "unmount a plain dir: %s", err.msg);
	CHECK(snapshot_unmount(p("missing"), &err) == 0, "unmount a missing path: %s", err.msg);
}

static int count_entries(const char *dir)
{
	autoclosedir DIR *d = opendir(dir);
	int n = 0;

	while (d != NULL && readdir(d) != NULL)
		n++;
	return n - 2;
}

/* Mounts lowers[0..n) on "m-many" (with the option string when legacy),
 * checks that the top layer's file wins and the bottom one's shows, and
 * unmounts. */
static void many_check(const char *const *lowers, int n, bool legacy, const char *linkdir)
{
	struct berth_err err = { 0 };
	const char *how = legacy ? "lowerdir=" : "lowerdir+";
	char only[32];

	if (legacy)
		setenv(NO_PLUS_ENV, "1", 1);
	CHECK(mount_ov(lowers, (size_t)n, "m-many", linkdir, &err) == 0, "%d layers, %s: %s", n,
	      how, err.msg);
	unsetenv(NO_PLUS_ENV);
	if (n_mounted == 0 || strstr(mounted[n_mounted - 1], "m-many") == NULL)
		return;
	snprintf(only, sizeof(only), "only%d", n - 1);
	CHECK(file_is(p("m-many/f"), "layer 0"), "%d layers, %s: the top layer's file wins", n,
	      how);
	CHECK(file_is(p("m-many/%s", only), only), "%d layers, %s: the bottom layer shows", n, how);
	snprintf(only, sizeof(only), "only%d", n / 2);
	CHECK(file_is(p("m-many/%s", only), only), "%d layers, %s: a middle layer shows", n, how);
	unmount_last();
}

/* Layers whose absolute paths are far past a page (200-character names):
 * lowerdir+ takes them as they are, the option string needs the short
 * links, which a second mount reuses. overlayfs stacks at most 500. */
static void test_many_layers(void)
{
	struct berth_err err = { 0 };
	char *dirs[501];
	const char *lowers[501];
	char longname[201], links[4096];
	int n_links;

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	mkd(p("many"), 0755, 0, 0);
	for (int i = 0; i < 501; i++) {
		char data[32];
		dirs[i] = xstrdup(p("many/%s-%03d", longname, i));
		lowers[i] = dirs[i];
		mkd(dirs[i], 0755, 0, 0);
		snprintf(data, sizeof(data), "layer %d", i);
		put(p("many/%s-%03d/f", longname, i), data, 0644, 0, 0);
		snprintf(data, sizeof(data), "only%d", i);
		put(p("many/%s-%03d/%s", longname, i, data), data, 0644, 0, 0);
	}
	snprintf(links, sizeof(links), "%s", p("links"));
	mkd(links, 0700, 0, 0);

	setenv(NO_PLUS_ENV, "1", 1);
	CHECK(mount_ov(lowers, 250, "m-many", NULL, &err) < 0 &&
		  strstr(err.msg, "link directory") != NULL,
	      "lowerdir= past a page without a link dir: %s", err.msg);
	unsetenv(NO_PLUS_ENV);
	many_check(lowers, 250, true, links);
	n_links = count_entries(links);
	CHECK(n_links == 252, "one link per lower, upper and work dir: %d", n_links);
	many_check(lowers, 250, true, links);
	CHECK(count_entries(links) == n_links, "links reused: %d", count_entries(links));
	many_check(lowers, 500, true, links);
	many_check(lowers, 250, false, NULL);
	many_check(lowers, 500, false, NULL);

	CHECK(mount_ov(lowers, 501, "m-501", links, &err) < 0 && err.code == EINVAL &&
		  strstr(err.msg, "at most 500") != NULL,
	      "501 layers refused: %s", err.msg);
	setenv(NO_PLUS_ENV, "1", 1);
	CHECK(mount_ov(lowers, 501, "m-501", links, &err) < 0 && err.code == EINVAL &&
		  strstr(err.msg, "at most 500") != NULL,
	      "501 layers refused, lowerdir=: %s", err.msg);
	unsetenv(NO_PLUS_ENV);
	for (int i = 0; i < 501; i++)
		free(dirs[i]);
}

/* ',' and ':' are separators in the option string, fine for lowerdir+. */
static void test_special_names(void)
{
	struct berth_err err = { 0 };
	char dir[4096];
	const char *lowers[] = { dir };
	int links_before;

	snprintf(dir, sizeof(dir), "%s", p("sp:e,c"));
	mkd(dir, 0755, 0, 0);
	put(p("sp:e,c/f"), "special", 0644, 0, 0);

	CHECK(mount_ov(lowers, 1, "m-sp", NULL, &err) == 0, "lowerdir+ with ':' ',': %s", err.msg);
	CHECK(file_is(p("m-sp/f"), "special"), "lowerdir+ with ':' ',' shows the layer");
	if (n_mounted > 0 && strstr(mounted[n_mounted - 1], "m-sp") != NULL)
		unmount_last();

	links_before = count_entries(p("links"));
	setenv(NO_PLUS_ENV, "1", 1);
	CHECK(mount_ov(lowers, 1, "m-sp2", NULL, &err) < 0 && strstr(err.msg, "','") != NULL,
	      "lowerdir= with ':' ',' and no link dir refused: %s", err.msg);
	CHECK(mount_ov(lowers, 1, "m-sp2", p("links"), &err) == 0,
	      "lowerdir= with ':' ',' through links: %s", err.msg);
	CHECK(file_is(p("m-sp2/f"), "special"), "lowerdir= through links shows the layer");
	if (n_mounted > 0 && strstr(mounted[n_mounted - 1], "m-sp2") != NULL)
		unmount_last();
	unsetenv(NO_PLUS_ENV);
	CHECK(count_entries(p("links")) == links_before + 3,
	      "three new links: the lower, upper and work dir");

	const char *rel[] = { "l1" };
	CHECK(snapshot_overlay_mount(rel, 1, p("m-sp-upper"), p("m-sp-work"), p("m-sp"), NULL,
				     &err) < 0 &&
		  strstr(err.msg, "absolute") != NULL,
	      "relative lower refused: %s", err.msg);
	CHECK(snapshot_overlay_mount(rel, 0, p("m-sp-upper"), p("m-sp-work"), p("m-sp"), NULL,
				     &err) < 0,
	      "no lower refused: %s", err.msg);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (mounts, chown, trusted xattrs)\n");
		return 77;
	}
	umask(022);
	must(mkdtemp(tmp) != NULL, "mkdtemp");
	make_layers();
	test_driver_names();
	test_merged_views();
	test_many_layers();
	test_special_names();
	cleanup();
	return TEST_DONE();
}
