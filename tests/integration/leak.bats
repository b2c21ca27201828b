#!/usr/bin/env bats
# Leaks: many lifecycles and failures leave the host as they found it.

load helpers

CYCLES=${BERTH_LEAK_CYCLES:-200}
FAILURES=${BERTH_LEAK_FAILURES:-50}

snapshot() {
	echo "mounts $(host_mounts | md5sum)"
	echo "bundle-mounts $(leftover_mounts | wc -l)"
	echo "cgroups $(leftover_cgroups | wc -l)"
	echo "procs $(leftover_processes | wc -l)"
	echo "fds $(ls /proc/$$/fd | wc -l)"
	echo "state $(leftover_state | wc -l)"
	echo "runtimes $(runtime_processes | wc -l)"
}

# Runtime processes of this test still around (a leaked monitor or helper).
runtime_processes() {
	grep -lF "$STATE_ROOT" /proc/[0-9]*/cmdline 2>/dev/null | grep -v "^/proc/$$/"
	return 0
}

@test "$CYCLES create/start/delete cycles and $FAILURES failing creates leak nothing" {
	set_args /probe exit 0
	cp -a "$BUNDLE" "$BUNDLE.bad"
	# A bad-config twin: same rootfs and cgroup name, an invalid mount source.
	jq '.mounts += [{destination: "/mnt/x", type: "bind", source: "/no/such/source", options: ["bind"]}]' \
		"$BUNDLE/config.json" >"$BUNDLE.bad/config.json"
	local before after i rt=("$RUNTIME" --root "$STATE_ROOT") t0=$SECONDS
	before=$(snapshot)
	for ((i = 0; i < CYCLES; i++)); do
		"${rt[@]}" create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err" ||
			fail "cycle $i: create: $(cat "$BATS_TEST_TMPDIR/err")" || break
		"${rt[@]}" start "$CID" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err" ||
			fail "cycle $i: start: $(cat "$BATS_TEST_TMPDIR/err")" || break
		"${rt[@]}" delete --force "$CID" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err" ||
			fail "cycle $i: delete: $(cat "$BATS_TEST_TMPDIR/err")" || break
	done
	[ "$i" = "$CYCLES" ] || { rm -rf "$BUNDLE.bad"; return 1; }
	for ((i = 0; i < FAILURES; i++)); do
		if "${rt[@]}" create --bundle "$BUNDLE.bad" "$CID" </dev/null >/dev/null 2>&1; then
			rm -rf "$BUNDLE.bad"
			fail "failing create $i succeeded"
			return 1
		fi
	done
	rm -rf "$BUNDLE.bad"
	after=$(snapshot)
	echo "took $((SECONDS - t0)) s" >&2
	[ "$before" = "$after" ] || fail "host changed: before: $(echo $before), after: $(echo $after)"
	assert_nothing_left
}
