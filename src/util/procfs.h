/* Reaching procfs files without trusting the path to them. A container
 * decides what lies below its root, so "/proc/sys/net/ipv4/x" may cross a
 * bind mount an image put over /proc/sys/net/ipv4, or a symlink to any
 * other procfs file (CVE-2025-31133, CVE-2025-52881 class: a runtime's
 * write lands on a host sysctl). Every access here starts from a handle
 * checked to be the root of a procfs mount and walks to the file with no
 * symlink, no magic link and no mount crossed, and the file reached must
 * itself be on procfs. */
#pragma once

#include <stddef.h>

struct berth_err;

/* Opens the procfs mounted at path, relative to dirfd (AT_FDCWD for the
 * caller's own view), as an O_PATH fd: path must be the root of a procfs
 * mount, reached without following a final symlink. */
int procfs_root_open(int dirfd, const char *path, struct berth_err *err);

/* Opens rel ("sys/net/ipv4/ip_forward", "1/fd") below the procfs root
 * procfd with open(2) flags (O_CLOEXEC added): no symlink, magic link or
 * mount crossing on the way, and the result is checked to be on procfs.
 * Errors name rel. */
int procfs_open(int procfd, const char *rel, int flags, struct berth_err *err);

/* Writes len bytes of value to rel below procfd, in one write(2) as
 * procfs files want. */
int procfs_write(int procfd, const char *rel, const char *value, size_t len,
		 struct berth_err *err);

/* procfs_write to this process's own rel ("attr/exec", "timens_offsets")
 * below procfd, named by the pid that procfs gives us. */
int procfs_self_write(int procfd, const char *rel, const char *value, size_t len,
		      struct berth_err *err);

/* An O_PATH fd of this process's own fd directory in procfd's procfs
 * (PID/fd, with the pid that procfs gives us).  */
int procfs_self_fd_dir(int procfd, struct berth_err *err);

/* A new open file description of what fd (any fd, often O_PATH) refers
 * to, with flags, through the magic link fd_dir/N: how an O_PATH fd
 * becomes a writable one. The result is checked to be the same file. */
int procfs_reopen(int fd_dir, int fd, int flags, struct berth_err *err);
