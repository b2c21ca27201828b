/* `ps --filter`, as docker's daemon filters containers (moby
 * daemon/list.go): see ps-filter.h. */
#include "cli/ps-filter.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "image/reference.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/num.h"
#include "util/strv.h"
#include "util/xalloc.h"

enum key {
	K_ANCESTOR, K_BEFORE, K_EXPOSE, K_EXITED, K_HEALTH, K_ID, K_ISOLATION, K_IS_TASK,
	K_LABEL, K_NAME, K_NETWORK, K_PUBLISH, K_SINCE, K_STATUS, K_VOLUME, K_COUNT
};

static const char *const key_names[K_COUNT] = {
	[K_ANCESTOR] = "ancestor", [K_BEFORE] = "before",       [K_EXPOSE] = "expose",
	[K_EXITED] = "exited",     [K_HEALTH] = "health",       [K_ID] = "id",
	[K_ISOLATION] = "isolation", [K_IS_TASK] = "is-task",   [K_LABEL] = "label",
	[K_NAME] = "name",         [K_NETWORK] = "network",     [K_PUBLISH] = "publish",
	[K_SINCE] = "since",       [K_STATUS] = "status",       [K_VOLUME] = "volume",
};

struct ps_filters {
	char **values[K_COUNT]; /* each key's values: one must match (label: all) */
	int *exited;		/* K_EXITED's values as numbers */
	int64_t before_ns, since_ns; /* creation times of before= and since= */
};

static const char *const statuses[] = { "created", "restarting", "running", "removing",
					"paused",  "exited",     "dead",    NULL };
static const char *const healths[] = { "starting", "healthy", "unhealthy", "none", NULL };
static const char *const isolations[] = { "default", "process", "hyperv", NULL };

static bool in_list(const char *const *list, const char *v)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], v) == 0)
			return true;
	return false;
}

void ps_filters_free(struct ps_filters *f)
{
	if (f == NULL)
		return;
	for (int k = 0; k < K_COUNT; k++)
		strv_free(f->values[k]);
	free(f->exited);
	free(f);
}

/* The creation time of the container named or id'd by what in the list
 * (before= and since= take either, as docker). */
static int reference_time(const struct engine_container *all, size_t n, const char *what,
			  int64_t *out, struct berth_err *err)
{
	size_t len = strlen(what), found = n;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(all[i].name, what) == 0 || strcmp(all[i].id, what) == 0) {
			found = i;
			break;
		}
		if (len > 0 && strncmp(all[i].id, what, len) == 0) {
			if (found != n)
				return berth_err_set(err, 0, "multiple IDs found with provided prefix: %s",
						     what);
			found = i;
		}
	}
	if (found == n)
		return berth_err_set(err, ENOENT, "No such container: %s", what);
	*out = all[found].created_ns;
	return 0;
}

int ps_filters_parse(char **specs, const struct engine_container *all, size_t n,
		     struct ps_filters **out, struct berth_err *err)
{
	struct ps_filters *f = xcalloc(1, sizeof(*f));
	size_t n_exited = 0;

	*out = NULL;
	for (size_t i = 0; specs != NULL && specs[i] != NULL; i++) {
		const char *eq = strchr(specs[i], '='), *v;
		int k;

		if (eq == NULL) {
			ps_filters_free(f);
			berth_err_set(err, 0, "bad format of filter (expected name=value)");
			err->exit_status = 125; /* docker's client says it */
			return -1;
		}
		v = eq + 1;
		for (k = 0; k < K_COUNT; k++)
			if (strlen(key_names[k]) == (size_t)(eq - specs[i]) &&
			    strncmp(key_names[k], specs[i], (size_t)(eq - specs[i])) == 0)
				break;
		if (k == K_COUNT) {
			berth_err_set(err, 0, "Invalid filter '%.*s'", (int)(eq - specs[i]), specs[i]);
			goto fail;
		}
		if ((k == K_STATUS && !in_list(statuses, v)) ||
		    (k == K_HEALTH && !in_list(healths, v)) ||
		    (k == K_ISOLATION && !in_list(isolations, v))) {
			berth_err_set(err, 0, "Invalid filter '%s=%s'", key_names[k], v);
			goto fail;
		}
		if (k == K_IS_TASK && strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
			berth_err_set(err, 0, "Invalid filter 'is-task=%s'", v);
			goto fail;
		}
		if (k == K_EXITED) {
			int code, r = num_parse_int(v, INT_MIN, INT_MAX, &code);

			if (r < 0) {
				berth_err_set(err, 0, "invalid filter 'exited=%s': strconv.Atoi: "
						      "parsing \"%s\": %s", v, v, num_strerror(r));
				goto fail;
			}
			f->exited = xreallocarray(f->exited, n_exited + 1, sizeof(int));
			f->exited[n_exited++] = code;
		}
		if ((k == K_BEFORE || k == K_SINCE) &&
		    reference_time(all, n, v, k == K_BEFORE ? &f->before_ns : &f->since_ns, err) < 0)
			goto fail;
		strv_push(&f->values[k], v);
	}
	*out = f;
	return 0;
fail:
	ps_filters_free(f);
	return -1;
}

bool ps_filters_show_all(const struct ps_filters *f)
{
	/* docker: a status filter asks for containers in any state. */
	return f != NULL && f->values[K_STATUS] != NULL;
}

/* docker's filters.Args.Match: a value equal to s, or a regular
 * expression (RE2 there, POSIX extended here) found in it. */
