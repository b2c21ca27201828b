/* ocispec: the config.json of an engine container. Image configs are JSON
 * literals, the rootfs a temporary directory with its own /etc/passwd and
 * /etc/group (see ocispec-fixtures.h); every document built is also handed
 * to the runtime's own parser (spec_parse), which must accept it. The
 * seccomp profile conversion is in test-ocispec-seccomp.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/ocispec.h"
#include "ocispec-fixtures.h"
#include "runtime/caps.h"
#include "runtime/cgroup/resources.h"
#include "runtime/spec.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define DOCKER_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DOCKER_CAPS                                                                                \
	"CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FSETID,CAP_FOWNER,CAP_MKNOD,CAP_NET_RAW,CAP_SETGID,"       \
	"CAP_SETUID,CAP_SETFCAP,CAP_SETPCAP,CAP_NET_BIND_SERVICE,CAP_SYS_CHROOT,CAP_KILL,"         \
	"CAP_AUDIT_WRITE"

static json_object *mount_at(json_object *doc, const char *dest)
{
	json_object *mounts = at(doc, "mounts");

	for (size_t i = 0; mounts != NULL && i < json_object_array_length(mounts); i++) {
		json_object *m = json_object_array_get_idx(mounts, i);
		if (strcmp(str_at(m, "destination"), dest) == 0)
			return m;
	}
	return NULL;
}

/* ---- args ------------------------------------------------------------------ */

static void check_args(const struct ocispec_opts *o, const char *image, const char *want,
		       const char *what)
{
	autojson json_object *img = image != NULL ? parse(image) : NULL;
	autostrv char **args = NULL;
	struct berth_err err = { 0 };
	autofree char *got = NULL;
	int r = ocispec_args(o, img, &args, &err);

	if (r == 0) {
		autojson json_object *a = NULL;
		a = json_object_new_array();
		for (size_t i = 0; args[i] != NULL; i++)
			json_object_array_add(a, json_object_new_string(args[i]));
		got = join_sep(a, " ");
	} else {
		got = xasprintf("error: %s", err.msg);
	}
	CHECK_STR(got, want, what);
}

static void test_args(void)
{
	static const char *const img = "{\"config\":{\"Entrypoint\":[\"/ep\",\"-x\"],"
				       "\"Cmd\":[\"c1\",\"c2\"]}}";
	static const char *const no_cmd_error =
	    "error: no command: the image has no Cmd or Entrypoint and none was given";
	char **cmd = STRV("x", "y");
	char **empty = STRV(NULL);
	struct ocispec_opts o = base_opts();

	check_args(&o, img, "/ep -x c1 c2", "args: Entrypoint + Cmd");
	o.cmd = cmd;
	check_args(&o, img, "/ep -x x y", "args: a command replaces Cmd, keeps Entrypoint");
	o.cmd = empty;
	check_args(&o, img, "/ep -x c1 c2", "args: an empty command is no command");
	o.cmd = NULL;
	o.entrypoint = "/new";
	check_args(&o, img, "/new", "args: --entrypoint clears the image's Cmd");
	o.cmd = cmd;
	check_args(&o, img, "/new x y", "args: --entrypoint + command");
	o.entrypoint = "";
	check_args(&o, img, "x y", "args: --entrypoint \"\" + command");
	o.cmd = NULL;
	check_args(&o, img, no_cmd_error, "args: --entrypoint \"\" and no command");
	o = base_opts();
	o.entrypoint = "/bin/sh -c";
	check_args(&o, img, "/bin/sh -c", "args: --entrypoint is one word, not split");

	o = base_opts();
	check_args(&o, "{\"config\":{\"Entrypoint\":null,\"Cmd\":[\"sh\",\"-l\"]}}", "sh -l",
		   "args: Cmd alone");
	check_args(&o, "{\"config\":{}}", no_cmd_error, "args: image without either");
	check_args(&o, "{\"architecture\":\"amd64\"}", no_cmd_error, "args: image without config");
	check_args(&o, "{\"config\":{\"Cmd\":\"sh\"}}", "error: config.Cmd: expected an array",
		   "args: Cmd of the wrong type");
	o.cmd = cmd;
	check_args(&o, NULL, "x y", "args: no image config, a command");
	check_args(&o, "{\"config\":{}}", "x y", "args: empty image config, a command");
}

/* ---- env, cwd, hostname ------------------------------------------------------- */

