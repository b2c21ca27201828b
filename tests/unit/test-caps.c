/* Capability names both ways, list parsing, and the sets really applied in
 * a forked child, read back from /proc/self/status. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/capability.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/caps.h"
#include "runtime/spec.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"

#define BIT(cap) (UINT64_C(1) << (cap))

static void check_names(void)
{
	CHECK(caps_from_name("CAP_CHOWN") == CAP_CHOWN, "CAP_CHOWN");
	CHECK(caps_from_name("cap_chown") == CAP_CHOWN, "lowercase cap_chown");
	CHECK(caps_from_name("Net_Admin") == CAP_NET_ADMIN, "mixed case, no prefix");
	CHECK(caps_from_name("SYS_ADMIN") == CAP_SYS_ADMIN, "no CAP_ prefix");
	CHECK(caps_from_name("CAP_CHECKPOINT_RESTORE") == 40, "CAP_CHECKPOINT_RESTORE is 40");
	CHECK(caps_from_name("CAP_BPF") == 39 && caps_from_name("CAP_PERFMON") == 38,
	      "CAP_BPF 39, CAP_PERFMON 38");
	CHECK(caps_from_name("CAP_FOO") == -1, "CAP_FOO unknown");
	CHECK(caps_from_name("") == -1 && caps_from_name("CAP_") == -1, "empty names unknown");
	CHECK(caps_from_name(NULL) == -1, "NULL unknown");
	CHECK(caps_from_name("CAP_CHOWNX") == -1 && caps_from_name(" CAP_CHOWN") == -1,
	      "no prefix or suffix matching");
	CHECK_STR(caps_to_name(0), "CAP_CHOWN", "0 -> CAP_CHOWN");
	CHECK_STR(caps_to_name(CAP_SETFCAP), "CAP_SETFCAP", "31 -> CAP_SETFCAP");
	CHECK_STR(caps_to_name(40), "CAP_CHECKPOINT_RESTORE", "40 -> CAP_CHECKPOINT_RESTORE");
	CHECK(caps_to_name(41) == NULL && caps_to_name(-1) == NULL && caps_to_name(64) == NULL,
	      "out of range -> NULL");
	bool round = true;
	for (int i = 0; i <= 40; i++)
		if (caps_to_name(i) == NULL || caps_from_name(caps_to_name(i)) != i)
			round = false;
	CHECK(round, "every capability 0..40 round-trips");
}

static void check_last_cap(void)
{
	autofree char *text = NULL;
	struct berth_err err = { 0 };

	if (fs_read_file("/proc/sys/kernel/cap_last_cap", 64, &text, NULL, &err) == 0)
		CHECK(caps_last_cap() == atoi(text), "caps_last_cap matches /proc (%d)",
		      caps_last_cap());
	CHECK(caps_last_cap() >= CAP_AUDIT_READ && caps_last_cap() < 64,
	      "caps_last_cap in a sane range");
}

static void check_parse_list(void)
{
	char n1[] = "CAP_CHOWN", n2[] = "cap_kill", n3[] = "NET_RAW", n4[] = "CAP_KILL",
	     n5[] = "CAP_BOGUS";
	char *good[] = { n1, n2, n3, n4, NULL };
	char *bad[] = { n1, n5, NULL };
	char *empty[] = { NULL };
	struct berth_err err = { 0 };
	uint64_t mask = 99;

	CHECK(caps_parse_list(good, "p", &mask, &err) == 0 &&
		  mask == (BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_NET_RAW)),
	      "list to mask (duplicates fold) %#" PRIx64, mask);
	CHECK(caps_parse_list(empty, "p", &mask, &err) == 0 && mask == 0, "empty list");
	mask = 99;
	CHECK(caps_parse_list(NULL, "p", &mask, &err) == 0 && mask == 0, "NULL list");
	CHECK(caps_parse_list(bad, "process.capabilities.effective", &mask, &err) < 0,
	      "unknown name fails");
	CHECK_STR(err.msg, "process.capabilities.effective: unknown capability \"CAP_BOGUS\"",
		  "error names path and capability");
}

static uint64_t status_mask(const char *text, const char *field)
{
	const char *p = strstr(text, field);
	return p == NULL ? UINT64_MAX : strtoull(p + strlen(field), NULL, 16);
}

enum {
	F_BOUNDING = 1,
	F_SETS = 2,
	F_BND = 4,
	F_EFF = 8,
	F_PRM = 16,
	F_INH = 32,
	F_AMB = 64,
	F_READ = 128,
};

/* Runs in the child: applies c, reports mismatches as bits. */
static int child_apply(const struct spec_caps *c)
{
	autofree char *before = NULL, *after = NULL;
	struct berth_err err = { 0 };
	uint64_t bnd0;
	int fail = 0;

	if (fs_read_file("/proc/self/status", 1 << 16, &before, NULL, &err) < 0)
		return F_READ;
	bnd0 = status_mask(before, "CapBnd:");
	if (caps_apply_bounding(c, &err) < 0) {
		fprintf(stderr, "# bounding: %s\n", err.msg);
		return F_BOUNDING;
	}
	if (caps_apply_sets(c, &err) < 0) {
		fprintf(stderr, "# sets: %s\n", err.msg);
		return F_SETS;
	}
	if (fs_read_file("/proc/self/status", 1 << 16, &after, NULL, &err) < 0)
		return F_READ;
	if (status_mask(after, "CapBnd:") != (c->bounding & bnd0))
		fail |= F_BND;
	if (status_mask(after, "CapEff:") != c->effective)
		fail |= F_EFF;
	if (status_mask(after, "CapPrm:") != c->permitted)
		fail |= F_PRM;
	if (status_mask(after, "CapInh:") != c->inheritable)
		fail |= F_INH;
	if (status_mask(after, "CapAmb:") != c->ambient)
		fail |= F_AMB;
	return fail;
}

