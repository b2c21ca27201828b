/* Tabwriter: Go's text/tabwriter with docker's settings,
 * tabwriter.NewWriter(out, 10, 1, 3, ' ', 0): minwidth 10, tabwidth 1 (which
 * only matters when padding with tabs), padding 3, padchar ' ', no flags.
 *
 * A line is cells, each ended by a tab, plus the text after the last tab,
 * which belongs to no column. A column is a block of consecutive lines that
 * all have a cell at that index; its width is the widest of those cells plus
 * the padding (at least the minimum width). A line without the cell ends the
 * block, so the next block of that column is sized on its own. Blocks are
 * found left to right: column k's blocks are looked for only inside a block
 * of column k-1, the recursion below, as Go's format() does it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/template-internal.h"
#include "util/template.h"
#include "util/xalloc.h"

#define TAB_MINWIDTH 10
#define TAB_PADDING  3

struct tw_cell {
	const char *s;
	size_t len, width;
};

struct tw_line {
	struct tw_cell *cells;
	size_t n;
};

struct tabwriter {
	FILE *f;
	struct tw_line *lines;
	size_t *widths; /* widths of the columns of the enclosing blocks */
	size_t nwidths;
};

static void tw_write_lines(struct tabwriter *w, size_t line0, size_t line1)
{
	for (size_t i = line0; i < line1; i++) {
		const struct tw_line *l = &w->lines[i];
		for (size_t j = 0; j < l->n; j++) {
			fwrite(l->cells[j].s, 1, l->cells[j].len, w->f);
			for (size_t k = l->cells[j].width; j < w->nwidths && k < w->widths[j]; k++)
				fputc(' ', w->f);
		}
		fputc('\n', w->f);
	}
}

/* Whether line ln has a cell (text ended by a tab) in column. */
static bool tw_has_cell(const struct tabwriter *w, size_t ln, size_t column)
{
	return column + 1 < w->lines[ln].n;
}

static void tw_format(struct tabwriter *w, size_t line0, size_t line1)
{
	size_t column = w->nwidths;

	for (size_t ln = line0; ln < line1; ln++) {
		if (!tw_has_cell(w, ln, column))
			continue;
		/* a block of this column starts here */
		tw_write_lines(w, line0, ln);
		line0 = ln;
		size_t width = TAB_MINWIDTH;
		for (; ln < line1 && tw_has_cell(w, ln, column); ln++)
			if (w->lines[ln].cells[column].width + TAB_PADDING > width)
				width = w->lines[ln].cells[column].width + TAB_PADDING;
		w->widths[w->nwidths++] = width;
		tw_format(w, line0, ln);
		w->nwidths--;
		line0 = ln;
	}
	tw_write_lines(w, line0, line1);
}

/* Splits s at its tabs into l's cells. */
static void tw_split(struct tw_line *l, const char *s)
{
	const char *tab;

	l->cells = xcalloc(strlen(s) + 1, sizeof(*l->cells));
	for (;;) {
		tab = strchr(s, '\t');
		size_t len = tab != NULL ? (size_t)(tab - s) : strlen(s);
		l->cells[l->n++] = (struct tw_cell){ s, len, tmpl_utf8_width(s, len) };
		if (tab == NULL)
			break;
		s = tab + 1;
	}
}

void tmpl_tabwrite(FILE *f, char *const *lines, size_t n)
{
	struct tabwriter w = { .f = f };
	size_t most = 1;

	w.lines = xcalloc(n + 1, sizeof(*w.lines));
	for (size_t i = 0; i < n; i++) {
		tw_split(&w.lines[i], lines[i]);
		if (w.lines[i].n > most)
			most = w.lines[i].n;
	}
	w.widths = xcalloc(most, sizeof(*w.widths));
	tw_format(&w, 0, n);
	for (size_t i = 0; i < n; i++)
		free(w.lines[i].cells);
	free(w.lines);
	free(w.widths);
}
