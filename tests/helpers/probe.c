/*
 * probe: a tiny static program that the integration tests copy into container
 * root filesystems. It reports what the process sees from inside (ids,
 * capabilities, limits, mounts, namespaces) as one JSON object on stdout, or
 * performs one action (a syscall, a read, an allocation) and reports the
 * result with its errno, so that a test asserts what the container saw rather
 * than what the runtime claims.
 *
 * It is linked statically and depends on nothing but libc, so it runs in a
 * busybox rootfs, and it never links a sanitizer runtime, whose startup would
 * itself touch /proc and the memory limits under test.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* A minimal streaming JSON writer: one comma flag per open container. */
static bool first[16] = { true };
static int depth;

static void j_sep(void)
{
	if (!first[depth])
		putchar(',');
	first[depth] = false;
}

static void j_raw_str(const char *s, size_t len)
{
	putchar('"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c); /* keeps output valid JSON for any bytes */
		else
			putchar(c);
	}
	putchar('"');
}

static void j_str(const char *s)
{
	if (!s)
		fputs("null", stdout);
	else
		j_raw_str(s, strlen(s));
}

static void j_key(const char *k)
{
	j_sep();
	j_str(k);
	putchar(':');
}

static void j_open(char c)
{
	putchar(c);
	first[++depth] = true;
}

static void j_close(char c)
{
	putchar(c);
	depth--;
}

static void j_kint(const char *k, long long v)
{
	j_key(k);
	printf("%lld", v);
}

static void j_kstr(const char *k, const char *v)
{
	j_key(k);
	j_str(v);
}

static void j_kbool(const char *k, bool v)
{
	j_key(k);
	fputs(v ? "true" : "false", stdout);
}

static void j_end(void)
{
	putchar('\n');
	fflush(stdout);
}

/* Reads a whole small file; NULL (errno set) on failure. */
static char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			int saved = errno;
			free(buf);
			close(fd);
			errno = saved;
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* Emits each line of a file as a string in an array, runs of blanks squeezed. */
static void j_klines(const char *k, const char *path)
{
	char *text = slurp(path);
	j_key(k);
	if (!text) {
		fputs("null", stdout);
		return;
	}
	j_open('[');
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char out[512];
		size_t o = 0;
		bool blank = true;
		for (char *p = line; *p && o < sizeof(out) - 1; p++) {
			bool sp = *p == ' ' || *p == '\t';
			if (sp && blank)
				continue;
			out[o++] = sp ? ' ' : *p;
			blank = sp;
		}
		while (o > 0 && out[o - 1] == ' ')
			o--;
		j_sep();
		j_raw_str(out, o);
	}
	j_close(']');
	free(text);
}

static void report_status_fields(void)
{
	static const char *const fields[] = { "CapInh", "CapPrm",     "CapEff",  "CapBnd",
					      "CapAmb", "NoNewPrivs", "Seccomp", "Umask" };
	char *status = slurp("/proc/self/status");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *v = NULL;
		char *line = status ? strstr(status, fields[i]) : NULL;
		size_t flen = strlen(fields[i]);
		/* Match at a line start followed by ':' so "Seccomp" skips "Seccomp_filters". */
		while (line && !((line == status || line[-1] == '\n') && line[flen] == ':'))
			line = strstr(line + 1, fields[i]);
		char val[64] = "";
		if (line) {
			line += flen + 1;
			while (*line == ' ' || *line == '\t')
				line++;
			size_t n = strcspn(line, "\n");
			if (n >= sizeof(val))
				n = sizeof(val) - 1;
			memcpy(val, line, n);
			val[n] = '\0';
			v = val;
		}
		if (v && (!strcmp(fields[i], "NoNewPrivs") || !strcmp(fields[i], "Seccomp")))
			j_kint(fields[i], atoll(v));
		else
			j_kstr(fields[i], v);
	}
	free(status);
}

