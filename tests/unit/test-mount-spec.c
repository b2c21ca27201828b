/* mount-spec.c: every form of -v, --mount and --tmpfs, and docker's
 * messages for what is wrong with them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/mount-spec.h"
#include "engine/ocispec-mounts.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/strv.h"
#include "util/xalloc.h"

static void volume_ok(const char *raw, enum mount_spec_type type, const char *source,
		      const char *dest, bool ro, const char *propagation)
{
	struct mount_spec m;
	struct berth_err err = { 0 };
	int r = mount_spec_parse_volume(raw, &m, &err);

	CHECK(r == 0, "-v %s parses (%s)", raw, err.msg);
	if (r < 0)
		return;
	CHECK(m.type == type, "-v %s: type %d", raw, m.type);
	if (source == NULL)
		CHECK(m.source == NULL && m.anonymous, "-v %s: anonymous", raw);
	else
		CHECK_STR(m.source, source, raw);
	CHECK_STR(m.destination, dest, raw);
	CHECK(m.read_only == ro, "-v %s: read-only %d", raw, m.read_only);
	if (propagation != NULL)
		CHECK_STR(m.propagation, propagation, raw);
	else
		CHECK(m.propagation == NULL, "-v %s: no propagation", raw);
	mount_spec_clear(&m);
}

static void volume_bad(const char *raw, const char *msg)
{
	struct mount_spec m;
	struct berth_err err = { 0 };
	int r = mount_spec_parse_volume(raw, &m, &err);

	CHECK(r < 0, "-v %s is refused", raw);
	CHECK_STR(err.msg, msg, raw);
	CHECK(m.raw == NULL && m.source == NULL, "-v %s: nothing left", raw);
	if (r == 0)
		mount_spec_clear(&m);
}

static void test_volume_flag(void)
{
	volume_ok("/host:/ctr", MOUNT_SPEC_BIND, "/host", "/ctr", false, "rprivate");
	volume_ok("/host/./a/../b/:/ctr//x/", MOUNT_SPEC_BIND, "/host/b", "/ctr/x", false,
		  "rprivate");
	volume_ok("/host:/ctr:ro", MOUNT_SPEC_BIND, "/host", "/ctr", true, "rprivate");
	volume_ok("/host:/ctr:rw", MOUNT_SPEC_BIND, "/host", "/ctr", false, "rprivate");
	volume_ok("/host:/ctr:ro,Z", MOUNT_SPEC_BIND, "/host", "/ctr", true, "rprivate");
	volume_ok("/host:/ctr:z", MOUNT_SPEC_BIND, "/host", "/ctr", false, "rprivate");
	volume_ok("/host:/ctr:rslave,ro", MOUNT_SPEC_BIND, "/host", "/ctr", true, "rslave");
	volume_ok("/:/host", MOUNT_SPEC_BIND, "/", "/host", false, "rprivate");
	volume_ok("data:/data", MOUNT_SPEC_VOLUME, "data", "/data", false, NULL);
	volume_ok("my.vol-1_x:/data:ro", MOUNT_SPEC_VOLUME, "my.vol-1_x", "/data", true, NULL);
	volume_ok("data:/data:nocopy", MOUNT_SPEC_VOLUME, "data", "/data", false, NULL);
	volume_ok("/data", MOUNT_SPEC_VOLUME, NULL, "/data", false, NULL);
	volume_ok("/data/", MOUNT_SPEC_VOLUME, NULL, "/data", false, NULL);

	/* The fields docker's inspect shows. */
	{
		struct mount_spec m;
		struct berth_err err = { 0 };

		CHECK(mount_spec_parse_volume("/h:/c:ro,z", &m, &err) == 0, "parse");
		CHECK_STR(m.mode, "ro,z", "Mode is the third field");
		CHECK_STR(m.raw, "/h:/c:ro,z", "raw");
		CHECK(m.create_source, "-v makes a missing bind source");
		CHECK(m.origin == MOUNT_FROM_VOLUME_FLAG, "origin");
		mount_spec_clear(&m);
		CHECK(mount_spec_parse_volume("v1:/c:nocopy", &m, &err) == 0 && m.no_copy,
		      "nocopy");
		mount_spec_clear(&m);
	}
	/* A relative "./x" is made absolute from the working directory. */
	{
		struct mount_spec m;
		struct berth_err err = { 0 };
		autofree char *cwd = getcwd(NULL, 0);
		autofree char *want = xasprintf("%s/sub", strcmp(cwd, "/") == 0 ? "" : cwd);
		autofree char *raw = xasprintf("%s:/c", want);

		CHECK(mount_spec_parse_volume("./sub:/c", &m, &err) == 0, "./sub:/c parses");
		CHECK(m.type == MOUNT_SPEC_BIND, "./sub is a bind");
		CHECK_STR(m.source, want, "./sub made absolute");
		CHECK_STR(m.raw, raw, "raw (Binds) has the absolute path");
		mount_spec_clear(&m);
	}

	volume_bad("", "invalid volume specification: ''");
	volume_bad(":/x", "invalid volume specification: ':/x'");
	volume_bad("/a:/b:ro:x", "invalid volume specification: '/a:/b:ro:x'");
	volume_bad("/foo:rw", "invalid volume specification: '/foo:rw'");
	volume_bad("/foo:ro", "invalid volume specification: '/foo:ro'");
	volume_bad("/a:/b:rx", "invalid mode: rx");
	volume_bad("/a:/b:ro,rw", "invalid mode: ro,rw");
	volume_bad("/a:/b:z,Z", "invalid mode: z,Z");
	volume_bad("/a:/b:ro,", "invalid mode: ro,");
	volume_bad("/a:/", "invalid volume specification: '/a:/': invalid mount config for type "
			   "\"bind\": invalid specification: destination can't be '/'");
	volume_bad("/a:rel",
		   "invalid volume specification: '/a:rel': invalid mount config for "
		   "type \"bind\": invalid mount path: 'rel' mount path must be absolute");
	volume_bad("data", "invalid volume specification: 'data': invalid mount config for type "
			   "\"volume\": invalid mount path: 'data' mount path must be absolute");
	volume_bad("/a:", "invalid volume specification: '/a:'");
	volume_bad("v1:/x:rshared",
		   "invalid volume specification: 'v1:/x:rshared': invalid mount config for type "
		   "\"volume\": field BindOptions must not be specified");
	volume_bad("/h:/x:nocopy",
		   "invalid volume specification: '/h:/x:nocopy': invalid mount config for type "
		   "\"bind\": field VolumeOptions must not be specified");
	volume_bad("a:/x", "create a: volume name is too short, names should be at least two "
			   "alphanumeric characters");
	volume_bad("a b:/x",
		   "create a b: \"a b\" includes invalid characters for a local volume "
		   "name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended "
		   "to pass a host directory, use absolute path");
	volume_bad(
	    "rel/path:/x",
	    "create rel/path: \"rel/path\" includes invalid characters for a local volume "
	    "name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a "
	    "host directory, use absolute path");
	volume_bad("_x:/x", "create _x: \"_x\" includes invalid characters for a local volume "
			    "name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended "
			    "to pass a host directory, use absolute path");
}

