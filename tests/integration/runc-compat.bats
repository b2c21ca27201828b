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
