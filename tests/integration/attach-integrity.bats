#!/usr/bin/env bats
# Output and input integrity through every attach path: megabytes of random
# bytes go through run, run -i, start -a, attach and exec, on stdout and
# stderr, with and without a terminal, to a fast and to a slow reader, and
# arrive unchanged (compared by checksum). Piped input is never taken for
# the detach keys.

load container-helpers

setup() {
	container_setup
	DATA=$BATS_TEST_TMPDIR/data
	mkdir -p "$DATA"
	# 3 MB: about a hundred 32 KiB attach frames. The detach keys
	# (ctrl-p ctrl-q) are planted in it, at a frame boundary and inside.
	{
		head -c 32767 /dev/urandom
		printf '\x10\x11'
		head -c 1500000 /dev/urandom
		printf 'abc\x10\x11def\x10'
		head -c 1500000 /dev/urandom
		printf '\x10'
	} >"$DATA/rnd"
	SUM=$(md5sum <"$DATA/rnd" | cut -d' ' -f1)
	SIZE=$(stat -c %s "$DATA/rnd")
}

# sum_of FILE: its md5.
sum_of() {
	md5sum <"$1" | cut -d' ' -f1
}

# berth_io IN OUT ERR ARGS...: berth ARGS with stdin from IN, stdout and
# stderr to OUT and ERR; sets $status.
berth_io() {
	local in=$1 out=$2 err=$3
	shift 3
	status=0
	timeout 120 "$BERTH" --root "$STORE" "$@" <"$in" >"$out" 2>"$err" || status=$?
}

# slow_sum: reads stdin in 4 KiB pieces, a millisecond apart, and prints
# the md5 of what it read: a reader slower than the container writes.
slow_sum() {
	python3 -c '
import hashlib, sys, time
h = hashlib.md5()
while True:
    b = sys.stdin.buffer.read1(4096)
    if not b:
        break
    h.update(b)
    time.sleep(0.001)
print(h.hexdigest())'
}

@test "run: stdout and stderr arrive byte for byte, to a fast and to a slow reader" {
	local o=$BATS_TEST_TMPDIR/out e=$BATS_TEST_TMPDIR/err
	berth_io /dev/null "$o" "$e" run --rm -v "$DATA:/data:ro" busybox cat /data/rnd
	assert_eq "$status" 0 "run: $(cat "$e")"
	assert_eq "$(stat -c %s "$o")" "$SIZE" "stdout size"
	assert_eq "$(sum_of "$o")" "$SUM" "stdout checksum"
	berth_io /dev/null "$o" "$e" run --rm -v "$DATA:/data:ro" busybox sh -c 'cat /data/rnd >&2'
	assert_eq "$status" 0
	assert_eq "$(sum_of "$e")" "$SUM" "stderr checksum"
	assert_eq "$(stat -c %s "$o")" 0 "stdout of a program that wrote only stderr"
	# Both streams at once, and a reader that lags behind.
	local got
	got=$(timeout 120 "$BERTH" --root "$STORE" run --rm -v "$DATA:/data:ro" busybox \
		sh -c 'cat /data/rnd; cat /data/rnd >&2' 2>"$e" | slow_sum)
	assert_eq "$got" "$SUM" "stdout checksum, slow reader"
	assert_eq "$(sum_of "$e")" "$SUM" "stderr checksum beside it"
	# The text case from the report: seq through run and through logs.
	berth_io /dev/null "$o" "$e" run --name seq busybox seq 1 200000
	assert_eq "$(sum_of "$o")" "$(seq 1 200000 | md5sum | cut -d' ' -f1)" "seq through run"
	b_ok logs seq
	assert_eq "$(md5sum <<<"$output" | cut -d' ' -f1)" "$(seq 1 200000 | md5sum | cut -d' ' -f1)" \
		"seq through logs"
}

