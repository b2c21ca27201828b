#include "runtime/state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

#define STATE_FILE_MAX (1 << 20)
#define OCI_VERSION "1.2.0"

static const char *const status_names[] = {
	[STATUS_CREATING] = "creating", [STATUS_CREATED] = "created",
	[STATUS_RUNNING] = "running",	[STATUS_PAUSED] = "paused",
	[STATUS_STOPPED] = "stopped",
};

const char *state_status_name(enum container_status s)
{
	return status_names[s];
}

char *state_dir(const char *root, const char *id)
{
	return xasprintf("%s/%s", root, id);
}

int state_save(const char *root, const struct container_state *st, struct berth_err *err)
{
	autofree char *path = xasprintf("%s/%s/state.json", root, st->id);
	json_object *o = json_object_new_object();
	const char *text;
	int r;

	json_object_object_add(o, "id", json_object_new_string(st->id));
	json_object_object_add(o, "bundle", json_object_new_string(st->bundle));
	json_object_object_add(o, "rootfs", json_object_new_string(st->rootfs));
	json_object_object_add(o, "pid", json_object_new_int(st->pid));
	json_object_object_add(o, "start_time", json_object_new_uint64(st->start_time));
	json_object_object_add(o, "created", json_object_new_string(st->created ? st->created : ""));
	json_object_object_add(o, "owner", json_object_new_int64(st->owner));
	json_object_object_add(o, "has_pid_ns", json_object_new_boolean(st->has_pid_ns));
	json_object_object_add(o, "shared_mounts", json_object_new_boolean(st->shared_mounts));
	if (st->cgroup != NULL)
		json_object_object_add(o, "cgroup", json_object_get(st->cgroup));
	json_object_object_add(o, "annotations",
			       st->annotations ? json_object_get(st->annotations)
					       : json_object_new_object());
	text = json_to_text(o);
	r = fs_write_file_replace(path, text, strlen(text), 0600, err);
	json_object_put(o);
	return r;
}

int state_load(const char *root, const char *id, struct container_state **out,
	       struct berth_err *err)
{
	autofree char *path = xasprintf("%s/%s/state.json", root, id);
	autofree char *text = NULL;
	autojson json_object *o = NULL;
	struct container_state *st;
	const char *s;
	int64_t i64 = 0;
	uint64_t u64 = 0;
	json_object *v;
	size_t len;

	if (fs_read_file(path, STATE_FILE_MAX, &text, &len, err) < 0) {
		if (err->code == ENOENT) {
			autofree char *dir = state_dir(root, id);
			if (fs_exists(dir)) {
				st = xzalloc(sizeof(*st));
				st->id = xstrdup(id);
				st->bundle = xstrdup("");
				st->rootfs = xstrdup("");
				st->created = xstrdup("");
				st->creating = true;
				*out = st;
				return 0;
			}
			berth_err_set(err, 0, "container \"%s\" does not exist", id);
			err->code = ENOENT; /* callers tell "missing" apart */
			return -1;
		}
		return -1;
	}
	if (json_parse_text(text, len, path, &o, err) < 0)
		return -1;
	st = xzalloc(sizeof(*st));
	st->id = xstrdup(id);
	st->bundle = xstrdup(json_get_string(o, "bundle", NULL, &s, NULL) > 0 ? s : "");
	st->rootfs = xstrdup(json_get_string(o, "rootfs", NULL, &s, NULL) > 0 ? s : "");
	st->created = xstrdup(json_get_string(o, "created", NULL, &s, NULL) > 0 ? s : "");
	if (json_get_int64(o, "pid", NULL, &i64, NULL) > 0)
		st->pid = (pid_t)i64;
	if (json_get_uint64(o, "start_time", NULL, &u64, NULL) > 0)
		st->start_time = u64;
	if (json_get_int64(o, "owner", NULL, &i64, NULL) > 0)
		st->owner = (uid_t)i64;
	json_get_bool(o, "has_pid_ns", NULL, &st->has_pid_ns, NULL);
	json_get_bool(o, "shared_mounts", NULL, &st->shared_mounts, NULL);
	if (json_object_object_get_ex(o, "cgroup", &v))
		st->cgroup = json_object_get(v);
	if (json_object_object_get_ex(o, "annotations", &v))
		st->annotations = json_object_get(v);
	*out = st;
	return 0;
}

void state_free(struct container_state *st)
{
	if (st == NULL)
		return;
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	if (st->cgroup != NULL)
		json_object_put(st->cgroup);
	if (st->annotations != NULL)
		json_object_put(st->annotations);
	free(st);
}

unsigned long long state_proc_start_time(pid_t pid)
{
	char path[64], buf[1024];
	autoclose int fd = -1;
	unsigned long long start = 0;
	ssize_t n;
	char *p, state;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* comm may contain spaces and parentheses: fields resume after the
	 * last ')'. */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 2, "%c", &state) != 1)
		return 0;
	if (state == 'Z' || state == 'X')
		return 0;
	/* Field 3 is state; starttime is field 22, i.e. 19 fields later. */
	p += 2;
	for (int field = 3; field < 22 && p != NULL; field++) {
		p = strchr(p, ' ');
		if (p != NULL)
			p++;
	}
	if (p == NULL || sscanf(p, "%llu", &start) != 1)
		return 0;
	return start;
}

bool state_pid_alive(const struct container_state *st)
{
	return st->pid > 0 && st->start_time != 0 && state_proc_start_time(st->pid) == st->start_time;
}

enum container_status state_status(const char *root, const struct container_state *st)
{
	autofree char *fifo = NULL;
	struct cgroup *cg = NULL;
	struct berth_err err;
	bool frozen = false;

	if (st->creating)
		return STATUS_CREATING;
	if (!state_pid_alive(st))
		return STATUS_STOPPED;
	fifo = xasprintf("%s/%s/exec.fifo", root, st->id);
	if (fs_exists(fifo))
		return STATUS_CREATED;
	if (st->cgroup != NULL && cgroup_from_json(st->cgroup, NULL, &cg, &err) == 0) {
		frozen = cgroup_is_frozen(cg);
		cgroup_free(cg);
	}
	return frozen ? STATUS_PAUSED : STATUS_RUNNING;
}

json_object *state_to_json(const struct container_state *st, enum container_status status)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ociVersion", json_object_new_string(OCI_VERSION));
	json_object_object_add(o, "id", json_object_new_string(st->id));
	json_object_object_add(o, "status", json_object_new_string(state_status_name(status)));
	json_object_object_add(o, "pid",
			       json_object_new_int(status == STATUS_STOPPED ? 0 : st->pid));
	json_object_object_add(o, "bundle", json_object_new_string(st->bundle));
	json_object_object_add(o, "rootfs", json_object_new_string(st->rootfs));
	json_object_object_add(o, "created", json_object_new_string(st->created ? st->created : ""));
	json_object_object_add(o, "owner", json_object_new_string(""));
	json_object_object_add(o, "annotations",
			       st->annotations ? json_object_get(st->annotations)
					       : json_object_new_object());
	return o;
}

char *state_now_rfc3339(void)
{
	struct timespec now;
	struct tm tm;
	char buf[64];

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return xasprintf("%s.%09ldZ", buf, now.tv_nsec);
}
