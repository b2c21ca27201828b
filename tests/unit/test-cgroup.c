/* cgroup subsystem against fake cgroupfs trees (v1, v2, hybrid) built in a
 * temp dir, plus one real-host run on a hybrid machine (skipped unless
 * root on a hybrid host).
 *
 * A fake tree has no kernel behind it, so a hook given to cgroup_create
 * puts the interface files into every directory it makes, as cgroupfs
 * would; a write to a file the fake lacks fails like on a real host.
 * Files written several times in a row (devices.allow, io.max, throttle
 * files) are FIFOs with a reader held open, so the test sees every write,
 * in order, not just the last. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup-internal.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/resources.h"
#include "cgroup-fixtures.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* ---- fake tree ---- */

struct fifo {
	char *path;
	int fd;
};

struct fake {
	char root[256];
	enum cgroup_mode mode;
	struct cgroup_host host;
	char mountinfo[300], proc_cgroup[300];
	struct fifo fifos[64];
	size_t n_fifos;
};

static void put(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(path);
		abort();
	}
	if (write(fd, content, strlen(content)) < 0)
		abort();
	close(fd);
}

static void putf(const char *dir, const char *file, const char *content)
{
	autofree char *p = xasprintf("%s/%s", dir, file);
	put(p, content);
}

static char *get(const char *dir, const char *file)
{
	autofree char *p = xasprintf("%s/%s", dir, file);
	char *s = NULL;
	struct berth_err e = { 0 };
	if (fs_read_file(p, 1 << 20, &s, NULL, &e) < 0)
		return xstrdup("(missing)");
	return s;
}

static bool file_is(const char *dir, const char *file, const char *want)
{
	autofree char *s = get(dir, file);
	if (strcmp(s, want) != 0) {
		printf("# %s/%s: got \"%s\", want \"%s\"\n", dir, file, s, want);
		return false;
	}
	return true;
}

static void fifo_add(struct fake *f, const char *dir, const char *file)
{
	autofree char *p = xasprintf("%s/%s", dir, file);
	if (mkfifo(p, 0644) < 0)
		abort();
	f->fifos[f->n_fifos].path = xstrdup(p);
	/* O_RDWR: writers never block and we never see EOF */
	f->fifos[f->n_fifos].fd = open(p, O_RDWR | O_NONBLOCK);
	f->n_fifos++;
}

/* Everything written to dir/file since the last call, writes joined by
 * '|' where the pipe kept them apart (one write() is one chunk here). */
static char *fifo_drain(struct fake *f, const char *dir, const char *file)
{
	autofree char *p = xasprintf("%s/%s", dir, file);
	for (size_t i = 0; i < f->n_fifos; i++) {
		if (strcmp(f->fifos[i].path, p) != 0)
			continue;
		char buf[65536];
		ssize_t n = read(f->fifos[i].fd, buf, sizeof(buf) - 1);
		return xstrndup(buf, n > 0 ? (size_t)n : 0);
	}
	return xstrdup("(no fifo)");
}

static char *parent_of_test(const char *p)
{
	return xstrndup(p, (size_t)(strrchr(p, '/') - p));
}

static const char *const v1_files[][2] = {
	{ "cpu", "cpu.shares cpu.cfs_quota_us cpu.cfs_period_us cpu.rt_period_us "
		 "cpu.rt_runtime_us cpu.idle cpu.cfs_burst_us cpu.stat" },
	{ "cpuacct", "cpuacct.usage cpuacct.usage_percpu cpuacct.stat" },
	{ "cpuset", "cpuset.cpus cpuset.mems" },
	{ "memory", "memory.limit_in_bytes memory.memsw.limit_in_bytes memory.soft_limit_in_bytes "
		    "memory.swappiness memory.oom_control memory.use_hierarchy "
		    "memory.kmem.tcp.limit_in_bytes memory.usage_in_bytes memory.stat" },
	{ "devices", "" },
	{ "freezer", "freezer.state" },
	{ "blkio", "blkio.bfq.weight blkio.leaf_weight blkio.bfq.weight_device "
		   "blkio.leaf_weight_device blkio.throttle.write_bps_device "
		   "blkio.throttle.read_iops_device blkio.throttle.write_iops_device" },
	{ "pids", "pids.max pids.current" },
	{ "hugetlb", "hugetlb.2MB.limit_in_bytes" },
	{ "net_cls", "net_cls.classid" },
};

static const char v2_files[] =
    "cgroup.procs cgroup.controllers cgroup.subtree_control cgroup.freeze cgroup.events "
    "cgroup.kill cpu.weight cpu.max cpu.max.burst cpu.idle memory.max memory.swap.max "
    "memory.low memory.high pids.max io.weight hugetlb.2MB.max cpuset.cpus cpuset.mems";

static void put_list(const char *dir, const char *list)
{
	autofree char *copy = xstrdup(list);
	char *save = NULL;
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
		putf(dir, t, "");
}

/* What cgroupfs shows in a new directory of the hierarchy dir is in. */
static void fake_populate(const char *dir, void *data)
{
	struct fake *f = data;
	autofree char *base = xasprintf("%s/sys/fs/cgroup/", f->root);
	const char *rest = strlen(dir) >= strlen(base) ? dir + strlen(base) : "";
	autofree char *name = xstrndup(rest, strcspn(rest, "/"));
	bool v2 = f->mode == CGROUP_MODE_V2 || strcmp(name, "unified") == 0;

	putf(dir, "cgroup.procs", "");
	if (v2) {
		put_list(dir, f->mode == CGROUP_MODE_V2
				  ? v2_files
				  : "cgroup.controllers cgroup.subtree_control "
				    "cgroup.freeze cgroup.events cgroup.kill");
		putf(dir, "cgroup.controllers",
		     f->mode == CGROUP_MODE_V2 ? "cpuset cpu io memory hugetlb pids" : "");
		putf(dir, "cgroup.events", "populated 0\nfrozen 0\n");
		if (f->mode == CGROUP_MODE_V2)
			fifo_add(f, dir, "io.max");
		return;
	}
	putf(dir, "tasks", "");
	for (size_t i = 0; i < ARRAY_SIZE(v1_files); i++) {
		autofree char *ctrls = xstrdup(name);
		char *save = NULL;
		for (char *c = strtok_r(ctrls, ",", &save); c; c = strtok_r(NULL, ",", &save))
			if (strcmp(c, v1_files[i][0]) == 0)
				put_list(dir, v1_files[i][1]);
	}
	if (strcmp(name, "memory") == 0)
		putf(dir, "memory.memsw.limit_in_bytes", "9223372036854771712\n");
	if (strcmp(name, "freezer") == 0)
		putf(dir, "freezer.state", "THAWED\n");
	if (strcmp(name, "devices") == 0) {
		fifo_add(f, dir, "devices.allow");
		fifo_add(f, dir, "devices.deny");
	}
	if (strcmp(name, "blkio") == 0)
		fifo_add(f, dir, "blkio.throttle.read_bps_device");
}

