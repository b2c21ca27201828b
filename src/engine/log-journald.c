/* The journald log driver's fields, as docker's driver sets them: made at
 * each start (the name is the one the container has then), written beside
 * the bundle as RUN_ROOT/ID/journal, already in journald's encoding, and
 * sent by the monitor ahead of each line (journal.h).
 *
 *   CONTAINER_ID (12), CONTAINER_ID_FULL, CONTAINER_NAME, IMAGE_NAME,
 *   CONTAINER_TAG and SYSLOG_IDENTIFIER (--log-opt tag, a template over
 *   .ID .FullID .Name .ImageID .ImageFullID .ImageName .DaemonName;
 *   "{{.ID}}" by default), then the labels and variables the `labels`,
 *   `labels-regex`, `env` and `env-regex` options name, keyed as docker
 *   keys them (journal_key_from_name), a variable winning over a label. */
#include <errno.h>
#include <regex.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine-internal.h"
#include "engine/journal.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/template.h"
#include "util/xalloc.h"

bool engine_log_driver_is(json_object *config, const char *driver)
{
	json_object *v = NULL;

	return config != NULL && json_object_object_get_ex(config, "LogDriver", &v) &&
	       json_object_is_type(v, json_type_string) &&
	       strcmp(json_object_get_string(v), driver) == 0;
}

