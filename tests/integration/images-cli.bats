#!/usr/bin/env bats
# berth images, image inspect, history, tag, rmi, image prune, system df,
# system prune and image mount/unmount: docker's output, byte for byte where
# scripts read it (headers, alignment, ids, messages, exit codes).
#
# Self-contained: each test has its own store (berth --root) under a
# temporary directory that teardown unmounts and removes. Images come from
# docker-archives made here (two layers, a history with an empty layer,
# labels), so their sizes, ages and history are known.

REPO_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BERTH_BUILD=${BERTH_BUILD:-build}
case $BERTH_BUILD in
/*) ;;
*) BERTH_BUILD=$REPO_ROOT/$BERTH_BUILD ;;
esac
BERTH=${BERTH:-$BERTH_BUILD/src/cli/berth}
# Times print in the local zone, as docker's do; the expectations are UTC.
export TZ=UTC

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root (snapshots mount)"
	[ -x "$BERTH" ] || {
		echo "berth not found: $BERTH (set BERTH or BERTH_BUILD)" >&2
		return 1
	}
	T=$(mktemp -d "/tmp/berth-it.${BERTH_TEST_RUN:+$BERTH_TEST_RUN.}XXXXXX")
	STORE=$T/store
	N=0
}

teardown() {
	local m
	[ -n "${T:-}" ] || return 0
	for m in $(awk '{print $5}' /proc/self/mountinfo | grep "^$T/" | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	rm -rf "$T"
}

fail() {
	echo "FAIL: $*" >&2
	return 1
}

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"
}

# b ARGS...: berth on the test's store, stdin from $B_STDIN (default
# /dev/null). Sets $status, $output (stdout) and $stderr.
b() {
	status=0
	"$BERTH" --root "$STORE" "$@" >"$T/out" 2>"$T/err" <"${B_STDIN:-/dev/null}" || status=$?
	output=$(cat "$T/out")
	stderr=$(cat "$T/err")
}

b_ok() {
	b "$@"
	[ "$status" = 0 ] || fail "berth $* failed ($status): $stderr"
}

# b_fail STATUS_NONZERO STDERR ARGS...: berth must fail with exactly this
# message on stderr.
b_fail() {
	local want=$1
	shift
	b "$@"
	[ "$status" != 0 ] || fail "berth $* succeeded: $output"
	assert_eq "$stderr" "$want" "stderr of berth $*"
}

# go-units: hsize BYTES [PRECISION] as docker prints sizes (3 digits in SIZE
# columns, 4 for totals).
hsize() {
	awk -v b="$1" -v p="${2:-3}" 'BEGIN {
		split("B kB MB GB TB", u, " "); i = 1
		while (b >= 1000 && i < 5) { b /= 1000; i++ }
		printf("%." p "g%s\n", b, u[i]) }'
}

# mkimage NAME DAYS_AGO: loads a docker-archive of two layers (a.txt, then
# b.txt naming the image) made DAYS_AGO days ago; NAME "-" loads it without
# a name. The first layer is the same in every image. With NOHIST=1 the
# config has no history. Prints the config's "created".
mkimage() {
	N=$((N + 1))
	local tar=$T/img$N.tar created
	created=$(python3 - "$tar" "$1" "$2" <<'EOF'
import hashlib, io, json, os, sys, tarfile, time
out, name, days = sys.argv[1], sys.argv[2], float(sys.argv[3])
created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - days * 86400))
def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()
def add(tf, n, data):
    ti = tarfile.TarInfo(n)
    ti.size, ti.mode, ti.mtime = len(data), 0o644, 1700000000
    tf.addfile(ti, io.BytesIO(data))
def tarb(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for n, data in files:
            add(tf, n, data)
    return buf.getvalue()
l1 = tarb([("a.txt", b"a" * 3000)])
l2 = tarb([("b.txt", ("image %s\n" % name).encode() + b"b" * 5000)])
cfg = {"architecture": "amd64", "os": "linux", "created": created, "author": "Berth Tests",
       "docker_version": "24.0.7",
       "config": {"Env": ["PATH=/bin"], "Cmd": ["sh", "-c", "echo hi && true"],
                  "Labels": {"maintainer": "Ann <ann@example.com>", "tier": name.split(":")[0]},
                  "ExposedPorts": {"80/tcp": {}}, "WorkingDir": "/srv", "StopSignal": "SIGTERM"},
       "rootfs": {"type": "layers", "diff_ids": [sha(l1), sha(l2)]},
       "history": [{"created": created, "created_by": "/bin/sh -c #(nop) ADD file:0123 in / "},
                   {"created": created, "created_by": "/bin/sh -c #(nop)  LABEL tier=x",
                    "empty_layer": True},
                   {"created": created, "comment": "second layer",
                    "created_by": "/bin/sh -c echo\tthis command is long enough to be cut"}]}
if os.environ.get("NOHIST") == "1":
    del cfg["history"]
cb = json.dumps(cfg).encode()
chex = hashlib.sha256(cb).hexdigest()
man = [{"Config": chex + ".json", "RepoTags": [] if name == "-" else [name],
        "Layers": ["l1/layer.tar", "l2/layer.tar"]}]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
    add(tf, chex + ".json", cb)
    add(tf, "l1/layer.tar", l1)
    add(tf, "l2/layer.tar", l2)
    add(tf, "manifest.json", json.dumps(man).encode())
print(created)
EOF
	) || return 1
	b_ok load -q -i "$tar" || return 1
	echo "$created"
}

# A one-layer image from a rootfs tarball (berth import).
mkimport() {
	mkdir -p "$T/rootfs/bin"
	echo hello >"$T/rootfs/bin/hello"
	tar -C "$T/rootfs" -cf "$T/rootfs.tar" .
	b_ok import "$T/rootfs.tar" "$@"
}

# img_id NAME [full]: the image's short (or full) id.
img_id() {
	b_ok image inspect --format '{{.Id}}' "$1" || return 1
	if [ "${2:-}" = full ]; then echo "$output"; else echo "${output:7:12}"; fi
}

# size NAME: the image's SIZE column.
size() {
	b_ok image inspect --format '{{.Size}}' "$1" || return 1
	hsize "$output"
}

manifest() {
	b_ok image inspect --format '{{index .RepoDigests 0}}' "$1" || return 1
	echo "${output#*@}"
}

# Three images: old:1 (5 days), an untagged one (4 days), hist:1 (3 days),
# and a second name other/name:v2 for hist:1.
three_images() {
	mkimage old:1 5 >/dev/null && mkimage - 4 >/dev/null && mkimage hist:1 3 >/dev/null &&
		b_ok tag hist:1 other/name:v2 && b_ok images -q -f dangling=true && UNTAGGED=$output
}

@test "images: an empty store prints docker's header only" {
	b_ok images
	assert_eq "$output" "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE"
	b_ok image ls
	assert_eq "$output" "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE"
	b_ok image list --digests
	assert_eq "$output" "REPOSITORY   TAG       DIGEST    IMAGE ID   CREATED   SIZE"
}

@test "images: one row per name, newest first, <none> for an untagged image, docker's alignment" {
	three_images
	local expect
	expect=$(
		printf '%-13s%-10s%-15s%-13s%s\n' REPOSITORY TAG "IMAGE ID" CREATED SIZE
		printf '%-13s%-10s%-15s%-13s%s\n' hist 1 "$(img_id hist:1)" "3 days ago" "$(size hist:1)"
		printf '%-13s%-10s%-15s%-13s%s\n' other/name v2 "$(img_id hist:1)" "3 days ago" "$(size hist:1)"
		printf '%-13s%-10s%-15s%-13s%s\n' "<none>" "<none>" "$UNTAGGED" "4 days ago" "$(size "$UNTAGGED")"
		printf '%-13s%-10s%-15s%-13s%s\n' old 1 "$(img_id old:1)" "5 days ago" "$(size old:1)"
	)
	b_ok images
	assert_eq "$output" "$expect"
	# -a is accepted: Berth has no intermediate images to add.
	b_ok images -a
	assert_eq "$output" "$expect"
}

@test "images: --digests shows the manifest digest, --no-trunc the full id, -q each id once" {
	three_images
	local m
	m=$(manifest hist:1)
	b_ok images --digests hist
	assert_eq "$output" "$(
		printf '%-13s%-10s%-74s%-15s%-13s%s\n' REPOSITORY TAG DIGEST "IMAGE ID" CREATED SIZE
		printf '%-13s%-10s%-74s%-15s%-13s%s\n' hist 1 "$m" "$(img_id hist:1)" "3 days ago" "$(size hist:1)"
	)"
	b_ok images --digests -f dangling=true
	assert_eq "$(echo "$output" | sed -n 2p | awk '{print $3}')" "<none>" "an untagged image's digest"
	b_ok images --no-trunc old
	assert_eq "$(echo "$output" | sed -n 2p | awk '{print $3}')" "$(img_id old:1 full)"
	b_ok images -q
	assert_eq "$output" "$(printf '%s\n' "$(img_id hist:1)" "$UNTAGGED" "$(img_id old:1)")"
	b_ok images -q --no-trunc old:1
	assert_eq "$output" "$(img_id old:1 full)"
	b_ok images -aq -f dangling=false
	assert_eq "$output" "$(printf '%s\n' "$(img_id hist:1)" "$(img_id old:1)")"
}

@test "images --format: templates, custom tables with docker's headers, json lines" {
	three_images
	b_ok images --format '{{.Repository}}:{{.Tag}} {{.ID}}' -f dangling=false
	assert_eq "$output" "$(printf '%s\n' "hist:1 $(img_id hist:1)" "other/name:v2 $(img_id hist:1)" \
		"old:1 $(img_id old:1)")"
	b_ok images --format 'table {{.Tag}}\t{{.ID}}' old
	assert_eq "$output" "$(printf '%-10s%s\n' TAG "IMAGE ID" 1 "$(img_id old:1)")"
	# A custom table with --digests gets the digest column.
	b_ok images --format 'table {{.ID}}' --digests old
	assert_eq "$output" "$(printf '%-15s%s\n' "IMAGE ID" DIGEST "$(img_id old:1)" "$(manifest old:1)")"
	# .Digest in a format turns digests on; otherwise it is <none>.
	b_ok images --format '{{.Digest}}' old
	assert_eq "$output" "$(manifest old:1)"
	b_ok images --format table old
	assert_eq "$(echo "$output" | head -1)" "REPOSITORY   TAG       IMAGE ID       CREATED      SIZE"
	b_ok images --format 'table {{.CreatedAt}}|{{.Containers}}|{{.SharedSize}}' old
	assert_eq "$(echo "$output" | head -1)" "CREATED AT|CONTAINERS|SHARED SIZE"
	[[ $(echo "$output" | sed -n 2p) =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:]{8}\ [-+][0-9]{4}\ [A-Z]+\|N/A\|N/A$ ]] ||
		fail "CreatedAt: $output"
	b_ok images --format json
	assert_eq "$(echo "$output" | wc -l)" 4 "json lines"
	local first
	first=$(echo "$output" | head -1)
	assert_eq "$(jq -c 'keys_unsorted' <<<"$first")" \
		'["Containers","CreatedAt","CreatedSince","Digest","ID","Repository","SharedSize","Size","Tag","UniqueSize","VirtualSize"]'
	assert_eq "$(jq -r '[.Containers, .CreatedSince, .Digest, .ID, .Repository, .Tag, .Size, .SharedSize, .UniqueSize] | join(",")' <<<"$first")" \
		"N/A,3 days ago,<none>,$(img_id hist:1),hist,1,$(size hist:1),N/A,N/A"
	b_ok image inspect --format '{{.Size}}' hist:1
	assert_eq "$(jq -r .VirtualSize <<<"$first")" "$(hsize "$output" 4)"
	b_ok images --format json --digests --no-trunc old
	assert_eq "$(jq -r '.Digest + " " + .ID' <<<"$output")" "$(manifest old:1) $(img_id old:1 full)"
	b images --format '{{.ID'
	[ "$status" = 1 ] && [[ $stderr == "berth: template: "* ]] || fail "bad template: $stderr"
}

@test "images: filters dangling, label, before, since, reference and REPOSITORY[:TAG]" {
	three_images
	rows() { b_ok images --format '{{.Repository}}:{{.Tag}}' "$@" && echo "$output"; }
	assert_eq "$(rows -f dangling=true)" "<none>:<none>"
	assert_eq "$(rows -f dangling=false)" "$(printf '%s\n' hist:1 other/name:v2 old:1)"
	assert_eq "$(rows -f label=tier=hist)" "$(printf '%s\n' hist:1 other/name:v2)"
	assert_eq "$(rows -f label=tier -f label=maintainer | wc -l)" 4
	assert_eq "$(rows -f label=nope)" ""
	assert_eq "$(rows -f before=hist:1)" "$(printf '%s\n' "<none>:<none>" old:1)"
	assert_eq "$(rows -f since=old:1)" "$(printf '%s\n' hist:1 other/name:v2 "<none>:<none>")"
	assert_eq "$(rows -f since=old:1 -f before=hist:1)" "<none>:<none>"
	assert_eq "$(rows -f reference='h*')" "hist:1"
	assert_eq "$(rows -f reference='other/*')" "other/name:v2"
	assert_eq "$(rows -f reference='*:v2')" ""
	assert_eq "$(rows -f reference='*/name:v2' -f reference=old)" "$(printf '%s\n' other/name:v2 old:1)"
	assert_eq "$(rows -f 'Reference = old:1')" "old:1"
	assert_eq "$(rows hist)" "hist:1"
	assert_eq "$(rows other/name:v2)" "other/name:v2"
	assert_eq "$(rows nothing)" ""
	b_fail "berth: invalid filter 'bogus'" images -f bogus=1
	b_fail "berth: invalid filter 'dangling=maybe'" images -f dangling=maybe
	b_fail "berth: bad format of filter (expected name=value): dangling" images --filter dangling
	b_fail "berth: No such image: nope" images -f before=nope
}