static void check_env(const struct ocispec_opts *o, const char *image, const char *want,
		      const char *what)
{
	autojson json_object *doc = build_ok(o, image, what);
	autofree char *got = join_sep(at(doc, "process.env"), "|");

	CHECK_STR(got, want, what);
}

static void test_env(void)
{
	static const char *const img = "{\"config\":{\"Cmd\":[\"sh\"],\"Env\":[\"PATH=/img/bin\","
				       "\"A=1\",\"B=2\",\"KEEP=k\"]}}";
	char **env = STRV("A=9", "C=3", "OCISPEC_TEST_SET", "OCISPEC_TEST_UNSET", "B");
	char **term = STRV("TERM=vt100");
	char **home = STRV("HOME=/custom");
	char **bad = STRV("=x");
	struct ocispec_opts o = base_opts();

	setenv("OCISPEC_TEST_SET", "from caller", 1);
	unsetenv("OCISPEC_TEST_UNSET");
	unsetenv("B");

	check_env(&o, image_sh, DOCKER_PATH "|HOSTNAME=0123456789ab|HOME=/root",
		  "env: docker's defaults, HOME of root");
	o.env = env;
	check_env(&o, img,
		  "PATH=/img/bin|HOSTNAME=0123456789ab|A=9|C=3|OCISPEC_TEST_SET=from caller|"
		  "KEEP=k|HOME=/root",
		  "env: -e overrides the image by key, bare names take the caller's value or "
		  "unset");
	o.tty = true;
	o.env = NULL;
	check_env(&o, image_sh, DOCKER_PATH "|HOSTNAME=0123456789ab|TERM=xterm|HOME=/root",
		  "env: TERM=xterm on a terminal");
	o.env = term;
	check_env(&o, image_sh, DOCKER_PATH "|HOSTNAME=0123456789ab|TERM=vt100|HOME=/root",
		  "env: -e TERM replaces xterm");
	o.tty = false;
	o.env = home;
	o.hostname = "web";
	check_env(&o, image_sh, DOCKER_PATH "|HOSTNAME=web|HOME=/custom",
		  "env: -e HOME wins, HOSTNAME is the given hostname");
	o.env = NULL;
	o.user = "bob";
	check_env(&o, image_sh, DOCKER_PATH "|HOSTNAME=web|HOME=/home/bob",
		  "env: HOME of the resolved user");
	o.user = "4242";
	check_env(&o, image_sh, DOCKER_PATH "|HOSTNAME=web|HOME=/",
		  "env: HOME / for a uid without a passwd entry");

	o = base_opts();
	o.env = bad;
	check_build_error(&o, image_sh, "\"=x\"", "env: -e with an empty name");
	o.env = NULL;
	check_build_error(&o, "{\"config\":{\"Cmd\":[\"sh\"],\"Env\":[\"=v\"]}}", "config.Env[0]",
			  "env: image entry with an empty name");
}

static void check_cwd(const struct ocispec_opts *o, const char *image, const char *want,
		      const char *what)
{
	autojson json_object *doc = build_ok(o, image, what);

	CHECK_STR(str_at(doc, "process.cwd"), want, what);
}

static void test_cwd_hostname(void)
{
	static const char *const img_wd = "{\"config\":{\"Cmd\":[\"sh\"],\"WorkingDir\":\"/srv\"}}";
	struct ocispec_opts o = base_opts();
	autojson json_object *doc = NULL;

	check_cwd(&o, image_sh, "/", "cwd: / by default");
	check_cwd(&o, img_wd, "/srv", "cwd: the image's WorkingDir");
	o.workdir = "/a/./b/../c//";
	check_cwd(&o, img_wd, "/a/c", "cwd: -w wins, cleaned");
	o.workdir = "/..";
	check_cwd(&o, img_wd, "/", "cwd: -w /.. is /");
	o.workdir = "rel";
	check_build_error(&o, image_sh, "'rel' is invalid, it needs to be an absolute path",
			  "cwd: relative -w");
	o.workdir = NULL;
	check_build_error(&o, "{\"config\":{\"Cmd\":[\"sh\"],\"WorkingDir\":\"w\"}}", "'w'",
			  "cwd: relative WorkingDir");

	o = base_opts();
	doc = build_ok(&o, image_sh, "hostname: default");
	CHECK_STR(str_at(doc, "hostname"), "0123456789ab", "hostname: the first 12 hex of the id");
	CHECK_STR(str_at(doc, "ociVersion"), "1.2.0", "ociVersion");
	CHECK_STR(str_at(doc, "root.path"), rootfs, "root.path: the rootfs");
	CHECK(at(doc, "root.readonly") != NULL &&
		  !json_object_get_boolean(at(doc, "root.readonly")),
	      "root.readonly: false by default");
	CHECK(!json_object_get_boolean(at(doc, "process.terminal")), "process.terminal: false");
	CHECK(!json_object_get_boolean(at(doc, "process.noNewPrivileges")),
	      "process.noNewPrivileges: false by default");
	CHECK(at(doc, "process.rlimits") == NULL, "process.rlimits: none");
	CHECK(at(doc, "process.oomScoreAdj") == NULL, "process.oomScoreAdj: not set");
	CHECK(at(doc, "annotations") == NULL, "annotations: none without labels");
	CHECK(at(doc, "linux.cgroupsPath") == NULL, "linux.cgroupsPath: not set by default");

	o.id = NULL;
	check_build_error(&o, image_sh, "no hostname", "hostname: no id and no --hostname");
	o = base_opts();
	o.rootfs = "relative/root";
	check_build_error(&o, image_sh, "relative/root", "rootfs: relative");
}

