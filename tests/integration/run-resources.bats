#!/usr/bin/env bats
# berth run's resource, security and device flags (--memory, --cpus,
# --pids-limit, --ulimit, --device, --shm-size, --cgroup-parent,
# --security-opt seccomp=..., docker's default seccomp profile) and --init,
# each asserted from what the process inside the container sees, and from
# the host's side of its cgroup; bad values fail as docker's do and leave
# nothing behind.

load container-helpers

setup() {
	container_setup
	PARENT=berth-test-${BERTH_TEST_RUN:-x}-$$
}

teardown() {
	container_teardown
	# --cgroup-parent directories the runtime made are removed with the
	# container; anything left is a failure, and is cleaned up here.
	left=$(find /sys/fs/cgroup -maxdepth 8 -depth -type d -name "$PARENT*" 2>/dev/null)
	[ -z "$left" ] || rmdir $left 2>/dev/null
	[ -z "$left" ] || fail "cgroup left: $left"
}

# The host pid of a running container's init.
ctr_pid() {
	sqlite3 "$STORE/berth.db" "select pid from containers where id = '$1'"
}

# The recorded config's field (docker's HostConfig names), as JSON.
recorded() {
	sqlite3 "$STORE/berth.db" "select config from containers where id = '$1'" | jq -c ".$2"
}

# wait_exited ID: polls until the container has exited; prints its status.
wait_exited() {
	local i
	for i in $(seq 100); do
		b_ok inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$1" || return 1
		case $output in
		exited*) echo "${output#exited }"; return 0 ;;
		esac
		sleep 0.1
	done
	fail "container $1 did not exit"
}

# What the container sees of its limits: v1 files where the hierarchy is
# v1 (this host: hybrid), else the unified ones.
LIMITS='
if [ -e /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
	echo mem $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)
	echo soft $(cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes)
	echo memsw $(cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || echo none)
	echo pids $(cat /sys/fs/cgroup/pids/pids.max)
	echo cpu $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)
	echo shares $(cat /sys/fs/cgroup/cpu/cpu.shares)
	echo cpuset $(cat /sys/fs/cgroup/cpuset/cpuset.cpus)
else
	echo mem $(cat /sys/fs/cgroup/memory.max)
	echo soft $(cat /sys/fs/cgroup/memory.low)
	echo memsw $(cat /sys/fs/cgroup/memory.swap.max 2>/dev/null || echo none)
	echo pids $(cat /sys/fs/cgroup/pids.max)
	echo cpu $(cat /sys/fs/cgroup/cpu.max)
	echo shares $(cat /sys/fs/cgroup/cpu.weight)
	echo cpuset $(cat /sys/fs/cgroup/cpuset.cpus)
fi'

@test "resources: memory, pids, cpu quota, shares and cpuset, as the container sees them" {
	b_ok run --rm -m 64m --memory-swap 96m --memory-reservation 32m --pids-limit 50 \
		--cpus 0.5 -c 512 --cpuset-cpus 0 busybox sh -c "$LIMITS"
	local v1=1
	grep -q '^cpu [0-9-]* [0-9]*$' <<<"$output" || v1=0
	assert_eq "$(grep '^mem ' <<<"$output")" "mem 67108864" "memory limit"
	assert_eq "$(grep '^pids ' <<<"$output")" "pids 50" "pids limit"
	assert_eq "$(grep '^cpuset ' <<<"$output")" "cpuset 0" "cpuset"
	if [ $v1 = 1 ]; then
		assert_eq "$(grep '^soft ' <<<"$output")" "soft 33554432" "memory reservation"
		assert_eq "$(grep '^cpu ' <<<"$output")" "cpu 50000 100000" "cpu quota/period"
		assert_eq "$(grep '^shares ' <<<"$output")" "shares 512" "cpu shares"
		grep -q '^memsw none' <<<"$output" ||
			assert_eq "$(grep '^memsw ' <<<"$output")" "memsw 100663296" "memory+swap"
	else
		assert_eq "$(grep '^cpu ' <<<"$output")" "cpu 50000 100000" "cpu.max"
	fi

	# Only --memory: docker's memory+swap of twice the memory.
	b_ok run --rm -m 32m busybox sh -c "$LIMITS"
	grep -q '^memsw none' <<<"$output" || [ $v1 = 0 ] ||
		assert_eq "$(grep '^memsw ' <<<"$output")" "memsw 67108864" "default memory+swap"
}

