/* Typed accessors over json-c that report the offending field by its JSON
 * path ("process.user.uid"), so a schema error names what was wrong. Each
 * get_* returns 0 when the key is absent (leaving *out untouched), 1 when it
 * was read, -1 (err filled) when it has the wrong type.
 *
 * NUL bytes: JSON may spell one inside a string ("\u0000"); json-c keeps
 * it, with the length, but every C string Berth makes of it ends there:
 * a tag "rt/bb\u0000evil:latest" became "rt/bb". So a string with a NUL
 * is an error wherever Berth takes one, naming its JSON path
 * ("manifest.json[0].RepoTags[0]: contains a NUL byte"): json_parse_text
 * refuses a document with one anywhere (an object key too, which json-c
 * cuts at the NUL itself), and every string accessor here checks again,
 * for objects that came another way. Only json_get_bytes hands out what
 * may hold NULs (a log record's output), with its length. */
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
 * position of the failure, or the path of a string with a NUL byte. */
int json_parse_text(const char *text, size_t len, const char *what, json_object **out,
		    struct berth_err *err);

int json_get_object(json_object *o, const char *key, const char *path, json_object **out,
		    struct berth_err *err);
int json_get_array(json_object *o, const char *key, const char *path, json_object **out,
		   struct berth_err *err);
int json_get_string(json_object *o, const char *key, const char *path, const char **out,
		    struct berth_err *err);
/* A string's bytes, NULs and all, and their length: for data that is not a
 * name (a log record's output). */
int json_get_bytes(json_object *o, const char *key, const char *path, const char **out, size_t *len,
		   struct berth_err *err);
/* v itself (an array element, an object member's value) as a string; path
 * names v in full ("linux.sysctl.net.ipv4.ip_forward"). Returns 0, or -1
 * when v is no string or holds a NUL. */
int json_string_value(json_object *v, const char *path, const char **out, struct berth_err *err);
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