@test "image inspect: docker's fields, order, 4-space indent and Go's escaping" {
	local created
	created=$(mkimage hist:1 3)
	b_ok tag hist:1 other/name:v2
	b_ok image inspect hist:1
	local json=$output m
	m=$(manifest hist:1)
	assert_eq "$(echo "$json" | head -3)" "$(printf '%s\n' "[" "    {" \
		"        \"Id\": \"$(img_id hist:1 full)\",")"
	assert_eq "$(echo "$json" | tail -2)" "$(printf '%s\n' "    }" "]")"
	assert_eq "$(jq -c '.[0] | keys_unsorted' <<<"$json")" \
		'["Id","RepoTags","RepoDigests","Parent","Comment","Created","DockerVersion","Author","Config","Architecture","Os","Size","GraphDriver","RootFS","Metadata"]'
	assert_eq "$(jq -c '.[0].Config | keys_unsorted' <<<"$json")" \
		'["Hostname","Domainname","User","AttachStdin","AttachStdout","AttachStderr","ExposedPorts","Tty","OpenStdin","StdinOnce","Env","Cmd","Image","Volumes","WorkingDir","Entrypoint","OnBuild","Labels","StopSignal"]'
	assert_eq "$(jq -c '.[0].RepoTags' <<<"$json")" '["hist:1","other/name:v2"]'
	assert_eq "$(jq -c '.[0].RepoDigests' <<<"$json")" "[\"hist@$m\",\"other/name@$m\"]"
	assert_eq "$(jq -r '.[0] | [.Parent, .Comment, .Created, .DockerVersion, .Author, .Architecture, .Os] | join("|")' <<<"$json")" \
		"|second layer|$created|24.0.7|Berth Tests|amd64|linux"
	assert_eq "$(jq -c '.[0].Config | [.Hostname, .User, .Tty, .Env, .Cmd, .Image, .Volumes, .WorkingDir, .Entrypoint, .OnBuild, .StopSignal, .ExposedPorts]' <<<"$json")" \
		'["","",false,["PATH=/bin"],["sh","-c","echo hi && true"],"",null,"/srv",null,null,"SIGTERM",{"80/tcp":{}}]'
	# Go's encoding/json escapes <, > and & in strings.
	grep -qF '"maintainer": "Ann \u003cann@example.com\u003e"' <<<"$json" || fail "no \\u003c: $json"
	grep -qF '"echo hi \u0026\u0026 true"' <<<"$json" || fail "no \\u0026: $json"
	# Size is the unpacked layers; RootFS the diff ids; GraphDriver overlay's view.
	[[ $(jq '.[0].Size' <<<"$json") =~ ^[0-9]+$ ]] || fail "Size: $json"
	assert_eq "$(jq -r '.[0].RootFS.Type' <<<"$json")" layers
	assert_eq "$(jq '.[0].RootFS.Layers | length' <<<"$json")" 2
	local lower upper
	lower=$(jq -r '.[0].GraphDriver.Data.LowerDir' <<<"$json")
	upper=$(jq -r '.[0].GraphDriver.Data.UpperDir' <<<"$json")
	[ -f "$lower/a.txt" ] && [ -f "$upper/b.txt" ] || fail "layer dirs: $lower $upper"
	[[ $(jq -r '.[0].GraphDriver.Name' <<<"$json") =~ ^(overlay|vfs)$ ]] || fail "driver"
	[[ $(jq -r '.[0].Metadata.LastTagTime' <<<"$json") =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]] ||
		fail "LastTagTime: $json"
	# An imported image: docker's defaults where the config is silent.
	mkimport plain:1
	b_ok image inspect plain:1
	assert_eq "$(jq -c '.[0].Config | [.Hostname, .AttachStdin, .Env, .Cmd, .Labels, has("ExposedPorts"), has("StopSignal")]' <<<"$output")" \
		'["",false,null,null,null,false,false]'
	assert_eq "$(jq -r '.[0].Comment' <<<"$output")" "Imported from $T/rootfs.tar"
	assert_eq "$(jq -r '.[0].GraphDriver.Data | keys | join(",")' <<<"$output")" UpperDir
}

