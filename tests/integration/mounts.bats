#!/usr/bin/env bats
# Mounts: the table the process sees, bind mounts, read-only binds, and
# destinations that resolve through symlinks.

load helpers

# mount_field TARGET FIELD: a field of the probe's mount entry at TARGET (last wins).
mount_field() {
	pj "[.mounts[] | select(.target == \"$1\")] | last | .$2"
}

has_opt() { # has_opt "opt1,opt2" opt
	[[ ",$1," == *",$2,"* ]]
}

@test "the mount table has proc, a read-only sysfs, tmpfs /dev, devpts, shm and mqueue" {
	run_probe_ok report
	assert_eq "$(mount_field /proc fstype)" proc "/proc"
	assert_eq "$(mount_field /sys fstype)" sysfs "/sys"
	has_opt "$(mount_field /sys options)" ro || fail "/sys is not read-only: $(mount_field /sys options)"
	assert_eq "$(mount_field /dev fstype)" tmpfs "/dev"
	has_opt "$(mount_field /dev options)" nosuid || fail "/dev lacks nosuid"
	assert_eq "$(mount_field /dev/pts fstype)" devpts "/dev/pts"
	assert_eq "$(mount_field /dev/shm fstype)" tmpfs "/dev/shm"
	assert_eq "$(mount_field /dev/mqueue fstype)" mqueue "/dev/mqueue"
	# The root is the bundle's rootfs, not the host's /.
	assert_eq "$(mount_field / root)" "$BUNDLE/rootfs" "root of /"
}

@test "/dev has the standard device nodes" {
	set_args /bin/sh -c 'for d in null zero full random urandom tty; do /probe stat /dev/$d; done'
	rt_ok run --bundle "$BUNDLE" "$CID"
	local dev
	for dev in null zero full random urandom tty; do
		jq -se --arg p "/dev/$dev" 'any(.[]; .path == $p and .type == "char")' <<<"$output" >/dev/null ||
			fail "/dev/$dev is not a character device: $output"
	done
}

@test "a bind mount from the host is visible" {
	mkdir "$BUNDLE/hostdir"
	echo hello-from-host >"$BUNDLE/hostdir/file"
	cfg '.mounts += [{destination: "/mnt/host", type: "bind", source: $s, options: ["rbind"]}]' \
		--arg s "$BUNDLE/hostdir"
	run_probe_ok read /mnt/host/file
	assert_pj .data "hello-from-host"
	# The destination was created inside the rootfs, not on the host.
	[ -d "$BUNDLE/rootfs/mnt/host" ] || fail "mount point not created in rootfs"
}

@test "a read-only bind mount refuses writes with EROFS" {
	mkdir "$BUNDLE/hostdir"
	cfg '.mounts += [{destination: "/mnt/ro", type: "bind", source: $s, options: ["rbind", "ro"]}]' \
		--arg s "$BUNDLE/hostdir"
	run_probe_ok write /mnt/ro/newfile
	assert_pj .errno 30
	[ ! -e "$BUNDLE/hostdir/newfile" ] || fail "file was written through a ro bind"
	run_probe_ok report
	has_opt "$(mount_field /mnt/ro options)" ro || fail "/mnt/ro not ro: $(mount_field /mnt/ro options)"
	# The host's view of the source stays writable: ro applied to the container's mount only.
	touch "$BUNDLE/hostdir/host-can-write"
}

@test "rro makes a bind mount and every mount below it read-only" {
	mkdir -p "$BUNDLE/hostdir/sub"
	mount -t tmpfs -o size=1m berth-test-sub "$BUNDLE/hostdir/sub"
	# ro alone: only the top mount is read-only; rro: the submount too.
	cfg '.mounts += [{destination: "/mnt/ro", type: "bind", source: $s, options: ["rbind", "ro"]},
	                 {destination: "/mnt/rro", type: "bind", source: $s, options: ["rbind", "rro"]}]' \
		--arg s "$BUNDLE/hostdir"
	run_probe write /mnt/ro/sub/plain
	local plain_errno
	plain_errno=$(pj .errno)
	run_probe write /mnt/rro/sub/file
	local rro_errno
	rro_errno=$(pj .errno)
	run_probe write /mnt/rro/top
	local top_errno
	top_errno=$(pj .errno)
	umount "$BUNDLE/hostdir/sub"
	assert_eq "$plain_errno" 0 "a submount under a plain ro bind stays writable"
	assert_eq "$rro_errno" 30 "a submount under rro"
	assert_eq "$top_errno" 30 "the rro mount itself"
}