/* ---- users ------------------------------------------------------------------- */

static void check_user(const char *root, const char *spec, const char *want, const char *what)
{
	struct ocispec_user u = { 0 };
	struct berth_err err = { 0 };
	autofree char *got = NULL;

	if (ocispec_resolve_user(root, spec, &u, &err) == 0) {
		got = xasprintf("%u:%u home=%s groups=", u.uid, u.gid, u.home);
		for (size_t i = 0; i < u.n_additional; i++) {
			char *n = xasprintf("%s%s%u", got, i > 0 ? "," : "", u.additional_gids[i]);
			free(got);
			got = n;
		}
	} else {
		got = xasprintf("error: %s", err.msg);
	}
	ocispec_user_clear(&u);
	CHECK_STR(got, want, what);
}

static void test_users(void)
{
	autofree char *outside = xasprintf("%s/outside", tmpdir);
	autofree char *secret = xasprintf("%s/outside/secret", tmpdir);
	autofree char *abs_root = xasprintf("%s/abs-root", tmpdir);
	autofree char *rel_root = xasprintf("%s/rel-root", tmpdir);
	autofree char *bare_root = xasprintf("%s/bare-root", tmpdir);
	autofree char *link = NULL;
	struct ocispec_opts o = base_opts();
	autojson json_object *doc = NULL;

	check_user(rootfs, NULL, "0:0 home=/root groups=0,10", "user: none is root");
	check_user(rootfs, "", "0:0 home=/root groups=0,10", "user: empty is root");
	check_user(rootfs, "bob", "1000:1000 home=/home/bob groups=10,50", "user: by name");
	check_user(rootfs, "1000", "1000:1000 home=/home/bob groups=10,50",
		   "user: by uid found in passwd");
	check_user(rootfs, "svc", "1001:1001 home=/ groups=29",
		   "user: empty home is /, groups by membership");
	check_user(rootfs, "bob:staff", "1000:50 home=/home/bob groups=",
		   "user: name:group (no supplementary groups, as docker)");
	check_user(rootfs, "bob:29", "1000:29 home=/home/bob groups=", "user: name:gid");
	check_user(rootfs, "1000:wheel", "1000:10 home=/home/bob groups=", "user: uid:group");
	check_user(rootfs, "4242", "4242:0 home=/ groups=", "user: uid not in passwd");
	check_user(rootfs, "4242:4343", "4242:4343 home=/ groups=", "user: uid:gid neither known");
	check_user(rootfs, "bob:", "1000:1000 home=/home/bob groups=10,50",
		   "user: empty group is no group");
	check_user(rootfs, "nobody",
		   "error: unable to find user nobody: no matching entries in passwd file",
		   "user: unknown name");
	check_user(rootfs, "bob:nogroup",
		   "error: unable to find group nogroup: no matching entries in group file",
		   "user: unknown group");
	check_user(rootfs, "+x",
		   "error: unable to find user +x: no matching entries in passwd file",
		   "user: a NIS line matches nothing");
	check_user(rootfs, "3000000000",
		   "error: user 3000000000: ids must be in range 0-2147483647",
		   "user: uid out of range");
	/* moby/sys/user: Atoi takes it (a Go int is 64 bits), then ErrRange. */
	check_user(rootfs, "4294967296",
		   "error: user 4294967296: ids must be in range 0-2147483647",
		   "user: a number beyond 32 bits is out of range, not a name");
	check_user(rootfs, "18446744073709551617",
		   "error: user 18446744073709551617: ids must be in range 0-2147483647",
		   "user: 2^64+1 is out of range, not wrapped to 1");
	check_user(rootfs, "0:18446744073709551616",
		   "error: group 18446744073709551616: ids must be in range 0-2147483647",
		   "user: group 2^64 is out of range, not wrapped to 0");

	/* /etc/passwd a symlink to a file outside the root: resolved inside
	 * the root, where the target does not exist, so the outside file's
	 * user is never seen. */
	make_dir(outside);
	write_file(outside, "secret", "eve:x:777:777::/home/eve:/bin/sh\n");
	make_dir(abs_root);
	link = xasprintf("%s/etc", abs_root);
	make_dir(link);
	free(link);
	link = xasprintf("%s/etc/passwd", abs_root);
	CHECK(symlink(secret, link) == 0, "symlink %s -> %s", link, secret);
	check_user(abs_root, "eve",
		   "error: unable to find user eve: no matching entries in passwd file",
		   "user: absolute symlink out of the root is not followed out");
	check_user(abs_root, "", "0:0 home=/ groups=", "user: root without a readable passwd");
	make_dir(rel_root);
	free(link);
	link = xasprintf("%s/etc", rel_root);
	make_dir(link);
	free(link);
	link = xasprintf("%s/etc/passwd", rel_root);
	CHECK(symlink("../../../../../../outside/secret", link) == 0, "symlink %s", link);
	check_user(rel_root, "eve",
		   "error: unable to find user eve: no matching entries in passwd file",
		   "user: relative symlink climbing out stays in the root");
	/* ... while a symlink that stays inside is followed. */
	free(link);
	link = xasprintf("%s/etc/group", rel_root);
	CHECK(symlink("/lib/group", link) == 0, "symlink %s", link);
	free(link);
	link = xasprintf("%s/lib", rel_root);
	make_dir(link);
	write_file(link, "group", "grp:x:70:42\n");
	check_user(rel_root, "42:grp", "42:70 home=/ groups=", "user: a symlink inside the root");
	make_dir(bare_root);
	check_user(bare_root, "7:8", "7:8 home=/ groups=", "user: no /etc at all");
	check_user(bare_root, "bob",
		   "error: unable to find user bob: no matching entries in passwd file",
		   "user: names need a passwd");
	free(link);
	link = xasprintf("%s/etc", bare_root);
	make_dir(link);
	free(link);
	link = xasprintf("%s/etc/passwd", bare_root);
	CHECK(mkfifo(link, 0644) == 0, "mkfifo %s", link);
	check_user(bare_root, "bob", "error: /etc/passwd: not a regular file",
		   "user: a fifo is refused, not waited on");
	check_user("/nonexistent-root", "bob",
		   "error: rootfs /nonexistent-root: No such file or directory",
		   "user: missing rootfs");

	/* Through the builder: the image's User, then -u over it. */
	doc = build_ok(&o, "{\"config\":{\"Cmd\":[\"sh\"],\"User\":\"bob\"}}", "user: image User");
	CHECK(json_object_get_int64(at(doc, "process.user.uid")) == 1000 &&
		  json_object_get_int64(at(doc, "process.user.gid")) == 1000,
	      "user: the image's User resolved to 1000:1000");
	{
		autofree char *gids = join_at(doc, "process.user.additionalGids");
		/* docker's: the primary gid first, then the user's groups. */
		CHECK_STR(gids, "1000,10,50", "user: additionalGids");
	}
	json_object_put(doc);
	o.user = "svc:wheel";
	doc =
	    build_ok(&o, "{\"config\":{\"Cmd\":[\"sh\"],\"User\":\"bob\"}}", "user: -u over User");
	CHECK(json_object_get_int64(at(doc, "process.user.uid")) == 1001 &&
		  json_object_get_int64(at(doc, "process.user.gid")) == 10,
	      "user: -u svc:wheel is 1001:10");
	{
		autofree char *gids = join_at(doc, "process.user.additionalGids");
		CHECK_STR(gids, "10", "user: -u svc:wheel: the group only, none of svc's");
	}
	o.user = "ghost";
	check_build_error(&o, image_sh, "unable to find user ghost", "user: unknown -u");
}

