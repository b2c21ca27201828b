#include "util/log.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_fd = STDERR_FILENO;
static bool log_json;
/* Text records as runc's logrus writes them (time="..." level=... msg="...");
 * log_setup, which only the runtime's command line calls, turns it on.
 * The engine's messages keep "berth: warning: ...". */
static bool log_logrus;
static enum log_level log_max = LOG_WARN;

int log_setup(const char *path, bool json, bool debug)
{
	log_json = json;
	log_logrus = true;
	log_max = debug ? LOG_DEBUG : LOG_WARN;
	if (path != NULL && path[0] != '\0') {
		int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0)
			return -1;
		log_fd = fd;
	}
	return 0;
}

bool log_is_json(void)
{
	return log_json;
}

void log_drop_file(void)
{
	log_fd = -1;
}

int log_get_fd(void)
{
	return log_fd;
}

void log_set_fd(int fd)
{
	log_fd = fd;
}

bool log_has_file(void)
{
	return log_fd != STDERR_FILENO;
}

static const char *const level_names[] = {"error", "warning", "info", "debug"};

/* time="2026-01-01T00:00:00Z" level=debug msg="..." (msg quoted as Go's
 * %q quotes: backslash, quote and control bytes escaped) */
static void logrus_text(enum log_level level, const char *msg)
{
	char ts[32], q[4200];
	struct timespec now;
	struct tm tm;
	size_t n = 0;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (const unsigned char *p = (const unsigned char *)msg; *p != '\0' && n < sizeof(q) - 8;
	     p++) {
		if (*p == '"' || *p == '\\') {
			q[n++] = '\\';
			q[n++] = (char)*p;
		} else if (*p == '\n') {
			q[n++] = '\\';
			q[n++] = 'n';
		} else if (*p < 0x20 || *p == 0x7f) {
			n += (size_t)snprintf(q + n, sizeof(q) - n, "\\x%02x", *p);
		} else {
			q[n++] = (char)*p;
		}
	}
	q[n] = '\0';
	dprintf(log_fd, "time=\"%s\" level=%s msg=\"%s\"\n", ts, level_names[level], q);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (level > log_max || log_fd < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (log_json) {
		char ts[64];
		struct timespec now;
		struct tm tm;
		json_object *o = json_object_new_object();
		const char *s;

		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(ts + strlen(ts), sizeof(ts) - strlen(ts), ".%09ldZ", now.tv_nsec);
		json_object_object_add(o, "level", json_object_new_string(level_names[level]));
		json_object_object_add(o, "msg", json_object_new_string(msg));
		json_object_object_add(o, "time", json_object_new_string(ts));
		s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE);
		dprintf(log_fd, "%s\n", s);
		json_object_put(o);
	} else if (log_logrus && (log_fd != STDERR_FILENO || level != LOG_ERROR)) {
		logrus_text(level, msg);
	} else if (log_fd != STDERR_FILENO) {
		dprintf(log_fd, "%s: %s\n", level_names[level], msg);
	} else {
		dprintf(log_fd, "berth: %s%s%s\n", level == LOG_ERROR ? "" : level_names[level],
			level == LOG_ERROR ? "" : ": ", msg);
	}
}
