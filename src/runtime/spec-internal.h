/* Shared inside the spec parser (spec.c, spec-process.c, spec-linux.c):
 * helpers that read a field and name it by its JSON path on error. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct berth_err;
struct spec;

/* Longest JSON path a message names; longer ones are cut. */
#define SPEC_PATH_MAX 256

/* Formats a field's JSON path into buf (SPEC_PATH_MAX bytes). */
void spec_pathf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Turns json_get_*'s "absent" (0) into a "PATH.KEY: required" error. */
int spec_need(int r, const char *path, const char *key, struct berth_err *err);
int spec_req_string(json_object *o, const char *key, const char *path, const char **out,
		    struct berth_err *err);
/* Optional string copied into *out (left alone when absent). */
int spec_dup_string(json_object *o, const char *key, const char *path, char **out,
		    struct berth_err *err);
int spec_check_absolute(const char *value, const char *path, struct berth_err *err);
/* Element i of arr, which must be an object; path names the element. */
int spec_array_object(json_object *arr, size_t i, const char *path, json_object **out,
		      struct berth_err *err);

struct spec_idmap;
/* An array of {containerID, hostID, size} at obj.key (path names obj). */
int spec_parse_idmap_list(json_object *obj, const char *key, const char *path,
			  struct spec_idmap **out, size_t *n_out, struct berth_err *err);

/* The "linux" object (spec-linux.c). check_host: namespace paths must exist
 * (false for a config re-read after create, see spec_parse_stored()). */
int spec_linux_parse(json_object *doc, struct spec *s, bool check_host, struct berth_err *err);
/* Rules that tie fields to namespaces (hostname needs UTS, net.* sysctls
 * need a network namespace, ...), checked once everything is read. */
int spec_linux_validate(const struct spec *s, struct berth_err *err);
