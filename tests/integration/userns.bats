#!/usr/bin/env bats
# User namespaces: ids inside map to a range on the host.

load helpers

setup() {
	berth_setup || return 1
	[ -e /proc/self/ns/user ] || skip "kernel without user namespaces"
	[ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 1)" != 0 ] ||
		skip "user namespaces disabled (user.max_user_namespaces=0)"
	cfg '.linux.namespaces += [{type: "user"}]
	   | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	   | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
}

@test "uid_map and gid_map inside show the configured mapping" {
	run_probe_ok report
	assert_pj '.uid_map | join(";")' "0 100000 65536"
	assert_pj '.gid_map | join(";")' "0 100000 65536"
	assert_pj .uid 0
	[ "$(pj .ns.user)" != "$(readlink /proc/self/ns/user)" ] || fail "user namespace is the host's"
}

@test "files created by root in the container belong to host uid 100000" {
	run_probe_ok write /tmp/owned
	assert_pj .errno 0
	assert_eq "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/owned")" 100000:100000 "host owner"
}

@test "files created by uid 1000 belong to host uid 101000" {
	cfg '.process.user = {uid: 1000, gid: 1000}'
	run_probe_ok write /tmp/owned-1000
	assert_pj .errno 0
	assert_eq "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/owned-1000")" 101000:101000 "host owner"
}

@test "a host-owned file appears as the overflow uid" {
	run_probe_ok stat /probe
	assert_pj .uid 65534
	# Host root is unmapped, so the container's root cannot write to its files.
	run_probe_ok write /etc/passwd
	assert_pj .errno 13
}

@test "capabilities in the user namespace are the configured ones" {
	run_probe_ok report
	assert_pj .CapEff "$CAPS_DEFAULT"
	assert_pj .CapBnd "$CAPS_DEFAULT"
}

# hidden_case: the bind's source sits below a directory only the host's
# root may enter; the runtime opens it before the container joins its
# user namespace (runc's way), so the container reads it.
hidden_case() {
	local secret=$BUNDLE/secret
	mkdir -p "$secret/data" "$BUNDLE/rootfs/data"
	echo hidden-value >"$secret/data/f"
	chmod 0700 "$secret"
	chmod 0755 "$secret/data"
	cfg '.mounts |= map(select(.destination != "/data")) |
		.mounts += [{destination: "/data", type: "bind", source: $s, options: ["rbind", "ro"]}]' \
		--arg s "$secret/data"
	run_probe_ok read /data/f
	assert_pj .data hidden-value
	run_probe_ok write /data/g
	assert_pj .errno 30 # EROFS: the bind's own options still apply
}

@test "a bind whose source only the host's root can reach still mounts, as runc opens it first" {
	local rt=$RUNTIME
	hidden_case
	if is_berth && command -v runc >/dev/null; then
		RUNTIME=$(command -v runc) hidden_case
	fi
}
