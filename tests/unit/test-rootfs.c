/* rootfs_prepare + rootfs_protect + rootfs_pivot + rootfs_finalize on a small busybox root in
 * a temporary directory, in a child with its own mount namespace. The
 * child checks what a container would see; the parent checks that the
 * host's mount table is exactly as before. Needs root. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <dirent.h>
#include <linux/magic.h>
#include <unistd.h>

#include "runtime/mounts.h"
#include "runtime/rootfs.h"
#include "runtime/spec.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

static char *tmp;     /* the "bundle" */
static char *outside; /* a host directory the rootfs's /evil points at */

static void die(const char *what, struct berth_err *err)
{
	fprintf(stderr, "test-rootfs: %s: %s\n", what, err ? err->msg : strerror(errno));
	exit(1);
}

static void write_file(const char *path, const char *content)
{
	struct berth_err err;
	if (fs_write_file_atomic(path, content, strlen(content), 0644, &err) < 0)
		die(path, &err);
}

static void mkdirs(const char *rel)
{
	struct berth_err err;
	autofree char *p = xasprintf("%s/%s", tmp, rel);
	if (fs_mkdir_p(p, 0755, &err) < 0)
		die(p, &err);
}

static void copy_busybox(void)
{
	autofree char *data = NULL;
	size_t len;
	struct berth_err err;
	autofree char *dst = xasprintf("%s/root/bin/busybox", tmp);

	if (fs_read_file("/bin/busybox", 64 << 20, &data, &len, &err) < 0 ||
	    fs_write_file_atomic(dst, data, len, 0755, &err) < 0)
		die("copy busybox", &err);
}

static void setup_tree(void)
{
	tmp = xstrdup("/tmp/berth-test-rootfs-XXXXXX");
	if (mkdtemp(tmp) == NULL)
		die("mkdtemp", NULL);
	outside = xasprintf("%s/outside-host", tmp);
	static const char *const dirs[] = {
		"root/bin",  "root/proc",           "root/sys",    "root/dev", "root/etc",
		"root/data", "root/masked-dir/sub", "root/ro-dir", "src",      "outside-host"
	};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		mkdirs(dirs[i]);
	copy_busybox();

	autofree char *p1 = xasprintf("%s/src/marker", tmp);
	autofree char *p2 = xasprintf("%s/root/data/keep", tmp);
	autofree char *p3 = xasprintf("%s/root/masked-file", tmp);
	autofree char *p4 = xasprintf("%s/root/masked-dir/sub/secret", tmp);
	autofree char *p5 = xasprintf("%s/root/evil", tmp);
	write_file(p1, "marker");
	write_file(p2, "kept");
	write_file(p3, "secret");
	write_file(p4, "secret");
	if (symlink(outside, p5) < 0)
		die("symlink evil", NULL);
}

static void add_mount(struct spec *s, const char *dest, const char *type, const char *source,
		      const char *csv)
{
	struct spec_mount *m;
	struct berth_err err;
	autofree char *copy = xstrdup(csv);
	char *save = NULL;

	s->mounts = xreallocarray(s->mounts, s->n_mounts + 1, sizeof(*s->mounts));
	m = &s->mounts[s->n_mounts++];
	*m = (struct spec_mount){
		.destination = xstrdup(dest),
		.type = type ? xstrdup(type) : NULL,
		.source = source ? xstrdup(source) : NULL,
	};
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		strv_push(&m->options, t);
	if (mount_options_parse(m, dest, &err) < 0)
		die(dest, &err);
}

static struct spec *build_spec(bool readonly, bool userns)
{
	struct spec *s = xzalloc(sizeof(*s));
	autofree char *src = xasprintf("%s/src", tmp);
	autofree char *marker = xasprintf("%s/src/marker", tmp);

