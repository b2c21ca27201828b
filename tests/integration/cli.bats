#!/usr/bin/env bats
# runc's command line: each command and its flags drive a real container, and
# what callers parse (state and list JSON, the list table, exit statuses,
# one-line errors, json log records) has runc's shape.

load helpers

# start_sleeper [ID]: a created-and-started container running `sleep 300`.
start_sleeper() {
	local id=${1:-$CID}
	set_args sleep 300
	create_container "$id"
	rt_ok start "$id"
	wait_status running "$id"
}

@test "version and help" {
	rt --version
	assert_eq "$status" 0
	grep -q '^spec: 1\.' <<<"$output" || fail "no spec line: $output"
	is_berth || skip "Berth's own wording"
	grep -q '^berth-runc version ' <<<"$output" || fail "version line: $output"
	rt --help
	assert_eq "$status" 0
	grep -qw create <<<"$output" || fail "help lists no commands: $output"
	rt create --help
	assert_eq "$status" 0
	grep -q -- '--bundle' <<<"$output" || fail "create help lists no --bundle: $output"
}

@test "an unknown command or flag is a one-line error" {
	rt frobnicate
	assert_one_line_error frobnicate
	rt create --no-such-flag "$CID"
	assert_one_line_error no-such-flag
	rt start
	assert_one_line_error start
}

@test "create, start, state, kill and delete" {
	set_args sleep 300
	create_container
	rt_ok state "$CID"
	assert_eq "$(jq -r .status <<<"$output")" created "status after create"
	assert_eq "$(jq -r .id <<<"$output")" "$CID" "id"
	assert_eq "$(jq -r .bundle <<<"$output")" "$BUNDLE" "bundle"
	[ "$(jq -r .pid <<<"$output")" -gt 0 ] || fail "no pid: $output"
	grep -q '^  "ociVersion": ' <<<"$output" || fail "state is not indented by two spaces"
	rt_ok start "$CID"
	wait_status running
	rt_ok kill "$CID" KILL
	wait_status stopped
	rt_ok delete "$CID"
	rt state "$CID"
	assert_one_line_error "$CID"
	assert_nothing_left
}

@test "--pid-file holds the init pid" {
	set_args sleep 300
	create_container "$CID" --pid-file "$BATS_TEST_TMPDIR/pid"
	assert_eq "$(cat "$BATS_TEST_TMPDIR/pid")" "$(container_pid)" "pid file"
}

@test "kill takes names with and without SIG, and numbers" {
	local sig
	# pid 1 of a pid namespace ignores signals it has no handler for.
	for sig in TERM SIGTERM sigterm 15; do
		set_args sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
		create_container
		rt_ok start "$CID"
		wait_status running
		rt_ok kill "$CID" "$sig"
		wait_status stopped
		rt_ok delete "$CID"
	done
	start_sleeper
	rt kill "$CID" NOTASIGNAL
	assert_one_line_error NOTASIGNAL
	rt_ok kill "$CID"
	rt_ok kill "$CID" 9
	wait_status stopped
}

@test "delete --force removes a running container" {
	start_sleeper
	rt delete "$CID"
	[ "$status" != 0 ] || fail "deleted a running container without --force"
	rt_ok delete --force "$CID"
	assert_nothing_left
}

@test "run returns the process's exit status; run -d detaches" {
	set_args sh -c 'echo out; exit 7'
	rt run --bundle "$BUNDLE" "$CID"
	assert_eq "$status" 7 "run's exit status"
	assert_eq "$output" out "run's stdout"
	set_args sleep 300
	CONTAINERS+=("$CID")
	rt_ok run -d --bundle "$BUNDLE" "$CID"
	assert_eq "$(container_status)" running
}

@test "exec: args, -e, -u, --cwd and the exit status" {
	start_sleeper
	rt exec "$CID" sh -c 'exit 3'
	assert_eq "$status" 3 "exec's exit status"
	rt_ok exec -e FOO=bar -e BAZ=qux "$CID" sh -c 'echo $FOO $BAZ'
	assert_eq "$output" "bar qux" "env"
	rt_ok exec -u 1000:1001 "$CID" sh -c 'echo $(id -u) $(id -g)'
	assert_eq "$output" "1000 1001" "user"
	rt_ok exec --cwd /tmp "$CID" pwd
	assert_eq "$output" /tmp "cwd"
	if is_berth; then # runc would look for a program named "--"
		rt_ok exec "$CID" -- echo -n x
		assert_eq "$output" x "-- before the command"
	fi
}

