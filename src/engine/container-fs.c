/* docker's cp and export over a container's snapshot, and the access to
 * that root that diff and commit share (see container-fs.h). */
#include "engine/container-fs.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/container-fs-internal.h"
#include "image/layer-write.h"
#include "image/layer.h"
#include "image/snapshot.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/output.h"
#include "util/path.h"
#include "util/xalloc.h"

#define CP_BUF_SIZE (128 * 1024)

/* ---- the container's root ---- */

/* Mount points made for the container (the engine's /etc files, the
 * runtime's /dev and /proc targets when the image lacks them): docker
 * keeps them in an init layer that is neither a change nor committed. */
const char *const croot_init_paths[] = {
	"etc/hostname", "etc/hosts", "etc/resolv.conf", "etc/mtab", "dev/console",
	"dev/pts",      "dev/shm",   "dev/mqueue",      "proc",     "sys",
	"dev",          ".dockerenv", NULL,
};

static bool is_mount_point(const char *path)
{
	struct stat a, b;
	autofree char *parent = xasprintf("%s/..", path);

	return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

void croot_close(struct croot *r)
{
	struct berth_err ignored;

	if (r->fd >= 0)
		close(r->fd);
	/* Only what this call mounted, and only while the container is not
	 * running: a container started meanwhile keeps its root. */
	if (r->mounted_here && r->c.state != ENGINE_RUNNING)
		snapshot_unmount(r->sn.mountpoint, &ignored);
	store_snapshot_clear(&r->sn);
	engine_container_clear(&r->c);
	free(r->snapdir);
	r->fd = -1;
}

int croot_open(struct engine *e, const char *what, struct croot *r, struct berth_err *err)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if (engine_lookup(e, what, &r->c, err) < 0)
		return -1;
	if (store_snapshot_get(e->store, r->c.id, &r->sn, err) < 0) {
		engine_container_clear(&r->c);
		return -1;
	}
	r->snapdir = xasprintf("%s/snapshots/%s", e->store->root, r->c.id);
	if (strcmp(r->sn.driver, "overlay") == 0 && !is_mount_point(r->sn.mountpoint)) {
		if (store_snapshot_mount(e->store, r->c.id, err) < 0)
			goto fail;
		r->mounted_here = true;
	}
	r->fd = open(r->sn.mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->fd < 0) {
		berth_err_set(err, errno, "open %s", r->sn.mountpoint);
		goto fail;
	}
	return 0;
fail:
	croot_close(r);
	return -1;
}

bool croot_is_overlay(const struct croot *r)
{
	return strcmp(r->sn.driver, "overlay") == 0;
}

/* An fd usable for reading a directory or file that fd (O_PATH) names. */
int croot_reopen(int fd, int flags)
{
	char proc[64];

	return open(path_fd_to_proc(fd, proc), flags | O_CLOEXEC | O_NOCTTY);
}

/* ---- cp: paths as docker reads them ---- */

struct cp_path {
	char *clean;   /* without trailing "/" and "/." */
	char *base;    /* its last component ("" for the root) */
	bool contents; /* ended with "/.": the directory's contents */
	bool slash;    /* ended with "/" (or "/."): must be a directory */
};

static void cp_path_parse(const char *p, struct cp_path *out)
{
	size_t n = strlen(p);
	char *slash;

	memset(out, 0, sizeof(*out));
	if (n >= 2 && strcmp(p + n - 2, "/.") == 0) {
		out->contents = out->slash = true;
		n -= 2;
	} else if (strcmp(p, ".") == 0) {
		out->contents = out->slash = true;
		n = 0;
	}
	while (n > 1 && p[n - 1] == '/') {
		out->slash = true;
		n--;
	}
	out->clean = n > 0 ? xstrndup(p, n) : xstrdup(out->contents ? "." : "/");
	slash = strrchr(out->clean, '/');
	out->base = xstrdup(slash != NULL ? slash + 1 : out->clean);
	if (strcmp(out->clean, "/") == 0) {
		free(out->base);
		out->base = xstrdup("");
		out->contents = true; /* the root has no name of its own */
	}
}

static void cp_path_clear(struct cp_path *p)
{
	free(p->clean);
	free(p->base);
}

/* The parent directory of a path ("/a/b" -> "/a", "b" -> "."). */
static char *parent_of(const char *clean)
{
	autofree char *copy = xstrdup(clean);

	return xstrdup(dirname(copy));
}

/* ---- cp from the container ---- */

static int disk_writer(bool archive_mode, struct archive **out, struct berth_err *err)
{
	struct archive *a = archive_write_disk_new();
	int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_XATTR |
		    ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
		    ARCHIVE_EXTRACT_UNLINK;

	if (a == NULL)
		return berth_err_set(err, ENOMEM, "disk writer");
	if (archive_mode)
		flags |= ARCHIVE_EXTRACT_OWNER;
	archive_write_disk_set_options(a, flags);
	*out = a;
	return 0;
}