@test "run -i: binary stdin with the detach keys in it passes through; --rm removes" {
	local o=$BATS_TEST_TMPDIR/out e=$BATS_TEST_TMPDIR/err
	berth_io "$DATA/rnd" "$o" "$e" run -i --rm busybox cat
	assert_eq "$status" 0 "run -i: $(cat "$e")"
	assert_eq "$(sum_of "$o")" "$SUM" "stdin -> stdout checksum"
	berth_io "$DATA/rnd" "$o" "$e" run -i --rm busybox sh -c 'cat >&2'
	assert_eq "$(sum_of "$e")" "$SUM" "stdin -> stderr checksum"
	# The report's case: ctrl-p ctrl-q in piped input is data.
	status=0
	output=$(printf 'abc\x10\x11def\n' | timeout 60 "$BERTH" --root "$STORE" run -i --rm busybox cat |
		od -An -c | tr -s ' ') || status=$?
	assert_eq "$output" " a b c 020 021 d e f \n" "bytes through run -i"
	wait_no_containers || fail "a --rm container is left: $(db 'select id from containers')"
}

@test "start -a and start -ai: output and input intact" {
	local o=$BATS_TEST_TMPDIR/out e=$BATS_TEST_TMPDIR/err
	b_ok create --name out -v "$DATA:/data:ro" busybox sh -c 'cat /data/rnd; cat /data/rnd >&2'
	berth_io /dev/null "$o" "$e" start -a out
	assert_eq "$status" 0 "start -a: $(cat "$e")"
	assert_eq "$(sum_of "$o")" "$SUM" "start -a stdout"
	assert_eq "$(sum_of "$e")" "$SUM" "start -a stderr"
	b_ok create -i --name in busybox cat
	berth_io "$DATA/rnd" "$o" "$e" start -ai in
	assert_eq "$status" 0 "start -ai: $(cat "$e")"
	assert_eq "$(sum_of "$o")" "$SUM" "start -ai stdin -> stdout"
}

@test "attach: input and output of a running container intact" {
	local o=$BATS_TEST_TMPDIR/out e=$BATS_TEST_TMPDIR/err
	# The program takes exactly the data, echoes it and exits, which ends
	# the attach.
	b_ok run -d -i --name at busybox head -c "$SIZE"
	berth_io "$DATA/rnd" "$o" "$e" attach at
	assert_eq "$status" 0 "attach: $(cat "$e")"
	assert_eq "$(sum_of "$o")" "$SUM" "attach stdin -> stdout"
}

@test "exec and exec -i: output and input intact on both streams" {
	local o=$BATS_TEST_TMPDIR/out e=$BATS_TEST_TMPDIR/err
	b_ok run -d --name ex -v "$DATA:/data:ro" busybox sleep 300
	berth_io /dev/null "$o" "$e" exec ex sh -c 'cat /data/rnd; cat /data/rnd >&2'
	assert_eq "$status" 0 "exec: $(cat "$e")"
	assert_eq "$(sum_of "$o")" "$SUM" "exec stdout"
	assert_eq "$(sum_of "$e")" "$SUM" "exec stderr"
	berth_io "$DATA/rnd" "$o" "$e" exec -i ex cat
	assert_eq "$(sum_of "$o")" "$SUM" "exec -i stdin -> stdout"
}

@test "with -t: run, start -a and exec output intact (as a terminal writes it)" {
	local o=$BATS_TEST_TMPDIR/out e=$BATS_TEST_TMPDIR/err want
	# A terminal turns each newline into CR LF; nothing else changes text.
	want=$(seq 1 300000 | sed 's/$/\r/' | md5sum | cut -d' ' -f1)
	berth_io /dev/null "$o" "$e" run -t --rm busybox seq 1 300000
	assert_eq "$status" 0 "run -t: $(cat "$e")"
	assert_eq "$(sum_of "$o")" "$want" "run -t"
	status=0
	output=$(timeout 120 "$BERTH" --root "$STORE" run -t --rm busybox seq 1 300000 | slow_sum) ||
		status=$?
	assert_eq "$output" "$want" "run -t, slow reader"
	b_ok create -t --name tt busybox seq 1 300000
	berth_io /dev/null "$o" "$e" start -a tt
	assert_eq "$(sum_of "$o")" "$want" "start -a of a -t container"
	b_ok run -d --name te busybox sleep 300
	berth_io /dev/null "$o" "$e" exec -t te seq 1 300000
	assert_eq "$(sum_of "$o")" "$want" "exec -t"
}
