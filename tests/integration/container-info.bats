#!/usr/bin/env bats
# The commands that look at and manage containers (inspect, rename, pause,
# unpause, top, stats, port, logs --since/--until, container prune, info,
# version), each checked against what really ran: the host's /proc, the
# container's cgroup files, the processes' own view.

load container-helpers

# The container's cgroup directory under one v1 controller (or v2).
cgroup_dir() {
	local d
	d=$(find "/sys/fs/cgroup/$2" -maxdepth 6 -type d -name "berth-$1" 2>/dev/null | head -1)
	[ -n "$d" ] || d=$(find /sys/fs/cgroup/unified /sys/fs/cgroup -maxdepth 6 -type d \
		-name "berth-$1" 2>/dev/null | head -1)
	echo "$d"
}

# go-units BytesSize: "%.4g" of the value in the largest binary unit under it.
bytes_size() {
	awk -v b="$1" 'BEGIN { split("B KiB MiB GiB TiB", u, " "); i = 1;
		while (b >= 1024 && i < 5) { b /= 1024; i++ } printf "%.4g%s\n", b, u[i] }'
}

id_of() {
	sqlite3 "$STORE/berth.db" "select id from containers where name = '$1'"
}

@test "inspect: docker's fields, filled from what really runs" {
	b_ok run -d --name web -e A=1 -e B=two --label tier=web --read-only -w /tmp busybox \
		sleep 1000
	local id=$output pid
	b_ok inspect web
	# One valid JSON array, indented by four spaces as docker's.
	jq -e 'length == 1' <<<"$output" >/dev/null || fail "not one object: $output"
	assert_eq "$(sed -n 2,3p <<<"$output")" "$(printf '    {\n        "Id": "%s",' "$id")"
	assert_eq "$(jq -r '.[0] | keys_unsorted | join(" ")' <<<"$output")" \
		"Id Created Path Args State Image ResolvConfPath HostnamePath HostsPath LogPath Name RestartCount Driver Platform MountLabel ProcessLabel AppArmorProfile ExecIDs HostConfig GraphDriver Mounts Config NetworkSettings"
	assert_eq "$(jq -r '.[0].State | keys_unsorted | join(" ")' <<<"$output")" \
		"Status Running Paused Restarting OOMKilled Dead Pid ExitCode Error StartedAt FinishedAt"
	assert_eq "$(jq -r '.[0].Config | keys_unsorted | join(" ")' <<<"$output")" \
		"Hostname Domainname User AttachStdin AttachStdout AttachStderr Tty OpenStdin StdinOnce Env Cmd Image Volumes WorkingDir Entrypoint OnBuild Labels"
	# The pid is the container's init on the host: sleep, in its own pid
	# namespace, seeing itself as pid 1.
	pid=$(jq -r '.[0].State.Pid' <<<"$output")
	[ "$pid" -gt 1 ] || fail "no pid: $pid"
	assert_eq "$(tr '\0' ' ' </proc/$pid/cmdline)" "sleep 1000 "
	[ "$(readlink /proc/$pid/ns/pid)" != "$(readlink /proc/self/ns/pid)" ] ||
		fail "the pid is not in the container's pid namespace"
	assert_eq "$(awk '/^NSpid:/ { print $NF }' /proc/$pid/status)" 1
	assert_eq "$(jq -r '.[0].State | "\(.Status) \(.Running) \(.Paused) \(.ExitCode)"' <<<"$output")" \
		"running true false 0"
	assert_eq "$(jq -r '.[0].Name' <<<"$output")" /web
	assert_eq "$(jq -r '.[0].Image' <<<"$output")" "$IMAGE_ID"
	assert_eq "$(jq -r '.[0].Config.Image' <<<"$output")" busybox
	assert_eq "$(jq -r '.[0].Path + " " + (.[0].Args | join(" "))' <<<"$output")" "sleep 1000"
	assert_eq "$(jq -r '.[0].Config.Labels.tier' <<<"$output")" web
	assert_eq "$(jq -r '.[0].Config.WorkingDir' <<<"$output")" /tmp
	assert_eq "$(jq -r '.[0].HostConfig.ReadonlyRootfs' <<<"$output")" true
	assert_eq "$(jq -r '.[0].HostConfig.NetworkMode' <<<"$output")" none
	assert_eq "$(jq -r '.[0].HostConfig.LogConfig.Type' <<<"$output")" json-file
	# Config.Env holds what the process has (its own view, /proc/PID/environ).
	local env
	for env in $(jq -r '.[0].Config.Env[]' <<<"$output"); do
		tr '\0' '\n' </proc/$pid/environ | grep -qx -- "$env" || fail "$env not in the process env"
	done
	assert_eq "$(jq -r '.[0].Config.Env | join(" ")' <<<"$output")" "A=1 B=two"
	# The masked paths are those the process really has masked.
	for p in $(jq -r '.[0].HostConfig.MaskedPaths[]' <<<"$output"); do
		[ ! -e "/proc/$pid/root$p" ] || [ "$(stat -c %s "/proc/$pid/root$p" 2>/dev/null)" = 0 ] ||
			[ -z "$(ls -A "/proc/$pid/root$p" 2>/dev/null)" ] || fail "$p is not masked"
	done
	# The paths it names are the container's files.
	assert_eq "$(cat "$(jq -r '.[0].HostnamePath' <<<"$output")")" "${id:0:12}"
	# docker's log path (the file is made with the first record: this
	# container has printed nothing yet).
	assert_eq "$(jq -r '.[0].LogPath' <<<"$output")" "$STORE/containers/$id/$id-json.log"
	[ -d "$(jq -r '.[0].GraphDriver.Data.MergedDir' <<<"$output")/bin" ] || fail "no merged dir"
	# The init layer is the top lower dir, and holds the mount points.
	assert_eq "$(jq -r '.[0].GraphDriver.Data.LowerDir' <<<"$output" | cut -d: -f1)" "$STORE/init-2"
	[ -f "$STORE/init-2/etc/hosts" ] && [ -d "$STORE/init-2/proc" ] && [ -f "$STORE/init-2/.dockerenv" ] || fail "the init layer: $(ls -R "$STORE/init-2")"
	[ -z "$(ls -A "$(jq -r '.[0].GraphDriver.Data.UpperDir' <<<"$output")")" ] ||
		fail "the runtime made mount points in the upper dir: $(ls -A "$(jq -r '.[0].GraphDriver.Data.UpperDir' <<<"$output")")"
	# Templates, as docker's --format.
	b_ok inspect -f '{{.State.Pid}} {{.Name}} {{json .Config.Cmd}}' web
	assert_eq "$output" "$pid /web [\"sleep\",\"1000\"]"
	b_ok container inspect --format '{{index .Config.Labels "tier"}}' "${id:0:8}"
	assert_eq "$output" web
	# -s: the writable layer's size, after 100000 bytes were written there.
	b_ok inspect -f '{{.GraphDriver.Data.MergedDir}}' web
	head -c 100000 /dev/zero >"$output/big"
	b_ok inspect -s -f '{{.SizeRw}} {{.SizeRootFs}}' web
	local rw root
	read -r rw root <<<"$output"
	[ "$rw" -ge 100000 ] || fail "SizeRw $rw"
	[ "$root" -gt "$rw" ] || fail "SizeRootFs $root"
}