static void mkdirs(const char *p)
{
	struct berth_err e = { 0 };
	autofree char *withslash = xasprintf("%s/", p);
	if (fs_mkdir_p(withslash, 0755, &e) < 0) {
		printf("# mkdir %s: %s\n", p, e.msg);
		abort();
	}
}

/* A mount at /sys/fs/cgroup/<name> and its pre-existing own cgroup. */
static void fake_mount(struct fake *f, FILE *mi, int id, const char *name, const char *fstype,
		       const char *opts, const char *own)
{
	autofree char *mnt = xasprintf("/sys/fs/cgroup%s%s", *name ? "/" : "", name);
	autofree char *dir = xasprintf("%s%s", f->root, mnt);
	autofree char *owndir = xasprintf("%s%s", dir, own);

	fprintf(mi, "%d 31 0:%d / %s rw,relatime - %s %s %s\n", id, id, mnt, fstype, fstype, opts);
	mkdirs(owndir);
	/* the own cgroup and the root exist already, fully populated */
	fake_populate(dir, f);
	if (strcmp(own, "/") != 0)
		fake_populate(owndir, f);
}

/* v1 and hybrid: split cpu/cpuacct unless comount; name=systemd joined;
 * memory's own cgroup is nested as on the real host. */
static void fake_init(struct fake *f, enum cgroup_mode mode, bool comount)
{
	static const char *const ctrls[] = { "cpuset", "memory", "devices", "freezer",
					     "blkio",  "pids",   "hugetlb", "net_cls" };
	FILE *mi, *pc;
	int id = 32;

	memset(f, 0, sizeof(*f));
	strcpy(f->root, "/tmp/berth-cgtest-XXXXXX");
	if (mkdtemp(f->root) == NULL)
		abort();
	f->mode = mode;
	snprintf(f->mountinfo, sizeof(f->mountinfo), "%s/mountinfo", f->root);
	snprintf(f->proc_cgroup, sizeof(f->proc_cgroup), "%s/cgroup", f->root);
	f->host = (struct cgroup_host){ .mountinfo = f->mountinfo,
					.proc_cgroup = f->proc_cgroup,
					.root_prefix = f->root,
					.mkdir_hook = fake_populate,
					.hook_data = f };
	mi = fopen(f->mountinfo, "w");
	pc = fopen(f->proc_cgroup, "w");
	fprintf(mi, "23 1 0:21 / /sys rw - sysfs sysfs rw\n");
	fprintf(mi, "31 23 0:28 / /sys/fs/cgroup rw,nosuid shared:9 - tmpfs tmpfs rw,mode=755\n");
	if (mode == CGROUP_MODE_V2) {
		fprintf(mi, "40 23 0:40 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 "
			    "rw,nsdelegate\n");
		fprintf(pc, "0::/user.slice/me\n");
		fake_mount(f, fopen("/dev/null", "w"), 40, "", "cgroup2", "rw", "/user.slice/me");
		fclose(mi);
		fclose(pc);
		return;
	}
	if (comount) {
		fake_mount(f, mi, id++, "cpu,cpuacct", "cgroup", "rw,cpu,cpuacct", "/");
		fprintf(pc, "1:cpu,cpuacct:/\n");
	} else {
		fake_mount(f, mi, id++, "cpu", "cgroup", "rw,cpu", "/");
		fake_mount(f, mi, id++, "cpuacct", "cgroup", "rw,cpuacct", "/");
		fprintf(pc, "1:cpu:/\n2:cpuacct:/\n");
	}
	for (size_t i = 0; i < ARRAY_SIZE(ctrls); i++) {
		const char *own = strcmp(ctrls[i], "memory") == 0 ? "/process_api/abc" : "/";
		autofree char *opts = xasprintf("rw,%s", ctrls[i]);
		fake_mount(f, mi, id, ctrls[i], "cgroup", opts, own);
		fprintf(pc, "%d:%s:%s\n", id++, ctrls[i], own);
	}
	/* systemd's named hierarchy: no controller, joined as runc joins it
	 * (another named one is ignored) */
	fake_mount(f, mi, id, "systemd", "cgroup", "rw,xattr,name=systemd", "/");
	fprintf(pc, "%d:name=systemd:/\n", id++);
	fprintf(mi, "%d 31 0:%d / /sys/fs/cgroup/other rw - cgroup cgroup rw,name=other\n", id, id);
	fprintf(pc, "%d:name=other:/\n", id++);
	if (mode == CGROUP_MODE_HYBRID) {
		fake_mount(f, mi, id++, "unified", "cgroup2", "rw", "/");
		fprintf(pc, "0::/\n");
	}
	fclose(mi);
	fclose(pc);
	/* cpuset's root holds real values; new children start empty */
	autofree char *cs = xasprintf("%s/sys/fs/cgroup/cpuset", f->root);
	putf(cs, "cpuset.cpus", "0-3\n");
	putf(cs, "cpuset.mems", "0\n");
}

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static void fake_close_fifos(struct fake *f)
{
	for (size_t i = 0; i < f->n_fifos; i++) {
		close(f->fifos[i].fd);
		free(f->fifos[i].path);
	}
	f->n_fifos = 0;
}

