/* docker's container commands: run, create, start, ps, logs, stop, kill, rm,
 * wait. Failures exit 125, as docker's do; `run` in the foreground exits
 * with the container's own status. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli/attach.h"
#include "cli/create-resources.h"
#include "cli/engine.h"
#include "cli/units.h"
#include "engine/attach.h"
#include "engine/engine.h"
#include "engine/mount-spec.h"
#include "runtime/signals.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/fs.h"
#include "util/human.h"
#include "util/num.h"
#include "util/strv.h"
#include "util/template.h"
#include "util/xalloc.h"

#define ENGINE_ERR 125

/* ---- create and run ---- */

struct create_cli {
	bool detach, interactive, tty, rm, read_only, privileged;
	const char *name, *entrypoint, *workdir, *user, *hostname, *network, *pull;
	const char *pid_mode, *ipc_mode, *uts_mode, *cgroupns_mode, *log_driver, *userns, *platform;
	char **sysctls;
	const char *stop_signal, *cidfile;
	int stop_timeout;
	char **env, **env_files, **labels, **cap_add, **cap_drop, **security_opts, **log_opts;
	char **group_add, **volumes_from;
	bool create_cmd; /* `create`, not `run` (their exit statuses differ) */
	/* attaching and restarting */
	bool sig_proxy;
	const char *restart, *detach_keys;
	char **attach;
	/* mounts */
	char **volumes, **mounts, **tmpfs;
	struct create_resources_cli res; /* --memory, --cpus, --ulimit, --init, ... */
	/* health checks */
	const char *health_cmd, *health_interval, *health_timeout, *health_start_period,
	    *health_start_interval, *health_on_failure;
	int health_retries;
	bool no_healthcheck;
};

