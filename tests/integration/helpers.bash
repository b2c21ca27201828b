# Shared setup for the integration tests: `load helpers` from a .bats file.
#
# The runtime under test is $RUNTIME (default: the berth-runc symlink in
# $BERTH_BUILD, itself defaulting to build/ in the repository). Each test gets
# a fresh bundle (busybox rootfs plus /probe), its own --root state directory
# and its own cgroup name, and teardown proves that the runtime left nothing
# behind: no state, no cgroup, no mount, no process.

INTEGRATION_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$INTEGRATION_ROOT/../.." && pwd)
BERTH_BUILD=${BERTH_BUILD:-build}
case $BERTH_BUILD in
/*) ;;
*) BERTH_BUILD=$REPO_ROOT/$BERTH_BUILD ;;
esac
RUNTIME=${RUNTIME:-$BERTH_BUILD/src/cli/berth-runc}
CACHE=${BERTH_TEST_CACHE:-$INTEGRATION_ROOT/.cache}
# Seconds any single runtime command may take before the test calls it hung.
RT_TIMEOUT=${BERTH_TEST_TIMEOUT:-60}

# Capability masks as /proc/self/status prints them.
CAPS_DEFAULT=0000000020000420 # CAP_AUDIT_WRITE | CAP_KILL | CAP_NET_BIND_SERVICE
CAPS_NONE=0000000000000000

fail() {
	echo "FAIL: $*" >&2
	return 1
}

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"
}

is_berth() {
	case $(readlink -f "$RUNTIME") in
	*/berth | */berth-runc) return 0 ;;
	esac
	"$RUNTIME" --version 2>&1 | grep -qi berth
}

is_runc() {
	! is_berth && "$RUNTIME" --version 2>&1 | grep -q '^runc version'
}

require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

# A helper program: the meson-built one if present, else compiled into the cache.
helper_bin() {
	local name=$1 static=$2 built=$BERTH_BUILD/tests/helpers/berth-$1
	local src=$INTEGRATION_ROOT/../helpers/$name.c out=$CACHE/$name
	if [ -x "$built" ] && [ "$built" -nt "$src" ]; then
		echo "$built"
		return
	fi
	if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
		cc -O2 -D_GNU_SOURCE $static -o "$out.tmp" "$src" >&2 && mv "$out.tmp" "$out" ||
			return 1
	fi
	echo "$out"
}

# The cached rootfs: Debian's static busybox with its applet links, plus /probe.
build_rootfs() {
	local dir=$CACHE/rootfs lock probe
	mkdir -p "$CACHE"
	exec {lock}>"$CACHE/.lock"
	flock "$lock"
	if [ ! -e "$dir/.complete" ]; then
		[ -x /bin/busybox ] || { flock -u "$lock"; fail "needs /bin/busybox (busybox-static)"; return 1; }
		rm -rf "$dir"
		mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root,mnt,home}
		chmod 1777 "$dir/tmp"
		cp /bin/busybox "$dir/bin/busybox"
		local app
		for app in $(/bin/busybox --list-full); do
			[ -e "$dir/$app" ] || ln -s /bin/busybox "$dir/$app"
		done
		printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
		printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$dir/etc/group"
		touch "$dir/.complete"
	fi
	probe=$(helper_bin probe -static) || { flock -u "$lock"; return 1; }
	cmp -s "$probe" "$dir/probe" || cp "$probe" "$dir/probe"
	flock -u "$lock"
	exec {lock}>&-
}

# new_bundle: a fresh bundle in $BUNDLE with the base config and a unique id.
new_bundle() {
	build_rootfs || return 1
	# run.sh sets BERTH_TEST_RUN so that it can tell its own leftovers from
	# those of a concurrent run.
	TEST_ID=berth-test-${BERTH_TEST_RUN:+$BERTH_TEST_RUN-}$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
	CID=$TEST_ID
	CGNAME=$TEST_ID
	# Outside bats' 0700 tmpdir: with a user namespace the container's root
	# must still be able to walk down to its rootfs.
	BUNDLE=$(mktemp -d "/tmp/berth-it.${BERTH_TEST_RUN:+$BERTH_TEST_RUN.}XXXXXX")
	chmod 755 "$BUNDLE"
	cp -a "$CACHE/rootfs" "$BUNDLE/rootfs"
	rm -f "$BUNDLE/rootfs/.complete"
	sed "s/CGROUPS_PATH/$CGNAME/" "$INTEGRATION_ROOT/base-config.json" >"$BUNDLE/config.json"
}

