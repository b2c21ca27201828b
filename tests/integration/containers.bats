#!/usr/bin/env bats
# The engine's container commands (berth run, create, start, ps, logs, stop,
# kill, rm, wait), each run against a real container made from an image
# imported from busybox-static, with its monitor process.

load container-helpers

@test "run --rm: the output, the exit status, and nothing left behind" {
	b_ok run --rm --cidfile "$BATS_TEST_TMPDIR/cid" busybox echo hello from a container
	assert_eq "$output" "hello from a container"
	local id
	id=$(cat "$BATS_TEST_TMPDIR/cid")
	# Gone when run returns: the row, the snapshot's row, the directories
	# (moved aside for the monitor to unmount and delete).
	b_ok ps -a -q
	assert_eq "$output" ""
	assert_eq "$(sqlite3 "$STORE/berth.db" "select count(*) from snapshots")" 0
	[ -z "$(ls "$STORE/containers")" ] || fail "container dir left: $(ls "$STORE/containers")"
	[ -z "$(ls "$STORE/snapshots")" ] || fail "snapshot dir left: $(ls "$STORE/snapshots")"
	# A moment later the monitor has cleaned up the rest and is gone.
	wait_monitors || fail "a monitor is left: $(monitors)"
	! grep -q " $STORE/" /proc/self/mountinfo || fail "a mount is left"
	[ -z "$(ls "$STORE/tmp")" ] || fail "left in tmp: $(ls "$STORE/tmp")"
	[ -z "$(ls "$BERTH_RUN_ROOT/runtime" | grep -v seccomp)" ] ||
		fail "runtime state left: $(ls "$BERTH_RUN_ROOT/runtime")"
	assert_no_cgroup "berth-$id"
	b run --rm busybox sh -c 'echo out; echo err >&2; exit 3'
	assert_eq "$status" 3 "exit status"
	assert_eq "$output" out
	assert_eq "$stderr" err
}

@test "run: what the process sees: pid 1, env, workdir, user, hostname, own root" {
	b_ok run --rm -e A=1 -e B -w /tmp -u 65534:65534 -h myhost busybox \
		sh -c 'echo $$ $A ${B:-unset} $(pwd) $(id -u):$(id -g) $(hostname) $HOSTNAME'
	assert_eq "$output" "1 1 unset /tmp 65534:65534 myhost myhost"
	B=fromcaller b_ok run --rm -e B busybox sh -c 'echo $B'
	assert_eq "$output" fromcaller
	# The root is the image's snapshot, writable, and private to the container.
	b_ok run --rm busybox sh -c 'touch /written && ls /bin/busybox /written'
	assert_eq "$output" "$(printf '/bin/busybox\n/written')"
	b_ok run --rm busybox sh -c 'ls /written 2>&1 || echo absent'
	assert_eq "$(tail -1 <<<"$output")" absent
	# Docker's default capabilities (CapEff 00000000a80425fb) and no network.
	b_ok run --rm busybox sh -c 'grep CapEff /proc/self/status; ls /sys/class/net'
	assert_eq "$output" "$(printf 'CapEff:\t00000000a80425fb\nlo')"
	b_ok run --rm --cap-drop ALL busybox grep CapEff /proc/self/status
	assert_eq "$output" "$(printf 'CapEff:\t0000000000000000')"
}

@test "signals: the container's processes start with none blocked or ignored, whatever the caller had" {
	# The caller ignores SIGHUP and SIGPIPE (as under nohup); the monitor
	# itself blocks SIGCHLD. None of it reaches the container.
	(
		trap '' HUP PIPE
		b_ok run --rm busybox grep -E '^Sig(Blk|Ign)' /proc/self/status
		assert_eq "$output" "$(printf 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000')"
		b_ok run -d --name sigs busybox sleep 100
		b_ok exec sigs grep -E '^Sig(Blk|Ign)' /proc/self/status
		assert_eq "$output" "$(printf 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000')"
	)
	# So a pipe's reader leaving ends the writer by SIGPIPE, as usual.
	b_ok run --rm busybox sh -c 'yes | head -1; echo "${PIPESTATUS:-done}"'
	assert_eq "$output" "$(printf 'y\ndone')"
	b_ok rm -f sigs
}

