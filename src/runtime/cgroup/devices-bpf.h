/* Device rules as a BPF_PROG_TYPE_CGROUP_DEVICE program: the only way
 * cgroup v2 filters device access (it has no devices.allow). The compiler
 * is pure so tests can inspect and interpret what it emits; load and
 * attach are thin bpf(2) wrappers.
 *
 * Semantics of the compiled program, matching the v1 devices controller
 * the rules were written for:
 *  - rules are evaluated last to first and the first that matches decides,
 *    so "the last matching rule wins" as with successive writes to
 *    devices.allow/deny;
 *  - type 'a' matches block and char devices, major/minor -1 match any;
 *  - an allow rule matches when every requested access bit is in its
 *    access (an "r" rule does not allow an O_RDWR open);
 *    a deny rule matches when any requested bit is in its access (denying
 *    "w" also refuses an O_RDWR open), as v1's default-allow mode did;
 *  - nothing matched: deny. A list that starts with allow-all therefore
 *    behaves as allow-by-default, one that starts with deny-all (or has
 *    no 'a' rule) as deny-by-default. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct berth_err;
struct bpf_insn;
struct cgroup_device_rule;

/* Emits the program for rules; caller frees *insns. Fails only for a
 * major/minor the context cannot hold. */
int cgroup_bpf_devices_compile(const struct cgroup_device_rule *rules, size_t n,
			       struct bpf_insn **insns, size_t *n_insns, struct berth_err *err);

/* bpf(BPF_PROG_LOAD); the verifier's log is in the error on rejection.
 * Returns the program fd. */
int cgroup_bpf_devices_load(const struct bpf_insn *insns, size_t n, struct berth_err *err);

/* Attaches prog_fd to the cgroup2 directory cgroup_fd with
 * BPF_F_ALLOW_MULTI, then detaches every device program that was attached
 * there before, so an update replaces the policy. The window in which both
 * are attached only narrows access (all attached programs must allow). */
int cgroup_bpf_devices_attach(int cgroup_fd, int prog_fd, struct berth_err *err);

/* The kernel's id for a loaded program (kept in the state file). */
int cgroup_bpf_prog_id(int prog_fd, uint32_t *id, struct berth_err *err);

/* Ids of the device programs attached directly to cgroup_fd. */
int cgroup_bpf_devices_query(int cgroup_fd, uint32_t *ids, size_t *n, struct berth_err *err);
