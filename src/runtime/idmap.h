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

/* The mounts the runtime clones for the container itself, one fd per
 * mount of s (-1 for the others; *fds NULL when there is none): a detached
 * clone of the source with its id map attached for an idmapped mount; and
 * when the runtime is root and the container gets a user namespace of its
 * own, a plain clone of every bind's source, as runc opens them before the
 * container joins its user namespace: a source only the host's root can
 * reach (below a 0700 directory) then still mounts. The container's
 * process attaches them with move_mount (rootfs.c). */
int mount_trees_open(const struct spec *s, int **fds, struct berth_err *err);
void mount_trees_close(int *fds, size_t n);
