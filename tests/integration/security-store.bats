#!/usr/bin/env bats
# The store against its own users and its inputs (issue 10): a container's
# -e secret is out of other users' reach, whatever mode the store root had
# before; an empty root is refused and a relative one means one store from
# every cwd; a string with a NUL byte in an image loads nothing; a number
# out of range in a flag creates nothing. Each test performs the attack
# against the real binary and passes only because it fails.

load container-helpers

NOBODY=65534

setup() {
	container_setup
}

teardown() {
	berth_teardown
	container_teardown
}

# as_nobody CMD...: the command as an unprivileged user with no groups.
as_nobody() {
	setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups "$@"
}

require_setpriv() {
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
}

# braw ARGS...: berth without b's --root, so a test chooses the store.
braw() {
	local out=$BATS_TEST_TMPDIR/b.out err=$BATS_TEST_TMPDIR/b.err
	status=0
	timeout "$RT_TIMEOUT" "$BERTH" "$@" >"$out" 2>"$err" </dev/null || status=$?
	output=$(cat "$out")
	stderr=$(cat "$err")
}

assert_mode() { # PATH MODE
	assert_eq "$(stat -c %a "$1")" "$2" "mode of $1"
}

# The secret is somewhere in the store (so the test is not vacuous), and
# nobody reaches it: not berth.db, not through any file under the test's
# directory, which holds the store and the run root.
assert_secret_private() { # SECRET
	local holders=$BATS_TEST_TMPDIR/holders f
	grep -rlF -D skip "$1" "$STORE" "$BERTH_RUN_ROOT" >"$holders" 2>/dev/null ||
		fail "the secret is nowhere in the store: the test proves nothing" || return 1
	grep -q "/berth.db" "$holders" || fail "the secret is not in the database: $(cat "$holders")" ||
		return 1
	as_nobody cat "$STORE/berth.db" >/dev/null 2>&1 && fail "nobody reads $STORE/berth.db"
	while read -r f; do
		as_nobody cat "$f" >/dev/null 2>&1 && fail "nobody reads $f, which holds the secret"
	done <"$holders"
	local found
	found=$(as_nobody grep -rlF -D skip "$1" "$IMG_DIR" 2>/dev/null || true)
	[ -z "$found" ] || fail "nobody finds the secret in: $found"
}

assert_store_modes() {
	local f
	assert_mode "$STORE" 700 || return 1
	assert_mode "$BERTH_RUN_ROOT" 700 || return 1
	for f in "$STORE"/berth.db "$STORE"/berth.db-wal "$STORE"/berth.db-shm; do
		[ -e "$f" ] || continue
		assert_mode "$f" 600 || return 1
	done
}

# ---- finding 7: secrets in the store ----

@test "store: a container's -e secret is 0600 under 0700 directories, out of nobody's reach" {
	require_setpriv
	local secret=berth-secret-$RANDOM$RANDOM id log
	b_ok run -d --name sec -e "SECRET=$secret" busybox sh -c 'echo started; sleep 1000'
	id=$output
	assert_store_modes
	[ -e "$STORE/berth.db-wal" ] || fail "no WAL: the database is not in WAL mode"
	assert_mode "$BERTH_RUN_ROOT/$id/config.json" 600
	assert_secret_private "$secret"
	# Logs stay 0640, below 0700 directories.
	log=$STORE/containers/$id/$id-json.log
	for _ in $(seq 50); do grep -q started "$log" 2>/dev/null && break; sleep 0.1; done
	assert_mode "$log" 640
	assert_mode "$STORE/containers/$id" 700
	assert_mode "$STORE/containers" 700
	b_ok rm -f sec
}

@test "store: a store root and a run root made before with mode 0755 become 0700" {
	require_setpriv
	local secret=berth-secret-$RANDOM$RANDOM
	STORE=$IMG_DIR/pre
	export BERTH_RUN_ROOT=$IMG_DIR/pre-run
	mkdir -m 0755 "$STORE" "$BERTH_RUN_ROOT"
	as_nobody ls "$STORE" >/dev/null || fail "the pre-made root is not open to nobody: the test proves nothing"
	import_busybox busybox
	b_ok run -d --name sec -e "SECRET=$secret" busybox sleep 1000
	assert_store_modes
	as_nobody ls "$STORE" >/dev/null 2>&1 && fail "nobody still lists the store root"
	assert_secret_private "$secret"
	b_ok rm -f sec
}

