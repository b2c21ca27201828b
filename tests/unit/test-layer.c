/* layer_apply, layer_diff_id and layer_dir_size on tars built here, with
 * libarchive's writer and with GNU tar, plain and compressed: what lands on
 * disk (types, modes, owners, times, xattrs, whiteouts), the DiffID against
 * sha256sum, and hostile archives that must fail with an error naming the
 * entry while nothing changes outside the layer directory. Needs root
 * (owners, device nodes, trusted.* and security.* xattrs). */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/layer-size.h"
#include "image/layer.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define T0 1500000000 /* mtimes given to entries */

static char *base;     /* /tmp/berth-test-layer-XXXXXX */
static char *sandbox;  /* base/sandbox: the hostile layers' directories, and */
static char *sentinel; /* base/sandbox/sentinel, which no layer may touch */

static void die(const char *what)
{
	fprintf(stderr, "test-layer: %s: %s\n", what, strerror(errno));
	exit(1);
}

static char *tpath(const char *name)
{
	return xasprintf("%s/%s", base, name);
}

/* ---- building tars with libarchive ---- */

/* pax, or ustar where a test needs to know where each block falls. */
static struct archive *tar_new_fmt(const char *name, bool ustar)
{
	struct archive *a = archive_write_new();
	autofree char *p = tpath(name);
	int r = ustar ? archive_write_set_format_ustar(a) : archive_write_set_format_pax(a);

	if (r != ARCHIVE_OK || archive_write_open_filename(a, p) != ARCHIVE_OK)
		die(archive_error_string(a));
	return a;
}

static struct archive *tar_new(const char *name)
{
	return tar_new_fmt(name, false);
}

static void tar_close(struct archive *a)
{
	if (archive_write_close(a) != ARCHIVE_OK)
		die(archive_error_string(a));
	archive_write_free(a);
}

static struct archive_entry *ent(const char *name, unsigned type, unsigned perm)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_mtime(e, T0, 0);
	return e;
}

static void put(struct archive *a, struct archive_entry *e, const char *data)
{
	size_t len = data != NULL ? strlen(data) : 0;

	if (archive_entry_filetype(e) == AE_IFREG && archive_entry_hardlink(e) == NULL)
		archive_entry_set_size(e, (la_int64_t)len);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		die(archive_error_string(a));
	if (len > 0 && archive_write_data(a, data, len) != (la_ssize_t)len)
		die(archive_error_string(a));
	archive_entry_free(e);
}

static void put_file(struct archive *a, const char *name, unsigned perm, const char *data)
{
	put(a, ent(name, AE_IFREG, perm), data);
}

static void put_dir(struct archive *a, const char *name, unsigned perm)
{
	put(a, ent(name, AE_IFDIR, perm), NULL);
}

static void put_symlink(struct archive *a, const char *name, const char *target)
{
	struct archive_entry *e = ent(name, AE_IFLNK, 0777);

	archive_entry_set_symlink(e, target);
	put(a, e, NULL);
}

static void put_hardlink(struct archive *a, const char *name, const char *target)
{
	struct archive_entry *e = ent(name, AE_IFREG, 0644);

	archive_entry_set_hardlink(e, target);
	put(a, e, NULL);
}

/* ---- running layer_apply ---- */

static int open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		die(path);
	return fd;
}

/* Applies base/TAR into DEST (made here, empty). */
static int apply_tar(const char *tar, const char *dest, int tee_fd, uint64_t max_entries,
		     struct layer_apply_result *res, struct berth_err *err)
{
	autofree char *tp = tpath(tar);
	autoclose int in = open(tp, O_RDONLY | O_CLOEXEC);
	autoclose int dfd = -1;
	struct layer_apply_opts opts = { .what = tar,
					 .tee_fd = tee_fd,
					 .max_entries = max_entries };

	if (in < 0)
		die(tp);
	if (mkdir(dest, 0755) < 0)
		die(dest);
	dfd = open_dir(dest);
	return layer_apply(in, dfd, &opts, res, err);
}

static char *file_digest(const char *name)
{
	autofree char *p = tpath(name);
	autofree char *data = NULL;
	char out[DIGEST_STR_LEN + 1];
	struct berth_err err;
	size_t len;

	if (fs_read_file(p, (size_t)1 << 30, &data, &len, &err) < 0)
		die(p);
	digest_buf(data, len, out);
	return xstrdup(out);
}

