/* What docker does to containers besides their life cycle: rename, pause
 * and unpause (the runtime freezes the cgroup; the database keeps no
 * paused state, the runtime's freezer is the truth), prune, the samples
 * `stats` turns into percentages, and the parsing of --since/--until. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/attach.h"
#include "engine/engine-internal.h"
#include "engine/monitor-io.h"
#include "image/layer-size.h"
#include "image/store-internal.h"
#include "runtime/container.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/human.h"
#include "util/json.h"
#include "util/num.h"
#include "util/strv.h"
#include "util/xalloc.h"

const char *engine_container_status(const struct engine_container *c)
{
	if (c->state == ENGINE_RUNNING && c->paused)
		return "paused";
	return engine_state_name(c->state);
}

char *engine_container_path(struct engine *e, const char *id, bool legacy, const char *file)
{
	if (!legacy)
		return xasprintf("%s/%s/%s", e->run_root, id, file);
	return xasprintf("%s/containers/%s/%s", e->store->root, id, file);
}

bool engine_container_paused(struct engine *e, const char *id)
{
	struct runtime_ctx ctx = engine_runtime_ctx(e);
	autojson json_object *st = NULL;
	struct berth_err ignored;
	const char *status = NULL;

	if (container_state(&ctx, id, &st, &ignored) < 0)
		return false;
	return json_get_string(st, "status", NULL, &status, &ignored) == 1 &&
	       strcmp(status, "paused") == 0;
}

bool engine_container_has_label(const struct engine_container *c, const char *want)
{
	json_object *labels = NULL;
	bool with_value = strchr(want, '=') != NULL;
	size_t n = strlen(want);

	json_object_object_get_ex(c->config, "Labels", &labels);
	for (size_t i = 0; labels != NULL && i < json_object_array_length(labels); i++) {
		const char *l = json_object_get_string(json_object_array_get_idx(labels, i));

		if (with_value ? strcmp(l, want) == 0
			       : strncmp(l, want, n) == 0 && (l[n] == '=' || l[n] == '\0'))
			return true;
	}
	return false;
}

/* ---- rename ---- */

int engine_rename(struct engine *e, const char *what, const char *new_name, struct berth_err *err)
{
	struct engine_container c = { 0 }, other = { 0 };
	const char *name = new_name[0] == '/' ? new_name + 1 : new_name;
	sqlite3_stmt *st = NULL;
	int rc, r = -1;

	if (engine_lookup(e, what, &c, err) < 0)
		return -1;
	if (strcmp(c.name, name) == 0) {
		berth_err_set(err, 0,
			      "Renaming a container with the same name as its current name");
		err->code = EINVAL;
		goto out;
	}
	if (engine_check_name(name, err) < 0)
		goto out;
	if (store_prepare(e->store, "UPDATE containers SET name = ?1 WHERE id = ?2", &st, err) < 0)
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c.id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		struct berth_err ignored;

		if (engine_lookup(e, name, &other, &ignored) < 0)
			snprintf(other.id, sizeof(other.id), "?");
		berth_err_set(err, 0,
			      "Conflict. The container name \"/%s\" is already in use by container "
			      "\"%s\". You have to remove (or rename) that container to be able to "
			      "reuse that name.",
			      name, other.id);
		err->code = EEXIST;
		engine_container_clear(&other);
		goto out;
	}
	if (rc != SQLITE_DONE) {
		store_sql_err(e->store, "rename container", err);
		goto out;
	}
	r = 0;
out:
	engine_container_clear(&c);
	return r;
}

/* ---- pause, unpause ---- */

static int set_paused(struct engine *e, const char *what, bool pause, struct berth_err *err)
{
	struct engine_container c = { 0 };
	struct runtime_ctx ctx = engine_runtime_ctx(e);
	int r = -1;

	if (engine_lookup(e, what, &c, err) < 0)
		return -1;
	/* docker's words, with the full id */
	if (c.state != ENGINE_RUNNING)
		berth_err_set(err, 0, "Container %s is not running", c.id);
	else if (pause && c.paused)
		berth_err_set(err, 0, "Container %s is already paused", c.id);
	else if (!pause && !c.paused)
		berth_err_set(err, 0, "Container %s is not paused", c.id);
	else if ((pause ? container_pause(&ctx, c.id, err) : container_resume(&ctx, c.id, err)) ==
		 0)
		r = 0;
	else
		berth_err_wrap(err, "Cannot %s container %s", pause ? "pause" : "unpause", c.id);
	engine_container_clear(&c);
	return r;
}

