/* Berth's `--format` templates: the part of Go's text/template that docker
 * users write, evaluated over json-c values.
 *
 * Three stages, one section each below:
 *   lexer      source -> tokens. Text between actions gets docker's
 *              command-line escapes (\t and \n written as two characters)
 *              and the trim markers "{{- " / " -}}" applied here; comments
 *              vanish here.
 *   parser     tokens -> a tree: text, action, if, range, with nodes; an
 *              action holds a pipeline of commands, a command a list of
 *              operands. Functions and variables are resolved here, as Go
 *              does, so a typo fails before any output is written.
 *   evaluator  walks the tree for one JSON value. A value is a json-c object
 *              (NULL is JSON null) or "missing", Go's invalid reflect.Value
 *              for an absent map key: it prints "<no value>" and is false.
 * Then table mode (the header row is the row template run in "header mode",
 * as docker runs it over a map of column titles) and the tabwriter.
 *
 * Deliberate differences from Go and docker, each for JSON data:
 *   - integers and doubles stay distinct (Go's JSON decoding makes every
 *     number a float64); eq/lt compare an int and a double by value.
 *   - "json" keeps an object's key order (docker's structs marshal in field
 *     order; callers build objects in that order); Go sorts map keys.
 *   - join accepts any array and prints non-strings as %v does.
 *   - upper/lower/title change ASCII letters only; truncate never cuts a
 *     UTF-8 sequence in two; tabwriter widths count code points, where
 *     docker counts East Asian wide characters twice.
 *   - messages carry LINE:COL for parse errors too (Go prints only LINE);
 *     COL is, as in Go's execution errors, the byte offset in the line.
 *   - define/template/block, char constants, slice, html, js, urlquery and
 *     call are not supported. */
#include "util/template.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define TMPL_MAX_DEPTH 100   /* nested blocks and parentheses: bounds the recursion */
#define TMPL_MAX_PAD   65536 /* printf widths and pad counts, so a typo cannot eat memory */
#define TAB_MINWIDTH   10    /* docker: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0) */
#define TAB_PADDING    3

/* ---------------------------------------------------------------------- */
/* Growing strings and UTF-8 */

struct buf {
	char *s;
	size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = 2 * (b->len + n + 1);
		b->s = xrealloc(b->s, b->cap);
	}
	if (n > 0)
		memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void buf_putc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

static void buf_pad(struct buf *b, char c, size_t n)
{
	while (n-- > 0)
		buf_putc(b, c);
}

__attribute__((format(printf, 2, 3))) static void buf_printf(struct buf *b, const char *fmt, ...)
{
	char small[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		buf_add(b, small, (size_t)n);
		return;
	}
	autofree char *big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf_add(b, big, (size_t)n);
}

/* Decodes one UTF-8 sequence with Go's rules; returns its length, or 0 for
 * a byte that does not start a valid sequence. */
static size_t utf8_decode(const char *str, size_t n, uint32_t *cp)
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

