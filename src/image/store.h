/* The image store: blobs by digest on disk, metadata in SQLite.
 *
 *   ROOT/blobs/sha256/HEX   content-addressed blobs (manifests, configs,
 *                           layer tars as they came, compressed or not)
 *   ROOT/layers/HEX         one unpacked layer per chain id, overlay form
 *   ROOT/snapshots/ID/      upper, work and merged (mount point) of a snapshot
 *   ROOT/tmp/               staging areas of loads in progress
 *   ROOT/berth.db           SQLite (WAL): images, tags, layers, snapshots
 *   ROOT/store.lock         flock: shared while reading files the database
 *                           names, exclusive while committing or sweeping
 *
 * Nothing half-made is ever visible. A load stages every blob and unpacked
 * layer in its own directory under tmp/ (held by an flock), verifying each
 * against its digest as it streams; only when all is verified does
 * store_stage_commit, under the exclusive lock, rename what is new into
 * blobs/ and layers/ and record it in one transaction. A failed commit
 * renames back what it added. After a crash, what is on disk but not in the
 * database, and staging areas no process holds, is garbage that
 * store_gc removes.
 *
 * Images are identified by their config digest (docker's image id); a
 * layer by its chain id. References are computed, not counted: a blob or
 * layer lives while an image or snapshot names it, and store_gc removes the
 * rest. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/snapshot.h"
#include "util/digest.h"

struct berth_err;
struct sqlite3;

#define STORE_DEFAULT_ROOT "/var/lib/berth"

struct store {
	char *root;
	int rootfd;
	struct sqlite3 *db;
	enum snapshot_driver driver;
	int lockfd;   /* ROOT/store.lock */
	int lockmode; /* 0, LOCK_SH or LOCK_EX: what this process holds */
};

/* Opens (creating when missing) the store at root, migrating the database
 * schema to the current version. root NULL is the default; a relative one
 * is taken against the working directory, an empty one refused. The root
 * must belong to this user and is made 0700, berth.db and its WAL 0600.
 * driver may be NULL (detected). */
int store_open(const char *root, const char *driver, struct store **out, struct berth_err *err);
/* store_open of a store that is there (ROOT/berth.db): ENOENT, and
 * nothing made, otherwise. For the engine's own background programs
 * (the monitor, health probes), which must not make a store again that
 * was removed under them. */
int store_open_existing(const char *root, const char *driver, struct store **out,
			struct berth_err *err);
void store_close(struct store *s);

/* The store-wide file lock (see above). Locking again in the same mode is
 * a no-op; store_unlock releases. */
int store_lock(struct store *s, int mode, struct berth_err *err);
void store_unlock(struct store *s);
/* Back to what store_lock's caller held before (prev: its s->lockmode). */
void store_lock_restore(struct store *s, int prev);

/* Blobs. */
bool store_blob_exists(struct store *s, const char *digest);
int store_blob_open(struct store *s, const char *digest, struct berth_err *err);
/* Reads a small blob (a manifest or config) whole; max bounds its size. */
int store_blob_read(struct store *s, const char *digest, size_t max, char **out, size_t *len,
		    struct berth_err *err);
char *store_layer_path(struct store *s, const char *chain_id);

/* ---- staging: how loads, imports and (later) pulls add content ---- */

struct store_stage {
	struct store *s;
	char *dir; /* ROOT/tmp/stage-XXXXXX */
	int dirfd;
	int lockfd;   /* flock held for the stage's lifetime */
	int blobsfd;  /* dir/blobs */
	int layersfd; /* dir/layers */
};

int store_stage_begin(struct store *s, struct store_stage *st, struct berth_err *err);
/* Removes the staging directory and everything in it. */
void store_stage_end(struct store_stage *st);

/* A blob being written into the stage: hashed as it streams, named by its
 * digest once complete. */
struct blob_writer {
	struct store_stage *st;
	int fd;
	char tmp[32];
	struct digest_ctx hash;
	uint64_t size;
	bool hashing;
};

int blob_writer_begin(struct store_stage *st, struct blob_writer *w, struct berth_err *err);
int blob_writer_write(struct blob_writer *w, const void *buf, size_t len, struct berth_err *err);
/* Finishes the blob: computes its digest (into digest), and when expected
 * is not NULL, refuses a mismatch ("blob sha256:X: digest mismatch, content
 * hashes to sha256:Y"). The blob is fsynced and renamed to its digest inside
 * the stage. */
