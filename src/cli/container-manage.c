/* rename, pause, unpause and container prune: the commands that change a
 * container without starting or stopping it. Failures exit 125, as the
 * other container commands here do. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/engine.h"
#include "engine/engine.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/human.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define ENGINE_ERR 125

/* ---- rename ---- */

static int rename_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct engine *e;

	(void)o;
	if (args[0][0] == '\0' || args[1][0] == '\0')
		return berth_err_set(err, 0, "Neither old nor new names may be empty");
	if (engine_cli_engine(cli, &e, err) < 0)
		return -1;
	return engine_rename(e, args[0], args[1], err);
}

const struct engine_cmd engine_cmd_rename = {
	.name = "rename",
	.args = "CONTAINER NEW_NAME",
	.summary = "Rename a container",
	.min_args = 2,
	.max_args = 2,
	.err_status = 1, /* docker: 1 for its errors, 125 for bad flags */
	.run = rename_run,
};

/* ---- pause, unpause ---- */

static int pause_one(struct engine *e, const char *what, void *o, struct berth_err *err)
{
	(void)o;
	return engine_pause(e, what, err);
}

static int unpause_one(struct engine *e, const char *what, void *o, struct berth_err *err)
{
	(void)o;
	return engine_unpause(e, what, err);
}

static int pause_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	return engine_cli_each(cli, args, pause_one, o, true, err);
}

static int unpause_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	return engine_cli_each(cli, args, unpause_one, o, true, err);
}

const struct engine_cmd engine_cmd_pause = {
	.name = "pause",
	.args = "CONTAINER [CONTAINER...]",
	.summary = "Pause all processes within one or more containers",
	.min_args = 1,
	.max_args = -1,
	.err_status = 1, /* docker: 1 for its errors, 125 for bad flags */
	.run = pause_run,
};

const struct engine_cmd engine_cmd_unpause = {
	.name = "unpause",
	.args = "CONTAINER [CONTAINER...]",
	.summary = "Unpause all processes within one or more containers",
	.min_args = 1,
	.max_args = -1,
	.err_status = 1, /* docker: 1 for its errors, 125 for bad flags */
	.run = unpause_run,
};

/* ---- container prune ---- */

struct prune_opts {
	bool force;
	char **filters;
};

static const struct cli_opt prune_table[] = {
	{ "force", 'f', CLI_OPT_BOOL, offsetof(struct prune_opts, force), NULL,
	  "do not prompt for confirmation" },
	{ "filter", 0, CLI_OPT_STRV, offsetof(struct prune_opts, filters), "FILTER",
	  "until=TIMESTAMP, label=K[=V], label!=K[=V]" },
	CLI_OPT_END,
};

/* Docker's prompt: the question, " [y/N] ", and a line from stdin; only
 * "y" or "Y" goes ahead. */
static bool prune_confirm(void)
{
	return engine_cli_confirm("WARNING! This will remove all stopped containers.\n"
				  "Are you sure you want to continue?");
}

static int prune_filters(char **filters, struct engine_prune_filter *f, struct berth_err *err)
{
	for (size_t i = 0; filters != NULL && filters[i] != NULL; i++) {
		const char *kv = filters[i];

		if (strncmp(kv, "until=", 6) == 0) {
			if (engine_timestamp_parse(kv + 6, (int64_t)time(NULL) * 1000000000,
						   &f->until_ns, err) < 0)
				return berth_err_wrap(err, "invalid filter 'until=%s'", kv + 6);
		} else if (strncmp(kv, "label=", 6) == 0) {
			strv_push(&f->labels, kv + 6);
		} else if (strncmp(kv, "label!=", 7) == 0) {
			strv_push(&f->labels_not, kv + 7);
		} else {
			const char *eq = strchr(kv, '=');

			if (eq == NULL)
				return berth_err_set(err, 0,
						     "bad format of filter (expected name=value)");
			return berth_err_set(err, 0, "invalid filter '%.*s'", (int)(eq - kv), kv);
		}
	}
	return 0;
}

static int prune_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct prune_opts *p = o;
	struct engine_prune_filter f = { 0 };
	autostrv char **deleted = NULL;
	uint64_t reclaimed = 0;
	struct engine *e;
	char buf[32];
	int r = -1;

	(void)args;
	if (prune_filters(p->filters, &f, err) < 0)
		goto out;
	if (!p->force && !prune_confirm()) {
		r = 0;
		goto out;
	}
	if (engine_cli_engine(cli, &e, err) < 0 ||
	    engine_prune(e, &f, &deleted, &reclaimed, err) < 0)
		goto out;
	if (deleted != NULL) {
		printf("Deleted Containers:\n");
		for (size_t i = 0; deleted[i] != NULL; i++)
			printf("%s\n", deleted[i]);
		printf("\n");
	}
	printf("Total reclaimed space: %s\n", human_size4((double)reclaimed, buf));
	r = 0;
out:
	strv_free(f.labels);
	strv_free(f.labels_not);
	return r;
}

const struct engine_cmd engine_cmd_container_prune = {
	.name = "prune",
	.args = "",
	.summary = "Remove all stopped containers",
	.opts = prune_table,
	.opts_size = sizeof(struct prune_opts),
	.min_args = 0,
	.max_args = 0,
	.err_status = ENGINE_ERR,
	.run = prune_run,
};