/* Code points, counting each invalid byte as one, as Go's RuneCount. */
static size_t utf8_width(const char *s, size_t n)
{
	size_t w = 0;
	uint32_t cp;

	for (size_t i = 0; i < n; w++) {
		size_t len = utf8_decode(s + i, n - i, &cp);
		i += len > 0 ? len : 1;
	}
	return w;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* c in a set of characters; never NUL, which strchr would find. */
static bool char_in(char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/* The letter that follows a backslash for c, from a table of (char, letter)
 * pairs, or 0. */
static char escape_for(const char *pairs, char c)
{
	for (; pairs[0] != '\0'; pairs += 2)
		if (pairs[0] == c)
			return pairs[1];
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Positions and messages */

/* Messages are one line: control characters from the source or a value
 * (a raw string, a string being ranged over) become spaces. */
static void msg_flatten(char *msg)
{
	for (; *msg != '\0'; msg++)
		if ((unsigned char)*msg < 0x20)
			*msg = ' ';
}

/* Go's "LINE:COL": COL counts the bytes before pos on its line. */
static void pos_linecol(const char *src, size_t pos, size_t *line, size_t *col)
{
	size_t start = 0;

	*line = 1;
	for (size_t i = 0; i < pos && src[i] != '\0'; i++) {
		if (src[i] == '\n') {
			(*line)++;
			start = i + 1;
		}
	}
	*col = pos - start;
}

__attribute__((format(printf, 4, 5))) static int
src_fail(const char *src, size_t pos, struct berth_err *err, const char *fmt, ...)
{
	char msg[512];
	size_t line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	msg_flatten(msg);
	pos_linecol(src, pos, &line, &col);
	return berth_err_set(err, 0, "template: :%zu:%zu: %s", line, col, msg);
}

/* ---------------------------------------------------------------------- */
/* Lexer */

enum tok_type {
	T_EOF,
	T_TEXT,
	T_LEFT,
	T_RIGHT,
	T_FIELD,
	T_DOT,
	T_VAR,
	T_IDENT,
	T_STRING,
	T_NUMBER,
	T_BOOL,
	T_NIL,
	T_PIPE,
	T_LPAREN,
	T_RPAREN,
	T_DECLARE,
	T_ASSIGN,
	T_COMMA,
	/* keywords */
	T_IF,
	T_ELSE,
	T_END,
	T_RANGE,
	T_WITH,
	T_BREAK,
	T_CONTINUE,
};

struct tok {
	enum tok_type type;
	bool spaced;     /* whitespace before it, inside an action */
	size_t pos, end; /* its bytes in the source */
	char *val;       /* T_TEXT: text after escapes and trimming; T_STRING: the
			  * unquoted value; T_FIELD: the name; others: the source */
	size_t len;      /* bytes in val (a string literal may hold NUL) */
};

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

static void lex_free(struct lexer *lx)
{
	for (size_t i = 0; i < lx->ntoks; i++)
		free(lx->toks[i].val);
	free(lx->toks);
}

/* "U+007D '}'", as Go's %#U. */
static int lex_bad_char(struct lexer *lx, size_t p, const char *what)
{
	uint32_t cp = 0;
	size_t len = utf8_decode(lx->src + p, lx->n - p, &cp);

	if (len == 0)
		return src_fail(lx->src, p, lx->err, "%s U+FFFD", what);
	return src_fail(lx->src, p, lx->err, "%s U+%04" PRIX32 " '%.*s'", what, cp, (int)len,
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

static int read_digits(const char *s, size_t n, size_t *i, size_t count, int base, uint32_t *out)
{
	uint32_t v = 0;

	for (size_t k = 0; k < count; k++, (*i)++) {
		int d;
		if (*i >= n)
			return -1;
		char c = (char)tolower((unsigned char)s[*i]);
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return -1;
		if (d >= base)
			return -1;
		v = v * (uint32_t)base + (uint32_t)d;
	}
	*out = v;
	return 0;
}

/* The escapes of Go's strconv.Unquote for a double-quoted string. */
static int unquote(const char *s, size_t n, struct buf *b)
{
	for (size_t i = 0; i < n;) {
		uint32_t v;
		char e;

		if (s[i] != '\\') {
			buf_putc(b, s[i++]);
			continue;
		}
		char c = s[++i];
		if ((e = escape_for("a\ab\bf\fn\nr\rt\tv\v\\\\\"\"", c)) != 0) {
			buf_putc(b, e);
			i++;
		} else if (c == 'x') {
			i++;
			if (read_digits(s, n, &i, 2, 16, &v) < 0)
				return -1;
			buf_putc(b, (char)v);
		} else if (c >= '0' && c <= '7') {
			if (read_digits(s, n, &i, 3, 8, &v) < 0 || v > 255)
				return -1;
			buf_putc(b, (char)v);
		} else if (c == 'u' || c == 'U') {
			i++;
			if (read_digits(s, n, &i, c == 'u' ? 4 : 8, 16, &v) < 0 || v > 0x10ffff ||
			    (v >= 0xd800 && v <= 0xdfff))
				return -1;
			utf8_encode(b, v);
		} else {
			return -1;
		}
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
			return src_fail(s, lx->pos, lx->err, "unterminated quoted string");
		if (s[p++] == '"')
			break;
	}
	t = lex_emit(lx, T_STRING, lx->pos, p);
	if (unquote(s + t->pos + 1, t->end - t->pos - 2, &b) < 0) {
		free(b.s);
		return src_fail(s, t->pos, lx->err, "invalid escape in string %s", t->val);
	}
	tok_set_val(t, b.s, b.len);
	free(b.s);
	return 0;
}

/* `raw`: no escapes; carriage returns are dropped, as Go does. */
static int lex_raw(struct lexer *lx)
{
	const char *close = strchr(lx->src + lx->pos + 1, '`');
	struct buf b = { 0 };
	struct tok *t;

	if (close == NULL)
		return src_fail(lx->src, lx->pos, lx->err, "unterminated raw quoted string");
	t = lex_emit(lx, T_STRING, lx->pos, (size_t)(close - lx->src) + 1);
	for (size_t i = t->pos + 1; i + 1 < t->end; i++)
		if (lx->src[i] != '\r')
			buf_putc(&b, lx->src[i]);
	tok_set_val(t, b.s, b.len);
	free(b.s);
	return 0;
}

// A comment action, "{{/* text */}}", closed by "}}" or " -}}" right after it.
static int lex_comment(struct lexer *lx, size_t open)
{
	const char *s = lx->src;
	const char *close = strstr(s + lx->pos + 2, "*/");
	size_t p;

	if (close == NULL)
		return src_fail(s, open, lx->err, "unclosed comment");
	p = (size_t)(close - s) + 2;
	if (is_space(s[p]) && s[p + 1] == '-' && s[p + 2] == '}' && s[p + 3] == '}') {
		lx->trim_next = true;
		lx->pos = p + 4;
	} else if (s[p] == '}' && s[p + 1] == '}') {
		lx->pos = p + 2;
	} else {
		return src_fail(s, open, lx->err, "comment ends before closing delimiter");
	}
	return 0;
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
		int r = 0;

		while (is_space(s[p]))
			p++;
		lx->spaced = p > lx->pos;
		lx->pos = p;
		char c = s[p];
		bool trim = lx->spaced && c == '-' && s[p + 1] == '}' && s[p + 2] == '}';
		if (c == '\0')
			return src_fail(s, open, lx->err, "unclosed action");
		if (trim || (c == '}' && s[p + 1] == '}')) {
			if (parens > 0)
				return src_fail(s, p, lx->err, "unclosed left paren");
			lex_emit(lx, T_RIGHT, p, p + (trim ? 3 : 2));
			lx->trim_next = trim;
			return 0;
		}
		switch (c) {
		case '|':
			lex_emit(lx, T_PIPE, p, p + 1);
			break;
		case '(':
			parens++;
			lex_emit(lx, T_LPAREN, p, p + 1);
			break;
		case ')':
			if (--parens < 0)
				return src_fail(s, p, lx->err, "unexpected right paren");
			lex_emit(lx, T_RPAREN, p, p + 1);
			break;
		case ',':
			lex_emit(lx, T_COMMA, p, p + 1);
			break;
		case '=':
			lex_emit(lx, T_ASSIGN, p, p + 1);
			break;
		case ':':
			if (s[p + 1] != '=')
				return src_fail(s, p, lx->err, "expected :=");
			lex_emit(lx, T_DECLARE, p, p + 2);
			break;
		case '"':
			r = lex_quote(lx);
			break;
		case '`':
			r = lex_raw(lx);
			break;
		case '$':
			r = lex_word(lx, T_VAR);
			break;
		case '.':
			if (isdigit((unsigned char)s[p + 1]))
				r = lex_number(lx);
			else if (is_word(s[p + 1]))
				r = lex_word(lx, T_FIELD);
			else
				lex_emit(lx, T_DOT, p, p + 1);
			break;
		default:
			if (isdigit((unsigned char)c) || c == '+' || c == '-')
				r = lex_number(lx);
			else if (is_word(c))
				r = lex_word(lx, T_IDENT);
			else
				r = lex_bad_char(lx, p, "unrecognized character in action:");
		}
		if (r < 0)
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

/* ---------------------------------------------------------------------- */
/* Tree */

struct val;
struct func {
	const char *name;
	int min, max;         /* argument counts; max < 0: any number */
	bool header_identity; /* returns its first argument in a table header, as
			       * docker's HeaderFunctions do, so the title stays */
	int (*fn)(struct val *args, size_t n, struct val *out, struct berth_err *err);
};

enum arg_type { A_DOT, A_FIELD, A_VAR, A_FUNC, A_LIT, A_NIL, A_PIPE };

struct pipe;
struct arg {
	enum arg_type type;
	size_t pos, end;
	char *name;            /* A_VAR: "$x" */
	const struct func *fn; /* A_FUNC */
	json_object *lit;      /* A_LIT */
	struct pipe *pipe;     /* A_PIPE: "(...)" */
	char **fields;         /* A_FIELD: the chain from dot; others: ".X.Y" after */
};

struct cmd {
	size_t pos, end;
	struct arg *args;
	size_t nargs;
};

struct pipe {
	size_t pos, end;
	char *decl[2]; /* "$x :=" or, in range, "$i, $v :=" */
	size_t ndecl;
	bool assign; /* "=" rather than ":=" */
	struct cmd *cmds;
	size_t ncmds;
};

enum node_type { N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH, N_BREAK, N_CONTINUE };

struct node;
struct list {
	struct node *v;
	size_t n;
};

struct node {
	enum node_type type;
	size_t pos;
	char *text; /* N_TEXT */
	size_t len;
	struct pipe *pipe;     /* action and blocks */
	struct list body, alt; /* blocks: the list, and the {{else}} list */
};

struct tmpl {
	char *src; /* the template after "table", for positions in messages */
	struct list root;
	bool table;
	struct buf rows; /* table mode: each executed row and its '\n' */
};

static void pipe_free(struct pipe *pp)
{
	if (pp == NULL)
		return;
	for (size_t i = 0; i < pp->ncmds; i++) {
		for (size_t j = 0; j < pp->cmds[i].nargs; j++) {
			struct arg *a = &pp->cmds[i].args[j];
			free(a->name);
			json_object_put(a->lit);
			pipe_free(a->pipe);
			strv_free(a->fields);
		}
		free(pp->cmds[i].args);
	}
	free(pp->cmds);
	free(pp->decl[0]);
	free(pp->decl[1]);
	free(pp);
}

static void list_clear(struct list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].text);
		pipe_free(l->v[i].pipe);
		list_clear(&l->v[i].body);
		list_clear(&l->v[i].alt);
	}
	free(l->v);
	*l = (struct list){ 0 };
}

static struct node *list_push(struct list *l)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n] = (struct node){ 0 };
	return &l->v[l->n++];
}

/* ---------------------------------------------------------------------- */
/* Parser */

static const struct func *func_lookup(const char *name);

struct parser {
	const char *src;
	const struct tok *toks;
	size_t ntoks, i;
	char **vars; /* variables in scope, "$" first */
	size_t nvars;
	int range_depth, depth;
	struct berth_err *err;
};

enum { END_EOF, END_END, END_ELSE };

static const struct tok *peek_at(const struct parser *p, size_t k)
{
	size_t i = p->i + k;
	return &p->toks[i < p->ntoks ? i : p->ntoks - 1];
}

static const struct tok *peek(const struct parser *p)
{
	return peek_at(p, 0);
}

static const struct tok *next(struct parser *p)
{
	const struct tok *t = peek(p);
	if (t->type != T_EOF)
		p->i++;
	return t;
}

/* A token as Go names it in "unexpected X in Y". */
static void tok_desc(const struct parser *p, const struct tok *t, char *out, size_t n)
{
	size_t len = t->end - t->pos;

	if (t->type == T_EOF)
		snprintf(out, n, "EOF");
	else if (t->type >= T_IF)
		snprintf(out, n, "<%s>", t->val);
	else
		snprintf(out, n, "\"%.*s\"%s", (int)(len > 10 ? 10 : len), p->src + t->pos,
			 len > 10 ? "..." : "");
}

static int parse_unexpected(struct parser *p, const struct tok *t, const char *where)
{
	char d[32];

	tok_desc(p, t, d, sizeof(d));
	return src_fail(p->src, t->pos, p->err, "unexpected %s in %s", d, where);
}

static bool parser_has_var(const struct parser *p, const char *name)
{
	for (size_t i = p->nvars; i-- > 0;)
		if (strcmp(p->vars[i], name) == 0)
			return true;
	return false;
}

static void parser_push_var(struct parser *p, const char *name)
{
	p->vars = xreallocarray(p->vars, p->nvars + 1, sizeof(*p->vars));
	p->vars[p->nvars++] = xstrdup(name);
}

static void parser_pop_vars(struct parser *p, size_t mark)
{
	while (p->nvars > mark)
		free(p->vars[--p->nvars]);
}

static json_object *parse_number(const char *s)
{
	const char *digits = (*s == '+' || *s == '-') ? s + 1 : s;
	bool hex = digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
	char *end;

	errno = 0;
	if (!hex && strpbrk(s, ".eE") != NULL) {
		double d = strtod(s, &end);
		if (*end != '\0' || end == s || !isfinite(d))
			return NULL;
		return json_object_new_double(d);
	}
	long long v = strtoll(s, &end, 0);
	if (*end != '\0' || end == s || errno == ERANGE)
		return NULL;
	return json_object_new_int64(v);
}

static int parse_pipe(struct parser *p, const char *ctx, enum tok_type end, struct pipe **out);

/* One operand: a term and any ".Field" chain glued to it. */
static int parse_operand(struct parser *p, struct arg *a)
{
	const struct tok *t = next(p);

	a->pos = t->pos;
	a->end = t->end;
	switch (t->type) {
	case T_IDENT:
		a->type = A_FUNC;
		a->fn = func_lookup(t->val);
		if (a->fn == NULL)
			return src_fail(p->src, t->pos, p->err, "function \"%s\" not defined",
					t->val);
		break;
	case T_DOT:
		a->type = A_DOT;
		break;
	case T_FIELD:
		a->type = A_FIELD;
		strv_push(&a->fields, t->val);
		break;
	case T_VAR:
		if (!parser_has_var(p, t->val))
			return src_fail(p->src, t->pos, p->err, "undefined variable \"%s\"",
					t->val);
		a->type = A_VAR;
		a->name = xstrdup(t->val);
		break;
	case T_STRING:
		a->type = A_LIT;
		a->lit = json_object_new_string_len(t->val, (int)t->len);
		break;
	case T_NUMBER:
		a->type = A_LIT;
		a->lit = parse_number(t->val);
		if (a->lit == NULL)
			return src_fail(p->src, t->pos, p->err, "bad number syntax: \"%s\"",
					t->val);
		break;
	case T_BOOL:
		a->type = A_LIT;
		a->lit = json_object_new_boolean(t->val[0] == 't');
		break;
	case T_NIL:
		a->type = A_NIL;
		break;
	case T_LPAREN:
		if (++p->depth > TMPL_MAX_DEPTH)
			return src_fail(p->src, t->pos, p->err, "template nested too deeply");
		a->type = A_PIPE;
		if (parse_pipe(p, "parenthesized pipeline", T_RPAREN, &a->pipe) < 0)
			return -1;
		p->depth--;
		a->end = p->toks[p->i - 1].end;
		break;
	default:
		return parse_unexpected(p, t, "operand");
	}
	while (peek(p)->type == T_FIELD && !peek(p)->spaced) {
		t = next(p);
		if (a->type != A_FIELD && a->type != A_VAR && a->type != A_PIPE)
			return src_fail(p->src, t->pos, p->err, "unexpected . after term \"%.*s\"",
					(int)(a->end - a->pos), p->src + a->pos);
		strv_push(&a->fields, t->val);
		a->end = t->end;
	}
	return 0;
}

static int parse_command(struct parser *p, struct cmd *c, const char *ctx)
{
	const struct tok *t;

	c->pos = peek(p)->pos;
	for (;;) {
		t = peek(p);
		if (t->type == T_PIPE || t->type == T_RIGHT || t->type == T_RPAREN)
			break;
		if (c->nargs > 0 && !t->spaced)
			return parse_unexpected(p, t, "operand");
		c->args = xreallocarray(c->args, c->nargs + 1, sizeof(*c->args));
		c->args[c->nargs] = (struct arg){ 0 };
		if (parse_operand(p, &c->args[c->nargs++]) < 0)
			return -1;
	}
	if (c->nargs == 0)
		return src_fail(p->src, t->pos, p->err, "missing value for %s", ctx);
	c->end = c->args[c->nargs - 1].end;
	return 0;
}

/* "$x :=", "$x =", and in range "$i, $v :=". */
static int parse_decl(struct parser *p, const char *ctx, struct pipe *pp)
{
	const struct tok *v = peek(p), *op = peek_at(p, 1);
	size_t n = 1;

	if (v->type != T_VAR)
		return 0;
	if (op->type == T_COMMA) {
		if (strcmp(ctx, "range") != 0)
			return src_fail(p->src, op->pos, p->err, "too many declarations in %s",
					ctx);
		if (peek_at(p, 2)->type != T_VAR)
			return src_fail(p->src, op->pos, p->err,
					"range can only initialize variables");
		op = peek_at(p, 3);
		n = 2;
	}
	if (op->type != T_DECLARE && op->type != T_ASSIGN)
		return 0;
	pp->assign = op->type == T_ASSIGN;
	for (size_t k = 0; k < n; k++) {
		const struct tok *t = peek_at(p, 2 * k);
		if (pp->assign && !parser_has_var(p, t->val))
			return src_fail(p->src, t->pos, p->err, "undefined variable \"%s\"",
					t->val);
		pp->decl[pp->ndecl++] = xstrdup(t->val);
		if (!pp->assign)
			parser_push_var(p, t->val);
	}
	p->i += 2 * n;
	return 0;
}

static int parse_pipe(struct parser *p, const char *ctx, enum tok_type end, struct pipe **out)
{
	struct pipe *pp = xzalloc(sizeof(*pp));
	const struct tok *t;

	*out = pp;
	pp->pos = peek(p)->pos;
	if (parse_decl(p, ctx, pp) < 0)
		return -1;
	for (;;) {
		pp->cmds = xreallocarray(pp->cmds, pp->ncmds + 1, sizeof(*pp->cmds));
		pp->cmds[pp->ncmds] = (struct cmd){ 0 };
		if (parse_command(p, &pp->cmds[pp->ncmds++], ctx) < 0)
			return -1;
		t = next(p);
		if (t->type == end)
			break;
		if (t->type != T_PIPE)
			return parse_unexpected(p, t, ctx);
	}
	pp->end = pp->cmds[pp->ncmds - 1].end;
	/* Go: a later stage receives the value, so it must be able to take it. */
	for (size_t i = 1; i < pp->ncmds; i++) {
		enum arg_type first = pp->cmds[i].args[0].type;
		if (first == A_DOT || first == A_LIT || first == A_NIL)
			return src_fail(p->src, pp->cmds[i].pos, p->err,
					"non executable command in pipeline stage %zu", i + 1);
	}
	return 0;
}

static int parse_list(struct parser *p, struct list *l, const struct tok **term);

static int parse_block(struct parser *p, enum node_type type, const char *ctx, size_t pos,
		       struct node *n)
{
	size_t mark = p->nvars;
	const struct tok *term;
	int end, r = -1;

	n->type = type;
	n->pos = pos;
	if (++p->depth > TMPL_MAX_DEPTH) {
		src_fail(p->src, pos, p->err, "template nested too deeply");
		goto out;
	}
	if (parse_pipe(p, ctx, T_RIGHT, &n->pipe) < 0)
		goto out;
	p->range_depth += type == N_RANGE;
	end = parse_list(p, &n->body, &term);
	p->range_depth -= type == N_RANGE;
	if (end == END_ELSE) {
		const struct tok *t = peek(p);
		/* "{{else if x}}" is "{{else}}{{if x}}" sharing the one {{end}} */
		if ((type == N_IF && t->type == T_IF) || (type == N_WITH && t->type == T_WITH)) {
			next(p);
			r = parse_block(p, type, ctx, t->pos, list_push(&n->alt));
			goto out;
		}
		if (next(p)->type != T_RIGHT) {
			parse_unexpected(p, t, "{{else}}");
			goto out;
		}
		end = parse_list(p, &n->alt, &term);
		if (end == END_ELSE) {
			src_fail(p->src, term->pos, p->err, "expected end; found {{else}}");
			goto out;
		}
	}
	if (end == END_EOF)
		src_fail(p->src, term->pos, p->err, "unexpected EOF");
	else if (end == END_END)
		r = 0;
out:
	p->depth--;
	parser_pop_vars(p, mark);
	return r;
}

/* Parses nodes up to {{end}}, {{else}} (left before what follows "else") or
 * the end of input; returns which, or -1. */
static int parse_list(struct parser *p, struct list *l, const struct tok **term)
{
	static const struct {
		enum tok_type tok;
		enum node_type node;
		const char *name;
	} blocks[] = { { T_IF, N_IF, "if" },
		       { T_RANGE, N_RANGE, "range" },
		       { T_WITH, N_WITH, "with" } };

	for (;;) {
		const struct tok *t = next(p), *k;
		struct node *n;

		if (t->type == T_EOF) {
			*term = t;
			return END_EOF;
		}
		if (t->type == T_TEXT) {
			n = list_push(l);
			n->type = N_TEXT;
			n->pos = t->pos;
			n->text = xstrndup(t->val, t->len);
			n->len = t->len;
			continue;
		}
		k = next(p); /* the first word after "{{" */
		*term = k;
		if (k->type == T_END) {
			if ((t = next(p))->type != T_RIGHT)
				return parse_unexpected(p, t, "end");
			return END_END;
		}
		if (k->type == T_ELSE)
			return END_ELSE;
		if (k->type == T_BREAK || k->type == T_CONTINUE) {
			if (p->range_depth == 0)
				return src_fail(p->src, k->pos, p->err, "{{%s}} outside {{range}}",
						k->val);
			if ((t = next(p))->type != T_RIGHT)
				return parse_unexpected(p, t, k->val);
			n = list_push(l);
			n->type = k->type == T_BREAK ? N_BREAK : N_CONTINUE;
			n->pos = k->pos;
			continue;
		}
		size_t b = 0;
		while (b < ARRAY_SIZE(blocks) && blocks[b].tok != k->type)
			b++;
		if (b < ARRAY_SIZE(blocks)) {
			if (parse_block(p, blocks[b].node, blocks[b].name, k->pos, list_push(l)) <
			    0)
				return -1;
			continue;
		}
		p->i--; /* the word belongs to the pipeline */
		n = list_push(l);
		n->type = N_ACTION;
		n->pos = k->pos;
		if (parse_pipe(p, "command", T_RIGHT, &n->pipe) < 0)
			return -1;
	}
}

static int parse_all(struct tmpl *t, const struct lexer *lx, struct berth_err *err)
{
	struct parser p = { .src = t->src, .toks = lx->toks, .ntoks = lx->ntoks, .err = err };
	const struct tok *term = NULL;
	int end;

	parser_push_var(&p, "$");
	end = parse_list(&p, &t->root, &term);
	if (end == END_END || end == END_ELSE)
		src_fail(p.src, term->pos, err, "unexpected {{%s}}", term->val);
	parser_pop_vars(&p, 0);
	free(p.vars);
	return end == END_EOF ? 0 : -1;
}

/* ---------------------------------------------------------------------- */
/* Values and how Go prints them */

/* j is an owned reference (NULL: JSON null); missing is Go's "no value". */
struct val {
	json_object *j;
	bool missing;
};

static const struct val VAL_MISSING = { .missing = true };

static struct val val_ref(json_object *j)
{
	return (struct val){ .j = json_object_get(j) };
}

static struct val val_copy(const struct val *v)
{
	return (struct val){ .j = json_object_get(v->j), .missing = v->missing };
}

static struct val val_string(const char *s, size_t len)
{
	return (struct val){ .j = json_object_new_string_len(s != NULL ? s : "", (int)len) };
}

static struct val val_from_buf(struct buf *b)
{
	struct val v = val_string(b->s, b->len);
	free(b->s);
	return v;
}

static void val_put(struct val *v)
{
	json_object_put(v->j);
	v->j = NULL;
}

static bool val_is_nil(const struct val *v)
{
	return v->missing || v->j == NULL;
}

static json_type val_type(const struct val *v)
{
	return val_is_nil(v) ? json_type_null : json_object_get_type(v->j);
}

/* Go's type names for what encoding/json decodes into interface{}. */
static const char *val_type_name(const struct val *v)
{
	switch (val_type(v)) {
	case json_type_boolean:
		return "bool";
	case json_type_int:
		return "int";
	case json_type_double:
		return "float64";
	case json_type_string:
		return "string";
	case json_type_array:
		return "[]interface {}";
	case json_type_object:
		return "map[string]interface {}";
	default:
		return "nil";
	}
}

/* Go's truth: false, 0, "", null, no value and empty arrays/objects are false. */
static bool val_truth(const struct val *v)
{
	switch (val_type(v)) {
	case json_type_boolean:
		return json_object_get_boolean(v->j);
	case json_type_int:
		return json_object_get_int64(v->j) != 0;
	case json_type_double:
		return json_object_get_double(v->j) != 0;
	case json_type_string:
		return json_object_get_string_len(v->j) > 0;
	case json_type_array:
		return json_object_array_length(v->j) > 0;
	case json_type_object:
		return json_object_object_length(v->j) > 0;
	default:
		return false;
	}
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An object's keys in byte order, as Go sorts map keys. */
static char **object_keys(json_object *o, size_t *n)
{
	char **keys = xcalloc((size_t)json_object_object_length(o) + 1, sizeof(*keys));
	size_t i = 0;

	json_object_object_foreach(o, key, unused)
	{
		(void)unused;
		keys[i++] = key;
	}
	qsort(keys, i, sizeof(*keys), cmp_key);
	*n = i;
	return keys;
}

static json_object *object_get(json_object *o, const char *key)
{
	json_object *child = NULL;
	json_object_object_get_ex(o, key, &child);
	return child;
}

static void fmt_int(struct buf *b, json_object *j)
{
	int64_t i = json_object_get_int64(j);

	if (i == INT64_MAX) /* json-c keeps values past INT64_MAX as uint64 */
		buf_printf(b, "%" PRIu64, json_object_get_uint64(j));
	else
		buf_printf(b, "%" PRId64, i);
}

/* The shortest decimal digits that read back as d (finite, > 0), as Go's
 * strconv finds them; d = 0.DIGITS * 10^(exp + 1). */
static size_t float_digits(double d, char *dig, int *exp)
{
	char tmp[40];
	size_t n = 0;
	const char *p;

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	for (p = tmp; *p != 'e'; p++)
		if (isdigit((unsigned char)*p))
			dig[n++] = *p;
	while (n > 1 && dig[n - 1] == '0')
		n--;
	*exp = atoi(p + 1);
	return n;
}

/* Go's %v for a float64 (strconv 'g', shortest, exponent from 1e+06 or
 * below 1e-04), or with json set encoding/json's form (exponent from 1e21 or
 * below 1e-6, and no zero padding in it). */
static void fmt_float(struct buf *b, double d, bool json)
{
	char dig[24];
	int exp;
	size_t n;

	if (isnan(d)) {
		buf_puts(b, "NaN");
		return;
	}
	if (isinf(d)) {
		buf_puts(b, d > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (signbit(d)) {
		buf_putc(b, '-');
		d = -d;
	}
	if (d == 0) {
		buf_putc(b, '0');
		return;
	}
	n = float_digits(d, dig, &exp);
	if (json ? (d < 1e-6 || d >= 1e21) : (exp < -4 || exp >= 6)) {
		buf_putc(b, dig[0]);
		if (n > 1) {
			buf_putc(b, '.');
			buf_add(b, dig + 1, n - 1);
		}
		buf_printf(b, json ? "e%c%d" : "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
		return;
	}
	int dp = exp + 1; /* digits before the point */
	if (dp <= 0) {
		buf_puts(b, "0.");
		buf_pad(b, '0', (size_t)-dp);
		buf_add(b, dig, n);
	} else if ((size_t)dp >= n) {
		buf_add(b, dig, n);
		buf_pad(b, '0', (size_t)dp - n);
	} else {
		buf_add(b, dig, (size_t)dp);
		buf_putc(b, '.');
		buf_add(b, dig + dp, n - (size_t)dp);
	}
}

/* Go's %v: strings bare, [a b c], map[k:v] with sorted keys, <nil> inside. */
static void fmt_value(struct buf *b, json_object *j)
{
	switch (json_object_get_type(j)) {
	case json_type_null:
		buf_puts(b, "<nil>");
		break;
	case json_type_boolean:
		buf_puts(b, json_object_get_boolean(j) ? "true" : "false");
		break;
	case json_type_int:
		fmt_int(b, j);
		break;
	case json_type_double:
		fmt_float(b, json_object_get_double(j), false);
		break;
	case json_type_string:
		buf_add(b, json_object_get_string(j), (size_t)json_object_get_string_len(j));
		break;
	case json_type_array:
		buf_putc(b, '[');
		for (size_t i = 0; i < json_object_array_length(j); i++) {
			if (i > 0)
				buf_putc(b, ' ');
			fmt_value(b, json_object_array_get_idx(j, i));
		}
		buf_putc(b, ']');
		break;
	case json_type_object: {
		size_t n;
		autofree char **keys = object_keys(j, &n);
		buf_puts(b, "map[");
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				buf_putc(b, ' ');
			buf_puts(b, keys[i]);
			buf_putc(b, ':');
			fmt_value(b, object_get(j, keys[i]));
		}
		buf_putc(b, ']');
		break;
	}
	}
}

/* A function argument or printf operand: nil prints as Go's <nil>. */
static void fmt_arg(struct buf *b, const struct val *v)
{
	if (val_is_nil(v))
		buf_puts(b, "<nil>");
	else
		fmt_value(b, v->j);
}

/* encoding/json's string form with docker's SetEscapeHTML(false): <, >, &
 * stay; U+2028/U+2029 and invalid UTF-8 are escaped as Go always does. */
static void json_quote(struct buf *b, const char *s, size_t n)
{
	buf_putc(b, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t len;
		char e;

		if (c < 0x80) {
			if ((e = escape_for("\"\"\\\\\nn\rr\tt\bb\ff", (char)c)) != 0) {
				buf_putc(b, '\\');
				buf_putc(b, e);
			} else if (c < 0x20) {
				buf_printf(b, "\\u%04x", c);
			} else {
				buf_putc(b, (char)c);
			}
			i++;
			continue;
		}
		len = utf8_decode(s + i, n - i, &cp);
		if (len == 0) {
			buf_puts(b, "\\ufffd");
			i++;
		} else if (cp == 0x2028 || cp == 0x2029) {
			buf_printf(b, "\\u%04" PRIx32, cp);
			i += len;
		} else {
			buf_add(b, s + i, len);
			i += len;
		}
	}
	buf_putc(b, '"');
}

/* Compact JSON; -1 for NaN or infinity, which JSON cannot hold. */
static int json_encode(struct buf *b, json_object *j)
{
	bool first = true;

	switch (json_object_get_type(j)) {
	case json_type_null:
		buf_puts(b, "null");
		return 0;
	case json_type_double:
		if (!isfinite(json_object_get_double(j)))
			return -1;
		fmt_float(b, json_object_get_double(j), true);
		return 0;
	case json_type_string:
		json_quote(b, json_object_get_string(j), (size_t)json_object_get_string_len(j));
		return 0;
	case json_type_array:
		buf_putc(b, '[');
		for (size_t i = 0; i < json_object_array_length(j); i++) {
			if (i > 0)
				buf_putc(b, ',');
			if (json_encode(b, json_object_array_get_idx(j, i)) < 0)
				return -1;
		}
		buf_putc(b, ']');
		return 0;
	case json_type_object:
		buf_putc(b, '{');
		json_object_object_foreach(j, key, child)
		{
			if (!first)
				buf_putc(b, ',');
			first = false;
			json_quote(b, key, strlen(key));
			buf_putc(b, ':');
			if (json_encode(b, child) < 0)
				return -1;
		}
		buf_putc(b, '}');
		return 0;
	default: /* boolean, int */
		fmt_value(b, j);
		return 0;
	}
}

/* Runes strconv.IsPrint rejects, beyond the C0/C1 controls: spaces other
 * than ' ', format characters, separators. */
static bool rune_is_print(uint32_t cp)
{
	static const uint32_t hidden[][2] = {
		{ 0x80, 0xa0 },     { 0xad, 0xad },     { 0x1680, 0x1680 },   { 0x2000, 0x200f },
		{ 0x2028, 0x202f }, { 0x205f, 0x206f }, { 0x3000, 0x3000 },   { 0xd800, 0xf8ff },
		{ 0xfeff, 0xfeff }, { 0xfff9, 0xfffb }, { 0xe0000, 0xe007f }, { 0xf0000, 0x10ffff },
	};

	for (size_t i = 0; i < ARRAY_SIZE(hidden); i++)
		if (cp >= hidden[i][0] && cp <= hidden[i][1])
			return false;
	return true;
}

/* Go's strconv.Quote, for printf's %q. */
static void go_quote(struct buf *b, const char *s, size_t n)
{
	buf_putc(b, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t len;
		char e;

		if (c < 0x80) {
			if ((e = escape_for("\aa\bb\ff\nn\rr\tt\vv\\\\\"\"", (char)c)) != 0) {
				buf_putc(b, '\\');
				buf_putc(b, e);
			} else if (c < 0x20 || c == 0x7f) {
				buf_printf(b, "\\x%02x", c);
			} else {
				buf_putc(b, (char)c);
			}
			i++;
			continue;
		}
		len = utf8_decode(s + i, n - i, &cp);
		if (len == 0) {
			buf_printf(b, "\\x%02x", c);
			i++;
			continue;
		}
		if (rune_is_print(cp))
			buf_add(b, s + i, len);
		else if (cp < 0x10000)
			buf_printf(b, "\\u%04" PRIx32, cp);
		else
			buf_printf(b, "\\U%08" PRIx32, cp);
		i += len;
	}
	buf_putc(b, '"');
}

/* ---------------------------------------------------------------------- */
/* Functions */

/* A function's own failure returns -1 ("error calling f: ..."); a wrong
 * argument returns ARG_ERR and its message stands alone, as in Go. */
#define ARG_ERR (-2)

static int arg_string(const struct val *v, const char **s, size_t *len, struct berth_err *err)
{
	if (v->missing)
		return berth_err_set(err, 0, "invalid value; expected string"), ARG_ERR;
	if (val_type(v) != json_type_string)
		return berth_err_set(err, 0, "wrong type for value; expected string; got %s",
				     val_type_name(v)),
		       ARG_ERR;
	*s = json_object_get_string(v->j);
	*len = (size_t)json_object_get_string_len(v->j);
	return 0;
}

static int arg_int(const struct val *v, int64_t *out, struct berth_err *err)
{
	if (v->missing)
		return berth_err_set(err, 0, "invalid value; expected int"), ARG_ERR;
	if (val_type(v) != json_type_int)
		return berth_err_set(err, 0, "wrong type for value; expected int; got %s",
				     val_type_name(v)),
		       ARG_ERR;
	*out = json_object_get_int64(v->j);
	return 0;
}

static int fn_json(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	struct buf b = { 0 };

	if (val_is_nil(&a[0]))
		buf_puts(&b, "null");
	else if (json_encode(&b, a[0].j) < 0)
		b.len = 0; /* docker ignores the encoder's error: nothing prints */
	*out = val_from_buf(&b);
	return 0;
}

static int fn_index(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	json_object *item = a[0].j;
	bool nil = val_is_nil(&a[0]);

	if (n == 1) {
		*out = val_copy(&a[0]);
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		const struct val *k = &a[i];
		if (nil)
			return berth_err_set(err, 0, "index of untyped nil");
		if (json_object_is_type(item, json_type_object)) {
			if (val_type(k) != json_type_string)
				return berth_err_set(err, 0, "value has type %s; should be string",
						     val_type_name(k));
			/* an absent key gives Go's zero value, nil */
			item = object_get(item, json_object_get_string(k->j));
		} else if (json_object_is_type(item, json_type_array)) {
			if (val_type(k) != json_type_int)
				return berth_err_set(err, 0,
						     "cannot index slice/array with type %s",
						     val_type_name(k));
			int64_t x = json_object_get_int64(k->j);
			if (x < 0 || (uint64_t)x >= json_object_array_length(item))
				return berth_err_set(err, 0, "index out of range: %" PRId64, x);
			item = json_object_array_get_idx(item, (size_t)x);
		} else {
			struct val v = { .j = item };
			return berth_err_set(err, 0, "can't index item of type %s",
					     val_type_name(&v));
		}
		nil = item == NULL;
	}
	*out = val_ref(item);
	return 0;
}

static int fn_len(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	int64_t len;

	switch (val_type(&a[0])) {
	case json_type_null:
		return berth_err_set(err, 0, "len of nil pointer");
	case json_type_string:
		len = json_object_get_string_len(a[0].j);
		break;
	case json_type_array:
		len = (int64_t)json_object_array_length(a[0].j);
		break;
	case json_type_object:
		len = json_object_object_length(a[0].j);
		break;
	default:
		return berth_err_set(err, 0, "len of type %s", val_type_name(&a[0]));
	}
	*out = (struct val){ .j = json_object_new_int64(len) };
	return 0;
}

static int fn_join(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	struct buf b = { 0 };
	const char *sep;
	size_t seplen;

	if (!val_is_nil(&a[0]) && val_type(&a[0]) != json_type_array)
		return berth_err_set(err, 0, "wrong type for value; expected []string; got %s",
				     val_type_name(&a[0])),
		       ARG_ERR;
	if (arg_string(&a[1], &sep, &seplen, err) < 0)
		return ARG_ERR;
	for (size_t i = 0; !val_is_nil(&a[0]) && i < json_object_array_length(a[0].j); i++) {
		if (i > 0)
			buf_add(&b, sep, seplen);
		fmt_value(&b, json_object_array_get_idx(a[0].j, i));
	}
	*out = val_from_buf(&b);
	return 0;
}

/* strings.Split: an empty separator splits after each UTF-8 sequence. */
static int fn_split(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	const char *s, *sep, *hit;
	size_t len, seplen, i = 0;
	uint32_t cp;
	json_object *arr;

	if (arg_string(&a[0], &s, &len, err) < 0 || arg_string(&a[1], &sep, &seplen, err) < 0)
		return ARG_ERR;
	arr = json_object_new_array();
	if (seplen == 0) {
		while (i < len) {
			size_t k = utf8_decode(s + i, len - i, &cp);
			k = k > 0 ? k : 1;
			json_object_array_add(arr, json_object_new_string_len(s + i, (int)k));
			i += k;
		}
	} else {
		while ((hit = memmem(s + i, len - i, sep, seplen)) != NULL) {
			json_object_array_add(
			    arr, json_object_new_string_len(s + i, (int)(hit - s - i)));
			i = (size_t)(hit - s) + seplen;
		}
		json_object_array_add(arr, json_object_new_string_len(s + i, (int)(len - i)));
	}
	*out = (struct val){ .j = arr };
	return 0;
}

enum str_case { CASE_UPPER, CASE_LOWER, CASE_TITLE };

static int str_case(struct val *a, struct val *out, enum str_case how, struct berth_err *err)
{
	const char *s;
	size_t len;
	char prev = ' ';

	if (arg_string(&a[0], &s, &len, err) < 0)
		return ARG_ERR;
	autofree char *r = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		/* strings.Title: a word starts after anything but a letter, digit or _ */
		bool word_start = !is_word(prev);
		if (how == CASE_UPPER || (how == CASE_TITLE && word_start))
			r[i] = (char)toupper(c);
		else if (how == CASE_LOWER)
			r[i] = (char)tolower(c);
		else
			r[i] = (char)c;
		prev = (char)c;
	}
	*out = val_string(r, len);
	return 0;
}

static int fn_upper(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	return str_case(a, out, CASE_UPPER, err);
}

static int fn_lower(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	return str_case(a, out, CASE_LOWER, err);
}

static int fn_title(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	return str_case(a, out, CASE_TITLE, err);
}

/* docker's truncate: the first n bytes, backed off to a character start. */
static int fn_truncate(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	const char *s;
	size_t len;
	int64_t k;

	if (arg_string(&a[0], &s, &len, err) < 0 || arg_int(&a[1], &k, err) < 0)
		return ARG_ERR;
	if (k < 0)
		return berth_err_set(err, 0, "negative length %" PRId64, k);
	if ((uint64_t)k < len) {
		len = (size_t)k;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	*out = val_string(s, len);
	return 0;
}

/* docker's pad: spaces before and after a non-empty string. */
static int fn_pad(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	const char *s;
	size_t len;
	int64_t before, after;
	struct buf b = { 0 };

	if (arg_string(&a[0], &s, &len, err) < 0 || arg_int(&a[1], &before, err) < 0 ||
	    arg_int(&a[2], &after, err) < 0)
		return ARG_ERR;
	if (before < 0 || after < 0 || before > TMPL_MAX_PAD || after > TMPL_MAX_PAD)
		return berth_err_set(err, 0, "pad count out of range");
	if (len > 0) {
		buf_pad(&b, ' ', (size_t)before);
		buf_add(&b, s, len);
		buf_pad(&b, ' ', (size_t)after);
	}
	*out = val_from_buf(&b);
	return 0;
}

static int fn_print(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	struct buf b = { 0 };
	bool prev_string = false;

	/* fmt.Sprint: a space between operands when neither is a string */
	for (size_t i = 0; i < n; i++) {
		bool is_string = val_type(&a[i]) == json_type_string;
		if (i > 0 && !is_string && !prev_string)
			buf_putc(&b, ' ');
		fmt_arg(&b, &a[i]);
		prev_string = is_string;
	}
	*out = val_from_buf(&b);
	return 0;
}

static int fn_println(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	struct buf b = { 0 };

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&b, ' ');
		fmt_arg(&b, &a[i]);
	}
	buf_putc(&b, '\n');
	*out = val_from_buf(&b);
	return 0;
}

struct spec {
	bool minus, plus, space, zero;
	size_t width;
	int prec; /* -1: none */
	char verb;
};

/* The text of one verb before padding; false when the operand's type does
 * not take the verb (Go then prints %!verb(type=value)). */
static bool fmt_verb(struct buf *b, const struct spec *sp, const struct val *v)
{
	json_type t = val_type(v);
	char verb = sp->verb;

	if (t == json_type_null && verb == 'v') {
		buf_puts(b, "<nil>");
	} else if (t == json_type_string && char_in(verb, "sv")) {
		const char *s = json_object_get_string(v->j);
		size_t len = (size_t)json_object_get_string_len(v->j), i = 0;
		uint32_t cp;
		/* the precision counts characters */
		for (int k = 0; i < len && (sp->prec < 0 || k < sp->prec); k++) {
			size_t l = utf8_decode(s + i, len - i, &cp);
			i += l > 0 ? l : 1;
		}
		buf_add(b, s, i);
	} else if (t == json_type_string && verb == 'q') {
		go_quote(b, json_object_get_string(v->j), (size_t)json_object_get_string_len(v->j));
	} else if (t == json_type_double && char_in(verb, "vfeg")) {
		double d = json_object_get_double(v->j);
		if (!isfinite(d) || (sp->prec < 0 && char_in(verb, "vg")))
			fmt_float(b, d, false);
		else if (verb == 'f')
			buf_printf(b, "%.*f", sp->prec < 0 ? 6 : sp->prec, d);
		else if (verb == 'e')
			buf_printf(b, "%.*e", sp->prec < 0 ? 6 : sp->prec, d);
		else
			buf_printf(b, "%.*g", sp->prec, d);
	} else if ((t == json_type_int && char_in(verb, "vd")) ||
		   (t == json_type_boolean && char_in(verb, "vt")) ||
		   ((t == json_type_array || t == json_type_object) && char_in(verb, "vsd"))) {
		fmt_value(b, v->j);
	} else {
		return false;
	}
	return true;
}

static void fmt_one(struct buf *out, const struct spec *sp, const struct val *v)
{
	struct buf b = { 0 };
	bool numeric = val_type(v) == json_type_int || val_type(v) == json_type_double;
	size_t width, sign;

	if (numeric && (sp->plus || sp->space))
		buf_putc(&b, sp->plus ? '+' : ' ');
	sign = b.len;
	if (!fmt_verb(&b, sp, v)) {
		buf_printf(out, "%%!%c(", sp->verb);
		if (!val_is_nil(v)) {
			buf_puts(out, val_type_name(v));
			buf_putc(out, '=');
		}
		fmt_arg(out, v);
		buf_putc(out, ')');
		free(b.s);
		return;
	}
	if (sign > 0 && (b.s[1] == '-' || b.s[1] == '+')) { /* the number has its own sign */
		memmove(b.s, b.s + 1, b.len);
		b.len--;
	}
	sign = numeric && char_in(b.s[0], "+- ") ? 1 : 0;
	width = utf8_width(b.s, b.len);
	if (sp->width > width && !sp->minus && sp->zero && numeric) {
		buf_add(out, b.s, sign); /* zeros go after the sign */
		buf_pad(out, '0', sp->width - width);
		buf_add(out, b.s + sign, b.len - sign);
	} else if (sp->width > width && !sp->minus) {
		buf_pad(out, ' ', sp->width - width);
		buf_add(out, b.s, b.len);
	} else {
		buf_add(out, b.s, b.len);
		if (sp->width > width)
			buf_pad(out, ' ', sp->width - width);
	}
	free(b.s);
}

/* fmt.Sprintf for the verbs %v %s %d %q %t %f %e %g and %%, with flags
 * "-+ 0", width and precision; mistakes print as Go's %!verb(...) forms. */
static int fn_printf(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	struct buf b = { 0 };
	const char *f;
	size_t flen, ai = 1;

	if (arg_string(&a[0], &f, &flen, err) < 0)
		return ARG_ERR;
	for (size_t i = 0; i < flen; i++) {
		struct spec sp = { .prec = -1 };

		if (f[i] != '%') {
			buf_putc(&b, f[i]);
			continue;
		}
		for (i++; i < flen && char_in(f[i], "-+ 0#"); i++) {
			sp.minus |= f[i] == '-';
			sp.plus |= f[i] == '+';
			sp.space |= f[i] == ' ';
			sp.zero |= f[i] == '0';
		}
		for (; i < flen && isdigit((unsigned char)f[i]); i++)
			if (sp.width < TMPL_MAX_PAD)
				sp.width = sp.width * 10 + (size_t)(f[i] - '0');
		if (i < flen && f[i] == '.')
			for (sp.prec = 0, i++; i < flen && isdigit((unsigned char)f[i]); i++)
				if (sp.prec < TMPL_MAX_PAD)
					sp.prec = sp.prec * 10 + (f[i] - '0');
		if (i >= flen) {
			buf_puts(&b, "%!(NOVERB)");
			break;
		}
		sp.verb = f[i];
		if (sp.verb == '%')
			buf_putc(&b, '%');
		else if (ai >= n)
			buf_printf(&b, "%%!%c(MISSING)", sp.verb);
		else
			fmt_one(&b, &sp, &a[ai++]);
	}
	if (ai < n) {
		buf_puts(&b, "%!(EXTRA ");
		for (size_t i = ai; i < n; i++) {
			if (i > ai)
				buf_puts(&b, ", ");
			if (!val_is_nil(&a[i])) {
				buf_puts(&b, val_type_name(&a[i]));
				buf_putc(&b, '=');
			}
			fmt_arg(&b, &a[i]);
		}
		buf_putc(&b, ')');
	}
	*out = val_from_buf(&b);
	return 0;
}

/* Go's comparison: nil equals only nil, numbers compare by value, strings
 * bytewise, bools only for equality; other kinds are errors. */
static int compare(const struct val *x, const struct val *y, bool order, int *res,
		   struct berth_err *err)
{
	json_type tx = val_type(x), ty = val_type(y);
	bool nx = tx == json_type_int || tx == json_type_double;
	bool ny = ty == json_type_int || ty == json_type_double;

	if (order && (tx == json_type_null || ty == json_type_null || tx == json_type_boolean))
		return berth_err_set(err, 0, "invalid type for comparison");
	if (tx == json_type_null || ty == json_type_null) {
		*res = tx != ty;
		return 0;
	}
	if (tx != ty && !(nx && ny))
		return berth_err_set(err, 0, "incompatible types for comparison");
	if (tx == json_type_int && ty == json_type_int) {
		int64_t a = json_object_get_int64(x->j), b = json_object_get_int64(y->j);
		*res = (a > b) - (a < b);
	} else if (nx) {
		double a = json_object_get_double(x->j), b = json_object_get_double(y->j);
		*res = (a > b) - (a < b);
	} else if (tx == json_type_string) {
		size_t la = (size_t)json_object_get_string_len(x->j);
		size_t lb = (size_t)json_object_get_string_len(y->j);
		int c = memcmp(json_object_get_string(x->j), json_object_get_string(y->j),
			       la < lb ? la : lb);
		*res = c != 0 ? c : (la > lb) - (la < lb);
	} else if (tx == json_type_boolean) {
		*res = json_object_get_boolean(x->j) != json_object_get_boolean(y->j);
	} else {
		return berth_err_set(err, 0, "non-comparable type %s", val_type_name(x));
	}
	return 0;
}

static struct val val_bool(bool b)
{
	return (struct val){ .j = json_object_new_boolean(b) };
}

static int fn_eq(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	int res = 1;

	if (n < 2)
		return berth_err_set(err, 0, "missing argument for comparison");
	for (size_t i = 1; i < n && res != 0; i++)
		if (compare(&a[0], &a[i], false, &res, err) < 0)
			return -1;
	*out = val_bool(res == 0);
	return 0;
}

static int fn_ne(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	int res;

	if (compare(&a[0], &a[1], false, &res, err) < 0)
		return -1;
	*out = val_bool(res != 0);
	return 0;
}

#define ORDER_FN(name, test)                                                                       \
	static int name(struct val *a, size_t n, struct val *out, struct berth_err *err)           \
	{                                                                                          \
		int res;                                                                           \
		if (compare(&a[0], &a[1], true, &res, err) < 0)                                    \
			return -1;                                                                 \
		*out = val_bool(test);                                                             \
		return 0;                                                                          \
	}
ORDER_FN(fn_lt, res < 0)
ORDER_FN(fn_le, res <= 0)
ORDER_FN(fn_gt, res > 0)
ORDER_FN(fn_ge, res >= 0)

static int fn_not(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	*out = val_bool(!val_truth(&a[0]));
	return 0;
}

/* and: the first false argument, or the last; or: the first true one. */
static int fn_and(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	size_t i = 0;
	while (i + 1 < n && val_truth(&a[i]))
		i++;
	*out = val_copy(&a[i]);
	return 0;
}

static int fn_or(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	size_t i = 0;
	while (i + 1 < n && !val_truth(&a[i]))
		i++;
	*out = val_copy(&a[i]);
	return 0;
}

static const struct func funcs[] = {
	{ "and", 1, -1, false, fn_and },
	{ "eq", 1, -1, false, fn_eq },
	{ "ge", 2, 2, false, fn_ge },
	{ "gt", 2, 2, false, fn_gt },
	{ "index", 1, -1, true, fn_index },
	{ "join", 2, 2, true, fn_join },
	{ "json", 1, 1, true, fn_json },
	{ "le", 2, 2, false, fn_le },
	{ "len", 1, 1, false, fn_len },
	{ "lower", 1, 1, true, fn_lower },
	{ "lt", 2, 2, false, fn_lt },
	{ "ne", 2, 2, false, fn_ne },
	{ "not", 1, 1, false, fn_not },
	{ "or", 1, -1, false, fn_or },
	{ "pad", 3, 3, false, fn_pad },
	{ "print", 0, -1, false, fn_print },
	{ "printf", 1, -1, false, fn_printf },
	{ "println", 0, -1, false, fn_println },
	{ "split", 2, 2, true, fn_split },
	{ "title", 1, 1, true, fn_title },
	{ "truncate", 2, 2, true, fn_truncate },
	{ "upper", 1, 1, true, fn_upper },
};

static const struct func *func_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(funcs); i++)
		if (strcmp(funcs[i].name, name) == 0)
			return &funcs[i];
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* Evaluator */

struct var {
	const char *name;
	struct val v;
};

struct exec {
	const struct tmpl *t;
	bool header;          /* building a table header: fields are titles */
	json_object *headers; /* field name -> title, or NULL */
	struct buf *out;
	struct var *vars;
	size_t nvars;
	enum { FLOW_NEXT, FLOW_BREAK, FLOW_CONTINUE } flow;
	struct berth_err *err;
};

/* Prefixes err with Go's "template: :L:C: executing \"\" at <ctx>". */
static int exec_at(struct exec *ex, size_t pos, size_t end)
{
	const char *src = ex->t->src;
	char ctx[32];
	size_t line, col, n = 0;

	for (size_t i = pos; i < end && n < 20; i++) /* one line, at most 20 bytes */
		ctx[n++] = (unsigned char)src[i] < 0x20 ? ' ' : src[i];
	ctx[n] = '\0';
	pos_linecol(src, pos, &line, &col);
	return berth_err_wrap(ex->err, "template: :%zu:%zu: executing \"\" at <%s%s>", line, col,
			      ctx, end - pos > 20 ? "..." : "");
}

__attribute__((format(printf, 4, 5))) static int exec_fail(struct exec *ex, size_t pos, size_t end,
							   const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	msg_flatten(msg);
	berth_err_set(ex->err, 0, "%s", msg);
	return exec_at(ex, pos, end);
}

static void var_push(struct exec *ex, const char *name, struct val v)
{
	ex->vars = xreallocarray(ex->vars, ex->nvars + 1, sizeof(*ex->vars));
	ex->vars[ex->nvars++] = (struct var){ .name = name, .v = v };
}

static struct val *var_lookup(struct exec *ex, const char *name)
{
	for (size_t i = ex->nvars; i-- > 0;)
		if (strcmp(ex->vars[i].name, name) == 0)
			return &ex->vars[i].v;
	return NULL;
}

/* Replaces a variable's value (taking v); false when it is not in scope. */
static bool var_set(struct exec *ex, const char *name, struct val v)
{
	struct val *slot = var_lookup(ex, name);

	if (slot == NULL) {
		val_put(&v);
		return false;
	}
	val_put(slot);
	*slot = v;
	return true;
}

static void var_pop(struct exec *ex, size_t mark)
{
	while (ex->nvars > mark)
		val_put(&ex->vars[--ex->nvars].v);
}

static int eval_pipe(struct exec *ex, const struct pipe *pp, const struct val *dot,
		     struct val *out);
static int eval_arg(struct exec *ex, const struct arg *a, const struct val *dot, struct val *out);

/* In a table header every field is its column title. */
static struct val header_title(const struct exec *ex, const char *field)
{
	json_object *title = NULL;

	if (ex->headers != NULL && json_object_object_get_ex(ex->headers, field, &title) &&
	    json_object_is_type(title, json_type_string))
		return val_ref(title);
	size_t len = strlen(field);
	autofree char *upper = xstrdup(field);
	for (size_t i = 0; i < len; i++)
		upper[i] = (char)toupper((unsigned char)upper[i]);
	return val_string(upper, len);
}

/* Follows a.fields from cur (taken): a missing key gives no value, and so
 * does any field of no value; a field of null or of a non-object fails. */
static int eval_fields(struct exec *ex, const struct arg *a, struct val cur, struct val *out)
{
	size_t n = strv_len(a->fields);

	if (n > 0 && ex->header) {
		val_put(&cur);
		*out = header_title(ex, a->fields[n - 1]);
		return 0;
	}
	for (size_t i = 0; i < n && !cur.missing; i++) {
		const char *name = a->fields[i];
		json_object *child = NULL;
		int r = 0;

		if (cur.j == NULL)
			r = exec_fail(ex, a->pos, a->end, "nil pointer evaluating interface {}.%s",
				      name);
		else if (!json_object_is_type(cur.j, json_type_object))
			r = exec_fail(ex, a->pos, a->end, "can't evaluate field %s in type %s",
				      name, val_type_name(&cur));
		if (r < 0) {
			val_put(&cur);
			return -1;
		}
		bool found = json_object_object_get_ex(cur.j, name, &child);
		val_put(&cur);
		cur = found ? val_ref(child) : VAL_MISSING;
	}
	*out = cur;
	return 0;
}

static int call_func(struct exec *ex, const struct func *fn, const struct arg *args, size_t nargs,
		     const struct val *final, const struct val *dot, size_t pos, size_t end,
		     struct val *out)
{
	size_t n = nargs + (final != NULL), got = 0;
	struct val *vals;
	int r = -1;

	if (fn->max >= 0 && n != (size_t)fn->min) /* fixed counts: min == max */
		return exec_fail(ex, pos, end, "wrong number of args for %s: want %d got %zu",
				 fn->name, fn->min, n);
	if (n < (size_t)fn->min)
		return exec_fail(ex, pos, end,
				 "wrong number of args for %s: want at least %d got %zu", fn->name,
				 fn->min, n);
	vals = xcalloc(n + 1, sizeof(*vals));
	for (; got < nargs; got++)
		if (eval_arg(ex, &args[got], dot, &vals[got]) < 0)
			goto out;
	if (final != NULL)
		vals[got++] = val_copy(final);
	if (ex->header && fn->header_identity) {
		*out = val_copy(&vals[0]);
		r = 0;
		goto out;
	}
	r = fn->fn(vals, n, out, ex->err);
	if (r == -1)
		berth_err_wrap(ex->err, "error calling %s", fn->name);
	if (r < 0)
		r = exec_at(ex, pos, end);
out:
	while (got > 0)
		val_put(&vals[--got]);
	free(vals);
	return r;
}

static int eval_arg(struct exec *ex, const struct arg *a, const struct val *dot, struct val *out)
{
	struct val base = { 0 }, *v;

	switch (a->type) {
	case A_DOT:
	case A_FIELD:
		base = val_copy(dot);
		break;
	case A_VAR:
		if ((v = var_lookup(ex, a->name)) == NULL)
			return exec_fail(ex, a->pos, a->end, "undefined variable: %s", a->name);
		base = val_copy(v);
		break;
	case A_LIT:
		base = val_ref(a->lit);
		break;
	case A_NIL:
		break;
	case A_PIPE:
		if (eval_pipe(ex, a->pipe, dot, &base) < 0)
			return -1;
		break;
	case A_FUNC: /* a function as an argument is called with none */
		return call_func(ex, a->fn, NULL, 0, NULL, dot, a->pos, a->end, out);
	}
	return eval_fields(ex, a, base, out);
}

static int eval_cmd(struct exec *ex, const struct cmd *c, const struct val *dot,
		    const struct val *final, struct val *out)
{
	const struct arg *first = &c->args[0];

	if (first->type == A_FUNC)
		return call_func(ex, first->fn, c->args + 1, c->nargs - 1, final, dot, c->pos,
				 c->end, out);
	if (c->nargs > 1 || final != NULL)
		return exec_fail(ex, c->pos, c->end, "can't give argument to non-function %.*s",
				 (int)(first->end - first->pos), ex->t->src + first->pos);
	if (first->type == A_NIL)
		return exec_fail(ex, c->pos, c->end, "nil is not a command");
	return eval_arg(ex, first, dot, out);
}

/* Runs the commands, each given the previous one's value as its last
 * argument, then binds the declared variables to the result. */
static int eval_pipe(struct exec *ex, const struct pipe *pp, const struct val *dot, struct val *out)
{
	struct val v = VAL_MISSING;

	for (size_t i = 0; i < pp->ncmds; i++) {
		struct val r;
		if (eval_cmd(ex, &pp->cmds[i], dot, i > 0 ? &v : NULL, &r) < 0) {
			val_put(&v);
			return -1;
		}
		val_put(&v);
		v = r;
		/* Go unwraps a nil interface into "no value" after each stage */
		v.missing |= v.j == NULL;
	}
	for (size_t i = 0; i < pp->ndecl; i++) {
		if (!pp->assign)
			var_push(ex, pp->decl[i], val_copy(&v));
		else if (!var_set(ex, pp->decl[i], val_copy(&v))) {
			val_put(&v);
			return exec_fail(ex, pp->pos, pp->end, "undefined variable: %s",
					 pp->decl[i]);
		}
	}
	*out = v;
	return 0;
}

static int walk_list(struct exec *ex, const struct list *l, const struct val *dot);

/* One pass of range: the pipeline pushed its variables ($v, or $i then $v);
 * they take this element (and key), then the body runs in its own scope. */
static int range_step(struct exec *ex, const struct node *n, struct val key, struct val elem)
{
	const struct pipe *pp = n->pipe;
	size_t mark;
	int r;

	if (pp->ndecl > 0 && pp->assign) {
		if (pp->ndecl > 1)
			var_set(ex, pp->decl[0], val_copy(&key));
		var_set(ex, pp->decl[pp->ndecl - 1], val_copy(&elem));
	} else if (pp->ndecl > 0) {
		struct var *top = &ex->vars[ex->nvars - 1];
		val_put(&top->v);
		top->v = val_copy(&elem);
		if (pp->ndecl > 1) {
			val_put(&top[-1].v);
			top[-1].v = val_copy(&key);
		}
	}
	mark = ex->nvars;
	r = walk_list(ex, &n->body, &elem);
	var_pop(ex, mark);
	val_put(&key);
	val_put(&elem);
	if (ex->flow == FLOW_CONTINUE)
		ex->flow = FLOW_NEXT;
	return r;
}

/* Arrays by index, objects by sorted key; an empty one, null or no value
 * runs {{else}}. In a header, anything else runs the body once. */
static int walk_range(struct exec *ex, const struct node *n, const struct val *dot)
{
	size_t mark = ex->nvars, len = 0;
	struct val v;
	int r = 0;

	if (eval_pipe(ex, n->pipe, dot, &v) < 0)
		return -1;
	switch (val_type(&v)) {
	case json_type_array:
		len = json_object_array_length(v.j);
		for (size_t i = 0; i < len && r == 0 && ex->flow == FLOW_NEXT; i++)
			r = range_step(ex, n,
				       (struct val){ .j = json_object_new_int64((int64_t)i) },
				       val_ref(json_object_array_get_idx(v.j, i)));
		break;
	case json_type_object: {
		autofree char **keys = object_keys(v.j, &len);
		for (size_t i = 0; i < len && r == 0 && ex->flow == FLOW_NEXT; i++)
			r = range_step(ex, n, val_string(keys[i], strlen(keys[i])),
				       val_ref(object_get(v.j, keys[i])));
		break;
	}
	case json_type_null:
		break;
	default:
		if (ex->header) {
			len = 1;
			r = walk_list(ex, &n->body, &v);
			break;
		}
		struct buf b = { 0 };
		fmt_value(&b, v.j);
		r = exec_fail(ex, n->pipe->pos, n->pipe->end, "range can't iterate over %s", b.s);
		free(b.s);
	}
	ex->flow = FLOW_NEXT;
	if (r == 0 && len == 0)
		r = walk_list(ex, &n->alt, dot);
	var_pop(ex, mark);
	val_put(&v);
	return r;
}

static int walk_node(struct exec *ex, const struct node *n, const struct val *dot)
{
	size_t mark = ex->nvars;
	struct val v;
	int r = 0;

	switch (n->type) {
	case N_TEXT:
		buf_add(ex->out, n->text, n->len);
		break;
	case N_ACTION: /* a declaration prints nothing; its variable lives on */
		if (eval_pipe(ex, n->pipe, dot, &v) < 0)
			return -1;
		if (n->pipe->ndecl == 0) {
			if (val_is_nil(&v))
				buf_puts(ex->out, "<no value>");
			else
				fmt_value(ex->out, v.j);
		}
		val_put(&v);
		break;
	case N_IF:
	case N_WITH:
		if (eval_pipe(ex, n->pipe, dot, &v) < 0)
			return -1;
		if (val_truth(&v))
			r = walk_list(ex, &n->body, n->type == N_WITH ? &v : dot);
		else
			r = walk_list(ex, &n->alt, dot);
		var_pop(ex, mark);
		val_put(&v);
		break;
	case N_RANGE:
		r = walk_range(ex, n, dot);
		break;
	case N_BREAK:
		ex->flow = FLOW_BREAK;
		break;
	case N_CONTINUE:
		ex->flow = FLOW_CONTINUE;
		break;
	}
	return r;
}

static int walk_list(struct exec *ex, const struct list *l, const struct val *dot)
{
	for (size_t i = 0; i < l->n && ex->flow == FLOW_NEXT; i++)
		if (walk_node(ex, &l->v[i], dot) < 0)
			return -1;
	return 0;
}

static int exec_run(const struct tmpl *t, json_object *data, bool header, struct buf *out,
		    struct berth_err *err)
{
	struct exec ex = { .t = t, .header = header, .out = out, .err = err };
	struct val dot = data != NULL ? val_ref(data) : VAL_MISSING;
	int r;

	if (header)
		ex.headers = data;
	var_push(&ex, "$", val_copy(&dot));
	r = walk_list(&ex, &t->root, &dot);
	var_pop(&ex, 0);
	free(ex.vars);
	val_put(&dot);
	return r;
}

/* ---------------------------------------------------------------------- */
/* Public API */

int tmpl_parse(const char *text, struct tmpl **out, struct berth_err *err)
{
	struct tmpl *t = xzalloc(sizeof(*t));
	struct lexer lx = { .err = err };
	size_t len;

	/* docker: "table" starts table mode; the rest is trimmed of spaces */
	if (strncmp(text, "table", 5) == 0 && (text[5] == '\0' || is_space(text[5]))) {
		t->table = true;
		text += 5;
		while (*text == ' ')
			text++;
	}
	len = strlen(text);
	while (t->table && len > 0 && text[len - 1] == ' ')
		len--;
	t->src = xstrndup(text, len);
	lx.src = t->src;
	lx.n = len;
	if (lex_all(&lx) < 0 || parse_all(t, &lx, err) < 0) {
		lex_free(&lx);
		tmpl_free(t);
		return -1;
	}
	lex_free(&lx);
	*out = t;
	return 0;
}

void tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	list_clear(&t->root);
	free(t->src);
	free(t->rows.s);
	free(t);
}

