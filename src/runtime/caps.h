/* Linux capabilities: names (as the spec writes them, "CAP_NET_ADMIN") and
 * applying the five sets to the current process. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct berth_err;
struct spec_caps;

/* "CAP_CHOWN" (case-insensitive, "CAP_" prefix optional) -> number, or -1. */
int caps_from_name(const char *name);
/* Number -> canonical "CAP_CHOWN", or NULL. */
const char *caps_to_name(int cap);
/* Highest capability the running kernel knows. */
int caps_last_cap(void);
/* Parses a list of names into a mask; an unknown name is an error naming
 * path and the name. Names the spec knows but the kernel does not are
 * skipped with a warning, as runc does. */
int caps_parse_list(char *const *names, const char *path, uint64_t *mask, struct berth_err *err);

/* Drops every capability not in the bounding set (needs CAP_SETPCAP). */
int caps_apply_bounding(const struct spec_caps *c, struct berth_err *err);
/* Sets effective/permitted/inheritable and raises ambient; called after
 * the uid change (with PR_SET_KEEPCAPS kept). */
int caps_apply_sets(const struct spec_caps *c, struct berth_err *err);