static void fake_fini(struct fake *f)
{
	fake_close_fifos(f);
	nftw(f->root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Regular files and FIFOs out of the tree, so rmdir works as on cgroupfs. */
static int strip_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_F && (S_ISREG(st->st_mode) || S_ISFIFO(st->st_mode)) &&
	    strstr(p, "/sys/fs/cgroup/") != NULL)
		unlink(p);
	return 0;
}

static struct cgroup_hier *hier(struct cgroup *cg, const char *name)
{
	for (size_t i = 0; i < cg->n; i++) {
		const char *m = cg->h[i].mount;
		const char *last = strrchr(m, '/');
		if (strcmp(last + 1, name) == 0)
			return &cg->h[i];
	}
	return NULL;
}

static const char *dir(struct cgroup *cg, const char *name)
{
	struct cgroup_hier *h = hier(cg, name);
	return h ? h->path : "(none)";
}


static void test_detect(void)
{
	struct fake f;
	enum cgroup_mode m;
	struct berth_err e = { 0 };
	struct cgroup_host h = { 0 };

	fake_init(&f, CGROUP_MODE_V1, false);
	CHECK(cgroup_detect(&f.host, &m, &e) == 0 && m == CGROUP_MODE_V1, "detect v1");
	fake_fini(&f);
	fake_init(&f, CGROUP_MODE_V2, false);
	CHECK(cgroup_detect(&f.host, &m, &e) == 0 && m == CGROUP_MODE_V2, "detect v2");
	fake_fini(&f);
	fake_init(&f, CGROUP_MODE_HYBRID, true);
	CHECK(cgroup_detect(&f.host, &m, &e) == 0 && m == CGROUP_MODE_HYBRID,
	      "detect hybrid (co-mounted cpu,cpuacct)");
	h = f.host;
	put(f.mountinfo,
	    "23 1 0:21 / /sys rw - sysfs sysfs rw\n"
	    "40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n");
	CHECK(cgroup_detect(&h, &m, &e) < 0 && e.code == ENOENT,
	      "named hierarchy only: no cgroup found (%s)", e.msg);
	fake_fini(&f);
	CHECK_STR(cgroup_mode_name(CGROUP_MODE_HYBRID), "hybrid", "mode name");
}

static void test_paths_v1(void)
{
	struct fake f;
	struct cgroup *cg = NULL;
	struct berth_err e = { 0 };
	autofree char *want = NULL;

	fake_init(&f, CGROUP_MODE_V1, false);
	CHECK(cgroup_create(&f.host, NULL, "abc123", &cg, &e) == 0, "v1 create (NULL path): %s",
	      e.msg);
	if (cg == NULL)
		goto out;
	CHECK(cg->mode == CGROUP_MODE_V1 && cg->unified == -1 && cg->n == 11,
	      "v1: 10 controller hierarchies and systemd's named one (n=%zu)", cg->n);
	free(want);
	want = xasprintf("%s/sys/fs/cgroup/systemd/berth-abc123", f.root);
	CHECK(access(want, F_OK) == 0, "the container's cgroup in name=systemd");
	free(want);
	want = xasprintf("%s/sys/fs/cgroup/memory/process_api/abc/berth-abc123", f.root);
	CHECK_STR(dir(cg, "memory"), want, "memory nests under own cgroup");
	free(want);
	want = xasprintf("%s/sys/fs/cgroup/pids/berth-abc123", f.root);
	CHECK_STR(dir(cg, "pids"), want, "pids nests under own cgroup (root)");
	CHECK(file_is(dir(cg, "cpuset"), "cpuset.cpus", "0-3") &&
		  file_is(dir(cg, "cpuset"), "cpuset.mems", "0"),
	      "cpuset cpus/mems copied from parent");
	CHECK(strv_len(hier(cg, "memory")->created) == 1, "only the leaf was created");
	cgroup_free(cg);
	cg = NULL;

	CHECK(cgroup_create(&f.host, "/outer/inner", "x", &cg, &e) == 0, "absolute path: %s",
	      e.msg);
	if (cg != NULL) {
		free(want);
		want = xasprintf("%s/sys/fs/cgroup/memory/outer/inner", f.root);
		CHECK_STR(dir(cg, "memory"), want, "absolute path honoured as written");
		CHECK(strv_len(hier(cg, "memory")->created) == 2, "parents recorded as created");
		CHECK(file_is(dir(cg, "cpuset"), "cpuset.cpus", "0-3"),
		      "cpuset filled through a new parent");
		cgroup_free(cg);
		cg = NULL;
	}
	CHECK(cgroup_create(&f.host, "rel/sub", "x", &cg, &e) == 0, "relative path");
	if (cg != NULL) {
		free(want);
		want = xasprintf("%s/sys/fs/cgroup/memory/process_api/abc/rel/sub", f.root);
		CHECK_STR(dir(cg, "memory"), want, "relative path nests under own cgroup");
		cgroup_free(cg);
		cg = NULL;
	}
	CHECK(cgroup_create(&f.host, "system.slice:berth:abc", "x", &cg, &e) < 0 &&
		  strstr(e.msg, "systemd cgroup driver is not supported") != NULL,
	      "systemd form refused: %s", e.msg);
	CHECK(cgroup_create(&f.host, "../escape", "x", &cg, &e) < 0 && strstr(e.msg, "..") != NULL,
	      "'..' refused");
	CHECK(cgroup_create(&f.host, "/", "x", &cg, &e) < 0 && strstr(e.msg, "root") != NULL,
	      "hierarchy root refused");
out:
	fake_fini(&f);
}

