#!/usr/bin/env bats
# Volumes and mounts of berth run/create (-v, --mount, --tmpfs, the image's
# VOLUME) and the volume commands (create, ls, inspect, rm, prune), each
# checked from inside a real container and against the store.

load container-helpers

volume_rows() {
	sqlite3 "$STORE/berth.db" "select name from volumes order by name"
}

# An image whose VOLUME /data holds a file, owned by 1000 with mode 750.
import_volume_image() {
	local tar
	tar=$(busybox_tar) || return 1
	cp "$tar" "$WORK/img.tar"
	mkdir -p "$WORK/extra/data"
	echo from-image >"$WORK/extra/data/hello"
	chown -R 1000:1000 "$WORK/extra/data"
	chmod 750 "$WORK/extra/data"
	tar -C "$WORK/extra" -rf "$WORK/img.tar" ./data
	b_ok import --change 'CMD ["sh"]' --change 'VOLUME /data' "$WORK/img.tar" withvol
}

@test "named volume: data outlives the container and a second container sees it" {
	b_ok run --rm -v shared:/v busybox sh -c 'echo persisted >/v/file'
	b_ok volume ls
	assert_eq "$output" "$(printf 'DRIVER    VOLUME NAME\nlocal     shared')"
	assert_eq "$(cat "$STORE/volumes/shared/_data/file")" persisted "on the host"
	b_ok run --rm -v shared:/data:ro busybox sh -c 'cat /data/file; echo x >/data/y 2>/dev/null || echo read-only'
	assert_eq "$output" "$(printf 'persisted\nread-only')"
	# --mount names the same volume.
	b_ok run --rm --mount type=volume,source=shared,target=/m busybox cat /m/file
	assert_eq "$output" persisted
	assert_eq "$(volume_rows)" shared
}

@test "bind mounts: :ro is read-only inside (EROFS), :rw writes reach the host" {
	mkdir -p "$WORK/host"
	echo from-host >"$WORK/host/in"
	b run --rm -v "$WORK/host:/h:ro" busybox sh -c 'cat /h/in; echo x >/h/new'
	assert_eq "$status" 1
	assert_eq "$output" from-host
	[[ $stderr == *"Read-only file system"* ]] || fail "not EROFS: $stderr"
	[ ! -e "$WORK/host/new" ] || fail "a read-only bind was written"
	b_ok run --rm -v "$WORK/host:/h:rw,z" busybox sh -c 'echo from-container >/h/new; grep " /h " /proc/mounts'
	assert_eq "$(cat "$WORK/host/new")" from-container
	[[ $output == *" rw,"* ]] || fail "not rw: $output"
	# --mount type=bind,readonly
	b_ok run --rm --mount "type=bind,source=$WORK/host,target=/m,readonly" busybox grep " /m " /proc/mounts
	[[ $output == *" ro,"* ]] || fail "not ro: $output"
	# -v makes a missing host path a directory; --mount refuses it.
	b_ok run --rm -v "$WORK/made/here:/x" busybox true
	[ -d "$WORK/made/here" ] || fail "-v did not create the host directory"
	b run --rm --mount "type=bind,source=$WORK/absent,target=/x" busybox true
	assert_eq "$status" 125
	assert_error "invalid mount config for type \"bind\": bind source path does not exist: $WORK/absent"
	[ ! -e "$WORK/absent" ] || fail "--mount created the source"
}

@test "--tmpfs and --mount type=tmpfs: a tmpfs inside, with its size and mode" {
	b_ok run --rm --tmpfs /t:size=1m,mode=1777 --mount type=tmpfs,target=/u,tmpfs-size=2m,tmpfs-mode=700 \
		busybox sh -c 'grep -E " /t | /u " /proc/mounts | sort -k2; stat -c "%a" /t /u; echo x >/t/f && cat /t/f'
	assert_eq "$(sed -n 1p <<<"$output" | cut -d' ' -f1-3)" "tmpfs /t tmpfs"
	[[ $(sed -n 1p <<<"$output") == *size=1024k* ]] || fail "size of /t: $output"
	[[ $(sed -n 1p <<<"$output") == *noexec* ]] || fail "--tmpfs is noexec by default: $output"
	assert_eq "$(sed -n 2p <<<"$output" | cut -d' ' -f1-3)" "tmpfs /u tmpfs"
	[[ $(sed -n 2p <<<"$output") == *size=2048k* ]] || fail "size of /u: $output"
	assert_eq "$(sed -n 3,5p <<<"$output")" "$(printf '1777\n700\nx')"
	# A tmpfs over the default /dev/shm replaces it.
	b_ok run --rm --tmpfs /dev/shm:size=3m busybox sh -c 'grep -c " /dev/shm " /proc/mounts; grep " /dev/shm " /proc/mounts'
	assert_eq "$(sed -n 1p <<<"$output")" 1
	[[ $output == *size=3072k* ]] || fail "the user's /dev/shm: $output"
	# No volume for a tmpfs.
	assert_eq "$(volume_rows)" ""
}

