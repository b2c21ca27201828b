#include "runtime/process.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup.h"
#include "runtime/hooks.h"
#include "runtime/process-internal.h"
#include "runtime/rootfs.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"
#include "runtime/state.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/procfs.h"
#include "util/xalloc.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#endif

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
	int flag;
	const char *proc_name;
} ns_info[SPEC_NS_COUNT] = {
	[SPEC_NS_USER] = {CLONE_NEWUSER, "user"},   [SPEC_NS_PID] = {CLONE_NEWPID, "pid"},
	[SPEC_NS_NETWORK] = {CLONE_NEWNET, "net"},  [SPEC_NS_MOUNT] = {CLONE_NEWNS, "mnt"},
	[SPEC_NS_IPC] = {CLONE_NEWIPC, "ipc"},	    [SPEC_NS_UTS] = {CLONE_NEWUTS, "uts"},
	[SPEC_NS_CGROUP] = {CLONE_NEWCGROUP, "cgroup"}, [SPEC_NS_TIME] = {CLONE_NEWTIME, "time"},
};

/* The error goes to the runtime with its cmd_status, so a program that
 * cannot be run stays told apart from every other failure. */
static _Noreturn void fail(const struct init_args *a, struct berth_err *err)
{
	sync_send(a->sync_fd, SYNC_ERROR, err->cmd_status, err->msg, -1);
	_exit(1);
}

/* Non-dumpable from before it joins or makes the container's namespaces
 * until execve (which makes the container's program dumpable again): a
 * process in the container then cannot open this one's /proc/PID/exe,
 * /proc/PID/fd/N, /proc/PID/cwd or /proc/PID/root, nor ptrace it, without
 * CAP_SYS_PTRACE in the host's user namespace (CVE-2016-9962 and the
 * CVE-2019-5736 class; the binary itself is sealed too, exeseal.h). A
 * moment of dumpability is needed only while the runtime, perhaps not
 * root, writes this process's /proc files (uid_map, timens_offsets, whose
 * owner becomes root otherwise); stage 1 is never in the container's pid
 * namespace, so nothing in the container can see it then. */