@test "resources: the cgroup on the host is berth-ID under the caller's own, with the limits" {
	b_ok run -d -m 48m --pids-limit 20 busybox sleep 30
	local id=$output pid dir
	pid=$(ctr_pid "$id")
	[ -n "$pid" ] && [ "$pid" -gt 0 ] || fail "no pid for $id"
	dir=$(host_cgroup_dir "$pid" memory)
	assert_eq "$(basename "$dir")" "berth-$id" "memory cgroup name"
	[[ $dir == */"$(own_cgroup | sed 's|^/||')"/berth-$id ]] ||
		fail "$dir is not under the caller's cgroup $(own_cgroup)"
	if [ -e "$dir/memory.limit_in_bytes" ]; then
		assert_eq "$(cat "$dir/memory.limit_in_bytes")" 50331648 "host: memory limit"
	else
		assert_eq "$(cat "$dir/memory.max")" 50331648 "host: memory.max"
	fi
	assert_eq "$(cat "$(host_cgroup_dir "$pid" pids)/pids.max")" 20 "host: pids.max"
	# Recorded under docker's HostConfig names.
	assert_eq "$(recorded "$id" Memory)" 50331648 "recorded Memory"
	assert_eq "$(recorded "$id" PidsLimit)" 20 "recorded PidsLimit"
	b_ok rm -f "$id"
	assert_no_cgroup "berth-$id"
}

@test "resources: --pids-limit stops forks beyond it" {
	b run --rm --pids-limit 10 busybox sh -c 'for i in $(seq 20); do sleep 2 & done; wait'
	grep -qi "fork\|resource temporarily unavailable" <<<"$stderr" ||
		fail "20 forks under a limit of 10 all worked: $stderr"
}

@test "resources: --cgroup-parent puts the cgroup there, and removes what it made" {
	b_ok run -d --cgroup-parent "/$PARENT" -m 32m busybox sleep 30
	local id=$output dir
	dir=$(host_cgroup_dir "$(ctr_pid "$id")" memory)
	[[ $dir == */$PARENT/berth-$id ]] || fail "cgroup $dir is not under /$PARENT"
	assert_eq "$(recorded "$id" CgroupParent)" "\"/$PARENT\"" "recorded CgroupParent"
	b_ok rm -f "$id"
	assert_no_cgroup "berth-$id"
	assert_no_cgroup "$PARENT"
}

@test "ulimits: inherited by default, set by --ulimit" {
	b_ok run --rm busybox sh -c 'ulimit -n; ulimit -Hn'
	assert_eq "$output" "$(ulimit -n; ulimit -Hn)" "inherited nofile"
	b_ok run --rm --ulimit nofile=256:512 --ulimit core=0 busybox sh -c 'ulimit -n; ulimit -Hn; ulimit -c'
	assert_eq "$output" "$(printf '256\n512\n0')" "nofile and core"
	b_ok run --rm --ulimit nproc=100:200 --ulimit nproc=300:400 busybox sh -c 'ulimit -u; ulimit -Hu'
	assert_eq "$output" "$(printf '300\n400')" "the last nproc wins"
}

@test "ulimits: above the host's hard limit: set where the host allows it, else refused at create" {
	local hard want
	hard=$(ulimit -Hn)
	want=$((hard + 1000))
	if (ulimit -Hn "$want") 2>/dev/null; then
		b_ok run --rm --ulimit "nofile=$want:$want" busybox sh -c 'ulimit -Hn'
		assert_eq "$output" "$want" "raised nofile"
	else
		b run --rm --ulimit "nofile=$want:$want" busybox true
		assert_eq "$status" 125
		assert_error "--ulimit nofile: cannot raise the hard limit to $want above this host's $hard"
		b_ok ps -a -q
		assert_eq "$output" ""
	fi
}