static const struct {
	const char *name;
	int res;
} rlimits[] = {
	{ "RLIMIT_CPU", RLIMIT_CPU },           { "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_DATA", RLIMIT_DATA },         { "RLIMIT_STACK", RLIMIT_STACK },
	{ "RLIMIT_CORE", RLIMIT_CORE },         { "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },       { "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },   { "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },       { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },     { "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

/* RLIM_INFINITY is printed as -1: jq would round 2^64-1 to a double. */
static long long rlim_json(rlim_t v)
{
	return v == RLIM_INFINITY ? -1 : (long long)v;
}

static void report_rlimits(void)
{
	j_key("rlimits");
	j_open('{');
	for (size_t i = 0; i < sizeof(rlimits) / sizeof(rlimits[0]); i++) {
		struct rlimit rl;
		if (getrlimit(rlimits[i].res, &rl) < 0)
			continue;
		j_key(rlimits[i].name);
		j_open('{');
		j_kint("soft", rlim_json(rl.rlim_cur));
		j_kint("hard", rlim_json(rl.rlim_max));
		j_close('}');
	}
	j_close('}');
}

/* mountinfo escapes blanks and backslashes in paths as \ooo. */
static void unescape_octal(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] && p[3]) {
			*o++ = (char)(((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

static void report_mounts(void)
{
	char *text = slurp("/proc/self/mountinfo");
	j_key("mounts");
	if (!text) {
		fputs("null", stdout);
		return;
	}
	j_open('[');
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* id parent maj:min root mountpoint options [optional...] - fstype source super */
		char *f[6] = { 0 }, *lsave = NULL, *tok;
		int n = 0;
		for (tok = strtok_r(line, " ", &lsave); tok && n < 6;
		     tok = strtok_r(NULL, " ", &lsave))
			f[n++] = tok;
		while (tok && strcmp(tok, "-") != 0)
			tok = strtok_r(NULL, " ", &lsave);
		char *fstype = strtok_r(NULL, " ", &lsave);
		char *source = strtok_r(NULL, " ", &lsave);
		char *super = strtok_r(NULL, " ", &lsave);
		if (n < 6 || !fstype)
			continue;
		unescape_octal(f[3]);
		unescape_octal(f[4]);
		j_sep();
		j_open('{');
		j_kstr("target", f[4]);
		j_kstr("fstype", fstype);
		j_kstr("source", source);
		j_kstr("root", f[3]);
		j_kstr("options", f[5]);
		j_kstr("super", super);
		j_close('}');
	}
	j_close(']');
	free(text);
}

static void report_namespaces(void)
{
	static const char *const names[] = { "cgroup", "ipc",  "mnt",  "net",
					     "pid",    "time", "user", "uts" };
	j_key("ns");
	j_open('{');
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[64], target[128];
		snprintf(path, sizeof(path), "/proc/self/ns/%s", names[i]);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		j_kstr(names[i], target);
	}
	j_close('}');
}

static void report_strv(const char *k, char **v)
{
	j_key(k);
	j_open('[');
	for (; v && *v; v++) {
		j_sep();
		j_str(*v);
	}
	j_close(']');
}

static int cmd_report(char **argv)
{
	struct utsname un;
	char cwd[4096];
	gid_t groups[256];
	int ngroups = getgroups(256, groups);
	mode_t mask = umask(0);
	umask(mask);

	j_open('{');
	j_kint("pid", getpid());
	j_kint("ppid", getppid());
	j_kint("uid", getuid());
	j_kint("euid", geteuid());
	j_kint("gid", getgid());
	j_kint("egid", getegid());
	j_key("groups");
	j_open('[');
	for (int i = 0; i < ngroups; i++) {
		j_sep();
		printf("%u", groups[i]);
	}
	j_close(']');
	char umask_str[8];
	snprintf(umask_str, sizeof(umask_str), "%04o", mask);
	j_kstr("umask", umask_str);
	j_kstr("cwd", getcwd(cwd, sizeof(cwd)));
	if (uname(&un) == 0) {
		j_kstr("hostname", un.nodename);
		j_kstr("domainname", un.domainname);
	}
	report_status_fields();
	report_rlimits();
	char *oom = slurp("/proc/self/oom_score_adj");
	j_kint("oom_score_adj", oom ? atoll(oom) : 0);
	free(oom);
	j_klines("cgroup", "/proc/self/cgroup");
	j_klines("uid_map", "/proc/self/uid_map");
	j_klines("gid_map", "/proc/self/gid_map");
	report_strv("env", environ);
	report_strv("argv", argv);
	j_kint("personality", personality(0xffffffff));
	report_namespaces();
	report_mounts();
	j_key("isatty");
	j_open('{');
	j_kbool("stdin", isatty(0));
	j_kbool("stdout", isatty(1));
	j_kbool("stderr", isatty(2));
	j_close('}');
	j_close('}');
	j_end();
	return 0;
}

static void result(const char *op, const char *arg, long long ret, int err)
{
	j_open('{');
	j_kstr("op", op);
	j_kstr("arg", arg);
	j_kint("ret", ret);
	j_kint("errno", ret < 0 ? err : 0);
	j_kstr("error", ret < 0 ? strerror(err) : NULL);
	j_close('}');
	j_end();
}

/*
 * Each call goes through syscall(2) rather than the libc wrapper so that a
 * seccomp filter on that exact syscall number is what answers.
 */
static long call_named(const char *name, const char *arg)
{
	char buf[4096];
	if (!strcmp(name, "mkdir"))
		return syscall(SYS_mkdir, arg ? arg : "/tmp/probe-mkdir", 0755);
	if (!strcmp(name, "mkdirat"))
		return syscall(SYS_mkdirat, AT_FDCWD, arg ? arg : "/tmp/probe-mkdir", 0755);
	if (!strcmp(name, "rmdir"))
		return syscall(SYS_rmdir, arg ? arg : "/tmp/probe-mkdir");
	if (!strcmp(name, "getcwd"))
		return syscall(SYS_getcwd, buf, sizeof(buf));
	if (!strcmp(name, "getpid"))
		return syscall(SYS_getpid);
	if (!strcmp(name, "getppid"))
		return syscall(SYS_getppid);
	if (!strcmp(name, "personality"))
		return syscall(SYS_personality, 0xffffffffUL);
	if (!strcmp(name, "unshare"))
		return syscall(SYS_unshare, CLONE_NEWUTS);
	if (!strcmp(name, "uname"))
		return syscall(SYS_uname, buf);
	if (!strcmp(name, "sethostname"))
		return syscall(SYS_sethostname, arg ? arg : "probe", strlen(arg ? arg : "probe"));
	if (!strcmp(name, "chdir"))
		return syscall(SYS_chdir, arg ? arg : "/");
	if (!strcmp(name, "chmod"))
		return syscall(SYS_chmod, arg ? arg : "/tmp", 01777);
	if (!strcmp(name, "mount"))
		return syscall(SYS_mount, "tmpfs", arg ? arg : "/tmp", "tmpfs", 0UL, "size=1m");
	if (!strcmp(name, "setuid"))
		return syscall(SYS_setuid, arg ? atoi(arg) : 0);
	if (!strcmp(name, "kill"))
		return syscall(SYS_kill, 1, 0);
	if (!strcmp(name, "keyctl"))
		return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0);
	if (!strcmp(name, "socket"))
		return syscall(SYS_socket, 1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0);
	/* nr:N, a number with zero arguments: one the profile cannot name */
	if (!strncmp(name, "nr:", 3))
		return syscall(atol(name + 3), 0, 0, 0, 0, 0, 0);
	errno = ENOSYS;
	return -2;
}

static int cmd_syscall(int argc, char **argv)
{
	if (argc < 1) {
		fprintf(stderr, "probe syscall NAME [ARG]\n");
		return 2;
	}
	errno = 0;
	long ret = call_named(argv[0], argc > 1 ? argv[1] : NULL);
	if (ret == -2 && errno == ENOSYS && strncmp(argv[0], "nr:", 3) != 0) {
		fprintf(stderr, "probe: unknown syscall name %s\n", argv[0]);
		return 2;
	}
	j_open('{');
	j_kstr("syscall", argv[0]);
	j_kint("ret", ret);
	j_kint("errno", ret < 0 ? errno : 0);
	j_close('}');
	j_end();
	return 0;
}

static int cmd_read(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	int err = errno;
	j_open('{');
	j_kstr("op", "read");
	j_kstr("path", path);
	j_kint("ret", n);
	j_kint("errno", n < 0 ? err : 0);
	j_key("data");
	if (n >= 0)
		j_raw_str(buf, (size_t)n);
	else
		fputs("null", stdout);
	j_close('}');
	j_end();
	if (fd >= 0)
		close(fd);
	return 0;
}

static int cmd_write(const char *path, const char *data)
{
	if (!data)
		data = "probe\n";
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n = fd < 0 ? -1 : write(fd, data, strlen(data));
	int err = errno;
	if (fd >= 0 && close(fd) < 0 && n >= 0) {
		n = -1;
		err = errno;
	}
	result("write", path, n, err);
	return 0;
}

static const char *file_type(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return "file";
	case S_IFDIR:
		return "dir";
	case S_IFLNK:
		return "symlink";
	case S_IFCHR:
		return "char";
	case S_IFBLK:
		return "block";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	}
	return "unknown";
}

static int cmd_stat(const char *path)
{
	struct stat st;
	int ret = lstat(path, &st);
	int err = errno;
	j_open('{');
	j_kstr("op", "stat");
	j_kstr("path", path);
	j_kint("ret", ret);
	j_kint("errno", ret < 0 ? err : 0);
	if (ret == 0) {
		char mode[8];
		snprintf(mode, sizeof(mode), "%04o", st.st_mode & 07777);
		j_kstr("type", file_type(st.st_mode));
		j_kstr("mode", mode);
		j_kint("uid", st.st_uid);
		j_kint("gid", st.st_gid);
		j_kint("size", st.st_size);
		j_kint("ino", (long long)st.st_ino);
		j_kint("rdev_major", major(st.st_rdev));
		j_kint("rdev_minor", minor(st.st_rdev));
	}
	j_close('}');
	j_end();
	return 0;
}

static int cmd_ls(const char *path)
{
	DIR *d = opendir(path);
	int err = errno;
	j_open('{');
	j_kstr("op", "ls");
	j_kstr("path", path);
	j_kint("ret", d ? 0 : -1);
	j_kint("errno", d ? 0 : err);
	j_key("entries");
	j_open('[');
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			j_sep();
			j_str(e->d_name);
		}
		closedir(d);
	}
	j_close(']');
	j_close('}');
	j_end();
	return 0;
}