@test "image VOLUME: an anonymous volume filled with the image's files, removed with --rm" {
	import_volume_image
	b_ok create --name c1 withvol sh -c 'cat /data/hello; stat -c "%u %a" /data; echo more >/data/added'
	local vol
	vol=$(volume_rows)
	[[ $vol =~ ^[0-9a-f]{64}$ ]] || fail "not an anonymous volume: $vol"
	assert_eq "$(cat "$STORE/volumes/$vol/_data/hello")" from-image "copied up"
	assert_eq "$(stat -c '%u %a' "$STORE/volumes/$vol/_data")" "1000 750" "owner and mode copied"
	b_ok start -a c1
	assert_eq "$output" "$(printf 'from-image\n1000 750')"
	b_ok volume inspect --format '{{.Name}} {{.Driver}} {{json .Labels}}' "$vol"
	assert_eq "$output" "$vol local {\"com.docker.volume.anonymous\":\"\"}"
	b volume rm "$vol"
	assert_error "volume is in use"
	b_ok rm -v c1
	assert_eq "$(volume_rows)" "" "rm -v removed it"
	[ ! -e "$STORE/volumes/$vol" ] || fail "its directory is left"
	# run --rm removes the anonymous volume with the container.
	b_ok run --rm withvol cat /data/hello
	assert_eq "$output" from-image
	assert_eq "$(volume_rows)" ""
}

@test "image VOLUME: a named volume over it is filled once; -v covers the image's path" {
	import_volume_image
	b_ok run --rm -v keep:/data withvol sh -c 'cat /data/hello; echo changed >/data/hello'
	assert_eq "$output" from-image
	# Not empty any more: no second copy-up.
	b_ok run --rm -v keep:/data withvol cat /data/hello
	assert_eq "$output" changed
	# -v keep:/data covered the VOLUME: only the named volume exists.
	assert_eq "$(volume_rows)" keep
	# nocopy: an empty volume stays empty.
	b_ok run --rm -v empty:/data:nocopy withvol ls -A /data
	assert_eq "$output" ""
	# --rm removed the anonymous ones, never the named ones.
	b_ok run --rm withvol true
	assert_eq "$(volume_rows)" "$(printf 'empty\nkeep')"
}

@test "container config: docker's Mounts, Binds, Tmpfs and Volumes are recorded" {
	mkdir -p "$WORK/h"
	b_ok create --name cfg -v "$WORK/h:/b:ro" -v named:/n -v /anon --tmpfs /t:size=1m busybox true
	local cfg
	cfg=$(sqlite3 "$STORE/berth.db" "select config from containers where name = 'cfg'")
	assert_eq "$(jq -c '.Binds' <<<"$cfg")" "[\"$WORK/h:/b:ro\",\"named:/n\"]"
	assert_eq "$(jq -c '.Tmpfs' <<<"$cfg")" '{"/t":"size=1m"}'
	assert_eq "$(jq -c '.Volumes' <<<"$cfg")" '{"/anon":{}}'
	assert_eq "$(jq -c '.Mounts[0]' <<<"$cfg")" \
		"{\"Type\":\"bind\",\"Source\":\"$WORK/h\",\"Destination\":\"/b\",\"Mode\":\"ro\",\"RW\":false,\"Propagation\":\"rprivate\"}"
	assert_eq "$(jq -c '.Mounts[1]' <<<"$cfg")" \
		"{\"Type\":\"volume\",\"Name\":\"named\",\"Source\":\"$STORE/volumes/named/_data\",\"Destination\":\"/n\",\"Driver\":\"local\",\"Mode\":\"\",\"RW\":true,\"Propagation\":\"\"}"
	assert_eq "$(jq -r '.Mounts[2].Type + " " + .Mounts[2].Destination' <<<"$cfg")" "volume /anon"
	assert_eq "$(jq '.Mounts | length' <<<"$cfg")" 3 "--tmpfs is not in Mounts"
}

