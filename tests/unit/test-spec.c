/* spec_parse: a full realistic config read field by field, then many bad
 * documents, each derived from the good one by changing one field, whose
 * error must name that field's JSON path. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/caps.h"
#include "runtime/cgroup/resources.h"
#include "runtime/spec.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

static char bundle[64];

static const char *const good_config =
    "{"
    "  \"ociVersion\": \"1.2.0\","
    "  \"process\": {"
    "    \"terminal\": true,"
    "    \"consoleSize\": { \"height\": 25, \"width\": 80 },"
    "    \"user\": { \"uid\": 1000, \"gid\": 1001, \"umask\": 18,"
    "                \"additionalGids\": [5, 6] },"
    "    \"args\": [ \"sh\", \"-c\", \"echo hi\" ],"
    "    \"env\": [ \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
    "               \"TERM=xterm\", \"EMPTY=\" ],"
    "    \"cwd\": \"/work\","
    "    \"capabilities\": {"
    "      \"bounding\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],"
    "      \"effective\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\" ],"
    "      \"inheritable\": [],"
    "      \"permitted\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],"
    "      \"ambient\": [ \"cap_net_bind_service\" ]"
    "    },"
    "    \"rlimits\": [ { \"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 512 },"
    "                   { \"type\": \"RLIMIT_CORE\", \"hard\": 18446744073709551615,"
    "                     \"soft\": 0 } ],"
    "    \"noNewPrivileges\": true,"
    "    \"oomScoreAdj\": -500,"
    "    \"apparmorProfile\": \"berth-default\","
    "    \"selinuxLabel\": \"system_u:system_r:container_t:s0\""
    "  },"
    "  \"root\": { \"path\": \"rootfs\", \"readonly\": true },"
    "  \"hostname\": \"box\","
    "  \"domainname\": \"example.org\","
    "  \"mounts\": ["
    "    { \"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\" },"
    "    { \"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
    "      \"options\": [ \"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\" ] },"
    "    { \"destination\": \"/data\", \"source\": \"/srv\", \"options\": [ \"rbind\" ] }"
    "  ],"
    "  \"hooks\": {"
    "    \"prestart\": [ { \"path\": \"/bin/true\" } ],"
    "    \"createRuntime\": [ { \"path\": \"/bin/true\", \"args\": [ \"true\", \"x\" ],"
    "                          \"env\": [ \"A=1\" ], \"timeout\": 5 } ],"
    "    \"startContainer\": [ { \"path\": \"/only/in/container\" } ],"
    "    \"poststop\": [ { \"path\": \"/bin/true\" }, { \"path\": \"/bin/false\" } ]"
    "  },"
    "  \"annotations\": { \"org.example.key\": \"value\" },"
    "  \"futureTopLevelKey\": { \"anything\": [ 1, 2, 3 ] },"
    "  \"linux\": {"
    "    \"namespaces\": [ { \"type\": \"pid\" }, { \"type\": \"network\" },"
    "                      { \"type\": \"ipc\" }, { \"type\": \"uts\" },"
    "                      { \"type\": \"mount\" }, { \"type\": \"user\" },"
    "                      { \"type\": \"cgroup\" }, { \"type\": \"time\" } ],"
    "    \"uidMappings\": [ { \"containerID\": 0, \"hostID\": 100000, \"size\": 65536 } ],"
    "    \"gidMappings\": [ { \"containerID\": 0, \"hostID\": 100000, \"size\": 65536 },"
    "                       { \"containerID\": 65536, \"hostID\": 5, \"size\": 1 } ],"
    "    \"devices\": [ { \"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10,"
    "                     \"minor\": 229, \"fileMode\": 8630, \"uid\": 0, \"gid\": 7 },"
    "                   { \"path\": \"/dev/myfifo\", \"type\": \"p\" } ],"
    "    \"cgroupsPath\": \"/berth/test\","
    "    \"resources\": { \"memory\": { \"limit\": 104857600 } },"
    "    \"sysctl\": { \"net.ipv4.ip_forward\": \"1\", \"kernel.shmmax\": \"4096\","
    "                  \"fs.mqueue.msg_max\": \"20\", \"kernel.domainname\": \"x\","
    "                  \"net/ipv4/ping_group_range\": \"0 0\" },"
    "    \"seccomp\": { \"defaultAction\": \"SCMP_ACT_ERRNO\" },"
    "    \"rootfsPropagation\": \"rslave\","
    "    \"maskedPaths\": [ \"/proc/kcore\", \"/proc/keys\" ],"
    "    \"readonlyPaths\": [ \"/proc/sys\" ],"
    "    \"mountLabel\": \"system_u:object_r:container_file_t:s0\","
    "    \"personality\": { \"domain\": \"LINUX32\", \"flags\": [] },"
    "    \"timeOffsets\": { \"monotonic\": { \"secs\": -3, \"nanosecs\": 5 },"
    "                       \"boottime\": { \"secs\": 86400 } },"
    "    \"memoryPolicy\": { \"mode\": \"MPOL_DEFAULT\" }"
    "  }"
    "}";

static json_object *good_doc(void)
{
	json_object *doc = NULL;
	struct berth_err err = { 0 };

	if (json_parse_text(good_config, strlen(good_config), "good", &doc, &err) < 0) {
		fprintf(stderr, "good config does not parse: %s\n", err.msg);
		exit(1);
	}
	return doc;
}

/* Walks "a.b[2].c" to the parent of the last component; sets (or, when
 * value is NULL, removes) that component. */
