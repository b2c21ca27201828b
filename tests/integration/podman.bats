#!/usr/bin/env bats
# podman driving the runtime through conmon: podman run/exec/stop/rm, -t,
# exit codes, resources, capabilities and seccomp, user namespaces.
#
# Everything podman stores goes to a temporary --root/--runroot/--tmpdir with
# the vfs driver (no overlay mounts to leak). Container cgroups go beneath the
# cgroup this test runs in (--cgroup-parent). The runtime keeps its state in
# its default root: podman's cleanup process (conmon's exit command) does not
# pass --runtime-flag on, so a private --root would leave state behind.

load helpers

bats_require_minimum_version 1.5.0

# The image podman runs: the helpers' busybox rootfs, imported.
IMAGE=localhost/berth-busybox:latest

setup_file() {
	[ "$(id -u)" = 0 ] || { unavailable "needs root"; return 0; }
	command -v podman >/dev/null || { unavailable "podman is not installed"; return 0; }
	command -v conmon >/dev/null || [ -x /usr/libexec/podman/conmon ] ||
		{ unavailable "conmon is not installed"; return 0; }
	command -v "$RUNTIME" >/dev/null || fail "runtime not found: $RUNTIME" || return 1
	PT=$(mktemp -d /tmp/berth-podman.XXXXXX)
	PT_NAME=$(basename "$PT")
	CG_PARENT=$(own_cgroup)/$PT_NAME
	export PT PT_NAME CG_PARENT
	# podman writes these outside --root whatever we say; remove them at
	# the end only if this run created them.
	: >"$PT/created"
	local d
	for d in /var/lib/containers/cache /var/lib/containers /run/containers/networks /run/containers; do
		[ -e "$d" ] || echo "$d" >>"$PT/created"
	done
	# podman's containers.conf default sysctl (net.ipv4.ping_group_range)
	# has a test of its own; the other tests run without it.
	printf '[containers]\ndefault_sysctls = []\n' >"$PT/containers.conf"
	write_pod_script
	build_rootfs || return 1
	tar -C "$CACHE/rootfs" --exclude=./.complete -cf "$PT/rootfs.tar" . || return 1
	pod import "$PT/rootfs.tar" "$IMAGE" >/dev/null || fail "podman import failed" || return 1
}

teardown_file() {
	if [ -z "${PT:-}" ] || [ ! -d "$PT" ]; then
		return 0
	fi
	pod rm -af -t 0 >/dev/null 2>&1
	pod rmi -af >/dev/null 2>&1
	local mnt d
	grep -F " $PT/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r mnt; do
		umount -l "$mnt" 2>/dev/null
	done
	for d in $(find /sys/fs/cgroup -maxdepth 8 -type d -path "*/$PT_NAME" 2>/dev/null); do
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	while read -r d; do
		rm -rf "$d"
	done <"$PT/created"
	rm -rf "$PT"
}

setup() {
	[ -z "${UNAVAILABLE:-}" ] || skip "$UNAVAILABLE"
	NAMES=()
	[ -x "$RUNTIME" ] || RUNTIME=$(command -v "$RUNTIME")
}

teardown() {
	[ -z "${UNAVAILABLE:-}" ] || return 0
	local n
	for n in "${NAMES[@]}"; do
		pod rm -f -t 0 "$n" >/dev/null 2>&1
	done
	assert_podman_clean
}

# pod ARGS...: podman with the private store and our runtime (a script, so
# that script(1) can run it too). POD_CONF= runs it with podman's defaults.
pod() {
	CONTAINERS_CONF=${POD_CONF-$PT/containers.conf} RUNTIME=$RUNTIME timeout -k 5 60 \
		"$PT/podman" "$@"
}

write_pod_script() {
	cat >"$PT/podman" <<-EOF
		#!/bin/sh
		exec podman --root "$PT/root" --runroot "$PT/runroot" --tmpdir "$PT/tmp" \\
			--storage-driver vfs --cgroup-manager cgroupfs --events-backend file \\
			--runtime "\$RUNTIME" "\$@"
	EOF
	chmod +x "$PT/podman"
}

# prun RUN-ARGS...: `podman run` with the common flags: our cgroup parent, no
# network, and ulimits, as hosts whose hard RLIMIT_NOFILE/NPROC are below
# podman's defaults fail every container (with runc too).
POD_RUN=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none)

prun() {
	pod run --cgroup-parent "$CG_PARENT" "${POD_RUN[@]}" "$@"
}

# The runtime's state directory for a container podman made, when known.
runtime_state_dir() {
	if is_berth; then
		echo "/run/berth-runc/$1"
	fi
}

assert_podman_clean() {
	local left
	left=$(pod ps -aq)
	[ -z "$left" ] || fail "podman containers left: $left" || return 1
	left=$(find /sys/fs/cgroup -maxdepth 8 -type d -path "*/$PT_NAME/libpod-*" 2>/dev/null || true)
	[ -z "$left" ] || fail "container cgroups left: $left" || return 1
	left=$(grep -F " $PT/root/" /proc/self/mountinfo | awk '{print $5}')
	[ -z "$left" ] || fail "mounts left: $left" || return 1
}

