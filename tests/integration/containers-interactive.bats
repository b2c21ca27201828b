#!/usr/bin/env bats
# Terminals and processes: run -i/-t, attach with the detach keys, start -a
# and -i, exec, and the signal proxy. Interactive commands run on a real
# pseudo-terminal driven by ptydrive.py, as a user at a terminal would.

load container-helpers

PTY=$INTEGRATION_ROOT/ptydrive.py

# pty STEP... -- ARGS: berth ARGS on a pseudo-terminal (see ptydrive.py).
pty() {
	local steps=()
	while [ "$1" != -- ]; do
		steps+=("$1")
		shift
	done
	shift
	status=0
	output=$(timeout 120 python3 "$PTY" "${steps[@]}" -- "$BERTH" --root "$STORE" "$@" 2>&1) ||
		status=$?
}

@test "run -it: a tty inside, the terminal's size and resizes, input, the exit status" {
	pty size:30,100 'expect:# ' 'send:tty; stty size; echo $((6*7))\n' expect:42 \
		size:20,60 'send:stty size\n' 'expect:20 60' 'send:exit 3\n' -- run -it --rm busybox sh
	assert_eq "$status" 3 "exit status: $output"
	[[ $output == *"/dev/pts/0"* ]] || fail "no tty: $output"
	[[ $output == *"30 100"* ]] || fail "size not passed: $output"
	[[ $output == *"20 60"* ]] || fail "resize not passed: $output"
	b_ok ps -a -q
	assert_eq "$output" ""
}

@test "run -t without -i: a tty, output only; -i without -t: stdin until EOF" {
	pty -- run -t --rm busybox sh -c 'tty; test -t 0 && echo stdin-tty'
	assert_eq "$status" 0
	[[ $output == *"/dev/pts/0"* ]] || fail "no tty: $output"
	# stdin is the pty's too, but nobody types into it
	status=0
	output=$(printf 'a\nb\nc\n' | timeout 60 "$BERTH" --root "$STORE" run -i --rm busybox wc -l) ||
		status=$?
	assert_eq "$status" 0
	assert_eq "$output" 3
	output=$(echo hello | timeout 60 "$BERTH" --root "$STORE" run -i --rm busybox sh -c 'cat; echo done')
	assert_eq "$output" "hello
done"
	# without -i the container's stdin is empty
	output=$(echo hello | timeout 60 "$BERTH" --root "$STORE" run --rm busybox sh -c 'cat; echo end')
	assert_eq "$output" end
	# -it needs a terminal, as docker says
	b run -it --rm busybox true
	assert_eq "$status" 125
	assert_eq "$stderr" "berth: the input device is not a TTY"
}

@test "detach with ctrl-p ctrl-q, attach again, and the exit reaches attach" {
	pty 'expect:# ' 'send:echo first\n' expect:first 'send:\x10\x11' -- run -it --name dt busybox sh
	assert_eq "$status" 0 "detach: $output"
	b_ok ps --filter name=dt --format '{{.Status}}'
	[[ $output == Up* ]] || fail "not running after detach: $output"
	pty 'sleep:0.5' 'send:echo back-$((40+2))\n' expect:back-42 'send:exit 5\n' -- attach dt
	assert_eq "$status" 5 "attach: $output"
	b_ok ps -a --filter name=dt --format '{{.Status}}'
	[[ $output == "Exited (5)"* ]] || fail "status: $output"
	# a detach sequence that does not go on is input
	pty 'expect:# ' 'send:echo \x10x\n' 'send:exit 0\n' -- run -it --rm --detach-keys ctrl-x,ctrl-y busybox sh
	assert_eq "$status" 0 "$output"
	# other detach keys
	pty 'expect:# ' 'send:\x18\x19' -- run -it --name dk --detach-keys ctrl-x,ctrl-y busybox sh
	assert_eq "$status" 0 "custom detach keys: $output"
	b_ok ps -q --filter name=dk
	[ -n "$output" ] || fail "dk is not running"
	b attach nosuch
	assert_eq "$status" 1
	assert_eq "$stderr" "berth: No such container: nosuch"
	b_ok stop -t 0 dk
	b attach dk
	assert_eq "$status" 1
	assert_eq "$stderr" "berth: You cannot attach to a stopped container, start it first"
	b run --rm --detach-keys ctrl-1 busybox true
	assert_eq "$status" 125
	[[ $stderr == *"invalid detach keys"* ]] || fail "$stderr"
}

@test "run -d -it, then attach: the output goes to the attached terminal and the log" {
	b_ok run -d -it --name bg busybox sh
	pty 'sleep:0.5' 'send:echo via-$((1+1))\n' expect:via-2 'send:\x10\x11' -- attach bg
	assert_eq "$status" 0 "$output"
	b_ok logs bg
	[[ $output == *via-2* ]] || fail "not in the log: $output"
	pty 'sleep:0.5' 'send:exit 9\n' -- attach bg
	assert_eq "$status" 9 "$output"
}