	s->bundle = xstrdup(tmp);
	s->root_path = xasprintf("%s/root", tmp);
	s->root_readonly = readonly;
	add_mount(s, "/proc", "proc", "proc", "nosuid,noexec,nodev");
	add_mount(s, "/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k");
	add_mount(s, "/dev/pts", "devpts", "devpts",
		  "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620");
	add_mount(s, "/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=65536k");
	add_mount(s, "/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev");
	add_mount(s, "/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro");
	add_mount(s, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid,noexec,nodev,relatime,ro");
	add_mount(s, "/data", "tmpfs", "tmpfs", "tmpcopyup,size=1m");
	add_mount(s, "/evil", "bind", src, "rbind,rprivate");
	add_mount(s, "/etc/hostfile", NULL, marker, "bind,ro");
	add_mount(s, "/ro-bind", NULL, "src", "rbind,ro,nosuid");

	/* In a user namespace devices are bind mounts of the host's nodes,
	 * so the spec may only name ones the host has. */
	s->devices = xcalloc(2, sizeof(*s->devices));
	s->devices[0] =
	    (struct spec_device){ .path = xstrdup(userns ? "/dev/full" : "/dev/berth-full"),
				  .type = 'c',
				  .major = 1,
				  .minor = 7,
				  .has_mode = true,
				  .file_mode = 0640,
				  .has_uid = true,
				  .uid = 1000,
				  .has_gid = true,
				  .gid = 1001 };
	s->devices[1] = (struct spec_device){ .path = xstrdup("/dev/sub/berth-fifo"), .type = 'p' };
	s->n_devices = 2;

	strv_push(&s->masked_paths, "/masked-file");
	strv_push(&s->masked_paths, "/masked-dir");
	strv_push(&s->masked_paths, "/proc/kcore");
	strv_push(&s->masked_paths, "/does-not-exist");
	strv_push(&s->readonly_paths, "/ro-dir");
	strv_push(&s->readonly_paths, "/proc/sys");
	strv_push(&s->readonly_paths, "/missing-ro");
	return s;
}

static void spec_release(struct spec *s)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		free(s->mounts[i].destination);
		free(s->mounts[i].type);
		free(s->mounts[i].source);
		free(s->mounts[i].data);
		strv_free(s->mounts[i].options);
	}
	for (size_t i = 0; i < s->n_devices; i++)
		free(s->devices[i].path);
	free(s->devices);
	free(s->mounts);
	strv_free(s->masked_paths);
	strv_free(s->readonly_paths);
	free(s->bundle);
	free(s->root_path);
	free(s);
}

static char *read_all(const char *path)
{
	char *out = NULL;
	size_t len;
	struct berth_err err;
	return fs_read_file(path, 1 << 20, &out, &len, &err) < 0 ? NULL : out;
}

static bool mounted_at(const char *mountinfo, const char *point, const char *fstype)
{
	autofree char *needle = xasprintf(" %s ", point);
	for (const char *l = mountinfo; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *eol = strchrnul(l, '\n');
		autofree char *line = xstrndup(l, (size_t)(eol - l));
		/* id parent maj:min root POINT ... - TYPE */
		char *f = line;
		for (int i = 0; i < 4 && f; i++)
			f = strchr(f + 1, ' ');
		if (f == NULL || strncmp(f, needle, strlen(needle)) != 0)
			continue;
		char *dash = strstr(line, " - ");
		if (dash && strncmp(dash + 3, fstype, strlen(fstype)) == 0 &&
		    dash[3 + strlen(fstype)] == ' ')
			return true;
	}
	return false;
}

static bool is_node(const char *path, mode_t type, unsigned maj, unsigned min, mode_t mode)
{
	struct stat st;
	return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == type && major(st.st_rdev) == maj &&
	       minor(st.st_rdev) == min && (st.st_mode & 07777) == mode;
}

static bool link_is(const char *path, const char *target)
{
	char buf[256];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return strcmp(buf, target) == 0;
}

static int write_errno(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		close(fd);
		unlink(path);
		return 0;
	}
	return errno;
}

static bool dir_is_empty(const char *path)
{
	autoclosedir DIR *d = opendir(path);
	struct dirent *e;
	if (d == NULL)
		return false;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			return false;
	return true;
}

