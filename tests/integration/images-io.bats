#!/usr/bin/env bats
# berth import, load and save, and the store they fill: what lands on disk
# and in the database, what the peers (podman, skopeo, umoci, buildah) read
# back from what Berth wrote, and what Berth reads from what they wrote.

load image-helpers

@test "import: a rootfs tarball becomes a one-layer image with its --change config" {
	local tar
	tar=$(busybox_tar)
	b_ok import -c 'CMD ["sh", "-c", "echo hi"]' -c 'ENV A=1 B="x y"' -c 'WORKDIR /tmp' \
		-c 'USER nobody' -c 'EXPOSE 80 53/udp' -c 'LABEL k=v' -c 'ENTRYPOINT ["/bin/env"]' \
		-c 'STOPSIGNAL SIGINT' -c 'VOLUME /data' -m "from a test" "$tar" me/bb:1
	local id=$output hex=${output#sha256:}
	[[ $id =~ ^sha256:[0-9a-f]{64}$ ]] || fail "not an id: $id"
	# The config blob is named by the id and holds the changes.
	local cfg=$STORE/blobs/sha256/$hex
	assert_eq "$(sha256sum <"$cfg" | cut -d' ' -f1)" "$hex" "config digest"
	assert_eq "$(jq -c .config.Cmd "$cfg")" '["sh","-c","echo hi"]'
	assert_eq "$(jq -c .config.Env "$cfg")" '["A=1","B=x y"]'
	assert_eq "$(jq -r .config.WorkingDir "$cfg")" /tmp
	assert_eq "$(jq -r .config.User "$cfg")" nobody
	assert_eq "$(jq -c '.config.ExposedPorts | keys' "$cfg")" '["53/udp","80/tcp"]'
	assert_eq "$(jq -r .config.Labels.k "$cfg")" v
	assert_eq "$(jq -c .config.Entrypoint "$cfg")" '["/bin/env"]'
	assert_eq "$(jq -r .config.StopSignal "$cfg")" SIGINT
	assert_eq "$(jq -c '.config.Volumes | keys' "$cfg")" '["/data"]'
	assert_eq "$(jq -r '.history[0].comment' "$cfg")" "from a test"
	# The layer blob is the uncompressed tarball: its digest is the DiffID.
	local diff
	diff=$(jq -r '.rootfs.diff_ids[0]' "$cfg")
	assert_eq "$diff" "sha256:$(sha256sum <"$tar" | cut -d' ' -f1)" "diff id"
	cmp "$tar" "$STORE/blobs/sha256/${diff#sha256:}"
	# The unpacked layer is the busybox tree.
	diff <(tree_listing "$CACHE/rootfs" | grep -v -e '\./\.complete' -e '\./probe') \
		<(tree_listing "$STORE/layers/${diff#sha256:}")
	assert_eq "$(sqlite3 "$STORE/berth.db" "select name from tags")" "docker.io/me/bb:1"
	assert_eq "$(sqlite3 "$STORE/berth.db" "select id from images")" "$id"
}

@test "import: stdin, gzip and zstd tarballs give the same layer" {
	local tar
	tar=$(busybox_tar)
	gzip -c "$tar" >"$WORK/bb.tar.gz"
	zstd -q -c "$tar" >"$WORK/bb.tar.zst"
	b_in "$tar" import - plain
	[ "$status" = 0 ] || fail "$stderr"
	b_ok import "$WORK/bb.tar.gz" gz
	b_ok import "$WORK/bb.tar.zst" zst
	# One layer for all three.
	assert_eq "$(sqlite3 "$STORE/berth.db" "select count(*) from layers")" 1
	assert_eq "$(ls "$STORE/layers" | wc -l)" 1
	assert_eq "$(sqlite3 "$STORE/berth.db" "select count(distinct chain_id) from image_layers")" 1
	assert_eq "$(sqlite3 "$STORE/berth.db" "select count(*) from tags")" 3
}

@test "import: bad --change and bad names are refused before anything is stored" {
	local tar
	tar=$(busybox_tar)
	b_ok import "$tar" keep
	store_state >"$BATS_TEST_TMPDIR/before"
	b import -c 'FROM busybox' "$tar"
	assert_error FROM
	b import -c 'EXPOSE 99999' "$tar"
	assert_error EXPOSE 99999
	b import -c 'WORKDIR relative' "$tar"
	assert_error WORKDIR
	b import "$tar" 'a:b:c'
	assert_error 'a:b:c'
	b import "$WORK/missing.tar"
	assert_error missing.tar
	head -c 3000 "$tar" >"$WORK/trunc.tar"
	b import "$WORK/trunc.tar"
	assert_error import
	assert_store_unchanged "$BATS_TEST_TMPDIR/before"
}

@test "save: docker-archive and oci-archive load into podman, which runs them; skopeo reads the same digests" {
	import_busybox docker.io/library/bbsave:1
	local id=$IMAGE_ID manifest
	manifest=$(sqlite3 "$STORE/berth.db" "select manifest from images")
	b_ok save -o "$WORK/d.tar" bbsave:1
	b_ok save --format oci-archive -o "$WORK/o.tar" bbsave:1
	# skopeo: same config digest and layers; the OCI manifest digest too.
	local layer
	layer=$(sqlite3 "$STORE/berth.db" "select blob from image_layers")
	run skopeo inspect "oci-archive:$WORK/o.tar"
	[ "$status" = 0 ] || fail "skopeo: $output"
	assert_eq "$(jq -r .Digest <<<"$output")" "$manifest" "manifest digest"
	assert_eq "$(jq -r '.Layers[0]' <<<"$output")" "$layer"
	run skopeo inspect --config "docker-archive:$WORK/d.tar"
	assert_eq "$(jq -r '.rootfs.diff_ids[0]' <<<"$output")" "$layer"
	assert_eq "sha256:$(skopeo inspect --raw --config "docker-archive:$WORK/d.tar" | sha256sum | cut -d' ' -f1)" "$id"
	# podman loads both and runs them.
	local f
	for f in d o; do
		run "${PODMAN[@]}" load -i "$WORK/$f.tar"
		[ "$status" = 0 ] || fail "podman load $f: $output"
		run "${PODMAN[@]}" images --no-trunc --format '{{.ID}}' docker.io/library/bbsave:1
		assert_eq "sha256:${output#sha256:}" "$id" "podman's image id ($f)"
		run "${PODMAN[@]}" run --rm --network none --ulimit nofile=1024:1024 \
			--ulimit nproc=1024:1024 docker.io/library/bbsave:1 sh -c 'echo hello from $0'
		[ "$status" = 0 ] || fail "podman run $f: $output"
		assert_eq "$output" "hello from sh"
		"${PODMAN[@]}" rmi -f docker.io/library/bbsave:1 >/dev/null
	done
}

@test "save: an image saved and loaded again keeps its id, manifest and names" {
	import_busybox one:1
	local id=$IMAGE_ID manifest
	manifest=$(sqlite3 "$STORE/berth.db" "select manifest from images")
	b_ok save --format oci-archive -o "$WORK/o.tar" one:1
	b_ok save -o "$WORK/d.tar" one:1
	rm -rf "$STORE"
	b_ok load -i "$WORK/o.tar"
	assert_eq "$output" "Loaded image: one:1"
	assert_eq "$(sqlite3 "$STORE/berth.db" "select id || ' ' || manifest from images")" "$id $manifest"
	rm -rf "$STORE"
	b_ok load -i "$WORK/d.tar"
	assert_eq "$(sqlite3 "$STORE/berth.db" "select id from images")" "$id"
	assert_eq "$(sqlite3 "$STORE/berth.db" "select name from tags")" "docker.io/library/one:1"
	# The docker-archive manifest is made exactly as containers/image makes it.
	assert_eq "$(sqlite3 "$STORE/berth.db" "select manifest from images")" \
		"$(skopeo inspect "docker-archive:$WORK/d.tar" | jq -r .Digest)"
}

@test "save: several images in one archive, gzip-compressed archives load, stdout works" {
	import_busybox a:1
	local tar
	tar=$(busybox_tar)
	b_ok import -c 'CMD ["true"]' "$tar" b:2
	b_ok save -o "$WORK/two.tar" a:1 b:2
	b_ok save --format oci-archive -o "$WORK/two-oci.tar" a:1 b:2
	"$BERTH" --root "$STORE" save a:1 >"$WORK/stdout.tar"
	gzip -c "$WORK/two.tar" >"$WORK/two.tar.gz"
	local f
	for f in two.tar two-oci.tar two.tar.gz; do
		rm -rf "$STORE.2"
		run "$BERTH" --root "$STORE.2" load -i "$WORK/$f"
		[ "$status" = 0 ] || fail "load $f: $output"
		assert_eq "$(sort <<<"$output")" "$(printf 'Loaded image: a:1\nLoaded image: b:2')" "$f"
	done
	rm -rf "$STORE.2"
	run "$BERTH" --root "$STORE.2" load <"$WORK/stdout.tar"
	assert_eq "$output" "Loaded image: a:1"
	rm -rf "$STORE.2"
}

@test "save: a failed save leaves no file behind; unknown format and image are refused" {
	import_busybox keep
	b save --format tarball -o "$WORK/x.tar" keep
	assert_error tarball
	b save -o "$WORK/x.tar" keep nosuch
	assert_error nosuch
	[ ! -e "$WORK/x.tar" ] || fail "a partial archive was left"
	[ -z "$(ls "$WORK")" ] || fail "left: $(ls "$WORK")"
}

@test "load: podman's docker-archive and oci-archive, skopeo's OCI layout and buildah's image keep their digests and unpack to umoci's tree" {
	local tar ctr
	tar=$(busybox_tar)
	run "${PODMAN[@]}" import --change 'CMD ["sh"]' "$tar" localhost/base:1
	[ "$status" = 0 ] || fail "podman import: $output"
	# A second layer with a whiteout, a hard link and an opaque directory.
	ctr=$("${BUILDAH[@]}" from localhost/base:1)
	"${BUILDAH[@]}" run --runtime runc "$ctr" -- sh -c \
		'rm /bin/cat && ln /bin/busybox /bin/hl && mkdir -p /etc/x && echo 2 >/etc/x/f && chmod 4755 /bin/hl && mkdir -p /var/empty && touch /var/empty/.keep'
	"${BUILDAH[@]}" config --label built=yes --env Z=1 "$ctr"
	"${BUILDAH[@]}" commit -q "$ctr" localhost/multi:1 >/dev/null
	"${BUILDAH[@]}" rm "$ctr" >/dev/null
	local pid pmanifest
	pid=$("${PODMAN[@]}" images --no-trunc --format '{{.ID}}' localhost/multi:1)
	pid=sha256:${pid#sha256:}
	"${PODMAN[@]}" save -o "$WORK/p-d.tar" localhost/multi:1
	"${PODMAN[@]}" save --format oci-archive -o "$WORK/p-o.tar" localhost/multi:1
	skopeo copy -q "${CS}localhost/multi:1" "oci:$WORK/layout:multi"
	tar -C "$WORK/layout" -cf "$WORK/sk.tar" .
	"${BUILDAH[@]}" push -q localhost/multi:1 "oci-archive:$WORK/bh.tar:localhost/multi:1"
	# umoci's view of the image: the reference tree.
	umoci unpack --image "$WORK/layout:multi" "$WORK/umoci" >/dev/null
	local f
	for f in p-d p-o sk bh; do
		rm -rf "$STORE"
		b_ok load -i "$WORK/$f.tar"
		assert_eq "$(sqlite3 "$STORE/berth.db" "select id from images")" "$pid" "image id ($f)"
		assert_eq "$(sqlite3 "$STORE/berth.db" "select count(*) from image_layers")" 2 "layers ($f)"
		if [ "$f" = p-d ]; then
			assert_eq "$(sqlite3 "$STORE/berth.db" "select manifest from images")" \
				"$(skopeo inspect "docker-archive:$WORK/p-d.tar" | jq -r .Digest)" "manifest ($f)"
		else
			assert_eq "$(sqlite3 "$STORE/berth.db" "select manifest from images")" \
				"$(skopeo inspect "oci:$WORK/layout:multi" | jq -r .Digest)" "manifest ($f)"
		fi
		# Whiteouts are stored in overlay's form.
		local top
		top=$(sqlite3 "$STORE/berth.db" "select chain_id from image_layers where idx = 1")
		assert_eq "$(stat -c '%F %t:%T' "$STORE/layers/${top#sha256:}/bin/cat")" \
			"character special file 0:0" "whiteout ($f)"
		# The merged tree is umoci's.
		local mnt
		b_ok image mount "$pid"
		mnt=$output
		diff <(tree_listing "$WORK/umoci/rootfs") <(tree_listing "$mnt") ||
			fail "the merged tree differs from umoci's ($f)"
		b_ok image unmount "$pid"
	done
	assert_eq "$(sqlite3 "$STORE/berth.db" "select name from tags")" "localhost/multi:1"
}

@test "load: gzip and zstd layers, OCI and docker formats, with DiffIDs verified" {
	local tar c fmt
	tar=$(busybox_tar)
	python3 "$MKIMAGE" layer whiteouts "$WORK/wh.tar"
	for fmt in oci docker; do
		for c in none gzip zstd; do
			python3 "$MKIMAGE" archive "$WORK/$fmt-$c.tar" --format $fmt --compress $c \
				--name "x/$fmt:$c" --layer "$tar" --layer "$WORK/wh.tar"
			b_ok load -i "$WORK/$fmt-$c.tar"
			assert_eq "$output" "Loaded image: x/$fmt:$c"
		done
	done
	# Six archives, one image config (same DiffIDs), two unpacked layers.
	assert_eq "$(sqlite3 "$STORE/berth.db" "select count(*) from layers")" 2
	assert_eq "$(ls "$STORE/layers" | wc -l)" 2
	local top=$(sqlite3 "$STORE/berth.db" "select chain_id from image_layers where idx = 1 limit 1")
	local d=$STORE/layers/${top#sha256:}
	assert_eq "$(stat -c '%F %t:%T' "$d/keep/gone")" "character special file 0:0"
	[ ! -e "$d/keep/.wh.gone" ] || fail "the whiteout file itself was unpacked"
	assert_eq "$(getfattr --only-values -n trusted.overlay.opaque "$d/opaque")" y
	assert_eq "$(cat "$d/opaque/new")" new
}

@test "load: hostile and broken archives are refused with one line naming the problem, and the store is unchanged" {
	local tar
	tar=$(busybox_tar)
	import_busybox keep
	# A store with a finished load in it, so "unchanged" means something.
	store_state >"$BATS_TEST_TMPDIR/before"
	python3 "$MKIMAGE" layer dotdot "$WORK/l-dotdot.tar"
	python3 "$MKIMAGE" layer absolute "$WORK/l-absolute.tar"
	python3 "$MKIMAGE" layer symlink-write "$WORK/l-symlink-write.tar"
	python3 "$MKIMAGE" layer symlink-dotdot "$WORK/l-symlink-dotdot.tar"
	python3 "$MKIMAGE" layer hardlink-out "$WORK/l-hardlink-out.tar"
	python3 "$MKIMAGE" layer hardlink-abs "$WORK/l-hardlink-abs.tar"
	python3 "$MKIMAGE" layer huge-header "$WORK/l-huge-header.tar"
	python3 "$MKIMAGE" layer long-name "$WORK/l-long-name.tar"
	local kind words
	while IFS='|' read -r kind words; do
		case $kind in
		l-*) python3 "$MKIMAGE" archive "$WORK/$kind.img" --layer "$tar" --layer "$WORK/$kind.tar" ;;
		docker-*) python3 "$MKIMAGE" archive "$WORK/$kind.img" --format docker --layer "$tar" \
			--corrupt "${kind#docker-}" ;;
		junk) python3 "$MKIMAGE" archive "$WORK/$kind.img" --layer "$tar" --junk 12000 ;;
		*) python3 "$MKIMAGE" archive "$WORK/$kind.img" --layer "$tar" --compress gzip --corrupt "$kind" ;;
		esac
		b load -i "$WORK/$kind.img"
		# shellcheck disable=SC2086
		assert_error $words || fail "case $kind"
		assert_store_unchanged "$BATS_TEST_TMPDIR/before" || fail "case $kind"
	done <<-'EOF'
		l-dotdot|../escape escapes
		l-absolute|/abs-escape
		l-symlink-write|link/tmp/escape
		l-symlink-dotdot|up/escape
		l-hardlink-out|hl
		l-hardlink-abs|hl
		l-huge-header|layer
		l-long-name|longer than
		blob-digest|digest mismatch
		missing-blob|not in the archive
		media-type|application/x-unknown-layer
		diff-id|DiffID mismatch
		size|size
		truncate|load
		garbage|load
		junk|entries
		docker-config-digest|digest mismatch
		docker-missing-blob|not in the archive
		docker-diff-id|DiffID mismatch
	EOF
	[ ! -e /tmp/escape ] && [ ! -e /abs-escape ] || fail "something escaped"
	# An empty file, a directory and a plain tar that is not an image.
	: >"$WORK/empty"
	b load -i "$WORK/empty"
	assert_error load
	b load -i "$WORK"
	assert_error load
	b load -i "$tar"
	assert_error "neither"
	assert_store_unchanged "$BATS_TEST_TMPDIR/before"
}

