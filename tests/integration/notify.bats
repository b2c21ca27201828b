#!/usr/bin/env bats
# Seccomp user notification: an SCMP_ACT_NOTIFY rule hands the listener fd
# to the agent at linux.seccomp.listenerPath, with the container process
# state, and the agent's answer is what the process's syscall returns.

load helpers

teardown() {
	if [ -n "${AGENT_PID:-}" ]; then
		kill "$AGENT_PID" 2>/dev/null
		wait "$AGENT_PID" 2>/dev/null
	fi
	berth_teardown
}

# start_agent ERRNO: serves $SOCK, answering each notification with -ERRNO
# (0: success); it gives up by itself after 30 s.
start_agent() {
	local agent i
	agent=$(helper_bin seccomp-agent "") || fail "cannot build seccomp-agent" || return 1
	SOCK=$BUNDLE/agent.sock
	AGENT_STATE=$BUNDLE/agent.state
	AGENT_LOG=$BUNDLE/agent.log
	"$agent" "$SOCK" "$AGENT_STATE" "$AGENT_LOG" "$1" 30 2>"$BUNDLE/agent.err" &
	AGENT_PID=$!
	for ((i = 0; i < 100; i++)); do
		[ -S "$SOCK" ] && return 0
		sleep 0.05
	done
	fail "seccomp agent did not listen: $(cat "$BUNDLE/agent.err")"
}

# notify_rule NAME...: default-allow filter that notifies the listener of NAME.
notify_rule() {
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"],
		listenerPath: $sock, listenerMetadata: "berth-test-metadata",
		syscalls: [{names: $names, action: "SCMP_ACT_NOTIFY"}]}' \
		--arg sock "${SOCK:-$BUNDLE/agent.sock}" --argjson names "$(json_array "$@")"
}

# wait_agent: the agent exits 0 by itself once the container is gone.
wait_agent() {
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$AGENT_PID" 2>/dev/null && fail "agent still running after the container exited"
	wait "$AGENT_PID" || fail "agent failed: $(cat "$BUNDLE/agent.err")" || return 1
	AGENT_PID=
}

@test "the agent's error answer is what the notified syscall returns" {
	start_agent 18 # EXDEV
	notify_rule mkdir
	run_probe_ok syscall mkdir /tmp/notified
	assert_pj .ret -1
	assert_pj .errno 18
	[ ! -e "$BUNDLE/rootfs/tmp/notified" ] || fail "mkdir went through despite the agent"
	wait_agent
	# One notification, for mkdir (x86_64 number 83), from the probe.
	grep -qx "fd received" "$AGENT_LOG" || fail "agent log: $(cat "$AGENT_LOG")"
	assert_eq "$(grep -c '^nr=' "$AGENT_LOG")" 1 "notifications"
	[ "$(uname -m)" != x86_64 ] || grep -q '^nr=83 ' "$AGENT_LOG" ||
		fail "agent log: $(cat "$AGENT_LOG")"
}

@test "the agent receives the container process state with the listener fd" {
	start_agent 18
	notify_rule mkdir
	run_probe_ok syscall mkdir
	wait_agent
	[ -s "$AGENT_STATE" ] || fail "no state received"
	jq -e . "$AGENT_STATE" >/dev/null || fail "state is not JSON: $(cat "$AGENT_STATE")"
	grep -q seccompFd "$AGENT_STATE" || fail "no seccompFd in $(cat "$AGENT_STATE")"
	assert_eq "$(jq -c .fds "$AGENT_STATE")" '["seccompFd"]' "fds"
	assert_eq "$(jq -r .state.id "$AGENT_STATE")" "$CID" "state.id"
	assert_eq "$(jq -r .metadata "$AGENT_STATE")" berth-test-metadata "metadata"
	assert_eq "$(jq -r .state.bundle "$AGENT_STATE")" "$BUNDLE" "state.bundle"
	[[ "$(jq -r .pid "$AGENT_STATE")" =~ ^[1-9][0-9]*$ ]] ||
		fail "no pid in $(cat "$AGENT_STATE")"
	jq -e '.ociVersion | type == "string"' "$AGENT_STATE" >/dev/null ||
		fail "no ociVersion in $(cat "$AGENT_STATE")"
}

@test "an agent's success answer makes the syscall return without running it" {
	start_agent 0
	notify_rule mkdir
	run_probe_ok syscall mkdir /tmp/faked
	assert_pj .ret 0
	assert_pj .errno 0
	[ ! -e "$BUNDLE/rootfs/tmp/faked" ] || fail "the kernel ran mkdir; the agent should have"
	wait_agent
}

@test "syscalls without a notify rule do not reach the agent" {
	start_agent 18
	notify_rule mkdir
	run_probe_ok syscall mkdirat /tmp/direct
	assert_pj .ret 0
	[ -d "$BUNDLE/rootfs/tmp/direct" ] || fail "mkdirat did not create the directory"
	wait_agent
	assert_eq "$(grep -c '^nr=' "$AGENT_LOG")" 0 "notifications"
}

@test "the listener fd reaches the agent through create and start" {
	start_agent 18
	notify_rule mkdir
	set_args /probe syscall mkdir /tmp/notified
	create_container
	# The fd is passed during create, before the process runs.
	local i
	for ((i = 0; i < 100; i++)); do
		grep -qx "fd received" "$AGENT_LOG" 2>/dev/null && break
		sleep 0.05
	done
	grep -qx "fd received" "$AGENT_LOG" || fail "no fd after create: $(cat "$BUNDLE/agent.err")"
	assert_eq "$(jq -r .state.id "$AGENT_STATE")" "$CID" "state.id"
	rt_ok start "$CID"
	wait_status stopped
	wait_agent
	assert_eq "$(grep -c '^nr=' "$AGENT_LOG")" 1 "notifications"
}

@test "an unreachable listenerPath fails create and leaves nothing" {
	SOCK=$BUNDLE/nobody-listens.sock
	notify_rule mkdir
	set_args /probe sleep 60
	rt create --bundle "$BUNDLE" "$CID"
	assert_one_line_error nobody-listens.sock
	assert_nothing_left
	assert_mounts_unchanged
}

@test "SCMP_ACT_NOTIFY without listenerPath fails create and leaves nothing" {
	notify_rule mkdir
	cfg 'del(.linux.seccomp.listenerPath)'
	set_args /probe sleep 60
	rt create --bundle "$BUNDLE" "$CID"
	assert_one_line_error listenerPath
	assert_nothing_left
	assert_mounts_unchanged
}