/* What the walk of a copy out keeps: everything with -a; else no set-id
 * bit, no file capability and no device node (layer-write.h). */
static struct layer_write_opts cp_out_opts(const char *what, const struct engine_cp_opts *o)
{
	return (struct layer_write_opts){
		.what = what,
		.strip_privileges = !o->archive,
		.skipped_devices = o->skipped_devices,
	};
}

/* Writes the container's node srcfd into the host directory dir (which
 * has no symlinks: realpath) as name, or its contents when name is NULL.
 * What is below a directory replaces what the host had there, as tar
 * does, but is never written through a symlink (SECURE_SYMLINKS). */
static int extract_to_host(int srcfd, const char *dir, const char *name, const char *what,
			   const struct engine_cp_opts *o, struct berth_err *err)
{
	struct archive *a = NULL;
	struct layer_write_opts lw = cp_out_opts(what, o);
	autofree char *full =
	    name != NULL ? xasprintf("%s/%s", strcmp(dir, "/") ? dir : "", name) : NULL;
	int r;

	lw.prefix = dir;
	if (disk_writer(o->archive, &a, err) < 0)
		return -1;
	r = layer_write_node(a, srcfd, full, &lw, err);
	if (archive_write_close(a) != ARCHIVE_OK && r == 0)
		r = berth_err_set(err, 0, "write %s: %s", dir, archive_error_string(a));
	archive_write_free(a);
	return r;
}

/* A FIFO or a character device named as the destination gets the file's
 * bytes; it is not replaced (util/output.h). */
