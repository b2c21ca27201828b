#!/usr/bin/env bats
# maskedPaths hide, readonlyPaths refuse writes, root.readonly freezes the rootfs.

load helpers

@test "masked files read as empty" {
	local path n=0
	for path in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/latency_stats; do
		[ -e "$path" ] || continue
		run_probe_ok read "$path"
		assert_pj .ret 0
		assert_pj .data ""
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || skip "none of the default masked /proc files exists on this kernel"
}

@test "masked directories list as empty" {
	run_probe_ok ls /sys/firmware
	assert_pj .errno 0
	assert_pj '.entries | length' 0
}

@test "maskedPaths from the config hide rootfs files and directories" {
	echo secret >"$BUNDLE/rootfs/etc/secret"
	mkdir "$BUNDLE/rootfs/secretdir"
	touch "$BUNDLE/rootfs/secretdir/a" "$BUNDLE/rootfs/secretdir/b"
	cfg '.linux.maskedPaths += ["/etc/secret", "/secretdir", "/does/not/exist"]'
	run_probe_ok read /etc/secret
	assert_pj .data ""
	run_probe_ok ls /secretdir
	assert_pj '.entries | length' 0
	# Masking happens in the container's mount namespace only.
	assert_eq "$(cat "$BUNDLE/rootfs/etc/secret")" secret "host view of the masked file"
	[ ! -e "$BUNDLE/rootfs/does/not/exist" ] || fail "a missing masked path was created"
}

@test "writes to a masked file do not reach it" {
	echo secret >"$BUNDLE/rootfs/etc/secret"
	cfg '.linux.maskedPaths += ["/etc/secret"]'
	set_args /bin/sh -c '/probe write /etc/secret overwritten; /probe read /etc/secret'
	rt_ok run --bundle "$BUNDLE" "$CID"
	assert_pj .data ""
	assert_eq "$(cat "$BUNDLE/rootfs/etc/secret")" secret "host view of the masked file"
}

@test "readonlyPaths refuse writes with EROFS" {
	run_probe_ok write /proc/sys/kernel/hostname evil
	assert_pj .errno 30
	run_probe_ok write /proc/sys/kernel/domainname evil
	assert_pj .errno 30
	run_probe_ok report
	[ "$(pj .domainname)" != evil ] || fail "domainname was written"
}

@test "readonlyPaths from the config apply to rootfs directories" {
	mkdir "$BUNDLE/rootfs/data"
	cfg '.linux.readonlyPaths += ["/data"]'
	run_probe_ok write /data/file
	assert_pj .errno 30
	# The rest of the rootfs stays writable.
	run_probe_ok write /tmp/file
	assert_pj .errno 0
	[ -f "$BUNDLE/rootfs/tmp/file" ] || fail "write to /tmp did not reach the rootfs"
}

@test "root.readonly makes the rootfs read-only but not the mounts on it" {
	cfg '.root.readonly = true'
	run_probe_ok write /newfile
	assert_pj .errno 30
	run_probe_ok write /tmp/newfile
	assert_pj .errno 30
	run_probe_ok write /dev/shm/newfile
	assert_pj .errno 0
	run_probe_ok report
	assert_eq "$(pj '[.mounts[] | select(.target == "/")] | last | .options | split(",") | index("ro") != null')" \
		true "/ mounted ro"
	[ ! -e "$BUNDLE/rootfs/newfile" ] || fail "file created on a read-only root"
}