@test "exec --process reads a process.json" {
	start_sleeper
	jq -n '{args: ["sh", "-c", "echo $A"], env: ["PATH=/bin:/usr/bin", "A=from-file"], cwd: "/",
		user: {uid: 0, gid: 0}}' \
		>"$BATS_TEST_TMPDIR/process.json"
	rt_ok exec --process "$BATS_TEST_TMPDIR/process.json" "$CID"
	assert_eq "$output" from-file
}

@test "ps lists the container's processes" {
	start_sleeper
	local pid
	pid=$(container_pid)
	rt_ok ps --format json "$CID"
	assert_eq "$(jq -c . <<<"$output")" "[$pid]" "ps json"
	rt_ok ps "$CID"
	head -n 1 <<<"$output" | grep -qw PID || fail "no header: $output"
	awk 'NR > 1 {print $2}' <<<"$output" | grep -qx "$pid" || fail "init not listed: $output"
	rt_ok ps "$CID" -o pid,comm
	grep -q sleep <<<"$output" || fail "ps options not passed: $output"
}

@test "list: table, json and quiet" {
	start_sleeper
	rt_ok list
	head -n 1 <<<"$output" | grep -qE '^ID +PID +STATUS +BUNDLE +CREATED +OWNER' ||
		fail "table header: $output"
	grep -qE "^$CID +[0-9]+ +running +$BUNDLE " <<<"$output" || fail "table row: $output"
	rt_ok list --format json
	assert_eq "$(jq -r ".[] | select(.id == \"$CID\") | .status" <<<"$output")" running
	rt_ok list -q
	assert_eq "$output" "$CID" "quiet"
}

@test "pause and resume" {
	start_sleeper
	rt_ok pause "$CID"
	assert_eq "$(container_status)" paused
	rt_ok resume "$CID"
	assert_eq "$(container_status)" running
}

@test "update takes runc's flags and size suffixes" {
	start_sleeper
	local dir
	rt_ok update --memory 64m --pids-limit 42 "$CID"
	dir=$(host_cgroup_dir "$(container_pid)" memory)
	if cgroup_is_v2 "$(container_pid)" memory; then
		assert_eq "$(cat "$dir/memory.max")" 67108864 "memory.max"
	else
		assert_eq "$(cat "$dir/memory.limit_in_bytes")" 67108864 "memory.limit_in_bytes"
	fi
	dir=$(host_cgroup_dir "$(container_pid)" pids)
	assert_eq "$(cat "$dir/pids.max")" 42 "pids.max"
	echo '{"pids": {"limit": 43}}' | timeout 30 "$RUNTIME" --root "$STATE_ROOT" update -r - "$CID" ||
		fail "update -r - failed"
	assert_eq "$(cat "$dir/pids.max")" 43 "pids.max from -r"
	rt update --memory 64zz "$CID"
	assert_one_line_error 64zz
}

@test "events --stats prints one stats object" {
	start_sleeper
	rt_ok events --stats "$CID"
	assert_eq "$(jq -r .type <<<"$output")" stats
	assert_eq "$(jq -r .id <<<"$output")" "$CID"
	[ "$(jq -r .data.pids.current <<<"$output")" -ge 1 ] || fail "no pids in stats: $output"
}

@test "spec writes a default config.json and never overwrites one" {
	local dir=$BATS_TEST_TMPDIR/spec
	mkdir -p "$dir"
	rt_ok spec --bundle "$dir"
	assert_eq "$(jq -r '.process.args[0]' "$dir/config.json")" sh
	assert_eq "$(jq -r '.root.path' "$dir/config.json")" rootfs
	jq -e '.linux.namespaces | map(.type) | index("network")' "$dir/config.json" >/dev/null ||
		fail "no network namespace"
	rt spec --bundle "$dir"
	assert_one_line_error config.json
	mkdir -p "$dir/rootless"
	rt_ok spec --rootless -b "$dir/rootless"
	jq -e '.linux.namespaces | map(.type) | index("user")' "$dir/rootless/config.json" \
		>/dev/null || fail "rootless spec has no user namespace"
	jq -e '.linux.namespaces | map(.type) | index("network") | not' \
		"$dir/rootless/config.json" >/dev/null || fail "rootless spec keeps the network namespace"
}

@test "the default spec runs" {
	rm "$BUNDLE/config.json"
	(cd "$BUNDLE" && "$RUNTIME" spec) || fail "spec failed"
	cfg '.process.terminal = false | .process.args = ["sh", "-c", "echo hello"]'
	rt run --bundle "$BUNDLE" "$CID"
	assert_eq "$status" 0 "run of the default spec: $stderr"
	assert_eq "$output" hello
}

