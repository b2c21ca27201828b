/* The store: opening, the schema, the lock, blobs and staging. Queries and
 * removal are in store-query.c, snapshots in store-snapshot.c. */
#include "image/store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/store-internal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* Each entry moves the schema from version i to i + 1; append only. */
static const char *const migrations[] = {
	/* 1: images, tags, layers, blobs, snapshots */
	"CREATE TABLE blobs ("
	"  digest TEXT PRIMARY KEY,"
	"  size INTEGER NOT NULL);"
	"CREATE TABLE layers ("
	"  chain_id TEXT PRIMARY KEY,"
	"  diff_id TEXT NOT NULL,"
	"  tar_size INTEGER NOT NULL,"
	"  size INTEGER NOT NULL);"
	"CREATE TABLE images ("
	"  id TEXT PRIMARY KEY,"
	"  manifest TEXT NOT NULL,"
	"  manifest_media_type TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  added INTEGER NOT NULL,"
	"  last_tag_time INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE image_layers ("
	"  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL,"
	"  chain_id TEXT NOT NULL REFERENCES layers(chain_id),"
	"  blob TEXT NOT NULL REFERENCES blobs(digest),"
	"  media_type TEXT NOT NULL,"
	"  PRIMARY KEY (image_id, idx));"
	"CREATE INDEX image_layers_chain ON image_layers(chain_id);"
	"CREATE INDEX image_layers_blob ON image_layers(blob);"
	"CREATE TABLE tags ("
	"  name TEXT PRIMARY KEY,"
	"  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);"
	"CREATE INDEX tags_image ON tags(image_id);"
	"CREATE TABLE snapshots ("
	"  id TEXT PRIMARY KEY,"
	"  image_id TEXT NOT NULL REFERENCES images(id),"
	"  driver TEXT NOT NULL,"
	"  created INTEGER NOT NULL);",
	/* 2: containers (the engine's; each has a snapshot of the same id) */
	"CREATE TABLE containers ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  image_id TEXT NOT NULL REFERENCES images(id),"
	"  image TEXT NOT NULL,"
	"  config TEXT NOT NULL,"
	"  created_ns INTEGER NOT NULL,"
	"  state TEXT NOT NULL,"
	"  pid INTEGER NOT NULL DEFAULT 0,"
	"  monitor_pid INTEGER NOT NULL DEFAULT 0,"
	"  exit_code INTEGER NOT NULL DEFAULT 0,"
	"  started_ns INTEGER NOT NULL DEFAULT 0,"
	"  finished_ns INTEGER NOT NULL DEFAULT 0,"
	"  error TEXT NOT NULL DEFAULT '');",
	/* 3: restart policies: how often the monitor restarted the container,
	 * and whether a user stopped it (docker's HasBeenManuallyStopped:
	 * unless-stopped and always leave such a container alone at boot). */
	"ALTER TABLE containers ADD COLUMN restart_count INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE containers ADD COLUMN manually_stopped INTEGER NOT NULL DEFAULT 0;",
	/* 4: volumes (the engine's, ROOT/volumes/NAME/_data); which containers
	 * use one is computed from the containers' recorded Mounts. */
	"CREATE TABLE volumes ("
	"  name TEXT PRIMARY KEY,"
	"  driver TEXT NOT NULL DEFAULT 'local',"
	"  labels TEXT NOT NULL DEFAULT '{}',"
	"  options TEXT NOT NULL DEFAULT '{}',"
	"  created_ns INTEGER NOT NULL,"
	"  anonymous INTEGER NOT NULL DEFAULT 0);",
	/* 5: whether a snapshot has the init layer (store_init_layer) on top
	 * of its image's layers; a container's OCI config (the engine writes
	 * its bundle from it at each start; NULL: the bundle of an older
	 * berth, ROOT/containers/ID). */
	"ALTER TABLE snapshots ADD COLUMN init INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE containers ADD COLUMN spec TEXT;",
	/* 6: whether the OOM killer killed a process of the container's last
	 * run (docker's State.OOMKilled), as its cgroup counted; 0 again at
	 * the next start. */
	"ALTER TABLE containers ADD COLUMN oom_killed INTEGER NOT NULL DEFAULT 0;",
	/* 7: docker's State.Health of a container with a health check (JSON:
	 * Status, FailingStreak, Log); NULL without one. */
	"ALTER TABLE containers ADD COLUMN health TEXT;",
};