int blob_writer_finish(struct blob_writer *w, const char *expected, char digest[DIGEST_STR_LEN + 1],
		       struct berth_err *err);
void blob_writer_abort(struct blob_writer *w);

/* An fd of a blob in the stage, or else in the store. */
int store_stage_blob_open(struct store_stage *st, const char *digest, struct berth_err *err);
bool store_stage_blob_exists(struct store_stage *st, const char *digest);
/* Adds a small blob (a manifest or config made by Berth) to the stage. */
int store_stage_put(struct store_stage *st, const void *data, size_t len,
		    char digest[DIGEST_STR_LEN + 1], struct berth_err *err);

/* True when the store already has the unpacked layer. */
bool store_layer_exists(struct store *s, const char *chain_id);
/* True when some layer in the store has this DiffID / some image uses this
 * blob as a layer: what a load need not unpack again. */
bool store_layer_with_diff_id(struct store *s, const char *diff_id);
bool store_blob_is_layer(struct store *s, const char *digest);

/* One layer of a new image. */
struct store_new_layer {
	char blob[DIGEST_STR_LEN + 1]; /* the layer blob as stored */
	char *media_type;              /* of the blob */
	uint64_t blob_size;
	char diff_id[DIGEST_STR_LEN + 1]; /* sha256 of the uncompressed tar */
	char chain_id[DIGEST_STR_LEN + 1];
	uint64_t tar_size; /* uncompressed tar bytes */
	uint64_t size;     /* unpacked bytes */
	bool staged;       /* unpacked into stage/layers/HEX */
};

struct store_new_image {
	char id[DIGEST_STR_LEN + 1];       /* config digest */
	char manifest[DIGEST_STR_LEN + 1]; /* manifest digest */
	char *manifest_media_type;
	int64_t created; /* from the config; 0 when absent */
	struct store_new_layer *layers;
	size_t n_layers;
	char **tags; /* normalised names to point here */
};

/* Renames what is new into the store and records the images in one
 * transaction; tags move to the new images (docker's behaviour: the old
 * image keeps its id, loses the tag). On failure nothing changed. */
int store_stage_commit(struct store_stage *st, struct store_new_image *imgs, size_t n,
		       struct berth_err *err);

/* ---- reading ---- */

struct store_layer {
	char chain_id[DIGEST_STR_LEN + 1];
	char diff_id[DIGEST_STR_LEN + 1];
	char blob[DIGEST_STR_LEN + 1];
	char *media_type;
	uint64_t blob_size, tar_size, size;
};

struct store_image {
	char id[DIGEST_STR_LEN + 1];
	char manifest[DIGEST_STR_LEN + 1];
	char *manifest_media_type;
	int64_t created; /* image creation time (config), seconds */
	int64_t added;   /* when it entered this store */
	int64_t last_tag_time;
	uint64_t size; /* unpacked bytes of all its layers */
	char **tags;   /* normalised "docker.io/library/busybox:latest", sorted */
	struct store_layer *layers;
	size_t n_layers;
	int snapshots; /* snapshots using it */
};

void store_image_clear(struct store_image *img);
void store_images_free(struct store_image *imgs, size_t n);

/* All images, newest first (by creation time, then id). */
int store_image_list(struct store *s, struct store_image **out, size_t *n, struct berth_err *err);
/* Resolves what a user typed as docker does: a name (normalised; the tag
 * defaults to latest), "name@sha256:..." (matched against the manifest
 * digest), a full or "sha256:"-prefixed id, or a unique id prefix. Error
 * "No such image: X" (err->code ENOENT) or "ambiguous image id prefix X". */
int store_image_lookup(struct store *s, const char *what, struct store_image *out,
		       struct berth_err *err);
/* The image's config JSON. */
int store_image_config(struct store *s, const char *id, json_object **out, struct berth_err *err);

/* ---- changing ---- */

/* Points name (a reference as typed; normalised, tag defaults to latest)
 * at the image; a tag held by another image moves. */
int store_tag(struct store *s, const char *id, const char *name, struct berth_err *err);

struct store_removed {
	char **untagged; /* names removed */
	char **deleted;  /* image ids deleted */
};
void store_removed_clear(struct store_removed *r);