@test "features describes the runtime" {
	rt_ok features
	assert_eq "$(jq -r .ociVersionMin <<<"$output")" 1.0.0
	jq -e '.linux.capabilities | index("CAP_SYS_ADMIN")' <<<"$output" >/dev/null ||
		fail "no capabilities"
	jq -e '.linux.seccomp.actions | index("SCMP_ACT_ERRNO")' <<<"$output" >/dev/null ||
		fail "no seccomp actions"
	jq -e '.mountOptions | index("rbind")' <<<"$output" >/dev/null || fail "no mount options"
}

@test "a failure is also a json record in --log" {
	is_berth || skip "Berth's own wording"
	local log=$BATS_TEST_TMPDIR/log.json
	rt --log "$log" --log-format json state no-such-container
	assert_one_line_error no-such-container
	assert_eq "$(jq -r .level "$log")" error "log level"
	jq -r .msg "$log" | grep -q no-such-container || fail "log message: $(cat "$log")"
}

@test "--systemd-cgroup and checkpoint are refused clearly" {
	is_berth || skip "runc supports them"
	rt --systemd-cgroup create --bundle "$BUNDLE" "$CID"
	assert_one_line_error systemd
	rt checkpoint "$CID"
	assert_one_line_error "not supported"
}

@test "spec writes what runc spec writes; --version has runc's lines" {
	is_berth || skip "compares berth-runc with runc"
	local runc dir=$BATS_TEST_TMPDIR/specs
	runc=$(command -v runc) || skip "no runc to compare with"
	mkdir -p "$dir/runc" "$dir/berth"
	(cd "$dir/runc" && "$runc" spec) || fail "runc spec"
	(cd "$dir/berth" && "$RUNTIME" spec) || fail "berth-runc spec"
	# Berth's own: the spec version it speaks, and one more masked path
	# (powercap: its energy counters are a side channel, docs/conformance.md)
	local norm='del(.ociVersion) | .linux.maskedPaths -= ["/sys/devices/virtual/powercap"]'
	assert_eq "$(jq -S "$norm" "$dir/berth/config.json")" "$(jq -S "$norm" "$dir/runc/config.json")" \
		"spec against runc spec"
	rt_ok --version
	[[ "$output" =~ ^berth-runc\ version\ .*$'\n'commit:\ [^$'\n']+$'\n'spec:\ 1\. ]] ||
		fail "--version: $output"
}

@test "list sorts by id with runc's columns; --debug and text --log lines are logrus's, as runc's" {
	set_args /probe sleep 60
	create_container "$CID-b"
	create_container "$CID-a"
	rt_ok list -q
	assert_eq "$output" "$CID-a
$CID-b"
	rt_ok list
	[[ "$(head -1 <<<"$output")" =~ ^ID\ +PID\ +STATUS\ +BUNDLE\ +CREATED\ +OWNER$ ]] ||
		fail "list header: $(head -1 <<<"$output")"
	rt_ok --debug state "$CID-a"
	grep -qE '^time="[0-9TZ:-]+" level=debug msg=".+"$' <<<"$stderr" || fail "--debug: $stderr"
	rt --log "$BATS_TEST_TMPDIR/log.txt" state no-such-container
	grep -qE '^time="[0-9TZ:-]+" level=error msg=".*no-such-container.*"$' \
		"$BATS_TEST_TMPDIR/log.txt" || fail "text log: $(cat "$BATS_TEST_TMPDIR/log.txt")"
	rt_ok delete --force "$CID-a"
	rt_ok delete --force "$CID-b"
}

@test "the runtime's notes stay out of the container's streams: ambient without inheritable, unknown syscalls" {
	cfg '.process.capabilities.ambient = ["CAP_NET_BIND_SERVICE", "CAP_KILL"]
		| .process.capabilities.inheritable = []
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [
			{names: ["getcwd", "no_such_syscall"], action: "SCMP_ACT_ALLOW"}]}'
	set_args /bin/sh -c 'echo out; echo err >&2'
	rt run --bundle "$BUNDLE" "$CID"
	assert_eq "$status" 0 "$stderr"
	assert_eq "$output" out
	assert_eq "$stderr" err
	# with --debug and --log they are in the runtime's log
	rt --debug --log "$BATS_TEST_TMPDIR/log.txt" run --bundle "$BUNDLE" "$CID"
	assert_eq "$stderr" err
	grep -q 'unknown syscall' "$BATS_TEST_TMPDIR/log.txt" || fail "log: $(cat "$BATS_TEST_TMPDIR/log.txt")"
}
