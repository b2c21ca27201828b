#!/usr/bin/env bats
# Rootless: an unprivileged user runs the runtime, with a user namespace
# mapping its own uid to root, no cgroup and state under its own directory.

load helpers

RL_UID=54321

rootless_setup() {
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	[ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)" -gt 0 ] ||
		skip "user namespaces are disabled on this host"
	RL_DIR=$(mktemp -d /tmp/berth-rootless.XXXXXX)
	chmod 755 "$RL_DIR"
	cp -a "$BUNDLE/rootfs" "$RL_DIR/rootfs"
	(cd "$RL_DIR" && "$RUNTIME" spec --rootless) || fail "spec --rootless failed"
	# spec --rootless ran as root here: map the unprivileged user instead.
	jq '.process.terminal = false | .process.args = $a
	    | .linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}]
	    | .linux.gidMappings = [{containerID: 0, hostID: $u, size: 1}]' \
		--argjson a "$1" --argjson u "$RL_UID" \
		"$RL_DIR/config.json" >"$RL_DIR/c" && mv "$RL_DIR/c" "$RL_DIR/config.json"
	chown -R "$RL_UID:$RL_UID" "$RL_DIR"
}

as_user() {
	setpriv --reuid="$RL_UID" --regid="$RL_UID" --clear-groups \
		env -u XDG_RUNTIME_DIR HOME="$RL_DIR" "$@"
}

teardown() {
	if [ -n "${RL_DIR:-}" ]; then
		as_user "$RUNTIME" --root "$RL_DIR/state" delete --force "rl-$CID" 2>/dev/null || true
		rm -rf "$RL_DIR"
	fi
	berth_teardown
}

@test "rootless: an unprivileged user runs a container as root of its own user namespace" {
	rootless_setup '["/probe", "report"]'
	run as_user "$RUNTIME" --root "$RL_DIR/state" run --bundle "$RL_DIR" "rl-$CID"
	[ "$status" = 0 ] || fail "rootless run failed ($status): $output"
	PROBE_JSON=$output
	assert_eq "$(jq -r .uid <<<"$output")" 0 "uid inside"
	assert_eq "$(jq -r '.uid_map[0]' <<<"$output" | tr -s ' ' ' ' | sed 's/^ //; s/ $//')" \
		"0 $RL_UID 1" "uid_map"
	assert_eq "$(jq -r .pid <<<"$output")" 1 "pid"
	[ ! -e "$RL_DIR/state/rl-$CID" ] || fail "state left behind"
}

@test "rootless: limits need cgroups the caller may not make: a clear error" {
	is_runc && skip "runc's rootless mode warns and ignores the limits"
	rootless_setup '["/probe", "report"]'
	jq '.linux.resources = {"pids": {"limit": 10}}' "$RL_DIR/config.json" >"$RL_DIR/c" &&
		mv "$RL_DIR/c" "$RL_DIR/config.json" && chown "$RL_UID" "$RL_DIR/config.json"
	run as_user "$RUNTIME" --root "$RL_DIR/state" run --bundle "$RL_DIR" "rl-$CID"
	[ "$status" != 0 ] || fail "a pids limit was silently dropped"
	[ "$(wc -l <<<"$output")" = 1 ] || fail "not one line: $output"
	grep -q "cgroup" <<<"$output" || fail "error does not name the cgroup: $output"
	[ ! -e "$RL_DIR/state/rl-$CID" ] || fail "state left behind"
}

@test "rootless: create, exec, kill and delete without a cgroup" {
	rootless_setup '["/probe", "sleep", "120"]'
	local r=("$RUNTIME" --root "$RL_DIR/state")
	# A detached container keeps the caller's stdio: a file, never bats' pipe.
	as_user "${r[@]}" run --detach --bundle "$RL_DIR" "rl-$CID" >"$RL_DIR/out" 2>&1 </dev/null ||
		fail "run -d: $(cat "$RL_DIR/out")"
	run as_user "${r[@]}" exec "rl-$CID" /probe report
	[ "$status" = 0 ] || fail "exec: $output"
	assert_eq "$(jq -r .uid <<<"$output")" 0 "uid of the exec'd process"
	run as_user "${r[@]}" state "rl-$CID"
	assert_eq "$(jq -r .status <<<"$output")" running "status"
	run as_user "${r[@]}" kill "rl-$CID" KILL
	[ "$status" = 0 ] || fail "kill: $output"
	run as_user "${r[@]}" delete --force "rl-$CID"
	[ "$status" = 0 ] || fail "delete: $output"
	[ ! -e "$RL_DIR/state/rl-$CID" ] || fail "state left behind"
}
