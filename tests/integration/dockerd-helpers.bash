# A docker daemon of a test file's own (Debian's docker.io, 20.10): its own
# data root and exec root under /run/NAME, in a network namespace NAME of
# its own (--bridge=none --iptables=false: it touches no host interface),
# vfs storage, its containers' cgroups under our own cgroup, and the busybox
# image. `load dockerd-helpers` after container-helpers.
#
# dockerd_start NAME [DOCKERD-ARGS...] sets DK to the docker command line
# for it, or leaves DK empty (and says why on fd 3) where no dockerd can
# start; dockerd_stop NAME takes everything away again.

dockerd_start() {
	local name=$1 dir=/run/$1 i tar
	shift
	export DK="" DK_DIR=""
	command -v dockerd >/dev/null && [ -x /usr/bin/docker ] || return 0
	[ -z "${BERTH_NO_DOCKER:-}" ] || return 0
	mkdir -p "$dir" && ip netns add "$name" || return 0
	export DK_DIR=$dir
	# nsenter, not `ip netns exec`, which mounts its own /sys and so
	# hides the cgroup hierarchies from dockerd.
	nsenter --net="/run/netns/$name" dockerd --data-root "$dir/root" \
		--exec-root "$dir/exec" --pidfile "$dir/pid" -H "unix://$dir/sock" \
		--bridge=none --iptables=false --ip6tables=false --ip-forward=false \
		--ip-masq=false --storage-driver=vfs --cgroup-parent="$(own_cgroup)/$name" \
		"$@" >"$dir/log" 2>&1 &
	for ((i = 0; i < 150; i++)); do
		/usr/bin/docker -H "unix://$dir/sock" version >/dev/null 2>&1 && break
		sleep 0.2
	done
	tar=$(busybox_tar) || return 0
	if /usr/bin/docker -H "unix://$dir/sock" import --change 'CMD ["sh"]' "$tar" busybox \
		>/dev/null 2>&1; then
		export DK="/usr/bin/docker -H unix://$dir/sock"
	else
		echo "# dockerd did not come up: $(tail -3 "$dir/log")" >&3
	fi
}

dockerd_stop() {
	local name=$1 dir=/run/$1 pid i
	[ -n "${DK_DIR:-}" ] || return 0
	if [ -n "${DK:-}" ]; then
		# shellcheck disable=SC2046
		$DK rm -f $($DK ps -aq) >/dev/null 2>&1
	fi
	pid=$(cat "$dir/pid" 2>/dev/null)
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	fi
	find /sys/fs/cgroup -depth -type d -path "*$(own_cgroup)/$name*" -exec rmdir {} \; 2>/dev/null
	ip netns delete "$name" 2>/dev/null
	# What dockerd left mounted in its directories (its netns handles).
	awk -v d="$dir/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
	rm -rf "$dir"
}
