/* Escaping text for printing (see quote.h): one walk over UTF-8 that
 * writes each character as itself or as the escape Go would write. */
#include "util/quote.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

size_t quote_utf8_decode(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len;
	uint32_t v, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2, v = s[0] & 0x1f, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3, v = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4, v = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

bool quote_rune_is_print(uint32_t cp)
{
	/* Beyond the C0 controls and DEL: the C1 controls and no-break
	 * space, soft hyphen, spaces, format characters (bidi overrides,
	 * zero-width joiners), separators, surrogates, private use. */
	static const uint32_t hidden[][2] = {
		{ 0x7f, 0xa0 },     { 0xad, 0xad },     { 0x1680, 0x1680 },   { 0x2000, 0x200f },
		{ 0x2028, 0x202f }, { 0x205f, 0x206f }, { 0x3000, 0x3000 },   { 0xd800, 0xf8ff },
		{ 0xfeff, 0xfeff }, { 0xfff9, 0xfffb }, { 0xe0000, 0xe007f }, { 0xf0000, 0x10ffff },
	};

	if (cp < 0x20)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(hidden); i++)
		if (cp >= hidden[i][0] && cp <= hidden[i][1])
			return false;
	return true;
}

struct qbuf {
	char *s;
	size_t len, cap;
};

static void qbuf_add(struct qbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = 2 * (b->len + n + 1);
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* The letter after a backslash for an ASCII character, or 0. */
static char escape_letter(char c, bool json)
{
	const char *pairs = json ? "\"\"\\\\\nn\rr\tt\bb\ff" : "\aa\bb\ff\nn\rr\tt\vv\\\\\"\"";

	for (; pairs[0] != '\0'; pairs += 2)
		if (pairs[0] == c)
			return pairs[1];
	return 0;
}

/* Whether a character is written as a numeric escape: for JSON the
 * controls and U+2028/U+2029 (which Go always escapes), else whatever
 * strconv.IsPrint rejects. */
static bool hides(uint32_t cp, bool json)
{
	if (json)
		return cp < 0x20 || cp == 0x2028 || cp == 0x2029;
	return !quote_rune_is_print(cp);
}

static void add_numeric(struct qbuf *b, uint32_t cp, bool json)
{
	char tmp[16];

	if (json || (cp >= 0x80 && cp < 0x10000))
		snprintf(tmp, sizeof(tmp), "\\u%04" PRIx32, cp);
	else if (cp < 0x80)
		snprintf(tmp, sizeof(tmp), "\\x%02" PRIx32, cp);
	else
		snprintf(tmp, sizeof(tmp), "\\U%08" PRIx32, cp);
	qbuf_add(b, tmp, strlen(tmp));
}

/* Appends s escaped. quotes: '"' and '\\' are escaped too (inside a
 * quoted string); else they are text like any other. */
static void escape_into(struct qbuf *b, const char *s, size_t n, bool json, bool quotes)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp = 0;
		size_t len = quote_utf8_decode(s + i, n - i, &cp);
		char e = len == 1 ? escape_letter(s[i], json) : 0;

		if (e != 0 && !quotes && (s[i] == '"' || s[i] == '\\'))
			e = 0;
		if (len == 0 && json) {
			qbuf_add(b, "\\ufffd", 6);
		} else if (len == 0) {
			char tmp[8];

			snprintf(tmp, sizeof(tmp), "\\x%02x", (unsigned char)s[i]);
			qbuf_add(b, tmp, 4);
		} else if (e != 0) {
			qbuf_add(b, (const char[]){ '\\', e }, 2);
		} else if (hides(cp, json)) {
			add_numeric(b, cp, json);
		} else {
			qbuf_add(b, s + i, len);
		}
		i += len > 0 ? len : 1;
	}
}

char *quote_string(const char *s, size_t n, enum quote_style style)
{
	struct qbuf b = { 0 };

	qbuf_add(&b, "\"", 1);
	escape_into(&b, s, n, style == QUOTE_JSON, true);
	qbuf_add(&b, "\"", 1);
	return b.s;
}

/* Whether s holds anything strconv.Quote escapes besides '"' and '\\'. */
static bool has_hidden(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = quote_utf8_decode(s + i, n - i, &cp);

		if (len == 0 || hides(cp, false))
			return true;
		i += len;
	}
	return false;
}

char *quote_name(const char *s)
{
	size_t n = strlen(s);

	if (s[0] != '"' && !has_hidden(s, n))
		return xstrdup(s);
	return quote_string(s, n, QUOTE_GO);
}

char *quote_controls(const char *s)
{
	size_t n = strlen(s);
	struct qbuf b = { 0 };

	if (!has_hidden(s, n))
		return xstrdup(s);
	escape_into(&b, s, n, false, false);
	return b.s;
}
