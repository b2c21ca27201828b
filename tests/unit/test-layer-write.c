/* layer-write: an overlay upper dir (0/0 character devices, an opaque
 * directory) becomes a tar with OCI's whiteouts, read back with
 * libarchive; and the tar unpacks (layer_apply) to the same overlay form.
 * With strip_privileges (cp out without -a) no set-id bit, file
 * capability or device node is written. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/layer-write.h"
#include "image/layer.h"
#include "test.h"
#include "util/err.h"
#include "util/fs.h"

#define MAX_ENTRIES 32

struct seen {
	char name[256];
	mode_t type;
	int64_t size;
	char link[256];    /* symlink or hard link target */
	bool opaque_xattr; /* carried trusted.overlay.opaque */
	bool user_xattr;   /* carried user.test */
	bool cap_xattr;    /* carried security.capability */
	unsigned uid, gid;
	mode_t perm;
};

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int r;

	if (fd < 0)
		return -1;
	r = fs_write_all(fd, text, strlen(text), -1);
	close(fd);
	return r;
}

static int make_upper(const char *d)
{
	char p[512], q[512];

#define P(x) (snprintf(p, sizeof(p), "%s/%s", d, x), p)
#define Q(x) (snprintf(q, sizeof(q), "%s/%s", d, x), q)
	if (mkdir(P("etc"), 0755) < 0 || write_file(P("etc/passwd"), "root:x:0:0\n") < 0 ||
	    link(P("etc/passwd"), Q("etc/hl")) < 0 ||
	    mknod(P("etc/removed"), S_IFCHR | 0, makedev(0, 0)) < 0 ||
	    mknod(P("gone"), S_IFCHR | 0, makedev(0, 0)) < 0 || mkdir(P("opq"), 0700) < 0 ||
	    setxattr(P("opq"), "trusted.overlay.opaque", "y", 1, 0) < 0 ||
	    write_file(P("opq/new"), "new") < 0 || symlink("/etc/passwd", P("link")) < 0 ||
	    write_file(P("x"), "") < 0 || lchown(P("x"), 123, 456) < 0)
		return -1;
	/* user xattrs need a filesystem that has them (tmpfs since 6.6). */
	setxattr(P("x"), "user.test", "v", 1, 0);
#undef P
#undef Q
	return 0;
}

static int write_tar_opts(const char *dir, const char *out, const struct layer_write_opts *o,
			  struct berth_err *err)
{
	struct layer_tar t;
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int r = -1;

	if (dfd < 0 || fd < 0)
		goto out;
	if (layer_tar_open(&t, layer_sink_fd, &fd, err) < 0)
		goto out;
	if (layer_write_node(t.a, dfd, NULL, o, err) < 0) {
		layer_tar_abort(&t);
		goto out;
	}
	r = layer_tar_close(&t, err);
out:
	if (dfd >= 0)
		close(dfd);
	if (fd >= 0)
		close(fd);
	return r;
}

static int write_tar(const char *dir, const char *out, bool whiteouts, struct berth_err *err)
{
	struct layer_write_opts o = { .what = "upper", .overlay_whiteouts = whiteouts };

	return write_tar_opts(dir, out, &o, err);
}

static size_t read_tar(const char *path, struct seen *v)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t n = 0;

	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 10240) != ARCHIVE_OK)
		return 0;
	while (n < MAX_ENTRIES && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		struct seen *s = &v[n++];
		const char *name, *l;
		const void *val;
		size_t len;

		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%s", archive_entry_pathname(e));
		s->type = archive_entry_filetype(e);
		s->size = archive_entry_size(e);
		s->uid = (unsigned)archive_entry_uid(e);
		s->gid = (unsigned)archive_entry_gid(e);
		s->perm = archive_entry_perm(e);
		l = archive_entry_hardlink(e) ? archive_entry_hardlink(e)
					      : archive_entry_symlink(e);
		snprintf(s->link, sizeof(s->link), "%s", l ? l : "");
		archive_entry_xattr_reset(e);
		while (archive_entry_xattr_next(e, &name, &val, &len) == ARCHIVE_OK) {
			s->opaque_xattr |= strcmp(name, "trusted.overlay.opaque") == 0;
			s->user_xattr |= strcmp(name, "user.test") == 0;
			s->cap_xattr |= strcmp(name, "security.capability") == 0;
		}
	}
	archive_read_free(a);
	return n;
}

