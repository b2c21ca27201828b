/* The config.json of a container `berth run` starts, built as docker builds
 * its own: docker's defaults for the process (capabilities, environment,
 * user from the image's /etc/passwd), the mounts, namespaces, masked paths
 * and device rules, then the image config, then the command line. The
 * namespaces and sysctls are built in ocispec-namespaces.c, linux.seccomp
 * in ocispec-seccomp.c.
 *
 * Where docker's behaviour is not obvious it is written down next to the
 * code that reproduces it; the facts come from what docker does (moby's
 * daemon and oci packages, moby/sys/user, moby/profiles/seccomp), not from
 * what would seem tidier. */
#include "engine/ocispec.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/types.h>

#include "engine/ocispec-internal.h"
#include "engine/ocispec-mounts.h"
#include "engine/ocispec-resources.h"
#include "runtime/caps.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/path.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define OCISPEC_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define OCISPEC_SHM_DEFAULT  (UINT64_C(64) << 20)
#define OCISPEC_HOSTNAME_HEX 12

/* ---- small helpers ------------------------------------------------------ */

json_object *json_strv(char *const *v)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static json_object *json_cstrv(const char *const *v)
{
	return json_strv((char *const *)v);
}

/* The image config's "config" object, or NULL (an image without one, as a
 * bare import makes, has no defaults to give). */
static int image_section(json_object *image_config, json_object **out, struct berth_err *err)
{
	*out = NULL;
	return json_get_object(image_config, "config", "image", out, err) < 0 ? -1 : 0;
}

/* ---- process.args --------------------------------------------------------- */

int ocispec_args(const struct ocispec_opts *o, json_object *image_config, char ***out,
		 struct berth_err *err)
{
	autostrv char **entrypoint = NULL, **cmd = NULL, **args = NULL;
	json_object *cfg;

	if (image_section(image_config, &cfg, err) < 0)
		return -1;
	/* --entrypoint is one word, never split (docker's). Given at all, even
	 * empty, it also drops the image's Cmd, which was written for the
	 * image's entrypoint. */
	if (o->entrypoint != NULL) {
		if (o->entrypoint[0] != '\0')
			strv_push(&entrypoint, o->entrypoint);
	} else if (json_get_strv(cfg, "Entrypoint", "config", &entrypoint, err) < 0) {
		return -1;
	}
	if (strv_len(o->cmd) > 0)
		cmd = strv_dup(o->cmd);
	else if (o->entrypoint == NULL && json_get_strv(cfg, "Cmd", "config", &cmd, err) < 0)
		return -1;

	args = strv_dup(entrypoint);
	for (size_t i = 0; cmd != NULL && cmd[i] != NULL; i++)
		strv_push(&args, cmd[i]);
	if (strv_len(args) == 0)
		return berth_err_set(err, 0,
				     "no command: the image has no Cmd or Entrypoint and none was "
				     "given");
	*out = steal_ptr(args);
	return 0;
}

/* ---- process.env ---------------------------------------------------------- */

/* The index of the entry of v named key[0..len) ("K=V" or a bare "K"), or
 * -1. */
static ssize_t env_index(char *const *v, const char *key, size_t len)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		if (strncmp(v[i], key, len) == 0 && (v[i][len] == '=' || v[i][len] == '\0'))
			return (ssize_t)i;
	return -1;
}

static void env_remove(char **v, size_t i)
{
	free(v[i]);
	memmove(&v[i], &v[i + 1], (strv_len(&v[i + 1]) + 1) * sizeof(*v));
}

/* docker's ReplaceOrAppendEnvValues, one entry: "K=V" replaces K where it
 * stands or is appended; a bare "K" removes K. */
static void env_apply(char ***v, const char *e)
{
	size_t len = strcspn(e, "=");
	ssize_t i = env_index(*v, e, len);

	if (e[len] == '\0') {
		if (i >= 0)
			env_remove(*v, (size_t)i);
		return;
	}
	if (i < 0) {
		strv_push(v, e);
		return;
	}
	free((*v)[i]);
	(*v)[i] = xstrdup(e);
}

