#include "util/mountinfo.h"

#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* The mount table of a busy host runs to a few thousand lines. */
#define MOUNTINFO_MAX (16u << 20)

static char *unescape(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

/* id parent maj:min root point options [optional...] - type source super */
static bool parse_line(char *line, struct mountinfo_entry *e)
{
	char *f[6], *save = NULL, *tok, *type, *source, *super;
	size_t n = 0;
	bool shared = false;

	for (tok = strtok_r(line, " ", &save); tok != NULL && n < 6; tok = strtok_r(NULL, " ", &save))
		f[n++] = tok;
	if (n < 6)
		return false;
	for (; tok != NULL && strcmp(tok, "-") != 0; tok = strtok_r(NULL, " ", &save))
		shared = shared || strncmp(tok, "shared:", 7) == 0;
	if (tok == NULL)
		return false;
	type = strtok_r(NULL, " ", &save);
	source = strtok_r(NULL, " ", &save);
	super = strtok_r(NULL, " ", &save);
	if (type == NULL || source == NULL)
		return false;
	*e = (struct mountinfo_entry){
		.root = unescape(f[3]),
		.point = unescape(f[4]),
		.shared = shared,
		.fstype = xstrdup(type),
		.source = unescape(source),
		.super = xstrdup(super != NULL ? super : ""),
	};
	return true;
}

void mountinfo_parse(const char *text, struct mountinfo *out)
{
	autofree char *copy = xstrdup(text);
	char *save = NULL;

	*out = (struct mountinfo){ 0 };
	for (char *line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		struct mountinfo_entry e;
		if (!parse_line(line, &e))
			continue;
		out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
		out->v[out->n++] = e;
	}
}

int mountinfo_read(const char *path, struct mountinfo *out, struct berth_err *err)
{
	autofree char *text = NULL;

	*out = (struct mountinfo){ 0 };
	if (fs_read_file(path != NULL ? path : "/proc/self/mountinfo", MOUNTINFO_MAX, &text, NULL,
			 err) < 0)
		return -1;
	mountinfo_parse(text, out);
	return 0;
}

void mountinfo_free(struct mountinfo *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].root);
		free(m->v[i].point);
		free(m->v[i].fstype);
		free(m->v[i].source);
		free(m->v[i].super);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}
