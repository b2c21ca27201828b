/* docker's inspect output, shared by `image inspect` (image-inspect.c),
 * `container inspect` and the top-level `inspect` (container-inspect.c):
 * a JSON array indented by four spaces with Go's escaping, or a --format
 * template run on each object. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

struct berth_err;
struct engine_cli;
struct store;

/* The array as docker's daemon writes it (Go's encoding/json escaping). */
void inspect_print_json(json_object *all);
/* format NULL: inspect_print_json; else the template on each element, a
 * line each. */
int inspect_print(const char *format, json_object *all, struct berth_err *err);
/* The object `image inspect` shows for what; "No such image: X" (ENOENT). */
int inspect_image_object(struct store *s, const char *what, json_object **out,
			 struct berth_err *err);
/* The object `container inspect` shows; "No such container: X" (ENOENT).
 * size: SizeRw and SizeRootFs too (-s). */
int inspect_container_object(struct engine_cli *cli, const char *what, bool size, json_object **out,
			     struct berth_err *err);
