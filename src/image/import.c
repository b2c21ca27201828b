/* berth import: a root filesystem tarball (plain or compressed) becomes a
 * one-layer image. The layer blob is the uncompressed tar, written while
 * the layer unpacks, so its digest is its DiffID as docker's is. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/archive.h"
#include "image/layer-size.h"
#include "image/layer.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/human.h"
#include "util/json.h"
#include "util/num.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* ---- --change: a few Dockerfile instructions ---- */

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A JSON array of strings, or the shell form wrapped in /bin/sh -c. */
static int parse_command(const char *what, const char *args, json_object **out,
			 struct berth_err *err)
{
	json_object *arr;

	if (*args == '[') {
		json_object *parsed = NULL;

		if (json_parse_text(args, strlen(args), what, &parsed, err) == 0 &&
		    json_object_is_type(parsed, json_type_array)) {
			size_t n = json_object_array_length(parsed);

			for (size_t i = 0; i < n; i++)
				if (!json_object_is_type(json_object_array_get_idx(parsed, i),
							 json_type_string)) {
					json_object_put(parsed);
					return berth_err_set(
					    err, 0, "%s: the JSON form takes only strings", what);
				}
			*out = parsed;
			return 0;
		}
		json_object_put(parsed);
		/* Not valid JSON: docker treats it as the shell form. */
	}
	arr = json_object_new_array();
	json_object_array_add(arr, json_object_new_string("/bin/sh"));
	json_object_array_add(arr, json_object_new_string("-c"));
	json_object_array_add(arr, json_object_new_string(args));
	*out = arr;
	return 0;
}

/* A key as written, without the quotes around it ("com.example.vendor"). */
static char *unquote_key(const char *p, size_t n)
{
	if (n >= 2 && (p[0] == '"' || p[0] == '\'') && p[n - 1] == p[0])
		return xstrndup(p + 1, n - 2);
	return xstrndup(p, n);
}

/* "k=v k2="v 2"" or the legacy "k v w" (one pair, the rest is the value). */
static int parse_pairs(const char *what, const char *args, char ***keys, char ***values,
		       struct berth_err *err)
{
	const char *p = args;

	/* Docker decides by the first word: "ENV k v=w" is the legacy form. */
	if (memchr(args, '=', strcspn(args, " \t")) == NULL) {
		const char *sp = strpbrk(args, " \t");

		if (sp == NULL)
			return berth_err_set(err, 0, "%s needs a value: %s", what, args);
		strv_push_take(keys, xstrndup(args, (size_t)(sp - args)));
		strv_push(values, skip_space(sp));
		return 0;
	}
	while (*(p = skip_space(p)) != '\0') {
		const char *eq = strchr(p, '=');
		autofree char *val = xmalloc(strlen(p) + 1);
		size_t vn = 0;
		char quote = 0;

		if (eq == NULL || eq == p || memchr(p, ' ', (size_t)(eq - p)) != NULL ||
		    memchr(p, '\t', (size_t)(eq - p)) != NULL)
			return berth_err_set(err, 0, "%s: expected KEY=VALUE, got \"%s\"", what, p);
		strv_push_take(keys, unquote_key(p, (size_t)(eq - p)));
		for (p = eq + 1; *p != '\0'; p++) {
			if (quote == 0 && (*p == ' ' || *p == '\t'))
				break;
			if (quote == 0 && (*p == '"' || *p == '\'')) {
				quote = *p;
				continue;
			}
			if (quote != 0 && *p == quote) {
				quote = 0;
				continue;
			}
			if (*p == '\\' && p[1] != '\0' && quote != '\'')
				p++;
			val[vn++] = *p;
		}
		if (quote != 0)
			return berth_err_set(err, 0, "%s: unterminated quote in \"%s\"", what,
					     args);
		val[vn] = '\0';
		strv_push(values, val);
	}
	return 0;
}