static const struct seen *find(const struct seen *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static void check_whiteout_tar(const struct seen *v, size_t n)
{
	/* In the order of the upper dir's names: a whiteout where its
	 * device was. */
	static const char *const want[] = {
		"etc/", "etc/hl", "etc/passwd",       "etc/.wh.removed", ".wh.gone",
		"link", "opq/",   "opq/.wh..wh..opq", "opq/new",         "x",
	};
	const struct seen *s;

	CHECK(n == sizeof(want) / sizeof(want[0]), "%zu entries", n);
	for (size_t i = 0; i < n && i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_STR(v[i].name, want[i], "entry in name order");
	s = find(v, n, ".wh.gone");
	CHECK(s && s->type == AE_IFREG && s->size == 0, "a 0/0 device is an empty .wh. file");
	s = find(v, n, "etc/.wh.removed");
	CHECK(s && s->type == AE_IFREG && s->size == 0, "a whiteout in a subdirectory too");
	s = find(v, n, "opq/.wh..wh..opq");
	CHECK(s && s->type == AE_IFREG && s->size == 0, "an opaque directory gets its marker");
	s = find(v, n, "opq/");
	CHECK(s && s->type == AE_IFDIR && !s->opaque_xattr,
	      "the opaque xattr itself is not carried");
	s = find(v, n, "etc/hl");
	CHECK(s && s->type == AE_IFREG && s->size == 11, "the first name of a file has its data");
	s = find(v, n, "etc/passwd");
	CHECK(s && strcmp(s->link, "etc/hl") == 0 && s->size == 0,
	      "the second name is a hard link to the first");
	s = find(v, n, "link");
	CHECK(s && s->type == AE_IFLNK && strcmp(s->link, "/etc/passwd") == 0,
	      "a symlink is kept, not followed");
	s = find(v, n, "x");
	CHECK(s && s->uid == 123 && s->gid == 456, "owners are kept");
}

/* The tar unpacks to the overlay form again: whiteouts and opaque dir. */
static void check_roundtrip(const char *tar, const char *dest)
{
	struct layer_apply_opts o = { .what = "roundtrip", .tee_fd = -1 };
	struct berth_err err = { 0 };
	int in = open(tar, O_RDONLY | O_CLOEXEC);
	int dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	char v[4] = "";
	char path[512];

	CHECK(in >= 0 && dfd >= 0 && layer_apply(in, dfd, &o, NULL, &err) == 0, "apply: %s",
	      err.msg);
	snprintf(path, sizeof(path), "%s/gone", dest);
	CHECK(lstat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0),
	      "the whiteout unpacks to a 0/0 device");
	snprintf(path, sizeof(path), "%s/opq", dest);
	CHECK(getxattr(path, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y',
	      "the opaque directory unpacks opaque");
	if (in >= 0)
		close(in);
	if (dfd >= 0)
		close(dfd);
}

/* A tree a container could leave: set-id files, a file capability
 * (cap_net_bind_service, VFS_CAP_REVISION_2), a character and a block
 * device. */
static int make_privileged(const char *d)
{
	static const uint32_t cap[5] = { 0x02000001, 1u << 10, 0, 0, 0 };
	char p[512];

#define P(x) (snprintf(p, sizeof(p), "%s/%s", d, x), p)
	if (write_file(P("suid"), "s") < 0 || chmod(p, 04755) < 0 ||
	    write_file(P("sgid"), "g") < 0 || chmod(p, 02711) < 0 ||
	    write_file(P("cap"), "c") < 0 ||
	    setxattr(p, "security.capability", cap, sizeof(cap), 0) < 0 ||
	    mknod(P("null"), S_IFCHR | 0666, makedev(1, 3)) < 0 ||
	    mknod(P("loop"), S_IFBLK | 0660, makedev(7, 255)) < 0)
		return -1;
#undef P
	return 0;
}

static void check_strip(const char *dir)
{
	char tree[300], out[300];
	size_t skipped = 0, n;
	struct seen v[MAX_ENTRIES];
	struct layer_write_opts o = {
		.what = "container",
		.strip_privileges = true,
		.skipped_devices = &skipped,
	};
	struct berth_err err = { 0 };
	const struct seen *s;

	snprintf(tree, sizeof(tree), "%s/privileged", dir);
	snprintf(out, sizeof(out), "%s/stripped.tar", dir);
	CHECK(mkdir(tree, 0755) == 0 && make_privileged(tree) == 0, "privileged tree: %s",
	      strerror(errno));
	CHECK(write_tar_opts(tree, out, &o, &err) == 0, "write stripped: %s", err.msg);
	n = read_tar(out, v);
	CHECK(n == 3 && skipped == 2,
	      "three files, the two devices left out and counted (%zu, %zu)", n, skipped);
	s = find(v, n, "suid");
	CHECK(s && s->perm == 0755, "setuid cleared (%o)", s ? (unsigned)s->perm : 0);
	s = find(v, n, "sgid");
	CHECK(s && s->perm == 0711, "setgid cleared (%o)", s ? (unsigned)s->perm : 0);
	s = find(v, n, "cap");
	CHECK(s && !s->cap_xattr, "security.capability left out");

	/* Without it (cp -a, export) everything stays. */
	o.strip_privileges = false;
	skipped = 0;
	CHECK(write_tar_opts(tree, out, &o, &err) == 0, "write whole: %s", err.msg);
	n = read_tar(out, v);
	s = find(v, n, "suid");
	CHECK(n == 5 && skipped == 0 && s && s->perm == 04755, "-a keeps setuid and devices");
	s = find(v, n, "cap");
	CHECK(s && s->cap_xattr, "-a keeps security.capability");
	s = find(v, n, "loop");
	CHECK(s && s->type == AE_IFBLK, "-a keeps a block device");
}

int main(void)
{
	char dir[] = "/tmp/test-layer-write.XXXXXX";
	char upper[300], tar[300], plain[300], dest[300];
	struct seen v[MAX_ENTRIES];
	struct berth_err err = { 0 };
	const struct seen *s;
	size_t n;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (mknod, trusted xattrs)\n");
		return 77;
	}
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(upper, sizeof(upper), "%s/upper", dir);
	snprintf(tar, sizeof(tar), "%s/layer.tar", dir);
	snprintf(plain, sizeof(plain), "%s/plain.tar", dir);
	snprintf(dest, sizeof(dest), "%s/dest", dir);
	CHECK(mkdir(upper, 0755) == 0 && make_upper(upper) == 0, "fake upper dir: %s",
	      strerror(errno));
	CHECK(write_tar(upper, tar, true, &err) == 0, "write with whiteouts: %s", err.msg);
	n = read_tar(tar, v);
	check_whiteout_tar(v, n);

	/* Without the conversion (export of a merged tree) a device is a device. */
	CHECK(write_tar(upper, plain, false, &err) == 0, "write plain: %s", err.msg);
	n = read_tar(plain, v);
	s = find(v, n, "gone");
	CHECK(s && s->type == AE_IFCHR, "without whiteouts a device stays a device");
	CHECK(find(v, n, "opq/.wh..wh..opq") == NULL, "and no opaque marker");

	CHECK(mkdir(dest, 0755) == 0, "dest dir");
	check_roundtrip(tar, dest);
	check_strip(dir);

	fs_rm_rf(dir, &err);
	return TEST_DONE();
}