@test "inspect: an exited container, containers before images, missing names" {
	b run --name quits busybox sh -c 'exit 3'
	assert_eq "$status" 3
	b_ok inspect -f '{{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.State.Pid}}' quits
	assert_eq "$output" "exited false 3 0"
	b_ok inspect -f '{{.State.StartedAt}} {{.State.FinishedAt}}' quits
	local started finished
	read -r started finished <<<"$output"
	[[ $started < $finished ]] || fail "started $started, finished $finished"
	# A container named like an image: the container first, as docker.
	b_ok create --name busybox busybox true
	b_ok inspect -f '{{.Name}}' busybox
	assert_eq "$output" /busybox
	b_ok inspect --type image -f '{{.Id}}' busybox
	assert_eq "$output" "$IMAGE_ID"
	# Missing: docker's "[]" and error, exit 1.
	b inspect nosuch
	assert_eq "$status" 1
	assert_eq "$output" "[]"
	assert_eq "$stderr" "berth: No such object: nosuch"
	b inspect -f '{{.Name}}' quits nosuch
	assert_eq "$status" 1
	assert_eq "$output" /quits
	b container inspect nosuch
	assert_eq "$stderr" "berth: No such container: nosuch"
	b inspect --type volume quits
	assert_eq "$status" 1
	assert_error "--type"
}

