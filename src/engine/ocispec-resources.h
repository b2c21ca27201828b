/* The resource flags of `berth run`/`create` (--memory, --cpus, --ulimit,
 * --device, --shm-size, --cgroup-parent, ...) as one value the CLI fills,
 * the engine records (docker's HostConfig names) and ocispec turns into
 * linux.resources, process.rlimits and linux.devices. Implemented in
 * ocispec-resources.c. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

struct berth_err;

#define OCISPEC_CPU_PERIOD 100000             /* µs: docker's period for --cpus */
#define OCISPEC_MEMORY_MIN (INT64_C(6) << 20) /* docker's smallest --memory */
#define OCISPEC_SHARES_MIN 2                  /* the kernel's cpu.shares bounds */
#define OCISPEC_SHARES_MAX 262144

struct ocispec_resources {
	int64_t memory;             /* -m: bytes; 0: no limit */
	int64_t memory_swap;        /* memory + swap: bytes; -1: unlimited; 0: twice
				     * memory, where the host accounts swap (docker's) */
	int64_t memory_reservation; /* soft limit: bytes; 0: none */
	int64_t nano_cpus;          /* --cpus x 1e9; 0: no quota */
	int64_t cpu_shares;         /* -c: relative weight; 0: the default */
	const char *cpuset_cpus;    /* "0-2,4"; NULL or "": every cpu */
	const char *cpuset_mems;
	int64_t pids_limit; /* > 0: at most that many tasks; 0: not given; < 0: unlimited */
	char **ulimits;     /* "name=soft[:hard]" (ocispec_ulimit_parse), the last of a name wins */
	char **devices;     /* "HOST[:CONTAINER][:PERMS]" (ocispec_device_parse) */
	int64_t shm_size;   /* bytes; 0: 64 MiB */
	const char *cgroup_parent; /* NULL or "": under the caller's own cgroup */
};

/* --ulimit: docker's names (core, cpu, data, fsize, locks, memlock,
 * msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack);
 * -1 is unlimited; a missing hard limit equals the soft one. */
struct ocispec_ulimit {
	const char *name; /* static: "nofile" */
	int resource;     /* RLIMIT_NOFILE */
	int64_t soft, hard;
};
int ocispec_ulimit_parse(const char *s, struct ocispec_ulimit *out, struct berth_err *err);

/* --device: HOST, HOST:CONTAINER, HOST:PERMS or HOST:CONTAINER:PERMS,
 * PERMS a non-empty mix of r, w and m. Only the syntax; the host path is
 * looked at when the config is built. The strings are allocated. */
struct ocispec_device_spec {
	char *host, *container, *perms;
};
int ocispec_device_parse(const char *s, struct ocispec_device_spec *out, struct berth_err *err);
void ocispec_device_spec_clear(struct ocispec_device_spec *d);

/* A cpuset list ("0-3,6"): 0 when well-formed, -1 otherwise. *max gets the
 * highest number in it. */
int ocispec_cpuset_parse(const char *list, unsigned *max);

/* The --cgroup-parent check: a cgroup path without "." or ".." parts. */
int ocispec_cgroup_parent_check(const char *parent, struct berth_err *err);
/* linux.cgroupsPath of container id: PARENT/berth-ID, or berth-ID (under
 * the caller's cgroup) without a parent. */
char *ocispec_cgroups_path(const char *parent, const char *id);

/* The swap limit the container really gets (docker's rule: twice the
 * memory when only --memory was given and the host accounts swap; none
 * where it does not). */
int64_t ocispec_memory_swap(const struct ocispec_resources *r);
/* Whether the host limits swap per cgroup (v1 memory.memsw.*, v2
 * memory.swap.max). Probed once. */
bool ocispec_swap_accounting(void);

/* docker's checks across the flags, with its words ("Minimum memoryswap
 * limit should be larger than memory limit, see usage"), against this
 * host's cpus and memory nodes. */
int ocispec_resources_check(const struct ocispec_resources *r, struct berth_err *err);

/* Adds what r asks for to a config built by ocispec_build:
 * linux.resources.{memory,cpu,pids}, an allow rule per device in
 * linux.resources.devices and its node in linux.devices (the host's node
 * looked up through symlinks; a directory gives every node below it),
 * process.rlimits for the --ulimit values. Without --ulimit no rlimit is
 * set at all: the container inherits the caller's, which can never be
 * above the host's hard limits. r may be NULL (nothing to add). */
int ocispec_resources_apply(const struct ocispec_resources *r, json_object *doc,
			    struct berth_err *err);

/* Sets linux.resources.memory, .cpu and .pids of doc to what r asks for
 * (replacing what was there): the part of ocispec_resources_apply that
 * `update` changes. */
void ocispec_resources_limits(const struct ocispec_resources *r, json_object *doc);

/* --privileged, as docker: linux.devices gets every device node of the
 * host's /dev (runc's HostDevices: not below pts, shm, fd, mqueue; not the
 * console or the nodes every container has); the cgroup allows them all. */
void ocispec_privileged_devices(json_object *doc);

/* Adds docker's HostConfig fields for r to a recorded config: Memory,
 * MemorySwap, MemoryReservation, NanoCpus, CpuShares, CpusetCpus,
 * CpusetMems, PidsLimit, Ulimits, Devices, ShmSize, CgroupParent. */
void ocispec_resources_record(const struct ocispec_resources *r, json_object *config);
/* Only the limits `update` changes: Memory, MemorySwap, MemoryReservation,
 * NanoCpus, CpuShares, CpusetCpus, CpusetMems, PidsLimit. */
void ocispec_resources_record_limits(const struct ocispec_resources *r, json_object *config);
/* Those limits back from a recorded config (strings point into it). */
void ocispec_resources_from_record(json_object *config, struct ocispec_resources *r);