/* "r", "w" or "rw": the access mode asked of open(2). */
static int open_flags(const char *mode)
{
	if (!mode || !strcmp(mode, "r"))
		return O_RDONLY;
	if (!strcmp(mode, "w"))
		return O_WRONLY;
	if (!strcmp(mode, "rw"))
		return O_RDWR;
	return -1;
}

/*
 * Only opens: the device cgroup answers at open(2), before any driver code,
 * so a read or a write (which a driver may refuse on its own) would blur
 * which of the two said no.
 */
static int cmd_open(const char *path, const char *mode)
{
	int flags = open_flags(mode);
	if (flags < 0) {
		fprintf(stderr, "probe open PATH [r|w|rw]\n");
		return 2;
	}
	int fd = open(path, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	result("open", path, fd < 0 ? -1 : 0, errno);
	if (fd >= 0)
		close(fd);
	return 0;
}

/*
 * Reports seconds and nanoseconds of the clocks that a time namespace
 * offsets, and the realtime clock that it does not.
 */
static int cmd_clock(void)
{
	static const struct {
		const char *name;
		clockid_t id;
	} clocks[] = { { "monotonic", CLOCK_MONOTONIC },
		       { "boottime", CLOCK_BOOTTIME },
		       { "realtime", CLOCK_REALTIME } };
	j_open('{');
	j_kstr("op", "clock");
	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		struct timespec ts;
		if (clock_gettime(clocks[i].id, &ts) < 0)
			continue;
		j_key(clocks[i].name);
		j_open('{');
		j_kint("sec", ts.tv_sec);
		j_kint("nsec", ts.tv_nsec);
		j_close('}');
	}
	j_close('}');
	j_end();
	return 0;
}