int store_sql_err(struct store *s, const char *what, struct berth_err *err)
{
	return berth_err_set(err, 0, "store database: %s: %s", what, sqlite3_errmsg(s->db));
}

int store_exec(struct store *s, const char *sql, struct berth_err *err)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		berth_err_set(err, 0, "store database: %s", msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int store_prepare(struct store *s, const char *sql, sqlite3_stmt **out, struct berth_err *err)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, out, NULL) != SQLITE_OK)
		return store_sql_err(s, "prepare", err);
	return 0;
}

/* BEGIN IMMEDIATE takes the write lock at once, so two writers wait on the
 * busy timeout instead of failing to upgrade a read transaction. */
int store_begin(struct store *s, struct berth_err *err)
{
	return store_exec(s, "BEGIN IMMEDIATE", err);
}

int store_commit(struct store *s, struct berth_err *err)
{
	return store_exec(s, "COMMIT", err);
}

void store_rollback(struct store *s)
{
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static int schema_version(struct store *s, int *version, struct berth_err *err)
{
	sqlite3_stmt *st = NULL;

	if (store_prepare(s, "PRAGMA user_version", &st, err) < 0)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return store_sql_err(s, "read schema version", err);
	}
	*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int store_migrate(struct store *s, struct berth_err *err)
{
	int version, target = (int)ARRAY_SIZE(migrations);

	/* The common case, an up-to-date database, takes no write lock: every
	 * berth command opens the store, and many may run at once. */
	if (schema_version(s, &version, err) < 0)
		return -1;
	if (version == target)
		return 0;
	if (store_begin(s, err) < 0)
		return -1;
	if (schema_version(s, &version, err) < 0)
		goto fail;
	if (version > target) {
		berth_err_set(err, 0,
			      "store database %s/berth.db has schema version %d, newer than this "
			      "berth knows (%d)",
			      s->root, version, target);
		goto fail;
	}
	for (; version < target; version++) {
		autofree char *pragma = xasprintf("PRAGMA user_version = %d", version + 1);

		if (store_exec(s, migrations[version], err) < 0 || store_exec(s, pragma, err) < 0) {
			berth_err_wrap(err, "migrate schema to version %d", version + 1);
			goto fail;
		}
	}
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

/* berth.db holds every container's config, its environment included:
 * 0600, whatever the umask, and whatever an older berth (SQLite's 0644)
 * left. SQLite creates berth.db-wal and -shm with the database's own mode
 * (unixOpen, findCreateFileMode), so a 0600 database has 0600 companions;
 * existing ones an older berth made are put right too. Nothing is opened
 * but a missing database (O_EXCL, so no other connection of this process
 * can hold POSIX locks on it: closing any fd of a database drops them);
 * the rest is fstatat and fchmodat, under a root only this user enters. */
static int store_db_private(struct store *s, struct berth_err *err)
{
	static const char *const names[] = { "berth.db", "berth.db-wal", "berth.db-shm" };
	int fd = openat(s->rootfd, names[0], O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd >= 0)
		close(fd);
	else if (errno != EEXIST)
		return berth_err_set(err, errno, "create %s/%s", s->root, names[0]);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct stat st;

		if (fstatat(s->rootfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT && i > 0)
				continue;
			return berth_err_set(err, errno, "stat %s/%s", s->root, names[i]);
		}
		if (!S_ISREG(st.st_mode))
			return berth_err_set(err, 0, "%s/%s: not a regular file", s->root,
					     names[i]);
		if ((st.st_mode & 07777) != 0600 && fchmodat(s->rootfd, names[i], 0600, 0) < 0)
			return berth_err_set(err, errno, "%s/%s: chmod 0600", s->root, names[i]);
	}
	return 0;
}

static int store_open_db(struct store *s, struct berth_err *err)
{
	autofree char *path = xasprintf("%s/berth.db", s->root);

	if (store_db_private(s, err) < 0)
		return -1;
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		if (s->db == NULL)
			return berth_err_set(err, ENOMEM, "open %s", path);
		return berth_err_set(err, 0, "open %s: %s", path, sqlite3_errmsg(s->db));
	}
	/* Several berth processes share the database: wait for each other's
	 * short transactions rather than fail. */
	sqlite3_busy_timeout(s->db, 60000);
	/* Most berth commands live for milliseconds: closing must not
	 * checkpoint the WAL (two syncs) every time. The next process to open
	 * the database alone rebuilds the WAL index by reading the WAL, so
	 * the WAL is kept short: commits checkpoint it every 128 pages. */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_wal_autocheckpoint(s->db, 128);
	if (store_exec(s, "PRAGMA journal_mode = WAL", err) < 0 ||
	    store_exec(s, "PRAGMA synchronous = NORMAL", err) < 0 ||
	    store_exec(s, "PRAGMA journal_size_limit = 1048576", err) < 0 ||
	    store_exec(s, "PRAGMA foreign_keys = ON", err) < 0)
		return berth_err_wrap(err, "open %s", path);
	return store_migrate(s, err);
}