static void test_create_rollback(void)
{
	struct fake f;
	struct cgroup *cg = NULL;
	struct berth_err e = { 0 };
	struct cgroup_host h;
	autofree char *cpu = NULL, *cpuset = NULL;

	fake_init(&f, CGROUP_MODE_V1, false);
	/* Without the hook new directories stay empty: the cpuset step finds
	 * no cpuset.cpus and fails after cpu and cpuacct got their dirs. */
	h = f.host;
	h.mkdir_hook = NULL;
	CHECK(cgroup_create(&h, "/blocked/c", "x", &cg, &e) < 0 && strstr(e.msg, "cpuset"),
	      "create fails: %s", e.msg);
	cpu = xasprintf("%s/sys/fs/cgroup/cpu/blocked", f.root);
	cpuset = xasprintf("%s/sys/fs/cgroup/cpuset/blocked", f.root);
	CHECK(access(cpu, F_OK) < 0 && access(cpuset, F_OK) < 0,
	      "directories made before the failure are removed");
	fake_fini(&f);
}

static struct cgroup *create_or_null(struct fake *f, const char *path)
{
	struct cgroup *cg = NULL;
	struct berth_err e = { 0 };
	if (cgroup_create(&f->host, path, "t1", &cg, &e) < 0)
		printf("# create: %s\n", e.msg);
	return cg;
}

static void test_apply_v1(void)
{
	struct fake f;
	struct cgroup *cg;
	struct berth_err e = { 0 };
	struct cgroup_resources *r;
	autofree char *allow = NULL, *deny = NULL, *thr = NULL, *memsw = NULL, *rt = NULL;

	fake_init(&f, CGROUP_MODE_V1, false);
	cg = create_or_null(&f, "c1");
	r = res_from("{\"memory\":{\"limit\":67108864,\"reservation\":33554432,\"swap\":134217728,"
		     "\"swappiness\":10,\"disableOOMKiller\":true},"
		     "\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000,\"cpus\":\"1\","
		     "\"mems\":\"0\"},\"pids\":{\"limit\":32},"
		     "\"blockIO\":{\"weight\":500,\"weightDevice\":[{\"major\":8,\"minor\":0,"
		     "\"weight\":200}],\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,"
		     "\"rate\":1048576},{\"major\":8,\"minor\":16,\"rate\":2048}]},"
		     "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
		     "\"network\":{\"classID\":1048577},"
		     "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":"
		     "\"c\",\"major\":10,\"minor\":200,\"access\":\"rw\"},{\"allow\":false,"
		     "\"type\":\"a\",\"major\":4,\"access\":\"w\"}]}");
	if (cg == NULL || r == NULL)
		goto out;
	CHECK(cgroup_apply(cg, r, &e) == 0, "v1 apply: %s", e.msg);
	CHECK(file_is(dir(cg, "memory"), "memory.limit_in_bytes", "67108864") &&
		  file_is(dir(cg, "memory"), "memory.memsw.limit_in_bytes", "134217728") &&
		  file_is(dir(cg, "memory"), "memory.soft_limit_in_bytes", "33554432") &&
		  file_is(dir(cg, "memory"), "memory.swappiness", "10") &&
		  file_is(dir(cg, "memory"), "memory.oom_control", "1"),
	      "v1 memory files");
	CHECK(file_is(dir(cg, "cpu"), "cpu.shares", "1024") &&
		  file_is(dir(cg, "cpu"), "cpu.cfs_quota_us", "50000") &&
		  file_is(dir(cg, "cpu"), "cpu.cfs_period_us", "100000"),
	      "v1 cpu files");
	CHECK(file_is(dir(cg, "cpuset"), "cpuset.cpus", "1") &&
		  file_is(dir(cg, "cpuset"), "cpuset.mems", "0"),
	      "v1 cpuset");
	CHECK(file_is(dir(cg, "pids"), "pids.max", "32"), "v1 pids.max");
	CHECK(file_is(dir(cg, "blkio"), "blkio.bfq.weight", "500") &&
		  file_is(dir(cg, "blkio"), "blkio.bfq.weight_device", "8:0 200"),
	      "v1 blkio weight (BFQ files when CFQ's are absent)");
	thr = fifo_drain(&f, dir(cg, "blkio"), "blkio.throttle.read_bps_device");
	CHECK_STR(thr, "8:0 10485768:16 2048", "v1 read_bps writes, one per device");
	CHECK(file_is(dir(cg, "hugetlb"), "hugetlb.2MB.limit_in_bytes", "4194304"), "v1 hugetlb");
	CHECK(file_is(dir(cg, "net_cls"), "net_cls.classid", "1048577"), "v1 net_cls.classid");
	deny = fifo_drain(&f, dir(cg, "devices"), "devices.deny");
	allow = fifo_drain(&f, dir(cg, "devices"), "devices.allow");
	/* The reset, then the spec's rules; its own leading deny-all is that
	 * same write and is not made twice. */
	CHECK_STR(deny,
		  "a"
		  "c 4:* w"
		  "b 4:* w",
		  "devices.deny writes");
	CHECK_STR(allow,
		  "c 10:200 rw"
		  "c *:* m"
		  "b *:* m"
		  "c 1:3 rwm"
		  "c 1:5 rwm"
		  "c 1:7 rwm"
		  "c 1:8 rwm"
		  "c 1:9 rwm"
		  "c 5:0 rwm"
		  "c 5:2 rwm"
		  "c 136:* rwm"
		  "c 10:200 rwm",
		  "devices.allow writes: spec rules, then defaults");
	cgroup_resources_free(r);

	/* allow-all list (privileged) */
	r = res_from("{\"devices\":[{\"allow\":true,\"access\":\"rwm\"}]}");
	CHECK(cgroup_apply(cg, r, &e) == 0, "apply allow-all");
	free(allow);
	allow = fifo_drain(&f, dir(cg, "devices"), "devices.allow");
	CHECK(strncmp(allow, "ac *:* m", 8) == 0, "allow-all written as \"a\" to devices.allow");
	free(deny);
	deny = fifo_drain(&f, dir(cg, "devices"), "devices.deny");
	CHECK_STR(deny, "a", "reset with deny-all first");
	cgroup_resources_free(r);

	/* create without linux.resources: deny-all, then the defaults only */
	CHECK(cgroup_apply_create(cg, NULL, &e) == 0, "apply_create: %s", e.msg);
	free(deny);
	deny = fifo_drain(&f, dir(cg, "devices"), "devices.deny");
	free(allow);
	allow = fifo_drain(&f, dir(cg, "devices"), "devices.allow");
	CHECK_STR(deny, "a", "apply_create: deny-all first");
	CHECK(strncmp(allow, "c *:* m", 7) == 0 && strstr(allow, "c 136:* rwm") &&
		  strstr(allow, "10:229") == NULL && strstr(allow, "c 5:1 ") == NULL,
	      "apply_create: the defaults alone, runc's (%s)", allow);

	/* update: only the fields given are written; -1 lifts memsw too */
	putf(dir(cg, "cpu"), "cpu.shares", "untouched");
	r = res_from("{\"memory\":{\"limit\":-1},\"pids\":{\"limit\":-1}}");
	CHECK(cgroup_apply(cg, r, &e) == 0, "update apply: %s", e.msg);
	CHECK(file_is(dir(cg, "memory"), "memory.limit_in_bytes", "-1") &&
		  file_is(dir(cg, "memory"), "memory.memsw.limit_in_bytes", "-1"),
	      "unlimited memory lifts memsw as well");
	CHECK(file_is(dir(cg, "pids"), "pids.max", "max"), "pids -1 -> max");
	CHECK(file_is(dir(cg, "cpu"), "cpu.shares", "untouched"), "unset fields not written");
	cgroup_resources_free(r);
	/* 0 is runc's "not set": the limit stays */
	putf(dir(cg, "pids"), "pids.max", "7");
	r = res_from("{\"pids\":{\"limit\":0},\"cpu\":{\"shares\":0}}");
	CHECK(cgroup_apply(cg, r, &e) == 0, "update apply: %s", e.msg);
	CHECK(file_is(dir(cg, "pids"), "pids.max", "7") &&
		  file_is(dir(cg, "cpu"), "cpu.shares", "untouched"),
	      "pids and shares of 0 leave the cgroup as it is");
	cgroup_resources_free(r);

	/* a missing interface file names the controller */
	memsw = xasprintf("%s/memory.memsw.limit_in_bytes", dir(cg, "memory"));
	unlink(memsw);
	r = res_from("{\"memory\":{\"limit\":1000000,\"swap\":2000000}}");
	CHECK(cgroup_apply(cg, r, &e) < 0 && strstr(e.msg, "swap") != NULL,
	      "swap without memsw file: %s", e.msg);
	cgroup_resources_free(r);
	r = res_from("{\"memory\":{\"limit\":1000000}}");
	CHECK(cgroup_apply(cg, r, &e) == 0, "limit alone works without memsw: %s", e.msg);
	cgroup_resources_free(r);
	rt = xasprintf("%s/cpu.rt_runtime_us", dir(cg, "cpu"));
	unlink(rt);
	r = res_from("{\"cpu\":{\"realtimeRuntime\":1000}}");
	CHECK(cgroup_apply(cg, r, &e) < 0 && strstr(e.msg, "\"cpu\"") != NULL,
	      "missing file names the controller: %s", e.msg);
	cgroup_resources_free(r);
	r = res_from("{\"unified\":{\"memory.high\":\"1\"}}");
	CHECK(cgroup_apply(cg, r, &e) < 0 && strstr(e.msg, "v2") != NULL,
	      "unified on v1 refused: %s", e.msg);
	cgroup_resources_free(r);
out:
	cgroup_free(cg);
	fake_fini(&f);
}

