#!/usr/bin/env bats
# Seccomp: a filter is installed (mode 2) and each action does what it says.

load helpers

# deny NAME ACTION [ERRNO]: default-allow filter with one rule.
deny() {
	local rule
	rule=$(jq -n --arg n "$1" --arg a "$2" '{names: [$n], action: $a}')
	[ -n "${3:-}" ] && rule=$(jq --argjson e "$3" '.errnoRet = $e' <<<"$rule")
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"], syscalls: [$r]}' \
		--argjson r "$rule"
}

@test "a filter puts the process in seccomp mode 2" {
	run_probe_ok report
	assert_pj .Seccomp 0
	deny mkdir SCMP_ACT_ERRNO 38
	run_probe_ok report
	assert_pj .Seccomp 2
}

@test "a denied syscall returns the configured errnoRet" {
	deny mkdir SCMP_ACT_ERRNO 38
	run_probe_ok syscall mkdir /tmp/denied
	assert_pj .ret -1
	assert_pj .errno 38
	[ ! -e "$BUNDLE/rootfs/tmp/denied" ] || fail "mkdir went through"
	# Other syscalls, even mkdirat, are untouched.
	run_probe_ok syscall mkdirat /tmp/allowed
	assert_pj .ret 0
	[ -d "$BUNDLE/rootfs/tmp/allowed" ] || fail "mkdirat did not create the directory"
}

@test "SCMP_ACT_ERRNO without errnoRet returns EPERM" {
	deny mkdir SCMP_ACT_ERRNO
	run_probe_ok syscall mkdir
	assert_pj .errno 1
}

@test "SCMP_ACT_KILL_PROCESS kills with SIGSYS" {
	deny getppid SCMP_ACT_KILL_PROCESS
	run_probe syscall getppid
	assert_eq "$status" 159 "exit status (128 + SIGSYS)"
	[ -z "$output" ] || fail "the syscall returned: $output"
}

@test "SCMP_ACT_KILL kills with SIGSYS" {
	deny getppid SCMP_ACT_KILL
	run_probe syscall getppid
	assert_eq "$status" 159 "exit status (128 + SIGSYS)"
}

@test "SCMP_ACT_LOG lets the syscall through" {
	deny mkdir SCMP_ACT_LOG
	run_probe_ok syscall mkdir /tmp/logged
	assert_pj .ret 0
}

@test "argument conditions select which calls are denied" {
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [
		{names: ["personality"], action: "SCMP_ACT_ERRNO", errnoRet: 22,
		 args: [{index: 0, value: 4294967295, op: "SCMP_CMP_EQ"}]}]}'
	run_probe_ok syscall personality
	assert_pj .errno 22
	run_probe_ok syscall getpid
	assert_pj .errno 0
}

@test "the filter applies without noNewPrivileges" {
	cfg '.process.noNewPrivileges = false'
	deny mkdir SCMP_ACT_ERRNO 38
	run_probe_ok syscall mkdir
	assert_pj .errno 38
	run_probe_ok report
	assert_pj .NoNewPrivs 0
	assert_pj .Seccomp 2
}

