/* Process-wide logging. Text goes to stderr unless a log file is set; with
 * the json format each record is one line as runc writes it:
 * {"level":"error","msg":"...","time":"2026-01-01T00:00:00Z"}. */
#pragma once

#include <stdbool.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* path may be NULL (stderr). Returns -1 if the file cannot be opened. */
int log_setup(const char *path, bool json, bool debug);
bool log_is_json(void);
/* Stops logging in a container's process: its log file is a host file it
 * must not hold, and its stderr is the container's, where the runtime's
 * warnings do not belong (runc keeps them out of the container's streams
 * too). Its errors travel to the runtime over the sync socket. */
void log_drop_file(void);
bool log_has_file(void);
/* The fd records go to, and putting it back: a child that shares this
 * process's memory (process.c) drops the file in both, so the parent
 * restores it once the child has gone its way. */
int log_get_fd(void);
void log_set_fd(int fd);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
