#!/usr/bin/env bats
# Container escapes through the engine (issue 10): hostile images, exec,
# the monitor. The attacks run for real from inside containers
# (tests/helpers/escape.c); security-runtime.bats has the runtime's own.

load container-helpers

setup() {
	container_setup || return 1
	ESCAPE=$(helper_bin escape -static) || return 1
	MARKER_DIR=$(mktemp -d "/tmp/berth-it.${BERTH_TEST_RUN:+$BERTH_TEST_RUN.}marker.XXXXXX")
	echo host-secret >"$MARKER_DIR/host-marker"
	MARKER=${MARKER_DIR#/}/host-marker
	CORE_PATTERN=$(cat /proc/sys/kernel/core_pattern)
}

teardown() {
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$CORE_PATTERN" ] ||
		echo "$CORE_PATTERN" >/proc/sys/kernel/core_pattern
	rm -rf "$MARKER_DIR"
	container_teardown
}

# sealed_fd PID FD: the file behind the process's fd is on a read-only
# mount (a sealed clone) or a sealed memfd.
sealed() {
	python3 - "$1" <<'EOF'
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
ro = os.statvfs("/proc/self/fd/%d" % fd).f_flag & os.ST_RDONLY
try:
    seals = fcntl.fcntl(fd, 1034)  # F_GET_SEALS
except OSError:
    seals = 0
sys.exit(0 if ro or seals & 8 else 1)
EOF
}

# A copy of berth and its programs, so an attack that worked would damage
# only the copy.
use_berth_copy() {
	local d=$BATS_TEST_TMPDIR/bin
	mkdir -p "$d"
	cp "$BERTH" "$BERTH_BUILD/src/cli/berth-monitor" "$d/"
	cp "$(readlink -f "$BERTH_BUILD/src/cli/berth-init")" "$d/berth-init"
	BERTH=$d/berth
	BERTH_SUM=$(sha256sum <"$BERTH")
}

@test "CVE-2019-5736: exec and the monitor run berth from a sealed file" {
	local pid mon fd i ok=
	b_ok run -d --name victim busybox sleep 60
	"$BERTH" --root "$STORE" exec victim sleep 4 </dev/null >/dev/null 2>&1 &
	pid=$!
	for i in $(seq 40); do
		if sealed "/proc/$pid/exe" 2>/dev/null; then ok=1; break; fi
		sleep 0.1
	done
	wait "$pid" || true
	[ -n "$ok" ] || fail "berth exec did not run from a sealed file"
	# The monitor's exit command is an fd of the sealed berth, not a path.
	mon=$(pgrep -f "berth-monitor init=.*$STORE" | head -1)
	[ -n "$mon" ] || fail "no monitor"
	fd=$(tr '\0' '\n' <"/proc/$mon/cmdline" | sed -n 's|^/proc/self/fd/\([0-9]*\)$|\1|p')
	[ -n "$fd" ] || fail "the monitor's exit command is not an fd: $(tr '\0' ' ' <"/proc/$mon/cmdline")"
	sealed "/proc/$mon/fd/$fd" || fail "the monitor's exit command is not sealed"
	assert_eq "$(stat -L -c %i "/proc/$mon/fd/$fd")" "$(stat -c %i "$BERTH")" "the exit command's inode"
}

@test "CVE-2019-5736: a container hunting for the runtime during execs cannot rewrite berth" {
	use_berth_copy
	b_ok run -d --name victim --cap-add SYS_PTRACE -v "$ESCAPE:/escape:ro" busybox \
		/escape scan 120 "$MARKER" /tmp/stop
	local i
	# An escape ends the exploit (and the container): the execs' own
	# statuses matter less than what the exploit says it did.
	for i in $(seq 25); do
		b exec victim true
		b exec -w /tmp victim sh -c 'exit 0'
	done
	b exec victim touch /tmp/stop
	b_ok wait victim
	b_ok logs victim
	! grep -q ESCAPED <<<"$output" || fail "the container escaped: $output"
	grep -q '^rounds=' <<<"$output" || fail "the exploit did not finish: $output"
	assert_eq "$(sha256sum <"$BERTH")" "$BERTH_SUM" "berth's checksum"
}

@test "CVE-2024-21626: -w, an image's WORKDIR and exec -w through /proc/self/fd/N stay inside" {
	local n tar
	b_ok run -d --name victim -v "$ESCAPE:/escape:ro" busybox sleep 60
	for n in $(seq 3 16); do
		b run --rm -w "/proc/self/fd/$n" -v "$ESCAPE:/escape:ro" busybox /escape cwd "$MARKER"
		! grep -q ESCAPED <<<"$output" || fail "run -w /proc/self/fd/$n escaped: $output"
		b exec -w "/proc/self/fd/$n" victim /escape cwd "$MARKER"
		! grep -q ESCAPED <<<"$output" || fail "exec -w /proc/self/fd/$n escaped: $output"
	done
	tar=$(busybox_tar)
	for n in 5 8 14; do
		b_ok import --change "WORKDIR /proc/self/fd/$n" "$tar" "hostile-wd-$n"
		b run --rm -v "$ESCAPE:/escape:ro" "hostile-wd-$n" /escape cwd "$MARKER"
		! grep -q ESCAPED <<<"$output" || fail "WORKDIR /proc/self/fd/$n escaped: $output"
	done
}

# Every path docker's defaults mask (engine/ocispec.c), files and directories.
MASKED="/proc/asound /proc/acpi /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list
	/proc/timer_stats /proc/sched_debug /proc/scsi /sys/firmware /sys/devices/virtual/powercap"

@test "CVE-2025-31133: an image's VOLUME /dev with a hostile /dev/null is refused" {
	local tar
	cp "$(busybox_tar)" "$WORK/hostile.tar"
	mkdir -p "$WORK/x/dev"
	ln -s /proc/sys/kernel/core_pattern "$WORK/x/dev/null"
	tar -rf "$WORK/hostile.tar" -C "$WORK/x" ./dev/null
	b_ok import --change 'VOLUME /dev' "$WORK/hostile.tar" hostile
	b run --rm -v "$ESCAPE:/escape:ro" hostile /escape mask '|/bin/evil %p' $MASKED
	assert_eq "$status" 125 "exit status"
	assert_error VOLUME /dev
	! grep -q ESCAPED <<<"$output" || fail "a masked path was writable: $output"
	b_ok ps -a -q
	assert_eq "$output" "" "containers left"
	b_ok volume ls -q
	assert_eq "$output" "" "volumes left"
	assert_eq "$(cat /proc/sys/kernel/core_pattern)" "$CORE_PATTERN" "the host's core_pattern"
	# The same image with its volume elsewhere runs, and its masked files
	# are the host's null device.
	b_ok import --change 'VOLUME /data' "$WORK/hostile.tar" hostile2
	b_ok run --rm -v "$ESCAPE:/escape:ro" hostile2 /escape mask '|/bin/evil %p' $MASKED
	! grep -q ESCAPED <<<"$output" || fail "a masked path was writable: $output"
	grep -q 'null=1' <<<"$output" || fail "no masked file was the null device: $output"
}

@test "mounts over /dev, /proc and /sys: refused with one line, nothing made" {
	local tar
	tar=$(busybox_tar)
	b_ok import --change 'VOLUME /proc/sys/net/ipv4' "$tar" vol-proc
	b run --rm vol-proc true
	assert_eq "$status" 125 "image VOLUME /proc/sys/net/ipv4"
	assert_error VOLUME /proc/sys/net/ipv4
	b_ok import --change 'VOLUME /sys/kernel' "$tar" vol-sys
	b run --rm vol-sys true
	assert_eq "$status" 125 "image VOLUME /sys/kernel"
	b run --rm -v vol:/proc/sys/net busybox true
	assert_eq "$status" 125 "-v vol:/proc/sys/net"
	assert_error /proc/sys/net
	b run --rm --tmpfs /proc/scsi busybox true
	assert_eq "$status" 125 "--tmpfs /proc/scsi"
	b run --rm -v vol:/dev busybox true
	assert_eq "$status" 125 "-v vol:/dev"
	assert_error /dev
	b run --rm -v "$WORK:/dev" busybox true
	assert_eq "$status" 125 "-v DIR:/dev"
	b_ok ps -a -q
	assert_eq "$output" "" "containers left"
	b_ok volume ls -q
	assert_eq "$output" "" "volumes left"
	# What users do on purpose still works.
	b_ok run --rm -v /dev:/dev busybox test -c /dev/null
	b_ok run --rm --tmpfs /dev busybox test -c /dev/null
}

@test "kill(0) inside a container reaches neither its monitor nor exec's caller" {
	local mon cid
	b_ok run -d --name kk --restart always busybox sh -c 'sleep 0.5; kill -9 0'
	cid=$output
	mon=$(pgrep -f "berth-monitor init=.*$cid" | head -1)
	[ -n "$mon" ] || fail "no monitor"
	local i
	for i in $(seq 100); do
		[ "$(db "select restart_count from containers where id = '$cid'")" -ge 2 ] && break
		sleep 0.1
	done
	kill -0 "$mon" 2>/dev/null || fail "the monitor was killed"
	[ "$(db "select restart_count from containers where id = '$cid'")" -ge 2 ] ||
		fail "the policy did not restart the container"
	b_ok stop -t 1 kk
	b_ok run -d --name ee busybox sleep 60
	b exec ee sh -c 'kill -9 0'
	assert_eq "$status" 137 "exec's status"
	b_ok inspect -f '{{.State.Running}}' ee
	assert_eq "$output" true "the container after exec's kill(0)"
}
