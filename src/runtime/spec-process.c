/* The "process" object: what runs in the container and with which
 * identity, capabilities and limits. Also read alone for exec --process. */
#include "runtime/spec.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "runtime/caps.h"
#include "runtime/spec-internal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },
	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_STACK", RLIMIT_STACK },
};

int spec_rlimit_from_name(const char *name)
{
	for (size_t i = 0; name != NULL && i < ARRAY_SIZE(rlimit_names); i++)
		if (strcmp(rlimit_names[i].name, name) == 0)
			return rlimit_names[i].resource;
	return -1;
}

const char *spec_rlimit_name(int resource)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
		if (rlimit_names[i].resource == resource)
			return rlimit_names[i].name;
	return "RLIMIT_?";
}

static int process_parse_console(json_object *proc, const char *path, struct spec_process *p,
				 struct berth_err *err)
{
	char sub[SPEC_PATH_MAX];
	json_object *cs;
	int64_t h, w;
	int r = json_get_object(proc, "consoleSize", path, &cs, err);

	if (r <= 0)
		return r;
	spec_pathf(sub, "%s.consoleSize", path);
	if (spec_need(json_get_int_range(cs, "height", sub, 0, USHRT_MAX, &h, err), sub, "height",
		      err) < 0 ||
	    spec_need(json_get_int_range(cs, "width", sub, 0, USHRT_MAX, &w, err), sub, "width",
		      err) < 0)
		return -1;
	p->console_height = (unsigned short)h;
	p->console_width = (unsigned short)w;
	return 0;
}

static int process_parse_user(json_object *proc, const char *path, struct spec_user *u,
			      struct berth_err *err)
{
	char sub[SPEC_PATH_MAX];
	json_object *user, *gids = NULL;
	int64_t v;
	int r = json_get_object(proc, "user", path, &user, err);

	/* The spec makes user REQUIRED on Linux; runc treats absent as root. */
	if (r <= 0)
		return r;
	spec_pathf(sub, "%s.user", path);
	if ((r = json_get_int_range(user, "uid", sub, 0, SPEC_ID_MAX, &v, err)) < 0)
		return r;
	if (r > 0)
		u->uid = (uid_t)v;
	if ((r = json_get_int_range(user, "gid", sub, 0, SPEC_ID_MAX, &v, err)) < 0)
		return r;
	if (r > 0)
		u->gid = (gid_t)v;
	if ((r = json_get_int_range(user, "umask", sub, 0, 0777, &v, err)) < 0)
		return r;
	if (r > 0) {
		u->has_umask = true;
		u->umask = (mode_t)v;
	}
	if ((r = json_get_array(user, "additionalGids", sub, &gids, err)) <= 0)
		return r;
	u->n_additional_gids = json_object_array_length(gids);
	u->additional_gids = xcalloc(u->n_additional_gids + 1, sizeof(gid_t));
	for (size_t i = 0; i < u->n_additional_gids; i++) {
		json_object *e = json_object_array_get_idx(gids, i);
		errno = 0;
		v = json_object_get_int64(e);
		if (!json_object_is_type(e, json_type_int) || errno != 0 || v < 0 ||
		    v > SPEC_ID_MAX)
			return berth_err_set(err, 0,
					     "%s.additionalGids[%zu]: expected a gid in [0, %u]",
					     sub, i, SPEC_ID_MAX);
		u->additional_gids[i] = (gid_t)v;
	}
	return 0;
}

static int process_parse_command(json_object *proc, const char *path, struct spec_process *p,
				 struct berth_err *err)
{
	char sub[SPEC_PATH_MAX];
	const char *cwd;
	int r;

	r = json_get_strv(proc, "args", path, &p->args, err);
	if (r < 0)
		return r;
	if (strv_len(p->args) == 0)
		return berth_err_set(err, 0, "%s.args: must not be empty", path);
	if (json_get_strv(proc, "env", path, &p->env, err) < 0)
		return -1;
	for (size_t i = 0; p->env != NULL && p->env[i] != NULL; i++) {
		const char *eq = strchr(p->env[i], '=');
		if (eq == NULL || eq == p->env[i])
			return berth_err_set(err, 0,
					     "%s.env[%zu]: \"%s\" is not of the form KEY=VALUE",
					     path, i, p->env[i]);
	}
	/* runc refuses an empty cwd; relative ones would depend on where
	 * the image happened to leave us. */
	if (spec_req_string(proc, "cwd", path, &cwd, err) < 0)
		return -1;
	spec_pathf(sub, "%s.cwd", path);
	if (spec_check_absolute(cwd, sub, err) < 0)
		return -1;
	p->cwd = xstrdup(cwd);
	return 0;
}