@test "devices: --device adds the node with the host's numbers, and lets the container use it" {
	[ -c /dev/fuse ] || skip "no /dev/fuse on this host"
	# Without it the node is absent, and one made by hand cannot be opened.
	b run --rm busybox sh -c 'ls /dev/fuse; mknod /dev/f c 10 229; exec 3<>/dev/f && echo opened'
	[ "$status" != 0 ] || fail "a device outside the rules was opened: $output"
	b_ok run --rm --device /dev/fuse --device /dev/fuse:/dev/myfuse:rw busybox \
		sh -c 'stat -c "%F %t %T" /dev/fuse /dev/myfuse; exec 3<>/dev/myfuse && echo opened'
	assert_eq "$output" "$(printf 'character special file a e5\ncharacter special file a e5\nopened')"
	# :r gives read access only: the cgroup refuses a write open
	b_ok run --rm --device /dev/fuse:/dev/rofuse:r busybox \
		sh -c 'exec 3</dev/rofuse && echo read-ok; (exec 4>/dev/rofuse) 2>/dev/null && echo write-ok; echo end'
	assert_eq "$output" "$(printf 'read-ok\nend')"
}

@test "devices: /dev/shm is 64m, or --shm-size" {
	b_ok run --rm busybox sh -c 'df -k /dev/shm | tail -1'
	assert_eq "$(awk '{print $2}' <<<"$output")" 65536 "default /dev/shm"
	b_ok run --rm --shm-size 128m busybox sh -c 'df -k /dev/shm | tail -1'
	assert_eq "$(awk '{print $2}' <<<"$output")" 131072 "--shm-size 128m"
}

@test "seccomp: docker's default profile blocks unshare; seccomp=unconfined and --privileged lift it" {
	b_ok run --rm busybox sh -c 'grep "^Seccomp:" /proc/self/status; unshare -U true 2>&1; echo "unshare=$?"; chroot / true; echo "chroot=$?"'
	assert_eq "$(sed -n 1p <<<"$output")" "$(printf 'Seccomp:\t2')" "filtered"
	grep -q "Operation not permitted" <<<"$output" || fail "unshare was not refused with EPERM: $output"
	grep -q "unshare=1" <<<"$output" || fail "unshare did not fail: $output"
	grep -q "chroot=0" <<<"$output" || fail "chroot (CAP_SYS_CHROOT) failed: $output"
	# Namespaces through clone(2) too: blocked by the flag-mask rule.
	b run --rm busybox unshare -n true
	[ "$status" != 0 ] || fail "unshare -n worked under the default profile"

	b_ok run --rm --security-opt seccomp=unconfined busybox sh -c 'grep "^Seccomp:" /proc/self/status; unshare -U true && echo unshared'
	assert_eq "$output" "$(printf 'Seccomp:\t0\nunshared')" "unconfined"
	b_ok run --rm --privileged busybox grep "^Seccomp:" /proc/self/status
	assert_eq "$output" "$(printf 'Seccomp:\t0')" "privileged"
	# CAP_SYS_ADMIN allows what it guards, as in docker's profile.
	b_ok run --rm --cap-add SYS_ADMIN busybox sh -c 'unshare -U true && echo unshared'
	assert_eq "$output" unshared "with CAP_SYS_ADMIN"
}

