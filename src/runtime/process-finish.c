/* The container process's last steps (see process-internal.h), shared by
 * create's stage 2 and exec's once the process is in its namespaces and
 * root: the signal mask and dispositions, the working directory (made when
 * missing, checked to be inside the root), rlimits, scheduling, the
 * personality, the umask, LSM labels, the program's path (looked up in the
 * process's own PATH, so a missing program fails create, not start), the
 * early seccomp filter, the user and capabilities, no_new_privs; then the
 * report that it is ready, the wait on exec.fifo for `start`, the late
 * seccomp filter and execve. Everything here runs in the container
 * process, after every host fd is closed (process.c). */
#include "runtime/process-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/caps.h"
#include "runtime/process.h"
#include "runtime/sched.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"
#include "runtime/sync.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/procfs.h"
#include "util/xalloc.h"

static int set_rlimits(const struct spec_process *p, struct berth_err *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		struct rlimit rl = { .rlim_cur = p->rlimits[i].soft,
				     .rlim_max = p->rlimits[i].hard };
		if (setrlimit(p->rlimits[i].resource, &rl) < 0)
			return berth_err_set(
			    err, errno, "process.rlimits[%zu]: set %s to %llu:%llu", i,
			    spec_rlimit_name(p->rlimits[i].resource),
			    (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
	}
	return 0;
}

static bool file_says_yes(const char *path)
{
	char buf[8] = { 0 };
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
	for (char *dir = strtok_r(copy, ":", &save); dir != NULL;
	     dir = strtok_r(NULL, ":", &save)) {
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

/* The terminal the runtime made (process.terminal) belongs to the
 * process's user, as runc's init makes it: its uid changes, its group
 * stays devpts's (gid=5, tty), so screen, tmux, gpg and write work for a
 * user other than root. Errors are runc's too: a uid or an owner the user
 * namespace does not map (EINVAL, EPERM) or a read-only /dev (EROFS)
 * leaves it as it is. */
static int terminal_own(const struct spec_process *p, struct berth_err *err)
{
	struct stat st;

	if (!p->terminal || fstat(STDIN_FILENO, &st) < 0 || !S_ISCHR(st.st_mode) ||
	    !isatty(STDIN_FILENO) || st.st_uid == p->user.uid)
		return 0;
	if (fchown(STDIN_FILENO, p->user.uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM &&
	    errno != EROFS)
		return berth_err_set(err, errno, "chown the terminal to uid %u",
				     (unsigned)p->user.uid);
	return 0;
}

static int change_user(const struct spec_process *p, struct berth_err *err)
{
	const struct spec_user *u = &p->user;

	if (terminal_own(p, err) < 0)
		return -1;
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

/* What create and exec share once the process is in place: limits, labels,
 * identity, and the early seccomp filter. Returns the program's path. */
int process_finish(const struct init_args *a, char **prog, char ***env, bool *seccomp_done,
		   struct berth_err *err)
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

/* Set up: only the chosen fds will cross execve, the runtime may exit
 * without taking us along, and it hears that we are ready. */
void process_report_ready(const struct init_args *a)
{
	limit_fds(a->preserve_fds);
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (sync_send(a->sync_fd, SYNC_READY, 0, NULL, -1) < 0)
		_exit(1);
	close(a->sync_fd);
}

/* Blocks until `start` opens the fifo for reading, then tells it we go on.
 * The fd stays open (close-on-exec): `start` sees the fifo hang up only
 * once execve has happened (or the process died), which is when poststart
 * hooks may run.
 *
 * exec.fifo arrived as an O_PATH fd (never its host directory); opening
 * it for writing, through this process's own fd directory in the
 * container's procfs (opened and checked before the process changed
 * user or loaded seccomp), blocks until `start` reads. */
int process_wait_for_start(const struct init_args *a, int fd_dir, struct berth_err *err)
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

_Noreturn void process_exec(const struct init_args *a, char *prog, char **env, bool seccomp_done,
			    pid_t start_hooks_pid)
{
	struct berth_err err = { 0 };
	char *empty[] = { NULL };

	if (!seccomp_done) {
		int nfd = -1;
		/* Late filter: no_new_privs is set and there is no listener. */
		if (seccomp_config_apply(a->spec->seccomp, &nfd, &err) < 0) {
			dprintf(STDERR_FILENO, "berth: linux.seccomp: %s\n", err.msg);
			_exit(127);
		}
	}
	if (start_hooks_pid > 0 && run_hooks_inside(a, SPEC_HOOK_START_CONTAINER, STATUS_CREATED,
						    start_hooks_pid, &err) < 0) {
		dprintf(STDERR_FILENO, "berth: %s\n", err.msg);
		_exit(127);
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
