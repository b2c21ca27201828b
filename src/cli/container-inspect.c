/* Docker's container inspect, and the top-level inspect that takes a
 * container or an image by name. The object is docker's ContainerJSON in
 * its field order, built from the container's row, what create recorded
 * (docker's names: Cmd, Env, Memory, ... flat or under "HostConfig"), the
 * image's config for what the container inherits, and the bundle's
 * config.json for what really ran (the process env, masked paths).
 * Fields nothing records get docker's defaults in docker's types. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/engine.h"
#include "cli/inspect.h"
#include "cli/listing.h"
#include "engine/engine.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/human.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* Go's zero time.Time, as docker prints a time that never happened. */
#define ZERO_TIME "0001-01-01T00:00:00Z"

static json_object *time_json(int64_t ns)
{
	char buf[48];

	if (ns <= 0)
		return json_object_new_string(ZERO_TIME);
	return json_object_new_string(human_rfc3339(ns / 1000000000, (long)(ns % 1000000000), buf));
}

static json_object *take_string(char *s)
{
	json_object *o = json_object_new_string(s);

	free(s);
	return o;
}

static json_object *strv_to_json(char *const *v)
{
	json_object *a;

	if (v == NULL)
		return NULL;
	a = json_object_new_array();
	for (; *v != NULL; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

/* A new reference to o's member key, or NULL. */
static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	return json_object_get(v);
}

/* What create recorded under key: in "HostConfig" or flat. found tells
 * a recorded null from an absent key. */
static json_object *recorded(json_object *cfg, const char *key, bool *found)
{
	json_object *hc = NULL, *v = NULL;

	*found = false;
	if (json_object_object_get_ex(cfg, "HostConfig", &hc) &&
	    json_object_is_type(hc, json_type_object) && json_object_object_get_ex(hc, key, &v)) {
		*found = true;
		return json_object_get(v);
	}
	if (json_object_object_get_ex(cfg, key, &v)) {
		*found = true;
		return json_object_get(v);
	}
	return NULL;
}

/* ---- everything the object is built from ---- */

struct inspect_src {
	struct engine *e;
	struct store *s;
	struct engine_container c;
	json_object *image_config; /* the image's "config" object, or NULL */
	json_object *image_doc;    /* the whole image config document */
	json_object *bundle;       /* the container's OCI config, or NULL */
	bool legacy;               /* an older berth's bundle, on disk */
	struct store_snapshot sn;
	bool have_snapshot;
};

static void inspect_src_clear(struct inspect_src *src)
{
	engine_container_clear(&src->c);
	if (src->image_doc != NULL)
		json_object_put(src->image_doc);
	if (src->bundle != NULL)
		json_object_put(src->bundle);
	if (src->have_snapshot)
		store_snapshot_clear(&src->sn);
}

static int inspect_src_load(struct engine_cli *cli, const char *what, struct inspect_src *src,
			    struct berth_err *err)
{
	autofree char *bundle = NULL;
	autofree char *text = NULL;
	struct berth_err ignored;
	size_t len = 0;

	memset(src, 0, sizeof(*src));
	if (engine_cli_engine(cli, &src->e, err) < 0 || engine_store(cli, &src->s, err) < 0 ||
	    engine_lookup(src->e, what, &src->c, err) < 0)
		return -1;
	/* The image may be gone (rmi -f): inspect still works, without what
	 * the container inherits from it. */
	if (store_image_config(src->s, src->c.image_id, &src->image_doc, &ignored) == 0)
		json_object_object_get_ex(src->image_doc, "config", &src->image_config);
	if (engine_container_spec(src->e, src->c.id, &text, &ignored) == 0 && text != NULL) {
		if (json_parse_text(text, strlen(text), "config", &src->bundle, &ignored) < 0)
			src->bundle = NULL;
	} else {
		src->legacy = true;
		bundle = engine_container_path(src->e, src->c.id, true, "config.json");
		free(text);
		text = NULL;
		if (fs_read_file(bundle, 1 << 22, &text, &len, &ignored) < 0 ||
		    json_parse_text(text, len, bundle, &src->bundle, &ignored) < 0)
			src->bundle = NULL;
	}
	src->have_snapshot = store_snapshot_get(src->s, src->c.id, &src->sn, &ignored) == 0;
	return 0;
}

/* The bundle's member at a dotted path ("process.env"), not a new ref. */
static json_object *bundle_at(const struct inspect_src *src, const char *a, const char *b)
{
	json_object *v = NULL;

	if (src->bundle == NULL || !json_object_object_get_ex(src->bundle, a, &v))
		return NULL;
	if (b != NULL && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return v;
}

/* ---- State ---- */

static json_object *state_json(const struct inspect_src *src)
{
	const struct engine_container *c = &src->c;
	json_object *o = json_object_new_object();
	bool running = c->state == ENGINE_RUNNING;

	json_object_object_add(o, "Status", json_object_new_string(engine_container_status(c)));
	json_object_object_add(o, "Running", json_object_new_boolean(running));
	json_object_object_add(o, "Paused", json_object_new_boolean(running && c->paused));
	json_object_object_add(o, "Restarting",
			       json_object_new_boolean(c->state == ENGINE_RESTARTING));
	json_object_object_add(o, "OOMKilled", json_object_new_boolean(c->oom_killed));
	json_object_object_add(o, "Dead", json_object_new_boolean(false));
	json_object_object_add(o, "Pid", json_object_new_int(running ? c->pid : 0));
	json_object_object_add(o, "ExitCode", json_object_new_int(c->exit_code));
	json_object_object_add(o, "Error", json_object_new_string(c->error ? c->error : ""));
	json_object_object_add(o, "StartedAt", time_json(c->started_ns));
	/* docker keeps the last exit's time while a restarted one runs */
	json_object_object_add(o, "FinishedAt", time_json(c->finished_ns));
	/* docker's key order: Status, FailingStreak, Log */
	if (c->health != NULL) {
		json_object *h = json_object_new_object(), *v = NULL;

		if (json_object_object_get_ex(c->health, "Status", &v))
			json_object_object_add(h, "Status", json_object_get(v));
		if (json_object_object_get_ex(c->health, "FailingStreak", &v))
			json_object_object_add(h, "FailingStreak", json_object_get(v));
		if (json_object_object_get_ex(c->health, "Log", &v))
			json_object_object_add(h, "Log", json_object_get(v));
		json_object_object_add(o, "Health", h);
	}
	return o;
}

/* ---- HostConfig ---- */

enum hc_default {
	HC_EMPTY_STR,
	HC_FALSE,
	HC_NULL,
	HC_ZERO,
	HC_EMPTY_ARR,
	HC_EMPTY_OBJ,
	HC_SPECIAL
};

/* docker's HostConfig (API 1.43), in its order. */
static const struct {
	const char *key;
	enum hc_default def;
} host_config_keys[] = {
	{ "Binds", HC_NULL },
	{ "ContainerIDFile", HC_EMPTY_STR },
	{ "LogConfig", HC_SPECIAL },
	{ "NetworkMode", HC_SPECIAL },
	{ "PortBindings", HC_EMPTY_OBJ },
	{ "RestartPolicy", HC_SPECIAL },
	{ "AutoRemove", HC_FALSE },
	{ "VolumeDriver", HC_EMPTY_STR },
	{ "VolumesFrom", HC_NULL },
	{ "ConsoleSize", HC_SPECIAL },
	{ "CapAdd", HC_NULL },
	{ "CapDrop", HC_NULL },
	{ "CgroupnsMode", HC_SPECIAL },
	{ "Dns", HC_EMPTY_ARR },
	{ "DnsOptions", HC_EMPTY_ARR },
	{ "DnsSearch", HC_EMPTY_ARR },
	{ "ExtraHosts", HC_NULL },
	{ "GroupAdd", HC_NULL },
	{ "IpcMode", HC_SPECIAL },
	{ "Cgroup", HC_EMPTY_STR },
	{ "Links", HC_NULL },
	{ "OomScoreAdj", HC_ZERO },
	{ "PidMode", HC_EMPTY_STR },
	{ "Privileged", HC_FALSE },
	{ "PublishAllPorts", HC_FALSE },
	{ "ReadonlyRootfs", HC_FALSE },
	{ "SecurityOpt", HC_NULL },
	{ "Tmpfs", HC_NULL },
	{ "Sysctls", HC_NULL },
	{ "UTSMode", HC_EMPTY_STR },
	{ "UsernsMode", HC_EMPTY_STR },
	{ "ShmSize", HC_SPECIAL },
	{ "Runtime", HC_SPECIAL },
	{ "Isolation", HC_EMPTY_STR },
	{ "CpuShares", HC_ZERO },
	{ "Memory", HC_ZERO },
	{ "NanoCpus", HC_ZERO },
	{ "CgroupParent", HC_EMPTY_STR },
	{ "BlkioWeight", HC_ZERO },
	{ "BlkioWeightDevice", HC_EMPTY_ARR },
	{ "BlkioDeviceReadBps", HC_EMPTY_ARR },
	{ "BlkioDeviceWriteBps", HC_EMPTY_ARR },
	{ "BlkioDeviceReadIOps", HC_EMPTY_ARR },
	{ "BlkioDeviceWriteIOps", HC_EMPTY_ARR },
	{ "CpuPeriod", HC_ZERO },
	{ "CpuQuota", HC_ZERO },
	{ "CpuRealtimePeriod", HC_ZERO },
	{ "CpuRealtimeRuntime", HC_ZERO },
	{ "CpusetCpus", HC_EMPTY_STR },
	{ "CpusetMems", HC_EMPTY_STR },
	{ "Devices", HC_EMPTY_ARR },
	{ "DeviceCgroupRules", HC_NULL },
	{ "DeviceRequests", HC_NULL },
	{ "MemoryReservation", HC_ZERO },
	{ "MemorySwap", HC_ZERO },
	{ "MemorySwappiness", HC_NULL },
	{ "OomKillDisable", HC_NULL },
	{ "PidsLimit", HC_NULL },
	{ "Ulimits", HC_NULL },
	{ "CpuCount", HC_ZERO },
	{ "CpuPercent", HC_ZERO },
	{ "IOMaximumIOps", HC_ZERO },
	{ "IOMaximumBandwidth", HC_ZERO },
	{ "MaskedPaths", HC_SPECIAL },
	{ "ReadonlyPaths", HC_SPECIAL },
	{ "Init", HC_NULL },
};

static const char *network_mode(const struct engine_container *c)
{
	const char *mode = listing_get_str(c->config, "NetworkMode");

	return mode != NULL && mode[0] != '\0' ? mode : "none";
}

static json_object *log_config(const struct engine_container *c)
{
	json_object *o = json_object_new_object(), *opts = json_object_new_object();
	int64_t size = 0, files = 0;
	struct berth_err ignored;
	const char *driver = NULL;
	json_object *given = NULL;

	json_get_string(c->config, "LogDriver", NULL, &driver, &ignored);
	listing_add_str(o, "Type", driver != NULL ? driver : "json-file");
	/* the options as given (recorded since LogOpts exists) */
	if (json_object_object_get_ex(c->config, "LogOpts", &given) &&
	    json_object_is_type(given, json_type_object)) {
		json_object_put(opts);
		json_object_object_add(o, "Config", json_object_get(given));
		return o;
	}
	json_get_int64(c->config, "LogMaxSize", NULL, &size, &ignored);
	json_get_int64(c->config, "LogMaxFile", NULL, &files, &ignored);
	if (size > 0)
		json_object_object_add(opts, "max-size",
				       take_string(xasprintf("%lld", (long long)size)));
	if (files > 0)
		json_object_object_add(opts, "max-file",
				       take_string(xasprintf("%lld", (long long)files)));
	json_object_object_add(o, "Config", opts);
	return o;
}

/* Whether the bundle gives the process a namespace of this type. */
static bool has_namespace(const struct inspect_src *src, const char *type)
{
	json_object *ns = bundle_at(src, "linux", "namespaces");

	for (size_t i = 0; ns != NULL && i < json_object_array_length(ns); i++) {
		const char *t = listing_get_str(json_object_array_get_idx(ns, i), "type");

		if (t != NULL && strcmp(t, type) == 0)
			return true;
	}
	return false;
}

static json_object *host_config_special(const struct inspect_src *src, const char *key)
{
	if (strcmp(key, "LogConfig") == 0)
		return log_config(&src->c);
	if (strcmp(key, "NetworkMode") == 0)
		return json_object_new_string(network_mode(&src->c));
	if (strcmp(key, "RestartPolicy") == 0) {
		json_object *o = json_object_new_object();

		listing_add_str(o, "Name", "no");
		json_object_object_add(o, "MaximumRetryCount", json_object_new_int(0));
		return o;
	}
	if (strcmp(key, "ConsoleSize") == 0) {
		json_object *a = json_object_new_array();

		json_object_array_add(a, json_object_new_int(0));
		json_object_array_add(a, json_object_new_int(0));
		return a;
	}
	if (strcmp(key, "CgroupnsMode") == 0)
		return json_object_new_string(has_namespace(src, "cgroup") ? "private" : "host");
	if (strcmp(key, "IpcMode") == 0)
		return json_object_new_string(has_namespace(src, "ipc") ? "private" : "host");
	if (strcmp(key, "ShmSize") == 0)
		return json_object_new_int64(64 << 20);
	if (strcmp(key, "Runtime") == 0)
		return json_object_new_string("berth");
	if (strcmp(key, "MaskedPaths") == 0)
		return member(bundle_at(src, "linux", NULL), "maskedPaths");
	if (strcmp(key, "ReadonlyPaths") == 0)
		return member(bundle_at(src, "linux", NULL), "readonlyPaths");
	return NULL;
}

static json_object *host_config_json(const struct inspect_src *src)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < ARRAY_SIZE(host_config_keys); i++) {
		const char *key = host_config_keys[i].key;
		bool found;
		json_object *v = recorded(src->c.config, key, &found);

		if (!found) {
			switch (host_config_keys[i].def) {
			case HC_EMPTY_STR:
				v = json_object_new_string("");
				break;
			case HC_FALSE:
				v = json_object_new_boolean(false);
				break;
			case HC_ZERO:
				v = json_object_new_int(0);
				break;
			case HC_EMPTY_ARR:
				v = json_object_new_array();
				break;
			case HC_EMPTY_OBJ:
				v = json_object_new_object();
				break;
			case HC_SPECIAL:
				v = host_config_special(src, key);
				break;
			case HC_NULL:
				break;
			}
		}
		json_object_object_add(o, key, v);
	}
	return o;
}