@test "seccomp: a profile file in docker's format" {
	cat >"$WORK/profile.json" <<-'EOF'
		{"defaultAction": "SCMP_ACT_ALLOW",
		 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
	EOF
	b run --rm --security-opt "seccomp=$WORK/profile.json" busybox sh -c 'mkdir /x 2>&1; unshare -U true && echo unshared'
	grep -q "Permission denied" <<<"$output" || fail "mkdir was not refused with EACCES: $output"
	grep -q unshared <<<"$output" || fail "the file replaced the default profile, but unshare failed: $output"
	b_ok create --security-opt "seccomp=$WORK/profile.json" --security-opt no-new-privileges busybox true
	assert_eq "$(recorded "$output" SecurityOpt)" "[\"seccomp=$WORK/profile.json\",\"no-new-privileges\"]" "recorded SecurityOpt"
}

@test "init: berth-init is pid 1, the command its child; the exit status goes through" {
	b_ok run --rm --init busybox sh -c 'tr "\0" "\n" </proc/1/cmdline | head -3; echo "ppid=$PPID"'
	assert_eq "$output" "$(printf '/dev/init\n--\nsh\nppid=1')"
	b run --rm --init busybox sh -c 'exit 42'
	assert_eq "$status" 42 "exit status"
	b run --rm --init busybox sh -c 'kill -9 $$'
	assert_eq "$status" 137 "killed by a signal"
	b_ok run --rm --init --read-only busybox true
	b_ok create --init busybox echo hi
	local id=$output
	assert_eq "$(recorded "$id" Init)" true "recorded Init"
	assert_eq "$(recorded "$id" Path)" '"echo"' "Path stays the command"
}

@test "init: orphans are reaped; without --init they stay zombies" {
	local init pid zombies
	for init in "" --init; do
		b_ok run -d $init busybox sh -c '(sleep 0.2 &); exec sleep 30'
		local id=$output
		sleep 1.5
		pid=$(ctr_pid "$id")
		zombies=$(ps -o stat= --ppid "$pid" | grep -c Z || true)
		if [ -z "$init" ]; then
			assert_eq "$zombies" 1 "a zombie under a pid 1 that does not reap"
		else
			assert_eq "$zombies" 0 "zombies under berth-init"
		fi
		b_ok rm -f "$id"
	done
}

@test "init: berth kill -s TERM reaches the command" {
	# sleep as pid 1 would ignore TERM (no handler); as berth-init's child
	# it dies of it.
	b_ok run -d --init busybox sleep 100
	local id=$output
	sleep 0.3
	b_ok kill -s TERM "$id"
	assert_eq "$(wait_exited "$id")" 143 "TERM killed sleep"
	b_ok run -d --init busybox sh -c 'trap "echo got TERM; exit 7" TERM; while :; do sleep 0.1; done'
	id=$output
	sleep 0.5
	b_ok kill -s TERM "$id"
	assert_eq "$(wait_exited "$id")" 7 "the command's own TERM handler"
	b_ok logs "$id"
	assert_eq "$output" "got TERM"
}

@test "bad values: one line, exit 125, nothing left behind" {
	local args
	while IFS= read -r args; do
		[ -n "$args" ] || continue
		eval "b run --rm --cgroup-parent /$PARENT $args busybox true"
		assert_eq "$status" 125 "exit status of $args"
		assert_error || fail "for $args"
		b_ok ps -a -q
		assert_eq "$output" "" "containers after $args"
	done <<-EOF
		--memory 12x
		--cpus abc
		--cpus 1000
		-m 64m --memory-swap 32m
		--memory-swap 64m
		-m 1m
		--ulimit nofile
		--ulimit nofile=10:5
		--ulimit bogus=1
		--device /dev/nonexistent-device
		--device /etc/hostname
		--device /dev/null:relative
		--security-opt seccomp=/nonexistent/profile.json
		--cpuset-cpus 0-x
		--cpuset-cpus 4000
		--pids-limit many
		--shm-size -1
	EOF
	b run --rm --cgroup-parent ../up busybox true
	assert_eq "$status" 125
	assert_error ".."
	# What each error says, docker's words.
	b run --memory 12x busybox true
	assert_error 'invalid argument "12x" for "-m, --memory" flag: invalid size'
	b run --cpus abc busybox true
	assert_error "failed to parse abc as a rational number"
	b run -m 64m --memory-swap 32m busybox true
	assert_error "Minimum memoryswap limit should be larger than memory limit"
	b run --ulimit nofile busybox true
	assert_error "invalid ulimit argument: nofile"
	b run --device /dev/nonexistent-device busybox true
	assert_error 'error gathering device information while adding custom device "/dev/nonexistent-device"' "no such file"
	b run --security-opt seccomp=/nonexistent/profile.json busybox true
	assert_error "opening seccomp profile (/nonexistent/profile.json) failed"
	[ -z "$(ls "$STORE/containers")" ] || fail "container dirs left: $(ls "$STORE/containers")"
	assert_eq "$(sqlite3 "$STORE/berth.db" "select count(*) from snapshots")" 0 "snapshots left"
	assert_no_cgroup "$PARENT"
}