static void test_apply_v2(void)
{
	struct fake f;
	struct cgroup *cg;
	struct berth_err e = { 0 };
	struct cgroup_resources *r;
	autofree char *io = NULL, *parent = NULL, *mm = NULL;

	fake_init(&f, CGROUP_MODE_V2, false);
	cg = create_or_null(&f, NULL);
	r = res_from("{\"memory\":{\"limit\":67108864,\"reservation\":33554432,"
		     "\"swap\":134217728},\"cpu\":{\"shares\":1024,\"quota\":50000,"
		     "\"period\":100000,\"cpus\":\"0-1\",\"mems\":\"0\",\"burst\":2000,"
		     "\"idle\":1},\"pids\":{\"limit\":32},"
		     "\"blockIO\":{\"weight\":500,\"throttleReadBpsDevice\":[{\"major\":8,"
		     "\"minor\":0,\"rate\":1048576}],\"throttleWriteBpsDevice\":[{\"major\":8,"
		     "\"minor\":0,\"rate\":2097152}],\"throttleReadIOPSDevice\":[{\"major\":8,"
		     "\"minor\":0,\"rate\":100}],\"throttleWriteIOPSDevice\":[{\"major\":8,"
		     "\"minor\":0,\"rate\":200},{\"major\":8,\"minor\":16,\"rate\":0}]},"
		     "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
		     "\"unified\":{\"memory.high\":\"50000000\"}}");
	if (cg == NULL || r == NULL)
		goto out;
	const char *d = cg->h[0].path;
	parent = xasprintf("%s/sys/fs/cgroup/user.slice/me", f.root);
	CHECK(cg->n == 1 && cg->unified == 0 && strstr(d, "/user.slice/me/berth-t1") != NULL,
	      "v2: one hierarchy, nested under own cgroup");
	CHECK(file_is(parent, "cgroup.subtree_control", "+hugetlb"),
	      "controllers enabled in parent's subtree_control (last write +hugetlb)");
	CHECK(cgroup_apply(cg, r, &e) == 0, "v2 apply: %s", e.msg);
	CHECK(file_is(d, "cpu.weight", "39"), "cpu.weight from shares 1024");
	CHECK(file_is(d, "cpu.max", "50000 100000"), "cpu.max");
	CHECK(file_is(d, "cpu.max.burst", "2000") && file_is(d, "cpu.idle", "1"), "burst, idle");
	CHECK(file_is(d, "cpuset.cpus", "0-1") && file_is(d, "cpuset.mems", "0"), "cpuset");
	CHECK(file_is(d, "memory.max", "67108864"), "memory.max");
	CHECK(file_is(d, "memory.swap.max", "67108864"), "memory.swap.max = swap - limit");
	CHECK(file_is(d, "memory.low", "33554432"), "memory.low from reservation");
	CHECK(file_is(d, "pids.max", "32"), "pids.max");
	CHECK(file_is(d, "io.weight", "default 4950"), "io.weight from blkio weight 500");
	io = fifo_drain(&f, d, "io.max");
	CHECK_STR(io,
		  "8:0 rbps=1048576 wbps=2097152 riops=100 wiops=200"
		  "8:16 wiops=max",
		  "io.max lines");
	CHECK(file_is(d, "hugetlb.2MB.max", "4194304"), "hugetlb");
	CHECK(file_is(d, "memory.high", "50000000"), "unified key written");
	cgroup_resources_free(r);

	r = res_from("{\"cpu\":{\"quota\":-1,\"period\":200000,\"shares\":2},"
		     "\"memory\":{\"limit\":-1,\"swap\":-1}}");
	CHECK(cgroup_apply(cg, r, &e) == 0, "v2 update: %s", e.msg);
	CHECK(file_is(d, "cpu.max", "max 200000"), "cpu.max unlimited quota");
	CHECK(file_is(d, "cpu.weight", "1"), "cpu.weight from shares 2");
	CHECK(file_is(d, "memory.max", "max") && file_is(d, "memory.swap.max", "max"),
	      "unlimited memory and swap");
	cgroup_resources_free(r);
	putf(d, "cpu.max", "30000 100000\n");
	r = res_from("{\"cpu\":{\"period\":50000}}");
	CHECK(cgroup_apply(cg, r, &e) == 0 && file_is(d, "cpu.max", "30000 50000"),
	      "period alone keeps the quota");
	cgroup_resources_free(r);
	r = res_from("{\"cpu\":{\"shares\":262144}}");
	CHECK(cgroup_apply(cg, r, &e) == 0 && file_is(d, "cpu.weight", "10000"),
	      "shares max -> weight 10000");
	cgroup_resources_free(r);

	mm = xasprintf("%s/memory.max", d);
	unlink(mm);
	r = res_from("{\"memory\":{\"limit\":1000}}");
	CHECK(cgroup_apply(cg, r, &e) < 0 && strstr(e.msg, "\"memory\"") != NULL,
	      "missing memory.max names the controller: %s", e.msg);
	cgroup_resources_free(r);
	r = res_from("{\"unified\":{\"rdma.max\":\"x\"}}");
	CHECK(cgroup_apply(cg, r, &e) < 0 && strstr(e.msg, "rdma") != NULL,
	      "unknown unified key: %s", e.msg);
	cgroup_resources_free(r);
out:
	cgroup_free(cg);
	fake_fini(&f);
}

