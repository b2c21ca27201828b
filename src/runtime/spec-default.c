/* The configuration `spec` writes: a container that runs sh on a terminal
 * with a minimal capability set, the standard pseudo-filesystems and the
 * paths that leak host information masked. The values follow runc's
 * default, so a bundle made by either runtime behaves the same in both.
 *
 * The rootless variant is for a caller without real root: it adds a user
 * namespace mapping container root to the caller, drops the network
 * namespace (an unprivileged user could not configure one), drops
 * linux.resources (no writable cgroup to enforce it), binds the host's /sys
 * instead of mounting sysfs (which a user namespace may not do without its own
 * network namespace), and drops uid=/gid= mount options (devpts's gid=5: the tty group is not
 * mapped). */
#include <json-c/json.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <string.h>
#include <unistd.h>

#include "runtime/spec.h"
#include "util/cleanup.h"

static json_object *strv_to_json(const char *const *v)
{
	json_object *a = json_object_new_array();

	for (; *v != NULL; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static const char *const default_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
					    NULL };

static json_object *default_process(void)
{
	static const char *const args[] = { "sh", NULL };
	static const char *const env[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
		NULL
	};
	json_object *p = json_object_new_object();
	json_object *user = json_object_new_object();
	json_object *caps = json_object_new_object();
	json_object *rlimits = json_object_new_array();
	json_object *nofile = json_object_new_object();

	json_object_object_add(p, "terminal", json_object_new_boolean(1));
	json_object_object_add(user, "uid", json_object_new_int(0));
	json_object_object_add(user, "gid", json_object_new_int(0));
	json_object_object_add(p, "user", user);
	json_object_object_add(p, "args", strv_to_json(args));
	json_object_object_add(p, "env", strv_to_json(env));
	json_object_object_add(p, "cwd", json_object_new_string("/"));
	json_object_object_add(caps, "bounding", strv_to_json(default_caps));
	json_object_object_add(caps, "effective", strv_to_json(default_caps));
	json_object_object_add(caps, "permitted", strv_to_json(default_caps));
	/* runc spec's: tools written against it expect the three there */
	json_object_object_add(caps, "ambient", strv_to_json(default_caps));
	json_object_object_add(p, "capabilities", caps);
	json_object_object_add(nofile, "type", json_object_new_string("RLIMIT_NOFILE"));
	json_object_object_add(nofile, "hard", json_object_new_int(1024));
	json_object_object_add(nofile, "soft", json_object_new_int(1024));
	json_object_array_add(rlimits, nofile);
	json_object_object_add(p, "rlimits", rlimits);
	json_object_object_add(p, "noNewPrivileges", json_object_new_boolean(1));
	return p;
}

struct default_mount {
	const char *destination, *type, *source;
	const char *options[8];
};

static const struct default_mount default_mounts[] = {
	{ "/proc", "proc", "proc", { NULL } },
	{ "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k", NULL } },
	{ "/dev/pts",
	  "devpts",
	  "devpts",
	  { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL } },
	{ "/dev/shm",
	  "tmpfs",
	  "shm",
	  { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL } },
	{ "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev", NULL } },
	{ "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro", NULL } },
	{ "/sys/fs/cgroup",
	  "cgroup",
	  "cgroup",
	  { "nosuid", "noexec", "nodev", "relatime", "ro", NULL } },
};

static const struct default_mount rootless_sys = {
	"/sys", "none", "/sys", { "rbind", "nosuid", "noexec", "nodev", "ro", NULL }
};

static json_object *mount_to_json(const struct default_mount *m, bool rootless)
{
	json_object *o = json_object_new_object();
	json_object *opts;

	if (rootless && strcmp(m->destination, "/sys") == 0)
		m = &rootless_sys;
	json_object_object_add(o, "destination", json_object_new_string(m->destination));
	json_object_object_add(o, "type", json_object_new_string(m->type));
	json_object_object_add(o, "source", json_object_new_string(m->source));
	if (m->options[0] == NULL)
		return o;
	opts = json_object_new_array();
	for (size_t i = 0; m->options[i] != NULL; i++) {
		if (rootless && (strncmp(m->options[i], "gid=", 4) == 0 ||
				 strncmp(m->options[i], "uid=", 4) == 0))
			continue;
		json_object_array_add(opts, json_object_new_string(m->options[i]));
	}
	json_object_object_add(o, "options", opts);
	return o;
}

