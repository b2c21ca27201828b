#!/usr/bin/env bats
# update: resources of a running container change where the host sees them.

load helpers

setup() {
	berth_setup || return 1
	cfg '.linux.resources.memory = {limit: 134217728} | .linux.resources.pids = {limit: 100}'
	set_args /probe sleep 120
	CONTAINERS+=("$CID")
	rt_ok run --detach --bundle "$BUNDLE" "$CID" || return 1
	PID=$(container_pid)
}

cgfile() {
	cat "$(host_cgroup_dir "$PID" "$1")/$2"
}

memory_limit() {
	if cgroup_is_v2 "$PID" memory; then cgfile memory memory.max; else cgfile memory memory.limit_in_bytes; fi
}

@test "update --memory changes the memory limit" {
	assert_eq "$(memory_limit)" 134217728 "initial limit"
	rt_ok update --memory 67108864 "$CID"
	assert_eq "$(memory_limit)" 67108864 "updated limit"
	assert_eq "$(container_status)" running "status"
}

@test "update --pids-limit changes pids.max" {
	assert_eq "$(cgfile pids pids.max)" 100 "initial pids.max"
	rt_ok update --pids-limit 42 "$CID"
	assert_eq "$(cgfile pids pids.max)" 42 "updated pids.max"
}

@test "an updated pids limit bites" {
	rt_ok update --pids-limit 10 "$CID"
	rt_ok exec "$CID" /probe fork 30
	local forked
	forked=$(pj .forked)
	[ "$forked" -lt 10 ] || fail "forked $forked under pids.max=10"
	assert_pj .errno 11
}

@test "update --cpu-quota and --cpu-period" {
	rt_ok update --cpu-period 100000 --cpu-quota 25000 "$CID"
	if cgroup_is_v2 "$PID" cpu; then
		assert_eq "$(cgfile cpu cpu.max)" "25000 100000" cpu.max
	else
		assert_eq "$(cgfile cpu cpu.cfs_quota_us)" 25000 cpu.cfs_quota_us
		assert_eq "$(cgfile cpu cpu.cfs_period_us)" 100000 cpu.cfs_period_us
	fi
}

@test "update -r reads resources from a JSON file" {
	echo '{"pids": {"limit": 33}, "memory": {"limit": 100663296}}' >"$BUNDLE/resources.json"
	rt_ok update -r "$BUNDLE/resources.json" "$CID"
	assert_eq "$(cgfile pids pids.max)" 33 "pids.max"
	assert_eq "$(memory_limit)" 100663296 "memory limit"
}

@test "update of a missing container fails" {
	rt update --pids-limit 5 no-such-container
	assert_one_line_error no-such-container
	assert_eq "$(cgfile pids pids.max)" 100 "pids.max of the real container"
}
