/* The device-rule eBPF compiler, three ways:
 *  1. structure: prologue, jump targets, exits, no dead code;
 *  2. behaviour: a small interpreter for the instructions the compiler
 *     emits runs each program over a grid of requests and compares with
 *     a direct reading of the documented semantics; the kernel verifier
 *     loads every program (root), and BPF_PROG_TEST_RUN executes it where
 *     the kernel supports that for cgroup device programs;
 *  3. end to end on a hybrid host: a program attached to a fresh cgroup2
 *     directory denies a child read access to /dev/null, and a
 *     replacement program lifts it. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup-internal.h"
#include "runtime/cgroup/devices-bpf.h"
#include "runtime/cgroup/resources.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/xalloc.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* kernel-internal, leaks out of bpf() */
#endif

#define R(allow, type, maj, min, acc)                                                              \
	{                                                                                          \
		allow, type, maj, min, acc                                                         \
	}

/* ---- reference semantics (devices-bpf.h) ---- */

static int acc_bits(const char *a)
{
	int b = 0;
	for (; *a; a++)
		b |= *a == 'r'   ? BPF_DEVCG_ACC_READ
		     : *a == 'w' ? BPF_DEVCG_ACC_WRITE
				 : BPF_DEVCG_ACC_MKNOD;
	return b ? b : 7;
}

static int reference(const struct cgroup_device_rule *r, size_t n, int type, int maj, int min,
		     int req)
{
	for (size_t i = n; i-- > 0;) {
		int acc = acc_bits(r[i].access);
		bool t = r[i].type == 'a' || (r[i].type == 'b') == (type == BPF_DEVCG_DEV_BLOCK);
		bool a = r[i].allow ? (req & ~acc) == 0 : (req & acc) != 0;
		if (t && a && (r[i].major < 0 || r[i].major == maj) &&
		    (r[i].minor < 0 || r[i].minor == min))
			return r[i].allow;
	}
	return 0;
}

/* ---- interpreter for the emitted subset ---- */

static int interpret(const struct bpf_insn *p, size_t n, const struct bpf_cgroup_dev_ctx *ctx,
		     bool *ok)
{
	uint64_t reg[11] = { 0 };
	const uint8_t *mem = (const uint8_t *)ctx;

	*ok = false;
	for (size_t pc = 0, steps = 0; pc < n && steps < 10000; pc++, steps++) {
		const struct bpf_insn *i = &p[pc];
		uint64_t *d = &reg[i->dst_reg];
		uint32_t v32;
		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W:
			if (i->src_reg != BPF_REG_1 || i->off < 0 || i->off > 8)
				return -1;
			memcpy(&v32, mem + i->off, 4);
			*d = v32;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			*d = (uint32_t)(*d & (uint32_t)i->imm);
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			*d = (uint32_t)*d >> i->imm;
			break;
		case BPF_ALU | BPF_MOV | BPF_X:
			*d = (uint32_t)reg[i->src_reg];
			break;
		case BPF_ALU64 | BPF_MOV | BPF_K:
			*d = (uint64_t)(int64_t)i->imm;
			break;
		case BPF_JMP | BPF_JNE | BPF_K:
			if (*d != (uint64_t)(int64_t)i->imm)
				pc += i->off;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			if (*d == (uint64_t)(int64_t)i->imm)
				pc += i->off;
			break;
		case BPF_JMP | BPF_EXIT:
			*ok = true;
			return (int)reg[0];
		default:
			return -1;
		}
	}
	return -1;
}

static const struct cgroup_device_rule lists[][6] = {
	/* typical spec: deny all, allow one */
	{ R(false, 'a', -1, -1, "rwm"), R(true, 'c', 10, 200, "rwm") },
	/* allow all, then punch holes */
	{ R(true, 'a', -1, -1, "rwm"), R(false, 'c', 1, 3, "r"), R(false, 'b', 8, -1, "w") },
	/* last rule wins over an earlier one for the same device */
	{ R(true, 'c', 1, 3, "rw"), R(false, 'c', 1, 3, "w"), R(true, 'c', 1, -1, "m") },
	/* 'a' with a major, partial access */
	{ R(true, 'a', 4, -1, "rm"), R(false, 'a', 4, 1, "m") },
	/* empty list: nothing allowed */
	{ R(false, 'x', 0, 0, "") },
};
static const size_t list_len[] = { 2, 3, 3, 2, 0 };