berth_setup() {
	require_root
	[ -x "$RUNTIME" ] || fail "runtime not found: $RUNTIME (set RUNTIME or BERTH_BUILD)" || return 1
	STATE_ROOT=$BATS_TEST_TMPDIR/state
	CONTAINERS=()
	NETNS_LIST=()
	new_bundle || return 1
	host_mounts >"$BATS_TEST_TMPDIR/mountinfo.before"
}

# host_mounts: the host's mount points, less those that concurrent users of
# this machine (containerd, podman, other test runs) come and go with, so a
# diff shows what this test's runtime did.
host_mounts() {
	awk '{print $5, $(NF-2)}' /proc/self/mountinfo |
		grep -v -e containerd -e /containers/ -e /netns -e '^/tmp/berth-it\.' -e '^/tmp/bats-run-' |
		sort
}

setup() {
	berth_setup
}

teardown() {
	berth_teardown
}

# rt ARGS...: runs the runtime with our --root. Its stdio goes to files, never
# to bats' pipes, so a detached container cannot hold the test open. Sets
# $status, $output (stdout) and $stderr.
rt() {
	local out=$BATS_TEST_TMPDIR/rt.out err=$BATS_TEST_TMPDIR/rt.err
	status=0
	timeout -k 5 "$RT_TIMEOUT" "$RUNTIME" --root "$STATE_ROOT" "$@" >"$out" 2>"$err" </dev/null ||
		status=$?
	output=$(cat "$out")
	stderr=$(cat "$err")
	[ "$status" = 124 ] && echo "runtime timed out: $*" >&2
	return 0
}

# rt_ok ARGS...: rt, and fail unless it exited 0.
rt_ok() {
	rt "$@"
	[ "$status" = 0 ] || fail "$RUNTIME $* exited $status: $stderr"
}

# cfg FILTER [JQ-ARGS...]: edits config.json in place.
cfg() {
	local filter=$1
	shift
	jq "$@" "$filter" "$BUNDLE/config.json" >"$BUNDLE/config.json.new" &&
		mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# set_args ARGS...: sets process.args.
set_args() {
	cfg '.process.args = $a' --argjson a "$(json_array "$@")"
}

# json_array ARGS...: the arguments as a JSON array of strings (any bytes but NUL).
json_array() {
	local a
	for a in "$@"; do
		jq -n --arg v "$a" '$v'
	done | jq -cs .
}

# run_probe ARGS...: runs `/probe ARGS...` in the foreground (`run`), leaving
# the probe's stdout in $output and its exit code in $status.
run_probe() {
	set_args /probe "$@"
	rt run --bundle "$BUNDLE" "$CID"
}

# run_probe_ok ARGS...: run_probe, and fail unless the probe exited 0.
run_probe_ok() {
	run_probe "$@"
	[ "$status" = 0 ] || fail "probe $* exited $status: $stderr" || return 1
	case $1 in
	exit | sleep) ;;
	*) # jq accepts empty input, so emptiness is checked on its own.
		[ -n "$output" ] && tail -n 1 <<<"$output" | jq -e . >/dev/null 2>&1 ||
			fail "probe $* printed no JSON: '$output' (stderr: $stderr)" ;;
	esac
}

# pj FILTER [JQ-ARGS...]: evaluates a jq filter on the probe's JSON ($output,
# last line: the only JSON line for every subcommand).
pj() {
	local filter=$1 line
	shift
	line=$(tail -n 1 <<<"$output")
	[ -n "$line" ] || { echo "no probe output" >&2; return 1; }
	jq -r "$@" "$filter" <<<"$line"
}

# assert_pj FILTER EXPECTED: the probe's value at FILTER is EXPECTED.
assert_pj() {
	local got
	got=$(pj "$1") || fail "probe output is not JSON: $output" || return 1
	assert_eq "$got" "$2" "probe $1"
}

