#!/usr/bin/env bats
# Health checks: the image's HEALTHCHECK and --health-*, probed by the
# container's monitor, State.Health in inspect, ps's status and filter,
# wait --condition, and --health-on-failure.

load container-helpers

# hc NAME FIELD: a field of the container's State.Health, as a template
hc() {
	b_ok inspect -f "{{$2}}" "$1"
	echo "$output"
}

# until_health NAME STATUS: wait --condition, 20 s at most
until_health() {
	local st=0
	timeout 20 "$BERTH" --root "$STORE" wait --condition "$2" "$1" >/dev/null 2>&1 || st=$?
	[ "$st" = 0 ] || fail "$1 never became $2 ($st): $(db "select health from containers where name = '$1'")"
}

monitor_of() {
	db "select monitor_pid from containers where name = '$1'"
}

@test "the image's HEALTHCHECK: starting, then healthy once it passes; the probe's output in the log" {
	local tar
	tar=$(busybox_tar)
	b_ok import --change 'CMD ["sh"]' \
		--change 'HEALTHCHECK --interval=200ms --retries=2 CMD cat /tmp/ok' "$tar" hb
	b_ok image inspect -f '{{json .Config.Healthcheck}}' hb
	assert_eq "$output" '{"Test":["CMD-SHELL","cat /tmp/ok"],"Interval":200000000,"Retries":2}'
	# a flag overrides the image's field, the rest stays the image's; the
	# first probe comes an interval after the start: an hour here
	b_ok run -d --name later --health-interval 1h hb sleep 100
	b_ok inspect -f '{{json .Config.Healthcheck}} {{.State.Health.Status}}' later
	assert_eq "$output" '{"Test":["CMD-SHELL","cat /tmp/ok"],"Interval":3600000000000,"Retries":2} starting'
	b_ok ps --format '{{.Status}}'
	[[ "$output" == Up*" (health: starting)" ]] || fail "ps: $output"
	b_ok rm -f later
	b_ok run -d --name hc1 hb sleep 100
	b_ok inspect -f '{{json .Config.Healthcheck}}' hc1
	assert_eq "$output" '{"Test":["CMD-SHELL","cat /tmp/ok"],"Interval":200000000,"Retries":2}'
	until_health hc1 unhealthy
	[ "$(hc hc1 .State.Health.FailingStreak)" -ge 2 ] || fail "streak $(hc hc1 .State.Health.FailingStreak)"
	b_ok inspect -f '{{range .State.Health.Log}}{{.ExitCode}}:{{json .Output}} {{end}}' hc1
	[[ "$output" == *'1:"cat: can'"'"'t open '"'"'/tmp/ok'"'"': No such file or directory\n" ' ]] ||
		fail "log: $output"
	b_ok exec hc1 sh -c 'echo fine > /tmp/ok'
	until_health hc1 healthy
	assert_eq "$(hc hc1 .State.Health.FailingStreak)" 0
	b_ok inspect -f '{{range .State.Health.Log}}{{.ExitCode}}:{{json .Output}} {{end}}' hc1
	[[ "$output" == *'0:"fine\n" ' ]] || fail "log: $output"
	b_ok ps --format '{{.Names}} {{.Status}}'
	[[ "$output" == "hc1 Up "*" (healthy)" ]] || fail "ps: $output"
	b_ok ps -q --filter health=healthy
	assert_eq "$output" "$(db "select substr(id, 1, 12) from containers where name = 'hc1'")"
	b_ok ps -q --filter health=unhealthy --filter health=none
	assert_eq "$output" ""
}

@test "at most five probes are kept; a stop leaves the container unhealthy, a start begins again" {
	# retries enough that a failing probe never makes it unhealthy: it
	# stays "starting" until one passes
	b_ok run -d --name hc1 --health-cmd 'echo >> /tmp/probes; cat /dev/shm/ok' \
		--health-interval 100ms --health-retries 100000 busybox sleep 100
	b_ok exec hc1 sh -c 'echo ok > /dev/shm/ok'
	until_health hc1 healthy
	for _ in $(seq 200); do
		b_ok exec hc1 sh -c 'wc -l < /tmp/probes'
		[ "$output" -ge 7 ] && break
		sleep 0.1
	done
	[ "$output" -ge 7 ] || fail "only $output probes ran"
	assert_eq "$(hc hc1 '(len .State.Health.Log)')" 5
	b_ok stop -t 0 hc1
	b_ok inspect -f '{{.State.Status}} {{.State.Health.Status}} {{len .State.Health.Log}}' hc1
	assert_eq "$output" "exited unhealthy 5"
	b_ok ps -a -q --filter health=unhealthy
	[ -n "$output" ] || fail "filter found nothing"
	# /dev/shm is new at each start: the probe fails until the file is back
	b_ok start hc1
	b_ok inspect -f '{{.State.Health.Status}} {{.State.Health.FailingStreak}}' hc1
	[[ "$output" == "starting "* ]] || fail "after start: $output"
	b_ok exec hc1 sh -c 'echo ok > /dev/shm/ok'
	until_health hc1 healthy
}

