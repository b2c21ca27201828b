/* The ENOSYS stub: a syscall newer than any the profile names fails with
 * ENOSYS, not with the profile's default errno (EPERM in docker's,
 * containerd's and podman's profiles). A libc newer than the profile
 * tries the new call first and falls back to an older one only on ENOSYS:
 * with EPERM, glibc 2.34's clone3 made every thread creation fail in
 * containers whose profile predated it (2021), and fchmodat2 (452) would
 * today. runc has put this stub before libseccomp's program since 1.0.
 *
 * Before the compiled program, for each architecture of the filter:
 *
 *     ld  [arch]                           (seccomp_data.arch)
 *     jeq ARCH, 0, <next architecture>
 *     ld  [nr]                             (seccomp_data.nr)
 *     jset 0x40000000, <program>, 0        (x86_64 only: x32 calls are the
 *                                           program's, as they were)
 *     jgt MAX, <enosys>, <program>
 *     ...
 *     ja  <program>                        (an architecture not listed)
 *   enosys:
 *     ret ERRNO(ENOSYS)
 *   program:
 *     libseccomp's program, unchanged: it loads what it needs itself.
 *
 * Conditional jumps reach 255 instructions ahead; the stub has 5 per
 * architecture, so any filter's architectures fit. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/seccomp-internal.h"
#include "util/err.h"
#include "util/xalloc.h"

#define X32_SYSCALL_BIT 0x40000000u

int seccomp_enosys_prepend(struct sock_filter **prog, size_t *len,
			   const struct seccomp_enosys_arch *archs, size_t n_archs,
			   struct berth_err *err)
{
	/* at most 5 per architecture, then ja and ret */
	size_t cap = n_archs * 5 + 3, n = 0, enosys, program;
	struct sock_filter *stub = xcalloc(cap, sizeof(*stub));
	struct sock_filter *out;
	size_t *to_next = xcalloc(n_archs + 1, sizeof(*to_next)); /* each jeq's index */

	if (n_archs == 0) {
		free(stub);
		free(to_next);
		return 0;
	}
	/* Lay out with jump targets left open, then fill them in. */
	stub[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 offsetof(struct seccomp_data, arch));
	for (size_t i = 0; i < n_archs; i++) {
		to_next[i] = n;
		stub[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
							 archs[i].audit_arch, 0, 0);
		stub[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
							 offsetof(struct seccomp_data, nr));
		if (archs[i].audit_arch == AUDIT_ARCH_X86_64)
			stub[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
								 X32_SYSCALL_BIT, 0, 0);
		stub[n++] =
		    (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, archs[i].max_nr, 0, 0);
	}
	to_next[n_archs] = n;
	stub[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA | BPF_K, 1, 0, 0);
	enosys = n;
	stub[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
	program = n;
	for (size_t i = 0; i < n_archs; i++) {
		size_t k = to_next[i];

		/* jeq: on a mismatch, the next architecture's jeq (or the ja) */
		stub[k].jf = (unsigned char)(to_next[i + 1] - k - 1);
		for (k++; k < to_next[i + 1]; k++) {
			if (stub[k].code == (BPF_JMP | BPF_JSET | BPF_K))
				stub[k].jt = (unsigned char)(program - k - 1);
			else if (stub[k].code == (BPF_JMP | BPF_JGT | BPF_K)) {
				stub[k].jt = (unsigned char)(enosys - k - 1);
				stub[k].jf = (unsigned char)(program - k - 1);
			}
		}
	}
	free(to_next);
	if (*len + n > BPF_MAXINSNS) {
		free(stub);
		return berth_err_set(
		    err, E2BIG,
		    "seccomp: the filter has %zu instructions with the ENOSYS stub "
		    "(at most %d)",
		    *len + n, BPF_MAXINSNS);
	}
	out = xcalloc(*len + n, sizeof(*out));
	memcpy(out, stub, n * sizeof(*out));
	memcpy(out + n, *prog, *len * sizeof(*out));
	free(stub);
	free(*prog);
	*prog = out;
	*len += n;
	return 0;
}