/* ---- GraphDriver, Mounts ---- */

static json_object *graph_driver_json(const struct inspect_src *src)
{
	json_object *g = json_object_new_object(), *data = NULL;
	const char *driver = src->have_snapshot ? src->sn.driver : "";

	if (src->have_snapshot && strcmp(driver, "overlay") == 0) {
		struct store_image img = { 0 };
		struct berth_err ignored;
		autofree char *dir = xasprintf("%s/snapshots/%s", src->s->root, src->c.id);
		char *lower = NULL;
		size_t len = 0;

		data = json_object_new_object();
		/* docker lists its init layer first too */
		if (src->sn.init) {
			autofree char *init = store_init_path(src->s);

			listing_append(&lower, &len, ":", init);
		}
		if (store_image_lookup(src->s, src->c.image_id, &img, &ignored) == 0) {
			for (size_t i = img.n_layers; i-- > 0;) {
				autofree char *p = store_layer_path(src->s, img.layers[i].chain_id);

				listing_append(&lower, &len, ":", p);
			}
			store_image_clear(&img);
		}
		if (lower != NULL)
			json_object_object_add(data, "LowerDir", take_string(lower));
		json_object_object_add(data, "MergedDir", take_string(xasprintf("%s/merged", dir)));
		json_object_object_add(data, "UpperDir", take_string(xasprintf("%s/upper", dir)));
		json_object_object_add(data, "WorkDir", take_string(xasprintf("%s/work", dir)));
	}
	json_object_object_add(g, "Data", data);
	listing_add_str(g, "Name", driver);
	return g;
}

