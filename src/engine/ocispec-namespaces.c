/* The namespaces a container gets and the sysctls they hold, as docker
 * takes --network, --pid, --ipc, --uts, --cgroupns and --sysctl: a new
 * namespace of each kind unless the mode is the host's (then none is
 * made); --pid and --ipc container:X join X's (the bundle fills in the
 * path at each start); a sysctl only of those a namespace of the
 * container's own holds, and none of a namespace shared with the host. */
#include "engine/ocispec.h"

#include <string.h>

#include "engine/ocispec-internal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/xalloc.h"

/* A --pid, --ipc, --uts or --cgroupns mode docker knows; none given is
 * the default. */
static bool mode_in(const char *mode, const char *const *known)
{
	if (mode == NULL || mode[0] == '\0')
		return true;
	for (size_t i = 0; known[i] != NULL; i++)
		if (strcmp(mode, known[i]) == 0)
			return true;
	return false;
}

/* A sysctl the ipc namespace holds (docker's ValidateSysctl): the System V
 * IPC limits and POSIX message queues' fs.mqueue.*. */
static bool sysctl_key_is_ipc(const char *key)
{
	static const char *const ipc_keys[] = { "kernel.msgmax", "kernel.msgmnb",
						"kernel.msgmni", "kernel.sem",
						"kernel.shmall", "kernel.shmmax",
						"kernel.shmmni", "kernel.shm_rmid_forced" };

	if (strncmp(key, "fs.mqueue.", 10) == 0)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(ipc_keys); i++)
		if (strcmp(key, ipc_keys[i]) == 0)
			return true;
	return false;
}

/* docker's ValidateSysctl: what a namespace of the container's own holds. */
static bool sysctl_namespaced(const char *key, bool *ipc, bool *net)
{
	*ipc = sysctl_key_is_ipc(key);
	*net = strncmp(key, "net.", 4) == 0;
	return *ipc || *net;
}

int ocispec_namespaces_check(const struct ocispec_opts *o, struct berth_err *err)
{
	static const char *const host_only[] = { "host", NULL };
	static const char *const ipc_modes[] = { "private", "shareable", "host", NULL };
	static const char *const cgroupns_modes[] = { "private", "host", NULL };
	const struct {
		const char *flag, *mode;
		const char *const *known;
		bool joins; /* takes container:X */
	} flags[] = {
		{ "--pid", o->pid_mode, host_only, true },
		{ "--ipc", o->ipc_mode, ipc_modes, true },
		{ "--uts", o->uts_mode, host_only, false },
		{ "--cgroupns", o->cgroupns_mode, cgroupns_modes, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		if (mode_in(flags[i].mode, flags[i].known) ||
		    (flags[i].joins && is_container(flags[i].mode)))
			continue;
		return berth_err_set(err, 0, "invalid %s: %s", flags[i].flag + 2, flags[i].mode);
	}
	for (size_t i = 0; o->sysctls != NULL && o->sysctls[i] != NULL; i++) {
		const char *s = o->sysctls[i];
		size_t n = strcspn(s, "=");
		autofree char *key = xstrndup(s, n);
		bool ipc, net;

		if (s[n] != '=' || n == 0)
			return berth_err_set(err, 0,
					     "invalid argument \"%s\" for \"--sysctl\" flag: "
					     "sysctl '%s' is not whitelisted",
					     s, s);
		if (!sysctl_namespaced(key, &ipc, &net))
			return berth_err_set(err, 0,
					     "invalid argument \"%s\" for \"--sysctl\" flag: "
					     "sysctl '%s' is not whitelisted",
					     s, s);
		if (net && is_host(o->network))
			return berth_err_set(
			    err, 0, "sysctl %s is not allowed in host network namespace", key);
		if (ipc && is_host(o->ipc_mode))
			return berth_err_set(err, 0,
					     "sysctl %s is not allowed in host ipc namespace", key);
	}
	return 0;
}

json_object *ocispec_namespaces_build(const struct ocispec_opts *o)
{
	/* docker's order; the cgroup namespace is docker's default on a
	 * cgroup2 host and Berth's on every host, so a container sees its own
	 * cgroup as the root. */
	static const char *const kinds[] = { "mount", "network", "uts", "pid", "ipc", "cgroup" };
	const char *const modes[] = { NULL,        o->network,  o->uts_mode,
				      o->pid_mode, o->ipc_mode, o->cgroupns_mode };
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		json_object *ns;
		/* --network host, --uts host, ...: the host's, so none made */
		if (is_host(modes[i]))
			continue;
		ns = json_object_new_object();
		json_object_object_add(ns, "type", json_object_new_string(kinds[i]));
		json_object_array_add(a, ns);
	}
	return a;
}

/* docker (20.10+) gives a container with its own network namespace
 * unprivileged ping sockets and low ports, since the namespace confines
 * both to the container. */
static json_object *build_sysctl(void)
{
	json_object *s = json_object_new_object();

	json_object_object_add(s, "net.ipv4.ip_unprivileged_port_start",
			       json_object_new_string("0"));
	json_object_object_add(s, "net.ipv4.ping_group_range",
			       json_object_new_string("0 2147483647"));
	return s;
}

void ocispec_sysctls_add(const struct ocispec_opts *o, json_object *linux_obj)
{
	json_object *sysctl = is_host(o->network) ? json_object_new_object() : build_sysctl();

	for (size_t i = 0; o->sysctls != NULL && o->sysctls[i] != NULL; i++) {
		size_t n = strcspn(o->sysctls[i], "=");
		autofree char *key = xstrndup(o->sysctls[i], n);

		json_object_object_add(sysctl, key, json_object_new_string(o->sysctls[i] + n + 1));
	}
	if (json_object_object_length(sysctl) > 0)
		json_object_object_add(linux_obj, "sysctl", sysctl);
	else
		json_object_put(sysctl);
}
