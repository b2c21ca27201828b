#!/usr/bin/env bats
# exec never loses the command's exit status: 500 execs in a row on a
# machine kept busy, each with its own status, through the engine and
# through berth-runc (detached, as containerd's shim runs it: the pid file
# must name the process).
#
# The loops use the release build when there is one (scripts/test builds
# it beside the sanitizer build): a sanitized process takes half a second
# to start, which would stretch 500 execs to minutes.

load container-helpers

setup() {
	container_setup
	FAST_BERTH=${BERTH_RELEASE:-$INTEGRATION_ROOT/../../build/src/cli/berth}
	[ -x "$FAST_BERTH" ] || FAST_BERTH=$BERTH
	HOGS=()
}

teardown() {
	local p
	for p in "${HOGS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	container_teardown
}

# busy: keeps both cores busy until teardown, as CI's machine often is.
busy() {
	local i
	for i in 1 2; do
		(while :; do :; done) &
		HOGS+=($!)
	done
}

@test "exec: 500 execs under load, each returns its command's own status" {
	b_ok run -d --name ex busybox sleep 600
	busy
	local i want rc bad=()
	for ((i = 0; i < 500; i++)); do
		want=$((i % 9 + 1))
		rc=0
		timeout 60 "$FAST_BERTH" --root "$STORE" exec ex sh -c "exit $want" </dev/null ||
			rc=$?
		[ "$rc" = "$want" ] || bad+=("exec $i: $rc, not $want")
	done
	[ ${#bad[@]} = 0 ] || fail "${#bad[@]} of 500 execs lost their status: ${bad[*]:0:5}"
}

@test "berth-runc exec --detach --pid-file under load: the pid file names the process, every time" {
	b_ok run -d --name ex busybox sleep 600
	local root id pid i rc bad=() runtime
	runtime=$(dirname "$FAST_BERTH")/berth-runc
	[ -x "$runtime" ] || runtime=$RUNTIME
	# The engine keeps its containers' runtime state under the run root.
	root=$BERTH_RUN_ROOT/runtime
	b_ok inspect -f '{{.Id}}' ex
	id=$output
	[ -f "$root/$id/state.json" ] || fail "no runtime state at $root/$id"
	busy
	for ((i = 0; i < 100; i++)); do
		rm -f "$BATS_TEST_TMPDIR/pid"
		rc=0
		timeout 60 "$runtime" --root "$root" exec --detach --pid-file "$BATS_TEST_TMPDIR/pid" \
			"$id" /bin/sleep 1 </dev/null >/dev/null 2>&1 || rc=$?
		pid=$(cat "$BATS_TEST_TMPDIR/pid" 2>/dev/null)
		if [ "$rc" != 0 ] || ! [[ "$pid" =~ ^[1-9][0-9]*$ ]] ||
			! grep -q sleep "/proc/$pid/cmdline" 2>/dev/null; then
			bad+=("exec $i: status $rc, pid file '$pid'")
		fi
	done
	[ ${#bad[@]} = 0 ] || fail "${#bad[@]} of 100: ${bad[*]:0:5}"
}
