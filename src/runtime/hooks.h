/* OCI hooks: each runs with the container state on stdin, its own args and
 * env, and an optional timeout after which it is killed. */
#pragma once

#include "runtime/spec.h"

struct berth_err;

/* Runs the hooks of one kind in order, stopping at the first failure, which
 * is reported naming the hook ("hooks.prestart[1] /usr/bin/x: exited with
 * status 2: <first line of its stderr>"). */
int hooks_run(const struct spec *s, enum spec_hook_kind kind, const char *state_json,
	      struct berth_err *err);

/* Runs every hook of the kind even when some fail, each failure logged as a
 * warning: the runtime-spec's rule for poststart and poststop hooks.
 * Returns how many failed. */
int hooks_run_all(const struct spec *s, enum spec_hook_kind kind, const char *state_json);
