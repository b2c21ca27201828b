#!/usr/bin/env bats
# Container escapes through the runtime (issue 10), each performed for real
# from inside a container by tests/helpers/escape.c, against berth-runc.
# Every test passes only because the attack fails; each also shows that the
# attacker got as far as the attack needs (it saw the runtime's process,
# it held a descriptor) so a test cannot pass by not trying.

load helpers

setup() {
	berth_setup || return 1
	ESCAPE=$(helper_bin escape -static) || return 1
	cp "$ESCAPE" "$BUNDLE/rootfs/escape"
	# A file on the host that no container may read: any walk that finds
	# it has left the container.
	MARKER_DIR=$(mktemp -d "/tmp/berth-it.${BERTH_TEST_RUN:+$BERTH_TEST_RUN.}marker.XXXXXX")
	echo host-secret >"$MARKER_DIR/host-marker"
	MARKER=${MARKER_DIR#/}/host-marker
	CORE_PATTERN=$(cat /proc/sys/kernel/core_pattern)
	PRINTK_RL=$(cat /proc/sys/kernel/printk_ratelimit)
}

teardown() {
	# Should an attack have worked, the host gets its settings back.
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$CORE_PATTERN" ] ||
		echo "$CORE_PATTERN" >/proc/sys/kernel/core_pattern
	[ "$(cat /proc/sys/kernel/printk_ratelimit)" = "$PRINTK_RL" ] ||
		echo "$PRINTK_RL" >/proc/sys/kernel/printk_ratelimit
	rm -rf "$MARKER_DIR"
	berth_teardown
}

# add_caps CAP...: to every capability set of the container's process.
add_caps() {
	local c
	for c in "$@"; do
		cfg '.process.capabilities |= with_entries(.value += [$c])' --arg c "$c"
	done
}

# wait_file FILE PATTERN [SECONDS]: until a line of FILE matches.
wait_file() {
	local i
	for ((i = 0; i < ${3:-20} * 10; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "no '$2' in $1 after ${3:-20} s: $(cat "$1" 2>/dev/null)"
}

# The runtime under attack is a copy, so a successful attack damages
# nothing but it.
use_runtime_copy() {
	mkdir -p "$BATS_TEST_TMPDIR/rtbin"
	cp "$(readlink -f "$RUNTIME")" "$BATS_TEST_TMPDIR/rtbin/berth-runc"
	RUNTIME=$BATS_TEST_TMPDIR/rtbin/berth-runc
	RT_SUM=$(sha256sum <"$RUNTIME")
}

@test "CVE-2019-5736: a container cannot rewrite the runtime through /proc/PID/exe" {
	is_berth || skip "berth's sealing"
	use_runtime_copy
	add_caps CAP_SYS_PTRACE
	set_args /bin/sleep 60
	create_container
	# The created container's pid 1 is still the runtime, waiting for
	# start. With CAP_SYS_PTRACE the exploit may open its exe; it keeps
	# the descriptor and reopens it for writing once nothing runs the file.
	rt_ok exec -d --cap CAP_SYS_PTRACE "$CID" sh -c '/escape exe 1 20 >/tmp/exe.out 2>&1'
	wait_file "$BUNDLE/rootfs/tmp/exe.out" '^exe_open='
	grep -q '^exe_open=0$' "$BUNDLE/rootfs/tmp/exe.out" ||
		fail "the exploit never held the runtime's file: $(cat "$BUNDLE/rootfs/tmp/exe.out")"
	rt_ok start "$CID"
	wait_file "$BUNDLE/rootfs/tmp/exe.out" '^escaped='
	run cat "$BUNDLE/rootfs/tmp/exe.out"
	! grep -q ESCAPED <<<"$output" || fail "the runtime was rewritten: $output"
	grep -q '^exe_write=EROFS' <<<"$output" || fail "expected EROFS: $output"
	assert_eq "$(sha256sum <"$RUNTIME")" "$RT_SUM" "the runtime binary's checksum"
}

@test "CVE-2019-5736: the runtime's process in a container is not dumpable" {
	is_berth || skip "berth's sealing"
	use_runtime_copy
	set_args /bin/sleep 60
	create_container
	# Without CAP_SYS_PTRACE, a non-dumpable process's exe is closed to
	# the container even to its own root.
	rt_ok exec -d "$CID" sh -c '/escape exe 1 1 >/tmp/exe.out 2>&1'
	wait_file "$BUNDLE/rootfs/tmp/exe.out" '^escaped='
	run cat "$BUNDLE/rootfs/tmp/exe.out"
	grep -q '^exe_open=EACCES$' <<<"$output" || grep -q '^exe_open=EPERM$' <<<"$output" ||
		fail "the runtime's exe was open to the container: $output"
	rt_ok start "$CID"
	assert_eq "$(sha256sum <"$RUNTIME")" "$RT_SUM" "the runtime binary's checksum"
}

@test "CVE-2024-21626: the runtime's process holds no host directory a container could use" {
	add_caps CAP_SYS_PTRACE
	set_args /bin/sleep 60
	create_container
	rt_ok exec --cap CAP_SYS_PTRACE "$CID" /escape fds 1 "$MARKER"
	! grep -q ESCAPED <<<"$output" || fail "a host directory was reachable: $output"
	# It did see the waiting runtime's descriptors (stdio at least).
	local seen
	seen=$(sed -n 's/^fds_seen=//p' <<<"$output")
	[ "${seen:-0}" -ge 3 ] || fail "the exploit saw no fds of pid 1: $output"
	rt_ok start "$CID"
}

@test "CVE-2024-21626: process.cwd through /proc/self/fd/N is refused or stays inside" {
	local n
	for n in $(seq 3 20); do
		cfg '.process.cwd = $c' --arg c "/proc/self/fd/$n"
		set_args /escape cwd "$MARKER"
		rt run --bundle "$BUNDLE" "$CID-$n"
		! grep -q ESCAPED <<<"$output" || fail "cwd /proc/self/fd/$n left the container: $output"
		if [ "$status" != 0 ]; then
			[ "$(wc -l <<<"$stderr")" = 1 ] || fail "fd $n: more than one line: $stderr"
		fi
	done
}

@test "CVE-2024-21626: exec --cwd /proc/self/fd/N is refused or stays inside" {
	local n
	set_args /bin/sleep 60
	CONTAINERS+=("$CID")
	rt_ok run -d --bundle "$BUNDLE" "$CID"
	for n in $(seq 3 20); do
		rt exec --cwd "/proc/self/fd/$n" "$CID" /escape cwd "$MARKER"
		! grep -q ESCAPED <<<"$output" || fail "exec cwd /proc/self/fd/$n left the container: $output"
	done
	# An ordinary cwd still works.
	rt_ok exec --cwd /tmp "$CID" /escape cwd "$MARKER"
	grep -q '^cwd=/tmp$' <<<"$output" || fail "cwd: $output"
}

# A rootfs whose /dev (as an image's VOLUME /dev would give it) has a null
# that is a symlink to the host's core_pattern.
hostile_dev() {
	mkdir -p "$BUNDLE/hostile-dev"
	ln -s /proc/sys/kernel/core_pattern "$BUNDLE/hostile-dev/null"
	cfg '.mounts = [.mounts[] | if .destination == "/dev" then
		{destination: "/dev", type: "bind", source: $s, options: ["rbind", "rw"]} else . end]
		| .mounts |= map(select(.destination != "/dev/pts" and .destination != "/dev/shm"
			and .destination != "/dev/mqueue"))' --arg s "$BUNDLE/hostile-dev"
}

@test "CVE-2025-31133: masking never binds the container's own /dev/null" {
	hostile_dev
	local masked
	masked=$(jq -r '.linux.maskedPaths[]' "$BUNDLE/config.json" | while read -r p; do
		if [ -f "$p" ]; then echo "$p"; fi
	done)
	[ -n "$masked" ] || skip "no masked /proc file exists on this kernel"
	# shellcheck disable=SC2086
	set_args /escape mask '|/bin/evil %p' $masked
	rt run --bundle "$BUNDLE" "$CID"
	! grep -q ESCAPED <<<"$output" || fail "a masked path was writable: $output"
	grep -q 'null=1' <<<"$output" || fail "no masked path was the null device: $output $stderr"
	assert_eq "$(cat /proc/sys/kernel/core_pattern)" "$CORE_PATTERN" "the host's core_pattern"
}

@test "sysctls: a mount inside /proc is refused, whatever it holds" {
	mkdir -p "$BUNDLE/hostile-ipv4"
	ln -s /proc/sys/kernel/printk_ratelimit "$BUNDLE/hostile-ipv4/ip_unprivileged_port_start"
	cfg '.mounts += [{destination: "/proc/sys/net/ipv4", type: "bind", source: $s,
		options: ["rbind"]}]
		| .linux.sysctl = {"net.ipv4.ip_unprivileged_port_start": "77"}' \
		--arg s "$BUNDLE/hostile-ipv4"
	set_args true
	rt run --bundle "$BUNDLE" "$CID"
	[ "$status" != 0 ] || fail "a mount inside /proc was accepted"
	grep -q 'inside /proc' <<<"$stderr" || fail "error: $stderr"
	assert_eq "$(cat /proc/sys/kernel/printk_ratelimit)" "$PRINTK_RL" "the host's printk_ratelimit"
}

