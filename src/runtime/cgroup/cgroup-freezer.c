/* The freezer and what rests on it: freezing and thawing a container's
 * cgroup (v1's freezer hierarchy where one is mounted, else cgroup2's
 * cgroup.freeze), telling whether it is frozen, refusing a frozen one at
 * create, and signalling every process of it (frozen meanwhile, so no
 * task forks past the list). */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "runtime/cgroup/cgroup-internal.h"
#include "runtime/cgroup/cgroup.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/log.h"
#include "util/xalloc.h"

/* The freezer in use: v1's freezer hierarchy when mounted (v1, hybrid),
 * else the cgroup2 directory's cgroup.freeze. */
static struct cgroup_hier *freezer_hier(struct cgroup *cg, bool *v1)
{
	struct cgroup_hier *h = cg->mode != CGROUP_MODE_V2 ? cgroup_hier_for(cg, "freezer") : NULL;

	*v1 = h != NULL;
	return h ? h : cgroup_hier_unified(cg);
}

static bool v2_frozen(const char *dir, bool want)
{
	uint64_t f;

	if (cgroup_read_keyed(dir, "cgroup.events", "frozen", &f) < 0)
		return false;
	return (f == 1) == want;
}

int cgroup_freeze(struct cgroup *cg, bool frozen, struct berth_err *err)
{
	bool v1;
	struct cgroup_hier *h = freezer_hier(cg, &v1);
	const char *want = v1 ? (frozen ? "FROZEN" : "THAWED") : (frozen ? "1" : "0");
	const char *file = v1 ? "freezer.state" : "cgroup.freeze";

	if (h == NULL)
		return berth_err_set(err, ENOENT, "cgroup controller \"freezer\" is not mounted");
	/* A v1 freeze can stall in FREEZING while a task sits in an
	 * uninterruptible sleep; writing FROZEN again retries it. v2 settles on
	 * its own and reports through cgroup.events. About 5 s in all. */
	for (int i = 0; i < 1000; i++) {
		if (i % 50 == 0 && cgroup_write_at(h->path, file, want, err) < 0)
			return berth_err_wrap(err, "%s", h->path);
		if (v1) {
			autofree char *state = NULL;
			if (cgroup_read_at(h->path, "freezer.state", &state, err) < 0)
				return -1;
			if (strcmp(state, want) == 0)
				return 0;
		} else if (v2_frozen(h->path, frozen)) {
			return 0;
		}
		cgroup_sleep_ms(i < 10 ? 1 : 5);
	}
	if (frozen) {
		struct berth_err e;
		cgroup_write_at(h->path, file, v1 ? "THAWED" : "0", &e);
	}
	return berth_err_set(err, ETIMEDOUT, "%s: %s did not settle", h->path,
			     frozen ? "freeze" : "thaw");
}

bool cgroup_is_frozen(struct cgroup *cg)
{
	bool v1;
	struct cgroup_hier *h = freezer_hier(cg, &v1);
	autofree char *s = NULL;
	struct berth_err e;

	if (h == NULL)
		return false;
	if (!v1)
		return v2_frozen(h->path, true);
	if (cgroup_read_at(h->path, "freezer.state", &s, &e) < 0)
		return false;
	return strcmp(s, "FROZEN") == 0;
}

int cgroup_check_thawed(struct cgroup *cg, struct berth_err *err)
{
	struct cgroup_hier *f = cg->mode != CGROUP_MODE_V2 ? cgroup_hier_for(cg, "freezer") : NULL;
	struct cgroup_hier *u = cgroup_hier_unified(cg);
	autofree char *state = NULL;
	uint64_t v = 0;
	struct berth_err e;
	bool frozen = false;

	/* v1: FROZEN or FREEZING (a frozen parent shows in its children) */
	if (f != NULL && cgroup_read_at(f->path, "freezer.state", &state, &e) == 0)
		frozen = strcmp(state, "THAWED") != 0;
	/* v2: asked to freeze, or frozen by an ancestor (cgroup.events) */
	if (!frozen && u != NULL)
		frozen = (cgroup_read_u64(u->path, "cgroup.freeze", &v, &e) == 0 && v != 0) ||
			 (cgroup_read_keyed(u->path, "cgroup.events", "frozen", &v) == 0 && v != 0);
	if (frozen)
		return berth_err_set(err, 0, "container's cgroup unexpectedly frozen");
	return 0;
}

int cgroup_kill_all(struct cgroup *cg, int sig, struct berth_err *err)
{
	struct cgroup_hier *u = cgroup_hier_unified(cg);
	autofree pid_t *pids = NULL;
	size_t n;
	bool froze;
	struct berth_err e;

	/* cgroup.kill (Linux 5.14) kills the whole tree atomically, new
	 * forks included, but only with SIGKILL. */
	if (sig == SIGKILL && u != NULL && cgroup_file_exists(u->path, "cgroup.kill"))
		return cgroup_write_at(u->path, "cgroup.kill", "1", err) < 0
			   ? berth_err_wrap(err, "%s", u->path)
			   : 0;
	/* Otherwise freeze so no task forks past the pid list, signal each,
	 * thaw (a stopped/killed task acts on the signal once thawed). */
	froze = cgroup_freeze(cg, true, &e) == 0;
	if (cgroup_pids(cg, &pids, &n, err) < 0) {
		if (froze)
			cgroup_freeze(cg, false, &e);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (pids[i] > 0 && kill(pids[i], sig) < 0 && errno != ESRCH)
			log_warn("cgroup: kill %d: %s", (int)pids[i], strerror(errno));
	if (froze && cgroup_freeze(cg, false, err) < 0)
		return -1;
	return 0;
}