@test "a default-deny filter with an allow list" {
	# Only what a static binary and the runtime's final exec need.
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1, syscalls: [
		{names: ["execve", "execveat", "brk", "arch_prctl", "set_tid_address", "set_robust_list",
			"rseq", "prlimit64", "mprotect", "mmap", "munmap", "mremap", "madvise", "uname",
			"readlink", "readlinkat", "getrandom", "read", "write", "pread64", "pwrite64",
			"readv", "writev", "exit_group", "exit", "getpid", "getppid", "gettid", "tgkill",
			"kill", "newfstatat", "fstat", "stat", "lstat", "statx", "statfs", "fstatfs",
			"futex", "capget", "capset", "getuid", "getgid", "geteuid", "getegid",
			"getgroups", "setgroups", "setuid", "setgid", "setresuid", "setresgid", "prctl",
			"open", "openat", "openat2", "close", "close_range", "fcntl", "dup", "dup2",
			"dup3", "pipe2", "lseek", "ioctl", "getdents64", "getcwd", "chdir", "fchdir",
			"fchown", "umask", "access", "faccessat", "faccessat2", "rt_sigaction",
			"rt_sigprocmask", "rt_sigreturn", "sigaltstack", "nanosleep",
			"clock_nanosleep", "clock_gettime", "sched_yield", "sched_getaffinity",
			"epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_wait", "eventfd2", "poll",
			"ppoll", "pselect6", "clone", "clone3", "wait4", "waitid", "socket", "connect",
			"sendto", "sendmsg", "recvfrom", "recvmsg", "getsockopt", "setsockopt",
			"fsync", "mkdir"],
		 action: "SCMP_ACT_ALLOW"}]}'
	if [ "$(jq -r .linux.seccomp.defaultErrnoRet "$BUNDLE/config.json")" != null ] && is_runc; then
		cfg 'del(.linux.seccomp.defaultErrnoRet)' # runc 1.1 knows it, older ones do not
	fi
	run_probe_ok syscall getppid
	assert_pj .errno 0
	run_probe_ok syscall sethostname x
	assert_pj .errno 1
	run_probe_ok syscall rmdir /tmp
	assert_pj .errno 1
}

# enosys_case: with a profile whose default is an errno, a syscall above
# the highest the profile names (fchmodat2, 452; 1000) fails with ENOSYS,
# so a newer libc falls back; one below it that the profile does not allow
# gets the profile's errno; with an allowing default, nothing changes.
enosys_case() {
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1,
		architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], syscalls: [
		{names: ["execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq",
			"prlimit64", "mprotect", "mmap", "munmap", "uname", "readlink", "getrandom",
			"read", "write", "writev", "exit_group", "exit", "getppid", "newfstatat", "fstat",
			"futex", "openat", "close", "fcntl", "ioctl", "rt_sigaction", "rt_sigprocmask",
			"rt_sigreturn", "capget", "capset", "prctl", "setgroups", "setresuid",
			"setresgid", "setuid", "setgid", "getcwd", "chdir", "faccessat2", "close_range",
			"dup3", "fchdir", "umask", "getpid", "lseek", "getuid", "geteuid", "getgid",
			"getegid", "fstatfs", "statfs", "openat2", "epoll_create1", "epoll_ctl",
			"epoll_pwait", "epoll_wait", "pipe2", "nanosleep", "clock_gettime", "sched_yield",
			"sigaltstack", "gettid", "tgkill", "madvise", "getdents64", "clone", "clone3",
			"wait4", "mkdirat", "unlinkat", "socket", "connect", "sendto", "recvfrom"],
		 action: "SCMP_ACT_ALLOW"},
		{names: ["sethostname"], action: "SCMP_ACT_ERRNO", errnoRet: 13}]}'
	run_probe_ok syscall getppid
	assert_pj .errno 0
	# named, denied with its own errno
	run_probe_ok syscall sethostname x
	assert_pj .errno 13
	# not named, below the highest named (faccessat2, 439): the default
	run_probe_ok syscall nr:97 # getrlimit
	assert_pj .errno 1
	run_probe_ok syscall nr:440 # process_madvise: above 439
	assert_pj .errno 38
	run_probe_ok syscall nr:452 # fchmodat2
	assert_pj .errno 38
	run_probe_ok syscall nr:1000
	assert_pj .errno 38
	# an allowing default: what the kernel says (ENOSYS for 1000, nothing else)
	cfg '.linux.seccomp.defaultAction = "SCMP_ACT_ALLOW" | del(.linux.seccomp.defaultErrnoRet)'
	run_probe_ok syscall nr:97
	assert_pj .errno 14 # getrlimit(0, NULL): EFAULT, it ran
	# a default that is ENOSYS itself: unchanged
	cfg '.linux.seccomp.defaultAction = "SCMP_ACT_ERRNO" | .linux.seccomp.defaultErrnoRet = 38'
	run_probe_ok syscall nr:97
	assert_pj .errno 38
}

@test "seccomp: a syscall newer than the profile fails with ENOSYS, as runc's stub makes it" {
	enosys_case
	if is_berth && command -v runc >/dev/null; then
		# the same case under runc, side by side
		RUNTIME=$(command -v runc) enosys_case
	fi
}
