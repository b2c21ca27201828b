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

@test "with no namespaces listed the container shares all of the runtime's" {
	cfg '.linux.namespaces = [] | del(.hostname) | del(.domainname)
	     | del(.linux.maskedPaths) | del(.linux.readonlyPaths)'
	local before
	before=$(awk '{print $5}' /proc/self/mountinfo | sort)
	run_probe_ok report
	local ns
	for ns in mnt pid net ipc uts cgroup; do
		assert_pj ".ns.$ns" "$(host_ns "$ns")"
	done
	[ "$(pj .pid)" != 1 ] || fail "pid 1 without a pid namespace"
	# Its mounts went below its own root in the host's namespace, and are
	# gone with the container (run deletes it); runc 1.1 leaves them.
	is_runc || assert_eq "$(awk '{print $5}' /proc/self/mountinfo | sort)" "$before" \
		"host mount table"
}

@test "without a mount namespace, masked and read-only paths apply inside the root only" {
	is_runc && skip "runc refuses maskedPaths without a mount namespace"
	echo secret >"$BUNDLE/rootfs/secret"
	cfg '.linux.namespaces = [{"type": "pid"}] | del(.hostname) | del(.domainname)
	     | .linux.maskedPaths = ["/secret"] | .linux.readonlyPaths = ["/proc/sys"]'
	local before
	before=$(awk '{print $5}' /proc/self/mountinfo | sort)
	run_probe_ok read /secret
	assert_pj .errno 0
	assert_pj .ret 0
	assert_pj .data ""
	run_probe_ok write /proc/sys/kernel/hostname
	assert_pj .errno 30
	assert_eq "$(cat "$BUNDLE/rootfs/secret")" secret "the file itself"
	assert_eq "$(awk '{print $5}' /proc/self/mountinfo | sort)" "$before" "host mount table"
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

@test "linux.netDevices moves an interface into the container, renamed" {
	is_runc && skip "runc 1.1 predates linux.netDevices (runtime-spec 1.2)"
	command -v ip >/dev/null && command -v nsenter >/dev/null || skip "needs iproute2 and nsenter"
	local name=$TEST_ID
	NETNS_LIST+=("$name")
	# The runtime runs in a network namespace of the test's own, where the
	# device is made: nothing touches the host's interfaces.
	ip netns add "$name" || skip "cannot create a network namespace"
	ip -n "$name" link add berthveth0 type veth peer name berthveth1 || skip "no veth interfaces"
	set_args /probe ls /sys/class/net
	cfg '.linux.netDevices = {"berthveth0": {"name": "ctr0"}}'
	run nsenter --net="/run/netns/$name" "$RUNTIME" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CID"
	[ "$status" = 0 ] || fail "run failed ($status): $output"
	PROBE_JSON=$output
	assert_pj '.entries | sort | join(",")' "ctr0,lo"
	# A virtual device goes with the container's namespace (and its peer).
	ip -n "$name" link show berthveth0 >/dev/null 2>&1 && fail "the device is back in the runtime's namespace"
	ip -n "$name" link show berthveth1 >/dev/null 2>&1 && fail "the veth peer outlived the container"
	ip netns delete "$name"
}

@test "linux.netDevices of a missing interface fails create and leaves nothing" {
	is_runc && skip "runc 1.1 predates linux.netDevices (runtime-spec 1.2)"
	cfg '.linux.netDevices = {"berthnone0": {}}'
	rt create --bundle "$BUNDLE" "$CID"
	[ "$status" != 0 ] || fail "create succeeded"
	grep -q "linux.netDevices: berthnone0" <<<"$stderr" || fail "error: $stderr"
	assert_nothing_left
}
