/* The resource and security flags of `run` and `create` (--memory, --cpus,
 * --cpu-shares, --cpuset-*, --pids-limit, --ulimit, --device, --shm-size,
 * --cgroup-parent, --security-opt, --init): their table entries, the
 * strings they collect, and the parsing of those into the engine's
 * options, with docker's flag errors ("invalid argument "12x" for "-m,
 * --memory" flag: invalid size: '12x'"). Implemented in
 * create-resources.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cli/args.h"

struct berth_err;
struct engine_create_opts;

struct create_resources_cli {
	const char *memory, *memory_swap, *memory_reservation, *shm_size;
	const char *cpus, *cpu_shares, *cpuset_cpus, *cpuset_mems;
	const char *pids_limit, *cgroup_parent;
	char **ulimits, **devices;
	bool init;
};

/* The table entries, for an options struct `type` holding a struct
 * create_resources_cli named `member`; laid out by hand, a flag per entry,
 * so that it reads as the table it is. */
/* clang-format off */
#define CREATE_RESOURCE_OPTS(type, member)                                                         \
	{ "memory", 'm', CLI_OPT_STRING, offsetof(type, member.memory), "BYTES",                   \
	  "memory limit (e.g. 512m, 1g)" },                                                        \
	{ "memory-swap", 0, CLI_OPT_STRING, offsetof(type, member.memory_swap), "BYTES",           \
	  "memory plus swap limit, -1 for unlimited swap" },                                       \
	{ "memory-reservation", 0, CLI_OPT_STRING, offsetof(type, member.memory_reservation),      \
	  "BYTES", "memory soft limit" },                                                          \
	{ "cpus", 0, CLI_OPT_STRING, offsetof(type, member.cpus), "N",                             \
	  "number of cpus (e.g. 1.5)" },                                                           \
	{ "cpu-shares", 'c', CLI_OPT_STRING, offsetof(type, member.cpu_shares), "N",               \
	  "relative cpu weight" },                                                                 \
	{ "cpuset-cpus", 0, CLI_OPT_STRING, offsetof(type, member.cpuset_cpus), "LIST",            \
	  "cpus to run on (0-3, 0,1)" },                                                           \
	{ "cpuset-mems", 0, CLI_OPT_STRING, offsetof(type, member.cpuset_mems), "LIST",            \
	  "memory nodes to allocate on (0-3, 0,1)" },                                              \
	{ "pids-limit", 0, CLI_OPT_STRING, offsetof(type, member.pids_limit), "N",                 \
	  "at most N processes, -1 for unlimited" },                                               \
	{ "ulimit", 0, CLI_OPT_STRV, offsetof(type, member.ulimits), "NAME=SOFT[:HARD]",           \
	  "set a resource limit (nofile=1024:2048)" },                                             \
	{ "device", 0, CLI_OPT_STRV, offsetof(type, member.devices), "HOST[:CONTAINER][:rwm]",     \
	  "add a host device" },                                                                   \
	{ "shm-size", 0, CLI_OPT_STRING, offsetof(type, member.shm_size), "BYTES",                 \
	  "size of /dev/shm (default 64m)" },                                                      \
	{ "cgroup-parent", 0, CLI_OPT_STRING, offsetof(type, member.cgroup_parent), "PATH",        \
	  "cgroup under which the container's cgroup goes" },                                      \
	{ "init", 0, CLI_OPT_BOOL, offsetof(type, member.init), NULL,                              \
	  "run berth-init as pid 1: it forwards signals and reaps zombies" }
/* clang-format on */

/* Fills o->res and o->init from c (o's strings point into c). */
int create_resources_parse(const struct create_resources_cli *c, struct engine_create_opts *o,
			   struct berth_err *err);

/* --security-opt values: no-new-privileges[:true|false],
 * seccomp=unconfined|builtin|FILE (also "seccomp:..."), and the no-ops
 * apparmor=unconfined and label=disable (Berth applies no LSM). Sets
 * o->no_new_privileges, o->seccomp and o->security_opts. */
int create_security_opts(char **opts, struct engine_create_opts *o, struct berth_err *err);

/* --cpus as docker reads it: a decimal ("1.5", ".5") or a fraction
 * ("3/2"), at most 9 decimals, into billionths of a cpu. */
int create_parse_cpus(const char *s, long long *nano, struct berth_err *err);

/* --restart no|always|unless-stopped|on-failure[:N], with docker's words
 * for a bad one; rm: --rm was given (they conflict). *policy gets the
 * name ("no" when given so, untouched when spec is NULL or ""), *max the
 * retries. */
int create_parse_restart(const char *spec, bool rm, const char **policy, int *max,
			 struct berth_err *err);