@test "image inspect: --format per image; missing images fail after the found ones" {
	mkimage hist:1 3 >/dev/null
	mkimport plain:1
	local arch
	arch=$(b_ok image inspect --format '{{.Architecture}}' plain:1 && echo "$output")
	b_ok image inspect --format '{{.Os}}/{{.Architecture}} {{.Config.WorkingDir}}|' hist:1 plain:1
	assert_eq "$output" "$(printf '%s\n' "linux/amd64 /srv|" "linux/$arch |")"
	b_ok image inspect -f '{{json .RepoTags}}' "$(img_id hist:1)"
	assert_eq "$output" '["hist:1"]'
	b_fail "berth: No such image: nope" image inspect hist:1 nope
	assert_eq "$(jq -r '.[].RepoTags[0]' <<<"$output")" hist:1
	b_fail "berth: No such image: nope; No such image: gone:2" image inspect nope gone:2
	assert_eq "$output" "[]"
	b_fail "berth: No such image: nope" image inspect -f '{{.Id}}' nope hist:1
	assert_eq "$output" "$(img_id hist:1 full)"
}

@test "history: newest first, <missing> below the top, empty layers 0B, CREATED BY cut at 45" {
	local created
	created=$(mkimage hist:1 3)
	b_ok history --human=false --format '{{.Size}}' hist:1
	local sizes=($output)
	assert_eq "${sizes[1]}" 0 "the empty layer's size"
	local by="/bin/sh -c echo this command is long enough …"
	local f='%-15s%-13s%-48s%-10s%s\n'
	b_ok history hist:1
	assert_eq "$output" "$(
		printf "$f" IMAGE CREATED "CREATED BY" SIZE COMMENT
		# "…" is three bytes: printf pads bytes, the table pads characters.
		printf '%-15s%-13s%-50s%-10s%s\n' "$(img_id hist:1)" "3 days ago" "$by" \
			"$(hsize "${sizes[0]}")" "second layer"
		printf "$f" "<missing>" "3 days ago" "/bin/sh -c #(nop)  LABEL tier=x" 0B ""
		printf "$f" "<missing>" "3 days ago" "/bin/sh -c #(nop) ADD file:0123 in /" "$(hsize "${sizes[2]}")" ""
	)"
	b_ok image history hist:1
	assert_eq "$(echo "$output" | wc -l)" 4
	# The layers' sizes add up to the image's.
	b_ok image inspect --format '{{.Size}}' hist:1
	assert_eq "$((sizes[0] + sizes[2]))" "$output" "layer sizes"
	# --human=false: RFC 3339 times and byte counts; tabs in CREATED BY are spaces.
	b_ok history --human=false --no-trunc hist:1
	assert_eq "$(echo "$output" | head -1 | tr -s ' ')" "IMAGE CREATED AT CREATED BY SIZE COMMENT"
	assert_eq "$(echo "$output" | sed -n 2p | tr -s ' ')" \
		"$(img_id hist:1 full) $created /bin/sh -c echo this command is long enough to be cut ${sizes[0]} second layer"
	b_ok history -H=false --format '{{.CreatedSince}} {{.Size}}' hist:1
	assert_eq "$(echo "$output" | head -1)" "$created ${sizes[0]}"
	b_fail 'berth: history: invalid boolean value "maybe" for flag --human' history --human=maybe hist:1
	b_ok history -q hist:1
	assert_eq "$output" "$(printf '%s\n' "$(img_id hist:1)" "<missing>" "<missing>")"
	b_ok history --format json hist:1
	assert_eq "$(echo "$output" | head -1 | jq -c 'keys_unsorted')" \
		'["Comment","CreatedAt","CreatedBy","CreatedSince","ID","Size"]'
	assert_eq "$(echo "$output" | sed -n 2p | jq -r '.ID + "|" + .Size + "|" + .Comment')" "<missing>|0B|"
	b_ok history --format 'table {{.ID}}\t{{.Comment}}' hist:1
	assert_eq "$(echo "$output" | head -2)" "$(printf '%-15s%s\n' IMAGE COMMENT "$(img_id hist:1)" "second layer")"
	b_fail "berth: No such image: nope" history nope
}