#define CREATE_OPTS                                                                                \
	{ "env",        'e',                                                                       \
	  CLI_OPT_STRV, offsetof(struct create_cli, env),                                          \
	  "K=V",        "set an environment variable" },                                           \
	    { "volume",           'v',                                                             \
	      CLI_OPT_STRV,       offsetof(struct create_cli, volumes),                            \
	      "[SRC:]DST[:OPTS]", "bind mount a host path or mount a volume" },                    \
	    { "mount",                                                                             \
	      0,                                                                                   \
	      CLI_OPT_STRV,                                                                        \
	      offsetof(struct create_cli, mounts),                                                 \
	      "type=bind|volume|tmpfs,...",                                                        \
	      "attach a filesystem mount to the container" },                                      \
	    { "tmpfs",        0, CLI_OPT_STRV, offsetof(struct create_cli, tmpfs), "DST[:OPTS]",   \
	      "mount a tmpfs" },                                                                   \
	    { "env-file",   0,                                                                     \
	      CLI_OPT_STRV, offsetof(struct create_cli, env_files),                                \
	      "FILE",       "read environment variables from a file" },                            \
	    { "entrypoint",   0,                                                                   \
	      CLI_OPT_STRING, offsetof(struct create_cli, entrypoint),                             \
	      "CMD",          "override the image's ENTRYPOINT" },                                 \
	    { "workdir",      'w',                                                                 \
	      CLI_OPT_STRING, offsetof(struct create_cli, workdir),                                \
	      "DIR",          "working directory inside the container" },                          \
	    { "user",         'u',                                                                 \
	      CLI_OPT_STRING, offsetof(struct create_cli, user),                                   \
	      "USER[:GROUP]", "user to run as" },                                                  \
	    { "hostname",     'h',                                                                 \
	      CLI_OPT_STRING, offsetof(struct create_cli, hostname),                               \
	      "NAME",         "container host name" },                                             \
	    { "name",         0,                                                                   \
	      CLI_OPT_STRING, offsetof(struct create_cli, name),                                   \
	      "NAME",         "assign a name to the container" },                                  \
	    { "label",      'l',                                                                   \
	      CLI_OPT_STRV, offsetof(struct create_cli, labels),                                   \
	      "K=V",        "set metadata on the container" },                                     \
	    { "rm",         0,                                                                     \
	      CLI_OPT_BOOL, offsetof(struct create_cli, rm),                                       \
	      NULL,         "remove the container when it exits" },                                \
	    { "interactive", 'i',                                                                  \
	      CLI_OPT_BOOL,  offsetof(struct create_cli, interactive),                             \
	      NULL,          "keep stdin open (not supported yet)" },                              \
	    { "tty",        't',                                                                   \
	      CLI_OPT_BOOL, offsetof(struct create_cli, tty),                                      \
	      NULL,         "allocate a pseudo-terminal (not supported yet)" },                    \
	    { "read-only",  0,                                                                     \
	      CLI_OPT_BOOL, offsetof(struct create_cli, read_only),                                \
	      NULL,         "mount the container's root filesystem read-only" },                   \
	    { "privileged", 0,                                                                     \
	      CLI_OPT_BOOL, offsetof(struct create_cli, privileged),                               \
	      NULL,         "give the container every capability and device" },                    \
	    { "cap-add",         0, CLI_OPT_STRV, offsetof(struct create_cli, cap_add), "CAP",     \
	      "add a capability" },                                                                \
	    { "cap-drop",         0, CLI_OPT_STRV, offsetof(struct create_cli, cap_drop), "CAP",   \
	      "drop a capability" },                                                               \
	    { "volumes-from",     0, CLI_OPT_STRV, offsetof(struct create_cli, volumes_from),      \
	      "CONTAINER[:ro|:rw]", "mount the volumes and binds of another container" },         \
	    { "group-add",        0, CLI_OPT_STRV, offsetof(struct create_cli, group_add), "GROUP",\
	      "add a supplementary group (a name in the image's /etc/group, or a number)" },      \
	    { "security-opt", 0,                                                                   \
	      CLI_OPT_STRV,   offsetof(struct create_cli, security_opts),                          \
	      "OPT",          "no-new-privileges, seccomp=unconfined|FILE" },                      \
	    { "network",      0,                                                                   \
	      CLI_OPT_STRING, offsetof(struct create_cli, network),                                \
	      "MODE",         "none (default) or host" },                                          \
	    { "net", 0, CLI_OPT_STRING, offsetof(struct create_cli, network), "MODE", NULL },      \
	    { "pid",          0, CLI_OPT_STRING, offsetof(struct create_cli, pid_mode), "MODE",    \
	      "host: the host's pid namespace" },                                                  \
	    { "ipc",          0, CLI_OPT_STRING, offsetof(struct create_cli, ipc_mode), "MODE",    \
	      "private (default), shareable or host" },                                            \
	    { "uts",          0, CLI_OPT_STRING, offsetof(struct create_cli, uts_mode), "MODE",    \
	      "host: the host's uts namespace (its hostname)" },                                   \
	    { "cgroupns",     0, CLI_OPT_STRING, offsetof(struct create_cli, cgroupns_mode),       \
	      "MODE",         "private (default) or host" },                                       \
	    { "userns",       0, CLI_OPT_STRING, offsetof(struct create_cli, userns), "MODE",      \
	      "host: the host's user namespace (the only mode: no remapping is configured)" },     \
	    { "platform",     0, CLI_OPT_STRING, offsetof(struct create_cli, platform),            \
	      "OS[/ARCH[/VARIANT]]", "the image's platform (one of this host's, such as "          \
	      "linux/amd64: no registry to fetch others from yet)" },                              \
	    { "sysctl",       0, CLI_OPT_STRV, offsetof(struct create_cli, sysctls), "K=V",        \
	      "a namespaced kernel parameter (kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*, "  \
	      "net.*)" },                                                                          \
	    { "pull",         0,                                                                   \
	      CLI_OPT_STRING, offsetof(struct create_cli, pull),                                   \
	      "POLICY",       "missing or never (registries come later)" },                        \
	    { "stop-signal",  0,                                                                   \
	      CLI_OPT_STRING, offsetof(struct create_cli, stop_signal),                            \
	      "SIGNAL",       "signal to stop the container" },                                    \
	    { "stop-timeout", 0,                                                                   \
	      CLI_OPT_INT,    offsetof(struct create_cli, stop_timeout),                           \
	      "SECONDS",      "timeout to stop the container" },                                   \
	    { "log-driver", 0, CLI_OPT_STRING, offsetof(struct create_cli, log_driver), "DRIVER",  \
	      "json-file (default), local (json-file's format, local's rotation) or none" },      \
	    { "log-opt",    0,                                                                     \
	      CLI_OPT_STRV, offsetof(struct create_cli, log_opts),                                 \
	      "K=V",        "max-size=10m, max-file=3" },                                          \
	    { "health-cmd", 0, CLI_OPT_STRING, offsetof(struct create_cli, health_cmd), "CMD",     \
	      "command to run to check health (through the image's shell)" },                     \
	    { "health-interval", 0, CLI_OPT_STRING, offsetof(struct create_cli, health_interval),  \
	      "DURATION", "time between health checks (default 30s)" },                            \
	    { "health-timeout", 0, CLI_OPT_STRING, offsetof(struct create_cli, health_timeout),    \
	      "DURATION", "longest a health check may run (default 30s)" },                        \
	    { "health-start-period", 0, CLI_OPT_STRING,                                            \
	      offsetof(struct create_cli, health_start_period), "DURATION",                        \
	      "time to start before failed checks count (default 0s)" },                           \
	    { "health-start-interval", 0, CLI_OPT_STRING,                                          \
	      offsetof(struct create_cli, health_start_interval), "DURATION",                      \
	      "time between health checks during the start period (default 5s)" },                 \
	    { "health-retries", 0, CLI_OPT_INT, offsetof(struct create_cli, health_retries), "N",  \
	      "consecutive failures that make it unhealthy (default 3)", INT_MIN },                \
	    { "no-healthcheck", 0, CLI_OPT_BOOL, offsetof(struct create_cli, no_healthcheck),      \
	      NULL, "disable the image's HEALTHCHECK" },                                           \
	    { "health-on-failure", 0, CLI_OPT_STRING,                                              \
	      offsetof(struct create_cli, health_on_failure), "ACTION",                            \
	      "when unhealthy: none (default), kill, restart or stop (as podman's)" },             \
	{                                                                                          \
		"cidfile", 0, CLI_OPT_STRING, offsetof(struct create_cli, cidfile), "FILE",        \
		    "write the container id to the file"                                           \
	}

