#!/bin/bash
# journald-ns.sh SCRIPT: runs SCRIPT (bash) in a mount namespace of its
# own where a real systemd-journald of its own listens at
# /run/systemd/journal/socket, with its journal on tmpfs: the host's
# journal, /run and /var/log are untouched, and everything is gone when
# the namespace ends. SCRIPT's exit status is this script's. Exits 77
# when the host has no systemd-journald.
set -u
journald=/lib/systemd/systemd-journald
[ -x "$journald" ] && command -v journalctl >/dev/null || exit 77

inner=$(cat <<'EOF'
set -u
journald=$1 script=$2
# A tmpfs over mount points the host has, so journald's sockets and files
# (/run/systemd/journal, /run/log/journal and, with persistent storage,
# /var/log/journal) are the namespace's own.
mount -t tmpfs -o mode=0755 journald-run /run || exit 1
mkdir -p /run/systemd/journal
if [ -d /var/log/journal ]; then
	mount -t tmpfs -o mode=0755 journald-var /var/log/journal || exit 1
fi
"$journald" </dev/null >/run/journald.log 2>&1 &
jpid=$!
trap 'kill "$jpid" 2>/dev/null; wait "$jpid" 2>/dev/null' EXIT
for _ in $(seq 100); do
	[ -S /run/systemd/journal/socket ] && break
	sleep 0.05
done
if [ ! -S /run/systemd/journal/socket ]; then
	echo "journald did not start:"
	cat /run/journald.log
	exit 1
fi
bash "$script" </dev/null
EOF
)
exec unshare -m --propagation private bash -c "$inner" inner "$journald" "$1"
