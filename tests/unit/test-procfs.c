/* util/procfs.c (a procfs reached without links or mount crossings) and
 * runtime/exeseal.c (the running binary's sealed copy). The mount-crossing
 * cases run in a private mount namespace of a child process. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/exeseal.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/procfs.h"

static void test_root(void)
{
	struct berth_err err = { 0 };
	int fd = procfs_root_open(AT_FDCWD, "/proc", &err);

	CHECK(fd >= 0, "/proc is a procfs root (%s)", fd < 0 ? err.msg : "ok");
	if (fd >= 0)
		close(fd);
	fd = procfs_root_open(AT_FDCWD, "/", &err);
	CHECK(fd < 0 && err.code == EXDEV, "/ is refused as a procfs root");
	fd = procfs_root_open(AT_FDCWD, "/proc/sys", &err);
	CHECK(fd < 0 && err.code == EXDEV, "/proc/sys is procfs but not its root");
}

static void test_open(void)
{
	struct berth_err err = { 0 };
	autoclose int procfd = procfs_root_open(AT_FDCWD, "/proc", &err);
	int fd;

	fd = procfs_open(procfd, "sys/kernel/ostype", O_RDONLY, &err);
	CHECK(fd >= 0, "sys/kernel/ostype opens (%s)", fd < 0 ? err.msg : "ok");
	if (fd >= 0)
		close(fd);
	fd = procfs_open(procfd, "self/status", O_RDONLY, &err);
	CHECK(fd < 0, "self (a symlink) is refused");
	fd = procfs_open(procfd, "../etc/passwd", O_RDONLY, &err);
	CHECK(fd < 0, "a walk above the procfs root is refused");
	fd = procfs_open(procfd, "/etc/passwd", O_RDONLY, &err);
	CHECK(fd < 0 && err.code == EINVAL, "an absolute path is refused");
	fd = procfs_self_fd_dir(procfd, &err);
	CHECK(fd >= 0, "our own fd directory (%s)", fd < 0 ? err.msg : "ok");
	if (fd >= 0) {
		autoclose int path = open("/etc/hostname", O_PATH | O_CLOEXEC);
		int r = path >= 0 ? procfs_reopen(fd, path, O_RDONLY, &err) : -1;
		CHECK(r >= 0, "an O_PATH fd reopened for reading (%s)", r < 0 ? err.msg : "ok");
		if (r >= 0)
			close(r);
		close(fd);
	}
}

/* In a child with a private mount namespace: a tmpfs over a procfs
 * directory, and a bind of another procfs file over a procfs file. */
static void test_crossing(void)
{
	int pipefd[2], counts[2] = { 0, 0 };
	pid_t pid;

	if (pipe(pipefd) < 0)
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct berth_err err = { 0 };
		close(pipefd[0]);
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
			printf("# SKIP mount namespace: %s\n", strerror(errno));
			_exit(0);
		}
		int procfd = procfs_root_open(AT_FDCWD, "/proc", &err);
		int r = mount("tmpfs", "/proc/sys/net", "tmpfs", 0, NULL);
		CHECK(r == 0, "tmpfs over /proc/sys/net");
		int fd = procfs_open(procfd, "sys/net/ipv4/ip_forward", O_RDONLY, &err);
		CHECK(fd < 0 && err.code == EXDEV, "a walk across a mount inside procfs is refused");
		r = mount("/proc/sys/kernel/ostype", "/proc/sys/kernel/hostname", NULL, MS_BIND, NULL);
		CHECK(r == 0, "a procfs file bound over another");
		fd = procfs_open(procfd, "sys/kernel/hostname", O_RDONLY, &err);
		CHECK(fd < 0, "a procfs file bound over another is refused");
		r = procfs_write(procfd, "sys/kernel/hostname", "x", 1, &err);
		CHECK(r < 0, "and so is a write to it");
		counts[0] = test_n;
		counts[1] = test_failed;
		fflush(stdout);
		if (write(pipefd[1], counts, sizeof(counts)) != sizeof(counts))
			_exit(1);
		_exit(0);
	}
	close(pipefd[1]);
	if (read(pipefd[0], counts, sizeof(counts)) == sizeof(counts)) {
		test_n = counts[0];
		test_failed = counts[1];
	}
	close(pipefd[0]);
	waitpid(pid, NULL, 0);
}

static void test_exeseal(void)
{
	struct berth_err err = { 0 };
	autofree char *host = exeseal_host_path();
	autofree char *self = realpath("/proc/self/exe", NULL);
	int fd = exeseal_open(&err);
	struct statvfs sv;

	CHECK(host != NULL && self != NULL && strcmp(host, self) == 0,
	      "unsealed, the host path is /proc/self/exe's (%s)", host ? host : "(null)");
	CHECK(fd >= 0, "a sealed copy of the test binary (%s)", fd < 0 ? err.msg : "ok");
	if (fd < 0)
		return;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int seals = -1;
	{
		autoclose int rd = open(path, O_RDONLY | O_CLOEXEC);
		seals = rd >= 0 ? fcntl(rd, F_GET_SEALS) : -1;
	}
	CHECK((statvfs(path, &sv) == 0 && (sv.f_flag & ST_RDONLY)) ||
		      (seals >= 0 && (seals & F_SEAL_WRITE)),
	      "the copy is on a read-only mount or sealed against writes");
	int w = open(path, O_WRONLY | O_CLOEXEC);
	CHECK(w < 0 && (errno == EROFS || errno == ETXTBSY || errno == EPERM),
	      "the copy cannot be opened for writing (%s)", w < 0 ? strerror(errno) : "opened");
	if (w >= 0)
		close(w);
	close(fd);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("# SKIP needs root\n");
		return 77;
	}
	test_root();
	test_open();
	test_crossing();
	test_exeseal();
	return TEST_DONE();
}
