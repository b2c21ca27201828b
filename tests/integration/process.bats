#!/usr/bin/env bats
# The process: argv, environment, cwd, identity, umask, rlimits, no_new_privs,
# oom_score_adj, exit status, and the descriptors it inherits.

load helpers

@test "args reach the process unchanged" {
	run_probe_ok report "two words" '$HOME' "-c" 'quote"back\slash'
	assert_pj '.argv | length' 6
	assert_pj '.argv[2]' "two words"
	assert_pj '.argv[3]' '$HOME'
	assert_pj '.argv[4]' "-c"
	assert_pj '.argv[5]' 'quote"back\slash'
}

@test "env is exactly the configured list" {
	cfg '.process.env = ["PATH=/bin", "FOO=bar baz", "EMPTY=", "HOME=/nowhere"]'
	run_probe_ok report
	assert_pj '.env | join("|")' "PATH=/bin|FOO=bar baz|EMPTY=|HOME=/nowhere"
}

@test "cwd is the configured directory" {
	mkdir -p "$BUNDLE/rootfs/srv/app"
	cfg '.process.cwd = "/srv/app"'
	run_probe_ok report
	assert_pj .cwd /srv/app
}

@test "uid, gid and additionalGids are applied" {
	cfg '.process.user = {uid: 1000, gid: 1001, additionalGids: [10, 20]}'
	run_probe_ok report
	assert_pj .uid 1000
	assert_pj .euid 1000
	assert_pj .gid 1001
	assert_pj .egid 1001
	assert_pj '.groups | sort | join(",")' "10,20"
}

@test "a non-root user has no effective capabilities" {
	cfg '.process.user = {uid: 1000, gid: 1000}'
	run_probe_ok report
	assert_pj .CapEff "$CAPS_NONE"
	assert_pj .CapPrm "$CAPS_NONE"
}

@test "umask is applied" {
	cfg '.process.user.umask = 63' # 0077
	run_probe_ok report
	assert_pj .umask 0077
}

@test "the default umask is 0022" {
	run_probe_ok report
	assert_pj .umask 0022
}

@test "rlimits are applied" {
	cfg '.process.rlimits = [
		{type: "RLIMIT_NOFILE", soft: 512, hard: 1024},
		{type: "RLIMIT_NPROC", soft: 300, hard: 400},
		{type: "RLIMIT_CORE", soft: 0, hard: 0}]'
	run_probe_ok report
	assert_pj .rlimits.RLIMIT_NOFILE.soft 512
	assert_pj .rlimits.RLIMIT_NOFILE.hard 1024
	assert_pj .rlimits.RLIMIT_NPROC.soft 300
	assert_pj .rlimits.RLIMIT_NPROC.hard 400
	assert_pj .rlimits.RLIMIT_CORE.hard 0
}

@test "noNewPrivileges sets no_new_privs" {
	run_probe_ok report
	assert_pj .NoNewPrivs 1
	cfg '.process.noNewPrivileges = false'
	run_probe_ok report
	assert_pj .NoNewPrivs 0
}

@test "oomScoreAdj is applied" {
	cfg '.process.oomScoreAdj = 500'
	run_probe_ok report
	assert_pj .oom_score_adj 500
}

@test "scheduler, ioPriority and execCPUAffinity reach the process" {
	is_runc && skip "runc 1.1 predates these fields (runtime-spec 1.2)"
	set_args /probe sleep 120
	cfg '.process.scheduler = {policy: "SCHED_BATCH", nice: 5}
	     | .process.ioPriority = {class: "IOPRIO_CLASS_BE", priority: 6}
	     | .process.execCPUAffinity = {final: "0"}'
	create_container
	rt_ok start "$CID"
	wait_status running
	local pid
	pid=$(container_pid)
	chrt -p "$pid" | grep -q SCHED_BATCH || fail "policy: $(chrt -p "$pid")"
	assert_eq "$(ps -o ni= -p "$pid" | tr -d ' ')" 5 "nice"
	assert_eq "$(ionice -p "$pid")" "best-effort: prio 6" "I/O priority"
	assert_eq "$(taskset -cp "$pid" | sed 's/.*: //')" 0 "CPU affinity"
}

@test "linux.memoryPolicy binds the process's memory to the asked nodes" {
	is_runc && skip "runc 1.1 predates linux.memoryPolicy (runtime-spec 1.2)"
	[ -e /proc/self/numa_maps ] || skip "the kernel has no NUMA support"
	set_args /probe sleep 120
	cfg '.linux.memoryPolicy = {mode: "MPOL_BIND", nodes: "0"}'
	create_container
	rt_ok start "$CID"
	wait_status running
	grep -q " bind:0 " "/proc/$(container_pid)/numa_maps" ||
		fail "no bind:0 policy: $(head -3 "/proc/$(container_pid)/numa_maps")"
}

@test "the exit status of the process is the runtime's" {
	run_probe exit 7
	assert_eq "$status" 7 "exit status"
	run_probe exit 0
	assert_eq "$status" 0 "exit status"
}

@test "no descriptor of the runtime leaks into the process" {
	run_probe_ok ls /proc/self/fd
	# 0-2, plus the directory stream the probe itself opened.
	assert_pj '.entries | map(tonumber) | sort | join(",")' "0,1,2,3"
}

@test "the process sees its own root, not the host's" {
	run_probe_ok ls /
	pj '.entries[]' | grep -qx probe || fail "no /probe in the root: $output"
	pj '.entries[]' | grep -qx work && fail "host /work visible in the container"
	return 0
}
