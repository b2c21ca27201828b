/* Containers in the database and the lifecycle calls that do not need the
 * monitor (create, lookup); kill, stop, wait and remove are
 * container-stop.c's, their OCI config and bundles bundle.c's. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "engine/container-mounts.h"
#include "engine/engine-internal.h"
#include "engine/ocispec-resources.h"
#include "image/manifest.h"
#include "image/store-internal.h"
#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "engine/mount-spec.h"
#include "util/json.h"
#include "util/path.h"
#include "util/strv.h"
#include "util/xalloc.h"

const char *engine_state_name(enum engine_state s)
{
	switch (s) {
	case ENGINE_CREATED:
		return "created";
	case ENGINE_RUNNING:
		return "running";
	case ENGINE_EXITED:
		return "exited";
	case ENGINE_RESTARTING:
		return "restarting";
	}
	return "unknown";
}

static enum engine_state state_parse(const char *s)
{
	if (s != NULL && strcmp(s, "running") == 0)
		return ENGINE_RUNNING;
	if (s != NULL && strcmp(s, "exited") == 0)
		return ENGINE_EXITED;
	if (s != NULL && strcmp(s, "restarting") == 0)
		return ENGINE_RESTARTING;
	return ENGINE_CREATED;
}

int64_t engine_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int engine_open(struct store *s, const char *run_root, struct engine *out, struct berth_err *err)
{
	autoclose int fd = -1;

	memset(out, 0, sizeof(*out));
	out->store = s;
	if (run_root != NULL) {
		/* Absolute: the monitor and every later command must find the
		 * same sockets and runtime state, whatever their cwd. */
		if (path_absolute(run_root, "run root", &out->run_root, err) < 0)
			return -1;
	} else if (strcmp(s->root, STORE_DEFAULT_ROOT) == 0) {
		out->run_root = xstrdup(ENGINE_RUN_ROOT);
	} else {
		out->run_root = xasprintf("%s/run", s->root);
	}
	out->runtime_root = xasprintf("%s/runtime", out->run_root);
	/* Bundles (the config, with the environment), attach sockets and the
	 * runtime's state: the store root's rule (store.c), for a run root
	 * made before with 0755 too. */
	fd = fs_dir_private(out->run_root, "run root", err);
	if (fd < 0 || fs_mkdir_p(out->runtime_root, 0700, err) < 0) {
		engine_close(out);
		return -1;
	}
	return 0;
}

void engine_close(struct engine *e)
{
	free(e->run_root);
	free(e->runtime_root);
	memset(e, 0, sizeof(*e));
}

void engine_container_clear(struct engine_container *c)
{
	free(c->name);
	free(c->image_id);
	free(c->image);
	free(c->error);
	if (c->config != NULL)
		json_object_put(c->config);
	if (c->health != NULL)
		json_object_put(c->health);
	memset(c, 0, sizeof(*c));
}

void engine_containers_free(struct engine_container *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		engine_container_clear(&v[i]);
	free(v);
}

char *engine_container_dir(struct engine *e, const char *id)
{
	return engine_container_dir_in(e->store->root, id);
}

char *engine_container_dir_in(const char *root, const char *id)
{
	return xasprintf("%s/containers/%s", root, id);
}

char *engine_log_path(struct engine *e, const char *id)
{
	return engine_log_path_in(e->store->root, id);
}

char *engine_log_path_in(const char *root, const char *id)
{
	return xasprintf("%s/containers/%s/%s-json.log", root, id, id);
}

/* ---- names ---- */

static const char *const adjectives[] = {
	"agile",  "bold",  "brave",  "bright", "calm",   "clever", "cosy",   "eager",
	"fair",   "fond",  "gentle", "glad",   "happy",  "hardy",  "keen",   "kind",
	"lively", "lucid", "merry",  "modest", "nimble", "noble",  "plucky", "proud",
	"quick",  "quiet", "rapid",  "sharp",  "steady", "sturdy", "swift",  "tidy",
	"trusty", "vivid", "warm",   "wise",   "witty",  "young",  "zesty",  "jolly",
};
static const char *const nouns[] = {
	"anchor",  "barge", "beacon", "buoy",   "cabin",   "canal", "cargo",    "compass",
	"current", "deck",  "dock",   "dinghy", "ferry",   "fjord", "galley",   "harbor",
	"hull",    "inlet", "jetty",  "keel",   "lagoon",  "lock",  "mast",     "mooring",
	"oar",     "pier",  "port",   "quay",   "rudder",  "sail",  "schooner", "shore",
	"skiff",   "slip",  "stern",  "tide",   "tugboat", "wharf", "yacht",    "yard",
};

