#!/usr/bin/env bats
# A container's filesystem from outside: berth cp (both ways), diff, export
# and commit, against real containers made from busybox; what the process
# inside sees, what tar reads back, and what peers (skopeo, umoci) read
# from a committed image.

load container-helpers

setup() {
	container_setup
	HOST=$IMG_DIR/host
	mkdir -p "$HOST"
}

# A running container with a few files of its own.
running() {
	b_ok run -d --name c1 busybox sh -c \
		'mkdir -p /data/sub && echo one >/data/a && echo two >/data/sub/b &&
		 chown 1234:5678 /data/a && echo ready >/ready && sleep 1000'
	local i
	for i in $(seq 50); do
		b exec c1 test -f /ready
		[ "$status" = 0 ] && return 0
		sleep 0.1
	done
	fail "the container did not get ready"
}

@test "cp out: a file, a directory, a directory's contents, a new name, and a tar stream" {
	running
	# A file into a directory, under its own name; ownership is the caller's.
	b_ok cp c1:/data/a "$HOST/"
	assert_eq "$(cat "$HOST/a")" one
	assert_eq "$(stat -c %u:%g "$HOST/a")" 0:0
	# With -a the owner in the container stays.
	mkdir "$HOST/arch"
	b_ok cp -a c1:/data/a "$HOST/arch/"
	assert_eq "$(stat -c %u:%g "$HOST/arch/a")" 1234:5678
	# A file to a new name; over an existing file.
	b_ok cp c1:/data/a "$HOST/renamed"
	assert_eq "$(cat "$HOST/renamed")" one
	echo old >"$HOST/over"
	b_ok cp c1:/data/sub/b "$HOST/over"
	assert_eq "$(cat "$HOST/over")" two
	# A directory: into an existing directory, or as a new one.
	mkdir "$HOST/into"
	b_ok cp c1:/data "$HOST/into"
	assert_eq "$(cat "$HOST/into/data/sub/b")" two
	b_ok cp c1:/data "$HOST/newdir"
	assert_eq "$(cat "$HOST/newdir/sub/b")" two
	# SRC/. : the contents, not the directory.
	mkdir "$HOST/contents"
	b_ok cp c1:/data/. "$HOST/contents"
	assert_eq "$(cd "$HOST/contents" && find . | sort | tr '\n' ' ')" ". ./a ./sub ./sub/b "
	# "-": a tar on stdout, named by the source's last component, owners kept.
	"$BERTH" --root "$STORE" cp c1:/data - >"$HOST/out.tar"
	assert_eq "$(tar -tf "$HOST/out.tar" | sort | tr '\n' ' ')" "data/ data/a data/sub/ data/sub/b "
	assert_eq "$(tar -xOf "$HOST/out.tar" data/sub/b)" two
	assert_eq "$(tar -tvf "$HOST/out.tar" data/a | awk '{print $2}')" 1234/5678
	# A directory cannot replace a file.
	b cp c1:/data "$HOST/a"
	assert_error "directory"
}

@test "cp in: files and directories the process sees, archive mode, and a tar on stdin" {
	running
	echo hello >"$HOST/f"
	chown 4321:8765 "$HOST/f"
	mkdir -p "$HOST/d/e"
	echo deep >"$HOST/d/e/g"
	b_ok cp "$HOST/f" c1:/tmp/
	b_ok cp "$HOST/f" c1:/tmp/named
	b_ok cp -a "$HOST/f" c1:/tmp/kept
	b_ok cp "$HOST/d" c1:/tmp/
	b_ok cp "$HOST/d/." c1:/data/
	b_ok exec c1 sh -c 'cat /tmp/f /tmp/named /tmp/d/e/g /data/e/g; stat -c %u:%g /tmp/f /tmp/kept; cat /data/a'
	assert_eq "$output" "$(printf 'hello\nhello\ndeep\ndeep\n0:0\n4321:8765\none')"
	# A host symlink goes in as a link; with -L as what it points to.
	ln -s "$HOST/f" "$HOST/lnk"
	b_ok cp "$HOST/lnk" c1:/tmp/lnk
	b_ok cp -L "$HOST/lnk" c1:/tmp/followed
	b_ok exec c1 sh -c 'readlink /tmp/lnk; cat /tmp/followed; test -L /tmp/followed || echo file'
	assert_eq "$output" "$(printf '%s\nhello\nfile' "$HOST/f")"
	# A tar stream from stdin goes into a directory.
	tar -C "$HOST" -cf "$HOST/in.tar" f d
	b_in "$HOST/in.tar" cp - c1:/data/
	[ "$status" = 0 ] || fail "cp - failed: $stderr"
	b_ok exec c1 cat /data/f /data/d/e/g
	assert_eq "$output" "$(printf 'hello\ndeep')"
	# ... and nowhere else.
	b_in "$HOST/in.tar" cp - c1:/data/a
	assert_error "must be a directory"
}