static void env_set(json_object *config, const char *key, const char *value)
{
	json_object *env = NULL;
	size_t klen = strlen(key);
	autofree char *entry = xasprintf("%s=%s", key, value);

	if (!json_object_object_get_ex(config, "Env", &env) ||
	    !json_object_is_type(env, json_type_array)) {
		env = json_object_new_array();
		json_object_object_add(config, "Env", env);
	}
	for (size_t i = 0; i < json_object_array_length(env); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(env, i));

		if (s != NULL && strncmp(s, key, klen) == 0 && s[klen] == '=') {
			json_object_array_put_idx(env, i, json_object_new_string(entry));
			return;
		}
	}
	json_object_array_add(env, json_object_new_string(entry));
}

/* Adds each word of args as a key of the object config[field]. */
static int add_set(json_object *config, const char *field, const char *what, const char *args,
		   bool ports, struct berth_err *err)
{
	json_object *set = NULL;
	autojson json_object *words = NULL;
	autostrv char **list = NULL;

	if (*args == '[' && json_parse_text(args, strlen(args), what, &words, err) == 0 &&
	    json_object_is_type(words, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(words); i++) {
			char path[32];
			const char *w;

			snprintf(path, sizeof(path), "[%zu]", i);
			if (json_string_value(json_object_array_get_idx(words, i), path, &w, err) <
			    0)
				return berth_err_wrap(err, "%s", what);
			strv_push(&list, w);
		}
	} else {
		autofree char *copy = xstrdup(args);
		char *save = NULL;

		for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
			strv_push(&list, w);
	}
	if (list == NULL)
		return berth_err_set(err, 0, "%s needs at least one argument", what);
	if (!json_object_object_get_ex(config, field, &set) ||
	    !json_object_is_type(set, json_type_object)) {
		set = json_object_new_object();
		json_object_object_add(config, field, set);
	}
	for (size_t i = 0; list[i] != NULL; i++) {
		autofree char *key = NULL;

		if (ports) {
			const char *end = list[i];
			uint64_t port;

			if (num_take_u64(&end, 10, 65535, &port) < 0 || port == 0 ||
			    (*end != '\0' && strcmp(end, "/tcp") != 0 && strcmp(end, "/udp") != 0 &&
			     strcmp(end, "/sctp") != 0))
				return berth_err_set(err, 0, "EXPOSE: invalid port \"%s\"",
						     list[i]);
			key = xasprintf("%llu%s", (unsigned long long)port,
					*end != '\0' ? end : "/tcp");
		} else {
			key = xstrdup(list[i]);
		}
		json_object_object_add(set, key, json_object_new_object());
	}
	return 0;
}

/* HEALTHCHECK [--interval=D] [--timeout=D] [--start-period=D]
 * [--start-interval=D] [--retries=N] CMD command, or HEALTHCHECK NONE, as
 * docker's builder reads it: Config.Healthcheck with Test ["CMD", args...]
 * (the JSON form), ["CMD-SHELL", line] or ["NONE"], and the fields given. */
