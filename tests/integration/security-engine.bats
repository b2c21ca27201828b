#!/usr/bin/env bats
# The engine's side of the security audit (issue 10), against the real
# binary: a failed run or create leaves nothing half-made (8); only the
# runtime's report that the container's program cannot be run exits 127
# or 126 (9); an OOM kill is recorded as docker's State.OOMKilled (11);
# --tmpfs takes only the options of an allowlist (12).

load container-helpers

setup() {
	container_setup
}

teardown() {
	container_teardown
}

# Nothing of a container is left: no row, no snapshot (mount or
# directory), no container directory, no volume, no monitor, no trash.
assert_nothing_left() {
	local m
	b_ok ps -a -q || return 1
	assert_eq "$output" "" "containers left" || return 1
	m=$(grep -F "$STORE/" /proc/self/mountinfo || true)
	[ -z "$m" ] || fail "mounts left under the store: $m" || return 1
	[ -z "$(ls -A "$STORE/snapshots" 2>/dev/null)" ] ||
		fail "snapshots left: $(ls "$STORE/snapshots")" || return 1
	[ -z "$(ls -A "$STORE/containers" 2>/dev/null)" ] ||
		fail "container directories left: $(ls "$STORE/containers")" || return 1
	b_ok volume ls -q || return 1
	assert_eq "$output" "" "volumes left" || return 1
	wait_monitors || fail "a monitor is left: $(monitors)" || return 1
	[ -z "$(ls -d "$STORE"/tmp/trash-* 2>/dev/null)" ] ||
		fail "trash left: $(ls -d "$STORE"/tmp/trash-*)"
}

# expect_engine_error [--status N] WORD -- ARGS...: berth ARGS fails with
# docker's 125 (or N: create's 1 for what the engine refuses) and one line
# naming WORD, and leaves nothing behind.
expect_engine_error() {
	local word want=125
	if [ "$1" = --status ]; then
		want=$2
		shift 2
	fi
	word=$1
	shift 2
	b "$@"
	assert_eq "$status" "$want" "exit status of berth $* ($stderr)" || return 1
	assert_error "$word" || return 1
	assert_nothing_left
}

# ---- 8: a failed run or create leaves nothing ----

@test "run/create: a --cidfile that cannot be made fails before the container is made" {
	local f
	for f in run create; do
		expect_engine_error "$WORK/nodir/cid" -- $f --rm --cidfile "$WORK/nodir/cid" \
			-v /data busybox true
		[ ! -e "$WORK/nodir" ] || fail "$f made the cidfile's directory"
	done
	# One that exists is refused and kept, as docker's.
	echo keep >"$WORK/cid"
	expect_engine_error "container ID file found" -- run --rm --cidfile "$WORK/cid" busybox true
	assert_eq "$(cat "$WORK/cid")" keep "the existing cidfile"
	# A dangling symlink is not followed.
	ln -s "$WORK/elsewhere" "$WORK/link"
	expect_engine_error "$WORK/link" -- create --cidfile "$WORK/link" busybox true
	[ ! -e "$WORK/elsewhere" ] || fail "the cidfile's symlink was followed"
	# And a good one gets the id.
	b_ok run --rm --cidfile "$WORK/good" busybox true
	[[ $(cat "$WORK/good") =~ ^[0-9a-f]{64}$ ]] || fail "cidfile: $(cat "$WORK/good")"
	assert_nothing_left
}

@test "run/create: a cidfile that cannot be written once the container is made undoes the create" {
	# A full tmpfs: the file is made (an inode), its id cannot be written.
	mkdir "$WORK/full"
	mount -t tmpfs -o size=4k tmpfs "$WORK/full"
	head -c 4096 /dev/zero >"$WORK/full/fill" 2>/dev/null || true
	local f
	for f in run create; do
		expect_engine_error "$WORK/full/cid" -- $f --rm --cidfile "$WORK/full/cid" \
			-v /data busybox true
		[ ! -e "$WORK/full/cid" ] || fail "$f left its empty cidfile"
	done
	umount "$WORK/full"
}

@test "run: bad --detach-keys fail before the container is made" {
	expect_engine_error "ctrl-" -- run --rm --detach-keys ctrl- -v /data busybox true
	expect_engine_error "ctrl-" -- run --detach-keys a,ctrl- busybox true
	expect_engine_error "ctrl-" -- run -d --detach-keys ctrl- busybox true
}

@test "run/create: a failure inside the create takes back what it made" {
	# a host device that is not there is found missing while the config is
	# built, after the volumes and the bind source were made (a user the
	# image lacks no longer fails the create: docker refuses it at start)
	expect_engine_error nosuchdev -- run --rm --device /dev/nosuchdev -v /data -v named:/n \
		-v "$WORK/made:/b" busybox true
	[ ! -e "$WORK/made" ] || fail "the bind source the create made is left"
	expect_engine_error --status 1 nosuchdev -- create --device /dev/nosuchdev -v /data \
		busybox true
}

# ---- 9: 127 and 126 are the container's program's only ----

