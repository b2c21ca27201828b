/* Opening and creating files inside a directory tree that the caller does not
 * trust (a container root): every lookup is relative to an fd of the root,
 * absolute symlinks and ".." are scoped to that root as if it were "/", so no
 * path, however crafted, reaches a file outside it. The kernel does this with
 * openat2(RESOLVE_IN_ROOT) (Linux 5.6); older kernels get a userspace walk
 * with the same semantics. The fds returned are meant to be used directly
 * (the *at() calls) or as mount targets through path_fd_to_proc(). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct berth_err;

/* Opens path (absolute or relative, both taken from rootfd) with open(2)
 * flags and mode; O_CLOEXEC is always added. A final symlink is followed
 * (inside the root) unless flags has O_NOFOLLOW. Returns the fd or -1 with
 * err set; err->code is the errno (ENOENT, ELOOP, ENOTDIR...). */
int path_openat_in_root(int rootfd, const char *path, int flags, mode_t mode,
			struct berth_err *err);

/* The userspace walk alone, whatever the kernel offers. For tests, which
 * prove it resolves exactly as openat2 does. */
int path_openat_in_root_walk(int rootfd, const char *path, int flags, mode_t mode,
			     struct berth_err *err);

/* Creates the missing directories of path (mode, before umask) and returns
 * an O_PATH|O_DIRECTORY fd of the last one. Existing symlinks along the way
 * are followed inside the root; a component that exists but is not a
 * directory is ENOTDIR. */
int path_mkdir_all_in_root(int rootfd, const char *path, mode_t mode, struct berth_err *err);

/* Makes sure path is a non-directory (creating an empty regular file and
 * its parents when missing), as the target of a file bind mount needs.
 * Returns an fd of it (O_PATH when it already existed); EISDIR when path
 * is a directory. */
int path_mkfile_in_root(int rootfd, const char *path, mode_t mode, struct berth_err *err);

/* Lexical cleaning, as Go's path.Clean (which docker applies to mount
 * points and the working directory): "/a/./b/../c/" is "/a/c", ""
 * is ".". A new string. */
char *path_clean(const char *p);

/* A directory Berth keeps state in, as a user named it (a store root, a
 * run root): made absolute against the working directory of the moment
 * and cleaned, so every later command and process, whatever its working
 * directory, means the same directory. An empty path is an error naming
 * `what`: an unset variable that expands to "" must not quietly mean the
 * default store. */
int path_absolute(const char *p, const char *what, char **out, struct berth_err *err);

/* "/proc/self/fd/N": the name under which the kernel resolves fd itself, so
 * mount(2) can target an fd we resolved safely. Returns buf. */
const char *path_fd_to_proc(int fd, char buf[static 64]);