/* ---- Config ---- */

/* Labels as docker keeps them: the image's, then the container's "k=v". */
static json_object *labels_json(const struct inspect_src *src)
{
	json_object *o = json_object_new_object(), *img = NULL, *mine = NULL;

	if (src->image_config != NULL &&
	    json_object_object_get_ex(src->image_config, "Labels", &img) &&
	    json_object_is_type(img, json_type_object)) {
		json_object_object_foreach(img, k, v)
		{
			json_object_object_add(o, k, json_object_get(v));
		}
	}
	json_object_object_get_ex(src->c.config, "Labels", &mine);
	for (size_t i = 0; mine != NULL && i < json_object_array_length(mine); i++) {
		const char *l = json_object_get_string(json_object_array_get_idx(mine, i));
		const char *eq = strchr(l, '=');
		autofree char *k = eq != NULL ? xstrndup(l, (size_t)(eq - l)) : xstrdup(l);

		listing_add_str(o, k, eq != NULL ? eq + 1 : "");
	}
	return o;
}

static char **json_strv(json_object *o, const char *key)
{
	char **v = NULL;
	struct berth_err ignored;

	if (o == NULL || json_get_strv(o, key, NULL, &v, &ignored) < 0)
		return NULL;
	return v;
}

static json_object *env_json(const struct inspect_src *src)
{
	autostrv char **image = json_strv(src->image_config, "Env");
	autostrv char **user = json_strv(src->c.config, "Env");
	autostrv char **ran = json_strv(bundle_at(src, "process", NULL), "env");
	autostrv char **env = engine_env_merge(image, user, ran);

	return strv_len(env) > 0 ? strv_to_json(env) : NULL;
}

