/* Shared by container-fs.c (cp, export), container-diff.c and
 * container-commit.c; not for other files. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "engine/container-fs.h"
#include "engine/engine.h"
#include "image/store.h"

/* A container's root: its snapshot's merged tree, mounted for the call
 * when it was not. */
struct croot {
	struct engine_container c;
	struct store_snapshot sn;
	char *snapdir; /* ROOT/snapshots/ID */
	int fd;        /* O_PATH of the merged root */
	bool mounted_here;
};

/* Mount points made for the container, left out of diff and commit. */
extern const char *const croot_init_paths[];

int croot_open(struct engine *e, const char *what, struct croot *r, struct berth_err *err);
void croot_close(struct croot *r);
bool croot_is_overlay(const struct croot *r);
/* An fd for reading what fd (O_PATH) names, through /proc/self/fd. */
int croot_reopen(int fd, int flags);

/* The container's changes against its image (container-diff.c). */
struct changes {
	struct engine_change *v;
	size_t n;
	char **changed_dirs; /* recorded directories (docker's changedDirs) */
	/* overlay: the image's layer dirs, top first */
	int *lowers;
	size_t n_lowers;
	struct berth_err *err;
};

/* Fills c (zeroed by the caller) with the changes, sorted by path. */
int changes_read(struct engine *e, const struct croot *r, struct changes *c, struct berth_err *err);
void changes_clear(struct changes *c);
