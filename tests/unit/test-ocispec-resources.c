/* ocispec-resources, ocispec-init, seccomp-default and the CLI's side of
 * them (create-resources.c): flag values parsed with docker's rules and
 * errors, the checks across flags, the config.json fragments each flag
 * gives (every document handed to the runtime's own parser), the default
 * seccomp profile's shape and, where containers-common's profile is
 * installed, what the two profiles agree a container may call. Fixtures in
 * ocispec-fixtures.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cli/create-resources.h"
#include "engine/engine.h"
#include "engine/ocispec-init.h"
#include "engine/ocispec-resources.h"
#include "engine/seccomp-default.h"
#include "ocispec-fixtures.h"
#include "test.h"

/* ---- parsing --------------------------------------------------------------- */

static void check_ulimit(const char *in, int resource, int64_t soft, int64_t hard)
{
	struct ocispec_ulimit u = { 0 };
	struct berth_err err = { 0 };
	int r = ocispec_ulimit_parse(in, &u, &err);

	CHECK(r == 0 && u.resource == resource && u.soft == soft && u.hard == hard,
	      "ulimit %s: resource %d %lld:%lld (%s)", in, u.resource, (long long)u.soft,
	      (long long)u.hard, r == 0 ? "" : err.msg);
}

static void check_ulimit_error(const char *in, const char *want)
{
	struct ocispec_ulimit u;
	struct berth_err err = { 0 };
	int r = ocispec_ulimit_parse(in, &u, &err);

	CHECK(r < 0 && strstr(err.msg, want) != NULL, "ulimit %s: error \"%s\" names \"%s\"", in,
	      err.msg, want);
}

static void test_ulimits(void)
{
	check_ulimit("nofile=1024:2048", RLIMIT_NOFILE, 1024, 2048);
	check_ulimit("nofile=512", RLIMIT_NOFILE, 512, 512);
	check_ulimit("nproc=-1", RLIMIT_NPROC, -1, -1);
	check_ulimit("core=0:-1", RLIMIT_CORE, 0, -1);
	check_ulimit("memlock=65536:65536", RLIMIT_MEMLOCK, 65536, 65536);
	check_ulimit("rttime=10", RLIMIT_RTTIME, 10, 10);
	check_ulimit_error("nofile", "invalid ulimit argument: nofile");
	check_ulimit_error("files=10", "invalid ulimit type: files");
	check_ulimit_error("as=10", "invalid ulimit type: as");
	check_ulimit_error("nofile=1:2:3", "too many limit value arguments - 1:2:3");
	check_ulimit_error("nofile=abc", "invalid ulimit value \"abc\"");
	check_ulimit_error("nofile=10:x", "invalid ulimit value \"x\"");
	check_ulimit_error("nofile=", "invalid ulimit value \"\"");
	check_ulimit_error("nofile=20:10", "soft limit must be less than or equal to hard limit: "
					   "20 > 10");
	check_ulimit_error("nofile=-1:10", "-1 > 10");
	check_ulimit_error("nofile=-2", "below -1");
	check_ulimit_error("nofile=18446744073709551617",
			   "invalid ulimit value \"18446744073709551617\": value out of range");
	check_ulimit_error("nofile=1:99999999999999999999",
			   "invalid ulimit value \"99999999999999999999\": value out of range");
}

static void check_device(const char *in, const char *host, const char *ctr, const char *perms)
{
	struct ocispec_device_spec d;
	struct berth_err err = { 0 };
	int r = ocispec_device_parse(in, &d, &err);

	CHECK(r == 0, "device %s parses (%s)", in, r == 0 ? "" : err.msg);
	if (r != 0)
		return;
	CHECK(strcmp(d.host, host) == 0 && strcmp(d.container, ctr) == 0 &&
		  strcmp(d.perms, perms) == 0,
	      "device %s: %s -> %s (%s)", in, d.host, d.container, d.perms);
	ocispec_device_spec_clear(&d);
}

static void check_device_error(const char *in, const char *want)
{
	struct ocispec_device_spec d;
	struct berth_err err = { 0 };
	int r = ocispec_device_parse(in, &d, &err);

	CHECK(r < 0 && strstr(err.msg, want) != NULL, "device %s: error \"%s\" names \"%s\"", in,
	      err.msg, want);
	if (r == 0)
		ocispec_device_spec_clear(&d);
}

static void test_devices_parse(void)
{
	check_device("/dev/fuse", "/dev/fuse", "/dev/fuse", "rwm");
	check_device("/dev/sda:/dev/xvda", "/dev/sda", "/dev/xvda", "rwm");
	check_device("/dev/sda:r", "/dev/sda", "/dev/sda", "r");
	check_device("/dev/sda:/dev/xvda:rw", "/dev/sda", "/dev/xvda", "rw");
	check_device("/dev/sda:/dev/xvda:mwr", "/dev/sda", "/dev/xvda", "mwr");
	check_device_error("/dev/sda:/dev/xvda:rz", "bad mode specified: rz");
	check_device_error("/dev/sda:/dev/xvda:rr", "bad mode specified: rr");
	check_device_error("/dev/sda:xvda", "xvda is not an absolute path");
	check_device_error("/dev/sda:rz", "rz is not an absolute path");
	check_device_error("a:b:c:d", "bad format for path: a:b:c:d");
	check_device_error("", "is not an absolute path");
}