/* -e values as docker's command line passes them on: "K=V" as is, a bare
 * "K" with the caller's value, or still bare when the caller has none,
 * which later unsets K. */
static int env_from_opts(char *const *in, char ***out, struct berth_err *err)
{
	for (size_t i = 0; in != NULL && in[i] != NULL; i++) {
		const char *e = in[i], *val;

		if (e[0] == '=' || e[0] == '\0')
			return berth_err_set(err, 0, "invalid environment variable: \"%s\"", e);
		val = strchr(e, '=') == NULL ? getenv(e) : NULL;
		if (val != NULL)
			strv_push_take(out, xasprintf("%s=%s", e, val));
		else
			strv_push(out, e);
	}
	return 0;
}

/* The container's environment, in docker's order: PATH, HOSTNAME and TERM
 * (on a terminal) first, each replaced in place by a value the container's
 * config gives; then the config's own entries, which are the -e values
 * followed by the image's Env entries the -e values do not name (docker
 * merges them in that order at create). HOME, when nobody set it, is the
 * user's, as runc adds it at exec. */
static int build_env(const struct ocispec_opts *o, json_object *cfg, const char *hostname,
		     const char *home, char ***out, struct berth_err *err)
{
	autostrv char **user = NULL, **image = NULL, **merged = NULL, **env = NULL;

	if (env_from_opts(o->env, &user, err) < 0 ||
	    json_get_strv(cfg, "Env", "config", &image, err) < 0)
		return -1;
	merged = strv_dup(user);
	for (size_t i = 0; image != NULL && image[i] != NULL; i++) {
		size_t len = strcspn(image[i], "=");
		if (len == 0)
			return berth_err_set(err, 0, "config.Env[%zu]: invalid entry \"%s\"", i,
					     image[i]);
		if (env_index(user, image[i], len) < 0)
			strv_push(&merged, image[i]);
	}

	strv_push(&env, "PATH=" OCISPEC_DEFAULT_PATH);
	strv_push_take(&env, xasprintf("HOSTNAME=%s", hostname));
	if (o->tty)
		strv_push(&env, "TERM=xterm");
	for (size_t i = 0; merged[i] != NULL; i++)
		env_apply(&env, merged[i]);
	/* (a user resolved only at start gets HOME then: ocispec_user_apply) */
	if (env_index(env, "HOME", 4) < 0 && home != NULL)
		strv_push_take(&env, xasprintf("HOME=%s", home));
	*out = steal_ptr(env);
	return 0;
}

/* ---- process.cwd ---------------------------------------------------------- */

static int build_cwd(const struct ocispec_opts *o, json_object *cfg, char **out,
		     struct berth_err *err)
{
	const char *wd = o->workdir;

	if ((wd == NULL || wd[0] == '\0') &&
	    json_get_string(cfg, "WorkingDir", "config", &wd, err) < 0)
		return -1;
	if (wd == NULL || wd[0] == '\0')
		wd = "/";
	/* docker's check and wording, for -w and the image's alike. */
	if (wd[0] != '/')
		return berth_err_set(err, 0,
				     "the working directory '%s' is invalid, it needs to be an "
				     "absolute path",
				     wd);
	*out = path_clean(wd);
	return 0;
}

/* ---- process.capabilities ------------------------------------------------- */

/* struct capset is in ocispec-internal.h: the seccomp rules read it too. */

bool capset_has(const struct capset *s, int cap)
{
	return cap >= 0 && cap < 64 && (s->mask & (UINT64_C(1) << cap)) != 0;
}

static void capset_add(struct capset *s, int cap)
{
	if (cap < 0 || cap >= 64 || capset_has(s, cap))
		return;
	s->mask |= UINT64_C(1) << cap;
	s->order[s->n++] = cap;
}

