/* Stopping a container and taking it away: kill (a signal, through the
 * runtime), stop (the stop signal, then SIGKILL after the timeout), wait
 * (for the exit the monitor records) and remove (forced: stopped first;
 * with its snapshot, run directory, runtime state and, for --rm or -v, its
 * anonymous volumes). Stop and kill also tell the restart policy to leave
 * the container alone. The rows themselves are container.c's. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/container-mounts.h"
#include "engine/engine-internal.h"
#include "image/store.h"
#include "runtime/container.h"
#include "runtime/signals.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strv.h"

/* Stop and kill tell the restart policy to leave the container alone
 * (docker's HasBeenManuallyStopped); a monitor sleeping before a restart
 * is woken to see it. */
static void mark_stopped(struct engine *e, const struct engine_container *c)
{
	struct berth_err ignored;

	engine_update(e, c->id, "manually_stopped = 1", 0, 0, 0, NULL, &ignored);
	if (c->state == ENGINE_RESTARTING && c->monitor_pid > 0)
		kill(c->monitor_pid, SIGUSR1);
	/* docker unpauses what it stops or kills: a frozen process cannot
	 * act on the signal, not even die of SIGKILL. */
	if (c->paused) {
		struct runtime_ctx ctx = engine_runtime_ctx(e);

		container_resume(&ctx, c->id, &ignored);
	}
}

static int stop_signal(const struct engine_container *c, struct berth_err *err)
{
	const char *signame = NULL;
	int sig;

	if (json_get_string(c->config, "StopSignal", NULL, &signame, err) != 1 || !signame[0])
		return SIGTERM;
	sig = signal_parse(signame);
	if (sig <= 0)
		return berth_err_set(err, 0, "invalid stop signal %s", signame);
	return sig;
}

int engine_kill(struct engine *e, const char *what, int sig, struct berth_err *err)
{
	struct engine_container c = { 0 };
	struct runtime_ctx ctx = engine_runtime_ctx(e);
	int r;

	if (engine_lookup(e, what, &c, err) < 0)
		return -1;
	if (c.state != ENGINE_RUNNING && c.state != ENGINE_RESTARTING) {
		berth_err_set(err, 0, "Cannot kill container: %s: container %.12s is not running",
			      what, c.id);
		engine_container_clear(&c);
		return -1;
	}
	if (sig == SIGKILL || sig == stop_signal(&c, err))
		mark_stopped(e, &c);
	r = c.state == ENGINE_RESTARTING ? 0 : container_kill(&ctx, c.id, sig, false, err);
	engine_container_clear(&c);
	return r;
}

/* Polls until the container is no longer running (nor, with settled,
 * waiting to restart), at most timeout_ms (-1: forever). 1 stopped, 0
 * still running. */
static int wait_exited(struct engine *e, const char *id, bool settled, int timeout_ms, int *code,
		       struct berth_err *err)
{
	for (int waited = 0;; waited += 20) {
		struct engine_container c = { 0 };
		enum engine_state st;

		if (engine_lookup(e, id, &c, err) < 0) {
			/* Gone while we waited for it to stop: a --rm
			 * container's monitor removed it. It has stopped. */
			if (settled && code == NULL && err->code == ENOENT) {
				berth_err_clear(err);
				return 1;
			}
			return -1;
		}
		st = c.state;
		if (code != NULL)
			*code = c.exit_code;
		engine_container_clear(&c);
		if (st != ENGINE_RUNNING && (!settled || st != ENGINE_RESTARTING))
			return 1;
		if (timeout_ms >= 0 && waited >= timeout_ms)
			return 0;
		usleep(20000);
	}
}

int engine_stop(struct engine *e, const char *what, int timeout, struct berth_err *err)
{
	struct engine_container c = { 0 };
	struct runtime_ctx ctx = engine_runtime_ctx(e);
	int sig, r;

	if (engine_lookup(e, what, &c, err) < 0)
		return -1;
	if (c.state != ENGINE_RUNNING && c.state != ENGINE_RESTARTING) {
		engine_container_clear(&c);
		return 0; /* docker: stopping a stopped container succeeds */
	}
	sig = stop_signal(&c, err);
	if (sig < 0) {
		engine_container_clear(&c);
		return -1;
	}
	if (timeout < 0) {
		int64_t t = -1;

		json_get_int64(c.config, "StopTimeout", NULL, &t, err);
		timeout = t >= 0 && t <= INT_MAX ? (int)t : 10;
	}
	mark_stopped(e, &c);
	if (c.state == ENGINE_RUNNING)
		container_kill(&ctx, c.id, sig, false, err);
	/* Past 24 days in milliseconds an int overflows: that long is forever. */
	r = wait_exited(e, c.id, true, timeout <= INT_MAX / 1000 ? timeout * 1000 : -1, NULL, err);
	if (r == 0) {
		container_kill(&ctx, c.id, SIGKILL, false, err);
		r = wait_exited(e, c.id, true, -1, NULL, err);
	}
	engine_container_clear(&c);
	return r < 0 ? -1 : 0;
}