static void mount_bad(const char *raw, const char *msg)
{
	struct mount_spec m;
	struct berth_err err = { 0 };
	int r = mount_spec_parse_mount(raw, &m, &err);

	CHECK(r < 0, "--mount %s is refused", raw);
	CHECK_STR(err.msg, msg, raw);
	if (r == 0)
		mount_spec_clear(&m);
}

/* "invalid argument" prefix of the client's flag errors. */
static void mount_flag_bad(const char *raw, const char *msg)
{
	autofree char *full =
	    xasprintf("invalid argument \"%s\" for \"--mount\" flag: %s", raw, msg);

	mount_bad(raw, full);
}

static void test_mount_flag(const char *dir)
{
	struct mount_spec m;
	struct berth_err err = { 0 };
	autofree char *bind = xasprintf("type=bind,source=%s,target=/c,readonly", dir);
	autofree char *bind2 =
	    xasprintf("type=bind,src=%s,dst=/c,ro=false,bind-propagation=rshared", dir);
	autofree char *quoted = xasprintf("\"type=bind\",\"src=%s\",destination=/c", dir);
	autofree char *missing = xasprintf("%s/nope", dir);
	autofree char *missing_spec = xasprintf("type=bind,source=%s,target=/c", missing);
	autofree char *missing_msg = xasprintf(
	    "invalid mount config for type \"bind\": bind source path does not exist: %s", missing);

	CHECK(mount_spec_parse_mount(bind, &m, &err) == 0, "%s (%s)", bind, err.msg);
	CHECK(m.type == MOUNT_SPEC_BIND && m.read_only && !m.create_source, "bind, ro, no mkdir");
	CHECK_STR(m.source, dir, "bind source");
	CHECK_STR(m.destination, "/c", "bind target");
	CHECK_STR(m.propagation, "rprivate", "default propagation");
	CHECK_STR(m.mode, "", "--mount has no Mode");
	mount_spec_clear(&m);
	CHECK(mount_spec_parse_mount(bind2, &m, &err) == 0, "%s (%s)", bind2, err.msg);
	CHECK(!m.read_only, "ro=false");
	CHECK_STR(m.propagation, "rshared", "bind-propagation");
	mount_spec_clear(&m);
	CHECK(mount_spec_parse_mount(quoted, &m, &err) == 0, "CSV quotes (%s)", err.msg);
	CHECK_STR(m.source, dir, "quoted source");
	mount_spec_clear(&m);

	CHECK(mount_spec_parse_mount("type=volume,source=v1,target=/data,volume-nocopy,"
				     "volume-opt=type=tmpfs,volume-label=a=b",
				     &m, &err) == 0,
	      "volume with options (%s)", err.msg);
	CHECK(m.type == MOUNT_SPEC_VOLUME && !m.anonymous && m.no_copy, "named, nocopy");
	CHECK_STR(m.source, "v1", "volume name");
	CHECK(strv_len(m.volume_opts) == 1, "one volume-opt");
	CHECK_STR(m.volume_opts[0], "type=tmpfs", "volume-opt");
	CHECK_STR(m.volume_labels[0], "a=b", "volume-label");
	mount_spec_clear(&m);
	CHECK(mount_spec_parse_mount("target=/data", &m, &err) == 0, "type defaults to volume");
	CHECK(m.type == MOUNT_SPEC_VOLUME && m.anonymous && m.source == NULL, "anonymous volume");
	mount_spec_clear(&m);
	CHECK(mount_spec_parse_mount("Type=TMPFS,Target=/t,tmpfs-size=64m,tmpfs-mode=1770", &m,
				     &err) == 0,
	      "tmpfs (%s)", err.msg);
	CHECK(m.type == MOUNT_SPEC_TMPFS, "tmpfs type, keys in any case");
	CHECK_STR(m.tmpfs_data, "mode=1770,size=64m", "tmpfs data as docker converts it");
	mount_spec_clear(&m);
	CHECK(mount_spec_parse_mount("type=tmpfs,target=/t,tmpfs-size=1000", &m, &err) == 0,
	      "odd tmpfs size");
	CHECK_STR(m.tmpfs_data, "size=1000", "size without a unit");
	mount_spec_clear(&m);

	mount_flag_bad("type=bind,source=/x", "target is required");
	mount_flag_bad("type=,target=/x", "type is required");
	mount_flag_bad("type=bind,target=/x,bogus",
		       "invalid field 'bogus' must be a key=value pair");
	mount_flag_bad("type=bind,target=/x,foo=bar", "unexpected key 'foo' in 'foo=bar'");
	mount_flag_bad("type=bind,target=/x,readonly=maybe", "invalid value for readonly: maybe");
	mount_flag_bad("type=tmpfs,target=/x,tmpfs-size=lots",
		       "invalid value for tmpfs-size: lots");
	mount_flag_bad("type=tmpfs,target=/x,tmpfs-mode=99", "invalid value for tmpfs-mode: 99");
	mount_flag_bad("type=bind,target=/x,volume-nocopy",
		       "cannot mix 'volume-*' options with mount type 'bind'");
	mount_flag_bad("type=volume,target=/x,bind-propagation=shared",
		       "cannot mix 'bind-*' options with mount type 'volume'");
	mount_flag_bad("type=bind,target=/x,tmpfs-size=1m",
		       "cannot mix 'tmpfs-*' options with mount type 'bind'");
	mount_flag_bad("type=bind,tar\"get=/x", "parse error on line 1, column 14: bare \" in "
						"non-quoted-field");
	mount_bad(missing_spec, missing_msg);
	mount_bad(
	    "type=bind,source=rel,target=/c",
	    "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must "
	    "be absolute");
	mount_bad("type=bind,target=/c",
		  "invalid mount config for type \"bind\": field Source must not be empty");
	mount_bad("type=foo,target=/c",
		  "invalid mount config for type \"foo\": mount type unknown");
	mount_bad("type=volume,target=/",
		  "invalid mount config for type \"volume\": invalid specification: destination "
		  "can't be '/'");
	mount_bad("type=volume,target=/c,readonly",
		  "invalid mount config for type \"volume\": must not set ReadOnly mode when using "
		  "anonymous volumes");
	mount_bad("type=tmpfs,source=x,target=/c",
		  "invalid mount config for type \"tmpfs\": field Source must not be specified");
	mount_bad("type=volume,source=a,target=/c",
		  "create a: volume name is too short, names should be at least two alphanumeric "
		  "characters");
	{
		autofree char *bad_prop =
		    xasprintf("type=bind,source=%s,target=/c,bind-propagation=sideways", dir);

		mount_bad(bad_prop, "invalid mount config for type \"bind\": invalid propagation "
				    "mode: sideways");
	}
}