static void check_inside(const struct spec *s, bool in_userns)
{
	autofree char *mi = read_all("/proc/self/mountinfo");
	autofree char *old_root = xasprintf("%s/bin/busybox", s->root_path);
	autofree char *evil_marker = read_all("/evil/marker");
	autofree char *hostfile = read_all("/etc/hostfile");
	autofree char *keep = read_all("/data/keep");
	autofree char *masked = read_all("/masked-file");
	struct stat st;
	struct statfs sfs;

	CHECK(mi != NULL && mounted_at(mi, "/proc", "proc"), "proc on /proc");
	CHECK(mounted_at(mi, "/dev", "tmpfs"), "tmpfs on /dev");
	CHECK(mounted_at(mi, "/dev/pts", "devpts"), "devpts on /dev/pts");
	CHECK(mounted_at(mi, "/dev/mqueue", "mqueue"), "mqueue on /dev/mqueue");
	CHECK(mounted_at(mi, "/sys", "sysfs"), "sysfs on /sys");
	CHECK(mounted_at(mi, "/sys/fs/cgroup", "tmpfs"), "cgroup tmpfs on /sys/fs/cgroup");
	CHECK(mounted_at(mi, "/sys/fs/cgroup/memory", "cgroup"), "memory hierarchy bound");
	CHECK(mounted_at(mi, "/sys/fs/cgroup/unified", "cgroup2"), "cgroup2 hierarchy bound");
	CHECK(access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0,
	      "memory controller files visible");
	CHECK(write_errno("/sys/fs/cgroup/memory/cgroup.procs") == EROFS,
	      "cgroup mount is read-only");
	CHECK(access(old_root, F_OK) < 0 && errno == ENOENT, "the host's path of the root is gone");
	CHECK(access("/bin/busybox", X_OK) == 0, "busybox in the new root");

	CHECK(evil_marker && strcmp(evil_marker, "marker") == 0,
	      "bind through /evil symlink visible inside");
	autofree char *inside_evil = xasprintf("%s/marker", outside);
	CHECK(access(inside_evil, F_OK) == 0, "it landed at the link target inside the root");
	CHECK(hostfile && strcmp(hostfile, "marker") == 0, "file bind mount");
	CHECK(write_errno("/etc/hostfile") == EROFS, "ro file bind mount");
	CHECK(write_errno("/ro-bind/new") == EROFS, "ro directory bind mount");
	CHECK(statfs("/ro-bind", &sfs) == 0 && (sfs.f_flags & MS_NOSUID), "nosuid kept on bind");

	CHECK(keep && strcmp(keep, "kept") == 0, "tmpcopyup copied the directory's content");
	CHECK(statfs("/data", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC, "/data is a tmpfs");
	CHECK(write_errno("/data/new") == 0, "tmpcopyup tmpfs is writable");

	CHECK(masked != NULL && masked[0] == '\0', "masked file reads empty");
	CHECK(dir_is_empty("/masked-dir"), "masked directory is empty");
	CHECK(write_errno("/masked-dir/x") == EROFS, "masked directory is read-only");
	CHECK(is_node("/proc/kcore", S_IFCHR, 1, 3, 0666) || access("/proc/kcore", F_OK) < 0,
	      "/proc/kcore masked by /dev/null");
	CHECK(write_errno("/ro-dir/x") == EROFS, "readonly path gives EROFS");
	CHECK(write_errno("/proc/sys/kernel/hostname") == EROFS, "/proc/sys read-only");
	CHECK(access("/missing-ro", F_OK) < 0 && access("/does-not-exist", F_OK) < 0,
	      "missing masked/readonly paths ignored, not created");

	CHECK(is_node("/dev/null", S_IFCHR, 1, 3, 0666), "/dev/null 1:3 0666");
	CHECK(is_node("/dev/zero", S_IFCHR, 1, 5, 0666), "/dev/zero 1:5");
	CHECK(is_node("/dev/full", S_IFCHR, 1, 7, 0666), "/dev/full 1:7");
	CHECK(is_node("/dev/random", S_IFCHR, 1, 8, 0666), "/dev/random 1:8");
	CHECK(is_node("/dev/urandom", S_IFCHR, 1, 9, 0666), "/dev/urandom 1:9");
	CHECK(is_node("/dev/tty", S_IFCHR, 5, 0, 0666), "/dev/tty 5:0");
	if (in_userns)
		CHECK(is_node("/dev/full", S_IFCHR, 1, 7, 0666), "linux.devices: host node bound");
	else
		CHECK(is_node("/dev/berth-full", S_IFCHR, 1, 7, 0640) &&
			  stat("/dev/berth-full", &st) == 0 && st.st_uid == 1000 &&
			  st.st_gid == 1001,
		      "linux.devices node with mode and owner");
	CHECK(stat("/dev/sub/berth-fifo", &st) == 0 && S_ISFIFO(st.st_mode), "FIFO device");
	CHECK(link_is("/dev/fd", "/proc/self/fd") && link_is("/dev/stdin", "/proc/self/fd/0") &&
		  link_is("/dev/stdout", "/proc/self/fd/1") &&
		  link_is("/dev/stderr", "/proc/self/fd/2"),
	      "/dev/fd and stdio links");
	CHECK(link_is("/dev/ptmx", "pts/ptmx"), "/dev/ptmx -> pts/ptmx");
	CHECK(access("/dev/pts/ptmx", F_OK) == 0, "devpts instance has ptmx");
	CHECK(stat("/dev/console", &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) >= 136 &&
		  major(st.st_rdev) <= 143,
	      "/dev/console is the terminal's slave");

	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0 && write(fd, "x", 1) == 1, "/dev/null works");
	if (fd >= 0)
		close(fd);

	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/busybox", "busybox", "test", "-c", "/dev/null", (char *)NULL);
		_exit(127);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "busybox runs in the rootfs");

	if (s->root_readonly)
		CHECK(write_errno("/new-in-root") == EROFS, "root.readonly: / is read-only");
	else
		CHECK(write_errno("/new-in-root") == 0, "/ is writable without root.readonly");
	CHECK(write_errno("/dev/shm/x") == 0, "tmpfs under a read-only root is writable");
}