@test "load: killed at any point, the store stays valid and prune removes the garbage" {
	local tar i
	tar=$(busybox_tar)
	import_busybox keep
	# An image big enough that a load takes a while: 3 layers of random data.
	for i in 1 2 3; do
		mkdir -p "$WORK/l$i/data"
		head -c 40M /dev/urandom >"$WORK/l$i/data/r$i"
		tar -C "$WORK/l$i" -cf "$WORK/l$i.tar" .
	done
	python3 "$MKIMAGE" archive "$WORK/big.tar" --format docker --name big:1 --layer "$WORK/l1.tar" \
		--layer "$WORK/l2.tar" --layer "$WORK/l3.tar"
	b_ok system prune -f
	store_state >"$BATS_TEST_TMPDIR/before"
	for delay in 0.05 0.2 0.4 0.8; do
		"$BERTH" --root "$STORE" load -i "$WORK/big.tar" >/dev/null 2>&1 &
		local pid=$!
		sleep $delay
		kill -9 $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
		# The database is whole and the old image is still there.
		assert_eq "$(sqlite3 "$STORE/berth.db" "pragma integrity_check")" ok
		b_ok images -q
		b_ok system prune -f
		if [ "$(sqlite3 "$STORE/berth.db" "select count(*) from images")" = 1 ]; then
			assert_store_unchanged "$BATS_TEST_TMPDIR/before"
		else
			# The load had committed before the kill: it is all there.
			b_ok rmi big:1
			b_ok system prune -f
			assert_store_unchanged "$BATS_TEST_TMPDIR/before"
		fi
	done
}