static void tmpfs_opts(const char *raw, bool ro, const char *want)
{
	struct mount_spec m;
	struct berth_err err = { 0 };
	autostrv char **opts = NULL;
	autofree char *got = NULL;
	size_t len = 0;

	CHECK(mount_spec_parse_tmpfs(raw, &m, &err) == 0, "--tmpfs %s (%s)", raw, err.msg);
	m.read_only = ro;
	CHECK(mount_spec_tmpfs_options(&m, &opts, &err) == 0, "options of %s", raw);
	got = xstrdup("");
	for (size_t i = 0; opts != NULL && opts[i] != NULL; i++) {
		char *n = xasprintf("%s%s%s", got, len++ ? "," : "", opts[i]);

		free(got);
		got = n;
	}
	CHECK_STR(got, want, raw);
	mount_spec_clear(&m);
}

static void test_tmpfs_flag(void)
{
	struct mount_spec m;
	struct berth_err err = { 0 };

	tmpfs_opts("/run", false, "noexec,nosuid,nodev,rprivate");
	tmpfs_opts("/run:size=64m", false, "noexec,nosuid,nodev,rprivate,size=64m");
	tmpfs_opts("/run:exec,size=1m,size=2m,mode=1777", false,
		   "nosuid,nodev,rprivate,exec,size=2m,mode=1777");
	tmpfs_opts("/run:rw", true, "noexec,nosuid,nodev,rprivate,rw");
	tmpfs_opts("/run:shared,defaults", false, "noexec,nosuid,nodev,shared");

	CHECK(mount_spec_parse_tmpfs("/run/:size=1k", &m, &err) == 0, "parse");
	CHECK_STR(m.destination, "/run", "destination cleaned");
	CHECK_STR(m.tmpfs_data, "size=1k", "data kept");
	CHECK(m.origin == MOUNT_FROM_TMPFS_FLAG && m.type == MOUNT_SPEC_TMPFS, "kind");
	mount_spec_clear(&m);

	CHECK(mount_spec_parse_tmpfs("run", &m, &err) < 0, "relative refused");
	CHECK_STR(err.msg, "invalid mount path: 'run' mount path must be absolute", "message");
	CHECK(mount_spec_parse_tmpfs("/", &m, &err) < 0, "/ refused");
	CHECK_STR(err.msg, "invalid specification: destination can't be '/'", "message");
	CHECK(mount_spec_parse_tmpfs("/x:foo", &m, &err) < 0, "unknown option refused");
	CHECK_STR(err.msg, "invalid tmpfs option [\"foo\"]", "message");
	CHECK(mount_spec_parse_tmpfs("/x:bad=1", &m, &err) < 0, "unknown data refused");
	CHECK_STR(err.msg, "invalid tmpfs option [\"bad\" \"1\"]", "message");
}

