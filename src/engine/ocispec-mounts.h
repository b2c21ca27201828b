/* The container's own mounts in config.json: -v, --mount, --tmpfs and the
 * image's volumes, resolved (a volume's source is its _data directory). */
#pragma once

#include <json-c/json.h>

struct berth_err;
struct mount_spec_list;

/* Appends the mounts of l to the spec's "mounts" array, in docker's order
 * (by the depth of the destination, so a parent is mounted before what is
 * inside it); a default mount at the same destination (/dev/shm,
 * /etc/hosts) gives way, as docker's does. */
int ocispec_mounts_add(const struct mount_spec_list *l, json_object *mounts, struct berth_err *err);
