/* Docker's system df, image prune and system prune: what the store holds
 * and what can go, and removing it. Berth has no containers, volumes or
 * build cache of its own: its snapshots stand where docker's containers
 * are, and the other sections are shown empty, as docker shows them on a
 * host without any. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/engine.h"
#include "cli/listing.h"
#include "image/layer-size.h"
#include "image/reference.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/human.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/template.h"
#include "util/xalloc.h"

/* ---- berth image prune, berth system prune ---- */

bool engine_cli_confirm(const char *question)
{
	autofree char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	char *p;

	printf("%s [y/N] ", question);
	fflush(stdout);
	n = getline(&line, &cap, stdin);
	if (n <= 0)
		return false;
	for (p = line; *p == ' ' || *p == '\t'; p++)
		;
	while (n > 0 && strchr(" \t\r\n", line[n - 1]) != NULL)
		line[--n] = '\0';
	return strcmp(p, "y") == 0 || strcmp(p, "Y") == 0;
}

/* "Deleted Images:" with docker's lines per image (its names untagged, then
 * the image deleted), in the order the store removed them. before holds
 * the images as they were, to group names with their image. */
static void print_pruned(const struct store_removed *r, const struct store_image *before, size_t n)
{
	if (r->deleted == NULL && r->untagged == NULL)
		return;
	printf("Deleted Images:\n");
	for (size_t i = 0; r->deleted != NULL && r->deleted[i] != NULL; i++) {
		for (size_t j = 0; j < n; j++) {
			if (strcmp(before[j].id, r->deleted[i]) != 0)
				continue;
			for (size_t k = 0; before[j].tags != NULL && before[j].tags[k] != NULL;
			     k++) {
				autofree char *name = image_ref_familiar_name(before[j].tags[k]);

				if (strv_contains(r->untagged, before[j].tags[k]))
					printf("untagged: %s\n", name);
			}
		}
		printf("deleted: %s\n", r->deleted[i]);
	}
	printf("\n");
}

/* Prunes images and prints what went; *reclaimed gets the bytes freed. */
static int prune_images(struct store *s, bool all, uint64_t *reclaimed, struct berth_err *err)
{
	struct store_image *before = NULL;
	struct store_removed r = { 0 };
	size_t n = 0;

	if (store_image_list(s, &before, &n, err) < 0)
		return -1;
	if (store_image_prune(s, all, &r, reclaimed, err) < 0) {
		store_images_free(before, n);
		return -1;
	}
	print_pruned(&r, before, n);
	store_removed_clear(&r);
	store_images_free(before, n);
	return 0;
}

static void print_reclaimed(uint64_t bytes)
{
	char buf[32];

	printf("Total reclaimed space: %s\n", human_size4((double)bytes, buf));
}

struct prune_opts {
	bool all, force;
	char **filters;
};

/* image prune and system prune take the same flags. */
static const struct cli_opt prune_table_opts[] = {
	{ "all", 'a', CLI_OPT_BOOL, offsetof(struct prune_opts, all), NULL,
	  "remove all unused images, not just dangling ones" },
	{ "filter", 0, CLI_OPT_STRV, offsetof(struct prune_opts, filters), "FILTER",
	  "not supported yet: refused" },
	{ "force", 'f', CLI_OPT_BOOL, offsetof(struct prune_opts, force), NULL,
	  "do not prompt for confirmation" },
	CLI_OPT_END,
};

static int image_prune_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct prune_opts *opts = o;
	uint64_t reclaimed = 0;
	struct store *s;

	(void)args;
	if (opts->filters != NULL)
		return berth_err_set(err, 0, "image prune: --filter is not supported yet");
	if (!opts->force &&
	    !engine_cli_confirm(
		opts->all ? "WARNING! This will remove all images without at least one "
			    "container associated to them.\nAre you sure you want to continue?"
			  : "WARNING! This will remove all dangling images.\nAre you sure you "
			    "want to continue?"))
		return 0;
	if (engine_store(cli, &s, err) < 0 || prune_images(s, opts->all, &reclaimed, err) < 0)
		return -1;
	print_reclaimed(reclaimed);
	return 0;
}

const struct engine_cmd engine_cmd_image_prune = {
	.name = "prune",
	.args = "",
	.summary = "Remove unused images",
	.opts = prune_table_opts,
	.opts_size = sizeof(struct prune_opts),
	.min_args = 0,
	.max_args = 0,
	.run = image_prune_run,
};

/* Docker's question, listing what Berth removes: images, and what no image
 * or snapshot needs (store_gc). */
static bool system_prune_confirm(bool all)
{
	autofree char *q = xasprintf(
	    "WARNING! This will remove:\n  - %s\n  - all blobs and layers no image uses\n"
	    "  - all files left by interrupted loads and snapshots\n\nAre you sure you want "
	    "to continue?",
	    all ? "all images without at least one snapshot associated to them"
		: "all dangling images");

	return engine_cli_confirm(q);
}