@test "run -d, ps, logs, stop, rm: a detached container outlives the command that started it" {
	b_ok run -d --name web busybox sh -c 'echo started; echo oops >&2; trap "echo bye; exit 7" TERM; while :; do sleep 0.1; done'
	local id=$output
	[[ $id =~ ^[0-9a-f]{64}$ ]] || fail "not an id: $id"
	b_ok ps
	assert_eq "$(sed -n 1p <<<"$output" | tr -s ' ')" "CONTAINER ID IMAGE COMMAND CREATED STATUS PORTS NAMES"
	grep -q "^${id:0:12} .*busybox .*Up .* web$" <<<"$output" || fail "ps: $output"
	b_ok ps -q
	assert_eq "$output" "${id:0:12}"
	b_ok ps --no-trunc -q
	assert_eq "$output" "$id"
	b_ok ps --format '{{.Names}} {{.State}}'
	assert_eq "$output" "web running"
	[ -n "$(monitors)" ] || fail "no monitor"
	sleep 0.5
	b_ok logs web
	assert_eq "$output" started
	assert_eq "$stderr" oops
	b_ok logs -t web
	[[ $output =~ ^20[0-9-]+T[0-9:.]+Z\ started$ ]] || fail "logs -t: $output"
	# The log is docker's json-file.
	assert_eq "$(jq -s -c 'map(select(.stream == "stdout") | .log)' "$STORE/containers/$id/$id-json.log")" \
		'["started\n"]' "json-file log"
	b rm web
	assert_eq "$status" 1
	assert_error "container is running"
	b_ok stop -t 5 web
	assert_eq "$output" web
	b_ok ps -a --format '{{.Status}}'
	[[ $output =~ ^Exited\ \(7\) ]] || fail "status: $output"
	b_ok logs --tail 1 web
	assert_eq "$output" bye
	b_ok wait web
	assert_eq "$output" 7
	wait_monitors || fail "the monitor did not exit: $(monitors)"
	assert_no_cgroup "berth-$id"
	b_ok rm web
	b_ok ps -a -q
	assert_eq "$output" ""
}

@test "run -d returns at once: the monitor keeps none of the caller's descriptors" {
	# Command substitution waits for every holder of its pipe to close it.
	local id
	id=$(timeout 20 "$BERTH" --root "$STORE" run -d busybox sh -c 'while :; do sleep 1; done' 2>&1) ||
		fail "run -d did not return: $id"
	[[ $id =~ ^[0-9a-f]{64}$ ]] || fail "not an id: $id"
	local mon
	mon=$(sqlite3 "$STORE/berth.db" "select monitor_pid from containers where id = '$id'")
	[ "$mon" -gt 0 ] || fail "no monitor pid recorded"
	assert_eq "$(cat /proc/$mon/comm)" berth-monitor
	# Its stdio is /dev/null, and it is in a session of its own (double
	# forked: not the session's leader, so it never gets a terminal).
	assert_eq "$(readlink /proc/$mon/fd/1)" /dev/null
	assert_eq "$(readlink /proc/$mon/fd/2)" /dev/null
	[ "$(ps -o sid= -p $mon)" != "$(ps -o sid= -p $$)" ] || fail "the monitor is in our session"
	b_ok rm -f "$id"
	local i
	for i in $(seq 50); do
		[ "$(cat /proc/$mon/comm 2>/dev/null)" = berth-monitor ] || break
		sleep 0.1
	done
	[ "$(cat /proc/$mon/comm 2>/dev/null)" != berth-monitor ] || fail "the monitor outlived its container"
}

@test "stop: a container that ignores SIGTERM is killed after the timeout; kill -s sends a signal" {
	b_ok run -d --name stubborn busybox sh -c 'trap "" TERM; while :; do sleep 0.1; done'
	b_ok stop -t 1 stubborn
	b_ok wait stubborn
	assert_eq "$output" 137
	b_ok run -d --name kk busybox sh -c 'trap "exit 42" USR1; while :; do sleep 0.1; done'
	sleep 0.3
	b_ok kill -s USR1 kk
	b_ok wait kk
	assert_eq "$output" 42
	b kill kk
	assert_eq "$status" 1
	assert_error "is not running"
}

@test "create, start and a restart of an exited container" {
	b_ok create --name c1 busybox sh -c 'echo run; exit 5'
	local id=$output
	b_ok ps -a --format '{{.ID}} {{.Status}}'
	assert_eq "$output" "${id:0:12} Created"
	b_ok start c1
	assert_eq "$output" c1
	b_ok wait c1
	assert_eq "$output" 5
	b_ok start c1
	b_ok wait c1
	b_ok logs c1
	assert_eq "$output" "$(printf 'run\nrun')"
	# Names and unique id prefixes find it.
	b_ok wait "${id:0:5}"
	assert_eq "$output" 5
}

