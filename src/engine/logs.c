/* docker's json-file log driver: one JSON object per line,
 *   {"log":"hello\n","stream":"stdout","time":"2024-05-01T12:00:00.123456789Z"}
 * rotated by size (ID-json.log, ID-json.log.1, ...), 10 MiB x 3 files by
 * default, because an unbounded log is a long-standing complaint. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine-internal.h"
#include "engine/journal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/human.h"
#include "util/xalloc.h"

#define LOG_DEFAULT_MAX_SIZE (10u << 20)
#define LOG_DEFAULT_MAX_FILE 3
/* docker splits lines longer than this into several records. */
#define LOG_MAX_LINE 16384

int log_writer_open(struct log_writer *w, const char *path, uint64_t max_size, int max_file,
		    struct berth_err *err)
{
	struct stat st;

	memset(w, 0, sizeof(*w));
	w->max_size = max_size > 0 ? max_size : LOG_DEFAULT_MAX_SIZE;
	w->max_file = max_file > 0 ? max_file : LOG_DEFAULT_MAX_FILE;
	w->path = xstrdup(path);
	w->fd = -1;
	w->journal_fd = -1;
	/* Made with the first record (log_file): a container that prints
	 * nothing costs no file (nor directory) on disk. */
	if (stat(path, &st) == 0)
		w->size = (uint64_t)st.st_size;
	else if (errno != ENOENT)
		return berth_err_set(err, errno, "stat %s", path);
	return 0;
}

/* The log file, opened (and with its directory made) on first use. */
static int log_file(struct log_writer *w)
{
	char *slash;

	if (w->fd >= 0 || w->failed)
		return w->fd;
	w->fd = open(w->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (w->fd < 0 && errno == ENOENT && (slash = strrchr(w->path, '/')) != NULL) {
		*slash = '\0';
		if (mkdir(w->path, 0700) < 0 && errno != EEXIST)
			w->failed = true;
		*slash = '/';
		if (!w->failed)
			w->fd = open(w->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	}
	if (w->fd < 0)
		w->failed = true;
	return w->fd;
}

/* ID-json.log -> .1 -> .2 ...; the oldest beyond max_file goes. */
static void rotate(struct log_writer *w)
{
	if (w->max_file <= 1) {
		if (ftruncate(w->fd, 0) == 0)
			w->size = 0;
		return;
	}
	for (int i = w->max_file - 1; i > 0; i--) {
		autofree char *from =
		    i == 1 ? xstrdup(w->path) : xasprintf("%s.%d", w->path, i - 1);
		autofree char *to = xasprintf("%s.%d", w->path, i);

		rename(from, to);
	}
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->size = 0;
}

static void put_escaped(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char tmp[8];
		const char *add = tmp;
		size_t k;

		if (c == '"' || c == '\\') {
			tmp[0] = '\\', tmp[1] = (char)c, tmp[2] = '\0';
		} else if (c == '\n') {
			add = "\\n";
		} else if (c == '\r') {
			add = "\\r";
		} else if (c == '\t') {
			add = "\\t";
		} else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&') {
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
		} else {
			tmp[0] = (char)c, tmp[1] = '\0';
		}
		k = strlen(add);
		if (*len + k + 1 > *cap) {
			*cap = (*cap + k + 1) * 2;
			*buf = xrealloc(*buf, *cap);
		}
		memcpy(*buf + *len, add, k);
		*len += k;
	}
}

/* journald: the line without its newline; one cut at LOG_MAX_LINE is
 * marked partial, as docker's driver marks it. stdout is PRIORITY 6
 * (info), stderr 3 (err). */
static void emit_journal(struct log_writer *w, int stream, const char *line, size_t n, bool partial)
{
	struct journal_fields fixed = { .buf = w->journal_fields,
					.len = w->journal_fields_len,
					.cap = w->journal_fields_len };

	if (n > 0 && line[n - 1] == '\n')
		n--;
	(void)journal_send(w->journal_fd, &fixed, stream == 0 ? 6 : 3, line, n, partial);
}

static void emit(struct log_writer *w, int stream, const char *line, size_t n, bool partial)
{
	static const char *const names[] = { "stdout", "stderr" };
	char now[48];
	struct timespec ts;
	size_t len = 0, cap = n * 2 + 96;
	autofree char *rec = xmalloc(cap);
	autofree char *tail = NULL;

	clock_gettime(CLOCK_REALTIME, &ts);
	human_rfc3339(ts.tv_sec, ts.tv_nsec, now);
	memcpy(rec, "{\"log\":\"", 8);
	len = 8;
	put_escaped(&rec, &len, &cap, line, n);
	tail = xasprintf("\",\"stream\":\"%s\",\"time\":\"%s\"}\n", names[stream], now);
	if (len + strlen(tail) + 1 > cap) {
		cap = len + strlen(tail) + 1;
		rec = xrealloc(rec, cap);
	}
	memcpy(rec + len, tail, strlen(tail));
	len += strlen(tail);
	if (w->size + len > w->max_size && w->size > 0)
		rotate(w);
	if (log_file(w) >= 0 && fs_write_all(w->fd, rec, len, -1) == 0)
		w->size += len;
	if (w->on_record != NULL)
		w->on_record(w->ctx, rec, len);
	if (w->journal_fd >= 0)
		emit_journal(w, stream, line, n, partial);
}

void log_writer_write(struct log_writer *w, int stream, const char *buf, size_t len)
{
	while (len > 0) {
		size_t have = w->partial_len[stream];
		/* a record holds LOG_MAX_LINE bytes at most, as docker's */
		size_t room = LOG_MAX_LINE - have;
		const char *nl = memchr(buf, '\n', len < room ? len : room);
		size_t take = nl ? (size_t)(nl - buf) + 1 : (len < room ? len : room);

		w->partial[stream] = xrealloc(w->partial[stream], have + take);
		memcpy(w->partial[stream] + have, buf, take);
		w->partial_len[stream] = have + take;
		buf += take;
		len -= take;
		if (nl != NULL || w->partial_len[stream] >= LOG_MAX_LINE) {
			emit(w, stream, w->partial[stream], w->partial_len[stream], nl == NULL);
			w->partial_len[stream] = 0;
		}
	}
}

void log_writer_close(struct log_writer *w)
{
	for (int i = 0; i < 2; i++) {
		if (w->partial_len[i] > 0)
			emit(w, i, w->partial[i], w->partial_len[i], false);
		free(w->partial[i]);
		w->partial[i] = NULL;
		w->partial_len[i] = 0;
	}
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	free(w->path);
	w->path = NULL;
	if (w->journal_fd >= 0)
		close(w->journal_fd);
	w->journal_fd = -1;
	free(w->journal_fields);
	w->journal_fields = NULL;
}

int log_writer_journal(struct log_writer *w, const char *path, struct berth_err *err)
{
	char *fields = NULL;
	size_t len = 0;
	int fd;

	if (fs_read_file(path, 1 << 20, &fields, &len, err) < 0)
		return -1;
	fd = journal_open(err);
	if (fd < 0) {
		free(fields);
		return -1;
	}
	free(w->journal_fields);
	w->journal_fields = fields;
	w->journal_fields_len = len;
	w->journal_fd = fd;
	return 0;
}
