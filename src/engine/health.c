/* Health checks, as docker's (daemon/health.go): a container's
 * Config.Healthcheck (the image's HEALTHCHECK under the --health-*
 * flags), probed by its monitor, the result kept in its row as docker's
 * State.Health.
 *
 * The monitor's event loop only keeps time: every interval it runs
 * `berth __health ROOT DRIVER RUN_ROOT ID` (engine_health_main) and reads
 * the new status from its exit status, which picks the next interval. A
 * probe is a process of its own, so the monitor stays small: it reads the
 * container's row, runs the test through the runtime's exec (with the
 * container's own user, environment and working directory, as docker's),
 * keeps the first 4096 bytes of its output, kills it at the timeout,
 * records the result, and acts on an unhealthy container as
 * --health-on-failure says. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine-internal.h"
#include "image/store-internal.h"
#include "image/store.h"
#include "runtime/container.h"
#include "runtime/signals.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/human.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* docker's defaults and bounds (api/types/container, daemon/health.go) */
#define NS_PER_SEC             1000000000LL
#define DEFAULT_INTERVAL       (30 * NS_PER_SEC)
#define DEFAULT_TIMEOUT        (30 * NS_PER_SEC)
#define DEFAULT_START_INTERVAL (5 * NS_PER_SEC)
#define DEFAULT_RETRIES        3
#define MIN_DURATION           1000000LL /* 1ms */
#define MAX_OUTPUT             4096
#define MAX_LOG_ENTRIES        5

enum { HEALTH_HEALTHY = 0, HEALTH_UNHEALTHY = 1, HEALTH_STARTING = 2, HEALTH_SKIPPED = 3 };

/* ---- the config ---- */

static const char *const on_failure_actions[] = { "none", "kill", "restart", "stop", NULL };

static int64_t field_ns(json_object *hc, const char *key)
{
	struct berth_err ignored;
	int64_t v = 0;

	if (hc != NULL)
		json_get_int64(hc, key, NULL, &v, &ignored);
	return v;
}

static int check_duration(const char *what, int64_t ns, struct berth_err *err)
{
	char buf[32];

	if (ns != 0 && ns < MIN_DURATION)
		return berth_err_set(err, 0, "%s in Healthcheck cannot be less than %s", what,
				     human_go_duration(MIN_DURATION, buf));
	return 0;
}

int engine_health_config(const struct engine_health_opts *o, json_object *image_config,
			 json_object **out, struct berth_err *err)
{
	static const char *const durations[] = { "Interval", "Timeout", "StartPeriod",
						 "StartInterval" };
	const int64_t given[] = { o->interval_ns, o->timeout_ns, o->start_period_ns,
				  o->start_interval_ns };
	json_object *image_hc = NULL, *cfg = NULL, *hc, *test = NULL;
	bool any = o->cmd != NULL || o->none || o->retries != 0;

	*out = NULL;
	if (o->on_failure != NULL && !strv_contains((char **)on_failure_actions, o->on_failure))
		return berth_err_set(
		    err, 0, "invalid --health-on-failure %s: want none, kill, restart or stop",
		    o->on_failure);
	for (size_t i = 0; i < ARRAY_SIZE(given); i++) {
		if (check_duration(durations[i], given[i], err) < 0)
			return -1;
		any |= given[i] != 0;
	}
	if (o->retries < 0)
		return berth_err_set(err, 0, "Retries in Healthcheck cannot be negative");
	if (image_config != NULL && json_object_object_get_ex(image_config, "config", &cfg))
		json_object_object_get_ex(cfg, "Healthcheck", &image_hc);
	if (image_hc != NULL && !json_object_is_type(image_hc, json_type_object))
		image_hc = NULL;
	if (!any && image_hc == NULL)
		return 0;
	/* docker's merge: each field the container leaves unset is the
	 * image's. */
	hc = json_object_new_object();
	if (o->none) {
		test = json_object_new_array();
		json_object_array_add(test, json_object_new_string("NONE"));
	} else if (o->cmd != NULL) {
		test = json_object_new_array();
		json_object_array_add(test, json_object_new_string("CMD-SHELL"));
		json_object_array_add(test, json_object_new_string(o->cmd));
	} else if (image_hc != NULL && json_object_object_get_ex(image_hc, "Test", &test)) {
		test = json_object_get(test);
	}
	if (test != NULL)
		json_object_object_add(hc, "Test", test);
	for (size_t i = 0; i < ARRAY_SIZE(given); i++) {
		int64_t v = given[i] != 0 ? given[i] : field_ns(image_hc, durations[i]);

		if (v != 0)
			json_object_object_add(hc, durations[i], json_object_new_int64(v));
	}
	{
		int64_t retries = o->retries != 0 ? o->retries : field_ns(image_hc, "Retries");

		if (retries != 0)
			json_object_object_add(hc, "Retries", json_object_new_int64(retries));
	}
	*out = hc;
	return 0;
}

