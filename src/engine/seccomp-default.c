/* Docker's default seccomp profile as data.
 *
 * The facts are those of moby's profiles/seccomp default profile: every
 * syscall not named here fails with EPERM; a long list is always allowed;
 * some are allowed only on the architectures that have them; the
 * dangerous ones (mount, unshare, setns, bpf, kexec, module loading, the
 * clock, reboot, ptrace of other processes) only to a container that holds
 * the capability guarding them; clone without CAP_SYS_ADMIN only without
 * any namespace flag; clone3, whose flags live in memory a filter cannot
 * read, fails with ENOSYS so that the C library falls back to clone;
 * personality only to the harmless values. What docker leaves out is as
 * much the profile as what it allows: keyctl, add_key and request_key (the
 * kernel keyring is not namespaced), userfaultfd, io_uring_*, the old
 * SysV/compat calls, kexec_*, swapon/swapoff, acct, open_by_handle_at.
 *
 * The profile is written in docker's file format and converted like a
 * user's profile file (ocispec-seccomp.c), so there is a single place where
 * includes/excludes are decided. */
#include "engine/seccomp-default.h"

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/cleanup.h"

#define EPERM_RET  1
#define ENOSYS_RET 38

/* Always allowed (in moby's order: alphabetical). */
static const char *const allowed[] = {
	"accept",
	"accept4",
	"access",
	"adjtimex",
	"alarm",
	"bind",
	"brk",
	"cachestat",
	"capget",
	"capset",
	"chdir",
	"chmod",
	"chown",
	"chown32",
	"clock_adjtime",
	"clock_adjtime64",
	"clock_getres",
	"clock_getres_time64",
	"clock_gettime",
	"clock_gettime64",
	"clock_nanosleep",
	"clock_nanosleep_time64",
	"close",
	"close_range",
	"connect",
	"copy_file_range",
	"creat",
	"dup",
	"dup2",
	"dup3",
	"epoll_create",
	"epoll_create1",
	"epoll_ctl",
	"epoll_ctl_old",
	"epoll_pwait",
	"epoll_pwait2",
	"epoll_wait",
	"epoll_wait_old",
	"eventfd",
	"eventfd2",
	"execve",
	"execveat",
	"exit",
	"exit_group",
	"faccessat",
	"faccessat2",
	"fadvise64",
	"fadvise64_64",
	"fallocate",
	"fanotify_mark",
	"fchdir",
	"fchmod",
	"fchmodat",
	"fchmodat2",
	"fchown",
	"fchown32",
	"fchownat",
	"fcntl",
	"fcntl64",
	"fdatasync",
	"fgetxattr",
	"flistxattr",
	"flock",
	"fork",
	"fremovexattr",
	"fsetxattr",
	"fstat",
	"fstat64",
	"fstatat64",
	"fstatfs",
	"fstatfs64",
	"fsync",
	"ftruncate",
	"ftruncate64",
	"futex",
	"futex_requeue",
	"futex_time64",
	"futex_wait",
	"futex_waitv",
	"futex_wake",
	"futimesat",
	"get_robust_list",
	"get_thread_area",
	"getcpu",
	"getcwd",
	"getdents",
	"getdents64",
	"getegid",
	"getegid32",
	"geteuid",
	"geteuid32",
	"getgid",
	"getgid32",
	"getgroups",
	"getgroups32",
	"getitimer",
	"getpeername",
	"getpgid",
	"getpgrp",
	"getpid",
	"getppid",
	"getpriority",
	"getrandom",
	"getresgid",
	"getresgid32",
	"getresuid",
	"getresuid32",
	"getrlimit",
	"getrusage",
	"getsid",
	"getsockname",
	"getsockopt",
	"gettid",
	"gettimeofday",
	"getuid",
	"getuid32",
	"getxattr",
	"inotify_add_watch",
	"inotify_init",
	"inotify_init1",
	"inotify_rm_watch",
	"io_cancel",
	"io_destroy",
	"io_getevents",
	"io_pgetevents",
	"io_pgetevents_time64",
	"io_setup",
	"io_submit",
	"ioctl",
	"ioprio_get",
	"ioprio_set",
	"ipc",
	"kill",
	"landlock_add_rule",
	"landlock_create_ruleset",
	"landlock_restrict_self",
	"lchown",
	"lchown32",
	"lgetxattr",
	"link",
	"linkat",
	"listen",
	"listxattr",
	"llistxattr",
	"_llseek",
	"lremovexattr",
	"lseek",
	"lsetxattr",
	"lstat",
	"lstat64",
	"madvise",
	"map_shadow_stack",
	"membarrier",
	"memfd_create",
	"memfd_secret",
	"mincore",
	"mkdir",
	"mkdirat",
	"mknod",
	"mknodat",
	"mlock",
	"mlock2",
	"mlockall",
	"mmap",
	"mmap2",
	"mprotect",
	"mq_getsetattr",
	"mq_notify",
	"mq_open",
	"mq_timedreceive",
	"mq_timedreceive_time64",
	"mq_timedsend",
	"mq_timedsend_time64",
	"mq_unlink",
	"mremap",
	"msgctl",
	"msgget",
	"msgrcv",
	"msgsnd",
	"msync",
	"munlock",
	"munlockall",
	"munmap",
	"name_to_handle_at",
	"nanosleep",
	"newfstatat",
	"_newselect",
	"open",
	"openat",
	"openat2",
	"pause",
	"pidfd_open",
	"pidfd_send_signal",
	"pipe",
	"pipe2",
	"pkey_alloc",
	"pkey_free",
	"pkey_mprotect",
	"poll",
	"ppoll",
	"ppoll_time64",
	"prctl",
	"pread64",
	"preadv",
	"preadv2",
	"prlimit64",
	"process_mrelease",
	"pselect6",
	"pselect6_time64",
	"pwrite64",
	"pwritev",
	"pwritev2",
	"read",
	"readahead",
	"readlink",
	"readlinkat",
	"readv",
	"recv",
	"recvfrom",
	"recvmmsg",
	"recvmmsg_time64",
	"recvmsg",
	"remap_file_pages",
	"removexattr",
	"rename",
	"renameat",
	"renameat2",
	"restart_syscall",
	"rmdir",
	"rseq",
	"rt_sigaction",
	"rt_sigpending",
	"rt_sigprocmask",
	"rt_sigqueueinfo",
	"rt_sigreturn",
	"rt_sigsuspend",
	"rt_sigtimedwait",
	"rt_sigtimedwait_time64",
	"rt_tgsigqueueinfo",
	"sched_get_priority_max",
	"sched_get_priority_min",
	"sched_getaffinity",
	"sched_getattr",
	"sched_getparam",
	"sched_getscheduler",
	"sched_rr_get_interval",
	"sched_rr_get_interval_time64",
	"sched_setaffinity",
	"sched_setattr",
	"sched_setparam",
	"sched_setscheduler",
	"sched_yield",
	"seccomp",
	"select",
	"semctl",
	"semget",
	"semop",
	"semtimedop",
	"semtimedop_time64",
	"send",
	"sendfile",
	"sendfile64",
	"sendmmsg",
	"sendmsg",
	"sendto",
	"set_robust_list",
	"set_thread_area",
	"set_tid_address",
	"setfsgid",
	"setfsgid32",
	"setfsuid",
	"setfsuid32",
	"setgid",
	"setgid32",
	"setgroups",
	"setgroups32",
	"setitimer",
	"setpgid",
	"setpriority",
	"setregid",
	"setregid32",
	"setresgid",
	"setresgid32",
	"setresuid",
	"setresuid32",
	"setreuid",
	"setreuid32",
	"setrlimit",
	"setsid",
	"setsockopt",
	"setuid",
	"setuid32",
	"setxattr",
	"shmat",
	"shmctl",
	"shmdt",
	"shmget",
	"shutdown",
	"sigaltstack",
	"signalfd",
	"signalfd4",
	"sigprocmask",
	"sigreturn",
	"socket",
	"socketcall",
	"socketpair",
	"splice",
	"stat",
	"stat64",
	"statfs",
	"statfs64",
	"statx",
	"symlink",
	"symlinkat",
	"sync",
	"sync_file_range",
	"syncfs",
	"sysinfo",
	"tee",
	"tgkill",
	"time",
	"timer_create",
	"timer_delete",
	"timer_getoverrun",
	"timer_gettime",
	"timer_gettime64",
	"timer_settime",
	"timer_settime64",
	"timerfd_create",
	"timerfd_gettime",
	"timerfd_gettime64",
	"timerfd_settime",
	"timerfd_settime64",
	"times",
	"tkill",
	"truncate",
	"truncate64",
	"ugetrlimit",
	"umask",
	"uname",
	"unlink",
	"unlinkat",
	"utime",
	"utimensat",
	"utimensat_time64",
	"utimes",
	"vfork",
	"vmsplice",
	"wait4",
	"waitid",
	"waitpid",
	"write",
	"writev",
	NULL,
};

