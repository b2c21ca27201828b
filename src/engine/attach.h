/* Attaching to a container: the client side of the monitor's attach
 * socket (monitor-io.h has the frames). `run` and `start -a` attach
 * through a socketpair handed to the monitor before the container starts,
 * `attach` through RUN_ROOT/ID/attach.sock. The relay puts the caller's
 * terminal in raw mode for a tty, sends its size and every SIGWINCH,
 * watches stdin for the detach keys (docker's ctrl-p,ctrl-q), and proxies
 * signals to the container when asked (docker's --sig-proxy). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct berth_err;
struct engine;

#define ATTACH_DETACH_KEYS_MAX 16

struct engine_attach_opts {
	bool in, out, err; /* the streams to attach */
	bool tty;          /* the container has a tty */
	bool sig_proxy;    /* forward the caller's signals (ignored with a tty) */
	/* a --rm container: take its end over (ATTACH_WANT_FINISH) and
	 * remove it when it exits, instead of waiting for its monitor to */
	bool finish;
	/* docker's --detach-keys ("ctrl-p,ctrl-q"); parsed by
	 * engine_attach_detach_keys */
	unsigned char detach_keys[ATTACH_DETACH_KEYS_MAX];
	size_t n_detach_keys;
};

/* Sets the defaults: stdout and stderr, signals proxied, ctrl-p ctrl-q. */
void engine_attach_opts_init(struct engine_attach_opts *o);

/* Parses docker's detach-keys syntax: comma-separated keys, each a single
 * character or ctrl-X (X one of a-z @ [ \ ] ^ _). "" means none. */
int engine_attach_detach_keys(const char *spec, struct engine_attach_opts *o,
			      struct berth_err *err);

/* A socketpair for engine_start: *theirs goes to the monitor, *mine stays;
 * the hello is already sent. */
int engine_attach_pair(const struct engine_attach_opts *o, int *mine, int *theirs,
		       struct berth_err *err);

/* Connects to a running container's monitor and says hello. */
int engine_attach_connect(struct engine *e, const char *id, const struct engine_attach_opts *o,
			  int *sock, struct berth_err *err);

/* Relays between the caller's stdio and the container until it exits
 * (*exit_code, *detached false) or the user types the detach keys
 * (*detached true). A monitor that goes away without saying how the
 * container ended is an error (ECONNRESET); the caller may engine_wait. */
int engine_attach_relay(struct engine *e, const char *id, int sock,
			const struct engine_attach_opts *o, int *exit_code, bool *detached,
			struct berth_err *err);

/* The buffer engine_logs_next needs: a record holds up to 16 KiB of
 * output, escaped (at most 6 bytes each). */
#define ENGINE_LOG_RECORD_MAX (16384 * 6 + 256)

/* `logs -f` through the monitor: connects to a running container's
 * monitor asking for its log records; *size gets the log file's size at
 * that moment (the records up to it are in the file, those after it
 * come through sock). */
int engine_logs_subscribe(struct engine *e, const char *id, int *sock, unsigned long long *size,
			  struct berth_err *err);
/* The next record into buf (a NUL-terminated json-file line): 1; 0 when
 * the container has exited (or its monitor is gone); -1 with err. Waits
 * at most timeout_ms (-1: forever); on a timeout returns 2. */
int engine_logs_next(int sock, char *buf, size_t cap, int timeout_ms, struct berth_err *err);
