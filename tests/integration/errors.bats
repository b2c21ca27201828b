#!/usr/bin/env bats
# Errors: a bad config or argument fails with one line naming what was wrong,
# and leaves no state, cgroup, mount or process behind.

load helpers

# expect_create_failure WORD...: create fails, names each WORD (Berth), leaves nothing.
expect_create_failure() {
	set_args /probe sleep 120
	rt create --bundle "$BUNDLE" "$CID"
	assert_one_line_error "$@"
	assert_nothing_left
	assert_mounts_unchanged
}

@test "malformed config.json" {
	echo '{ "ociVersion": "1.0.2", "process": ' >"$BUNDLE/config.json"
	rt create --bundle "$BUNDLE" "$CID"
	assert_one_line_error config.json
	assert_nothing_left
	assert_mounts_unchanged
}

@test "missing config.json" {
	rm "$BUNDLE/config.json"
	rt create --bundle "$BUNDLE" "$CID"
	assert_one_line_error config.json
	assert_nothing_left
}

@test "unknown namespace type" {
	cfg '.linux.namespaces += [{type: "bogusns"}]'
	expect_create_failure bogusns
}

@test "missing rootfs" {
	rm -rf "$BUNDLE/rootfs"
	expect_create_failure rootfs
}

@test "args[0] not found" {
	set_args /no/such/binary
	rt run --bundle "$BUNDLE" "$CID"
	assert_one_line_error /no/such/binary
	assert_nothing_left
	assert_mounts_unchanged
}

@test "args[0] not executable" {
	cp "$BUNDLE/config.json" "$BUNDLE/rootfs/notexec"
	set_args /notexec
	rt run --bundle "$BUNDLE" "$CID"
	assert_one_line_error /notexec
	assert_nothing_left
}

@test "unknown capability" {
	is_runc && skip "runc 1.1 only warns about unknown capabilities"
	cfg '.process.capabilities.bounding += ["CAP_BOGUS"]'
	expect_create_failure CAP_BOGUS
}

@test "container id with a slash" {
	set_args /probe sleep 120
	CID="a/b"
	rt create --bundle "$BUNDLE" "$CID"
	assert_one_line_error "a/b"
	assert_nothing_left
	[ ! -e "$STATE_ROOT/a" ] || fail "created $STATE_ROOT/a"
}

@test "container id with .., or the state root's seccomp cache" {
	set_args /probe sleep 120
	local id
	for id in .. ../escape "x/../../escape" .seccomp-cache; do
		CID=$id
		rt create --bundle "$BUNDLE" "$id"
		assert_one_line_error "$id"
		[ ! -e "$BATS_TEST_TMPDIR/escape" ] || fail "id $id created $BATS_TEST_TMPDIR/escape"
	done
	CID=$TEST_ID
	assert_nothing_left
}

@test "duplicate container id" {
	set_args /probe sleep 120
	create_container
	local pid
	pid=$(container_pid)
	rt create --bundle "$BUNDLE" "$CID"
	assert_one_line_error "$CID"
	# The first container is untouched.
	assert_eq "$(container_status)" created "status of the original"
	assert_eq "$(container_pid)" "$pid" "pid of the original"
	rt_ok delete --force "$CID"
	assert_nothing_left
}

@test "non-executable hook" {
	printf '#!/bin/sh\nexit 0\n' >"$BUNDLE/hook.sh"
	chmod 644 "$BUNDLE/hook.sh"
	cfg '.hooks.prestart = [{path: $p}]' --arg p "$BUNDLE/hook.sh"
	expect_create_failure hook.sh
}

@test "missing hook" {
	cfg '.hooks.createRuntime = [{path: "/no/such/hook"}]'
	expect_create_failure /no/such/hook
}

@test "bad mount type" {
	cfg '.mounts += [{destination: "/mnt/x", type: "nosuchfs", source: "none"}]'
	expect_create_failure /mnt/x
}

@test "bind mount of a missing source" {
	cfg '.mounts += [{destination: "/mnt/x", type: "bind", source: "/no/such/source", options: ["bind"]}]'
	expect_create_failure /no/such/source
}

@test "relative cwd" {
	cfg '.process.cwd = "relative/dir"'
	expect_create_failure cwd
}

@test "unknown rlimit" {
	cfg '.process.rlimits += [{type: "RLIMIT_BOGUS", soft: 1, hard: 1}]'
	expect_create_failure RLIMIT_BOGUS
}

@test "unknown seccomp action" {
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_BOGUS"}'
	expect_create_failure SCMP_ACT_BOGUS
}

@test "operations on a missing container fail" {
	local op
	for op in start state kill delete pause resume; do
		rt "$op" no-such-container
		assert_one_line_error no-such-container
	done
	rt exec no-such-container /probe
	assert_one_line_error no-such-container
	assert_nothing_left
}

@test "unknown command and unknown flag" {
	rt frobnicate
	[ "$status" != 0 ] || fail "unknown command succeeded"
	rt create --no-such-flag --bundle "$BUNDLE" "$CID"
	[ "$status" != 0 ] || fail "unknown flag succeeded"
	assert_nothing_left
}
