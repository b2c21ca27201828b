/* `update`: a container's limits and restart policy, running or not, as
 * docker's. The limits given replace the recorded ones (HostConfig in the
 * row, linux.resources of the OCI config a start runs); a running
 * container's cgroup gets them first, through the runtime's update, so a
 * limit the kernel refuses (memory below what is in use) changes
 * nothing. The restart policy is read by the monitor when the container
 * exits, so a new one applies from the next exit on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine-internal.h"
#include "engine/ocispec-resources.h"
#include "runtime/cgroup/resources.h"
#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/xalloc.h"

/* The given fields of u over the recorded ones of c, with docker's check
 * of a memory limit against a swap limit already set. */
static int merge(const struct engine_container *c, const struct engine_update_opts *u,
		 struct ocispec_resources *r, struct berth_err *err)
{
	const struct ocispec_resources *g = &u->res;
	int64_t old_swap;

	ocispec_resources_from_record(c->config, r);
	old_swap = r->memory_swap;
	if (u->given & ENGINE_UPDATE_MEMORY) {
		if (!(u->given & ENGINE_UPDATE_SWAP) && old_swap > 0 && g->memory > old_swap)
			return berth_err_set(err, 0,
					     "Memory limit should be smaller than already set "
					     "memoryswap limit, update the memoryswap at the same "
					     "time");
		r->memory = g->memory;
	}
	if (u->given & ENGINE_UPDATE_SWAP)
		r->memory_swap = g->memory_swap;
	if (u->given & ENGINE_UPDATE_RESERVATION)
		r->memory_reservation = g->memory_reservation;
	if (u->given & ENGINE_UPDATE_CPUS)
		r->nano_cpus = g->nano_cpus;
	if (u->given & ENGINE_UPDATE_SHARES)
		r->cpu_shares = g->cpu_shares;
	if (u->given & ENGINE_UPDATE_CPUSET_CPUS)
		r->cpuset_cpus = g->cpuset_cpus;
	if (u->given & ENGINE_UPDATE_CPUSET_MEMS)
		r->cpuset_mems = g->cpuset_mems;
	if (u->given & ENGINE_UPDATE_PIDS)
		r->pids_limit = g->pids_limit != 0 ? g->pids_limit : -1;
	return ocispec_resources_check(r, err);
}

/* The running container's cgroup: linux.resources of the new spec,
 * through the runtime's update. */
static int update_cgroup(struct engine *e, const char *id, json_object *spec, struct berth_err *err)
{
	struct runtime_ctx ctx = engine_runtime_ctx(e);
	struct cgroup_resources *res = NULL;
	json_object *linux_obj = NULL, *resources = NULL, *only;
	int r;

	if (!json_object_object_get_ex(spec, "linux", &linux_obj) ||
	    !json_object_object_get_ex(linux_obj, "resources", &resources))
		return 0;
	/* Only what update changes: the devices rules stay as they are. */
	only = json_object_new_object();
	for (const char *const *k = (const char *const[]){ "memory", "cpu", "pids", NULL }; *k;
	     k++) {
		json_object *v = NULL;

		if (json_object_object_get_ex(resources, *k, &v))
			json_object_object_add(only, *k, json_object_get(v));
	}
	r = cgroup_resources_parse(only, "linux.resources", &res, err);
	if (r == 0)
		r = container_update(&ctx, id, res, err);
	cgroup_resources_free(res);
	json_object_put(only);
	return r;
}

int engine_update_container(struct engine *e, const char *what, const struct engine_update_opts *u,
			    struct berth_err *err)
{
	struct engine_container c = { 0 };
	struct ocispec_resources r = { 0 };
	autojson json_object *spec = NULL;
	autofree char *spec_text = NULL;
	bool auto_remove = false;
	struct berth_err ignored;
	int ret = -1;

	if (engine_lookup(e, what, &c, err) < 0)
		return -1;
	json_get_bool(c.config, "AutoRemove", NULL, &auto_remove, &ignored);
	if (u->restart_policy != NULL && strcmp(u->restart_policy, "no") != 0 && auto_remove) {
		berth_err_set(
		    err, 0,
		    "Cannot update container %s: Restart policy cannot be updated because "
		    "AutoRemove is enabled for the container",
		    c.id);
		goto out;
	}
	if (merge(&c, u, &r, err) < 0) {
		berth_err_wrap(err, "Cannot update container %s", c.id);
		goto out;
	}
	if (engine_container_spec(e, c.id, &spec_text, err) < 0)
		goto out;
	if (spec_text != NULL) {
		if (json_parse_text(spec_text, strlen(spec_text), "container config", &spec, err) <
		    0)
			goto out;
		ocispec_resources_limits(&r, spec);
	}
	/* The cgroup first: what the kernel refuses changes nothing. */
	if (c.state == ENGINE_RUNNING && spec != NULL && update_cgroup(e, c.id, spec, err) < 0) {
		berth_err_wrap(err, "Cannot update container %s", c.id);
		goto out;
	}
	ocispec_resources_record_limits(&r, c.config);
	if (u->restart_policy != NULL) {
		json_object *policy = json_object_new_object();

		json_object_object_add(policy, "Name", json_object_new_string(u->restart_policy));
		json_object_object_add(policy, "MaximumRetryCount",
				       json_object_new_int(u->restart_max));
		json_object_object_add(c.config, "RestartPolicy", policy);
	}
	ret = engine_record_config_spec(
	    e, c.id, c.config,
	    spec != NULL ? json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PLAIN) : NULL,
	    err);
out:
	engine_container_clear(&c);
	return ret;
}
