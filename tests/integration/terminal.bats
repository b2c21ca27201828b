#!/usr/bin/env bats
# Terminals: with process.terminal the runtime hands a pty master to
# --console-socket, and the process sees a tty on stdin, stdout and stderr.

load helpers

# start_receiver [INPUT]: listens on $SOCK, copying the terminal to $CONSOLE_OUT.
start_receiver() {
	local recv
	recv=$(helper_bin console-recv "") || fail "cannot build console-recv" || return 1
	SOCK=$BUNDLE/console.sock
	CONSOLE_OUT=$BUNDLE/console.out
	"$recv" "$SOCK" "$@" >"$CONSOLE_OUT" 2>"$BUNDLE/console.err" &
	RECV_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		[ -S "$SOCK" ] && return 0
		sleep 0.05
	done
	fail "console receiver did not listen"
}

# wait_receiver: waits (bounded) for the receiver to see the terminal close.
wait_receiver() {
	local i
	for ((i = 0; i < 200; i++)); do
		kill -0 "$RECV_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$RECV_PID" 2>/dev/null; then
		kill "$RECV_PID"
		wait "$RECV_PID" 2>/dev/null
		fail "the terminal never closed; got: $(cat "$CONSOLE_OUT")"
		return 1
	fi
	wait "$RECV_PID" || fail "console-recv failed: $(cat "$BUNDLE/console.err")"
}

teardown() {
	[ -n "${RECV_PID:-}" ] && kill "$RECV_PID" 2>/dev/null
	berth_teardown
}

# console_json FILTER: the probe's report as read from the terminal.
console_json() {
	tr -d '\r' <"$CONSOLE_OUT" | grep '^{' | tail -n 1 | jq -r "$1"
}

@test "terminal: true gives the process a tty through the console socket" {
	cfg '.process.terminal = true'
	start_receiver
	CONTAINERS+=("$CID")
	rt_ok run --detach --console-socket "$SOCK" --bundle "$BUNDLE" "$CID"
	wait_receiver
	assert_eq "$(console_json .isatty.stdin)" true "stdin is a tty"
	assert_eq "$(console_json .isatty.stdout)" true "stdout is a tty"
	assert_eq "$(console_json .isatty.stderr)" true "stderr is a tty"
	wait_status stopped
	rt_ok delete "$CID"
	assert_nothing_left
}

@test "create/start with a console socket, and /dev/console is the pty" {
	cfg '.process.terminal = true'
	set_args /probe stat /dev/console
	start_receiver
	create_container "$CID" --console-socket "$SOCK"
	rt_ok start "$CID"
	wait_receiver
	assert_eq "$(console_json .type)" char "/dev/console type"
	# Unix98 pty slaves have major 136-143.
	local major
	major=$(console_json .rdev_major)
	[ "$major" -ge 136 ] && [ "$major" -le 143 ] || fail "/dev/console major $major is not a pty"
}

@test "input written to the terminal reaches the process" {
	cfg '.process.terminal = true'
	set_args /bin/sh -c 'read line; echo "got:$line"'
	start_receiver $'hello-tty\n'
	CONTAINERS+=("$CID")
	rt_ok run --detach --console-socket "$SOCK" --bundle "$BUNDLE" "$CID"
	wait_receiver
	tr -d '\r' <"$CONSOLE_OUT" | grep -qx "got:hello-tty" || fail "terminal output: $(cat "$CONSOLE_OUT")"
}

@test "terminal: false leaves stdio as the caller's" {
	run_probe_ok report
	assert_pj .isatty.stdin false
	assert_pj .isatty.stdout false
}

@test "detaching with a terminal but no console socket fails and leaves nothing" {
	cfg '.process.terminal = true'
	set_args /probe sleep 120
	rt create --bundle "$BUNDLE" "$CID"
	[ "$status" != 0 ] || fail "create with a terminal and no console socket succeeded"
	assert_nothing_left
}

# owner_case: the terminal of a process running as uid 1000 is that
# user's, its group devpts's tty (5), for run and for exec.
owner_case() {
	cfg '.process.terminal = true | .process.user = {uid: 1000, gid: 1000}'
	set_args /bin/sh -c 'stat -L -c "owner %u:%g" /proc/self/fd/0'
	start_receiver
	CONTAINERS+=("$CID")
	rt_ok run --detach --console-socket "$SOCK" --bundle "$BUNDLE" "$CID"
	wait_receiver
	tr -d '\r' <"$CONSOLE_OUT" | grep -qx "owner 1000:5" ||
		fail "$RUNTIME: the terminal of run: $(cat "$CONSOLE_OUT")"
	rt delete --force "$CID"
	# exec --tty as another user
	cfg '.process.terminal = false | .process.user = {uid: 0, gid: 0}'
	set_args /probe sleep 120
	rt_ok run --detach --bundle "$BUNDLE" "$CID"
	start_receiver
	rt_ok exec --detach --tty --user 1001:1001 --console-socket "$SOCK" "$CID" \
		/bin/sh -c 'stat -L -c "owner %u:%g" /proc/self/fd/0'
	wait_receiver
	tr -d '\r' <"$CONSOLE_OUT" | grep -qx "owner 1001:5" ||
		fail "$RUNTIME: the terminal of exec: $(cat "$CONSOLE_OUT")"
	rt delete --force "$CID"
}

@test "a non-root process owns its terminal, group tty (5), for run and exec, as runc makes it" {
	local rt=$RUNTIME runc
	owner_case
	runc=$(command -v runc) || true
	if is_berth && [ -n "$runc" ]; then
		RUNTIME=$runc owner_case
	fi
	assert_nothing_left
}