static bool compile(const struct cgroup_device_rule *r, size_t n, struct bpf_insn **p, size_t *np)
{
	struct berth_err e = { 0 };
	if (cgroup_bpf_devices_compile(r, n, p, np, &e) < 0) {
		printf("# compile: %s\n", e.msg);
		return false;
	}
	return true;
}

/* Every jump lands inside the program, forward; the last insn exits. */
static bool well_formed(const struct bpf_insn *p, size_t n)
{
	if (n < 8 || p[n - 1].code != (BPF_JMP | BPF_EXIT))
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i].code;
		if (c == (BPF_JMP | BPF_JNE | BPF_K) || c == (BPF_JMP | BPF_JEQ | BPF_K))
			if (p[i].off <= 0 || i + 1 + (size_t)p[i].off >= n)
				return false;
	}
	return true;
}

static void test_structure(void)
{
	struct bpf_insn *p = NULL;
	size_t n = 0;
	struct cgroup_device_rule one[] = { R(false, 'c', 1, 3, "r") };

	CHECK(compile(one, 1, &p, &n), "compile one rule");
	CHECK(n == 6 + 8 + 2, "prologue 6 + type/access(3)/major/minor/mov/exit + default (%zu)",
	      n);
	CHECK(p[0].code == (BPF_LDX | BPF_MEM | BPF_W) && p[0].off == 0 && p[4].off == 4 &&
		  p[5].off == 8 && p[1].imm == 0xffff && p[3].imm == 16,
	      "prologue reads access_type, major, minor");
	CHECK(p[6].code == (BPF_JMP | BPF_JNE | BPF_K) && p[6].imm == BPF_DEVCG_DEV_CHAR &&
		  p[6].off == 7,
	      "type check jumps to the next block");
	CHECK(p[8].imm == BPF_DEVCG_ACC_READ && p[9].code == (BPF_JMP | BPF_JEQ | BPF_K),
	      "deny rule matches on any overlap with its access");
	CHECK(p[12].imm == 0 && p[13].code == (BPF_JMP | BPF_EXIT) && p[n - 2].imm == 0 &&
		  p[n - 2].code == (BPF_ALU64 | BPF_MOV | BPF_K),
	      "deny returns 0; default deny at the end");
	CHECK(well_formed(p, n), "jumps in range, ends in exit");
	free(p);

	CHECK(compile(lists[1], list_len[1], &p, &n), "compile allow-all list");
	CHECK(p[n - 2].imm == 1 && well_formed(p, n),
	      "allow-all rule ends the program (no default, no dead code)");
	free(p);

	struct cgroup_device_rule bad[] = { R(true, 'c', (int64_t)1 << 32, 0, "r") };
	struct berth_err e = { 0 };
	CHECK(cgroup_bpf_devices_compile(bad, 1, &p, &n, &e) < 0, "out-of-range major refused");
}

static size_t check_semantics(const struct cgroup_device_rule *r, size_t nr,
			      const struct bpf_insn *p, size_t n)
{
	static const int majs[] = { 1, 4, 5, 8, 10, 136 }, mins[] = { 0, 1, 3, 5, 200 };
	size_t bad = 0;

	for (int t = 1; t <= 2; t++)
		for (size_t a = 0; a < ARRAY_SIZE(majs); a++)
			for (size_t b = 0; b < ARRAY_SIZE(mins); b++)
				for (int req = 1; req <= 7; req++) {
					struct bpf_cgroup_dev_ctx ctx = {
						.access_type = (uint32_t)(req << 16 | t),
						.major = (uint32_t)majs[a],
						.minor = (uint32_t)mins[b]
					};
					bool ok;
					int got = interpret(p, n, &ctx, &ok);
					int want = reference(r, nr, t, majs[a], mins[b], req);
					if (!ok || got != want) {
						if (bad++ < 3)
							printf(
							    "# type %d %d:%d req %d: got %d want "
							    "%d\n",
							    t, majs[a], mins[b], req, got, want);
					}
				}
	return bad;
}

