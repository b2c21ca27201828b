#!/bin/bash
# Runs the integration tests (all .bats files, or those given) against
# $RUNTIME (default: $BERTH_BUILD/src/cli/berth-runc) and ends with one line:
#   N passed, N failed, N skipped
# Skipped tests count as passed. Exits non-zero when any test failed or the
# run left cgroups, network namespaces, bundles or mounts behind.
set -u
cd "$(dirname "$0")"

command -v bats >/dev/null || { echo "run.sh: bats is not installed" >&2; exit 2; }
command -v jq >/dev/null || { echo "run.sh: jq is not installed" >&2; exit 2; }

if [ $# -gt 0 ]; then
	files=("$@")
else
	files=(*.bats)
fi

# Everything this run's tests create carries the run's tag in its name
# (helpers.bash), so leftovers of a concurrent run are not counted.
BERTH_TEST_RUN=$(od -An -N3 -tx1 /dev/urandom | tr -d ' ')
export BERTH_TEST_RUN
leftovers() {
	find /sys/fs/cgroup -maxdepth 8 -type d -name "berth-test-$BERTH_TEST_RUN-*" 2>/dev/null
	ls -d /run/netns/berth-test-"$BERTH_TEST_RUN"-* 2>/dev/null
	ls -d /tmp/berth-it."$BERTH_TEST_RUN".* 2>/dev/null
	grep -o " /tmp/berth-it\.$BERTH_TEST_RUN\.[^ ]*" /proc/self/mountinfo 2>/dev/null
	return 0
}
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT

bats --tap "${files[@]}" | tee "$tap"
rc=${PIPESTATUS[0]}

passed=$(grep -c '^ok ' "$tap")
failed=$(grep -c '^not ok ' "$tap")
skipped=$(grep -ciE '^ok .* # skip( |$)' "$tap")

new=$(leftovers)
if [ -n "$new" ]; then
	echo "# left behind after the run:" >&2
	sed 's/^/#   /' <<<"$new" >&2
	rc=1
fi
[ "$failed" -gt 0 ] && rc=1
# bats failing outside any test (a syntax error, a crashed setup_file) still fails the run.
[ "$rc" = 0 ] || [ "$failed" -gt 0 ] || [ -n "$new" ] || echo "# bats exited with an error" >&2

echo "$passed passed, $failed failed, $skipped skipped"
exit "$rc"
