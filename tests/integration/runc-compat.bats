#!/usr/bin/env bats
# runc compatibility: the command lines containerd's runc shim sends.

load helpers

# shim ARGS...: the runtime as the shim calls it (global --log, json format).
shim() {
	rt --log "$BUNDLE/log.json" --log-format json "$@"
}

assert_log_is_json() {
	[ -e "$BUNDLE/log.json" ] || return 0
	local n
	n=$(grep -c . "$BUNDLE/log.json" || true)
	[ "$n" = 0 ] && return 0
	jq -e . "$BUNDLE/log.json" >/dev/null || fail "log.json is not JSON lines: $(cat "$BUNDLE/log.json")"
}

@test "shim sequence: create --pid-file, start, delete, delete --force" {
	set_args /probe exit 0
	CONTAINERS+=("$CID")
	shim create --bundle "$BUNDLE" --pid-file "$BUNDLE/init.pid" "$CID"
	[ "$status" = 0 ] || fail "create: $stderr"
	[ -s "$BUNDLE/init.pid" ] || fail "no init.pid"
	local pid
	pid=$(cat "$BUNDLE/init.pid")
	shim state "$CID"
	assert_eq "$(jq -r .pid <<<"$output")" "$pid" "state pid vs init.pid"
	assert_eq "$(jq -r .status <<<"$output")" created "status"
	shim start "$CID"
	[ "$status" = 0 ] || fail "start: $stderr"
	wait_status stopped
	shim delete "$CID"
	[ "$status" = 0 ] || fail "delete: $stderr"
	# The shim's cleanup path runs delete --force after delete; it must not fail.
	shim delete --force "$CID"
	[ "$status" = 0 ] || fail "delete --force of a deleted container: $stderr"
	assert_log_is_json
	assert_nothing_left
}

@test "state has the fields the shim reads" {
	set_args /probe sleep 120
	CONTAINERS+=("$CID")
	shim create --bundle "$BUNDLE" --pid-file "$BUNDLE/init.pid" "$CID"
	[ "$status" = 0 ] || fail "create: $stderr"
	shim state "$CID"
	[ "$status" = 0 ] || fail "state: $stderr"
	[ -n "$output" ] || fail "state printed nothing"
	jq -e --arg id "$CID" --arg b "$BUNDLE" \
		'.id == $id and .bundle == $b and (.pid | type) == "number" and .status == "created"
		 and (.ociVersion | type) == "string"' <<<"$output" >/dev/null ||
		fail "state: $output"
}

@test "kill --all and ps --format json as the shim calls them" {
	set_args /bin/sh -c '/probe sleep 120 & exec /probe sleep 120'
	CONTAINERS+=("$CID")
	shim create --bundle "$BUNDLE" --pid-file "$BUNDLE/init.pid" "$CID"
	shim start "$CID"
	wait_status running
	local i
	for ((i = 0; i < 50; i++)); do
		shim ps --format json "$CID"
		[ "$(jq length <<<"$output")" = 2 ] && break
		sleep 0.1
	done
	assert_eq "$(jq length <<<"$output")" 2 "ps --format json"
	local pids
	pids=$(jq -r '.[]' <<<"$output")
	shim kill --all "$CID" 9
	[ "$status" = 0 ] || fail "kill --all: $stderr"
	wait_status stopped
	for i in $pids; do
		kill -0 "$i" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$i/status" && fail "pid $i survived kill --all"
	done
	shim delete "$CID"
	[ "$status" = 0 ] || fail "delete: $stderr"
	assert_nothing_left
}

@test "exec --process --detach --pid-file as the shim calls it" {
	set_args /probe sleep 120
	CONTAINERS+=("$CID")
	shim create --bundle "$BUNDLE" --pid-file "$BUNDLE/init.pid" "$CID"
	shim start "$CID"
	jq '.process | .args = ["/probe", "sleep", "120"] | .env += ["EXEC=1"]' "$BUNDLE/config.json" \
		>"$BUNDLE/process.json"
	shim exec --process "$BUNDLE/process.json" --detach --pid-file "$BUNDLE/exec.pid" "$CID"
	[ "$status" = 0 ] || fail "exec: $stderr"
	local epid
	epid=$(cat "$BUNDLE/exec.pid")
	[ "$epid" -gt 0 ] || fail "no exec pid"
	tr '\0' '\n' <"/proc/$epid/environ" | grep -qx EXEC=1 || fail "exec'd process lacks its env"
	assert_eq "$(readlink "/proc/$epid/ns/pid")" "$(readlink "/proc/$(cat "$BUNDLE/init.pid")/ns/pid")" "pid ns"
	shim kill "$CID" 9
	wait_status stopped
	shim delete "$CID"
	assert_nothing_left
}

@test "a failed create logs to --log and leaves nothing" {
	rm -rf "$BUNDLE/rootfs"
	shim create --bundle "$BUNDLE" --pid-file "$BUNDLE/init.pid" "$CID"
	[ "$status" != 0 ] || fail "create without a rootfs succeeded"
	[ ! -e "$BUNDLE/init.pid" ] || fail "pid file written for a failed create"
	assert_log_is_json
	assert_nothing_left
}