static void doc_edit(json_object *doc, const char *path, const char *value)
{
	char buf[256], *save = NULL, *part, *next;
	json_object *cur = doc, *v = NULL;

	/* json_tokener_parse, not json_parse_text: a bare number at the end
	 * of the input is incomplete to an incremental tokener. */
	if (value != NULL && (v = json_tokener_parse(value)) == NULL &&
	    strcmp(value, "null") != 0) {
		fprintf(stderr, "bad test value %s\n", value);
		exit(1);
	}
	snprintf(buf, sizeof(buf), "%s", path);
	part = strtok_r(buf, ".", &save);
	while (part != NULL) {
		char *br = strchr(part, '[');
		long idx = -1;
		next = strtok_r(NULL, ".", &save);
		if (br != NULL) {
			idx = strtol(br + 1, NULL, 10);
			*br = '\0';
		}
		if (next == NULL && idx < 0) {
			if (value == NULL)
				json_object_object_del(cur, part);
			else
				json_object_object_add(cur, part, v);
			return;
		}
		if (!json_object_object_get_ex(cur, part, &cur)) {
			fprintf(stderr, "no %s in %s\n", part, path);
			exit(1);
		}
		if (idx >= 0) {
			if (next == NULL) {
				if (value == NULL)
					json_object_array_del_idx(cur, (size_t)idx, 1);
				else
					json_object_array_put_idx(cur, (size_t)idx, v);
				return;
			}
			cur = json_object_array_get_idx(cur, (size_t)idx);
		}
		part = next;
	}
}