/* Every capability the runtime can name that the engine itself holds in its
 * bounding set: what --privileged and --cap-add ALL mean. Docker's
 * GetAllCapabilities reads its own bounding set the same way, so that a
 * privileged container still starts where the engine runs with fewer
 * capabilities (in a container, or a VM that drops CAP_SYS_RESOURCE):
 * the runtime could not raise a capability outside its own bounding set. */
static void capset_add_all(struct capset *s, const struct capset *except)
{
	int last = caps_last_cap();

	for (int cap = 0; cap <= last && cap < 64; cap++)
		if (caps_to_name(cap) != NULL && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
		    (except == NULL || !capset_has(except, cap)))
			capset_add(s, cap);
}

/* docker's default set (moby oci/caps DefaultCapabilities), in its order. */
static const int default_caps[] = {
	CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
	CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
	CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
	CAP_KILL,    CAP_AUDIT_WRITE,
};

/* --cap-add/--cap-drop values: a name in any case with or without "CAP_",
 * or "ALL". */
static int caps_parse_opt(char *const *names, const char *flag, struct capset *out, bool *all,
			  struct berth_err *err)
{
	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		int cap;
		if (strcasecmp(names[i], "ALL") == 0) {
			*all = true;
			continue;
		}
		cap = caps_from_name(names[i]);
		if (cap < 0)
			return berth_err_set(err, 0, "%s %s: unknown capability", flag, names[i]);
		capset_add(out, cap);
	}
	return 0;
}

/* moby oci/caps TweakCapabilities: --privileged takes everything (and
 * ignores --cap-add/--cap-drop); --cap-add ALL is everything but the
 * drops; --cap-drop ALL is only the adds; otherwise the defaults less the
 * drops, plus the adds. */
static int build_caps(const struct ocispec_opts *o, struct capset *out, struct berth_err *err)
{
	struct capset add = { 0 }, drop = { 0 };
	bool add_all = false, drop_all = false;

	if (o->privileged) {
		capset_add_all(out, NULL);
		return 0;
	}
	if (caps_parse_opt(o->cap_add, "--cap-add", &add, &add_all, err) < 0 ||
	    caps_parse_opt(o->cap_drop, "--cap-drop", &drop, &drop_all, err) < 0)
		return -1;
	if (add_all) {
		capset_add_all(out, &drop);
		return 0;
	}
	if (!drop_all)
		for (size_t i = 0; i < ARRAY_SIZE(default_caps); i++)
			if (!capset_has(&drop, default_caps[i]))
				capset_add(out, default_caps[i]);
	for (size_t i = 0; i < add.n; i++)
		capset_add(out, add.order[i]);
	return 0;
}

/* Bounding, effective and permitted; docker (since 23.0) leaves inheritable
 * and ambient empty, so an unprivileged user's exec keeps nothing. */
static json_object *caps_json(const struct capset *c)
{
	static const char *const sets[] = { "bounding", "effective", "permitted" };
	json_object *o = json_object_new_object();

	for (size_t s = 0; s < ARRAY_SIZE(sets); s++) {
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < c->n; i++)
			json_object_array_add(a, json_object_new_string(caps_to_name(c->order[i])));
		json_object_object_add(o, sets[s], a);
	}
	return o;
}

/* ---- process ---------------------------------------------------------------- */

/* process.user is resolved in ocispec-user.c. */
static void cleanup_userp(struct ocispec_user *u)
{
	ocispec_user_clear(u);
}
#define autouser __attribute__((cleanup(cleanup_userp)))

static json_object *user_json(const struct ocispec_user *u)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "uid", json_object_new_int64(u->uid));
	json_object_object_add(o, "gid", json_object_new_int64(u->gid));
	if (u->n_additional > 0) {
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < u->n_additional; i++)
			json_object_array_add(a, json_object_new_int64(u->additional_gids[i]));
		json_object_object_add(o, "additionalGids", a);
	}
	return o;
}

