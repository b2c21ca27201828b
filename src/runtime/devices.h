/* The device nodes of the container's /dev: the default set every
 * container gets (null, zero, full, random, urandom, tty), the symlinks
 * programs expect (/dev/fd, /dev/stdin, /dev/ptmx...) and linux.devices.
 * Runs before pivot_root, with rootfd the container's root. */
#pragma once

#include <stdbool.h>

struct berth_err;
struct spec;

/* Creates linux.devices, then the default nodes and symlinks, all resolved
 * inside rootfd. Nodes are made with mknod, or, in a user namespace where
 * mknod of devices is refused, by bind-mounting the host's node onto an
 * empty file. Existing entries are kept. When the spec bind-mounts /dev
 * from elsewhere, only linux.devices are created. */
int devices_create(const struct spec *s, int rootfd, bool in_userns, struct berth_err *err);
