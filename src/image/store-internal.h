/* Shared by the store's own files; not for other layers. */
#pragma once

#include <sqlite3.h>
#include <stdint.h>

#include "image/store.h"

int store_sql_err(struct store *s, const char *what, struct berth_err *err);
int store_exec(struct store *s, const char *sql, struct berth_err *err);
int store_prepare(struct store *s, const char *sql, sqlite3_stmt **out, struct berth_err *err);
int store_begin(struct store *s, struct berth_err *err);
int store_commit(struct store *s, struct berth_err *err);
void store_rollback(struct store *s);
/* Runs a query with one text parameter: 1 when it returns a row, 0 when
 * none, -1 when it failed (callers choose what doubt means: gc keeps). */
int store_row_exists(struct store *s, const char *sql, const char *arg);
int store_set_tag(struct store *s, const char *id, const char *name, int64_t now,
		  struct berth_err *err);
/* Runs the sweep; the caller holds the exclusive lock. */
int store_gc_locked(struct store *s, struct store_gc_stats *stats, struct berth_err *err);
/* store_gc's visitor of ROOT/snapshots: removes a directory without a row. */
/* ROOT/init (see STORE_SNAPSHOT_INIT), made once, when the store is
 * opened: in a staging directory, then renamed into place, so it is whole
 * or absent. */
int store_init_layer(struct store *s, struct berth_err *err);
int store_snapshot_sweep(struct store *s, int dfd, const char *name, struct store_gc_stats *stats,
			 struct berth_err *err);