int ocispec_user_apply(json_object *spec, const char *rootfs, char *const *group_add,
		       struct berth_err *err)
{
	json_object *a = NULL, *pending = NULL, *process = NULL;
	autouser struct ocispec_user u = { 0 };
	autostrv char **env = NULL;

	if (!json_object_object_get_ex(spec, "annotations", &a) ||
	    !json_object_object_get_ex(a, OCISPEC_USER_PENDING, &pending) ||
	    !json_object_object_get_ex(spec, "process", &process))
		return 0;
	if (ocispec_resolve_user(rootfs, json_object_get_string(pending), &u, err) < 0 ||
	    ocispec_user_docker_groups(rootfs, group_add, &u, err) < 0)
		return -1;
	json_object_object_add(process, "user", user_json(&u));
	if (json_get_strv(process, "env", "process", &env, err) < 0)
		return -1;
	if (env_index(env, "HOME", 4) < 0 && u.home != NULL) {
		strv_push_take(&env, xasprintf("HOME=%s", u.home));
		json_object_object_add(process, "env", json_strv(env));
	}
	json_object_object_del(a, OCISPEC_USER_PENDING);
	return 0;
}

/* No rlimits (the container inherits the engine's, as docker's containers
 * inherit dockerd's) and no oomScoreAdj. */
static int build_process(const struct ocispec_opts *o, json_object *image_config, json_object *cfg,
			 const char *hostname, const struct ocispec_user *user,
			 const struct capset *caps, json_object **out, struct berth_err *err)
{
	autostrv char **args = NULL, **env = NULL;
	autofree char *cwd = NULL;
	json_object *p;

	if (ocispec_args(o, image_config, &args, err) < 0 ||
	    build_env(o, cfg, hostname, user->home, &env, err) < 0 ||
	    build_cwd(o, cfg, &cwd, err) < 0)
		return -1;
	p = json_object_new_object();
	json_object_object_add(p, "terminal", json_object_new_boolean(o->tty));
	json_object_object_add(p, "user", user_json(user));
	json_object_object_add(p, "args", json_strv(args));
	json_object_object_add(p, "env", json_strv(env));
	json_object_object_add(p, "cwd", json_object_new_string(cwd));
	json_object_object_add(p, "capabilities", caps_json(caps));
	json_object_object_add(p, "noNewPrivileges", json_object_new_boolean(o->no_new_privileges));
	*out = p;
	return 0;
}

/* ---- mounts ----------------------------------------------------------------- */

struct default_mount {
	const char *destination, *type, *source;
	const char *options[7];
	bool ro;  /* read-only unless --privileged */
	bool shm; /* gets size= from --shm-size */
};

/* docker's order and options (moby oci.DefaultLinuxSpec, then the daemon's
 * cgroup and /dev/shm adjustments). Type "cgroup" is the runtime's: a
 * cgroup2 mount on a unified host, a tmpfs of the hierarchies otherwise. */
static const struct default_mount default_mounts[] = {
	{ "/proc", "proc", "proc", { "nosuid", "noexec", "nodev" }, false, false },
	{ "/dev",
	  "tmpfs",
	  "tmpfs",
	  { "nosuid", "strictatime", "mode=755", "size=65536k" },
	  false,
	  false },
	{ "/dev/pts",
	  "devpts",
	  "devpts",
	  { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" },
	  false,
	  false },
	{ "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev" }, true, false },
	{ "/sys/fs/cgroup",
	  "cgroup",
	  "cgroup",
	  { "nosuid", "noexec", "nodev", "relatime" },
	  true,
	  false },
	{ "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev" }, false, false },
	{ "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777" }, false, true },
};

static json_object *mount_json(const char *destination, const char *type, const char *source,
			       char *const *options)
{
	json_object *m = json_object_new_object();

	json_object_object_add(m, "destination", json_object_new_string(destination));
	json_object_object_add(m, "type", json_object_new_string(type));
	json_object_object_add(m, "source", json_object_new_string(source));
	json_object_object_add(m, "options", json_strv(options));
	return m;
}

