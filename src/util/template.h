/* The `--format` templates docker users already write, over JSON data:
 *   "{{.Repository}}:{{.Tag}}"       fields (nested: {{.Config.Env}})
 *   "table {{.ID}}\t{{.Size}}"        a header row of the field names, then
 *                                     rows, columns aligned like docker's
 *                                     tabwriter (min width 10, padding 3)
 *   "{{json .}}" "{{json .Config}}"   JSON of a value
 *   "{{index .Labels \"k\"}}"          map/array lookup
 *   "{{join .Cmd \" \"}}" "{{upper .X}}" "{{lower .X}}" "{{title .X}}"
 *   "{{split .X \",\"}}" "{{len .X}}" "{{truncate .ID 12}}" "{{pad .X 1 1}}"
 *   "{{range .Env}}{{.}} {{end}}"     iteration (. is the element); also
 *                                     "{{range $i, $v := .X}}", {{break}},
 *                                     {{continue}}; objects in key order
 *   "{{if .X}}a{{else if .Y}}b{{else}}c{{end}}"  truthiness as Go's: false,
 *                                     0, "", null, empty array/object are
 *                                     false; also {{with .X}}...{{end}}
 *   "{{.X | json}}"                   pipes: the value becomes the last
 *                                     argument of the next command
 *   "{{println .X}}" "{{printf \"%s\" .X}}" (%v %s %d %q %t %f %e %g, with
 *                                     flags, width and precision), print
 *   eq ne lt le gt ge not and or      comparisons and logic
 *   "{{$x := .A}}{{$x}}" "{{$.Root}}" variables; comments (a C comment
 *                                     alone in an action); "{{- " and " -}}"
 *                                     trim white space
 * and the escapes \t and \n written as two characters on a command line
 * (in the text between actions). Values print as Go's text/template prints
 * them: strings bare, numbers plain (1.5, 1e+06), booleans true/false, a
 * missing key or null as "<no value>", arrays as [a b c] and objects as
 * map[k:v ...] with keys sorted.
 *
 * Errors name the position as Go does, LINE:COL with COL the byte offset
 * in the line ("template: :1:2: function \"foo\" not defined", "template:
 * :1:2: executing \"\" at <index .X 5>: error calling index: index out of
 * range: 5"), on one line. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

struct berth_err;
struct tmpl;

/* Parses a template. "table" as the first word (followed by a space or
 * nothing) turns on table mode; the rest, trimmed of spaces, is the row. */
int tmpl_parse(const char *text, struct tmpl **out, struct berth_err *err);
void tmpl_free(struct tmpl *t);

/* Executes for one value (NULL: no value), appending the output (no
 * newline added) to *out, a malloc'd string or NULL to start one. On
 * failure *out is left as it was. */
int tmpl_exec(const struct tmpl *t, json_object *data, char **out, struct berth_err *err);

/* Table mode: rows are collected, and tmpl_table_flush prints them aligned
 * with the header row first, then forgets them. The header row is the row
 * template run with each field replaced by its title (headers maps a field
 * name like "ID" to a title like "IMAGE ID"; a field it lacks, or all with
 * NULL, is titled by its name upper-cased) and with json, index, join,
 * split, upper, lower, title and truncate passing the title through, as
 * docker builds it. */
bool tmpl_is_table(const struct tmpl *t);
int tmpl_table_row(struct tmpl *t, json_object *data, struct berth_err *err);
void tmpl_table_flush(struct tmpl *t, json_object *headers, FILE *f);

/* Aligns tab-separated lines into columns as docker's tabwriter does, Go's
 * text/tabwriter.NewWriter(out, 10, 1, 3, ' ', 0): minwidth 10, tabwidth 1
 * (unused when padding with spaces), padding 3, padchar ' ', no flags. A
 * column is a run of consecutive lines that have a cell there (a cell ends
 * with a tab); each of its cells is padded to the run's widest cell plus 3
 * spaces, at least 10; the text after a line's last tab is never padded.
 * Widths count UTF-8 code points. lines[] are NUL-terminated strings without
 * newlines; each is printed with a newline. */
void tmpl_tabwrite(FILE *f, char *const *lines, size_t n);
