/* The volume store: rows in the volumes table, directories under
 * ROOT/volumes. A row is written before its directory is made and removed
 * (in the same transaction as the check that nobody uses it) before the
 * directory goes, so a directory without a row is at worst garbage, never
 * a volume that is half there. */
#include "engine/volume.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/mount-spec.h"
#include "image/store-internal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/mountinfo.h"
#include "util/strv.h"
#include "util/xalloc.h"

void volume_clear(struct volume *v)
{
	free(v->name);
	free(v->driver);
	free(v->mountpoint);
	if (v->labels != NULL)
		json_object_put(v->labels);
	if (v->options != NULL)
		json_object_put(v->options);
	memset(v, 0, sizeof(*v));
}

void volumes_free(struct volume *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		volume_clear(&v[i]);
	free(v);
}

static char *volume_dir(struct store *s, const char *name)
{
	return xasprintf("%s/volumes/%s", s->root, name);
}

char *volume_path(struct store *s, const char *name)
{
	return xasprintf("%s/volumes/%s/_data", s->root, name);
}

int volume_random_name(char out[VOLUME_NAME_LEN + 1], struct berth_err *err)
{
	unsigned char b[VOLUME_NAME_LEN / 2];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return berth_err_set(err, errno, "getrandom");
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

/* "k=v" strings as a JSON object; a bare "k" has an empty value. */
static json_object *kv_object(char *const *kv)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; kv != NULL && kv[i] != NULL; i++) {
		size_t klen = strcspn(kv[i], "=");
		autofree char *key = xstrndup(kv[i], klen);

		json_object_object_add(
		    o, key, json_object_new_string(kv[i][klen] == '=' ? kv[i] + klen + 1 : ""));
	}
	return o;
}

/* The local driver's validateOpts: known keys, and each key's companions. */
static int check_options(json_object *opts, struct berth_err *err)
{
	static const char *const valid[] = { "type", "o", "device" };
	static const struct {
		const char *key, *needs[2];
	} mandatory[] = {
		{ "device", { "type", NULL } },
		{ "type", { "device", NULL } },
		{ "o", { "device", "type" } },
	};

	json_object_object_foreach(opts, key, val)
	{
		bool ok = false;

		(void)val;
		for (size_t i = 0; i < ARRAY_SIZE(valid); i++)
			ok = ok || strcmp(key, valid[i]) == 0;
		if (strcmp(key, "size") == 0)
			return berth_err_set(err, 0, "quota size requested but no quota support");
		if (!ok)
			return berth_err_set(err, 0, "invalid option: \"%s\"", key);
	}
	for (size_t i = 0; i < ARRAY_SIZE(mandatory); i++) {
		if (!json_object_object_get_ex(opts, mandatory[i].key, NULL))
			continue;
		for (size_t k = 0; k < 2 && mandatory[i].needs[k] != NULL; k++)
			if (!json_object_object_get_ex(opts, mandatory[i].needs[k], NULL))
				return berth_err_set(err, 0, "missing required option: \"%s\"",
						     mandatory[i].needs[k]);
	}
	return 0;
}

