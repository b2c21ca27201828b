#include "runtime/process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime/caps.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/hooks.h"
#include "runtime/rootfs.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"
#include "runtime/state.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/procfs.h"
#include "util/xalloc.h"

#ifdef __SANITIZE_ADDRESS__
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

static int run_hooks_inside(const struct init_args *a, enum spec_hook_kind kind,
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

static int set_rlimits(const struct spec_process *p, struct berth_err *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
		if (setrlimit(p->rlimits[i].resource, &rl) < 0)
			return berth_err_set(err, errno, "process.rlimits[%zu]: set %s to %llu:%llu",
					     i, spec_rlimit_name(p->rlimits[i].resource),
					     (unsigned long long)rl.rlim_cur,
					     (unsigned long long)rl.rlim_max);
	}
	return 0;
}

static bool file_says_yes(const char *path)
{
	char buf[8] = {0};
	autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0 && (buf[0] == 'Y' || buf[0] == '1');
}

/* AppArmor and SELinux labels take effect at execve. A label asked for on a
 * host without the LSM is an error: running unconfined when confinement
 * was requested would be a silent downgrade. */
static int write_attr(const char *rel, const char *value, struct berth_err *err)
{
	autoclose int procfd = procfs_root_open(AT_FDCWD, "/proc", err);

	if (procfd < 0)
		return -1;
	return procfs_self_write(procfd, rel, value, strlen(value), err);
}

static int set_lsm_labels(const struct spec_process *p, struct berth_err *err)
{
	if (p->apparmor_profile != NULL && p->apparmor_profile[0] != '\0') {
		autofree char *v = xasprintf("exec %s", p->apparmor_profile);
		if (!file_says_yes("/sys/module/apparmor/parameters/enabled"))
			return berth_err_set(err, 0,
					     "process.apparmorProfile \"%s\": AppArmor is not "
					     "enabled on this host",
					     p->apparmor_profile);
		if (write_attr("attr/apparmor/exec", v, err) < 0 &&
		    write_attr("attr/exec", v, err) < 0)
			return berth_err_wrap(err, "process.apparmorProfile");
	}
	if (p->selinux_label != NULL && p->selinux_label[0] != '\0') {
		if (!fs_exists("/sys/fs/selinux/enforce"))
			return berth_err_set(err, 0,
					     "process.selinuxLabel \"%s\": SELinux is not enabled "
					     "on this host",
					     p->selinux_label);
		if (write_attr("attr/exec", p->selinux_label, err) < 0)
			return berth_err_wrap(err, "process.selinuxLabel");
	}
	return 0;
}

