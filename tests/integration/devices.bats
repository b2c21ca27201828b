#!/usr/bin/env bats
# Devices: linux.devices nodes are created as configured, and the device
# cgroup (linux.resources.devices) decides which nodes the process may open.

load helpers

# add_device JSON: appends one linux.devices entry.
add_device() {
	cfg '.linux.devices = ((.linux.devices // []) + [$d])' --argjson d "$1"
}

@test "a linux.devices entry is created with its type, numbers, mode and owner" {
	add_device '{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
		"fileMode": 438, "uid": 0, "gid": 0}'
	run_probe_ok stat /dev/fuse
	assert_pj .ret 0
	assert_pj .type char
	assert_pj .rdev_major 10
	assert_pj .rdev_minor 229
	assert_pj .mode 0666
	assert_pj .uid 0
	assert_pj .gid 0
}

@test "fileMode, uid and gid of a device are applied as given" {
	# The umask must not eat into fileMode, and a block device is a block device.
	cfg '.process.user.umask = 63' # 0077
	add_device '{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
		"fileMode": 416, "uid": 1000, "gid": 1001}'
	add_device '{"path": "/dev/loop-test", "type": "b", "major": 7, "minor": 200,
		"fileMode": 432, "uid": 0, "gid": 6}'
	run_probe_ok stat /dev/fuse
	assert_pj .type char
	assert_pj .mode 0640
	assert_pj .uid 1000
	assert_pj .gid 1001
	run_probe_ok stat /dev/loop-test
	assert_pj .type block
	assert_pj .rdev_major 7
	assert_pj .rdev_minor 200
	assert_pj .mode 0660
	assert_pj .gid 6
}

@test "a linux.devices node opens when resources.devices allows it" {
	add_device '{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
		"fileMode": 438, "uid": 0, "gid": 0}'
	cfg '.linux.resources.devices += [{allow: true, type: "c", major: 10, minor: 229, access: "rw"}]'
	run_probe_ok open /dev/fuse rw
	assert_pj .ret 0
	assert_pj .errno 0
}

# denied_case: a node linux.devices makes but resources.devices does not
# allow exists and cannot be opened: the device cgroup enforces exactly
# the config's rules (and the defaults), as runc's does.
denied_case() {
	cfg '.linux.devices = [{path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 438,
		uid: 0, gid: 0}]'
	run_probe_ok stat /dev/fuse
	assert_pj .type char
	run_probe_ok open /dev/fuse rw
	assert_pj .errno 1
}

@test "a linux.devices node that resources.devices does not allow cannot be opened, as under runc" {
	denied_case
	if is_berth && command -v runc >/dev/null; then
		RUNTIME=$(command -v runc) denied_case
	fi
}

@test "a device node of the rootfs itself is refused by the default device cgroup" {
	# c 1:11 (/dev/kmsg) is in no runtime's default allow list. Opening it
	# write-only needs no capability, so only the device cgroup can say no.
	mknod -m 666 "$BUNDLE/rootfs/kmsg" c 1 11
	run_probe_ok stat /kmsg
	assert_pj .type char
	assert_pj .rdev_minor 11
	run_probe_ok open /kmsg w
	assert_pj .ret -1
	assert_pj .errno 1 # EPERM
}

@test "resources.devices can allow a device node of the rootfs" {
	mknod -m 666 "$BUNDLE/rootfs/kmsg" c 1 11
	cfg '.linux.resources.devices += [{allow: true, type: "c", major: 1, minor: 11, access: "rw"}]'
	run_probe_ok open /kmsg w
	assert_pj .ret 0
	assert_pj .errno 0
}

@test "resources.devices access is per mode" {
	# /dev/fuse opens for reading and for writing without any capability, so
	# a refusal here is the device cgroup's.
	mknod -m 666 "$BUNDLE/rootfs/fuse" c 10 229
	run_probe_ok open /fuse r
	assert_pj .errno 1
	cfg '.linux.resources.devices += [{allow: true, type: "c", major: 10, minor: 229, access: "w"}]'
	run_probe_ok open /fuse w
	assert_pj .ret 0
	run_probe_ok open /fuse r
	assert_pj .errno 1
	run_probe_ok open /fuse rw
	assert_pj .errno 1
	cfg '.linux.resources.devices[-1].access = "rw"'
	run_probe_ok open /fuse rw
	assert_pj .ret 0
}

@test "a later deny rule overrides an earlier allow" {
	mknod -m 666 "$BUNDLE/rootfs/kmsg" c 1 11
	cfg '.linux.resources.devices += [
		{allow: true, type: "c", major: 1, minor: 11, access: "rw"},
		{allow: false, type: "c", major: 1, minor: 11, access: "w"}]'
	run_probe_ok open /kmsg w
	assert_pj .errno 1
}

@test "the default devices are present and usable" {
	local dev
	for dev in null zero full random urandom tty; do
		run_probe_ok stat /dev/$dev
		assert_pj .type char
	done
	run_probe_ok write /dev/null data
	assert_pj .ret 4
	run_probe_ok read /dev/zero
	assert_pj .ret 4096
	run_probe_ok write /dev/full data
	assert_pj .errno 28 # ENOSPC
}
