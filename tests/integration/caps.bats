#!/usr/bin/env bats
# Capabilities: all five sets, as /proc/self/status reports them.

load helpers

declare -gA CAPBIT=([CAP_CHOWN]=0 [CAP_DAC_OVERRIDE]=1 [CAP_FOWNER]=3 [CAP_KILL]=5
	[CAP_SETGID]=6 [CAP_SETUID]=7 [CAP_NET_BIND_SERVICE]=10 [CAP_NET_RAW]=13
	[CAP_SYS_CHROOT]=18 [CAP_SYS_ADMIN]=21 [CAP_AUDIT_WRITE]=29)

# mask CAP...: the set as /proc/self/status prints it.
mask() {
	local m=0 c
	for c in "$@"; do
		m=$((m | (1 << ${CAPBIT[$c]})))
	done
	printf '%016x' "$m"
}

caps_json() {
	json_array "$@"
}

@test "the default config yields exactly its three capabilities" {
	run_probe_ok report
	local want
	want=$(mask CAP_AUDIT_WRITE CAP_KILL CAP_NET_BIND_SERVICE)
	assert_eq "$want" "$CAPS_DEFAULT" "mask helper"
	assert_pj .CapEff "$want"
	assert_pj .CapPrm "$want"
	assert_pj .CapBnd "$want"
	assert_pj .CapInh "$CAPS_NONE"
	assert_pj .CapAmb "$CAPS_NONE"
}

@test "all five sets follow the config (non-root user, ambient raised)" {
	cfg '.process.user = {uid: 1000, gid: 1000}
	   | .process.noNewPrivileges = false
	   | .process.capabilities = {
		bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SETUID", "CAP_NET_BIND_SERVICE"],
		inheritable: ["CAP_KILL", "CAP_NET_RAW", "CAP_NET_BIND_SERVICE"],
		permitted: ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		effective: ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		ambient: ["CAP_KILL", "CAP_NET_BIND_SERVICE"]}'
	run_probe_ok report
	assert_pj .CapBnd "$(mask CAP_CHOWN CAP_KILL CAP_NET_RAW CAP_SETUID CAP_NET_BIND_SERVICE)"
	assert_pj .CapInh "$(mask CAP_KILL CAP_NET_RAW CAP_NET_BIND_SERVICE)"
	assert_pj .CapPrm "$(mask CAP_KILL CAP_NET_BIND_SERVICE)"
	assert_pj .CapEff "$(mask CAP_KILL CAP_NET_BIND_SERVICE)"
	assert_pj .CapAmb "$(mask CAP_KILL CAP_NET_BIND_SERVICE)"
}

@test "a root process gets the configured sets" {
	cfg '.process.capabilities = {
		bounding: ["CAP_CHOWN", "CAP_SYS_CHROOT", "CAP_SETGID"],
		inheritable: ["CAP_CHOWN"],
		permitted: ["CAP_CHOWN", "CAP_SYS_CHROOT", "CAP_SETGID"],
		effective: ["CAP_CHOWN", "CAP_SYS_CHROOT", "CAP_SETGID"]}'
	run_probe_ok report
	local want
	want=$(mask CAP_CHOWN CAP_SYS_CHROOT CAP_SETGID)
	assert_pj .CapBnd "$want"
	assert_pj .CapPrm "$want"
	assert_pj .CapEff "$want"
	assert_pj .CapInh "$(mask CAP_CHOWN)"
	assert_pj .CapAmb "$CAPS_NONE"
}

@test "empty capability sets leave none" {
	cfg '.process.capabilities = {bounding: [], effective: [], permitted: [], inheritable: [], ambient: []}'
	run_probe_ok report
	local set
	for set in CapBnd CapPrm CapEff CapInh CapAmb; do
		assert_pj ".$set" "$CAPS_NONE"
	done
}

@test "capabilities decide what the process may do" {
	# sethostname needs CAP_SYS_ADMIN; the uts namespace is the container's own.
	run_probe_ok syscall sethostname renamed
	assert_pj .errno 1
	cfg '.process.capabilities |= map_values(. + ["CAP_SYS_ADMIN"])'
	run_probe_ok syscall sethostname renamed
	assert_pj .ret 0
	[ "$(hostname)" != renamed ] || fail "host hostname changed"
}
