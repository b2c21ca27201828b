/* The container's side of create and exec. The runtime forks stage 1,
 * which joins and creates namespaces (user first, then the rest with
 * unshare) and forks the container process (stage 2) as a sibling of itself
 * (CLONE_PARENT), so the runtime is that process's parent and pid and time
 * namespaces made by unshare apply to it. Stage 2 builds the root filesystem
 * (create), drops privileges and waits for `start` on the exec fifo before
 * it execs the user's program. */
#pragma once

#include <stdbool.h>

struct berth_err;
#include <sys/types.h>

struct cgroup;
struct spec;
struct spec_process;

struct init_args {
	const struct spec *spec;		/* the container's config */
	const struct spec_process *process;	/* what to run */
	struct cgroup *cg;	/* the container's cgroup, or NULL */
	const int *mount_fds;	/* idmapped mount trees by mount index, or NULL */
	int sync_fd;
	int console_fd;		/* connected console socket, or -1 */
	int fifo_fd;		/* create: O_PATH fd of exec.fifo; exec: -1 */
	bool no_pivot;
	bool new_keyring;
	int preserve_fds;
	pid_t join_pid;		/* exec: join this process's namespaces */
	const char *id;
	/* process_spawn_direct clones a child that shares the runtime's
	 * memory (CLONE_VM | CLONE_VFORK) and the runtime waits until it has
	 * exec'd: only when the child never waits for the runtime on its way
	 * (process_can_share_memory) and its reader holds exec.fifo open. */
	bool share_memory;
	/* A missing process.cwd is made (mode 0755, owned by the container's
	 * root) inside the container's root before the process goes there: at
	 * create, as runc (and so docker, for -w and WORKDIR); not at exec,
	 * where runc and docker fail. */
	bool make_cwd;
};

/* Whether the container process can be cloned straight from the runtime,
 * with its new namespaces and into its cgroup2 directory in one clone3:
 * no user namespace, no namespace joined by path, no time namespace. */
bool process_can_spawn_direct(const struct spec *s);
/* Does that clone; the child goes on as stage 2 and never returns. Returns
 * the child's pid, 0 when clone3 is unavailable (use stage 1), or -1. */
pid_t process_spawn_direct(const struct init_args *a, struct berth_err *err);
/* Whether the container process may share the runtime's memory until it
 * execs: nothing it does on its way needs the runtime to act (hooks the
 * runtime runs, a seccomp listener, network devices or an oom_score_adj
 * the runtime sets once the process exists). The caller must also hold
 * exec.fifo open for reading, so the process does not wait for `start`. */
bool process_can_share_memory(const struct spec *s);

/* Forks stage 1 (born in the container's cgroup2 directory), which joins
 * or makes the namespaces and forks the container process. Returns its
 * pid in the caller, or -1. */
pid_t process_fork_stage1(const struct init_args *a, struct berth_err *err);