static int copy_bytes_into(int srcfd, const struct stat *st, const struct output_target *t,
			   const char *label, struct berth_err *err)
{
	autoclose int rfd = -1;
	autofree char *buf = NULL;
	ssize_t n;

	if (!S_ISREG(st->st_mode))
		return berth_err_set(err, 0,
				     "%s is not a regular file: only a file's content is written "
				     "into %s",
				     label, t->path);
	rfd = croot_reopen(srcfd, O_RDONLY);
	if (rfd < 0)
		return berth_err_set(err, errno, "open %s", label);
	buf = xmalloc(CP_BUF_SIZE);
	while ((n = read(rfd, buf, CP_BUF_SIZE)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_err_set(err, errno, "read %s", label);
		if (fs_write_all(t->fd, buf, (size_t)n, -1) < 0)
			return berth_err_set(err, errno, "write %s", t->path);
	}
	return 0;
}

/* A new or regular destination: the copy is made whole in a private
 * directory beside it (with its mode, times, xattrs, and owner with -a)
 * and renamed in, over nothing or over the regular file seen before. */
static int copy_node_beside(int srcfd, const struct output_target *t, const char *label,
			    const struct engine_cp_opts *o, struct berth_err *err)
{
	autofree char *tmp = xasprintf("%s/.berth-cp-XXXXXX", strcmp(t->dir, "/") ? t->dir : "");
	autoclose int tfd = -1;
	struct berth_err ignored = { 0 };
	int r;

	if (mkdtemp(tmp) == NULL)
		return berth_err_set(err, errno, "create %s", tmp);
	r = extract_to_host(srcfd, tmp, t->name, label, o, err);
	if (r == 0) {
		tfd = open(tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
		r = tfd < 0 ? berth_err_set(err, errno, "open %s", tmp)
			    : output_target_commit(t, tfd, t->name, err);
	}
	fs_rm_rf(tmp, &ignored);
	return r;
}

/* A node that is not a directory to the host file dest. */
static int copy_file_to_host(int srcfd, const struct stat *st, const char *dest, const char *label,
			     const struct engine_cp_opts *o, struct berth_err *err)
{
	struct output_target t;
	int r;

	if (S_ISSOCK(st->st_mode))
		return berth_err_set(err, 0, "%s is a socket: it cannot be copied", label);
	r = output_target_open(&t, dest, 0, err);
	if (r == 0 && t.kind == OUTPUT_INTO)
		r = copy_bytes_into(srcfd, st, &t, label, err);
	else if (r == 0)
		r = copy_node_beside(srcfd, &t, label, o, err);
	output_target_clear(&t);
	return r;
}

static int stream_node(int srcfd, const char *name, int out_fd, const struct layer_write_opts *lw,
		       struct berth_err *err)
{
	struct layer_tar t;

	if (layer_tar_open(&t, layer_sink_fd, &out_fd, err) < 0)
		return -1;
	if (layer_write_node(t.a, srcfd, name, lw, err) < 0) {
		layer_tar_abort(&t);
		return -1;
	}
	return layer_tar_close(&t, err);
}

/* DEST is not an existing directory: it names the copy, in a directory
 * that must exist. */
static int copy_to_name(int fd, const struct stat *st, const struct cp_path *dp, const char *dest,
			const char *label, const struct engine_cp_opts *o, struct berth_err *err)
{
	autofree char *parent = parent_of(dp->clean);
	autofree char *real = NULL;
	struct stat pst, dst;

	if (stat(parent, &pst) < 0 || !S_ISDIR(pst.st_mode))
		return berth_err_set(err, 0, "no such directory: %s", parent);
	if (!S_ISDIR(st->st_mode))
		return copy_file_to_host(fd, st, dp->clean, label, o, err);
	if (lstat(dp->clean, &dst) == 0)
		return berth_err_set(err, 0, "cannot copy a directory to a file: %s", dest);
	real = realpath(parent, NULL);
	if (real == NULL)
		return berth_err_set(err, errno, "%s", parent);
	return extract_to_host(fd, real, dp->base, label, o, err);
}

/* DEST is an existing directory: SRC goes in by its name, or its
 * contents do ("SRC/."). */
static int copy_into_dir(int fd, const struct stat *st, const struct cp_path *sp,
			 const struct cp_path *dp, const char *label,
			 const struct engine_cp_opts *o, struct berth_err *err)
{
	autofree char *real = realpath(dp->clean, NULL);
	autofree char *to = NULL;

	if (real == NULL)
		return berth_err_set(err, errno, "%s", dp->clean);
	if (S_ISDIR(st->st_mode))
		return extract_to_host(fd, real, sp->contents ? NULL : sp->base, label, o, err);
	to = xasprintf("%s/%s", strcmp(real, "/") ? real : "", sp->base);
	return copy_file_to_host(fd, st, to, label, o, err);
}

int engine_cp_from(struct engine *e, const char *what, const char *src, const char *dest,
		   int out_fd, const struct engine_cp_opts *o, struct berth_err *err)
{
	struct croot r;
	struct cp_path sp, dp;
	autoclose int fd = -1;
	autofree char *label = NULL;
	struct stat st, dst;
	int serr, rc = -1;

	if (croot_open(e, what, &r, err) < 0)
		return -1;
	cp_path_parse(src, &sp);
	cp_path_parse(dest, &dp);
	label = xasprintf("%s:%s", what, sp.clean);
	fd = path_openat_in_root(r.fd, sp.clean, O_PATH | (o->follow ? 0 : O_NOFOLLOW), 0, err);
	if (fd < 0) {
		if (err->code == ENOENT || err->code == ENOTDIR)
			berth_err_set(err, 0, "Could not find the file %s in container %s", src,
				      what);
		else
			berth_err_wrap(err, "%s", label);
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		berth_err_set(err, errno, "stat %s", label);
		goto out;
	}
	if (sp.slash && !S_ISDIR(st.st_mode)) {
		berth_err_set(err, ENOTDIR, "%s: not a directory", label);
		goto out;
	}
	if (strcmp(dest, "-") == 0) {
		struct layer_write_opts lw = cp_out_opts(label, o);

		rc = stream_node(fd, sp.contents ? NULL : sp.base, out_fd, &lw, err);
		goto out;
	}
	if (!o->archive && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
		/* Left out as it would be below a directory. */
		if (o->skipped_devices != NULL)
			(*o->skipped_devices)++;
		rc = 0;
		goto out;
	}
	serr = stat(dp.clean, &dst) == 0 ? 0 : errno;
	if (serr == 0 && S_ISDIR(dst.st_mode))
		rc = copy_into_dir(fd, &st, &sp, &dp, label, o, err);
	else if (serr != 0 && serr != ENOENT)
		berth_err_set(err, serr, "%s", dest);
	else if (dp.slash && serr == 0)
		berth_err_set(err, ENOTDIR, "%s", dest);
	else if (dp.slash)
		berth_err_set(err, ENOENT, "destination directory %s must exist", dest);
	else
		rc = copy_to_name(fd, &st, &dp, dest, label, o, err);
out:
	cp_path_clear(&sp);
	cp_path_clear(&dp);
	croot_close(&r);
	return rc;
}

/* ---- cp into the container ---- */

/* Unpacks a tar from in_fd into dirfd (in the container's root) with the
 * layer unpacker, which walks every name with O_NOFOLLOW from dirfd and
 * refuses what would leave it. */
static int apply_tar(int in_fd, int dirfd, const char *label, struct berth_err *err)
{
	struct layer_apply_opts lo = { .what = label, .tee_fd = -1, .no_diff_id = true };
	autoclose int dfd = croot_reopen(dirfd, O_RDONLY | O_DIRECTORY);

	if (dfd < 0)
		return berth_err_set(err, errno, "open %s", label);
	if (layer_apply(in_fd, dfd, &lo, NULL, err) < 0)
		return -1;
	return 0;
}

/* The tar of a host node written by a child process into a pipe, and
 * unpacked here. */
static int copy_host_node(int srcfd, const char *name, const struct layer_write_opts *lw, int dirfd,
			  const char *label, struct berth_err *err)
{
	int p[2];
	pid_t pid;
	int status, r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_err_set(err, errno, "pipe");
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return berth_err_set(err, errno, "fork");
	}
	if (pid == 0) {
		struct layer_tar t;
		struct berth_err cerr = { 0 };
		int out = p[1];

		close(p[0]);
		if (layer_tar_open(&t, layer_sink_fd, &out, &cerr) < 0)
			_exit(1);
		if (layer_write_node(t.a, srcfd, name, lw, &cerr) < 0) {
			layer_tar_abort(&t);
			/* The reader reports a truncated stream; say why. */
			fprintf(stderr, "berth: %s\n", cerr.msg);
			_exit(1);
		}
		_exit(layer_tar_close(&t, &cerr) < 0);
	}
	close(p[1]);
	r = apply_tar(p[0], dirfd, label, err);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		r = berth_err_set(err, 0, "%s: reading the source failed", label);
	return r;
}

int engine_cp_to(struct engine *e, const char *what, const char *src, int in_fd, const char *dest,
		 const struct engine_cp_opts *o, struct berth_err *err)
{
	struct croot r;
	struct cp_path sp, dp;
	struct layer_write_opts lw = { .set_owner = !o->archive };
	autoclose int srcfd = -1;
	autoclose int dfd = -1;
	autoclose int pfd = -1;
	autofree char *label = NULL;
	bool stdin_tar = strcmp(src, "-") == 0;
	struct stat st = { 0 }, dst;
	int rc = -1;

	cp_path_parse(src, &sp);
	cp_path_parse(dest, &dp);
	label = xasprintf("%s:%s", what, dp.clean);
	lw.what = sp.clean;
	if (croot_open(e, what, &r, err) < 0) {
		cp_path_clear(&sp);
		cp_path_clear(&dp);
		return -1;
	}
	if (!stdin_tar) {
		srcfd = open(sp.clean, O_PATH | O_CLOEXEC | (o->follow ? 0 : O_NOFOLLOW));
		if (srcfd < 0 || fstat(srcfd, &st) < 0) {
			berth_err_set(err, errno, "lstat %s", sp.clean);
			goto out;
		}
		if (sp.slash && !S_ISDIR(st.st_mode)) {
			berth_err_set(err, ENOTDIR, "%s: not a directory", src);
			goto out;
		}
	}
	dfd = path_openat_in_root(r.fd, dp.clean, O_PATH, 0, err);
	if (dfd >= 0 && fstat(dfd, &dst) == 0 && S_ISDIR(dst.st_mode)) {
		if (stdin_tar)
			rc = apply_tar(in_fd, dfd, label, err);
		else
			rc = copy_host_node(srcfd, sp.contents ? NULL : sp.base, &lw, dfd, label,
					    err);
		goto out;
	}
	if (dfd < 0 && err->code != ENOENT) {
		berth_err_wrap(err, "%s", what);
		goto out;
	}
	berth_err_clear(err);
	if (stdin_tar) {
		berth_err_set(err, 0, "destination \"%s:%s\" must be a directory", what, dest);
		goto out;
	}
	if (dfd >= 0 && S_ISDIR(st.st_mode)) {
		berth_err_set(err, 0, "cannot overwrite non-directory \"%s\" with directory \"%s\"",
			      dest, src);
		goto out;
	}
	if (dfd < 0 && dp.slash) {
		berth_err_set(err, 0, "no such directory: %s in container %s", dest, what);
		goto out;
	}
	/* DEST names the copy: into its parent, under DEST's name. */
	{
		autofree char *parent = parent_of(dp.clean);

		pfd = path_openat_in_root(r.fd, parent, O_PATH | O_DIRECTORY, 0, err);
		if (pfd < 0) {
			berth_err_set(err, 0, "no such directory: %s in container %s", parent,
				      what);
			goto out;
		}
		rc = copy_host_node(srcfd, dp.base, &lw, pfd, label, err);
	}
out:
	cp_path_clear(&sp);
	cp_path_clear(&dp);
	croot_close(&r);
	return rc;
}

/* ---- export ---- */

int engine_export(struct engine *e, const char *what, int out_fd, struct berth_err *err)
{
	struct croot r;
	autofree char *label = NULL;
	struct layer_write_opts lw = { 0 };
	int rc;

	if (croot_open(e, what, &r, err) < 0)
		return -1;
	label = xasprintf("export %s", what);
	lw.what = label;
	rc = stream_node(r.fd, NULL, out_fd, &lw, err);
	croot_close(&r);
	return rc;
}
