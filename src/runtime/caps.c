/* Capability names and the five sets of process.capabilities.
 *
 * The name table covers every capability up to CAP_CHECKPOINT_RESTORE (40,
 * Linux 5.9). A spec may name a capability the running kernel predates; that
 * is not the spec's fault, so such names are skipped with a warning rather
 * than failing the container, which is what runc does. A name no kernel
 * knows is a typo and an error. */
#include "runtime/caps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "runtime/spec.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/log.h"

static const char *const cap_names[] = {
	[CAP_CHOWN] = "CAP_CHOWN",
	[CAP_DAC_OVERRIDE] = "CAP_DAC_OVERRIDE",
	[CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
	[CAP_FOWNER] = "CAP_FOWNER",
	[CAP_FSETID] = "CAP_FSETID",
	[CAP_KILL] = "CAP_KILL",
	[CAP_SETGID] = "CAP_SETGID",
	[CAP_SETUID] = "CAP_SETUID",
	[CAP_SETPCAP] = "CAP_SETPCAP",
	[CAP_LINUX_IMMUTABLE] = "CAP_LINUX_IMMUTABLE",
	[CAP_NET_BIND_SERVICE] = "CAP_NET_BIND_SERVICE",
	[CAP_NET_BROADCAST] = "CAP_NET_BROADCAST",
	[CAP_NET_ADMIN] = "CAP_NET_ADMIN",
	[CAP_NET_RAW] = "CAP_NET_RAW",
	[CAP_IPC_LOCK] = "CAP_IPC_LOCK",
	[CAP_IPC_OWNER] = "CAP_IPC_OWNER",
	[CAP_SYS_MODULE] = "CAP_SYS_MODULE",
	[CAP_SYS_RAWIO] = "CAP_SYS_RAWIO",
	[CAP_SYS_CHROOT] = "CAP_SYS_CHROOT",
	[CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
	[CAP_SYS_PACCT] = "CAP_SYS_PACCT",
	[CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
	[CAP_SYS_BOOT] = "CAP_SYS_BOOT",
	[CAP_SYS_NICE] = "CAP_SYS_NICE",
	[CAP_SYS_RESOURCE] = "CAP_SYS_RESOURCE",
	[CAP_SYS_TIME] = "CAP_SYS_TIME",
	[CAP_SYS_TTY_CONFIG] = "CAP_SYS_TTY_CONFIG",
	[CAP_MKNOD] = "CAP_MKNOD",
	[CAP_LEASE] = "CAP_LEASE",
	[CAP_AUDIT_WRITE] = "CAP_AUDIT_WRITE",
	[CAP_AUDIT_CONTROL] = "CAP_AUDIT_CONTROL",
	[CAP_SETFCAP] = "CAP_SETFCAP",
	[CAP_MAC_OVERRIDE] = "CAP_MAC_OVERRIDE",
	[CAP_MAC_ADMIN] = "CAP_MAC_ADMIN",
	[CAP_SYSLOG] = "CAP_SYSLOG",
	[CAP_WAKE_ALARM] = "CAP_WAKE_ALARM",
	[CAP_BLOCK_SUSPEND] = "CAP_BLOCK_SUSPEND",
	[CAP_AUDIT_READ] = "CAP_AUDIT_READ",
	[CAP_PERFMON] = "CAP_PERFMON",
	[CAP_BPF] = "CAP_BPF",
	[CAP_CHECKPOINT_RESTORE] = "CAP_CHECKPOINT_RESTORE",
};

/* The masks in struct spec_caps are 64 bits wide. */
_Static_assert(ARRAY_SIZE(cap_names) <= 64, "capability masks are uint64_t");

int caps_from_name(const char *name)
{
	const char *bare = name;

	if (name == NULL)
		return -1;
	if (strncasecmp(name, "CAP_", 4) == 0)
		bare = name + 4;
	if (*bare == '\0')
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (cap_names[i] != NULL && strcasecmp(cap_names[i] + 4, bare) == 0)
			return (int)i;
	return -1;
}

const char *caps_to_name(int cap)
{
	if (cap < 0 || (size_t)cap >= ARRAY_SIZE(cap_names))
		return NULL;
	return cap_names[cap];
}

static int caps_read_last_cap(void)
{
	autofree char *text = NULL;
	char *end;
	long v;

	if (fs_read_file("/proc/sys/kernel/cap_last_cap", 64, &text, NULL, NULL) == 0) {
		errno = 0;
		v = strtol(text, &end, 10);
		if (errno == 0 && end != text && v >= 0 && v < 64)
			return (int)v;
	}
	/* Without /proc (an unusual sandbox), libcap probes the kernel itself. */
	v = (long)cap_max_bits() - 1;
	if (v < 0 || v >= 64)
		v = (long)ARRAY_SIZE(cap_names) - 1;
	return (int)v;
}

int caps_last_cap(void)
{
	static int last = -1;

	if (last < 0)
		last = caps_read_last_cap();
	return last;
}

int caps_parse_list(char *const *names, const char *path, uint64_t *mask, struct berth_err *err)
{
	uint64_t m = 0;
	int last = caps_last_cap();

	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		int cap = caps_from_name(names[i]);
		if (cap < 0)
			return berth_err_set(err, 0, "%s: unknown capability \"%s\"", path,
					     names[i]);
		if (cap > last) {
			log_warn("%s: %s is not supported by the running kernel, ignoring", path,
				 caps_to_name(cap));
			continue;
		}
		m |= UINT64_C(1) << cap;
	}
	*mask = m;
	return 0;
}

static bool caps_has(uint64_t mask, int cap)
{
	return (mask & (UINT64_C(1) << cap)) != 0;
}

/* Name for messages, also for capabilities newer than the table. */
static const char *caps_label(int cap, char *buf, size_t len)
{
	const char *name = caps_to_name(cap);
	if (name != NULL)
		return name;
	snprintf(buf, len, "capability %d", cap);
	return buf;
}

int caps_apply_bounding(const struct spec_caps *c, struct berth_err *err)
{
	int last = caps_last_cap();
	char buf[32];

	/* No capabilities object: the process keeps what it has, as in runc. */
	if (!c->present)
		return 0;
	for (int cap = 0; cap <= last; cap++) {
		if (caps_has(c->bounding, cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0UL, 0UL, 0UL) < 0) {
			/* EINVAL: the kernel does not know it; nothing to drop. */
			if (errno == EINVAL)
				continue;
			return berth_err_set(err, errno, "drop %s from the bounding set",
					     caps_label(cap, buf, sizeof(buf)));
		}
	}
	return 0;
}

static int caps_set_flags(cap_t caps, cap_flag_t flag, uint64_t mask, int last,
			  struct berth_err *err)
{
	for (int cap = 0; cap <= last; cap++) {
		cap_value_t v = cap;
		if (!caps_has(mask, cap))
			continue;
		if (cap_set_flag(caps, flag, 1, &v, CAP_SET) < 0)
			return berth_err_set(err, errno, "set capability %d", cap);
	}
	return 0;
}

static int caps_apply_ambient(uint64_t ambient, uint64_t allowed, int last,
			      struct berth_err *err)
{
	char buf[32];

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0UL, 0UL, 0UL) < 0) {
		/* Ambient capabilities arrived in Linux 4.3; before that there
		 * is nothing to clear, and raising is only an error if asked. */
		if (errno != EINVAL || ambient != 0)
			return berth_err_set(err, errno, "clear ambient capabilities");
	}
	for (int cap = 0; cap <= last; cap++) {
		if (!caps_has(ambient, cap))
			continue;
		/* The kernel refuses (EPERM) unless the capability is both
		 * permitted and inheritable. runc's and docker's configs list
		 * ambient capabilities without inheritable ones, and runc
		 * goes on without them, silently: so do we (this runs in the
		 * container's process, whose stderr is the container's). */
		if (!caps_has(allowed, cap))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)cap, 0UL, 0UL) < 0)
			return berth_err_set(err, errno, "raise ambient capability %s",
					     caps_label(cap, buf, sizeof(buf)));
	}
	return 0;
}

int caps_apply_sets(const struct spec_caps *c, struct berth_err *err)
{
	int last = caps_last_cap();
	cap_t caps;
	int r;

	if (!c->present)
		return 0;
	caps = cap_init();
	if (caps == NULL)
		return berth_err_set(err, errno, "cap_init");
	r = caps_set_flags(caps, CAP_EFFECTIVE, c->effective, last, err);
	if (r == 0)
		r = caps_set_flags(caps, CAP_PERMITTED, c->permitted, last, err);
	if (r == 0)
		r = caps_set_flags(caps, CAP_INHERITABLE, c->inheritable, last, err);
	if (r == 0 && cap_set_proc(caps) < 0)
		r = berth_err_set(err, errno, "set process capabilities");
	cap_free(caps);
	if (r < 0)
		return r;
	return caps_apply_ambient(c->ambient, c->permitted & c->inheritable, last, err);
}