@test "sysctls: a mount reaching into /proc through a symlink is refused" {
	ln -s /proc/sys/net "$BUNDLE/rootfs/sysnet"
	mkdir -p "$BUNDLE/hostile-ipv4"
	cfg '.mounts += [{destination: "/sysnet/ipv4", type: "bind", source: $s, options: ["rbind"]}]' \
		--arg s "$BUNDLE/hostile-ipv4"
	set_args true
	rt run --bundle "$BUNDLE" "$CID"
	[ "$status" != 0 ] || fail "a mount into /proc through a symlink was accepted"
	grep -q 'inside /proc' <<<"$stderr" || fail "error: $stderr"
}

@test "sysctls: a tmpfs inside /proc is refused; lxcfs's files may be bound" {
	cfg '.mounts += [{destination: "/proc/scsi", type: "tmpfs", source: "tmpfs"}]'
	set_args true
	rt run --bundle "$BUNDLE" "$CID"
	[ "$status" != 0 ] || fail "a tmpfs inside /proc was accepted"
	grep -q 'inside /proc' <<<"$stderr" || fail "error: $stderr"
	echo "MemTotal: 42 kB" >"$BUNDLE/meminfo"
	cfg '.mounts = [.mounts[] | select(.destination != "/proc/scsi")]
		| .mounts += [{destination: "/proc/meminfo", type: "bind", source: $s,
			options: ["bind", "ro"]}]' --arg s "$BUNDLE/meminfo"
	set_args cat /proc/meminfo
	rt_ok run --bundle "$BUNDLE" "$CID-2"
	assert_eq "$output" "MemTotal: 42 kB" "the lxcfs-style /proc/meminfo"
}