@test "load: concurrent loads, listings and removals do not corrupt the store or deadlock" {
	local tar i
	tar=$(busybox_tar)
	for i in 1 2 3 4; do
		mkdir -p "$WORK/l$i"
		echo "$i" >"$WORK/l$i/f$i"
		tar -C "$WORK/l$i" -cf "$WORK/l$i.tar" .
		python3 "$MKIMAGE" archive "$WORK/i$i.tar" --name "img:$i" --layer "$tar" --layer "$WORK/l$i.tar"
	done
	local pids=()
	for i in 1 2 3 4; do
		timeout 60 "$BERTH" --root "$STORE" load -i "$WORK/i$i.tar" >"$WORK/out$i" 2>&1 &
		pids+=($!)
		timeout 60 "$BERTH" --root "$STORE" images -q >/dev/null 2>&1 &
		pids+=($!)
	done
	local bad=0
	for i in "${pids[@]}"; do wait "$i" || bad=$((bad + 1)); done
	assert_eq "$bad" 0 "failed commands"
	assert_eq "$(sqlite3 "$STORE/berth.db" "select count(*) from images")" 4
	# The shared base layer is stored once.
	assert_eq "$(sqlite3 "$STORE/berth.db" "select count(*) from layers")" 5
	assert_eq "$(ls "$STORE/layers" | wc -l)" 5
	# Removing while loading again. A load that found img:1's own layer in
	# the store and saw the rmi collect it before its commit fails, saying
	# so (it has read its input once), and leaves nothing; loaded again,
	# it works.
	local rmi_pid load_pid load_rc=0
	timeout 60 "$BERTH" --root "$STORE" rmi img:1 img:2 >/dev/null 2>&1 &
	rmi_pid=$!
	timeout 60 "$BERTH" --root "$STORE" load -i "$WORK/i1.tar" >"$WORK/reload" 2>&1 &
	load_pid=$!
	wait "$rmi_pid" || fail "rmi failed"
	wait "$load_pid" || load_rc=$?
	if [ "$load_rc" != 0 ]; then
		grep -q "was removed from the store while this load ran; load again" "$WORK/reload" ||
			fail "the load failed otherwise: $(cat "$WORK/reload")"
		b_ok images -q img:1
		assert_eq "$output" "" "img:1 after the failed load"
		b_ok load -i "$WORK/i1.tar"
	fi
	assert_eq "$(sqlite3 "$STORE/berth.db" "pragma integrity_check")" ok
	# Which of the two came last decides whether img:1 is there (a load
	# that finished first is undone by the rmi); img:2 is gone either way.
	local have1
	have1=$(sqlite3 "$STORE/berth.db" "select count(*) from tags where name like '%/img:1'")
	assert_eq "$(sqlite3 "$STORE/berth.db" "select count(*) from tags where name like '%/img:2'")" 0
	assert_eq "$(sqlite3 "$STORE/berth.db" "select count(*) from images")" $((2 + have1))
	# Every layer the database names is on disk, and nothing else is.
	b_ok system prune -f
	diff <(sqlite3 "$STORE/berth.db" "select substr(chain_id, 8) from layers order by 1") \
		<(ls "$STORE/layers" | sort)
	diff <(sqlite3 "$STORE/berth.db" "select substr(d, 8) from (select id d from images union select manifest from images union select blob from image_layers) order by 1") \
		<(ls "$STORE/blobs/sha256" | sort)
}