/* Flags of this file's own, beside the ones other files add. */
#define ATTACH_OPTS                                                                                \
	{ "attach",     'a',                                                                       \
	  CLI_OPT_STRV, offsetof(struct create_cli, attach),                                       \
	  "STREAM",     "attach stdin, stdout or stderr" },                                        \
	{                                                                                          \
		"restart", 0, CLI_OPT_STRING, offsetof(struct create_cli, restart), "POLICY",      \
		    "no, on-failure[:N], always or unless-stopped"                                 \
	}

static const struct cli_opt create_table[] = {
	CREATE_OPTS,
	ATTACH_OPTS,
	CREATE_RESOURCE_OPTS(struct create_cli, res),
	CLI_OPT_END,
};

static const struct cli_opt run_table[] = {
	{ "detach", 'd', CLI_OPT_BOOL, offsetof(struct create_cli, detach), NULL,
	  "run in the background and print the container id" },
	CREATE_OPTS,
	ATTACH_OPTS,
	CREATE_RESOURCE_OPTS(struct create_cli, res),
	{ "sig-proxy", 0, CLI_OPT_BOOL, offsetof(struct create_cli, sig_proxy), NULL,
	  "forward received signals to the container (default true)" },
	{ "detach-keys", 0, CLI_OPT_STRING, offsetof(struct create_cli, detach_keys), "KEYS",
	  "the keys that detach (default ctrl-p,ctrl-q)" },
	CLI_OPT_END,
};

