#!/usr/bin/env bats
# The audit's findings on files (issue 10), each attack performed for real
# against the real binary:
#   - an output named by the user (save -o, export -o, cp's destination,
#     --cidfile) that is a FIFO, a character device or a symlink is
#     written into or through, never replaced by a regular file
#     (docker/cli#1514: `save -o /dev/null` destroyed the host's /dev/null);
#   - cp out of a container without -a brings no setuid or setgid bit, no
#     file capability and no device node to the host;
#   - names a container chose (a newline, ESC) are printed escaped by diff,
#     in tables and in error messages.
# Every FIFO, device node and file is made under the test's directory,
# which the teardown removes; background readers are killed there too.

load container-helpers

setup() {
	container_setup
	HOST=$IMG_DIR/host
	mkdir -p "$HOST"
	READERS=$IMG_DIR/readers
}

teardown() {
	local pid
	if [ -n "${READERS:-}" ] && [ -f "$READERS" ]; then
		for pid in $(cat "$READERS"); do
			kill "$pid" 2>/dev/null || true
		done
	fi
	container_teardown
}

# read_fifo FIFO OUT: reads FIFO in the background until its writer closes
# it, into OUT. The pid is remembered for the teardown and for reader_wait.
read_fifo() {
	cat "$1" >"$2" &
	READER=$!
	echo "$READER" >>"$READERS"
}

# reader_wait: waits (10 s at most) for the last read_fifo to end.
reader_wait() {
	local i
	for i in $(seq 100); do
		kill -0 "$READER" 2>/dev/null || return 0
		sleep 0.1
	done
	fail "the FIFO's reader did not finish: nothing was written into the FIFO"
}

# assert_type PATH TYPE: stat's %F of PATH (not following a symlink).
assert_type() {
	assert_eq "$(stat -c %F "$1")" "$2" "type of $1"
}

# assert_null_device PATH: PATH is still the character device 1:3.
assert_null_device() {
	assert_eq "$(stat -c '%F %t:%T' "$1")" "character special file 1:3" "$1"
}

sum() {
	sha256sum <"$1" | cut -d' ' -f1
}

# tar_sum TAR: a checksum of an archive's names and contents, not of its
# headers: save stamps its entries with the time of the save.
tar_sum() {
	{ tar -tf "$1" && tar -xOf "$1"; } | sha256sum | cut -d' ' -f1
}

