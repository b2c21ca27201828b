/* process.scheduler, ioPriority and execCPUAffinity: parsing, CPU lists,
 * and applying them in a child. */
#include <linux/mempolicy.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/sched.h"
#include "test.h"
#include "util/err.h"
#include "util/json.h"

static int parse(const char *text, struct spec_sched *s, struct berth_err *err)
{
	json_object *o = NULL;
	int r;

	memset(s, 0, sizeof(*s));
	if (json_parse_text(text, strlen(text), "test", &o, err) < 0)
		return -1;
	r = sched_parse(o, "process", s, err);
	json_object_put(o);
	return r;
}

static void test_cpulist(void)
{
	cpu_set_t set;

	CHECK(sched_cpulist_parse("0-2,5", &set, sizeof(set)) == 0 && CPU_COUNT(&set) == 4 &&
		      CPU_ISSET(0, &set) && CPU_ISSET(2, &set) && CPU_ISSET(5, &set) &&
		      !CPU_ISSET(3, &set),
	      "0-2,5");
	CHECK(sched_cpulist_parse("7", &set, sizeof(set)) == 0 && CPU_COUNT(&set) == 1, "7");
	CHECK(sched_cpulist_parse("3-1", &set, sizeof(set)) < 0, "reversed range refused");
	CHECK(sched_cpulist_parse("a", &set, sizeof(set)) < 0, "garbage refused");
	CHECK(sched_cpulist_parse("1,,2", &set, sizeof(set)) < 0, "empty element refused");
	CHECK(sched_cpulist_parse("", &set, sizeof(set)) < 0, "empty list refused");
	CHECK(sched_cpulist_parse("99999", &set, sizeof(set)) < 0, "beyond the set refused");
}

static void test_parse(void)
{
	struct berth_err err = { 0 };
	struct spec_sched s;

	CHECK(parse("{\"scheduler\":{\"policy\":\"SCHED_FIFO\",\"priority\":10,"
		    "\"flags\":[\"SCHED_FLAG_RESET_ON_FORK\"]},"
		    "\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":5},"
		    "\"execCPUAffinity\":{\"initial\":\"0\",\"final\":\"0-1\"}}",
		    &s, &err) == 0,
	      "full: %s", err.msg);
	CHECK(s.has_scheduler && s.policy == SCHED_FIFO && s.priority == 10 && s.flags == 1,
	      "scheduler");
	CHECK(s.has_ioprio && s.ioprio_class == 2 && s.ioprio_level == 5, "ioPriority");
	CHECK(s.cpus_initial && strcmp(s.cpus_final, "0-1") == 0, "affinity");
	sched_clear(&s);

	static const struct {
		const char *doc, *want;
	} bad[] = {
		{ "{\"scheduler\":{}}", "process.scheduler.policy: required" },
		{ "{\"scheduler\":{\"policy\":\"SCHED_X\"}}", "unknown policy \"SCHED_X\"" },
		{ "{\"scheduler\":{\"policy\":\"SCHED_RR\"}}", "SCHED_RR needs a priority" },
		{ "{\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"priority\":3}}",
		  "only SCHED_FIFO and SCHED_RR" },
		{ "{\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"nice\":40}}", "scheduler.nice" },
		{ "{\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"flags\":[\"X\"]}}",
		  "scheduler.flags[0]: unknown flag" },
		{ "{\"ioPriority\":{\"priority\":1}}", "process.ioPriority.class: required" },
		{ "{\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":8}}",
		  "ioPriority.priority" },
		{ "{\"ioPriority\":{\"class\":\"X\"}}", "unknown class" },
		{ "{\"execCPUAffinity\":{\"final\":\"x\"}}",
		  "process.execCPUAffinity.final: \"x\" is not a CPU list" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse(bad[i].doc, &s, &err);
		CHECK(r < 0 && strstr(err.msg, bad[i].want) != NULL, "bad %zu: %s", i, err.msg);
		sched_clear(&s);
	}
}

static void test_apply(void)
{
	struct berth_err err = { 0 };
	struct spec_sched s;
	pid_t pid;
	int st;

	if (parse("{\"scheduler\":{\"policy\":\"SCHED_BATCH\",\"nice\":7},"
		  "\"ioPriority\":{\"class\":\"IOPRIO_CLASS_IDLE\",\"priority\":0},"
		  "\"execCPUAffinity\":{\"final\":\"0\"}}",
		  &s, &err) < 0) {
		CHECK(0, "parse: %s", err.msg);
		return;
	}
	pid = fork();
	if (pid == 0) {
		cpu_set_t set;
		int ok = sched_apply(&s, &err) == 0 && sched_apply_final(&s, &err) == 0 &&
			 sched_getscheduler(0) == SCHED_BATCH &&
			 syscall(SYS_ioprio_get, 1, 0) == (3 << 13) &&
			 sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) == 1 &&
			 CPU_ISSET(0, &set);
		_exit(ok ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "applied in a child: SCHED_BATCH, idle I/O class, CPU 0 only");
	sched_clear(&s);
}

static void test_mempolicy(void)
{
	struct berth_err err = { 0 };
	struct spec_mempolicy m = { 0 };
	json_object *o = NULL;
	const char *doc = "{\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"0\","
			  "\"flags\":[\"MPOL_F_STATIC_NODES\"]}}";
	pid_t pid;
	int st;

	json_parse_text(doc, strlen(doc), "t", &o, &err);
	CHECK(sched_mempolicy_parse(o, &m, &err) == 0 && m.present && m.mode == MPOL_BIND &&
		      m.flags == MPOL_F_STATIC_NODES && strcmp(m.nodes, "0") == 0,
	      "memoryPolicy: %s", err.msg);
	json_object_put(o);
	pid = fork();
	if (pid == 0) {
		int mode = -1;
		unsigned long mask[16] = { 0 };
		int ok = sched_mempolicy_apply(&m, &err) == 0 &&
			 syscall(SYS_get_mempolicy, &mode, mask, 1024UL, NULL, 0UL) == 0 &&
			 (mode & ~(MPOL_F_STATIC_NODES)) == MPOL_BIND && mask[0] == 1;
		_exit(ok ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "MPOL_BIND to node 0 applied in a child");
	sched_mempolicy_clear(&m);

	static const char *const bad[][2] = {
		{ "{\"memoryPolicy\":{\"mode\":\"MPOL_BIND\"}}", "MPOL_BIND needs nodes" },
		{ "{\"memoryPolicy\":{\"mode\":\"MPOL_LOCAL\",\"nodes\":\"0\"}}",
		  "takes no nodes" },
		{ "{\"memoryPolicy\":{\"mode\":\"MPOL_X\"}}", "unknown mode" },
		{ "{\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"z\"}}",
		  "not a node list" },
		{ "{\"memoryPolicy\":{\"mode\":\"MPOL_DEFAULT\",\"flags\":[\"F\"]}}",
		  "linux.memoryPolicy.flags[0]: unknown flag" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = NULL;
		json_parse_text(bad[i][0], strlen(bad[i][0]), "t", &o, &err);
		CHECK(sched_mempolicy_parse(o, &m, &err) < 0 && strstr(err.msg, bad[i][1]),
		      "bad memoryPolicy %zu: %s", i, err.msg);
		sched_mempolicy_clear(&m);
		json_object_put(o);
	}
}

int main(void)
{
	test_cpulist();
	test_parse();
	test_apply();
	test_mempolicy();
	return TEST_DONE();
}
