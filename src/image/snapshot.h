/* Snapshots: the writable root filesystem of a container made from an
 * image's unpacked layers (each in overlay's own form, see layer.h).
 *
 * overlay: the layer directories are the lower dirs (top layer first) and
 * the snapshot has its own upper and work directories. Lower dirs are passed
 * one by one with the new mount API (fsconfig "lowerdir+", Linux 6.8), so
 * there is no limit from the one-page option string; older kernels get the
 * classic "lowerdir=a:b:c" string, built from short link names relative to
 * a link directory when the absolute paths would not fit in a page (or
 * contain ',', ':' or '\', which that string cannot carry). overlayfs
 * stacks at most 500 lower layers either way.
 *
 * vfs: for hosts without overlayfs, the layers are copied in order into a
 * plain directory, applying overlay whiteouts (0/0 char devices delete,
 * trusted.overlay.opaque directories hide what is below) and preserving
 * modes, owners, times, xattrs, hard links, devices and symlinks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct berth_err;

/* overlayfs's OVL_MAX_STACK: more lower layers are refused. */
#define SNAPSHOT_OVERLAY_MAX_LOWERS 500


/* Set to "1", snapshot_overlay_mount() uses the classic option string even
 * where the kernel has "lowerdir+" (for tests of the older kernels' path). */
#define SNAPSHOT_NO_LOWERDIR_PLUS_ENV "BERTH_OVERLAY_NO_LOWERDIR_PLUS"

enum snapshot_driver {
	SNAPSHOT_OVERLAY,
	SNAPSHOT_VFS,
};

/* "overlay" / "vfs" */
const char *snapshot_driver_name(enum snapshot_driver d);
/* "overlay", "overlay2" (Docker's name, an alias) or "vfs"; anything else is
 * EINVAL with an error naming the value. */
int snapshot_driver_parse(const char *name, enum snapshot_driver *out, struct berth_err *err);
/* overlay when the kernel lists it in /proc/filesystems (or can load it),
 * else vfs. */
enum snapshot_driver snapshot_driver_detect(void);

/* Mounts an overlay of lowers[0..n) (lowers[0] is the TOP layer) with the
 * given upper and work directories (which must exist, on one filesystem) on
 * target. All four kinds of path are absolute; 1 <= n <= 500.
 *
 * linkdir is an existing directory where short symlinks to the lower, upper
 * and work dirs are created when the classic option string needs them
 * (five-character names from a hash of the path, so later mounts of the
 * same layers reuse them; they are never removed here). It may be NULL when
 * the caller knows the kernel has "lowerdir+", or that the paths are short
 * and plain; otherwise a mount that needs links fails with EINVAL. The
 * mount from inside linkdir runs in a short-lived child process, so the
 * caller's working directory never changes (safe with threads).
 *
 * Errors name the target and, with the new mount API, carry overlayfs's
 * own reason ("mount overlay on /t: upper dir (overlay: filesystem on /u not
 * supported as upperdir): Invalid argument"). An image with no layers is
 * not mountable as overlay; callers use an empty lower dir. */
int snapshot_overlay_mount(const char *const *lowers, size_t n, const char *upper, const char *work,
			   const char *target, const char *linkdir, struct berth_err *err);

/* Copies layers[0..n) (layers[0] is the BOTTOM layer) into dest, an
 * existing empty directory, applying whiteouts as overlayfs would: a 0/0
 * character device deletes the name, a directory with
 * trusted.overlay.opaque=y first empties what is below it, a directory
 * merges with a directory below and replaces anything else, a non-directory
 * replaces what was there. Hard links are kept within each layer. xattrs
 * are copied (symlinks' too) except trusted.overlay.*. Nothing in either
 * tree is followed. dest's own owner, mode and times are left as they are,
 * as an overlay's root is its upper dir. Directory trees deeper than 256
 * levels are refused. On error dest is left partly filled. */
int snapshot_vfs_populate(const char *const *layers, size_t n, const char *dest,
			  struct berth_err *err);

/* Unmounts target: a plain umount, then MNT_DETACH when it is busy. A
 * target that is not a mount point (EINVAL) or does not exist is fine. */
int snapshot_unmount(const char *target, struct berth_err *err);