static void create_defaults(void *o)
{
	((struct create_cli *)o)->stop_timeout = -1;
	((struct create_cli *)o)->sig_proxy = true;
}

/* --log-driver: json-file, local (kept in json-file's format, so `logs`
 * reads it; docker's local defaults: 20 MB x 5 files), journald (through
 * journald's native protocol; `logs` reads Berth's own json-file copy) or
 * none. */
static int parse_log_driver(const char *driver, struct engine_create_opts *o,
			    struct berth_err *err)
{
	static const char *const known[] = { "local", "none", "journald", NULL };

	if (driver == NULL || driver[0] == '\0' || strcmp(driver, "json-file") == 0)
		return 0;
	if (strv_contains((char **)known, driver)) {
		o->log_driver = driver;
		return 0;
	}
	return berth_err_set(err, 0,
			     "log driver %s: not supported; json-file, local, journald "
			     "and none are",
			     driver);
}

/* The journald driver's options, as docker's driver takes them: tag (a
 * template, parsed here so a bad one fails the create), labels, env,
 * labels-regex and env-regex (extended regular expressions). They are
 * recorded as given and applied at each start (log-journald.c). */
static int parse_journald_opt(const char *opt, const char *v, struct berth_err *err)
{
	static const char *const keys[] = { "tag",          "labels",    "env",
					    "labels-regex", "env-regex", NULL };
	autofree char *key = xstrndup(opt, (size_t)(v - 1 - opt));

	if (!strv_contains((char **)keys, key))
		return berth_err_set(err, 0, "unknown log opt '%s' for journald log driver", key);
	if (strcmp(key, "tag") == 0) {
		struct tmpl *t = NULL;

		if (tmpl_parse(v, &t, err) < 0)
			return berth_err_wrap(err, "invalid --log-opt tag=%s", v);
		tmpl_free(t);
	} else if (strstr(key, "-regex") != NULL) {
		regex_t re;

		if (regcomp(&re, v, REG_EXTENDED | REG_NOSUB) != 0)
			return berth_err_set(err, 0,
					     "invalid --log-opt %s: not a regular "
					     "expression",
					     opt);
		regfree(&re);
	}
	return 0;
}

static int parse_log_opts(char **opts, struct engine_create_opts *o, struct berth_err *err)
{
	const char *driver = o->log_driver != NULL ? o->log_driver : "json-file";

	for (size_t i = 0; opts != NULL && opts[i] != NULL; i++) {
		const char *v = strchr(opts[i], '=');

		if (v == NULL)
			return berth_err_set(err, 0, "invalid --log-opt %s: want KEY=VALUE",
					     opts[i]);
		v++;
		if (strcmp(driver, "none") == 0) {
			return berth_err_set(err, 0, "invalid logging opts for driver none");
		} else if (strcmp(driver, "journald") == 0) {
			if (parse_journald_opt(opts[i], v, err) < 0)
				return -1;
		} else if (strcmp(driver, "local") == 0 && strncmp(opts[i], "compress=", 9) == 0) {
			/* accepted; rotated files are kept as they are */
		} else if (strncmp(opts[i], "max-size=", 9) == 0) {
			int64_t size;

			if (cli_parse_size(v, &size) < 0 || size <= 0)
				return berth_err_set(err, 0, "invalid --log-opt max-size=%s", v);
			o->log_max_size = (uint64_t)size;
		} else if (strncmp(opts[i], "max-file=", 9) == 0) {
			if (num_parse_int(v, 1, 1000, &o->log_max_file) < 0)
				return berth_err_set(err, 0, "invalid --log-opt max-file=%s", v);
		} else {
			return berth_err_set(err, 0, "unknown log opt '%.*s' for %s log driver",
					     (int)(v - 1 - opts[i]), opts[i], driver);
		}
	}
	o->log_opts = opts;
	return 0;
}

/* -a: which streams `run` attaches (default stdout and stderr, and stdin
 * with -i); -d attaches none. */
