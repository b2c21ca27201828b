/* Unpacking a load's layers: early, while the archive streams in, and then
 * the rest in parallel once the manifests have said which are needed. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/archive-internal.h"
#include "image/layer-size.h"
#include "image/layer.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/xalloc.h"

/* ---- unpacking early, while the archive streams ---- */

static int unpack_into(struct loader *l, const char *blob, const char *dirname, bool no_diff_id,
		       struct layer_apply_result *res, uint64_t *size, struct berth_err *err)
{
	struct layer_apply_opts opts = { .what = blob, .tee_fd = -1, .no_diff_id = no_diff_id };
	autoclose int in = -1;
	autoclose int dir = -1;

	in = store_stage_blob_open(&l->st, blob, err);
	if (in < 0)
		return -1;
	if (mkdirat(l->st.layersfd, dirname, 0755) < 0)
		return berth_err_set(err, errno, "layer %s: mkdir", blob);
	dir = openat(l->st.layersfd, dirname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return berth_err_set(err, errno, "layer %s: open", blob);
	if (layer_apply(in, dir, &opts, res, err) < 0)
		return -1;
	if (layer_dir_content_size(dir, size, err) < 0)
		return berth_err_wrap(err, "layer %s", blob);
	return 0;
}

static void early_run(struct loader *l, struct early *j)
{
	struct layer_apply_result res;
	autofree char *dirname = xasprintf("b-%s", digest_hex(j->blob));

	if (unpack_into(l, j->blob, dirname, !j->compressed, &res, &j->size, &j->err) < 0) {
		j->failed = true;
		return;
	}
	/* An uncompressed layer is its own uncompressed stream. */
	memcpy(j->diff_id, j->compressed ? res.diff_id : j->blob, sizeof(j->diff_id));
	j->tar_size = res.tar_size;
}

static void *early_worker(void *arg)
{
	struct loader *l = arg;
	struct pool *p = &l->pool;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct early *j;

		while (p->next >= p->n && !p->closing)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->next >= p->n)
			break;
		j = p->jobs[p->next++];
		pthread_mutex_unlock(&p->mu);
		early_run(l, j);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Whether the store already has what this file would unpack to: then
 * unpacking it early would be wasted. */
static bool early_known(struct loader *l, const struct entry *e)
{
	if (e->kind == ENTRY_TAR)
		return store_layer_with_diff_id(l->s, e->digest);
	return store_blob_is_layer(l->s, e->digest);
}

void early_submit(struct loader *l, const struct entry *e)
{
	struct pool *p = &l->pool;
	struct early *j;

	if (early_known(l, e))
		return;
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->jobs[i]->blob, e->digest) == 0)
			return;
	if (!l->pool_started) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		size_t want = ncpu > 0 ? (size_t)ncpu : 1;

		if (want > ARRAY_SIZE(p->threads))
			want = ARRAY_SIZE(p->threads);
		pthread_mutex_init(&p->mu, NULL);
		pthread_cond_init(&p->cv, NULL);
		l->pool_started = true;
		for (size_t i = 0; i < want; i++)
			if (pthread_create(&p->threads[p->nthreads], NULL, early_worker, l) == 0)
				p->nthreads++;
	}
	j = xzalloc(sizeof(*j));
	memcpy(j->blob, e->digest, sizeof(j->blob));
	j->compressed = e->kind == ENTRY_COMPRESSED;
	pthread_mutex_lock(&p->mu);
	p->jobs = xreallocarray(p->jobs, p->n + 1, sizeof(*p->jobs));
	p->jobs[p->n++] = j;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	/* Without a worker (pthread_create failed), the layer is unpacked
	 * later with the others. */
}

/* Waits for the early unpacks to finish. */
static void pool_finish(struct loader *l)
{
	struct pool *p = &l->pool;

	if (!l->pool_started)
		return;
	pthread_mutex_lock(&p->mu);
	p->closing = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	p->nthreads = 0;
}

void pool_free(struct loader *l)
{
	struct pool *p = &l->pool;

	if (!l->pool_started)
		return;
	pool_finish(l);
	for (size_t i = 0; i < p->n; i++)
		free(p->jobs[i]);
	free(p->jobs);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	l->pool_started = false;
}

/* Gives nl the directory unpacked early from its blob, if there is one.
 * 1 taken, 0 none, -1 error (the unpack failed, or the DiffID is wrong). */
