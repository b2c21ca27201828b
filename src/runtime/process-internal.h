/* What process.c (the stages that put the container process in its
 * namespaces and root) and process-finish.c (its last steps up to execve)
 * share. Not for use outside src/runtime. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/spec.h"
#include "runtime/state.h"

struct berth_err;
struct init_args;

/* What create and exec share once the process is in place: the signal
 * state, the working directory, limits, labels, identity and the early
 * seccomp filter. Sets *prog to the program's path, *env to the
 * environment to run it with (NULL: the process's own; runc's HOME added
 * otherwise), and *seccomp_done when no filter is left for process_exec
 * to load. */
int process_finish(const struct init_args *a, char **prog, char ***env, bool *seccomp_done,
		   struct berth_err *err);
/* Only the chosen fds will cross execve, the runtime may exit without
 * taking the process along, and it hears that the process is ready. */
void process_report_ready(const struct init_args *a);
/* Blocks until `start` opens exec.fifo (a->fifo_fd) for reading, through
 * fd_dir, this process's fd directory in the container's procfs; closes
 * both. */
int process_wait_for_start(const struct init_args *a, int fd_dir, struct berth_err *err);
/* The late seccomp filter (unless seccomp_done), the final scheduling,
 * with start_hooks_pid (the container's pid on the host; 0 for exec) the
 * startContainer hooks, under the container's seccomp filter as runc runs
 * them, then execve of prog with env (process_finish's); never returns. */
_Noreturn void process_exec(const struct init_args *a, char *prog, char **env, bool seccomp_done,
			    pid_t start_hooks_pid);
/* The hooks of kind, run from inside the container (process.c). */
int run_hooks_inside(const struct init_args *a, enum spec_hook_kind kind,
		     enum container_status status, pid_t host_pid, struct berth_err *err);