@test "failures within the start period do not count; the probe runs as the container's process would" {
	b_ok run -d --name sp --health-cmd false --health-interval 100ms --health-start-period 60s \
		--health-start-interval 100ms busybox sleep 100
	sleep 1.5
	b_ok inspect -f '{{.State.Health.Status}} {{.State.Health.FailingStreak}}' sp
	assert_eq "$output" "starting 0"
	[ "$(hc sp '(len .State.Health.Log)')" -ge 3 ] || fail "no probes ran: $(hc sp '(json .State.Health)')"
	# user, working directory and environment are the container's
	b_ok run -d --name who -u 1000:1000 -w /tmp -e FOO=bar --health-interval 100ms \
		--health-cmd 'test "$(id -u):$(id -g)" = 1000:1000 && test "$PWD" = /tmp && test "$FOO" = bar' \
		busybox sleep 100
	until_health who healthy
}

@test "a probe past its timeout is killed and fails with docker's text; long output is cut at 4096 bytes" {
	b_ok run -d --name slow --health-cmd 'sleep 7' --health-timeout 300ms \
		--health-interval 100ms --health-retries 1 busybox sleep 100
	until_health slow unhealthy
	b_ok inspect -f '{{range .State.Health.Log}}{{.ExitCode}} {{.Output}}{{end}}' slow
	[[ "$output" == "-1 Health check exceeded timeout (300ms)"* ]] || fail "log: $output"
	# each timed-out probe's process is killed: once three have timed out,
	# at most one `sleep 7` runs (the probe of the moment), not three
	for _ in $(seq 200); do
		[ "$(hc slow '(len .State.Health.Log)')" -ge 3 ] && break
		sleep 0.1
	done
	b_ok exec slow ps -o args
	[ "$(grep -c "sleep 7" <<<"$output")" -le 1 ] || fail "timed-out probes still run: $output"

	b_ok run -d --name big --health-cmd 'head -c 10000 /dev/zero | tr "\0" x' \
		--health-interval 100ms busybox sleep 100
	until_health big healthy
	b_ok inspect -f '{{(index .State.Health.Log 0).Output}}' big
	assert_eq "${#output}" 4099
	[[ "$output" == *"xxx..." ]] || fail "not cut with ...: ${output: -10}"
}

@test "--no-healthcheck turns the image's off; bad health flags are one-line errors and nothing is made" {
	local tar
	tar=$(busybox_tar)
	b_ok import --change 'CMD ["sh"]' --change 'HEALTHCHECK CMD true' "$tar" hb
	b_ok run -d --name off --no-healthcheck hb sleep 100
	b_ok inspect -f '{{json .Config.Healthcheck}} {{json .State.Health}}' off
	assert_eq "$output" '{"Test":["NONE"]} null'
	b_ok ps --format '{{.Status}}' --filter health=none
	[[ "$output" == "Up "* && "$output" != *"("* ]] || fail "ps: $output"
	b_ok ps -q --filter health=starting
	assert_eq "$output" ""

	local before
	before=$(db "select count(*) from containers")
	local bad
	for bad in "--no-healthcheck --health-cmd true|--no-healthcheck conflicts with --health-* options" \
		"--health-interval 5x|invalid argument \"5x\" for \"--health-interval\" flag: time: invalid duration \"5x\"" \
		"--health-timeout -1s|--health-timeout cannot be negative" \
		"--health-retries -2|--health-retries cannot be negative" \
		"--health-interval 500us --health-cmd true|Interval in Healthcheck cannot be less than 1ms" \
		"--health-on-failure sometimes --health-cmd true|invalid --health-on-failure sometimes: want none, kill, restart or stop"; do
		# shellcheck disable=SC2086
		b run -d ${bad%%|*} busybox
		assert_eq "$status" 125
		assert_one_line_error "$stderr" "${bad#*|}"
	done
	assert_eq "$(db "select count(*) from containers")" "$before"
	b import --change 'HEALTHCHECK SOMETIMES true' "$tar" x
	[ "$status" != 0 ] || fail "HEALTHCHECK SOMETIMES was taken"
	assert_one_line_error "$stderr" 'Unknown type "SOMETIMES" in HEALTHCHECK (try CMD)'
	b import --change 'HEALTHCHECK --interval=5x CMD true' "$tar" x
	[ "$status" != 0 ] || fail "a bad interval was taken"
}