@test "store: an older berth's world-readable database and WAL are made 0600" {
	require_setpriv
	local secret=berth-secret-$RANDOM$RANDOM f
	b_ok create --name sec -e "SECRET=$secret" busybox true
	# What an older berth left: SQLite's 0644 files in a root made 0755.
	chmod 0755 "$STORE"
	for f in "$STORE"/berth.db "$STORE"/berth.db-wal "$STORE"/berth.db-shm; do
		[ -e "$f" ] && chmod 0644 "$f"
	done
	as_nobody cat "$STORE/berth.db" >/dev/null || fail "the old database is not open to nobody"
	b_ok ps -a
	assert_store_modes
	assert_secret_private "$secret"
}

@test "store: a store root or run root that another user owns is refused" {
	local theirs=$IMG_DIR/theirs
	mkdir -m 0700 "$theirs" "$IMG_DIR/theirs-run"
	chown "$NOBODY:$NOBODY" "$theirs" "$IMG_DIR/theirs-run"
	braw --root "$theirs" images
	assert_error "$theirs" "uid $NOBODY"
	[ ! -e "$theirs/berth.db" ] || fail "a database was made in another user's directory"
	assert_mode "$theirs" 700
	BERTH_RUN_ROOT=$IMG_DIR/theirs-run b create busybox true
	assert_eq "$status" 125
	assert_error "run root" "$IMG_DIR/theirs-run" "uid $NOBODY"
	b_ok ps -a -q
	assert_eq "$output" "" "containers"
}

# ---- finding 14: which store ----

@test "roots: an empty --root, BERTH_ROOT, BERTH_RUN_ROOT, root = or berth-runc --root is refused" {
	local default_before conf=$IMG_DIR/empty-root.conf
	default_before=$(ls -d /var/lib/berth /run/berth 2>/dev/null || true)
	cd "$WORK"
	braw --root "" images
	assert_eq "$status" 125
	assert_error "--root" "empty path"
	braw --root= run busybox true
	assert_eq "$status" 125
	assert_error "--root" "empty path"
	BERTH_ROOT= braw ps -a
	assert_eq "$status" 125
	assert_error "BERTH_ROOT" "empty path"
	BERTH_RUN_ROOT= b create busybox true
	assert_eq "$status" 125
	assert_error "BERTH_RUN_ROOT" "empty path"
	printf 'root = ""\n' >"$conf"
	BERTH_CONFIG=$conf braw images
	assert_eq "$status" 125
	assert_error "$conf:1" "root" "empty path"
	status=0
	"$RUNTIME" --root "" list >"$BATS_TEST_TMPDIR/rt.out" 2>"$BATS_TEST_TMPDIR/rt.err" || status=$?
	stderr=$(cat "$BATS_TEST_TMPDIR/rt.err")
	assert_error "--root" "empty path"
	# Nothing anywhere: not the default store, not the cwd, not the test's.
	assert_eq "$(ls -d /var/lib/berth /run/berth 2>/dev/null || true)" "$default_before" "default roots"
	assert_eq "$(ls -A "$WORK")" "" "the cwd"
	b_ok ps -a -q
	assert_eq "$output" "" "containers"
}

@test "roots: a relative --root, BERTH_RUN_ROOT and root = are one store from every cwd" {
	local id mon args
	# Absolute for teardown, whatever the test's own commands say.
	export BERTH_RUN_ROOT=$IMG_DIR/run-rel
	mkdir -p "$IMG_DIR/a" "$IMG_DIR/b/c"
	cd "$IMG_DIR/a"
	BERTH_RUN_ROOT=../run-rel braw --root ../store run -d --name rel -h relhost busybox sleep 1000
	assert_eq "$status" 0 "run with relative roots: $stderr"
	id=$output
	[ -S "$IMG_DIR/run-rel/$id/attach.sock" ] || fail "no attach socket in $IMG_DIR/run-rel/$id"
	# The monitor (and the command it ends with) got the absolute paths.
	mon=$(db "select monitor_pid from containers where id = '$id'")
	args=$(tr '\0' '\n' <"/proc/$mon/cmdline")
	grep -qx "$IMG_DIR/store" <<<"$args" || fail "monitor without the absolute store root: $args"
	grep -qx "$IMG_DIR/run-rel" <<<"$args" || fail "monitor without the absolute run root: $args"
	! grep -q '^\.\./' <<<"$args" || fail "a relative path reached the monitor: $args"
	# Another cwd, another spelling: the same store, the same container.
	cd "$IMG_DIR/b/c"
	BERTH_RUN_ROOT=../../run-rel braw --root ../../store exec rel cat /etc/hostname
	assert_eq "$status" 0 "exec from another cwd: $stderr"
	assert_eq "$output" relhost
	printf 'root = ../../store\n' >"$IMG_DIR/b/rel.conf"
	BERTH_CONFIG=../rel.conf BERTH_RUN_ROOT=../../run-rel braw stop -t 1 rel
	assert_eq "$status" 0 "stop through the config file's relative root: $stderr"
	b_ok ps -a --format '{{.Names}} {{.State}}'
	assert_eq "$output" "rel exited"
	[ ! -e "$IMG_DIR/b/c/store" ] && [ ! -e "$IMG_DIR/b/store" ] ||
		fail "a second store was made relative to another cwd"
	b_ok rm rel
}

