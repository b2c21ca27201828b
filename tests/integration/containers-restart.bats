#!/usr/bin/env bats
# Restart policies (with docker's back-off), restart, a simulated host
# reboot with `berth system boot`, and 50 concurrent runs.

load container-helpers

# wait_state NAME STATE: until the container's row says so (20 s at most).
wait_state() {
	for _ in $(seq 200); do
		[ "$(db "select state from containers where name = '$1'")" = "$2" ] && return 0
		sleep 0.1
	done
	fail "$1 never became $2: $(db "select state, restart_count from containers where name = '$1'")"
}

@test "--restart on-failure:2: two restarts, then it stays exited with its status" {
	b_ok run -d --restart on-failure:2 --name of busybox sh -c 'echo run; exit 3'
	sleep 2
	wait_state of exited
	assert_eq "$(db "select restart_count, exit_code from containers where name = 'of'")" "2|3"
	b_ok logs of
	assert_eq "$output" "run
run
run"
	wait_monitors || fail "a monitor is left: $(monitors)"
	# a success is not restarted
	b_ok run -d --restart on-failure --name ok busybox true
	sleep 1
	wait_state ok exited
	assert_eq "$(db "select restart_count from containers where name = 'ok'")" 0
}

@test "--restart always: restarted with a growing back-off until stopped; stop wins" {
	b_ok run -d --restart always --name al busybox sh -c 'date +%s.%N; exit 0'
	sleep 3
	local n
	n=$(db "select restart_count from containers where name = 'al'")
	# 100, 200, 400, 800, 1600 ms: about 5 in 3 s, not hundreds
	[ "$n" -ge 3 ] && [ "$n" -le 8 ] || fail "restart count $n after 3 s"
	b_ok stop al
	wait_state al exited
	assert_eq "$(db "select manually_stopped from containers where name = 'al'")" 1
	n=$(db "select restart_count from containers where name = 'al'")
	sleep 1
	assert_eq "$(db "select restart_count, state from containers where name = 'al'")" "$n|exited"
	wait_monitors || fail "a monitor is left: $(monitors)"
	# start clears the stop and the count: from then on the count is what
	# the back-off (100, 200, 400 ms...) allows in the time it ran, which
	# on a busy machine may be more than the 0.3 s slept.
	local t0 t1 ms allowed=1
	t0=$(date +%s%N)
	b_ok start al
	sleep 0.3
	b_ok stop -t 1 al
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	while [ $((100 * ((1 << allowed) - 1))) -le "$ms" ]; do allowed=$((allowed + 1)); done
	n=$(db "select restart_count from containers where name = 'al'")
	[ "$n" -le "$allowed" ] || fail "count not reset: $n restarts in $ms ms (at most $allowed)"
	# ps shows a container waiting to restart as docker does
	b_ok run -d --restart unless-stopped --name us busybox sh -c 'exit 2'
	for _ in $(seq 50); do
		b_ok ps --filter name=us --format '{{.Status}}'
		[[ $output == Restarting* ]] && break
		sleep 0.05
	done
	[[ $output == "Restarting (2)"* ]] || fail "ps status: $output"
	b rm us
	assert_eq "$status" 1
	b_ok rm -f us
	wait_monitors || fail "a monitor is left: $(monitors)"
}

@test "bad restart policies are refused" {
	b run --restart sometimes busybox true
	assert_eq "$status" 125
	assert_eq "$stderr" "berth: invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"
	b run --restart always:3 busybox true
	assert_eq "$status" 125
	[[ $stderr == *"maximum retry count can only be used with 'on-failure'"* ]] || fail "$stderr"
	b run --restart on-failure:x busybox true
	assert_eq "$status" 125
	b run --rm --restart always busybox true
	assert_eq "$status" 125
	assert_eq "$stderr" "berth: Conflicting options: --restart and --rm"
	b_ok ps -aq
	assert_eq "$output" ""
}

@test "restart: a running container gets a new process" {
	b_ok run -d --name rs busybox sleep 1000
	local pid1 pid2
	pid1=$(db "select pid from containers where name = 'rs'")
	b_ok restart -t 1 rs
	assert_eq "$output" rs
	pid2=$(db "select pid from containers where name = 'rs'")
	[ "$pid1" != "$pid2" ] && [ "$pid2" -gt 0 ] || fail "pid $pid1 -> $pid2"
	kill -0 "$pid2" || fail "new process not running"
	! kill -0 "$pid1" 2>/dev/null || fail "old process still running"
}

