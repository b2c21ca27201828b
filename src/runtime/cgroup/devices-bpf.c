/* Device rules compiled to eBPF for cgroup v2 (see devices-bpf.h for the
 * semantics). The program reads struct bpf_cgroup_dev_ctx once into
 * registers, then each rule is a block of compare-and-skip jumps ending in
 * "return allow":
 *
 *	r2 = ctx->access_type & 0xffff	(BPF_DEVCG_DEV_BLOCK / _CHAR)
 *	r3 = ctx->access_type >> 16	(BPF_DEVCG_ACC_* bits requested)
 *	r4 = ctx->major, r5 = ctx->minor
 *	for each rule, last first: if it matches, r0 = allow; exit
 *	r0 = 0; exit
 *
 * A rule that matches everything ends the program: the verifier rejects
 * unreachable instructions, so nothing may follow it. */
#include "runtime/cgroup/devices-bpf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup-internal.h"
#include "runtime/cgroup/resources.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/xalloc.h"

#define JUMP_TO_NEXT INT16_MIN /* placeholder patched once the block's length is known */

struct emitter {
	struct bpf_insn *v;
	size_t n, cap;
};

static void emit(struct emitter *e, uint8_t code, uint8_t dst, uint8_t src, int16_t off,
		 int32_t imm)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 64;
		e->v = xreallocarray(e->v, e->cap, sizeof(*e->v));
	}
	e->v[e->n++] = (struct bpf_insn){
		.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm
	};
}

static int access_bits(const char *access)
{
	int bits = 0;

	for (const char *c = access; *c != '\0'; c++)
		bits |= *c == 'r'   ? BPF_DEVCG_ACC_READ
			: *c == 'w' ? BPF_DEVCG_ACC_WRITE
			: *c == 'm' ? BPF_DEVCG_ACC_MKNOD
				    : 0;
	return bits;
}

#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

/* Emits one rule's block. Returns true when the rule matches every
 * request, so the caller stops. */
