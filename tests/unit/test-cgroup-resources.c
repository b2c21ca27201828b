/* linux.resources parsing: every field, and errors that name the JSON
 * path of what was wrong. Pure logic, no cgroupfs. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cgroup-fixtures.h"
#include "runtime/cgroup/resources.h"
#include "test.h"
#include "util/err.h"
#include "util/json.h"

static bool parse_fails(const char *text, const char *want)
{
	json_object *o = NULL;
	struct cgroup_resources *r = NULL;
	struct berth_err e = { 0 };
	int rc;

	json_parse_text(text, strlen(text), "test", &o, &e);
	rc = cgroup_resources_parse(o, "linux.resources", &r, &e);
	json_object_put(o);
	cgroup_resources_free(r);
	if (rc == 0 || strstr(e.msg, want) == NULL) {
		printf("# error was \"%s\", want \"%s\"\n", rc == 0 ? "(none)" : e.msg, want);
		return false;
	}
	return true;
}

/* ---- tests ---- */


static void test_resources_parse(void)
{
	struct cgroup_resources *r = res_from(
	    "{\"memory\":{\"limit\":67108864,\"reservation\":33554432,\"swap\":134217728,"
	    "\"kernelTCP\":1000000,\"swappiness\":10,\"disableOOMKiller\":true},"
	    "\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000,\"cpus\":\"0-1\","
	    "\"mems\":\"0\",\"realtimeRuntime\":950,\"realtimePeriod\":1000,\"idle\":1,"
	    "\"burst\":1000},\"pids\":{\"limit\":32},"
	    "\"blockIO\":{\"weight\":500,\"leafWeight\":300,\"weightDevice\":[{\"major\":8,"
	    "\"minor\":0,\"weight\":200}],\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,"
	    "\"rate\":1048576}],\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":16,"
	    "\"rate\":100}]},\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
	    "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\","
	    "\"major\":10,\"minor\":200,\"access\":\"mwr\"}],"
	    "\"unified\":{\"memory.high\":\"50000000\"},\"network\":{\"classID\":1048577}}");

	CHECK(r != NULL, "parse full linux.resources");
	if (r == NULL)
		return;
	CHECK(r->has_mem_limit && r->mem_limit == 67108864 && r->mem_swap == 134217728 &&
		  r->has_mem_swappiness && r->mem_swappiness == 10 && r->disable_oom_killer,
	      "memory fields");
	CHECK(r->cpu_shares == 1024 && r->cpu_quota == 50000 && r->cpu_period == 100000 &&
		  strcmp(r->cpuset_cpus, "0-1") == 0 && r->cpu_rt_runtime == 950 &&
		  r->has_cpu_idle && r->cpu_burst == 1000,
	      "cpu fields");
	CHECK(r->has_pids_limit && r->pids_limit == 32, "pids");
	CHECK(r->blkio_weight == 500 && r->blkio_leaf_weight == 300 && r->n_weight_devices == 1 &&
		  r->weight_devices[0].weight == 200 && !r->weight_devices[0].has_leaf_weight &&
		  r->n_throttle_read_bps == 1 && r->throttle_read_bps[0].rate == 1048576 &&
		  r->n_throttle_write_iops == 1 && r->throttle_write_iops[0].minor == 16,
	      "blockIO");
	CHECK(r->n_hugepages == 1 && strcmp(r->hugepages[0].page_size, "2MB") == 0, "hugepages");
	CHECK(r->has_devices && r->n_devices == 2 && !r->devices[0].allow &&
		  r->devices[0].type == 'a' && r->devices[0].major == -1 &&
		  strcmp(r->devices[0].access, "rwm") == 0 && r->devices[1].type == 'c' &&
		  strcmp(r->devices[1].access, "rwm") == 0,
	      "devices (type defaults to a, access canonical)");
	CHECK(r->n_unified == 1 && strcmp(r->unified[0].value, "50000000") == 0, "unified");
	CHECK(r->has_net_class_id && r->net_class_id == 1048577, "network classID");

	/* update: overlay a partial document */
	struct cgroup_resources *u = res_from(
	    "{\"memory\":{\"limit\":268435456,\"swap\":536870912},\"pids\":{\"limit\":64},"
	    "\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":5},"
	    "{\"major\":8,\"minor\":32,\"rate\":7}]},\"unified\":{\"memory.high\":\"max\"}}");
	cgroup_resources_merge(r, u);
	CHECK(r->mem_limit == 268435456 && r->mem_swap == 536870912 && r->pids_limit == 64 &&
		  r->cpu_shares == 1024 && r->mem_reservation == 33554432,
	      "merge overlays set fields, keeps others");
	CHECK(r->n_throttle_read_bps == 2 && r->throttle_read_bps[0].rate == 5 &&
		  r->throttle_read_bps[1].minor == 32,
	      "merge replaces same device, appends new");
	CHECK(r->n_unified == 1 && strcmp(r->unified[0].value, "max") == 0 && r->n_devices == 2,
	      "merge unified by key, devices kept");
	cgroup_resources_free(u);
	cgroup_resources_free(r);

	CHECK(parse_fails("{\"devices\":[{\"allow\":true},{\"allow\":true},{\"allow\":true,"
			  "\"type\":\"x\"}]}",
			  "linux.resources.devices[2].type: must be one of a, b, c"),
	      "bad device type names the path");
	CHECK(parse_fails("{\"devices\":[{\"allow\":true,\"access\":\"rx\"}]}",
			  "linux.resources.devices[0].access"),
	      "bad access");
	CHECK(parse_fails("{\"devices\":[{\"type\":\"c\"}]}", "devices[0].allow: required"),
	      "allow required");
	CHECK(parse_fails("{\"memory\":{\"limit\":100000000,\"swap\":50000000}}",
			  "linux.resources.memory.swap"),
	      "swap below limit refused");
	CHECK(parse_fails("{\"memory\":{\"swappiness\":101}}", "memory.swappiness"),
	      "swappiness range");
	CHECK(parse_fails("{\"blockIO\":{\"weight\":5}}", "blockIO.weight"), "blkio weight range");
	CHECK(parse_fails("{\"hugepageLimits\":[{\"pageSize\":\"2XB\",\"limit\":1}]}",
			  "hugepageLimits[0].pageSize"),
	      "hugepage size");
	CHECK(parse_fails("{\"unified\":{\"../x\":\"1\"}}", "unified"), "unified key escape");
	CHECK(parse_fails("{\"cpu\":{\"shares\":\"x\"}}", "linux.resources.cpu.shares"),
	      "wrong type names path");
	r = res_from("{\"memory\":{\"limit\":-1,\"swap\":-1}}");
	CHECK(r != NULL, "unlimited swap with unlimited memory accepted");
	cgroup_resources_free(r);
}