static void test_hybrid(void)
{
	struct fake f;
	struct cgroup *cg;
	struct berth_err e = { 0 };
	struct cgroup_resources *r;

	fake_init(&f, CGROUP_MODE_HYBRID, false);
	cg = create_or_null(&f, "h1");
	if (cg == NULL)
		goto out;
	CHECK(cg->mode == CGROUP_MODE_HYBRID && cg->unified >= 0 && cg->n == 12,
	      "hybrid: 10 v1 hierarchies, name=systemd and unified");
	CHECK(strstr(dir(cg, "unified"), "/sys/fs/cgroup/unified/h1") != NULL,
	      "unified joined at the same relative path");
	r = res_from("{\"memory\":{\"limit\":1048576},\"cpu\":{\"shares\":512}}");
	CHECK(cgroup_apply(cg, r, &e) == 0, "hybrid apply: %s", e.msg);
	CHECK(file_is(dir(cg, "memory"), "memory.limit_in_bytes", "1048576") &&
		  file_is(dir(cg, "cpu"), "cpu.shares", "512"),
	      "hybrid limits go to v1 hierarchies");
	cgroup_resources_free(r);
	r = res_from("{\"unified\":{\"memory.max\":\"1\"}}");
	CHECK(cgroup_apply(cg, r, &e) < 0 && strstr(e.msg, "v1") != NULL,
	      "hybrid: unified key of a v1 controller refused: %s", e.msg);
	cgroup_resources_free(r);
	CHECK(cgroup_enter(cg, 4242, &e) == 0, "enter");
	CHECK(file_is(dir(cg, "unified"), "cgroup.procs", "4242") &&
		  file_is(dir(cg, "memory"), "cgroup.procs", "4242") &&
		  file_is(dir(cg, "cpuacct"), "cgroup.procs", "4242"),
	      "pid written to every hierarchy");
	/* freezer: v1 freezer.state */
	CHECK(cgroup_freeze(cg, true, &e) == 0 &&
		  file_is(dir(cg, "freezer"), "freezer.state", "FROZEN"),
	      "freeze via v1 freezer");
	CHECK(cgroup_is_frozen(cg), "is_frozen");
	CHECK(cgroup_freeze(cg, false, &e) == 0 && !cgroup_is_frozen(cg), "thaw");
	/* pids come from the unified hierarchy */
	putf(dir(cg, "unified"), "cgroup.procs", "11\n22\n");
	pid_t *pids = NULL;
	size_t n = 0;
	CHECK(cgroup_pids(cg, &pids, &n, &e) == 0 && n == 2 && pids[0] == 11 && pids[1] == 22,
	      "cgroup_pids");
	free(pids);
	CHECK(cgroup_kill_all(cg, SIGKILL, &e) == 0 &&
		  file_is(dir(cg, "unified"), "cgroup.kill", "1"),
	      "kill_all SIGKILL uses cgroup.kill");
out:
	cgroup_free(cg);
	fake_fini(&f);
}

