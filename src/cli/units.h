/* Quantities as runc's flags spell them. */
#pragma once

#include <stdint.h>
#include <time.h>

/* A size with an optional binary unit, as docker and runc accept for memory:
 * "1024", "64m", "1.5g", "512KiB", "100b"; or "-1" (unlimited). Returns -1
 * when s is none of these. */
int cli_parse_size(const char *s, int64_t *out);

/* A positive Go duration as runc's --interval takes it: "5s", "500ms",
 * "1m30s", "1.5h". Returns -1 otherwise. */
int cli_parse_duration(const char *s, struct timespec *out);
