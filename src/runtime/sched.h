/* The process's scheduling as runtime-spec 1.2 describes it:
 * process.scheduler (sched_setattr: policy, nice, priority, flags and the
 * deadline parameters), process.ioPriority (ioprio_set: class and level)
 * and process.execCPUAffinity (CPU lists for the process while it is set
 * up, and once it runs). Parsed with the process, applied in the container
 * process while it still has the rights (CAP_SYS_NICE) to do so. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

struct berth_err;

struct spec_sched {
	bool has_scheduler;
	uint32_t policy;	/* SCHED_* */
	int32_t nice;
	uint32_t priority;
	uint64_t flags;		/* SCHED_FLAG_* */
	uint64_t runtime, deadline, period;

	bool has_ioprio;
	int ioprio_class;	/* IOPRIO_CLASS_* */
	int ioprio_level;

	char *cpus_initial;	/* CPU lists ("0-3,6"), or NULL */
	char *cpus_final;
};

/* linux.memoryPolicy: the NUMA policy of the container's processes. */
struct spec_mempolicy {
	bool present;
	int mode;		/* MPOL_* */
	unsigned flags;		/* MPOL_F_* */
	char *nodes;		/* node list ("0-1"), or NULL */
};

int sched_mempolicy_parse(json_object *linux_obj, struct spec_mempolicy *out,
			  struct berth_err *err);
void sched_mempolicy_clear(struct spec_mempolicy *m);
int sched_mempolicy_apply(const struct spec_mempolicy *m, struct berth_err *err);
/* The mode and flag names the parser takes (NULL-terminated), for
 * `features`. */
const char *const *sched_mempolicy_known_modes(void);
const char *const *sched_mempolicy_known_flags(void);

/* Reads scheduler, ioPriority and execCPUAffinity from a process object
 * (path names it in errors). */
int sched_parse(json_object *proc, const char *path, struct spec_sched *out,
		struct berth_err *err);
void sched_clear(struct spec_sched *s);

/* Parses a CPU list ("0-3,6") into a set; -1 for a malformed list. */
int sched_cpulist_parse(const char *list, void *cpu_set, unsigned long setsize);

/* Scheduler, I/O priority and the initial affinity, for the calling
 * process. */
int sched_apply(const struct spec_sched *s, struct berth_err *err);
/* The final affinity, just before execve. */
int sched_apply_final(const struct spec_sched *s, struct berth_err *err);
