/* One binary, two faces: `berth ...` is the engine's command line, and the
 * same file invoked as `berth-runc` (a symlink) speaks runc's command line,
 * so containerd, podman and docker can use it as their OCI runtime. Only
 * this file prints errors: one line on stderr (controls escaped), and a log record when a log
 * file was asked for (containerd reads the runtime's failure from there). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/engine.h"
#include "cli/runtime.h"
#include "engine/engine.h"
#include "runtime/exeseal.h"
#include "util/err.h"
#include "util/log.h"
#include "util/quote.h"

static int berth_main(int argc, char **argv, struct berth_err *err)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (cmd == NULL)
		return engine_main(argc - 1, argv + 1, err);
	/* `berth version` is docker's Client/Server report (system-info.c). */
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-v") == 0) {
		printf("berth version %s\nspec: 1.2.0\n", BERTH_VERSION);
		return 0;
	}
	if (strcmp(cmd, "__monitor") == 0)
		return engine_monitor_main(argc - 2, argv + 2);
	if (strcmp(cmd, "__monitor-exit") == 0)
		return engine_monitor_exit_main(argc - 2, argv + 2);
	if (strcmp(cmd, "__health") == 0)
		return engine_health_main(argc - 2, argv + 2);
	if (strcmp(cmd, "runtime") == 0)
		return runtime_main("berth runtime", argc - 2, argv + 2, err);
	return engine_main(argc - 1, argv + 1, err);
}

int main(int argc, char **argv)
{
	struct berth_err err = { 0 };
	char *msg;
	const char *name = argc > 0 ? strrchr(argv[0], '/') : NULL;
	int r;

	name = name != NULL ? name + 1 : (argc > 0 ? argv[0] : "berth");
	if (argc > 0)
		exeseal_init(argv);
	if (strcmp(name, "berth-runc") == 0)
		r = runtime_main("berth-runc", argc - 1, argv + 1, &err);
	else
		r = berth_main(argc, argv, &err);
	if (fflush(stdout) != 0 && r >= 0) {
		berth_err_set(&err, 0, "write to stdout failed");
		r = -1;
	}
	if (r >= 0)
		return r;
	/* Messages name files a container or an archive chose: a newline or
	 * an escape sequence in one is printed escaped (util/quote.h). */
	msg = quote_controls(err.msg);
	fprintf(stderr, "berth: %s\n", msg);
	if (log_has_file())
		log_error("%s", msg);
	free(msg);
	return err.exit_status != 0 ? err.exit_status : 1;
}