static int early_take(struct loader *l, struct store_new_layer *nl, struct berth_err *err)
{
	struct pool *p = &l->pool;
	autofree char *dirname = NULL;

	for (size_t i = 0; l->pool_started && i < p->n; i++) {
		struct early *j = p->jobs[i];

		if (j->used || strcmp(j->blob, nl->blob) != 0)
			continue;
		if (i >= p->next)
			return 0; /* never started: no worker */
		if (j->failed) {
			*err = j->err;
			return -1;
		}
		if (strcmp(j->diff_id, nl->diff_id) != 0)
			return berth_err_set(err, 0,
					     "layer %s: DiffID mismatch: the config says %s, the "
					     "content hashes to %s",
					     nl->blob, nl->diff_id, j->diff_id);
		dirname = xasprintf("b-%s", digest_hex(j->blob));
		if (renameat(l->st.layersfd, dirname, l->st.layersfd, digest_hex(nl->chain_id)) < 0)
			return berth_err_set(err, errno, "layer %s: rename", nl->blob);
		j->used = true;
		nl->tar_size = j->tar_size;
		nl->size = j->size;
		nl->staged = true;
		return 1;
	}
	return 0;
}

/* ---- unpacking, in parallel ---- */

struct unpack_job {
	struct store_new_layer *layer;
	bool done; /* unpacked early */
};

struct unpack_pool {
	struct loader *l;
	struct unpack_job *jobs;
	size_t n;
	size_t next; /* atomic */
	int failed;  /* atomic */
	pthread_mutex_t lock;
	struct berth_err err;
};

static int unpack_one(struct loader *l, struct store_new_layer *nl, struct berth_err *err)
{
	struct layer_apply_result res;

	if (unpack_into(l, nl->blob, digest_hex(nl->chain_id), false, &res, &nl->size, err) < 0)
		return -1;
	if (strcmp(res.diff_id, nl->diff_id) != 0)
		return berth_err_set(err, 0,
				     "layer %s: DiffID mismatch: the config says %s, the content "
				     "hashes to %s",
				     nl->blob, nl->diff_id, res.diff_id);
	nl->tar_size = res.tar_size;
	nl->staged = true;
	return 0;
}

static void *unpack_worker(void *arg)
{
	struct unpack_pool *p = arg;

	for (;;) {
		size_t i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
		struct berth_err err = { 0 };

		if (i >= p->n || __atomic_load_n(&p->failed, __ATOMIC_RELAXED))
			break;
		if (p->jobs[i].done)
			continue;
		if (unpack_one(p->l, p->jobs[i].layer, &err) < 0) {
			pthread_mutex_lock(&p->lock);
			if (!p->failed)
				p->err = err;
			__atomic_store_n(&p->failed, 1, __ATOMIC_RELAXED);
			pthread_mutex_unlock(&p->lock);
		}
	}
	return NULL;
}

static struct store_new_layer *find_scheduled(struct unpack_job *jobs, size_t n,
					      const char *chain_id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(jobs[i].layer->chain_id, chain_id) == 0)
			return jobs[i].layer;
	return NULL;
}

int unpack_layers(struct loader *l, struct berth_err *err)
{
	struct unpack_pool p = { .l = l };
	autofree struct unpack_job *jobs = NULL;
	/* Layers shared by two images in one archive are unpacked once. */
	autofree struct store_new_layer **twins = NULL;
	size_t n = 0, n_twins = 0, nthreads;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t threads[8];
	size_t started = 0;

	pool_finish(l);
	for (size_t i = 0; i < l->n_imgs; i++)
		for (size_t j = 0; j < l->imgs[i].n_layers; j++) {
			struct store_new_layer *nl = &l->imgs[i].layers[j];
			int r;

			if (store_layer_exists(l->s, nl->chain_id))
				continue;
			if (find_scheduled(jobs, n, nl->chain_id) != NULL) {
				twins = xreallocarray(twins, n_twins + 1, sizeof(*twins));
				twins[n_twins++] = nl;
				continue;
			}
			r = early_take(l, nl, err);
			if (r < 0)
				return -1;
			if (r == 1) {
				/* Twins of it find it as a scheduled, finished job. */
				jobs = xreallocarray(jobs, n + 1, sizeof(*jobs));
				jobs[n] = (struct unpack_job){ .layer = nl, .done = true };
				n++;
				continue;
			}
			jobs = xreallocarray(jobs, n + 1, sizeof(*jobs));
			jobs[n] = (struct unpack_job){ .layer = nl, .done = false };
			n++;
		}
	p.jobs = jobs;
	p.n = n;
	pthread_mutex_init(&p.lock, NULL);
	nthreads = ncpu > 0 ? (size_t)ncpu : 1;
	if (nthreads > ARRAY_SIZE(threads))
		nthreads = ARRAY_SIZE(threads);
	if (nthreads > n)
		nthreads = n;
	/* The calling thread works too. */
	for (size_t i = 1; i < nthreads; i++)
		if (pthread_create(&threads[started], NULL, unpack_worker, &p) == 0)
			started++;
	unpack_worker(&p);
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&p.lock);
	if (p.failed) {
		*err = p.err;
		return -1;
	}
	for (size_t i = 0; i < n_twins; i++) {
		struct store_new_layer *first = find_scheduled(jobs, n, twins[i]->chain_id);

		twins[i]->tar_size = first->tar_size;
		twins[i]->size = first->size;
	}
	return 0;
}