@test "--health-on-failure: restart starts it again, kill leaves it to the restart policy, stop stops it" {
	b_ok run -d --name re --health-cmd 'exit 3' --health-interval 100ms --health-retries 1 \
		--health-on-failure restart --stop-timeout 1 busybox sleep 100
	for _ in $(seq 100); do
		[ "$(db "select restart_count from containers where name = 're'")" -ge 1 ] && break
		sleep 0.1
	done
	b_ok inspect -f '{{.RestartCount}} {{.HostConfig.RestartPolicy.Name}}' re
	[[ "$output" == [1-9]*" no" ]] || fail "not restarted: $output"

	b_ok run -d --name kl --health-cmd 'exit 3' --health-interval 100ms --health-retries 1 \
		--health-on-failure kill busybox sleep 100
	timeout 20 "$BERTH" --root "$STORE" wait kl >/dev/null
	b_ok inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}' kl
	assert_eq "$output" "exited 137 0"

	b_ok run -d --name st --restart always --health-cmd 'exit 3' --health-interval 100ms \
		--health-retries 1 --health-on-failure stop --stop-signal KILL busybox sleep 100
	timeout 20 "$BERTH" --root "$STORE" wait st >/dev/null
	sleep 0.5
	b_ok inspect -f '{{.State.Status}} {{.RestartCount}}' st
	assert_eq "$output" "exited 0"
	assert_eq "$(db "select manually_stopped from containers where name = 'st'")" 1
}

@test "wait --condition: running, healthy, next-exit, removed; a paused container is not probed" {
	b_ok create --name wt --health-cmd true --health-interval 100ms busybox \
		sh -c 'until [ -e /tmp/stop ]; do sleep 0.05; done; exit 4'
	b_ok start wt
	b_ok wait --condition running wt
	until_health wt healthy
	# next-exit: the exit after the wait began (given 2 s to begin)
	timeout 30 "$BERTH" --root "$STORE" wait --condition next-exit wt >"$BATS_TEST_TMPDIR/next" &
	local waiter=$!
	sleep 2
	b_ok exec wt touch /tmp/stop
	wait "$waiter" || fail "wait --condition next-exit: $?"
	assert_eq "$(cat "$BATS_TEST_TMPDIR/next")" 4
	b wait --condition unhealthy-ish wt
	assert_eq "$status" 1
	assert_one_line_error "$stderr" 'invalid condition "unhealthy-ish": want not-running, next-exit, removed, running, healthy or unhealthy'
	b_ok run -d --name plain busybox sleep 100
	b wait --condition healthy plain
	assert_eq "$status" 1
	assert_one_line_error "$stderr" "container $(db "select substr(id, 1, 12) from containers where name = 'plain'") has no health check"
	b_ok run -d --rm --name gone busybox \
		sh -c 'until [ -e /tmp/stop ]; do sleep 0.05; done; exit 2'
	timeout 30 "$BERTH" --root "$STORE" wait --condition removed gone >"$BATS_TEST_TMPDIR/gone" &
	waiter=$!
	sleep 2
	b_ok exec gone touch /tmp/stop
	wait "$waiter" || fail "wait --condition removed: $?"
	assert_eq "$(cat "$BATS_TEST_TMPDIR/gone")" 2
	assert_eq "$(db "select count(*) from containers where name = 'gone'")" 0

	b_ok run -d --name pz --health-cmd true --health-interval 100ms busybox sleep 100
	until_health pz healthy
	b_ok pause pz
	# (a probe that was under way may still end)
	sleep 0.5
	local n
	n=$(hc pz '(len .State.Health.Log)')
	sleep 0.6
	assert_eq "$(hc pz '(len .State.Health.Log)')" "$n"
	b_ok unpause pz
}

@test "the monitor stays under 1 MiB with health checks on" {
	b_ok run -d --name mo --health-cmd 'echo ok' --health-interval 100ms busybox sleep 100
	until_health mo healthy
	sleep 0.5
	local pid rss
	pid=$(monitor_of mo)
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
	[ "$(cat "/proc/$pid/comm")" = berth-monitor ] || skip "berth-monitor is not installed beside berth"
	[ "$rss" -lt 1024 ] || fail "monitor RSS ${rss} kB"
}

@test "a probe or a monitor whose store was removed under it makes no store again" {
	local gone=$BATS_TEST_TMPDIR/gone st=0
	"$BERTH" __health "$gone/store" vfs "$gone/run" 0123456789abcdef || st=$?
	assert_eq "$st" 3
	st=0
	"$BERTH" __monitor-exit "$gone/store" vfs "$gone/run" 0123456789abcdef 0 0 -1 2>/dev/null || st=$?
	[ "$st" != 0 ] || fail "__monitor-exit of a removed store succeeded"
	[ ! -e "$gone" ] || fail "made again: $(find "$gone")"
}
