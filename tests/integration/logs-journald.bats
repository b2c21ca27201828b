#!/usr/bin/env bats
# --log-driver journald against a real systemd-journald of the test's own
# (journald-ns.sh: a mount namespace with journald's sockets and journal on
# tmpfs): what journalctl reads back, field by field, as docker's driver
# writes them; `logs` reading Berth's copy; the name at each start; and a
# clear refusal where no journald listens.

load container-helpers

# in_journal BODY: BODY (bash, with B = berth on the test's store and
# $OUT a directory for results) run where a journald of its own listens;
# the containers it makes are removed there, where their mounts are.
in_journal() {
	local body=$BATS_TEST_TMPDIR/body st=0
	mkdir -p "$BATS_TEST_TMPDIR/out"
	{
		echo 'set -eu'
		echo 'B() { timeout 60 "$BERTH" --root "$STORE" "$@"; }'
		echo 'trap '\''for c in $(B ps -aq); do B rm -f "$c" >/dev/null 2>&1; done'\'' EXIT'
		echo "$1"
	} >"$body"
	BERTH=$BERTH STORE=$STORE OUT=$BATS_TEST_TMPDIR/out \
		bash "$BATS_TEST_DIRNAME/journald-ns.sh" "$body" >"$BATS_TEST_TMPDIR/ns.out" 2>&1 || st=$?
	[ "$st" != 77 ] || skip "no systemd-journald on this host"
	[ "$st" = 0 ] || fail "in the journald namespace ($st): $(cat "$BATS_TEST_TMPDIR/ns.out")"
}

# entry N FIELD: a field of the Nth (0-based) entry journalctl gave
entry() {
	jq -r --argjson n "$1" --arg f "$2" '.[$n][$f] // "(none)"' "$BATS_TEST_TMPDIR/out/entries.json"
}

@test "journald: each line an entry with docker's fields, labels and env as asked; logs reads the copy" {
	in_journal '
B run --name jn --log-driver journald --label app=web --label "multi=a
b" --label other=x --env TIER=front --env LOG_LEVEL=debug --log-opt labels=app,multi \
	--log-opt env=TIER --log-opt env-regex="^LOG_" --log-opt "tag={{.Name}}/{{.ImageName}}" \
	busybox sh -c "echo out one; echo err two >&2; head -c 20000 /dev/zero | tr \"\\0\" a; echo" \
	>"$OUT/run.out" 2>"$OUT/run.err"
journalctl --sync
journalctl -a -o json CONTAINER_NAME=jn | jq -s . >"$OUT/entries.json"
B logs jn >"$OUT/logs.out" 2>"$OUT/logs.err"
B inspect -f "{{.Id}} {{json .HostConfig.LogConfig}}" jn >"$OUT/inspect"
'
	local o=$BATS_TEST_TMPDIR/out id
	id=$(cut -d' ' -f1 "$o/inspect")
	assert_eq "$(cut -d' ' -f2- "$o/inspect")" \
		'{"Type":"journald","Config":{"labels":"app,multi","env":"TIER","env-regex":"^LOG_","tag":"{{.Name}}/{{.ImageName}}"}}'
	[ "$(jq length "$o/entries.json")" = 4 ] ||
		fail "entries: $(jq -c '[.[] | [.PRIORITY, (.MESSAGE | length), .CONTAINER_PARTIAL_MESSAGE]]' "$o/entries.json")"
	# stdout at info, stderr at err; the newline is not in the message
	assert_eq "$(jq -r '[.[] | select(.PRIORITY == "6") | .MESSAGE | length] | join(" ")' "$o/entries.json")" \
		"7 16384 3616"
	assert_eq "$(jq -r '.[] | select(.PRIORITY == "3") | .MESSAGE' "$o/entries.json")" "err two"
	assert_eq "$(jq -r '.[] | select(.MESSAGE == "out one") | .CONTAINER_PARTIAL_MESSAGE // "whole"' "$o/entries.json")" whole
	# a line longer than 16 KiB: cut, the first part marked, as docker's
	assert_eq "$(jq -r '.[] | select((.MESSAGE | length) == 16384) | .CONTAINER_PARTIAL_MESSAGE' "$o/entries.json")" true
	assert_eq "$(jq -r '.[] | select((.MESSAGE | length) == 3616) | .CONTAINER_PARTIAL_MESSAGE // "last"' "$o/entries.json")" last
	assert_eq "$(entry 0 CONTAINER_ID)" "${id:0:12}"
	assert_eq "$(entry 0 CONTAINER_ID_FULL)" "$id"
	assert_eq "$(entry 0 CONTAINER_NAME)" jn
	assert_eq "$(entry 0 CONTAINER_TAG)" jn/busybox
	assert_eq "$(entry 0 SYSLOG_IDENTIFIER)" jn/busybox
	assert_eq "$(entry 0 IMAGE_NAME)" busybox
	# the labels and variables asked for, keyed as docker keys them; a
	# value with a newline intact (the protocol's binary form)
	assert_eq "$(entry 0 APP)" web
	assert_eq "$(entry 0 MULTI)" "a
b"
	assert_eq "$(entry 0 TIER)" front
	assert_eq "$(entry 0 LOG_LEVEL)" debug
	assert_eq "$(entry 0 OTHER)" "(none)"
	assert_eq "$(entry 0 PATH)" "(none)"
	# attached output and `logs` have every byte
	assert_eq "$(cat "$o/run.err")" "err two"
	assert_eq "$(wc -c <"$o/run.out")" $((8 + 20001))
	assert_eq "$(cat "$o/logs.out")" "$(cat "$o/run.out")"
	assert_eq "$(cat "$o/logs.err")" "err two"
}

