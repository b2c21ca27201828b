/* berth load, save and import. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/engine.h"
#include "image/archive.h"
#include "image/reference.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/output.h"
#include "util/xalloc.h"

/* The input file, or stdin when none (refusing a terminal, as docker does). */
static int open_input(const char *path, const char *cmd, struct berth_err *err)
{
	int fd;

	if (path == NULL || strcmp(path, "-") == 0) {
		if (isatty(STDIN_FILENO))
			return berth_err_set(err, 0,
					     "%s: stdin is a terminal, not an archive: name a file "
					     "or redirect stdin",
					     cmd);
		return dup(STDIN_FILENO);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_err_set(err, errno, "%s: open %s", cmd, path);
	return fd;
}

struct load_opts {
	const char *input;
	bool quiet;
};

static const struct cli_opt load_table[] = {
	{ "input", 'i', CLI_OPT_STRING, offsetof(struct load_opts, input), "FILE",
	  "read from a tar archive file instead of stdin" },
	{ "quiet", 'q', CLI_OPT_BOOL, offsetof(struct load_opts, quiet), NULL,
	  "suppress the load's progress (what was loaded is still printed)" },
	CLI_OPT_END,
};

static int load_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct load_opts *opts = o;
	struct load_result res = { 0 };
	struct store *s;
	autoclose int fd = -1;
	const char *what = opts->input != NULL ? opts->input : "(stdin)";

	if (engine_store(cli, &s, err) < 0)
		return -1;
	fd = open_input(opts->input, "load", err);
	if (fd < 0)
		return -1;
	if (image_load(s, fd, what, &res, err) < 0)
		return -1;
	/* -q quiets only progress, of which there is none: docker prints
	 * what it loaded either way. */
	for (size_t i = 0; res.names != NULL && res.names[i] != NULL; i++) {
		autofree char *name = image_ref_familiar_name(res.names[i]);

		printf("Loaded image: %s\n", name);
	}
	for (size_t i = 0; res.ids != NULL && res.ids[i] != NULL; i++)
		printf("Loaded image ID: %s\n", res.ids[i]);
	load_result_clear(&res);
	return 0;
}

const struct engine_cmd engine_cmd_load = {
	.name = "load",
	.args = "",
	.summary = "Load images from a tar archive (docker-archive or OCI layout) or stdin",
	.opts = load_table,
	.opts_size = sizeof(struct load_opts),
	.min_args = 0,
	.max_args = 0,
	.run = load_run,
};

struct save_opts {
	const char *output;
	const char *format;
};

static const struct cli_opt save_table[] = {
	{ "output", 'o', CLI_OPT_STRING, offsetof(struct save_opts, output), "FILE",
	  "write to a file instead of stdout" },
	{ "format", 0, CLI_OPT_STRING, offsetof(struct save_opts, format), "FORMAT",
	  "docker-archive (default) or oci-archive" },
	CLI_OPT_END,
};

static int save_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct save_opts *opts = o;
	enum save_format fmt;
	struct store *s;
	autooutput struct output_file out = OUTPUT_FILE_INIT;

	if (save_format_parse(opts->format, &fmt, err) < 0)
		return berth_err_wrap(err, "save");
	if (opts->output != NULL && strcmp(opts->output, "-") == 0)
		opts->output = NULL;
	if (opts->output == NULL && isatty(STDOUT_FILENO))
		return berth_err_set(err, 0,
				     "cowardly refusing to save to a terminal. Use the -o "
				     "flag or redirect");
	if (engine_store(cli, &s, err) < 0)
		return -1;
	if (opts->output == NULL) {
		if (image_save(s, args, fmt, STDOUT_FILENO, err) < 0)
			return berth_err_wrap(err, "save");
		return 0;
	}
	/* A failed save leaves no partial file under the asked name, and a
	 * FIFO or a device named there is written into (util/output.h). */
	if (output_file_open(&out, opts->output, 0644, 0, err) < 0)
		return berth_err_wrap(err, "save");
	if (isatty(out.fd))
		return berth_err_set(err, 0,
				     "cowardly refusing to save to a terminal (%s). Redirect "
				     "instead",
				     opts->output);
	if (image_save(s, args, fmt, out.fd, err) < 0 || output_file_commit(&out, false, err) < 0)
		return berth_err_wrap(err, "save");
	return 0;
}

const struct engine_cmd engine_cmd_save = {
	.name = "save",
	.args = "IMAGE [IMAGE...]",
	.summary = "Save one or more images to a tar archive (stdout by default)",
	.notes = ENGINE_OUTPUT_NOTES,
	.opts = save_table,
	.opts_size = sizeof(struct save_opts),
	.min_args = 1,
	.max_args = -1,
	.run = save_run,
};

struct import_cli_opts {
	char **changes;
	const char *message;
	const char *platform;
};

static const struct cli_opt import_table[] = {
	{ "change", 'c', CLI_OPT_STRV, offsetof(struct import_cli_opts, changes), "INSTRUCTION",
	  "apply a Dockerfile instruction to the image (CMD, ENTRYPOINT, ENV, EXPOSE, "
	  "HEALTHCHECK, LABEL, "
	  "STOPSIGNAL, USER, VOLUME, WORKDIR)" },
	{ "message", 'm', CLI_OPT_STRING, offsetof(struct import_cli_opts, message), "TEXT",
	  "commit message for the imported image" },
	{ "platform", 0, CLI_OPT_STRING, offsetof(struct import_cli_opts, platform), "OS/ARCH",
	  "accepted for compatibility: only this host's platform" },
	CLI_OPT_END,
};

static int import_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct import_cli_opts *opts = o;
	struct import_opts io = {
		.source = args[0],
		.message = opts->message,
		.changes = opts->changes,
		.tag = args[1],
	};
	char id[DIGEST_STR_LEN + 1];
	struct store *s;
	autoclose int fd = -1;

	if (opts->platform != NULL && strcmp(opts->platform, "linux") != 0 &&
	    strncmp(opts->platform, "linux/", 6) != 0)
		return berth_err_set(err, 0, "import: unsupported platform %s", opts->platform);
	if (strstr(args[0], "://") != NULL)
		return berth_err_set(err, 0, "import: importing from a URL is not supported: %s",
				     args[0]);
	if (engine_store(cli, &s, err) < 0)
		return -1;
	fd = open_input(args[0], "import", err);
	if (fd < 0)
		return -1;
	if (image_import(s, fd, &io, id, err) < 0)
		return -1;
	printf("%s\n", id);
	return 0;
}

const struct engine_cmd engine_cmd_import = {
	.name = "import",
	.args = "FILE|- [REPOSITORY[:TAG]]",
	.summary = "Import the contents of a tarball to create a filesystem image",
	.opts = import_table,
	.opts_size = sizeof(struct import_cli_opts),
	.min_args = 1,
	.max_args = 2,
	.run = import_run,
};
