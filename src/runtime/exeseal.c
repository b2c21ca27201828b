/* A sealed copy of the running program (see exeseal.h for why).
 *
 * Which mechanism, and what it costs: the static berth binary is tens of
 * megabytes, so copying it into a memfd at every start (runc 1.1's fix)
 * would cost milliseconds. A read-only bind mount of the file costs one
 * open_tree(OPEN_TREE_CLONE) and one mount_setattr (about 10 us here): the
 * clone is a detached mount, reachable only through our fd and, once we
 * execute it, through /proc/PID/exe, and a detached mount made read-only
 * refuses every open for writing (EROFS), whatever path or fd leads to
 * it. The inode is the host's, so nothing is copied. A privileged container
 * (CAP_SYS_ADMIN in the host's user namespace) could clear the flag with
 * mount_setattr on the fd it gets, but such a container can mount the
 * host's disks anyway; runc 1.2 accepts the same for its overlay clone.
 * What remains is the cost of executing the binary once more, paid only by
 * the commands that put processes into containers (runtime create, run and
 * exec; engine exec); the engine's monitor is executed sealed in the first
 * place, which costs nothing extra. */
#include "runtime/exeseal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/log.h"
#include "util/xalloc.h"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif

/* The program's path on the host, for a sealed process (whose
 * /proc/self/exe names the clone), and the pid that re-executed itself,
 * so that a failure to seal cannot loop. */
#define HOST_EXE_ENV "BERTH_HOST_EXE"
#define REEXEC_ENV   "BERTH_SEALED_PID"

extern char **environ;

static char **saved_argv;

void exeseal_init(char **argv)
{
	size_t n = 0;

	while (argv[n] != NULL)
		n++;
	saved_argv = xcalloc(n + 1, sizeof(char *));
	memcpy(saved_argv, argv, n * sizeof(char *));
}

static bool fd_sealed(int fd)
{
	struct statvfs sv;
	int seals;

	if (fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY))
		return true;
	seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & F_SEAL_WRITE) && (seals & F_SEAL_SEAL);
}

bool exeseal_running_sealed(void)
{
	autoclose int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	return fd >= 0 && fd_sealed(fd);
}

static int memfd_copy(struct berth_err *err)
{
	autoclose int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	autoclose int mfd = memfd_create("berth", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct stat st;

	if (src < 0 || mfd < 0 || fstat(src, &st) < 0)
		return berth_err_set(err, errno, "copy the runtime binary to a memfd");
	for (off_t off = 0; off < st.st_size;) {
		ssize_t n = sendfile(mfd, src, &off, (size_t)(st.st_size - off));
		if (n <= 0)
			return berth_err_set(err, n < 0 ? errno : EIO,
					     "copy the runtime binary to a memfd");
	}
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return berth_err_set(err, errno, "seal the runtime binary's memfd");
	return steal_fd(&mfd);
}

/* Root may write any file on a read-write mount; others, what access(2)
 * says. A running binary is never "busy" to access(2), but say so. */
static bool writable_by_us(void)
{
	return access("/proc/self/exe", W_OK) == 0 || errno == ETXTBSY;
}

/* The sealed fd, or the plain /proc/self/exe with *plain set when no seal
 * is needed (already sealed or read-only; or not writable by us, so not by
 * any container we start either). */
static int seal_open(bool *plain, struct berth_err *err)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
	};
	int fd;

	*plain = false;
	if (exeseal_running_sealed() || !writable_by_us()) {
		*plain = true;
		fd = open("/proc/self/exe", O_PATH | O_CLOEXEC);
		return fd >= 0 ? fd : berth_err_set(err, errno, "open /proc/self/exe");
	}
	fd = (int)syscall(SYS_open_tree, AT_FDCWD, "/proc/self/exe",
			  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd >= 0) {
		if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) == 0)
			return fd;
		close(fd);
	}
	log_debug("read-only clone of the runtime binary: %s; copying it", strerror(errno));
	return memfd_copy(err);
}

int exeseal_open(struct berth_err *err)
{
	bool plain;

	return seal_open(&plain, err);
}

int exeseal_reexec(struct berth_err *err)
{
	const char *again = getenv(REEXEC_ENV);
	char pid[24], host[PATH_MAX];
	ssize_t n;
	bool plain;
	int fd;

	if (saved_argv == NULL)
		return 0;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (again != NULL && strcmp(again, pid) == 0) {
		unsetenv(REEXEC_ENV);
		if (!exeseal_running_sealed())
			return berth_err_set(err, 0, "could not run the runtime from a sealed copy");
		return 0;
	}
	fd = seal_open(&plain, err);
	if (fd < 0)
		return -1;
	if (plain) {
		close(fd);
		return 0;
	}
	n = readlink("/proc/self/exe", host, sizeof(host) - 1);
	if (n > 0) {
		host[n] = '\0';
		setenv(HOST_EXE_ENV, host, 1);
	}
	setenv(REEXEC_ENV, pid, 1);
	syscall(SYS_execveat, fd, "", saved_argv, environ, AT_EMPTY_PATH);
	berth_err_set(err, errno, "execute the sealed runtime binary");
	unsetenv(REEXEC_ENV);
	close(fd);
	return -1;
}

int exeseal_execv(char **argv, struct berth_err *err)
{
	autofree char *host = exeseal_host_path();
	autoclose int fd = exeseal_open(err);

	if (fd < 0)
		return -1;
	if (host != NULL)
		setenv(HOST_EXE_ENV, host, 1);
	syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
	return berth_err_set(err, errno, "execute %s", argv[0]);
}

static bool same_file(const char *path, const struct stat *self)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_dev == self->st_dev && st.st_ino == self->st_ino;
}

char *exeseal_host_path(void)
{
	const char *env = getenv(HOST_EXE_ENV);
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	struct stat self;

	if (n <= 0 || stat("/proc/self/exe", &self) < 0)
		return NULL;
	buf[n] = '\0';
	/* Unsealed, or read-only where it is installed: the link is right. */
	if (buf[0] == '/' && same_file(buf, &self))
		return xstrdup(buf);
	/* A clone is the same inode as the file it was made from; a memfd
	 * copy is not, and then only the environment knows. */
	if (env != NULL && env[0] == '/' && (same_file(env, &self) || exeseal_running_sealed()))
		return xstrdup(env);
	return xstrdup(buf);
}