@test "cp: symlinks in the container resolve inside it, never to the host" {
	local target=$IMG_DIR/host-target
	mkdir -p "$target"
	b_ok run -d --name c1 busybox sh -c \
		"ln -s $target /evil && mkdir /d && ln -s $target /d/link &&
		 ln -s /etc/passwd /pw && ln -s $target/x /d/flink && echo ready >/ready && sleep 1000"
	sleep 0.5
	echo hostile >"$HOST/x"
	mkdir -p "$HOST/tree/link"
	echo pwned >"$HOST/tree/link/x"
	# /evil/ resolves to the container's own $target, which does not exist.
	b cp "$HOST/x" c1:/evil/
	[ "$status" != 0 ] || fail "cp through /evil succeeded"
	# A symlink met below the destination is replaced, not followed.
	b_ok cp "$HOST/tree/." c1:/d/
	b_ok cp "$HOST/x" c1:/d/flink
	[ -z "$(ls -A "$target")" ] || fail "written on the host: $(ls -A "$target")"
	b_ok exec c1 sh -c 'cat /d/link/x /d/flink; test -L /d/link || echo not-a-link'
	assert_eq "$output" "$(printf 'pwned\nhostile\nnot-a-link')"
	# Out: a symlink is copied as a link; with -L its target (the
	# container's /etc/passwd, not the host's).
	b_ok cp c1:/pw "$HOST/pw"
	[ -L "$HOST/pw" ] || fail "not a link"
	b_ok cp -L c1:/pw "$HOST/pw2"
	[ -f "$HOST/pw2" ] && [ ! -L "$HOST/pw2" ] || fail "-L did not follow"
	b_ok exec c1 cat /etc/passwd
	assert_eq "$(cat "$HOST/pw2")" "$output"
}

@test "cp: a stopped container, mounted for the copy and unmounted after" {
	b_ok run --name c1 busybox sh -c 'echo left >/left'
	local id
	id=$(sqlite3 "$STORE/berth.db" "select id from containers where name='c1'")
	local merged=$STORE/snapshots/$id/merged
	# As after a reboot: the snapshot is not mounted.
	umount "$merged"
	b_ok cp c1:/left "$HOST/left"
	assert_eq "$(cat "$HOST/left")" left
	! grep -qF " $merged " /proc/self/mountinfo || fail "left mounted"
	echo put >"$HOST/put"
	b_ok cp "$HOST/put" c1:/put
	! grep -qF " $merged " /proc/self/mountinfo || fail "left mounted"
	# The next start sees it.
	b_ok commit c1 withput
	b_ok run --rm withput cat /put /left
	assert_eq "$output" "$(printf 'put\nleft')"
}

@test "cp: bad input names what was wrong, exits non-zero, leaves nothing" {
	running
	b cp c1:/nope "$HOST/"
	assert_error "Could not find the file /nope in container c1"
	b cp nosuch:/x "$HOST/"
	assert_error "No such container: nosuch"
	b cp "$HOST/missing" c1:/tmp/
	assert_error "$HOST/missing"
	b cp c1:/data/a/ "$HOST/"
	assert_error "not a directory"
	b cp c1:/data/a c1:/tmp/
	assert_error "between containers"
	b cp "$HOST/a" "$HOST/b"
	assert_error "at least one container"
	b cp c1:/data/a "$HOST/no/such/dir/a"
	assert_error "no such directory"
	[ -z "$(ls -A "$HOST")" ] || fail "left on the host: $(ls -A "$HOST")"
}