int tmpl_exec(const struct tmpl *t, json_object *data, char **out, struct berth_err *err)
{
	struct buf b = { 0 };

	if (*out != NULL)
		buf_puts(&b, *out);
	else
		buf_add(&b, "", 0);
	if (exec_run(t, data, false, &b, err) < 0) {
		free(b.s);
		return -1;
	}
	free(*out);
	*out = b.s;
	return 0;
}

bool tmpl_is_table(const struct tmpl *t)
{
	return t->table;
}

int tmpl_table_row(struct tmpl *t, json_object *data, struct berth_err *err)
{
	struct buf b = { 0 };

	if (exec_run(t, data, false, &b, err) < 0) {
		free(b.s);
		return -1;
	}
	buf_add(&t->rows, b.s, b.len);
	buf_putc(&t->rows, '\n');
	free(b.s);
	return 0;
}

void tmpl_table_flush(struct tmpl *t, json_object *headers, FILE *f)
{
	struct buf all = { 0 };
	struct berth_err ignored;
	autofree char **lines = NULL;
	size_t n = 0;

	/* docker ignores a failure here and prints what the header got to */
	exec_run(t, headers, true, &all, &ignored);
	buf_putc(&all, '\n');
	buf_add(&all, t->rows.s, t->rows.len);
	lines = xcalloc(all.len + 1, sizeof(*lines));
	/* memchr: a value may hold a NUL, which must not end the table early */
	for (char *s = all.s, *nl; (nl = memchr(s, '\n', all.len - (size_t)(s - all.s))) != NULL;
	     s = nl + 1) {
		*nl = '\0';
		lines[n++] = s;
	}
	tmpl_tabwrite(f, lines, n);
	free(all.s);
	t->rows.len = 0;
}