static int cmd_uname(void)
{
	struct utsname un;
	int ret = uname(&un);
	int err = errno;
	j_open('{');
	j_kstr("op", "uname");
	j_kint("ret", ret);
	j_kint("errno", ret < 0 ? err : 0);
	if (ret == 0) {
		j_kstr("sysname", un.sysname);
		j_kstr("release", un.release);
		j_kstr("machine", un.machine);
		j_kstr("nodename", un.nodename);
	}
	j_kint("personality", personality(0xffffffff));
	j_close('}');
	j_end();
	return 0;
}

/*
 * An inherited descriptor: whether it is open, what it points at, and the
 * first bytes it reads from its current offset (for a regular file or pipe).
 */
static int cmd_fdinfo(int fd)
{
	char link[64], target[4096], buf[4096];
	struct stat st;
	int ret = fstat(fd, &st);
	int err = errno;
	j_open('{');
	j_kstr("op", "fdinfo");
	j_kint("fd", fd);
	j_kint("ret", ret);
	j_kint("errno", ret < 0 ? err : 0);
	if (ret == 0) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		j_kstr("type", file_type(st.st_mode));
		j_kstr("target", n < 0 ? NULL : target);
		int fl = fcntl(fd, F_GETFD);
		j_kbool("cloexec", fl >= 0 && (fl & FD_CLOEXEC));
		n = S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) ? read(fd, buf, sizeof(buf)) : -1;
		j_key("data");
		if (n >= 0)
			j_raw_str(buf, (size_t)n);
		else
			fputs("null", stdout);
	}
	j_close('}');
	j_end();
	return 0;
}

