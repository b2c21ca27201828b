/* berth cp, diff, export and commit: docker's spelling over
 * engine/container-fs.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/engine.h"
#include "engine/container-fs.h"
#include "engine/engine.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/output.h"
#include "util/quote.h"

/* ---- cp ---- */

struct cp_cli {
	bool archive, follow;
};

static const struct cli_opt cp_table[] = {
	{ "archive", 'a', CLI_OPT_BOOL, offsetof(struct cp_cli, archive), NULL,
	  "archive mode (copy all uid/gid information; out of a container also setuid/setgid "
	  "bits, capabilities and devices)" },
	{ "follow-link", 'L', CLI_OPT_BOOL, offsetof(struct cp_cli, follow), NULL,
	  "always follow symbol link in SRC_PATH" },
	CLI_OPT_END,
};

/* docker's splitCpArg: "CONTAINER:PATH", unless the argument is an
 * absolute path or starts with "." (a local path that has a colon). */
static bool cp_arg_split(char *arg, char **container, char **path)
{
	char *colon = strchr(arg, ':');

	if (arg[0] == '/' || arg[0] == '.' || colon == NULL) {
		*container = NULL;
		*path = arg;
		return false;
	}
	*colon = '\0';
	*container = arg;
	*path = colon + 1;
	return true;
}

static int cp_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct cp_cli *c = o;
	size_t skipped = 0;
	struct engine_cp_opts opts = {
		.archive = c->archive,
		.follow = c->follow,
		.skipped_devices = &skipped,
	};
	struct engine *e;
	char *src_c, *src, *dst_c, *dst;
	bool from = cp_arg_split(args[0], &src_c, &src);
	bool to = cp_arg_split(args[1], &dst_c, &dst);

	if (from && to)
		return berth_err_set(err, 0, "copying between containers is not supported");
	if (!from && !to)
		return berth_err_set(err, 0, "must specify at least one container source");
	if ((from ? src : dst)[0] == '\0')
		return berth_err_set(err, 0, "filepath in the container can not be empty");
	if (engine_cli_engine(cli, &e, err) < 0)
		return -1;
	if (!from)
		return engine_cp_to(e, dst_c, src, STDIN_FILENO, dst, &opts, err);
	if (engine_cp_from(e, src_c, src, dst, STDOUT_FILENO, &opts, err) < 0)
		return -1;
	if (skipped > 0)
		fprintf(stderr,
			"berth: %zu device node%s not copied (use -a to copy device nodes)\n",
			skipped, skipped == 1 ? "" : "s");
	return 0;
}

const struct engine_cmd engine_cmd_cp = {
	.name = "cp",
	.args = "CONTAINER:SRC_PATH DEST_PATH|-  or  SRC_PATH|- CONTAINER:DEST_PATH",
	.summary = "Copy files/folders between a container and the local filesystem",
	.notes = "Out of a container, unless -a is given, nothing that gives privileges on the\n"
		 "host is copied: setuid and setgid bits and file capabilities\n"
		 "(security.capability) are cleared, and device nodes (character and block) are\n"
		 "left out, with a note on stderr. This holds for a tar stream to stdout too.\n"
		 "\n"
		 "A file copied to DEST_PATH is made beside it and renamed over it once\n"
		 "complete when DEST_PATH is new or a regular file. A FIFO or a character device\n"
		 "is written into, never replaced. A symlink is followed: what it points at is\n"
		 "written by the same rules and the link stays. A symlink to nothing is refused.\n"
		 "Below a directory that is copied, entries replace what the host has, as tar\n"
		 "does, but are never written through a symlink.",
	.opts = cp_table,
	.opts_size = sizeof(struct cp_cli),
	.min_args = 2,
	.max_args = 2,
	.run = cp_run,
};

/* ---- diff ---- */

static int diff_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct engine *e;
	struct engine_change *v = NULL;
	size_t n = 0;

	(void)o;
	if (engine_cli_engine(cli, &e, err) < 0 || engine_diff(e, args[0], &v, &n, err) < 0)
		return -1;
	/* A name the container chose is printed escaped when it holds a
	 * newline, an escape sequence or another control (util/quote.h): a
	 * file named "x<newline>D /etc/passwd" cannot pass for a second
	 * line. */
	for (size_t i = 0; i < n; i++) {
		autofree char *name = quote_name(v[i].path);

		printf("%c %s\n", v[i].kind, name);
	}
	engine_changes_free(v, n);
	return 0;
}