static int system_prune_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct prune_opts *opts = o;
	struct store_gc_stats gc = { 0 };
	uint64_t reclaimed = 0;
	struct store *s;

	(void)args;
	if (opts->filters != NULL)
		return berth_err_set(err, 0, "system prune: --filter is not supported yet");
	if (!opts->force && !system_prune_confirm(opts->all))
		return 0;
	if (engine_store(cli, &s, err) < 0 || prune_images(s, opts->all, &reclaimed, err) < 0 ||
	    store_gc(s, &gc, err) < 0)
		return -1;
	print_reclaimed(reclaimed + gc.bytes);
	return 0;
}

const struct engine_cmd engine_cmd_system_prune = {
	.name = "prune",
	.args = "",
	.summary = "Remove unused images and data",
	.opts = prune_table_opts,
	.opts_size = sizeof(struct prune_opts),
	.min_args = 0,
	.max_args = 0,
	.run = system_prune_run,
};

/* ---- berth system df ---- */

static const struct listing_column df_fields[] = {
	{ "Type", "TYPE" }, { "TotalCount", "TOTAL" },        { "Active", "ACTIVE" },
	{ "Size", "SIZE" }, { "Reclaimable", "RECLAIMABLE" }, { NULL, NULL },
};

static const struct listing_column df_image_table[] = {
	{ "Repository", "REPOSITORY" },
	{ "Tag", "TAG" },
	{ "ID", "IMAGE ID" },
	{ "CreatedSince", "CREATED" },
	{ "Size", "SIZE" },
	{ "SharedSize", "SHARED SIZE" },
	{ "UniqueSize", "UNIQUE SIZE" },
	{ "Containers", "CONTAINERS" },
	{ NULL, NULL },
};

static const struct listing_column df_container_fields[] = {
	{ "ID", "CONTAINER ID" }, { "Image", "IMAGE" },
	{ "Command", "COMMAND" }, { "LocalVolumes", "LOCAL VOLUMES" },
	{ "Size", "SIZE" },       { "RunningFor", "CREATED" },
	{ "Status", "STATUS" },   { "Names", "NAMES" },
	{ NULL, NULL },
};

static const struct listing_column df_volume_fields[] = {
	{ "Name", "VOLUME NAME" },
	{ "Links", "LINKS" },
	{ "Size", "SIZE" },
	{ NULL, NULL },
};

static const struct listing_column df_cache_fields[] = {
	{ "ID", "CACHE ID" },
	{ "CacheType", "CACHE TYPE" },
	{ "Size", "SIZE" },
	{ "CreatedSince", "CREATED" },
	{ "LastUsedSince", "LAST USED" },
	{ "UsageCount", "USAGE" },
	{ "Shared", "SHARED" },
	{ NULL, NULL },
};

static json_object *df_row(const char *type, uint64_t total, uint64_t active, uint64_t size,
			   uint64_t reclaimable, bool percent)
{
	json_object *o = json_object_new_object();
	char buf[64], sz[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)active);
	listing_add_str(o, "Active", buf);
	human_size4((double)reclaimable, sz);
	if (percent && size > 0)
		snprintf(buf, sizeof(buf), "%s (%llu%%)", sz,
			 (unsigned long long)(reclaimable * 100 / size));
	else
		snprintf(buf, sizeof(buf), "%s", sz);
	listing_add_str(o, "Reclaimable", buf);
	listing_add_str(o, "Size", human_size4((double)size, sz));
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)total);
	listing_add_str(o, "TotalCount", buf);
	listing_add_str(o, "Type", type);
	return o;
}

struct df_opts {
	bool verbose;
	const char *format;
};

static const struct cli_opt df_table_opts[] = {
	{ "format", 0, CLI_OPT_STRING, offsetof(struct df_opts, format), "FORMAT",
	  "\"table\", \"table TEMPLATE\", \"json\" or a Go template" },
	{ "verbose", 'v', CLI_OPT_BOOL, offsetof(struct df_opts, verbose), NULL,
	  "show detailed information on space usage" },
	CLI_OPT_END,
};

/* Bytes of an image's layers that other images also use. */
static uint64_t shared_size(const struct store_image *imgs, size_t n, size_t which)
{
	const struct store_image *img = &imgs[which];
	uint64_t shared = 0;

	for (size_t l = 0; l < img->n_layers; l++) {
		bool found = false;

		for (size_t j = 0; j < n && !found; j++)
			for (size_t k = 0; j != which && k < imgs[j].n_layers && !found; k++)
				found = strcmp(imgs[j].layers[k].chain_id,
					       img->layers[l].chain_id) == 0;
		if (found)
			shared += img->layers[l].size;
	}
	return shared;
}

