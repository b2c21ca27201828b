#!/usr/bin/env bats
# `berth update`: a container's limits and restart policy, running (the
# cgroup the container sees changes at once) or stopped (from its next
# start), with docker's errors.

load container-helpers

# in_cg NAME V1FILE V2FILE: a cgroup file as the container sees it (its
# own cgroup namespace): v1 controllers where the host has them, else v2.
in_cg() {
	b_ok exec "$1" sh -c "cat /sys/fs/cgroup/$2 2>/dev/null || cat /sys/fs/cgroup/$3"
	echo "$output"
}

@test "update of a running container: memory, cpus and pids change in its cgroup and in inspect" {
	b_ok run -d --name up -m 64m busybox sleep 300
	assert_eq "$(in_cg up memory/memory.limit_in_bytes memory.max)" 67108864
	b_ok update -m 128m --cpus 0.5 --pids-limit 40 up
	assert_eq "$output" up
	assert_eq "$(in_cg up memory/memory.limit_in_bytes memory.max)" 134217728
	assert_eq "$(in_cg up pids/pids.max pids.max)" 40
	local quota
	quota=$(in_cg up cpu/cpu.cfs_quota_us cpu.max)
	[[ "$quota" == 50000 || "$quota" == "50000 100000" ]] || fail "cpu quota: $quota"
	b_ok inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}' up
	assert_eq "$output" "134217728 500000000 40"
	# the pids limit bites: 40 tasks at most
	b exec up sh -c 'for i in $(seq 60); do sleep 30 & done; wait'
	[ "$status" != 0 ] || fail "60 processes ran under a limit of 40"
	# and a restart keeps what update set
	b_ok restart -t 0 up
	assert_eq "$(in_cg up memory/memory.limit_in_bytes memory.max)" 134217728
	assert_eq "$(in_cg up pids/pids.max pids.max)" 40
}

@test "update of a stopped container applies at its next start; --restart takes effect at the next exit" {
	b_ok create --name st busybox sh -c 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max; exit 3'
	b_ok update --pids-limit 25 --restart on-failure:2 st
	b_ok inspect -f '{{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' st
	assert_eq "$output" "25 on-failure:2"
	b start -a st
	assert_eq "$status $output" "3 25"
	for _ in $(seq 100); do
		[ "$(db "select state || restart_count from containers where name = 'st'")" = exited2 ] && break
		sleep 0.1
	done
	assert_eq "$(db "select state, restart_count from containers where name = 'st'")" "exited|2"
	b_ok update --restart no st
	assert_eq "$(db "select json_extract(config, '$.RestartPolicy.Name') from containers where name = 'st'")" no
}

@test "update refuses what docker refuses, in one line, and changes nothing" {
	b_ok run -d --name bad -m 64m busybox sleep 300
	local before
	before=$(db "select config || spec from containers where name = 'bad'")
	b update -m 1m bad
	assert_eq "$status" 1
	assert_one_line_error "$stderr" "Minimum memory limit allowed is 6MB"
	b update -m 512m bad
	assert_eq "$status" 1
	assert_one_line_error "$stderr" "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"
	b update --cpus 999 bad
	assert_eq "$status" 1
	b update bad
	assert_eq "$status" 1
	assert_one_line_error "$stderr" "you must provide one or more flags when using this command"
	b update -m 12x bad
	assert_eq "$status" 125
	assert_one_line_error "$stderr" "invalid argument \"12x\" for \"-m, --memory\" flag: invalid size: '12x'"
	b update --restart sometimes bad
	assert_eq "$status" 1
	b update --pids-limit 5 nosuch
	assert_eq "$status" 1
	assert_one_line_error "$stderr" "No such container: nosuch"
	assert_eq "$(db "select config || spec from containers where name = 'bad'")" "$before"
	assert_eq "$(in_cg bad memory/memory.limit_in_bytes memory.max)" 67108864
	# a limit the kernel refuses (below what is in use) leaves all as it was
	b_ok exec -d bad sh -c 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=40'
	sleep 0.5
	b update -m 8m --memory-swap 8m bad
	if [ "$status" != 0 ]; then
		assert_eq "$(db "select config || spec from containers where name = 'bad'")" "$before"
		assert_eq "$(in_cg bad memory/memory.limit_in_bytes memory.max)" 67108864
	fi
	b_ok run -d --rm --name rmc busybox sleep 300
	b update --restart always rmc
	assert_eq "$status" 1
	assert_one_line_error "$stderr" "Restart policy cannot be updated because AutoRemove is enabled for the container"
}