/* Touches memory page by page so the cgroup charge grows until the limit bites. */
static int cmd_alloc(long mb)
{
	long page = sysconf(_SC_PAGESIZE);
	long done = 0;
	for (long i = 0; i < mb; i++) {
		char *chunk =
		    mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (chunk == MAP_FAILED) {
			result("alloc", "mmap", -1, errno);
			return 1;
		}
		for (long off = 0; off < (1 << 20); off += page)
			chunk[off] = 1;
		done++;
		if (done % 8 == 0 || done == mb) {
			printf("allocated %ld MB\n", done);
			fflush(stdout);
		}
	}
	j_open('{');
	j_kstr("op", "alloc");
	j_kint("allocated_mb", done);
	j_close('}');
	j_end();
	return 0;
}

/* Holds children alive so each counts against a pids limit, then reaps them. */
static int cmd_fork(long n)
{
	pid_t *kids = calloc((size_t)n + 1, sizeof(*kids));
	long ok = 0;
	int first_errno = 0;
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			pause();
			_exit(0);
		}
		if (pid < 0) {
			if (!first_errno)
				first_errno = errno;
			continue;
		}
		kids[ok++] = pid;
	}
	for (long i = 0; i < ok; i++)
		kill(kids[i], SIGKILL);
	for (long i = 0; i < ok; i++)
		waitpid(kids[i], NULL, 0);
	free(kids);
	j_open('{');
	j_kstr("op", "fork");
	j_kint("requested", n);
	j_kint("forked", ok);
	j_kint("errno", first_errno);
	j_close('}');
	j_end();
	return 0;
}

static void on_term(int sig)
{
	_exit(128 + sig);
}

/*
 * As pid 1 of a pid namespace the probe would ignore SIGTERM without a
 * handler (the kernel drops default-action signals to an init), so a test
 * killing it with the default signal would hang.
 */
static int cmd_sleep(long secs)
{
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGHUP, on_term);
	struct timespec ts = { .tv_sec = secs };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return 0;
}

static void usage(void)
{
	fputs("usage: probe [report | syscall NAME [ARG] | read PATH | write PATH [DATA] |\n"
	      "              stat PATH | ls DIR | alloc MB | fork N | sleep SECS | exit CODE |\n"
	      "              open PATH [r|w|rw] | clock | uname | fdinfo FD]\n",
	      stderr);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "report";
	const char *arg = argc > 2 ? argv[2] : NULL;

	if (!strcmp(cmd, "report"))
		return cmd_report(argv);
	if (!strcmp(cmd, "syscall"))
		return cmd_syscall(argc - 2, argv + 2);
	if (!strcmp(cmd, "exit"))
		return arg ? atoi(arg) : 0;
	if (!strcmp(cmd, "clock"))
		return cmd_clock();
	if (!strcmp(cmd, "uname"))
		return cmd_uname();
	if (!arg) {
		usage();
		return 2;
	}
	if (!strcmp(cmd, "read"))
		return cmd_read(arg);
	if (!strcmp(cmd, "write"))
		return cmd_write(arg, argc > 3 ? argv[3] : NULL);
	if (!strcmp(cmd, "stat"))
		return cmd_stat(arg);
	if (!strcmp(cmd, "ls"))
		return cmd_ls(arg);
	if (!strcmp(cmd, "alloc"))
		return cmd_alloc(atol(arg));
	if (!strcmp(cmd, "fork"))
		return cmd_fork(atol(arg));
	if (!strcmp(cmd, "sleep"))
		return cmd_sleep(atol(arg));
	if (!strcmp(cmd, "open"))
		return cmd_open(arg, argc > 3 ? argv[3] : NULL);
	if (!strcmp(cmd, "fdinfo"))
		return cmd_fdinfo(atoi(arg));
	usage();
	return 2;
}
