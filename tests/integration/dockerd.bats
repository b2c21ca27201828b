#!/usr/bin/env bats
# dockerd drives berth-runc (--add-runtime berth=$RUNTIME): each case runs
# the same docker command with runc and with berth-runc side by side and
# compares what docker reported (status, output) and what the process saw.
# docker 20.10 sends values runc reads as "not set" (blockIO.weight 0,
# swappiness 2^64-1, ...), maps the runtime's error texts to 126/127, and
# leaves HOME to the runtime. Skipped where no dockerd can start.

load container-helpers
load dockerd-helpers

DK_NAME=berth-dockerd-$$

setup_file() {
	local rt
	rt=$(readlink -f "$RUNTIME")
	dockerd_start "$DK_NAME" --add-runtime "berth=$rt"
}

teardown_file() {
	dockerd_stop "$DK_NAME"
}

setup() {
	[ -n "${DK:-}" ] || skip "no docker daemon could start here"
	is_berth || skip "compares berth-runc with runc"
	command -v runc >/dev/null || skip "no runc to compare with"
}

teardown() {
	if [ -n "${DK:-}" ]; then
		# shellcheck disable=SC2046
		$DK rm -f $($DK ps -aq) >/dev/null 2>&1
	fi
	return 0
}

# under RUNTIME ARGS...: `docker ARGS...` with --runtime RUNTIME put after
# the command word (run, create); sets R_STATUS, R_OUT, R_ERR.
under() {
	local rt=$1 cmd=$2 d=$BATS_TEST_TMPDIR
	shift 2
	R_STATUS=0
	# shellcheck disable=SC2086
	timeout 120 $DK "$cmd" --runtime "$rt" "$@" >"$d/r.out" 2>"$d/r.err" </dev/null || R_STATUS=$?
	R_OUT=$(cat "$d/r.out")
	R_ERR=$(cat "$d/r.err")
}

# alike ARGS...: `docker run|create ARGS...` under runc and under berth:
# the same status and output (what the process saw).
alike() {
	local st out
	under runc "$@"
	st=$R_STATUS out=$R_OUT
	under berth "$@"
	assert_eq "$R_STATUS" "$st" "status under berth-runc (runc's: $st; berth's stderr: $R_ERR)"
	assert_eq "$R_OUT" "$out" "output under berth-runc"
}

dk() {
	# shellcheck disable=SC2086
	timeout 120 $DK "$@"
}

@test "dockerd: run under berth-runc as under runc: output, status, HOME, and docker's defaults taken" {
	alike run --rm busybox sh -c 'echo hello; exit 3'
	assert_eq "$R_STATUS" 3
	assert_eq "$R_OUT" hello
	# no passwd entry: runc's HOME=/
	alike run --rm --user 100 busybox sh -c 'echo "home=$HOME"; id -u'
	assert_eq "$R_OUT" "home=/
100"
	alike run --rm --user 100:100 -e HOME=/mine busybox sh -c 'echo "$HOME"'
	assert_eq "$R_OUT" /mine
	alike run --rm -t busybox sh -c 'test -t 0 && echo tty'
	assert_eq "$R_OUT" "tty"$'\r'
}

@test "dockerd: 127 for a missing program, 126 for a directory or a file that cannot run" {
	local cmd
	for cmd in nosuchprogram /no/such/file /etc /etc/passwd; do
		alike run --rm busybox "$cmd"
	done
	under berth run --rm busybox nosuchprogram
	assert_eq "$R_STATUS" 127
	under berth run --rm busybox /no/such/file
	assert_eq "$R_STATUS" 127
	[[ "$R_ERR" == *'exec: "/no/such/file": stat /no/such/file: no such file or directory'* ]] ||
		fail "$R_ERR"
	under berth run --rm busybox /etc
	assert_eq "$R_STATUS" 126
	[[ "$R_ERR" == *'exec: "/etc": permission denied'* ]] || fail "$R_ERR"
	under berth run --rm busybox /etc/passwd
	assert_eq "$R_STATUS" 126
}

@test "dockerd: exec, stop, kill and restart of a container under berth-runc" {
	local name st
	for rt in runc berth; do
		name=ex-$rt
		dk run -d --name "$name" --runtime "$rt" busybox sleep 300 >/dev/null
		dk exec "$name" sh -c 'exit 7' && st=0 || st=$?
		assert_eq "$st" 7 "exec status under $rt"
		dk exec "$name" /etc && st=0 || st=$?
		assert_eq "$st" 126 "exec of a directory under $rt"
		dk exec "$name" nosuchprogram && st=0 || st=$?
		assert_eq "$st" 126 "exec of a missing program under $rt (docker exec says 126)"
		assert_eq "$(dk exec --user 100 "$name" sh -c 'echo $HOME')" / "exec HOME under $rt"
		dk restart -t 1 "$name" >/dev/null
		assert_eq "$(dk inspect -f '{{.State.Running}} {{.RestartCount}}' "$name")" "true 0"
		dk kill "$name" >/dev/null
		assert_eq "$(dk wait "$name")" 137 "a kill's status under $rt"
		dk start "$name" >/dev/null
		dk stop -t 1 "$name" >/dev/null
		assert_eq "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$name")" "exited 137"
	done
}

@test "dockerd: resource flags and update reach the cgroup under berth-runc as under runc" {
	local read='cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/pids/pids.max'
	[ -d /sys/fs/cgroup/memory ] || skip "reads cgroup v1 files: this host's layout"
	alike run --rm busybox sh -c "$read"
	alike run --rm --memory 64m --cpus 0.5 --cpu-shares 512 --pids-limit 50 --blkio-weight 300 \
		--memory-swappiness 10 busybox sh -c "$read"
	assert_eq "$R_OUT" "67108864
50000
512
50"
	for rt in runc berth; do
		dk run -d --name "up-$rt" --runtime "$rt" --memory 64m busybox sleep 300 >/dev/null
		dk update --memory 128m --memory-swap 256m --cpus 1 --pids-limit 20 "up-$rt" >/dev/null
		assert_eq "$(dk exec "up-$rt" sh -c "$read" | tr '\n' ' ')" "134217728 100000 1024 20 " \
			"after update under $rt"
		# an update of something else keeps the rest (docker sends zeros)
		dk update --cpu-shares 256 "up-$rt" >/dev/null
		assert_eq "$(dk exec "up-$rt" sh -c "$read" | tr '\n' ' ')" "134217728 100000 256 20 " \
			"after a second update under $rt"
	done
}