/* What docker 20.10 sends for a plain `docker run` and `docker update`:
 * zeros runc reads as "not set", and swappiness -1 as uint64. */
static void test_resources_zeros(void)
{
	static const char docker[] =
	    "{\"blockIO\":{\"weight\":0,\"weightDevice\":[{\"major\":8,\"minor\":0,"
	    "\"weight\":0,\"leafWeight\":0}]},\"memory\":{\"limit\":0,\"reservation\":0,"
	    "\"swap\":0,\"kernel\":0,\"kernelTCP\":0,\"swappiness\":18446744073709551615},"
	    "\"cpu\":{\"shares\":0,\"quota\":0,\"period\":0,\"realtimeRuntime\":0,"
	    "\"realtimePeriod\":0,\"cpus\":\"\",\"mems\":\"\"},\"pids\":{\"limit\":0},"
	    "\"network\":{\"classID\":0}}";
	struct cgroup_resources *r = res_from(docker), *set;

	CHECK(r != NULL, "docker's zeros accepted");
	if (r == NULL)
		return;
	CHECK(!r->has_blkio_weight && !r->weight_devices[0].has_weight &&
		  !r->weight_devices[0].has_leaf_weight,
	      "weights of 0 not set");
	CHECK(!r->has_mem_limit && !r->has_mem_reservation && !r->has_mem_swap &&
		  !r->has_mem_kernel && !r->has_mem_kernel_tcp && !r->has_mem_swappiness,
	      "memory values of 0 and swappiness 2^64-1 not set");
	CHECK(!r->has_cpu_shares && !r->has_cpu_quota && !r->has_cpu_period &&
		  !r->has_cpu_rt_runtime && !r->has_cpu_rt_period && r->cpuset_cpus == NULL,
	      "cpu values of 0 not set");
	CHECK(!r->has_pids_limit && !r->has_net_class_id, "pids and classID of 0 not set");

	/* an update of zeros keeps what was set */
	set = res_from("{\"memory\":{\"limit\":1048576},\"cpu\":{\"shares\":512},"
		       "\"pids\":{\"limit\":10},\"blockIO\":{\"weight\":300}}");
	cgroup_resources_merge(set, r);
	CHECK(set->mem_limit == 1048576 && set->cpu_shares == 512 && set->pids_limit == 10 &&
		  set->blkio_weight == 300,
	      "an update of zeros changes nothing");
	cgroup_resources_free(set);
	cgroup_resources_free(r);

	r = res_from("{\"memory\":{\"swappiness\":-1}}");
	CHECK(r != NULL && !r->has_mem_swappiness, "swappiness -1 not set");
	cgroup_resources_free(r);
	CHECK(parse_fails("{\"blockIO\":{\"weightDevice\":[{\"major\":8,\"minor\":0,"
			  "\"weight\":9}]}}",
			  "blockIO.weightDevice[0].weight: 9 out of range [10, 1000]"),
	      "a device weight below 10 but not 0");
}

int main(void)
{
	test_resources_parse();
	test_resources_zeros();
	return TEST_DONE();
}