@test "history: a config without history gets one row per layer" {
	NOHIST=1 mkimage nohist:1 2 >/dev/null
	b_ok history --format '{{.ID}}|{{.CreatedSince}}|{{.CreatedBy}}|{{.Comment}}' nohist:1
	assert_eq "$output" "$(printf '%s\n' "$(img_id nohist:1)|2 days ago||" "<missing>|2 days ago||")"
}

@test "tag: names an image by name, id or id prefix; errors name what is wrong" {
	mkimage hist:1 3 >/dev/null
	local full
	full=$(img_id hist:1 full)
	b_ok tag hist:1 copy
	assert_eq "$output" ""
	b_ok image tag "${full:7:5}" quay.io/me/copy:2
	b_ok tag "$full" localhost:5000/x
	b_ok images --format '{{.Repository}}:{{.Tag}}'
	assert_eq "$output" "$(printf '%s\n' copy:latest hist:1 localhost:5000/x:latest quay.io/me/copy:2)"
	b_fail "berth: No such image: nope" tag nope x
	b tag hist:1 'Bad:Name'
	[ "$status" = 1 ] && [[ $stderr == "berth: invalid reference format"* ]] || fail "$stderr"
	b_fail "berth: tag: requires exactly 2 arguments (see --help)" tag hist:1
}