@test "rename: the new name finds it, the old one does not; docker's errors" {
	b_ok run -d --name old busybox sleep 1000
	local id=$output
	b_ok rename old new
	assert_eq "$output" ""
	b_ok inspect -f '{{.Id}} {{.Name}}' new
	assert_eq "$output" "$id /new"
	b inspect old
	assert_eq "$status" 1
	b_ok ps --format '{{.Names}}'
	assert_eq "$output" new
	# It is still the same running container: stop by its new name.
	b_ok create --name other busybox true
	b rename new other
	assert_eq "$status" 1
	assert_error 'Conflict. The container name "/other" is already in use by container' \
		"$(id_of other)"
	b rename new new
	assert_eq "$status" 1
	assert_error "same name"
	b rename new 'bad name'
	assert_eq "$status" 1
	assert_error "Invalid container name (bad name)"
	b rename nosuch x1
	assert_eq "$status" 1
	assert_error "No such container: nosuch"
	b_ok container rename new /newer
	b_ok stop -t 1 newer
	b_ok inspect -f '{{.State.Status}}' "$id"
	assert_eq "$output" exited
}

@test "pause and unpause: the processes are frozen and thawed; ps, inspect, stop" {
	# The counter file is replaced whole (rename), so it is never read half
	# written, even when frozen in the middle of an update.
	b_ok run -d --name counter busybox sh -c \
		'i=0; while :; do i=$((i+1)); echo $i >/tmp/n.new; mv /tmp/n.new /tmp/n; sleep 0.05; done'
	local id=$output pid
	b_ok inspect -f '{{.State.Pid}}' counter
	pid=$output
	sleep 0.3
	b_ok pause counter
	assert_eq "$output" counter
	local freezer
	freezer=$(cgroup_dir "$id" freezer)
	if [ -f "$freezer/freezer.state" ]; then
		assert_eq "$(cat "$freezer/freezer.state")" FROZEN
	else
		assert_eq "$(cat "$freezer/cgroup.freeze")" 1
	fi
	# Frozen: the counter does not move.
	local a b
	a=$(cat /proc/$pid/root/tmp/n)
	sleep 0.5
	b=$(cat /proc/$pid/root/tmp/n)
	assert_eq "$b" "$a" "counter while paused"
	b_ok ps --format '{{.Names}} {{.State}} {{.Status}}'
	[[ $output =~ ^counter\ paused\ Up\ .*\ \(Paused\)$ ]] || fail "ps: $output"
	b_ok ps --filter status=paused -q
	assert_eq "$output" "${id:0:12}"
	b_ok inspect -f '{{.State.Status}} {{.State.Running}} {{.State.Paused}}' counter
	assert_eq "$output" "paused true true"
	b pause counter
	assert_eq "$status" 1
	assert_error "Container $id is already paused"
	b_ok unpause counter
	assert_eq "$output" counter
	sleep 0.5
	b=$(cat /proc/$pid/root/tmp/n)
	[ "$b" -gt "$a" ] || fail "the counter did not resume: $a then $b"
	b unpause counter
	assert_eq "$status" 1
	assert_error "Container $id is not paused"
	# stop of a paused container: thawed and stopped, as docker does.
	b_ok pause counter
	b_ok stop -t 1 counter
	b_ok inspect -f '{{.State.Status}} {{.State.Paused}}' counter
	assert_eq "$output" "exited false"
	[ ! -d "/proc/$pid" ] || fail "the process is still there"
	b pause counter
	assert_eq "$status" 1
	assert_error "Container $id is not running"
	# kill of a paused one, and rm -f of a paused one.
	b_ok run -d --name k1 busybox sleep 1000
	b_ok container pause k1
	b_ok kill k1
	b_ok wait k1
	assert_eq "$output" 137
	b_ok run -d --name r1 busybox sleep 1000
	local r1=$output
	b_ok pause r1
	b_ok rm -f r1
	assert_no_cgroup "berth-$r1"
}