/* The container side: prepare, pivot, finalize, then look around. The
 * CHECK counters go back through fd so the numbering continues. */
static void __attribute__((noreturn))
container_side(const struct spec *s, bool in_userns, bool no_pivot, int fd)
{
	struct berth_err err = { 0 };
	int rootfd = -1;
	int r = rootfs_prepare(s, in_userns, NULL, &rootfd, &err);

	CHECK(r == 0, "rootfs_prepare (%s)", r == 0 ? "ok" : err.msg);
	if (r == 0) {
		/* Before pivot, the host path /evil points at must be
		 * untouched even in this namespace. */
		autofree char *host_marker = xasprintf("%s/marker", outside);
		CHECK(access(host_marker, F_OK) < 0 && errno == ENOENT,
		      "bind on /evil did not land on the host path %s", outside);
		int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		int slave = -1;
		if (master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0)
			slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
		r = slave >= 0 ? rootfs_bind_console(rootfd, slave, &err) : -1;
		CHECK(r == 0, "rootfs_bind_console (%s)", r == 0 ? "ok" : err.msg);
		if (slave >= 0)
			close(slave);
		r = rootfs_protect(s, rootfd, &err);
		CHECK(r == 0, "rootfs_protect (%s)", r == 0 ? "ok" : err.msg);
		if (r == 0)
			r = rootfs_pivot(s, rootfd, no_pivot, &err);
		CHECK(r == 0, "rootfs_pivot%s (%s)", no_pivot ? " --no-pivot" : "",
		      r == 0 ? "ok" : err.msg);
	}
	if (r == 0) {
		r = rootfs_finalize(s, &err);
		CHECK(r == 0, "rootfs_finalize (%s)", r == 0 ? "ok" : err.msg);
	}
	if (r == 0)
		check_inside(s, in_userns);
	int counts[2] = { test_n, test_failed };
	fflush(stdout);
	if (write(fd, counts, sizeof(counts)) != sizeof(counts))
		_exit(2);
	_exit(test_failed ? 1 : 0);
}

static void write_map(pid_t pid, const char *which)
{
	autofree char *path = xasprintf("/proc/%d/%s", (int)pid, which);
	struct berth_err err;
	if (fs_write_file(path, "0 0 65536\n", 10, &err) < 0)
		die(path, &err);
}

/* A user namespace (uid 0..65535 mapped to the same host ids) with new
 * mount, PID and IPC namespaces but the host's network namespace, as a
 * rootless container gets: mknod of devices is refused, sysfs cannot be
 * mounted anew, and the host's mount flags are locked. */
static void __attribute__((noreturn))
userns_side(const struct spec *s, int fd, int sync_w, int go_r)
{
	char c = 0;

	if (unshare(CLONE_NEWUSER) < 0 || write(sync_w, &c, 1) != 1 || read(go_r, &c, 1) != 1)
		_exit(3);
	if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC) < 0)
		_exit(4);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		container_side(s, true, false, fd);
	int status = -1;
	waitpid(pid, &status, 0);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 5);
}