/* "sha256:" + the first word that a shell command prints. */
static char *cmd_digest(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *cmd_digest(const char *fmt, ...)
{
	char cmd[4096], line[256] = "";
	va_list va;
	FILE *f;

	va_start(va, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, va);
	va_end(va);
	f = popen(cmd, "r");
	if (f == NULL || fgets(line, sizeof(line), f) == NULL)
		die(cmd);
	pclose(f);
	line[strcspn(line, " \t\n")] = '\0';
	return xasprintf("sha256:%s", line);
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list va;

	va_start(va, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, va);
	va_end(va);
	return system(cmd);
}

static bool lstat_at(const char *dir, const char *name, struct stat *st)
{
	autofree char *p = xasprintf("%s/%s", dir, name);

	return lstat(p, st) == 0;
}

static char *read_at(const char *dir, const char *name)
{
	autofree char *p = xasprintf("%s/%s", dir, name);
	char *data = NULL;
	size_t len;
	struct berth_err err;

	if (fs_read_file(p, 1 << 20, &data, &len, &err) < 0)
		return xstrdup("(unreadable)");
	return data;
}

static ssize_t xattr_at(const char *dir, const char *name, const char *key, void *buf, size_t size)
{
	autofree char *p = xasprintf("%s/%s", dir, name);

	return lgetxattr(p, key, buf, size);
}

/* ---- what lands on disk ---- */

/* A v2 vfs_cap_data with CAP_NET_RAW (13) permitted and effective. */
static const uint32_t cap_net_raw[5] = { 0x02000001, 1u << 13, 0, 0, 0 };

static void build_tree_tar(const char *name)
{
	struct archive *a = tar_new(name);
	struct archive_entry *e;

	e = ent("./", AE_IFDIR, 0751);
	archive_entry_set_mtime(e, T0 + 1, 0);
	put(a, e, NULL);
	e = ent("etc/", AE_IFDIR, 0750);
	archive_entry_set_mtime(e, T0 + 2, 500);
	put(a, e, NULL);
	e = ent("etc/conf", AE_IFREG, 0640);
	archive_entry_set_uid(e, 1000);
	archive_entry_set_gid(e, 2000);
	archive_entry_set_mtime(e, T0 + 3, 123456789);
	archive_entry_set_atime(e, T0 + 4, 0);
	put(a, e, "hello\n");
	e = ent("bin/su", AE_IFREG, 04755);
	archive_entry_set_uid(e, 1000);
	archive_entry_set_gid(e, 1000);
	put(a, e, "su");
	e = ent("bin/ping", AE_IFREG, 0755);
	archive_entry_xattr_add_entry(e, "security.capability", cap_net_raw, sizeof(cap_net_raw));
	archive_entry_xattr_add_entry(e, "user.x", "file", 4);
	archive_entry_xattr_add_entry(e, "trusted.overlay.redirect", "/etc", 4);
	put(a, e, "ping");
	e = ent("xdir/", AE_IFDIR, 0755);
	archive_entry_xattr_add_entry(e, "user.x", "dir", 3);
	put(a, e, NULL);
	e = ent("sym", AE_IFLNK, 0777);
	archive_entry_set_symlink(e, "etc/conf");
	archive_entry_set_uid(e, 1001);
	archive_entry_set_mtime(e, T0 + 5, 0);
	put(a, e, NULL);
	put_symlink(a, "abs-sym", "/etc/passwd");
	put_hardlink(a, "hl", "etc/conf");
	e = ent("dev/null", AE_IFCHR, 0666);
	archive_entry_set_rdevmajor(e, 1);
	archive_entry_set_rdevminor(e, 3);
	put(a, e, NULL);
	e = ent("dev/loop0", AE_IFBLK, 0660);
	archive_entry_set_rdevmajor(e, 7);
	archive_entry_set_rdevminor(e, 0);
	archive_entry_set_gid(e, 6);
	put(a, e, NULL);
	put(a, ent("fifo", AE_IFIFO, 0620), NULL);
	put_file(a, "deep/a/b/c/file", 0644, "deep");
	put_file(a, "./x//y", 0600, "slashes");
	/* whiteouts and opaque directories */
	put_file(a, ".wh.gone", 0644, NULL);
	put_file(a, "over", 0644, "there");
	put_file(a, ".wh.over", 0644, NULL);
	put_dir(a, "opq/", 0755);
	put_file(a, "opq/.wh..wh..opq", 0644, NULL);
	put_file(a, "newopq/.wh..wh..opq", 0644, NULL);
	put_file(a, ".wh..wh.plnk/123.456", 0644, "aufs");
	put_file(a, "xdir/.wh..wh.aufs", 0644, NULL);
	/* later entries replace earlier ones */
	put_file(a, "ow", 0644, "one");
	put_file(a, "ow", 0600, "two");
	put_dir(a, "odir/", 0755);
	put_file(a, "odir/child", 0644, "c");
	put_file(a, "odir", 0644, "now a file");
	put_file(a, "ofile", 0644, "f");
	put_dir(a, "ofile/", 0700);
	put_dir(a, "etc/", 0755); /* directory over directory: metadata only */
	e = ent("etc/", AE_IFDIR, 0750);
	archive_entry_set_mtime(e, T0 + 2, 500);
	put(a, e, NULL);
	tar_close(a);
}

static void check_tree(const char *d)
{
	struct stat st, st2;
	char buf[64];
	ssize_t n;
	autofree char *conf = NULL;
	autofree char *ow = read_at(d, "ow");
	autofree char *odir = read_at(d, "odir");
	char target[64] = "";

	CHECK(lstat_at(d, ".", &st) && (st.st_mode & 07777) == 0751 && st.st_mtime == T0 + 1,
	      "./ sets the layer root's mode and mtime");
	CHECK(lstat_at(d, "etc", &st) && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0750 &&
		  st.st_mtim.tv_sec == T0 + 2 && st.st_mtim.tv_nsec == 500,
	      "etc/: mode 0750, mtime set after its children (and by the later entry)");
	CHECK(lstat_at(d, "etc/conf", &st) && (st.st_mode & 07777) == 0640 && st.st_uid == 1000 &&
		  st.st_gid == 2000 && st.st_mtim.tv_sec == T0 + 3 &&
		  st.st_mtim.tv_nsec == 123456789 && st.st_atim.tv_sec == T0 + 4,
	      "etc/conf: mode, owner, mtime with ns, atime");
	conf = read_at(d, "etc/conf"); /* after the stat: reading moves the atime */
	CHECK_STR(conf, "hello\n", "etc/conf content");
	CHECK(lstat_at(d, "bin/su", &st) && (st.st_mode & 07777) == 04755 && st.st_uid == 1000,
	      "bin/su keeps its setuid bit after chown to 1000 (mode %04o)",
	      (unsigned)(st.st_mode & 07777));
	n = xattr_at(d, "bin/ping", "security.capability", buf, sizeof(buf));
	CHECK(n == (ssize_t)sizeof(cap_net_raw) && memcmp(buf, cap_net_raw, (size_t)n) == 0,
	      "bin/ping has its security.capability (%zd bytes)", n);
	n = xattr_at(d, "bin/ping", "user.x", buf, sizeof(buf));
	CHECK(n == 4 && memcmp(buf, "file", 4) == 0, "bin/ping has user.x");
	CHECK(xattr_at(d, "bin/ping", "trusted.overlay.redirect", buf, sizeof(buf)) < 0,
	      "trusted.overlay.* xattrs from the tar are dropped");
	n = xattr_at(d, "xdir", "user.x", buf, sizeof(buf));
	CHECK(n == 3 && memcmp(buf, "dir", 3) == 0, "xdir/ has user.x");
	CHECK(lstat_at(d, "bin", &st) && (st.st_mode & 07777) == 0755,
	      "missing parent bin/ made 0755");
	CHECK(lstat_at(d, "sym", &st) && S_ISLNK(st.st_mode) && st.st_uid == 1001 &&
		  st.st_mtime == T0 + 5,
	      "sym: symlink with its owner and mtime");
	autofree char *sp = xasprintf("%s/abs-sym", d);
	CHECK(readlink(sp, target, sizeof(target) - 1) > 0 && strcmp(target, "/etc/passwd") == 0,
	      "abs-sym points at /etc/passwd verbatim");
	CHECK(lstat_at(d, "hl", &st) && lstat_at(d, "etc/conf", &st2) && st.st_ino == st2.st_ino &&
		  st.st_nlink == 2,
	      "hl is a hard link of etc/conf");
	CHECK(lstat_at(d, "dev/null", &st) && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) &&
		  (st.st_mode & 07777) == 0666,
	      "dev/null: char 1:3 0666");
	CHECK(lstat_at(d, "dev/loop0", &st) && S_ISBLK(st.st_mode) && st.st_rdev == makedev(7, 0) &&
		  st.st_gid == 6,
	      "dev/loop0: block 7:0 group 6");
	CHECK(lstat_at(d, "fifo", &st) && S_ISFIFO(st.st_mode) && (st.st_mode & 07777) == 0620,
	      "fifo: fifo 0620");
	CHECK(lstat_at(d, "deep/a/b/c/file", &st) && S_ISREG(st.st_mode), "deep/a/b/c/file");
	CHECK(lstat_at(d, "x/y", &st) && S_ISREG(st.st_mode), "./x//y lands at x/y");
	CHECK(lstat_at(d, "gone", &st) && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0),
	      ".wh.gone: gone is a 0/0 char device");
	CHECK(!lstat_at(d, ".wh.gone", &st), "no .wh.gone file");
	CHECK(lstat_at(d, "over", &st) && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0),
	      ".wh.over replaces the file over unpacked earlier");
	n = xattr_at(d, "opq", "trusted.overlay.opaque", buf, sizeof(buf));
	CHECK(n == 1 && buf[0] == 'y', "opq/ is opaque");
	CHECK(!lstat_at(d, "opq/.wh..wh..opq", &st), "no .wh..wh..opq file");
	n = xattr_at(d, "newopq", "trusted.overlay.opaque", buf, sizeof(buf));
	CHECK(n == 1 && buf[0] == 'y', "newopq/ made and opaque");
	CHECK(!lstat_at(d, ".wh..wh.plnk", &st) && !lstat_at(d, "xdir/.wh..wh.aufs", &st),
	      "aufs bookkeeping skipped");
	CHECK_STR(ow, "two", "a later entry replaces an earlier file");
	CHECK(lstat_at(d, "ow", &st) && (st.st_mode & 07777) == 0600, "with its own mode");
	CHECK_STR(odir, "now a file", "a file replaces a directory tree");
	CHECK(lstat_at(d, "ofile", &st) && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700,
	      "a directory replaces a file");
}

