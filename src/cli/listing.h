/* What docker's listing commands (images, history, system df) share: rows
 * built as JSON objects with docker's field names and values, and one
 * printer that turns them into the default table, a --format template or
 * --format json.
 *
 * Scripts parse what these print, so the output follows docker's CLI
 * (24-28) byte for byte. Default tables are aligned as docker's formatter
 * aligns them: Go's tabwriter with a minimum cell width of 10 and a padding
 * of 3. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct berth_err;
struct store_image;

/* What docker shows for a missing repository, tag or digest. */
#define LISTING_NONE "<none>"

/* A column of a table; arrays of them end with { NULL, NULL }. */
struct listing_column {
	const char *field;  /* the row's key, as a template names it */
	const char *header; /* its table heading */
};

void listing_add_str(json_object *o, const char *key, const char *value);
/* A string member, or NULL when o is NULL or the member is absent or not a
 * string. */
const char *listing_get_str(json_object *o, const char *key);

/* Appends text to the malloc'd string *s (NULL: none yet; *len is its
 * length), after sep when *s already holds something. */
void listing_append(char **s, size_t *len, const char *sep, const char *text);

/* The first 12 hex digits of an id (docker's TruncateID) when trunc, else
 * all of it. */
char *listing_id_text(const char *id, bool trunc);

/* A normalised "repo:tag" as the REPOSITORY and TAG columns show it:
 * "busybox" and "latest" for "docker.io/library/busybox:latest". False,
 * with both NULL, for a name without a tag. */
bool listing_name_split(const char *name, char **repo, char **tag);

/* What one row of `images` (and of `system df -v`) shows. */
struct listing_image_row {
	const struct store_image *img;
	const char *repo, *tag, *digest;
	bool trunc;
	int64_t shared;     /* -1: not computed ("N/A") */
	int64_t containers; /* -1: not computed */
};

/* The row as docker's image formatter context marshals it: keys sorted.
 * now is the time CreatedSince counts from. */
json_object *listing_image_row_json(const struct listing_image_row *r, time_t now);

/* The default table: a heading line, then a line per row. */
void listing_print_table(const struct listing_column *cols, json_object *rows);
/* One JSON object on a line, as docker's `{{json .}}` prints it. */
void listing_print_json_line(json_object *o);
/* format: NULL, "" or "table" for the default table (columns table), "json"
 * for a JSON object per line, else a template ("table TEMPLATE" takes its
 * headings from fields). */
int listing_print_rows(const char *format, json_object *rows, const struct listing_column *table,
		       const struct listing_column *fields, struct berth_err *err);