/* The tmpfs options are an allowlist: docker's flags and data keys, less
 * the flags that would make the runtime bind a path or remount whatever is
 * at the destination. */
static void test_tmpfs_allowlist(void)
{
	static const char *const allowed[] = {
		"ro",          "rw",           "exec",        "noexec",        "suid",
		"nosuid",      "dev",          "nodev",       "sync",          "async",
		"dirsync",     "atime",        "noatime",     "diratime",      "nodiratime",
		"relatime",    "norelatime",   "strictatime", "nostrictatime", "mand",
		"nomand",      "private",      "rprivate",    "shared",        "rshared",
		"slave",       "rslave",       "unbindable",  "runbindable",   "defaults",
		"size=1m",     "mode=1777",    "uid=1",       "gid=2",         "nr_inodes=9",
		"nr_blocks=9", "mpol=default",
	};
	static const char *const refused[][2] = {
		{ "bind", "[\"bind\"]" },
		{ "rbind", "[\"rbind\"]" },
		{ "remount", "[\"remount\"]" },
		{ "move", "[\"move\"]" },
		{ "loop", "[\"loop\"]" },
		{ "nosymfollow", "[\"nosymfollow\"]" },
		{ "rro", "[\"rro\"]" },
		{ "idmap", "[\"idmap\"]" },
		{ "x-mount.mkdir", "[\"x-mount.mkdir\"]" },
		{ "bind=1", "[\"bind\" \"1\"]" },
		{ "size", "[\"size\"]" },
		{ "huge=always", "[\"huge\" \"always\"]" },
	};

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		struct mount_spec m;
		struct berth_err err = { 0 };
		autofree char *raw = xasprintf("/t:%s", allowed[i]);

		CHECK(mount_spec_parse_tmpfs(raw, &m, &err) == 0, "--tmpfs %s allowed (%s)", raw,
		      err.msg);
		mount_spec_clear(&m);
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct mount_spec m;
		struct berth_err err = { 0 };
		autofree char *raw = xasprintf("/t:rw,%s,size=1m", refused[i][0]);
		autofree char *want = xasprintf("invalid tmpfs option %s", refused[i][1]);

		CHECK(mount_spec_parse_tmpfs(raw, &m, &err) < 0, "--tmpfs %s refused", raw);
		CHECK_STR(err.msg, want, raw);
	}
	/* A tmpfs's data from --mount goes through the same list. */
	{
		struct mount_spec m;
		struct berth_err err = { 0 };
		autostrv char **opts = NULL;

		CHECK(mount_spec_parse_mount("type=tmpfs,target=/t,tmpfs-mode=700", &m, &err) == 0,
		      "--mount type=tmpfs (%s)", err.msg);
		free(m.tmpfs_data);
		m.tmpfs_data = xstrdup("mode=700,bind");
		CHECK(mount_spec_tmpfs_options(&m, &opts, &err) < 0 &&
			  strcmp(err.msg, "invalid tmpfs option [\"bind\"]") == 0,
		      "a --mount tmpfs's data goes through the same list: %s", err.msg);
		mount_spec_clear(&m);
	}
}

