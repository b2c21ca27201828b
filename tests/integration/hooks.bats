#!/usr/bin/env bats
# Hooks: each kind runs at its point of the lifecycle, in order, with the
# container state on stdin.

load helpers

# A host hook: appends its name to the order log and keeps the state it read.
write_host_hook() {
	HOOKLOG=${HOOKLOG:-$BUNDLE/hooklog}
	mkdir -p "$HOOKLOG"
	cat >"$BUNDLE/hook.sh" <<-HOOK
		#!/bin/sh
		cat >"$HOOKLOG/\$1.json"
		echo "\$1" >>"$HOOKLOG/order"
		echo "\$@" >"$HOOKLOG/\$1.args"
		echo "\$HOOK_ENV" >"$HOOKLOG/\$1.env"
		exit \${HOOK_EXIT:-0}
	HOOK
	chmod 755 "$BUNDLE/hook.sh"
}

# hook KIND [ENV...]: a hook entry running hook.sh with KIND as its argument.
hook_json() {
	jq -n --arg p "$BUNDLE/hook.sh" --arg k "$1" '{path: $p, args: ["hook.sh", $k], env: ["HOOK_ENV=env-of-\($k)"]}'
}

add_hook() {
	cfg ".hooks.$1 += [\$h]" --argjson h "$(hook_json "$1")"
}

# startContainer runs inside the container, so its program is the rootfs's sh
# and its log is the rootfs's view of the same directory.
add_start_container_hook() {
	mkdir -p "$BUNDLE/rootfs/hooklog"
	HOOKLOG=$BUNDLE/rootfs/hooklog
	write_host_hook
	cfg '.hooks.startContainer += [{path: "/bin/sh", args: ["sh", "-c",
		"cat > /hooklog/startContainer.json; echo startContainer >> /hooklog/order"]}]'
}

hook_state() { # hook_state KIND FILTER
	jq -r "$2" "$HOOKLOG/$1.json"
}

@test "all hooks run in lifecycle order with the state on stdin" {
	add_start_container_hook
	local kind
	for kind in prestart createRuntime createContainer poststart poststop; do
		add_hook "$kind"
	done
	set_args /probe sleep 120
	create_container
	local pid
	pid=$(container_pid)
	[ "$pid" -gt 0 ] || fail "no pid"
	rt_ok start "$CID"
	wait_status running
	rt_ok kill "$CID" KILL
	wait_status stopped
	rt_ok delete "$CID"

	local order
	order=$(tr '\n' ' ' <"$HOOKLOG/order")
	# The spec orders prestart and createRuntime only relative to the rest.
	if is_runc; then
		# runc 1.1 runs poststart hooks during create (fixed in runc 1.2).
		order=${order/poststart startContainer/startContainer poststart}
	fi
	case "$order" in
	"prestart createRuntime createContainer startContainer poststart poststop " | \
		"createRuntime prestart createContainer startContainer poststart poststop ") ;;
	*) fail "hook order: $order" ;;
	esac
	for kind in prestart createRuntime createContainer startContainer poststart poststop; do
		assert_eq "$(hook_state "$kind" .id)" "$CID" "$kind state id"
		assert_eq "$(hook_state "$kind" .bundle)" "$BUNDLE" "$kind state bundle"
		assert_eq "$(hook_state "$kind" .ociVersion | cut -c1-2)" "1." "$kind state ociVersion"
	done
	for kind in prestart createRuntime createContainer startContainer poststart; do
		# runc 1.1 gives hooks run in the container the in-namespace pid (1);
		# the spec says pid is as seen by the host.
		if is_runc && [ "$kind" = createContainer -o "$kind" = startContainer ]; then
			continue
		fi
		assert_eq "$(hook_state "$kind" .pid)" "$pid" "$kind state pid"
	done
	assert_eq "$(hook_state prestart .status)" creating "prestart status"
	assert_eq "$(hook_state createRuntime .status)" creating "createRuntime status"
	assert_eq "$(hook_state createContainer .status)" creating "createContainer status"
	assert_eq "$(hook_state startContainer .status)" created "startContainer status"
	if ! is_runc; then # runc 1.1 runs it at create, so it reports "created"
		assert_eq "$(hook_state poststart .status)" running "poststart status"
	fi
	assert_eq "$(hook_state poststop .status)" stopped "poststop status"
	assert_nothing_left
}

@test "hooks get their args and env" {
	write_host_hook
	add_hook createRuntime
	run_probe_ok exit 0
	assert_eq "$(cat "$HOOKLOG/createRuntime.args")" createRuntime "hook args"
	assert_eq "$(cat "$HOOKLOG/createRuntime.env")" env-of-createRuntime "hook env"
}

@test "create-time hooks run before start, poststart only after it" {
	is_runc && skip "runc 1.1 runs poststart hooks during create (fixed in runc 1.2)"
	write_host_hook
	add_hook createRuntime
	add_hook poststart
	set_args /probe sleep 120
	create_container
	assert_eq "$(tr '\n' ' ' <"$HOOKLOG/order")" "createRuntime " "hooks after create"
	rt_ok start "$CID"
	assert_eq "$(tr '\n' ' ' <"$HOOKLOG/order")" "createRuntime poststart " "hooks after start"
}