@test "bad input: exit 125 (1 for start, as docker), one line, and nothing left behind" {
	store_state >"$BATS_TEST_TMPDIR/before"
	b run --rm nosuchimage true
	assert_eq "$status" 125
	assert_error "No such image: nosuchimage"
	b run --bogus busybox true
	assert_eq "$status" 125
	assert_error "unknown flag: --bogus"
	b run --network bridge busybox true
	assert_eq "$status" 125
	assert_error bridge
	b run --log-opt max-size=lots busybox true
	assert_eq "$status" 125
	assert_error max-size
	b run --name 'bad name' busybox true
	assert_eq "$status" 125
	assert_error "Invalid container name"
	# (docker makes the container and refuses its start: with --rm it goes)
	b run --rm -u nosuchuser busybox true
	assert_eq "$status" 125
	assert_error nosuchuser
	b start nosuch
	assert_eq "$status" 1
	assert_error "No such container: nosuch"
	assert_store_unchanged "$BATS_TEST_TMPDIR/before"
	# A command that is not there: docker's 127, and the --rm container goes.
	b run --rm busybox /nonexistent
	assert_eq "$status" 127
	b_ok ps -a -q
	assert_eq "$output" ""
	# A name in use.
	b_ok create --name dup busybox true
	b create --name dup busybox true
	assert_eq "$status" 1 # docker: its daemon's refusals are 1 for create
	assert_error 'Conflict' '"/dup"'
	b_ok rm dup
	assert_store_unchanged "$BATS_TEST_TMPDIR/before"
}

@test "logs rotate: max-size and max-file bound the json-file log" {
	b_ok run --name chatty --log-opt max-size=2k --log-opt max-file=2 busybox \
		sh -c 'i=0; while [ $i -lt 200 ]; do echo line $i; i=$((i + 1)); done'
	local id
	id=$(sqlite3 "$STORE/berth.db" "select id from containers where name = 'chatty'")
	local log=$STORE/containers/$id/$id-json.log
	[ -f "$log.1" ] || fail "no rotated file"
	[ ! -e "$log.2" ] || fail "more files than max-file"
	[ "$(stat -c %s "$log")" -le 2048 ] || fail "log larger than max-size"
	b_ok logs --tail 1 chatty
	assert_eq "$output" "line 199"
	# the same from the config file; a flag still wins
	printf 'log-max-size = 1k\nlog-max-file = 3\n' >"$IMG_DIR/berth.conf"
	BERTH_CONFIG=$IMG_DIR/berth.conf b_ok run --name conf busybox \
		sh -c 'i=0; while [ $i -lt 200 ]; do echo line $i; i=$((i + 1)); done'
	id=$(sqlite3 "$STORE/berth.db" "select id from containers where name = 'conf'")
	log=$STORE/containers/$id/$id-json.log
	[ -f "$log.2" ] || fail "config file's max-file not applied"
	[ ! -e "$log.3" ] || fail "more files than the config's max-file"
	[ "$(stat -c %s "$log")" -le 1024 ] || fail "log larger than the config's max-size"
	printf 'log-max-size = lots\n' >"$IMG_DIR/berth.conf"
	BERTH_CONFIG=$IMG_DIR/berth.conf b run --rm busybox true
	assert_eq "$status" 1
	assert_eq "$stderr" "berth: $IMG_DIR/berth.conf:1: invalid log-max-size \"lots\""
}

@test "json-file: a line over 16 KiB is cut into records of 16 KiB, as docker's; logs gives it whole" {
	# cut by size, however the monitor's reads fall
	b_ok run --name long busybox sh -c 'head -c 40000 /dev/zero | tr "\0" a; echo; echo short'
	local id
	id=$(sqlite3 "$STORE/berth.db" "select id from containers where name = 'long'")
	assert_eq "$(jq -r '.log | length' "$STORE/containers/$id/$id-json.log" | tr '\n' ' ')" \
		"16384 16384 7233 6 "
	b_ok logs long
	assert_eq "$(head -1 <<<"$output" | wc -c)" 40001
	assert_eq "$(tail -1 <<<"$output")" short
}

@test "rmi refuses an image a container uses; ps filters" {
	b_ok create --name user1 --label tier=web busybox true
	b rmi busybox
	[ "$status" != 0 ] || fail "rmi removed an image in use"
	b_ok run --name ok1 busybox true
	b_ok ps -a --filter status=exited --format '{{.Names}}'
	assert_eq "$output" ok1
	b_ok ps -a --filter label=tier=web --format '{{.Names}}'
	assert_eq "$output" user1
	b_ok ps -a --filter exited=0 -q
	assert_eq "$(wc -l <<<"$output")" 1
	b_ok ps -n 1 --format '{{.Names}}'
	assert_eq "$output" ok1
	b_ok rm user1 ok1
	b_ok rmi busybox
}