static json_object *default_mount_json(const struct ocispec_opts *o, const struct default_mount *d)
{
	autostrv char **opts = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(d->options) && d->options[i] != NULL; i++)
		strv_push(&opts, d->options[i]);
	/* docker's clearReadOnly: a privileged container may write /sys. */
	if (d->ro && !o->privileged)
		strv_push(&opts, "ro");
	if (d->shm)
		strv_push_take(
		    &opts, xasprintf("size=%llu",
				     (unsigned long long)(o->shm_size != 0 ? o->shm_size
									   : OCISPEC_SHM_DEFAULT)));
	return mount_json(d->destination, d->type, d->source, opts);
}

/* The files the engine wrote for the container, in docker's order
 * (NetworkMounts: resolv.conf, hostname, hosts), writable unless the root
 * is read-only, as docker has them. */
static void add_file_mounts(const struct ocispec_opts *o, json_object *mounts)
{
	const struct {
		const char *destination, *source;
	} files[] = {
		{ "/etc/resolv.conf", o->resolv_file },
		{ "/etc/hostname", o->hostname_file },
		{ "/etc/hosts", o->hosts_file },
	};

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		autostrv char **opts = NULL;
		if (files[i].source == NULL)
			continue;
		strv_push(&opts, "rbind");
		if (o->read_only)
			strv_push(&opts, "ro");
		strv_push(&opts, "rprivate");
		json_object_array_add(
		    mounts, mount_json(files[i].destination, "bind", files[i].source, opts));
	}
}

static json_object *build_mounts(const struct ocispec_opts *o)
{
	json_object *mounts = json_object_new_array();

	for (size_t i = 0; i < ARRAY_SIZE(default_mounts); i++) {
		/* /dev/shm bound from elsewhere: --ipc host, the host's;
		 * shareable, the engine's tmpfs, which joiners share;
		 * container:X, X's (its source set at each start) */
		const char *shm_source =
		    !default_mounts[i].shm	     ? NULL
		    : is_host(o->ipc_mode)	     ? "/dev/shm"
		    : is_container(o->ipc_mode) ? ""
		    : o->ipc_mode != NULL && strcmp(o->ipc_mode, "shareable") == 0 ? o->shm_dir
										  : NULL;

		if (shm_source != NULL) {
			autostrv char **opts = NULL;

			strv_push(&opts, "rbind");
			strv_push(&opts, "nosuid");
			strv_push(&opts, "noexec");
			strv_push(&opts, "nodev");
			json_object_array_add(mounts,
					      mount_json("/dev/shm", "bind", shm_source, opts));
			continue;
		}
		json_object_array_add(mounts, default_mount_json(o, &default_mounts[i]));
	}
	add_file_mounts(o, mounts);
	return mounts;
}

/* ---- linux: paths, devices ------------------------------------------------- */

/* docker's (moby oci.DefaultLinuxSpec): host information, kernel memory,
 * timers that leak other tenants' activity, powercap energy counters (the
 * PLATYPUS side channel). */
static const char *const masked_paths[] = {
	"/proc/asound",
	"/proc/acpi",
	"/proc/kcore",
	"/proc/keys",
	"/proc/latency_stats",
	"/proc/timer_list",
	"/proc/timer_stats",
	"/proc/sched_debug",
	"/proc/scsi",
	"/sys/firmware",
	"/sys/devices/virtual/powercap",
	NULL,
};

static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

struct device_rule {
	char type;
	int64_t major, minor; /* -1: any */
	const char *access;
};

/* After a deny-all rule: what every docker container may use (runc's
 * AllowedDevices, which docker relies on). */