@test "a failing prestart hook makes create fail and leaves nothing" {
	write_host_hook
	cfg '.hooks.prestart = [{path: $p, args: ["hook.sh", "prestart"], env: ["HOOK_EXIT=3"]}]' \
		--arg p "$BUNDLE/hook.sh"
	set_args /probe sleep 120
	rt create --bundle "$BUNDLE" "$CID"
	[ "$status" != 0 ] || fail "create succeeded despite a failing prestart hook"
	[ -f "$HOOKLOG/prestart.json" ] || fail "the hook did not run"
	assert_nothing_left
	rt state "$CID"
	[ "$status" != 0 ] || fail "state still knows $CID"
}

@test "a failing createRuntime hook makes run fail and leaves nothing" {
	write_host_hook
	cfg '.hooks.createRuntime = [{path: $p, args: ["hook.sh", "createRuntime"], env: ["HOOK_EXIT=1"]}]' \
		--arg p "$BUNDLE/hook.sh"
	run_probe report
	[ "$status" != 0 ] || fail "run succeeded despite a failing createRuntime hook"
	[ -z "$output" ] || fail "the process ran: $output"
	assert_nothing_left
}

@test "a hook that outlives its timeout fails create" {
	cfg '.hooks.createRuntime = [{path: "/bin/sleep", args: ["sleep", "30"], timeout: 1}]'
	set_args /probe sleep 120
	local t0=$SECONDS
	rt create --bundle "$BUNDLE" "$CID"
	[ "$status" != 0 ] || fail "create succeeded despite a hook timeout"
	[ $((SECONDS - t0)) -lt 20 ] || fail "the timeout was not enforced"
	assert_nothing_left
}

@test "a failing poststop hook does not stop delete" {
	write_host_hook
	cfg '.hooks.poststop = [{path: $p, args: ["hook.sh", "poststop"], env: ["HOOK_EXIT=1"]}]' \
		--arg p "$BUNDLE/hook.sh"
	set_args /probe exit 0
	create_container
	rt_ok start "$CID"
	wait_status stopped
	rt delete "$CID"
	[ -f "$HOOKLOG/poststop.json" ] || fail "poststop did not run"
	assert_nothing_left
}

@test "after a failing poststart or poststop hook the remaining ones still run" {
	write_host_hook
	cfg '.hooks.poststart = [{path: $p, args: ["hook.sh", "poststart-a"], env: ["HOOK_EXIT=1"]},
	                         {path: $p, args: ["hook.sh", "poststart-b"]}]
	     | .hooks.poststop = [{path: $p, args: ["hook.sh", "poststop-a"], env: ["HOOK_EXIT=1"]},
	                          {path: $p, args: ["hook.sh", "poststop-b"]}]' \
		--arg p "$BUNDLE/hook.sh"
	set_args /probe exit 0
	create_container
	rt_ok start "$CID"
	wait_status stopped
	rt_ok delete "$CID"
	assert_eq "$(tr '\n' ' ' <"$HOOKLOG/order")" "poststart-a poststart-b poststop-a poststop-b " \
		"hooks run"
	assert_nothing_left
}

# where_case: createContainer hooks run from the container's root; a
# startContainer hook runs under the container's seccomp filter (here one
# that denies mkdir), with noNewPrivileges as engines set it.
where_case() {
	rm -rf "$BUNDLE/rootfs/hooklog" "$BUNDLE/rootfs/hookdir"
	mkdir -p "$BUNDLE/rootfs/hooklog"
	cfg 'del(.hooks) | .process.noNewPrivileges = true |
		.hooks.createContainer = [{path: "/bin/sh", args: ["sh", "-c",
			"readlink /proc/self/cwd > \($b)/rootfs/hooklog/cwd"]}] |
		.hooks.startContainer = [{path: "/bin/sh", args: ["sh", "-c",
			"if mkdir /hookdir 2>/dev/null; then echo made; else echo denied; fi > /hooklog/mkdir"]}] |
		.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [
			{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}' \
		--arg b "$BUNDLE"
	set_args /probe exit 0
	rt_ok run --bundle "$BUNDLE" "$CID"
	assert_eq "$(cat "$BUNDLE/rootfs/hooklog/cwd")" "$(readlink -f "$BUNDLE/rootfs")" \
		"$RUNTIME: createContainer's working directory"
	assert_eq "$(cat "$BUNDLE/rootfs/hooklog/mkdir")" denied "$RUNTIME: startContainer's seccomp"
}

@test "createContainer hooks run from the container's root, startContainer under its seccomp filter, as runc" {
	local runc
	where_case
	runc=$(command -v runc) || true
	if is_berth && [ -n "$runc" ]; then
		RUNTIME=$runc where_case
	fi
}