static void test_tree(void)
{
	struct layer_apply_result res;
	struct berth_err err = { 0 };
	autofree char *d = tpath("tree");
	autofree char *want = NULL;
	uint64_t size = 0;
	int r;

	build_tree_tar("tree.tar");
	want = file_digest("tree.tar");
	r = apply_tar("tree.tar", d, -1, 0, &res, &err);
	CHECK(r == 0, "apply tree.tar: %s", r == 0 ? "ok" : err.msg);
	if (r < 0)
		return;
	check_tree(d);
	CHECK_STR(res.diff_id, want, "DiffID is the tar's sha256");
	CHECK(res.entries == 31, "31 entries counted (%llu)", (unsigned long long)res.entries);

	autoclose int dfd = open_dir(d);
	autofree char *du = cmd_digest("du -sb %s", d); /* "sha256:<bytes>" */
	r = layer_dir_size(dfd, &size, &err);
	CHECK(r == 0 && size == strtoull(du + 7, NULL, 10), "layer_dir_size %llu is du -sb's %s",
	      (unsigned long long)size, du + 7);
	{
		/* docker's layer size: the regular files, a hard-linked one once */
		autofree char *want_regular =
		    cmd_digest("find %s -type f -printf '%%i %%s\\n' | sort -u | "
			       "awk '{ s += $2 } END { print s + 0 }'",
			       d);
		uint64_t regular = 0;

		r = layer_dir_content_size(dfd, &regular, &err);
		CHECK(r == 0 && regular == strtoull(want_regular + 7, NULL, 10),
		      "layer_dir_content_size %llu is the regular files' %s",
		      (unsigned long long)regular, want_regular + 7);
	}
}