static bool match_any(char *const *values, const char *s)
{
	for (size_t i = 0; values != NULL && values[i] != NULL; i++) {
		regex_t re;
		bool hit;

		if (strcmp(values[i], s) == 0)
			return true;
		if (regcomp(&re, values[i], REG_EXTENDED | REG_NOSUB) != 0)
			continue;
		hit = regexec(&re, s, 0, NULL, 0) == 0;
		regfree(&re);
		if (hit)
			return true;
	}
	return false;
}

/* label=KEY or label=KEY=VALUE: every one of them holds. */
static bool labels_match(char *const *values, json_object *config)
{
	json_object *labels = NULL;

	json_object_object_get_ex(config, "Labels", &labels);
	for (size_t i = 0; values != NULL && values[i] != NULL; i++) {
		const char *want = values[i];
		size_t n = strcspn(want, "=");
		bool found = false;

		for (size_t j = 0; labels != NULL && j < json_object_array_length(labels); j++) {
			const char *l = json_object_get_string(json_object_array_get_idx(labels, j));

			if (want[n] == '=' ? strcmp(l, want) == 0
					   : strncmp(l, want, n) == 0 && (l[n] == '=' || l[n] == '\0'))
				found = true;
		}
		if (!found)
			return false;
	}
	return true;
}

/* The normalised reference, or a copy of s when it is none. */
static char *normal_ref(const char *s)
{
	struct image_ref ref;
	struct berth_err ignored;
	char *out;

	if (image_ref_parse(s, &ref, &ignored) < 0)
		return xstrdup(s);
	out = image_ref_string(&ref);
	image_ref_free(&ref);
	return out;
}

/* ancestor=: the image as named (tag or not), or its id (with or without
 * "sha256:", a prefix of it too). */
static bool ancestor_matches(char *const *values, const struct engine_container *c)
{
	autofree char *mine = normal_ref(c->image);
	const char *hex = strncmp(c->image_id, "sha256:", 7) == 0 ? c->image_id + 7 : c->image_id;

	for (size_t i = 0; values != NULL && values[i] != NULL; i++) {
		autofree char *want = normal_ref(values[i]);
		const char *v = values[i];

		if (strcmp(want, mine) == 0 || strcmp(v, c->image_id) == 0)
			return true;
		if (strncmp(v, "sha256:", 7) == 0)
			v += 7;
		if (strlen(v) >= 4 && strspn(v, "0123456789abcdef") == strlen(v) &&
		    strncmp(hex, v, strlen(v)) == 0)
			return true;
	}
	return false;
}

/* volume=: a recorded mount's volume name, source or destination. */
static bool volume_matches(char *const *values, json_object *config)
{
	json_object *mounts = NULL;
	static const char *const fields[] = { "Name", "Source", "Destination" };

	if (!json_object_object_get_ex(config, "Mounts", &mounts) ||
	    !json_object_is_type(mounts, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(mounts); i++) {
		json_object *m = json_object_array_get_idx(mounts, i);

		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
			json_object *v = NULL;

			if (json_object_object_get_ex(m, fields[f], &v) &&
			    strv_contains(values, json_object_get_string(v)))
				return true;
		}
	}
	return false;
}

bool ps_filters_match(const struct ps_filters *f, const struct engine_container *c)
{
	char *const *const *v;
	struct berth_err ignored;
	const char *network = NULL;

	if (f == NULL)
		return true;
	v = (char *const *const *)f->values;
	if (v[K_NAME] != NULL && !match_any(v[K_NAME], c->name)) {
		autofree char *slashed = xasprintf("/%s", c->name);

		if (!match_any(v[K_NAME], slashed))
			return false;
	}
	if (v[K_ID] != NULL && !match_any(v[K_ID], c->id))
		return false;
	if (v[K_STATUS] != NULL && !strv_contains(v[K_STATUS], engine_container_status(c)))
		return false;
	if (v[K_EXITED] != NULL) {
		bool hit = false;

		/* Only what ran and stopped has an exit code to match. */
		for (size_t i = 0; c->state == ENGINE_EXITED && c->started_ns != 0 &&
				   i < strv_len(v[K_EXITED]); i++)
			hit |= f->exited[i] == c->exit_code;
		if (!hit)
			return false;
	}
	if (v[K_LABEL] != NULL && !labels_match(v[K_LABEL], c->config))
		return false;
	if (v[K_ANCESTOR] != NULL && !ancestor_matches(v[K_ANCESTOR], c))
		return false;
	if (v[K_BEFORE] != NULL && c->created_ns >= f->before_ns)
		return false;
	if (v[K_SINCE] != NULL && c->created_ns <= f->since_ns)
		return false;
	if (v[K_VOLUME] != NULL && !volume_matches(v[K_VOLUME], c->config))
		return false;
	json_get_string(c->config, "NetworkMode", NULL, &network, &ignored);
	if (v[K_NETWORK] != NULL && !strv_contains(v[K_NETWORK], network ? network : "none"))
		return false;
	/* No container publishes or exposes a port yet (networking comes
	 * later), and none is a swarm task. */
	if (v[K_PUBLISH] != NULL || v[K_EXPOSE] != NULL)
		return false;
	if (v[K_HEALTH] != NULL) {
		const char *health = NULL;

		if (c->health == NULL ||
		    json_get_string(c->health, "Status", NULL, &health, &ignored) != 1)
			health = "none";
		if (!strv_contains(v[K_HEALTH], health))
			return false;
	}
	if (v[K_IS_TASK] != NULL && !strv_contains(v[K_IS_TASK], "false"))
		return false;
	return true;
}