static void test_freeze_v2(void)
{
	struct fake f;
	struct cgroup *cg;
	struct berth_err e = { 0 };

	fake_init(&f, CGROUP_MODE_V2, false);
	cg = create_or_null(&f, "fz");
	if (cg == NULL)
		goto out;
	putf(cg->h[0].path, "cgroup.events", "populated 1\nfrozen 1\n");
	CHECK(cgroup_freeze(cg, true, &e) == 0 && file_is(cg->h[0].path, "cgroup.freeze", "1"),
	      "v2 freeze writes cgroup.freeze and waits for frozen 1");
	CHECK(cgroup_is_frozen(cg), "v2 is_frozen from cgroup.events");
	CHECK(cgroup_freeze(cg, false, &e) < 0 && e.code == ETIMEDOUT,
	      "thaw that never settles times out");
out:
	cgroup_free(cg);
	fake_fini(&f);
}


static void test_stats(void)
{
	struct fake f;
	struct cgroup *cg;
	struct berth_err e = { 0 };
	json_object *s = NULL;

	fake_init(&f, CGROUP_MODE_V1, true);
	cg = create_or_null(&f, "st");
	if (cg == NULL)
		goto v2;
	const char *cpu = dir(cg, "cpu,cpuacct"), *mem = dir(cg, "memory");
	putf(cpu, "cpuacct.usage", "5000000\n");
	putf(cpu, "cpuacct.usage_percpu", "3000000 2000000 \n");
	putf(cpu, "cpuacct.stat", "user 3\nsystem 1\n");
	putf(cpu, "cpu.stat", "nr_periods 10\nnr_throttled 2\nthrottled_time 777\n");
	putf(mem, "memory.usage_in_bytes", "4096\n");
	putf(mem, "memory.limit_in_bytes", "67108864\n");
	putf(mem, "memory.stat", "cache 100\nrss 200\n");
	putf(dir(cg, "pids"), "pids.current", "3\n");
	putf(dir(cg, "pids"), "pids.max", "max\n");
	putf(dir(cg, "blkio"), "blkio.throttle.io_service_bytes_recursive",
	     "8:0 Read 4096\n8:0 Write 512\nTotal 4608\n");
	CHECK(cgroup_stats(cg, &s, &e) == 0, "v1 stats");
	long hz = sysconf(_SC_CLK_TCK);
	CHECK(jget(s, "cpu", "usage", "total") == 5000000 &&
		  jget(s, "cpu", "usage", "user") == (uint64_t)(3 * (1000000000 / hz)) &&
		  jget(s, "cpu", "usage", "kernel") == (uint64_t)(1000000000 / hz),
	      "v1 cpu usage (ticks to ns)");
	json_object *pc = NULL;
	json_object *cpuo = NULL, *uo = NULL;
	json_object_object_get_ex(s, "cpu", &cpuo);
	json_object_object_get_ex(cpuo, "usage", &uo);
	json_object_object_get_ex(uo, "percpu", &pc);
	CHECK(pc != NULL && json_object_array_length(pc) == 2, "percpu");
	CHECK(jget(s, "cpu", "throttling", "throttled_time") == 777, "throttling");
	CHECK(jget(s, "memory", "usage", "usage") == 4096 &&
		  jget(s, "memory", "usage", "limit") == 67108864 &&
		  jget(s, "memory", "raw", "rss") == 200 && jget(s, "memory", "cache", NULL) == 100,
	      "v1 memory");
	CHECK(jget(s, "pids", "current", NULL) == 3 && jget(s, "pids", "limit", NULL) == 0,
	      "v1 pids (max reads 0)");
	CHECK(strstr(json_to_text(s), "{\"major\":8,\"minor\":0,\"op\":\"Write\",\"value\":512}") !=
		  NULL,
	      "v1 blkio entries: %s", json_to_text(s));
	json_object_put(s);
	s = NULL;
	json_object *lim = NULL;
	putf(dir(cg, "cpu,cpuacct"), "cpu.cfs_quota_us", "-1\n");
	CHECK(cgroup_read_limits(cg, &lim, &e) == 0 &&
		  jget(lim, "memory", "limit", NULL) == 67108864,
	      "v1 read_limits");
	CHECK(strstr(json_to_text(lim), "\"quota\":-1") != NULL, "quota -1 read back");
	json_object_put(lim);
	cgroup_free(cg);
	fake_fini(&f);
v2:
	fake_init(&f, CGROUP_MODE_V2, false);
	cg = create_or_null(&f, "st");
	if (cg == NULL)
		goto out;
	const char *d = cg->h[0].path;
	putf(d, "cpu.stat",
	     "usage_usec 100\nuser_usec 60\nsystem_usec 40\nnr_periods 5\n"
	     "nr_throttled 1\nthrottled_usec 7\n");
	putf(d, "memory.current", "8192\n");
	putf(d, "memory.max", "max\n");
	putf(d, "memory.swap.current", "1024\n");
	putf(d, "memory.events", "low 0\nhigh 0\nmax 4\noom 1\n");
	putf(d, "memory.stat", "anon 10\nfile 20\n");
	putf(d, "pids.current", "2\n");
	putf(d, "pids.max", "64\n");
	putf(d, "io.stat", "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n");
	putf(d, "hugetlb.2MB.current", "0\n");
	putf(d, "cpu.max", "max 100000\n");
	CHECK(cgroup_stats(cg, &s, &e) == 0, "v2 stats");
	CHECK(jget(s, "cpu", "usage", "total") == 100000 &&
		  jget(s, "cpu", "usage", "user") == 60000 &&
		  jget(s, "cpu", "throttling", "throttled_time") == 7000,
	      "v2 cpu (usec to ns)");
	CHECK(jget(s, "memory", "usage", "usage") == 8192 &&
		  jget(s, "memory", "usage", "failcnt") == 4 &&
		  jget(s, "memory", "swap", "usage") == 9216 &&
		  jget(s, "memory", "raw", "anon") == 10 && jget(s, "memory", "cache", NULL) == 20,
	      "v2 memory (swap shown as memory+swap)");
	CHECK(jget(s, "pids", "current", NULL) == 2 && jget(s, "pids", "limit", NULL) == 64,
	      "v2 pids");
	CHECK(strstr(json_to_text(s), "{\"major\":8,\"minor\":0,\"op\":\"Read\",\"value\":100}") !=
		      NULL &&
		  jget(s, "hugetlb", "2MB", "usage") == 0,
	      "v2 io and hugetlb");
	json_object_put(s);
	lim = NULL;
	CHECK(cgroup_read_limits(cg, &lim, &e) == 0 &&
		  strstr(json_to_text(lim), "\"quota\":-1,\"period\":100000") != NULL &&
		  jget(lim, "pids", "limit", NULL) == 64,
	      "v2 read_limits: %s", lim ? json_to_text(lim) : "");
	json_object_put(lim);
out:
	cgroup_free(cg);
	fake_fini(&f);
}