static void check_good(void)
{
	autojson json_object *doc = good_doc();
	struct berth_err err = { 0 };
	struct spec *s = NULL;
	char want[128];
	int r;

	r = spec_parse(doc, bundle, &s, &err);
	CHECK(r == 0, "good config parses (%s)", err.msg);
	if (r < 0)
		return;
	CHECK_STR(s->bundle, bundle, "bundle");
	CHECK_STR(s->oci_version, "1.2.0", "ociVersion");
	snprintf(want, sizeof(want), "%s/rootfs", bundle);
	CHECK_STR(s->root_path, want, "root.path resolved against the bundle");
	CHECK(s->root_readonly, "root.readonly");

	const struct spec_process *p = &s->process;
	CHECK(p->present && p->terminal, "process.terminal");
	CHECK(p->console_height == 25 && p->console_width == 80, "consoleSize");
	CHECK(p->user.uid == 1000 && p->user.gid == 1001, "user uid/gid");
	CHECK(p->user.has_umask && p->user.umask == 022, "user umask");
	CHECK(p->user.n_additional_gids == 2 && p->user.additional_gids[0] == 5 &&
		  p->user.additional_gids[1] == 6,
	      "additionalGids");
	CHECK(p->args != NULL && p->args[3] == NULL, "three args");
	CHECK_STR(p->args[2], "echo hi", "args[2]");
	CHECK_STR(p->env[2], "EMPTY=", "env[2]");
	CHECK(p->env[3] == NULL, "three env entries");
	CHECK_STR(p->cwd, "/work", "cwd");
	CHECK(p->caps.present, "capabilities present");
	uint64_t kill_audit =
	    (1ULL << caps_from_name("CAP_KILL")) | (1ULL << caps_from_name("CAP_AUDIT_WRITE"));
	uint64_t nbs = 1ULL << caps_from_name("CAP_NET_BIND_SERVICE");
	CHECK(p->caps.bounding == (kill_audit | nbs), "bounding mask %#llx",
	      (unsigned long long)p->caps.bounding);
	CHECK(p->caps.effective == kill_audit, "effective mask");
	CHECK(p->caps.inheritable == 0, "inheritable mask empty");
	CHECK(p->caps.permitted == (kill_audit | nbs), "permitted mask");
	CHECK(p->caps.ambient == nbs, "ambient mask (lowercase name)");
	CHECK(p->n_rlimits == 2, "two rlimits");
	CHECK(p->rlimits[0].resource == RLIMIT_NOFILE && p->rlimits[0].soft == 512 &&
		  p->rlimits[0].hard == 1024,
	      "RLIMIT_NOFILE 512/1024");
	CHECK(p->rlimits[1].resource == RLIMIT_CORE && p->rlimits[1].soft == 0 &&
		  p->rlimits[1].hard == UINT64_MAX,
	      "RLIMIT_CORE 0/unlimited");
	CHECK(p->no_new_privileges, "noNewPrivileges");
	CHECK(p->has_oom_score_adj && p->oom_score_adj == -500, "oomScoreAdj");
	CHECK_STR(p->apparmor_profile, "berth-default", "apparmorProfile");
	CHECK_STR(p->selinux_label, "system_u:system_r:container_t:s0", "selinuxLabel");

	CHECK_STR(s->hostname, "box", "hostname");
	CHECK_STR(s->domainname, "example.org", "domainname");

	CHECK(s->n_mounts == 3, "three mounts");
	CHECK_STR(s->mounts[0].destination, "/proc", "mounts[0].destination");
	CHECK_STR(s->mounts[0].type, "proc", "mounts[0].type");
	CHECK_STR(s->mounts[0].source, "proc", "mounts[0].source");
	CHECK(s->mounts[0].options == NULL, "mounts[0] has no options");
	CHECK_STR(s->mounts[1].options[2], "mode=755", "mounts[1].options[2] kept raw");
	CHECK(s->mounts[1].flags & MS_NOSUID, "mount_options_parse ran on mounts[1]");
	CHECK(s->mounts[2].type == NULL && s->mounts[2].bind && s->mounts[2].recursive,
	      "mounts[2] is an rbind without a type");

	CHECK(s->hooks[SPEC_HOOK_PRESTART].n == 1, "one prestart hook");
	CHECK_STR(s->hooks[SPEC_HOOK_PRESTART].list[0].path, "/bin/true", "prestart path");
	CHECK(s->hooks[SPEC_HOOK_PRESTART].list[0].args == NULL &&
		  s->hooks[SPEC_HOOK_PRESTART].list[0].timeout == 0,
	      "prestart has no args and no timeout");
	const struct spec_hook *cr = &s->hooks[SPEC_HOOK_CREATE_RUNTIME].list[0];
	CHECK(cr->timeout == 5, "createRuntime timeout");
	CHECK_STR(cr->args[1], "x", "createRuntime args[1]");
	CHECK_STR(cr->env[0], "A=1", "createRuntime env[0]");
	CHECK(s->hooks[SPEC_HOOK_CREATE_CONTAINER].n == 0, "no createContainer hooks");
	CHECK(s->hooks[SPEC_HOOK_START_CONTAINER].n == 1,
	      "startContainer path is not checked on the host");
	CHECK(s->hooks[SPEC_HOOK_POSTSTOP].n == 2, "two poststop hooks");

	json_object *ann = spec_annotations(s), *v;
	CHECK(json_object_object_get_ex(ann, "org.example.key", &v) &&
		  strcmp(json_object_get_string(v), "value") == 0,
	      "annotations");

	for (int i = 0; i < SPEC_NS_COUNT; i++)
		CHECK(s->ns[i].present && s->ns[i].path == NULL, "namespace %d created", i);
	CHECK(s->n_uid_mappings == 1 && s->uid_mappings[0].container_id == 0 &&
		  s->uid_mappings[0].host_id == 100000 && s->uid_mappings[0].size == 65536,
	      "uidMappings");
	CHECK(s->n_gid_mappings == 2 && s->gid_mappings[1].container_id == 65536 &&
		  s->gid_mappings[1].host_id == 5 && s->gid_mappings[1].size == 1,
	      "gidMappings");
	CHECK(s->n_devices == 2, "two devices");
	CHECK_STR(s->devices[0].path, "/dev/fuse", "devices[0].path");
	CHECK(s->devices[0].type == 'c' && s->devices[0].major == 10 && s->devices[0].minor == 229,
	      "devices[0] c 10:229");
	CHECK(s->devices[0].has_mode && s->devices[0].file_mode == 0666,
	      "devices[0] mode keeps permission bits (%o)", s->devices[0].file_mode);
	CHECK(s->devices[0].has_uid && s->devices[0].uid == 0 && s->devices[0].has_gid &&
		  s->devices[0].gid == 7,
	      "devices[0] uid/gid");
	CHECK(s->devices[1].type == 'p' && !s->devices[1].has_mode && !s->devices[1].has_uid,
	      "devices[1] fifo without numbers");
	CHECK_STR(s->cgroups_path, "/berth/test", "cgroupsPath");
	CHECK(s->resources != NULL && s->resources->has_mem_limit &&
		  s->resources->mem_limit == 104857600,
	      "resources parsed by cgroup_resources_parse");
	CHECK(s->n_sysctl == 5, "five sysctls");
	bool found = false;
	for (size_t i = 0; i < s->n_sysctl; i++)
		if (strcmp(s->sysctl[i].key, "kernel.shmmax") == 0)
			found = strcmp(s->sysctl[i].value, "4096") == 0;
	CHECK(found, "sysctl kernel.shmmax=4096");
	CHECK(s->seccomp != NULL, "seccomp parsed");
	CHECK(s->rootfs_propagation == (MS_SLAVE | MS_REC), "rootfsPropagation rslave");
	CHECK(s->masked_paths != NULL && s->masked_paths[2] == NULL, "two maskedPaths");
	CHECK_STR(s->masked_paths[1], "/proc/keys", "maskedPaths[1]");
	CHECK_STR(s->readonly_paths[0], "/proc/sys", "readonlyPaths[0]");
	CHECK_STR(s->mount_label, "system_u:object_r:container_file_t:s0", "mountLabel");
	CHECK(s->has_personality && s->personality == PER_LINUX32, "personality LINUX32");
	CHECK(s->n_time_offsets == 2, "two time offsets");
	for (size_t i = 0; i < s->n_time_offsets; i++) {
		const struct spec_time_offset *t = &s->time_offsets[i];
		if (t->clock == CLOCK_MONOTONIC)
			CHECK(t->secs == -3 && t->nanosecs == 5, "monotonic offset");
		else
			CHECK(t->clock == CLOCK_BOOTTIME && t->secs == 86400 && t->nanosecs == 0,
			      "boottime offset");
	}
	CHECK(!s->intel_rdt, "no intelRdt");
	spec_free(s);
}