int engine_wait(struct engine *e, const char *what, int *exit_code, struct berth_err *err)
{
	struct engine_container c = { 0 };
	int r;

	if (engine_lookup(e, what, &c, err) < 0)
		return -1;
	r = wait_exited(e, c.id, false, -1, exit_code, err);
	engine_container_clear(&c);
	return r < 0 ? -1 : 0;
}

/* volumes: 1 removes the anonymous volumes, 0 keeps them, -1 removes them
 * when the container was run with --rm (docker's auto-remove does). */
/* remove_container's flags. DEFER: the directories are only moved aside
 * (to *trash, for the caller to delete once it has answered). HANDED_OVER:
 * the init has exited and its monitor waits for the caller (an attached
 * `run --rm`, monitor_io_hand_over), which only takes the container out
 * of the store; the monitor then deletes the runtime's state and what was
 * moved aside. */
enum { REMOVE_FORCE = 1, REMOVE_DEFER = 2, REMOVE_HANDED_OVER = 4 };

static int remove_container(struct engine *e, const char *what, unsigned flags, int volumes,
			    char ***trash, struct berth_err *err);

int engine_remove(struct engine *e, const char *what, bool force, struct berth_err *err)
{
	return remove_container(e, what, force ? REMOVE_FORCE : 0, -1, NULL, err);
}

int engine_remove_deferred(struct engine *e, const char *id, char ***trash, struct berth_err *err)
{
	return remove_container(e, id, REMOVE_DEFER, -1, trash, err);
}

int engine_remove_volumes(struct engine *e, const char *what, bool force, struct berth_err *err)
{
	return remove_container(e, what, force ? REMOVE_FORCE : 0, 1, NULL, err);
}

int engine_remove_handed_over(struct engine *e, const char *id, struct berth_err *err)
{
	autostrv char **trash = NULL;

	return remove_container(e, id, REMOVE_DEFER | REMOVE_HANDED_OVER, -1, &trash, err);
}

static int remove_container(struct engine *e, const char *what, unsigned flags, int volumes,
			    char ***trash, struct berth_err *err)
{
	autofree char *snap_trash = NULL;
	struct engine_container c = { 0 };
	struct runtime_ctx ctx = engine_runtime_ctx(e);
	autofree char *dir = NULL;
	int r = -1;

	if (engine_lookup(e, what, &c, err) < 0)
		return -1;
	if (flags & REMOVE_HANDED_OVER) {
		bool auto_remove = false;

		json_get_bool(c.config, "AutoRemove", NULL, &auto_remove, err);
		berth_err_clear(err);
		if (!auto_remove || strcmp(engine_restart_policy(&c, NULL), "no") != 0 ||
		    c.state != ENGINE_RUNNING) {
			berth_err_set(err, EAGAIN, "container %.12s: not a --rm container that ran",
				      c.id);
			goto out;
		}
	} else if (c.state == ENGINE_RUNNING || c.state == ENGINE_RESTARTING) {
		if (!(flags & REMOVE_FORCE)) {
			berth_err_set(err, 0,
				      "cannot remove container \"/%s\": container is %s: stop the "
				      "container before removing or force remove",
				      c.name, engine_state_name(c.state));
			err->code = EBUSY;
			goto out;
		}
		mark_stopped(e, &c);
		if (c.state == ENGINE_RUNNING)
			container_kill(&ctx, c.id, SIGKILL, false, err);
		if (wait_exited(e, c.id, true, 10000, NULL, err) <= 0)
			goto out;
	}
	/* Runtime state and a run directory a dead monitor left. */
	if (!(flags & REMOVE_HANDED_OVER)) {
		autofree char *run_dir = engine_run_dir(e, c.id);

		container_delete(&ctx, c.id, true, err);
		engine_run_dir_remove(run_dir);
		berth_err_clear(err);
	}
	/* Handed over, even the unmount waits for the monitor. */
	if (((flags & REMOVE_HANDED_OVER)
		 ? store_snapshot_forget(e->store, c.id, &snap_trash, err)
		 : store_snapshot_discard(e->store, c.id,
					  (flags & REMOVE_DEFER) ? &snap_trash : NULL, err)) < 0 &&
	    err->code != ENOENT)
		goto out;
	if (snap_trash != NULL)
		strv_push_take(trash, steal_ptr(snap_trash));
	dir = engine_container_dir(e, c.id);
	if (volumes < 0) {
		bool auto_remove = false;

		json_get_bool(c.config, "AutoRemove", NULL, &auto_remove, err);
		berth_err_clear(err);
		volumes = auto_remove;
	}
	/* Before the row goes: whoever sees the container gone sees its
	 * anonymous volumes gone too. */
	if (volumes > 0 && engine_mounts_remove_anonymous(e->store, c.id, c.config, err) < 0)
		goto out;
	engine_mounts_release(e->store, c.id, c.config);
	if (flags & REMOVE_DEFER) {
		char *to = store_trash_path(e->store, "container", c.id);

		if (rename(dir, to) == 0)
			strv_push_take(trash, to);
		else
			free(to);
	}
	if (fs_rm_rf(dir, err) < 0 || engine_delete_row(e, c.id, err) < 0)
		goto out;
	r = 0;
out:
	engine_container_clear(&c);
	return r;
}