@test "an idmapped bind mount shows on-disk owners through its own mapping" {
	is_runc && skip "runc 1.1 predates idmapped mounts (runtime-spec 1.2)"
	mkdir "$BUNDLE/idsrc"
	touch "$BUNDLE/idsrc/by-root"
	chown 0:0 "$BUNDLE/idsrc/by-root"
	cfg '.mounts += [{destination: "/mnt/id", type: "bind", source: $s, options: ["rbind", "idmap"],
	                  uidMappings: [{containerID: 0, hostID: 4321, size: 1}],
	                  gidMappings: [{containerID: 0, hostID: 4322, size: 1}]}]' \
		--arg s "$BUNDLE/idsrc"
	run_probe_ok stat /mnt/id/by-root
	assert_pj .uid 4321
	assert_pj .gid 4322
	# The host still sees the file as root's.
	assert_eq "$(stat -c %u:%g "$BUNDLE/idsrc/by-root")" 0:0 "owner on the host"
}

@test "idmap without mappings takes the container's user namespace mappings" {
	is_runc && skip "runc 1.1 predates idmapped mounts (runtime-spec 1.2)"
	mkdir "$BUNDLE/idsrc2"
	touch "$BUNDLE/idsrc2/by-root"
	cfg '.linux.namespaces += [{type: "user"}]
	     | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	     | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	     | .mounts += [{destination: "/mnt/id", type: "bind", source: $s, options: ["rbind", "idmap"]}]' \
		--arg s "$BUNDLE/idsrc2"
	chown -R 100000:100000 "$BUNDLE/rootfs"
	# Inside, a host file of root's is the container root's: writable by it.
	run_probe_ok stat /mnt/id/by-root
	assert_pj .uid 0
	run_probe_ok write /mnt/id/new
	assert_pj .errno 0
	assert_eq "$(stat -c %u "$BUNDLE/idsrc2/new")" 0 "a file the container root made is root's on disk"
}

@test "a bind mount of a single file" {
	echo file-content >"$BUNDLE/hostfile"
	cfg '.mounts += [{destination: "/etc/bound", type: "bind", source: $s, options: ["bind"]}]' \
		--arg s "$BUNDLE/hostfile"
	run_probe_ok read /etc/bound
	assert_pj .data "file-content"
}

@test "a tmpfs mount honours its options" {
	cfg '.mounts += [{destination: "/data", type: "tmpfs", source: "tmpfs", options: ["mode=700", "nodev", "size=1m"]}]'
	run_probe_ok stat /data
	assert_pj .mode 0700
	run_probe_ok report
	assert_eq "$(mount_field /data fstype)" tmpfs "/data"
	has_opt "$(mount_field /data options)" nodev || fail "nodev missing"
}

@test "an absolute symlink in a destination resolves inside the rootfs" {
	mkdir "$BUNDLE/outside" "$BUNDLE/src"
	echo marker >"$BUNDLE/src/marker"
	# /escape points at a host path; followed on the host it would mount
	# over $BUNDLE/outside, outside the container's root.
	ln -s "$BUNDLE/outside" "$BUNDLE/rootfs/escape"
	cfg '.mounts += [{destination: "/escape", type: "bind", source: $s, options: ["rbind"]}]' \
		--arg s "$BUNDLE/src"
	run_probe_ok read /escape/marker
	assert_pj .data marker
	[ -z "$(ls -A "$BUNDLE/outside")" ] || fail "host directory outside the rootfs was touched"
	[ -d "$BUNDLE/rootfs$BUNDLE/outside" ] || fail "mount point not created under the rootfs"
}

@test "a relative symlink climbing out of the rootfs stays inside it" {
	mkdir "$BUNDLE/src"
	echo marker >"$BUNDLE/src/marker"
	ln -s ../../../../../../../../../tmp/berth-escape-$TEST_ID "$BUNDLE/rootfs/up"
	cfg '.mounts += [{destination: "/up", type: "bind", source: $s, options: ["rbind"]}]' \
		--arg s "$BUNDLE/src"
	run_probe_ok read /up/marker
	assert_pj .data marker
	[ ! -e "/tmp/berth-escape-$TEST_ID" ] || { rm -rf "/tmp/berth-escape-$TEST_ID"; fail "created a host path outside the rootfs"; }
	[ -d "$BUNDLE/rootfs/tmp/berth-escape-$TEST_ID" ] || fail "mount point not created under the rootfs"
}