static void test_semantics(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		struct bpf_insn *p = NULL;
		size_t n = 0;
		if (!compile(lists[i], list_len[i], &p, &n))
			continue;
		CHECK(check_semantics(lists[i], list_len[i], p, n) == 0,
		      "list %zu: program agrees with the reference on 420 requests", i);
		free(p);
	}
	/* the full policy a container gets: spec deny-all + defaults */
	struct cgroup_resources res = { 0 };
	struct cgroup_device_rule deny_all = R(false, 'a', -1, -1, "rwm");
	res.devices = &deny_all;
	res.n_devices = 1;
	size_t nr;
	autofree struct cgroup_device_rule *rules = cgroup_device_rules_effective(&res, &nr);
	autofree struct bpf_insn *p = NULL;
	size_t n;
	CHECK(nr == 1 + cgroup_n_default_device_rules && rules[1].type == 'c' &&
		  rules[1].major == -1 && strcmp(rules[1].access, "m") == 0,
	      "spec rules followed by the defaults");
	if (compile(rules, nr, &p, &n)) {
		CHECK(check_semantics(rules, nr, p, n) == 0,
		      "default policy agrees with reference");
		struct bpf_cgroup_dev_ctx null_rw = {
			(BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE) << 16 | BPF_DEVCG_DEV_CHAR, 1, 3
		};
		struct bpf_cgroup_dev_ctx kmsg = { BPF_DEVCG_ACC_READ << 16 | BPF_DEVCG_DEV_CHAR, 1,
						   11 };
		struct bpf_cgroup_dev_ctx mknod_b = {
			BPF_DEVCG_ACC_MKNOD << 16 | BPF_DEVCG_DEV_BLOCK, 8, 0
		};
		struct bpf_cgroup_dev_ctx pts = { BPF_DEVCG_ACC_WRITE << 16 | BPF_DEVCG_DEV_CHAR,
						  136, 7 };
		bool ok;
		CHECK(interpret(p, n, &null_rw, &ok) == 1 && interpret(p, n, &kmsg, &ok) == 0 &&
			  interpret(p, n, &mknod_b, &ok) == 1 && interpret(p, n, &pts, &ok) == 1,
		      "defaults: /dev/null rw yes, /dev/kmsg no, mknod b yes, pts yes");
	}
}

/* The defaults a spec already lists are not written twice, and dropping
 * them changes no answer: checked against the spec + every default. */