int engine_pause(struct engine *e, const char *what, struct berth_err *err)
{
	return set_paused(e, what, true, err);
}

int engine_unpause(struct engine *e, const char *what, struct berth_err *err)
{
	return set_paused(e, what, false, err);
}

int engine_container_pids(struct engine *e, const char *what, pid_t **pids, size_t *n,
			  struct berth_err *err)
{
	struct engine_container c = { 0 };
	struct runtime_ctx ctx = engine_runtime_ctx(e);
	int r = -1;

	if (engine_lookup(e, what, &c, err) < 0)
		return -1;
	if (c.state != ENGINE_RUNNING)
		berth_err_set(err, 0, "Container %s is not running", c.id);
	else
		r = container_pids(&ctx, c.id, pids, n, err);
	engine_container_clear(&c);
	return r;
}

/* ---- prune ---- */

uint64_t engine_container_size_rw(struct engine *e, const char *id)
{
	struct store_snapshot sn = { 0 };
	struct berth_err ignored;
	autofree char *dir = NULL;
	autoclose int fd = -1;
	uint64_t size = 0;

	if (store_snapshot_get(e->store, id, &sn, &ignored) < 0)
		return 0;
	/* overlay: what the container wrote is its upper dir; vfs: the whole
	 * copy is its own. */
	dir = xasprintf("%s/snapshots/%s/%s", e->store->root, id,
			strcmp(sn.driver, "overlay") == 0 ? "upper" : "merged");
	store_snapshot_clear(&sn);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || layer_dir_files_size(fd, &size, &ignored) < 0)
		return 0;
	return size;
}

static bool prune_keeps(const struct engine_container *c, const struct engine_prune_filter *f)
{
	if (c->state == ENGINE_RUNNING || c->state == ENGINE_RESTARTING)
		return true;
	if (f->until_ns > 0 && c->created_ns >= f->until_ns)
		return true;
	for (size_t i = 0; f->labels != NULL && f->labels[i] != NULL; i++)
		if (!engine_container_has_label(c, f->labels[i]))
			return true;
	for (size_t i = 0; f->labels_not != NULL && f->labels_not[i] != NULL; i++)
		if (engine_container_has_label(c, f->labels_not[i]))
			return true;
	return false;
}