static int parse_healthcheck(json_object *config, const char *args, struct berth_err *err)
{
	static const char *const durations[][2] = { { "interval", "Interval" },
						    { "timeout", "Timeout" },
						    { "start-period", "StartPeriod" },
						    { "start-interval", "StartInterval" } };
	json_object *hc = json_object_new_object(), *test = NULL;
	const char *p = args;
	bool flags = false;

	while (strncmp(p, "--", 2) == 0) {
		const char *end = strpbrk(p, " \t"), *eq = strchr(p, '=');
		autofree char *flag = xstrndup(p + 2, end ? (size_t)(end - p - 2) : strlen(p + 2));
		char *v = strchr(flag, '=');
		bool done = false;

		flags = true;
		if (eq == NULL || v == NULL) {
			json_object_put(hc);
			return berth_err_set(err, 0, "HEALTHCHECK: flag --%s needs a value", flag);
		}
		*v++ = '\0';
		for (size_t i = 0; i < ARRAY_SIZE(durations) && !done; i++) {
			int64_t ns;

			if (strcmp(flag, durations[i][0]) != 0)
				continue;
			done = true;
			if (human_parse_go_duration(v, &ns) < 0) {
				json_object_put(hc);
				return berth_err_set(
				    err, 0, "HEALTHCHECK: time: invalid duration \"%s\"", v);
			}
			if (ns != 0 && ns < 1000000) {
				json_object_put(hc);
				return berth_err_set(
				    err, 0, "HEALTHCHECK: --%s cannot be less than 1ms", flag);
			}
			if (ns != 0)
				json_object_object_add(hc, durations[i][1],
						       json_object_new_int64(ns));
		}
		if (!done && strcmp(flag, "retries") == 0) {
			int64_t n;

			if (num_parse_i64(v, 10, INT32_MIN, INT32_MAX, &n) < 0 || n < 0) {
				json_object_put(hc);
				return berth_err_set(err, 0,
						     "HEALTHCHECK: --retries must be a number of 0 "
						     "or more, not \"%s\"",
						     v);
			}
			if (n != 0)
				json_object_object_add(hc, "Retries", json_object_new_int64(n));
			done = true;
		}
		if (!done) {
			json_object_put(hc);
			return berth_err_set(err, 0, "HEALTHCHECK: unknown flag: --%s", flag);
		}
		p = end ? skip_space(end) : "";
	}
	if (strncasecmp(p, "NONE", 4) == 0 && (p[4] == '\0' || p[4] == ' ' || p[4] == '\t')) {
		if (*skip_space(p + 4) != '\0' || flags) {
			json_object_put(hc);
			return berth_err_set(err, 0, "HEALTHCHECK NONE takes no arguments");
		}
		json_object_put(hc);
		hc = json_object_new_object();
		test = json_object_new_array();
		json_object_array_add(test, json_object_new_string("NONE"));
	} else if (strncasecmp(p, "CMD", 3) == 0 && (p[3] == ' ' || p[3] == '\t')) {
		const char *cmd = skip_space(p + 3);
		json_object *parsed = NULL;

		if (*cmd == '\0') {
			json_object_put(hc);
			return berth_err_set(err, 0, "Missing command after HEALTHCHECK CMD");
		}
		if (parse_command("HEALTHCHECK", cmd, &parsed, err) < 0) {
			json_object_put(hc);
			return -1;
		}
		test = json_object_new_array();
		if (*cmd == '[' &&
		    !(json_object_array_length(parsed) == 3 &&
		      strcmp(json_object_get_string(json_object_array_get_idx(parsed, 2)), cmd) ==
			  0)) {
			json_object_array_add(test, json_object_new_string("CMD"));
			for (size_t i = 0; i < json_object_array_length(parsed); i++)
				json_object_array_add(
				    test, json_object_get(json_object_array_get_idx(parsed, i)));
		} else {
			json_object_array_add(test, json_object_new_string("CMD-SHELL"));
			json_object_array_add(test, json_object_new_string(cmd));
		}
		json_object_put(parsed);
	} else {
		size_t n = strcspn(p, " \t");

		json_object_put(hc);
		return berth_err_set(err, 0, "Unknown type \"%.*s\" in HEALTHCHECK (try CMD)",
				     (int)n, p);
	}
	/* Test first, as docker's */
	{
		json_object *ordered = json_object_new_object();

		json_object_object_add(ordered, "Test", test);
		json_object_object_foreach(hc, k, v)
		    json_object_object_add(ordered, k, json_object_get(v));
		json_object_put(hc);
		json_object_object_add(config, "Healthcheck", ordered);
	}
	return 0;
}