/* A string the user gave, else the image's, else "". */
static json_object *user_or_image(const struct inspect_src *src, const char *key)
{
	const char *v = listing_get_str(src->c.config, key);

	if (v == NULL || v[0] == '\0')
		v = listing_get_str(src->image_config, key);
	return json_object_new_string(v != NULL ? v : "");
}

static json_object *recorded_bool(json_object *cfg, const char *key)
{
	bool v = false;
	struct berth_err ignored;

	json_get_bool(cfg, key, NULL, &v, &ignored);
	return json_object_new_boolean(v);
}

static json_object *config_json(const struct inspect_src *src)
{
	const struct engine_container *c = &src->c;
	json_object *o = json_object_new_object(), *v = NULL;
	const char *entrypoint = listing_get_str(c->config, "Entrypoint");
	const char *hostname = listing_get_str(c->config, "Hostname");
	const char *stop_signal = listing_get_str(c->config, "StopSignal");
	bool tty = false, stdin_open = false;
	int64_t stop_timeout = -1;
	struct berth_err ignored;

	json_get_bool(c->config, "Tty", NULL, &tty, &ignored);
	json_get_bool(c->config, "OpenStdin", NULL, &stdin_open, &ignored);
	json_get_int64(c->config, "StopTimeout", NULL, &stop_timeout, &ignored);
	json_object_object_add(o, "Hostname",
			       hostname != NULL && hostname[0] != '\0'
				   ? json_object_new_string(hostname)
				   : json_object_new_string_len(c->id, 12));
	listing_add_str(o, "Domainname", "");
	json_object_object_add(o, "User", user_or_image(src, "User"));
	json_object_object_add(o, "AttachStdin", recorded_bool(c->config, "AttachStdin"));
	json_object_object_add(o, "AttachStdout", recorded_bool(c->config, "AttachStdout"));
	json_object_object_add(o, "AttachStderr", recorded_bool(c->config, "AttachStderr"));
	json_object_object_add(o, "Tty", json_object_new_boolean(tty));
	json_object_object_add(o, "OpenStdin", json_object_new_boolean(stdin_open));
	json_object_object_add(o, "StdinOnce", recorded_bool(c->config, "StdinOnce"));
	json_object_object_add(o, "Env", env_json(src));
	/* Cmd: the one given; else none when --entrypoint replaced the
	 * image's (docker clears the image's Cmd then); else the image's. */
	if (json_object_object_get_ex(c->config, "Cmd", &v) && v != NULL)
		json_object_object_add(o, "Cmd", json_object_get(v));
	else
		json_object_object_add(
		    o, "Cmd", entrypoint != NULL ? NULL : member(src->image_config, "Cmd"));
	if ((v = member(c->config, "Healthcheck")) != NULL)
		json_object_object_add(o, "Healthcheck", v);
	json_object_object_add(o, "Image", json_object_new_string(c->image));
	v = member(c->config, "Volumes");
	json_object_object_add(o, "Volumes", v != NULL ? v : member(src->image_config, "Volumes"));
	json_object_object_add(o, "WorkingDir", user_or_image(src, "WorkingDir"));
	if (entrypoint != NULL) {
		json_object *a = NULL;

		if (entrypoint[0] != '\0') {
			a = json_object_new_array();
			json_object_array_add(a, json_object_new_string(entrypoint));
		}
		json_object_object_add(o, "Entrypoint", a);
	} else {
		json_object_object_add(o, "Entrypoint", member(src->image_config, "Entrypoint"));
	}
	json_object_object_add(o, "OnBuild", member(src->image_config, "OnBuild"));
	json_object_object_add(o, "Labels", labels_json(src));
	if (stop_signal == NULL || stop_signal[0] == '\0')
		stop_signal = listing_get_str(src->image_config, "StopSignal");
	if (stop_signal != NULL && stop_signal[0] != '\0')
		listing_add_str(o, "StopSignal", stop_signal);
	if (stop_timeout >= 0)
		json_object_object_add(o, "StopTimeout", json_object_new_int64(stop_timeout));
	return o;
}