/* df -v's image rows: the first name of each image only, as docker shows. */
static int df_image_rows(struct store *s, bool trunc, json_object *rows, struct berth_err *err)
{
	struct store_image *imgs = NULL;
	size_t n = 0;
	time_t now = time(NULL);

	if (store_image_list(s, &imgs, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct listing_image_row r = { .img = &imgs[i],
					       .repo = LISTING_NONE,
					       .tag = LISTING_NONE,
					       .digest = LISTING_NONE,
					       .trunc = trunc };
		autofree char *short_repo = NULL;
		autofree char *tag = NULL;

		if (imgs[i].tags != NULL &&
		    listing_name_split(imgs[i].tags[0], &short_repo, &tag)) {
			r.repo = short_repo;
			r.tag = tag;
		}
		r.shared = (int64_t)shared_size(imgs, n, i);
		r.containers = imgs[i].snapshots;
		json_object_array_add(rows, listing_image_row_json(&r, now));
	}
	store_images_free(imgs, n);
	return 0;
}

/* Berth's snapshots stand where docker's containers are. */
static int df_snapshot_rows(struct store *s, json_object *rows, struct berth_err *err)
{
	struct store_snapshot *snaps = NULL;
	size_t n = 0;
	time_t now = time(NULL);

	if (store_snapshot_list(s, &snaps, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		bool overlay = strcmp(snaps[i].driver, "overlay") == 0;
		autofree char *dir = xasprintf("%s/snapshots/%s/%s", s->root, snaps[i].id,
					       overlay ? "upper" : "merged");
		autofree char *image = listing_id_text(snaps[i].image_id, true);
		autoclose int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		uint64_t size = 0;
		struct berth_err ignored;
		char buf[48];

		if (fd >= 0 && layer_dir_size(fd, &size, &ignored) < 0)
			size = 0;
		listing_add_str(o, "Command", "");
		listing_add_str(o, "ID", snaps[i].id);
		listing_add_str(o, "Image", image);
		listing_add_str(o, "LocalVolumes", "0");
		listing_add_str(o, "Names", snaps[i].id);
		listing_add_str(o, "RunningFor", human_since((time_t)snaps[i].created, now, buf));
		listing_add_str(o, "Size", human_size((double)size, buf));
		listing_add_str(o, "Status", "");
		json_object_array_add(rows, o);
		store_snapshot_clear(&snaps[i]);
	}
	free(snaps);
	return 0;
}

static int df_verbose(struct store *s, const char *format, struct berth_err *err)
{
	autojson json_object *all = json_object_new_object();
	json_object *images = json_object_new_array(), *snaps = json_object_new_array();
	bool table = format == NULL || strcmp(format, "table") == 0;
	autojson json_object *none = json_object_new_array();

	json_object_object_add(all, "Images", images);
	json_object_object_add(all, "Containers", snaps);
	json_object_object_add(all, "Volumes", json_object_new_array());
	json_object_object_add(all, "BuildCache", json_object_new_array());
	if (df_image_rows(s, table, images, err) < 0 || df_snapshot_rows(s, snaps, err) < 0)
		return -1;
	if (!table) {
		struct tmpl *t = NULL;
		autofree char *out = NULL;
		int r;

		if (strcmp(format, "json") == 0) {
			listing_print_json_line(all);
			return 0;
		}
		if (tmpl_parse(format, &t, err) < 0)
			return -1;
		r = tmpl_exec(t, all, &out, err);
		tmpl_free(t);
		if (r == 0)
			fputs(out, stdout);
		return r;
	}
	printf("Images space usage:\n\n");
	listing_print_table(df_image_table, images);
	printf("\nContainers space usage:\n\n");
	listing_print_table(df_container_fields, snaps);
	printf("\nLocal Volumes space usage:\n\n");
	listing_print_table(df_volume_fields, none);
	printf("\nBuild cache usage: 0B\n\n");
	listing_print_table(df_cache_fields, none);
	return 0;
}

static int df_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct df_opts *opts = o;
	struct store_df df;
	autojson json_object *rows = json_object_new_array();
	struct store *s;

	(void)args;
	if (engine_store(cli, &s, err) < 0)
		return -1;
	if (opts->verbose)
		return df_verbose(s, opts->format, err) < 0 ? -1 : 0;
	if (store_df(s, &df, err) < 0)
		return -1;
	json_object_array_add(rows, df_row("Images", df.images, df.images_active, df.images_size,
					   df.images_reclaimable, true));
	/* Snapshots are in use while they exist: nothing to reclaim. */
	json_object_array_add(
	    rows, df_row("Containers", df.snapshots, df.snapshots, df.snapshots_size, 0, true));
	json_object_array_add(rows, df_row("Local Volumes", 0, 0, 0, 0, true));
	json_object_array_add(rows, df_row("Build Cache", 0, 0, 0, 0, false));
	return listing_print_rows(opts->format, rows, df_fields, df_fields, err) < 0 ? -1 : 0;
}

const struct engine_cmd engine_cmd_system_df = {
	.name = "df",
	.args = "",
	.summary = "Show disk usage",
	.opts = df_table_opts,
	.opts_size = sizeof(struct df_opts),
	.min_args = 0,
	.max_args = 0,
	.run = df_run,
};