/* The test's kind ("CMD", "CMD-SHELL") when it is one that runs. */
static const char *test_kind(json_object *config, json_object **hc_out, json_object **test_out)
{
	json_object *hc = NULL, *test = NULL, *first;

	if (config == NULL || !json_object_object_get_ex(config, "Healthcheck", &hc) ||
	    !json_object_object_get_ex(hc, "Test", &test) ||
	    !json_object_is_type(test, json_type_array) || json_object_array_length(test) < 2)
		return NULL;
	first = json_object_array_get_idx(test, 0);
	if (!json_object_is_type(first, json_type_string))
		return NULL;
	if (hc_out != NULL)
		*hc_out = hc;
	if (test_out != NULL)
		*test_out = test;
	if (strcmp(json_object_get_string(first), "CMD") == 0)
		return "CMD";
	if (strcmp(json_object_get_string(first), "CMD-SHELL") == 0)
		return "CMD-SHELL";
	return NULL;
}

static int64_t or_default(int64_t v, int64_t def)
{
	return v > 0 ? v : def;
}

bool engine_health_schedule(json_object *config, struct engine_health_schedule *out)
{
	json_object *hc = NULL;

	if (test_kind(config, &hc, NULL) == NULL)
		return false;
	out->interval = or_default(field_ns(hc, "Interval"), DEFAULT_INTERVAL);
	out->start_interval = or_default(field_ns(hc, "StartInterval"), DEFAULT_START_INTERVAL);
	out->start_period = field_ns(hc, "StartPeriod");
	return true;
}

static const char *on_failure(const struct engine_container *c)
{
	const char *action = NULL;
	struct berth_err ignored;

	if (json_get_string(c->config, "HealthOnFailure", NULL, &action, &ignored) != 1)
		return "none";
	return action;
}

static const char *health_status(json_object *health)
{
	const char *s = NULL;
	struct berth_err ignored;

	if (health == NULL || json_get_string(health, "Status", NULL, &s, &ignored) != 1)
		return NULL;
	return s;
}

bool engine_health_restarts(const struct engine_container *c)
{
	const char *status = health_status(c->health);

	return status != NULL && strcmp(status, "unhealthy") == 0 &&
	       strcmp(on_failure(c), "restart") == 0;
}

/* ---- the probe ---- */

struct probe {
	char **args;
	int64_t timeout, start_period;
	int64_t retries;
	int64_t started_ns; /* the run probed (the container's StartedAt) */
};

struct probe_result {
	int64_t start_ns, end_ns;
	int exit_code; /* -1: timed out, or the exec failed */
	char *output;
};

/* The command: CMD's args, or CMD-SHELL's line through the image's SHELL
 * (docker's default /bin/sh -c). */
static int probe_args(struct engine *e, const struct engine_container *c, struct probe *p,
		      struct berth_err *err)
{
	json_object *hc = NULL, *test = NULL;
	const char *kind = test_kind(c->config, &hc, &test);
	size_t n;

	if (kind == NULL)
		return berth_err_set(err, 0, "container %.12s has no health check", c->id);
	n = json_object_array_length(test);
	if (strcmp(kind, "CMD-SHELL") == 0) {
		autojson json_object *image = NULL;
		json_object *cfg = NULL;
		autostrv char **shell = NULL;
		struct berth_err ignored;

		if (store_image_config(e->store, c->image_id, &image, &ignored) == 0 &&
		    json_object_object_get_ex(image, "config", &cfg))
			json_get_strv(cfg, "Shell", NULL, &shell, &ignored);
		if (shell == NULL || shell[0] == NULL) {
			strv_push(&p->args, "/bin/sh");
			strv_push(&p->args, "-c");
		} else {
			for (size_t i = 0; shell[i] != NULL; i++)
				strv_push(&p->args, shell[i]);
		}
		strv_push(&p->args, json_object_get_string(json_object_array_get_idx(test, 1)));
	} else {
		for (size_t i = 1; i < n; i++)
			strv_push(&p->args,
				  json_object_get_string(json_object_array_get_idx(test, i)));
	}
	p->timeout = or_default(field_ns(hc, "Timeout"), DEFAULT_TIMEOUT);
	p->start_period = field_ns(hc, "StartPeriod");
	p->retries = or_default(field_ns(hc, "Retries"), DEFAULT_RETRIES);
	p->started_ns = c->started_ns;
	return 0;
}

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* docker's limitedBuffer: the first 4096 bytes, "..." when there was
 * more. */