static bool emit_rule(struct emitter *e, const struct cgroup_device_rule *r)
{
	size_t start = e->n;
	int acc = access_bits(r->access);

	if (acc == 0)
		acc = ACC_ALL;
	if (r->type != 'a')
		emit(e, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, JUMP_TO_NEXT,
		     r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
	if (acc != ACC_ALL) {
		emit(e, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
		if (r->allow) {
			/* every requested bit must be granted: (req & ~acc) == 0 */
			emit(e, BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, ~acc & ACC_ALL);
			emit(e, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_1, 0, JUMP_TO_NEXT, 0);
		} else {
			/* any requested bit denied: (req & acc) != 0 */
			emit(e, BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, acc);
			emit(e, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_1, 0, JUMP_TO_NEXT, 0);
		}
	}
	if (r->major >= 0)
		emit(e, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, JUMP_TO_NEXT, (int32_t)r->major);
	if (r->minor >= 0)
		emit(e, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, JUMP_TO_NEXT, (int32_t)r->minor);
	bool unconditional = e->n == start;
	emit(e, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, r->allow ? 1 : 0);
	emit(e, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	for (size_t i = start; i < e->n; i++)
		if (e->v[i].off == JUMP_TO_NEXT)
			e->v[i].off = (int16_t)(e->n - (i + 1));
	return unconditional;
}

int cgroup_bpf_devices_compile(const struct cgroup_device_rule *rules, size_t n,
			       struct bpf_insn **insns, size_t *n_insns, struct berth_err *err)
{
	struct emitter e = { 0 };
	bool done = false;

	for (size_t i = 0; i < n; i++) {
		if (rules[i].type != 'a' && rules[i].type != 'b' && rules[i].type != 'c')
			return berth_err_set(err, EINVAL, "device rule %zu: bad type '%c'", i,
					     rules[i].type);
		/* The context holds u32 numbers and jumps compare against a
		 * sign-extended imm32, so only 0..INT32_MAX compares exactly. */
		if (rules[i].major > INT32_MAX || rules[i].minor > INT32_MAX ||
		    rules[i].major < -1 || rules[i].minor < -1)
			return berth_err_set(err, ERANGE,
					     "device rule %zu: major/minor out of range", i);
	}
	emit(&e, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1,
	     offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
	emit(&e, BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
	emit(&e, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1,
	     offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
	emit(&e, BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
	emit(&e, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1,
	     offsetof(struct bpf_cgroup_dev_ctx, major), 0);
	emit(&e, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1,
	     offsetof(struct bpf_cgroup_dev_ctx, minor), 0);
	for (size_t i = n; i-- > 0 && !done;)
		done = emit_rule(&e, &rules[i]);
	if (!done) {
		emit(&e, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
		emit(&e, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	*insns = e.v;
	*n_insns = e.n;
	return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int cgroup_bpf_devices_load(const struct bpf_insn *insns, size_t n, struct berth_err *err)
{
	union bpf_attr attr;
	autofree char *log = NULL;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)n;
	/* The program calls no helper at all, so it needs no GPL-compatible
	 * license; name the project's own. */
	attr.license = (uint64_t)(uintptr_t) "Apache-2.0";
	fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	if (errno != EACCES && errno != EINVAL)
		return berth_err_set(err, errno, "load device cgroup program");
	/* Load again with the verifier's log so the error says why. */
	log = xzalloc(16384);
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = 16384;
	attr.log_level = 1;
	fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	for (size_t l = strlen(log); l > 0 && log[l - 1] == '\n'; l--)
		log[l - 1] = '\0';
	return berth_err_set(err, errno, "load device cgroup program (verifier: %.1500s)", log);
}

int cgroup_bpf_prog_id(int prog_fd, uint32_t *id, struct berth_err *err)
{
	struct bpf_prog_info info;
	union bpf_attr attr;

	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (uint32_t)prog_fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uint64_t)(uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0)
		return berth_err_set(err, errno, "get bpf program info");
	*id = info.id;
	return 0;
}

int cgroup_bpf_devices_query(int cgroup_fd, uint32_t *ids, size_t *n, struct berth_err *err)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)cgroup_fd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = (uint32_t)*n;
	if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
		return berth_err_set(err, errno, "query device cgroup programs");
	*n = attr.query.prog_cnt;
	return 0;
}

static int prog_attach(int cgroup_fd, int prog_fd, uint32_t flags)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgroup_fd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = flags;
	return sys_bpf(BPF_PROG_ATTACH, &attr);
}

static int prog_detach_id(int cgroup_fd, uint32_t id, struct berth_err *err)
{
	union bpf_attr attr;
	autoclose int fd = -1;

	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id;
	fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return berth_err_set(err, errno, "get bpf program %u", id);
	}
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgroup_fd;
	attr.attach_bpf_fd = (uint32_t)fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	if (sys_bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
		return berth_err_set(err, errno, "detach device cgroup program %u", id);
	return 0;
}

int cgroup_bpf_devices_attach(int cgroup_fd, int prog_fd, struct berth_err *err)
{
	uint32_t old[64];
	size_t n_old = ARRAY_SIZE(old);

	if (cgroup_bpf_devices_query(cgroup_fd, old, &n_old, err) < 0)
		return -1;
	if (n_old > ARRAY_SIZE(old))
		n_old = ARRAY_SIZE(old);
	if (prog_attach(cgroup_fd, prog_fd, BPF_F_ALLOW_MULTI) < 0) {
		/* EPERM: someone attached a program without ALLOW_MULTI;
		 * take it off first (briefly leaving no device filter on this
		 * cgroup: parents' programs still apply). */
		if (errno != EPERM || n_old == 0)
			return berth_err_set(err, errno, "attach device cgroup program");
		for (size_t i = 0; i < n_old; i++)
			if (prog_detach_id(cgroup_fd, old[i], err) < 0)
				return -1;
		if (prog_attach(cgroup_fd, prog_fd, BPF_F_ALLOW_MULTI) < 0)
			return berth_err_set(err, errno, "attach device cgroup program");
		return 0;
	}
	for (size_t i = 0; i < n_old; i++)
		if (prog_detach_id(cgroup_fd, old[i], err) < 0)
			return berth_err_wrap(err, "replace device cgroup program");
	return 0;
}

int cgroup_devices_bpf_apply(struct cgroup *cg, struct cgroup_hier *h,
			     const struct cgroup_device_rule *rules, size_t n,
			     struct berth_err *err)
{
	autofree struct bpf_insn *insns = NULL;
	autoclose int prog = -1;
	autoclose int dir = -1;
	size_t n_insns;
	uint32_t id;

	if (cgroup_bpf_devices_compile(rules, n, &insns, &n_insns, err) < 0)
		return -1;
	prog = cgroup_bpf_devices_load(insns, n_insns, err);
	if (prog < 0)
		return -1;
	dir = open(h->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return berth_err_set(err, errno, "open %s", h->path);
	if (cgroup_bpf_devices_attach(dir, prog, err) < 0)
		return berth_err_wrap(err, "%s", h->path);
	if (cgroup_bpf_prog_id(prog, &id, err) < 0)
		return -1;
	/* The attachment holds the program; our fd may close. */
	cg->bpf_prog_id = id;
	return 0;
}