new_name() {
	NAME=berth-pod-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
	NAMES+=("$NAME")
}

@test "podman run --rm: output and exit codes" {
	run prun --rm "$IMAGE" echo hi
	[ "$status" = 0 ] || fail "podman run: $output"
	assert_eq "$output" hi
	run prun --rm "$IMAGE" sh -c 'exit 7'
	assert_eq "$status" 7 "exit code"
	run -127 prun --rm "$IMAGE" /nonexistent
	assert_eq "$status" 127 "exit code for a missing program"
	run prun --rm "$IMAGE" /etc/passwd
	assert_eq "$status" 126 "exit code for a non-executable program"
}

@test "podman run: capabilities, seccomp and no_new_privs as runc applies them" {
	command -v runc >/dev/null || skip "runc is not installed (the reference)"
	local filter='^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):'
	run prun --rm "$IMAGE" cat /proc/self/status
	[ "$status" = 0 ] || fail "podman run: $output"
	local ours=$(grep -E "$filter" <<<"$output")
	grep -q '^Seccomp:[[:space:]]*2' <<<"$ours" || fail "no seccomp filter: $ours"
	RUNTIME=runc run prun --rm "$IMAGE" cat /proc/self/status
	[ "$status" = 0 ] || fail "podman run with runc: $output"
	local theirs=$(grep -E "$filter" <<<"$output")
	assert_eq "$ours" "$theirs" "status lines vs runc"
	run prun --rm --cap-drop all --cap-add net_admin --security-opt no-new-privileges \
		"$IMAGE" grep -E '^(CapEff|NoNewPrivs):' /proc/self/status
	assert_eq "$(echo $output)" "CapEff: 0000000000001000 NoNewPrivs: 1"
}