@test "volume create, ls, inspect: docker's outputs" {
	b_ok volume create --label a=1 --label b vol1
	assert_eq "$output" vol1
	b_ok volume create
	local anon=$output
	[[ $anon =~ ^[0-9a-f]{64}$ ]] || fail "generated name: $anon"
	b_ok volume create vol1
	assert_eq "$output" vol1 "an existing volume is fine"
	b_ok volume ls -q
	assert_eq "$output" "$(printf '%s\nvol1' "$anon")"
	b_ok volume ls --filter label=a=1 --format '{{.Name}} {{.Driver}} {{.Scope}} {{.Labels}}'
	assert_eq "$output" "vol1 local local a=1,b="
	b_ok volume ls -q --filter name=ol
	assert_eq "$output" vol1
	b_ok volume inspect vol1
	assert_eq "$(jq -r '.[0] | [.Name, .Driver, .Mountpoint, .Scope, (.Labels|tojson), (.Options|tojson)] | join(" ")' <<<"$output")" \
		"vol1 local $STORE/volumes/vol1/_data local {\"a\":\"1\",\"b\":\"\"} null"
	[[ $(jq -r '.[0].CreatedAt' <<<"$output") =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(Z|[+-][0-9]{2}:[0-9]{2})$ ]] ||
		fail "CreatedAt: $output"
	assert_eq "$(jq -r '.[0] | keys | join(",")' <<<"$output")" "CreatedAt,Driver,Labels,Mountpoint,Name,Options,Scope"
	b volume inspect nope
	assert_eq "$status" 1
	assert_error "No such volume: nope"
	b volume create 'bad name'
	assert_error 'create bad name: "bad name" includes invalid characters for a local volume name'
	b volume create -o foo=bar vol2
	assert_error 'create vol2: invalid option: "foo"'
	assert_eq "$(volume_rows)" "$(printf '%s\nvol1' "$anon")"
	[ ! -e "$STORE/volumes/vol2" ] || fail "a refused volume left a directory"
}

@test "volume create -o type=tmpfs: mounted while a container runs with it, shared by those" {
	b_ok volume create -o type=tmpfs -o device=tmpfs -o o=size=1m tv
	b_ok run -d --name holder -v tv:/v busybox sh -c 'echo kept >/v/f; sleep 100'
	b_ok run --rm -v tv:/v busybox sh -c 'cat /v/f; df -k /v | tail -1'
	[[ $output == kept*" 1024 "* ]] || fail "not the holder's 1m tmpfs: $output"
	grep -q " $STORE/volumes/tv/_data " /proc/self/mountinfo || fail "not mounted on the host"
	# The second container's end leaves it mounted for the first; the
	# first's end unmounts it, and its files go (docker's local driver).
	b_ok stop -t 1 holder
	! grep -q " $STORE/volumes/tv/_data " /proc/self/mountinfo ||
		fail "still mounted with no container running"
	b_ok start holder
	local i
	for i in $(seq 50); do
		b exec holder cat /v/f
		[ "$output" = kept ] && break
		sleep 0.1
	done
	assert_eq "$output" kept "the holder wrote it again"
	b_ok rm -f holder
	! grep -q " $STORE/volumes/tv/_data " /proc/self/mountinfo || fail "mounted after rm -f"
	b_ok run --rm -v tv:/v busybox sh -c 'ls /v | wc -l'
	assert_eq "$output" 0 "a fresh tmpfs"
	# A created container does not hold it; after a reboot-like unmount,
	# starting one mounts it again rather than showing the bare directory.
	b_ok create --name again -v tv:/v busybox sh -c 'df -k /v | tail -1'
	! grep -q " $STORE/volumes/tv/_data " /proc/self/mountinfo || fail "mounted by create"
	b start -a again
	assert_eq "$status" 0
	[[ $output == *" 1024 "* ]] || fail "not remounted: $output"
	b_ok rm again
	b_ok volume rm tv
	! grep -q " $STORE/volumes/tv/_data " /proc/self/mountinfo || fail "still mounted"
	[ ! -e "$STORE/volumes/tv" ] || fail "directory left"
}