@test "top: the container's processes, from the host's ps" {
	b_ok run -d --name t1 busybox sh -c 'sleep 1001 & sleep 1002'
	local id=$output
	b_ok run -d --name t2 busybox sleep 1003
	sleep 0.3
	b_ok top t1
	assert_eq "$(head -1 <<<"$output" | tr -s ' ')" "UID PID PPID C STIME TTY TIME CMD"
	grep -q 'sleep 1001$' <<<"$output" || fail "sleep 1001 missing: $output"
	grep -q 'sleep 1002$' <<<"$output" || fail "sleep 1002 missing: $output"
	! grep -q 'sleep 1003' <<<"$output" || fail "another container's process: $output"
	# Exactly the cgroup's processes.
	local pids listed
	pids=$(sort -n "$(cgroup_dir "$id" pids)/cgroup.procs" | tr '\n' ' ')
	listed=$(tail -n +2 <<<"$output" | awk '{ print $2 }' | sort -n | tr '\n' ' ')
	assert_eq "$listed" "$pids"
	# ps options pass through.
	b_ok top t2 -o pid,comm
	assert_eq "$(tr -s ' ' <<<"$output")" "$(printf 'PID COMMAND\n%s sleep' \
		"$(docker_pid t2)")"
	b_ok stop -t 0 t2
	b top t2
	assert_eq "$status" 1
	assert_error "is not running"
	b top t1 -o comm
	assert_eq "$status" 1
	assert_error "Couldn't find PID field in ps output"
}

docker_pid() {
	"$BERTH" --root "$STORE" inspect -f '{{.State.Pid}}' "$1"
}

@test "stats --no-stream: memory and pids as the cgroup counts them, cpu from two samples" {
	b_ok run -d --name idle busybox sh -c 'sleep 1000 & sleep 1000 & wait'
	local id=$output
	b_ok run -d --name busy busybox sh -c 'while :; do :; done'
	sleep 0.5
	b_ok stats --no-stream
	assert_eq "$(head -1 <<<"$output")" \
		"CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O   BLOCK I/O   PIDS"
	assert_eq "$(wc -l <<<"$output")" 3
	# pids: pids.current of the container's cgroup.
	b_ok stats --no-stream --format '{{.Name}} {{.PIDs}}' idle
	assert_eq "$output" "idle $(cat "$(cgroup_dir "$id" pids)/pids.current")"
	assert_eq "$output" "idle 3"
	# memory: usage less the inactive file cache, as docker's CLI shows it,
	# of the limit (none: the host's memory).
	local mem usage inactive want i
	mem=$(cgroup_dir "$id" memory)
	for i in 1 2 3; do
		b_ok stats --no-stream --format '{{.MemUsage}}' idle
		if [ -f "$mem/memory.usage_in_bytes" ]; then
			usage=$(cat "$mem/memory.usage_in_bytes")
			inactive=$(awk '$1 == "total_inactive_file" { print $2 }' "$mem/memory.stat")
		else
			usage=$(cat "$mem/memory.current")
			inactive=$(awk '$1 == "inactive_file" { print $2 }' "$mem/memory.stat")
		fi
		[ "${inactive:-0}" -lt "$usage" ] && usage=$((usage - inactive))
		want="$(bytes_size "$usage") / $(bytes_size "$(awk '/^MemTotal/ { print $2 * 1024 }' /proc/meminfo)")"
		[ "$output" = "$want" ] && break
	done
	assert_eq "$output" "$want" "memory"
	# cpu: a spinning shell takes a good share of a cpu (of what a loaded
	# host gives it), the sleeping one none.
	b_ok stats --no-stream --format '{{.Name}} {{.CPUPerc}}' busy idle
	local busy idle
	busy=$(awk '/^busy/ { sub("%", "", $2); print int($2) }' <<<"$output")
	idle=$(awk '/^idle/ { sub("%", "", $2); print $2 }' <<<"$output")
	[ "$busy" -ge 10 ] || fail "busy container's cpu: $output"
	assert_eq "$idle" 0.00 "idle container's cpu"
	# json rows, -a shows stopped ones, names given that are not there.
	b_ok stop -t 0 busy
	b_ok stats --no-stream --format json
	assert_eq "$(jq -r .Name <<<"$output")" idle
	b_ok stats --no-stream -a --format '{{.Name}} {{.CPUPerc}} {{.PIDs}}'
	assert_eq "$(sort <<<"$output")" "$(printf 'busy 0.00%% 0\nidle 0.00%% 3')"
	b stats --no-stream nosuch
	assert_eq "$status" 125
	assert_error "No such container: nosuch"
	# Streaming redraws the table with an ANSI clear, like docker.
	timeout 3 "$BERTH" --root "$STORE" stats idle >"$BATS_TEST_TMPDIR/stream" || true
	grep -q $'\033\[2J\033\[H' "$BATS_TEST_TMPDIR/stream" || fail "no redraw"
	[ "$(grep -c 'CONTAINER ID' "$BATS_TEST_TMPDIR/stream")" -ge 2 ] || fail "one frame only"
	# Without names it follows what runs: a container started meanwhile joins.
	timeout 4 "$BERTH" --root "$STORE" stats >"$BATS_TEST_TMPDIR/all" &
	local watcher=$!
	sleep 1
	b_ok run -d --name joiner busybox sleep 1000
	wait "$watcher" || true
	tail -3 "$BATS_TEST_TMPDIR/all" | grep -q ' joiner ' || fail "joiner not shown: $(cat "$BATS_TEST_TMPDIR/all")"
}