@test "sysctls are written through the container's own procfs" {
	cfg '.linux.sysctl = {"net.ipv4.ip_unprivileged_port_start": "77"}'
	set_args cat /proc/sys/net/ipv4/ip_unprivileged_port_start
	rt_ok run --bundle "$BUNDLE" "$CID"
	assert_eq "$output" 77 "the container's sysctl"
}

@test "the container's process and exec's are session leaders: kill(0) stays inside" {
	set_args /bin/sh -c 'cut -d" " -f1,6 /proc/self/stat'
	rt_ok run --bundle "$BUNDLE" "$CID"
	assert_eq "$output" "1 1" "pid and session of the container's process"
	set_args /bin/sleep 60
	CONTAINERS+=("$CID-2")
	rt_ok run -d --bundle "$BUNDLE" "$CID-2"
	rt_ok exec "$CID-2" sh -c 'cut -d" " -f1,6 /proc/self/stat'
	local pid sid
	read -r pid sid <<<"$output"
	assert_eq "$sid" "$pid" "exec's process leads its own session"
	# kill(0) from an exec'd process reaches its own group only.
	rt exec "$CID-2" sh -c 'kill -9 0'
	assert_eq "$status" 137 "exec's status"
	assert_eq "$(container_status "$CID-2")" running "the container after exec's kill(0)"
}
