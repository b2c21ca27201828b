/* What happens at boot: containers whose restart policy asks for it are
 * started again (`berth system boot`, run by the berth-boot systemd unit).
 * The monitors died with the host; engine_list's refresh has already
 * marked their containers exited (255, with the reason), so the rules
 * are docker's for a daemon that starts:
 *   always          started, even after a user stopped it
 *   unless-stopped  started unless a user stopped it
 *   on-failure[:N]  started when it was running when the host went down
 *                   (its policy had not given up on it)
 *   no              left alone */
#include <string.h>

#include "engine/engine-internal.h"
#include "util/err.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

static bool wants_start(const struct engine_container *c)
{
	const char *name = engine_restart_policy(c, NULL);

	if (c->state != ENGINE_EXITED)
		return false;
	if (strcmp(name, "always") == 0)
		return true;
	if (strcmp(name, "unless-stopped") == 0)
		return !c->manually_stopped;
	if (strcmp(name, "on-failure") == 0)
		return !c->manually_stopped && c->error != NULL &&
		       strcmp(c->error, ENGINE_MONITOR_LOST) == 0;
	return false;
}

int engine_boot(struct engine *e, char ***started, char ***failed, struct berth_err *err)
{
	struct engine_container *v = NULL;
	size_t n = 0;

	if (engine_list(e, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct berth_err one = { 0 };

		if (!wants_start(&v[i]))
			continue;
		if (engine_start(e, v[i].id, -1, &one) == 0)
			strv_push(started, v[i].name);
		else
			strv_push_take(failed, xasprintf("%s: %s", v[i].name, one.msg));
	}
	engine_containers_free(v, n);
	return 0;
}
