#!/bin/bash
# Runs the OCI runtime-tools validation suite against one or more runtimes and
# prints, per test program, how many TAP checks each runtime passed and failed.
#
# The suite itself is third-party code and never lives in this repository:
# point RUNTIME_TOOLS_DIR at a built checkout (see README.md beside this file).
# That directory must hold `runtimetest`, `rootfs-amd64.tar.gz` and the built
# validation programs `validation/*.t` (or validation/<name>/<name>.t), because
# the programs copy ./runtimetest into each bundle and untar ./rootfs-*.tar.gz.
#
# Environment:
#   RUNTIME_TOOLS_DIR  built runtime-tools checkout (required; skips if unset)
#   RUNTIMES           runtimes to compare, names or paths
#                      (default: "runc <repo>/build/src/cli/berth-runc")
#   BERTH_RUNC         berth-runc binary used in the default RUNTIMES
#   TESTS              test names to run (default: every built one)
#   SKIP_TESTS         test names to leave out (default: the tests that make
#                      cgroups at the hierarchy roots; see DEFAULT_SKIP)
#   TEST_TIMEOUT       seconds per test program and runtime (default 60)
#   OUT_DIR            where the TAP logs go (default: a new temp dir)
#
# Must run as root: the suite creates real containers.
set -u

# These give an absolute linux.cgroupsPath (/cgrouptest...), so the container
# cgroup lands at the root of every v1 hierarchy.  Where the caller's own
# cgroup is not the root (a delegated memory cgroup, say), that writes outside
# what the caller owns.  The relative_* variants test the same limits safely.
DEFAULT_SKIP="linux_cgroups_blkio linux_cgroups_cpus linux_cgroups_devices
linux_cgroups_hugetlb linux_cgroups_memory linux_cgroups_network linux_cgroups_pids"

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

if [ -z "${RUNTIME_TOOLS_DIR:-}" ]; then
	echo "conformance: SKIP: RUNTIME_TOOLS_DIR is unset (see tests/conformance/README.md)"
	exit 0
fi
rt=$(cd "$RUNTIME_TOOLS_DIR" 2>/dev/null && pwd) || {
	echo "conformance: RUNTIME_TOOLS_DIR=$RUNTIME_TOOLS_DIR is not a directory" >&2
	exit 2
}
for f in runtimetest "rootfs-$(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/').tar.gz"; do
	if [ ! -e "$rt/$f" ]; then
		echo "conformance: $rt/$f is missing (build runtime-tools first)" >&2
		exit 2
	fi
done
if [ "$(id -u)" != 0 ]; then
	echo "conformance: SKIP: must run as root" >&2
	exit 0
fi

berth=${BERTH_RUNC:-$repo/build/src/cli/berth-runc}
runtimes=${RUNTIMES:-runc $berth}
timeout_s=${TEST_TIMEOUT:-60}
skip=${SKIP_TESTS-$DEFAULT_SKIP}
out=${OUT_DIR:-$(mktemp -d /tmp/berth-conformance.XXXXXX)}
mkdir -p "$out"

# Resolve each runtime to an absolute path: the suite looks RUNTIME up in PATH.
resolved=()
for r in $runtimes; do
	p=$(command -v "$r" 2>/dev/null) || {
		echo "conformance: runtime $r not found" >&2
		exit 2
	}
	# Keep the name the binary is called by: a multi-call binary (berth is
	# one) picks its command set from argv[0], so a resolved symlink differs.
	case $p in /*) ;; *) p=$PWD/$p ;; esac
	resolved+=("$p")
done

# Test programs: validation/<name>.t (the Makefile's layout) or <name>/<name>.t.
declare -A prog
for f in "$rt"/validation/*.t "$rt"/validation/*/*.t; do
	[ -x "$f" ] || continue
	name=$(basename "$f" .t)
	prog[$name]=$f
done
if [ -n "${TESTS:-}" ]; then
	names=$TESTS
else
	names=$(printf '%s\n' "${!prog[@]}" | sort)
fi

skipped() {
	local s
	for s in $skip; do
		[ "$s" = "$1" ] && return 0
	done
	return 1
}