# container_state ID: the `state` JSON's status field.
container_status() {
	rt state "${1:-$CID}"
	[ "$status" = 0 ] || { echo "none"; return; }
	jq -r .status <<<"$output"
}

# container_pid [ID]: the pid from `state`; fails unless it is a live process.
container_pid() {
	local pid
	rt state "${1:-$CID}"
	pid=$(jq -r .pid <<<"$output" 2>/dev/null)
	[[ "$pid" =~ ^[1-9][0-9]*$ ]] || fail "state of ${1:-$CID} has no pid: '$output' $stderr" ||
		return 1
	echo "$pid"
}

# wait_status STATUS [ID]: polls `state` until the container reaches STATUS.
wait_status() {
	local want=$1 id=${2:-$CID} i got
	for ((i = 0; i < 100; i++)); do
		got=$(container_status "$id")
		[ "$got" = "$want" ] && return 0
		sleep 0.1
	done
	fail "container $id: status '$got', wanted '$want'"
}

# create_bg ID [EXTRA-ARGS...]: `create` a container from $BUNDLE.
create_container() {
	local id=${1:-$CID}
	shift || true
	CONTAINERS+=("$id")
	rt_ok create --bundle "$BUNDLE" "$@" "$id"
}

# cgroup_v1_mounted CONTROLLER: a v1 hierarchy for the controller exists.
cgroup_v1_mounted() {
	grep -qw "$1" <(awk '$(NF-2) == "cgroup" {print $NF}' /proc/self/mountinfo)
}