char *store_trash_path(struct store *s, const char *what, const char *id)
{
	return store_trash_path_in(s->root, what, id);
}

char *store_trash_path_in(const char *root, const char *what, const char *id)
{
	return xasprintf("%s/tmp/trash-%s-%s", root, what, id);
}

static int store_mkdirs(struct store *s, struct berth_err *err)
{
	/* containers/: the engine's bundles and logs, one directory each. */
	static const char *const dirs[] = { "blobs", "blobs/sha256", "layers", "snapshots", "tmp",
					    "l",     "containers" };

	/* The root holds berth.db (every container's config, -e secrets
	 * included), the logs and the images: only its owner may enter, even
	 * one made before with 0755 (fs_dir_private). docker makes its root
	 * 0710, group the userns-remap root, which must walk down to a
	 * container's rootfs. Berth's engine makes no user namespace: all
	 * below the root is reached by the engine or by the runtime while it
	 * has the host's capabilities, so 0700 breaks nothing. An engine that
	 * maps container root to another uid must open the path down to
	 * snapshots/ID/merged and volumes/NAME/_data to that uid's group
	 * (0710, as docker), never to others: o+x here lets anyone at the
	 * WAL. (berth-runc's state root is 0711 for that walk, create.c; its
	 * config.json is 0600.) */
	s->rootfd = fs_dir_private(s->root, "store root", err);
	if (s->rootfd < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (mkdirat(s->rootfd, dirs[i], 0700) < 0 && errno != EEXIST)
			return berth_err_set(err, errno, "mkdir %s/%s", s->root, dirs[i]);
	s->lockfd = openat(s->rootfd, "store.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lockfd < 0)
		return berth_err_set(err, errno, "open %s/store.lock", s->root);
	return 0;
}

static int open_store(const char *root, const char *driver, bool existing, struct store **out,
		      struct berth_err *err)
{
	struct store *s = xzalloc(sizeof(*s));

	s->rootfd = -1;
	s->lockfd = -1;
	if (path_absolute(root != NULL ? root : STORE_DEFAULT_ROOT, "store root", &s->root, err) <
	    0)
		goto fail;
	if (existing) {
		autofree char *db = xasprintf("%s/berth.db", s->root);
		struct stat st;

		if (stat(db, &st) < 0) {
			berth_err_set(err, errno, "no store at %s", s->root);
			goto fail;
		}
	}
	if (driver != NULL && driver[0] != '\0') {
		if (snapshot_driver_parse(driver, &s->driver, err) < 0)
			goto fail;
	} else {
		s->driver = snapshot_driver_detect();
	}
	if (store_mkdirs(s, err) < 0 || store_init_layer(s, err) < 0 ||
	    store_open_db(s, err) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	store_close(s);
	return -1;
}

int store_open(const char *root, const char *driver, struct store **out, struct berth_err *err)
{
	return open_store(root, driver, false, out, err);
}

int store_open_existing(const char *root, const char *driver, struct store **out,
			struct berth_err *err)
{
	return open_store(root, driver, true, out, err);
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->db != NULL)
		sqlite3_close(s->db);
	if (s->rootfd >= 0)
		close(s->rootfd);
	if (s->lockfd >= 0)
		close(s->lockfd);
	free(s->root);
	free(s);
}

int store_lock(struct store *s, int mode, struct berth_err *err)
{
	if (s->lockmode == mode)
		return 0;
	while (flock(s->lockfd, mode) < 0) {
		if (errno != EINTR)
			return berth_err_set(err, errno, "lock %s/store.lock", s->root);
	}
	s->lockmode = mode;
	return 0;
}

void store_lock_restore(struct store *s, int prev)
{
	struct berth_err ignored;

	if (prev == 0)
		store_unlock(s);
	else if (s->lockmode != prev)
		store_lock(s, prev, &ignored);
}

void store_unlock(struct store *s)
{
	if (s->lockmode != 0)
		flock(s->lockfd, LOCK_UN);
	s->lockmode = 0;
}

/* ---- blobs ---- */

char *store_layer_path(struct store *s, const char *chain_id)
{
	return xasprintf("%s/layers/%s", s->root, digest_hex(chain_id));
}

static int blob_relpath(const char *digest, char buf[static 96])
{
	if (!digest_is_valid(digest))
		return -1;
	snprintf(buf, 96, "blobs/sha256/%s", digest_hex(digest));
	return 0;
}

bool store_blob_exists(struct store *s, const char *digest)
{
	char rel[96];

	return blob_relpath(digest, rel) == 0 && faccessat(s->rootfd, rel, F_OK, 0) == 0;
}

int store_blob_open(struct store *s, const char *digest, struct berth_err *err)
{
	char rel[96];
	int fd;

	if (blob_relpath(digest, rel) < 0)
		return digest_validate(digest, err);
	fd = openat(s->rootfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return berth_err_set(err, errno, "blob %s", digest);
	return fd;
}

int store_blob_read(struct store *s, const char *digest, size_t max, char **out, size_t *len,
		    struct berth_err *err)
{
	char rel[96];

	if (blob_relpath(digest, rel) < 0)
		return digest_validate(digest, err);
	if (fs_read_file_at(s->rootfd, rel, max, out, len, err) < 0)
		return berth_err_wrap(err, "blob %s", digest);
	return 0;
}

int store_row_exists(struct store *s, const char *sql, const char *arg)
{
	sqlite3_stmt *st = NULL;
	struct berth_err ignored;
	int rc;

	if (store_prepare(s, sql, &st, &ignored) < 0)
		return -1;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

bool store_layer_exists(struct store *s, const char *chain_id)
{
	return store_row_exists(s, "SELECT 1 FROM layers WHERE chain_id = ?", chain_id) == 1;
}

bool store_layer_with_diff_id(struct store *s, const char *diff_id)
{
	return store_row_exists(s, "SELECT 1 FROM layers WHERE diff_id = ? LIMIT 1", diff_id) == 1;
}

bool store_blob_is_layer(struct store *s, const char *digest)
{
	return store_row_exists(s, "SELECT 1 FROM image_layers WHERE blob = ? LIMIT 1", digest) ==
	       1;
}

void store_chain_id(const char *parent, const char *diff_id, char out[DIGEST_STR_LEN + 1])
{
	char buf[2 * DIGEST_STR_LEN + 2];

	if (parent == NULL) {
		memcpy(out, diff_id, DIGEST_STR_LEN + 1);
		return;
	}
	snprintf(buf, sizeof(buf), "%s %s", parent, diff_id);
	digest_buf(buf, strlen(buf), out);
}

/* ---- staging ---- */

int store_stage_begin(struct store *s, struct store_stage *st, struct berth_err *err)
{
	char name[] = "stage-XXXXXX";
	autofree char *tmpl = xasprintf("%s/tmp/%s", s->root, name);

	memset(st, 0, sizeof(*st));
	st->s = s;
	st->dirfd = st->lockfd = st->blobsfd = st->layersfd = -1;
	if (mkdtemp(tmpl) == NULL)
		return berth_err_set(err, errno, "create staging directory in %s/tmp", s->root);
	st->dir = steal_ptr(tmpl);
	st->dirfd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0)
		goto fail;
	/* The lock on the directory itself tells store_gc it is in use. */
	if (flock(st->dirfd, LOCK_EX | LOCK_NB) < 0)
		goto fail;
	st->lockfd = st->dirfd;
	if (mkdirat(st->dirfd, "blobs", 0700) < 0 || mkdirat(st->dirfd, "layers", 0700) < 0)
		goto fail;
	st->blobsfd = openat(st->dirfd, "blobs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	st->layersfd = openat(st->dirfd, "layers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->blobsfd < 0 || st->layersfd < 0)
		goto fail;
	return 0;
fail:
	berth_err_set(err, errno, "staging directory %s", st->dir);
	store_stage_end(st);
	return -1;
}

void store_stage_end(struct store_stage *st)
{
	struct berth_err ignored;

	if (st->blobsfd >= 0)
		close(st->blobsfd);
	if (st->layersfd >= 0)
		close(st->layersfd);
	if (st->dir != NULL)
		fs_rm_rf(st->dir, &ignored);
	if (st->dirfd >= 0)
		close(st->dirfd);
	free(st->dir);
	memset(st, 0, sizeof(*st));
	st->dirfd = st->lockfd = st->blobsfd = st->layersfd = -1;
}

int blob_writer_begin(struct store_stage *st, struct blob_writer *w, struct berth_err *err)
{
	static unsigned counter;
	unsigned n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);

	memset(w, 0, sizeof(*w));
	w->st = st;
	snprintf(w->tmp, sizeof(w->tmp), ".part-%u", n);
	w->fd = openat(st->blobsfd, w->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd < 0)
		return berth_err_set(err, errno, "create %s/blobs/%s", st->dir, w->tmp);
	digest_init(&w->hash);
	w->hashing = true;
	return 0;
}

int blob_writer_write(struct blob_writer *w, const void *buf, size_t len, struct berth_err *err)
{
	digest_update(&w->hash, buf, len);
	w->size += len;
	if (fs_write_all(w->fd, buf, len, -1) < 0)
		return berth_err_set(err, errno, "write blob");
	return 0;
}

void blob_writer_abort(struct blob_writer *w)
{
	if (w->hashing)
		digest_free(&w->hash);
	w->hashing = false;
	if (w->fd >= 0) {
		close(w->fd);
		unlinkat(w->st->blobsfd, w->tmp, 0);
	}
	w->fd = -1;
}

int blob_writer_finish(struct blob_writer *w, const char *expected, char digest[DIGEST_STR_LEN + 1],
		       struct berth_err *err)
{
	digest_final(&w->hash, digest);
	w->hashing = false;
	if (expected != NULL && strcmp(expected, digest) != 0) {
		blob_writer_abort(w);
		return berth_err_set(err, 0, "blob %s: digest mismatch, content hashes to %s",
				     expected, digest);
	}
	if (fsync(w->fd) < 0) {
		int e = errno;

		blob_writer_abort(w);
		return berth_err_set(err, e, "fsync blob %s", digest);
	}
	if (renameat(w->st->blobsfd, w->tmp, w->st->blobsfd, digest_hex(digest)) < 0) {
		int e = errno;

		blob_writer_abort(w);
		return berth_err_set(err, e, "rename blob %s", digest);
	}
	close(w->fd);
	w->fd = -1;
	return 0;
}

bool store_stage_blob_exists(struct store_stage *st, const char *digest)
{
	return (digest_is_valid(digest) &&
		faccessat(st->blobsfd, digest_hex(digest), F_OK, 0) == 0) ||
	       store_blob_exists(st->s, digest);
}

int store_stage_blob_open(struct store_stage *st, const char *digest, struct berth_err *err)
{
	int fd;

	if (digest_validate(digest, err) < 0)
		return -1;
	fd = openat(st->blobsfd, digest_hex(digest), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 || errno != ENOENT)
		return fd >= 0 ? fd : berth_err_set(err, errno, "blob %s", digest);
	return store_blob_open(st->s, digest, err);
}

int store_stage_put(struct store_stage *st, const void *data, size_t len,
		    char digest[DIGEST_STR_LEN + 1], struct berth_err *err)
{
	struct blob_writer w;

	if (blob_writer_begin(st, &w, err) < 0)
		return -1;
	if (blob_writer_write(&w, data, len, err) < 0) {
		blob_writer_abort(&w);
		return -1;
	}
	return blob_writer_finish(&w, NULL, digest, err);
}

/* ---- commit ---- */

/* What a commit moved into the store, to move back if it fails. */
struct moved {
	char **blobs;  /* hex names */
	char **layers; /* hex names */
};

static void moved_undo(struct store_stage *st, struct moved *m)
{
	struct berth_err ignored;
	autofree char *bdir = xasprintf("%s/blobs/sha256", st->s->root);
	autofree char *ldir = xasprintf("%s/layers", st->s->root);
	autoclose int bfd = open(bdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	autoclose int lfd = open(ldir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	for (size_t i = 0; m->blobs != NULL && m->blobs[i] != NULL; i++)
		if (bfd < 0 || renameat(bfd, m->blobs[i], st->blobsfd, m->blobs[i]) < 0)
			unlinkat(bfd, m->blobs[i], 0);
	for (size_t i = 0; m->layers != NULL && m->layers[i] != NULL; i++)
		if (lfd < 0 || renameat(lfd, m->layers[i], st->layersfd, m->layers[i]) < 0)
			fs_rm_rf_at(lfd, m->layers[i], &ignored);
}

static int move_blob(struct store_stage *st, int bfd, const char *digest, struct moved *m,
		     struct berth_err *err)
{
	const char *hex = digest_hex(digest);

	if (faccessat(bfd, hex, F_OK, 0) == 0)
		return 0;
	if (renameat(st->blobsfd, hex, bfd, hex) < 0)
		return berth_err_set(err, errno, "move blob %s into the store", digest);
	strv_push(&m->blobs, hex);
	return 0;
}

static int move_layer(struct store_stage *st, int lfd, const struct store_new_layer *l,
		      struct moved *m, struct berth_err *err)
{
	const char *hex = digest_hex(l->chain_id);

	if (!l->staged)
		return 0;
	if (faccessat(lfd, hex, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		/* Only what the database names is trusted (the caller holds the
		 * exclusive lock, so it is current): a directory without a row is
		 * what a crash left, maybe not all written out. Ours replaces it. */
		if (store_layer_exists(st->s, l->chain_id))
			return 0;
		if (fs_rm_rf_at(lfd, hex, err) < 0)
			return berth_err_wrap(err, "remove stale layer %s", l->chain_id);
	}
	if (renameat(st->layersfd, hex, lfd, hex) < 0)
		return berth_err_set(err, errno, "move layer %s into the store", l->chain_id);
	strv_push(&m->layers, hex);
	return 0;
}

static int insert_image(struct store *s, const struct store_new_image *img, int64_t now,
			struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	/* The same image loaded again keeps its first record and manifest. */
	if (store_prepare(s,
			  "INSERT OR IGNORE INTO images (id, manifest, manifest_media_type, "
			  "created, added) VALUES (?, ?, ?, ?, ?)",
			  &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, img->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, img->manifest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, img->manifest_media_type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, img->created);
	sqlite3_bind_int64(st, 5, now);
	if (sqlite3_step(st) != SQLITE_DONE) {
		store_sql_err(s, "insert image", err);
		goto out;
	}
	if (sqlite3_changes(s->db) == 0) {
		r = 0; /* already there, with its layers */
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (size_t i = 0; i < img->n_layers; i++) {
		const struct store_new_layer *l = &img->layers[i];
		sqlite3_stmt *q = NULL;
		int rc;

		if (store_prepare(s, "INSERT OR IGNORE INTO blobs (digest, size) VALUES (?, ?)", &q,
				  err) < 0)
			goto out;
		sqlite3_bind_text(q, 1, l->blob, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, (int64_t)l->blob_size);
		rc = sqlite3_step(q);
		sqlite3_finalize(q);
		if (rc != SQLITE_DONE) {
			store_sql_err(s, "insert blob", err);
			goto out;
		}
		if (store_prepare(
			s,
			"INSERT OR IGNORE INTO layers (chain_id, diff_id, tar_size, size) "
			"VALUES (?, ?, ?, ?)",
			&q, err) < 0)
			goto out;
		sqlite3_bind_text(q, 1, l->chain_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, l->diff_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, (int64_t)l->tar_size);
		sqlite3_bind_int64(q, 4, (int64_t)l->size);
		rc = sqlite3_step(q);
		sqlite3_finalize(q);
		if (rc != SQLITE_DONE) {
			store_sql_err(s, "insert layer", err);
			goto out;
		}
		if (store_prepare(
			s,
			"INSERT INTO image_layers (image_id, idx, chain_id, blob, media_type) "
			"VALUES (?, ?, ?, ?, ?)",
			&q, err) < 0)
			goto out;
		sqlite3_bind_text(q, 1, img->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, (int64_t)i);
		sqlite3_bind_text(q, 3, l->chain_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, l->blob, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, l->media_type, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		sqlite3_finalize(q);
		if (rc != SQLITE_DONE) {
			store_sql_err(s, "insert image layer", err);
			goto out;
		}
	}
	r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

int store_set_tag(struct store *s, const char *id, const char *name, int64_t now,
		  struct berth_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (store_prepare(s, "INSERT OR REPLACE INTO tags (name, image_id) VALUES (?, ?)", &st,
			  err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sql_err(s, "tag", err);
	if (store_prepare(s, "UPDATE images SET last_tag_time = ? WHERE id = ?", &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sql_err(s, "tag", err);
	return 0;
}

static int commit_locked(struct store_stage *st, struct store_new_image *imgs, size_t n,
			 struct moved *m, struct berth_err *err)
{
	struct store *s = st->s;
	autofree char *bdir = xasprintf("%s/blobs/sha256", s->root);
	autofree char *ldir = xasprintf("%s/layers", s->root);
	autoclose int bfd = open(bdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	autoclose int lfd = open(ldir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int64_t now = (int64_t)time(NULL);

	if (bfd < 0 || lfd < 0)
		return berth_err_set(err, errno, "open %s", bfd < 0 ? bdir : ldir);
	for (size_t i = 0; i < n; i++) {
		struct store_new_image *img = &imgs[i];

		if (move_blob(st, bfd, img->id, m, err) < 0 ||
		    move_blob(st, bfd, img->manifest, m, err) < 0)
			return -1;
		for (size_t j = 0; j < img->n_layers; j++) {
			/* A layer found in the store earlier may have been collected
			 * since (rmi, prune) by another process. */
			if (!img->layers[j].staged &&
			    !store_layer_exists(s, img->layers[j].chain_id) &&
			    !strv_contains(m->layers, digest_hex(img->layers[j].chain_id)))
				return berth_err_set(
				    err, EAGAIN,
				    "layer %s was removed from the store while this "
				    "load ran; load again",
				    img->layers[j].chain_id);
			if (move_blob(st, bfd, img->layers[j].blob, m, err) < 0 ||
			    move_layer(st, lfd, &img->layers[j], m, err) < 0)
				return -1;
			img->layers[j].staged = false;
		}
	}
	/* Renamed files must be durable before the database names them. */
	if (syncfs(bfd) < 0)
		return berth_err_set(err, errno, "sync %s", s->root);
	if (store_begin(s, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (insert_image(s, &imgs[i], now, err) < 0)
			goto fail;
		for (size_t j = 0; imgs[i].tags != NULL && imgs[i].tags[j] != NULL; j++)
			if (store_set_tag(s, imgs[i].id, imgs[i].tags[j], now, err) < 0)
				goto fail;
	}
	if (store_commit(s, err) < 0)
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

int store_stage_commit(struct store_stage *st, struct store_new_image *imgs, size_t n,
		       struct berth_err *err)
{
	struct moved m = { 0 };
	int prev = st->s->lockmode, r;

	if (store_lock(st->s, LOCK_EX, err) < 0)
		return -1;
	r = commit_locked(st, imgs, n, &m, err);
	if (r < 0)
		moved_undo(st, &m);
	store_lock_restore(st->s, prev);
	strv_free(m.blobs);
	strv_free(m.layers);
	return r;
}