@test "rmi: Untagged and Deleted lines, conflicts, missing images and exit codes" {
	three_images
	local hist old untagged
	hist=$(img_id hist:1 full)
	old=$(img_id old:1 full)
	untagged=$(b_ok images -q --no-trunc -f dangling=true && echo "$output")
	# A name of an image with other names: only the name goes.
	b_ok rmi other/name:v2
	assert_eq "$output" "Untagged: other/name:v2"
	b_ok tag hist:1 hist:2
	# By id, an image with several names needs -f.
	b rmi "${hist:7:12}"
	[ "$status" = 1 ] || fail "rmi of a multi-named image by id: $status"
	[[ $stderr == "berth: conflict: unable to delete ${hist:7:12} (must be forced) - image is referenced in multiple repositories"* ]] ||
		fail "$stderr"
	b_ok image rm -f "${hist:7:12}"
	assert_eq "$output" "$(printf '%s\n' "Untagged: hist:1" "Untagged: hist:2" "Deleted: $hist")"
	# A missing image does not stop the others; the run fails at the end.
	b_fail "berth: No such image: nope" image remove old:1 nope "$UNTAGGED"
	assert_eq "$output" "$(printf '%s\n' "Untagged: old:1" "Deleted: $old" "Deleted: $untagged")"
	b_ok images -q
	assert_eq "$output" ""
	# -f: missing images are warned about, not fatal.
	b_ok rmi -f nope gone:1
	assert_eq "$stderr" "berth: warning: No such image: nope; No such image: gone:1"
	b_fail "berth: No such image: nope; No such image: gone:1" rmi nope gone:1
	# Blobs and layers went with the images.
	assert_eq "$(ls "$STORE/layers" | wc -l)" 0
	assert_eq "$(ls "$STORE/blobs/sha256" | wc -l)" 0
}