struct limited {
	char buf[MAX_OUTPUT];
	size_t len;
	bool truncated;
};

static void limited_read(struct limited *l, int fd)
{
	char chunk[4096];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		size_t keep = MAX_OUTPUT - l->len;

		if (keep > (size_t)n)
			keep = (size_t)n;
		memcpy(l->buf + l->len, chunk, keep);
		l->len += keep;
		if (keep < (size_t)n)
			l->truncated = true;
	}
}

/* The child: the test through the runtime's exec, its stdout and stderr
 * to out, an exec failure's text to fail. Never returns. */
static _Noreturn void probe_child(const char *runtime_root, const char *id, char **args,
				  const char *pid_file, int out, int fail)
{
	struct runtime_ctx ctx = { .root = runtime_root };
	struct exec_opts x = { .args = args, .pid_file = pid_file };
	struct berth_err err = { 0 };
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC), status = 0;

	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	if (container_exec(&ctx, id, &x, &status, &err) < 0) {
		dprintf(fail, "OCI runtime exec failed: %s", err.msg);
		_exit(126);
	}
	_exit(status);
}

/* Kills the probe's process in the container: its host pid is in
 * pid_file once the runtime started it, which on a busy host may be after
 * the timeout. Until then the runtime's exec (child) is left alone:
 * killed midway it could leave the process running unwatched. Only a
 * runtime that neither starts the process nor exits within 10 s is
 * killed itself. */
static void kill_probe(const char *pid_file, pid_t child)
{
	for (int waited = 0; waited < 10000; waited += 10) {
		autofree char *text = NULL;
		struct berth_err ignored;
		long pid;

		if (fs_read_file(pid_file, 32, &text, NULL, &ignored) == 0 &&
		    (pid = strtol(text, NULL, 10)) > 1) {
			kill((pid_t)pid, SIGKILL);
			return;
		}
		if (waitpid(child, NULL, WNOHANG) == child)
			return;
		usleep(10000);
	}
	kill(child, SIGKILL);
}