# host_cgroup_dir PID CONTROLLER: the host directory of the process's cgroup
# for the controller (v1 hierarchy if there is one, else the unified one).
host_cgroup_dir() {
	local pid=$1 ctl=$2 line mnt path
	line=$(grep -E "^[0-9]+:([^:]*,)?$ctl(,[^:]*)?:" "/proc/$pid/cgroup")
	if [ -n "$line" ]; then
		mnt=$(awk -v c="$ctl" '$(NF-2) == "cgroup" && $NF ~ ("(^|,)" c "(,|$)") {print $5; exit}' /proc/self/mountinfo)
	else
		line=$(grep '^0::' "/proc/$pid/cgroup")
		mnt=$(awk '$(NF-2) == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
	fi
	path=${line#*:*:}
	echo "$mnt$path"
}

# cgroup_v2_for PID CONTROLLER: true when the controller is served by cgroup2.
cgroup_is_v2() {
	! grep -qE "^[0-9]+:([^:]*,)?$2(,[^:]*)?:" "/proc/$1/cgroup"
}

# Leftover checks, shared by teardown and by tests that assert "nothing left".
# A container process is found by its cgroup or, should it never have joined
# one, by a mount namespace other than ours that mounts the bundle.
leftover_processes() {
	local f pid myns
	myns=$(readlink /proc/self/ns/mnt)
	{
		for f in $(grep -l "/$CGNAME\(/\|$\)" /proc/[0-9]*/cgroup 2>/dev/null); do
			pid=${f#/proc/}
			echo "${pid%/cgroup}"
		done
		for f in $(grep -lF "$BUNDLE/" /proc/[0-9]*/mountinfo 2>/dev/null); do
			pid=${f#/proc/}
			pid=${pid%/mountinfo}
			[ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" != "$myns" ] && echo "$pid"
		done
	} | grep -vx -e "$$" -e "$BASHPID" | sort -un
	return 0
}

leftover_cgroups() {
	find /sys/fs/cgroup -maxdepth 8 -type d -name "$CGNAME" 2>/dev/null
	return 0
}

leftover_mounts() {
	grep -F -e "$BUNDLE" -e "$STATE_ROOT" /proc/self/mountinfo 2>/dev/null
	return 0
}

# (The cache of compiled seccomp filters is the runtime's to keep.)
leftover_state() {
	[ -d "$STATE_ROOT" ] && ls -A "$STATE_ROOT" | grep -vx '.seccomp-cache'
	return 0
}

# assert_nothing_left: no process, cgroup, mount or state of this test's
# containers remains (the runtime cleaned up by itself).
assert_nothing_left() {
	local what
	what=$(leftover_processes)
	[ -z "$what" ] || fail "processes left: $what" || return 1
	what=$(leftover_cgroups)
	[ -z "$what" ] || fail "cgroups left: $what" || return 1
	what=$(leftover_mounts)
	[ -z "$what" ] || fail "mounts left: $what" || return 1
	what=$(leftover_state)
	[ -z "$what" ] || fail "state left in $STATE_ROOT: $what" || return 1
}

# assert_mounts_unchanged: the host mount table equals the one at setup.
assert_mounts_unchanged() {
	local now=$BATS_TEST_TMPDIR/mountinfo.now
	host_mounts >"$now"
	diff "$BATS_TEST_TMPDIR/mountinfo.before" "$now" >&2 ||
		fail "host mount table changed" || return 1
	leftover_mounts | grep -q . && fail "mounts under the bundle: $(leftover_mounts)"
	return 0
}

# berth_teardown: deletes every container the test made, then checks (and
# forcibly repairs, so one failure does not spill into the next test) that
# nothing is left. Any leftover fails the test.
berth_teardown() {
	local leaks=() what id pid i
	[ -n "${BUNDLE:-}" ] || return 0
	for id in "${CONTAINERS[@]}" "$CID"; do
		timeout -k 5 "$RT_TIMEOUT" "$RUNTIME" --root "$STATE_ROOT" delete --force "$id" \
			>/dev/null 2>&1 </dev/null || true
	done
	what=$(leftover_processes)
	if [ -n "$what" ]; then
		leaks+=("processes: $(echo $what)")
		for pid in $what; do kill -9 "$pid" 2>/dev/null; done
		# A killed init is reaped by its parent (often pid 1) in its own time.
		for ((i = 0; i < 50; i++)); do
			[ -z "$(leftover_processes)" ] && break
			sleep 0.1
		done
	fi
	what=$(leftover_cgroups)
	if [ -n "$what" ]; then
		leaks+=("cgroups: $(echo $what)")
		for ((i = 0; i < 20; i++)); do
			for id in $(leftover_cgroups); do
				find "$id" -depth -type d -exec rmdir {} + 2>/dev/null
			done
			[ -z "$(leftover_cgroups)" ] && break
			sleep 0.1
		done
	fi
	what=$(leftover_mounts)
	if [ -n "$what" ]; then
		leaks+=("mounts: $(awk '{print $5}' <<<"$what" | tr '\n' ' ')")
		awk '{print $5}' <<<"$what" | sort -r | while read -r mnt; do
			umount -l "$mnt" 2>/dev/null
		done
	fi
	what=$(leftover_state)
	[ -z "$what" ] || leaks+=("state: $what")
	for id in "${NETNS_LIST[@]}"; do
		ip netns delete "$id" 2>/dev/null
	done
	if ! leftover_mounts | grep -q .; then
		rm -rf "$BUNDLE"
	fi
	if [ ${#leaks[@]} -gt 0 ]; then
		printf 'LEFT BEHIND: %s\n' "${leaks[@]}" >&2
		return 1
	fi
}

# assert_one_line_error WORD...: the runtime failed; for Berth its stderr is a
# single line naming each WORD. runc's wording differs, so for other runtimes
# only a non-empty message is required.
assert_one_line_error() {
	[ "$status" != 0 ] || fail "runtime succeeded but should have failed" || return 1
	[ "$status" != 124 ] || fail "runtime hung" || return 1
	[ -n "$stderr" ] || fail "no error message on stderr" || return 1
	if is_berth; then
		local lines word
		lines=$(printf '%s\n' "$stderr" | grep -c .)
		[ "$lines" = 1 ] || fail "error message is $lines lines, wanted 1: $stderr" || return 1
		for word in "$@"; do
			grep -qiF -- "$word" <<<"$stderr" || fail "error message does not name '$word': $stderr" ||
				return 1
		done
	fi
	return 0
}

# Our cgroup: the memory controller's on hybrid hosts, else the unified one
# (where peers such as podman and containerd put their containers).
own_cgroup() {
	local p
	p=$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' /proc/self/cgroup | cut -d: -f3)
	[ -n "$p" ] || p=$(grep '^0::' /proc/self/cgroup | cut -d: -f3)
	echo "${p%/}"
}

# Bats 1.8 cannot skip from setup_file: it records why, and setup() skips.
unavailable() {
	export UNAVAILABLE=$1
}