/* ---- DiffIDs of compressed streams, tee ---- */

static void check_diff_id(const char *tar, const char *want, const char *what)
{
	struct layer_apply_result res;
	struct berth_err err = { 0 };
	autofree char *d = tpath(tar);
	autofree char *dest = xasprintf("%s.d", d);
	autofree char *tee = xasprintf("%s.tee", d);
	autofree char *teename = xasprintf("%s.tee", tar);
	autoclose int tfd = open(tee, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	autoclose int in = open(d, O_RDONLY | O_CLOEXEC);
	char out[DIGEST_STR_LEN + 1] = "";
	uint64_t size = 0;
	int r;

	r = apply_tar(tar, dest, tfd, 0, &res, &err);
	CHECK(r == 0, "%s: apply: %s", what, r == 0 ? "ok" : err.msg);
	CHECK(r == 0 && strcmp(res.diff_id, want) == 0, "%s: DiffID %s", what,
	      r == 0 ? res.diff_id : "-");
	autofree char *teed = file_digest(teename);
	CHECK_STR(teed, want, "the tee got the uncompressed tar");
	r = layer_diff_id(in, tar, out, &size, &err);
	CHECK(r == 0 && strcmp(out, want) == 0 && size == res.tar_size,
	      "%s: layer_diff_id agrees (%llu bytes)", what, (unsigned long long)size);
}

/* zstd by libarchive's writer (raw format: the bytes alone), so the test
 * needs no zstd command. */
static void zstd_compress(const char *from, const char *to)
{
	autofree char *src = tpath(from), *dst = tpath(to);
	autofree char *data = NULL;
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	struct berth_err err;
	size_t n;

	if (fs_read_file(src, 64 << 20, &data, &n, &err) < 0)
		die(err.msg);
	archive_entry_set_pathname(e, "data");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)n);
	if (archive_write_set_format_raw(a) != ARCHIVE_OK ||
	    archive_write_add_filter_zstd(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, dst) != ARCHIVE_OK ||
	    archive_write_header(a, e) != ARCHIVE_OK ||
	    archive_write_data(a, data, n) != (la_ssize_t)n || archive_write_close(a) != ARCHIVE_OK)
		die(archive_error_string(a));
	archive_write_free(a);
	archive_entry_free(e);
}