static json_object *default_mounts_json(bool rootless)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < ARRAY_SIZE(default_mounts); i++)
		json_object_array_add(a, mount_to_json(&default_mounts[i], rootless));
	return a;
}

static json_object *idmap_json(unsigned host_id)
{
	json_object *a = json_object_new_array();
	json_object *m = json_object_new_object();

	json_object_object_add(m, "containerID", json_object_new_int(0));
	json_object_object_add(m, "hostID", json_object_new_int64(host_id));
	json_object_object_add(m, "size", json_object_new_int(1));
	json_object_array_add(a, m);
	return a;
}

static bool cgroup2_only(void)
{
	struct statfs st;

	return statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

static json_object *default_linux(bool rootless)
{
	static const char *const namespaces[] = { "pid",   "network", "ipc", "uts",
						  "mount", "cgroup",  NULL };
	/* Host information (firmware, kernel memory, timers that leak other
	 * tenants' activity) and, beyond runc's list, powercap, whose energy
	 * counters allow the PLATYPUS power side channel. */
	static const char *const masked[] = { "/proc/acpi",
					      "/proc/asound",
					      "/proc/kcore",
					      "/proc/keys",
					      "/proc/latency_stats",
					      "/proc/timer_list",
					      "/proc/timer_stats",
					      "/proc/sched_debug",
					      "/sys/firmware",
					      "/proc/scsi",
					      "/sys/devices/virtual/powercap",
					      NULL };
	static const char *const readonly[] = { "/proc/bus",           "/proc/fs",
						"/proc/irq",           "/proc/sys",
						"/proc/sysrq-trigger", NULL };
	json_object *l = json_object_new_object();
	json_object *ns = json_object_new_array();

	if (rootless) {
		json_object_object_add(l, "uidMappings", idmap_json(getuid()));
		json_object_object_add(l, "gidMappings", idmap_json(getgid()));
	} else {
		json_object *res = json_object_new_object();
		json_object *devices = json_object_new_array();
		json_object *deny_all = json_object_new_object();

		json_object_object_add(deny_all, "allow", json_object_new_boolean(0));
		json_object_object_add(deny_all, "access", json_object_new_string("rwm"));
		json_object_array_add(devices, deny_all);
		json_object_object_add(res, "devices", devices);
		json_object_object_add(l, "resources", res);
	}
	for (size_t i = 0; namespaces[i] != NULL; i++) {
		json_object *n;

		if (rootless && strcmp(namespaces[i], "network") == 0)
			continue;
		/* as runc spec: a cgroup namespace only where cgroup2 is all
		 * there is (on a v1 or hybrid host it would hide the v1
		 * hierarchies' paths that tools there read) */
		if (strcmp(namespaces[i], "cgroup") == 0 && !cgroup2_only())
			continue;
		n = json_object_new_object();
		json_object_object_add(n, "type", json_object_new_string(namespaces[i]));
		json_object_array_add(ns, n);
	}
	if (rootless) {
		json_object *n = json_object_new_object();

		json_object_object_add(n, "type", json_object_new_string("user"));
		json_object_array_add(ns, n);
	}
	json_object_object_add(l, "namespaces", ns);
	json_object_object_add(l, "maskedPaths", strv_to_json(masked));
	json_object_object_add(l, "readonlyPaths", strv_to_json(readonly));
	return l;
}

json_object *spec_default(bool rootless)
{
	json_object *doc = json_object_new_object();
	json_object *root = json_object_new_object();

	json_object_object_add(doc, "ociVersion", json_object_new_string("1.2.0"));
	json_object_object_add(doc, "process", default_process());
	json_object_object_add(root, "path", json_object_new_string("rootfs"));
	json_object_object_add(root, "readonly", json_object_new_boolean(1));
	json_object_object_add(doc, "root", root);
	/* runc spec's, so tests and tools written against it see the same */
	json_object_object_add(doc, "hostname", json_object_new_string("runc"));
	json_object_object_add(doc, "mounts", default_mounts_json(rootless));
	json_object_object_add(doc, "linux", default_linux(rootless));
	return doc;
}