static void test_lists(void)
{
	struct mount_spec_list l = { 0 };
	struct berth_err err = { 0 };
	char *vols[] = { (char *)"/h:/a", (char *)"v1:/b", NULL };
	char *mounts[] = { (char *)"type=tmpfs,target=/c", NULL };
	char *tmpfs[] = { (char *)"/d:size=1m", NULL };
	char *dup[] = { (char *)"/h:/a", (char *)"v2:/a/", NULL };
	json_object *image_vols = json_object_new_object();

	CHECK(mount_specs_parse(vols, mounts, tmpfs, &l, &err) == 0, "all three flags (%s)",
	      err.msg);
	CHECK(l.n == 4, "four mounts");
	json_object_object_add(image_vols, "/b", json_object_new_object());
	json_object_object_add(image_vols, "/z/", json_object_new_object());
	json_object_object_add(image_vols, "/e", json_object_new_object());
	CHECK(mount_specs_add_image_volumes(&l, image_vols, &err) == 0, "image volumes");
	CHECK(l.n == 6, "the image's /b is covered by -v v1:/b; /e and /z added");
	CHECK_STR(l.v[4].destination, "/e", "sorted");
	CHECK_STR(l.v[5].destination, "/z", "cleaned");
	CHECK(l.v[5].anonymous && l.v[5].origin == MOUNT_FROM_IMAGE, "anonymous, from the image");
	json_object_put(image_vols);

	/* The OCI mounts: defaults at a user's destination give way, and
	 * parents come before what is inside them. */
	{
		json_object *arr = json_object_new_array();
		json_object *shm = json_object_new_object();
		struct mount_spec_list l2 = { 0 };
		char *v2[] = { (char *)"/h/1:/x/y/z", (char *)"/h/2:/x:ro", NULL };
		char *t2[] = { (char *)"/dev/shm:size=1m", NULL };
		json_object *m0, *m1, *m2, *d;

		json_object_object_add(shm, "destination", json_object_new_string("/dev/shm"));
		json_object_array_add(arr, shm);
		CHECK(mount_specs_parse(v2, NULL, t2, &l2, &err) == 0, "parse");
		CHECK(ocispec_mounts_add(&l2, arr, &err) == 0, "oci mounts");
		CHECK(json_object_array_length(arr) == 3, "the default /dev/shm gave way");
		m0 = json_object_array_get_idx(arr, 0);
		m1 = json_object_array_get_idx(arr, 1);
		m2 = json_object_array_get_idx(arr, 2);
		json_object_object_get_ex(m0, "destination", &d);
		CHECK_STR(json_object_get_string(d), "/x", "shallowest first");
		json_object_object_get_ex(m0, "options", &d);
		CHECK_STR(json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN),
			  "[\"rbind\",\"ro\",\"rprivate\"]", "bind options");
		json_object_object_get_ex(m1, "type", &d);
		CHECK_STR(json_object_get_string(d), "tmpfs", "tmpfs /dev/shm second");
		json_object_object_get_ex(m2, "destination", &d);
		CHECK_STR(json_object_get_string(d), "/x/y/z", "deepest last");
		json_object_put(arr);
		mount_spec_list_clear(&l2);
	}
	mount_spec_list_clear(&l);

	CHECK(mount_specs_parse(dup, NULL, NULL, &l, &err) < 0, "two mounts on /a refused");
	CHECK_STR(err.msg, "Duplicate mount point: /a", "message");
	CHECK(l.n == 0 && l.v == NULL, "nothing left");
}