@test "mounts are private to the container" {
	run_probe_ok report
	assert_mounts_unchanged
}

@test "an image whose /proc or /sys is a symlink is refused, as runc refuses it (CVE-2019-16884)" {
	local rt=$RUNTIME dir
	set_args /probe exit 0
	for dir in proc sys; do
		mkdir -p "$BUNDLE/rootfs/elsewhere"
		rm -rf "${BUNDLE:?}/rootfs/$dir"
		ln -s /elsewhere "$BUNDLE/rootfs/$dir"
		for RUNTIME in "$rt" $(is_berth && command -v runc); do
			rt run --bundle "$BUNDLE" "$CID"
			[ "$status" != 0 ] || fail "$RUNTIME ran with /$dir a symlink"
			grep -q "must be mounted on ordinary directory" <<<"$stderr" || fail "$RUNTIME: $stderr"
			rt delete --force "$CID"
			[ -z "$(ls -A "$BUNDLE/rootfs/elsewhere")" ] || fail "$RUNTIME mounted through /$dir"
		done
		RUNTIME=$rt
		rm "$BUNDLE/rootfs/$dir"
		mkdir "$BUNDLE/rootfs/$dir"
	done
	assert_nothing_left
}

@test "a read-only /dev: populated, then read-only, as runc makes it" {
	local rt=$RUNTIME
	cfg '(.mounts[] | select(.destination == "/dev") | .options) += ["ro"]'
	set_args /bin/sh -c 'test -c /dev/null && test -d /dev/pts && test -L /dev/stdin && echo populated;
		touch /dev/x 2>/dev/null || echo read-only; echo data > /dev/null && echo null-writable'
	for RUNTIME in "$rt" $(is_berth && command -v runc); do
		rt run --bundle "$BUNDLE" "$CID"
		assert_eq "$status" 0 "$RUNTIME: $stderr"
		assert_eq "$output" "populated
read-only
null-writable" "$RUNTIME"
	done
	RUNTIME=$rt
	assert_nothing_left
}

# procbind_case: rootless podman's --pid=host config: the host's /proc
# bound (rbind) onto /proc, with no pid namespace of its own
procbind_case() {
	cfg 'del(.linux.namespaces[] | select(.type == "pid"))
		| .mounts |= map(if .destination == "/proc" then
			{destination: "/proc", type: "bind", source: "/proc", options: ["rbind", "nosuid", "noexec", "nodev"]}
			else . end)'
	set_args /bin/sh -c 'test -r /proc/1/status && grep -c . /proc/self/status >/dev/null && echo host-proc'
	rt run --bundle "$BUNDLE" "$CID"
	assert_eq "$status" 0 "$RUNTIME: $stderr"
	assert_eq "$output" host-proc "$RUNTIME"
}

@test "a bind of the host's procfs root onto /proc runs (rootless --pid=host), nothing wider" {
	local rt=$RUNTIME
	procbind_case
	if is_berth && command -v runc >/dev/null; then
		RUNTIME=$(command -v runc) procbind_case
	fi
	RUNTIME=$rt
	is_berth || return 0
	# a directory that is no procfs, or a procfs's subdirectory: refused
	mkdir -p "$BATS_TEST_TMPDIR/fakeproc"
	cfg '.mounts |= map(if .destination == "/proc" then .source = $s else . end)' \
		--arg s "$BATS_TEST_TMPDIR/fakeproc"
	rt run --bundle "$BUNDLE" "$CID"
	[ "$status" != 0 ] || fail "a bind of a plain directory onto /proc ran"
	grep -q "bind of a procfs's root" <<<"$stderr" || fail "$stderr"
	cfg '.mounts |= map(if .destination == "/proc" then .source = "/proc/sys" else . end)'
	rt run --bundle "$BUNDLE" "$CID"
	[ "$status" != 0 ] || fail "a bind of /proc/sys onto /proc ran"
	assert_nothing_left
}
