load /work/main/tests/integration/helpers
@test "dbg" {
	agent=/tmp/build-x/tests/helpers/berth-seccomp-agent
	SOCK=$BUNDLE/agent.sock
	"$agent" "$SOCK" $BUNDLE/st $BUNDLE/log 18 5 2>"$BUNDLE/agent.err" &
	AGENT_PID=$!
	sleep 0.3
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $sock, syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}' --arg sock $SOCK
	set_args /probe syscall mkdir /tmp/x; strace -f -o $BATS_TEST_TMPDIR/../strace.out -e trace=connect,sendmsg,seccomp,ioctl "$RUNTIME" --root $STATE_ROOT run --bundle $BUNDLE $CID >&3 2>&3 </dev/null
	echo "out=$output err=$stderr" >&3
	sleep 6
	cat $BUNDLE/log $BUNDLE/agent.err >&3
	cat $BUNDLE/st >&3
}
