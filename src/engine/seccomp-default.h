/* Docker's default seccomp profile, built into Berth (seccomp-default.c):
 * the engine gives it to every container that is neither --privileged nor
 * run with --security-opt seccomp=unconfined or a profile of its own. */
#pragma once

#include <json-c/json.h>

/* The profile in docker's own file format (defaultAction, archMap,
 * syscalls with includes/excludes), which ocispec turns into the OCI
 * linux.seccomp of one container exactly as it turns a --security-opt
 * seccomp=FILE: the capability, arch and kernel conditions are decided
 * there, per container. Syscall names the linked libseccomp does not know
 * are left out (it could not filter them, and the runtime would warn about
 * each on every start). A new reference for the caller. */
json_object *seccomp_default_profile(void);
