/* cgroups on this host for real: create, limits read back from the
 * kernel's files, a child moved in and refused a device, freeze, stats,
 * kill and destroy. Skips unless root on a hybrid host. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup-fixtures.h"
#include "runtime/cgroup/cgroup-internal.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/resources.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

static bool real_dir_gone(struct cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++)
		if (access(cg->h[i].path, F_OK) == 0)
			return false;
	return true;
}

static int child_main(int go, int report)
{
	char c;
	unsigned char res = 0;
	int fd;

	if (read(go, &c, 1) != 1)
		_exit(100);
	/* allowed by the default rules */
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0)
		close(fd);
	else
		res |= 1;
	/* /dev/kmsg (c 1:11) is not in the list: both v1 devices and the
	 * unified eBPF program refuse it */
	fd = open("/dev/kmsg", O_RDONLY);
	if (fd >= 0)
		close(fd), res |= 2;
	else if (errno != EPERM)
		res |= 4;
	if (write(report, &res, 1) != 1)
		_exit(101);
	for (;;)
		pause();
}

static void test_real_host(void)
{
	enum cgroup_mode m;
	struct berth_err e = { 0 };
	struct cgroup *cg = NULL;
	struct cgroup_resources *r = NULL;
	json_object *lim = NULL;
	char name[64];
	int go[2], rep[2], st;
	pid_t child;

	if (geteuid() != 0 || cgroup_detect(NULL, &m, &e) < 0 || m != CGROUP_MODE_HYBRID) {
		printf("# SKIP real-host test: needs root on a hybrid cgroup host\n");
		return;
	}
	snprintf(name, sizeof(name), "berth-unit-%d", (int)getpid());
	CHECK(cgroup_create(NULL, name, "x", &cg, &e) == 0, "real: create %s: %s", name, e.msg);
	if (cg == NULL)
		return;
	r = res_from("{\"memory\":{\"limit\":67108864,\"swap\":134217728},\"pids\":{\"limit\":32},"
		     "\"cpu\":{\"quota\":50000,\"period\":100000,\"shares\":512},"
		     "\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}");
	CHECK(r != NULL && cgroup_apply(cg, r, &e) == 0, "real: apply: %s", e.msg);
	cgroup_resources_free(r);
	/* hugetlb lives only in cgroup2 here; whether its limit can be set
	 * depends on the parent having enabled it for us. */
	{
		autofree char *ctl = NULL;
		const char *u = cgroup_hier_unified(cg)->path;
		bool enabled = cgroup_file_exists(u, "hugetlb.2MB.max");
		r = res_from("{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":2097152}]}");
		if (cgroup_hier_for(cg, "hugetlb") != NULL)
			printf("# hugetlb is a v1 hierarchy here: the cgroup2 path is not exercised\n");
		else if (enabled)
			CHECK(cgroup_apply(cg, r, &e) == 0 &&
				      cgroup_read_at(u, "hugetlb.2MB.max", &ctl, &e) == 0 &&
				      strcmp(ctl, "2097152") == 0,
			      "real: hugetlb limit written on the cgroup2 side");
		else
			CHECK(cgroup_apply(cg, r, &e) < 0 && strstr(e.msg, "subtree_control") != NULL,
			      "real: hugetlb not enabled for us is a clear error: %s", e.msg);
		cgroup_resources_free(r);
		berth_err_clear(&e);
	}
	/* This host mounts the v1 devices controller: it carries the policy
	 * (checked below: /dev/kmsg refused), and no eBPF program is needed. */
	CHECK(cg->bpf_prog_id == 0, "real: no device program on the unified side (id %u)",
	      cg->bpf_prog_id);
	CHECK(cgroup_read_limits(cg, &lim, &e) == 0 &&
		  jget(lim, "memory", "limit", NULL) == 67108864 &&
		  jget(lim, "memory", "swap", NULL) == 134217728 &&
		  jget(lim, "pids", "limit", NULL) == 32 &&
		  jget(lim, "cpu", "quota", NULL) == 50000 &&
		  jget(lim, "cpu", "shares", NULL) == 512,
	      "real: limits read back: %s", lim ? json_to_text(lim) : "");
	json_object_put(lim);
	/* update: raise past the current memsw, then lower below the limit;
	 * the wrong order would get EINVAL from the kernel either way */
	r = res_from("{\"memory\":{\"limit\":268435456,\"swap\":536870912}}");
	CHECK(cgroup_apply(cg, r, &e) == 0, "real: raise memory+swap: %s", e.msg);
	cgroup_resources_free(r);
	r = res_from("{\"memory\":{\"limit\":33554432,\"swap\":50331648}}");
	CHECK(cgroup_apply(cg, r, &e) == 0, "real: lower memory+swap: %s", e.msg);
	cgroup_resources_free(r);
	lim = NULL;
	CHECK(cgroup_read_limits(cg, &lim, &e) == 0 &&
		  jget(lim, "memory", "limit", NULL) == 33554432 &&
		  jget(lim, "memory", "swap", NULL) == 50331648,
	      "real: update order works both ways");
	json_object_put(lim);

	if (pipe(go) < 0 || pipe(rep) < 0)
		abort();
	child = fork();
	if (child == 0)
		child_main(go[0], rep[1]);
	CHECK(cgroup_enter(cg, child, &e) == 0, "real: enter child: %s", e.msg);
	if (write(go[1], "g", 1) != 1)
		abort();
	unsigned char res = 0xff;
	CHECK(read(rep[0], &res, 1) == 1 && res == 0,
	      "real: child can open /dev/null, gets EPERM on /dev/kmsg (result %u)", res);

	autofree char *procf = xasprintf("/proc/%d/cgroup", (int)child);
	autofree char *pc = NULL;
	autofree char *want_u = xasprintf("0::/%s\n", name);
	autofree char *want_p = xasprintf(":pids:/%s\n", name);
	fs_read_file(procf, 1 << 16, &pc, NULL, &e);
	CHECK(pc != NULL && strstr(pc, want_u) != NULL && strstr(pc, want_p) != NULL &&
		  strstr(pc, "memory:/process_api/") != NULL,
	      "real: /proc/<child>/cgroup shows the new cgroups");
	pid_t *pids = NULL;
	size_t n = 0;
	CHECK(cgroup_pids(cg, &pids, &n, &e) == 0 && n == 1 && pids[0] == child,
	      "real: cgroup_pids lists the child");
	free(pids);
	CHECK(cgroup_freeze(cg, true, &e) == 0 && cgroup_is_frozen(cg), "real: freeze: %s", e.msg);
	CHECK(cgroup_freeze(cg, false, &e) == 0 && !cgroup_is_frozen(cg), "real: thaw");
	json_object *stats = NULL;
	CHECK(cgroup_stats(cg, &stats, &e) == 0 && jget(stats, "pids", "current", NULL) == 1 &&
		  jget(stats, "memory", "usage", "usage") > 0,
	      "real: stats");
	json_object_put(stats);
	CHECK(cgroup_kill_all(cg, SIGKILL, &e) == 0, "real: kill_all: %s", e.msg);
	CHECK(waitpid(child, &st, 0) == child && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "real: child killed");
	CHECK(cgroup_destroy(cg, &e) == 0, "real: destroy: %s", e.msg);
	CHECK(real_dir_gone(cg), "real: nothing left in any hierarchy");
	close(go[0]);
	close(go[1]);
	close(rep[0]);
	close(rep[1]);
	cgroup_free(cg);
}

int main(void)
{
	test_real_host();
	return TEST_DONE();
}
