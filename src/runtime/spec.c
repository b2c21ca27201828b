/* config.json to struct spec.
 *
 * Everything the runtime will act on is read and checked here, before a
 * namespace, cgroup or mount exists, so that a bad bundle fails with the
 * JSON path of the offending field ("process.rlimits[2].type: ...") and
 * leaves nothing behind. Unknown keys are ignored (a newer spec version may
 * add them); a known key with the wrong JSON type is an error. */
#include "runtime/spec.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroup/resources.h"
#include "runtime/mounts.h"
#include "runtime/seccomp.h"
#include "runtime/spec-internal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* HOST_NAME_MAX, and the UTS namespace's limit for the NIS domain name. */
#define SPEC_UTS_NAME_MAX 64

static const char *const hook_kind_names[SPEC_HOOK_COUNT] = {
	[SPEC_HOOK_PRESTART] = "prestart",
	[SPEC_HOOK_CREATE_RUNTIME] = "createRuntime",
	[SPEC_HOOK_CREATE_CONTAINER] = "createContainer",
	[SPEC_HOOK_START_CONTAINER] = "startContainer",
	[SPEC_HOOK_POSTSTART] = "poststart",
	[SPEC_HOOK_POSTSTOP] = "poststop",
};

const char *spec_hook_kind_name(enum spec_hook_kind kind)
{
	return hook_kind_names[kind];
}

/* ---- small typed helpers ------------------------------------------------ */

void spec_pathf(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, SPEC_PATH_MAX, fmt, ap);
	va_end(ap);
}

int spec_need(int r, const char *path, const char *key, struct berth_err *err)
{
	if (r < 0)
		return r;
	if (r == 0)
		return berth_err_set(err, 0, "%s%s%s: required", path ? path : "", path ? "." : "",
				     key);
	return 0;
}

int spec_req_string(json_object *o, const char *key, const char *path, const char **out,
		    struct berth_err *err)
{
	return spec_need(json_get_string(o, key, path, out, err), path, key, err);
}

int spec_dup_string(json_object *o, const char *key, const char *path, char **out,
		    struct berth_err *err)
{
	const char *v;
	int r = json_get_string(o, key, path, &v, err);

	if (r > 0) {
		free(*out);
		*out = xstrdup(v);
	}
	return r < 0 ? r : 0;
}

int spec_check_absolute(const char *value, const char *path, struct berth_err *err)
{
	if (value[0] != '/')
		return berth_err_set(err, 0, "%s: \"%s\" is not an absolute path", path, value);
	return 0;
}

int spec_array_object(json_object *arr, size_t i, const char *path, json_object **out,
		      struct berth_err *err)
{
	json_object *e = json_object_array_get_idx(arr, i);

	if (!json_object_is_type(e, json_type_object))
		return berth_err_set(err, 0, "%s: expected an object", path);
	*out = e;
	return 0;
}

/* ---- version, root, names ---------------------------------------------- */

static int spec_parse_version(json_object *doc, struct spec *s, struct berth_err *err)
{
	const char *v;
	char *end;
	unsigned long major;

	if (spec_req_string(doc, "ociVersion", NULL, &v, err) < 0)
		return -1;
	/* Minor versions only add fields; a new major may change meanings. */
	errno = 0;
	major = strtoul(v, &end, 10);
	if (errno != 0 || end == v || *end != '.' || major != 1)
		return berth_err_set(err, 0, "ociVersion: unsupported version \"%s\"", v);
	s->oci_version = xstrdup(v);
	return 0;
}

static int spec_parse_root(json_object *doc, struct spec *s, bool check_host, struct berth_err *err)
{
	autofree char *joined = NULL;
	json_object *root;
	const char *path;
	struct stat st;

	if (spec_need(json_get_object(doc, "root", NULL, &root, err), NULL, "root", err) < 0 ||
	    spec_req_string(root, "path", "root", &path, err) < 0)
		return -1;
	if (path[0] == '\0')
		return berth_err_set(err, 0, "root.path: must not be empty");
	joined = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", s->bundle, path);
	if (json_get_bool(root, "readonly", "root", &s->root_readonly, err) < 0)
		return -1;
	if (!check_host) {
		s->root_path = realpath(joined, NULL);
		if (s->root_path == NULL)
			s->root_path = steal_ptr(joined);
		return 0;
	}
	if (stat(joined, &st) < 0)
		return berth_err_set(err, errno, "root.path: %s", joined);
	if (!S_ISDIR(st.st_mode))
		return berth_err_set(err, ENOTDIR, "root.path: %s", joined);
	/* Resolved once here, on the host, so later steps see one fixed path. */
	s->root_path = realpath(joined, NULL);
	if (s->root_path == NULL)
		return berth_err_set(err, errno, "root.path: %s", joined);
	return 0;
}

