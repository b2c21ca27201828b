#include "util/json.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* A JSON text spells a NUL only as the escape \u0000 (a raw NUL byte is
 * no valid JSON, and json-c stops there): "u0000" after an odd run of
 * backslashes. Any backslash in a valid document is inside a string. */
static bool text_has_nul(const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while ((p = memmem(p, (size_t)(end - p), "u0000", 5)) != NULL) {
		size_t n = 0;

		while (p - n > text && p[-1 - (ptrdiff_t)n] == '\\')
			n++;
		if (n % 2 == 1)
			return true;
		p++;
	}
	return false;
}

static bool has_nul(json_object *v)
{
	return strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v);
}

/* The path of the first string value under o holding a NUL, into buf;
 * false when there is none (the NUL is in an object key). */
static bool find_nul(json_object *o, char *buf, size_t size, size_t at)
{
	switch (json_object_get_type(o)) {
	case json_type_string:
		return has_nul(o);
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			int n = snprintf(buf + at, size - at, "[%zu]", i);

			if (find_nul(json_object_array_get_idx(o, i), buf, size,
				     at + ((size_t)n < size - at ? (size_t)n : size - at - 1)))
				return true;
		}
		return false;
	case json_type_object: {
		json_object_object_foreach(o, key, v)
		{
			int n = snprintf(buf + at, size - at, "%s%s", at > 0 ? "." : "", key);

			if (find_nul(v, buf, size,
				     at + ((size_t)n < size - at ? (size_t)n : size - at - 1)))
				return true;
		}
		return false;
	}
	default:
		return false;
	}
}

static int nul_error(json_object *o, const char *what, struct berth_err *err)
{
	char path[512] = "";

	if (!find_nul(o, path, sizeof(path), 0))
		return berth_err_set(err, 0, "%s: an object key contains a NUL byte", what);
	return berth_err_set(err, 0, "%s%s%s: contains a NUL byte", what,
			     path[0] == '[' || path[0] == '\0' ? "" : ": ", path);
}

int json_parse_text(const char *text, size_t len, const char *what, json_object **out,
		    struct berth_err *err)
{
	json_tokener *tok = json_tokener_new();
	json_object *o;
	enum json_tokener_error jerr;

	if (tok == NULL)
		return berth_err_set(err, ENOMEM, "parse %s", what);
	/* Strict: no trailing commas, no single quotes; config.json is read by
	 * other runtimes too and must be valid JSON. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (o == NULL || jerr != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) < len) {
		size_t at = json_tokener_get_parse_end(tok);
		/* Trailing whitespace after a complete document is fine. */
		bool trailing_ok = o != NULL && jerr == json_tokener_success;
		for (size_t i = at; trailing_ok && i < len; i++)
			if (strchr(" \t\r\n", text[i]) == NULL)
				trailing_ok = false;
		if (!trailing_ok) {
			const char *why = jerr == json_tokener_success
						  ? (o == NULL ? "unexpected end of input"
							       : "trailing data")
						  : json_tokener_error_desc(jerr);
			if (jerr == json_tokener_continue)
				why = "unexpected end of input";
			json_object_put(o);
			json_tokener_free(tok);
			return berth_err_set(err, 0, "%s: invalid JSON at byte %zu: %s",
					     what, at, why);
		}
	}
	json_tokener_free(tok);
	if (text_has_nul(text, len)) {
		nul_error(o, what, err);
		json_object_put(o);
		return -1;
	}
	*out = o;
	return 0;
}

static int get_typed(json_object *o, const char *key, const char *path, json_type want,
		     const char *want_name, json_object **out, struct berth_err *err)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, want))
		return berth_err_set(err, 0, "%s%s%s: expected %s", path ? path : "",
				     path ? "." : "", key, want_name);
	*out = v;
	return 1;
}

int json_get_object(json_object *o, const char *key, const char *path, json_object **out,
		    struct berth_err *err)
{
	return get_typed(o, key, path, json_type_object, "an object", out, err);
}