static int run_probe(const char *runtime_root, const char *id, const struct probe *p,
		     const char *pid_file, struct probe_result *r, struct berth_err *err)
{
	int out[2], fail[2], pidfd, status = 0;
	struct limited lim = { .len = 0 };
	struct limited failed = { .len = 0 };
	int64_t deadline;
	bool timed_out = false, exited = false;
	pid_t child;

	if (pipe2(out, O_CLOEXEC) < 0)
		return berth_err_set(err, errno, "pipe");
	if (pipe2(fail, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return berth_err_set(err, errno, "pipe");
	}
	unlink(pid_file);
	r->start_ns = realtime_ns();
	deadline = monotonic_ms() + p->timeout / 1000000;
	child = fork();
	if (child < 0) {
		berth_err_set(err, errno, "fork");
		close(out[0]);
		close(out[1]);
		close(fail[0]);
		close(fail[1]);
		return -1;
	}
	if (child == 0)
		probe_child(runtime_root, id, p->args, pid_file, out[1], fail[1]);
	close(out[1]);
	close(fail[1]);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	/* Until the probe's runtime exits (the test ended) or the timeout:
	 * a process the test left behind may hold the output open. */
	while (!exited) {
		struct pollfd pf[2] = { { .fd = out[0], .events = POLLIN },
					{ .fd = pidfd, .events = POLLIN } };
		int64_t left = deadline - monotonic_ms();
		int n;

		if (left <= 0) {
			timed_out = true;
			break;
		}
		n = poll(pf, pidfd >= 0 ? 2 : 1, (int)(left > INT_MAX ? INT_MAX : left));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (pf[0].revents)
			limited_read(&lim, out[0]);
		if (pf[0].revents & (POLLHUP | POLLERR))
			pf[0].fd = -1, exited = pidfd < 0;
		if (pidfd >= 0 && pf[1].revents)
			exited = true;
		if (pf[0].fd < 0 && pidfd < 0)
			exited = true;
	}
	if (timed_out)
		kill_probe(pid_file, child);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	limited_read(&lim, out[0]);
	fcntl(fail[0], F_SETFL, O_NONBLOCK);
	limited_read(&failed, fail[0]);
	close(out[0]);
	close(fail[0]);
	if (pidfd >= 0)
		close(pidfd);
	unlink(pid_file);
	r->end_ns = realtime_ns();
	if (timed_out) {
		char d[32];

		r->exit_code = -1;
		r->output = xasprintf("Health check exceeded timeout (%s)",
				      human_go_duration(p->timeout, d));
	} else if (failed.len > 0) {
		r->exit_code = -1;
		r->output = xstrndup(failed.buf, failed.len);
	} else {
		r->exit_code = WIFEXITED(status)
				   ? WEXITSTATUS(status)
				   : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		r->output = xasprintf("%.*s%s", (int)lim.len, lim.buf, lim.truncated ? "..." : "");
	}
	return 0;
}

/* ---- the result ---- */

static json_object *log_entry(const struct probe_result *r)
{
	json_object *o = json_object_new_object();
	char t[48];

	json_object_object_add(o, "Start",
			       json_object_new_string(human_rfc3339(r->start_ns / NS_PER_SEC,
								    r->start_ns % NS_PER_SEC, t)));
	json_object_object_add(o, "End",
			       json_object_new_string(human_rfc3339(r->end_ns / NS_PER_SEC,
								    r->end_ns % NS_PER_SEC, t)));
	json_object_object_add(o, "ExitCode", json_object_new_int(r->exit_code));
	json_object_object_add(o, "Output", json_object_new_string(r->output));
	return o;
}

/* docker's handleProbeResult over the recorded health: the log's last
 * five probes; a success makes it healthy; a failure counts toward the
 * retries, except while starting within the start period. */
static const char *apply_result(json_object *health, const struct probe *p,
				const struct probe_result *r)
{
	json_object *log = NULL, *kept;
	const char *status = health_status(health);
	int64_t streak = 0;
	struct berth_err ignored;
	size_t n;

	if (!json_object_object_get_ex(health, "Log", &log) ||
	    !json_object_is_type(log, json_type_array)) {
		log = json_object_new_array();
		json_object_object_add(health, "Log", log);
	}
	json_object_array_add(log, log_entry(r));
	n = json_object_array_length(log);
	if (n > MAX_LOG_ENTRIES) {
		kept = json_object_new_array();
		for (size_t i = n - MAX_LOG_ENTRIES; i < n; i++)
			json_object_array_add(kept,
					      json_object_get(json_object_array_get_idx(log, i)));
		json_object_object_add(health, "Log", kept);
	}
	json_get_int64(health, "FailingStreak", NULL, &streak, &ignored);
	if (status == NULL)
		status = "starting";
	if (r->exit_code == 0) {
		streak = 0;
		status = "healthy";
	} else if (!(strcmp(status, "starting") == 0 &&
		     r->start_ns - p->started_ns < p->start_period)) {
		if (++streak >= p->retries)
			status = "unhealthy";
	}
	status = strcmp(status, "healthy") == 0     ? "healthy"
		 : strcmp(status, "unhealthy") == 0 ? "unhealthy"
						    : "starting";
	json_object_object_add(health, "Status", json_object_new_string(status));
	json_object_object_add(health, "FailingStreak", json_object_new_int64(streak));
	return status;
}

/* Records the result for the run that was probed (a stop or a restart
 * meanwhile wins: nothing is written); the new status, or NULL. */
static const char *record_result(struct engine *e, const char *id, const struct probe *p,
				 const struct probe_result *r, struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	autojson json_object *health = NULL;
	const char *status;
	static char kept[16];
	bool changed;
	int rc;

	if (store_prepare(e->store,
			  "SELECT health FROM containers WHERE id = ?1 AND state = 'running' AND "
			  "started_ns = ?2",
			  &st, err) < 0)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, p->started_ns);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL) {
		const char *text = (const char *)sqlite3_column_text(st, 0);
		struct berth_err ignored;

		json_parse_text(text, strlen(text), "health", &health, &ignored);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return NULL;
	if (health == NULL || !json_object_is_type(health, json_type_object)) {
		if (health != NULL)
			json_object_put(health);
		health = json_object_new_object();
	}
	status = apply_result(health, p, r);
	snprintf(kept, sizeof(kept), "%s", status);
	if (store_prepare(e->store,
			  "UPDATE containers SET health = ?1 WHERE id = ?2 AND state = 'running' "
			  "AND started_ns = ?3",
			  &st, err) < 0)
		return NULL;
	sqlite3_bind_text(st, 1, json_object_to_json_string_ext(health, JSON_C_TO_STRING_PLAIN), -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, p->started_ns);
	rc = sqlite3_step(st);
	changed = rc == SQLITE_DONE && sqlite3_changes(sqlite3_db_handle(st)) > 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		store_sql_err(e->store, "record health", err);
		return NULL;
	}
	return changed ? kept : NULL;
}