static void set_dumpable(bool on)
{
	prctl(PR_SET_DUMPABLE, on ? 1 : 0, 0, 0, 0);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Closes every fd but stdio, the fds the caller asked to preserve and
 * the ones this setup still needs (the sync socket, the console socket,
 * exec.fifo, idmapped mount trees, extra). Close-on-exec is not enough:
 * until execve, an fd of a host directory (the engine's store, a cgroup,
 * the runtime's state) is a way out of the container through
 * /proc/self/fd/N, for a working directory set to it (CVE-2024-21626) or
 * for another process in the container. The log file goes too: errors
 * travel over the sync socket. */
static void close_host_fds(const struct init_args *a, int extra)
{
	size_t n_mounts = a->mount_fds != NULL ? a->spec->n_mounts : 0;
	autofree int *keep = xcalloc(n_mounts + 8, sizeof(int));
	size_t n = 0;
	unsigned int from = 3 + (unsigned int)a->preserve_fds;

	log_drop_file();
	keep[n++] = a->sync_fd;
	keep[n++] = a->console_fd;
	keep[n++] = a->fifo_fd;
	keep[n++] = extra;
	for (size_t i = 0; i < n_mounts; i++)
		keep[n++] = a->mount_fds[i];
	qsort(keep, n, sizeof(int), cmp_int);
	for (size_t i = 0; i < n; i++) {
		if (keep[i] < (int)from)
			continue;
		if ((unsigned int)keep[i] > from)
			syscall(SYS_close_range, from, (unsigned int)keep[i] - 1, 0);
		from = (unsigned int)keep[i] + 1;
	}
	syscall(SYS_close_range, from, ~0U, 0);
}

/* Opens every namespace to join before entering any: once the mount
 * namespace changes, the paths would resolve elsewhere. */
static int open_ns_paths(const struct init_args *a, int fds[SPEC_NS_COUNT], struct berth_err *err)
{
	for (int k = 0; k < SPEC_NS_COUNT; k++) {
		char buf[64];
		const char *path = NULL;
		struct stat self, other;

		fds[k] = -1;
		if (a->join_pid > 0) {
			/* exec: join what the container's init is in, skipping the
			 * namespaces it shares with us (setns to our own user
			 * namespace fails with EINVAL). */
			snprintf(buf, sizeof(buf), "/proc/%d/ns/%s", a->join_pid,
				 ns_info[k].proc_name);
			path = buf;
			char self_path[64];
			snprintf(self_path, sizeof(self_path), "/proc/self/ns/%s",
				 ns_info[k].proc_name);
			if (stat(path, &other) < 0) {
				if (errno == ENOENT)
					continue; /* the kernel lacks this namespace */
				return berth_err_set(err, errno, "stat %s", path);
			}
			if (stat(self_path, &self) == 0 && self.st_ino == other.st_ino &&
			    self.st_dev == other.st_dev)
				continue;
		} else {
			if (!a->spec->ns[k].present || a->spec->ns[k].path == NULL)
				continue;
			path = a->spec->ns[k].path;
		}
		fds[k] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[k] < 0)
			return berth_err_set(err, errno, "open %s namespace %s", ns_info[k].proc_name,
					     path);
	}
	return 0;
}

static int join_namespaces(const struct init_args *a, struct berth_err *err)
{
	int fds[SPEC_NS_COUNT];
	int r;

	/* All -1 first: a failed open leaves the later slots unset. */
	for (int k = 0; k < SPEC_NS_COUNT; k++)
		fds[k] = -1;
	r = open_ns_paths(a, fds, err);

	/* The user namespace first: it grants the rights to enter the others. */
	for (int k = 0; r == 0 && k < SPEC_NS_COUNT; k++) {
		if (fds[k] < 0)
			continue;
		if (setns(fds[k], ns_info[k].flag) < 0)
			r = berth_err_set(err, errno, "join %s namespace", ns_info[k].proc_name);
		else if (k == SPEC_NS_USER && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
			r = berth_err_set(err, errno, "become root in the joined user namespace");
	}
	for (int k = 0; k < SPEC_NS_COUNT; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	return r;
}

static int create_namespaces(const struct init_args *a, struct berth_err *err)
{
	const struct spec *s = a->spec;
	int flags = 0;

	if (s->ns[SPEC_NS_USER].present && s->ns[SPEC_NS_USER].path == NULL) {
		if (unshare(CLONE_NEWUSER) < 0)
			return berth_err_set(err, errno, "create user namespace");
		set_dumpable(true);
		if (sync_send(a->sync_fd, SYNC_USERNS, 0, NULL, -1) < 0 ||
		    sync_expect(a->sync_fd, SYNC_ACK, err) < 0)
			return -1;
		set_dumpable(false);
		/* Root inside, when root is mapped; otherwise stay unmapped. */
		if (setresgid(0, 0, 0) < 0 && errno != EINVAL)
			return berth_err_set(err, errno, "setresgid in the user namespace");
		if (setresuid(0, 0, 0) < 0 && errno != EINVAL)
			return berth_err_set(err, errno, "setresuid in the user namespace");
	}
	/* The cgroup namespace is made by the container process itself (see
	 * stage2_create): only it is in every one of the container's cgroups. */
	for (int k = SPEC_NS_USER + 1; k < SPEC_NS_COUNT; k++)
		if (s->ns[k].present && s->ns[k].path == NULL && k != SPEC_NS_CGROUP)
			flags |= ns_info[k].flag;
	if (flags != 0 && unshare(flags) < 0)
		return berth_err_set(err, errno, "create namespaces (unshare 0x%x)", flags);
	if ((flags & CLONE_NEWTIME) && s->n_time_offsets > 0) {
		char buf[256];
		size_t len = 0;
		for (size_t i = 0; i < s->n_time_offsets; i++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s %lld %u\n",
						s->time_offsets[i].clock == CLOCK_BOOTTIME
							? "boottime"
							: "monotonic",
						(long long)s->time_offsets[i].secs,
						s->time_offsets[i].nanosecs);
		autoclose int procfd = procfs_root_open(AT_FDCWD, "/proc", err);
		int r;

		set_dumpable(true);
		r = procfd < 0 ? -1 : procfs_self_write(procfd, "timens_offsets", buf, len, err);
		set_dumpable(false);
		if (r < 0)
			return berth_err_wrap(err, "linux.timeOffsets");
	}
	return 0;
}

static json_object *hook_state(const struct init_args *a, enum container_status status,
			       pid_t pid)
{
	struct container_state st = {
		.id = (char *)a->id,
		.bundle = a->spec->bundle,
		.rootfs = a->spec->root_path,
		.pid = pid,
		.created = (char *)"",
		.annotations = spec_annotations(a->spec),
	};
	return state_to_json(&st, status);
}

int run_hooks_inside(const struct init_args *a, enum spec_hook_kind kind,
		     enum container_status status, pid_t host_pid, struct berth_err *err)
{
	json_object *o;
	int r;

	if (a->spec->hooks[kind].n == 0)
		return 0;
	o = hook_state(a, status, host_pid);
	r = hooks_run(a->spec, kind, json_to_text(o), err);
	json_object_put(o);
	return r;
}

/* Through the container's own procfs (the mount at its /proc, checked to
 * be one) and never along a link or across a mount below it: an image that
 * puts a volume with symlinks over /proc/sys/net/ipv4 cannot turn a write
 * of the container's sysctl into one of the host's (procfs.h). */
static int set_sysctls(const struct spec *s, int rootfd, struct berth_err *err)
{
	autoclose int procfd = -1;

	if (s->n_sysctl == 0)
		return 0;
	procfd = procfs_root_open(rootfd, "proc", err);
	if (procfd < 0)
		return berth_err_wrap(err, "linux.sysctl: the container's /proc");
	for (size_t i = 0; i < s->n_sysctl; i++) {
		autofree char *path = xasprintf("sys/%s", s->sysctl[i].key);
		for (char *c = path + strlen("sys/"); *c != '\0'; c++)
			if (*c == '.')
				*c = '/';
		if (procfs_write(procfd, path, s->sysctl[i].value, strlen(s->sysctl[i].value),
				 err) < 0)
			return berth_err_wrap(err, "linux.sysctl %s", s->sysctl[i].key);
	}
	return 0;
}

static int setup_terminal(const struct init_args *a, int rootfd, int *slave,
			  struct berth_err *err)
{
	int master = -1;

	*slave = -1;
	if (!a->process->terminal)
		return 0;
	if (a->console_fd < 0)
		return berth_err_set(err, 0,
				     "process.terminal is true but no --console-socket was given");
	if (terminal_open(rootfd, a->process->console_height, a->process->console_width,
			  &master, slave, err) < 0)
		return -1;
	if (terminal_send_fd(a->console_fd, master, "/dev/ptmx", err) < 0) {
		close(master);
		return -1;
	}
	close(master);
	close(a->console_fd);
	return 0;
}

/* This process's fd directory in the container's procfs, to open
 * exec.fifo through when `start` comes. */
static int open_fd_dir(struct berth_err *err)
{
	autoclose int procfd = procfs_root_open(AT_FDCWD, "/proc", err);

	if (procfd < 0)
		return berth_err_wrap(err, "exec.fifo: the container's /proc");
	return procfs_self_fd_dir(procfd, err);
}

static _Noreturn void stage2_create(const struct init_args *a, pid_t host_pid)
{
	const struct spec *s = a->spec;
	struct berth_err err = { 0 };
	autoclose int rootfd = -1;
	autofree char *prog = NULL;
	char **env = NULL;
	bool seccomp_done = false;
	int slave = -1, fd_dir;

	/* A session (and process group) of its own, as runc's init: the
	 * container's kill(0, ...) or a signal to its group then reaches
	 * nothing outside it, such as the monitor whose child it is. */
	setsid();
	/* Rooted at the container's cgroups, which this process (unlike stage
	 * 1, on cgroup2) is in from its first instruction. */
	if (s->ns[SPEC_NS_CGROUP].present && s->ns[SPEC_NS_CGROUP].path == NULL &&
	    unshare(CLONE_NEWCGROUP) < 0) {
		berth_err_set(&err, errno, "create cgroup namespace");
		fail(a, &err);
	}
	if (rootfs_prepare(s, s->ns[SPEC_NS_USER].present, a->mount_fds, &rootfd, &err) < 0)
		fail(a, &err);
	for (size_t i = 0; a->mount_fds != NULL && i < s->n_mounts; i++)
		if (a->mount_fds[i] >= 0)
			close(a->mount_fds[i]);
	if (setup_terminal(a, rootfd, &slave, &err) < 0)
		fail(a, &err);
	if (slave >= 0 && rootfs_bind_console(rootfd, slave, &err) < 0)
		fail(a, &err);
	if (s->hooks[SPEC_HOOK_PRESTART].n + s->hooks[SPEC_HOOK_CREATE_RUNTIME].n > 0 &&
	    (sync_send(a->sync_fd, SYNC_HOOKS, 0, NULL, -1) < 0 ||
	     sync_expect(a->sync_fd, SYNC_ACK, &err) < 0))
		_exit(1);
	/* runc runs createContainer hooks from the container's root */
	if (s->hooks[SPEC_HOOK_CREATE_CONTAINER].n > 0 && fchdir(rootfd) < 0) {
		berth_err_set(&err, errno, "chdir to the container's root");
		fail(a, &err);
	}
	if (run_hooks_inside(a, SPEC_HOOK_CREATE_CONTAINER, STATUS_CREATING, host_pid, &err) < 0)
		fail(a, &err);
	/* Before the pivot, while the mount sources and targets resolve
	 * through the runtime's own /proc: sysctls (through the container's
	 * procfs, checked), then masked paths (with the host's /dev/null,
	 * checked) and read-only paths, which usually list /proc/sys. */
	if (set_sysctls(s, rootfd, &err) < 0 || rootfs_protect(s, rootfd, &err) < 0 ||
	    rootfs_pivot(s, rootfd, a->no_pivot, &err) < 0 || rootfs_finalize(s, &err) < 0)
		fail(a, &err);
	close(rootfd);
	rootfd = -1;
	fd_dir = open_fd_dir(&err);
	if (fd_dir < 0)
		fail(a, &err);
	if (s->hostname != NULL && sethostname(s->hostname, strlen(s->hostname)) < 0) {
		berth_err_set(&err, errno, "hostname \"%s\"", s->hostname);
		fail(a, &err);
	}
	if (s->domainname != NULL && setdomainname(s->domainname, strlen(s->domainname)) < 0) {
		berth_err_set(&err, errno, "domainname \"%s\"", s->domainname);
		fail(a, &err);
	}
	if (a->new_keyring) {
		/* A session keyring of its own, so the container cannot read
		 * the host's keys; kernels without keyrings are fine. */
		autofree char *name = xasprintf("_ses.%s", a->id);
		if (syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, name) < 0 &&
		    errno != ENOSYS)
			log_debug("join a session keyring: %s", strerror(errno));
	}
	if (slave >= 0 && terminal_become_controlling(slave, &err) < 0)
		fail(a, &err);
	if (process_finish(a, &prog, &env, &seccomp_done, &err) < 0)
		fail(a, &err);
	process_report_ready(a);
	if (process_wait_for_start(a, fd_dir, &err) < 0) {
		dprintf(STDERR_FILENO, "berth: %s\n", err.msg);
		_exit(127);
	}
	process_exec(a, prog, env, seccomp_done, host_pid);
}

static _Noreturn void stage2_exec(const struct init_args *a)
{
	struct berth_err err = { 0 };
	autofree char *prog = NULL;
	char **env = NULL;
	bool seccomp_done = false;
	int slave = -1;

	setsid(); /* as stage2_create's */
	if (setup_terminal(a, -1, &slave, &err) < 0)
		fail(a, &err);
	if (slave >= 0 && terminal_become_controlling(slave, &err) < 0)
		fail(a, &err);
	if (process_finish(a, &prog, &env, &seccomp_done, &err) < 0)
		fail(a, &err);
	process_report_ready(a);
	process_exec(a, prog, env, seccomp_done, 0);
}

static pid_t read_host_pid(void)
{
	char buf[32] = {0};
	/* /proc is still the host's procfs here, which names us by our pid
	 * in the runtime's pid namespace: the pid hooks must be given. */
	if (readlink("/proc/self", buf, sizeof(buf) - 1) > 0)
		return (pid_t)atoi(buf);
	return getpid();
}

/* clone3's argument block (linux/sched.h, v2 layout with .cgroup), spelled
 * out here because <linux/sched.h> and glibc's <sched.h> collide. */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
		set_tid, set_tid_size, cgroup;
};

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* Forks the container process as the runtime's child (CLONE_PARENT: `run`
 * can wait for it, and after `create` it is reparented to the caller's
 * subreaper, such as containerd's shim). It inherits stage 1's cgroups. */
static pid_t fork_container_process(struct berth_err *err)
{
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);

	if (pid < 0)
		berth_err_set(err, errno, "fork the container process");
	return pid;
}

