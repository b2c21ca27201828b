/* JSON output shaped like Go's encoding/json, which is what runc prints and
 * what scripts written against runc were tested with: compact output has no
 * spaces; indented output puts one value per line, "key": value, and keeps
 * empty objects and arrays as {} and []. Slashes are not escaped. */
#pragma once

#include <json-c/json.h>
#include <stdio.h>

/* indent NULL prints compactly. A newline always follows. */
void cli_json_print(FILE *f, json_object *o, const char *indent);