static const struct device_rule default_devices[] = {
	{ 'c', -1, -1, "m" },    /* mknod of any char node */
	{ 'b', -1, -1, "m" },    /* mknod of any block node */
	{ 'c', 1, 3, "rwm" },    /* /dev/null */
	{ 'c', 1, 5, "rwm" },    /* /dev/zero */
	{ 'c', 1, 7, "rwm" },    /* /dev/full */
	{ 'c', 1, 8, "rwm" },    /* /dev/random */
	{ 'c', 1, 9, "rwm" },    /* /dev/urandom */
	{ 'c', 5, 0, "rwm" },    /* /dev/tty */
	{ 'c', 5, 1, "rwm" },    /* /dev/console */
	{ 'c', 5, 2, "rwm" },    /* /dev/ptmx */
	{ 'c', 136, -1, "rwm" }, /* /dev/pts/N */
	{ 'c', 10, 200, "rwm" }, /* /dev/net/tun */
};

static json_object *device_rule_json(bool allow, const struct device_rule *r)
{
	json_object *d = json_object_new_object();
	char type[2] = { 0 };

	json_object_object_add(d, "allow", json_object_new_boolean(allow));
	if (r != NULL) {
		type[0] = r->type;
		json_object_object_add(d, "type", json_object_new_string(type));
		if (r->major >= 0)
			json_object_object_add(d, "major", json_object_new_int64(r->major));
		if (r->minor >= 0)
			json_object_object_add(d, "minor", json_object_new_int64(r->minor));
	}
	json_object_object_add(d, "access", json_object_new_string(r != NULL ? r->access : "rwm"));
	return d;
}

static json_object *build_devices(bool privileged)
{
	json_object *a = json_object_new_array();

	/* No type and no numbers: every device. */
	json_object_array_add(a, device_rule_json(privileged, NULL));
	if (privileged)
		return a;
	for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++)
		json_object_array_add(a, device_rule_json(true, &default_devices[i]));
	return a;
}

static int build_linux(const struct ocispec_opts *o, const struct capset *caps,
		       json_object *linux_obj, struct berth_err *err)
{
	json_object *res = json_object_new_object();

	json_object_object_add(linux_obj, "namespaces", ocispec_namespaces_build(o));
	json_object_object_add(res, "devices", build_devices(o->privileged));
	json_object_object_add(linux_obj, "resources", res);
	if (o->cgroups_path != NULL && o->cgroups_path[0] != '\0')
		json_object_object_add(linux_obj, "cgroupsPath",
				       json_object_new_string(o->cgroups_path));
	ocispec_sysctls_add(o, linux_obj);
	/* --privileged unmasks everything and runs unconfined (docker's). */
	if (o->privileged)
		return 0;
	json_object_object_add(linux_obj, "maskedPaths", json_cstrv(masked_paths));
	json_object_object_add(linux_obj, "readonlyPaths", json_cstrv(readonly_paths));
	if (o->seccomp_profile != NULL && o->seccomp_profile[0] != '\0') {
		json_object *s = NULL;
		if (ocispec_seccomp_build(o->seccomp_profile, caps, &s, err) < 0)
			return -1;
		json_object_object_add(linux_obj, "seccomp", s);
	} else if (o->seccomp_default) {
		json_object *s = NULL;
		if (ocispec_seccomp_build_default(caps, &s, err) < 0)
			return -1;
		json_object_object_add(linux_obj, "seccomp", s);
	}
	return 0;
}

/* ---- the document ------------------------------------------------------------ */

/* --label k=v; a bare "k" has an empty value (docker's). */
static int build_annotations(char *const *labels, json_object *doc, struct berth_err *err)
{
	json_object *a;

	if (strv_len(labels) == 0)
		return 0;
	a = json_object_new_object();
	json_object_object_add(doc, "annotations", a);
	for (size_t i = 0; labels[i] != NULL; i++) {
		size_t len = strcspn(labels[i], "=");
		autofree char *key = xstrndup(labels[i], len);
		if (len == 0)
			return berth_err_set(err, 0, "invalid label \"%s\": empty key", labels[i]);
		json_object_object_add(
		    a, key,
		    json_object_new_string(labels[i][len] == '=' ? labels[i] + len + 1 : ""));
	}
	return 0;
}

