/* berth-runc: Berth's OCI runtime on its own, runc's command line under
 * whatever name it is given. Engines install a runtime under a name and a
 * path of their own (containerd's and docker's `runc`, podman's
 * --runtime PATH), so this program never looks at its name. It links the
 * runtime layer only: no store, no SQLite, no libarchive, which also keeps
 * what each `create` maps small. (`berth runtime ...` is the same command
 * line inside the engine's binary.) */
#include "cli/exit.h"
#include "cli/runtime.h"
#include "runtime/exeseal.h"
#include "util/err.h"

int main(int argc, char **argv)
{
	struct berth_err err = { 0 };

	if (argc > 0)
		exeseal_init(argv);
	return cli_exit(runtime_main("berth-runc", argc > 0 ? argc - 1 : 0, argv + (argc > 0), &err),
			&err);
}