@test "diff: A, C and D lines for what the container did" {
	b_ok run --name c1 busybox sh -c \
		'echo x >>/etc/passwd; mkdir /new; echo n >/new/file; rm /bin/true; touch /tmp/t; rm -rf /usr'
	b_ok diff c1
	assert_eq "$output" "$(printf '%s\n' 'C /bin' 'D /bin/true' 'C /etc/passwd' 'A /new' \
		'A /new/file' 'C /tmp' 'A /tmp/t' 'D /usr')"
	# A fresh container has no changes (its mount points are not any).
	b_ok run --name c2 busybox true
	b_ok container diff c2
	assert_eq "$output" ""
	b diff nosuch
	assert_error "No such container: nosuch"
}

@test "export: a tar of the whole root, with what the container wrote" {
	b_ok run --name c1 busybox sh -c 'echo mine >/mine; rm /bin/true'
	"$BERTH" --root "$STORE" export c1 >"$HOST/c1.tar"
	tar -tf "$HOST/c1.tar" >"$HOST/list"
	grep -qx mine "$HOST/list" || fail "no /mine"
	grep -qx bin/sh "$HOST/list" || fail "no /bin/sh"
	! grep -qx bin/true "$HOST/list" || fail "a deleted file is exported"
	assert_eq "$(tar -xOf "$HOST/c1.tar" mine)" mine
	b_ok export -o "$HOST/o.tar" c1
	cmp "$HOST/c1.tar" "$HOST/o.tar" || fail "-o differs from stdout"
	[ -z "$(ls "$HOST" | grep tmp-)" ] || fail "temporary file left"
	b export -o "$HOST/none.tar" nosuch
	assert_error "No such container: nosuch"
	[ ! -e "$HOST/none.tar" ] || fail "a file was left"
	[ -z "$(ls "$HOST" | grep tmp-)" ] || fail "temporary file left"
}

@test "export refuses a terminal" {
	b_ok run --name c1 busybox true
	command -v script >/dev/null || skip "script(1) is not installed"
	run script -qec "$BERTH --root $STORE export c1" /dev/null
	[ "$status" != 0 ] || fail "export to a terminal succeeded"
	[[ "$output" == *"cowardly refusing to save to a terminal"* ]] || fail "message: $output"
}