/* ---- NetworkSettings ---- */

static json_object *endpoint_json(void)
{
	static const char *const strs[] = { "NetworkID", "EndpointID", "Gateway", "IPAddress" };
	json_object *o = json_object_new_object();

	json_object_object_add(o, "IPAMConfig", NULL);
	json_object_object_add(o, "Links", NULL);
	json_object_object_add(o, "Aliases", NULL);
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		listing_add_str(o, strs[i], "");
	json_object_object_add(o, "IPPrefixLen", json_object_new_int(0));
	listing_add_str(o, "IPv6Gateway", "");
	listing_add_str(o, "GlobalIPv6Address", "");
	json_object_object_add(o, "GlobalIPv6PrefixLen", json_object_new_int(0));
	listing_add_str(o, "MacAddress", "");
	json_object_object_add(o, "DriverOpts", NULL);
	return o;
}

static json_object *network_settings_json(const struct inspect_src *src)
{
	const struct engine_container *c = &src->c;
	json_object *o = json_object_new_object(), *nets = json_object_new_object();
	bool running = c->state == ENGINE_RUNNING;
	const char *mode = network_mode(c);

	listing_add_str(o, "Bridge", "");
	listing_add_str(o, "SandboxID", "");
	json_object_object_add(o, "HairpinMode", json_object_new_boolean(false));
	listing_add_str(o, "LinkLocalIPv6Address", "");
	json_object_object_add(o, "LinkLocalIPv6PrefixLen", json_object_new_int(0));
	json_object_object_add(o, "Ports", json_object_new_object());
	/* The network namespace the container's init has, while it runs. */
	json_object_object_add(o, "SandboxKey",
			       take_string(running && c->pid > 0 && strcmp(mode, "host") != 0
					       ? xasprintf("/proc/%d/ns/net", (int)c->pid)
					       : xstrdup("")));
	json_object_object_add(o, "SecondaryIPAddresses", NULL);
	json_object_object_add(o, "SecondaryIPv6Addresses", NULL);
	listing_add_str(o, "EndpointID", "");
	listing_add_str(o, "Gateway", "");
	listing_add_str(o, "GlobalIPv6Address", "");
	json_object_object_add(o, "GlobalIPv6PrefixLen", json_object_new_int(0));
	listing_add_str(o, "IPAddress", "");
	json_object_object_add(o, "IPPrefixLen", json_object_new_int(0));
	listing_add_str(o, "IPv6Gateway", "");
	listing_add_str(o, "MacAddress", "");
	json_object_object_add(nets, mode, endpoint_json());
	json_object_object_add(o, "Networks", nets);
	return o;
}