@test "journald: the name at each start, and a restart by the policy logs again" {
	in_journal '
B run -d --name first --log-driver journald --restart on-failure:1 busybox sh -c "echo run; exit 3" >/dev/null
for _ in $(seq 200); do
	[ "$(B inspect -f "{{.RestartCount}} {{.State.Status}}" first)" = "1 exited" ] && break
	sleep 0.1
done
B inspect -f "{{.RestartCount}} {{.State.Status}}" first >"$OUT/state"
B rename first second
# started by hand: the restart count begins again, so it runs twice
B start -a second >/dev/null || [ $? = 3 ]
journalctl --sync
journalctl -a -o json CONTAINER_ID_FULL="$(B inspect -f "{{.Id}}" second)" | jq -s . >"$OUT/entries.json"
'
	assert_eq "$(cat "$BATS_TEST_TMPDIR/out/state")" "1 exited"
	assert_eq "$(jq -r '[.[] | .CONTAINER_NAME + ":" + .MESSAGE] | join(" ")' "$BATS_TEST_TMPDIR/out/entries.json")" \
		"first:run first:run second:run second:run"
}

@test "journald: refused clearly at start where no journald listens; bad options refused at create" {
	local body=$BATS_TEST_TMPDIR/nojournal
	# a /run/systemd of its own, empty: no journald, whatever the host has
	cat >"$body" <<'EOF'
mount -t tmpfs none /run/systemd || exit 1
st=0
timeout 60 "$BERTH" --root "$STORE" run --rm --name nj --log-driver journald busybox echo ran-it || st=$?
echo "status $st"
EOF
	BERTH=$BERTH STORE=$STORE run unshare -m --propagation private bash "$body"
	[[ "$output" == *"failed to initialize logging driver: journald is not enabled on this host"* ]] ||
		fail "$output"
	[[ "$output" == *"status 125" ]] || fail "$output"
	[[ "$output" != *ran-it* ]] || fail "it ran: $output"
	b_ok ps -aq
	assert_eq "$output" ""
	b run --rm --log-driver journald --log-opt max-size=1m busybox true
	assert_eq "$status" 125
	assert_eq "$stderr" "berth: unknown log opt 'max-size' for journald log driver"
	b run --rm --log-driver journald --log-opt 'tag={{.Name' busybox true
	assert_eq "$status" 125
	[[ "$stderr" == *"invalid --log-opt tag={{.Name"* ]] || fail "$stderr"
	b run --rm --log-driver journald --log-opt 'env-regex=(' busybox true
	assert_eq "$status" 125
	[[ "$stderr" == *"invalid --log-opt env-regex=(: not a regular expression"* ]] || fail "$stderr"
	b run --rm --log-driver syslog busybox true
	assert_eq "$status" 125
	[[ "$stderr" == *"log driver syslog: not supported"* ]] || fail "$stderr"
	b_ok ps -aq
	assert_eq "$output" ""
}