static char *random_name(void)
{
	uint32_t r[2] = { 0, 0 };

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r[0] = (uint32_t)getpid(), r[1] = (uint32_t)time(NULL);
	return xasprintf("%s_%s", adjectives[r[0] % ARRAY_SIZE(adjectives)],
			 nouns[r[1] % ARRAY_SIZE(nouns)]);
}

static int random_id(char out[ENGINE_ID_LEN + 1], struct berth_err *err)
{
	unsigned char b[ENGINE_ID_LEN / 2];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return berth_err_set(err, errno, "getrandom");
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

/* Docker's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
int engine_check_name(const char *name, struct berth_err *err)
{
	size_t n = strlen(name);

	if (n < 2 || n > 255)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			goto bad;
	}
	return 0;
bad:
	berth_err_set(err, 0,
		      "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
		      name);
	err->code = EINVAL;
	return -1;
}

/* ---- rows ---- */

#define COLUMNS                                                                                    \
	"id, name, image_id, image, config, created_ns, state, pid, monitor_pid, exit_code, "      \
	"started_ns, finished_ns, error, restart_count, manually_stopped, oom_killed, health"
#define N_COLUMNS 17

static void read_row(sqlite3_stmt *st, struct engine_container *c)
{
	struct berth_err ignored;
	const char *cfg = (const char *)sqlite3_column_text(st, 4);

	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", (const char *)sqlite3_column_text(st, 0));
	c->name = xstrdup((const char *)sqlite3_column_text(st, 1));
	c->image_id = xstrdup((const char *)sqlite3_column_text(st, 2));
	c->image = xstrdup((const char *)sqlite3_column_text(st, 3));
	if (cfg == NULL ||
	    json_parse_text(cfg, strlen(cfg), "container config", &c->config, &ignored) < 0)
		c->config = json_object_new_object();
	c->created_ns = sqlite3_column_int64(st, 5);
	c->state = state_parse((const char *)sqlite3_column_text(st, 6));
	c->pid = (pid_t)sqlite3_column_int(st, 7);
	c->monitor_pid = (pid_t)sqlite3_column_int(st, 8);
	c->exit_code = sqlite3_column_int(st, 9);
	c->started_ns = sqlite3_column_int64(st, 10);
	c->finished_ns = sqlite3_column_int64(st, 11);
	c->error = xstrdup((const char *)sqlite3_column_text(st, 12));
	c->restart_count = sqlite3_column_int(st, 13);
	c->manually_stopped = sqlite3_column_int(st, 14) != 0;
	c->oom_killed = sqlite3_column_int(st, 15) != 0;
	{
		const char *h = (const char *)sqlite3_column_text(st, 16);

		if (h != NULL && json_parse_text(h, strlen(h), "container health", &c->health,
						 &ignored) < 0)
			c->health = NULL;
	}
}

/* A monitor that is gone while its container is marked running died
 * without recording the exit (killed, or the host rebooted): the container
 * is stopped and the exit recorded as 255 with an error saying why. */
static void refresh(struct engine *e, struct engine_container *c)
{
	struct berth_err ignored;

	if (c->state != ENGINE_RUNNING && c->state != ENGINE_RESTARTING)
		return;
	if (c->monitor_pid > 0 && engine_monitor_alive(c->monitor_pid, c->id)) {
		c->paused = c->state == ENGINE_RUNNING && engine_container_paused(e, c->id);
		return;
	}
	/* Without its monitor nobody reaps it or keeps its output: stop what
	 * is left of it, so the record and the host agree. */
	{
		struct runtime_ctx ctx = engine_runtime_ctx(e);

		container_delete(&ctx, c->id, true, &ignored);
	}
	c->state = ENGINE_EXITED;
	c->exit_code = 255;
	c->finished_ns = engine_now_ns();
	free(c->error);
	c->error = xstrdup(ENGINE_MONITOR_LOST);
	c->oom_killed = false;
	engine_record_exit(e, c->id, c->exit_code, false, c->error, &ignored);
}

int engine_lookup(struct engine *e, const char *what, struct engine_container *out,
		  struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	autofree char *prefix = NULL;
	const char *name = what[0] == '/' ? what + 1 : what;
	int rc, found = 0;

	if (what[0] == '\0')
		return berth_err_set(err, EINVAL, "empty container name");
	/* Docker: an exact id, then an exact name, then a unique id prefix. */
	prefix = xasprintf("%s*", what);
	if (store_prepare(e->store,
			  "SELECT " COLUMNS ", 0 AS rank FROM containers WHERE id = ?1 UNION ALL "
			  "SELECT " COLUMNS ", 1 FROM containers WHERE name = ?2 UNION ALL "
			  "SELECT " COLUMNS ", 2 FROM containers WHERE id GLOB ?3 ORDER BY rank",
			  &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, what, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, prefix, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int rank = sqlite3_column_int(st, N_COLUMNS);

		if (found && rank == 2 &&
		    strcmp(out->id, (const char *)sqlite3_column_text(st, 0))) {
			/* A second prefix match: ambiguous, unless a better match won. */
			if (found == 3) {
				engine_container_clear(out);
				sqlite3_finalize(st);
				berth_err_set(err, 0, "multiple containers match %s", what);
				err->code = EINVAL;
				return -1;
			}
			continue;
		}
		if (found)
			continue;
		read_row(st, out);
		found = rank == 2 ? 3 : 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		if (found)
			engine_container_clear(out);
		return store_sql_err(e->store, "look up container", err);
	}
	if (!found) {
		berth_err_set(err, 0, "No such container: %s", what);
		err->code = ENOENT;
		return -1;
	}
	refresh(e, out);
	return 0;
}

int engine_list(struct engine *e, struct engine_container **out, size_t *n, struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	struct engine_container *v = NULL;
	size_t count = 0;
	int rc;

	if (store_prepare(e->store, "SELECT " COLUMNS " FROM containers ORDER BY created_ns DESC",
			  &st, err) < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, count + 1, sizeof(*v));
		read_row(st, &v[count++]);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		engine_containers_free(v, count);
		return store_sql_err(e->store, "list containers", err);
	}
	for (size_t i = 0; i < count; i++)
		refresh(e, &v[i]);
	*out = v;
	*n = count;
	return 0;
}

/* UPDATE containers SET ... for one id, in autocommit. */
int engine_update(struct engine *e, const char *id, const char *set, int64_t a, int64_t b,
		  int64_t c, const char *text, struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	autofree char *sql = xasprintf("UPDATE containers SET %s WHERE id = ?5", set);
	int rc;

	if (store_prepare(e->store, sql, &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	sqlite3_bind_int64(st, 3, c);
	sqlite3_bind_text(st, 4, text != NULL ? text : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sql_err(e->store, "update container", err);
	return 0;
}

const char *engine_restart_policy(const struct engine_container *c, int64_t *max_retries)
{
	json_object *policy = NULL;
	const char *name = NULL;
	struct berth_err ignored;

	if (max_retries != NULL)
		*max_retries = 0;
	if (json_object_object_get_ex(c->config, "RestartPolicy", &policy)) {
		json_get_string(policy, "Name", NULL, &name, &ignored);
		if (max_retries != NULL)
			json_get_int64(policy, "MaximumRetryCount", NULL, max_retries, &ignored);
	}
	return name != NULL && name[0] != '\0' ? name : "no";
}

int engine_record_running(struct engine *e, const char *id, pid_t pid, pid_t monitor,
			  int64_t started_ns, struct berth_err *err)
{
	/* A health check starts over as docker's: "starting", no failing
	 * streak, the last run's probes kept in the log. */
	return engine_update(e, id,
			     "state = 'running', pid = ?1, monitor_pid = ?2, started_ns = ?3, "
			     "exit_code = 0, finished_ns = 0, error = '', oom_killed = 0, "
			     "health = " ENGINE_HEALTH_STARTING_SQL,
			     pid, monitor, started_ns, NULL, err);
}

int engine_record_exit(struct engine *e, const char *id, int code, bool oom_killed,
		       const char *error, struct berth_err *err)
{
	return engine_update(e, id,
			     "state = 'exited', exit_code = ?1, finished_ns = ?2, pid = 0, "
			     "monitor_pid = 0, oom_killed = ?3, error = ?4, "
			     "health = " ENGINE_HEALTH_STOPPED_SQL,
			     code, engine_now_ns(), oom_killed, error, err);
}

/* ---- create ---- */

static json_object *strv_json(char *const *v)
{
	json_object *a;

	if (v == NULL)
		return NULL;
	a = json_object_new_array();
	for (; *v != NULL; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}


/* /.dockerenv, empty, as docker makes it in its init layer: tools take it
 * for "in a container". Not a change (croot_init_paths). O_EXCL: an
 * image's own, or a symlink in its place, is left as it is. */
static int mark_container_root(const char *root, struct berth_err *err)
{
	autoclose int dir = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd;

	if (dir < 0)
		return berth_err_set(err, errno, "open %s", root);
	fd = openat(dir, ".dockerenv", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
	if (fd < 0)
		return errno == EEXIST ? 0 : berth_err_set(err, errno, "create /.dockerenv");
	fchmod(fd, 0755);
	close(fd);
	return 0;
}

/* K=V list as a map (docker's HostConfig.Sysctls, LogConfig.Config); null
 * without any. */
static json_object *kv_json(char *const *v)
{
	json_object *o;

	if (v == NULL || v[0] == NULL)
		return NULL;
	o = json_object_new_object();
	for (size_t i = 0; v[i] != NULL; i++) {
		size_t n = strcspn(v[i], "=");
		autofree char *key = xstrndup(v[i], n);

		json_object_object_add(o, key, json_object_new_string(v[i][n] ? v[i] + n + 1 : ""));
	}
	return o;
}

/* What create records, in docker's names, for inspect, ps and start. */
static json_object *record_config(const struct engine_create_opts *o)
{
	json_object *c = json_object_new_object();

	json_object_object_add(c, "Cmd", strv_json(o->cmd));
	json_object_object_add(c, "Entrypoint",
			       o->entrypoint ? json_object_new_string(o->entrypoint) : NULL);
	json_object_object_add(c, "Env", strv_json(o->env));
	json_object_object_add(c, "WorkingDir", json_object_new_string(o->workdir ?: ""));
	json_object_object_add(c, "User", json_object_new_string(o->user ?: ""));
	json_object_object_add(c, "Hostname", json_object_new_string(o->hostname ?: ""));
	json_object_object_add(c, "Labels", strv_json(o->labels));
	json_object_object_add(c, "Tty", json_object_new_boolean(o->tty));
	json_object_object_add(c, "OpenStdin", json_object_new_boolean(o->interactive));
	json_object_object_add(c, "StdinOnce", json_object_new_boolean(o->stdin_once));
	json_object_object_add(c, "AttachStdin", json_object_new_boolean(o->attach_stdin));
	json_object_object_add(c, "AttachStdout", json_object_new_boolean(o->attach_stdout));
	json_object_object_add(c, "AttachStderr", json_object_new_boolean(o->attach_stderr));
	{
		json_object *policy = json_object_new_object();

		json_object_object_add(policy, "Name",
				       json_object_new_string(o->restart_policy ?: "no"));
		json_object_object_add(policy, "MaximumRetryCount",
				       json_object_new_int(o->restart_max));
		json_object_object_add(c, "RestartPolicy", policy);
	}
	json_object_object_add(c, "StopSignal", json_object_new_string(o->stop_signal ?: ""));
	json_object_object_add(c, "StopTimeout", json_object_new_int(o->stop_timeout));
	json_object_object_add(c, "AutoRemove", json_object_new_boolean(o->auto_remove));
	json_object_object_add(c, "NetworkMode", json_object_new_string(o->network ?: "none"));
	json_object_object_add(c, "ReadonlyRootfs", json_object_new_boolean(o->read_only));
	json_object_object_add(c, "Privileged", json_object_new_boolean(o->privileged));
	json_object_object_add(c, "CapAdd", strv_json(o->cap_add));
	json_object_object_add(c, "CapDrop", strv_json(o->cap_drop));
	json_object_object_add(c, "GroupAdd", strv_json(o->group_add));
	json_object_object_add(c, "VolumesFrom", strv_json(o->recorded_volumes_from));
	json_object_object_add(c, "PidMode", json_object_new_string(o->pid_mode ?: ""));
	json_object_object_add(c, "UTSMode", json_object_new_string(o->uts_mode ?: ""));
	json_object_object_add(c, "UsernsMode", json_object_new_string(o->userns_mode ?: ""));
	if (o->ipc_mode != NULL && o->ipc_mode[0] != '\0')
		json_object_object_add(c, "IpcMode", json_object_new_string(o->ipc_mode));
	if (o->cgroupns_mode != NULL && o->cgroupns_mode[0] != '\0')
		json_object_object_add(c, "CgroupnsMode", json_object_new_string(o->cgroupns_mode));
	json_object_object_add(c, "Sysctls", kv_json(o->sysctls));
	ocispec_resources_record(&o->res, c);
	json_object_object_add(c, "SecurityOpt", strv_json(o->security_opts));
	json_object_object_add(c, "Init", o->init ? json_object_new_boolean(true) : NULL);
	json_object_object_add(c, "LogMaxSize", json_object_new_int64((int64_t)o->log_max_size));
	json_object_object_add(c, "LogDriver",
			       json_object_new_string(o->log_driver ? o->log_driver : "json-file"));
	json_object_object_add(c, "LogMaxFile", json_object_new_int(o->log_max_file));
	json_object_object_add(c, "LogOpts", kv_json(o->log_opts) ?: json_object_new_object());
	return c;
}

static int insert_row(struct engine *e, const char *id, const char *name, const char *image_id,
		      const char *image, json_object *config, struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (store_prepare(e->store,
			  "INSERT INTO containers (id, name, image_id, image, config, created_ns, "
			  "state) VALUES (?, ?, ?, ?, ?, ?, 'created')",
			  &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, image_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, image, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, json_object_to_json_string_ext(config, JSON_C_TO_STRING_PLAIN), -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, engine_now_ns());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT) {
		berth_err_set(err, 0,
			      "Conflict. The container name \"/%s\" is already in use: remove (or "
			      "rename) that container to be able to reuse that name.",
			      name);
		err->code = EEXIST;
		return -1;
	}
	if (rc != SQLITE_DONE)
		return store_sql_err(e->store, "insert container", err);
	return 0;
}

int engine_record_config_spec(struct engine *e, const char *id, json_object *config,
			      const char *spec, struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (store_prepare(e->store, "UPDATE containers SET config = ?1, spec = ?2 WHERE id = ?3",
			  &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, json_object_to_json_string_ext(config, JSON_C_TO_STRING_PLAIN), -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, spec, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sql_err(e->store, "record container config", err);
	return 0;
}

static int create_container(struct engine *e, const struct engine_create_opts *o,
			    struct engine_container *out, struct berth_err *err);

/* Whether one of the container's own mounts (-v, --mount, --tmpfs) is at
 * dest: it wins over one that --volumes-from brings. */
static bool own_mount_at(const struct mount_spec_list *own, const char *dest)
{
	for (size_t i = 0; i < own->n; i++)
		if (strcmp(own->v[i].destination, dest) == 0)
			return true;
	return false;
}

/* --volumes-from: each named container's recorded volumes and binds, as
 * -v values (NAME:DEST or SOURCE:DEST, with the container's mode or the
 * one asked for), appended to volumes. */
static int volumes_from(struct engine *e, const struct engine_create_opts *o, char ***volumes,
			struct berth_err *err)
{
	struct mount_spec_list own = { 0 };

	if (mount_specs_parse(o->volumes, o->mounts, o->tmpfs, &own, err) < 0)
		return -1;
	for (size_t i = 0; o->volumes != NULL && o->volumes[i] != NULL; i++)
		strv_push(volumes, o->volumes[i]);
	for (size_t i = 0; o->volumes_from[i] != NULL; i++) {
		autofree char *name = xstrdup(o->volumes_from[i]);
		char *colon = strrchr(name, ':');
		const char *mode = NULL;
		struct engine_container c = { 0 };
		json_object *mounts = NULL;

		if (colon != NULL) {
			mode = colon + 1;
			*colon = '\0';
			if (strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0) {
				mount_spec_list_clear(&own);
				return berth_err_set(err, 0, "invalid mode for volumes-from: %s", mode);
			}
		}
		if (engine_lookup(e, name, &c, err) < 0) {
			mount_spec_list_clear(&own);
			return -1;
		}
		if (json_object_object_get_ex(c.config, "Mounts", &mounts) &&
		    json_object_is_type(mounts, json_type_array)) {
			for (size_t k = 0; k < json_object_array_length(mounts); k++) {
				json_object *m = json_object_array_get_idx(mounts, k);
				const char *type = NULL, *src = NULL, *dest = NULL;
				bool rw = true;
				struct berth_err ignored;

				json_get_string(m, "Type", NULL, &type, &ignored);
				json_get_string(m, "Destination", NULL, &dest, &ignored);
				json_get_bool(m, "RW", NULL, &rw, &ignored);
				if (type == NULL || dest == NULL || own_mount_at(&own, dest))
					continue;
				if (strcmp(type, "volume") == 0)
					json_get_string(m, "Name", NULL, &src, &ignored);
				else if (strcmp(type, "bind") == 0)
					json_get_string(m, "Source", NULL, &src, &ignored);
				if (src == NULL)
					continue;
				strv_push_take(volumes,
					       xasprintf("%s:%s:%s", src, dest,
							 mode != NULL ? mode : rw ? "rw" : "ro"));
			}
		}
		engine_container_clear(&c);
	}
	mount_spec_list_clear(&own);
	return 0;
}

int engine_create(struct engine *e, const struct engine_create_opts *o,
		  struct engine_container *out, struct berth_err *err)
{
	struct engine_create_opts host_named;
	struct utsname u;

	if (o->volumes_from != NULL && o->volumes_from[0] != NULL) {
		struct engine_create_opts with = *o;
		autostrv char **volumes = NULL;

		if (volumes_from(e, o, &volumes, err) < 0)
			return -1;
		with.volumes = volumes;
		with.volumes_from = NULL;
		with.recorded_volumes_from = o->volumes_from;
		return engine_create(e, &with, out, err);
	}

	bool host_uts = o->uts_mode != NULL && strcmp(o->uts_mode, "host") == 0;

	if (host_uts && o->hostname != NULL && o->hostname[0] != '\0')
		return berth_err_set(err, 0, "conflicting options: hostname and the UTS mode");
	/* docker: with the host's network (in a uts namespace of its own)
	 * and no -h, the container is named as the host, from create on.
	 * With the host's uts namespace it has the host's name anyway, and
	 * docker's /etc/hostname keeps the short id. */
	if (o->network != NULL && strcmp(o->network, "host") == 0 && !host_uts &&
	    (o->hostname == NULL || o->hostname[0] == '\0') && uname(&u) == 0) {
		host_named = *o;
		host_named.hostname = u.nodename;
		return create_container(e, &host_named, out, err);
	}
	return create_container(e, o, out, err);
}

/* docker's platforms.Normalize, enough for a local image: "amd64" is
 * linux/amd64, "linux" this host's architecture; x86_64 and aarch64 are
 * amd64 and arm64. */
static int platform_parse(const char *s, char *os, char *arch, char *variant, size_t cap)
{
	static const char *const oses[] = { "linux", "windows", "darwin", "freebsd", NULL };
	static const char *const aliases[][2] = { { "x86_64", "amd64" }, { "x86-64", "amd64" },
						  { "aarch64", "arm64" }, { "i386", "386" } };
	char copy[128], *save = NULL;
	const char *parts[4] = { 0 };
	size_t n = 0;

	if (strlen(s) >= sizeof(copy))
		return -1;
	snprintf(copy, sizeof(copy), "%s", s);
	for (char *c = copy; *c != '\0'; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
	for (char *p = strtok_r(copy, "/", &save); p != NULL; p = strtok_r(NULL, "/", &save))
		if (n == 3 || (parts[n++] = p)[0] == '\0')
			return -1;
	if (n == 0)
		return -1;
	if (n == 1 && !strv_contains((char **)oses, parts[0])) {
		parts[1] = parts[0];
		parts[0] = "linux";
		n = 2;
	}
	snprintf(os, cap, "%s", parts[0]);
	snprintf(arch, cap, "%s", n > 1 ? parts[1] : manifest_host_arch());
	snprintf(variant, cap, "%s", n > 2 ? parts[2] : "");
	for (size_t i = 0; i < ARRAY_SIZE(aliases); i++)
		if (strcmp(arch, aliases[i][0]) == 0)
			snprintf(arch, cap, "%s", aliases[i][1]);
	return 0;
}

/* --platform against the image's config: docker's words when they differ. */
static int platform_check(const char *image, const char *want, json_object *image_config,
			  struct berth_err *err)
{
	char os[32], arch[32], variant[32];
	const char *img_os = NULL, *img_arch = NULL, *img_variant = NULL;
	struct berth_err ignored;

	if (platform_parse(want, os, arch, variant, sizeof(os)) < 0)
		return berth_err_set(err, 0, "\"%s\": unknown operating system or architecture: "
				     "invalid argument", want);
	json_get_string(image_config, "os", NULL, &img_os, &ignored);
	json_get_string(image_config, "architecture", NULL, &img_arch, &ignored);
	json_get_string(image_config, "variant", NULL, &img_variant, &ignored);
	if (img_os == NULL)
		img_os = "linux";
	if (img_arch == NULL)
		img_arch = manifest_host_arch();
	if (strcmp(os, img_os) != 0 || strcmp(arch, img_arch) != 0 ||
	    (variant[0] != '\0' && (img_variant == NULL || strcmp(variant, img_variant) != 0)))
		return berth_err_set(err, 0,
				     "image with reference %s was found but does not match the "
				     "specified platform: wanted %s, actual: %s/%s%s%s",
				     image, want, img_os, img_arch, img_variant ? "/" : "",
				     img_variant ? img_variant : "");
	return 0;
}

static int create_container(struct engine *e, const struct engine_create_opts *o,
			    struct engine_container *out, struct berth_err *err)
{
	struct store_image img = { 0 };
	struct store_snapshot sn = { 0 };
	autojson json_object *image_config = NULL;
	autojson json_object *config = record_config(o);
	struct engine_mounts mounts = { 0 };
	json_object *args = NULL;
	char id[ENGINE_ID_LEN + 1];
	autofree char *name = NULL;
	autofree char *spec = NULL;
	bool row = false, snap = false;
	struct berth_err ignored;

	if (o->network != NULL && strcmp(o->network, "none") != 0 && strcmp(o->network, "host"))
		return berth_err_set(err, 0,
				     "network %s: only --network none and --network host are "
				     "supported yet (bridge networking comes later)",
				     o->network);
	if (o->name != NULL &&
	    engine_check_name(o->name[0] == '/' ? o->name + 1 : o->name, err) < 0)
		return -1;
	if (ocispec_resources_check(&o->res, err) < 0)
		return -1;
	/* --pid and --ipc container:X: X must exist (running only at start) */
	for (size_t i = 0; i < 2; i++) {
		const char *mode = i == 0 ? o->pid_mode : o->ipc_mode;
		struct engine_container d = { 0 };

		if (mode == NULL || strncmp(mode, "container:", 10) != 0)
			continue;
		if (engine_lookup(e, mode + 10, &d, err) < 0)
			return -1;
		engine_container_clear(&d);
	}
	if (store_image_lookup(e->store, o->image, &img, err) < 0)
		return -1;
	if (store_image_config(e->store, img.id, &image_config, err) < 0)
		goto fail;
	if (o->platform != NULL && o->platform[0] != '\0' &&
	    platform_check(o->image, o->platform, image_config, err) < 0)
		goto fail;
	{
		json_object *hc = NULL;

		if (engine_health_config(&o->health, image_config, &hc, err) < 0)
			goto fail;
		if (hc != NULL)
			json_object_object_add(config, "Healthcheck", hc);
		if (o->health.on_failure != NULL && strcmp(o->health.on_failure, "none") != 0)
			json_object_object_add(config, "HealthOnFailure",
					       json_object_new_string(o->health.on_failure));
	}
	if (random_id(id, err) < 0)
		goto fail;
	/* Bad mount flags fail here, before anything is made. */
	if (engine_mounts_plan(e->store, o, image_config, &mounts, err) < 0)
		goto fail;
	engine_mounts_record(&mounts, config);
	name = o->name ? xstrdup(o->name[0] == '/' ? o->name + 1 : o->name) : random_name();
	json_object_object_add(config, "Image", json_object_new_string(o->image));
	/* The row first: it claims the name (UNIQUE), so two creates with one
	 * name cannot both go on. A generated name that collides is retried. */
	for (int tries = 0;; tries++) {
		if (insert_row(e, id, name, img.id, o->image, config, err) == 0)
			break;
		if (o->name != NULL || err->code != EEXIST || tries > 20)
			goto fail;
		free(name);
		name = random_name();
		if (tries > 10) {
			char *longer = xasprintf("%s%d", name, tries);

			free(name);
			name = longer;
		}
	}
	row = true;
	/* The init layer's mount points, not the runtime's in the upper
	 * dir. (overlayfs's `volatile` for --rm, as podman's, makes three
	 * more inodes at each mount: measured slower here.) */
	if (store_snapshot_create(e->store, img.id, id, STORE_SNAPSHOT_INIT, &sn, err) < 0)
		goto fail;
	snap = true;
	if (mark_container_root(sn.mountpoint, err) < 0 ||
	    engine_mounts_prepare(e->store, &mounts, sn.mountpoint, err) < 0)
		goto fail;
	/* Its volumes' contents are copied up; those with options are
	 * mounted again when it starts (docker's: while in use only). */
	engine_mounts_release(e->store, id, config);
	if (engine_build_spec(e, o, id, sn.mountpoint, image_config, &mounts.list, &args, &spec, err) < 0)
		goto fail;
	/* Path and Args as the process will run. */
	if (args != NULL) {
		size_t n = json_object_array_length(args);
		json_object *rest = json_object_new_array();

		json_object_object_add(config, "Path",
				       json_object_get(json_object_array_get_idx(args, 0)));
		for (size_t i = 1; i < n; i++)
			json_object_array_add(rest,
					      json_object_get(json_object_array_get_idx(args, i)));
		json_object_object_add(config, "Args", rest);
		json_object_put(args);
	}
	if (engine_record_config_spec(e, id, config, spec, err) < 0)
		goto fail;
	store_snapshot_clear(&sn);
	store_image_clear(&img);
	engine_mounts_clear(&mounts);
	return engine_lookup(e, id, out, err);
fail:
	if (snap)
		store_snapshot_remove(e->store, id, &ignored);
	if (row)
		engine_delete_row(e, id, &ignored);
	engine_mounts_undo(e->store, &mounts);
	engine_mounts_clear(&mounts);
	store_snapshot_clear(&sn);
	store_image_clear(&img);
	return -1;
}

int engine_delete_row(struct engine *e, const char *id, struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (store_prepare(e->store, "DELETE FROM containers WHERE id = ?", &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sql_err(e->store, "delete container", err);
	return 0;
}

struct runtime_ctx engine_runtime_ctx(struct engine *e)
{
	return (struct runtime_ctx){ .root = e->runtime_root };
}

bool engine_log_driver_none(json_object *config)
{
	return engine_log_driver_is(config, "none");
}
