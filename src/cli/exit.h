/* How both programs end (main.c's berth, main-runc.c's berth-runc): stdout
 * flushed, and a failure printed as one line on stderr (controls escaped)
 * and logged when a log file was asked for (containerd reads the runtime's
 * failure from there). */
#pragma once

struct berth_err;

/* The exit status for r (a command's status, or -1 with err filled). */
int cli_exit(int r, struct berth_err *err);