/* One argument condition, in the spec's own terms. */
struct sc_arg {
	unsigned index;
	uint64_t value, value_two;
	const char *op;
};

/* One rule as the profile format writes it. Lists end with NULL. */
struct sc_rule {
	const char *names[24];
	const char *action; /* NULL: SCMP_ACT_ALLOW */
	int errno_ret;      /* for SCMP_ACT_ERRNO */
	struct sc_arg arg;  /* used when arg.op != NULL */
	const char *min_kernel;
	const char *arches[3], *not_arches[3]; /* includes.arches, excludes.arches */
	const char *caps[2], *not_caps[2];     /* includes.caps, excludes.caps */
};

/* The namespace flags of clone(2): CLONE_NEWNS | CLONE_NEWCGROUP |
 * CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
 * CLONE_NEWNET. Without CAP_SYS_ADMIN, clone is allowed only with none of
 * them: (flags & mask) == 0. */
#define CLONE_NS_MASK UINT64_C(0x7E020000)

/* personality(2) values docker allows: PER_LINUX, PER_LINUX32,
 * UNAME26, UNAME26|PER_LINUX32 and 0xffffffff (the query). */
#define PERSONALITY(v)                                                                             \
	{                                                                                          \
		.names = { "personality" }, .arg = { 0, (v), 0, "SCMP_CMP_EQ" }                    \
	}

