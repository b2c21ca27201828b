/* Errors: a failing function returns a negative int and fills a struct
 * berth_err (errno + message). Callers add context by wrapping, so the final
 * message reads outermost-first: "create: mount proc on /proc: EPERM". Only
 * main() prints. */
#pragma once

#include <stdarg.h>

#define BERTH_ERR_MSG_MAX 2048

struct berth_err {
	int code; /* errno value, or 0 when not a syscall error */
	char msg[BERTH_ERR_MSG_MAX];
	/* The exit status main() ends with after printing msg; 0 means 1.
	 * docker's commands use 125 for an engine error. */
	int exit_status;
	/* 127 (not found) or 126 (found, cannot be executed) when the error is
	 * the runtime's report that the container's program cannot be run,
	 * else 0. Only that report may turn into docker's 127 and 126: the
	 * text of a message (a mount's "No such file or directory") says
	 * nothing about the program. berth_err_set resets it; wrapping keeps
	 * it. */
	int cmd_status;
};

/* Fill err with a formatted message; when errnum != 0, ": strerror" is
 * appended; cmd_status goes back to 0. Always returns -1 so callers can
 * `return berth_err_set(...)`. */
int berth_err_set(struct berth_err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the existing message with context ("context: old message").
 * Returns -1. */
int berth_err_wrap(struct berth_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void berth_err_clear(struct berth_err *err);
