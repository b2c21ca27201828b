/* Commands that describe rather than change: features, spec, events; and
 * checkpoint/restore, which say plainly that they are not supported. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/json-print.h"
#include "cli/runtime.h"
#include "cli/units.h"
#include "runtime/caps.h"
#include "runtime/mounts.h"
#include "runtime/sched.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

static json_object *names_json(const char *const *v)
{
	json_object *a = json_object_new_array();

	for (; v != NULL && *v != NULL; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static json_object *enabled_json(bool enabled)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "enabled", json_object_new_boolean(enabled));
	return o;
}

/* The options the spec and runc know; features lists those that mounts.c
 * accepts, so a caller (containerd checks for "rro") never relies on one
 * that would fail at create. */
/* clang-format off */
static const char *const mount_option_candidates[] = {
	"acl", "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec",
	"idmap", "iversion", "lazytime", "loud", "mand", "noacl", "noatime", "nodev",
	"nodiratime", "noexec", "noiversion", "nolazytime", "nomand", "norelatime",
	"nostrictatime", "nosuid", "nosymfollow", "private", "ratime", "rbind", "rdev",
	"rdiratime", "relatime", "remount", "rexec", "ridmap", "rnoatime", "rnodev",
	"rnodiratime", "rnoexec", "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow",
	"ro", "rprivate", "rrelatime", "rro", "rrw", "rshared", "rslave", "rstrictatime",
	"rsuid", "rsymfollow", "runbindable", "rw", "shared", "silent", "slave", "strictatime",
	"suid", "symfollow", "sync", "tmpcopyup", "unbindable", NULL,
};
/* clang-format on */

static json_object *features_mount_options(void)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; mount_option_candidates[i] != NULL; i++) {
		char *opts[] = { (char *)mount_option_candidates[i], NULL };
		struct spec_mount m = { .destination = (char *)"/x", .options = opts };
		struct berth_err err;

		/* An option the table does not know goes to the kernel as data:
		 * only those consumed by the table count as supported. */
		if (mount_options_parse(&m, "features", &err) == 0 && m.data == NULL)
			json_object_array_add(a, json_object_new_string(opts[0]));
		free(m.data);
	}
	return a;
}

static json_object *features_caps(void)
{
	json_object *a = json_object_new_array();
	int last = caps_last_cap();

	for (int cap = 0; cap <= last; cap++) {
		const char *name = caps_to_name(cap);

		if (name != NULL)
			json_object_array_add(a, json_object_new_string(name));
	}
	return a;
}

static json_object *features_namespaces(void)
{
	static const char *const base[] = { "cgroup", "ipc",  "mount", "network",
					    "pid",    "user", "uts",   NULL };
	json_object *a = names_json(base);

	/* Time namespaces arrived in Linux 5.6. */
	if (access("/proc/self/ns/time", F_OK) == 0)
		json_object_array_add(a, json_object_new_string("time"));
	return a;
}

static json_object *features_seccomp(void)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "enabled", json_object_new_boolean(1));
	json_object_object_add(o, "actions", names_json(seccomp_known_actions()));
	json_object_object_add(o, "operators", names_json(seccomp_known_operators()));
	json_object_object_add(o, "archs", names_json(seccomp_known_archs()));
	json_object_object_add(o, "knownFlags", names_json(seccomp_known_flags()));
	json_object_object_add(o, "supportedFlags", names_json(seccomp_known_flags()));
	return o;
}

static bool host_has_apparmor(void)
{
	autofree char *text = NULL;
	size_t len;
	struct berth_err err;

	if (fs_read_file("/sys/module/apparmor/parameters/enabled", 16, &text, &len, &err) < 0)
		return false;
	return text[0] == 'Y';
}