@test "snapshots: overlay and vfs give the same tree, with whiteouts and opaque directories applied" {
	local tar
	tar=$(busybox_tar)
	mkdir -p "$WORK/l1/keep" "$WORK/l1/opaque"
	echo gone >"$WORK/l1/keep/gone"
	echo hidden >"$WORK/l1/opaque/hidden"
	(cd "$WORK/l1" && tar -cf "$WORK/l1.tar" .)
	python3 "$MKIMAGE" layer whiteouts "$WORK/wh.tar"
	python3 "$MKIMAGE" archive "$WORK/img.tar" --name layered:1 --layer "$tar" \
		--layer "$WORK/l1.tar" --layer "$WORK/wh.tar"
	b_ok load -i "$WORK/img.tar"
	b_ok image mount layered:1
	local ovl=$output
	grep -q " $ovl .* overlay " /proc/self/mountinfo || fail "not an overlay mount: $ovl"
	run "$BERTH" --root "$STORE.vfs" --storage-driver vfs load -i "$WORK/img.tar"
	[ "$status" = 0 ] || fail "$output"
	run "$BERTH" --root "$STORE.vfs" --storage-driver vfs image mount layered:1
	[ "$status" = 0 ] || fail "$output"
	local vfs=$output
	! grep -q " $vfs " /proc/self/mountinfo || fail "vfs should not mount"
	# What each layer says wins: the whiteout hides keep/gone, the opaque
	# directory hides opaque/hidden, the busybox tree is all there.
	[ ! -e "$ovl/keep/gone" ] && [ ! -e "$ovl/opaque/hidden" ] || fail "whiteouts not applied"
	assert_eq "$(cat "$ovl/opaque/new")" new
	[ -x "$ovl/bin/busybox" ] || fail "busybox missing"
	diff <(tree_listing "$ovl") <(tree_listing "$vfs") || fail "overlay and vfs differ"
	# Writes go to the snapshot, not the layers; unmount removes it.
	echo w >"$ovl/written"
	[ -z "$(find "$STORE/layers" -name written)" ] || fail "a write reached a layer"
	b_ok image unmount layered:1
	! grep -q " $ovl " /proc/self/mountinfo || fail "still mounted"
	run "$BERTH" --root "$STORE.vfs" --storage-driver vfs image unmount layered:1
	[ "$status" = 0 ] || fail "$output"
	[ -z "$(ls "$STORE/snapshots")" ] && [ -z "$(ls "$STORE.vfs/snapshots")" ] || fail "snapshots left"
	rm -rf "$STORE.vfs"
}