int image_config_change(json_object *config, const char *instruction, struct berth_err *err)
{
	const char *p = skip_space(instruction);
	const char *sp = strpbrk(p, " \t");
	autofree char *word = xstrndup(p, sp ? (size_t)(sp - p) : strlen(p));
	const char *args = sp ? skip_space(sp) : "";
	autostrv char **keys = NULL;
	autostrv char **values = NULL;

	for (char *c = word; *c != '\0'; c++)
		*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
	if (*args == '\0' && word[0] != '\0')
		return berth_err_set(err, 0, "--change \"%s\": %s needs an argument", instruction,
				     word);
	if (strcmp(word, "CMD") == 0 || strcmp(word, "ENTRYPOINT") == 0) {
		json_object *cmd = NULL;

		if (parse_command(word, args, &cmd, err) < 0)
			return -1;
		json_object_object_add(config, strcmp(word, "CMD") == 0 ? "Cmd" : "Entrypoint",
				       cmd);
		return 0;
	}
	if (strcmp(word, "ENV") == 0 || strcmp(word, "LABEL") == 0) {
		json_object *labels = NULL;

		if (parse_pairs(word, args, &keys, &values, err) < 0)
			return -1;
		for (size_t i = 0; keys[i] != NULL; i++) {
			if (word[0] == 'E') {
				env_set(config, keys[i], values[i]);
				continue;
			}
			if (!json_object_object_get_ex(config, "Labels", &labels) ||
			    !json_object_is_type(labels, json_type_object)) {
				labels = json_object_new_object();
				json_object_object_add(config, "Labels", labels);
			}
			json_object_object_add(labels, keys[i], json_object_new_string(values[i]));
		}
		return 0;
	}
	if (strcmp(word, "WORKDIR") == 0 || strcmp(word, "USER") == 0 ||
	    strcmp(word, "STOPSIGNAL") == 0) {
		const char *field = word[0] == 'W'   ? "WorkingDir"
				    : word[0] == 'U' ? "User"
						     : "StopSignal";

		if (word[0] == 'W' && args[0] != '/')
			return berth_err_set(err, 0, "WORKDIR must be an absolute path: %s", args);
		json_object_object_add(config, field, json_object_new_string(args));
		return 0;
	}
	if (strcmp(word, "EXPOSE") == 0)
		return add_set(config, "ExposedPorts", word, args, true, err);
	if (strcmp(word, "HEALTHCHECK") == 0)
		return parse_healthcheck(config, args, err);
	if (strcmp(word, "VOLUME") == 0)
		return add_set(config, "Volumes", word, args, false, err);
	return berth_err_set(err, 0,
			     "--change \"%s\": %s is not one of CMD, ENTRYPOINT, ENV, EXPOSE, "
			     "HEALTHCHECK, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR",
			     instruction, word[0] ? word : "(empty)");
}

/* ---- import ---- */

static char *make_config(const struct import_opts *opts, json_object *config, const char *diff_id,
			 const char *created)
{
	json_object *root = json_object_new_object();
	json_object *rootfs = json_object_new_object();
	json_object *ids = json_object_new_array();
	json_object *history = json_object_new_array();
	json_object *h = json_object_new_object();
	autofree char *comment = opts->message != NULL
				     ? xstrdup(opts->message)
				     : xasprintf("Imported from %s", opts->source);
	char *text;

	json_object_object_add(root, "architecture", json_object_new_string(manifest_host_arch()));
	json_object_object_add(root, "created", json_object_new_string(created));
	json_object_object_add(root, "os", json_object_new_string("linux"));
	json_object_object_add(root, "config", json_object_get(config));
	json_object_array_add(ids, json_object_new_string(diff_id));
	json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	json_object_object_add(rootfs, "diff_ids", ids);
	json_object_object_add(root, "rootfs", rootfs);
	json_object_object_add(h, "created", json_object_new_string(created));
	json_object_object_add(h, "comment", json_object_new_string(comment));
	json_object_array_add(history, h);
	json_object_object_add(root, "history", history);
	text = xstrdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
								JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return text;
}

static int import_layer(struct store_stage *st, int in_fd, struct store_new_layer *nl,
			struct berth_err *err)
{
	struct layer_apply_opts opts = { .what = "(import)" };
	struct layer_apply_result res;
	autoclose int tar = -1;
	autoclose int dir = -1;