static int parse_attach(struct create_cli *c, struct engine_create_opts *o, struct berth_err *err)
{
	if (c->attach != NULL && c->detach)
		return berth_err_set(err, 0, "Conflicting options: -a and -d");
	for (size_t i = 0; c->attach != NULL && c->attach[i] != NULL; i++) {
		if (strcasecmp(c->attach[i], "stdin") == 0)
			o->attach_stdin = true;
		else if (strcasecmp(c->attach[i], "stdout") == 0)
			o->attach_stdout = true;
		else if (strcasecmp(c->attach[i], "stderr") == 0)
			o->attach_stderr = true;
		else
			return berth_err_set(err, 0,
					     "invalid argument \"%s\" for \"-a, --attach\" flag: "
					     "valid streams are STDIN, STDOUT and STDERR",
					     c->attach[i]);
	}
	if (c->attach == NULL && !c->detach) {
		o->attach_stdin = c->interactive;
		o->attach_stdout = o->attach_stderr = true;
	}
	o->tty = c->tty;
	o->interactive = c->interactive;
	/* docker: run -i attached ends the container's stdin with the
	 * client's. */
	o->stdin_once = c->interactive && o->attach_stdin;
	return 0;
}

/* --health-*, as docker's client checks them. */
static int parse_health(struct create_cli *c, struct engine_health_opts *h, struct berth_err *err)
{
	const struct {
		const char *flag, *value;
		int64_t *out;
	} durations[] = {
		{ "health-interval", c->health_interval, &h->interval_ns },
		{ "health-timeout", c->health_timeout, &h->timeout_ns },
		{ "health-start-period", c->health_start_period, &h->start_period_ns },
		{ "health-start-interval", c->health_start_interval, &h->start_interval_ns },
	};
	bool any = c->health_cmd != NULL || c->health_retries != 0;

	for (size_t i = 0; i < ARRAY_SIZE(durations); i++) {
		if (durations[i].value == NULL)
			continue;
		if (human_parse_go_duration(durations[i].value, durations[i].out) < 0)
			return berth_err_set(err, 0,
					     "invalid argument \"%s\" for \"--%s\" flag: time: "
					     "invalid duration \"%s\"",
					     durations[i].value, durations[i].flag,
					     durations[i].value);
		any |= *durations[i].out != 0;
	}
	if (c->no_healthcheck) {
		if (any)
			return berth_err_set(err, 0,
					     "--no-healthcheck conflicts with --health-* options");
		h->none = true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(durations); i++)
		if (*durations[i].out < 0)
			return berth_err_set(err, 0, "--%s cannot be negative", durations[i].flag);
	if (c->health_retries < 0)
		return berth_err_set(err, 0, "--health-retries cannot be negative");
	h->cmd = c->health_cmd;
	h->retries = c->health_retries;
	h->on_failure = c->health_on_failure;
	return 0;
}

