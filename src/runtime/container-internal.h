/* What the container lifecycle files share (container.c: start, state,
 * kill, delete, run and the rest; create.c: the create job; exec.c). Not
 * for use outside src/runtime. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/container.h"
#include "runtime/state.h"

struct berth_err;
struct cgroup;
struct spec;
struct spec_process;

/* Everything create made, so a failure can take it all back. */
struct create_job {
	const struct runtime_ctx *ctx;
	const struct create_opts *o;
	struct spec *s;
	struct container_state st;
	char *dir;
	bool dir_made;
	struct cgroup *cg;
	int sync[2];
	int console_fd;
	int fifo_fd;		/* O_PATH, ROOT/ID/exec.fifo */
	int fifo_reader;	/* run: exec.fifo open for reading since before
				 * the container process exists, or -1 */
	pid_t stage1;
	pid_t init;
	bool owns_spec;		/* create loaded it (exec borrows the caller's) */
	int *mount_fds;		/* idmapped mount trees, by mount index (idmap.h) */
	bool exec;		/* spawning into a running container, not creating */
};


void job_init(struct create_job *j, const struct runtime_ctx *ctx, const struct create_opts *o,
	      struct spec *s);
/* Takes back everything the job made: processes, cgroup, state directory. */
void job_undo(struct create_job *j);
void job_free(struct create_job *j);
/* The console: a connection to socket_path, or (proxy) a socketpair whose
 * other end (*proxy_end) receives the pty master for `run`/`exec -t`. */
int job_console(struct create_job *j, const char *socket_path, bool proxy, int *proxy_end,
		struct berth_err *err);
/* Starts the container process (join_pid > 0: into that process's
 * namespaces, for exec) and serves its setup until it is ready. */
int job_spawn(struct create_job *j, const struct spec_process *proc, pid_t join_pid,
	      struct berth_err *err);
/* Validates, loads the bundle's config and runs the create job; on success
 * the job (and the spec it owns) stay with the caller. */
int create_begin(const struct runtime_ctx *ctx, const struct create_opts *o, struct create_job *j,
		 int *proxy_end, struct berth_err *err);
int write_pid_file(const char *path, pid_t pid, struct berth_err *err);

/* The state and (s != NULL) the config stored at create. */
#define SECCOMP_CACHE_NAME ".seccomp-cache"
/* Compiled seccomp filters are cached in ROOT/.seccomp-cache (seccomp.h);
 * called before a spec is parsed. */
void runtime_seccomp_cache(const struct runtime_ctx *ctx);
int load_container(const struct runtime_ctx *ctx, const char *id, struct container_state **st,
		   struct spec **s, struct berth_err *err);
int load_cgroup(const struct container_state *st, struct cgroup **cg, struct berth_err *err);
/* A pidfd of the recorded process, or -1 (ESRCH) once it is gone or the pid
 * was reused. */
int pidfd_open_checked(const struct container_state *st);
/* Forwards our signals to pid until it exits, then reaps it; *status is
 * its exit status, or 128+signal. */
int wait_forwarding(pid_t pid, int *status, struct berth_err *err);