# ---- finding 13: NUL bytes in image JSON ----

# load_refused ARCHIVE WORD...: the load fails naming each WORD, and the
# store, its images and its blobs are as they were.
load_refused() {
	local archive=$1 before=$BATS_TEST_TMPDIR/state.before images
	shift
	store_state >"$before"
	b_ok images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
	images=$output
	b load -i "$archive"
	assert_error "$@" || return 1
	assert_store_unchanged "$before" || return 1
	b_ok images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
	assert_eq "$output" "$images" "images after the refused load"
	[ -z "$(ls -A "$STORE/tmp")" ] || fail "staging left in tmp: $(ls -A "$STORE/tmp")"
}

@test "NUL: a docker-archive tag rt/bb\\u0000evil:latest loads nothing, and does not tag rt/bb" {
	python3 "$MKIMAGE" archive "$WORK/nul-tag.tar" --format docker --nul tag
	load_refused "$WORK/nul-tag.tar" "manifest.json[0].RepoTags[0]: contains a NUL byte"
	b image inspect rt/bb:latest
	[ "$status" != 0 ] || fail "rt/bb:latest exists"
	# The same archive without the NUL loads: the refusal was the NUL's.
	python3 "$MKIMAGE" archive "$WORK/tag.tar" --format docker --name rt/bb:latest
	b_ok load -i "$WORK/tag.tar"
	assert_eq "$output" "Loaded image: rt/bb:latest"
}

@test "NUL: a config Env, a Labels key, an index annotation or ref.name with a NUL loads nothing" {
	local f
	for f in docker oci; do
		python3 "$MKIMAGE" archive "$WORK/env-$f.tar" --format "$f" --name nul/env:1 --nul env
		load_refused "$WORK/env-$f.tar" "image config sha256:" "config.Env[1]: contains a NUL byte"
		python3 "$MKIMAGE" archive "$WORK/key-$f.tar" --format "$f" --name nul/key:1 --nul label-key
		load_refused "$WORK/key-$f.tar" "image config sha256:" "an object key contains a NUL byte"
	done
	python3 "$MKIMAGE" archive "$WORK/ann.tar" --format oci --name nul/ann:1 --nul annotation
	load_refused "$WORK/ann.tar" \
		"index.json: manifests[0].annotations.org.example.note: contains a NUL byte"
	python3 "$MKIMAGE" archive "$WORK/ref.tar" --format oci --nul tag
	load_refused "$WORK/ref.tar" \
		"index.json: manifests[0].annotations.org.opencontainers.image.ref.name: contains a NUL byte"
}

@test "NUL: the runtime refuses a config.json with a NUL in a string or a key" {
	local bundle=$IMG_DIR/nul-bundle filter
	mkdir -p "$bundle/rootfs"
	for filter in '.process.env += ["A=b\u0000c"]' '.hostname = "h\u0000x"' \
		'.linux.sysctl = {"net.ipv4.ip_forward\u0000x": "1"}'; do
		jq "$filter" "$INTEGRATION_ROOT/base-config.json" >"$bundle/config.json"
		grep -qF '\u0000' "$bundle/config.json" || fail "jq wrote no NUL: the test proves nothing"
		status=0
		"$RUNTIME" --root "$IMG_DIR/rt-state" create --bundle "$bundle" nul-test \
			>/dev/null 2>"$BATS_TEST_TMPDIR/rt.err" </dev/null || status=$?
		stderr=$(cat "$BATS_TEST_TMPDIR/rt.err")
		assert_error "$bundle/config.json" "NUL byte"
		[ -z "$(ls -A "$IMG_DIR/rt-state" 2>/dev/null)" ] || fail "runtime state made"
	done
}

@test "NUL: an --env-file line with a NUL byte creates nothing (it would end the value there)" {
	printf 'A=b\000evil\nC=d\n' >"$WORK/nul.env"
	b create --env-file "$WORK/nul.env" busybox true
	assert_eq "$status" 125
	assert_error "--env-file $WORK/nul.env" "NUL byte"
	b_ok ps -a -q
	assert_eq "$output" "" "containers"
}