@test "exit status: engine errors are 125 whatever their text; 127/126 only for the program (exec: 126, 1)" {
	local tar
	tar=$(busybox_tar)
	b_ok import --change 'VOLUME /proc/sysrq-trigger' --change 'CMD ["true"]' "$tar" sysrq
	# Errors whose text says "No such file or directory".
	expect_engine_error sysrq-trigger -- run --rm sysrq
	expect_engine_error bind -- run --rm --tmpfs /t:rw,bind busybox true
	# The program not found: 127; found but not executable: 126.
	b run --rm busybox /nonexistent
	assert_eq "$status" 127 "a missing path ($stderr)"
	assert_error /nonexistent
	b run --rm busybox nosuchcommand
	assert_eq "$status" 127 "a name not in PATH ($stderr)"
	b run --rm busybox /etc
	assert_eq "$status" 126 "a directory ($stderr)"
	assert_error /etc
	b run --rm busybox /etc/passwd
	assert_eq "$status" 126 "a file without x ($stderr)"
	assert_nothing_left
	# Without --rm the container stays (docker's Created), with the
	# program's status as its exit code.
	b run --name gone busybox /nonexistent
	assert_eq "$status" 127
	b_ok inspect -f '{{.State.Status}} {{.State.ExitCode}}' gone
	assert_eq "$output" "created 127"
	b_ok rm gone
	# exec: docker's, which says 126 for a program it cannot start,
	# missing or not, and 1 when there is no container.
	b_ok run -d --name ex busybox sleep 1000
	b exec ex /nonexistent
	assert_eq "$status" 126 "exec of a missing path ($stderr)"
	b exec ex /etc
	assert_eq "$status" 126 "exec of a directory ($stderr)"
	b exec ex sh -c 'exit 3'
	assert_eq "$status" 3 "exec's own status"
	b_ok rm -f ex
	b exec ex /nonexistent
	assert_eq "$status" 1 "exec in no container ($stderr)"
	assert_nothing_left
}

# ---- 11: OOMKilled ----

has_memory_controller() {
	[ -e /sys/fs/cgroup/memory/memory.oom_control ] ||
		grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null
}

@test "OOMKilled: an OOM kill is recorded, shown by inspect and reset by the next start" {
	has_memory_controller || skip "no memory cgroup controller on this host"
	b run --name oom -m 8m busybox sh -c 'tail /dev/zero'
	assert_eq "$status" 137 "OOM-killed ($stderr)"
	b_ok inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' oom
	assert_eq "$output" "true 137"
	b_ok ps -a --filter name=oom --format '{{.Status}}'
	[[ $output == "Exited (137) "* ]] || fail "ps status: $output"
	# A kill of any process counts, whatever the container's status.
	b_ok run --name child -m 8m busybox sh -c 'tail /dev/zero; exit 0'
	b_ok inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' child
	assert_eq "$output" "true 0"
	# The next start forgets it: OOM-killed first, a clean exit after.
	b run --name once -m 8m busybox sh -c '[ -e /once ] && exit 0; touch /once; tail /dev/zero'
	assert_eq "$status" 137
	b_ok inspect -f '{{.State.OOMKilled}}' once
	assert_eq "$output" true
	b_ok start -a once
	b_ok inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' once
	assert_eq "$output" "false 0"
	# A normal exit, and a running container, are not OOM-killed.
	b_ok run --name fine -m 8m busybox true
	b_ok inspect -f '{{.State.OOMKilled}}' fine
	assert_eq "$output" false
	b_ok run -d --name up -m 8m busybox sleep 1000
	b_ok inspect -f '{{.State.OOMKilled}} {{.State.Running}}' up
	assert_eq "$output" "false true"
	b_ok rm -f oom child once fine up
	assert_nothing_left
}

# ---- 12: --tmpfs options are an allowlist ----

@test "--tmpfs: options outside docker's allowlist are refused at create, and bind never reaches the runtime" {
	local opt
	# OPTIONS:WORD the error names
	for opt in bind:bind rbind:rbind remount:remount rw,bind:bind nosymfollow:nosymfollow \
		bind=1:'"bind" "1"' size=1m,huge=always:huge; do
		expect_engine_error "${opt#*:}" -- run --rm --tmpfs "/t:${opt%%:*}" busybox true
	done
	# remount would remount what is at the destination (the read-only /sys).
	expect_engine_error remount -- run --rm --tmpfs /sys:remount,rw busybox true
	expect_engine_error bind -- create --tmpfs /t:bind busybox true
	# What docker takes still works, as the container sees it.
	b_ok run --rm --tmpfs /t:rw,exec,nosuid,nodev,noatime,size=1m,mode=1770,uid=7,gid=8 \
		busybox sh -c 'grep " /t " /proc/mounts; stat -c "%a %u %g" /t'
	[[ $output == *"tmpfs /t tmpfs rw,nosuid,nodev,noatime,size=1024k,mode=1770,uid=7,gid=8"* ]] ||
		fail "tmpfs mount: $output"
	[[ $output == *"1770 7 8" ]] || fail "tmpfs root: $output"
	assert_nothing_left
}