/* --health-on-failure for a container found unhealthy. kill: SIGKILL, and
 * the restart policy decides; stop: as `stop`; restart: the stop signal,
 * SIGKILL after the stop timeout, and the monitor starts it again
 * (engine_health_restarts). */
static void act_unhealthy(struct engine *e, const struct engine_container *c, const struct probe *p)
{
	struct runtime_ctx ctx = engine_runtime_ctx(e);
	const char *action = on_failure(c);
	struct berth_err ignored = { 0 };

	if (strcmp(action, "kill") == 0) {
		container_kill(&ctx, c->id, SIGKILL, false, &ignored);
	} else if (strcmp(action, "stop") == 0) {
		engine_stop(e, c->id, -1, &ignored);
	} else if (strcmp(action, "restart") == 0) {
		const char *signame = NULL;
		int64_t timeout = -1;
		int sig = SIGTERM;

		if (json_get_string(c->config, "StopSignal", NULL, &signame, &ignored) == 1 &&
		    signame[0] != '\0' && signal_parse(signame) > 0)
			sig = signal_parse(signame);
		json_get_int64(c->config, "StopTimeout", NULL, &timeout, &ignored);
		if (timeout < 0 || timeout > 86400)
			timeout = 10;
		container_kill(&ctx, c->id, sig, false, &ignored);
		for (int64_t waited = 0; waited < timeout * 1000; waited += 50) {
			struct engine_container now = { 0 };
			bool same;

			if (engine_lookup(e, c->id, &now, &ignored) < 0)
				return;
			same = now.state == ENGINE_RUNNING && now.started_ns == p->started_ns;
			engine_container_clear(&now);
			if (!same)
				return;
			usleep(50000);
		}
		container_kill(&ctx, c->id, SIGKILL, false, &ignored);
	}
}

/* Whether the store and the container's run directory are still there: a
 * probe must not make them again (store_open would) after the container
 * and its store went away. */
static bool still_there(char **argv)
{
	autofree char *db = xasprintf("%s/berth.db", argv[0]);
	autofree char *run = xasprintf("%s/%s", argv[2], argv[3]);

	return fs_exists(db) && fs_exists(run);
}

int engine_health_main(int argc, char **argv)
{
	struct store *s = NULL;
	struct engine e = { 0 };
	struct engine_container c = { 0 };
	struct berth_err err = { 0 };
	struct probe p = { 0 };
	struct probe_result r = { 0 };
	autofree char *pid_file = NULL, *runtime_root = NULL, *id = NULL;
	const char *status;
	int code = HEALTH_SKIPPED;

	if (argc != 4)
		return 2;
	if (!still_there(argv))
		return HEALTH_SKIPPED;
	if (store_open_existing(argv[0], argv[1], &s, &err) < 0 ||
	    engine_open(s, argv[2], &e, &err) < 0)
		goto out;
	if (engine_lookup(&e, argv[3], &c, &err) < 0 || c.state != ENGINE_RUNNING || c.paused ||
	    probe_args(&e, &c, &p, &err) < 0)
		goto out;
	id = xstrdup(c.id);
	runtime_root = xstrdup(e.runtime_root);
	{
		autofree char *dir = engine_run_dir(&e, c.id);

		pid_file = xasprintf("%s/health.pid", dir);
	}
	/* No database across the fork: the probe's child must not inherit
	 * SQLite's state. */
	engine_container_clear(&c);
	engine_close(&e);
	store_close(s);
	s = NULL;
	if (run_probe(runtime_root, id, &p, pid_file, &r, &err) < 0 || !still_there(argv))
		goto out;
	if (store_open_existing(argv[0], argv[1], &s, &err) < 0 ||
	    engine_open(s, argv[2], &e, &err) < 0)
		goto out;
	status = record_result(&e, id, &p, &r, &err);
	if (status == NULL)
		goto out;
	code = strcmp(status, "healthy") == 0     ? HEALTH_HEALTHY
	       : strcmp(status, "unhealthy") == 0 ? HEALTH_UNHEALTHY
						  : HEALTH_STARTING;
	if (code == HEALTH_UNHEALTHY && engine_lookup(&e, id, &c, &err) == 0 &&
	    c.state == ENGINE_RUNNING && c.started_ns == p.started_ns)
		act_unhealthy(&e, &c, &p);
out:
	if (err.msg[0] != '\0')
		fprintf(stderr, "berth __health: %s\n", err.msg);
	engine_container_clear(&c);
	strv_free(p.args);
	free(r.output);
	if (s != NULL) {
		engine_close(&e);
		store_close(s);
	}
	return code;
}
