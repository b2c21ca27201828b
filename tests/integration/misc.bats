#!/usr/bin/env bats
# Odds and ends: linux.personality, --no-pivot, --preserve-fds, rlimits the
# kernel refuses, and security labels the host cannot apply.

load helpers

# rt_fds FILE3 FILE4 ARGS...: like rt, with descriptor 3 open read-only on
# FILE3 and, unless FILE4 is empty, 4 on FILE4. bats writes its own report to
# fd 3, so they are opened in a subshell for this one command.
rt_fds() {
	local f3=$1 f4=$2 out=${RT_OUT:-$BATS_TEST_TMPDIR/rt.out} err=$BATS_TEST_TMPDIR/rt.err
	shift 2
	status=0
	(
		exec 3<"$f3" || exit 125
		if [ -n "$f4" ]; then exec 4<"$f4" || exit 125; fi
		exec timeout -k 5 "$RT_TIMEOUT" "$RUNTIME" --root "$STATE_ROOT" "$@" \
			>"$out" 2>"$err" </dev/null
	) || status=$?
	output=$(cat "$out")
	stderr=$(cat "$err")
	return 0
}

@test "personality LINUX32 makes uname report a 32-bit machine" {
	[ "$(uname -m)" = x86_64 ] || skip "needs an x86_64 host"
	run_probe_ok uname
	assert_pj .machine x86_64
	# runc 1.1 ignores linux.personality (runc 1.2 added it).
	is_runc && skip "runc 1.1 does not apply linux.personality"
	cfg '.linux.personality = {domain: "LINUX32"}'
	run_probe_ok uname
	assert_pj .machine i686
	assert_pj .personality 8 # PER_LINUX32
	cfg '.linux.personality = {domain: "LINUX"}'
	run_probe_ok uname
	assert_pj .machine x86_64
	assert_pj .personality 0
}

@test "--no-pivot runs the process in the bundle's rootfs" {
	touch "$BUNDLE/rootfs/only-in-this-bundle"
	set_args /probe ls /
	rt_ok run --no-pivot --bundle "$BUNDLE" "$CID"
	pj '.entries[]' | grep -qx only-in-this-bundle || fail "not the bundle's rootfs: $output"
	pj '.entries[]' | grep -qx work && fail "host /work visible at /: $output"
	# ".." of the root is the root: the host's root is not reachable by path.
	set_args /probe ls /..
	rt_ok run --no-pivot --bundle "$BUNDLE" "$CID"
	pj '.entries[]' | grep -qx only-in-this-bundle || fail "/.. left the rootfs: $output"
	set_args /probe stat /work
	rt_ok run --no-pivot --bundle "$BUNDLE" "$CID"
	assert_pj .errno 2
}

@test "--no-pivot still gives the configured mounts" {
	set_args /probe report
	rt_ok run --no-pivot --bundle "$BUNDLE" "$CID"
	assert_pj '[.mounts[] | select(.target == "/proc") | .fstype][0]' proc
	assert_pj '[.mounts[] | select(.target == "/dev/pts") | .fstype][0]' devpts
	assert_pj .hostname berth-test
}

@test "--preserve-fds passes the descriptors after stdio to the process" {
	printf 'preserved content' >"$BATS_TEST_TMPDIR/three"
	printf 'fourth' >"$BATS_TEST_TMPDIR/four"
	set_args /probe fdinfo 3
	rt_fds "$BATS_TEST_TMPDIR/three" "" run --preserve-fds 1 --bundle "$BUNDLE" "$CID"
	[ "$status" = 0 ] || fail "run exited $status: $stderr" || return 1
	assert_pj .ret 0
	assert_pj .type file
	assert_pj .data "preserved content"
	assert_pj .cloexec false
	# Two descriptors: 3 and 4 both arrive, in order.
	set_args /probe fdinfo 4
	rt_fds "$BATS_TEST_TMPDIR/three" "$BATS_TEST_TMPDIR/four" run --preserve-fds 2 --bundle "$BUNDLE" "$CID"
	[ "$status" = 0 ] || fail "run exited $status: $stderr" || return 1
	assert_pj .data fourth
}

@test "without --preserve-fds an open descriptor 3 does not reach the process" {
	printf 'secret' >"$BATS_TEST_TMPDIR/three"
	set_args /probe fdinfo 3
	rt_fds "$BATS_TEST_TMPDIR/three" "" run --bundle "$BUNDLE" "$CID"
	[ "$status" = 0 ] || fail "run exited $status: $stderr" || return 1
	assert_pj .ret -1
	assert_pj .errno 9 # EBADF
	# Only one of two descriptors asked for: 4 stays behind.
	set_args /probe fdinfo 4
	rt_fds "$BATS_TEST_TMPDIR/three" "$BATS_TEST_TMPDIR/three" run --preserve-fds 1 --bundle "$BUNDLE" "$CID"
	assert_pj .errno 9
}

