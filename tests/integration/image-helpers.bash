# Shared setup for the image tests: `load image-helpers` from a .bats file.
#
# Each test gets its own store root (berth --root) and its own podman/buildah
# storage (vfs, under the test's directory, so no mounts and nothing in the
# host's /var/lib/containers), all removed in teardown.

load helpers

BERTH=${BERTH:-$BERTH_BUILD/src/cli/berth}
MKIMAGE=$INTEGRATION_ROOT/mkimage.py

image_setup() {
	require_root
	[ -x "$BERTH" ] || fail "berth not found: $BERTH (set BERTH or BERTH_BUILD)" || return 1
	IMG_DIR=$(mktemp -d "/tmp/berth-it.${BERTH_TEST_RUN:+$BERTH_TEST_RUN.}XXXXXX")
	chmod 755 "$IMG_DIR"
	STORE=$IMG_DIR/store
	WORK=$IMG_DIR/work
	mkdir -p "$WORK"
	PODMAN=(podman --root "$IMG_DIR/podman" --runroot "$IMG_DIR/podman-run" --storage-driver vfs
		--cgroup-manager cgroupfs --runtime runc)
	BUILDAH=(buildah --root "$IMG_DIR/podman" --runroot "$IMG_DIR/podman-run" --storage-driver vfs)
	CS="containers-storage:[vfs@$IMG_DIR/podman+$IMG_DIR/podman-run]"
}

image_teardown() {
	local m
	[ -n "${IMG_DIR:-}" ] || return 0
	# Whatever is still mounted below the test's directory, deepest first.
	for m in $(awk '{print $5}' /proc/self/mountinfo | grep "^$IMG_DIR/" | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	rm -rf "$IMG_DIR"
}

setup() {
	image_setup
}

teardown() {
	image_teardown
}

# b ARGS...: berth with the test's store. Sets $status, $output (stdout) and
# $stderr, like helpers.bash's rt.
b() {
	local out=$BATS_TEST_TMPDIR/b.out err=$BATS_TEST_TMPDIR/b.err
	status=0
	timeout "$RT_TIMEOUT" "$BERTH" --root "$STORE" "$@" >"$out" 2>"$err" </dev/null || status=$?
	output=$(cat "$out")
	stderr=$(cat "$err")
}

b_ok() {
	b "$@"
	[ "$status" = 0 ] || fail "berth $* failed ($status): $stderr" || return 1
}

# b_in FILE ARGS...: the same with stdin from FILE.
b_in() {
	local in=$1 out=$BATS_TEST_TMPDIR/b.out err=$BATS_TEST_TMPDIR/b.err
	shift
	status=0
	timeout "$RT_TIMEOUT" "$BERTH" --root "$STORE" "$@" >"$out" 2>"$err" <"$in" || status=$?
	output=$(cat "$out")
	stderr=$(cat "$err")
}

# The busybox root filesystem as a tarball (cached).
busybox_tar() {
	local tar=$CACHE/busybox-rootfs.tar
	build_rootfs || return 1
	if [ ! -s "$tar" ] || [ "$CACHE/rootfs/.complete" -nt "$tar" ]; then
		tar -C "$CACHE/rootfs" --exclude=./.complete --exclude=./probe -cf "$tar.tmp" . &&
			mv "$tar.tmp" "$tar" || return 1
	fi
	echo "$tar"
}

# import_busybox NAME: a busybox image in the store.
import_busybox() {
	local tar
	tar=$(busybox_tar) || return 1
	b_ok import --change 'CMD ["sh"]' "$tar" "${1:-busybox}" || return 1
	IMAGE_ID=$output
}

# store_state: everything on disk (but the database files) and the database
# contents, to compare before and after a failed command.
store_state() {
	(cd "$STORE" && find . -path ./berth.db -prune -o -path './berth.db-*' -prune -o \
		-printf '%p %y %s %m\n' | sort)
	sqlite3 "$STORE/berth.db" .dump
}

# assert_store_unchanged BEFORE_FILE
assert_store_unchanged() {
	store_state >"$BATS_TEST_TMPDIR/state.after"
	diff -u "$1" "$BATS_TEST_TMPDIR/state.after" >&2 || fail "the store changed" || return 1
}

# assert_error WORD...: berth failed with one line on stderr naming each WORD.
assert_error() {
	[ "$status" != 0 ] || fail "berth succeeded but should have failed" || return 1
	[ "$status" != 124 ] || fail "berth hung" || return 1
	local lines word
	lines=$(printf '%s\n' "$stderr" | grep -c .)
	[ "$lines" = 1 ] || fail "error message is $lines lines, wanted 1: $stderr" || return 1
	for word in "$@"; do
		grep -qiF -- "$word" <<<"$stderr" || fail "error does not name '$word': $stderr" || return 1
	done
}

# tree_listing DIR: a comparable listing of a file tree: path, type, mode,
# owner, size, symlink target and content hash.
tree_listing() {
	(cd "$1" && find . -mindepth 1 -printf '%p %y %m %U:%G %s %l\n' | sort)
	(cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}