static int to_engine_opts(struct create_cli *c, char **args, struct engine_create_opts *o,
			  char ***env, struct berth_err *err)
{
	memset(o, 0, sizeof(*o));
	if (parse_attach(c, o, err) < 0 || create_parse_restart(c->restart, c->rm, &o->restart_policy, &o->restart_max, err) < 0)
		return -1;
	if (c->pull != NULL && strcmp(c->pull, "missing") != 0 && strcmp(c->pull, "never") != 0)
		return berth_err_set(err, 0,
				     "--pull %s: only missing and never (pulling from registries "
				     "comes later)",
				     c->pull);
	if (engine_cli_env_files(c->env_files, env, err) < 0)
		return -1;
	for (size_t i = 0; c->env != NULL && c->env[i] != NULL; i++)
		strv_push(env, c->env[i]);
	/* -v, --mount and --tmpfs are read here first, as docker's client
	 * reads them: a malformed one is a bad flag (125), for create too. A
	 * missing bind source is the engine's to refuse (ENOENT). */
	{
		struct mount_spec_list l = { 0 };
		int r = mount_specs_parse(c->volumes, c->mounts, c->tmpfs, &l, err);

		mount_spec_list_clear(&l);
		if (r < 0 && err->code != ENOENT)
			return -1;
		berth_err_clear(err);
	}
	if (create_security_opts(c->security_opts, o, err) < 0 ||
	    create_resources_parse(&c->res, o, err) < 0 || parse_health(c, &o->health, err) < 0)
		return -1;
	if (c->stop_signal != NULL && signal_parse(c->stop_signal) <= 0)
		return berth_err_set(
		    err, 0, "invalid argument \"%s\" for \"--stop-signal\" flag: invalid signal",
		    c->stop_signal);
	if (parse_log_driver(c->log_driver, o, err) < 0 || parse_log_opts(c->log_opts, o, err) < 0)
		return -1;
	/* docker's client: "" and host are the modes it knows */
	if (c->userns != NULL && c->userns[0] != '\0' && strcmp(c->userns, "host") != 0)
		return berth_err_set(err, 0, "--userns: invalid USER mode");
	o->userns_mode = c->userns;
	o->platform = c->platform;
	/* docker's local driver keeps 5 files of 20 MB by default. */
	if (o->log_driver != NULL && strcmp(o->log_driver, "local") == 0) {
		if (o->log_max_size == 0)
			o->log_max_size = 20u << 20;
		if (o->log_max_file == 0)
			o->log_max_file = 5;
	}
	o->image = args[0];
	o->cmd = args[1] != NULL ? args + 1 : NULL;
	o->name = c->name;
	o->entrypoint = c->entrypoint;
	o->env = *env;
	o->workdir = c->workdir;
	o->user = c->user;
	o->hostname = c->hostname;
	o->labels = c->labels;
	o->read_only = c->read_only;
	o->privileged = c->privileged;
	o->auto_remove = c->rm;
	o->cap_add = c->cap_add;
	o->cap_drop = c->cap_drop;
	o->group_add = c->group_add;
	o->volumes_from = c->volumes_from;
	o->volumes = c->volumes;
	o->mounts = c->mounts;
	o->tmpfs = c->tmpfs;
	o->network = c->network;
	o->pid_mode = c->pid_mode;
	o->ipc_mode = c->ipc_mode;
	o->uts_mode = c->uts_mode;
	o->cgroupns_mode = c->cgroupns_mode;
	o->sysctls = c->sysctls;
	o->stop_signal = c->stop_signal;
	o->stop_timeout = c->stop_timeout;
	return 0;
}

/* --cidfile, as docker's client makes it: refused when the file exists,
 * and made (empty) before the container is, so a path that cannot be
 * written fails before anything else is made. */
static int cidfile_open(const char *path, int *fd, struct berth_err *err)
{
	*fd = -1;
	if (path == NULL)
		return 0;
	/* O_EXCL: a file (or a symlink, even a dangling one) already there is
	 * left alone, never followed nor replaced. */
	*fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (*fd >= 0)
		return 0;
	if (errno == EEXIST)
		return berth_err_set(err, 0,
				     "container ID file found, make sure the other "
				     "container isn't running or delete %s",
				     path);
	return berth_err_set(err, errno, "failed to create the container ID file %s", path);
}

/* Takes a container create made back out of the store: its row, snapshot
 * and anonymous volumes (docker's rm -v), for a failure after the create. */
static void create_undo(struct engine *e, struct engine_container *c)
{
	struct berth_err ignored;

	engine_remove_volumes(e, c->id, true, &ignored);
	engine_container_clear(c);
}

/* Everything the flags say is checked before anything is made; a failure
 * after the container is made takes it out again, and the cidfile too. */
static int do_create(struct engine_cli *cli, struct create_cli *c, char **args,
		     struct engine_container *out, struct berth_err *err)
{
	struct engine *e;
	struct engine_create_opts o;
	autostrv char **env = NULL;
	autoclose int cid = -1;