static _Noreturn void process_stage1(const struct init_args *a);

pid_t process_fork_stage1(const struct init_args *a, struct berth_err *err)
{
	struct clone3_args ca = {.exit_signal = SIGCHLD};
	autoclose int cgfd = -1;
	pid_t pid = -1;

	/* Stage 1 is born in the container's cgroup2 directory, so that no
	 * process in the container's pid namespace ever holds an fd of it:
	 * stage 2, which joins that namespace at birth, is forked by stage 1
	 * with no fd but the setup's own (close_host_fds). A user namespace
	 * would also take away the right to move in later. */
	if (a->cg != NULL && cgroup_open_v2(a->cg, &cgfd, err) < 0)
		return -1;
	if (cgfd >= 0) {
		ca.flags = CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)cgfd;
		pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
		if (pid < 0 && errno != ENOSYS && errno != E2BIG)
			return berth_err_set(err, errno, "fork stage 1 into the cgroup (clone3)");
	}
	if (pid < 0) {
		/* Before Linux 5.7 (or without cgroup2): fork, then move. */
		pid = fork();
		if (pid < 0)
			return berth_err_set(err, errno, "fork");
		if (pid == 0 && cgfd >= 0) {
			struct berth_err cerr = { 0 };
			if (cgroup_enter_v2(a->cg, getpid(), &cerr) < 0)
				fail(a, &cerr);
		}
	}
	if (pid == 0)
		process_stage1(a);
	return pid;
}

