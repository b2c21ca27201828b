/* Applying one layer: a tar stream (plain, gzip or zstd; detected from the
 * bytes, whatever the media type claimed) unpacked into an empty directory
 * of its own, in overlayfs's form, so the layer directories of an image can
 * be stacked as overlay lower directories:
 *   - ".wh.NAME" becomes a character device 0/0 named NAME;
 *   - ".wh..wh..opq" sets trusted.overlay.opaque=y on its directory;
 *   - other ".wh..wh.*" entries (aufs bookkeeping) are skipped.
 * Modes, owners, times (directories last), hard links, symlinks, device
 * nodes, fifos, xattrs and file capabilities are kept. xattrs are set on
 * regular files and directories only (not on symlinks, devices or fifos),
 * and overlayfs's own (trusted.overlay.*, user.overlay.*) are dropped: a
 * layer marks a directory opaque with ".wh..wh..opq" or not at all.
 *
 * The archive is untrusted. Every entry is created relative to a directory
 * fd walked one component at a time with O_NOFOLLOW: an absolute name, a
 * ".." component, a parent that is a symlink, a hard link whose target is
 * outside or goes through a symlink, a name or link target longer than
 * PATH_MAX, or an xattr larger than 64 KiB is refused with an error naming
 * the entry ("layer sha256:ab..: entry \"../x\": path escapes the layer").
 * Nothing is ever written outside the directory. A corrupt or truncated
 * stream (a tar without its end-of-archive marker included) is an error
 * naming the layer.
 *
 * While unpacking, the uncompressed stream is hashed: its sha256 is the
 * layer's DiffID, which the caller compares with the image config's
 * rootfs.diff_ids. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/digest.h"

struct berth_err;

struct layer_apply_opts {
	/* Names the layer in errors ("layer sha256:abc..."); required. */
	const char *what;
	/* When >= 0, the uncompressed tar stream is also written here (import
	 * stores the uncompressed tar as the layer blob). Set -1 for none: a
	 * zeroed struct would tee to fd 0. */
	int tee_fd;
	/* Upper bound on entries in the layer; 0 means the default (4 million). */
	uint64_t max_entries;
	/* Skip hashing: the caller knows the DiffID (an uncompressed blob
	 * already verified against it is its own DiffID); res->diff_id is
	 * then empty. */
	bool no_diff_id;
};

struct layer_apply_result {
	char diff_id[DIGEST_STR_LEN + 1]; /* sha256 of the uncompressed tar */
	uint64_t tar_size;                /* bytes of the uncompressed tar */
	uint64_t entries;
};

/* Reads the whole of in_fd (from its current offset) and unpacks it into
 * dest_dirfd, which should be an empty directory. On error the directory is
 * left partly filled; the caller removes it. Thread-safe: several layers may
 * be applied at once from different threads. */
int layer_apply(int in_fd, int dest_dirfd, const struct layer_apply_opts *opts,
		struct layer_apply_result *res, struct berth_err *err);

/* Hashes the uncompressed stream of a (possibly compressed) tar without
 * unpacking it: the DiffID of a blob. */
int layer_diff_id(int in_fd, const char *what, char out[DIGEST_STR_LEN + 1], uint64_t *tar_size,
		  struct berth_err *err);