/* The OOM killer's count, as the exit path reads it for OOMKilled. */
static void test_oom_kills(void)
{
	struct fake f;
	struct cgroup *cg;
	struct berth_err e = { 0 };
	uint64_t kills = 99;

	fake_init(&f, CGROUP_MODE_V2, false);
	cg = create_or_null(&f, "oom");
	if (cg == NULL)
		goto v1;
	const char *d = cg->h[0].path;
	putf(d, "memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 0\noom_group_kill 0\n");
	CHECK(cgroup_oom_kills(cg, &kills, &e) == 0 && kills == 0, "v2: no kill (%s)", e.msg);
	putf(d, "memory.events", "low 0\nhigh 0\nmax 40\noom 2\noom_kill 2\noom_group_kill 0\n");
	CHECK(cgroup_oom_kills(cg, &kills, &e) == 0 && kills == 2,
	      "v2: memory.events oom_kill read (%" PRIu64 ")", kills);
	/* "oom" alone is not a kill, and no oom_kill_* key stands for it. */
	putf(d, "memory.events", "low 0\nhigh 0\nmax 40\noom 2\n");
	CHECK(cgroup_oom_kills(cg, &kills, &e) < 0 && kills == 0 && strstr(e.msg, "oom_kill"),
	      "v2: a kernel without the count fails: %s", e.msg);
	{
		autofree char *p = xasprintf("%s/memory.events", d);

		unlink(p);
	}
	CHECK(cgroup_oom_kills(cg, &kills, &e) < 0 && e.code == ENOENT,
	      "v2: no memory controller: %s", e.msg);
	cgroup_free(cg);
	fake_fini(&f);
v1:
	fake_init(&f, CGROUP_MODE_HYBRID, true);
	cg = create_or_null(&f, "oom");
	if (cg == NULL)
		goto out;
	putf(dir(cg, "memory"), "memory.oom_control",
	     "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
	if (cgroup_hier_unified(cg) != NULL)
		putf(cgroup_hier_unified(cg)->path, "memory.events", "oom 0\noom_kill 0\n");
	CHECK(cgroup_oom_kills(cg, &kills, &e) == 0 && kills == 3,
	      "hybrid: the v1 memory controller's memory.oom_control counts (%" PRIu64 ")", kills);
out:
	cgroup_free(cg);
	fake_fini(&f);
}

static void test_json_and_destroy(void)
{
	struct fake f;
	struct cgroup *cg, *back = NULL;
	struct berth_err e = { 0 };
	json_object *j;
	autofree char *text = NULL, *nested = NULL, *own = NULL, *bt = NULL;

	fake_init(&f, CGROUP_MODE_HYBRID, false);
	cg = create_or_null(&f, "outer/inner");
	if (cg == NULL)
		goto out;
	cg->bpf_prog_id = 77;
	j = cgroup_to_json(cg);
	text = xstrdup(json_to_text(j));
	CHECK(cgroup_from_json(j, &f.host, &back, &e) == 0, "from_json: %s", e.msg);
	json_object_put(j);
	if (back != NULL) {
		json_object *j2 = cgroup_to_json(back);
		CHECK_STR(json_to_text(j2), text, "to_json/from_json round trip");
		CHECK(back->mode == CGROUP_MODE_HYBRID && back->unified == cg->unified &&
			  back->bpf_prog_id == 77,
		      "mode, unified index and bpf id restored");
		json_object_put(j2);
	}
	/* a tampered state file cannot point destroy elsewhere */
	json_object *bad = NULL;
	bt = xasprintf("{\"mode\":\"v2\",\"hierarchies\":[{\"v2\":true,\"mount\":"
		       "\"%s/sys/fs/cgroup/unified\",\"path\":\"/etc\","
		       "\"created\":[\"/etc\"]}]}",
		       f.root);
	struct cgroup *badcg = NULL;
	json_parse_text(bt, strlen(bt), "bad", &bad, &e);
	CHECK(cgroup_from_json(bad, &f.host, &badcg, &e) < 0 && strstr(e.msg, "not under"),
	      "from_json refuses paths outside the mount: %s", e.msg);
	json_object_put(bad);

	/* the container made a nested cgroup of its own */
	nested = xasprintf("%s/sub", dir(cg, "pids"));
	mkdir(nested, 0755);
	fake_close_fifos(&f);
	nftw(f.root, strip_cb, 16, FTW_PHYS);
	CHECK(cgroup_destroy(back ? back : cg, &e) == 0, "destroy: %s", e.msg);
	bool gone = true;
	for (size_t i = 0; i < cg->n; i++) {
		autofree char *outer = parent_of_test(cg->h[i].path);
		if (access(cg->h[i].path, F_OK) == 0 || access(outer, F_OK) == 0)
			gone = false;
	}
	CHECK(gone, "created directories (inner and outer) removed in every hierarchy");
	own = xasprintf("%s/sys/fs/cgroup/memory/process_api/abc", f.root);
	CHECK(access(own, F_OK) == 0, "pre-existing parent kept");
	CHECK(cgroup_destroy(cg, &e) == 0, "destroy again: missing dirs are fine");
out:
	cgroup_free(back);
	cgroup_free(cg);
	fake_fini(&f);
}

/* ---- the real host (hybrid, root) ---- */

int main(void)
{
	test_detect();
	test_paths_v1();
	test_create_rollback();
	test_apply_v1();
	test_apply_v2();
	test_hybrid();
	test_freeze_v2();
	test_stats();
	test_oom_kills();
	test_json_and_destroy();
	return TEST_DONE();
}
