/* The monitor's event loop while a container runs: it moves the
 * container's output to the json-file log and to attached clients, the
 * clients' input to the container's stdin, applies resizes to the pty,
 * and reaps the container's init. It needs nothing but libc (and logs.c),
 * so it also runs as the small static `berth-monitor` program that an
 * idle container's monitor is (monitor-tiny.c).
 *
 * Attach clients speak SOCK_SEQPACKET: one message is one frame, its first
 * byte the kind, the rest the payload. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/engine-internal.h"

/* client -> monitor */
#define ATTACH_HELLO       'H' /* + one byte of ATTACH_WANT_* flags; first */
#define ATTACH_STDIN       'I' /* + bytes for the container's stdin */
#define ATTACH_CLOSE_STDIN 'C' /* the client's stdin ended */
#define ATTACH_RESIZE      'R' /* + uint16 rows, uint16 cols (host order) */
/* monitor -> client */
#define ATTACH_STDOUT 'O' /* + bytes */
#define ATTACH_STDERR 'E' /* + bytes */
#define ATTACH_EXIT   'X' /* + the exit status as decimal text: the end */

#define ATTACH_WANT_STDIN  1
#define ATTACH_WANT_STDOUT 2
#define ATTACH_WANT_STDERR 4
/* `logs -f`: the monitor answers the hello with ATTACH_LOG_SIZE, the size
 * of the log file so far (the client reads the file up to there), then
 * sends every json-file record written after it as ATTACH_LOG_RECORD. */
#define ATTACH_WANT_LOG   8
#define ATTACH_LOG_SIZE   'P' /* + decimal bytes */
#define ATTACH_LOG_RECORD 'L' /* + one json-file line */
/* (engine/attach.h's ENGINE_LOG_RECORD_MAX bounds a record.) */

/* An attached `run --rm` takes the end over (the monitor would otherwise
 * execute `berth __monitor-exit`, open the store and remove the
 * container while the client waits): after the init's exit the monitor
 * sends it ATTACH_DONE; it removes the container from the store and
 * answers ATTACH_REMOVED, and the monitor only cleans up what nobody
 * waits for (the runtime's state and cgroups, the moved-aside
 * directories). ATTACH_DECLINE, or the client's going away, leaves the
 * end to the monitor as without the flag. */
#define ATTACH_WANT_FINISH 16
#define ATTACH_DONE        'D' /* monitor -> client: + the exit status as decimal text */
#define ATTACH_REMOVED     'K' /* client -> monitor: removed from the store */
#define ATTACH_DECLINE     'N' /* client -> monitor: the monitor ends it */

#define ATTACH_FRAME_MAX    32769 /* kind + 32 KiB */
#define MONITOR_MAX_CLIENTS 32

struct monitor_client {
	int fd;
	unsigned want; /* ATTACH_WANT_*; 0 until the hello */
};

struct monitor_io {
	pid_t init;
	bool tty;        /* out is the pty master, and in is the same fd */
	bool stdin_once; /* a client's ATTACH_CLOSE_STDIN closes the container's stdin */
	int out, err;    /* the container's stdout and stderr (err -1 with a tty) */
	int in;          /* its stdin (pipe or pty), -1 when it has none */
	int listen;      /* the attach socket, accepting */
	struct monitor_client clients[MONITOR_MAX_CLIENTS];
	size_t n_clients;
	struct log_writer log;
	/* stdin bytes the container has not taken yet */
	char pending[ATTACH_FRAME_MAX];
	size_t pending_len;
	/* Health checks (health_argv NULL: none): the probe program (`berth
	 * __health ...`, health.c) runs health.interval after the last one
	 * ended (after the loop began, the first time), or
	 * health.start_interval while it answers "starting" within
	 * health.start_period of the loop's start. One at a time; its exit
	 * status is the new status (0 healthy, 1 unhealthy, 2 starting). */
	char **health_argv;
	struct engine_health_schedule health;
	int64_t health_began, health_next; /* CLOCK_MONOTONIC ns */
	pid_t health_pid;                  /* the probe running, 0: none */
	int health_status;
};

/* Runs until the init has exited and its output is drained; returns its
 * exit status (128+signal when killed), or -1 when it could not be
 * learned. SIGCHLD must be blocked by the caller. The clients stay
 * connected (the caller sends them the exit). */
int monitor_io_run(struct monitor_io *m);

/* monitor_io_run with the json-file log at path open around it (a log
 * that cannot be opened is skipped: the container runs without), and with
 * journal (NULL: none) the journald driver's fields file
 * (engine_journal_prepare's): every record also goes to the journal. */
int monitor_io_run_logged(struct monitor_io *m, const char *path, uint64_t max_size, int max_file,
			  const char *journal);

/* After monitor_io_run: hands the end over to the first client that
 * asked for ATTACH_WANT_FINISH (see there). true when that client removed
 * the container (it is dropped: it has the status); false when there is
 * none, it declined, went away, or did not answer in time (it stays, to
 * be told the exit as the others). */
bool monitor_io_hand_over(struct monitor_io *m, int code);

/* Tells clients[0..*n) the exit status (ATTACH_EXIT) and closes them. */
void monitor_clients_tell_exit(struct monitor_client *clients, size_t *n, int code);

/* "FD:WANT", as the monitor's programs pass clients to each other; -1
 * when malformed. */
int monitor_client_parse(const char *s, struct monitor_client *out);

/* "INTERVAL:START_INTERVAL:START_PERIOD" (nanoseconds), as the monitor's
 * programs pass a health schedule to each other; -1 when malformed. */
int monitor_health_parse(const char *s, struct engine_health_schedule *out);

/* One frame to a client; false when the client is gone. */
bool monitor_io_send(int fd, char kind, const void *buf, size_t len);
/* Receives one frame into buf (cap bytes) and NUL-terminates it, so cap
 * must leave a byte beyond the largest frame: a frame that does not fit
 * is an error (EMSGSIZE), never silently cut short. Returns the frame's
 * length, 0 when the peer is gone, or -1 (errno). */
ssize_t monitor_io_recv(int fd, char *buf, size_t cap, int flags);