/* Ambient raise of a capability that is not inheritable must fail and
 * name it. */
/* Whether cap is in this process's ambient set (CapAmb). */
static bool cap_ambient_is(int cap)
{
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, (unsigned long)cap, 0UL, 0UL) == 1;
}

static int child_ambient_refused(void)
{
	struct spec_caps c = { .present = true };
	struct berth_err err = { 0 };

	c.bounding = BIT(CAP_NET_RAW) | BIT(CAP_CHOWN);
	c.permitted = c.effective = BIT(CAP_NET_RAW) | BIT(CAP_CHOWN);
	c.inheritable = BIT(CAP_CHOWN);
	c.ambient = BIT(CAP_NET_RAW) | BIT(CAP_CHOWN);
	/* As runc: an ambient capability the kernel cannot raise (not
	 * inheritable) is skipped with a warning; the others are raised. */
	if (caps_apply_sets(&c, &err) < 0)
		return 1;
	return cap_ambient_is(CAP_CHOWN) && !cap_ambient_is(CAP_NET_RAW) ? 0 : 2;
}

static int run_child(int (*fn)(const struct spec_caps *), const struct spec_caps *c)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(c));
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int ambient_refused_adapter(const struct spec_caps *c)
{
	(void)c;
	return child_ambient_refused();
}

static bool can_set_caps(void)
{
	cap_t cur = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;

	if (cur != NULL) {
		cap_get_flag(cur, CAP_SETPCAP, CAP_EFFECTIVE, &v);
		cap_free(cur);
	}
	return geteuid() == 0 && v == CAP_SET;
}

static void check_apply(void)
{
	struct spec_caps none = { 0 };
	struct spec_caps c = { .present = true };
	struct berth_err err = { 0 };
	int r;

	CHECK(caps_apply_bounding(&none, &err) == 0 && caps_apply_sets(&none, &err) == 0,
	      "no capabilities object: nothing changes");
	if (!can_set_caps()) {
		printf("# skip applying capabilities: needs root with CAP_SETPCAP\n");
		return;
	}
	c.bounding = BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE);
	c.permitted = BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE);
	c.effective = BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE);
	c.inheritable = BIT(CAP_NET_BIND_SERVICE);
	c.ambient = BIT(CAP_NET_BIND_SERVICE);
	r = run_child(child_apply, &c);
	CHECK(r >= 0, "child ran (%d)", r);
	if (r < 0)
		return;
	CHECK(!(r & (F_READ | F_BOUNDING)), "caps_apply_bounding succeeded");
	CHECK(!(r & F_SETS), "caps_apply_sets succeeded");
	CHECK(!(r & F_BND), "CapBnd is the requested bounding set");
	CHECK(!(r & F_EFF), "CapEff is the requested effective set");
	CHECK(!(r & F_PRM), "CapPrm is the requested permitted set");
	CHECK(!(r & F_INH), "CapInh is the requested inheritable set");
	CHECK(!(r & F_AMB), "CapAmb is the requested ambient set");

	/* Emptying everything is also a valid request. */
	struct spec_caps empty = { .present = true };
	r = run_child(child_apply, &empty);
	CHECK(r == 0, "all sets empty (child status %d)", r);

	r = run_child(ambient_refused_adapter, NULL);
	CHECK(r == 0, "a non-inheritable ambient cap is skipped, the rest raised (%d)", r);
}

int main(void)
{
	check_names();
	check_last_cap();
	check_parse_list();
	check_apply();
	return TEST_DONE();
}
