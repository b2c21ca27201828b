/* Building the container's root filesystem inside its new mount namespace:
 * every step works on fds under the root (util/path.h), so a mount
 * destination that is or passes through a symlink resolves inside the
 * rootfs and never outside it. Called in the container's init process. */
#pragma once

#include <stdbool.h>

struct berth_err;
struct spec;

/* Sets the propagation of / (rootfsPropagation, default rslave as runc),
 * bind-mounts the root onto itself, performs spec->mounts in order (bind,
 * rbind with propagation and read-only remounts, proc, sysfs, tmpfs, devpts,
 * mqueue, cgroup), creates /dev's default nodes and symlinks and
 * spec->devices (mknod, or a bind mount of the host node when in_userns).
 * mount_fds (may be NULL) holds, by mount index, detached idmapped trees
 * (idmap.h) to attach instead of a plain bind. Returns an O_PATH fd of the
 * root in *rootfd. */
int rootfs_prepare(const struct spec *s, bool in_userns, const int *mount_fds, int *rootfd,
		   struct berth_err *err);

/* The mount data with linux.mountLabel added as context="LABEL" for the
 * filesystems that take their label that way (tmpfs, devpts, mqueue);
 * NULL when the type takes none or label is NULL. Caller frees. */
char *rootfs_label_data(const char *data, const char *type, const char *label);

/* Bind-mounts the terminal's slave (fd) onto ROOT/dev/console. */
int rootfs_bind_console(int rootfd, int slave_fd, struct berth_err *err);

/* pivot_root into the root and detaches the old one; with no_pivot, moves
 * the root onto / and chroots (for ramfs hosts), after making the old
 * mounts unreachable. On return cwd and root are the container's "/". */
int rootfs_pivot(const struct spec *s, int rootfd, bool no_pivot, struct berth_err *err);

/* A container without a mount namespace of its own mounts into the
 * runtime's, below its root: this detaches every mount at or below root
 * (delete, or a failed create). */
int rootfs_cleanup_shared(const char *root, struct berth_err *err);

/* Before the pivot, rootfd being the container's root: maskedPaths
 * (files covered with the host's /dev/null, opened and checked here, never
 * one the container could have put there; directories with an empty
 * read-only tmpfs) and readonlyPaths. */
int rootfs_protect(const struct spec *s, int rootfd, struct berth_err *err);

/* After pivot: root.readonly and the final rootfsPropagation. */
int rootfs_finalize(const struct spec *s, struct berth_err *err);