@test "start -a and start -ai: the output, stdin, and the exit status" {
	b_ok create --name sa busybox sh -c 'echo out; echo err >&2; exit 4'
	b start -a sa
	assert_eq "$status" 4
	assert_eq "$output" out
	assert_eq "$stderr" err
	b_ok create -i --name si busybox sh -c 'read line; echo got $line'
	output=$(echo hello | timeout 60 "$BERTH" --root "$STORE" start -ai si)
	assert_eq "$output" "got hello"
	b_ok start sa
	assert_eq "$output" sa
}

@test "exec: the process, user, workdir, env, exit statuses, stdin, a tty, -d" {
	b_ok run -d --name ex busybox sleep 1000
	b_ok exec ex sh -c 'echo $$; id -u; cat /proc/1/cmdline | tr "\0" " "'
	local pid
	pid=$(sed -n 1p <<<"$output")
	[ "$pid" != 1 ] || fail "exec ran as pid 1"
	assert_eq "$(sed -n 2p <<<"$output")" 0
	assert_eq "$(sed -n 3p <<<"$output")" "sleep 1000 "
	b_ok exec -u 65534:65534 -w /tmp -e FOO=bar ex sh -c 'id -u; id -g; pwd; echo $FOO'
	assert_eq "$output" "65534
65534
/tmp
bar"
	b exec ex sh -c 'exit 7'
	assert_eq "$status" 7
	# docker exec: 126 for whatever keeps the process from starting
	# (docker run says 127 for a missing program; exec does not).
	b exec ex nonexistent
	assert_eq "$status" 126
	[[ $stderr == *nonexistent* ]] || fail "$stderr"
	b exec -w /no/such/dir ex true
	assert_eq "$status" 126
	b exec ex /etc/passwd
	assert_eq "$status" 126
	output=$(echo piped | timeout 60 "$BERTH" --root "$STORE" exec -i ex cat)
	assert_eq "$output" piped
	output=$(echo piped | timeout 60 "$BERTH" --root "$STORE" exec ex sh -c 'cat; echo none')
	assert_eq "$output" none
	pty 'expect:# ' 'send:tty; echo $((3*3))\n' expect:9 'send:exit 2\n' -- exec -it ex sh
	assert_eq "$status" 2 "$output"
	[[ $output == *"/dev/pts/"* ]] || fail "no tty: $output"
	b_ok exec -d ex sh -c 'sleep 0.2; touch /tmp/detached'
	assert_eq "$output" ""
	sleep 1
	b_ok exec ex ls /tmp/detached
	b_ok exec ex grep CapEff /proc/self/status
	assert_eq "$output" "CapEff:	00000000a80425fb"
	# --privileged: what the engine itself may give (its bounding set)
	b_ok exec --privileged ex grep CapEff /proc/self/status
	assert_eq "$output" "$(printf 'CapEff:\t%016x' $((0x$(awk '/CapBnd/ {print $2}' /proc/self/status))))"
	b_ok ps -q --filter name=ex
	local id=$output
	b_ok stop -t 0 ex
	b exec ex true
	assert_eq "$status" 1
	assert_eq "$stderr" "berth: container $id is not running"
	b exec missing true
	assert_eq "$status" 1
	assert_eq "$stderr" "berth: No such container: missing"
}

@test "the signal proxy: SIGTERM to an attached run reaches the container; --sig-proxy=false keeps it" {
	local out=$BATS_TEST_TMPDIR/out pid
	"$BERTH" --root "$STORE" run --rm busybox sh -c \
		'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done' >"$out" &
	pid=$!
	for _ in $(seq 100); do grep -q ready "$out" && break; sleep 0.1; done
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	assert_eq "$status" 7
	assert_eq "$(cat "$out")" "ready
got TERM"
	"$BERTH" --root "$STORE" run --name np --sig-proxy=false busybox sh -c \
		'trap "echo got TERM; exit 7" TERM; echo ready; sleep 1000 & wait' >"$out" &
	pid=$!
	for _ in $(seq 100); do grep -q ready "$out" && break; sleep 0.1; done
	kill -TERM "$pid"
	wait "$pid" || true
	b_ok ps -q --filter name=np
	[ -n "$output" ] || fail "the container got the signal"
}

@test "attach: several clients see the same output; a client that goes away does not stop the container" {
	b_ok run -d --name multi busybox sh -c 'for i in $(seq 1 30); do echo line-$i; sleep 0.1; done'
	local a=$BATS_TEST_TMPDIR/a c=$BATS_TEST_TMPDIR/c p1 p2
	"$BERTH" --root "$STORE" attach --no-stdin multi >"$a" &
	p1=$!
	"$BERTH" --root "$STORE" attach --no-stdin multi >"$c" &
	p2=$!
	sleep 0.5
	kill -KILL "$p2"
	status=0
	wait "$p1" || status=$?
	assert_eq "$status" 0
	grep -q line-30 "$a" || fail "attach missed the end: $(cat "$a")"
	b_ok logs multi
	assert_eq "$(wc -l <<<"$output")" 30
}