# Containers a test leaves behind (a timeout, a crash between create and
# delete) are removed with the runtime that made them, then any bundle
# directory the suite left in the temp dir.
cleanup_after() {
	local runtime=$1 before=$2 id
	for id in $("$runtime" list -q 2>/dev/null); do
		grep -qxF "$id" "$before" && continue
		"$runtime" kill "$id" KILL >/dev/null 2>&1
		"$runtime" delete --force "$id" >/dev/null 2>&1
	done
	# -cnewer, not -newer: the suite untars the rootfs (with its "." entry)
	# into the bundle, which sets the bundle's mtime back to the tarball's.
	find "${TMPDIR:-/tmp}" -maxdepth 1 \( -name 'ocitest*' -o -name 'oci-pid*' \) \
		-cnewer "$before" -print0 2>/dev/null |
		while IFS= read -r -d '' d; do
			grep -F " $d" /proc/self/mountinfo | awk '{print $5}' | sort -r |
				while read -r m; do umount -l "$m" 2>/dev/null; done
			rm -rf "$d"
		done
	# The cgroup tests use cgroupsPath "/cgrouptest" or
	# "testdir/cgrouptest/container"; a runtime removes only the leaf it
	# made, so the parents stay behind.  rmdir only removes empty cgroups.
	find /sys/fs/cgroup -maxdepth 6 -depth -type d \( -name cgrouptest -o -name testdir \) \
		-newer "$before" -exec rmdir {} \; 2>/dev/null
}

# Counts of one TAP log: passed, failed, skipped.  A `# TODO` failure is the
# suite marking a check it cannot make yet; it is not counted as a failure.
count() {
	local log=$1
	local pass fail skipn
	pass=$(grep -cE '^ok [0-9]+' "$log" | tr -d ' ')
	skipn=$(grep -cE '^ok [0-9]+ # SKIP' "$log" | tr -d ' ')
	fail=$(grep -E '^not ok [0-9]+' "$log" | grep -vc '# TODO' | tr -d ' ')
	echo "$((pass - skipn)) $fail $skipn"
}

declare -A tot_pass tot_fail
for r in "${resolved[@]}"; do
	tot_pass[$r]=0
	tot_fail[$r]=0
done

header=$(printf '%-36s' test)
for r in "${resolved[@]}"; do
	header+=$(printf ' | %-22s' "$(basename "$r") ok/fail/skip")
done
echo "$header"

for name in $names; do
	if skipped "$name"; then
		line=$(printf '%-36s' "$name")
		for r in "${resolved[@]}"; do line+=$(printf ' | %-22s' "skipped"); done
		echo "$line"
		continue
	fi
	if [ -z "${prog[$name]:-}" ]; then
		echo "conformance: no built program for test $name" >&2
		continue
	fi
	line=$(printf '%-36s' "$name")
	for r in "${resolved[@]}"; do
		tag=$(basename "$r")
		log="$out/$name.$tag.tap"
		marker=$(mktemp "$out/.before.XXXXXX")
		"$r" list -q >"$marker" 2>/dev/null
		(cd "$rt" && RUNTIME="$r" timeout -k 5 "$timeout_s" "${prog[$name]}") \
			>"$log" 2>"$out/$name.$tag.stderr"
		rc=$?
		cleanup_after "$r" "$marker"
		rm -f "$marker"
		read -r p f s < <(count "$log")
		note=""
		if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
			note=" TIMEOUT"
			f=$((f + 1))
		elif [ "$rc" != 0 ]; then
			# util.Fatal: the program gave up before its own checks finished.
			note=" exit$rc"
			f=$((f + 1))
		elif [ $((p + f + s)) = 0 ] && grep -q '"error"' "$log"; then
			# Hook tests report only a diagnostic when the lifecycle fails.
			note=" diag"
			f=$((f + 1))
		fi
		tot_pass[$r]=$((tot_pass[$r] + p))
		tot_fail[$r]=$((tot_fail[$r] + f))
		line+=$(printf ' | %-22s' "$p/$f/$s$note")
	done
	echo "$line"
done

line=$(printf '%-36s' TOTAL)
for r in "${resolved[@]}"; do
	line+=$(printf ' | %-22s' "${tot_pass[$r]} ok, ${tot_fail[$r]} not ok")
done
echo "$line"
echo "TAP logs: $out"
