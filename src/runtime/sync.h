/* The runtime and the container's processes talk over a SOCK_SEQPACKET
 * socketpair: one message per step, an fd attached where one travels (the
 * seccomp listener). A closed socket means the other side died. */
#pragma once

#include <stddef.h>

struct berth_err;

enum sync_type {
	SYNC_USERNS = 1,		/* stage 1 -> runtime: user ns made, write the maps */
	SYNC_ACK,		/* runtime -> child: done, proceed */
	SYNC_PID,		/* stage 1 -> runtime: value = the init's pid */
	SYNC_HOOKS,		/* init -> runtime: run prestart/createRuntime now */
	SYNC_SECCOMP_FD,	/* init -> runtime: the seccomp listener fd */
	SYNC_READY,		/* init -> runtime: set up, about to wait for start */
	SYNC_ERROR,		/* either way: text says what failed, value its
				 * cmd_status (126, 127: the program cannot be run) */
};

struct sync_msg {
	int type;
	int value;
	char text[2048];
};

/* Sends a message (fd >= 0 attaches it with SCM_RIGHTS). */
int sync_send(int sock, int type, int value, const char *text, int fd);
/* Receives one message; *fd gets an attached fd or -1 (fd may be NULL).
 * Returns -1 with errno set, or 0 with msg->type 0 on EOF. */
int sync_recv(int sock, struct sync_msg *msg, int *fd);
/* Fills err from a SYNC_ERROR message: its text, and its cmd_status when
 * the value is one (126 or 127). Returns -1. */
int sync_error(const struct sync_msg *m, struct berth_err *err);
/* Waits for `type`; an SYNC_ERROR or EOF fills err. */
int sync_expect(int sock, int type, struct berth_err *err);