/* A spec with only the required fields. */
static void check_minimal(void)
{
	static const char text[] = "{\"ociVersion\":\"1.0.2-dev\",\"root\":{\"path\":\"rootfs\"},"
				   "\"process\":{\"args\":[\"true\"],\"cwd\":\"/\"}}";
	autojson json_object *doc = NULL;
	struct berth_err err = { 0 };
	struct spec *s = NULL;

	json_parse_text(text, strlen(text), "minimal", &doc, &err);
	CHECK(spec_parse(doc, bundle, &s, &err) == 0, "minimal config parses (%s)", err.msg);
	if (s == NULL)
		return;
	CHECK(!s->process.caps.present, "no capabilities object: caps.present false");
	CHECK(!s->process.user.has_umask && s->process.user.uid == 0, "default user is root");
	CHECK(s->n_mounts == 0 && s->mounts == NULL, "no mounts");
	CHECK(s->resources != NULL && s->resources->has_devices && s->resources->n_devices == 0,
	      "no linux.resources: still a (default) device policy");
	CHECK(s->seccomp == NULL, "no seccomp");
	CHECK(json_object_object_length(spec_annotations(s)) == 0, "empty annotations");
	CHECK(!s->ns[SPEC_NS_PID].present, "no namespaces");
	spec_free(s);
}