@test "a killed monitor: the container is stopped and recorded, its logs kept, and it starts again" {
	b_ok run -d --name orphan busybox sh -c 'echo before; while :; do sleep 0.1; done'
	local id=$output mon init
	sleep 0.3
	mon=$(sqlite3 "$STORE/berth.db" "select monitor_pid from containers where id = '$id'")
	init=$(sqlite3 "$STORE/berth.db" "select pid from containers where id = '$id'")
	kill -9 "$mon"
	b_ok ps -a --format '{{.Names}} {{.Status}}'
	[[ $output =~ ^orphan\ Exited\ \(255\) ]] || fail "ps: $output"
	# The container's processes are gone, not left running unwatched.
	local i
	for i in $(seq 50); do [ -d "/proc/$init" ] || break; sleep 0.1; done
	[ ! -d "/proc/$init" ] || fail "the container's init is still running"
	b_ok logs orphan
	assert_eq "$output" before
	b_ok start orphan
	b_ok ps --format '{{.Names}} {{.State}}'
	assert_eq "$output" "orphan running"
	b_ok rm -f orphan
	assert_no_cgroup "berth-$id"
}

@test "logs -f: follows through the monitor, across rotations, no line lost or repeated, ends with the container" {
	b_ok run -d --name follow --log-opt max-size=1k --log-opt max-file=5 busybox sh -c \
		'i=0; while [ $i -lt 60 ]; do echo line $i; i=$((i + 1)); [ $((i % 10)) = 0 ] && sleep 0.2; done; echo done >&2'
	# from the start, and joining midway
	timeout 60 "$BERTH" --root "$STORE" logs -f follow >"$BATS_TEST_TMPDIR/f1" 2>&1 &
	local p1=$!
	sleep 0.5
	timeout 60 "$BERTH" --root "$STORE" logs -f follow >"$BATS_TEST_TMPDIR/f2" 2>&1 &
	local p2=$!
	wait "$p1" || fail "logs -f failed"
	wait "$p2" || fail "the second logs -f failed"
	local want
	want=$( (seq 0 59 | sed 's/^/line /'; echo done))
	assert_eq "$(cat "$BATS_TEST_TMPDIR/f1")" "$want" "logs -f from the start"
	# the late one sees the records rotated away before it joined, as
	# far as max-file keeps them, then everything after: no gap, no repeat
	local first
	first=$(head -1 "$BATS_TEST_TMPDIR/f2" | awk '{print $2}')
	assert_eq "$(cat "$BATS_TEST_TMPDIR/f2")" "$( (seq "$first" 59 | sed 's/^/line /'; echo done))" \
		"logs -f joined midway"
	# --tail reads across the rotated files too
	b_ok logs --tail 12 follow
	assert_eq "$output" "$(seq 49 59 | sed 's/^/line /')"
	assert_eq "$stderr" done
}

@test "run --rm: removed however it ends: its command killed, detached, or started with start -a" {
	# The command that would have ended it is killed: the monitor does.
	"$BERTH" --root "$STORE" run --rm --name gone busybox sleep 1 >/dev/null 2>&1 &
	local pid=$! i
	for i in $(seq 50); do
		[ "$(db "select count(*) from containers where name = 'gone' and state = 'running'")" = 1 ] && break
		sleep 0.1
	done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	wait_no_containers
	b_ok ps -aq
	assert_eq "$output" "" "the killed command's container was not removed"
	# Detached: nobody to hand over to.
	b_ok run -d --rm --name det busybox true
	wait_no_containers
	b_ok ps -aq
	assert_eq "$output" "" "the detached --rm container was not removed"
	# create --rm, then start -a: the attached start ends it.
	b_ok create --rm --name later busybox sh -c 'echo from later; exit 4'
	b start -a later
	assert_eq "$status" 4
	assert_eq "$output" "from later"
	b_ok ps -aq
	assert_eq "$output" ""
	wait_monitors || fail "a monitor is left: $(monitors)"
	[ -z "$(ls "$STORE/tmp")" ] || fail "left in tmp: $(ls "$STORE/tmp")"
	! grep -q " $STORE/" /proc/self/mountinfo || fail "a mount is left"
}
