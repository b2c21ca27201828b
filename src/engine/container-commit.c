/* docker commit: the container image's layers plus one layer of the
 * container's changes (OCI whiteouts), its config and a history entry,
 * staged and committed through the store as import does. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/container-fs-internal.h"
#include "engine/engine-internal.h"
#include "image/archive.h"
#include "image/layer-write.h"
#include "image/layer-size.h"
#include "image/layer.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/store.h"
#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/human.h"
#include "util/json.h"
#include "util/path.h"
#include "util/strv.h"
#include "util/xalloc.h"

static int sink_blob(void *ctx, const void *buf, size_t len, struct berth_err *err)
{
	return blob_writer_write(ctx, buf, len, err);
}

/* The layer of the container's changes, as a tar blob in the stage:
 * the upper dir with its whiteouts made OCI's (overlay), or each change
 * written on its own (vfs). */
static int write_change_tar(struct engine *e, const struct croot *r, struct blob_writer *bw,
			    struct berth_err *err)
{
	struct layer_tar t;
	struct layer_write_opts lw = {
		.what = r->c.name,
		.overlay_whiteouts = true,
		.skip_empty = croot_init_paths,
	};
	struct changes c = { 0 };
	int rc = -1;

	if (layer_tar_open(&t, sink_blob, bw, err) < 0)
		return -1;
	if (croot_is_overlay(r)) {
		autofree char *upper = xasprintf("%s/upper", r->snapdir);
		autoclose int fd = open(upper, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			berth_err_set(err, errno, "open %s", upper);
		else
			rc = layer_write_node(t.a, fd, NULL, &lw, err);
	} else if (changes_read(e, r, &c, err) == 0) {
		lw.overlay_whiteouts = false;
		rc = 0;
		for (size_t i = 0; i < c.n && rc == 0; i++) {
			autoclose int fd = -1;

			if (c.v[i].kind == 'D') {
				rc = layer_write_whiteout(t.a, c.v[i].path + 1, err);
				continue;
			}
			fd = path_openat_in_root(r->fd, c.v[i].path, O_PATH | O_NOFOLLOW, 0, err);
			rc = fd < 0 ? -1 : layer_write_entry(t.a, fd, c.v[i].path + 1, &lw, err);
		}
	}
	changes_clear(&c);
	if (rc < 0) {
		layer_tar_abort(&t);
		return -1;
	}
	return layer_tar_close(&t, err);
}

/* Stages the new layer: the tar blob, and the tree it unpacks to. */
static int stage_layer(struct engine *e, struct store_stage *st, const struct croot *r,
		       const char *parent_chain, struct store_new_layer *nl, struct berth_err *err)
{
	struct blob_writer bw;
	struct layer_apply_opts lo = { .what = "(commit)", .tee_fd = -1, .no_diff_id = true };
	autoclose int blob = -1;
	autoclose int dir = -1;
	const char *hex;

	if (blob_writer_begin(st, &bw, err) < 0)
		return -1;
	if (write_change_tar(e, r, &bw, err) < 0) {
		blob_writer_abort(&bw);
		return -1;
	}
	nl->tar_size = nl->blob_size = bw.size;
	if (blob_writer_finish(&bw, NULL, nl->diff_id, err) < 0)
		return -1;
	/* The blob is the uncompressed tar: its digest is its DiffID. */
	memcpy(nl->blob, nl->diff_id, sizeof(nl->blob));
	store_chain_id(parent_chain, nl->diff_id, nl->chain_id);
	nl->media_type = xstrdup(MT_OCI_LAYER);
	hex = digest_hex(nl->chain_id);
	blob = store_stage_blob_open(st, nl->blob, err);
	if (blob < 0)
		return -1;
	if (mkdirat(st->layersfd, hex, 0755) < 0)
		return berth_err_set(err, errno, "create %s/layers/%s", st->dir, hex);
	dir = openat(st->layersfd, hex, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return berth_err_set(err, errno, "open %s/layers/%s", st->dir, hex);
	if (layer_apply(blob, dir, &lo, NULL, err) < 0 || layer_dir_content_size(dir, &nl->size, err) < 0)
		return -1;
	nl->staged = true;
	return 0;
}

static json_object *strv_to_json(char *const *v)
{
	json_object *a = json_object_new_array();

	for (; v != NULL && *v != NULL; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

/* docker's commit keeps the container's config: the image's, with what
 * create changed (command, entrypoint, env, workdir, user, labels, stop
 * signal). */
static json_object *commit_config(json_object *image_cfg, json_object *rec)
{
	json_object *cfg = NULL, *v = NULL, *env, *labels;
	autostrv char **list = NULL;
	const char *s = NULL;
	struct berth_err ignored;

	if (json_object_object_get_ex(image_cfg, "config", &v) &&
	    json_object_is_type(v, json_type_object))
		json_object_deep_copy(v, &cfg, NULL);
	if (cfg == NULL)
		cfg = json_object_new_object();
	if (json_get_strv(rec, "Cmd", NULL, &list, &ignored) == 1)
		json_object_object_add(cfg, "Cmd", strv_to_json(list));
	strv_free(steal_ptr(list));
	if (json_get_string(rec, "Entrypoint", NULL, &s, &ignored) == 1 && s != NULL) {
		char *one[2] = { (char *)s, NULL };

		json_object_object_add(cfg, "Entrypoint", s[0] ? strv_to_json(one) : NULL);
		/* docker: --entrypoint resets the image's Cmd unless one was given */
		if (!json_object_object_get_ex(rec, "Cmd", &v) || v == NULL)
			json_object_object_add(cfg, "Cmd", NULL);
	}
	if (json_get_strv(rec, "Env", NULL, &list, &ignored) == 1) {
		if (!json_object_object_get_ex(cfg, "Env", &env) ||
		    !json_object_is_type(env, json_type_array)) {
			env = json_object_new_array();
			json_object_object_add(cfg, "Env", env);
		}
		for (size_t i = 0; list[i] != NULL; i++) {
			const char *eq = strchr(list[i], '=');
			size_t klen = eq != NULL ? (size_t)(eq - list[i]) : 0;
			bool set = false;

			if (eq == NULL)
				continue;
			for (size_t j = 0; j < json_object_array_length(env) && !set; j++) {
				const char *old =
				    json_object_get_string(json_object_array_get_idx(env, j));

				if (old != NULL && strncmp(old, list[i], klen + 1) == 0) {
					json_object_array_put_idx(env, j,
								  json_object_new_string(list[i]));
					set = true;
				}
			}
			if (!set)
				json_object_array_add(env, json_object_new_string(list[i]));
		}
	}
	strv_free(steal_ptr(list));
	if (json_get_strv(rec, "Labels", NULL, &list, &ignored) == 1) {
		if (!json_object_object_get_ex(cfg, "Labels", &labels) ||
		    !json_object_is_type(labels, json_type_object)) {
			labels = json_object_new_object();
			json_object_object_add(cfg, "Labels", labels);
		}
		for (size_t i = 0; list[i] != NULL; i++) {
			char *eq = strchr(list[i], '=');
			autofree char *k =
			    xstrndup(list[i], eq ? (size_t)(eq - list[i]) : strlen(list[i]));

			json_object_object_add(labels, k, json_object_new_string(eq ? eq + 1 : ""));
		}
	}
	static const char *const strings[][2] = {
		{ "WorkingDir", "WorkingDir" },
		{ "User", "User" },
		{ "StopSignal", "StopSignal" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(strings); i++)
		if (json_get_string(rec, strings[i][0], NULL, &s, &ignored) == 1 && s != NULL &&
		    s[0] != '\0')
			json_object_object_add(cfg, strings[i][1], json_object_new_string(s));
	return cfg;
}

/* History's created_by: the container's command as docker shows it. */
static char *created_by(json_object *cfg)
{
	autostrv char **ep = NULL;
	autostrv char **cmd = NULL;
	struct berth_err ignored;
	char *out = xstrdup("");

	json_get_strv(cfg, "Entrypoint", NULL, &ep, &ignored);
	json_get_strv(cfg, "Cmd", NULL, &cmd, &ignored);
	for (char **v = ep; v != NULL && *v != NULL; v++) {
		char *n = xasprintf("%s%s%s", out, out[0] ? " " : "", *v);

		free(out);
		out = n;
	}
	for (char **v = cmd; v != NULL && *v != NULL; v++) {
		char *n = xasprintf("%s%s%s", out, out[0] ? " " : "", *v);

		free(out);
		out = n;
	}
	return out;
}

static char *image_config_build(json_object *image_cfg, json_object *cfg, const char *id,
				const struct engine_commit_opts *o, const char *diff_id,
				const char *created)
{
	json_object *root = NULL, *rootfs, *ids, *history, *h = json_object_new_object();
	autofree char *by = created_by(cfg);
	char *text;

	json_object_deep_copy(image_cfg, &root, NULL);
	json_object_object_add(root, "config", json_object_get(cfg));
	json_object_object_add(root, "created", json_object_new_string(created));
	json_object_object_add(root, "container", json_object_new_string(id));
	json_object_object_del(root, "container_config");
	if (o->author != NULL)
		json_object_object_add(root, "author", json_object_new_string(o->author));
	else
		json_object_object_del(root, "author");
	if (o->message != NULL && o->message[0] != '\0')
		json_object_object_add(root, "comment", json_object_new_string(o->message));
	else
		json_object_object_del(root, "comment");
	if (!json_object_object_get_ex(root, "os", NULL))
		json_object_object_add(root, "os", json_object_new_string("linux"));
	if (!json_object_object_get_ex(root, "architecture", NULL))
		json_object_object_add(root, "architecture",
				       json_object_new_string(manifest_host_arch()));
	if (!json_object_object_get_ex(root, "rootfs", &rootfs) ||
	    !json_object_is_type(rootfs, json_type_object)) {
		rootfs = json_object_new_object();
		json_object_object_add(rootfs, "type", json_object_new_string("layers"));
		json_object_object_add(root, "rootfs", rootfs);
	}
	if (!json_object_object_get_ex(rootfs, "diff_ids", &ids) ||
	    !json_object_is_type(ids, json_type_array)) {
		ids = json_object_new_array();
		json_object_object_add(rootfs, "diff_ids", ids);
	}
	json_object_array_add(ids, json_object_new_string(diff_id));
	if (!json_object_object_get_ex(root, "history", &history) ||
	    !json_object_is_type(history, json_type_array)) {
		history = json_object_new_array();
		json_object_object_add(root, "history", history);
	}
	json_object_object_add(h, "created", json_object_new_string(created));
	json_object_object_add(h, "created_by", json_object_new_string(by));
	if (o->author != NULL)
		json_object_object_add(h, "author", json_object_new_string(o->author));
	if (o->message != NULL && o->message[0] != '\0')
		json_object_object_add(h, "comment", json_object_new_string(o->message));
	json_object_array_add(history, h);
	text = xstrdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
								JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return text;
}

static int commit_tag(const char *tag, char **out, struct berth_err *err)
{
	struct image_ref ref = { 0 };
	autofree char *repo = NULL;

	if (image_ref_parse(tag, &ref, err) < 0)
		return -1;
	if (ref.digest != NULL) {
		image_ref_free(&ref);
		return berth_err_set(err, 0, "commit: a digest is not a tag: %s", tag);
	}
	repo = image_ref_repo(&ref);
	*out = xasprintf("%s:%s", repo, ref.tag);
	image_ref_free(&ref);
	return 0;
}

/* Builds and commits the image once the layer is staged. */
static int commit_image(struct engine *e, struct store_stage *st, const struct croot *r,
			const struct engine_commit_opts *o, const char *tag,
			char id[DIGEST_STR_LEN + 1], struct berth_err *err)
{
	struct store_image parent = { 0 };
	struct store_new_image img = { 0 };
	autojson json_object *image_cfg = NULL;
	autojson json_object *cfg = NULL;
	autofree char *cfg_text = NULL;
	autofree char *manifest = NULL;
	autofree struct descriptor *descs = NULL;
	struct descriptor cfgd = { 0 };
	char created[48];
	struct timespec now;
	size_t n = 0;
	int rc = -1;

	if (store_image_lookup(e->store, r->sn.image_id, &parent, err) < 0)
		return -1;
	if (store_image_config(e->store, parent.id, &image_cfg, err) < 0)
		goto out;
	n = parent.n_layers;
	img.layers = xcalloc(n + 1, sizeof(*img.layers));
	for (size_t i = 0; i < n; i++) {
		struct store_new_layer *l = &img.layers[i];

		memcpy(l->blob, parent.layers[i].blob, sizeof(l->blob));
		memcpy(l->diff_id, parent.layers[i].diff_id, sizeof(l->diff_id));
		memcpy(l->chain_id, parent.layers[i].chain_id, sizeof(l->chain_id));
		l->media_type = xstrdup(parent.layers[i].media_type);
		l->blob_size = parent.layers[i].blob_size;
		l->tar_size = parent.layers[i].tar_size;
		l->size = parent.layers[i].size;
	}
	img.n_layers = n;
	if (stage_layer(e, st, r, n > 0 ? parent.layers[n - 1].chain_id : NULL, &img.layers[n],
			err) < 0)
		goto out;
	img.n_layers = n + 1;
	cfg = commit_config(image_cfg, r->c.config);
	for (size_t i = 0; o->changes != NULL && o->changes[i] != NULL; i++)
		if (image_config_change(cfg, o->changes[i], err) < 0)
			goto out;
	clock_gettime(CLOCK_REALTIME, &now);
	human_rfc3339(now.tv_sec, now.tv_nsec, created);
	cfg_text = image_config_build(image_cfg, cfg, r->c.id, o, img.layers[n].diff_id, created);
	if (store_stage_put(st, cfg_text, strlen(cfg_text), img.id, err) < 0)
		goto out;
	cfgd.media_type = (char *)MT_OCI_CONFIG;
	memcpy(cfgd.digest, img.id, sizeof(cfgd.digest));
	cfgd.size = (int64_t)strlen(cfg_text);
	descs = xcalloc(n + 1, sizeof(*descs));
	for (size_t i = 0; i <= n; i++) {
		descs[i].media_type = img.layers[i].media_type;
		memcpy(descs[i].digest, img.layers[i].blob, sizeof(descs[i].digest));
		descs[i].size = (int64_t)img.layers[i].blob_size;
	}
	manifest = manifest_build(MT_OCI_MANIFEST, &cfgd, descs, n + 1);
	if (store_stage_put(st, manifest, strlen(manifest), img.manifest, err) < 0)
		goto out;
	img.manifest_media_type = (char *)MT_OCI_MANIFEST;
	img.created = now.tv_sec;
	if (tag != NULL)
		strv_push(&img.tags, tag);
	if (store_stage_commit(st, &img, 1, err) < 0)
		goto out;
	memcpy(id, img.id, DIGEST_STR_LEN + 1);
	rc = 0;
out:
	for (size_t i = 0; img.layers != NULL && i <= n; i++)
		free(img.layers[i].media_type);
	free(img.layers);
	strv_free(img.tags);
	store_image_clear(&parent);
	return rc;
}

int engine_commit(struct engine *e, const char *what, const struct engine_commit_opts *o,
		  char id[DIGEST_STR_LEN + 1], struct berth_err *err)
{
	struct croot r;
	struct store_stage st;
	struct runtime_ctx ctx = engine_runtime_ctx(e);
	autofree char *tag = NULL;
	bool paused = false;
	int rc;

	if (o->tag != NULL && commit_tag(o->tag, &tag, err) < 0)
		return -1;
	if (croot_open(e, what, &r, err) < 0)
		return -1;
	if (store_stage_begin(e->store, &st, err) < 0) {
		croot_close(&r);
		return -1;
	}
	if (o->pause && r.c.state == ENGINE_RUNNING) {
		if (container_pause(&ctx, r.c.id, err) < 0) {
			berth_err_wrap(err, "pause %s", what);
			rc = -1;
			goto out;
		}
		paused = true;
	}
	rc = commit_image(e, &st, &r, o, tag, id, err);
out:
	if (paused) {
		struct berth_err rerr = { 0 };

		if (container_resume(&ctx, r.c.id, &rerr) < 0 && rc == 0) {
			*err = rerr;
			rc = -1;
		}
	}
	store_stage_end(&st);
	croot_close(&r);
	return rc;
}
