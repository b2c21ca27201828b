/* Podman's image mount and unmount: an image's root filesystem mounted as
 * a snapshot of its own, "mount-<first 12 hex of the image id>", so a
 * second mount finds and reuses it and unmount removes it with whatever
 * was written to it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/engine.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/xalloc.h"

#define MOUNT_PREFIX "mount-"

/* The snapshot id of the image whose id starts with these hex digits. */
static char *mount_id(const char *hex)
{
	return xasprintf(MOUNT_PREFIX "%.12s", hex);
}

static int mount_one(struct store *s, const char *what, struct berth_err *err)
{
	struct store_image img = { 0 };
	struct store_snapshot sn = { 0 };
	autofree char *id = NULL;
	int r;

	if (store_image_lookup(s, what, &img, err) < 0)
		return -1;
	id = mount_id(digest_hex(img.id));
	r = store_snapshot_get(s, id, &sn, err);
	if (r == 0)
		r = store_snapshot_mount(s, id, err);
	else if (err->code == ENOENT)
		r = store_snapshot_create(s, img.id, id, 0, &sn, err);
	if (r == 0)
		printf("%s\n", sn.mountpoint);
	store_snapshot_clear(&sn);
	store_image_clear(&img);
	return r;
}

static int mount_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct store *s;

	(void)o;
	if (engine_store(cli, &s, err) < 0)
		return -1;
	for (size_t i = 0; args[i] != NULL; i++)
		if (mount_one(s, args[i], err) < 0)
			return -1;
	return 0;
}

const struct engine_cmd engine_cmd_image_mount = {
	.name = "mount",
	.args = "IMAGE [IMAGE...]",
	.summary = "Mount an image's root filesystem (writes are discarded at unmount)",
	.min_args = 1,
	.max_args = -1,
	.run = mount_run,
};

struct unmount_opts {
	bool all;
};

static const struct cli_opt unmount_table_opts[] = {
	{ "all", 'a', CLI_OPT_BOOL, offsetof(struct unmount_opts, all), NULL,
	  "unmount all mounted images" },
	CLI_OPT_END,
};

/* The snapshot of what names an image; an image removed (rmi -f) while
 * mounted is still found by its 12-hex id. */
static int unmount_one(struct store *s, const char *what, struct berth_err *err)
{
	struct store_image img = { 0 };
	struct store_snapshot sn = { 0 };
	autofree char *id = NULL;

	if (store_image_lookup(s, what, &img, err) == 0) {
		id = mount_id(digest_hex(img.id));
		store_image_clear(&img);
	} else if (err->code == ENOENT && strlen(what) >= 12 &&
		   strspn(what, "0123456789abcdef") >= 12) {
		id = mount_id(what);
	} else {
		return -1;
	}
	if (store_snapshot_get(s, id, &sn, err) < 0)
		return berth_err_set(err, 0, "image %s is not mounted", what);
	if (store_snapshot_remove(s, id, err) < 0) {
		store_snapshot_clear(&sn);
		return -1;
	}
	printf("%s\n", digest_hex(sn.image_id));
	store_snapshot_clear(&sn);
	return 0;
}

static int unmount_all(struct store *s, struct berth_err *err)
{
	struct store_snapshot *snaps = NULL;
	size_t n = 0;
	int r = 0;

	if (store_snapshot_list(s, &snaps, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (r == 0 && strncmp(snaps[i].id, MOUNT_PREFIX, strlen(MOUNT_PREFIX)) == 0) {
			r = store_snapshot_remove(s, snaps[i].id, err);
			if (r == 0)
				printf("%s\n", digest_hex(snaps[i].image_id));
		}
		store_snapshot_clear(&snaps[i]);
	}
	free(snaps);
	return r;
}

static int unmount_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct unmount_opts *opts = o;
	struct store *s;

	if (opts->all ? args[0] != NULL : args[0] == NULL)
		return berth_err_set(err, 0, "image unmount: name images or give --all, not both");
	if (engine_store(cli, &s, err) < 0)
		return -1;
	if (opts->all)
		return unmount_all(s, err) < 0 ? -1 : 0;
	for (size_t i = 0; args[i] != NULL; i++)
		if (unmount_one(s, args[i], err) < 0)
			return -1;
	return 0;
}

const struct engine_cmd engine_cmd_image_unmount = {
	.name = "unmount",
	.args = "IMAGE [IMAGE...]",
	.summary = "Unmount mounted images, discarding what was written to them",
	.opts = unmount_table_opts,
	.opts_size = sizeof(struct unmount_opts),
	.min_args = 0,
	.max_args = -1,
	.run = unmount_run,
};
