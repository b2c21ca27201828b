/* linux.netDevices: network interfaces of the runtime's namespace moved
 * into the container's network namespace (and renamed there), with one
 * rtnetlink RTM_NEWLINK each. Physical devices return to the initial
 * namespace when the container's is destroyed; virtual ones go with it. */
#pragma once

#include <json-c/json.h>
#include <stddef.h>
#include <sys/types.h>

struct berth_err;

struct spec_netdev {
	char *name;		/* in the runtime's namespace */
	char *new_name;		/* in the container's, or NULL to keep it */
};

int netdev_parse(json_object *linux_obj, struct spec_netdev **out, size_t *n,
		 struct berth_err *err);
void netdev_free(struct spec_netdev *v, size_t n);

/* Moves each device into the network namespace of pid. */
int netdev_move_all(const struct spec_netdev *v, size_t n, pid_t pid, struct berth_err *err);