static const char *log_opt(json_object *config, const char *key)
{
	json_object *opts = NULL, *v = NULL;

	if (!json_object_object_get_ex(config, "LogOpts", &opts) ||
	    !json_object_object_get_ex(opts, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int tag_render(const struct engine_container *c, const char *text, char **out,
		      struct berth_err *err)
{
	autojson json_object *data = json_object_new_object();
	const char *image_id = c->image_id != NULL ? c->image_id : "";
	const char *hex = strchr(image_id, ':') != NULL ? strchr(image_id, ':') + 1 : image_id;
	struct tmpl *t = NULL;
	int r;

	json_object_object_add(data, "ID", json_object_new_string_len(c->id, 12));
	json_object_object_add(data, "FullID", json_object_new_string(c->id));
	json_object_object_add(data, "Name", json_object_new_string(c->name ? c->name : ""));
	json_object_object_add(data, "ImageID",
			       json_object_new_string_len(hex, (int)strnlen(hex, 12)));
	json_object_object_add(data, "ImageFullID", json_object_new_string(image_id));
	json_object_object_add(data, "ImageName", json_object_new_string(c->image ? c->image : ""));
	json_object_object_add(data, "DaemonName", json_object_new_string("berth"));
	if (tmpl_parse(text, &t, err) < 0)
		return berth_err_wrap(err, "log opt tag");
	r = tmpl_exec(t, data, out, err);
	tmpl_free(t);
	return r < 0 ? berth_err_wrap(err, "log opt tag") : 0;
}

/* Whether name is one of the comma-separated list's words. */
static bool list_has(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p != NULL && *p != '\0';) {
		size_t len = strcspn(p, ",");

		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

/* NAME=VALUE pairs into attrs[journal key] = VALUE: those named in the
 * comma-separated list and those matching the regular expression. */
static int extra_add(json_object *attrs, char *const *pairs, const char *list, const char *re_text,
		     const char *what, struct berth_err *err)
{
	regex_t re;
	bool have_re = re_text != NULL && re_text[0] != '\0';

	if (have_re && regcomp(&re, re_text, REG_EXTENDED | REG_NOSUB) != 0)
		return berth_err_set(err, 0, "log opt %s-regex: invalid regular expression %s",
				     what, re_text);
	for (size_t i = 0; pairs != NULL && pairs[i] != NULL; i++) {
		size_t n = strcspn(pairs[i], "=");
		autofree char *name = xstrndup(pairs[i], n);
		autofree char *key = NULL;

		if (pairs[i][n] != '=')
			continue;
		if (!list_has(list, name) && !(have_re && regexec(&re, name, 0, NULL, 0) == 0))
			continue;
		key = journal_key_from_name(name);
		if (journal_key_valid(key))
			json_object_object_add(attrs, key,
					       json_object_new_string(pairs[i] + n + 1));
	}
	if (have_re)
		regfree(&re);
	return 0;
}

/* The labels as the container has them: the image's, then its own. */
static char **labels_of(struct engine *e, const struct engine_container *c)
{
	autojson json_object *image = NULL;
	json_object *cfg = NULL, *labels = NULL;
	autostrv char **mine = NULL;
	char **all = NULL;
	struct berth_err ignored;

	if (c->image_id != NULL &&
	    store_image_config(e->store, c->image_id, &image, &ignored) == 0 &&
	    json_object_object_get_ex(image, "config", &cfg) &&
	    json_object_object_get_ex(cfg, "Labels", &labels) &&
	    json_object_is_type(labels, json_type_object)) {
		json_object_object_foreach(labels, k, v)
		{
			strv_push_take(&all, xasprintf("%s=%s", k, json_object_get_string(v)));
		}
	}
	json_get_strv(c->config, "Labels", NULL, &mine, &ignored);
	for (size_t i = 0; mine != NULL && mine[i] != NULL; i++)
		strv_push(&all, mine[i]);
	return all;
}

/* The environment as the container's process has it. */
static char **env_of(struct engine *e, const struct engine_container *c)
{
	autojson json_object *image = NULL;
	json_object *cfg = NULL;
	autostrv char **image_env = NULL;
	autostrv char **user_env = NULL;
	struct berth_err ignored;

	if (c->image_id != NULL &&
	    store_image_config(e->store, c->image_id, &image, &ignored) == 0 &&
	    json_object_object_get_ex(image, "config", &cfg))
		json_get_strv(cfg, "Env", NULL, &image_env, &ignored);
	json_get_strv(c->config, "Env", NULL, &user_env, &ignored);
	return engine_env_merge(image_env, user_env, NULL);
}

static int fields_build(struct engine *e, const struct engine_container *c,
			struct journal_fields *f, struct berth_err *err)
{
	autojson json_object *attrs = json_object_new_object();
	autofree char *tag = NULL;
	autostrv char **labels = labels_of(e, c);
	autostrv char **env = env_of(e, c);
	const char *tag_text = log_opt(c->config, "tag");
	char short_id[13];

	snprintf(short_id, sizeof(short_id), "%.12s", c->id);
	if (tag_render(c, tag_text != NULL ? tag_text : "{{.ID}}", &tag, err) < 0)
		return -1;
	if (tag == NULL)
		tag = xstrdup("");
	json_object_object_add(attrs, "CONTAINER_ID", json_object_new_string(short_id));
	json_object_object_add(attrs, "CONTAINER_ID_FULL", json_object_new_string(c->id));
	json_object_object_add(attrs, "CONTAINER_NAME",
			       json_object_new_string(c->name ? c->name : ""));
	json_object_object_add(attrs, "CONTAINER_TAG", json_object_new_string(tag));
	json_object_object_add(attrs, "SYSLOG_IDENTIFIER", json_object_new_string(tag));
	json_object_object_add(attrs, "IMAGE_NAME",
			       json_object_new_string(c->image ? c->image : ""));
	if (extra_add(attrs, labels, log_opt(c->config, "labels"),
		      log_opt(c->config, "labels-regex"), "labels", err) < 0 ||
	    extra_add(attrs, env, log_opt(c->config, "env"), log_opt(c->config, "env-regex"), "env",
		      err) < 0)
		return -1;
	json_object_object_foreach(attrs, k, v)
	{
		journal_fields_add(f, k, json_object_get_string(v),
				   (size_t)json_object_get_string_len(v));
	}
	return 0;
}

int engine_journal_prepare(struct engine *e, const struct engine_container *c, const char *dir,
			   struct berth_err *err)
{
	struct journal_fields f = { 0 };
	autofree char *path = xasprintf("%s/" ENGINE_JOURNAL_FILE, dir);
	int r;

	if (!engine_log_driver_is(c->config, "journald")) {
		unlink(path);
		return 0;
	}
	/* docker's words, at start as docker says them */
	if (!journal_available())
		return berth_err_set(err, 0,
				     "failed to initialize logging driver: journald is "
				     "not enabled on this host");
	if (fields_build(e, c, &f, err) < 0) {
		journal_fields_free(&f);
		return -1;
	}
	/* the environment's values may be in it: the owner's only */
	r = fs_write_file_replace(path, f.buf, f.len, 0600, err);
	journal_fields_free(&f);
	return r;
}