@test "rmi: an image a snapshot uses is kept unless forced" {
	mkimage hist:1 3 >/dev/null
	b_ok image mount hist:1
	b rmi hist:1
	[ "$status" = 1 ] && [[ $stderr == "berth: conflict: unable to remove repository reference \"hist:1\" (must force)"* ]] ||
		fail "$status $stderr"
	local full
	full=$(img_id hist:1 full)
	b_ok image unmount hist:1
	b_ok rmi hist:1
	assert_eq "$output" "$(printf '%s\n' "Untagged: hist:1" "Deleted: $full")"
}

@test "image prune: docker's prompt, cancel, dangling only, -a, totals" {
	three_images
	local untagged
	untagged=$(b_ok images -q --no-trunc -f dangling=true && echo "$output")
	echo n >"$T/no"
	echo y >"$T/yes"
	B_STDIN=$T/no b_ok image prune
	assert_eq "$output" "$(printf 'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ')"
	assert_eq "$(b_ok images -q && echo "$output" | wc -l)" 3 "images after a cancelled prune"
	B_STDIN=$T/yes b_ok image prune
	[[ $output == "WARNING! This will remove all dangling images."$'\n'"Are you sure you want to continue? [y/N] Deleted Images:"$'\n'"deleted: $untagged"$'\n\n'"Total reclaimed space: "[0-9.]*[kMG]*B ]] ||
		fail "prune output: $output"
	b_ok image prune -f
	assert_eq "$output" "Total reclaimed space: 0B"
	# -a: every image no snapshot uses; a mounted one stays.
	b_ok image mount old:1
	B_STDIN=$T/no b_ok image prune -a
	assert_eq "$output" "$(printf 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] ')"
	b_ok image prune -af
	[[ $output == "Deleted Images:"$'\n'"untagged: hist:1"$'\n'"untagged: other/name:v2"$'\n'"deleted: sha256:"[0-9a-f]*$'\n\n'"Total reclaimed space: "[0-9.]*[kMG]*B ]] ||
		fail "prune -a output: $output"
	b_ok images --format '{{.Repository}}'
	assert_eq "$output" old
	b_fail "berth: image prune: --filter is not supported yet" image prune -f --filter until=1h
	b_ok image unmount old:1
}