@test "NUL: logs keep the NUL bytes a container wrote (the log is data, not a name)" {
	b_ok run --name nulout busybox printf 'a\000b\n'
	"$BERTH" --root "$STORE" logs nulout >"$BATS_TEST_TMPDIR/log" 2>&1 || fail "logs failed"
	printf 'a\000b\n' | cmp - "$BATS_TEST_TMPDIR/log" || fail "logs: $(od -c "$BATS_TEST_TMPDIR/log")"
}

# ---- finding 10: numbers out of range ----

# refused [--status N] WORD... -- ARGS...: berth ARGS fails with 125 (or N:
# docker's 1 for a value its daemon refuses) and one line naming each
# WORD; no container is made.
refused() {
	local words=() want=125
	if [ "$1" = --status ]; then
		want=$2
		shift 2
	fi
	while [ "$1" != -- ]; do
		words+=("$1")
		shift
	done
	shift
	b "$@"
	assert_eq "$status" "$want" "exit status of berth $*: $stderr" || return 1
	assert_error "${words[@]}" || return 1
	b_ok ps -a -q
	assert_eq "$output" "" "containers after berth $*"
}

@test "numbers: 2^64+1, -1, 12abc and \"\" in a dozen flags: exit 125, one line, no container" {
	local big=18446744073709551617 v
	for v in "$big" -1 12abc ""; do
		refused --restart "on-failure:$v" -- create --restart "on-failure:$v" busybox true
		refused --stop-timeout "\"$v\"" -- create --stop-timeout "$v" busybox true
		refused --cpu-shares "\"$v\"" -- create --cpu-shares "$v" busybox true
		refused --memory "\"$v\"" -- create --memory "$v" busybox true
		refused --shm-size "\"$v\"" -- create --shm-size "$v" busybox true
		refused --memory-reservation "\"$v\"" -- create --memory-reservation "$v" busybox true
		refused --log-opt "max-file=$v" -- create --log-opt "max-file=$v" busybox true
		refused --log-opt "max-size=$v" -- create --log-opt "max-size=$v" busybox true
		refused --stop-signal "\"$v\"" -- create --stop-signal "$v" busybox true
		refused --mount "tmpfs-size=$v" -- create --mount "type=tmpfs,dst=/x,tmpfs-size=$v" \
			busybox true
		refused "-t, --time" "\"$v\"" -- stop -t "$v" nosuch
		refused "-t, --time" "\"$v\"" -- restart -t "$v" nosuch
		refused --status 1 "-n, --tail" "\"$v\"" -- logs --tail "$v" nosuch
		refused --status 1 "-s, --signal" "\"$v\"" -- kill -s "$v" nosuch
	done
	# -1 means unlimited for these, as docker's.
	for v in "$big" 12abc ""; do
		refused --pids-limit "\"$v\"" -- create --pids-limit "$v" busybox true
		refused --memory-swap "\"$v\"" -- create --memory-swap "$v" busybox true
		refused --ulimit "nofile=$v" -- create --ulimit "nofile=$v" busybox true
		refused "-n, --last" "\"$v\"" -- ps -n "$v"
	done
	# An id past 32 bits is not wrapped to a small one (2^64+1 was uid 1).
	# (the user is the engine's to resolve: docker's create says 1)
	refused --status 1 user "$big" "ids must be in range" -- create -u "$big" busybox true
	refused --status 1 group "$big" "ids must be in range" -- create -u "0:$big" busybox true
	refused "on-failure:99999999999999999999" "must be an integer" -- \
		run -d --restart on-failure:99999999999999999999 busybox true
}

@test "numbers: berth-runc exec --user and --preserve-fds refuse what would wrap or overflow" {
	# A bundle and the runtime's own state, as the runtime tests have them.
	berth_setup || return 1
	set_args /probe sleep 120
	CONTAINERS+=("$CID")
	rt_ok run --detach --bundle "$BUNDLE" "$CID"
	# 4294967295 is (uid_t)-1: setresuid's "leave unchanged", which kept
	# root; 2^64-1 and -1 used to wrap to it, 2^64+1 to uid 1.
	local u
	for u in 4294967295 18446744073709551615 18446744073709551617 -1 0:4294967295 1000x; do
		rt exec --user "$u" "$CID" /probe report
		assert_one_line_error "--user" "$u"
		[ -z "$output" ] || fail "exec --user $u ran: $output"
	done
	rt exec --additional-gids 4294967295 "$CID" /probe report
	assert_one_line_error "--additional-gids" 4294967295
	rt exec --preserve-fds 2147483647 "$CID" /probe report
	assert_one_line_error "--preserve-fds" 2147483647
	rt exec --preserve-fds 99999999999999999999 "$CID" /probe report
	assert_one_line_error "--preserve-fds" 99999999999999999999
	# What is in range still works.
	rt_ok exec --user 1000:1000 "$CID" /probe report
	assert_pj .uid 1000
}