@test "logs --since and --until: only the records in the window" {
	b_ok run --name talk busybox sh -c 'echo early; sleep 1.5; echo late'
	b_ok logs -t talk
	local t_early t_late
	t_early=$(awk '/ early$/ { print $1 }' <<<"$output")
	t_late=$(awk '/ late$/ { print $1 }' <<<"$output")
	b_ok logs --since "$t_late" talk
	assert_eq "$output" late
	b_ok logs --until "$t_early" talk
	assert_eq "$output" early
	b_ok logs --since "$t_early" --until "$t_late" talk
	assert_eq "$output" "$(printf 'early\nlate')"
	# Unix seconds, and durations back from now.
	local early_s=$(date -d "$t_early" +%s)
	b_ok logs --since "$((early_s + 1))" talk
	assert_eq "$output" late
	b_ok logs --since 1h talk
	assert_eq "$output" "$(printf 'early\nlate')"
	b_ok logs --until 1h talk
	assert_eq "$output" ""
	b_ok container logs --tail 1 --since 1h talk
	assert_eq "$output" late
	b logs --since yesterday talk
	assert_eq "$status" 1
	assert_error 'invalid value for "since"' yesterday
}

@test "container prune: only stopped containers go, with docker's report" {
	b_ok run -d --name up busybox sleep 1000
	b_ok run --name done1 busybox sh -c 'head -c 50000 /dev/zero >/junk'
	local d1=$(id_of done1)
	b_ok run --name done2 --label keep=yes busybox true
	local d2=$(id_of done2)
	b_ok create --name fresh busybox true
	local fresh=$(id_of fresh)
	# Without -f it asks; "n" keeps everything.
	echo n >"$BATS_TEST_TMPDIR/no"
	b_in "$BATS_TEST_TMPDIR/no" container prune
	assert_eq "$output" "$(printf 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ')"
	assert_eq "$(sqlite3 "$STORE/berth.db" 'select count(*) from containers')" 4
	# A label filter: only the others.
	b_ok container prune -f --filter 'label!=keep'
	assert_eq "$(sed -n 1p <<<"$output")" "Deleted Containers:"
	assert_eq "$(sed -n '2,3p' <<<"$output" | sort)" "$(printf '%s\n%s' "$d1" "$fresh" | sort)"
	# done1's writable layer holds its 50000 bytes
	[[ $(tail -1 <<<"$output") =~ ^Total\ reclaimed\ space:\ ([0-9.]+)kB$ ]] ||
		fail "reclaimed: $output"
	[ "${BASH_REMATCH[1]%.*}" -ge 50 ] || fail "reclaimed: $output"
	[ ! -e "$STORE/containers/$d1" ] || fail "container dir left"
	echo y >"$BATS_TEST_TMPDIR/yes"
	b_in "$BATS_TEST_TMPDIR/yes" container prune
	grep -qx "$d2" <<<"$output" || fail "done2 not pruned: $output"
	b_ok ps -a --format '{{.Names}}'
	assert_eq "$output" up
	b_ok container prune -f
	assert_eq "$output" "Total reclaimed space: 0B"
	b container prune -f --filter until=nonsense
	assert_eq "$status" 125
	b container prune -f --filter color=red
	assert_eq "$status" 125
	assert_error "invalid filter 'color'"
}