static json_object *features_linux(void)
{
	json_object *l = json_object_new_object();
	json_object *cg = json_object_new_object();
	json_object *ext = json_object_new_object();

	json_object_object_add(l, "namespaces", features_namespaces());
	json_object_object_add(l, "capabilities", features_caps());
	json_object_object_add(cg, "v1", json_object_new_boolean(1));
	json_object_object_add(cg, "v2", json_object_new_boolean(1));
	json_object_object_add(cg, "systemd", json_object_new_boolean(0));
	json_object_object_add(cg, "systemdUser", json_object_new_boolean(0));
	json_object_object_add(l, "cgroup", cg);
	json_object_object_add(l, "seccomp", features_seccomp());
	json_object_object_add(l, "apparmor", enabled_json(host_has_apparmor()));
	json_object_object_add(l, "selinux",
			       enabled_json(access("/sys/fs/selinux/enforce", F_OK) == 0));
	json_object_object_add(l, "intelRdt", enabled_json(false));
	json_object_object_add(ext, "idmap", enabled_json(true));
	json_object_object_add(l, "mountExtensions", ext);
	json_object_object_add(l, "netDevices", enabled_json(true));
	{
		json_object *mp = json_object_new_object();
		json_object *m = json_object_new_array(), *f = json_object_new_array();
		for (const char *const *n = sched_mempolicy_known_modes(); *n != NULL; n++)
			json_object_array_add(m, json_object_new_string(*n));
		for (const char *const *n = sched_mempolicy_known_flags(); *n != NULL; n++)
			json_object_array_add(f, json_object_new_string(*n));
		json_object_object_add(mp, "modes", m);
		json_object_object_add(mp, "flags", f);
		json_object_object_add(l, "memoryPolicy", mp);
	}
	return l;
}

static int cmd_features(struct runtime_cli *cli, void *opts, char **args, struct berth_err *err)
{
	static const char *const hooks[] = { "prestart",
					     "createRuntime",
					     "createContainer",
					     "startContainer",
					     "poststart",
					     "poststop",
					     NULL };
	autojson json_object *f = json_object_new_object();
	json_object *ann = json_object_new_object();
	const struct scmp_version *v = seccomp_version();
	autofree char *scmp = xasprintf("%u.%u.%u", v->major, v->minor, v->micro);

	json_object_object_add(f, "ociVersionMin", json_object_new_string("1.0.0"));
	json_object_object_add(f, "ociVersionMax", json_object_new_string("1.2.0"));
	json_object_object_add(f, "hooks", names_json(hooks));
	json_object_object_add(f, "mountOptions", features_mount_options());
	json_object_object_add(f, "linux", features_linux());
	json_object_object_add(ann, "io.github.seccomp.libseccomp.version",
			       json_object_new_string(scmp));
	/* containerd reads this key to decide whether checkpoints can work. */
	json_object_object_add(ann, "org.opencontainers.runc.checkpoint.enabled",
			       json_object_new_string("false"));
	json_object_object_add(ann, "org.berth.version", json_object_new_string(BERTH_VERSION));
	json_object_object_add(f, "annotations", ann);
	cli_json_print(stdout, f, "    ");
	return 0;
}

struct spec_flags {
	const char *bundle;
	bool rootless;
};

static const struct cli_opt spec_table[] = {
	{ "bundle", 'b', CLI_OPT_STRING, offsetof(struct spec_flags, bundle), "DIR",
	  "write config.json into DIR (default: the current directory)" },
	{ "rootless", 0, CLI_OPT_BOOL, offsetof(struct spec_flags, rootless), NULL,
	  "a configuration for a container run without root" },
	CLI_OPT_END,
};