@test "a reboot: monitors and containers die, mounts and run dir go; ps, logs, start and system boot" {
	b_ok run -d --restart always --name alw busybox sh -c 'echo alw-$(cat /proc/self/stat | cut -d" " -f22); sleep 1000'
	b_ok run -d --restart unless-stopped --name unl busybox sleep 1000
	b_ok run -d --restart unless-stopped --name stopped busybox sleep 1000
	b_ok stop -t 0 stopped
	b_ok run -d --restart on-failure --name onf busybox sleep 1000
	b_ok run -d --name plain busybox sh -c 'echo plain-log; sleep 1000'
	# on-failure that had given up before the "reboot": not started
	b_ok run -d --restart on-failure:1 --name gaveup busybox sh -c 'exit 5'
	wait_state gaveup exited
	local p pids
	# The "power cut": every process of these containers and their
	# monitors dies at once, the snapshots are unmounted, /run is empty.
	pids=$(monitors)
	for p in $(db "select pid from containers where pid > 0"); do kill -KILL "$p"; done
	for p in $pids; do kill -KILL "$p"; done
	for p in $(awk '{print $5}' /proc/self/mountinfo | grep "^$STORE/" | sort -r); do umount -l "$p"; done
	# the runtime's state and cgroups went with the host too
	for p in $(db "select id from containers"); do
		for d in $(find /sys/fs/cgroup -maxdepth 6 -type d -name "berth-$p" 2>/dev/null); do
			rmdir "$d" 2>/dev/null || true
		done
	done
	rm -rf "$BERTH_RUN_ROOT"
	b_ok ps -a --format '{{.Names}} {{.Status}}'
	for n in alw unl onf plain; do
		grep -q "^$n Exited (255)" <<<"$output" || fail "$n: $output"
	done
	b_ok logs plain
	assert_eq "$output" plain-log
	b_ok system boot
	assert_eq "$(sort <<<"$output" | tr '\n' ' ')" "alw onf unl "
	b_ok ps --format '{{.Names}}'
	assert_eq "$(sort <<<"$output" | tr '\n' ' ')" "alw onf unl "
	b_ok start plain
	b_ok ps -q --filter name=plain
	[ -n "$output" ] || fail "plain did not start"
	b_ok logs alw
	assert_eq "$(wc -l <<<"$output")" 2
}

@test "50 concurrent run --rm all succeed; a name taken twice is refused once" {
	local dir=$BATS_TEST_TMPDIR i failed=0
	for i in $(seq 50); do
		timeout 120 "$BERTH" --root "$STORE" run --rm busybox sh -c "echo c$i" \
			>"$dir/out.$i" 2>"$dir/err.$i" &
	done
	for i in $(seq 50); do
		wait -n || failed=$((failed + 1))
	done
	for i in $(seq 50); do
		[ "$(cat "$dir/out.$i")" = "c$i" ] || fail "run $i: $(cat "$dir/out.$i" "$dir/err.$i")"
	done
	assert_eq "$failed" 0
	b_ok ps -aq
	assert_eq "$output" ""
	wait_monitors || fail "a monitor is left: $(monitors)"
	for i in 1 2 3 4; do
		timeout 60 "$BERTH" --root "$STORE" run -d --name same busybox sleep 100 \
			>"$dir/same.$i" 2>&1 &
	done
	wait
	assert_eq "$(grep -l 'is already in use' "$dir"/same.* | wc -l)" 3
	b_ok ps -q --filter name=same
	assert_eq "$(wc -l <<<"$output")" 1
}

@test "a container an older berth made (its bundle on disk, no config in its row) still starts" {
	b_ok run -d --name old busybox sh -c 'cat /etc/hostname; sleep 100'
	local id=$output run=$BERTH_RUN_ROOT/$output dir=$STORE/containers/$output
	# What such a berth left: the bundle in ROOT/containers/ID, naming its
	# own /etc files there.
	mkdir -p "$dir"
	cp "$run/hostname" "$run/hosts" "$run/resolv.conf" "$dir/"
	sed "s|$run/|$dir/|g" "$run/config.json" >"$dir/config.json"
	b_ok stop -t 1 old
	[ ! -e "$run" ] || fail "the run directory outlived the container: $(ls "$run")"
	sqlite3 "$STORE/berth.db" "update containers set spec = NULL where id = '$id'"
	echo legacy >"$dir/hostname"
	b_ok start old
	b_ok exec old cat /etc/hostname
	assert_eq "$output" legacy
	[ ! -e "$run/config.json" ] || fail "a bundle was written for it in the run directory"
	b_ok rm -f old
	[ ! -e "$dir" ] || fail "its directory is left: $(ls "$dir")"
}