static void test_effective_dedup(void)
{
	static const struct cgroup_device_rule docker[] = {
		R(false, 'a', -1, -1, "rwm"), R(true, 'c', -1, -1, "m"), R(true, 'b', -1, -1, "m"),
		R(true, 'c', 1, 3, "rwm"),    R(true, 'c', 1, 5, "rwm"), R(true, 'c', 1, 7, "rwm"),
		R(true, 'c', 1, 8, "rwm"),    R(true, 'c', 1, 9, "rwm"), R(true, 'c', 5, 0, "rwm"),
		R(true, 'c', 5, 1, "rwm"),    R(true, 'c', 5, 2, "rwm"), R(true, 'c', 136, -1, "rwm"),
		R(true, 'c', 10, 200, "rwm"),
	};
	/* /dev/null allowed, then denied: the default allows it again. */
	static const struct cgroup_device_rule undone[] = {
		R(false, 'a', -1, -1, "rwm"),
		R(true, 'c', 1, 3, "rwm"),
		R(false, 'c', 1, 3, "rwm"),
	};
	const struct {
		const struct cgroup_device_rule *r;
		size_t n, want;
	} cases[] = {
		{ docker, ARRAY_SIZE(docker), ARRAY_SIZE(docker) },
		{ undone, ARRAY_SIZE(undone), ARRAY_SIZE(undone) + cgroup_n_default_device_rules },
	};
	static const int types[] = { BPF_DEVCG_DEV_CHAR, BPF_DEVCG_DEV_BLOCK };
	static const int majors[] = { 1, 5, 10, 136, 8 };

	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		struct cgroup_resources res = { .devices = (struct cgroup_device_rule *)cases[c].r,
						.n_devices = cases[c].n };
		size_t nr, nfull = cases[c].n + cgroup_n_default_device_rules, wrong = 0;
		autofree struct cgroup_device_rule *rules = cgroup_device_rules_effective(&res, &nr);
		autofree struct cgroup_device_rule *full = xcalloc(nfull, sizeof(*full));

		memcpy(full, cases[c].r, cases[c].n * sizeof(*full));
		memcpy(full + cases[c].n, cgroup_default_device_rules,
		       cgroup_n_default_device_rules * sizeof(*full));
		CHECK(nr == cases[c].want, "case %zu: %zu rules, want %zu", c, nr, cases[c].want);
		for (size_t t = 0; t < ARRAY_SIZE(types); t++)
			for (size_t m = 0; m < ARRAY_SIZE(majors); m++)
				for (int min = 0; min < 12; min++)
					for (int req = 1; req < 8; req++)
						wrong += reference(rules, nr, types[t], majors[m],
								   min, req) !=
							 reference(full, nfull, types[t],
								   majors[m], min, req);
		CHECK(wrong == 0, "case %zu: the same answers as every rule written (%zu differ)",
		      c, wrong);
	}
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static void test_kernel_load(void)
{
	struct berth_err e = { 0 };

	if (geteuid() != 0) {
		printf("# SKIP kernel load: not root\n");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		autofree struct bpf_insn *p = NULL;
		size_t n = 0;
		if (!compile(lists[i], list_len[i], &p, &n))
			continue;
		int fd = cgroup_bpf_devices_load(p, n, &e);
		CHECK(fd >= 0, "list %zu: verifier accepts the program%s%s", i, fd < 0 ? ": " : "",
		      fd < 0 ? e.msg : "");
		if (fd < 0)
			continue;
		/* Execute it in the kernel where test-run exists for this
		 * program type. */
		struct bpf_cgroup_dev_ctx ctx = { BPF_DEVCG_ACC_READ << 16 | BPF_DEVCG_DEV_CHAR, 1,
						  3 };
		union bpf_attr attr;
		memset(&attr, 0, sizeof(attr));
		attr.test.prog_fd = (uint32_t)fd;
		attr.test.ctx_in = (uint64_t)(uintptr_t)&ctx;
		attr.test.ctx_size_in = sizeof(ctx);
		if (sys_bpf(BPF_PROG_TEST_RUN, &attr) < 0) {
			if (i == 0)
				printf("# SKIP BPF_PROG_TEST_RUN: this kernel cannot test-run "
				       "cgroup device programs (%s); the interpreter above and the "
				       "end-to-end attach below cover execution\n",
				       errno == ENOTSUPP ? "ENOTSUPP" : strerror(errno));
		} else {
			CHECK((int)attr.test.retval == reference(lists[i], list_len[i],
								 BPF_DEVCG_DEV_CHAR, 1, 3,
								 BPF_DEVCG_ACC_READ),
			      "list %zu: kernel test-run result", i);
		}
		close(fd);
	}
}

/* Opens in a child inside the cgroup; returns a bit per failed open:
 * 1 = /dev/null O_RDONLY, 2 = /dev/null O_WRONLY, 4 = /dev/zero O_RDONLY,
 * plus 8 when the first failed with something other than EPERM. */
