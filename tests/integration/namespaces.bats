#!/usr/bin/env bats
# Namespaces: the probe runs as pid 1 in fresh namespaces, or joins one by path.

load helpers

host_ns() {
	readlink "/proc/self/ns/$1"
}

@test "the process is pid 1 of a new pid namespace" {
	run_probe_ok report
	assert_pj .pid 1
	assert_pj .ppid 0
	[ "$(pj .ns.pid)" != "$(host_ns pid)" ] || fail "pid namespace is the host's"
}

@test "uts, ipc, net and mount namespaces are new" {
	run_probe_ok report
	local ns
	for ns in uts ipc net mnt; do
		[ "$(pj ".ns.$ns")" != "$(host_ns "$ns")" ] || fail "$ns namespace is the host's"
	done
}

@test "a namespace left out of the config is the host's" {
	cfg 'del(.linux.namespaces[] | select(.type == "network" or .type == "ipc"))'
	run_probe_ok report
	assert_pj .ns.net "$(host_ns net)"
	assert_pj .ns.ipc "$(host_ns ipc)"
	[ "$(pj .ns.uts)" != "$(host_ns uts)" ] || fail "uts namespace is the host's"
}

@test "hostname is set in the new uts namespace" {
	cfg '.hostname = "box-one"'
	run_probe_ok report
	assert_pj .hostname box-one
	[ "$(hostname)" != box-one ] || fail "host's hostname changed"
}

@test "domainname is set in the new uts namespace" {
	is_runc && skip "runc 1.1 predates the domainname field (runtime-spec 1.1)"
	cfg '.hostname = "box-one" | .domainname = "berth.test"'
	run_probe_ok report
	assert_pj .hostname box-one
	assert_pj .domainname berth.test
}

@test "joins an existing network namespace by path" {
	command -v ip >/dev/null || skip "needs iproute2"
	local name=$TEST_ID
	NETNS_LIST+=("$name")
	ip netns add "$name" || skip "cannot create a network namespace"
	ip -n "$name" link set lo up
	local ino
	ino=$(stat -L -c %i "/run/netns/$name")
	cfg '(.linux.namespaces[] | select(.type == "network")) .path = $p' --arg p "/run/netns/$name"
	run_probe_ok report
	assert_pj .ns.net "net:[$ino]"
	# The namespace outlives the container: it was not the runtime's to remove.
	[ -e "/run/netns/$name" ] || fail "the joined namespace was removed"
	ip netns delete "$name"
}

@test "a new network namespace has only a loopback device" {
	run_probe_ok ls /sys/class/net
	assert_pj '.entries | sort | join(",")' lo
}