static void test_names_and_sizes(void)
{
	struct berth_err err = { 0 };
	int64_t v = 0;

	CHECK(mount_spec_check_volume_name("ab", &err) == 0, "ab");
	CHECK(mount_spec_check_volume_name("a.b-c_d9", &err) == 0, "a.b-c_d9");
	CHECK(mount_spec_check_volume_name("-ab", &err) < 0, "-ab refused");
	CHECK(mount_spec_parse_ram("64m", &v) == 0 && v == 64 << 20, "64m");
	CHECK(mount_spec_parse_ram("1.5g", &v) == 0 && v == (int64_t)3 << 29, "1.5g");
	CHECK(mount_spec_parse_ram("512KiB", &v) == 0 && v == 512 << 10, "512KiB");
	CHECK(mount_spec_parse_ram("100", &v) == 0 && v == 100, "100");
	CHECK(mount_spec_parse_ram("12x", &v) < 0, "12x refused");
	CHECK(mount_spec_parse_ram("-1", &v) < 0, "-1 refused");
}

int main(void)
{
	char dir[] = "/tmp/test-mount-spec.XXXXXX";

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_volume_flag();
	test_mount_flag(dir);
	test_tmpfs_flag();
	test_tmpfs_allowlist();
	test_lists();
	test_names_and_sizes();
	rmdir(dir);
	return TEST_DONE();
}
