/* Typed accessors over json-c that report the offending field by its JSON
 * path ("process.user.uid"), so a schema error names what was wrong. Each
 * get_* returns 0 when the key is absent (leaving *out untouched), 1 when it
 * was read, -1 (err filled) when it has the wrong type. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

struct berth_err;

static inline void cleanup_json_putp(json_object **o)
{
	if (*o != NULL)
		json_object_put(*o);
}
#define autojson __attribute__((cleanup(cleanup_json_putp)))

/* Parses text; the error names `what` (usually a file name) and the
 * position of the failure. */
int json_parse_text(const char *text, size_t len, const char *what, json_object **out,
		    struct berth_err *err);

int json_get_object(json_object *o, const char *key, const char *path, json_object **out,
		    struct berth_err *err);
int json_get_array(json_object *o, const char *key, const char *path, json_object **out,
		   struct berth_err *err);
int json_get_string(json_object *o, const char *key, const char *path, const char **out,
		    struct berth_err *err);
int json_get_bool(json_object *o, const char *key, const char *path, bool *out,
		  struct berth_err *err);
int json_get_int64(json_object *o, const char *key, const char *path, int64_t *out,
		   struct berth_err *err);
int json_get_uint64(json_object *o, const char *key, const char *path, uint64_t *out,
		    struct berth_err *err);
/* An integer in [min, max]. */
int json_get_int_range(json_object *o, const char *key, const char *path, int64_t min,
		       int64_t max, int64_t *out, struct berth_err *err);
/* An array of strings, copied into a NULL-terminated vector. */
int json_get_strv(json_object *o, const char *key, const char *path, char ***out,
		  struct berth_err *err);

const char *json_to_text(json_object *o);
