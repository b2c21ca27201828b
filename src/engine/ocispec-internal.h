/* Shared by the files that build a container's config.json (ocispec.c and
 * the ocispec-*.c beside it); not for the rest of the engine, which uses
 * ocispec.h. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct berth_err;
struct ocispec_opts;

/* ---- ocispec.c ---- */

json_object *json_strv(char *const *v);

/* Capabilities in the order they were added, without repeats. */
struct capset {
	uint64_t mask;
	int order[64];
	size_t n;
};

bool capset_has(const struct capset *s, int cap);

/* ---- namespace modes (ocispec-namespaces.c and the mounts they change) ---- */

/* A --network, --pid, --ipc, --uts or --cgroupns mode that is the host's. */
static inline bool is_host(const char *mode)
{
	return mode != NULL && strcmp(mode, "host") == 0;
}

/* --pid or --ipc container:X (X not empty) */
static inline bool is_container(const char *mode)
{
	return mode != NULL && strncmp(mode, "container:", 10) == 0 && mode[10] != '\0';
}

/* ---- ocispec-namespaces.c ---- */

/* linux.namespaces: one of each kind but those the host's (docker's
 * order, the cgroup namespace included). */
json_object *ocispec_namespaces_build(const struct ocispec_opts *o);
/* linux.sysctl: docker's defaults for a network namespace of the
 * container's own, then --sysctl's (checked by ocispec_namespaces_check);
 * left out when empty. */
void ocispec_sysctls_add(const struct ocispec_opts *o, json_object *linux_obj);

/* ---- ocispec-seccomp.c ---- */

/* linux.seccomp from a profile file in docker's format (or containers-
 * common's), for a container with the bounding set caps. */
int ocispec_seccomp_build(const char *file, const struct capset *caps, json_object **out,
			  struct berth_err *err);
/* The same from docker's default profile (seccomp-default.c). */
int ocispec_seccomp_build_default(const struct capset *caps, json_object **out,
				  struct berth_err *err);