@test "save -o: a FIFO, a character device and /dev/stdout are written into, a symlink through" {
	b_ok save -o "$HOST/ref.tar" busybox
	local ref
	ref=$(tar_sum "$HOST/ref.tar")

	# A FIFO: its reader gets the archive, and it stays a FIFO.
	mkfifo "$HOST/fifo"
	read_fifo "$HOST/fifo" "$HOST/from-fifo"
	b_ok save -o "$HOST/fifo" busybox
	reader_wait
	assert_type "$HOST/fifo" fifo
	assert_eq "$(tar_sum "$HOST/from-fifo")" "$ref" "what came through the FIFO"

	# A character device made by the test (the host's /dev/null is never
	# put at risk): it is still the device 1:3 afterwards.
	mknod "$HOST/null" c 1 3
	b_ok save -o "$HOST/null" busybox
	assert_null_device "$HOST/null"

	# /dev/stdout is a symlink to /proc/self/fd/1; the test makes its own
	# (a berth that replaced it would not replace the host's): through it,
	# a pipe, and a file the shell opened.
	ln -s /proc/self/fd/1 "$HOST/stdout"
	"$BERTH" --root "$STORE" save -o "$HOST/stdout" busybox | cat >"$HOST/piped.tar"
	[ "${PIPESTATUS[0]}" = 0 ] || fail "save -o STDOUT-LINK | cat failed"
	assert_eq "$(tar_sum "$HOST/piped.tar")" "$ref" "-o /dev/stdout into a pipe"
	"$BERTH" --root "$STORE" save -o "$HOST/stdout" busybox >"$HOST/stdout.tar" ||
		fail "save -o STDOUT-LINK >FILE failed"
	assert_eq "$(tar_sum "$HOST/stdout.tar")" "$ref" "-o /dev/stdout into a file"
	assert_type "$HOST/stdout" "symbolic link"

	# A symlink to a regular file: the file gets the archive, the link stays.
	echo old >"$HOST/target"
	ln -s "$HOST/target" "$HOST/link"
	b_ok save -o "$HOST/link" busybox
	assert_type "$HOST/link" "symbolic link"
	assert_eq "$(tar_sum "$HOST/target")" "$ref" "the symlink's target"
	# A symlink to a FIFO and one to a device: written into.
	ln -s "$HOST/fifo" "$HOST/fifo-link"
	read_fifo "$HOST/fifo" "$HOST/from-fifo-link"
	b_ok save -o "$HOST/fifo-link" busybox
	reader_wait
	assert_type "$HOST/fifo" fifo
	assert_eq "$(tar_sum "$HOST/from-fifo-link")" "$ref" "through a link to the FIFO"
	ln -s "$HOST/null" "$HOST/null-link"
	b_ok save -o "$HOST/null-link" busybox
	assert_null_device "$HOST/null"

	# Refused: a symlink to nothing (no file is created through it), a
	# directory, a block device; nothing is left behind.
	ln -s "$HOST/nowhere" "$HOST/dangling"
	b save -o "$HOST/dangling" busybox
	assert_error "symlink to nothing"
	[ ! -e "$HOST/nowhere" ] || fail "a file was created through the dangling symlink"
	mkdir "$HOST/dir"
	b save -o "$HOST/dir" busybox
	assert_error "is a directory"
	mknod "$HOST/blk" b 7 255
	b save -o "$HOST/blk" busybox
	assert_error "block device"
	assert_type "$HOST/blk" "block special file"
	[ -z "$(ls -a "$HOST" | grep tmp-)" ] || fail "temporary file left: $(ls -a "$HOST")"
}

@test "export -o: a FIFO and a character device are written into, a symlink through" {
	b_ok run --name c1 busybox sh -c 'echo mine >/mine'
	b_ok export -o "$HOST/ref.tar" c1
	local ref
	ref=$(sum "$HOST/ref.tar")

	mkfifo "$HOST/fifo"
	read_fifo "$HOST/fifo" "$HOST/from-fifo"
	b_ok export -o "$HOST/fifo" c1
	reader_wait
	assert_type "$HOST/fifo" fifo
	assert_eq "$(sum "$HOST/from-fifo")" "$ref" "what came through the FIFO"

	mknod "$HOST/null" c 1 3
	b_ok export -o "$HOST/null" c1
	assert_null_device "$HOST/null"

	echo old >"$HOST/target"
	ln -s "$HOST/target" "$HOST/link"
	b_ok export -o "$HOST/link" c1
	assert_type "$HOST/link" "symbolic link"
	assert_eq "$(sum "$HOST/target")" "$ref" "the symlink's target"

	ln -s "$HOST/nowhere" "$HOST/dangling"
	b export -o "$HOST/dangling" c1
	assert_error "symlink to nothing"
	[ ! -e "$HOST/nowhere" ] || fail "a file was created through the dangling symlink"
	[ -z "$(ls -a "$HOST" | grep tmp-)" ] || fail "temporary file left: $(ls -a "$HOST")"
}