static json_object *build_root(const struct ocispec_opts *o)
{
	json_object *root = json_object_new_object();

	json_object_object_add(root, "path", json_object_new_string(o->rootfs));
	json_object_object_add(root, "readonly", json_object_new_boolean(o->read_only));
	return root;
}

int ocispec_build(const struct ocispec_opts *o, json_object *image_config, json_object **out,
		  struct berth_err *err)
{
	autojson json_object *doc = NULL;
	autouser struct ocispec_user user = { 0 };
	autofree char *hostname = NULL;
	struct capset caps = { 0 };
	json_object *cfg, *process = NULL, *linux_obj;
	const char *user_spec = o->user;
	bool user_pending = false;

	if (o->rootfs == NULL || o->rootfs[0] != '/')
		return berth_err_set(err, 0, "rootfs \"%s\": not an absolute path",
				     o->rootfs != NULL ? o->rootfs : "");
	if (ocispec_namespaces_check(o, err) < 0)
		return -1;
	if (image_section(image_config, &cfg, err) < 0)
		return -1;
	if (o->hostname != NULL && o->hostname[0] != '\0')
		hostname = xstrdup(o->hostname);
	else if (o->id != NULL && o->id[0] != '\0')
		hostname = xstrndup(o->id, OCISPEC_HOSTNAME_HEX);
	else
		return berth_err_set(err, 0, "no hostname: the container has no id");
	/* -u "" is no -u at all, as docker merges it. */
	if ((user_spec == NULL || user_spec[0] == '\0') &&
	    json_get_string(cfg, "User", "config", &user_spec, err) < 0)
		return -1;
	if (build_caps(o, &caps, err) < 0)
		return -1;
	if (ocispec_resolve_user(o->rootfs, user_spec, &user, err) < 0 ||
	    ocispec_user_docker_groups(o->rootfs, o->group_add, &user, err) < 0) {
		/* A user or group the image lacks: docker makes the container
		 * and refuses each start (the files may change meanwhile). */
		if (!o->defer_user || err->code != ENOENT)
			return -1;
		berth_err_clear(err);
		ocispec_user_clear(&user);
		user_pending = true;
	}
	if (build_process(o, image_config, cfg, hostname, &user, &caps, &process, err) < 0)
		return -1;

	doc = json_object_new_object();
	json_object_object_add(doc, "ociVersion", json_object_new_string("1.2.0"));
	json_object_object_add(doc, "process", process);
	json_object_object_add(doc, "root", build_root(o));
	/* With the host's uts namespace the runtime may not set one. */
	if (!is_host(o->uts_mode))
		json_object_object_add(doc, "hostname", json_object_new_string(hostname));
	json_object_object_add(doc, "mounts", build_mounts(o));
	if (ocispec_mounts_add(o->mounts, json_object_object_get(doc, "mounts"), err) < 0)
		return -1;
	linux_obj = json_object_new_object();
	json_object_object_add(doc, "linux", linux_obj);
	if (build_linux(o, &caps, linux_obj, err) < 0 ||
	    build_annotations(o->labels, doc, err) < 0 ||
	    ocispec_resources_apply(o->res, doc, err) < 0)
		return -1;
	if (user_pending) {
		json_object *a = NULL;

		if (!json_object_object_get_ex(doc, "annotations", &a)) {
			a = json_object_new_object();
			json_object_object_add(doc, "annotations", a);
		}
		json_object_object_add(a, OCISPEC_USER_PENDING,
				       json_object_new_string(user_spec ? user_spec : ""));
	}
	if (o->privileged)
		ocispec_privileged_devices(doc);
	*out = steal_ptr(doc);
	return 0;
}