static void test_gnu_tar(void)
{
	autofree char *src = tpath("src");
	autofree char *want = NULL, *want_gz = NULL, *want_zst = NULL, *want_pax = NULL;
	autofree char *gnu_d = tpath("gnu.tar.d");
	autofree char *pax_d = NULL;
	struct stat st;

	/* A tree with a sparse file (data at 0 and 4 MiB, size 8 MiB), a
	 * hard link, a symlink. (No fifo: diff -r would open it.) */
	if (run("set -e; mkdir -p %1$s/dir/sub; echo hi > %1$s/dir/f; ln %1$s/dir/f %1$s/hl;"
		"ln -s dir/f %1$s/sl; chmod 2750 %1$s/dir;"
		"printf head > %1$s/sparse; printf mid | dd of=%1$s/sparse bs=1 seek=4194304 "
		"conv=notrunc status=none; truncate -s 8M %1$s/sparse;"
		"chown -R 123:456 %1$s/dir; touch -h -d @1400000000 %1$s/sl %1$s/dir/sub",
		src) != 0)
		die("make src tree");
	if (run("set -e; cd %1$s; tar --numeric-owner --sparse -C src -cf gnu.tar .;"
		"tar --numeric-owner --sparse --format=pax -C src -cf pax.tar .;"
		"gzip -9 -c gnu.tar > gnu.tar.gz",
		base) != 0)
		die("make GNU tars");
	zstd_compress("gnu.tar", "gnu.tar.zst");

	want = cmd_digest("sha256sum %s/gnu.tar", base);
	want_gz = cmd_digest("zcat %s/gnu.tar.gz | sha256sum", base);
	want_pax = cmd_digest("sha256sum %s/pax.tar", base);
	CHECK_STR(want_gz, want, "zcat gives back the tar");
	if (run("command -v zstd >/dev/null") == 0) {
		want_zst = cmd_digest("zstd -q -d -c %s/gnu.tar.zst | sha256sum", base);
		CHECK_STR(want_zst, want, "zstd -d gives back the tar");
	} else {
		printf("# no zstd command: the .zst is checked by its DiffID alone\n");
	}
	check_diff_id("gnu.tar", want, "GNU tar");
	check_diff_id("gnu.tar.gz", want, "gzip");
	check_diff_id("gnu.tar.zst", want, "zstd");
	check_diff_id("pax.tar", want_pax, "pax tar");

	CHECK(run("diff -r --no-dereference %s %s", src, gnu_d) == 0,
	      "the GNU tar layer matches its source tree");
	CHECK(lstat_at(gnu_d, "sparse", &st) && st.st_size == 8 << 20 && st.st_blocks < 256,
	      "sparse file: 8 MiB with %lld blocks", (long long)st.st_blocks);
	pax_d = tpath("pax.tar.d");
	CHECK(lstat_at(pax_d, "sparse", &st) && st.st_size == 8 << 20 && st.st_blocks < 256,
	      "pax sparse file: 8 MiB with %lld blocks", (long long)st.st_blocks);
	CHECK(run("diff -r --no-dereference %s %s", src, pax_d) == 0,
	      "the pax layer matches its source tree");
	CHECK(run("cd %s && test \"$(stat -c %%a:%%u:%%g:%%Y dir dir/sub sl)\" = "
		  "\"$(cd %s && stat -c %%a:%%u:%%g:%%Y dir dir/sub sl)\"",
		  src, gnu_d) == 0,
	      "modes, owners, directory and symlink mtimes as in the source");
}

/* An empty layer as docker writes it: 1024 zero bytes. */
static void test_empty_layer(void)
{
	static const char zeros[1024];
	struct layer_apply_result res;
	struct berth_err err = { 0 };
	autofree char *p = tpath("empty.tar");
	autofree char *d = tpath("empty.d");
	struct berth_err werr;
	int r;

	if (fs_write_file_atomic(p, zeros, sizeof(zeros), 0644, &werr) < 0)
		die(werr.msg);
	r = apply_tar("empty.tar", d, -1, 0, &res, &err);
	CHECK(r == 0 &&
		  strcmp(res.diff_id, "sha256:5f70bf18a086007016e948b04aed3b82103a36bea417"
				      "55b6cddfaf10ace3c6ef") == 0 &&
		  res.entries == 0,
	      "the empty layer applies with docker's well-known DiffID: %s",
	      r == 0 ? res.diff_id : err.msg);
}

struct thread_arg {
	int n;
	int r;
	char diff_id[DIGEST_STR_LEN + 1];
};

static void *apply_thread(void *p)
{
	struct thread_arg *t = p;
	struct layer_apply_result res;
	struct berth_err err;
	autofree char *d = xasprintf("%s/thread-%d", base, t->n);

	t->r = apply_tar("gnu.tar.gz", d, -1, 0, &res, &err);
	if (t->r == 0)
		memcpy(t->diff_id, res.diff_id, sizeof(t->diff_id));
	return NULL;
}

static void test_threads(void)
{
	struct thread_arg args[4];
	pthread_t th[4];
	autofree char *want = file_digest("gnu.tar");

	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ .n = i };
		pthread_create(&th[i], NULL, apply_thread, &args[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 4; i++)
		CHECK(args[i].r == 0 && strcmp(args[i].diff_id, want) == 0,
		      "thread %d applied the layer (%s)", i, args[i].diff_id);
}

/* ---- hostile layers ---- */

/* Applies base/TAR into sandbox/TAR.d and expects -1 with want in the
 * message. */
