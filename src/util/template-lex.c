/* The template lexer: source -> tokens (see template.c for the whole).
 *
 * Text between actions gets docker's command-line escapes (\t and \n
 * written as two characters) and the trim markers "{{- " / " -}}" applied
 * here; comments vanish here. Inside an action, words, numbers, quoted and
 * raw strings and punctuation become tokens; a string's value is unquoted
 * with Go's escapes. Numbers are only scanned: the parser decides whether
 * the word is one. */
#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/quote.h"
#include "util/template-internal.h"
#include "util/xalloc.h"

struct lexer {
	const char *src;
	size_t n, pos;
	struct tok *toks;
	size_t ntoks, cap;
	bool spaced;    /* the next token follows whitespace */
	bool trim_next; /* the last action ended with " -}}" */
	struct berth_err *err;
};

static const struct {
	const char *word;
	enum tok_type type;
} keywords[] = {
	{ "if", T_IF },     { "else", T_ELSE },   { "end", T_END },           { "range", T_RANGE },
	{ "with", T_WITH }, { "break", T_BREAK }, { "continue", T_CONTINUE }, { "nil", T_NIL },
	{ "true", T_BOOL }, { "false", T_BOOL },
};

/* Tokens of one punctuation character. */
static const struct {
	char c;
	enum tok_type type;
} punctuation[] = {
	{ '|', T_PIPE }, { '(', T_LPAREN }, { ')', T_RPAREN }, { ',', T_COMMA }, { '=', T_ASSIGN },
};

/* Appends a token over src[pos, end) with that text as its value. */
static struct tok *lex_emit(struct lexer *lx, enum tok_type type, size_t pos, size_t end)
{
	struct tok *t;

	if (lx->ntoks == lx->cap) {
		lx->cap = lx->cap ? 2 * lx->cap : 32;
		lx->toks = xreallocarray(lx->toks, lx->cap, sizeof(*lx->toks));
	}
	t = &lx->toks[lx->ntoks++];
	*t = (struct tok){ .type = type, .spaced = lx->spaced, .pos = pos, .end = end };
	t->val = xstrndup(lx->src + pos, end - pos);
	t->len = end - pos;
	lx->spaced = false;
	lx->pos = end;
	return t;
}

static void tok_set_val(struct tok *t, const char *s, size_t len)
{
	free(t->val);
	t->val = xmalloc(len + 1);
	if (len > 0)
		memcpy(t->val, s, len);
	t->val[len] = '\0';
	t->len = len;
}

/* Gives t the value built in b, which is freed. */
static void tok_take_buf(struct tok *t, struct buf *b)
{
	tok_set_val(t, b->s, b->len);
	free(b->s);
}

/* "U+007D '}'", as Go's %#U. */
static int lex_bad_char(struct lexer *lx, size_t p, const char *what)
{
	uint32_t cp = 0;
	size_t len = quote_utf8_decode(lx->src + p, lx->n - p, &cp);

	if (len == 0)
		return tmpl_src_fail(lx->src, p, lx->err, "%s U+FFFD", what);
	return tmpl_src_fail(lx->src, p, lx->err, "%s U+%04" PRIX32 " '%.*s'", what, cp, (int)len,
			     lx->src + p);
}

/* Text up to `at`: docker's \t and \n escapes, then the trim markers. */
static void lex_text(struct lexer *lx, size_t at, bool trim_right)
{
	const char *s = lx->src;
	struct buf b = { 0 };
	size_t start = 0, end;

	for (size_t i = lx->pos; i < at; i++) {
		if (s[i] == '\\' && i + 1 < at && (s[i + 1] == 't' || s[i + 1] == 'n')) {
			buf_putc(&b, s[i + 1] == 't' ? '\t' : '\n');
			i++;
		} else {
			buf_putc(&b, s[i]);
		}
	}
	end = b.len;
	if (lx->trim_next)
		while (start < end && is_space(b.s[start]))
			start++;
	if (trim_right)
		while (end > start && is_space(b.s[end - 1]))
			end--;
	lx->trim_next = false;
	if (end > start)
		tok_set_val(lex_emit(lx, T_TEXT, lx->pos, at), b.s + start, end - start);
	free(b.s);
	lx->pos = at;
}

static bool lex_at_terminator(const struct lexer *lx, size_t p)
{
	char c = lx->src[p];

	return c == '\0' || is_space(c) || char_in(c, ".,|:()") ||
	       (c == '}' && lx->src[p + 1] == '}');
}

/* An identifier, "$var" or ".Field". */
static int lex_word(struct lexer *lx, enum tok_type type)
{
	size_t p = lx->pos + (type == T_IDENT ? 0 : 1);
	struct tok *t;

	while (is_word(lx->src[p]))
		p++;
	if (!lex_at_terminator(lx, p))
		return lex_bad_char(lx, p, "bad character");
	t = lex_emit(lx, type, lx->pos, p);
	if (type == T_FIELD)
		tok_set_val(t, lx->src + t->pos + 1, t->end - t->pos - 1);
	if (type == T_IDENT)
		for (size_t i = 0; i < ARRAY_SIZE(keywords); i++)
			if (strcmp(t->val, keywords[i].word) == 0)
				t->type = keywords[i].type;
	return 0;
}