static int insert_row(struct store *s, const char *name, json_object *labels, json_object *opts,
		      bool anonymous, bool *created, struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (store_prepare(s,
			  "INSERT OR IGNORE INTO volumes (name, driver, labels, options, "
			  "created_ns, anonymous) VALUES (?, 'local', ?, ?, ?, ?)",
			  &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, json_object_to_json_string_ext(labels, JSON_C_TO_STRING_PLAIN), -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, json_object_to_json_string_ext(opts, JSON_C_TO_STRING_PLAIN), -1,
			  SQLITE_TRANSIENT);
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		sqlite3_bind_int64(st, 4, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
	}
	sqlite3_bind_int(st, 5, anonymous);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sql_err(s, "insert volume", err);
	*created = sqlite3_changes(s->db) > 0;
	return 0;
}

static int delete_row(struct store *s, const char *name, struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (store_prepare(s, "DELETE FROM volumes WHERE name = ?", &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sql_err(s, "delete volume", err);
	return 0;
}

int volume_create(struct store *s, const char *name, char *const *labels, char *const *opts,
		  bool anonymous, bool *created, struct berth_err *err)
{
	autojson json_object *l = kv_object(labels);
	autojson json_object *o = kv_object(opts);

	autofree char *dir = NULL;
	autofree char *data = NULL;
	autofree char *top = xasprintf("%s/volumes", s->root);
	bool made = false;

	/* docker (23+) marks the volumes it makes for a container so; prune
	 * without --all takes only these. */
	if (anonymous)
		json_object_object_add(l, VOLUME_ANONYMOUS_LABEL, json_object_new_string(""));
	if (mount_spec_check_volume_name(name, err) < 0 || check_options(o, err) < 0)
		return berth_err_wrap(err, "create %s", name);
	if (insert_row(s, name, l, o, anonymous, &made, err) < 0)
		return berth_err_wrap(err, "create %s", name);
	dir = volume_dir(s, name);
	data = volume_path(s, name);
	/* The row first (see the top): a removal that races finds the row or
	 * finds nothing, never a row without its directory for long. */
	if ((mkdir(top, 0701) < 0 && errno != EEXIST) ||
	    (mkdir(dir, 0701) < 0 && errno != EEXIST) ||
	    (mkdir(data, 0755) < 0 && errno != EEXIST)) {
		berth_err_set(err, errno, "create %s: mkdir %s", name, data);
		if (made) {
			struct berth_err ignored;

			fs_rm_rf(dir, &ignored);
			delete_row(s, name, &ignored);
		}
		return -1;
	}
	if (created != NULL)
		*created = made;
	return 0;
}

#define COLUMNS "name, driver, labels, options, created_ns, anonymous"

static void read_row(struct store *s, sqlite3_stmt *st, struct volume *v)
{
	struct berth_err ignored;
	const char *labels = (const char *)sqlite3_column_text(st, 2);
	const char *opts = (const char *)sqlite3_column_text(st, 3);

	memset(v, 0, sizeof(*v));
	v->name = xstrdup((const char *)sqlite3_column_text(st, 0));
	v->driver = xstrdup((const char *)sqlite3_column_text(st, 1));
	if (labels == NULL ||
	    json_parse_text(labels, strlen(labels), "volume labels", &v->labels, &ignored) < 0 ||
	    !json_object_is_type(v->labels, json_type_object)) {
		if (v->labels != NULL)
			json_object_put(v->labels);
		v->labels = json_object_new_object();
	}
	if (opts == NULL ||
	    json_parse_text(opts, strlen(opts), "volume options", &v->options, &ignored) < 0 ||
	    !json_object_is_type(v->options, json_type_object)) {
		if (v->options != NULL)
			json_object_put(v->options);
		v->options = json_object_new_object();
	}
	v->created_ns = sqlite3_column_int64(st, 4);
	v->anonymous = sqlite3_column_int(st, 5) != 0;
	v->mountpoint = volume_path(s, v->name);
}

int volume_get(struct store *s, const char *name, struct volume *out, struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (store_prepare(s, "SELECT " COLUMNS " FROM volumes WHERE name = ?", &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_row(s, st, out);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return store_sql_err(s, "look up volume", err);
	berth_err_set(err, 0, "get %s: no such volume", name);
	err->code = ENOENT;
	return -1;
}

int volume_list(struct store *s, struct volume **out, size_t *n, struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	struct volume *v = NULL;
	size_t count = 0;
	int rc;

	if (store_prepare(s, "SELECT " COLUMNS " FROM volumes ORDER BY name", &st, err) < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, count + 1, sizeof(*v));
		read_row(s, st, &v[count++]);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		volumes_free(v, count);
		return store_sql_err(s, "list volumes", err);
	}
	*out = v;
	*n = count;
	return 0;
}

/* The containers whose recorded Mounts name volume name, oldest first,
 * but except_id (NULL: none); running: only those running (or
 * restarting). */
static int users_of(struct store *s, const char *name, const char *except_id, bool running,
		    char ***ids, struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	autostrv char **v = NULL;
	int rc;

	/* A config that does not parse uses nothing (json_each would fail the
	 * whole query on it). */
#define USERS_SQL                                                                          \
	"SELECT DISTINCT c.id FROM containers c, json_each(CASE WHEN json_valid(c.config) "    \
	"THEN c.config ELSE '{}' END, '$.Mounts') m WHERE json_extract(m.value, '$.Type') = " \
	"'volume' AND json_extract(m.value, '$.Name') = ?1 AND c.id != ?2"
	if (store_prepare(s,
			  running ? USERS_SQL " AND c.state IN ('running', 'restarting') "
					      "ORDER BY c.created_ns"
				  : USERS_SQL " ORDER BY c.created_ns",
			  &st, err) < 0)
		return -1;
#undef USERS_SQL
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, except_id != NULL ? except_id : "", -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		strv_push(&v, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sql_err(s, "find the users of a volume", err);
	*ids = steal_ptr(v);
	return 0;
}

int volume_users(struct store *s, const char *name, char ***ids, struct berth_err *err)
{
	return users_of(s, name, NULL, false, ids, err);
}

/* Whether path is a mount point now. */
static bool is_mounted(const char *path)
{
	automountinfo struct mountinfo mi = { 0 };
	struct berth_err ignored;

	if (mountinfo_read(NULL, &mi, &ignored) < 0)
		return false;
	for (size_t i = 0; i < mi.n; i++)
		if (strcmp(mi.v[i].point, path) == 0)
			return true;
	return false;
}

int volume_mount(struct store *s, const struct volume *v, struct berth_err *err)
{
	const char *type = NULL, *device = NULL, *o = NULL;
	autofree char *data = volume_path(s, v->name);
	autofree char *opts = NULL;
	unsigned long flags = 0;

	json_get_string(v->options, "type", NULL, &type, err);
	json_get_string(v->options, "device", NULL, &device, err);
	json_get_string(v->options, "o", NULL, &o, err);
	berth_err_clear(err);
	if (type == NULL || device == NULL || is_mounted(data))
		return 0;
	/* docker's local driver: "bind" among the options makes it a bind
	 * mount of device (type "none" then). */
	opts = xstrdup(o != NULL ? o : "");
	{
		autostrv char **kept = NULL;
		autofree char *copy = xstrdup(opts);
		char *save = NULL;

		for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
			if (strcmp(w, "bind") == 0 || strcmp(w, "rbind") == 0)
				flags |= MS_BIND | (w[0] == 'r' ? MS_REC : 0);
			else
				strv_push(&kept, w);
		}
		free(opts);
		opts = xstrdup("");
		for (size_t i = 0; kept != NULL && kept[i] != NULL; i++) {
			char *n = xasprintf("%s%s%s", opts, i > 0 ? "," : "", kept[i]);

			free(opts);
			opts = n;
		}
	}
	if (mount(device, data, type, flags, opts[0] != '\0' ? opts : NULL) < 0)
		return berth_err_set(err, errno, "error while mounting volume '%s'", data);
	return 0;
}

int volume_release(struct store *s, const struct volume *v, const char *except_id,
		   struct berth_err *err)
{
	const char *type = NULL, *device = NULL;
	autofree char *data = volume_path(s, v->name);
	autostrv char **running = NULL;

	json_get_string(v->options, "type", NULL, &type, err);
	json_get_string(v->options, "device", NULL, &device, err);
	berth_err_clear(err);
	if (type == NULL || device == NULL || !is_mounted(data))
		return 0;
	if (users_of(s, v->name, except_id, true, &running, err) < 0)
		return -1;
	if (running != NULL)
		return 0;
	if (umount2(data, 0) < 0 && (errno != EBUSY || umount2(data, MNT_DETACH) < 0))
		return berth_err_set(err, errno, "unmount volume %s", data);
	return 0;
}

int volume_remove(struct store *s, const char *name, bool force, struct berth_err *err)
{
	return volume_remove_except(s, name, NULL, force, err);
}

int volume_remove_except(struct store *s, const char *name, const char *except_id, bool force,
			 struct berth_err *err)
{
	autostrv char **users = NULL;
	struct volume v = { 0 };
	autofree char *dir = NULL;
	autofree char *data = NULL;
	char trash_name[VOLUME_NAME_LEN + 1];
	autofree char *trash = NULL;
	bool moved = false;

	if (store_begin(s, err) < 0)
		return -1;
	if (volume_get(s, name, &v, err) < 0) {
		store_rollback(s);
		if (force && err->code == ENOENT) {
			berth_err_clear(err);
			return 0;
		}
		return -1;
	}
	if (users_of(s, name, except_id, false, &users, err) < 0)
		goto fail;
	if (users != NULL) {
		autofree char *list = NULL;

		for (size_t i = 0; users[i] != NULL; i++) {
			char *n = xasprintf("%s%s%s", list != NULL ? list : "", i > 0 ? ", " : "",
					    users[i]);

			free(list);
			list = n;
		}
		berth_err_set(err, 0, "remove %s: volume is in use - [%s]", name, list);
		err->code = EBUSY;
		goto fail;
	}
	dir = volume_dir(s, name);
	data = volume_path(s, name);
	/* Out of the way before the row goes: a create of the same name that
	 * follows at once makes a fresh directory, not one being deleted. */
	if (volume_random_name(trash_name, err) < 0)
		goto fail;
	trash = xasprintf("%s/volumes/.removing-%.16s", s->root, trash_name);
	if (is_mounted(data) && umount2(data, MNT_DETACH) < 0) {
		berth_err_set(err, errno, "remove %s: unmount %s", name, data);
		goto fail;
	}
	if (rename(dir, trash) == 0)
		moved = true;
	else if (errno != ENOENT) {
		berth_err_set(err, errno, "remove %s: rename %s", name, dir);
		goto fail;
	}
	if (delete_row(s, name, err) < 0 || store_commit(s, err) < 0) {
		if (moved)
			rename(trash, dir);
		goto fail;
	}
	volume_clear(&v);
	if (moved) {
		struct berth_err ignored;

		fs_rm_rf(trash, &ignored);
	}
	return 0;
fail:
	store_rollback(s);
	volume_clear(&v);
	return -1;
}

static uint64_t walk_total;

static int walk_add(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	/* docker's directory.Size: the apparent size of what is not a
	 * directory. */
	(void)path, (void)ftw;
	if (flag == FTW_F || flag == FTW_SL)
		walk_total += (uint64_t)st->st_size;
	return 0;
}

uint64_t volume_size(struct store *s, const char *name)
{
	autofree char *data = volume_path(s, name);

	walk_total = 0;
	if (nftw(data, walk_add, 16, FTW_PHYS | FTW_MOUNT) < 0)
		return 0;
	return walk_total;
}
