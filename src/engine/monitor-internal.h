/* Shared by the monitor's two sides: its programs (monitor.c) and the
 * command that starts it (monitor-start.c); not for other files. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine-internal.h"

/* What the monitor needs of a container's config: its stdio and log. The
 * start passes them in the monitor's arguments (monitor_argv); a monitor
 * that reads the row itself (to restart) takes them from there. */
struct monitor_settings {
	bool tty, open_stdin, stdin_once;
	bool no_log;   /* --log-driver none: output goes to attached clients only */
	bool journald; /* --log-driver journald: also to the journal */
	int64_t log_max_size, log_max_file;
	bool has_health; /* a health check, probed on this schedule */
	struct engine_health_schedule health;
};
void monitor_settings_from_config(json_object *config, struct monitor_settings *set);
/* The monitor's failure, "error CMD_STATUS MSG", to the command that
 * started it (fd -1: nobody), which records it (monitor_answer). */
void monitor_sync_error(int fd, const struct berth_err *err);