@test "podman run -d, exec, stop, rm" {
	new_name
	run prun -d --name "$NAME" "$IMAGE" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
	[ "$status" = 0 ] || fail "podman run -d: $output"
	local id=${output##*$'\n'} pid state
	pid=$(pod inspect -f '{{.State.Pid}}' "$NAME")
	[ "$pid" -gt 0 ] && [ -d "/proc/$pid" ] || fail "no container process ($pid)"
	grep -q "/$PT_NAME/libpod-$id\$" "/proc/$pid/cgroup" ||
		fail "container not in its cgroup: $(cat "/proc/$pid/cgroup")"
	state=$(runtime_state_dir "$id")
	[ -z "$state" ] || [ -d "$state" ] || fail "no runtime state in $state"

	run pod exec "$NAME" sh -c 'echo exec-ok; exit 3'
	assert_eq "$status" 3 "exec exit code"
	assert_eq "$output" exec-ok
	run -127 pod exec "$NAME" /nonexistent
	assert_eq "$status" 127 "exec of a missing program"

	# The shell's TERM trap makes stop fast; a timeout would mean the
	# signal never arrived.
	local t0=$SECONDS
	run pod stop -t 10 "$NAME"
	[ "$status" = 0 ] || fail "podman stop: $output"
	[ $((SECONDS - t0)) -lt 8 ] || fail "stop waited for the timeout: SIGTERM not delivered"
	assert_eq "$(pod inspect -f '{{.State.ExitCode}}' "$NAME")" 0 "exit code after stop"
	run pod rm "$NAME"
	[ "$status" = 0 ] || fail "podman rm: $output"
	[ ! -d "/proc/$pid" ] || fail "container process $pid still running"
	[ -z "$state" ] || [ ! -e "$state" ] || fail "runtime state left in $state"
}

@test "podman pause, unpause, restart" {
	new_name
	run prun -d --name "$NAME" "$IMAGE" \
		sh -c 'trap "exit 0" TERM; echo started; while :; do sleep 0.1; done'
	[ "$status" = 0 ] || fail "podman run -d: $output"
	run pod pause "$NAME"
	[ "$status" = 0 ] || fail "podman pause: $output"
	assert_eq "$(pod inspect -f '{{.State.Status}}' "$NAME")" paused
	run pod unpause "$NAME"
	[ "$status" = 0 ] || fail "podman unpause: $output"
	assert_eq "$(pod inspect -f '{{.State.Status}}' "$NAME")" running
	run pod restart -t 10 "$NAME"
	[ "$status" = 0 ] || fail "podman restart: $output"
	assert_eq "$(pod inspect -f '{{.State.Status}}' "$NAME")" running
	assert_eq "$(pod logs "$NAME" | grep -c started)" 2 "starts logged"
	run pod stop -t 10 "$NAME"
	[ "$status" = 0 ] || fail "podman stop: $output"
}

@test "podman run -t and exec -t get a terminal" {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	local cmd
	printf -v cmd '%q ' "$PT/podman" run --rm -t --cgroup-parent "$CG_PARENT" "${POD_RUN[@]}" \
		"$IMAGE" sh -c 'tty; exit 5'
	# script(1) gives podman a terminal.
	CONTAINERS_CONF=$PT/containers.conf RUNTIME=$RUNTIME \
		run timeout 60 script -qec "$cmd" /dev/null </dev/null
	assert_eq "$status" 5 "exit code through the terminal"
	grep -q '^/dev/pts/[0-9]' <<<"$output" || fail "no terminal in the container: $output"

	new_name
	run prun -d --name "$NAME" "$IMAGE" sleep 1000
	[ "$status" = 0 ] || fail "podman run -d: $output"
	printf -v cmd '%q ' "$PT/podman" exec -t "$NAME" sh -c 'tty; exit 4'
	CONTAINERS_CONF=$PT/containers.conf RUNTIME=$RUNTIME \
		run timeout 60 script -qec "$cmd" /dev/null </dev/null
	assert_eq "$status" 4 "exec exit code through the terminal"
	grep -q '^/dev/pts/[0-9]' <<<"$output" || fail "no terminal in exec: $output"
}

@test "podman run: memory, pids and cpu limits reach the cgroup" {
	run prun --rm --memory 64m --pids-limit 50 --cpus 0.5 "$IMAGE" sh -c '
		cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max
		cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max
		cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d" " -f1 /sys/fs/cgroup/cpu.max'
	[ "$status" = 0 ] || fail "podman run: $output"
	assert_eq "$(echo $output)" "67108864 50 50000" "memory, pids, cpu quota"
}

@test "podman run: read-only root, user, tmpfs, bind mount, hostname, env" {
	run prun --rm --read-only --user 1000:1000 --tmpfs /scratch -w /scratch \
		-v "$PT/rootfs.tar:/in.tar:ro" --hostname berth-host --env A=b "$IMAGE" sh -c '
		id -u; hostname; echo $A; pwd
		touch /x 2>/dev/null && echo root-writable
		[ -r /in.tar ] && echo bind-ok
		grep -q " /scratch tmpfs" /proc/mounts && echo tmpfs-ok'
	[ "$status" = 0 ] || fail "podman run: $output"
	assert_eq "$(echo $output)" "1000 berth-host b /scratch bind-ok tmpfs-ok"
}

@test "podman run: user namespace (--uidmap)" {
	run prun --rm --uidmap 0:100000:65536 --gidmap 0:100000:65536 "$IMAGE" \
		sh -c 'cat /proc/self/uid_map; id -u; stat -c %u /bin'
	[ "$status" = 0 ] || fail "podman run: $output"
	assert_eq "$(echo $output)" "0 100000 65536 0 0"
}

@test "podman run: --privileged has all capabilities and no seccomp" {
	run prun --rm --privileged "$IMAGE" grep -E '^(CapEff|Seccomp):' /proc/self/status
	[ "$status" = 0 ] || fail "podman run: $output"
	local bnd
	bnd=$(awk '$1 == "CapBnd:" {print $2}' /proc/self/status)
	assert_eq "$(echo $output)" "CapEff: $bnd Seccomp: 0"
}

@test "podman run: sysctls, including containers.conf's default ping_group_range" {
	# /proc/sys is in podman's readonlyPaths: the runtime must write
	# sysctls before it makes /proc/sys read-only.
	run prun --rm --sysctl net.core.somaxconn=1000 "$IMAGE" cat /proc/sys/net/core/somaxconn
	[ "$status" = 0 ] || fail "podman run --sysctl: $output"
	assert_eq "$output" 1000
	POD_CONF= run prun --rm "$IMAGE" cat /proc/sys/net/ipv4/ping_group_range
	[ "$status" = 0 ] || fail "podman run with default sysctls: $output"
	assert_eq "$(echo $output)" "0 0"
}

# timeout_case: podman run --timeout ends the container at its deadline
# (the container's process leads a session of its own: a kill of its
# process group reaches neither conmon nor podman). Sets TIMEOUT_SEEN to
# what podman said and recorded; podman 4.3 says the same under runc
# ("run 255; exited -1" here).
timeout_case() {
	local start=$SECONDS st
	new_name
	run prun --name "$NAME" --timeout 2 "$IMAGE" sleep 60
	st=$status
	[ $((SECONDS - start)) -lt 30 ] || fail "$RUNTIME: --timeout 2 took $((SECONDS - start)) s"
	run pod inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$NAME"
	TIMEOUT_SEEN="run $st; $output"
	pod rm -f "$NAME" >/dev/null
}

@test "podman run --timeout ends the container at its deadline, as with runc" {
	local rt=$RUNTIME mine
	timeout_case
	mine=$TIMEOUT_SEEN
	if is_berth && command -v runc >/dev/null; then
		RUNTIME=$(command -v runc) timeout_case
		assert_eq "$mine" "$TIMEOUT_SEEN" "berth-runc against runc"
	fi
	RUNTIME=$rt
	assert_podman_clean
}
