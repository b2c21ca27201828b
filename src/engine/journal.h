/* The journald log driver's sending side: systemd-journald's native
 * protocol, one datagram per entry on /run/systemd/journal/socket.
 *
 * An entry is a list of fields; each is `KEY=value\n`, or, when the value
 * holds a newline (or any byte), `KEY\n`, its length as a little-endian
 * 64-bit number, the value, `\n`. An entry too big for a datagram goes as
 * a sealed memfd passed with SCM_RIGHTS, which journald reads instead.
 * (systemd's "Native Journal Protocol" document; stable since systemd 38.)
 *
 * Written here rather than linked from libsystemd: Berth's release build
 * and its berth-monitor are static, and Debian ships no static libsystemd;
 * sending is all the driver needs, and it is this small. `berth logs`
 * reads Berth's own copy of the output (logs.c), as docker's dual logging
 * does for drivers it cannot read back. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

/* Encoded fields, appended to. */
struct journal_fields {
	char *buf;
	size_t len, cap;
};

/* Appends KEY=value (value of len bytes, any bytes). key must be a valid
 * journal field name (journal_key_valid). */
void journal_fields_add(struct journal_fields *f, const char *key, const char *value, size_t len);
void journal_fields_free(struct journal_fields *f);

/* Whether key is a field name journald keeps for a client: A-Z, 0-9 and
 * '_', not starting with '_' (those are journald's own) nor a digit, at
 * most 64 bytes. */
bool journal_key_valid(const char *key);

/* docker's journald key for a label or variable name: letters upper-cased,
 * other bytes but digits made '_', leading '_' dropped. Returns a new
 * string, possibly empty. */
char *journal_key_from_name(const char *name);

/* Whether journald listens at JOURNAL_SOCKET. */
bool journal_available(void);

/* A datagram socket for journal_send (-1 and err on failure). */
int journal_open(struct berth_err *err);

/* Sends one entry: the fixed fields, then PRIORITY, MESSAGE (msg, len
 * bytes) and, for a line cut short, CONTAINER_PARTIAL_MESSAGE=true.
 * Returns 0, or -1 with errno when journald took nothing. */
int journal_send(int sock, const struct journal_fields *fixed, int priority, const char *msg,
		 size_t len, bool partial);
/* The same to the datagram socket at path (unit tests). */
int journal_send_to(int sock, const char *path, const struct journal_fields *fixed, int priority,
		    const char *msg, size_t len, bool partial);