@test "volume rm: refuses a volume in use; rm -v removes anonymous volumes only" {
	b_ok create --name user -v used:/u -v /anon busybox true
	local id=$output
	b volume rm used
	assert_eq "$status" 1
	assert_error "remove used: volume is in use - [$id]"
	b volume rm -f used
	assert_error "volume is in use"
	b volume rm missing
	assert_error "get missing: no such volume"
	b_ok volume rm -f missing
	assert_eq "$(volume_rows | wc -l)" 2
	b_ok rm -v user
	assert_eq "$(volume_rows)" used "the named volume stays, the anonymous one went"
	[ "$(ls "$STORE/volumes")" = used ] || fail "volume dirs: $(ls "$STORE/volumes")"
	b_ok volume rm used
	assert_eq "$output" used
	assert_eq "$(volume_rows)" ""
	# rm without -v keeps anonymous volumes.
	b_ok create -v /anon busybox true
	b_ok rm "$output"
	assert_eq "$(volume_rows | wc -l)" 1
}

@test "volume prune: anonymous unused volumes, all with -a" {
	b_ok volume create named
	b_ok create -v /a1 busybox true
	b_ok rm "$output"
	local anon
	anon=$(sqlite3 "$STORE/berth.db" "select name from volumes where anonymous")
	echo 12345 >"$STORE/volumes/$anon/_data/f"
	b_ok create --name keeper -v /a2 -v kept:/k busybox true
	b_ok volume prune -f
	assert_eq "$output" "$(printf 'Deleted Volumes:\n%s\n\nTotal reclaimed space: 6B' "$anon")"
	b_ok volume prune -f
	assert_eq "$output" "Total reclaimed space: 0B"
	b_ok volume prune -f -a
	assert_eq "$output" "$(printf 'Deleted Volumes:\nnamed\n\nTotal reclaimed space: 0B')"
	assert_eq "$(volume_rows | wc -l)" 2 "the volumes of keeper stay"
	b_ok rm -v keeper
	b_ok volume prune -af
	assert_eq "$(volume_rows)" ""
}

@test "bad specs: exit 125 and nothing left (no container, volume, directory or mount)" {
	store_state >"$BATS_TEST_TMPDIR/state.before"
	local spec
	while IFS='|' read -r flag spec msg; do
		b run --rm "$flag" "$spec" busybox true
		assert_eq "$status" 125 "$flag $spec"
		assert_error "$msg"
	done <<-EOF
		-v|/a:/b:q|invalid mode: q
		-v|/foo:rw|invalid volume specification: '/foo:rw'
		-v|/a:/b:c:d|invalid volume specification: '/a:/b:c:d'
		-v|x:/|invalid volume specification: 'x:/': invalid mount config for type "volume": invalid specification: destination can't be '/'
		-v|a b:/x|create a b: "a b" includes invalid characters
		-v|rel|invalid mount path: 'rel' mount path must be absolute
		--mount|type=bind,target=/x,bogus|invalid argument "type=bind,target=/x,bogus" for "--mount" flag: invalid field 'bogus' must be a key=value pair
		--mount|source=v1|target is required
		--mount|type=foo,target=/x|invalid mount config for type "foo": mount type unknown
		--mount|type=volume,target=/x,ro|must not set ReadOnly mode when using anonymous volumes
		--tmpfs|/t:foo|invalid tmpfs option ["foo"]
		--tmpfs|rel|invalid mount path: 'rel' mount path must be absolute
	EOF
	b run --rm -v newvol:/x -v /dup -v /h:/dup busybox true
	assert_eq "$status" 125
	assert_error "Duplicate mount point: /dup"
	# A failure after the volumes were made undoes them: a bad working
	# directory fails while the bundle is written.
	b run --rm -v newvol:/x -v /anon -w relative busybox true
	assert_eq "$status" 125
	assert_error "working directory"
	assert_eq "$(volume_rows)" ""
	[ ! -e "$STORE/volumes" ] || [ -z "$(ls -A "$STORE/volumes")" ] || fail "volume dirs left: $(ls -A "$STORE/volumes")"
	assert_eq "$(sqlite3 "$STORE/berth.db" 'select count(*) from containers')" 0
	! grep -q " $STORE/" /proc/self/mountinfo || fail "a mount is left"
	# The store is as it was, but for the empty volumes directory.
	rmdir "$STORE/volumes" 2>/dev/null || true
	assert_store_unchanged "$BATS_TEST_TMPDIR/state.before"
}