@test "--version and features-free basics" {
	rt --version
	[ "$status" = 0 ] || fail "--version failed"
	grep -qi "version" <<<"$output" || fail "--version output: $output"
	rt --help
	[ "$status" = 0 ] || fail "--help failed"
}

# leftover_case: a container without a pid namespace of its own whose init
# has exited leaves its other processes; kill --all reaches them in the
# stopped container, a plain kill says "container not running" (the words
# containerd maps to NotFound).
leftover_case() {
	cfg 'del(.linux.namespaces[] | select(.type == "pid"))'
	set_args /bin/sh -c '/probe sleep 300 & echo $! > /left.pid; exit 0'
	rm -f "$BUNDLE/rootfs/left.pid"
	shim create --bundle "$BUNDLE" --pid-file "$BUNDLE/init.pid" "$CID"
	[ "$status" = 0 ] || fail "$RUNTIME create: $stderr"
	shim start "$CID"
	wait_status stopped
	local left i
	for ((i = 0; i < 100; i++)); do
		[ -s "$BUNDLE/rootfs/left.pid" ] && break
		sleep 0.05
	done
	left=$(cat "$BUNDLE/rootfs/left.pid")
	kill -0 "$left" || fail "$RUNTIME: the process left behind is not there"
	shim kill "$CID" 9
	[ "$status" != 0 ] || fail "$RUNTIME: kill of a stopped container succeeded"
	grep -q "container not running" <<<"$stderr" || fail "$RUNTIME: kill said: $stderr"
	shim kill --all "$CID" 9
	[ "$status" = 0 ] || fail "$RUNTIME: kill --all of a stopped container: $stderr"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$left" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$left/status" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$left" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$left/status" 2>/dev/null &&
		fail "$RUNTIME: pid $left survived kill --all"
	shim delete --force "$CID"
	return 0
}

@test "kill --all of a stopped container reaches what its init left; kill says container not running, as runc" {
	local rt=$RUNTIME runc
	CONTAINERS+=("$CID")
	leftover_case
	runc=$(command -v runc) || true
	if is_berth && [ -n "$runc" ]; then
		RUNTIME=$runc leftover_case
	fi
	assert_nothing_left
}

# exec_state_case: exec's own failures exit 255 with "exec failed"; a
# paused container is refused unless --ignore-paused, whose process runs
# once it is resumed; --cgroup runs the process in a sub-cgroup.
exec_state_case() {
	local dir sub st
	set_args /probe sleep 300
	shim run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" = 0 ] || fail "$RUNTIME run: $stderr"
	shim pause "$CID"
	shim exec "$CID" /probe exit 0
	assert_eq "$status" 255 "$RUNTIME: exec into a paused container"
	grep -q "cannot exec in a paused container" <<<"$stderr" || fail "$RUNTIME: $stderr"
	if is_berth; then
		# its process joins the frozen cgroup and waits there: the exec
		# returns once the container is resumed (runc's hangs the same
		# way; whether its process then runs differs from run to run)
		timeout 60 "$RUNTIME" --root "$STATE_ROOT" exec --ignore-paused "$CID" \
			/bin/sh -c 'echo ran > /exec-ran' >"$BUNDLE/ip.out" 2>&1 &
		local ip=$!
		sleep 0.5
		[ ! -e "$BUNDLE/rootfs/exec-ran" ] || fail "$RUNTIME: it ran while paused"
		shim resume "$CID"
		wait "$ip" || fail "$RUNTIME: exec --ignore-paused: $(cat "$BUNDLE/ip.out")"
		[ -e "$BUNDLE/rootfs/exec-ran" ] || fail "$RUNTIME: the --ignore-paused process never ran"
	else
		shim resume "$CID"
	fi
	# --cgroup: an existing sub-cgroup of the container's (pids hierarchy)
	dir=$(host_cgroup_dir "$(container_pid)" pids)
	sub=$dir/sub
	mkdir "$sub"
	shim exec --cgroup pids:sub "$CID" /bin/sh -c 'grep pids /proc/self/cgroup'
	st=$status
	rmdir "$sub" 2>/dev/null || true
	[ "$st" = 0 ] || fail "$RUNTIME: exec --cgroup: $stderr"
	[[ "$output" == *"/sub" ]] || fail "$RUNTIME: exec --cgroup ran in $output"
	shim kill "$CID" 9
	wait_status stopped
	shim exec "$CID" /probe exit 0
	assert_eq "$status" 255 "$RUNTIME: exec into a stopped container"
	grep -q "cannot exec in a stopped container" <<<"$stderr" || fail "$RUNTIME: $stderr"
	shim delete --force "$CID"
	rm -f "$BUNDLE/rootfs/exec-ran"
}

@test "exec: 255 for its own failures, paused refused but --ignore-paused, --cgroup, as runc" {
	local rt=$RUNTIME runc
	CONTAINERS+=("$CID")
	cgroup_is_v2 $$ pids && skip "reads the v1 pids hierarchy of this host"
	exec_state_case
	runc=$(command -v runc) || true
	if is_berth && [ -n "$runc" ]; then
		RUNTIME=$runc exec_state_case
	fi
	assert_nothing_left
}