bool process_can_spawn_direct(const struct spec *s)
{
	/* A user namespace needs its maps written between its creation and
	 * the others'; a joined namespace, and time offsets, need a process
	 * to act before the container process exists: stage 1. */
	if (s->ns[SPEC_NS_USER].present || s->ns[SPEC_NS_TIME].present)
		return false;
	for (int k = 0; k < SPEC_NS_COUNT; k++)
		if (s->ns[k].present && s->ns[k].path != NULL)
			return false;
	return true;
}

bool process_can_share_memory(const struct spec *s)
{
	return process_can_spawn_direct(s) && s->hooks[SPEC_HOOK_PRESTART].n == 0 &&
	       s->hooks[SPEC_HOOK_CREATE_RUNTIME].n == 0 &&
	       (s->seccomp == NULL || !seccomp_config_has_notify(s->seccomp)) &&
	       s->n_net_devices == 0 && !s->process.has_oom_score_adj;
}

/* The container process cloned straight from the runtime: into the v1
 * hierarchies (and, when it was not born there, cgroup2), then stage 2. */
static _Noreturn void direct_child(const struct init_args *a, bool enter_v2)
{
	struct berth_err err = { 0 };
	pid_t host_pid;

	set_dumpable(false);
	close_host_fds(a, -1);
	host_pid = read_host_pid();
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (a->cg != NULL && ((enter_v2 && cgroup_enter_v2(a->cg, 0, &err) < 0) ||
			      cgroup_enter_self(a->cg, &err) < 0))
		fail(a, &err);
	stage2_create(a, host_pid);
}

