/* Attaching the caller's stdio to a container, shared by run, start -a
 * and attach (cli/attach.c). */
#pragma once

#include <stdbool.h>

struct berth_err;
struct engine;
struct engine_attach_opts;
struct engine_container;

/* The attach options for container c: its Tty and OpenStdin, stdin when
 * want_stdin, the detach keys (NULL: ctrl-p,ctrl-q). A tty with stdin
 * needs a terminal ("the input device is not a TTY", as docker says). */
int cli_attach_opts(const struct engine_container *c, bool want_stdin, const char *detach_keys,
		    bool sig_proxy, struct engine_attach_opts *o, struct berth_err *err);

/* Attaches to container id (starting it first when start is true, so that
 * no output is missed) and relays until it exits or the user detaches.
 * Returns the container's exit status, 0 after a detach, -1 with err;
 * *start_failed (may be NULL) tells a failed start from a failed relay. */
int cli_attach_start(struct engine *e, const char *id, const struct engine_attach_opts *o,
		     bool start, bool *start_failed, struct berth_err *err);