static void check_load(void)
{
	autofree char *path = xasprintf("%s/config.json", bundle);
	struct berth_err err = { 0 };
	struct spec *s = NULL;
	int r;

	fs_write_file_atomic(path, good_config, strlen(good_config), 0644, &err);
	r = spec_load(bundle, &s, &err);
	CHECK(r == 0, "spec_load reads config.json (%s)", err.msg);
	if (r == 0)
		CHECK_STR(s->hostname, "box", "spec_load: hostname");
	spec_free(s);

	fs_write_file_atomic(path, "{\"ociVersion\": ", 15, 0644, &err);
	s = NULL;
	r = spec_load(bundle, &s, &err);
	CHECK(r < 0 && strstr(err.msg, "config.json") != NULL, "truncated JSON names the file: %s",
	      err.msg);
	CHECK(s == NULL, "no spec on failure");

	r = spec_load("/nonexistent-bundle-dir", &s, &err);
	CHECK(r < 0 && err.code == ENOENT && strstr(err.msg, "/nonexistent-bundle-dir") != NULL,
	      "missing bundle: %s", err.msg);
	unlink(path);
	r = spec_load(bundle, &s, &err);
	CHECK(r < 0 && err.code == ENOENT && strstr(err.msg, "config.json") != NULL,
	      "missing config.json: %s", err.msg);
}

struct bad_case {
	const char *path;  /* field to change */
	const char *value; /* JSON text; NULL removes the field */
	const char *want;  /* substring the error must contain */
};