@test "system df: docker's summary table, -v sections, --format" {
	b_ok system df
	assert_eq "$output" "$(
		printf '%-16s%-10s%-10s%-10s%s\n' TYPE TOTAL ACTIVE SIZE RECLAIMABLE
		printf '%-16s%-10s%-10s%-10s%s\n' Images 0 0 0B 0B
		printf '%-16s%-10s%-10s%-10s%s\n' Containers 0 0 0B 0B
		printf '%-16s%-10s%-10s%-10s%s\n' "Local Volumes" 0 0 0B 0B
		printf '%-16s%-10s%-10s%-10s%s\n' "Build Cache" 0 0 0B 0B
	)"
	mkimage hist:1 3 >/dev/null
	mkimage old:1 5 >/dev/null
	b_ok image mount hist:1
	b_ok system df --format '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Reclaimable}}'
	[[ $(echo "$output" | sed -n 1p) =~ ^Images\|2\|1\|[0-9.]+kB\ \([0-9]+%\)$ ]] || fail "$output"
	[[ $(echo "$output" | sed -n 2p) =~ ^Containers\|1\|1\|0B( \(0%\))?$ ]] || fail "$output"
	assert_eq "$(echo "$output" | sed -n 3,4p)" "$(printf '%s\n' "Local Volumes|0|0|0B" "Build Cache|0|0|0B")"
	b_ok system df --format json
	assert_eq "$(echo "$output" | jq -sc 'map(.Type)')" '["Images","Containers","Local Volumes","Build Cache"]'
	assert_eq "$(echo "$output" | head -1 | jq -c keys_unsorted)" '["Active","Reclaimable","Size","TotalCount","Type"]'
	b_ok system df --format 'table {{.Type}}\t{{.Active}}'
	assert_eq "$(echo "$output" | head -2)" "$(printf '%-16s%s\n' TYPE ACTIVE Images 1)"
	b_ok system df -v
	local v=$output
	assert_eq "$(echo "$v" | sed -n '1,3p')" "$(printf '%s\n' "Images space usage:" "" \
		"REPOSITORY   TAG       IMAGE ID       CREATED      SIZE      SHARED SIZE   UNIQUE SIZE   CONTAINERS")"
	# hist:1 and old:1 share their first layer.
	local l1 total
	l1=$(b_ok history --human=false --format '{{.Size}}' hist:1 && echo "$output" | tail -1)
	total=$(b_ok image inspect --format '{{.Size}}' hist:1 && echo "$output")
	assert_eq "$(echo "$v" | sed -n 4p | awk '{print $1, $2, $3, $8, $9, $10}')" \
		"hist 1 $(img_id hist:1) $(hsize "$l1" 4) $(hsize $((total - l1)) 4) 1"
	assert_eq "$(echo "$v" | sed -n 5p | awk '{print $1, $2, $3, $8, $10}')" \
		"old 1 $(img_id old:1) $(hsize "$l1" 4) 0"
	grep -qx "Containers space usage:" <<<"$v" || fail "$v"
	grep -q "^CONTAINER ID         IMAGE          COMMAND   LOCAL VOLUMES   SIZE" <<<"$v" || fail "$v"
	grep -q "^mount-$(img_id hist:1)   $(img_id hist:1) " <<<"$v" || fail "$v"
	grep -qx "VOLUME NAME   LINKS     SIZE" <<<"$v" || fail "$v"
	grep -qx "Build cache usage: 0B" <<<"$v" || fail "$v"
	assert_eq "$(echo "$v" | tail -1)" "CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED"
	b_ok system df -v --format '{{range .Images}}{{.Repository}}={{.Containers}} {{end}}'
	assert_eq "$output" "hist=1 old=0 "
	b_ok image unmount hist:1
}