/* Scans Go's number shapes loosely (sign, digits, letters, '.', exponent
 * signs); the parser decides whether the word is a number. */
static int lex_number(struct lexer *lx)
{
	const char *s = lx->src;
	size_t p = lx->pos;

	if (s[p] == '+' || s[p] == '-')
		p++;
	while (is_word(s[p]) || s[p] == '.' ||
	       ((s[p] == '+' || s[p] == '-') && char_in(s[p - 1], "eEpP")))
		p++;
	lex_emit(lx, T_NUMBER, lx->pos, p);
	return 0;
}

/* The value of a hexadecimal digit, or 16 for anything else. */
static int digit_value(char c)
{
	c = (char)tolower((unsigned char)c);
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return 16;
}

/* count digits in base at s[*i], advancing *i past them. */
static int read_digits(const char *s, size_t n, size_t *i, size_t count, int base, uint32_t *out)
{
	uint32_t v = 0;

	for (size_t k = 0; k < count; k++, (*i)++) {
		int d = *i < n ? digit_value(s[*i]) : base;

		if (d >= base)
			return -1;
		v = v * (uint32_t)base + (uint32_t)d;
	}
	*out = v;
	return 0;
}

static void utf8_encode(struct buf *b, uint32_t cp)
{
	char s[4];
	size_t n;

	if (cp < 0x80) {
		s[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		s[0] = (char)(0xc0 | (cp >> 6)), s[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		s[0] = (char)(0xe0 | (cp >> 12)), s[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		s[0] = (char)(0xf0 | (cp >> 18)), s[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		s[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), s[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	}
	buf_add(b, s, n);
}

/* One escape after a backslash at s[*i] (the letter), advancing *i past it. */
static int unquote_escape(const char *s, size_t n, size_t *i, struct buf *b)
{
	char c = s[*i], e = escape_for("a\ab\bf\fn\nr\rt\tv\v\\\\\"\"", c);
	uint32_t v;

	if (e != 0) {
		buf_putc(b, e);
		(*i)++;
	} else if (c == 'x') {
		(*i)++;
		if (read_digits(s, n, i, 2, 16, &v) < 0)
			return -1;
		buf_putc(b, (char)v);
	} else if (c >= '0' && c <= '7') {
		if (read_digits(s, n, i, 3, 8, &v) < 0 || v > 255)
			return -1;
		buf_putc(b, (char)v);
	} else if (c == 'u' || c == 'U') {
		(*i)++;
		if (read_digits(s, n, i, c == 'u' ? 4 : 8, 16, &v) < 0 || v > 0x10ffff ||
		    (v >= 0xd800 && v <= 0xdfff))
			return -1;
		utf8_encode(b, v);
	} else {
		return -1;
	}
	return 0;
}

/* The escapes of Go's strconv.Unquote for a double-quoted string. */
static int unquote(const char *s, size_t n, struct buf *b)
{
	for (size_t i = 0; i < n;) {
		if (s[i] != '\\') {
			buf_putc(b, s[i++]);
			continue;
		}
		i++;
		if (unquote_escape(s, n, &i, b) < 0)
			return -1;
	}
	return 0;
}

static int lex_quote(struct lexer *lx)
{
	const char *s = lx->src;
	size_t p = lx->pos + 1;
	struct buf b = { 0 };
	struct tok *t;

	for (;;) {
		if (s[p] == '\\' && s[p + 1] != '\0' && s[p + 1] != '\n') {
			p += 2;
			continue;
		}
		if (s[p] == '\0' || s[p] == '\n' || s[p] == '\\')
			return tmpl_src_fail(s, lx->pos, lx->err, "unterminated quoted string");
		if (s[p++] == '"')
			break;
	}
	t = lex_emit(lx, T_STRING, lx->pos, p);
	if (unquote(s + t->pos + 1, t->end - t->pos - 2, &b) < 0) {
		free(b.s);
		return tmpl_src_fail(s, t->pos, lx->err, "invalid escape in string %s", t->val);
	}
	tok_take_buf(t, &b);
	return 0;
}

/* `raw`: no escapes; carriage returns are dropped, as Go does. */
static int lex_raw(struct lexer *lx)
{
	const char *close = strchr(lx->src + lx->pos + 1, '`');
	struct buf b = { 0 };
	struct tok *t;

	if (close == NULL)
		return tmpl_src_fail(lx->src, lx->pos, lx->err, "unterminated raw quoted string");
	t = lex_emit(lx, T_STRING, lx->pos, (size_t)(close - lx->src) + 1);
	for (size_t i = t->pos + 1; i + 1 < t->end; i++)
		if (lx->src[i] != '\r')
			buf_putc(&b, lx->src[i]);
	tok_take_buf(t, &b);
	return 0;
}

// A comment action, "{{/* text */}}", closed by "}}" or " -}}" right after it.
static int lex_comment(struct lexer *lx, size_t open)
{
	const char *s = lx->src;
	const char *close = strstr(s + lx->pos + 2, "*/");
	size_t p;

	if (close == NULL)
		return tmpl_src_fail(s, open, lx->err, "unclosed comment");
	p = (size_t)(close - s) + 2;
	if (is_space(s[p]) && s[p + 1] == '-' && s[p + 2] == '}' && s[p + 3] == '}') {
		lx->trim_next = true;
		lx->pos = p + 4;
	} else if (s[p] == '}' && s[p + 1] == '}') {
		lx->pos = p + 2;
	} else {
		return tmpl_src_fail(s, open, lx->err, "comment ends before closing delimiter");
	}
	return 0;
}

/* A one-character token, counting parentheses. */
static int lex_punct(struct lexer *lx, enum tok_type type, int *parens)
{
	*parens += (type == T_LPAREN) - (type == T_RPAREN);
	if (*parens < 0)
		return tmpl_src_fail(lx->src, lx->pos, lx->err, "unexpected right paren");
	lex_emit(lx, type, lx->pos, lx->pos + 1);
	return 0;
}

/* ".5", ".Field" or dot itself. */
static int lex_dot(struct lexer *lx)
{
	char c = lx->src[lx->pos + 1];

	if (isdigit((unsigned char)c))
		return lex_number(lx);
	if (is_word(c))
		return lex_word(lx, T_FIELD);
	lex_emit(lx, T_DOT, lx->pos, lx->pos + 1);
	return 0;
}

/* One token inside an action, at lx->pos. */
static int lex_token(struct lexer *lx, int *parens)
{
	const char *s = lx->src;
	size_t p = lx->pos;
	char c = s[p];

	for (size_t i = 0; i < ARRAY_SIZE(punctuation); i++)
		if (punctuation[i].c == c)
			return lex_punct(lx, punctuation[i].type, parens);
	switch (c) {
	case ':':
		if (s[p + 1] != '=')
			return tmpl_src_fail(s, p, lx->err, "expected :=");
		lex_emit(lx, T_DECLARE, p, p + 2);
		return 0;
	case '"':
		return lex_quote(lx);
	case '`':
		return lex_raw(lx);
	case '$':
		return lex_word(lx, T_VAR);
	case '.':
		return lex_dot(lx);
	}
	if (isdigit((unsigned char)c) || c == '+' || c == '-')
		return lex_number(lx);
	if (is_word(c))
		return lex_word(lx, T_IDENT);
	return lex_bad_char(lx, p, "unrecognized character in action:");
}

static int lex_action(struct lexer *lx, size_t open)
{
	const char *s = lx->src;
	int parens = 0;

	if (s[lx->pos] == '/' && s[lx->pos + 1] == '*')
		return lex_comment(lx, open);
	lex_emit(lx, T_LEFT, open, lx->pos);
	for (;;) {
		size_t p = lx->pos;

		while (is_space(s[p]))
			p++;
		lx->spaced = p > lx->pos;
		lx->pos = p;
		bool trim = lx->spaced && s[p] == '-' && s[p + 1] == '}' && s[p + 2] == '}';
		if (s[p] == '\0')
			return tmpl_src_fail(s, open, lx->err, "unclosed action");
		if (trim || (s[p] == '}' && s[p + 1] == '}')) {
			if (parens > 0)
				return tmpl_src_fail(s, p, lx->err, "unclosed left paren");
			lex_emit(lx, T_RIGHT, p, p + (trim ? 3 : 2));
			lx->trim_next = trim;
			return 0;
		}
		if (lex_token(lx, &parens) < 0)
			return -1;
	}
}

static int lex_all(struct lexer *lx)
{
	for (;;) {
		const char *open = strstr(lx->src + lx->pos, "{{");
		size_t at = open != NULL ? (size_t)(open - lx->src) : lx->n;
		bool trim = open != NULL && open[2] == '-' && is_space(open[3]);

		lex_text(lx, at, trim);
		if (open == NULL)
			break;
		lx->pos = at + (trim ? 4 : 2);
		if (lex_action(lx, at) < 0)
			return -1;
	}
	lex_emit(lx, T_EOF, lx->n, lx->n);
	return 0;
}

int tmpl_lex(const char *src, size_t n, struct tok **toks, size_t *ntoks, struct berth_err *err)
{
	struct lexer lx = { .src = src, .n = n, .err = err };

	if (lex_all(&lx) < 0) {
		tmpl_toks_free(lx.toks, lx.ntoks);
		return -1;
	}
	*toks = lx.toks;
	*ntoks = lx.ntoks;
	return 0;
}

void tmpl_toks_free(struct tok *toks, size_t ntoks)
{
	for (size_t i = 0; i < ntoks; i++)
		free(toks[i].val);
	free(toks);
}