static int spec_parse_uts_name(json_object *doc, const char *key, char **out, struct berth_err *err)
{
	if (spec_dup_string(doc, key, NULL, out, err) < 0)
		return -1;
	if (*out != NULL && strlen(*out) > SPEC_UTS_NAME_MAX)
		return berth_err_set(err, 0, "%s: longer than %d bytes", key, SPEC_UTS_NAME_MAX);
	return 0;
}

/* ---- mounts, hooks, annotations ---------------------------------------- */

static int spec_parse_mount(json_object *o, const char *path, struct spec_mount *m,
			    struct berth_err *err)
{
	char sub[SPEC_PATH_MAX];
	const char *dest;

	if (spec_req_string(o, "destination", path, &dest, err) < 0)
		return -1;
	spec_pathf(sub, "%s.destination", path);
	if (spec_check_absolute(dest, sub, err) < 0)
		return -1;
	m->destination = xstrdup(dest);
	if (spec_dup_string(o, "source", path, &m->source, err) < 0 ||
	    spec_dup_string(o, "type", path, &m->type, err) < 0 ||
	    json_get_strv(o, "options", path, &m->options, err) < 0 ||
	    spec_parse_idmap_list(o, "uidMappings", path, &m->uid_mappings, &m->n_uid_mappings,
				  err) < 0 ||
	    spec_parse_idmap_list(o, "gidMappings", path, &m->gid_mappings, &m->n_gid_mappings,
				  err) < 0 ||
	    mount_options_parse(m, path, err) < 0)
		return -1;
	/* runtime-spec: mappings go with the idmap or ridmap option, on a
	 * bind mount (the only kind the kernel can idmap), both or neither. */
	if ((m->n_uid_mappings > 0 || m->n_gid_mappings > 0) && !m->idmap)
		return berth_err_set(err, 0, "%s.uidMappings: needs the idmap or ridmap option",
				     path);
	if (m->idmap && !m->bind)
		return berth_err_set(err, 0, "%s.options: idmap needs a bind mount", path);
	if ((m->n_uid_mappings > 0) != (m->n_gid_mappings > 0))
		return berth_err_set(err, 0, "%s: uidMappings and gidMappings go together", path);
	return 0;
}

char *spec_mount_source(const struct spec *s, const struct spec_mount *m)
{
	if (m->source[0] == '/' || s->bundle == NULL)
		return xstrdup(m->source);
	return xasprintf("%s/%s", s->bundle, m->source);
}

static int spec_parse_mounts(json_object *doc, struct spec *s, struct berth_err *err)
{
	char sub[SPEC_PATH_MAX];
	json_object *arr;
	int r = json_get_array(doc, "mounts", NULL, &arr, err);

	if (r <= 0)
		return r;
	s->n_mounts = json_object_array_length(arr);
	s->mounts = xcalloc(s->n_mounts + 1, sizeof(*s->mounts));
	for (size_t i = 0; i < s->n_mounts; i++) {
		json_object *o;
		spec_pathf(sub, "mounts[%zu]", i);
		if (spec_array_object(arr, i, sub, &o, err) < 0 ||
		    spec_parse_mount(o, sub, &s->mounts[i], err) < 0)
			return -1;
	}
	return 0;
}