/* The child's stack while it shares the runtime's memory: a buffer in the
 * frame of the function that clones it, which stays put because the
 * runtime is suspended until the child execs or exits (CLONE_VFORK), and
 * which lies inside the thread's stack (so sanitizers see a stack they
 * know). Stage 2 needs a few pages; a hook's or seccomp's libraries more. */
#define SHARED_CHILD_STACK (256 * 1024)

struct shared_child {
	const struct init_args *a;
	sigset_t mask; /* the runtime's, before it blocked every signal */
};

static int shared_child_main(void *arg)
{
	const struct shared_child *c = arg;
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	/* A handler of the runtime's would run on the memory the runtime
	 * shares with us: none may run here. Signals are blocked until this
	 * is done; ignored ones are stage 2's (reset_signals). */
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction cur;

		if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, NULL, &cur) == 0 &&
		    cur.sa_handler != SIG_DFL && cur.sa_handler != SIG_IGN)
			sigaction(sig, &dfl, NULL);
	}
	sigprocmask(SIG_SETMASK, &c->mask, NULL);
	direct_child(c->a, true);
}

/* clone(2) with CLONE_VM | CLONE_VFORK: no copy of the runtime's page
 * tables, and none of the copy-on-write faults that follow a fork, on
 * both sides; on a host where those are dear (a paravirtualised guest
 * here: 600 us for a fork, 10 us a fault) that is most of what a `run`
 * costs beyond the kernel's own work for the namespaces. What the child
 * changes in memory the runtime shares (the allocator's state, the log's
 * fd, dumpability, which belongs to the memory) is consistent or put back
 * here; it changes nothing else of the runtime's (files, fs, signal
 * handlers are its own copies). */