int engine_prune(struct engine *e, const struct engine_prune_filter *f, char ***deleted,
		 uint64_t *reclaimed, struct berth_err *err)
{
	struct engine_container *v = NULL;
	size_t n = 0;
	int r = 0;

	*deleted = NULL;
	*reclaimed = 0;
	if (engine_list(e, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && r == 0; i++) {
		uint64_t size;

		if (prune_keeps(&v[i], f))
			continue;
		size = engine_container_size_rw(e, v[i].id);
		if (engine_remove(e, v[i].id, false, err) < 0) {
			/* started or removed by someone else meanwhile: not ours */
			if (err->code == EBUSY || err->code == ENOENT) {
				berth_err_clear(err);
				continue;
			}
			r = -1;
			break;
		}
		strv_push(deleted, v[i].id);
		*reclaimed += size;
	}
	engine_containers_free(v, n);
	return r;
}

/* ---- stats ---- */

static uint64_t get_u64(json_object *o, const char *a, const char *b, const char *c)
{
	json_object *v = o;
	const char *path[] = { a, b, c };

	for (size_t i = 0; i < ARRAY_SIZE(path) && path[i] != NULL && v != NULL; i++)
		if (!json_object_object_get_ex(v, path[i], &v))
			v = NULL;
	return v != NULL && json_object_is_type(v, json_type_int) ? json_object_get_uint64(v) : 0;
}

static void blkio_sum(json_object *data, struct engine_stats *out)
{
	json_object *blk = NULL, *a = NULL;

	if (!json_object_object_get_ex(data, "blkio", &blk) ||
	    !json_object_object_get_ex(blk, "ioServiceBytesRecursive", &a) ||
	    !json_object_is_type(a, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *en = json_object_array_get_idx(a, i), *op = NULL;
		const char *name;

		if (!json_object_object_get_ex(en, "op", &op))
			continue;
		name = json_object_get_string(op);
		if (strcasecmp(name, "read") == 0)
			out->blk_read += get_u64(en, "value", NULL, NULL);
		else if (strcasecmp(name, "write") == 0)
			out->blk_write += get_u64(en, "value", NULL, NULL);
	}
}

void engine_stats_from_json(json_object *data, uint64_t host_mem, struct engine_stats *out)
{
	json_object *raw = NULL, *mem = NULL, *v = NULL;
	uint64_t usage, inactive = 0;
	bool have_inactive = false;

	out->cpu_ns = get_u64(data, "cpu", "usage", "total");
	usage = get_u64(data, "memory", "usage", "usage");
	/* docker's calculateMemUsageUnixNoCache: v1's total_inactive_file,
	 * else v2's inactive_file, when below the usage. */
	if (json_object_object_get_ex(data, "memory", &mem) &&
	    json_object_object_get_ex(mem, "raw", &raw)) {
		if (json_object_object_get_ex(raw, "total_inactive_file", &v) ||
		    json_object_object_get_ex(raw, "inactive_file", &v)) {
			inactive = json_object_get_uint64(v);
			have_inactive = true;
		}
	}
	out->mem_usage = have_inactive && inactive < usage ? usage - inactive : usage;
	out->mem_limit = get_u64(data, "memory", "usage", "limit");
	if (out->mem_limit == 0 || (host_mem > 0 && out->mem_limit > host_mem))
		out->mem_limit = host_mem;
	out->pids = get_u64(data, "pids", "current", NULL);
	out->blk_read = out->blk_write = 0;
	blkio_sum(data, out);
}

/* The "cpu" line of /proc/stat: user nice system idle iowait irq softirq
 * steal, in USER_HZ ticks, as docker's getSystemCPUUsage sums them. */
static uint64_t host_cpu_ns(void)
{
	autofclose FILE *f = fopen("/proc/stat", "re");
	unsigned long long v[8] = { 0 };
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t total = 0;

	if (f == NULL || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
				&v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 4)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		total += v[i];
	return total * (1000000000ULL / (uint64_t)(hz > 0 ? hz : 100));
}

static uint64_t host_mem_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

int engine_stats_read(struct engine *e, const char *id, struct engine_stats *out,
		      struct berth_err *err)
{
	struct runtime_ctx ctx = engine_runtime_ctx(e);
	autojson json_object *st = NULL;
	json_object *data = NULL;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(out, 0, sizeof(*out));
	out->system_ns = host_cpu_ns();
	out->online_cpus = cpus > 0 ? (unsigned)cpus : 1;
	if (container_stats(&ctx, id, &st, err) < 0)
		return -1;
	json_object_object_get_ex(st, "data", &data);
	engine_stats_from_json(data, host_mem_bytes(), out);
	return 0;
}

double engine_stats_cpu_percent(const struct engine_stats *prev, const struct engine_stats *now)
{
	double cpu = (double)now->cpu_ns - (double)prev->cpu_ns;
	double sys = (double)now->system_ns - (double)prev->system_ns;

	if (cpu <= 0 || sys <= 0)
		return 0;
	return cpu / sys * (double)(now->online_cpus > 0 ? now->online_cpus : 1) * 100.0;
}

double engine_stats_mem_percent(const struct engine_stats *s)
{
	return s->mem_limit > 0 ? (double)s->mem_usage / (double)s->mem_limit * 100.0 : 0;
}

/* ---- --since, --until ---- */

/* "2024-05-01", "2024-05-01T10", "2024-05-01T10:04", "2024-05-01T10:04:05"
 * with an optional fraction: completed to RFC 3339 in UTC, then moved by
 * the local zone's offset at that time (docker: time.ParseInLocation with
 * the local zone). */
static int parse_local(const char *s, int64_t *sec, long *nsec, struct berth_err *err)
{
	const char *t = strchr(s, 'T');
	const char *frac = strchr(s, '.');
	size_t colons = 0;
	autofree char *full = NULL;
	autofree char *head = NULL;
	struct tm lt;
	time_t when;

	for (const char *p = s; *p != '\0'; p++)
		colons += *p == ':';
	head = frac != NULL ? xstrndup(s, (size_t)(frac - s)) : xstrdup(s);
	if (t == NULL)
		full = xasprintf("%sT00:00:00%sZ", head, frac ? frac : "");
	else if (colons == 0)
		full = xasprintf("%s:00:00%sZ", head, frac ? frac : "");
	else if (colons == 1)
		full = xasprintf("%s:00%sZ", head, frac ? frac : "");
	else
		full = xasprintf("%s%sZ", head, frac ? frac : "");
	if (human_parse_rfc3339(full, sec, nsec, err) < 0)
		return -1;
	when = (time_t)*sec;
	if (localtime_r(&when, &lt) != NULL)
		*sec -= lt.tm_gmtoff;
	return 0;
}

int engine_timestamp_parse(const char *s, int64_t now_ns, int64_t *out_ns, struct berth_err *err)
{
	int64_t d;
	int64_t sec = 0;
	long nsec = 0;
	struct berth_err inner = { 0 };
	int dashes = 0;
	bool zoned;

	if (strcmp(s, "0") != 0 && human_parse_go_duration(s, &d) == 0) {
		if (__builtin_sub_overflow(now_ns, d, out_ns))
			return berth_err_set(err, 0, "%s: time out of range", s);
		return 0;
	}
	for (const char *p = s; *p != '\0'; p++)
		dashes += *p == '-';
	zoned = strpbrk(s, "zZ+") != NULL || dashes == 3;
	if (dashes > 0) {
		if ((zoned ? human_parse_rfc3339(s, &sec, &nsec, &inner)
			   : parse_local(s, &sec, &nsec, &inner)) < 0)
			return berth_err_set(err, 0, "%s", inner.msg);
		*out_ns = sec * 1000000000 + nsec;
		return 0;
	}
	/* Unix seconds, with an optional fraction of up to nine digits. */
	{
		const char *p = s;
		int64_t whole = 0, frac = 0;
		int digits = 0;

		for (; *p >= '0' && *p <= '9' && whole < INT64_MAX / 10 / 1000000000; p++)
			whole = whole * 10 + (*p - '0');
		if (p != s && *p == '.') {
			for (p++; *p >= '0' && *p <= '9' && digits < 9; p++, digits++)
				frac = frac * 10 + (*p - '0');
			for (; digits > 0 && digits < 9; digits++)
				frac *= 10;
		}
		if (p == s || *p != '\0')
			return berth_err_set(
			    err, 0, "failed to parse value as time or duration: \"%s\"", s);
		*out_ns = whole * 1000000000 + frac;
	}
	return 0;
}

/* ---- Config.Env ---- */

static ssize_t env_find(char *const *v, const char *key, size_t len)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		if (strncmp(v[i], key, len) == 0 && (v[i][len] == '=' || v[i][len] == '\0'))
			return (ssize_t)i;
	return -1;
}

char **engine_env_merge(char *const *image_env, char *const *user_env, char *const *process_env)
{
	autostrv char **out = strv_dup(image_env);

	for (size_t i = 0; user_env != NULL && user_env[i] != NULL; i++) {
		const char *u = user_env[i], *eq = strchr(u, '=');
		size_t len = eq != NULL ? (size_t)(eq - u) : strlen(u);
		ssize_t at = env_find(out, u, len), ran;
		char *value;

		if (eq == NULL) {
			/* -e K: what the caller's K was at create, as the process
			 * got it; unset there, docker drops K. */
			ran = env_find(process_env, u, len);
			if (ran < 0 || strchr(process_env[ran], '=') == NULL) {
				if (at >= 0) {
					free(out[at]);
					memmove(&out[at], &out[at + 1],
						(strv_len(out) - (size_t)at) * sizeof(*out));
				}
				continue;
			}
			value = xstrdup(process_env[ran]);
		} else {
			value = xstrdup(u);
		}
		if (at >= 0) {
			free(out[at]);
			out[at] = value;
		} else {
			strv_push_take(&out, value);
		}
	}
	return steal_ptr(out);
}

/* ---- wait --condition ---- */

static const char *const wait_conditions[] = { "not-running", "next-exit", "removed", "running",
					       "healthy",     "unhealthy", NULL };

static const char *health_of(const struct engine_container *c)
{
	const char *s = NULL;
	struct berth_err ignored;

	if (c->health == NULL || json_get_string(c->health, "Status", NULL, &s, &ignored) != 1)
		return NULL;
	return s;
}

int engine_wait_condition(struct engine *e, const char *what, const char *condition, int *exit_code,
			  struct berth_err *err)
{
	struct engine_container c = { 0 };
	char id[ENGINE_ID_LEN + 1];
	int64_t finished;

	if (!strv_contains((char **)wait_conditions, condition))
		return berth_err_set(err, 0,
				     "invalid condition \"%s\": want not-running, next-exit, "
				     "removed, running, healthy or unhealthy",
				     condition);
	if (strcmp(condition, "not-running") == 0)
		return engine_wait(e, what, exit_code, err);
	if (engine_lookup(e, what, &c, err) < 0)
		return -1;
	snprintf(id, sizeof(id), "%s", c.id);
	finished = c.finished_ns;
	if ((strcmp(condition, "healthy") == 0 || strcmp(condition, "unhealthy") == 0) &&
	    c.health == NULL) {
		engine_container_clear(&c);
		return berth_err_set(err, 0, "container %.12s has no health check", id);
	}
	/* removed: a running container's monitor tells its clients the exit
	 * status once the row is gone (a --rm one's): listen for it. */
	if (strcmp(condition, "removed") == 0 && c.state == ENGINE_RUNNING) {
		struct engine_attach_opts none = { 0 };
		struct berth_err ignored;
		int sock = -1;

		if (engine_attach_connect(e, id, &none, &sock, &ignored) == 0) {
			char buf[ATTACH_FRAME_MAX + 1];
			ssize_t n;

			while ((n = monitor_io_recv(sock, buf, sizeof(buf), 0)) > 0)
				if (buf[0] == ATTACH_EXIT) {
					int code;

					if (num_parse_int(buf + 1, INT_MIN, INT_MAX, &code) == 0)
						c.exit_code = code;
					break;
				}
			close(sock);
		}
	}
	*exit_code = c.exit_code;
	/* Polled, as engine_wait: no daemon to tell anyone. */
	for (;;) {
		const char *health = health_of(&c);
		bool done = false;

		if (c.state != ENGINE_RUNNING || strcmp(condition, "removed") != 0)
			*exit_code = c.exit_code;
		if (strcmp(condition, "next-exit") == 0)
			done = c.finished_ns != finished && c.state != ENGINE_RUNNING;
		else if (strcmp(condition, "running") == 0)
			done = c.state == ENGINE_RUNNING;
		else if (strcmp(condition, "healthy") == 0 || strcmp(condition, "unhealthy") == 0)
			done = health != NULL && strcmp(health, condition) == 0;
		if (!done && strcmp(condition, "healthy") == 0 && c.state == ENGINE_EXITED) {
			engine_container_clear(&c);
			return berth_err_set(err, 0,
					     "container %.12s exited without becoming healthy", id);
		}
		engine_container_clear(&c);
		if (done)
			return 0;
		usleep(50000);
		if (engine_lookup(e, id, &c, err) < 0) {
			/* gone: what removed waits for; the end of the others */
			if (err->code == ENOENT && strcmp(condition, "removed") == 0) {
				berth_err_clear(err);
				return 0;
			}
			return -1;
		}
	}
}