static void expect_refused(const char *tar, const char *want, uint64_t max_entries)
{
	struct layer_apply_result res;
	struct berth_err err = { 0 };
	autofree char *d = xasprintf("%s/%s.d", sandbox, tar);
	int r = apply_tar(tar, d, -1, max_entries, &res, &err);

	CHECK(r == -1 && strstr(err.msg, want) != NULL && strlen(err.msg) < 400, "%s: %s", tar,
	      r == 0 ? "applied!" : err.msg);
}

static void hostile_names(void)
{
	static const char *const names[][2] = {
		{ "../escape", "entry \"../escape\": path escapes the layer" },
		{ "/abs", "entry \"/abs\": absolute path" },
		{ "a/../../x", "entry \"a/../../x\": path escapes the layer" },
		{ "./..", "path escapes the layer" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		autofree char *tar = xasprintf("name%zu.tar", i);
		struct archive *a = tar_new(tar);

		put_file(a, "ok", 0644, "ok");
		put_file(a, names[i][0], 0644, "pwned");
		tar_close(a);
		expect_refused(tar, names[i][1], 0);
	}
}

static void hostile_links(void)
{
	struct archive *a;

	a = tar_new("link-root.tar");
	put_symlink(a, "link", "/");
	put_file(a, "link/etc/passwd", 0644, "pwned");
	tar_close(a);
	expect_refused("link-root.tar", "entry \"link/etc/passwd\": \"link\" is a symlink", 0);

	a = tar_new("link-sentinel.tar");
	put_dir(a, "d", 0755);
	put_symlink(a, "d/link", "../../sentinel");
	put_file(a, "d/link/pwned", 0644, "pwned");
	tar_close(a);
	expect_refused("link-sentinel.tar", "\"d/link\" is a symlink", 0);

	a = tar_new("link-up.tar");
	put_symlink(a, "link", "..");
	put_file(a, "link/x", 0644, "pwned");
	tar_close(a);
	expect_refused("link-up.tar", "entry \"link/x\": \"link\" is a symlink", 0);

	a = tar_new("hardlink-up.tar");
	put_hardlink(a, "h", "../../etc/passwd");
	tar_close(a);
	expect_refused("hardlink-up.tar",
		       "entry \"h\": hard link target \"../../etc/passwd\": path escapes", 0);

	a = tar_new("hardlink-abs.tar");
	put_hardlink(a, "h", "/etc/passwd");
	tar_close(a);
	expect_refused("hardlink-abs.tar", "entry \"h\": hard link target \"/etc/passwd\"", 0);

	a = tar_new("hardlink-sym.tar");
	put_symlink(a, "s", "../sentinel");
	put_hardlink(a, "h", "s/keep");
	tar_close(a);
	expect_refused("hardlink-sym.tar", "entry \"h\": hard link target \"s\" is a symlink", 0);

	a = tar_new("hardlink-missing.tar");
	put_hardlink(a, "h", "nothere/file");
	tar_close(a);
	expect_refused("hardlink-missing.tar", "entry \"h\": hard link target \"nothere\" does not",
		       0);

	a = tar_new("opaque-sym.tar");
	put_symlink(a, "link", "../sentinel");
	put_file(a, "link/.wh..wh..opq", 0644, NULL);
	tar_close(a);
	expect_refused("opaque-sym.tar", "entry \"link/.wh..wh..opq\": \"link\" is a symlink", 0);

	a = tar_new("whiteout-sym.tar");
	put_symlink(a, "link", "../sentinel");
	put_file(a, "link/.wh.keep", 0644, NULL);
	tar_close(a);
	expect_refused("whiteout-sym.tar", "entry \"link/.wh.keep\": \"link\" is a symlink", 0);

	a = tar_new("file-parent.tar");
	put_file(a, "f", 0644, "file");
	put_file(a, "f/x", 0644, "x");
	tar_close(a);
	expect_refused("file-parent.tar", "entry \"f/x\": \"f\" is not a directory", 0);
}

/* Entries over a symlink replace the symlink; a hard link to a symlink
 * links the symlink itself. Nothing is followed. */
static void symlinks_replaced(void)
{
	struct archive *a = tar_new("sym-replace.tar");
	struct layer_apply_result res;
	struct berth_err err = { 0 };
	autofree char *d = xasprintf("%s/sym-replace.tar.d", sandbox);
	struct stat st;
	int r;

	put_symlink(a, "f", "../sentinel/keep");
	put_file(a, "f", 0644, "mine");
	put_symlink(a, "d", "../sentinel");
	put_dir(a, "d", 0755);
	put_symlink(a, "w", "../sentinel/keep");
	put_file(a, ".wh.w", 0644, NULL);
	put_symlink(a, "s", "../sentinel/keep");
	put_hardlink(a, "h", "s");
	tar_close(a);
	r = apply_tar("sym-replace.tar", d, -1, 0, &res, &err);
	CHECK(r == 0, "apply sym-replace.tar: %s", r == 0 ? "ok" : err.msg);
	autofree char *f = read_at(d, "f");
	CHECK_STR(f, "mine", "a file replaces a symlink (not written through it)");
	CHECK(lstat_at(d, "d", &st) && S_ISDIR(st.st_mode), "a directory replaces a symlink");
	CHECK(lstat_at(d, "w", &st) && S_ISCHR(st.st_mode), "a whiteout replaces a symlink");
	CHECK(lstat_at(d, "h", &st) && S_ISLNK(st.st_mode) && st.st_nlink == 2,
	      "a hard link to a symlink is the symlink");
}

static void hostile_limits(void)
{
	struct archive *a;
	struct archive_entry *e;
	autofree char *longname = xmalloc(5001);
	autofree char *bigval = xmalloc(65537);

	memset(longname, 'n', 5000);
	for (int i = 100; i < 5000; i += 100)
		longname[i] = '/';
	longname[5000] = '\0';
	a = tar_new("long-name.tar");
	put_file(a, longname, 0644, "x");
	tar_close(a);
	expect_refused("long-name.tar", "...\": name longer than 4096 bytes", 0);

	a = tar_new("long-target.tar");
	put_symlink(a, "s", longname);
	tar_close(a);
	expect_refused("long-target.tar", "entry \"s\": link target longer than 4096 bytes", 0);

	memset(bigval, 'v', 65537);
	a = tar_new("big-xattr.tar");
	e = ent("f", AE_IFREG, 0644);
	archive_entry_xattr_add_entry(e, "user.big", bigval, 65537);
	put(a, e, "x");
	tar_close(a);
	expect_refused("big-xattr.tar", "entry \"f\": xattr user.big: value larger than 65536", 0);

	a = tar_new("many.tar");
	for (int i = 0; i < 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%d", i);
		put_file(a, name, 0644, "x");
	}
	tar_close(a);
	expect_refused("many.tar", "entry \"f3\": more than 3 entries in the layer", 3);
}

/* A ustar header block, checksum included. */
static void ustar_header(char h[512], const char *name, char type, uint64_t size)
{
	unsigned sum = 0;

	memset(h, 0, 512);
	snprintf(h, 100, "%s", name);
	snprintf(h + 100, 8, "%07o", 0644);
	snprintf(h + 108, 8, "%07o", 0);
	snprintf(h + 116, 8, "%07o", 0);
	snprintf(h + 124, 12, "%011llo", (unsigned long long)size);
	snprintf(h + 136, 12, "%011o", T0);
	h[156] = type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

static void write_or_die(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		die("write");
}

/* A pax header whose 'path' record is 50 MB, streamed to disk so the test
 * itself does not hold it. */
static void hostile_pax_header(void)
{
	const size_t path_len = 50u << 20;
	autofree char *p = tpath("huge-pax.tar");
	autoclose int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	char h[512], prefix[64], chunk[65536];
	size_t rec_len, digits = 8, left;
	struct rusage before, after;

	if (fd < 0)
		die(p);
	/* "<len> path=<path>\n", len counting its own digits */
	rec_len = digits + strlen(" path=") + path_len + 1;
	snprintf(prefix, sizeof(prefix), "%zu path=", rec_len);
	ustar_header(h, "PaxHeader/f", 'x', rec_len);
	write_or_die(fd, h, 512);
	write_or_die(fd, prefix, strlen(prefix));
	memset(chunk, 'a', sizeof(chunk));
	for (left = path_len; left > 0;) {
		size_t n = left < sizeof(chunk) ? left : sizeof(chunk);

		write_or_die(fd, chunk, n);
		left -= n;
	}
	write_or_die(fd, "\n", 1);
	memset(chunk, 0, 512);
	write_or_die(fd, chunk, (512 - rec_len % 512) % 512);
	ustar_header(h, "f", '0', 0);
	write_or_die(fd, h, 512);
	write_or_die(fd, chunk, 512);
	write_or_die(fd, chunk, 512);

	getrusage(RUSAGE_SELF, &before);
	expect_refused("huge-pax.tar", "layer huge-pax.tar: ", 0);
	getrusage(RUSAGE_SELF, &after);
	CHECK(after.ru_maxrss - before.ru_maxrss < 32 * 1024,
	      "the 50 MB pax header did not blow up memory (+%ld KiB)",
	      after.ru_maxrss - before.ru_maxrss);
}

static void write_prefix(const char *from, const char *to, size_t len)
{
	autofree char *src = tpath(from), *dst = tpath(to);
	autofree char *data = NULL;
	size_t n;
	struct berth_err err;

	if (fs_read_file(src, 64 << 20, &data, &n, &err) < 0 ||
	    fs_write_file_atomic(dst, data, len < n ? len : n, 0644, &err) < 0)
		die(err.msg);
}

static size_t file_size(const char *name)
{
	autofree char *p = tpath(name);
	struct stat st;

	if (stat(p, &st) < 0)
		die(p);
	return (size_t)st.st_size;
}

static void hostile_streams(void)
{
	struct archive *a;
	size_t gz = file_size("gnu.tar.gz"), zst = file_size("gnu.tar.zst");
	static const char garbage[] = "this is not a tar archive, nor gzip, nor zstd, just bytes "
				      "that go on for a while to fill a block or so............";
	struct berth_err err;
	char out[DIGEST_STR_LEN + 1];

	/* A 3000-byte file cut in its data. */
	a = tar_new_fmt("big.tar", true);
	{
		autofree char *data = xmalloc(3001);

		memset(data, 'd', 3000);
		data[3000] = '\0';
		put_file(a, "first", 0644, "1");
		put_file(a, "big", 0644, data);
	}
	tar_close(a);
	write_prefix("big.tar", "cut-data.tar", 2048);
	expect_refused("cut-data.tar", "entry \"big\": Truncated tar archive", 0);
	/* Cut right after a whole entry: no end-of-archive marker. */
	write_prefix("big.tar", "cut-entry.tar", 1024);
	expect_refused("cut-entry.tar", "layer cut-entry.tar: truncated: no end-of-archive", 0);
	write_prefix("big.tar", "cut-header.tar", 1300);
	expect_refused("cut-header.tar", "layer cut-header.tar: ", 0);

	write_prefix("gnu.tar.gz", "cut.tar.gz", gz / 2);
	expect_refused("cut.tar.gz", "layer cut.tar.gz: ", 0);
	write_prefix("gnu.tar.gz", "cut-trailer.tar.gz", gz - 4);
	expect_refused("cut-trailer.tar.gz", "layer cut-trailer.tar.gz: ", 0);
	write_prefix("gnu.tar.zst", "cut.tar.zst", zst / 2);
	expect_refused("cut.tar.zst", "layer cut.tar.zst: ", 0);
	write_prefix("gnu.tar.zst", "cut-end.tar.zst", zst - 3);
	expect_refused("cut-end.tar.zst", "layer cut-end.tar.zst: ", 0);

	{
		autofree char *p = tpath("garbage.tar");
		autoclose int fd = -1;

		if (fs_write_file_atomic(p, garbage, sizeof(garbage), 0644, &err) < 0)
			die(err.msg);
		expect_refused("garbage.tar", "layer garbage.tar: ", 0);
		autofree char *c = tpath("cut.tar.gz");
		fd = open(c, O_RDONLY | O_CLOEXEC);
		CHECK(layer_diff_id(fd, "cut.tar.gz", out, NULL, &err) < 0 &&
			  strstr(err.msg, "layer cut.tar.gz: ") != NULL,
		      "layer_diff_id of a truncated gzip: %s", err.msg);
	}
	{
		autofree char *p = tpath("zero.tar");

		if (fs_write_file_atomic(p, "", 0, 0644, &err) < 0)
			die(err.msg);
		expect_refused("zero.tar", "layer zero.tar: ", 0);
	}
}

/* Nothing appeared next to the layer directories, and the sentinel is as
 * it was. */
static void check_sandbox(void)
{
	autoclosedir DIR *dir = opendir(sandbox);
	struct dirent *de;
	int strays = 0, in_sentinel = 0;
	autofree char *keep = read_at(sentinel, "keep");

	if (dir == NULL)
		die(sandbox);
	while ((de = readdir(dir)) != NULL) {
		size_t n = strlen(de->d_name);

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, "sentinel") == 0 ||
		    (n > 2 && strcmp(de->d_name + n - 2, ".d") == 0))
			continue;
		printf("# stray entry in the sandbox: %s\n", de->d_name);
		strays++;
	}
	CHECK(strays == 0, "nothing was made next to the layer directories");
	autoclosedir DIR *s = opendir(sentinel);
	while (s != NULL && (de = readdir(s)) != NULL)
		in_sentinel++;
	CHECK(in_sentinel == 3, "the sentinel directory holds only its file");
	CHECK_STR(keep, "keep\n", "the sentinel file is unchanged");
}

/* At exit, so that a die() half-way leaves nothing behind either. */
static void cleanup(void)
{
	struct berth_err err;

	if (base != NULL && fs_rm_rf(base, &err) < 0)
		fprintf(stderr, "test-layer: cleanup: %s\n", err.msg);
}

static void setup(void)
{
	struct berth_err err;
	autofree char *keep = NULL;

	base = xstrdup("/tmp/berth-test-layer-XXXXXX");
	if (mkdtemp(base) == NULL)
		die("mkdtemp");
	atexit(cleanup);
	sandbox = tpath("sandbox");
	sentinel = tpath("sandbox/sentinel");
	keep = tpath("sandbox/sentinel/keep");
	if (fs_mkdir_p(sentinel, 0755, &err) < 0 ||
	    fs_write_file_atomic(keep, "keep\n", 5, 0644, &err) < 0)
		die(err.msg);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (owners, device nodes, trusted xattrs)\n");
		return 77;
	}
	setup();
	test_tree();
	test_gnu_tar();
	test_empty_layer();
	test_threads();
	hostile_names();
	hostile_links();
	symlinks_replaced();
	hostile_limits();
	hostile_pax_header();
	hostile_streams();
	check_sandbox();
	return TEST_DONE();
}