static __attribute__((noinline)) pid_t clone_shared(const struct init_args *a, int ns_flags,
						    struct berth_err *err)
{
	_Alignas(16) char stack[SHARED_CHILD_STACK];
	struct shared_child c = { .a = a };
	int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	int log_fd = log_get_fd();
	sigset_t all;
	pid_t pid;
	int saved;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &c.mask);
#ifdef __SANITIZE_ADDRESS__
	/* What the child allocates and never frees (it execs) is not ours
	 * to report: LeakSanitizer's state is per thread, and the child runs
	 * as this thread. */
	__lsan_disable();
#endif
	pid = clone(shared_child_main, stack + sizeof(stack),
		    ns_flags | CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
	saved = errno;
#ifdef __SANITIZE_ADDRESS__
	__lsan_enable();
	/* The child's frames poisoned parts of stack[] in AddressSanitizer's
	 * shadow and never returned to clear them: the array is ours again. */
	__asan_unpoison_memory_region(stack, sizeof(stack));
#endif
	log_set_fd(log_fd);
	if (dumpable >= 0)
		prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
	sigprocmask(SIG_SETMASK, &c.mask, NULL);
	if (pid < 0)
		return berth_err_set(err, saved, "create the container process (clone 0x%x)",
				     (unsigned int)ns_flags);
	return pid;
}

pid_t process_spawn_direct(const struct init_args *a, struct berth_err *err)
{
	struct clone3_args ca = {.exit_signal = SIGCHLD};
	autoclose int cgfd = -1;
	pid_t pid;

	for (int k = SPEC_NS_USER + 1; k < SPEC_NS_COUNT; k++)
		if (a->spec->ns[k].present && k != SPEC_NS_CGROUP)
			ca.flags |= (uint64_t)ns_info[k].flag;
	if (a->share_memory)
		return clone_shared(a, (int)ca.flags, err);
	if (a->cg != NULL && cgroup_open_v2(a->cg, &cgfd, err) < 0)
		return -1;
	if (cgfd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)cgfd;
	}
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0) {
		if (errno == ENOSYS || errno == E2BIG)
			return 0; /* before Linux 5.7: the caller uses stage 1 */
		return berth_err_set(err, errno, "create the container process (clone3 0x%llx)",
				     (unsigned long long)ca.flags);
	}
	if (pid == 0)
		direct_child(a, false);
	return pid;
}

static _Noreturn void process_stage1(const struct init_args *a)
{
	struct berth_err err = { 0 };
	int go[2];
	pid_t pid;

	set_dumpable(false);
	close_host_fds(a, -1);
	/* Into the v1 hierarchies first (cgroup2 we were born in), before any
	 * namespace changes what the cgroup paths resolve to; the container
	 * process inherits them. */
	if (a->cg != NULL && cgroup_enter_self(a->cg, &err) < 0)
		fail(a, &err);
	if (join_namespaces(a, &err) < 0)
		fail(a, &err);
	if (a->join_pid <= 0 && create_namespaces(a, &err) < 0)
		fail(a, &err);
	/* Stage 2 says nothing to the runtime before stage 1 has told it
	 * stage 2's pid: a ready (or a hook request) that overtook the pid
	 * left the runtime waiting for pid 0, that is for any child of its
	 * own, such as stage 1 with its exit status 0. */
	if (pipe2(go, O_CLOEXEC) < 0) {
		berth_err_set(&err, errno, "pipe");
		fail(a, &err);
	}
	pid = fork_container_process(&err);
	if (pid < 0)
		fail(a, &err);
	if (pid == 0) {
		pid_t host_pid = read_host_pid();
		char c;

		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		close(go[1]);
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		close(go[0]);
		if (a->join_pid > 0)
			stage2_exec(a);
		stage2_create(a, host_pid);
	}
	close(go[0]);
	sync_send(a->sync_fd, SYNC_PID, pid, NULL, -1);
	_exit(0); /* closes go[1]: stage 2 goes on */
}