@test "system prune: docker's prompt, dangling images and store garbage, -a" {
	three_images
	echo n >"$T/no"
	B_STDIN=$T/no b_ok system prune
	assert_eq "$output" "$(printf '%s\n%s\n%s\n%s\n\n%s' "WARNING! This will remove:" \
		"  - all dangling images" "  - all blobs and layers no image uses" \
		"  - all files left by interrupted loads and snapshots" \
		"Are you sure you want to continue? [y/N] ")"
	B_STDIN=$T/no b_ok system prune -a
	assert_eq "$(echo "$output" | sed -n 2p)" "  - all images without at least one snapshot associated to them"
	assert_eq "$(b_ok images -q && echo "$output" | wc -l)" 3
	# Garbage: a staging area no load holds and a blob nothing names.
	mkdir -p "$STORE/tmp/stage-junk"
	head -c 5000 /dev/zero >"$STORE/tmp/stage-junk/blob"
	echo junk >"$STORE/blobs/sha256/$(printf '%064d' 0)"
	b_ok system prune -f
	[[ $output == "Deleted Images:"$'\n'"deleted: sha256:"[0-9a-f]*$'\n\n'"Total reclaimed space: "[0-9.]*[kMG]*B ]] ||
		fail "system prune output: $output"
	[ ! -e "$STORE/tmp/stage-junk" ] && [ ! -e "$STORE/blobs/sha256/$(printf '%064d' 0)" ] ||
		fail "garbage left"
	b_ok images --format '{{.Repository}}:{{.Tag}}'
	assert_eq "$output" "$(printf '%s\n' hist:1 other/name:v2 old:1)"
	b_ok system prune -f
	assert_eq "$output" "Total reclaimed space: 0B"
	b_ok system prune -a -f
	b_ok images -q
	assert_eq "$output" ""
	b_fail "berth: system prune: --filter is not supported yet" system prune -f --filter label=x
}

@test "image mount: the image's files, one mount reused, writes discarded at unmount" {
	mkimage hist:1 3 >/dev/null
	b_ok image mount hist:1
	local m=$output
	assert_eq "$m" "$STORE/snapshots/mount-$(img_id hist:1)/merged"
	assert_eq "$(cat "$m/a.txt" | wc -c)" 3000
	assert_eq "$(head -1 "$m/b.txt")" "image hist:1"
	echo scribble >"$m/new"
	rm "$m/a.txt"
	b_ok image mount "$(img_id hist:1)"
	assert_eq "$output" "$m"
	[ -e "$m/new" ] || fail "the second mount is not the same snapshot"
	b_ok image unmount hist:1
	assert_eq "$output" "$(img_id hist:1 full | cut -d: -f2)"
	[ ! -e "$m" ] || fail "$m left behind"
	! grep -q " $T/" /proc/self/mountinfo || fail "mount left: $(grep " $T/" /proc/self/mountinfo)"
	# The layers were not touched: a new mount has a.txt and no new.
	b_ok image mount hist:1
	[ -f "$m/a.txt" ] && [ ! -e "$m/new" ] || fail "writes were not discarded"
	b_ok image umount hist:1
	b_fail "berth: image hist:1 is not mounted" image unmount hist:1
	b_fail "berth: No such image: nope" image mount nope
}

@test "image unmount --all: every mounted image, and nothing else" {
	mkimage hist:1 3 >/dev/null
	mkimage old:1 5 >/dev/null
	b_ok image mount hist:1 old:1
	assert_eq "$(echo "$output" | wc -l)" 2
	b_ok image unmount --all
	assert_eq "$(echo "$output" | sort)" "$(printf '%s\n' "$(img_id hist:1 full | cut -d: -f2)" "$(img_id old:1 full | cut -d: -f2)" | sort)"
	b_ok system df --format '{{.Type}} {{.TotalCount}}'
	assert_eq "$(echo "$output" | sed -n 2p)" "Containers 0"
	! grep -q " $T/" /proc/self/mountinfo || fail "mount left"
	b_fail "berth: image unmount: name images or give --all, not both" image unmount
	b_fail "berth: image unmount: name images or give --all, not both" image unmount -a hist:1
}