static int process_parse_caps(json_object *proc, const char *path, struct spec_caps *c,
			      struct berth_err *err)
{
	static const char *const sets[] = { "bounding", "effective", "inheritable", "permitted",
					    "ambient" };
	uint64_t *masks[] = { &c->bounding, &c->effective, &c->inheritable, &c->permitted,
			      &c->ambient };
	char sub[SPEC_PATH_MAX], set_path[SPEC_PATH_MAX];
	json_object *obj;
	int r = json_get_object(proc, "capabilities", path, &obj, err);

	if (r <= 0)
		return r;
	c->present = true;
	spec_pathf(sub, "%s.capabilities", path);
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
		autostrv char **names = NULL;
		if (json_get_strv(obj, sets[i], sub, &names, err) < 0)
			return -1;
		spec_pathf(set_path, "%s.%s", sub, sets[i]);
		if (caps_parse_list(names, set_path, masks[i], err) < 0)
			return -1;
	}
	return 0;
}

static int process_parse_rlimit(json_object *o, const char *path, struct spec_rlimit *rl,
				struct berth_err *err)
{
	const char *type;

	if (spec_req_string(o, "type", path, &type, err) < 0)
		return -1;
	rl->resource = spec_rlimit_from_name(type);
	if (rl->resource < 0)
		return berth_err_set(err, 0, "%s.type: unknown rlimit \"%s\"", path, type);
	if (spec_need(json_get_uint64(o, "soft", path, &rl->soft, err), path, "soft", err) < 0 ||
	    spec_need(json_get_uint64(o, "hard", path, &rl->hard, err), path, "hard", err) < 0)
		return -1;
	if (rl->soft > rl->hard)
		return berth_err_set(err, 0,
				     "%s: %s soft limit %" PRIu64 " exceeds hard limit %" PRIu64,
				     path, type, rl->soft, rl->hard);
	return 0;
}

static int process_parse_rlimits(json_object *proc, const char *path, struct spec_process *p,
				 struct berth_err *err)
{
	char sub[SPEC_PATH_MAX];
	json_object *arr;
	size_t n;
	int r = json_get_array(proc, "rlimits", path, &arr, err);

	if (r <= 0)
		return r;
	n = json_object_array_length(arr);
	p->rlimits = xcalloc(n + 1, sizeof(*p->rlimits));
	for (size_t i = 0; i < n; i++) {
		json_object *o;
		spec_pathf(sub, "%s.rlimits[%zu]", path, i);
		if (spec_array_object(arr, i, sub, &o, err) < 0 ||
		    process_parse_rlimit(o, sub, &p->rlimits[i], err) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (p->rlimits[j].resource == p->rlimits[i].resource)
				return berth_err_set(
				    err, 0, "%s.type: duplicate of %s.rlimits[%zu]", sub, path, j);
		p->n_rlimits = i + 1;
	}
	return 0;
}

static int process_parse_security(json_object *proc, const char *path, struct spec_process *p,
				  struct berth_err *err)
{
	int64_t adj;
	int r;

	if (json_get_bool(proc, "noNewPrivileges", path, &p->no_new_privileges, err) < 0)
		return -1;
	r = json_get_int_range(proc, "oomScoreAdj", path, -1000, 1000, &adj, err);
	if (r < 0)
		return r;
	if (r > 0) {
		p->has_oom_score_adj = true;
		p->oom_score_adj = (int)adj;
	}
	if (spec_dup_string(proc, "apparmorProfile", path, &p->apparmor_profile, err) < 0 ||
	    spec_dup_string(proc, "selinuxLabel", path, &p->selinux_label, err) < 0)
		return -1;
	return 0;
}

static int process_parse_fields(json_object *obj, const char *path, struct spec_process *p,
				struct berth_err *err)
{
	if (json_get_bool(obj, "terminal", path, &p->terminal, err) < 0)
		return -1;
	if (process_parse_console(obj, path, p, err) < 0 ||
	    process_parse_user(obj, path, &p->user, err) < 0 ||
	    process_parse_command(obj, path, p, err) < 0 ||
	    process_parse_caps(obj, path, &p->caps, err) < 0 ||
	    process_parse_rlimits(obj, path, p, err) < 0 ||
	    process_parse_security(obj, path, p, err) < 0 ||
	    sched_parse(obj, path, &p->sched, err) < 0)
		return -1;
	return 0;
}

int spec_process_parse(json_object *obj, const char *path, struct spec_process *out,
		       struct berth_err *err)
{
	struct spec_process p = { 0 };

	if (path == NULL)
		path = "process";
	if (!json_object_is_type(obj, json_type_object))
		return berth_err_set(err, 0, "%s: expected an object", path);
	p.present = true;
	if (process_parse_fields(obj, path, &p, err) < 0) {
		spec_process_clear(&p);
		return -1;
	}
	*out = p;
	return 0;
}

void spec_process_clear(struct spec_process *p)
{
	if (p == NULL)
		return;
	free(p->user.additional_gids);
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	sched_clear(&p->sched);
	memset(p, 0, sizeof(*p));
}
