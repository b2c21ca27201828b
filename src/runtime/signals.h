/* Signal names and numbers, as `kill` accepts them: "KILL", "SIGKILL", "9",
 * "RTMIN+3". */
#pragma once

/* Returns the signal number, or -1 when s names no signal. */
int signal_parse(const char *s);
/* "SIGTERM" for 15; NULL for an unknown number. */
const char *signal_name(int sig);