static int child_opens(const char *cgdir)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		char buf[32];
		int r = 0, fd;
		autofree char *procs = xasprintf("%s/cgroup.procs", cgdir);
		snprintf(buf, sizeof(buf), "%d", (int)getpid());
		fd = open(procs, O_WRONLY);
		if (fd < 0 || write(fd, buf, strlen(buf)) < 0)
			_exit(64);
		close(fd);
		fd = open("/dev/null", O_RDONLY);
		if (fd < 0)
			r |= 1 | (errno == EPERM ? 0 : 8);
		else
			close(fd);
		fd = open("/dev/null", O_WRONLY);
		if (fd < 0)
			r |= 2;
		else
			close(fd);
		fd = open("/dev/zero", O_RDONLY);
		if (fd < 0)
			r |= 4;
		else
			close(fd);
		_exit(r);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void test_end_to_end(void)
{
	struct cgroup_mount *m = NULL;
	size_t nm = 0;
	enum cgroup_mode mode;
	struct berth_err e = { 0 };
	autofree char *own = NULL, *dir = NULL;
	const struct cgroup_mount *u = NULL;

	if (geteuid() != 0 || cgroup_host_mounts(NULL, &m, &nm, &mode, &e) < 0 ||
	    mode != CGROUP_MODE_HYBRID) {
		printf("# SKIP end-to-end device program: needs root on a hybrid host\n");
		cgroup_mounts_free(m, nm);
		return;
	}
	for (size_t i = 0; i < nm; i++)
		if (m[i].v2)
			u = &m[i];
	if (cgroup_host_own_path(NULL, NULL, u, &own, &e) < 0) {
		printf("# SKIP end-to-end: %s\n", e.msg);
		cgroup_mounts_free(m, nm);
		return;
	}
	dir = xasprintf("%s%s/berth-test-%d", u->mount, strcmp(own, "/") == 0 ? "" : own,
			(int)getpid());
	cgroup_mounts_free(m, nm);
	CHECK(mkdir(dir, 0755) == 0, "mkdir %s", dir);

	struct cgroup_device_rule rules[] = { R(true, 'a', -1, -1, "rwm"),
					      R(false, 'c', 1, 3, "r") };
	autofree struct bpf_insn *p = NULL;
	size_t n = 0;
	int cgfd = open(dir, O_RDONLY | O_DIRECTORY);
	int prog = -1, prog2 = -1;
	if (!compile(rules, 2, &p, &n) || cgfd < 0)
		goto out;
	prog = cgroup_bpf_devices_load(p, n, &e);
	CHECK(prog >= 0, "load: %s", prog < 0 ? e.msg : "ok");
	CHECK(prog >= 0 && cgroup_bpf_devices_attach(cgfd, prog, &e) == 0, "attach: %s", e.msg);
	int r = child_opens(dir);
	CHECK(r == 1, "child: /dev/null read EPERM, write ok, /dev/zero ok (result %d)", r);

	/* replace (update): allow everything; exactly one program stays */
	struct cgroup_device_rule all[] = { R(true, 'a', -1, -1, "rwm") };
	free(p);
	p = NULL;
	if (!compile(all, 1, &p, &n))
		goto out;
	prog2 = cgroup_bpf_devices_load(p, n, &e);
	CHECK(prog2 >= 0 && cgroup_bpf_devices_attach(cgfd, prog2, &e) == 0, "replace: %s", e.msg);
	uint32_t ids[8], want = 0;
	size_t nids = 8;
	CHECK(cgroup_bpf_devices_query(cgfd, ids, &nids, &e) == 0 && nids == 1 &&
		  cgroup_bpf_prog_id(prog2, &want, &e) == 0 && ids[0] == want,
	      "after replace only the new program is attached (%zu)", nids);
	r = child_opens(dir);
	CHECK(r == 0, "child: /dev/null readable again (result %d)", r);
out:
	if (prog >= 0)
		close(prog);
	if (prog2 >= 0)
		close(prog2);
	if (cgfd >= 0)
		close(cgfd);
	/* the child exited; the kernel may take a moment to let go */
	for (int i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++)
		usleep(10000);
	CHECK(access(dir, F_OK) < 0, "test cgroup removed");
}

int main(void)
{
	test_structure();
	test_semantics();
	test_effective_dedup();
	test_kernel_load();
	test_end_to_end();
	return TEST_DONE();
}
