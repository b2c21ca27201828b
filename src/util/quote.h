/* Text that came from somewhere else (a file name in a container, an image's
 * history, an error naming either), made safe to print on a terminal.
 *
 * A name a container chose may hold a newline (a forged line of `diff`) or
 * an escape sequence (ESC [ ..., which a terminal obeys: colours, cursor
 * moves, a new window title). What is printed for humans escapes every
 * character Go's strconv.IsPrint rejects (the C0 and C1 controls, DEL,
 * format characters such as U+202E, invalid UTF-8) the way Go's
 * strconv.Quote writes it inside its quotes (\n, \t, \x1b, \u202e, \xff);
 * ordinary UTF-8 text, spaces included, is left as it is.
 *
 * The same escapes serve the template engine's %q and its json function
 * (QUOTE_GO, QUOTE_JSON). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes one UTF-8 sequence with Go's rules; returns its length, or 0 for
 * a byte that does not start a valid sequence. */
size_t quote_utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Go's strconv.IsPrint, less its tables of unassigned code points: false
 * for controls, spaces other than ' ', format characters, separators,
 * surrogates and private use. */
bool quote_rune_is_print(uint32_t cp);

enum quote_style {
	QUOTE_GO,   /* strconv.Quote: "...", invalid bytes as \xNN */
	QUOTE_JSON, /* encoding/json without HTML escaping; invalid bytes as \ufffd */
};
/* s (n bytes) as a double-quoted string in that style; malloc'd. */
char *quote_string(const char *s, size_t n, enum quote_style style);

/* A name (a path) for a listing: s itself when it has nothing to hide,
 * else strconv.Quote of it. A name that begins with '"' is quoted too, so
 * a quoted name never reads as a plain one. malloc'd. */
char *quote_name(const char *s);

/* Free text (a message, a table cell): every character strconv.Quote
 * would escape, but '"' and '\\', escaped as it does, without the
 * surrounding quotes. Text with nothing to hide comes back unchanged.
 * malloc'd. */
char *quote_controls(const char *s);