@test "cp out: a FIFO, a character device and a symlink as destination are written into or through" {
	b_ok run -d --name c1 busybox sh -c \
		'mkdir /data && echo one >/data/a && echo ready >/ready && sleep 1000'
	local i
	for i in $(seq 50); do
		b exec c1 test -f /ready
		[ "$status" = 0 ] && break
		sleep 0.1
	done

	# A FIFO named as the destination.
	mkfifo "$HOST/fifo"
	read_fifo "$HOST/fifo" "$HOST/from-fifo"
	b_ok cp c1:/data/a "$HOST/fifo"
	reader_wait
	assert_type "$HOST/fifo" fifo
	assert_eq "$(cat "$HOST/from-fifo")" one "what came through the FIFO"

	# A FIFO that has the file's name in the destination directory.
	mkdir "$HOST/dir"
	mkfifo "$HOST/dir/a"
	read_fifo "$HOST/dir/a" "$HOST/from-dir-fifo"
	b_ok cp c1:/data/a "$HOST/dir/"
	reader_wait
	assert_type "$HOST/dir/a" fifo
	assert_eq "$(cat "$HOST/from-dir-fifo")" one "through the FIFO in the directory"

	# A character device.
	mknod "$HOST/null" c 1 3
	b_ok cp c1:/data/a "$HOST/null"
	assert_null_device "$HOST/null"

	# A symlink to a regular file: the file is replaced, the link stays.
	echo old >"$HOST/target"
	ln -s "$HOST/target" "$HOST/link"
	b_ok cp c1:/data/a "$HOST/link"
	assert_type "$HOST/link" "symbolic link"
	assert_eq "$(cat "$HOST/target")" one "the symlink's target"
	# A regular file is still replaced whole (a new inode).
	echo old >"$HOST/plain"
	local ino
	ino=$(stat -c %i "$HOST/plain")
	b_ok cp c1:/data/a "$HOST/plain"
	assert_eq "$(cat "$HOST/plain")" one
	[ "$(stat -c %i "$HOST/plain")" != "$ino" ] || fail "not replaced by a rename"

	# Refused: a symlink to nothing, a directory into a FIFO, a symlink
	# of the container into a FIFO.
	ln -s "$HOST/nowhere" "$HOST/dangling"
	b cp c1:/data/a "$HOST/dangling"
	assert_error "symlink to nothing"
	[ ! -e "$HOST/nowhere" ] || fail "a file was created through the dangling symlink"
	b cp c1:/data "$HOST/fifo"
	assert_error "directory"
	assert_type "$HOST/fifo" fifo
	b_ok exec c1 ln -s /data/a /data/l
	b cp c1:/data/l "$HOST/null"
	assert_error "not a regular file"
	assert_null_device "$HOST/null"
	[ -z "$(ls -a "$HOST" "$HOST/dir" | grep berth-cp)" ] || fail "temporary directory left"
}

@test "cp out: setuid and setgid bits, file capabilities and device nodes stay in the container unless -a" {
	b_ok run -d --name c1 busybox sh -c \
		'mkdir /s && cp /bin/busybox /s/suid && chmod 4755 /s/suid &&
		 echo g >/s/sgid && chmod 2755 /s/sgid && mknod /s/null c 1 3 && mknod /s/loop b 7 255 &&
		 echo ready >/ready && sleep 1000'
	local i
	for i in $(seq 50); do
		b exec c1 test -f /ready
		[ "$status" = 0 ] && break
		sleep 0.1
	done
	b_ok exec c1 stat -c '%a %F' /s/suid /s/sgid /s/null /s/loop
	assert_eq "$output" "$(printf '4755 regular file\n2755 regular file\n644 character special file\n644 block special file')" \
		"the container's files"
	# A file capability (cap_net_bind_service), set on the host and put
	# into the container with -a.
	cp /bin/busybox "$HOST/capfile"
	python3 -c 'import os, struct, sys
os.setxattr(sys.argv[1], "security.capability", struct.pack("<IIIII", 0x02000001, 1 << 10, 0, 0, 0))' \
		"$HOST/capfile" || skip "cannot set security.capability here"
	b_ok cp -a "$HOST/capfile" c1:/s/capfile
	has_cap() {
		python3 -c 'import os, sys; os.getxattr(sys.argv[1], "security.capability", follow_symlinks=False)' "$1" 2>/dev/null
	}

	# Without -a: the bits are cleared, the capability dropped, the devices left out.
	b_ok cp c1:/s "$HOST/plain"
	assert_eq "$(stat -c %a "$HOST/plain/suid" "$HOST/plain/sgid" | tr '\n' ' ')" "755 755 " "modes"
	[ ! -e "$HOST/plain/null" ] && [ ! -e "$HOST/plain/loop" ] || fail "a device node was copied"
	[[ "$stderr" == *"2 device nodes not copied"*"-a"* ]] || fail "no note on stderr: $stderr"
	has_cap "$HOST/plain/capfile" && fail "the file capability was copied"
	cmp /bin/busybox "$HOST/plain/suid" || fail "the file's content"
	# One file, one device.
	b_ok cp c1:/s/suid "$HOST/one"
	assert_eq "$(stat -c %a "$HOST/one")" 755
	b_ok cp c1:/s/capfile "$HOST/cap"
	has_cap "$HOST/cap" && fail "the file capability was copied"
	b_ok cp c1:/s/null "$HOST/dev"
	[ ! -e "$HOST/dev" ] || fail "a device node was copied"
	[[ "$stderr" == *"1 device node not copied"* ]] || fail "no note on stderr: $stderr"
	# The tar stream too.
	"$BERTH" --root "$STORE" cp c1:/s - 2>/dev/null >"$HOST/s.tar"
	assert_eq "$(tar -tvf "$HOST/s.tar" | awk '{print $1, $NF}' | LC_ALL=C sort | tr '\n' ' ')" \
		"-rwxr-xr-x s/capfile -rwxr-xr-x s/sgid -rwxr-xr-x s/suid drwxr-xr-x s/ " "the stream"

	# With -a everything is kept.
	b_ok cp -a c1:/s "$HOST/arch"
	assert_eq "$(stat -c '%a %F %t:%T' "$HOST/arch/suid" "$HOST/arch/sgid" "$HOST/arch/null" "$HOST/arch/loop")" \
		"$(printf '4755 regular file 0:0\n2755 regular file 0:0\n644 character special file 1:3\n644 block special file 7:ff')" \
		"with -a"
	has_cap "$HOST/arch/capfile" || fail "-a lost the file capability"
	b_ok cp -a c1:/s/null "$HOST/arch-dev"
	assert_null_device "$HOST/arch-dev"
}