static int cmd_spec(struct runtime_cli *cli, void *opts, char **args, struct berth_err *err)
{
	const struct spec_flags *f = opts;
	const char *dir = f->bundle != NULL && f->bundle[0] != '\0' ? f->bundle : ".";
	autofree char *path = xasprintf("%s/config.json", dir);
	autojson json_object *doc = spec_default(f->rootless);
	autoclose int fd = -1;
	FILE *out;

	/* O_EXCL: an existing configuration is never overwritten, even one
	 * that appears between a check and the write. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0 && errno == EEXIST)
		return berth_err_set(err, 0, "%s already exists: remove it first", path);
	if (fd < 0)
		return berth_err_set(err, errno, "create %s", path);
	out = fdopen(fd, "w");
	if (out == NULL)
		return berth_err_set(err, errno, "fdopen %s", path);
	steal_fd(&fd);
	cli_json_print(out, doc, "\t");
	if (ferror(out) | (fclose(out) != 0))
		return berth_err_set(err, errno, "write %s", path);
	return 0;
}

struct events_flags {
	const char *interval;
	bool stats;
};

static const struct cli_opt events_table[] = {
	{ "interval", 0, CLI_OPT_STRING, offsetof(struct events_flags, interval), "DURATION",
	  "time between stats (default: 5s)" },
	{ "stats", 0, CLI_OPT_BOOL, offsetof(struct events_flags, stats), NULL,
	  "print the container's stats once and exit" },
	CLI_OPT_END,
};

static int events_print_stats(struct runtime_cli *cli, const char *id, struct berth_err *err)
{
	autojson json_object *stats = NULL;

	if (container_stats(&cli->ctx, id, &stats, err) < 0)
		return -1;
	cli_json_print(stdout, stats, NULL);
	fflush(stdout);
	return 0;
}

static int events_stopped(struct runtime_cli *cli, const char *id, bool *stopped,
			  struct berth_err *err)
{
	autojson json_object *state = NULL;
	json_object *status;

	if (container_state(&cli->ctx, id, &state, err) < 0)
		return -1;
	*stopped = json_object_object_get_ex(state, "status", &status) &&
		   strcmp(json_object_get_string(status), "stopped") == 0;
	return 0;
}

/* runc's OOM event: {"type":"oom","id":ID}, when the OOM killer has
 * killed more of the container's processes than last seen. */
static void events_oom_check(struct runtime_cli *cli, const char *id, uint64_t *seen)
{
	uint64_t kills = 0;
	struct berth_err ignored;

	if (container_oom_kills(&cli->ctx, id, &kills, &ignored) < 0 || kills <= *seen)
		return;
	*seen = kills;
	printf("{\"type\":\"oom\",\"id\":");
	{
		autojson json_object *s = json_object_new_string(id);

		fputs(json_object_to_json_string(s), stdout);
	}
	printf("}\n");
	fflush(stdout);
}

static int64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Stats every interval and, as they happen, OOM events (woken by the
 * memory controller's notification, cgroup_oom_watch), until the
 * container stops. */
static int cmd_events(struct runtime_cli *cli, void *opts, char **args, struct berth_err *err)
{
	const struct events_flags *f = opts;
	struct timespec interval;
	autoclose int watch = -1;
	uint64_t seen = 0;
	int64_t every;
	struct berth_err ignored;

	if (cli_parse_duration(f->interval != NULL ? f->interval : "5s", &interval) < 0)
		return berth_err_set(err, 0,
				     "invalid --interval \"%s\": want a positive duration "
				     "such as 5s or 500ms",
				     f->interval);
	if (f->stats)
		return events_print_stats(cli, args[0], err);
	every = (int64_t)interval.tv_sec * 1000 + interval.tv_nsec / 1000000;
	if (every < 1)
		every = 1;
	/* without a memory controller, only stats */
	if (container_oom_watch(&cli->ctx, args[0], &watch, &ignored) < 0)
		watch = -1;
	container_oom_kills(&cli->ctx, args[0], &seen, &ignored);
	for (;;) {
		bool stopped;
		int64_t until;

		if (events_stopped(cli, args[0], &stopped, err) < 0)
			return -1;
		if (stopped)
			return 0;
		if (events_print_stats(cli, args[0], err) < 0)
			return -1;
		until = mono_ms() + every;
		for (int64_t left; (left = until - mono_ms()) > 0;) {
			struct pollfd p = { .fd = watch, .events = POLLIN };
			char drain[4096];

			if (poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left) > 0 &&
			    (p.revents & POLLIN)) {
				while (read(watch, drain, sizeof(drain)) > 0)
					;
				events_oom_check(cli, args[0], &seen);
				if (events_stopped(cli, args[0], &stopped, err) < 0)
					return -1;
				if (stopped)
					return 0;
			}
		}
	}
}

static int cmd_unsupported(struct runtime_cli *cli, void *opts, char **args, struct berth_err *err)
{
	return berth_err_set(err, 0,
			     "checkpoint/restore is not supported (berth has no CRIU "
			     "support)");
}

const struct runtime_cmd runtime_cmd_features = {
	.name = "features",
	.args = "",
	.summary = "print what this runtime supports, as JSON",
	.min_args = 0,
	.max_args = 0,
	.run = cmd_features,
};

const struct runtime_cmd runtime_cmd_spec = {
	.name = "spec",
	.args = "",
	.summary = "write a default config.json",
	.opts = spec_table,
	.opts_size = sizeof(struct spec_flags),
	.min_args = 0,
	.max_args = 0,
	.run = cmd_spec,
};

const struct runtime_cmd runtime_cmd_events = {
	.name = "events",
	.args = "<container-id>",
	.summary = "print a container's resource usage every interval until it stops",
	.opts = events_table,
	.opts_size = sizeof(struct events_flags),
	.min_args = 1,
	.max_args = 1,
	.run = cmd_events,
};

const struct runtime_cmd runtime_cmd_checkpoint = {
	.name = "checkpoint",
	.args = "<container-id>",
	.summary = "not supported",
	.unparsed = true,
	.run = cmd_unsupported,
};

const struct runtime_cmd runtime_cmd_restore = {
	.name = "restore",
	.args = "<container-id>",
	.summary = "not supported",
	.unparsed = true,
	.run = cmd_unsupported,
};
