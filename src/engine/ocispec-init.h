/* --init: Berth's own init (src/init/init.c, the static berth-init) runs as
 * the container's pid 1, bind mounted read-only from the host, with the
 * container's command as its child. Implemented in ocispec-init.c. */
#pragma once

#include <json-c/json.h>

struct berth_err;

/* Where the container sees berth-init. /dev is the tmpfs the runtime
 * makes for every container, so the mount point never touches the image's
 * files (nothing to clash with, a read-only root still works) and nothing
 * is left in the container's snapshot: docker's /sbin/docker-init would
 * have to be created in the image's /sbin. */
#define OCISPEC_INIT_PATH "/dev/init"

/* The host's berth-init: beside the running berth (dirname of
 * /proc/self/exe), else in BERTH_LIBEXECDIR, resolved to a real path.
 * "--init: berth-init not found (looked in A and B)" otherwise. */
int ocispec_init_find(char **out, struct berth_err *err);

/* Bind mounts host_path read-only at OCISPEC_INIT_PATH and prepends
 * OCISPEC_INIT_PATH and "--" to process.args. */
int ocispec_init_apply(json_object *doc, const char *host_path, struct berth_err *err);