const struct engine_cmd engine_cmd_diff = {
	.name = "diff",
	.args = "CONTAINER",
	.summary = "Inspect changes to files or directories on a container's filesystem",
	.notes =
	    "A name holding a control character (a newline, ESC, ...), a character Go's\n"
	    "strconv.IsPrint rejects or invalid UTF-8 is printed as Go's strconv.Quote\n"
	    "writes it: in double quotes, with \\n, \\t, \\x1b, \\u202e, \\xff escapes. Other\n"
	    "names are printed as they are; they begin with '/', a quoted one with '\"'.",
	.min_args = 1,
	.max_args = 1,
	.run = diff_run,
};

/* ---- export ---- */

struct export_cli {
	const char *output;
};

static const struct cli_opt export_table[] = {
	{ "output", 'o', CLI_OPT_STRING, offsetof(struct export_cli, output), "FILE",
	  "write to a file, instead of STDOUT" },
	CLI_OPT_END,
};

static int export_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct export_cli *x = o;
	struct engine *e;
	autooutput struct output_file out = OUTPUT_FILE_INIT;

	if (x->output != NULL && strcmp(x->output, "-") == 0)
		x->output = NULL;
	if (x->output == NULL && isatty(STDOUT_FILENO))
		return berth_err_set(err, 0,
				     "cowardly refusing to save to a terminal. Use the -o flag "
				     "or redirect");
	if (engine_cli_engine(cli, &e, err) < 0)
		return -1;
	if (x->output == NULL)
		return engine_export(e, args[0], STDOUT_FILENO, err);
	/* A failed export leaves no partial file under the asked name, and a
	 * FIFO or a device named there is written into (util/output.h). */
	if (output_file_open(&out, x->output, 0644, 0, err) < 0)
		return berth_err_wrap(err, "export");
	if (isatty(out.fd))
		return berth_err_set(err, 0,
				     "cowardly refusing to save to a terminal (%s). Redirect "
				     "instead",
				     x->output);
	if (engine_export(e, args[0], out.fd, err) < 0 || output_file_commit(&out, true, err) < 0)
		return -1;
	return 0;
}

const struct engine_cmd engine_cmd_export = {
	.name = "export",
	.args = "CONTAINER",
	.summary = "Export a container's filesystem as a tar archive",
	.notes = ENGINE_OUTPUT_NOTES,
	.opts = export_table,
	.opts_size = sizeof(struct export_cli),
	.min_args = 1,
	.max_args = 1,
	.run = export_run,
};

/* ---- commit ---- */

struct commit_cli {
	const char *author, *message;
	char **changes;
	bool pause;
};

static const struct cli_opt commit_table[] = {
	{ "author", 'a', CLI_OPT_STRING, offsetof(struct commit_cli, author), "STRING",
	  "author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")" },
	{ "change", 'c', CLI_OPT_STRV, offsetof(struct commit_cli, changes), "LIST",
	  "apply Dockerfile instruction to the created image" },
	{ "message", 'm', CLI_OPT_STRING, offsetof(struct commit_cli, message), "STRING",
	  "commit message" },
	{ "pause", 'p', CLI_OPT_BOOL, offsetof(struct commit_cli, pause), NULL,
	  "pause container during commit (default true)" },
	CLI_OPT_END,
};

static void commit_defaults(void *o)
{
	((struct commit_cli *)o)->pause = true;
}

static int commit_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct commit_cli *c = o;
	struct engine_commit_opts opts = {
		.author = c->author,
		.message = c->message,
		.changes = c->changes,
		.tag = args[1],
		.pause = c->pause,
	};
	struct engine *e;
	char id[DIGEST_STR_LEN + 1];

	if (engine_cli_engine(cli, &e, err) < 0 || engine_commit(e, args[0], &opts, id, err) < 0)
		return -1;
	printf("%s\n", id);
	return 0;
}

const struct engine_cmd engine_cmd_commit = {
	.name = "commit",
	.args = "CONTAINER [REPOSITORY[:TAG]]",
	.summary = "Create a new image from a container's changes",
	.opts = commit_table,
	.opts_size = sizeof(struct commit_cli),
	.min_args = 1,
	.max_args = 2,
	.defaults = commit_defaults,
	.run = commit_run,
};
