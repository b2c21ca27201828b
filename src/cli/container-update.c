/* update: docker's `update`, a container's limits and restart policy,
 * running or stopped (engine/container-update.c). Prints each container
 * as given once it is updated, as docker does; exits 1 if any failed. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli/create-resources.h"
#include "cli/engine.h"
#include "engine/engine.h"
#include "util/err.h"

struct update_cli {
	struct create_resources_cli res;
	const char *restart;
	struct engine_update_opts u; /* filled once the flags are read */
};

static const struct cli_opt update_table[] = {
	{ "memory", 'm', CLI_OPT_STRING, offsetof(struct update_cli, res.memory), "BYTES",
	  "memory limit (e.g. 512m, 1g)" },
	{ "memory-swap", 0, CLI_OPT_STRING, offsetof(struct update_cli, res.memory_swap), "BYTES",
	  "memory plus swap limit, -1 for unlimited swap" },
	{ "memory-reservation", 0, CLI_OPT_STRING,
	  offsetof(struct update_cli, res.memory_reservation), "BYTES", "memory soft limit" },
	{ "cpus", 0, CLI_OPT_STRING, offsetof(struct update_cli, res.cpus), "N",
	  "number of cpus (e.g. 1.5)" },
	{ "cpu-shares", 'c', CLI_OPT_STRING, offsetof(struct update_cli, res.cpu_shares), "N",
	  "relative cpu weight" },
	{ "cpuset-cpus", 0, CLI_OPT_STRING, offsetof(struct update_cli, res.cpuset_cpus), "LIST",
	  "cpus to run on (0-3, 0,1)" },
	{ "cpuset-mems", 0, CLI_OPT_STRING, offsetof(struct update_cli, res.cpuset_mems), "LIST",
	  "memory nodes to allocate on (0-3, 0,1)" },
	{ "pids-limit", 0, CLI_OPT_STRING, offsetof(struct update_cli, res.pids_limit), "N",
	  "at most N processes, -1 for unlimited" },
	{ "restart", 0, CLI_OPT_STRING, offsetof(struct update_cli, restart), "POLICY",
	  "no, on-failure[:N], always or unless-stopped" },
	CLI_OPT_END,
};

static int update_one(struct engine *e, const char *what, void *o, struct berth_err *err)
{
	const struct update_cli *c = o;

	if (engine_update_container(e, what, &c->u, err) < 0)
		return -1;
	printf("%s\n", what);
	return 0;
}

static int update_run(struct engine_cli *cli, void *o, char **args, struct berth_err *err)
{
	struct update_cli *c = o;
	struct engine_create_opts parsed = { 0 };
	const struct {
		const char *flag;
		unsigned bit;
	} given[] = {
		{ c->res.memory, ENGINE_UPDATE_MEMORY },
		{ c->res.memory_swap, ENGINE_UPDATE_SWAP },
		{ c->res.memory_reservation, ENGINE_UPDATE_RESERVATION },
		{ c->res.cpus, ENGINE_UPDATE_CPUS },
		{ c->res.cpu_shares, ENGINE_UPDATE_SHARES },
		{ c->res.cpuset_cpus, ENGINE_UPDATE_CPUSET_CPUS },
		{ c->res.cpuset_mems, ENGINE_UPDATE_CPUSET_MEMS },
		{ c->res.pids_limit, ENGINE_UPDATE_PIDS },
	};

	for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++)
		if (given[i].flag != NULL)
			c->u.given |= given[i].bit;
	/* docker's client: 1 for this, 125 for a flag value it cannot read */
	if (c->u.given == 0 && c->restart == NULL)
		return berth_err_set(err, 0,
				     "you must provide one or more flags when using this command");
	if (create_resources_parse(&c->res, &parsed, err) < 0) {
		err->exit_status = 125;
		return -1;
	}
	if (create_parse_restart(c->restart, false, &c->u.restart_policy, &c->u.restart_max, err) <
	    0)
		return -1;
	c->u.res = parsed.res;
	return engine_cli_each(cli, args, update_one, o, false, err);
}

const struct engine_cmd engine_cmd_update = {
	.name = "update",
	.args = "CONTAINER [CONTAINER...]",
	.summary = "Update the resource limits and restart policy of one or more containers",
	.notes = "A running container's cgroup changes at once; a stopped one's limits apply "
		 "from its next start.\n",
	.opts = update_table,
	.opts_size = sizeof(struct update_cli),
	.min_args = 1,
	.max_args = -1,
	.err_status = 1,
	.run = update_run,
};
