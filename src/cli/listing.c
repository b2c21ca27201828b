/* Rows and their printing for docker's listing commands: each listing
 * builds one JSON object per row with docker's field names and values, and
 * that one object feeds the default table, --format templates and --format
 * json, so the three cannot disagree. */
#include "cli/listing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/human.h"
#include "util/json.h"
#include "util/quote.h"
#include "util/strv.h"
#include "util/template.h"
#include "util/xalloc.h"

/* Go's encoding/json as docker's `{{json .}}` uses it: no HTML escaping,
 * and '/' is not escaped either. */
#define JSON_LINE_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* ---- row fields ---- */

void listing_add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
}

const char *listing_get_str(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void str_append(char **s, size_t *len, const char *text)
{
	size_t n = strlen(text);

	*s = xrealloc(*s, *len + n + 1);
	memcpy(*s + *len, text, n + 1);
	*len += n;
}

void listing_append(char **s, size_t *len, const char *sep, const char *text)
{
	if (*s == NULL) {
		*s = xstrdup("");
		*len = 0;
	} else {
		str_append(s, len, sep);
	}
	str_append(s, len, text);
}

char *listing_id_text(const char *id, bool trunc)
{
	if (!trunc)
		return xstrdup(id);
	return xstrndup(
	    strncmp(id, DIGEST_PREFIX, strlen(DIGEST_PREFIX)) == 0 ? digest_hex(id) : id, 12);
}

bool listing_name_split(const char *name, char **repo, char **tag)
{
	autofree char *full = NULL;

	*repo = NULL;
	if (!image_ref_split_tag(name, &full, tag))
		return false;
	*repo = image_ref_familiar_repo(full);
	return true;
}

/* Go's time.Time.String() of a Unix time in the local zone, as docker's
 * CreatedAt prints it: "2024-05-01 12:00:00 +0000 UTC". */
static char *time_go_string(int64_t sec, char buf[static 64])
{
	time_t t = (time_t)sec;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(buf, 64, "%Y-%m-%d %H:%M:%S %z %Z", &tm) == 0)
		snprintf(buf, 64, "%lld", (long long)sec);
	return buf;
}

/* VirtualSize, SharedSize and UniqueSize are go-units HumanSize (four
 * digits); Size is the three-digit human_size of the SIZE column. */
json_object *listing_image_row_json(const struct listing_image_row *r, time_t now)
{
	json_object *o = json_object_new_object();
	autofree char *id = listing_id_text(r->img->id, r->trunc);
	char buf[64], since[48];

	snprintf(buf, sizeof(buf), "%lld", (long long)r->containers);
	listing_add_str(o, "Containers", r->containers < 0 ? "N/A" : buf);
	listing_add_str(o, "CreatedAt", time_go_string(r->img->created, buf));
	listing_add_str(o, "CreatedSince", human_since((time_t)r->img->created, now, since));
	listing_add_str(o, "Digest", r->digest);
	listing_add_str(o, "ID", id);
	listing_add_str(o, "Repository", r->repo);
	listing_add_str(o, "SharedSize",
			r->shared < 0 ? "N/A" : human_size4((double)r->shared, buf));
	listing_add_str(o, "Size", human_size((double)r->img->size, buf));
	listing_add_str(o, "Tag", r->tag);
	listing_add_str(o, "UniqueSize",
			r->shared < 0 ? "N/A"
				      : human_size4((double)r->img->size - (double)r->shared, buf));
	listing_add_str(o, "VirtualSize", human_size4((double)r->img->size, buf));
	return o;
}

/* ---- output: default tables, --format TEMPLATE, --format json ---- */

/* One tab-separated line of the default table: the headings when row is
 * NULL. */
static char *table_line(const struct listing_column *cols, json_object *row)
{
	char *line = NULL;
	size_t len = 0;

	for (size_t i = 0; cols[i].field != NULL; i++) {
		const char *text = cols[i].header;
		autofree char *shown = NULL;

		if (row != NULL)
			text = json_object_get_string(json_object_object_get(row, cols[i].field));
		/* A cell holds what an image or a container chose (a history
		 * entry, a command, a label): a tab would shift the columns,
		 * a newline forge a row, ESC drive the terminal. */
		shown = quote_controls(text != NULL ? text : "");
		listing_append(&line, &len, "\t", shown);
	}
	return line != NULL ? line : xstrdup("");
}

void listing_print_table(const struct listing_column *cols, json_object *rows)
{
	size_t n = json_object_array_length(rows);
	autostrv char **lines = xcalloc(n + 2, sizeof(*lines));

	lines[0] = table_line(cols, NULL);
	for (size_t i = 0; i < n; i++)
		lines[i + 1] = table_line(cols, json_object_array_get_idx(rows, i));
	tmpl_tabwrite(stdout, lines, n + 1);
}

void listing_print_json_line(json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_LINE_FLAGS));
}

static json_object *header_map(const struct listing_column *fields)
{
	json_object *m = json_object_new_object();

	for (size_t i = 0; fields[i].field != NULL; i++)
		listing_add_str(m, fields[i].field, fields[i].header);
	return m;
}

/* A user's template over each row: "table ..." aligned with headings from
 * fields, anything else one line per row. */
static int print_template(const char *format, json_object *rows,
			  const struct listing_column *fields, struct berth_err *err)
{
	struct tmpl *t = NULL;
	int r = 0;

	if (tmpl_parse(format, &t, err) < 0)
		return -1;
	for (size_t i = 0; r == 0 && i < json_object_array_length(rows); i++) {
		json_object *row = json_object_array_get_idx(rows, i);
		autofree char *out = NULL;

		if (tmpl_is_table(t)) {
			r = tmpl_table_row(t, row, err);
		} else {
			r = tmpl_exec(t, row, &out, err);
			if (r == 0)
				printf("%s\n", out);
		}
	}
	if (r == 0 && tmpl_is_table(t)) {
		autojson json_object *headers = header_map(fields);

		tmpl_table_flush(t, headers, stdout);
	}
	tmpl_free(t);
	return r;
}

int listing_print_rows(const char *format, json_object *rows, const struct listing_column *table,
		       const struct listing_column *fields, struct berth_err *err)
{
	if (format == NULL || format[0] == '\0' || strcmp(format, "table") == 0) {
		listing_print_table(table, rows);
		return 0;
	}
	if (strcmp(format, "json") == 0) {
		for (size_t i = 0; i < json_object_array_length(rows); i++)
			listing_print_json_line(json_object_array_get_idx(rows, i));
		return 0;
	}
	return print_template(format, rows, fields, err);
}