static void test_cpusets(void)
{
	static const char *const good[] = { "0", "0-3", "0,2,4-6", "1-1", "65535" };
	static const char *const bad[] = { "",     "a",    "0-", "-1",    "3-1",
					   "0,,1", "0 ,1", "1,", "0-3-5", "65536" };
	unsigned max = 0;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		CHECK(ocispec_cpuset_parse(good[i], NULL) == 0, "cpuset \"%s\" is valid", good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK(ocispec_cpuset_parse(bad[i], NULL) < 0, "cpuset \"%s\" is refused", bad[i]);
	CHECK(ocispec_cpuset_parse("0,7-9,2", &max) == 0 && max == 9, "cpuset max: %u", max);
}

static void test_cgroup_parent(void)
{
	struct berth_err err = { 0 };
	autofree char *a = ocispec_cgroups_path(NULL, "abc");
	autofree char *b = ocispec_cgroups_path("", "abc");
	autofree char *c = ocispec_cgroups_path("/mine/", "abc");
	autofree char *d = ocispec_cgroups_path("sub/dir", "abc");
	autofree char *e = ocispec_cgroups_path("/", "abc");

	CHECK_STR(a, "berth-abc", "cgroupsPath without a parent: under the caller's cgroup");
	CHECK_STR(b, "berth-abc", "cgroupsPath with an empty parent");
	CHECK_STR(c, "/mine/berth-abc", "cgroupsPath under an absolute parent");
	CHECK_STR(d, "sub/dir/berth-abc", "cgroupsPath under a relative parent");
	CHECK_STR(e, "/berth-abc", "cgroupsPath under the root");
	CHECK(ocispec_cgroup_parent_check("/a/b", &err) == 0, "cgroup parent /a/b is fine");
	CHECK(ocispec_cgroup_parent_check("../a", &err) < 0 && strstr(err.msg, "\"..\""),
	      "cgroup parent ../a: %s", err.msg);
	CHECK(ocispec_cgroup_parent_check("/a/./b", &err) < 0, "cgroup parent /a/./b is refused");
	CHECK(ocispec_cgroup_parent_check("system.slice:x:y", &err) < 0 &&
		  strstr(err.msg, "systemd"),
	      "cgroup parent in the systemd form: %s", err.msg);
}

/* ---- the command line's flags ------------------------------------------------ */

static void check_cpus(const char *in, long long want)
{
	struct berth_err err = { 0 };
	long long nano = -12345;
	int r = create_parse_cpus(in, &nano, &err);

	CHECK(r == 0 && nano == want, "--cpus %s: %lld (%s)", in, nano, r == 0 ? "" : err.msg);
}

static void check_cpus_error(const char *in, const char *want)
{
	struct berth_err err = { 0 };
	long long nano;
	int r = create_parse_cpus(in, &nano, &err);

	CHECK(r < 0 && strstr(err.msg, want) != NULL, "--cpus %s: error \"%s\"", in, err.msg);
}

static void test_cli_cpus(void)
{
	check_cpus("1", 1000000000LL);
	check_cpus("1.5", 1500000000LL);
	check_cpus(".5", 500000000LL);
	check_cpus("0.000000001", 1);
	check_cpus("2.500000000000", 2500000000LL);
	check_cpus("3/2", 1500000000LL);
	check_cpus("-1", -1000000000LL);
	check_cpus_error("abc", "invalid argument \"abc\" for \"--cpus\" flag: failed to parse abc "
				"as a rational number");
	check_cpus_error("", "failed to parse");
	check_cpus("2.", 2000000000LL);
	check_cpus_error("1e3", "failed to parse");
	check_cpus_error("1/0", "failed to parse");
	check_cpus_error("1.0000000001", "value is too precise");
	check_cpus_error("1/3", "value is too precise");
}

/* Parses a create_resources_cli into engine options. */
static int parse_cli(const struct create_resources_cli *c, struct engine_create_opts *o,
		     struct berth_err *err)
{
	memset(o, 0, sizeof(*o));
	memset(err, 0, sizeof(*err));
	return create_resources_parse(c, o, err);
}

static void check_cli_error(const struct create_resources_cli *c, const char *want,
			    const char *what)
{
	struct engine_create_opts o;
	struct berth_err err;
	int r = parse_cli(c, &o, &err);

	CHECK(r < 0 && strcmp(err.msg, want) == 0, "%s: error \"%s\"", what, err.msg);
}

static void test_cli_flags(void)
{
	struct create_resources_cli c = {
		.memory = "512m",
		.memory_swap = "-1",
		.memory_reservation = "256MiB",
		.shm_size = "1g",
		.cpus = "0.25",
		.cpu_shares = "512",
		.cpuset_cpus = "0",
		.pids_limit = "-1",
		.ulimits = STRV("nofile=10:20"),
		.devices = STRV("/dev/null:/dev/n:r"),
		.cgroup_parent = "/p",
		.init = true,
	};
	struct engine_create_opts o;
	struct berth_err err;
	int r = parse_cli(&c, &o, &err);

	CHECK(r == 0, "cli: every flag parses (%s)", r == 0 ? "" : err.msg);
	CHECK(o.res.memory == 512 << 20 && o.res.memory_swap == -1 &&
		  o.res.memory_reservation == 256 << 20 && o.res.shm_size == 1 << 30,
	      "cli: sizes %lld %lld %lld %lld", (long long)o.res.memory,
	      (long long)o.res.memory_swap, (long long)o.res.memory_reservation,
	      (long long)o.res.shm_size);
	CHECK(o.res.nano_cpus == 250000000 && o.res.cpu_shares == 512 && o.res.pids_limit == -1,
	      "cli: cpus, shares and pids");
	CHECK(o.init && o.res.ulimits == c.ulimits && o.res.devices == c.devices &&
		  strcmp(o.res.cgroup_parent, "/p") == 0 && strcmp(o.res.cpuset_cpus, "0") == 0,
	      "cli: the rest passes through");

	check_cli_error(&(struct create_resources_cli){ .memory = "12x" },
			"invalid argument \"12x\" for \"-m, --memory\" flag: invalid size: '12x'",
			"cli: --memory 12x");
	check_cli_error(&(struct create_resources_cli){ .memory = "-1" },
			"invalid argument \"-1\" for \"-m, --memory\" flag: invalid size: '-1'",
			"cli: --memory -1");
	check_cli_error(&(struct create_resources_cli){ .memory_swap = "lots" },
			"invalid argument \"lots\" for \"--memory-swap\" flag: invalid size: "
			"'lots'",
			"cli: --memory-swap lots");
	check_cli_error(&(struct create_resources_cli){ .shm_size = "" },
			"invalid argument \"\" for \"--shm-size\" flag: invalid size: ''",
			"cli: --shm-size ''");
	check_cli_error(&(struct create_resources_cli){ .cpu_shares = "1.5" },
			"invalid argument \"1.5\" for \"-c, --cpu-shares\" flag: strconv.ParseInt: "
			"parsing \"1.5\": invalid syntax",
			"cli: --cpu-shares 1.5");
	check_cli_error(&(struct create_resources_cli){ .pids_limit = "99999999999999999999" },
			"invalid argument \"99999999999999999999\" for \"--pids-limit\" flag: "
			"strconv.ParseInt: parsing \"99999999999999999999\": value out of range",
			"cli: --pids-limit too big");
	check_cli_error(&(struct create_resources_cli){ .cpu_shares = "-1" },
			"invalid argument \"-1\" for \"-c, --cpu-shares\" flag: shares: invalid "
			"argument",
			"cli: --cpu-shares -1, as docker's daemon refuses it");
	check_cli_error(&(struct create_resources_cli){ .shm_size = "18446744073709551617" },
			"invalid argument \"18446744073709551617\" for \"--shm-size\" flag: "
			"invalid size: '18446744073709551617'",
			"cli: --shm-size 2^64+1");
	check_cli_error(&(struct create_resources_cli){ .ulimits = STRV("nofile=1", "x") },
			"invalid argument \"x\" for \"--ulimit\" flag: invalid ulimit argument: x",
			"cli: --ulimit x");
	check_cli_error(&(struct create_resources_cli){ .devices = STRV("/dev/a:/b:q") },
			"invalid argument \"/dev/a:/b:q\" for \"--device\" flag: bad mode "
			"specified: q",
			"cli: --device with a bad mode");
}

static void test_security_opts(void)
{
	struct engine_create_opts o = { 0 };
	struct berth_err err = { 0 };
	autofree char *profile = xasprintf("%s/sec.json", tmpdir);
	autofree char *file_opt = xasprintf("seccomp=%s", profile);
	char **opts = NULL;
	int r;

	write_file(tmpdir, "sec.json", "{}");
	opts = STRV("no-new-privileges", "seccomp=unconfined");
	r = create_security_opts(opts, &o, &err);
	CHECK(r == 0 && o.no_new_privileges && strcmp(o.seccomp, "unconfined") == 0 &&
		  o.security_opts == opts,
	      "security-opt: no-new-privileges, seccomp=unconfined");
	memset(&o, 0, sizeof(o));
	r = create_security_opts(STRV("seccomp:unconfined", "seccomp=builtin"), &o, &err);
	CHECK(r == 0 && o.seccomp == NULL, "security-opt: seccomp=builtin is the default again");
	r = create_security_opts((char *[]){ file_opt, NULL }, &o, &err);
	CHECK(r == 0 && o.seccomp != NULL && strcmp(o.seccomp, profile) == 0,
	      "security-opt: seccomp=FILE");
	r = create_security_opts(
	    STRV("no-new-privileges=false", "apparmor=unconfined", "label=disable"), &o, &err);
	CHECK(r == 0 && !o.no_new_privileges, "security-opt: no-new-privileges=false and no-ops");
	r = create_security_opts(STRV("seccomp=/nonexistent/profile.json"), &o, &err);
	CHECK(r < 0 && strstr(err.msg, "opening seccomp profile (/nonexistent/profile.json) "
				       "failed") != NULL,
	      "security-opt: a missing profile: %s", err.msg);
	r = create_security_opts(STRV("bogus"), &o, &err);
	CHECK(r < 0 && strcmp(err.msg, "Invalid --security-opt: \"bogus\"") == 0,
	      "security-opt: bogus: %s", err.msg);
	r = create_security_opts(STRV("apparmor=myprofile"), &o, &err);
	CHECK(r < 0 && strstr(err.msg, "not supported") != NULL,
	      "security-opt: an AppArmor profile: %s", err.msg);
}

/* ---- checks across flags ------------------------------------------------------ */

static void check_res_error(const struct ocispec_resources *r, const char *want, const char *what)
{
	struct berth_err err = { 0 };
	int rc = ocispec_resources_check(r, &err);

	CHECK(rc < 0 && strstr(err.msg, want) != NULL && strchr(err.msg, '\n') == NULL,
	      "check %s: \"%s\"", what, err.msg);
}

static void test_checks(void)
{
	struct berth_err err = { 0 };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct ocispec_resources ok = { .memory = 64 << 20,
					.memory_swap = 128 << 20,
					.memory_reservation = 32 << 20,
					.nano_cpus = 500000000,
					.cpuset_cpus = "0",
					.cpuset_mems = "0" };

	CHECK(ocispec_resources_check(&ok, &err) == 0, "check: good values pass (%s)", err.msg);
	CHECK(ocispec_resources_check(NULL, &err) == 0, "check: no resources pass");
	check_res_error(&(struct ocispec_resources){ .memory = 1 << 20 },
			"Minimum memory limit allowed is 6MB", "--memory 1m");
	check_res_error(&(struct ocispec_resources){ .memory_swap = 64 << 20 },
			"You should always set the Memory limit when using Memoryswap limit",
			"--memory-swap alone");
	check_res_error(&(struct ocispec_resources){ .memory = 64 << 20, .memory_swap = 32 << 20 },
			"Minimum memoryswap limit should be larger than memory limit",
			"--memory-swap below --memory");
	check_res_error(&(struct ocispec_resources){ .memory_reservation = 1 << 20 },
			"Minimum memory reservation allowed is 6MB", "--memory-reservation 1m");
	check_res_error(
	    &(struct ocispec_resources){ .memory = 16 << 20, .memory_reservation = 32 << 20 },
	    "Minimum memory limit can not be less than memory reservation limit",
	    "--memory-reservation above --memory");
	check_res_error(&(struct ocispec_resources){ .nano_cpus = (ncpu + 1) * 1000000000LL },
			"Range of CPUs is from 0.01 to", "--cpus above the host's");
	check_res_error(&(struct ocispec_resources){ .nano_cpus = 1000 }, "Range of CPUs",
			"--cpus 0.000001");
	check_res_error(&(struct ocispec_resources){ .nano_cpus = -1000000000 }, "Range of CPUs",
			"--cpus -1");
	check_res_error(&(struct ocispec_resources){ .cpuset_cpus = "0-x" },
			"Invalid value 0-x for cpuset cpus", "--cpuset-cpus 0-x");
	check_res_error(
	    &(struct ocispec_resources){ .cpuset_cpus = "4095" },
	    "Requested CPUs are not available - requested 4095, available: ", "--cpuset-cpus 4095");
	check_res_error(&(struct ocispec_resources){ .cpuset_mems = "1023" },
			"Requested memory nodes are not available - requested 1023",
			"--cpuset-mems 1023");
	check_res_error(&(struct ocispec_resources){ .shm_size = -1 },
			"SHM size can not be less than 0", "--shm-size -1");
	/* nofile can never be unlimited (fs.nr_open bounds it). */
	check_res_error(&(struct ocispec_resources){ .ulimits = STRV("nofile=1024:-1") },
			"--ulimit nofile: cannot raise the hard limit to -1 above this host's",
			"--ulimit nofile=1024:-1");
	{
		struct rlimit before, after;
		getrlimit(RLIMIT_NOFILE, &before);
		ocispec_resources_check(
		    &(struct ocispec_resources){ .ulimits = STRV("nofile=1:-1") }, &err);
		getrlimit(RLIMIT_NOFILE, &after);
		CHECK(before.rlim_cur == after.rlim_cur && before.rlim_max == after.rlim_max,
		      "check: the engine's own limits are left as they were");
	}
	check_res_error(&(struct ocispec_resources){ .cgroup_parent = "a/../b" }, "\"..\"",
			"--cgroup-parent a/../b");
}

/* ---- config.json fragments ------------------------------------------------------ */

static int64_t int_at(json_object *o, const char *path)
{
	json_object *v = at(o, path);
	return v != NULL ? json_object_get_int64(v) : -12345;
}

/* A --ulimit NAME=-1 this process may set: a limit whose hard value is
 * already unlimited here (no raise needed); NULL when there is none. */
static const char *unlimited_ulimit(void)
{
	static const struct {
		const char *spec;
		int resource;
	} candidates[] = { { "fsize=-1", RLIMIT_FSIZE },
			   { "data=-1", RLIMIT_DATA },
			   { "stack=-1", RLIMIT_STACK },
			   { "cpu=-1", RLIMIT_CPU } };
	struct rlimit rl;

	for (size_t i = 0; i < ARRAY_SIZE(candidates); i++)
		if (getrlimit(candidates[i].resource, &rl) == 0 && rl.rlim_max == RLIM_INFINITY)
			return candidates[i].spec;
	return NULL;
}

static void test_apply(void)
{
	const char *unlimited = unlimited_ulimit() ?: "nproc=1";
	struct ocispec_resources res = {
		.memory = 64 << 20,
		.memory_reservation = 32 << 20,
		.nano_cpus = 1500000000,
		.cpu_shares = 1 << 20,
		.cpuset_cpus = "0",
		.cpuset_mems = "0",
		.pids_limit = 42,
		.ulimits = STRV("nofile=100:200", "core=0", "nofile=300:400", unlimited),
		.devices = STRV("/dev/null:/dev/mynull:rw", "/dev/zero"),
	};
	struct ocispec_opts o = base_opts();
	autojson json_object *doc = NULL;
	json_object *devs, *rules, *rl;
	int64_t swap = ocispec_memory_swap(&res);

	o.res = &res;
	doc = build_ok(&o, image_sh, "resources: every flag");
	if (doc == NULL)
		return;
	CHECK(int_at(doc, "linux.resources.memory.limit") == 64 << 20 &&
		  int_at(doc, "linux.resources.memory.reservation") == 32 << 20,
	      "resources: memory limit and reservation");
	/* docker: twice the memory as memory+swap, where the host can say. */
	if (ocispec_swap_accounting())
		CHECK(swap == 128 << 20 && int_at(doc, "linux.resources.memory.swap") == swap,
		      "resources: memory+swap defaults to twice the memory");
	else
		CHECK(swap == 0 && at(doc, "linux.resources.memory.swap") == NULL,
		      "resources: no swap limit without swap accounting");
	CHECK(int_at(doc, "linux.resources.cpu.quota") == 150000 &&
		  int_at(doc, "linux.resources.cpu.period") == 100000,
	      "resources: --cpus 1.5 is quota 150000 per 100000");
	CHECK(int_at(doc, "linux.resources.cpu.shares") == OCISPEC_SHARES_MAX,
	      "resources: cpu shares clamped to the kernel's maximum");
	CHECK_STR(str_at(doc, "linux.resources.cpu.cpus"), "0", "resources: cpuset cpus");
	CHECK_STR(str_at(doc, "linux.resources.cpu.mems"), "0", "resources: cpuset mems");
	CHECK(int_at(doc, "linux.resources.pids.limit") == 42, "resources: pids limit");

	rl = at(doc, "process.rlimits");
	CHECK(rl != NULL && json_object_array_length(rl) == 3, "rlimits: one per name");
	if (rl != NULL && json_object_array_length(rl) == 3) {
		json_object *nofile = json_object_array_get_idx(rl, 0);
		json_object *third = json_object_array_get_idx(rl, 2);
		CHECK_STR(str_at(nofile, "type"), "RLIMIT_NOFILE", "rlimits: the OCI name");
		CHECK(int_at(nofile, "soft") == 300 && int_at(nofile, "hard") == 400,
		      "rlimits: the last value of a name wins");
		CHECK_STR(str_at(json_object_array_get_idx(rl, 1), "type"), "RLIMIT_CORE",
			  "rlimits: order of first appearance");
		if (unlimited_ulimit() != NULL)
			CHECK_STR(str_at(third, "hard"), "18446744073709551615",
				  "rlimits: -1 is RLIM_INFINITY");
	}

	devs = at(doc, "linux.devices");
	CHECK(devs != NULL && json_object_array_length(devs) == 2, "devices: two nodes");
	if (devs != NULL && json_object_array_length(devs) == 2) {
		json_object *n = json_object_array_get_idx(devs, 0);
		CHECK_STR(str_at(n, "path"), "/dev/mynull", "devices: the container path");
		CHECK(strcmp(str_at(n, "type"), "c") == 0 && int_at(n, "major") == 1 &&
			  int_at(n, "minor") == 3,
		      "devices: the host node's type and numbers (c 1:3)");
		struct stat st;
		CHECK(stat("/dev/null", &st) == 0 &&
			  int_at(n, "fileMode") == (st.st_mode & 07777) &&
			  int_at(n, "uid") == st.st_uid && int_at(n, "gid") == st.st_gid,
		      "devices: the host node's mode and owner");
		CHECK_STR(str_at(json_object_array_get_idx(devs, 1), "path"), "/dev/zero",
			  "devices: the host path when no container path is given");
	}
	rules = at(doc, "linux.resources.devices");
	if (rules != NULL && json_object_array_length(rules) >= 2) {
		size_t n = json_object_array_length(rules);
		json_object *r1 = json_object_array_get_idx(rules, n - 2);
		CHECK(json_object_get_boolean(at(r1, "allow")) && int_at(r1, "major") == 1 &&
			  int_at(r1, "minor") == 3 && strcmp(str_at(r1, "access"), "rw") == 0,
		      "devices: an allow rule with the given permissions, after the defaults");
		CHECK(!json_object_get_boolean(at(json_object_array_get_idx(rules, 0), "allow")),
		      "devices: the deny-all rule stays first");
	}
}

static void test_apply_defaults(void)
{
	struct ocispec_resources none = { 0 };
	struct ocispec_opts o = base_opts();
	autojson json_object *doc = NULL, *plain = NULL;

	o.res = &none;
	doc = build_ok(&o, image_sh, "resources: nothing asked");
	/* No rlimit at all: the container inherits the caller's, never above
	 * the host's hard limits. */
	CHECK(doc != NULL && at(doc, "process.rlimits") == NULL, "defaults: no process.rlimits");
	CHECK(doc != NULL && at(doc, "linux.resources.memory") == NULL &&
		  at(doc, "linux.resources.cpu") == NULL && at(doc, "linux.resources.pids") == NULL,
	      "defaults: no memory, cpu or pids limits");
	CHECK(doc != NULL && at(doc, "linux.devices") == NULL, "defaults: no extra device nodes");
	o.res = NULL;
	plain = build_ok(&o, image_sh, "resources: none given");
	CHECK(plain != NULL && at(plain, "process.rlimits") == NULL,
	      "defaults: no rlimits without resources");

	none.pids_limit = -1;
	none.memory_swap = -1;
	o.res = &none;
	json_object_put(doc);
	doc = build_ok(&o, image_sh, "resources: unlimited");
	CHECK(int_at(doc, "linux.resources.pids.limit") == -1, "--pids-limit -1: unlimited (-1)");
	if (ocispec_swap_accounting())
		CHECK(int_at(doc, "linux.resources.memory.swap") == -1,
		      "--memory-swap -1: unlimited");
}

/* docker's directory case: every node below it, at the same place below
 * the container path. Needs mknod (root). */
static void test_apply_device_dir(void)
{
	autofree char *dir = xasprintf("%s/devdir", tmpdir);
	autofree char *sub = xasprintf("%s/devdir/sub", tmpdir);
	autofree char *a = xasprintf("%s/devdir/null", tmpdir);
	autofree char *b = xasprintf("%s/devdir/sub/zero", tmpdir);
	autofree char *spec = xasprintf("%s:/dev/mine", dir);
	struct ocispec_resources r = { .devices = (char *[]){ spec, NULL } };
	struct ocispec_opts o = base_opts();
	autojson json_object *doc = NULL;
	autofree char *paths = NULL;

	make_dir(sub);
	write_file(dir, "regular", "not a device\n");
	if (mknod(a, S_IFCHR | 0666, makedev(1, 3)) < 0 ||
	    mknod(b, S_IFCHR | 0666, makedev(1, 5)) < 0) {
		CHECK(1, "# skip: devices: a directory (mknod: not root)");
		return;
	}
	o.res = &r;
	doc = build_ok(&o, image_sh, "devices: a directory");
	json_object *devs = at(doc, "linux.devices");
	for (size_t i = 0; devs != NULL && i < json_object_array_length(devs); i++) {
		char *n = xasprintf("%s%s%s", paths ? paths : "", paths ? "," : "",
				    str_at(json_object_array_get_idx(devs, i), "path"));
		free(paths);
		paths = n;
	}
	CHECK(paths != NULL && (strcmp(paths, "/dev/mine/null,/dev/mine/sub/zero") == 0 ||
				strcmp(paths, "/dev/mine/sub/zero,/dev/mine/null") == 0),
	      "devices: every node below the directory, the regular file skipped (%s)",
	      paths ? paths : "none");
}

static void test_apply_errors(void)
{
	struct ocispec_opts o = base_opts();
	struct ocispec_resources r = { .devices = STRV("/nonexistent/dev") };

	o.res = &r;
	check_build_error(&o, image_sh,
			  "error gathering device information while adding custom device "
			  "\"/nonexistent/dev\": No such file or directory",
			  "--device missing");
	r.devices = STRV("/etc/hostname");
	check_build_error(&o, image_sh, "\"/etc/hostname\": not a device node",
			  "--device on a regular file");
	r.devices = NULL;
	r.memory = 100;
	check_build_error(&o, image_sh, "Minimum memory limit allowed is 6MB",
			  "the build checks too");
}

static void test_record(void)
{
	struct ocispec_resources r = {
		.memory = 64 << 20,
		.memory_swap = -1,
		.nano_cpus = 500000000,
		.cpu_shares = -5,
		.pids_limit = 10,
		.ulimits = STRV("nofile=1:2"),
		.devices = STRV("/dev/fuse:/dev/f:r"),
		.cgroup_parent = "/p",
	};
	autojson json_object *c = json_object_new_object(), *empty = json_object_new_object();

	ocispec_resources_record(&r, c);
	CHECK(int_at(c, "Memory") == 64 << 20 && int_at(c, "NanoCpus") == 500000000 &&
		  int_at(c, "CpuShares") == OCISPEC_SHARES_MIN && int_at(c, "PidsLimit") == 10,
	      "record: Memory, NanoCpus, CpuShares (clamped), PidsLimit");
	CHECK(int_at(c, "MemorySwap") == (ocispec_swap_accounting() ? -1 : 0),
	      "record: MemorySwap");
	CHECK_STR(json_object_to_json_string_ext(at(c, "Ulimits"), JSON_C_TO_STRING_PLAIN),
		  "[{\"Name\":\"nofile\",\"Hard\":2,\"Soft\":1}]", "record: Ulimits");
	CHECK_STR(json_object_to_json_string_ext(
		      at(c, "Devices"), JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		  "[{\"PathOnHost\":\"/dev/fuse\",\"PathInContainer\":\"/dev/f\","
		  "\"CgroupPermissions\":\"r\"}]",
		  "record: Devices");
	CHECK_STR(str_at(c, "CgroupParent"), "/p", "record: CgroupParent");
	CHECK(int_at(c, "ShmSize") == 64 << 20, "record: ShmSize defaults to 64 MiB");

	ocispec_resources_record(NULL, empty);
	CHECK(json_object_object_get_ex(empty, "PidsLimit", NULL) &&
		  at(empty, "PidsLimit") == NULL && at(empty, "Ulimits") == NULL &&
		  json_object_array_length(at(empty, "Devices")) == 0,
	      "record: nothing given: PidsLimit and Ulimits null, Devices empty");
	CHECK(int_at(empty, "Memory") == 0 && int_at(empty, "MemorySwap") == 0 &&
		  strcmp(str_at(empty, "CpusetCpus"), "") == 0,
	      "record: zero values");
}

/* ---- --init -------------------------------------------------------------------- */

static void test_init(void)
{
	struct ocispec_opts o = base_opts();
	autojson json_object *doc = build_ok(&o, image_sh, "init: base");
	json_object *args_before = NULL, *mounts;
	struct berth_err err = { 0 };
	struct spec *s = NULL;

	if (doc == NULL)
		return;
	json_object_object_get_ex(json_object_object_get(doc, "process"), "args", &args_before);
	json_object_get(args_before);
	CHECK(ocispec_init_apply(doc, "/usr/libexec/berth/berth-init", &err) == 0,
	      "init: applies (%s)", err.msg);
	{
		autofree char *args = join_at(doc, "process.args");
		autofree char *before = join_sep(args_before, ",");
		CHECK_STR(args, "/dev/init,--,sh", "init: berth-init -- the command");
		CHECK_STR(before, "sh", "init: the array taken before is unchanged");
	}
	json_object_put(args_before);
	mounts = at(doc, "mounts");
	if (mounts != NULL) {
		json_object *m =
		    json_object_array_get_idx(mounts, json_object_array_length(mounts) - 1);
		autofree char *opts = join_at(m, "options");
		CHECK_STR(str_at(m, "destination"), OCISPEC_INIT_PATH,
			  "init: mounted at /dev/init");
		CHECK_STR(str_at(m, "source"), "/usr/libexec/berth/berth-init", "init: the source");
		CHECK_STR(opts, "rbind,ro,nosuid,nodev,rprivate", "init: a read-only bind");
	}
	CHECK(spec_parse(doc, tmpdir, &s, &err) == 0, "init: the runtime parses it (%s)", err.msg);
	spec_free(s);
	CHECK(ocispec_init_apply(doc, "relative", &err) < 0 &&
		  strstr(err.msg, "not an absolute path"),
	      "init: a relative path is refused");
	{
		/* This test binary has no berth-init beside it; the message
		 * says where it looked. */
		char *path = NULL;
		int r = ocispec_init_find(&path, &err);
		CHECK(r == 0 || strstr(err.msg, "berth-init not found") != NULL,
		      "init: found or a clear error (%s)", r == 0 ? path : err.msg);
		free(path);
	}
}

/* ---- the default seccomp profile ---------------------------------------------- */

/* The rule of a docker-format profile whose names hold name and whose
 * includes.caps/excludes.caps are as given ("" for none). */
static json_object *find_rule(json_object *prof, const char *name, const char *caps,
			      const char *not_caps)
{
	json_object *calls = at(prof, "syscalls");

	for (size_t i = 0; calls != NULL && i < json_object_array_length(calls); i++) {
		json_object *c = json_object_array_get_idx(calls, i);
		autofree char *names = join_at(c, "names");
		autofree char *in = join_at(c, "includes.caps");
		autofree char *ex = join_at(c, "excludes.caps");
		autofree char *padded = xasprintf(",%s,", names);
		autofree char *want = xasprintf(",%s,", name);
		if (strstr(padded, want) != NULL && strcmp(in, caps) == 0 &&
		    strcmp(ex, not_caps) == 0)
			return c;
	}
	return NULL;
}

static void test_default_profile_shape(void)
{
	autojson json_object *p = seccomp_default_profile();
	json_object *all = json_object_array_get_idx(at(p, "syscalls"), 0);
	autofree char *all_names = join_at(all, "names");
	autofree char *allowed = xasprintf(",%s,", all_names);
	static const char *const must_allow[] = { "read",  "write", "execve", "clock_gettime",
						  "fork",  "wait4", "openat", "socket",
						  "mmap",  "futex", "kill",   "rt_sigaction",
						  "getpid" };
	static const char *const never[] = { "keyctl",
					     "add_key",
					     "request_key",
					     "unshare",
					     "mount",
					     "setns",
					     "kexec_load",
					     "reboot",
					     "bpf",
					     "userfaultfd",
					     "ptrace",
					     "acct",
					     "swapon",
					     "open_by_handle_at",
					     "io_uring_setup",
					     "clone",
					     "chroot",
					     "init_module",
					     "sethostname" };
	json_object *r;

	CHECK_STR(str_at(p, "defaultAction"), "SCMP_ACT_ERRNO", "profile: everything else fails");
	CHECK_STR(str_at(p, "defaultErrnoRet"), "1", "profile: with EPERM");
	{
		json_object *map = at(p, "archMap");
		json_object *x86 = map ? json_object_array_get_idx(map, 0) : NULL;
		autofree char *subs = join_at(x86, "subArchitectures");
		CHECK_STR(str_at(x86, "architecture"), "SCMP_ARCH_X86_64",
			  "profile: archMap x86_64");
		CHECK_STR(subs, "SCMP_ARCH_X86,SCMP_ARCH_X32", "profile: with x86 and x32");
	}
	CHECK_STR(str_at(all, "action"), "SCMP_ACT_ALLOW", "profile: the first rule allows");
	for (size_t i = 0; i < ARRAY_SIZE(must_allow); i++) {
		autofree char *w = xasprintf(",%s,", must_allow[i]);
		CHECK(strstr(allowed, w) != NULL, "profile: %s always allowed", must_allow[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(never); i++) {
		autofree char *w = xasprintf(",%s,", never[i]);
		CHECK(strstr(allowed, w) == NULL, "profile: %s not unconditionally allowed",
		      never[i]);
	}
	r = find_rule(p, "unshare", "CAP_SYS_ADMIN", "");
	CHECK(r != NULL, "profile: unshare with CAP_SYS_ADMIN");
	CHECK(find_rule(p, "mount", "CAP_SYS_ADMIN", "") != NULL &&
		  find_rule(p, "setns", "CAP_SYS_ADMIN", "") != NULL &&
		  find_rule(p, "clone3", "CAP_SYS_ADMIN", "") != NULL,
	      "profile: mount, setns, clone3 with CAP_SYS_ADMIN");
	CHECK(find_rule(p, "reboot", "CAP_SYS_BOOT", "") != NULL &&
		  find_rule(p, "chroot", "CAP_SYS_CHROOT", "") != NULL &&
		  find_rule(p, "init_module", "CAP_SYS_MODULE", "") != NULL &&
		  find_rule(p, "ptrace", "CAP_SYS_PTRACE", "") != NULL &&
		  find_rule(p, "settimeofday", "CAP_SYS_TIME", "") != NULL &&
		  find_rule(p, "perf_event_open", "CAP_PERFMON", "") != NULL,
	      "profile: capability-guarded calls");
	r = find_rule(p, "clone", "", "CAP_SYS_ADMIN");
	CHECK(r != NULL, "profile: clone without CAP_SYS_ADMIN has a rule");
	if (r != NULL) {
		json_object *a = json_object_array_get_idx(at(r, "args"), 0);
		CHECK(int_at(a, "index") == 0 && int_at(a, "value") == 0x7E020000 &&
			  int_at(a, "valueTwo") == 0 &&
			  strcmp(str_at(a, "op"), "SCMP_CMP_MASKED_EQ") == 0,
		      "profile: clone only without namespace flags");
	}
	r = find_rule(p, "clone3", "", "CAP_SYS_ADMIN");
	CHECK(r != NULL && strcmp(str_at(r, "action"), "SCMP_ACT_ERRNO") == 0 &&
		  int_at(r, "errnoRet") == 38,
	      "profile: clone3 without CAP_SYS_ADMIN fails with ENOSYS");
	{
		json_object *calls = at(p, "syscalls");
		autofree char *values = xstrdup("");
		for (size_t i = 0; i < json_object_array_length(calls); i++) {
			json_object *c = json_object_array_get_idx(calls, i);
			autofree char *names = join_at(c, "names");
			if (strcmp(names, "personality") == 0) {
				char *n = xasprintf(
				    "%s%s%s", values, values[0] ? "," : "",
				    str_at(json_object_array_get_idx(at(c, "args"), 0), "value"));
				free(values);
				values = n;
			}
		}
		CHECK_STR(values, "0,8,131072,131080,4294967295", "profile: personality values");
	}
}

/* What an OCI linux.seccomp does with name called without arguments that
 * matter: "allow" (an unconditional allow rule), "args" (allowed only
 * with some arguments), else the errno it fails with. */
static char *verdict(json_object *doc, const char *name)
{
	json_object *calls = at(doc, "linux.seccomp.syscalls");
	bool with_args = false;

	for (size_t i = 0; calls != NULL && i < json_object_array_length(calls); i++) {
		json_object *c = json_object_array_get_idx(calls, i);
		autofree char *names = join_at(c, "names");
		autofree char *padded = xasprintf(",%s,", names);
		autofree char *want = xasprintf(",%s,", name);
		if (strstr(padded, want) == NULL)
			continue;
		if (strcmp(str_at(c, "action"), "SCMP_ACT_ALLOW") != 0)
			return xasprintf("errno %s", str_at(c, "errnoRet"));
		if (at(c, "args") == NULL || json_object_array_length(at(c, "args")) == 0)
			return xstrdup("allow");
		with_args = true;
	}
	if (with_args)
		return xstrdup("args");
	return xasprintf("errno %s", str_at(doc, "linux.seccomp.defaultErrnoRet"));
}

static void test_default_profile_effect(void)
{
	struct ocispec_opts o = base_opts();
	autojson json_object *doc = NULL, *admin = NULL, *priv = NULL, *real = NULL;
	static const char *const allow[] = {
		"read", "write", "execve", "chroot", "ptrace", "getpid"
	};
	static const char *const eperm[] = { "keyctl",       "add_key",
					     "request_key",  "unshare",
					     "mount",        "setns",
					     "kexec_load",   "reboot",
					     "bpf",          "acct",
					     "init_module",  "swapon",
					     "userfaultfd",  "open_by_handle_at",
					     "settimeofday", "io_uring_setup" };

	o.seccomp_default = true;
	doc = build_ok(&o, image_sh, "default seccomp: default caps");
	if (doc == NULL)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(allow); i++) {
		autofree char *v = verdict(doc, allow[i]);
		CHECK_STR(v, "allow", allow[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(eperm); i++) {
		autofree char *v = verdict(doc, eperm[i]);
		CHECK_STR(v, "errno 1", eperm[i]);
	}
	{
		autofree char *clone = verdict(doc, "clone");
		autofree char *clone3 = verdict(doc, "clone3");
		CHECK_STR(clone, "args", "clone: only without namespace flags");
		CHECK_STR(clone3, "errno 38", "clone3: ENOSYS, so libc falls back to clone");
	}

	o.cap_add = STRV("SYS_ADMIN");
	admin = build_ok(&o, image_sh, "default seccomp: with CAP_SYS_ADMIN");
	{
		autofree char *u = verdict(admin, "unshare");
		autofree char *m = verdict(admin, "mount");
		autofree char *c = verdict(admin, "clone");
		autofree char *k = verdict(admin, "keyctl");
		CHECK_STR(u, "allow", "CAP_SYS_ADMIN: unshare");
		CHECK_STR(m, "allow", "CAP_SYS_ADMIN: mount");
		CHECK_STR(c, "allow", "CAP_SYS_ADMIN: clone with any flags");
		CHECK_STR(k, "errno 1", "CAP_SYS_ADMIN: keyctl still blocked");
	}
	o.cap_add = NULL;
	o.privileged = true;
	priv = build_ok(&o, image_sh, "default seccomp: privileged");
	CHECK(priv != NULL && at(priv, "linux.seccomp") == NULL, "privileged: no seccomp");
	o.privileged = false;

	/* Where containers-common's profile is installed: both agree on what
	 * they both decide the same (it allows unshare and keyctl, which
	 * docker's does not, for rootless podman). */
	if (access(REAL_PROFILE, R_OK) != 0) {
		CHECK(1, "# skip: %s not installed", REAL_PROFILE);
		return;
	}
	o.seccomp_default = false;
	o.seccomp_profile = REAL_PROFILE;
	real = build_ok(&o, image_sh, "containers-common profile");
	{
		static const char *const same[] = {
			"read",   "write",        "execve",      "openat",
			"chroot", "getpid",       "kexec_load",  "init_module",
			"acct",   "swapon",       "userfaultfd", "open_by_handle_at",
			"bpf",    "settimeofday", "personality"
		};
		for (size_t i = 0; real != NULL && i < ARRAY_SIZE(same); i++) {
			autofree char *mine = verdict(doc, same[i]);
			autofree char *theirs = verdict(real, same[i]);
			/* Their default errno is ENOSYS and they list EPERM
			 * rules; "blocked" is what both must say. */
			bool mine_blocked = strncmp(mine, "errno", 5) == 0;
			bool theirs_blocked = strncmp(theirs, "errno", 5) == 0;
			CHECK(strcmp(mine, theirs) == 0 || (mine_blocked && theirs_blocked),
			      "agree with containers-common on %s: %s / %s", same[i], mine, theirs);
		}
	}
}

int main(void)
{
	fixtures_begin();
	test_ulimits();
	test_devices_parse();
	test_cpusets();
	test_cgroup_parent();
	test_cli_cpus();
	test_cli_flags();
	test_security_opts();
	test_checks();
	test_apply();
	test_apply_defaults();
	test_apply_device_dir();
	test_apply_errors();
	test_record();
	test_init();
	test_default_profile_shape();
	test_default_profile_effect();
	return TEST_DONE();
}