/* ---------------------------------------------------------------------- */
/* Tabwriter: Go's text/tabwriter with docker's settings.
 *
 * A line is cells, each ended by a tab, plus the text after the last tab,
 * which belongs to no column. A column is a block of consecutive lines that
 * all have a cell at that index; its width is the widest of those cells plus
 * the padding (at least the minimum width). A line without the cell ends the
 * block, so the next block of that column is sized on its own. Blocks are
 * found left to right: column k's blocks are looked for only inside a block
 * of column k-1, the recursion below, as Go's format() does it. */

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

static void tw_format(struct tabwriter *w, size_t line0, size_t line1)
{
	size_t column = w->nwidths;

	for (size_t ln = line0; ln < line1; ln++) {
		if (column + 1 >= w->lines[ln].n)
			continue;
		/* a block of this column starts here */
		tw_write_lines(w, line0, ln);
		line0 = ln;
		size_t width = TAB_MINWIDTH;
		for (; ln < line1 && column + 1 < w->lines[ln].n; ln++)
			if (w->lines[ln].cells[column].width + TAB_PADDING > width)
				width = w->lines[ln].cells[column].width + TAB_PADDING;
		w->widths[w->nwidths++] = width;
		tw_format(w, line0, ln);
		w->nwidths--;
		line0 = ln;
	}
	tw_write_lines(w, line0, line1);
}

void tmpl_tabwrite(FILE *f, char *const *lines, size_t n)
{
	struct tabwriter w = { .f = f };
	size_t most = 1;

	w.lines = xcalloc(n + 1, sizeof(*w.lines));
	for (size_t i = 0; i < n; i++) {
		struct tw_line *l = &w.lines[i];
		const char *s = lines[i], *tab;

		l->cells = xcalloc(strlen(s) + 1, sizeof(*l->cells));
		for (;;) {
			tab = strchr(s, '\t');
			size_t len = tab != NULL ? (size_t)(tab - s) : strlen(s);
			l->cells[l->n++] = (struct tw_cell){ s, len, utf8_width(s, len) };
			if (tab == NULL)
				break;
			s = tab + 1;
		}
		if (l->n > most)
			most = l->n;
	}
	w.widths = xcalloc(most, sizeof(*w.widths));
	tw_format(&w, 0, n);
	for (size_t i = 0; i < n; i++)
		free(w.lines[i].cells);
	free(w.lines);
	free(w.widths);
}
