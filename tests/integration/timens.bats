#!/usr/bin/env bats
# Time namespaces: with {"type": "time"} and linux.timeOffsets the process's
# CLOCK_MONOTONIC and CLOCK_BOOTTIME are shifted by the configured amounts,
# and CLOCK_REALTIME is not.
#
# Berth-only but for the baseline: runc 1.1 has no time namespace support
# ("time" is an unknown namespace type to it, and it ignores timeOffsets).

load helpers

DAY=86400

require_timens() {
	is_berth || skip "runc 1.1 does not support time namespaces"
	[ -e /proc/self/ns/time ] || skip "the kernel has no time namespaces"
}

# host_clock CLOCK: the host's CLOCK_MONOTONIC, CLOCK_BOOTTIME or
# CLOCK_REALTIME in whole seconds, read by the same probe on the host.
host_clock() {
	"$BUNDLE/rootfs/probe" clock | jq -r ".$1.sec"
}

# assert_shift CLOCK BEFORE AFTER OFFSET: the container's reading of CLOCK
# (in the probe's output) lies between the host's readings taken before and
# after it, each moved by OFFSET seconds.
assert_shift() {
	local clock=$1 before=$2 after=$3 offset=$4 got
	got=$(pj ".$clock.sec")
	[[ "$got" =~ ^[0-9]+$ ]] || fail "no $clock reading: $output" || return 1
	((got >= before + offset && got <= after + offset)) ||
		fail "$clock: container saw $got, host went $before..$after, offset $offset"
}

with_time_ns() {
	require_timens
	cfg '.linux.namespaces += [{type: "time"}]'
}

@test "timeOffsets shift the monotonic and boottime clocks" {
	with_time_ns
	cfg '.linux.timeOffsets = {monotonic: {secs: 86400, nanosecs: 0}, boottime: {secs: 172800}}'
	local mono0 boot0 real0 mono1 boot1 real1
	mono0=$(host_clock monotonic)
	boot0=$(host_clock boottime)
	real0=$(host_clock realtime)
	run_probe_ok clock
	mono1=$(host_clock monotonic)
	boot1=$(host_clock boottime)
	real1=$(host_clock realtime)
	assert_shift monotonic "$mono0" "$mono1" "$DAY"
	assert_shift boottime "$boot0" "$boot1" $((2 * DAY))
	# The realtime clock is not namespaced.
	assert_shift realtime "$real0" "$real1" 0
}

@test "the process is in a time namespace of its own" {
	with_time_ns
	run_probe_ok report
	local host
	host=$(readlink /proc/self/ns/time)
	[ "$(pj .ns.time)" != "$host" ] || fail "container shares the host's time namespace ($host)"
	[ "$(pj .ns.time)" != null ] || fail "no time namespace reported: $output"
}

@test "a time namespace without offsets keeps the host's clocks" {
	with_time_ns
	local mono0 mono1
	mono0=$(host_clock monotonic)
	run_probe_ok clock
	mono1=$(host_clock monotonic)
	assert_shift monotonic "$mono0" "$mono1" 0
}

@test "without a time namespace the clocks and namespace are the host's" {
	[ -e /proc/self/ns/time ] || skip "the kernel has no time namespaces"
	local mono0 mono1
	mono0=$(host_clock monotonic)
	run_probe_ok clock
	mono1=$(host_clock monotonic)
	assert_shift monotonic "$mono0" "$mono1" 0
	run_probe_ok report
	assert_pj .ns.time "$(readlink /proc/self/ns/time)"
}

@test "exec joins the container's time namespace and sees its offsets" {
	with_time_ns
	cfg '.linux.timeOffsets = {monotonic: {secs: 86400}}'
	set_args /probe sleep 60
	create_container
	rt_ok start "$CID"
	local mono0 mono1 pid
	pid=$(container_pid) || return 1
	mono0=$(host_clock monotonic)
	rt_ok exec "$CID" /probe clock
	mono1=$(host_clock monotonic)
	assert_shift monotonic "$mono0" "$mono1" "$DAY"
	rt_ok exec "$CID" /probe report
	assert_pj .ns.time "$(readlink "/proc/$pid/ns/time")"
}

@test "timeOffsets without a time namespace fail create and leave nothing" {
	require_timens
	cfg '.linux.timeOffsets = {monotonic: {secs: 86400}}'
	set_args /probe sleep 60
	rt create --bundle "$BUNDLE" "$CID"
	assert_one_line_error timeOffsets
	assert_nothing_left
	assert_mounts_unchanged
}

@test "an offset that would make a clock negative fails create and leaves nothing" {
	# The kernel refuses (ERANGE) a monotonic clock before zero.
	with_time_ns
	cfg '.linux.timeOffsets = {monotonic: {secs: -1000000000}}'
	set_args /probe sleep 60
	rt create --bundle "$BUNDLE" "$CID"
	assert_one_line_error timeOffsets
	assert_nothing_left
	assert_mounts_unchanged
}