@test "port: none published; a private port that is not" {
	b_ok run -d --name p1 busybox sleep 1000
	b_ok port p1
	assert_eq "$output" ""
	b port p1 80
	assert_eq "$status" 1
	assert_error "No public port '80/tcp' published for p1"
	b port p1 53/udp
	assert_error "No public port '53/udp' published for p1"
	b port nosuch
	assert_error "No such container: nosuch"
}

@test "info and version: docker's shape, the store's counts" {
	b_ok run -d --name i1 busybox sleep 1000
	b_ok run -d --name i2 busybox sleep 1000
	b_ok pause i2
	b_ok create --name i3 busybox true
	b_ok info
	grep -qx 'Server:' <<<"$output" || fail "no Server section: $output"
	grep -qx ' Containers: 3' <<<"$output" || fail "containers: $output"
	grep -qx '  Running: 1' <<<"$output" || fail "running: $output"
	grep -qx '  Paused: 1' <<<"$output" || fail "paused: $output"
	grep -qx '  Stopped: 1' <<<"$output" || fail "stopped: $output"
	grep -qx ' Images: 1' <<<"$output" || fail "images: $output"
	grep -qx ' Logging Driver: json-file' <<<"$output" || fail "logging: $output"
	grep -qx " Kernel Version: $(uname -r)" <<<"$output" || fail "kernel: $output"
	grep -qx " CPUs: $(nproc)" <<<"$output" || fail "cpus: $output"
	grep -qx " Docker Root Dir: $STORE" <<<"$output" || fail "root: $output"
	b_ok info --format '{{.Containers}} {{.ContainersPaused}} {{.Driver}} {{.OSType}}'
	assert_eq "$output" "3 1 $(sqlite3 "$STORE/berth.db" 'select driver from snapshots limit 1') linux"
	b_ok info --format json
	assert_eq "$(jq -r .ClientInfo.Version <<<"$output")" \
		"$("$BERTH" --version | awk 'NR == 1 { print $3 }')"
	b_ok version
	assert_eq "$(sed -n 1p <<<"$output")" "Client: Berth"
	grep -qx " Version:           $("$BERTH" --version | awk 'NR == 1 { print $3 }')" <<<"$output" ||
		fail "version line: $output"
	grep -qx ' Engine:' <<<"$output" || fail "no engine: $output"
	b_ok version --format '{{.Client.Version}} {{.Server.Os}}'
	assert_eq "$output" "$("$BERTH" --version | awk 'NR == 1 { print $3 }') linux"
}

@test "the container group: docker's management command names" {
	b_ok container run -d --name g1 busybox sleep 1000
	b_ok container ls --format '{{.Names}}'
	assert_eq "$output" g1
	b_ok container list -a -q
	assert_eq "$output" "$(id_of g1 | cut -c1-12)"
	b_ok container top g1 -o pid
	b_ok container stats --no-stream --format '{{.Name}}'
	assert_eq "$output" g1
	b_ok container port g1
	b_ok container stop -t 0 g1
	b_ok container rm g1
	b container nosuch
	[ "$status" != 0 ] || fail "an unknown container command worked"
}