static const char *env_get(char *const *env, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

/* 0 when execve could run path, else the errno it would fail with:
 * ENOENT (or ENOTDIR) when there is nothing there, EACCES for a directory
 * or a file without execute permission. *stat_failed tells which step
 * failed, for runc's wording. */
static int exec_errno(const char *path, bool *stat_failed)
{
	struct stat st;

	*stat_failed = stat(path, &st) < 0;
	if (*stat_failed)
		return errno;
	if (!S_ISREG(st.st_mode))
		return EACCES;
	return access(path, X_OK) < 0 ? errno : 0;
}

/* The runtime's report that the container's program cannot be run: the
 * one error the engine turns into docker's exit statuses 127 (not found)
 * and 126 (not executable). Engines that run berth-runc read the text
 * instead (docker looks for "no such file or directory" and "permission
 * denied"), so it is runc's, with Go's lower-case errno strings:
 *   exec: "/x": stat /x: no such file or directory
 *   exec: "/etc": permission denied */
static int program_err(struct berth_err *err, int errnum, const char *name, bool stat_failed)
{
	char text[128];

	snprintf(text, sizeof(text), "%s", strerror(errnum));
	if (text[0] >= 'A' && text[0] <= 'Z')
		text[0] = (char)(text[0] - 'A' + 'a');
	if (stat_failed)
		berth_err_set(err, 0, "exec: \"%s\": stat %s: %s", name, name, text);
	else
		berth_err_set(err, 0, "exec: \"%s\": %s", name, text);
	err->cmd_status = errnum == ENOENT || errnum == ENOTDIR ? 127 : 126;
	return -1;
}

/* Resolves args[0] in the container as execvp would, using the process's
 * own PATH, so a missing program fails create rather than start. */
static int find_program(const struct spec_process *p, char **out, struct berth_err *err)
{
	const char *name = p->args[0];
	const char *path_env;
	autofree char *copy = NULL;
	char *save = NULL;
	bool stat_failed;
	int e;

	if (strchr(name, '/') != NULL) {
		if ((e = exec_errno(name, &stat_failed)) != 0)
			return program_err(err, e, name, stat_failed);
		*out = xstrdup(name);
		return 0;
	}
	path_env = env_get(p->env, "PATH");
	if (path_env == NULL)
		path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	copy = xstrdup(path_env);
	for (char *dir = strtok_r(copy, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
		autofree char *cand = xasprintf("%s/%s", dir[0] ? dir : ".", name);
		if (exec_errno(cand, &stat_failed) == 0) {
			*out = steal_ptr(cand);
			return 0;
		}
	}
	berth_err_set(err, 0, "exec: \"%s\": executable file not found in $PATH", name);
	err->cmd_status = 127;
	return -1;
}

static int change_user(const struct spec_process *p, struct berth_err *err)
{
	const struct spec_user *u = &p->user;

	if (p->caps.present) {
		if (caps_apply_bounding(&p->caps, err) < 0)
			return -1;
		/* Keep the permitted set across the uid change; the sets are
		 * set exactly right after it. */
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			return berth_err_set(err, errno, "prctl(PR_SET_KEEPCAPS)");
	}
	if (setgroups(u->n_additional_gids, u->additional_gids) < 0 &&
	    !(errno == EPERM && u->n_additional_gids == 0))
		return berth_err_set(err, errno, "process.user.additionalGids: setgroups");
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return berth_err_set(err, errno, "process.user.gid %u", u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return berth_err_set(err, errno, "process.user.uid %u", u->uid);
	if (p->caps.present) {
		if (caps_apply_sets(&p->caps, err) < 0)
			return -1;
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	}
	return 0;
}

static int apply_seccomp(const struct init_args *a, struct berth_err *err)
{
	int nfd = -1;

	if (seccomp_config_apply(a->spec->seccomp, &nfd, err) < 0)
		return berth_err_wrap(err, "linux.seccomp");
	if (nfd >= 0) {
		/* No reply is awaited: the fewer of our own syscalls that run
		 * under a notify filter, the fewer can block on an agent. */
		int r = sync_send(a->sync_fd, SYNC_SECCOMP_FD, 0, NULL, nfd);
		close(nfd);
		if (r < 0)
			return berth_err_set(err, errno, "send the seccomp listener");
	}
	return 0;
}

/* What create and exec share once the process is in place: limits, labels,
 * identity, and the early seccomp filter. Returns the program's path. */
/* What the caller blocked or ignored (a monitor blocks SIGCHLD and
 * ignores SIGPIPE; a shell under nohup ignores SIGHUP) is not the
 * container's: its process starts with no signal blocked and every one at
 * its default action, as under docker's daemon. Handlers need nothing:
 * execve resets them. */
static void reset_signals(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction cur;

		if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, NULL, &cur) == 0 &&
		    cur.sa_handler == SIG_IGN)
			sigaction(sig, &dfl, NULL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The working directory, last of all that resolves a path the container
 * wrote (all host fds are closed by now), then checked to be below the
 * process's root: the kernel's getcwd(2) names a directory it cannot
 * reach from the root "(unreachable)/...", which is how a cwd reached
 * through a leaked fd shows (runc 1.1.12's check for CVE-2024-21626). */
static int chdir_checked(const char *cwd, struct berth_err *err)
{
	char buf[PATH_MAX];

	if (chdir(cwd) < 0)
		return berth_err_set(err, errno, "process.cwd %s", cwd);
	if (syscall(SYS_getcwd, buf, sizeof(buf)) < 0 && errno != ERANGE)
		return berth_err_set(err, errno, "process.cwd %s: getcwd", cwd);
	if (errno != ERANGE && buf[0] != '/')
		return berth_err_set(err, EACCES,
				     "process.cwd %s: the directory is outside the container's "
				     "root",
				     cwd);
	return 0;
}

/* A missing working directory, made where the process already sees only
 * the container's root (after the pivot, or in the joined mount namespace
 * with the container's root), so its path resolves in there. */
static int make_cwd(const char *cwd, struct berth_err *err)
{
	mode_t old;
	int r;

	if (cwd == NULL || access(cwd, F_OK) == 0)
		return 0;
	old = umask(022);
	r = fs_mkdir_p(cwd, 0755, err);
	umask(old);
	return r < 0 ? berth_err_wrap(err, "process.cwd %s", cwd) : 0;
}

/* The home of uid in the container's /etc/passwd (read as runc's init
 * reads it: from inside, before the user changes), or NULL. A FIFO or
 * a device there is not read: it could block the start for good. */
static char *passwd_home(uid_t uid)
{
	autoclose int fd = open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	autofree char *text = NULL;
	struct stat st;
	size_t len = 0;
	struct berth_err ignored;
	char *line, *save = NULL;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    fs_read_fd(fd, 4 << 20, &text, &len, &ignored) < 0)
		return NULL;
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		/* name:password:uid:gid:gecos:home:shell */
		char *f[7] = { 0 };
		char *p = line, *end;
		size_t n = 0;
		unsigned long v;

		while (n < 7) {
			f[n++] = p;
			p = strchr(p, ':');
			if (p == NULL)
				break;
			*p++ = '\0';
		}
		if (n < 6 || f[2][0] == '\0')
			continue;
		errno = 0;
		v = strtoul(f[2], &end, 10);
		if (errno == 0 && *end == '\0' && v == uid)
			return f[5][0] != '\0' ? xstrdup(f[5]) : NULL;
	}
	return NULL;
}

/* runc's HOME: an environment without one gets the user's home from the
 * container's /etc/passwd, else "/" (docker and podman pass their own;
 * engines that do not, containerd's ctr among them, rely on this).
 * Returns a new environment, or NULL to keep the process's own. */
static char **env_with_home(const struct spec_process *p)
{
	autofree char *home = NULL;
	size_t n = 0;
	char **env;

	for (; p->env != NULL && p->env[n] != NULL; n++)
		if (strncmp(p->env[n], "HOME=", 5) == 0)
			return NULL;
	home = passwd_home(p->user.uid);
	env = xcalloc(n + 2, sizeof(*env));
	if (n > 0)
		memcpy(env, p->env, n * sizeof(*env));
	env[n] = xasprintf("HOME=%s", home != NULL ? home : "/");
	return env;
}

static int finish_process(const struct init_args *a, char **prog, char ***env,
			  bool *seccomp_done, struct berth_err *err)
{
	const struct spec_process *p = a->process;
	bool early;

	reset_signals();
	if (a->make_cwd && make_cwd(p->cwd, err) < 0)
		return -1;

	if (chdir_checked(p->cwd != NULL ? p->cwd : "/", err) < 0)
		return -1;
	if (set_rlimits(p, err) < 0 || sched_apply(&p->sched, err) < 0 ||
	    sched_mempolicy_apply(&a->spec->memory_policy, err) < 0)
		return -1;
	if (a->spec->has_personality && personality(a->spec->personality) < 0)
		return berth_err_set(err, errno, "linux.personality");
	umask(p->user.has_umask ? p->user.umask : 0022);
	if (set_lsm_labels(p, err) < 0)
		return -1;
	if (find_program(p, prog, err) < 0)
		return -1;
	*env = env_with_home(p);
	/* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, so it
	 * goes in before the capabilities drop; a listener fd must reach the
	 * runtime before it returns from create. Otherwise the filter is the
	 * last thing before execve, so it constrains as few of our own calls as
	 * possible. */
	early = a->spec->seccomp != NULL &&
		(!p->no_new_privileges || seccomp_config_has_notify(a->spec->seccomp));
	if (early && apply_seccomp(a, err) < 0)
		return -1;
	*seccomp_done = a->spec->seccomp == NULL || early;
	if (change_user(p, err) < 0)
		return -1;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return berth_err_set(err, errno, "process.noNewPrivileges");
	return 0;
}

/* Only stdio and the preserved fds cross execve. */
static void limit_fds(int preserve)
{
	for (int fd = 3; fd < 3 + preserve; fd++) {
		int fl = fcntl(fd, F_GETFD);
		if (fl >= 0)
			fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
	}
	syscall(SYS_close_range, 3 + preserve, ~0U, CLOSE_RANGE_CLOEXEC);
}

/* Blocks until `start` opens the fifo for reading, then tells it we go on.
 * The fd stays open (close-on-exec): `start` sees the fifo hang up only
 * once execve has happened (or the process died), which is when poststart
 * hooks may run. */
/* Set up: only the chosen fds will cross execve, the runtime may exit
 * without taking us along, and it hears that we are ready. */
static void report_ready(const struct init_args *a)
{
	limit_fds(a->preserve_fds);
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (sync_send(a->sync_fd, SYNC_READY, 0, NULL, -1) < 0)
		_exit(1);
	close(a->sync_fd);
}

/* exec.fifo arrived as an O_PATH fd (never its host directory); opening
 * it for writing, through this process's own fd directory in the
 * container's procfs (opened and checked before the process changed
 * user or loaded seccomp), blocks until `start` reads. */
static int wait_for_start(const struct init_args *a, int fd_dir, struct berth_err *err)
{
	int fd = procfs_reopen(fd_dir, a->fifo_fd, O_WRONLY, err);

	close(fd_dir);
	close(a->fifo_fd);
	if (fd < 0)
		return berth_err_wrap(err, "open exec.fifo");
	if (write(fd, "0", 1) != 1) {
		close(fd);
		return berth_err_set(err, errno, "write exec.fifo");
	}
	return 0;
}

static _Noreturn void do_exec(const struct init_args *a, char *prog, char **env,
			      bool seccomp_done)
{
	struct berth_err err = { 0 };
	char *empty[] = {NULL};

	if (!seccomp_done) {
		int nfd = -1;
		/* Late filter: no_new_privs is set and there is no listener. */
		if (seccomp_config_apply(a->spec->seccomp, &nfd, &err) < 0) {
			dprintf(STDERR_FILENO, "berth: linux.seccomp: %s\n", err.msg);
			_exit(127);
		}
	}
	if (sched_apply_final(&a->process->sched, &err) < 0) {
		dprintf(STDERR_FILENO, "berth: %s\n", err.msg);
		_exit(127);
	}
	if (env == NULL)
		env = a->process->env != NULL ? a->process->env : empty;
	execve(prog, a->process->args, env);
	dprintf(STDERR_FILENO, "berth: exec %s: %s\n", prog, strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
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
	if (finish_process(a, &prog, &env, &seccomp_done, &err) < 0)
		fail(a, &err);
	report_ready(a);
	if (wait_for_start(a, fd_dir, &err) < 0) {
		dprintf(STDERR_FILENO, "berth: %s\n", err.msg);
		_exit(127);
	}
	if (run_hooks_inside(a, SPEC_HOOK_START_CONTAINER, STATUS_CREATED, host_pid, &err) < 0) {
		dprintf(STDERR_FILENO, "berth: %s\n", err.msg);
		_exit(127);
	}
	do_exec(a, prog, env, seccomp_done);
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
	if (finish_process(a, &prog, &env, &seccomp_done, &err) < 0)
		fail(a, &err);
	report_ready(a);
	do_exec(a, prog, env, seccomp_done);
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