/* berth rmi: when what is a name of an image with other names, only the
 * name goes. Otherwise the image goes with all its names, unless it has
 * several names and force is false ("image is referenced in multiple
 * repositories") or snapshots use it and force is false. Unreferenced
 * blobs and layers are then collected. */
int store_image_remove(struct store *s, const char *what, bool force, struct store_removed *r,
		       struct berth_err *err);

/* Dangling images (no names) or, with all, every image no snapshot uses. */
int store_image_prune(struct store *s, bool all, struct store_removed *r, uint64_t *reclaimed,
		      struct berth_err *err);

struct store_gc_stats {
	uint64_t blobs, layers, stages, snapshots_removed, bytes;
};
/* Removes blobs and layers no image or snapshot references, staging areas
 * no process holds, and their database rows. */
int store_gc(struct store *s, struct store_gc_stats *st, struct berth_err *err);

/* ---- snapshots: an image's layers plus an upper dir, mounted ---- */

struct store_snapshot {
	char *id;
	char image_id[DIGEST_STR_LEN + 1];
	char *driver;
	char *mountpoint; /* ROOT/snapshots/ID/merged */
	int64_t created;
	bool init; /* the init layer is on top of the image's */
};

/* store_snapshot_create() flag: overlay only, the store's init layer
 * (ROOT/init) goes on top of the image's layers. It holds what a
 * container's mounts need as mount points and images often lack (proc,
 * sys, dev, etc/hostname, etc/hosts, etc/resolv.conf, as docker's init
 * layer), made once for the store, so the runtime need not create them
 * in each container's upper dir: a created inode costs far more than a
 * lower dir. */
#define STORE_SNAPSHOT_INIT 0x1u
/* ROOT/init, once a snapshot with it has been made. */
char *store_init_path(struct store *s);
void store_snapshot_clear(struct store_snapshot *sn);

/* Creates and mounts a snapshot of the image (id: caller-chosen, unique,
 * [a-zA-Z0-9_.-]{1,64}); flags: STORE_SNAPSHOT_INIT, or 0. */
int store_snapshot_create(struct store *s, const char *image_id, const char *id, unsigned flags,
			  struct store_snapshot *out, struct berth_err *err);
int store_snapshot_get(struct store *s, const char *id, struct store_snapshot *out,
		       struct berth_err *err);
int store_snapshot_list(struct store *s, struct store_snapshot **out, size_t *n,
			struct berth_err *err);
/* Mounts it again when it is not mounted (after a reboot). */
int store_snapshot_mount(struct store *s, const char *id, struct berth_err *err);
/* Unmounts and deletes it. */
int store_snapshot_remove(struct store *s, const char *id, struct berth_err *err);
/* The same, but with trash the directory is only moved to
 * store_trash_path (its row and mount are gone) and *trash gets the path
 * for the caller to remove when it has time; gc removes what a crash
 * left there. */
int store_snapshot_discard(struct store *s, const char *id, char **trash, struct berth_err *err);
/* The same, leaving the overlay mounted in the moved-aside directory
 * (an unmount waits for an RCU grace period: its caller need not), for
 * store_trash_remove to unmount. Without a trash path, it unmounts. */
int store_snapshot_forget(struct store *s, const char *id, char **trash, struct berth_err *err);
/* Deletes store_trash_path_in(root, what, id), unmounting a forgotten
 * snapshot's overlay first. */
int store_trash_remove(const char *root, const char *what, const char *id, struct berth_err *err);
/* ROOT/tmp/trash-WHAT-ID; _in: for the store at root, not open. */
char *store_trash_path(struct store *s, const char *what, const char *id);
char *store_trash_path_in(const char *root, const char *what, const char *id);

/* ---- usage ---- */

struct store_df {
	uint64_t images, images_active, images_size, images_reclaimable;
	uint64_t layers, layers_size;
	uint64_t blobs, blobs_size;
	uint64_t snapshots, snapshots_size;
};
int store_df(struct store *s, struct store_df *df, struct berth_err *err);

/* The chain id of layer n given its parent's chain id (NULL for the first):
 * sha256(parent + " " + diff_id), the first layer's chain id is its diff id. */
void store_chain_id(const char *parent, const char *diff_id, char out[DIGEST_STR_LEN + 1]);