int json_get_array(json_object *o, const char *key, const char *path, json_object **out,
		   struct berth_err *err)
{
	return get_typed(o, key, path, json_type_array, "an array", out, err);
}

int json_get_string(json_object *o, const char *key, const char *path, const char **out,
		    struct berth_err *err)
{
	json_object *v = NULL;
	int r = get_typed(o, key, path, json_type_string, "a string", &v, err);

	if (r > 0 && has_nul(v))
		return berth_err_set(err, 0, "%s%s%s: contains a NUL byte", path ? path : "",
				     path ? "." : "", key);
	if (r > 0)
		*out = json_object_get_string(v);
	return r;
}

int json_get_bytes(json_object *o, const char *key, const char *path, const char **out, size_t *len,
		   struct berth_err *err)
{
	json_object *v = NULL;
	int r = get_typed(o, key, path, json_type_string, "a string", &v, err);

	if (r > 0) {
		*out = json_object_get_string(v);
		*len = (size_t)json_object_get_string_len(v);
	}
	return r;
}

int json_string_value(json_object *v, const char *path, const char **out, struct berth_err *err)
{
	if (!json_object_is_type(v, json_type_string))
		return berth_err_set(err, 0, "%s: expected a string", path);
	if (has_nul(v))
		return berth_err_set(err, 0, "%s: contains a NUL byte", path);
	*out = json_object_get_string(v);
	return 0;
}

int json_get_bool(json_object *o, const char *key, const char *path, bool *out,
		  struct berth_err *err)
{
	json_object *v = NULL;
	int r = get_typed(o, key, path, json_type_boolean, "a boolean", &v, err);
	if (r > 0)
		*out = json_object_get_boolean(v);
	return r;
}

int json_get_int64(json_object *o, const char *key, const char *path, int64_t *out,
		   struct berth_err *err)
{
	json_object *v = NULL;
	int r = get_typed(o, key, path, json_type_int, "an integer", &v, err);
	if (r > 0) {
		errno = 0;
		*out = json_object_get_int64(v);
		if (errno != 0)
			return berth_err_set(err, 0, "%s%s%s: integer out of range",
					     path ? path : "", path ? "." : "", key);
	}
	return r;
}

int json_get_uint64(json_object *o, const char *key, const char *path, uint64_t *out,
		    struct berth_err *err)
{
	json_object *v = NULL;
	int r = get_typed(o, key, path, json_type_int, "an integer", &v, err);
	if (r > 0) {
		/* json-c keeps integers above INT64_MAX as uint64. */
		if (json_object_get_int64(v) < 0)
			return berth_err_set(err, 0, "%s%s%s: must not be negative",
					     path ? path : "", path ? "." : "", key);
		*out = json_object_get_uint64(v);
	}
	return r;
}

int json_get_int_range(json_object *o, const char *key, const char *path, int64_t min,
		       int64_t max, int64_t *out, struct berth_err *err)
{
	int64_t v;
	int r = json_get_int64(o, key, path, &v, err);
	if (r > 0) {
		if (v < min || v > max)
			return berth_err_set(err, 0,
					     "%s%s%s: %" PRId64 " out of range [%" PRId64
					     ", %" PRId64 "]",
					     path ? path : "", path ? "." : "", key, v, min, max);
		*out = v;
	}
	return r;
}

int json_get_strv(json_object *o, const char *key, const char *path, char ***out,
		  struct berth_err *err)
{
	json_object *arr = NULL;
	char **v = NULL;
	size_t n;
	int r = json_get_array(o, key, path, &arr, err);

	if (r <= 0)
		return r;
	n = json_object_array_length(arr);
	v = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(e, json_type_string) || has_nul(e)) {
			strv_free(v);
			return berth_err_set(
			    err, 0, "%s%s%s[%zu]: %s", path ? path : "", path ? "." : "", key, i,
			    json_object_is_type(e, json_type_string) ? "contains a NUL byte"
								     : "expected a string");
		}
		v[i] = xstrdup(json_object_get_string(e));
	}
	strv_free(*out);
	*out = v;
	return 1;
}

const char *json_to_text(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
}