@test "diff: names with a newline, ESC or a bidi override are printed escaped; UTF-8 is not" {
	b_ok run --name c1 busybox sh -c \
		'touch "/evil$(printf "\nD ")pwned" "/red$(printf "\033[31m")x" /plain "/caf$(printf "\303\251")" \
		 "/rlo$(printf "\342\200\256")txt.exe"'
	b_ok diff c1
	assert_eq "$output" "$(printf '%s\n' 'A /caf'$'\xc3\xa9' 'A "/evil\nD pwned"' 'A /plain' \
		'A "/red\x1b[31mx"' 'A "/rlo\u202etxt.exe"')"
	[[ "$output" != *$'\x1b'* ]] || fail "a raw ESC was printed"
	b diff --help
	[[ "$output" == *"strconv.Quote"* ]] || fail "--help does not say how names are escaped"
}

@test "messages and tables escape what an image or a container chose" {
	# An error naming a container's path.
	b_ok run --name c1 busybox true
	b cp "c1:/nope"$'\x1b[31m\n' "$HOST/"
	assert_error 'Could not find the file /nope\x1b[31m\n in container c1'
	[[ "$stderr" != *$'\x1b'* ]] || fail "a raw ESC was printed"
	# A commit message with a tab, a newline and ESC, in history's table.
	b_ok commit -m $'one\ttwo\nthree\x1b[0m' c1 msg:1
	b_ok history msg:1
	[[ "$output" == *'one\ttwo\nthree\x1b[0m'* ]] || fail "history: $output"
	assert_eq "$(wc -l <<<"$output")" 3 "history's lines (heading, two layers)"
}

@test "--cidfile: an existing name, a dangling symlink included, is refused and nothing is created through it" {
	ln -s "$HOST/nowhere" "$HOST/cid-link"
	b run --cidfile "$HOST/cid-link" busybox true
	assert_error "container ID file found"
	[ ! -e "$HOST/nowhere" ] || fail "a file was created through the symlink"
	mkfifo "$HOST/cid-fifo"
	b run --cidfile "$HOST/cid-fifo" busybox true
	assert_error "container ID file found"
	assert_type "$HOST/cid-fifo" fifo
	b_ok run --cidfile "$HOST/cid" busybox true
	[[ "$(cat "$HOST/cid")" =~ ^[0-9a-f]{64}$ ]] || fail "cidfile: $(cat "$HOST/cid")"
}
