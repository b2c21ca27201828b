/* What load's two files share: the loader's state, the archive's entries,
 * and the unpacking (archive-unpack.c) that archive-load.c drives. Not for
 * other files. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "image/store.h"
#include "util/err.h"

enum entry_kind {
	ENTRY_OTHER,
	ENTRY_TAR,        /* "ustar" at offset 257 */
	ENTRY_COMPRESSED, /* gzip or zstd magic */
};

struct entry {
	char *name;
	char *link; /* symlink or hard link: the entry it points at */
	char digest[DIGEST_STR_LEN + 1];
	uint64_t size;
	enum entry_kind kind;
};

/* A file that looks like a layer is unpacked as soon as it has arrived, by
 * a worker thread, while the rest of the archive streams in; once the
 * manifests are read, the layers they name take these directories (checked
 * against their DiffIDs). Unpacking nothing that turns out not to be a
 * layer costs only time. */
struct early {
	char blob[DIGEST_STR_LEN + 1];
	bool compressed;
	bool failed, used;
	struct berth_err err;
	char diff_id[DIGEST_STR_LEN + 1];
	uint64_t tar_size, size;
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct early **jobs;
	size_t n, next;
	bool closing;
	pthread_t threads[8];
	size_t nthreads;
};

struct loader {
	struct store *s;
	struct store_stage st;
	const char *what;
	struct entry *entries;
	size_t n;
	struct store_new_image *imgs;
	size_t n_imgs;
	struct pool pool;
	bool pool_started;
};

/* A file that looks like a layer: unpack it now, on a worker thread. */
void early_submit(struct loader *l, const struct entry *e);
/* Waits for the early unpacks and frees them. */
void pool_free(struct loader *l);
/* Unpacks the layers of l->imgs the store lacks, taking early unpacks
 * where they match (checked against their DiffIDs), the rest in parallel. */
int unpack_layers(struct loader *l, struct berth_err *err);