/* ---- the object ---- */

static json_object *container_json(const struct inspect_src *src, bool size)
{
	const struct engine_container *c = &src->c;
	json_object *o = json_object_new_object(), *v = NULL;
	bool found;

	listing_add_str(o, "Id", c->id);
	json_object_object_add(o, "Created", time_json(c->created_ns));
	json_object_object_add(o, "Path", member(c->config, "Path"));
	v = member(c->config, "Args");
	json_object_object_add(o, "Args", v != NULL ? v : json_object_new_array());
	json_object_object_add(o, "State", state_json(src));
	listing_add_str(o, "Image", c->image_id);
	json_object_object_add(o, "ResolvConfPath",
			       take_string(engine_container_path(src->e, c->id, src->legacy, "resolv.conf")));
	json_object_object_add(o, "HostnamePath",
			       take_string(engine_container_path(src->e, c->id, src->legacy, "hostname")));
	json_object_object_add(o, "HostsPath",
			       take_string(engine_container_path(src->e, c->id, src->legacy, "hosts")));
	/* docker's: no path for a container that keeps no log */
	json_object_object_add(o, "LogPath",
			       engine_log_driver_none(c->config)
				   ? json_object_new_string("")
				   : take_string(engine_log_path(src->e, c->id)));
	json_object_object_add(o, "Name", take_string(xasprintf("/%s", c->name)));
	v = recorded(c->config, "RestartCount", &found);
	json_object_object_add(o, "RestartCount",
			       found ? v : json_object_new_int(c->restart_count));
	listing_add_str(o, "Driver", src->have_snapshot ? src->sn.driver : "");
	listing_add_str(o, "Platform", "linux");
	listing_add_str(o, "MountLabel", "");
	listing_add_str(o, "ProcessLabel", "");
	listing_add_str(o, "AppArmorProfile", "");
	json_object_object_add(o, "ExecIDs", NULL);
	json_object_object_add(o, "HostConfig", host_config_json(src));
	json_object_object_add(o, "GraphDriver", graph_driver_json(src));
	if (size) {
		struct store_image img = { 0 };
		struct berth_err ignored;
		uint64_t rw = engine_container_size_rw(src->e, c->id), root = rw;

		if (store_image_lookup(src->s, c->image_id, &img, &ignored) == 0) {
			root += img.size;
			store_image_clear(&img);
		}
		json_object_object_add(o, "SizeRw", json_object_new_int64((int64_t)rw));
		json_object_object_add(o, "SizeRootFs", json_object_new_int64((int64_t)root));
	}
	v = recorded(c->config, "Mounts", &found);
	if (v == NULL || !json_object_is_type(v, json_type_array)) {
		json_object_put(v);
		v = json_object_new_array();
	}
	json_object_object_add(o, "Mounts", v);
	json_object_object_add(o, "Config", config_json(src));
	json_object_object_add(o, "NetworkSettings", network_settings_json(src));
	return o;
}