static int spec_parse_hook(json_object *o, const char *path, enum spec_hook_kind kind,
			   bool check_host, struct spec_hook *h, struct berth_err *err)
{
	char sub[SPEC_PATH_MAX];
	const char *hp;
	int64_t timeout;
	int r;

	if (spec_req_string(o, "path", path, &hp, err) < 0)
		return -1;
	spec_pathf(sub, "%s.path", path);
	if (spec_check_absolute(hp, sub, err) < 0)
		return -1;
	h->path = xstrdup(hp);
	/* startContainer hooks resolve in the container's mount namespace,
	 * which does not exist yet; every other kind resolves on the host
	 * and is checked now, so a typo fails create rather than start. */
	if (check_host && kind != SPEC_HOOK_START_CONTAINER && access(hp, X_OK) < 0) {
		if (errno != EACCES)
			return berth_err_set(err, errno, "%s: %s", sub, hp);
		berth_err_set(err, 0, "%s: %s: not executable", sub, hp);
		if (err != NULL)
			err->code = EACCES;
		return -1;
	}
	if (json_get_strv(o, "args", path, &h->args, err) < 0 ||
	    json_get_strv(o, "env", path, &h->env, err) < 0)
		return -1;
	r = json_get_int64(o, "timeout", path, &timeout, err);
	if (r < 0)
		return r;
	if (r > 0) {
		if (timeout <= 0 || timeout > INT_MAX)
			return berth_err_set(err, 0, "%s.timeout: must be positive", path);
		h->timeout = (int)timeout;
	}
	return 0;
}

static int spec_parse_hooks(json_object *doc, struct spec *s, bool check_host,
			    struct berth_err *err)
{
	char sub[SPEC_PATH_MAX];
	json_object *hooks;
	int r = json_get_object(doc, "hooks", NULL, &hooks, err);

	if (r <= 0)
		return r;
	for (int k = 0; k < SPEC_HOOK_COUNT; k++) {
		struct spec_hooks *list = &s->hooks[k];
		json_object *arr;
		r = json_get_array(hooks, hook_kind_names[k], "hooks", &arr, err);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		list->n = json_object_array_length(arr);
		list->list = xcalloc(list->n + 1, sizeof(*list->list));
		for (size_t i = 0; i < list->n; i++) {
			json_object *o;
			spec_pathf(sub, "hooks.%s[%zu]", hook_kind_names[k], i);
			if (spec_array_object(arr, i, sub, &o, err) < 0 ||
			    spec_parse_hook(o, sub, (enum spec_hook_kind)k, check_host,
					    &list->list[i], err) < 0)
				return -1;
		}
	}
	return 0;
}

static int spec_check_annotations(json_object *doc, struct berth_err *err)
{
	json_object *ann;
	int r = json_get_object(doc, "annotations", NULL, &ann, err);

	if (r <= 0)
		return r;
	json_object_object_foreach(ann, key, val)
	{
		if (!json_object_is_type(val, json_type_string))
			return berth_err_set(err, 0, "annotations.%s: expected a string", key);
	}
	return 0;
}

json_object *spec_annotations(const struct spec *s)
{
	static json_object *empty;
	json_object *ann = NULL;

	if (s != NULL && s->json != NULL &&
	    json_object_object_get_ex(s->json, "annotations", &ann) &&
	    json_object_is_type(ann, json_type_object))
		return ann;
	/* Shared and never freed; callers only read it. */
	if (empty == NULL)
		empty = json_object_new_object();
	return empty;
}

static int spec_parse_document(json_object *doc, struct spec *s, bool check_host,
			       struct berth_err *err)
{
	json_object *proc;

	if (spec_parse_version(doc, s, err) < 0 || spec_parse_root(doc, s, check_host, err) < 0)
		return -1;
	/* Optional for create in the spec, but start needs it and runc
	 * refuses a bundle without it. */
	if (spec_need(json_get_object(doc, "process", NULL, &proc, err), NULL, "process", err) <
		0 ||
	    spec_process_parse(proc, "process", &s->process, err) < 0)
		return -1;
	if (spec_parse_uts_name(doc, "hostname", &s->hostname, err) < 0 ||
	    spec_parse_uts_name(doc, "domainname", &s->domainname, err) < 0 ||
	    spec_parse_mounts(doc, s, err) < 0 || spec_parse_hooks(doc, s, check_host, err) < 0 ||
	    spec_check_annotations(doc, err) < 0 || spec_linux_parse(doc, s, check_host, err) < 0)
		return -1;
	return spec_linux_validate(s, err);
}

