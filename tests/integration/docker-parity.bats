#!/usr/bin/env bats
# Side by side with docker: each case runs the same command line against
# Berth and, when a docker daemon can be started here (Debian's docker.io:
# dockerd with its own data root, in a network namespace of this file's
# own, --bridge=none --iptables=false, vfs storage, its containers'
# cgroups under one parent that teardown removes), against docker 20.10
# too, with the same busybox image. It asserts what Berth must do and that
# docker did the same: exit status and output, and the gist of the error.
# Without dockerd the docker half is skipped (said once per case on fd 3).

load container-helpers
load dockerd-helpers

DK_NAME=berth-parity-$$

setup_file() {
	dockerd_start "$DK_NAME"
}

teardown_file() {
	dockerd_stop "$DK_NAME"
}

setup() {
	container_setup
}

teardown() {
	if [ -n "${DK:-}" ]; then
		# shellcheck disable=SC2046
		$DK rm -f $($DK ps -aq) >/dev/null 2>&1
	fi
	container_teardown
}

# both [--in FILE] ARGS...: ARGS against Berth (B_STATUS, B_OUT, B_ERR) and
# against docker (D_STATUS, D_OUT, D_ERR; D_STATUS is "" without docker).
both() {
	local in=/dev/null d=$BATS_TEST_TMPDIR
	if [ "$1" = --in ]; then
		in=$2
		shift 2
	fi
	B_STATUS=0
	timeout 120 "$BERTH" --root "$STORE" "$@" <"$in" >"$d/b.out" 2>"$d/b.err" || B_STATUS=$?
	B_OUT=$(cat "$d/b.out")
	B_ERR=$(cat "$d/b.err")
	D_STATUS="" D_OUT="" D_ERR=""
	[ -n "${DK:-}" ] || return 0
	D_STATUS=0
	# shellcheck disable=SC2086
	timeout 120 $DK "$@" <"$in" >"$d/d.out" 2>"$d/d.err" || D_STATUS=$?
	D_OUT=$(cat "$d/d.out")
	D_ERR=$(cat "$d/d.err")
}

