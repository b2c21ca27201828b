/* Helpers the cgroup unit tests share. */
#pragma once

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "runtime/cgroup/resources.h"
#include "util/err.h"
#include "util/json.h"

/* linux.resources from JSON text; NULL (and a note) when it does not parse. */
static inline struct cgroup_resources *res_from(const char *text)
{
	json_object *o = NULL;
	struct cgroup_resources *r = NULL;
	struct berth_err e = { 0 };

	if (json_parse_text(text, strlen(text), "test", &o, &e) < 0 ||
	    cgroup_resources_parse(o, "linux.resources", &r, &e) < 0) {
		printf("# parse: %s\n", e.msg);
		json_object_put(o);
		return NULL;
	}
	json_object_put(o);
	return r;
}

/* o.a.b.c as a number; 999999 when a key is missing. */
static inline uint64_t jget(json_object *o, const char *a, const char *b, const char *c)
{
	json_object *x = o;
	const char *k[] = { a, b, c };
	for (size_t i = 0; i < 3 && k[i] != NULL; i++)
		if (!json_object_object_get_ex(x, k[i], &x))
			return 999999;
	return json_object_get_uint64(x);
}