/* ---- capabilities ---------------------------------------------------------- */

static size_t count_known_caps(void)
{
	size_t n = 0;

	for (int cap = 0; cap <= caps_last_cap() && cap < 64; cap++)
		if (caps_to_name(cap) != NULL && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
			n++;
	return n;
}

static void check_caps(const struct ocispec_opts *o, const char *want, const char *what)
{
	autojson json_object *doc = build_ok(o, image_sh, what);
	autofree char *b = join_at(doc, "process.capabilities.bounding");
	autofree char *e = join_at(doc, "process.capabilities.effective");
	autofree char *p = join_at(doc, "process.capabilities.permitted");

	CHECK_STR(b, want, what);
	CHECK(strcmp(b, e) == 0 && strcmp(b, p) == 0, "%s: effective and permitted the same", what);
	CHECK(at(doc, "process.capabilities.inheritable") == NULL &&
		  at(doc, "process.capabilities.ambient") == NULL,
	      "%s: no inheritable, no ambient", what);
}

static void test_caps(void)
{
	char **add = STRV("NET_ADMIN", "cap_sys_time", "kill");
	char **drop = STRV("chown", "CAP_MKNOD");
	char **all = STRV("all");
	char **net_raw = STRV("NET_RAW");
	char **kill = STRV("KILL");
	char **bad = STRV("CHOWN", "FOO");
	struct ocispec_opts o = base_opts();
	autojson json_object *doc = NULL;
	struct berth_err err = { 0 };
	struct spec *s = NULL;

	check_caps(&o, DOCKER_CAPS, "caps: docker's default set");
	o.cap_add = add;
	o.cap_drop = drop;
	check_caps(&o,
		   "CAP_DAC_OVERRIDE,CAP_FSETID,CAP_FOWNER,CAP_NET_RAW,CAP_SETGID,CAP_SETUID,"
		   "CAP_SETFCAP,CAP_SETPCAP,CAP_NET_BIND_SERVICE,CAP_SYS_CHROOT,CAP_KILL,"
		   "CAP_AUDIT_WRITE,CAP_NET_ADMIN,CAP_SYS_TIME",
		   "caps: --cap-drop then --cap-add, any spelling");
	o.cap_add = NULL;
	o.cap_drop = all;
	check_caps(&o, "", "caps: --cap-drop ALL");
	o.cap_add = kill;
	check_caps(&o, "CAP_KILL", "caps: --cap-drop ALL --cap-add KILL");

	o = base_opts();
	o.cap_add = all;
	o.cap_drop = net_raw;
	doc = build_ok(&o, image_sh, "caps: --cap-add ALL --cap-drop NET_RAW");
	{
		json_object *b = at(doc, "process.capabilities.bounding");
		autofree char *joined = join_sep(b, ",");
		CHECK(b != NULL && json_object_array_length(b) == count_known_caps() - 1 &&
			  strstr(joined, "CAP_NET_RAW") == NULL &&
			  strstr(joined, "CAP_SYS_ADMIN") != NULL,
		      "caps: all but NET_RAW (%s)", joined);
	}
	json_object_put(doc);

	o = base_opts();
	o.privileged = true;
	o.cap_drop = all; /* ignored, as docker does */
	doc = build_ok(&o, image_sh, "caps: --privileged");
	CHECK(
	    json_object_array_length(at(doc, "process.capabilities.bounding")) ==
		count_known_caps(),
	    "caps: --privileged has every capability the runtime knows and the engine holds (%zu)",
	    count_known_caps());
	if (spec_parse(doc, tmpdir, &s, &err) == 0) {
		CHECK(s->process.caps.bounding & (UINT64_C(1) << caps_from_name("SYS_ADMIN")),
		      "caps: the runtime reads CAP_SYS_ADMIN in the privileged bounding set");
		spec_free(s);
	}

	o = base_opts();
	o.cap_add = bad;
	check_build_error(&o, image_sh, "--cap-add FOO: unknown capability", "caps: unknown add");
	o.cap_add = NULL;
	o.cap_drop = bad;
	check_build_error(&o, image_sh, "--cap-drop FOO: unknown capability", "caps: unknown drop");
}

/* ---- linux: paths, mounts, devices, namespaces --------------------------------- */

static void check_mount(json_object *doc, const char *dest, const char *type, const char *source,
			const char *options)
{
	json_object *m = mount_at(doc, dest);
	autofree char *opts = join_at(m, "options");
	autofree char *got =
	    m != NULL ? xasprintf("%s %s %s", str_at(m, "type"), str_at(m, "source"), opts)
		      : xstrdup("(missing)");
	autofree char *want = xasprintf("%s %s %s", type, source, options);

	CHECK_STR(got, want, dest);
}

static void test_mounts(void)
{
	autofree char *hosts = xasprintf("%s/run/hosts", tmpdir);
	autofree char *hostname = xasprintf("%s/run/hostname", tmpdir);
	autofree char *resolv = xasprintf("%s/run/resolv.conf", tmpdir);
	struct ocispec_opts o = base_opts();
	autojson json_object *doc = NULL;
	json_object *mounts;

	o.hosts_file = hosts;
	o.hostname_file = hostname;
	o.resolv_file = resolv;
	doc = build_ok(&o, image_sh, "mounts: defaults and files");
	mounts = at(doc, "mounts");
	{
		autofree char *dests = xstrdup("");
		for (size_t i = 0; mounts != NULL && i < json_object_array_length(mounts); i++) {
			char *n =
			    xasprintf("%s%s%s", dests, i > 0 ? "," : "",
				      str_at(json_object_array_get_idx(mounts, i), "destination"));
			free(dests);
			dests = n;
		}
		CHECK_STR(dests,
			  "/proc,/dev,/dev/pts,/sys,/sys/fs/cgroup,/dev/mqueue,/dev/shm,"
			  "/etc/resolv.conf,/etc/hostname,/etc/hosts",
			  "mounts: docker's order");
	}
	check_mount(doc, "/proc", "proc", "proc", "nosuid,noexec,nodev");
	check_mount(doc, "/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k");
	check_mount(doc, "/dev/pts", "devpts", "devpts",
		    "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5");
	check_mount(doc, "/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro");
	check_mount(doc, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid,noexec,nodev,relatime,ro");
	check_mount(doc, "/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev");
	check_mount(doc, "/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=67108864");
	check_mount(doc, "/etc/resolv.conf", "bind", resolv, "rbind,rprivate");
	check_mount(doc, "/etc/hostname", "bind", hostname, "rbind,rprivate");
	check_mount(doc, "/etc/hosts", "bind", hosts, "rbind,rprivate");
	json_object_put(doc);

	o.read_only = true;
	o.shm_size = 1 << 20;
	o.hostname_file = o.resolv_file = NULL;
	doc = build_ok(&o, image_sh, "mounts: --read-only --shm-size 1m");
	CHECK(json_object_get_boolean(at(doc, "root.readonly")), "root.readonly with --read-only");
	check_mount(doc, "/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=1048576");
	check_mount(doc, "/etc/hosts", "bind", hosts, "rbind,ro,rprivate");
	CHECK(json_object_array_length(at(doc, "mounts")) == 8 &&
		  mount_at(doc, "/etc/hostname") == NULL,
	      "mounts: only the files given");
	json_object_put(doc);

	o = base_opts();
	o.privileged = true;
	doc = build_ok(&o, image_sh, "mounts: --privileged");
	CHECK(json_object_array_length(at(doc, "mounts")) == 7, "mounts: no files, 7 mounts");
	check_mount(doc, "/sys", "sysfs", "sysfs", "nosuid,noexec,nodev");
	check_mount(doc, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid,noexec,nodev,relatime");
}

static void test_linux(void)
{
	struct ocispec_opts o = base_opts();
	autojson json_object *doc = NULL;
	struct berth_err err = { 0 };
	struct spec *s = NULL;
	json_object *devs, *rule;

	doc = build_ok(&o, image_sh, "linux: defaults");
	{
		autofree char *masked = join_at(doc, "linux.maskedPaths");
		autofree char *ro = join_at(doc, "linux.readonlyPaths");
		CHECK_STR(masked,
			  "/proc/asound,/proc/acpi,/proc/kcore,/proc/keys,/proc/latency_stats,"
			  "/proc/timer_list,/proc/timer_stats,/proc/sched_debug,/proc/scsi,"
			  "/sys/firmware,/sys/devices/virtual/powercap",
			  "linux.maskedPaths: docker's");
		CHECK_STR(ro, "/proc/bus,/proc/fs,/proc/irq,/proc/sys,/proc/sysrq-trigger",
			  "linux.readonlyPaths: docker's");
	}
	{
		json_object *ns = at(doc, "linux.namespaces");
		autofree char *kinds = xstrdup("");
		for (size_t i = 0; ns != NULL && i < json_object_array_length(ns); i++) {
			char *n = xasprintf("%s%s%s", kinds, i > 0 ? "," : "",
					    str_at(json_object_array_get_idx(ns, i), "type"));
			free(kinds);
			kinds = n;
		}
		CHECK_STR(kinds, "mount,network,uts,pid,ipc,cgroup",
			  "linux.namespaces: --network none");
	}
	{
		json_object *sysctl = at(doc, "linux.sysctl"), *v = NULL;
		CHECK(sysctl != NULL &&
			  json_object_object_get_ex(sysctl, "net.ipv4.ip_unprivileged_port_start",
						    &v) &&
			  strcmp(json_object_get_string(v), "0") == 0,
		      "linux.sysctl: unprivileged ports with a private network");
	}
	devs = at(doc, "linux.resources.devices");
	CHECK(devs != NULL && json_object_array_length(devs) == 13, "devices: deny-all + 12 rules");
	rule = json_object_array_get_idx(devs, 0);
	CHECK(rule != NULL && !json_object_get_boolean(at(rule, "allow")) &&
		  at(rule, "type") == NULL && at(rule, "major") == NULL &&
		  strcmp(str_at(rule, "access"), "rwm") == 0,
	      "devices: the first rule denies everything");
	{
		autofree char *rules = xstrdup("");
		for (size_t i = 1; devs != NULL && i < json_object_array_length(devs); i++) {
			json_object *d = json_object_array_get_idx(devs, i);
			char *n = xasprintf(
			    "%s%s%s %s:%s %s%s", rules, i > 1 ? "," : "", str_at(d, "type"),
			    at(d, "major") ? str_at(d, "major") : "*",
			    at(d, "minor") ? str_at(d, "minor") : "*", str_at(d, "access"),
			    json_object_get_boolean(at(d, "allow")) ? "" : "!");
			free(rules);
			rules = n;
		}
		CHECK_STR(rules,
			  "c *:* m,b *:* m,c 1:3 rwm,c 1:5 rwm,c 1:7 rwm,c 1:8 rwm,c 1:9 rwm,"
			  "c 5:0 rwm,c 5:1 rwm,c 5:2 rwm,c 136:* rwm,c 10:200 rwm",
			  "devices: docker's default allow rules");
	}
	if (spec_parse(doc, tmpdir, &s, &err) == 0) {
		CHECK(s->ns[SPEC_NS_NETWORK].present && s->ns[SPEC_NS_CGROUP].present &&
			  !s->ns[SPEC_NS_USER].present,
		      "linux: the runtime sees network and cgroup namespaces, no user namespace");
		CHECK(s->resources != NULL && s->resources->n_devices == 13,
		      "linux: the runtime reads 13 device rules");
		CHECK(s->seccomp == NULL, "linux: no seccomp without a profile");
		spec_free(s);
	}
	json_object_put(doc);

	o.network = "host";
	o.cgroups_path = "/berth/" ID;
	doc = build_ok(&o, image_sh, "linux: --network host");
	{
		json_object *ns = at(doc, "linux.namespaces");
		bool has_net = false;
		for (size_t i = 0; ns != NULL && i < json_object_array_length(ns); i++)
			if (strcmp(str_at(json_object_array_get_idx(ns, i), "type"), "network") ==
			    0)
				has_net = true;
		CHECK(ns != NULL && json_object_array_length(ns) == 5 && !has_net,
		      "linux.namespaces: no network namespace with --network host");
	}
	CHECK(at(doc, "linux.sysctl") == NULL, "linux.sysctl: none in the host's network");
	CHECK_STR(str_at(doc, "hostname"), "0123456789ab", "hostname kept with --network host");
	CHECK_STR(str_at(doc, "linux.cgroupsPath"), "/berth/" ID, "linux.cgroupsPath");
	json_object_put(doc);

	o = base_opts();
	o.privileged = true;
	o.seccomp_profile = "/nonexistent/profile.json"; /* never read: unconfined */
	doc = build_ok(&o, image_sh, "linux: --privileged");
	CHECK(at(doc, "linux.maskedPaths") == NULL && at(doc, "linux.readonlyPaths") == NULL,
	      "linux: --privileged masks nothing");
	CHECK(at(doc, "linux.seccomp") == NULL, "linux: --privileged has no seccomp");
	devs = at(doc, "linux.resources.devices");
	rule = devs != NULL ? json_object_array_get_idx(devs, 0) : NULL;
	CHECK(devs != NULL && json_object_array_length(devs) == 1 &&
		  json_object_get_boolean(at(rule, "allow")) && at(rule, "type") == NULL &&
		  strcmp(str_at(rule, "access"), "rwm") == 0,
	      "devices: --privileged allows every device");
	json_object_put(doc);

	o = base_opts();
	o.no_new_privileges = true;
	o.tty = true;
	doc = build_ok(&o, image_sh, "process: flags");
	CHECK(json_object_get_boolean(at(doc, "process.noNewPrivileges")) &&
		  json_object_get_boolean(at(doc, "process.terminal")),
	      "process: noNewPrivileges and terminal from the options");
}

static void test_labels(void)
{
	char **labels = STRV("a=1", "b", "c=x=y", "d=");
	char **bad = STRV("=v");
	struct ocispec_opts o = base_opts();
	autojson json_object *doc = NULL;
	json_object *ann;

	o.labels = labels;
	doc = build_ok(&o, image_sh, "labels");
	ann = at(doc, "annotations");
	CHECK(ann != NULL && json_object_object_length(ann) == 4, "labels: four annotations");
	CHECK_STR(str_at(doc, "annotations.a"), "1", "labels: k=v");
	CHECK_STR(str_at(doc, "annotations.b"), "", "labels: bare k is empty");
	CHECK_STR(str_at(doc, "annotations.c"), "x=y", "labels: value keeps later =");
	CHECK_STR(str_at(doc, "annotations.d"), "", "labels: k= is empty");
	o.labels = bad;
	check_build_error(&o, image_sh, "\"=v\"", "labels: empty key");
}

/* ---- one full document through the runtime's parser ------------------------------ */

static void test_full_parse(void)
{
	autofree char *hosts = xasprintf("%s/run/hosts", tmpdir);
	char **cmd = STRV("echo", "hello");
	char **env = STRV("X=1");
	char **labels = STRV("com.example=yes");
	struct ocispec_opts o = base_opts();
	autojson json_object *doc = NULL;
	struct berth_err err = { 0 };
	struct spec *s = NULL;
	int r;

	o.cmd = cmd;
	o.env = env;
	o.labels = labels;
	o.user = "bob";
	o.tty = true;
	o.read_only = true;
	o.hosts_file = hosts;
	o.cgroups_path = "/berth/test";
	o.workdir = "/home/bob";
	if (access(REAL_PROFILE, R_OK) == 0)
		o.seccomp_profile = REAL_PROFILE;
	doc = build_ok(&o, "{\"config\":{\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Env\":[\"Y=2\"]}}",
		       "full");
	r = doc != NULL ? spec_parse(doc, tmpdir, &s, &err) : -1;
	CHECK(r == 0, "full: parses (%s)", r == 0 ? "" : err.msg);
	if (r != 0)
		return;
	CHECK_STR(s->hostname, "0123456789ab", "full: hostname");
	CHECK(s->root_readonly, "full: read-only root");
	CHECK(s->process.terminal, "full: terminal");
	CHECK(s->process.user.uid == 1000 && s->process.user.gid == 1000 &&
		  s->process.user.n_additional_gids == 3,
	      "full: user 1000:1000 with its gid and two supplementary groups");
	CHECK(strv_len(s->process.args) == 4 && strcmp(s->process.args[2], "echo") == 0,
	      "full: args");
	CHECK(strv_contains(s->process.env, "X=1") && strv_contains(s->process.env, "Y=2") &&
		  strv_contains(s->process.env, "HOME=/home/bob") &&
		  strv_contains(s->process.env, "TERM=xterm"),
	      "full: env");
	CHECK_STR(s->process.cwd, "/home/bob", "full: cwd");
	CHECK(s->process.caps.present && s->process.caps.inheritable == 0 &&
		  s->process.caps.ambient == 0 &&
		  s->process.caps.bounding == s->process.caps.effective,
	      "full: capabilities");
	CHECK(s->n_mounts == 8, "full: 8 mounts");
	CHECK_STR(s->cgroups_path, "/berth/test", "full: cgroupsPath");
	CHECK(strv_len(s->masked_paths) == 11 && strv_len(s->readonly_paths) == 5,
	      "full: masked and read-only paths");
	CHECK_STR(
	    json_object_get_string(json_object_object_get(spec_annotations(s), "com.example")),
	    "yes", "full: annotation");
	CHECK(s->n_sysctl == 2, "full: two sysctls");
	spec_free(s);
}

int main(void)
{
	fixtures_begin();
	test_args();
	test_env();
	test_cwd_hostname();
	test_users();
	test_caps();
	test_mounts();
	test_linux();
	test_labels();
	test_full_parse();
	return TEST_DONE();
}
