/* berth: the engine's command line, with the OCI runtime's as `berth
 * runtime ...` (berth-runc, main-runc.c, is the runtime alone). Only the
 * two mains print errors (exit.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/engine.h"
#include "cli/exit.h"
#include "cli/runtime.h"
#include "engine/engine.h"
#include "runtime/exeseal.h"
#include "util/err.h"

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

	if (argc > 0)
		exeseal_init(argv);
	return cli_exit(berth_main(argc, argv, &err), &err);
}