int inspect_container_object(struct engine_cli *cli, const char *what, bool size, json_object **out,
			     struct berth_err *err)
{
	struct inspect_src src;

	if (inspect_src_load(cli, what, &src, err) < 0) {
		inspect_src_clear(&src);
		return -1;
	}
	*out = container_json(&src, size);
	inspect_src_clear(&src);
	return 0;
}

/* ---- berth inspect, berth container inspect ---- */

struct inspect_opts {
	const char *format, *type;
	bool size;
};

static const struct cli_opt container_inspect_table[] = {
	{ "format", 'f', CLI_OPT_STRING, offsetof(struct inspect_opts, format), "FORMAT",
	  "format the output using a Go template" },
	{ "size", 's', CLI_OPT_BOOL, offsetof(struct inspect_opts, size), NULL,
	  "display total file sizes" },
	CLI_OPT_END,
};

static const struct cli_opt inspect_table[] = {
	{ "format", 'f', CLI_OPT_STRING, offsetof(struct inspect_opts, format), "FORMAT",
	  "format the output using a Go template" },
	{ "size", 's', CLI_OPT_BOOL, offsetof(struct inspect_opts, size), NULL,
	  "display total file sizes if the type is container" },
	{ "type", 0, CLI_OPT_STRING, offsetof(struct inspect_opts, type), "TYPE",
	  "only inspect objects of the given type: container or image" },
	CLI_OPT_END,
};