	if (to_engine_opts(c, args, &o, &env, err) < 0)
		return -1;
	/* The config file's log rotation, unless --log-opt says otherwise. */
	if (o.log_max_size == 0)
		o.log_max_size = (uint64_t)cli->config_log_max_size;
	if (o.log_max_file == 0)
		o.log_max_file = cli->config_log_max_file;
	if (engine_cli_engine(cli, &e, err) < 0 || cidfile_open(c->cidfile, &cid, err) < 0)
		return -1;
	if (engine_create(e, &o, out, err) < 0) {
		/* docker: what its daemon refuses at create (a name in use, no
		 * such image, a mount's source missing, ...) is 1 for `create`
		 * (run says 125 for it all); its client's flag checks, above,
		 * are 125. */
		if (c->create_cmd && err->exit_status == 0)
			err->exit_status = 1;
		goto fail;
	}
	if (cid >= 0 && fs_write_all(cid, out->id, strlen(out->id), -1) < 0) {
		berth_err_set(err, errno, "write the container ID file %s", c->cidfile);
		create_undo(e, out);
		goto fail;
	}
	return 0;
fail:
	if (cid >= 0)
		unlink(c->cidfile);
	return -1;
}

static int create_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct engine_container c = { 0 };

	((struct create_cli *)o)->create_cmd = true;
	if (do_create(cli, o, args, &c, err) < 0)
		return -1;
	printf("%s\n", c.id);
	engine_container_clear(&c);
	return 0;
}

static int run_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct create_cli *c = o;
	struct engine_container ct = { 0 };
	struct engine_attach_opts ao;
	struct engine *e;
	bool start_failed;
	int code;

	if (c->tty && c->interactive && !c->detach && !isatty(STDIN_FILENO))
		return berth_err_set(err, 0, "the input device is not a TTY");
	engine_attach_opts_init(&ao);
	if (c->detach_keys != NULL && engine_attach_detach_keys(c->detach_keys, &ao, err) < 0)
		return -1;
	if (engine_cli_engine(cli, &e, err) < 0 || do_create(cli, c, args, &ct, err) < 0)
		return -1;
	if (c->detach) {
		if (engine_start(e, ct.id, -1, err) < 0)
			goto start_failed;
		printf("%s\n", ct.id);
		engine_container_clear(&ct);
		return 0;
	}
	ao.tty = c->tty;
	json_get_bool(ct.config, "AttachStdin", NULL, &ao.in, err);
	json_get_bool(ct.config, "AttachStdout", NULL, &ao.out, err);
	json_get_bool(ct.config, "AttachStderr", NULL, &ao.err, err);
	berth_err_clear(err);
	ao.sig_proxy = c->sig_proxy;
	ao.finish = c->rm;
	code = cli_attach_start(e, ct.id, &ao, true, &start_failed, err);
	if (code < 0 && start_failed)
		goto start_failed;
	if (code < 0)
		goto fail;
	engine_container_clear(&ct);
	return code;
start_failed : {
	struct berth_err ignored;

	engine_cli_command_status(err);
	if (c->rm)
		engine_remove(e, ct.id, true, &ignored);
}
fail:
	engine_container_clear(&ct);
	return -1;
}

const struct engine_cmd engine_cmd_create = {
	.name = "create",
	.args = "IMAGE [COMMAND] [ARG...]",
	.summary = "Create a new container",
	.opts = create_table,
	.opts_size = sizeof(struct create_cli),
	.parse_flags = CLI_ARGS_STOP_AT_POSITIONAL,
	.min_args = 1,
	.max_args = -1,
	.defaults = create_defaults,
	.err_status = ENGINE_ERR,
	.run = create_run,
};

const struct engine_cmd engine_cmd_run = {
	.name = "run",
	.args = "IMAGE [COMMAND] [ARG...]",
	.summary = "Create and run a new container from an image",
	.opts = run_table,
	.opts_size = sizeof(struct create_cli),
	.parse_flags = CLI_ARGS_STOP_AT_POSITIONAL,
	.min_args = 1,
	.max_args = -1,
	.defaults = create_defaults,
	.err_status = ENGINE_ERR,
	.run = run_run,
};
