/* Writing trees as tar: the other direction of layer.h. A directory (a
 * container's merged root, an overlay upper dir, a host directory given to
 * `cp`) is walked one fd at a time and each entry handed to a libarchive
 * writer, which is either a tar stream or a disk writer.
 *
 * The walk never follows a symlink: every entry is opened with
 * O_PATH|O_NOFOLLOW relative to its parent's fd, so a tree that changes
 * under the walk (a running container) can make it see a different file,
 * never one outside the tree. Modes, owners, times, symlinks, hard links
 * (within the walk), devices, fifos and the xattrs of files and directories
 * are kept; overlayfs's own xattrs (trusted.overlay.*, user.overlay.*) are
 * not, and sockets are skipped (tar has no type for them). Entries are
 * written in name order, so the same tree always makes the same tar.
 *
 * With overlay_whiteouts, the tree is an overlay upper dir and its
 * whiteouts become the OCI layer forms (image-spec layer.md):
 *   - a character device 0/0 NAME becomes an empty regular file .wh.NAME;
 *   - a directory with trusted.overlay.opaque=y is written, then an empty
 *     .wh..wh..opq inside it, before its own entries. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct stat;

struct archive;
struct berth_err;

struct layer_write_opts {
	/* Names the tree in errors ("container abc: /etc/x: ..."); required. */
	const char *what;
	bool overlay_whiteouts;
	/* Every entry gets this owner instead of its own (`cp` without -a). */
	bool set_owner;
	uid_t uid;
	gid_t gid;
	/* `cp` out of a container without -a: what a container made must not
	 * become a way up on the host, so entries lose their setuid and
	 * setgid bits and their security.capability xattr (file
	 * capabilities), and device nodes are left out (each one counted in
	 * *skipped_devices when that is not NULL). */
	bool strip_privileges;
	size_t *skipped_devices;
	/* With name NULL (a directory's contents), the entries are named
	 * PREFIX/NAME: a disk writer's absolute destination. */
	const char *prefix;
	/* Names (relative, as written: "etc/hosts") left out when they are an
	 * empty file or an empty directory: the mount points the engine and
	 * the runtime made, which docker keeps in a layer of their own. */
	const char *const *skip_empty;
};

/* Whether the node at fd (O_PATH) named name is one skip_empty leaves
 * out. */
bool layer_write_skipped(const char *const *skip_empty, int fd, const struct stat *st,
			 const char *name);

/* Where a tar writer's bytes go: returns 0, or -1 with err set. */
typedef int (*layer_sink_fn)(void *ctx, const void *buf, size_t len, struct berth_err *err);

/* A pax tar writer that hands its bytes to sink (see layer_sink_fd for an
 * fd). Close with layer_tar_close, which writes the end-of-archive marker;
 * layer_tar_abort frees without it. */
struct layer_tar {
	struct archive *a;
	layer_sink_fn sink;
	void *ctx;
};
int layer_tar_open(struct layer_tar *t, layer_sink_fn sink, void *ctx, struct berth_err *err);
int layer_tar_close(struct layer_tar *t, struct berth_err *err);
void layer_tar_abort(struct layer_tar *t);
/* The sink for a plain fd (ctx points to the int). */
int layer_sink_fd(void *ctx, const void *buf, size_t len, struct berth_err *err);

/* Writes the node fd (an O_PATH or ordinary fd of a file, symlink or
 * directory, as path_openat_in_root gives it) to out under the name name,
 * and when it is a directory everything below it as name/... With name
 * NULL, a directory's contents are written without the directory itself
 * (cp's "SRC/."), their names relative to it. out is a tar writer
 * (layer_tar.a) or an archive_write_disk. */
int layer_write_node(struct archive *out, int fd, const char *name,
		     const struct layer_write_opts *o, struct berth_err *err);

/* Writes one node alone (a directory without what is below it), as the
 * change list of a commit on vfs needs. */
int layer_write_entry(struct archive *out, int fd, const char *name,
		      const struct layer_write_opts *o, struct berth_err *err);

/* An empty regular file entry .wh.NAME for a deleted name (path is
 * "dir/NAME"), mode 0600 and owner 0:0 as docker writes them. */
int layer_write_whiteout(struct archive *out, const char *path, struct berth_err *err);