/* Runs the whole sequence in a child and adopts its counters. */
static void run_child(bool readonly, bool userns, bool no_pivot)
{
	struct spec *s = build_spec(readonly, userns);
	int pfd[2], sync[2], go[2];

	if (pipe(pfd) < 0 || pipe(sync) < 0 || pipe(go) < 0)
		die("pipe", NULL);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		if (userns)
			userns_side(s, pfd[1], sync[1], go[0]);
		if (unshare(CLONE_NEWNS) < 0)
			die("unshare", NULL);
		container_side(s, false, no_pivot, pfd[1]);
	}
	close(pfd[1]);
	close(sync[1]);
	close(go[0]);
	if (userns) {
		char c;
		if (read(sync[0], &c, 1) == 1) {
			write_map(pid, "uid_map");
			write_map(pid, "gid_map");
		}
		if (write(go[1], "g", 1) != 1)
			die("sync", NULL);
	}
	close(sync[0]);
	close(go[1]);
	int counts[2] = { 0, 0 }, status = -1;
	ssize_t n = read(pfd[0], counts, sizeof(counts));
	close(pfd[0]);
	waitpid(pid, &status, 0);
	if (n == sizeof(counts)) {
		test_n = counts[0];
		test_failed = counts[1];
	}
	CHECK(n == sizeof(counts) && WIFEXITED(status),
	      "child (root.readonly=%d, userns=%d, no_pivot=%d) finished and reported", readonly,
	      userns, no_pivot);
	spec_release(s);
}

/* Runs rootfs_prepare on s in a throwaway namespace; true when it fails
 * with a message containing want. */
static bool prepare_fails_with(const struct spec *s, const char *want)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct berth_err err = { 0 };
		int rootfd;
		if (unshare(CLONE_NEWNS) < 0)
			_exit(3);
		int r = rootfs_prepare(s, false, NULL, &rootfd, &err);
		if (r == 0 || strstr(err.msg, want) == NULL) {
			printf("# got: %s\n", r == 0 ? "success" : err.msg);
			fflush(stdout);
			_exit(1);
		}
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void check_errors(void)
{
	struct spec *s = build_spec(false, false);

	free(s->mounts[0].type);
	s->mounts[0].type = xstrdup("tmpfs");
	CHECK(prepare_fails_with(s, "mounts[0]: only a proc mount, or a bind of a procfs's root, "
				    "may be on /proc"),
	      "a tmpfs on /proc is refused, named");
	free(s->mounts[0].type);
	s->mounts[0].type = xstrdup("proc");

	free(s->mounts[3].type);
	s->mounts[3].type = xstrdup("berthfs");
	CHECK(prepare_fails_with(s, "mounts[3]: mount berthfs on /dev/shm: No such device"),
	      "an unknown filesystem fails with the mount named");
	free(s->mounts[3].type);
	s->mounts[3].type = xstrdup("tmpfs");

	free(s->mounts[9].destination);
	s->mounts[9].destination = xstrdup("/masked-file/x");
	CHECK(prepare_fails_with(s, "mounts[9].destination \"/masked-file/x\": "),
	      "a destination under a file fails with the destination named");
	spec_release(s);
}

static void check_label_data(void)
{
	autofree char *a = rootfs_label_data("size=1k", "tmpfs", "system_u:object_r:x:s0");
	autofree char *b = rootfs_label_data(NULL, "devpts", "l");
	autofree char *c = rootfs_label_data("x", "proc", "l");
	autofree char *d = rootfs_label_data("x", "tmpfs", NULL);

	CHECK_STR(a, "size=1k,context=\"system_u:object_r:x:s0\"", "tmpfs gets context=");
	CHECK_STR(b, "context=\"l\"", "devpts without data");
	CHECK(c == NULL, "proc takes no context option");
	CHECK(d == NULL, "no label, no change");
}

int main(void)
{
	struct berth_err err;

	check_label_data();
	if (geteuid() != 0) {
		printf("# SKIP needs root (mount namespaces, mknod)\n");
		return 77;
	}
	if (getenv("BERTH_TEST_DEBUG"))
		log_setup(NULL, false, true);
	setup_tree();
	autofree char *before = read_all("/proc/self/mountinfo");

	run_child(false, false, false);
	run_child(true, false, false);
	run_child(true, true, false);
	run_child(false, false, true);
	check_errors();

	autofree char *after = read_all("/proc/self/mountinfo");
	CHECK(before && after && strcmp(before, after) == 0, "host mount table unchanged");
	autofree char *host_marker = xasprintf("%s/marker", outside);
	CHECK(!fs_exists(host_marker), "host directory behind /evil untouched");
	CHECK(fs_rm_rf(tmp, &err) == 0, "cleanup %s", tmp);
	free(tmp);
	free(outside);
	return TEST_DONE();
}