# same STATUS [STDOUT]: Berth exited STATUS (and printed STDOUT), and so did
# docker.
same() {
	assert_eq "$B_STATUS" "$1" "berth's status (stderr: $B_ERR)"
	[ $# -lt 2 ] || assert_eq "$B_OUT" "$2" "berth's output"
	if [ -z "$D_STATUS" ]; then
		echo "# docker half skipped: no docker daemon" >&3
		return 0
	fi
	assert_eq "$D_STATUS" "$1" "docker's status (stderr: $D_ERR)"
	[ $# -lt 2 ] || assert_eq "$D_OUT" "$2" "docker's output"
}

# err_says REGEX: both error outputs match it (docker 20.10 prints some
# errors, exec's among them, on stdout).
err_says() {
	grep -qE "$1" <<<"$B_ERR" || fail "berth's error '$B_ERR' does not say /$1/"
	[ -z "$D_STATUS" ] || grep -qE "$1" <<<"$D_ERR$D_OUT" ||
		fail "docker's error '$D_ERR$D_OUT' does not say /$1/"
}

@test "parity: a missing -w directory is made, root's, 0755 (run)" {
	both run --rm -w /made/here busybox sh -c 'pwd; stat -c "%U %a" /made /made/here'
	same 0 "/made/here
root 755
root 755"
}

@test "parity: exec -w of a missing directory fails with 126 (docker makes it only at run)" {
	both run -d --name wd busybox sleep 300
	both exec -w /no/such/dir wd pwd
	same 126
	err_says "/no/such/dir"
}

@test "parity: /.dockerenv is there, empty, 0755, and not a change" {
	both run --name de busybox stat -c '%s %a %U' /.dockerenv
	same 0 "0 755 root"
	both diff de
	same 0 ""
}

@test "parity: an invalid reference says so (125)" {
	both run --rm UPPER:tag true
	same 125 ""
	err_says "invalid reference format"
	both run --rm 'a@@b' true
	same 125 ""
	err_says "invalid reference format"
}

@test "parity: rm -f of a missing container tells it and succeeds" {
	both rm -f nosuch
	same 0 ""
	err_says "No such container: nosuch"
	both rm nosuch
	same 1 ""
	err_says "No such container: nosuch"
}

@test "parity: stop and rm -f of a running --rm container succeed" {
	both run -d --rm --name r1 busybox sleep 300
	both run -d --rm --name r2 busybox sleep 300
	both stop -t 1 r1
	same 0 r1
	both rm -f r2
	same 0 r2
}

@test "parity: load -q still says what it loaded" {
	local tar=$BATS_TEST_TMPDIR/img.tar
	b_ok tag busybox parity-load:1
	b_ok save -o "$tar" parity-load:1
	both load -q -i "$tar"
	same 0 "Loaded image: parity-load:1"
}

@test "parity: ctrl-p ctrl-q in piped stdin is data, and --rm removes" {
	printf 'abc\x10\x11def\n' >"$BATS_TEST_TMPDIR/in"
	both --in "$BATS_TEST_TMPDIR/in" run -i --rm --name pi busybox od -An -c
	same 0 "   a   b   c 020 021   d   e   f  \\n"
	wait_no_containers || fail "the --rm container is left"
}

@test "parity: 64 KiB of zeros and 200000 lines through an attached run arrive whole" {
	local want
	both run --rm busybox head -c 65536 /dev/zero
	same 0
	assert_eq "$(wc -c <"$BATS_TEST_TMPDIR/b.out")" 65536 "berth's bytes"
	[ -z "$D_STATUS" ] || assert_eq "$(wc -c <"$BATS_TEST_TMPDIR/d.out")" 65536 "docker's bytes"
	want=$(seq 1 200000 | md5sum | cut -d' ' -f1)
	both run --rm busybox seq 1 200000
	same 0
	assert_eq "$(md5sum <"$BATS_TEST_TMPDIR/b.out" | cut -d' ' -f1)" "$want" "berth's lines"
	[ -z "$D_STATUS" ] || assert_eq "$(md5sum <"$BATS_TEST_TMPDIR/d.out" | cut -d' ' -f1)" \
		"$want" "docker's lines"
}

@test "parity: exec returns the command's status; a missing program or container" {
	both run -d --name ex busybox sleep 300
	both exec ex sh -c 'exit 4'
	same 4 ""
	both exec ex nosuchcmd
	same 126
	err_says 'nosuchcmd.*executable file not found in \$PATH'
	both exec nosuch true
	same 1 ""
	err_says "No such container: nosuch"
}

@test "parity: running a directory is 126, a missing program 127" {
	both run --rm busybox /tmp
	same 126 ""
	err_says '"/tmp": [Pp]ermission denied'
	both run --rm busybox nosuchcmd
	same 127 ""
	err_says 'nosuchcmd.*executable file not found in \$PATH'
}

@test "parity: the user's groups: the primary first, /etc/group's, --group-add's" {
	both run --rm -u 1000 busybox id
	same 0 "uid=1000 gid=0(root) groups=0(root)"
	both run --rm --group-add 27 -u nobody busybox id
	same 0 "uid=65534(nobody) gid=65534(nogroup) groups=27,65534(nogroup)"
	both run --rm --group-add nogroup --group-add 65534 --group-add 5 busybox id
	same 0 "uid=0(root) gid=0(root) groups=0(root),5(tty),65534(nogroup)"
	both run -d --name grp --group-add 5 busybox sleep 300
	same 0
	both exec -u nobody grp id
	same 0 "uid=65534(nobody) gid=65534(nogroup) groups=5(tty),65534(nogroup)"
	both run --rm --group-add nosuchgroup busybox true
	same 125 ""
	err_says "Unable to find group nosuchgroup"
}

@test "parity: --network host: the host's name, unless -h" {
	both run --rm --network host busybox sh -c 'hostname; cat /etc/hostname'
	same 0 "$(uname -n)
$(uname -n)"
	both run --rm --network host -h named busybox hostname
	same 0 named
}

@test "parity: exit statuses of the container commands: 1 for their errors, 125 for a bad flag" {
	local cmd
	for cmd in start stop restart kill wait logs top pause unpause attach; do
		both "$cmd" nosuch
		same 1 ""
		err_says "No such container: nosuch"
	done
	both rename nosuch other
	same 1 ""
	both stop --bogus nosuch
	same 125 ""
	err_says "unknown flag: --bogus"
	both stop
	same 1 ""
}

@test "parity: --privileged gives the container the host's devices" {
	local want node
	both run --rm --privileged busybox ls /dev
	if [ -n "$D_STATUS" ] && [ "$D_STATUS" != 0 ] && grep -q "unable to apply caps" <<<"$D_ERR"; then
		# runc asks for every capability it knows, more than this
		# host's bounding set has; Berth gives what the host has.
		echo "# docker half skipped: runc cannot run --privileged on this host" >&3
		D_STATUS=""
	fi
	same 0
	[ -z "$D_STATUS" ] || assert_eq "$B_OUT" "$D_OUT" "/dev, berth's against docker's"
	# Every device node at the top of the host's /dev is there (but the
	# console, which a container has with -t only).
	for node in /dev/*; do
		[ -c "$node" ] || [ -b "$node" ] || continue
		[ "$node" != /dev/console ] || continue
		grep -qx "${node#/dev/}" <<<"$B_OUT" || fail "${node} is missing: $B_OUT"
	done
	# And without --privileged, only the standard ones.
	both run --rm busybox ls /dev
	same 0
	[ -z "$D_STATUS" ] || assert_eq "$B_OUT" "$D_OUT" "/dev without --privileged"
	want=$(grep -vxE 'console|core|fd|full|mqueue|null|ptmx|pts|random|shm|stderr|stdin|stdout|tty|urandom|zero' <<<"$B_OUT") || true
	assert_eq "$want" "" "nodes beyond the standard ones without --privileged"
}

@test "parity: ps --filter: regular expressions, either value of a key, every key, docker's errors" {
	both run -d --name app busybox sleep 300
	both run -d --name app2 --label tier=web busybox sleep 300
	both create --name made busybox true
	both run --name ex3 busybox sh -c 'exit 3'
	both ps --filter 'name=^app$' --format '{{.Names}}'
	same 0 app
	both ps --filter name=app --format '{{.Names}}'
	same 0 "app2
app"
	both ps --filter status=exited --filter status=created --format '{{.Names}}'
	same 0 "ex3
made"
	both ps -a --filter exited=3 --format '{{.Names}}'
	same 0 ex3
	both ps --filter exited=3 --format '{{.Names}}'
	same 0 ""
	both ps --filter label=tier --format '{{.Names}}'
	same 0 app2
	both ps --filter label=tier=web --filter name=app --format '{{.Names}}'
	same 0 app2
	both ps -a --filter before=app2 --format '{{.Names}}'
	same 0 app
	both ps -a --filter since=made --format '{{.Names}}'
	same 0 ex3
	both ps --filter ancestor=busybox --format '{{.Names}}'
	same 0 "app2
app"
	both ps -a --filter status=running --filter name=app2 --format '{{.Names}}'
	same 0 app2
	both ps --filter bogus=1
	same 1 ""
	err_says "Invalid filter 'bogus'"
	both ps --filter status=sleeping
	same 1 ""
	err_says "Invalid filter 'status=sleeping'"
	both ps --filter noequals
	same 125 ""
	err_says "bad format of filter"
}

@test "parity: inspect and ps template fields docker has" {
	both create --name tf --network none --tmpfs /run/x:size=1m -v "$BATS_TEST_TMPDIR:/b" \
		-v /anon busybox true
	same 0
	both inspect -f '{{json .HostConfig.Init}} {{json .HostConfig.Tmpfs}} {{json .Config.Entrypoint}}' tf
	same 0 'null {"/run/x":"size=1m"} null'
	# (A bind's .Name is "" in docker's templates, a Go struct's zero
	# value; Berth's JSON has no such key, as docker's JSON has none.)
	both inspect -f '{{range .Mounts}}{{.Type}}|{{end}}' tf
	[ -z "$D_STATUS" ] || assert_eq "$(tr '|' '\n' <<<"$B_OUT" | sort)" \
		"$(tr '|' '\n' <<<"$D_OUT" | sort)" "mount types"
	both ps -a --filter name=tf --format '{{.Networks}} {{.LocalVolumes}}'
	same 0 "none 1"
	both ps -a --filter name=tf --format '{{json .}}'
	same 0
	assert_eq "$(jq -r 'keys | join(",")' <<<"$B_OUT")" \
		"Command,CreatedAt,ID,Image,Labels,LocalVolumes,Mounts,Names,Networks,Ports,RunningFor,Size,State,Status" \
		"ps {{json .}} keys"
	[ -z "$D_STATUS" ] || assert_eq "$(jq -r 'keys | join(",")' <<<"$D_OUT")" \
		"$(jq -r 'keys | join(",")' <<<"$B_OUT")" "docker's keys"
}

@test "parity: --pid, --ipc, --uts and --cgroupns host; --sysctl" {
	both run --rm --pid host busybox readlink /proc/self/ns/pid
	same 0 "$(readlink /proc/self/ns/pid)"
	# The host's name; /etc/hostname is still docker's short id.
	both run --rm --uts host busybox sh -c 'hostname; cat /etc/hostname | wc -c'
	same 0 "$(uname -n)
13"
	both run --rm --uts host -h x busybox true
	same 125 ""
	err_says "conflicting options: hostname and the UTS mode"
	both run --rm --ipc host busybox readlink /proc/self/ns/ipc
	same 0 "$(readlink /proc/self/ns/ipc)"
	both run --rm --ipc shareable busybox readlink /proc/self/ns/ipc
	same 0
	[ "$B_OUT" != "$(readlink /proc/self/ns/ipc)" ] || fail "--ipc shareable has the host's"
	both run --rm --cgroupns host busybox sh -c 'grep -c "/berth-\|/docker/\|/berth-parity" /proc/self/cgroup'
	same 0
	[ "$B_OUT" -gt 0 ] || fail "--cgroupns host shows no container cgroup paths"
	both run --rm --sysctl net.ipv4.ip_forward=1 --sysctl kernel.shmmax=1000000 busybox \
		sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax'
	same 0 "1
1000000"
	both run --rm --sysctl kernel.hostname=x busybox true
	same 125 ""
	err_says "kernel.hostname"
	both run --rm --network host --sysctl net.ipv4.ip_forward=1 busybox true
	same 125 ""
	err_says "net.ipv4.ip_forward"
	both run --rm --ipc bogus busybox true
	same 125 ""
	err_says "bogus"
}

@test "parity: --log-driver none keeps no log; local keeps one logs reads; journald without journald and others are refused" {
	both run --name nolog --log-driver none busybox echo hi
	same 0 hi
	both logs nolog
	same 1 ""
	err_says "configured logging driver does not support reading"
	both inspect -f '{{.HostConfig.LogConfig.Type}} [{{.LogPath}}]' nolog
	same 0 "none []"
	b_ok inspect -f '{{.Id}}' nolog
	[ ! -e "$STORE/containers/$output" ] || fail "a log was kept: $(ls -R "$STORE/containers/$output")"
	both run --name loc --log-driver local busybox echo kept
	same 0 kept
	both logs loc
	same 0 kept
	both inspect -f '{{.HostConfig.LogConfig.Type}}' loc
	same 0 local
	both run --rm --log-driver none --log-opt max-size=1m busybox true
	same 125 ""
	err_says "invalid logging opts for driver none"
	both run --rm --log-driver journald --log-opt max-size=1m busybox true
	same 125 ""
	err_says "unknown log opt 'max-size' for journald log driver"
	# (journald itself: logs-journald.bats, against a journald of its own)
	if [ ! -S /run/systemd/journal/socket ]; then
		both run --rm --name nojd --log-driver journald busybox echo ran-it
		same 125 ""
		err_says "failed to initialize logging driver: journald is not enabled on this host"
		both ps -aq --filter name=nojd
		same 0 ""
	fi
}

@test "parity: --volumes-from: another container's volumes and binds, its mode or :ro" {
	mkdir -p "$BATS_TEST_TMPDIR/share"
	echo from-host >"$BATS_TEST_TMPDIR/share/f"
	both create --name vsrc -v "$BATS_TEST_TMPDIR/share:/b" -v /anon busybox true
	same 0
	both run --rm --volumes-from vsrc busybox sh -c 'cat /b/f; touch /anon/x && echo rw'
	same 0 "from-host
rw"
	both run --rm --volumes-from vsrc busybox ls /anon
	same 0 x
	both run --rm --volumes-from vsrc:ro busybox sh -c 'touch /anon/y || echo ro'
	same 0 ro
	both create --name vdst --volumes-from vsrc busybox true
	both inspect -f '{{json .HostConfig.VolumesFrom}}' vdst
	same 0 '["vsrc"]'
	both run --rm --volumes-from nosuch busybox true
	same 125 ""
	err_says "No such container: nosuch"
}

@test "parity: ps -s and .Size: what the container wrote, files only, and with its image" {
	both run --name sz busybox sh -c 'printf 12345678 >/f; mkdir -p /d/e'
	same 0
	both ps -a -s --filter name=sz --format '{{.Size}}'
	same 0
	# The image's own size is counted differently (docker: its layers'
	# diffs), so only what the container wrote is compared.
	assert_eq "${B_OUT%% *}" 8B "berth's SizeRw"
	[ -z "$D_STATUS" ] || assert_eq "${D_OUT%% *}" 8B "docker's SizeRw"
	[[ $B_OUT == "8B (virtual "*"B)" ]] || fail "no virtual size: $B_OUT"
	both ps -a -s --filter name=sz
	same 0
	assert_eq "$(head -1 <<<"$B_OUT" | awk '{print $NF}')" SIZE "the SIZE column"
}

@test "parity: create: 1 for what the engine refuses, 125 for a bad flag value" {
	both create --name dup busybox true
	same 0
	both create --name dup busybox true
	same 1 ""
	err_says 'Conflict. The container name "/dup" is already in use'
	both create nosuchimage true
	same 1 ""
	both create --name bad/name busybox true
	same 1 ""
	err_says "Invalid container name"
	both create --mount type=bind,source=/no/such,target=/x busybox true
	same 1 ""
	err_says "bind source path does not exist: /no/such"
	both create --memory abc busybox true
	same 125 ""
	err_says 'invalid argument "abc" for "-m, --memory" flag'
	both run --rm --name dup busybox true
	same 125 ""
}

# both_until NAME TEMPLATE VALUE: polls inspect on both sides (30 s at
# most) until the template gives VALUE.
both_until() {
	local i v
	for ((i = 0; i < 150; i++)); do
		v=$("$BERTH" --root "$STORE" inspect -f "$2" "$1" 2>/dev/null)
		[ "$v" = "$3" ] && break
		sleep 0.2
	done
	[ "$v" = "$3" ] || fail "berth: $1 never gave $3 for $2 (last: $v)"
	[ -n "${DK:-}" ] || return 0
	for ((i = 0; i < 150; i++)); do
		v=$($DK inspect -f "$2" "$1" 2>/dev/null)
		[ "$v" = "$3" ] && break
		sleep 0.2
	done
	[ "$v" = "$3" ] || fail "docker: $1 never gave $3 for $2 (last: $v)"
}

@test "parity: a health check: healthy in inspect, ps and its filter; unhealthy once stopped" {
	both run -d --name hp --health-cmd 'echo ok' --health-interval 1s busybox sleep 300
	same 0
	both_until hp '{{.State.Health.Status}}' healthy
	both inspect -f '{{json .Config.Healthcheck}} {{.State.Health.Status}} {{.State.Health.FailingStreak}} {{with index .State.Health.Log 0}}{{.ExitCode}} {{json .Output}}{{end}}' hp
	same 0 '{"Test":["CMD-SHELL","echo ok"],"Interval":1000000000} healthy 0 0 "ok\n"'
	both ps --filter health=healthy --format '{{.Names}}'
	same 0 hp
	both ps --filter health=none --format '{{.Names}}'
	same 0 ""
	both ps --format '{{.Status}}'
	[[ "$B_OUT" == "Up "*" (healthy)" ]] || fail "berth's status: $B_OUT"
	[ -z "$D_STATUS" ] || [[ "$D_OUT" == "Up "*" (healthy)" ]] || fail "docker's status: $D_OUT"
	both stop -t 0 hp
	same 0 hp
	both inspect -f '{{.State.Health.Status}}' hp
	same 0 unhealthy
}

@test "parity: a failing health check: unhealthy after its retries, with the probe's status and output" {
	both run -d --name hf --health-cmd 'echo bad >&2; exit 3' --health-interval 1s \
		--health-retries 2 busybox sleep 300
	same 0
	both_until hf '{{.State.Health.Status}}' unhealthy
	both inspect -f '{{with index .State.Health.Log 0}}{{.ExitCode}} {{json .Output}}{{end}}' hf
	same 0 '3 "bad\n"'
	both ps --filter health=unhealthy --format '{{.Names}}'
	same 0 hf
}

@test "parity: --no-healthcheck, a HEALTHCHECK committed, and health flags refused" {
	both create --name hc busybox true
	same 0
	both commit --change 'HEALTHCHECK --interval=5s --retries=4 CMD ["/bin/true"]' hc hcimg
	same 0
	both image inspect -f '{{json .Config.Healthcheck}}' hcimg
	same 0 '{"Test":["CMD","/bin/true"],"Interval":5000000000,"Retries":4}'
	both create --name off --no-healthcheck hcimg true
	same 0
	both inspect -f '{{json .Config.Healthcheck}} {{json .State.Health}}' off
	same 0 '{"Test":["NONE"],"Interval":5000000000,"Retries":4} null'
	both run --rm --no-healthcheck --health-cmd true busybox true
	same 125 ""
	err_says "no-healthcheck conflicts with --health-\\* options"
	both run --rm --health-retries -1 busybox true
	same 125 ""
	err_says "health-retries cannot be negative"
	both run --rm --health-interval 5x busybox true
	same 125 ""
	err_says 'invalid argument "5x" for "--health-interval" flag'
}

@test "parity: update of a running container's limits, and what update refuses" {
	both run -d --name upd -m 64m busybox sleep 300
	same 0
	both update -m 128m --pids-limit 40 --restart on-failure:2 upd
	same 0 upd
	both exec upd cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max
	same 0 "134217728
40"
	both inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' upd
	same 0 "134217728 40 on-failure:2"
	both update -m 1m upd
	same 1 ""
	err_says "Minimum memory limit allowed is 6MB"
	both update upd
	same 1 ""
	err_says "you must provide one or more flags when using this command"
	both update -m 12x upd
	same 125 ""
	both update --restart sometimes upd
	same 1 ""
	both update --pids-limit 5 nosuch
	same 1 ""
	err_says "No such container: nosuch"
	both run -d --rm --name updrm busybox sleep 300
	same 0
	both update --restart always updrm
	same 1 ""
	err_says "Restart policy cannot be updated because AutoRemove is enabled for the container"
}

@test "parity: --pid and --ipc container:NAME join a running container's namespaces (and a shareable /dev/shm)" {
	both run -d --name pdon busybox sleep 300
	same 0
	both run --rm --pid container:pdon busybox sh -c 'ps -o pid,args | head -2'
	same 0 "PID   COMMAND
    1 sleep 300"
	both run -d --name idon --ipc shareable busybox sh -c 'echo shared > /dev/shm/x; sleep 300'
	same 0
	sleep 0.5
	both run --rm --ipc container:idon busybox cat /dev/shm/x
	same 0 shared
	both inspect -f '{{.HostConfig.IpcMode}}' idon
	same 0 shareable
	both run --rm --ipc container:pdon busybox true
	same 125 ""
	err_says "non-shareable IPC"
	both create --name pjoin --pid container:nosuch busybox true
	same 1 ""
	err_says "No such container: nosuch"
	both stop -t 0 pdon
	both run --rm --pid container:pdon busybox true
	same 125 ""
	err_says "container [0-9a-f]{64} is not running"
}

@test "parity: --userns host is the only mode; --platform takes the host's and refuses others" {
	both run --rm --userns host busybox true
	same 0
	both create --name un --userns host busybox true
	same 0
	both inspect -f '{{.HostConfig.UsernsMode}}' un
	same 0 host
	both run --rm --userns bogus busybox true
	same 125 ""
	err_says "invalid USER mode"
	both run --rm --platform linux/amd64 busybox true
	same 0
	both run --rm --platform linux/arm64 busybox true
	same 125 ""
}

@test "parity: an image's size is its regular files' bytes, as docker counts a layer" {
	both image inspect -f '{{.Size}}' busybox
	[[ "$B_OUT" =~ ^[0-9]+$ ]] || fail "berth's size: $B_OUT"
	same 0 "$B_OUT"
	both images --format '{{.Size}}' busybox
	same 0 "$B_OUT"
	both run --name sz busybox sh -c 'head -c 1000 /dev/zero > /f; ln -s /f /l'
	same 0
	both commit sz szimg
	same 0
	both history --human=false --format '{{.Size}}' szimg
	same 0 "$B_OUT"
}

@test "parity: a user or group the image does not have: created, then refused at each start" {
	both create --name nu -u nosuchuser busybox sh -c 'id; echo $HOME'
	same 0
	both start nu
	same 1 ""
	err_says "unable to find user nosuchuser: no matching entries in passwd file"
	# resolved at start: a passwd entry added meanwhile makes it start
	both cp nu:/etc/passwd "$BATS_TEST_TMPDIR/passwd"
	echo 'nosuchuser:x:1234:1234::/home/nsu:/bin/sh' >>"$BATS_TEST_TMPDIR/passwd"
	both cp "$BATS_TEST_TMPDIR/passwd" nu:/etc/passwd
	same 0
	both start -a nu
	same 0 "uid=1234(nosuchuser) gid=1234 groups=1234
/home/nsu"
	# run leaves the container made, as docker's does (not with --rm)
	both run --name nur -u nosuchuser busybox true
	same 125 ""
	err_says "unable to find user nosuchuser"
	both ps -a --filter name=nur --format '{{.Status}}'
	same 0 Created
	both run --rm -u nosuchuser busybox true
	same 125 ""
	both create --name ng --group-add nosuchgroup busybox true
	same 0
	both start ng
	same 1 ""
	err_says "Unable to find group nosuchgroup: no matching entries in group file"
	both create --name nw -w relative busybox true
	same 1 ""
	err_says "the working directory 'relative' is invalid, it needs to be an absolute path"
}