@test "commit: the new image has the change, keeps a deletion, and its config and history" {
	b_ok run -d --name c1 -e FOO=bar -w /tmp --label team=a busybox \
		sh -c 'echo committed >/etc/motd; rm /bin/true; rm -rf /home; mkdir /home; touch /home/only; sleep 1000'
	sleep 0.5
	b_ok commit -a 'An Author' -m 'a message' -c 'EXPOSE 8080' c1 mine:v1
	local id=$output
	[[ "$id" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "id: $id"
	# The container was paused and resumed: it still runs.
	b_ok exec c1 cat /etc/motd
	assert_eq "$output" committed
	# What a container of the new image sees.
	b_ok run --rm mine:v1 sh -c 'cat /etc/motd; ls /bin/true 2>&1; ls /home; echo $FOO; pwd'
	assert_eq "$output" "$(printf 'committed\nls: /bin/true: No such file or directory\nonly\nbar\n/tmp')"
	# Config and history.
	b_ok image inspect --format '{{.Author}}|{{.Comment}}|{{json .Config.Cmd}}|{{.Config.WorkingDir}}|{{json .Config.Labels}}|{{json .Config.ExposedPorts}}|{{len .RootFS.Layers}}' mine:v1
	assert_eq "$output" \
		'An Author|a message|["sh","-c","echo committed >/etc/motd; rm /bin/true; rm -rf /home; mkdir /home; touch /home/only; sleep 1000"]|/tmp|{"team":"a"}|{"8080/tcp":{}}|2'
	b_ok image inspect --format '{{json .Config.Env}}' mine:v1
	[[ "$output" == *'"FOO=bar"'* ]] || fail "env: $output"
	b_ok history --no-trunc --format '{{.CreatedBy}}|{{.Comment}}' mine:v1
	assert_eq "$(head -1 <<<"$output")" \
		'sh -c echo committed >/etc/motd; rm /bin/true; rm -rf /home; mkdir /home; touch /home/only; sleep 1000|a message'
	assert_eq "$(wc -l <<<"$output")" 2
	# -p=false: no pause, same result; no tag: only the id.
	b_ok commit --pause=false c1
	[[ "$output" =~ ^sha256: ]] || fail "id: $output"
	b commit nosuch
	assert_error "No such container: nosuch"
}

@test "commit: the layer's whiteouts are OCI's, and peers read the saved image" {
	command -v skopeo >/dev/null || skip "skopeo is not installed"
	command -v umoci >/dev/null || skip "umoci is not installed"
	b_ok run --name c1 busybox sh -c 'echo peer >/peer; rm /bin/true; rm -rf /home; mkdir /home; touch /home/x'
	b_ok commit c1 peer:1
	b_ok save --format oci-archive -o "$WORK/p.tar" peer:1
	run skopeo inspect "oci-archive:$WORK/p.tar"
	[ "$status" = 0 ] || fail "skopeo: $output"
	assert_eq "$(jq -r '.Layers | length' <<<"$output")" 2
	# The new layer holds the whiteout and the opaque marker.
	mkdir "$WORK/oci"
	tar -C "$WORK/oci" -xf "$WORK/p.tar"
	local layer
	layer=$(jq -r '.layers[-1].digest' "$WORK/oci/blobs/sha256/$(jq -r '.manifests[0].digest' \
		"$WORK/oci/index.json" | cut -d: -f2)" | cut -d: -f2)
	tar -tf "$WORK/oci/blobs/sha256/$layer" >"$WORK/layer.list"
	grep -qx 'bin/.wh.true' "$WORK/layer.list" || fail "no whiteout: $(cat "$WORK/layer.list")"
	grep -qx 'home/.wh..wh..opq' "$WORK/layer.list" || fail "no opaque marker"
	grep -qx 'peer' "$WORK/layer.list" || fail "no /peer"
	# umoci applies it: the file is there, the deleted one is not.
	umoci unpack --image "$WORK/oci:$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$WORK/oci/index.json")" "$WORK/bundle" >/dev/null ||
		fail "umoci unpack failed"
	assert_eq "$(cat "$WORK/bundle/rootfs/peer")" peer
	[ ! -e "$WORK/bundle/rootfs/bin/true" ] || fail "umoci: /bin/true is back"
	[ -e "$WORK/bundle/rootfs/bin/sh" ] || fail "umoci: /bin/sh is gone"
	assert_eq "$(ls "$WORK/bundle/rootfs/home")" x
}

@test "vfs: diff and commit compare against the image's layers" {
	STORE=$IMG_DIR/vfs-store
	b() {
		local out=$BATS_TEST_TMPDIR/b.out err=$BATS_TEST_TMPDIR/b.err
		status=0
		timeout "$RT_TIMEOUT" "$BERTH" --root "$STORE" --storage-driver vfs "$@" \
			>"$out" 2>"$err" </dev/null || status=$?
		output=$(cat "$out")
		stderr=$(cat "$err")
	}
	import_busybox busybox
	b_ok run --name v1 busybox sh -c 'echo x >>/etc/passwd; mkdir /new; echo n >/new/file; rm /bin/true'
	b_ok diff v1
	assert_eq "$output" "$(printf '%s\n' 'C /bin' 'D /bin/true' 'C /etc' 'C /etc/passwd' 'A /new' 'A /new/file')"
	b_ok commit v1 vimg
	b_ok run --rm vimg sh -c 'cat /new/file; ls /bin/true 2>&1; tail -1 /etc/passwd'
	assert_eq "$output" "$(printf 'n\nls: /bin/true: No such file or directory\nx')"
}