static const struct bad_case bad_cases[] = {
	{ "ociVersion", NULL, "ociVersion: required" },
	{ "ociVersion", "\"2.0.0\"", "ociVersion: unsupported version \"2.0.0\"" },
	{ "ociVersion", "1", "ociVersion: expected a string" },
	{ "root", NULL, "root: required" },
	{ "root.path", "\"nope\"", "root.path: " },
	{ "root.path", "\"config-file\"", "root.path: " },
	{ "root.readonly", "\"yes\"", "root.readonly: expected a boolean" },
	{ "process", NULL, "process: required" },
	{ "process", "[]", "process: expected an object" },
	{ "process.args", "[]", "process.args: must not be empty" },
	{ "process.args", NULL, "process.args: must not be empty" },
	{ "process.args", "[\"sh\", 1]", "process.args[1]: expected a string" },
	{ "process.cwd", "\"work\"", "process.cwd: \"work\" is not an absolute path" },
	{ "process.cwd", NULL, "process.cwd: required" },
	{ "process.terminal", "1", "process.terminal: expected a boolean" },
	{ "process.consoleSize.width", "70000", "process.consoleSize.width" },
	{ "process.user.uid", "-1", "process.user.uid" },
	{ "process.user.gid", "4294967296", "process.user.gid" },
	{ "process.user.umask", "512", "process.user.umask" },
	{ "process.user.additionalGids", "[1, \"x\"]", "process.user.additionalGids[1]" },
	{ "process.env[1]", "\"NOEQUALS\"", "process.env[1]: \"NOEQUALS\"" },
	{ "process.env[0]", "\"=x\"", "process.env[0]" },
	{ "process.capabilities.bounding", "[\"CAP_FOO\"]",
	  "process.capabilities.bounding: unknown capability \"CAP_FOO\"" },
	{ "process.capabilities.ambient", "\"CAP_KILL\"",
	  "process.capabilities.ambient: expected an array" },
	{ "process.rlimits[0].type", "\"RLIMIT_FOO\"",
	  "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"" },
	{ "process.rlimits[0].soft", "2048", "process.rlimits[0]: RLIMIT_NOFILE soft limit 2048 exceeds" },
	{ "process.rlimits[1].type", "\"RLIMIT_NOFILE\"", "process.rlimits[1].type: duplicate" },
	{ "process.rlimits[0].hard", NULL, "process.rlimits[0].hard: required" },
	{ "process.rlimits[0].soft", "-1", "process.rlimits[0].soft: must not be negative" },
	{ "process.oomScoreAdj", "1001", "process.oomScoreAdj" },
	{ "process.apparmorProfile", "false", "process.apparmorProfile: expected a string" },
	{ "hostname", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
	  "hostname: longer than 64" },
	{ "domainname", "[]", "domainname: expected a string" },
	{ "mounts", "{}", "mounts: expected an array" },
	{ "mounts[1]", "\"tmpfs\"", "mounts[1]: expected an object" },
	{ "mounts[1].destination", NULL, "mounts[1].destination: required" },
	{ "mounts[1].destination", "\"dev\"", "mounts[1].destination: \"dev\" is not an absolute" },
	{ "mounts[0].options", "[\"idmap\"]", "mounts[0]" },
	{ "mounts[0].source", "7", "mounts[0].source: expected a string" },
	{ "hooks.prestart[0].path", "\"/nonexistent-hook\"", "hooks.prestart[0].path: " },
	{ "hooks.prestart[0].path", "\"true\"",
	  "hooks.prestart[0].path: \"true\" is not an absol" },
	{ "hooks.poststop[1].timeout", "0", "hooks.poststop[1].timeout: must be positive" },
	{ "hooks.createContainer", "{}", "hooks.createContainer: expected an array" },
	{ "annotations", "{\"a\": 1}", "annotations.a: expected a string" },
	{ "linux", "[]", "linux: expected an object" },
	{ "linux.namespaces[2].type", "\"foo\"",
	  "linux.namespaces[2].type: unknown namespace type \"foo\"" },
	{ "linux.namespaces[2].type", "\"pid\"", "linux.namespaces[2].type: duplicate" },
	{ "linux.namespaces[0]", "{\"type\":\"pid\",\"path\":\"/proc/self/ns/nope\"}",
	  "linux.namespaces[0].path: /proc/self/ns/nope" },
	{ "linux.namespaces[5]", "{\"type\":\"pid\"}", "linux.namespaces[5].type: duplicate" },
	{ "linux.namespaces[5]", NULL, "linux.uidMappings: requires a user namespace" },
	{ "linux.uidMappings", NULL, "a new user namespace requires linux.uidMappings" },
	{ "linux.uidMappings[0].size", "0", "linux.uidMappings[0].size: must be positive" },
	{ "linux.gidMappings[1].hostID", "4294967295", "linux.gidMappings[1]: range exceeds" },
	{ "linux.gidMappings[0].containerID", NULL, "linux.gidMappings[0].containerID: required" },
	{ "linux.devices[0].type", "\"x\"", "linux.devices[0].type: unknown device type \"x\"" },
	{ "linux.devices[0].path", "\"dev/fuse\"", "linux.devices[0].path: \"dev/fuse\"" },
	{ "linux.devices[0].major", NULL, "linux.devices[0].major: required" },
	{ "linux.devices[0].fileMode", "\"0666\"", "linux.devices[0].fileMode: expected an int" },
	{ "linux.devices[0].gid", "-5", "linux.devices[0].gid" },
	{ "linux.cgroupsPath", "5", "linux.cgroupsPath: expected a string" },
	{ "linux.resources", "[]", "linux.resources: expected an object" },
	{ "linux.sysctl", "{\"vm.swappiness\": \"1\"}",
	  "linux.sysctl.vm.swappiness: not in a separate kernel namespace" },
	{ "linux.sysctl", "{\"net.ipv4.ip_forward\": 1}",
	  "linux.sysctl.net.ipv4.ip_forward: expected a string" },
	{ "linux.sysctl", "{\"net/../../etc/x\": \"1\"}", "linux.sysctl: invalid key" },
	{ "linux.namespaces[1]", "{\"type\":\"network\",\"path\":\"/proc/self/ns/net\"}",
	  "linux.sysctl.net.ipv4.ip_forward: not allowed in the host's network namespace" },
	{ "linux.namespaces[1]", NULL,
	  "linux.sysctl.net.ipv4.ip_forward: requires a private network namespace" },
	{ "linux.namespaces[6]", "{\"type\":\"cgroup\",\"path\":\"/proc/self/ns/cgroup\"}", NULL },
	{ "linux.seccomp", "{}", "linux.seccomp.defaultAction" },
	{ "linux.rootfsPropagation", "\"sideways\"",
	  "linux.rootfsPropagation: unknown propagation \"sideways\"" },
	{ "linux.maskedPaths[0]", "\"proc/kcore\"", "linux.maskedPaths[0]: \"proc/kcore\"" },
	{ "linux.readonlyPaths", "\"/proc/sys\"", "linux.readonlyPaths: expected an array" },
	{ "linux.mountLabel", "{}", "linux.mountLabel: expected a string" },
	{ "linux.personality.domain", "\"BSD\"", "linux.personality.domain: unknown \"BSD\"" },
	{ "linux.personality.domain", NULL, "linux.personality.domain: required" },
	{ "linux.timeOffsets.realtime", "{\"secs\": 1}", "linux.timeOffsets: unknown clock" },
	{ "linux.timeOffsets.boottime.nanosecs", "1000000000",
	  "linux.timeOffsets.boottime.nanosecs" },
	{ "linux.namespaces[7]", NULL, "linux.timeOffsets: requires a new time namespace" },
	{ "linux.intelRdt", "{\"closID\": \"x\"}", "linux.intelRdt: Intel RDT is not supported" },
	{ "mounts[0].uidMappings", "[{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]",
	  "mounts[0].uidMappings: needs the idmap or ridmap option" },
	{ "mounts[0].options", "[\"idmap\"]", "mounts[0].options: idmap needs a bind mount" },
	{ "linux.netDevices", "{\"a/b\": {}}", "linux.netDevices: \"a/b\" is not a valid interface name" },
	{ "linux.netDevices", "{\"eth1\": {\"name\": \"waytoolonginterfacename\"}}",
	  "linux.netDevices.eth1: \"waytoolonginterfacename\" is not a valid interface name" },
	{ "linux.netDevices", "{\"eth1\": 3}", "linux.netDevices.eth1: expected an object" },
};

/* Cases whose namespace edits need a different context than the table. */
static void check_namespace_rules(void)
{
	static const struct bad_case extra[] = {
		/* Without a UTS namespace: hostname and kernel.domainname. */
		{ "linux.namespaces[3]", "{\"type\":\"time\"}", "" },
		/* Without an IPC namespace: IPC sysctls. */
		{ "linux.namespaces[2]", "{\"type\":\"time\"}", "" },
	};
	static const char *const want[] = {
		"hostname: requires a UTS namespace",
		"linux.sysctl.kernel.shmmax: requires a private ipc namespace",
	};
	for (size_t i = 0; i < ARRAY_SIZE(extra); i++) {
		autojson json_object *doc = good_doc();
		struct berth_err err = { 0 };
		struct spec *s = NULL;
		/* Replace the namespace, then drop the duplicate "time" entry. */
		doc_edit(doc, "linux.namespaces[7]", NULL);
		doc_edit(doc, extra[i].path, extra[i].value);
		int r = spec_parse(doc, bundle, &s, &err);
		CHECK(r < 0 && strstr(err.msg, want[i]) != NULL, "namespace rule: %s", err.msg);
		spec_free(s);
	}
	/* Without a mount namespace, masked paths are fine: they apply inside
	 * the container's root (rootfs.c), never to the host's. */
	{
		autojson json_object *doc = good_doc();
		struct berth_err err = { 0 };
		struct spec *s = NULL;
		doc_edit(doc, "linux.namespaces[7]", NULL);
		doc_edit(doc, "linux.namespaces[4]", "{\"type\":\"time\"}");
		CHECK(spec_parse(doc, bundle, &s, &err) == 0 && !s->ns[SPEC_NS_MOUNT].present &&
			      s->masked_paths != NULL,
		      "masked paths without a mount namespace: %s", err.msg);
		spec_free(s);
	}
}

static void check_bad_cases(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		autojson json_object *doc = good_doc();
		struct berth_err err = { 0 };
		struct spec *s = NULL;
		int r;

		doc_edit(doc, c->path, c->value);
		r = spec_parse(doc, bundle, &s, &err);
		if (c->want == NULL) {
			CHECK(r == 0, "%s = %s is accepted (%s)", c->path, c->value, err.msg);
		} else {
			CHECK(r < 0 && s == NULL && strstr(err.msg, c->want) != NULL, "%s = %s: %s",
			      c->path, c->value ? c->value : "(removed)", err.msg);
		}
		spec_free(s);
	}
}