	tar = openat(st->blobsfd, ".import.tar", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (tar < 0)
		return berth_err_set(err, errno, "create %s/blobs/.import.tar", st->dir);
	if (mkdirat(st->layersfd, ".import", 0755) < 0)
		return berth_err_set(err, errno, "create %s/layers/.import", st->dir);
	dir = openat(st->layersfd, ".import", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return berth_err_set(err, errno, "open %s/layers/.import", st->dir);
	opts.tee_fd = tar;
	if (layer_apply(in_fd, dir, &opts, &res, err) < 0)
		return -1;
	if (res.entries == 0)
		return berth_err_set(err, 0, "the tarball is empty");
	if (fsync(tar) < 0)
		return berth_err_set(err, errno, "fsync layer");
	memcpy(nl->diff_id, res.diff_id, sizeof(nl->diff_id));
	memcpy(nl->blob, res.diff_id, sizeof(nl->blob));
	memcpy(nl->chain_id, res.diff_id, sizeof(nl->chain_id));
	nl->tar_size = nl->blob_size = res.tar_size;
	nl->media_type = xstrdup(MT_OCI_LAYER);
	if (layer_dir_content_size(dir, &nl->size, err) < 0)
		return -1;
	if (renameat(st->blobsfd, ".import.tar", st->blobsfd, digest_hex(res.diff_id)) < 0 ||
	    renameat(st->layersfd, ".import", st->layersfd, digest_hex(res.diff_id)) < 0)
		return berth_err_set(err, errno, "stage layer %s", res.diff_id);
	nl->staged = true;
	return 0;
}

int image_import(struct store *s, int in_fd, const struct import_opts *opts,
		 char id[DIGEST_STR_LEN + 1], struct berth_err *err)
{
	struct store_stage st;
	struct store_new_layer nl = { 0 };
	struct store_new_image img = { 0 };
	autojson json_object *config = json_object_new_object();
	autofree char *tag = NULL;
	autofree char *cfg_text = NULL;
	autofree char *manifest = NULL;
	struct descriptor cfgd = { 0 }, layerd = { 0 };
	char created[48];
	struct timespec now;
	int r = -1;

	for (size_t i = 0; opts->changes != NULL && opts->changes[i] != NULL; i++)
		if (image_config_change(config, opts->changes[i], err) < 0)
			return -1;
	if (opts->tag != NULL) {
		struct image_ref ref = { 0 };
		autofree char *repo = NULL;

		if (image_ref_parse(opts->tag, &ref, err) < 0)
			return -1;
		if (ref.digest != NULL) {
			image_ref_free(&ref);
			return berth_err_set(err, 0, "import: a digest is not a tag: %s",
					     opts->tag);
		}
		repo = image_ref_repo(&ref);
		tag = xasprintf("%s:%s", repo, ref.tag);
		image_ref_free(&ref);
	}
	if (store_stage_begin(s, &st, err) < 0)
		return -1;
	if (import_layer(&st, in_fd, &nl, err) < 0) {
		berth_err_wrap(err, "import %s", opts->source);
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	human_rfc3339(now.tv_sec, now.tv_nsec, created);
	cfg_text = make_config(opts, config, nl.diff_id, created);
	if (store_stage_put(&st, cfg_text, strlen(cfg_text), img.id, err) < 0)
		goto out;
	cfgd.media_type = (char *)MT_OCI_CONFIG;
	memcpy(cfgd.digest, img.id, sizeof(cfgd.digest));
	cfgd.size = (int64_t)strlen(cfg_text);
	layerd.media_type = nl.media_type;
	memcpy(layerd.digest, nl.blob, sizeof(layerd.digest));
	layerd.size = (int64_t)nl.blob_size;
	manifest = manifest_build(MT_OCI_MANIFEST, &cfgd, &layerd, 1);
	if (store_stage_put(&st, manifest, strlen(manifest), img.manifest, err) < 0)
		goto out;
	img.manifest_media_type = (char *)MT_OCI_MANIFEST;
	img.created = now.tv_sec;
	img.layers = &nl;
	img.n_layers = 1;
	if (tag != NULL)
		strv_push(&img.tags, tag);
	if (store_stage_commit(&st, &img, 1, err) < 0)
		goto out;
	memcpy(id, img.id, DIGEST_STR_LEN + 1);
	r = 0;
out:
	strv_free(img.tags);
	free(nl.media_type);
	store_stage_end(&st);
	return r;
}
