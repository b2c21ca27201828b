#!/usr/bin/env bats
# Lifecycle: create, start, state, kill, delete, run --detach, pid files,
# list, ps, pause/resume, exec.

load helpers

proc_alive() {
	kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

@test "create, start, kill and delete walk through the states" {
	set_args /probe sleep 120
	create_container
	rt_ok state "$CID"
	assert_eq "$(jq -r .status <<<"$output")" created "status after create"
	assert_eq "$(jq -r .id <<<"$output")" "$CID" "state id"
	assert_eq "$(jq -r .bundle <<<"$output")" "$BUNDLE" "state bundle"
	local pid
	pid=$(jq -r .pid <<<"$output")
	[ "$pid" -gt 0 ] && proc_alive "$pid" || fail "created container has no live process ($pid)"
	# Created, not started: the user's program has not been exec'd yet.
	grep -q sleep "/proc/$pid/cmdline" && fail "the process ran before start"

	rt_ok start "$CID"
	wait_status running
	assert_eq "$(container_pid)" "$pid" "pid after start"
	grep -q "probe" "/proc/$pid/cmdline" || fail "pid $pid is not the probe: $(tr '\0' ' ' <"/proc/$pid/cmdline")"

	rt_ok kill "$CID" KILL
	wait_status stopped
	proc_alive "$pid" && fail "process $pid survived SIGKILL"
	rt_ok delete "$CID"
	rt state "$CID"
	[ "$status" != 0 ] || fail "state still knows a deleted container"
	assert_nothing_left
}

@test "kill sends the default signal SIGTERM" {
	set_args /probe sleep 120
	create_container
	rt_ok start "$CID"
	local pid
	pid=$(container_pid)
	rt_ok kill "$CID"
	wait_status stopped
	proc_alive "$pid" && fail "still alive after SIGTERM"
	return 0
}

@test "run --detach leaves a running container" {
	set_args /probe sleep 120
	CONTAINERS+=("$CID")
	rt_ok run --detach --bundle "$BUNDLE" "$CID"
	assert_eq "$(container_status)" running "status"
	proc_alive "$(container_pid)" || fail "no live process"
	rt_ok delete --force "$CID"
	assert_nothing_left
}

@test "the pid file holds the container's pid" {
	set_args /probe sleep 120
	create_container "$CID" --pid-file "$BUNDLE/pidfile"
	[ -s "$BUNDLE/pidfile" ] || fail "no pid file"
	local pid
	pid=$(container_pid)
	assert_eq "$(cat "$BUNDLE/pidfile")" "$pid" "pid file"
}

@test "a relative pid file is relative to the caller's directory" {
	set_args /probe sleep 120
	cd "$BATS_TEST_TMPDIR"
	create_container "$CID" --pid-file rel.pid
	local pid
	pid=$(container_pid)
	assert_eq "$(cat "$BATS_TEST_TMPDIR/rel.pid")" "$pid" "pid file"
}

@test "list shows every container with its status" {
	set_args /probe sleep 120
	create_container "$CID-a"
	create_container "$CID-b"
	rt_ok start "$CID-b"
	rt_ok list -q
	assert_eq "$(sort <<<"$output" | tr '\n' ' ')" "$CID-a $CID-b " "list -q"
	rt_ok list --format json
	assert_eq "$(jq -r --arg i "$CID-a" '.[] | select(.id == $i) | .status' <<<"$output")" created "status of a"
	assert_eq "$(jq -r --arg i "$CID-b" '.[] | select(.id == $i) | .status' <<<"$output")" running "status of b"
	rt_ok list
	grep -q "^$CID-a " <<<"$output" || fail "table lacks $CID-a: $output"
}

@test "ps lists the container's processes" {
	set_args /bin/sh -c '/probe sleep 120 & exec /probe sleep 120'
	CONTAINERS+=("$CID")
	rt_ok run --detach --bundle "$BUNDLE" "$CID"
	local pid i
	pid=$(container_pid)
	for ((i = 0; i < 50; i++)); do
		rt_ok ps --format json "$CID"
		[ "$(jq length <<<"$output")" = 2 ] && break
		sleep 0.1
	done
	assert_eq "$(jq length <<<"$output")" 2 "process count"
	jq -e --argjson p "$pid" 'index($p) != null' <<<"$output" >/dev/null || fail "init $pid not in $output"
	rt_ok ps "$CID"
	grep -qw "$pid" <<<"$output" || fail "ps table lacks $pid: $output"
}

@test "pause freezes and resume thaws the container" {
	set_args /probe sleep 120
	CONTAINERS+=("$CID")
	rt_ok run --detach --bundle "$BUNDLE" "$CID"
	local pid dir
	pid=$(container_pid)
	rt_ok pause "$CID"
	assert_eq "$(container_status)" paused "status after pause"
	if cgroup_is_v2 "$pid" freezer; then
		dir=$(host_cgroup_dir "$pid" freezer)
		assert_eq "$(cat "$dir/cgroup.freeze")" 1 "cgroup.freeze"
	else
		dir=$(host_cgroup_dir "$pid" freezer)
		assert_eq "$(cat "$dir/freezer.state")" FROZEN "freezer.state"
	fi
	rt_ok resume "$CID"
	assert_eq "$(container_status)" running "status after resume"
	if cgroup_is_v2 "$pid" freezer; then
		assert_eq "$(cat "$dir/cgroup.freeze")" 0 "cgroup.freeze"
	else
		assert_eq "$(cat "$dir/freezer.state")" THAWED "freezer.state"
	fi
}

@test "exec runs a process inside the running container" {
	set_args /probe sleep 120
	CONTAINERS+=("$CID")
	rt_ok run --detach --bundle "$BUNDLE" "$CID"
	local pid
	pid=$(container_pid)
	rt_ok exec --env EXTRA=1 --cwd /tmp "$CID" /probe report
	[ "$(pj .pid)" != 1 ] || fail "exec'd process is pid 1"
	assert_pj .ns.pid "$(readlink "/proc/$pid/ns/pid")"
	assert_pj .ns.mnt "$(readlink "/proc/$pid/ns/mnt")"
	assert_pj .ns.net "$(readlink "/proc/$pid/ns/net")"
	assert_pj .cwd /tmp
	assert_pj .hostname berth-test
	pj '.env[]' | grep -qx EXTRA=1 || fail "exec env lacks EXTRA=1"
	assert_pj .CapEff "$CAPS_DEFAULT"
	assert_pj .NoNewPrivs 1
	# Its cgroup is the container's.
	assert_pj '.cgroup | map(select(test("pids"))) | .[0] | split(":")[2] | split("/") | last' "$CGNAME"
}

@test "exec returns the process's exit status and honours --user" {
	set_args /probe sleep 120
	CONTAINERS+=("$CID")
	rt_ok run --detach --bundle "$BUNDLE" "$CID"
	rt exec "$CID" /probe exit 5
	assert_eq "$status" 5 "exec exit status"
	rt_ok exec --user 1000:1000 "$CID" /probe report
	assert_pj .uid 1000
	assert_pj .gid 1000
}

@test "delete --force removes a running container" {
	set_args /probe sleep 120
	CONTAINERS+=("$CID")
	rt_ok run --detach --bundle "$BUNDLE" "$CID"
	local pid
	pid=$(container_pid)
	proc_alive "$pid" || fail "no live process before delete"
	rt_ok delete --force "$CID"
	proc_alive "$pid" && fail "process $pid survived delete --force"
	assert_nothing_left
}

@test "delete without --force refuses a running container" {
	set_args /probe sleep 120
	CONTAINERS+=("$CID")
	rt_ok run --detach --bundle "$BUNDLE" "$CID"
	rt delete "$CID"
	[ "$status" != 0 ] || fail "deleted a running container"
	assert_eq "$(container_status)" running "status after refused delete"
}

@test "start twice fails the second time" {
	set_args /probe sleep 120
	create_container
	rt_ok start "$CID"
	rt start "$CID"
	[ "$status" != 0 ] || fail "second start succeeded"
	assert_eq "$(container_status)" running "status"
}

@test "a container whose process exits is stopped and keeps its state until delete" {
	set_args /probe exit 3
	create_container
	rt_ok start "$CID"
	wait_status stopped
	[ -n "$(leftover_state)" ] || fail "state removed before delete"
	rt_ok delete "$CID"
	assert_nothing_left
}

@test "a container directory without state is creating; only --force deletes it" {
	is_berth || skip "runc keeps its state differently"
	# What a create killed half-way (or one still running) leaves.
	mkdir -p "$STATE_ROOT/$CID"
	rt_ok state "$CID"
	assert_eq "$(jq -r .status <<<"$output")" creating "status"
	assert_eq "$(jq -r .pid <<<"$output")" 0 "pid"
	rt kill "$CID" KILL
	[ "$status" != 0 ] || fail "kill of a creating container succeeded"
	rt delete "$CID"
	[ "$status" != 0 ] || fail "delete without --force removed a creating container"
	rt_ok delete --force "$CID"
	[ ! -e "$STATE_ROOT/$CID" ] || fail "delete --force left $STATE_ROOT/$CID"
}

# status_field PID FIELD: a field of /proc/PID/status.
status_field() {
	awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"
}

@test "run: a process that needs nothing of the runtime shares its memory until exec; the runtime is itself again after" {
	is_berth || skip "berth's clone path"
	local log=$BATS_TEST_TMPDIR/run.log rtpid i blk
	set_args /probe sleep 120
	CONTAINERS+=("$CID")
	"$RUNTIME" --root "$STATE_ROOT" --log "$log" --debug run --bundle "$BUNDLE" "$CID" \
		</dev/null >"$BATS_TEST_TMPDIR/run.out" 2>"$BATS_TEST_TMPDIR/run.err" &
	rtpid=$!
	wait_status running
	grep -q "shares this runtime's memory" "$log" || fail "no shared clone: $(cat "$log")"
	# While it waits, the runtime blocks only the signals it forwards
	# (HUP INT QUIT USR1 USR2 TERM), not all it blocked around the clone,
	# and the container's program none.
	for ((i = 0; i < 50; i++)); do
		blk=$(status_field "$rtpid" SigBlk)
		[ "$blk" = 0000000000004a07 ] && break
		sleep 0.1
	done
	assert_eq "$blk" 0000000000004a07 "the runtime's blocked signals"
	assert_eq "$(status_field "$(container_pid)" SigBlk)" 0000000000000000 "the program's blocked signals"
	kill -TERM "$rtpid"
	wait "$rtpid" || status=$?
	assert_eq "$status" 143 "run's exit status (the forwarded SIGTERM)"
	# The child dropped the log file in the memory they shared; the
	# runtime's records after it must still reach the file.
	grep -qF "container \\\"$CID\\\" exited with status 143" "$log" ||
		fail "the runtime's log after the clone is lost: $(cat "$log")"
	assert_nothing_left
}

@test "run: a prestart hook keeps the runtime's own clone, and the program still starts at once" {
	is_berth || skip "berth's clone path"
	local log=$BATS_TEST_TMPDIR/run.log
	cfg '.hooks.prestart = [{path: "/bin/sh", args: ["sh", "-c", "echo ran >\($f)"]}]' \
		--arg f "$BATS_TEST_TMPDIR/hook.out"
	set_args /probe exit 7
	rt --log "$log" --debug run --bundle "$BUNDLE" "$CID"
	assert_eq "$status" 7 "exit status"
	assert_eq "$(cat "$BATS_TEST_TMPDIR/hook.out")" ran "prestart hook"
	! grep -q "shares this runtime's memory" "$log" || fail "shared clone despite a prestart hook"
	grep -qF "container \\\"$CID\\\" exited with status 7" "$log" || fail "log: $(cat "$log")"
	assert_nothing_left
}

@test "run: the program is in its cgroup2 directory, as with the clone into it" {
	grep -q '^0::' /proc/self/cgroup || skip "no cgroup2 here"
	run_probe_ok report
	local path ours
	path=$(pj '.cgroup[]' | grep '^0::')
	ours=$(grep '^0::' /proc/self/cgroup)
	ours=${ours#0::}
	assert_eq "${path#0::}" "${ours%/}/$CGNAME" "cgroup2 path"
}

@test "the runtime under any name an engine gives it: a copy named runc, a link elsewhere" {
	is_berth || skip "berth's own program names"
	local dir=$BATS_TEST_TMPDIR/bin saved=$RUNTIME
	mkdir -p "$dir"
	cp "$(readlink -f "$RUNTIME")" "$dir/runc"
	ln -s "$(readlink -f "$RUNTIME")" "$dir/container-runtime"
	for RUNTIME in "$dir/runc" "$dir/container-runtime"; do
		rt_ok --version
		[[ "$output" == "berth-runc version "* ]] || fail "$RUNTIME --version: $output"
		run_probe_ok uname
		assert_pj .nodename "$(jq -r .hostname "$BUNDLE/config.json")"
		set_args /probe sleep 60
		create_container named-$$ --pid-file "$BATS_TEST_TMPDIR/pid"
		rt_ok state named-$$
		assert_eq "$(jq -r .status <<<"$output")" created
		rt_ok delete --force named-$$
	done
	RUNTIME=$saved
	assert_nothing_left
}

@test "run --keep keeps the stopped container, its state and cgroup, until delete, as runc" {
	local rt=$RUNTIME dir
	set_args /probe exit 3
	for RUNTIME in "$rt" $(is_berth && command -v runc); do
		rt run --keep --bundle "$BUNDLE" "$CID"
		assert_eq "$status" 3 "$RUNTIME: the process's status"
		rt_ok state "$CID"
		assert_eq "$(jq -r .status <<<"$output")" stopped "$RUNTIME: kept, stopped"
		dir=$(awk '$(NF-2) == "cgroup" && $NF ~ /(^|,)pids(,|$)/ {print $5; exit}' /proc/self/mountinfo)
		dir=${dir:-$(awk '$(NF-2) == "cgroup2" {print $5; exit}' /proc/self/mountinfo)}
		[ -n "$(find "$dir" -maxdepth 6 -type d -name "$CGNAME" 2>/dev/null)" ] ||
			fail "$RUNTIME: the cgroup went"
		rt_ok delete "$CID"
		rt state "$CID"
		[ "$status" != 0 ] || fail "$RUNTIME: still there after delete"
	done
	RUNTIME=$rt
	assert_nothing_left
}
