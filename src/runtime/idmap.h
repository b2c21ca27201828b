/* User namespaces as id maps: writing a process's uid_map/gid_map, and
 * idmapped mounts. An idmapped mount needs rights in the initial user
 * namespace to attach a user namespace to it, so the runtime prepares the
 * detached, idmapped trees before the container process exists; the
 * process inherits their fds and attaches them where they go (rootfs.c),
 * inside its own namespaces. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

struct berth_err;
struct spec;
struct spec_idmap;

/* Writes uid_map and gid_map of pid (setgroups denied first when we are
 * not root, as user_namespaces(7) requires). what names the maps in
 * errors ("linux", "mounts[2]"). */
int idmap_write(pid_t pid, const struct spec_idmap *uid, size_t nu, const struct spec_idmap *gid,
		size_t ng, const char *what, struct berth_err *err);

/* One fd per mount of s: a detached clone of the source with its id map
 * attached, or -1 for a mount that is not idmapped. *fds is NULL when
 * no mount is. */
int idmap_mounts_open(const struct spec *s, int **fds, struct berth_err *err);
void idmap_mounts_close(int *fds, size_t n);