static int spec_parse_mode(json_object *doc, const char *bundle, bool check_host, struct spec **out,
			   struct berth_err *err)
{
	struct spec *s;

	if (!json_object_is_type(doc, json_type_object))
		return berth_err_set(err, 0, "config.json: expected an object");
	s = xzalloc(sizeof(*s));
	s->json = json_object_get(doc);
	s->bundle = realpath(bundle != NULL ? bundle : ".", NULL);
	if (s->bundle == NULL) {
		berth_err_set(err, errno, "bundle %s", bundle != NULL ? bundle : ".");
		spec_free(s);
		return -1;
	}
	if (spec_parse_document(doc, s, check_host, err) < 0) {
		spec_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

int spec_parse(json_object *doc, const char *bundle, struct spec **out, struct berth_err *err)
{
	return spec_parse_mode(doc, bundle, true, out, err);
}

int spec_parse_stored(json_object *doc, const char *bundle, struct spec **out,
		      struct berth_err *err)
{
	return spec_parse_mode(doc, bundle, false, out, err);
}

int spec_seccomp_ready(struct spec *s, struct berth_err *err)
{
	if (s->seccomp_json == NULL || s->seccomp != NULL)
		return 0;
	return seccomp_config_parse(s->seccomp_json, "linux.seccomp", &s->seccomp, err);
}

int spec_load(const char *bundle, struct spec **out, struct berth_err *err)
{
	autofree char *dir = NULL, *path = NULL, *text = NULL;
	autojson json_object *doc = NULL;
	size_t len;

	dir = realpath(bundle, NULL);
	if (dir == NULL)
		return berth_err_set(err, errno, "bundle %s", bundle);
	path = xasprintf("%s/config.json", dir);
	if (fs_read_file(path, SPEC_CONFIG_MAX, &text, &len, err) < 0 ||
	    json_parse_text(text, len, path, &doc, err) < 0)
		return -1;
	if (spec_parse(doc, dir, out, err) < 0)
		return berth_err_wrap(err, "%s", path);
	return 0;
}

static void spec_mount_clear(struct spec_mount *m)
{
	free(m->uid_mappings);
	free(m->gid_mappings);
	free(m->destination);
	free(m->source);
	free(m->type);
	strv_free(m->options);
	free(m->data);
}

static void spec_hook_clear(struct spec_hook *h)
{
	free(h->path);
	strv_free(h->args);
	strv_free(h->env);
}

void spec_free(struct spec *s)
{
	if (s == NULL)
		return;
	if (s->json != NULL)
		json_object_put(s->json);
	free(s->bundle);
	free(s->oci_version);
	free(s->root_path);
	spec_process_clear(&s->process);
	free(s->hostname);
	free(s->domainname);
	for (size_t i = 0; i < s->n_mounts; i++)
		spec_mount_clear(&s->mounts[i]);
	free(s->mounts);
	for (int k = 0; k < SPEC_HOOK_COUNT; k++) {
		for (size_t i = 0; i < s->hooks[k].n; i++)
			spec_hook_clear(&s->hooks[k].list[i]);
		free(s->hooks[k].list);
	}
	for (int i = 0; i < SPEC_NS_COUNT; i++)
		free(s->ns[i].path);
	free(s->uid_mappings);
	free(s->gid_mappings);
	for (size_t i = 0; i < s->n_devices; i++)
		free(s->devices[i].path);
	free(s->devices);
	free(s->cgroups_path);
	if (s->resources != NULL)
		cgroup_resources_free(s->resources);
	for (size_t i = 0; i < s->n_sysctl; i++) {
		free(s->sysctl[i].key);
		free(s->sysctl[i].value);
	}
	free(s->sysctl);
	if (s->seccomp != NULL)
		seccomp_config_free(s->seccomp);
	json_object_put(s->seccomp_json);
	strv_free(s->masked_paths);
	strv_free(s->readonly_paths);
	free(s->mount_label);
	sched_mempolicy_clear(&s->memory_policy);
	netdev_free(s->net_devices, s->n_net_devices);
	free(s);
}