static void check_hook_not_executable(void)
{
	autofree char *hook = xasprintf("%s/hook-noexec", bundle);
	autofree char *val = xasprintf("\"%s\"", hook);
	autofree char *want = xasprintf("hooks.prestart[0].path: %s: not executable", hook);
	autojson json_object *doc = good_doc();
	struct berth_err err = { 0 };
	struct spec *s = NULL;
	int r;

	doc_edit(doc, "hooks.prestart[0].path", val);
	r = spec_parse(doc, bundle, &s, &err);
	CHECK(r < 0 && strcmp(err.msg, want) == 0, "non-executable hook: %s", err.msg);
}

/* A config re-read after create skips checks against the host filesystem
 * but keeps every other rule. */
static void check_stored(void)
{
	autojson json_object *doc = good_doc();
	struct berth_err err = { 0 };
	struct spec *s = NULL;
	int r;

	doc_edit(doc, "root.path", "\"gone\"");
	doc_edit(doc, "hooks.poststop[0].path", "\"/removed/hook\"");
	doc_edit(doc, "linux.namespaces[0]",
		 "{\"type\":\"pid\",\"path\":\"/proc/999999999/ns/pid\"}");
	CHECK(spec_parse(doc, bundle, &s, &err) < 0, "spec_parse refuses a missing rootfs");
	r = spec_parse_stored(doc, bundle, &s, &err);
	CHECK(r == 0, "spec_parse_stored accepts missing rootfs, hook, namespace (%s)", err.msg);
	if (r == 0) {
		autofree char *want = xasprintf("%s/gone", bundle);
		CHECK_STR(s->root_path, want, "stored: root.path still resolved");
		CHECK_STR(s->hooks[SPEC_HOOK_POSTSTOP].list[0].path, "/removed/hook",
			  "stored: poststop hook kept");
		CHECK_STR(s->ns[SPEC_NS_PID].path, "/proc/999999999/ns/pid",
			  "stored: namespace path kept");
		spec_free(s);
	}
	s = NULL;
	doc_edit(doc, "process.args", "[]");
	CHECK(spec_parse_stored(doc, bundle, &s, &err) < 0 &&
		  strstr(err.msg, "process.args") != NULL,
	      "stored: other rules still apply: %s", err.msg);
}