/* One object of what: a container first, then an image (docker's order),
 * as type allows. 0 with *out NULL: no such object (*missing says so). */
static int inspect_find(struct engine_cli *cli, const struct inspect_opts *o, const char *what,
			json_object **out, char **missing, size_t *missing_len,
			struct berth_err *err)
{
	bool containers = o->type == NULL || strcmp(o->type, "container") == 0;
	bool images = o->type == NULL || strcmp(o->type, "image") == 0;
	autofree char *msg = NULL;
	struct store *s;

	*out = NULL;
	if (containers && inspect_container_object(cli, what, o->size, out, err) == 0)
		return 0;
	if (containers && err->code != ENOENT)
		return -1;
	berth_err_clear(err);
	if (images) {
		if (engine_store(cli, &s, err) < 0)
			return -1;
		if (inspect_image_object(s, what, out, err) == 0)
			return 0;
		/* Not a name an image could have: for an object of any
		 * type, it is simply not there (docker's "No such object"). */
		if (err->code != ENOENT && !(o->type == NULL && err->code == EINVAL))
			return -1;
		berth_err_clear(err);
	}
	msg = xasprintf("No such %s: %s",
			o->type == NULL ? "object" : (containers ? "container" : "image"), what);
	listing_append(missing, missing_len, "; ", msg);
	return 0;
}

static int inspect_run(struct engine_cli *cli, void *opts, char **args, struct berth_err *err)
{
	struct inspect_opts *o = opts;
	autojson json_object *all = json_object_new_array();
	autofree char *missing = NULL;
	size_t missing_len = 0;

	if (o->type != NULL && strcmp(o->type, "container") != 0 && strcmp(o->type, "image") != 0)
		return berth_err_set(err, 0, "\"%s\" is not a valid value for --type", o->type);
	for (size_t i = 0; args[i] != NULL; i++) {
		json_object *one = NULL;

		if (inspect_find(cli, o, args[i], &one, &missing, &missing_len, err) < 0)
			return -1;
		if (one != NULL)
			json_object_array_add(all, one);
	}
	if (inspect_print(o->format, all, err) < 0)
		return -1;
	if (missing != NULL) {
		berth_err_set(err, 0, "%s", missing);
		err->code = ENOENT;
		return -1;
	}
	return 0;
}

static int container_inspect_run(struct engine_cli *cli, void *opts, char **args,
				 struct berth_err *err)
{
	((struct inspect_opts *)opts)->type = "container";
	return inspect_run(cli, opts, args, err);
}

const struct engine_cmd engine_cmd_inspect = {
	.name = "inspect",
	.args = "NAME|ID [NAME|ID...]",
	.summary = "Return low-level information on containers or images",
	.opts = inspect_table,
	.opts_size = sizeof(struct inspect_opts),
	.min_args = 1,
	.max_args = -1,
	.run = inspect_run,
};

const struct engine_cmd engine_cmd_container_inspect = {
	.name = "inspect",
	.args = "CONTAINER [CONTAINER...]",
	.summary = "Display detailed information on one or more containers",
	.opts = container_inspect_table,
	.opts_size = sizeof(struct inspect_opts),
	.min_args = 1,
	.max_args = -1,
	.run = container_inspect_run,
};
