#!/usr/bin/env bats
# Cgroups: limits are written where the host sees them, and they bite.

load helpers

# start_sleeper: a detached container running `probe sleep`; sets PID.
start_sleeper() {
	set_args /probe sleep 120
	CONTAINERS+=("$CID")
	rt_ok run --detach --bundle "$BUNDLE" "$CID"
	PID=$(container_pid)
	[ "$PID" -gt 0 ] || fail "no pid in state"
}

# cgfile CONTROLLER FILE: a cgroup file of the running container, read on the host.
cgfile() {
	cat "$(host_cgroup_dir "$PID" "$1")/$2"
}

@test "the container's cgroup nests under the runtime's own (relative cgroupsPath)" {
	run_probe_ok report
	local line ours path ctl
	for ctl in memory pids; do
		line=$(pj '.cgroup[]' | grep -E "^[0-9]+:([^:]*,)?$ctl(,[^:]*)?:" || pj '.cgroup[]' | grep '^0::')
		path=${line#*:*:}
		ours=$(grep -E "^[0-9]+:([^:]*,)?$ctl(,[^:]*)?:" /proc/self/cgroup || grep '^0::' /proc/self/cgroup)
		ours=${ours#*:*:}
		assert_eq "$path" "${ours%/}/$CGNAME" "$ctl cgroup"
	done
}

@test "a memory limit OOM-kills an allocation beyond it" {
	cfg '.linux.resources.memory = {limit: 33554432}'
	# Without a swap limit the excess could go to swap instead of the OOM killer.
	if [ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] ||
		grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		cfg '.linux.resources.memory.swap = 33554432'
	fi
	run_probe alloc 200
	assert_eq "$status" 137 "exit status (128 + SIGKILL)"
	grep -q "allocated 200 MB" <<<"$output" && fail "allocated 200 MB under a 32 MB limit"
	return 0
}

@test "the memory limit is visible in the host's cgroup files" {
	cfg '.linux.resources.memory = {limit: 67108864}'
	start_sleeper
	if cgroup_is_v2 "$PID" memory; then
		assert_eq "$(cgfile memory memory.max)" 67108864 memory.max
	else
		assert_eq "$(cgfile memory memory.limit_in_bytes)" 67108864 memory.limit_in_bytes
	fi
}

@test "a pids limit makes fork fail with EAGAIN" {
	cfg '.linux.resources.pids = {limit: 20}'
	run_probe_ok fork 50
	local forked
	forked=$(pj .forked)
	[ "$forked" -lt 20 ] && [ "$forked" -ge 15 ] || fail "forked $forked children under pids.max=20"
	assert_pj .errno 11
}

@test "the pids limit is visible in the host's cgroup files" {
	cfg '.linux.resources.pids = {limit: 20}'
	start_sleeper
	assert_eq "$(cgfile pids pids.max)" 20 pids.max
	assert_eq "$(cgfile pids pids.current)" 1 pids.current
}

@test "cpu quota, period and shares are visible in the host's cgroup files" {
	cfg '.linux.resources.cpu = {quota: 50000, period: 100000, shares: 512}'
	start_sleeper
	if cgroup_is_v2 "$PID" cpu; then
		assert_eq "$(cgfile cpu cpu.max)" "50000 100000" cpu.max
	else
		assert_eq "$(cgfile cpu cpu.cfs_quota_us)" 50000 cpu.cfs_quota_us
		assert_eq "$(cgfile cpu cpu.cfs_period_us)" 100000 cpu.cfs_period_us
		assert_eq "$(cgfile cpu cpu.shares)" 512 cpu.shares
	fi
}

@test "every process of the container is in its cgroup" {
	start_sleeper
	local dir
	dir=$(host_cgroup_dir "$PID" pids)
	[ "$(basename "$dir")" = "$CGNAME" ] || fail "pids cgroup is $dir"
	grep -qx "$PID" "$dir/cgroup.procs" || fail "init pid $PID not in $dir/cgroup.procs"
}

@test "the cgroup is removed when the container is deleted" {
	start_sleeper
	[ -n "$(leftover_cgroups)" ] || fail "no cgroup named $CGNAME while running"
	rt_ok delete --force "$CID"
	assert_nothing_left
}

# frozen_case KIND: the container's cgroup exists and is frozen before
# create (KIND v1: freezer.state; v2: cgroup.freeze): create refuses at
# once in runc's words, and takes nothing of that cgroup.
frozen_case() {
	local kind=$1 dir mnt own st=0 start msg
	if [ "$kind" = v1 ]; then
		mnt=$(awk '$(NF-2) == "cgroup" && $NF ~ /(^|,)freezer(,|$)/ {print $5; exit}' /proc/self/mountinfo)
		own=$(grep -E '^[0-9]+:([^:]*,)?freezer(,[^:]*)?:' /proc/self/cgroup | cut -d: -f3)
	else
		mnt=$(awk '$(NF-2) == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
		own=$(grep '^0::' /proc/self/cgroup | cut -d: -f3)
	fi
	[ -n "$mnt" ] || return 0
	dir=$mnt${own%/}/$CGNAME
	mkdir "$dir"
	if [ "$kind" = v1 ]; then
		echo FROZEN >"$dir/freezer.state"
	else
		echo 1 >"$dir/cgroup.freeze"
	fi
	set_args /probe exit 0
	start=$SECONDS
	rt create --bundle "$BUNDLE" "$CID"
	st=$status msg=$stderr
	if [ "$kind" = v1 ]; then echo THAWED >"$dir/freezer.state"; else echo 0 >"$dir/cgroup.freeze"; fi
	rt delete --force "$CID" # (runc removes the cgroup it found)
	[ "$st" != 0 ] || fail "$kind: create into a frozen cgroup succeeded"
	[ $((SECONDS - start)) -lt 10 ] || fail "$kind: took $((SECONDS - start)) s"
	grep -q "container's cgroup unexpectedly frozen" <<<"$msg" || fail "$kind: $msg"
	if is_berth; then
		[ -d "$dir" ] || fail "$kind: the cgroup made beforehand was removed"
	fi
	rmdir "$dir" 2>/dev/null || true
}

@test "create into a cgroup frozen beforehand is refused at once, as runc refuses it" {
	local rt=$RUNTIME runc
	frozen_case v1
	frozen_case v2
	# runc 1.1 checks the freezer it uses: v1's on a hybrid host (a frozen
	# cgroup2 directory there hangs its create), cgroup2's on a v2 host
	runc=$(command -v runc) || true
	if is_berth && [ -n "$runc" ]; then
		RUNTIME=$runc
		if awk '$(NF-2) == "cgroup" && $NF ~ /(^|,)freezer(,|$)/ {f = 1} END {exit !f}' /proc/self/mountinfo; then
			frozen_case v1
		else
			frozen_case v2
		fi
		RUNTIME=$rt
	fi
	assert_nothing_left
}

@test "network.classID on a v1 host without net_cls is refused, as runc refuses it" {
	awk '$(NF-2) == "cgroup" {v1 = 1} $(NF-2) == "cgroup" && $NF ~ /(^|,)net_cls(,|$)/ {n = 1}
		END {exit !(v1 && !n)}' /proc/self/mountinfo || skip "needs cgroup v1 without net_cls"
	local rt=$RUNTIME runc
	cfg '.linux.resources.network = {classID: 1048577}'
	set_args /probe exit 0
	for RUNTIME in "$rt" $(is_berth && command -v runc); do
		rt run --bundle "$BUNDLE" "$CID"
		[ "$status" != 0 ] || fail "$RUNTIME ran it"
		grep -q "cannot set net_cls limit: container could not join or create cgroup" <<<"$stderr" ||
			fail "$RUNTIME: $stderr"
		rt delete --force "$CID"
	done
	RUNTIME=$rt
	assert_nothing_left
}

@test "on a v1 or hybrid host the container is placed in systemd's named hierarchy too, as runc places it" {
	awk '$(NF-2) == "cgroup" && $NF ~ /(^|,)name=systemd(,|$)/ {f = 1} END {exit !f}' \
		/proc/self/mountinfo || skip "no name=systemd hierarchy here"
	local rt=$RUNTIME own
	own=$(grep -E '^[0-9]+:name=systemd:' /proc/self/cgroup | cut -d: -f3)
	for RUNTIME in "$rt" $(is_berth && command -v runc); do
		run_probe_ok report
		pj '.cgroup[]' | grep -qE "^[0-9]+:name=systemd:${own%/}/$CGNAME\$" ||
			fail "$RUNTIME: $(pj '.cgroup[]' | tr '\n' ' ')"
	done
	RUNTIME=$rt
	assert_nothing_left
}

# watching PID: the process (timeout) or its child holds the memory
# controller's OOM notification (an eventfd on v1, inotify on v2)
watching() {
	local p
	for p in "$1" $(pgrep -P "$1"); do
		ls -l "/proc/$p/fd" 2>/dev/null | grep -qE 'anon_inode:(\[eventfd\]|inotify)' && return 0
	done
	return 1
}

# oom_events_case [ENDS]: events streams {"type":"oom"} when the OOM killer
# kills in the container (here a child; the container runs on); with ENDS,
# it also ends by itself once the container stops.
oom_events_case() {
	local ev=$BATS_TEST_TMPDIR/events.out pid i
	cfg '.linux.resources.memory = {limit: 33554432}'
	if [ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] ||
		grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		cfg '.linux.resources.memory.swap = 33554432'
	fi
	set_args /bin/sh -c 'read go < /go; /probe alloc 200; read done < /done'
	rm -f "$BUNDLE/rootfs/go" "$BUNDLE/rootfs/done"
	mkfifo "$BUNDLE/rootfs/go" "$BUNDLE/rootfs/done"
	CONTAINERS+=("$CID")
	rt_ok run --detach --bundle "$BUNDLE" "$CID"
	timeout 60 "$RUNTIME" --root "$STATE_ROOT" events --interval 30s "$CID" >"$ev" 2>&1 &
	pid=$!
	for ((i = 0; i < 200; i++)); do
		watching "$pid" && break
		sleep 0.05
	done
	watching "$pid" || fail "$RUNTIME events never watched for OOM"
	echo go >"$BUNDLE/rootfs/go"
	for ((i = 0; i < 200; i++)); do
		grep -q '"type":"oom"' "$ev" && break
		sleep 0.05
	done
	grep -q "^{\"type\":\"oom\",\"id\":\"$CID\"}\$" "$ev" || fail "$RUNTIME: no oom event: $(cat "$ev")"
	echo done >"$BUNDLE/rootfs/done"
	if [ -n "${1:-}" ]; then
		wait "$pid" || fail "$RUNTIME events: $(cat "$ev")"
	else
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rt delete --force "$CID"
}

@test "events reports an OOM kill as it happens and ends with the container, as runc's" {
	local rt=$RUNTIME
	oom_events_case ends
	# runc's ends only at its next interval
	if is_berth && command -v runc >/dev/null; then
		RUNTIME=$(command -v runc) oom_events_case
	fi
	assert_nothing_left
}
