/* Small file helpers used across layers. Paths here are trusted (state dirs,
 * cgroupfs, /proc); for paths inside a container root use util/path.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct berth_err;

/* Reads a whole file (at most max bytes) into a NUL-terminated buffer. */
int fs_read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len,
		    struct berth_err *err);
/* Writes all of buf to fd (write(2) when off < 0, else pwrite(2) at off),
 * retrying short writes and EINTR. Returns 0, or -1 with errno set. */
int fs_write_all(int fd, const void *buf, size_t len, off_t off);

/* Reads what remains of fd, at most max bytes, NUL-terminated. */
int fs_read_fd(int fd, size_t max, char **out, size_t *len, struct berth_err *err);
int fs_read_file(const char *path, size_t max, char **out, size_t *len, struct berth_err *err);

/* Writes data to an existing file (O_WRONLY|O_TRUNC), as cgroupfs and procfs
 * expect: one write() call. */
int fs_write_file_at(int dirfd, const char *path, const char *data, size_t len,
		     struct berth_err *err);
int fs_write_file(const char *path, const char *data, size_t len, struct berth_err *err);

/* Writes to a temporary name in the same directory, fsyncs and renames, so
 * readers see either the old or the new content, never a part. */
int fs_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode,
			 struct berth_err *err);
/* The same without the fsync: readers still never see a partial file, but
 * a crash may lose the write. For state that a reboot clears anyway
 * (runtime state under /run, pid files). */
int fs_write_file_replace(const char *path, const char *data, size_t len, mode_t mode,
			  struct berth_err *err);

/* mkdir -p; existing directories are fine. */
int fs_mkdir_p(const char *path, mode_t mode, struct berth_err *err);

/* A directory that holds secrets (a store root, a run root): mkdir -p
 * (0700), then it must belong to the effective user (else an error: its
 * owner could open it up again at any time) and is made 0700 when it is
 * anything else, as a pre-created 0755 one is. Returns an O_DIRECTORY fd
 * of it, or -1 with err naming `what` and the path. */
int fs_dir_private(const char *path, const char *what, struct berth_err *err);

/* Removes a directory tree without following symlinks; missing is fine. */
int fs_rm_rf(const char *path, struct berth_err *err);
/* The same for a name relative to dirfd. */
int fs_rm_rf_at(int dirfd, const char *path, struct berth_err *err);

bool fs_exists(const char *path);