static const struct sc_rule rules[] = {
	/* Reading another process's memory or tracing it: safe since 4.8,
	 * where ptrace can no longer bypass seccomp. */
	{ .names = { "process_vm_readv", "process_vm_writev", "ptrace" }, .min_kernel = "4.8" },
	PERSONALITY(0x0),
	PERSONALITY(0x8),
	PERSONALITY(0x20000),
	PERSONALITY(0x20008),
	PERSONALITY(0xffffffff),

	/* Architecture-specific calls, where the architecture has them. */
	{ .names = { "sync_file_range2", "swapcontext" }, .arches = { "ppc64le" } },
	{ .names = { "arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
		     "cacheflush", "set_tls" },
	  .arches = { "arm", "arm64" } },
	{ .names = { "arch_prctl" }, .arches = { "amd64", "x32" } },
	{ .names = { "modify_ldt" }, .arches = { "amd64", "x32", "x86" } },
	{ .names = { "s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr" },
	  .arches = { "s390", "s390x" } },
	{ .names = { "riscv_flush_icache" }, .arches = { "riscv64" } },

	/* What a capability guards. */
	{ .names = { "open_by_handle_at" }, .caps = { "CAP_DAC_READ_SEARCH" } },
	{ .names = { "bpf",           "clone",         "clone3",      "fanotify_init",   "fsconfig",
		     "fsmount",       "fsopen",        "fspick",      "lookup_dcookie",  "mount",
		     "mount_setattr", "move_mount",    "open_tree",   "perf_event_open", "quotactl",
		     "quotactl_fd",   "setdomainname", "sethostname", "setns",           "syslog",
		     "umount",        "umount2",       "unshare" },
	  .caps = { "CAP_SYS_ADMIN" } },
	{ .names = { "clone" },
	  .arg = { 0, CLONE_NS_MASK, 0, "SCMP_CMP_MASKED_EQ" },
	  .not_arches = { "s390", "s390x" },
	  .not_caps = { "CAP_SYS_ADMIN" } },
	/* s390 passes clone's flags second. */
	{ .names = { "clone" },
	  .arg = { 1, CLONE_NS_MASK, 0, "SCMP_CMP_MASKED_EQ" },
	  .arches = { "s390", "s390x" },
	  .not_caps = { "CAP_SYS_ADMIN" } },
	{ .names = { "clone3" },
	  .action = "SCMP_ACT_ERRNO",
	  .errno_ret = ENOSYS_RET,
	  .not_caps = { "CAP_SYS_ADMIN" } },
	{ .names = { "reboot" }, .caps = { "CAP_SYS_BOOT" } },
	{ .names = { "chroot" }, .caps = { "CAP_SYS_CHROOT" } },
	{ .names = { "delete_module", "init_module", "finit_module" },
	  .caps = { "CAP_SYS_MODULE" } },
	{ .names = { "acct" }, .caps = { "CAP_SYS_PACCT" } },
	{ .names = { "kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
		     "process_vm_writev", "ptrace" },
	  .caps = { "CAP_SYS_PTRACE" } },
	{ .names = { "iopl", "ioperm" }, .caps = { "CAP_SYS_RAWIO" } },
	{ .names = { "settimeofday", "stime", "clock_settime", "clock_settime64" },
	  .caps = { "CAP_SYS_TIME" } },
	{ .names = { "vhangup" }, .caps = { "CAP_SYS_TTY_CONFIG" } },
	{ .names = { "get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node" },
	  .caps = { "CAP_SYS_NICE" } },
	{ .names = { "syslog" }, .caps = { "CAP_SYSLOG" } },
	{ .names = { "bpf" }, .caps = { "CAP_BPF" } },
	{ .names = { "perf_event_open" }, .caps = { "CAP_PERFMON" } },
};

