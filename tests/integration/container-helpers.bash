# Shared setup for the container tests: `load container-helpers` from a
# .bats file. Each test gets its own store and run root, a busybox image,
# and a teardown that removes every container it made and checks that no
# cgroup is left.

load image-helpers

# A .bats file may define its own setup or teardown and call these.
container_setup() {
	image_setup
	export BERTH_RUN_ROOT=$IMG_DIR/run
	import_busybox busybox
}

setup() {
	container_setup
}

teardown() {
	container_teardown
}

# Everything the test's containers made goes: containers (killed), their
# cgroups, mounts and monitors.
container_teardown() {
	local id
	if [ -n "${STORE:-}" ] && [ -f "$STORE/berth.db" ]; then
		for id in $(sqlite3 "$STORE/berth.db" "select id from containers" 2>/dev/null); do
			timeout 30 "$BERTH" --root "$STORE" rm -f "$id" >/dev/null 2>&1
			assert_no_cgroup "berth-$id" || true
		done
	fi
	wait_monitors || true
	image_teardown
}

assert_no_cgroup() {
	local left
	left=$(find /sys/fs/cgroup -maxdepth 8 -type d -name "$1" 2>/dev/null)
	[ -z "$left" ] || fail "cgroup left: $left"
}

# db SQL: a query on the test store's database.
db() {
	sqlite3 "$STORE/berth.db" "$1"
}

# Waits (5 s at most) until the store has no container row left.
wait_no_containers() {
	local i
	for i in $(seq 50); do
		[ "$(db "select count(*) from containers")" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# Waits (10 s at most) until no monitor of this test's store is left: a
# --rm container's monitor cleans up just after `run` has returned.
wait_monitors() {
	local i
	for i in $(seq 100); do
		[ -z "$(monitors)" ] && return 0
		sleep 0.1
	done
	return 1
}

# monitors of this test's store
monitors() {
	local p
	for p in $(pgrep -x berth-monitor); do
		grep -qF "$IMG_DIR" "/proc/$p/environ" 2>/dev/null && echo "$p"
	done
	return 0
}

