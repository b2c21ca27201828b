/* What seccomp.c shares with seccomp-enosys.c. */
#pragma once

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

struct berth_err;

/* One architecture of a filter and the highest syscall number its profile
 * names there. */
struct seccomp_enosys_arch {
	uint32_t audit_arch; /* AUDIT_ARCH_* (libseccomp's SCMP_ARCH_* token) */
	uint32_t max_nr;
};

/* Puts runc's ENOSYS stub in front of the compiled program *prog (*len
 * instructions, reallocated): on each architecture listed, a syscall
 * numbered above the profile's highest fails with ENOSYS instead of the
 * default action. */
int seccomp_enosys_prepend(struct sock_filter **prog, size_t *len,
			   const struct seccomp_enosys_arch *archs, size_t n_archs,
			   struct berth_err *err);