@test "--preserve-fds on create hands the descriptor to the process at start" {
	printf 'kept over create' >"$BATS_TEST_TMPDIR/three"
	set_args /probe fdinfo 3
	CONTAINERS+=("$CID")
	# The process's stdout is create's, so it gets a file of its own that
	# start (whose own output goes to rt.out) does not truncate.
	RT_OUT=$BATS_TEST_TMPDIR/create.out rt_fds "$BATS_TEST_TMPDIR/three" "" \
		create --preserve-fds 1 --bundle "$BUNDLE" "$CID"
	[ "$status" = 0 ] || fail "create exited $status: $stderr" || return 1
	rt_ok start "$CID"
	wait_status stopped
	output=$(cat "$BATS_TEST_TMPDIR/create.out")
	assert_pj .ret 0
	assert_pj .data "kept over create"
}

@test "exec --preserve-fds passes a descriptor to the new process" {
	printf 'exec content' >"$BATS_TEST_TMPDIR/three"
	set_args /probe sleep 60
	create_container
	rt_ok start "$CID"
	rt_fds "$BATS_TEST_TMPDIR/three" "" exec --preserve-fds 1 "$CID" /probe fdinfo 3
	[ "$status" = 0 ] || fail "exec exited $status: $stderr" || return 1
	assert_pj .data "exec content"
	rt_fds "$BATS_TEST_TMPDIR/three" "" exec "$CID" /probe fdinfo 3
	assert_pj .errno 9
}

# has_cap N: the test (and so the runtime it starts) has capability N.
has_cap() {
	local eff
	eff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
	(((16#$eff >> $1) & 1))
}

@test "an rlimit above the host's hard limit fails create with one line and leaves nothing" {
	# Raising a hard limit takes CAP_SYS_RESOURCE (24), which this host's
	# bounding set may lack; with it, the raise is legitimate.
	has_cap 24 && skip "the runtime has CAP_SYS_RESOURCE and may raise hard limits"
	local hard
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ] || skip "no hard RLIMIT_NOFILE"
	cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: $n, hard: $n}]' \
		--argjson n $((hard + 1000))
	set_args /probe sleep 60
	rt create --bundle "$BUNDLE" "$CID"
	assert_one_line_error RLIMIT_NOFILE
	assert_nothing_left
	assert_mounts_unchanged
}

@test "an rlimit above the host's hard limit is applied with CAP_SYS_RESOURCE" {
	has_cap 24 || skip "the runtime lacks CAP_SYS_RESOURCE"
	local hard
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ] || skip "no hard RLIMIT_NOFILE"
	((hard + 1000 <= $(cat /proc/sys/fs/nr_open))) || skip "hard limit near fs.nr_open"
	cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: $n, hard: $n}]' \
		--argjson n $((hard + 1000))
	run_probe_ok report
	assert_pj .rlimits.RLIMIT_NOFILE.soft $((hard + 1000))
	assert_pj .rlimits.RLIMIT_NOFILE.hard $((hard + 1000))
}

@test "an rlimit the kernel refuses fails create with one line and leaves nothing" {
	# Not even root may raise RLIMIT_NOFILE past fs.nr_open (EPERM).
	local n
	n=$(($(cat /proc/sys/fs/nr_open) + 1000))
	cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: $n, hard: $n}]' --argjson n "$n"
	set_args /probe sleep 60
	rt create --bundle "$BUNDLE" "$CID"
	assert_one_line_error RLIMIT_NOFILE
	assert_nothing_left
	assert_mounts_unchanged
}

@test "an rlimit with soft above hard fails create with one line and leaves nothing" {
	cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 2048, hard: 1024}]'
	set_args /probe sleep 60
	rt create --bundle "$BUNDLE" "$CID"
	assert_one_line_error RLIMIT_NOFILE
	assert_nothing_left
	assert_mounts_unchanged
}

@test "process.apparmorProfile on a host without AppArmor fails create" {
	# A process must not run without the confinement it was asked for.
	# (runc fails too, at the write to /proc/self/attr/exec.)
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ] ||
		skip "AppArmor is enabled on this host"
	cfg '.process.apparmorProfile = "berth-test-profile"'
	set_args /probe sleep 60
	rt create --bundle "$BUNDLE" "$CID"
	assert_one_line_error apparmorProfile
	assert_nothing_left
	assert_mounts_unchanged
}

@test "process.selinuxLabel on a host without SELinux fails create" {
	# As for AppArmor; runc refuses a label when SELinux is disabled too.
	[ ! -e /sys/fs/selinux/enforce ] || skip "SELinux is enabled on this host"
	cfg '.process.selinuxLabel = "system_u:system_r:container_t:s0:c1,c2"'
	set_args /probe sleep 60
	rt create --bundle "$BUNDLE" "$CID"
	assert_one_line_error selinuxLabel
	assert_nothing_left
	assert_mounts_unchanged
}