static void check_process_parse(void)
{
	static const char text[] = "{\"args\":[\"ls\"],\"cwd\":\"/tmp\",\"env\":[\"A=b\"],"
				   "\"capabilities\":{\"bounding\":[\"CAP_CHOWN\"]},"
				   "\"user\":{\"uid\":3}}";
	autojson json_object *obj = NULL;
	struct berth_err err = { 0 };
	struct spec_process p = { 0 };

	json_parse_text(text, strlen(text), "process.json", &obj, &err);
	CHECK(spec_process_parse(obj, "process", &p, &err) == 0, "spec_process_parse (%s)",
	      err.msg);
	CHECK_STR(p.args[0], "ls", "exec process args[0]");
	CHECK(p.present && p.user.uid == 3 && p.caps.present && p.caps.bounding == 1,
	      "exec process user and caps");
	spec_process_clear(&p);
	CHECK(p.args == NULL && !p.present, "spec_process_clear zeroes");

	json_object_object_add(obj, "cwd", json_object_new_string("rel"));
	CHECK(spec_process_parse(obj, "process", &p, &err) < 0 &&
		  strstr(err.msg, "process.cwd") != NULL,
	      "exec process with relative cwd: %s", err.msg);
}

static void check_rlimit_names(void)
{
	CHECK(spec_rlimit_from_name("RLIMIT_NOFILE") == RLIMIT_NOFILE, "RLIMIT_NOFILE");
	CHECK(spec_rlimit_from_name("RLIMIT_RTTIME") == RLIMIT_RTTIME, "RLIMIT_RTTIME");
	CHECK(spec_rlimit_from_name("RLIMIT_AS") == RLIMIT_AS, "RLIMIT_AS");
	CHECK(spec_rlimit_from_name("NOFILE") == -1, "bare NOFILE is unknown");
	CHECK(spec_rlimit_from_name("RLIMIT_BOGUS") == -1, "RLIMIT_BOGUS is unknown");
}

static void setup_bundle(void)
{
	struct berth_err err = { 0 };
	autofree char *rootfs = NULL, *hook = NULL, *file = NULL;

	snprintf(bundle, sizeof(bundle), "/tmp/berth-test-spec-XXXXXX");
	if (mkdtemp(bundle) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	rootfs = xasprintf("%s/rootfs", bundle);
	hook = xasprintf("%s/hook-noexec", bundle);
	file = xasprintf("%s/config-file", bundle);
	if (mkdir(rootfs, 0755) < 0 ||
	    fs_write_file_atomic(hook, "#!/bin/sh\n", 10, 0644, &err) < 0 ||
	    fs_write_file_atomic(file, "x", 1, 0644, &err) < 0) {
		fprintf(stderr, "setup: %s %s\n", strerror(errno), err.msg);
		exit(1);
	}
}

int main(void)
{
	struct berth_err err = { 0 };

	setup_bundle();
	check_good();
	check_minimal();
	check_bad_cases();
	check_namespace_rules();
	check_hook_not_executable();
	check_stored();
	check_process_parse();
	check_rlimit_names();
	check_load();
	fs_rm_rf(bundle, &err);
	return TEST_DONE();
}