/* moby's archMap: a profile for the native architecture also covers the
 * compat ABIs the same kernel runs. */
static const struct {
	const char *arch;
	const char *subs[3];
} arch_map[] = {
	{ "SCMP_ARCH_X86_64", { "SCMP_ARCH_X86", "SCMP_ARCH_X32" } },
	{ "SCMP_ARCH_AARCH64", { "SCMP_ARCH_ARM" } },
	{ "SCMP_ARCH_MIPS64", { "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32" } },
	{ "SCMP_ARCH_MIPS64N32", { "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64" } },
	{ "SCMP_ARCH_MIPSEL64", { "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32" } },
	{ "SCMP_ARCH_MIPSEL64N32", { "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64" } },
	{ "SCMP_ARCH_S390X", { "SCMP_ARCH_S390" } },
	{ "SCMP_ARCH_RISCV64", { NULL } },
};

/* A NULL-terminated list (of at most max) as a JSON array. */
static json_object *str_array(const char *const *v, size_t max)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < max && v[i] != NULL; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

/* The names libseccomp can resolve (on any architecture it knows). */
static json_object *known_names(const char *const *v, size_t max)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < max && v[i] != NULL; i++)
		if (seccomp_syscall_resolve_name(v[i]) != __NR_SCMP_ERROR)
			json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

/* includes or excludes: {"arches": [...], "caps": [...], "minKernel": ...} */
static json_object *filter_json(const char *const *arches, const char *const *caps,
				const char *min_kernel)
{
	json_object *f = json_object_new_object();

	if (arches[0] != NULL)
		json_object_object_add(f, "arches", str_array(arches, 3));
	if (caps[0] != NULL)
		json_object_object_add(f, "caps", str_array(caps, 2));
	if (min_kernel != NULL)
		json_object_object_add(f, "minKernel", json_object_new_string(min_kernel));
	return f;
}

static json_object *arg_json(const struct sc_arg *a)
{
	json_object *args = json_object_new_array(), *o = json_object_new_object();

	json_object_object_add(o, "index", json_object_new_int64(a->index));
	json_object_object_add(o, "value", json_object_new_uint64(a->value));
	json_object_object_add(o, "valueTwo", json_object_new_uint64(a->value_two));
	json_object_object_add(o, "op", json_object_new_string(a->op));
	json_object_array_add(args, o);
	return args;
}

static json_object *rule_json(const struct sc_rule *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "names", known_names(r->names, ARRAY_SIZE(r->names)));
	json_object_object_add(o, "action",
			       json_object_new_string(r->action ? r->action : "SCMP_ACT_ALLOW"));
	if (r->errno_ret != 0)
		json_object_object_add(o, "errnoRet", json_object_new_int(r->errno_ret));
	if (r->arg.op != NULL)
		json_object_object_add(o, "args", arg_json(&r->arg));
	json_object_object_add(o, "includes", filter_json(r->arches, r->caps, r->min_kernel));
	json_object_object_add(o, "excludes", filter_json(r->not_arches, r->not_caps, NULL));
	return o;
}

json_object *seccomp_default_profile(void)
{
	json_object *p = json_object_new_object(), *map = json_object_new_array();
	json_object *calls = json_object_new_array(), *all = json_object_new_object();

	json_object_object_add(p, "defaultAction", json_object_new_string("SCMP_ACT_ERRNO"));
	json_object_object_add(p, "defaultErrnoRet", json_object_new_int(EPERM_RET));
	for (size_t i = 0; i < ARRAY_SIZE(arch_map); i++) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "architecture", json_object_new_string(arch_map[i].arch));
		json_object_object_add(e, "subArchitectures", str_array(arch_map[i].subs, 3));
		json_object_array_add(map, e);
	}
	json_object_object_add(p, "archMap", map);

	json_object_object_add(all, "names", known_names(allowed, ARRAY_SIZE(allowed)));
	json_object_object_add(all, "action", json_object_new_string("SCMP_ACT_ALLOW"));
	json_object_array_add(calls, all);
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		json_object_array_add(calls, rule_json(&rules[i]));
	json_object_object_add(p, "syscalls", calls);
	return p;
}
