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
 * Then the public API with table mode (the header row is the row template
 * run in "header mode", as docker runs it over a map of column titles).
 * How values print and the functions are in template-funcs.c; the column
 * aligner is in tabwrite.c.
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
#include "util/template-internal.h"
#include "util/xalloc.h"

#define TMPL_MAX_DEPTH 100 /* nested blocks and parentheses: bounds the recursion */

/* ---------------------------------------------------------------------- */
/* Positions and messages */

/* Messages are one line: control characters from the source or a value
 * (a raw string, a string being ranged over) become spaces. */
__attribute__((format(printf, 3, 0))) static void msg_vformat(char *msg, size_t n, const char *fmt,
							      va_list ap)
{
	vsnprintf(msg, n, fmt, ap);
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
	msg_vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
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
	size_t len = tmpl_utf8_decode(lx->src + p, lx->n - p, &cp);

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
			return src_fail(s, lx->pos, lx->err, "unterminated quoted string");
		if (s[p++] == '"')
			break;
	}
	t = lex_emit(lx, T_STRING, lx->pos, p);
	if (unquote(s + t->pos + 1, t->end - t->pos - 2, &b) < 0) {
		free(b.s);
		return src_fail(s, t->pos, lx->err, "invalid escape in string %s", t->val);
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
		return src_fail(lx->src, lx->pos, lx->err, "unterminated raw quoted string");
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

/* A one-character token, counting parentheses. */
static int lex_punct(struct lexer *lx, enum tok_type type, int *parens)
{
	*parens += (type == T_LPAREN) - (type == T_RPAREN);
	if (*parens < 0)
		return src_fail(lx->src, lx->pos, lx->err, "unexpected right paren");
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
			return src_fail(s, p, lx->err, "expected :=");
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
			return src_fail(s, open, lx->err, "unclosed action");
		if (trim || (s[p] == '}' && s[p + 1] == '}')) {
			if (parens > 0)
				return src_fail(s, p, lx->err, "unclosed left paren");
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

/* ---------------------------------------------------------------------- */
/* Tree */

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

static struct node *list_push(struct list *l, enum node_type type, size_t pos)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n] = (struct node){ .type = type, .pos = pos };
	return &l->v[l->n++];
}

/* ---------------------------------------------------------------------- */
/* Parser */

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

static const struct {
	enum tok_type tok;
	enum node_type node;
	const char *name;
} blocks[] = { { T_IF, N_IF, "if" }, { T_RANGE, N_RANGE, "range" }, { T_WITH, N_WITH, "with" } };

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

/* The "}}" that closes {{end}}, {{else}}, {{break}} and {{continue}}. */
static int parse_close(struct parser *p, const char *what)
{
	const struct tok *t = next(p);

	return t->type == T_RIGHT ? 0 : parse_unexpected(p, t, what);
}

static int parse_nest(struct parser *p, size_t pos)
{
	if (++p->depth > TMPL_MAX_DEPTH)
		return src_fail(p->src, pos, p->err, "template nested too deeply");
	return 0;
}

/* t names a variable in scope. */
static int parse_need_var(struct parser *p, const struct tok *t)
{
	for (size_t i = p->nvars; i-- > 0;)
		if (strcmp(p->vars[i], t->val) == 0)
			return 0;
	return src_fail(p->src, t->pos, p->err, "undefined variable \"%s\"", t->val);
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

/* A constant: string, number or boolean. */
static int parse_literal(struct parser *p, const struct tok *t, struct arg *a)
{
	a->type = A_LIT;
	if (t->type == T_STRING)
		a->lit = json_object_new_string_len(t->val, (int)t->len);
	else if (t->type == T_BOOL)
		a->lit = json_object_new_boolean(t->val[0] == 't');
	else if ((a->lit = parse_number(t->val)) == NULL)
		return src_fail(p->src, t->pos, p->err, "bad number syntax: \"%s\"", t->val);
	return 0;
}

static int parse_pipe(struct parser *p, const char *ctx, enum tok_type end, struct pipe **out);

/* "(pipeline)", its "(" read. */
static int parse_paren(struct parser *p, const struct tok *t, struct arg *a)
{
	a->type = A_PIPE;
	if (parse_nest(p, t->pos) < 0 ||
	    parse_pipe(p, "parenthesized pipeline", T_RPAREN, &a->pipe) < 0)
		return -1;
	p->depth--;
	a->end = p->toks[p->i - 1].end;
	return 0;
}

/* The term an operand starts with, its token t read. */
static int parse_term(struct parser *p, const struct tok *t, struct arg *a)
{
	switch (t->type) {
	case T_IDENT:
		a->type = A_FUNC;
		a->fn = tmpl_func_lookup(t->val);
		if (a->fn == NULL)
			return src_fail(p->src, t->pos, p->err, "function \"%s\" not defined",
					t->val);
		return 0;
	case T_DOT:
		a->type = A_DOT;
		return 0;
	case T_FIELD:
		a->type = A_FIELD;
		strv_push(&a->fields, t->val);
		return 0;
	case T_VAR:
		a->type = A_VAR;
		a->name = xstrdup(t->val);
		return parse_need_var(p, t);
	case T_STRING:
	case T_NUMBER:
	case T_BOOL:
		return parse_literal(p, t, a);
	case T_NIL:
		a->type = A_NIL;
		return 0;
	case T_LPAREN:
		return parse_paren(p, t, a);
	default:
		return parse_unexpected(p, t, "operand");
	}
}

/* One operand: a term and any ".Field" chain glued to it. */
static int parse_operand(struct parser *p, struct arg *a)
{
	const struct tok *t = next(p);

	a->pos = t->pos;
	a->end = t->end;
	if (parse_term(p, t, a) < 0)
		return -1;
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
		if (pp->assign && parse_need_var(p, t) < 0)
			return -1;
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
		       struct list *l);

/* A block's pipeline, its body and any {{else}} part. */
static int parse_block_parts(struct parser *p, struct node *n, const char *ctx)
{
	const struct tok *term, *t;
	int end;

	if (parse_pipe(p, ctx, T_RIGHT, &n->pipe) < 0)
		return -1;
	p->range_depth += n->type == N_RANGE;
	end = parse_list(p, &n->body, &term);
	p->range_depth -= n->type == N_RANGE;
	if (end == END_ELSE) {
		t = peek(p);
		/* "{{else if x}}" is "{{else}}{{if x}}" sharing the one {{end}} */
		if ((n->type == N_IF && t->type == T_IF) ||
		    (n->type == N_WITH && t->type == T_WITH)) {
			next(p);
			return parse_block(p, n->type, ctx, t->pos, &n->alt);
		}
		if (parse_close(p, "{{else}}") < 0)
			return -1;
		end = parse_list(p, &n->alt, &term);
		if (end == END_ELSE)
			return src_fail(p->src, term->pos, p->err, "expected end; found {{else}}");
	}
	if (end == END_EOF)
		return src_fail(p->src, term->pos, p->err, "unexpected EOF");
	return end == END_END ? 0 : -1;
}

/* An if, range or with block, appended to l; its variables end with it. */
static int parse_block(struct parser *p, enum node_type type, const char *ctx, size_t pos,
		       struct list *l)
{
	struct node *n = list_push(l, type, pos);
	size_t mark = p->nvars;
	int r;

	r = parse_nest(p, pos);
	if (r == 0)
		r = parse_block_parts(p, n, ctx);
	p->depth--;
	parser_pop_vars(p, mark);
	return r;
}

/* An action other than {{end}} and {{else}}, its first word k read. */
static int parse_action(struct parser *p, struct list *l, const struct tok *k)
{
	if (k->type == T_BREAK || k->type == T_CONTINUE) {
		if (p->range_depth == 0)
			return src_fail(p->src, k->pos, p->err, "{{%s}} outside {{range}}", k->val);
		list_push(l, k->type == T_BREAK ? N_BREAK : N_CONTINUE, k->pos);
		return parse_close(p, k->val);
	}
	for (size_t b = 0; b < ARRAY_SIZE(blocks); b++)
		if (blocks[b].tok == k->type)
			return parse_block(p, blocks[b].node, blocks[b].name, k->pos, l);
	p->i--; /* the word belongs to the pipeline */
	return parse_pipe(p, "command", T_RIGHT, &list_push(l, N_ACTION, k->pos)->pipe);
}

/* Parses nodes up to {{end}}, {{else}} (left before what follows "else") or
 * the end of input; returns which, or -1. */
static int parse_list(struct parser *p, struct list *l, const struct tok **term)
{
	for (;;) {
		const struct tok *t = next(p), *k;

		if (t->type == T_EOF) {
			*term = t;
			return END_EOF;
		}
		if (t->type == T_TEXT) {
			struct node *n = list_push(l, N_TEXT, t->pos);
			n->text = xstrndup(t->val, t->len);
			n->len = t->len;
			continue;
		}
		k = next(p); /* the first word after "{{" */
		*term = k;
		if (k->type == T_END)
			return parse_close(p, k->val) < 0 ? -1 : END_END;
		if (k->type == T_ELSE)
			return END_ELSE;
		if (parse_action(p, l, k) < 0)
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
	msg_vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
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

/* cur.name, replacing cur: an absent key gives no value; null or a
 * non-object fails (and leaves cur holding nothing). */
static int eval_field(struct exec *ex, const struct arg *a, const char *name, struct val *cur)
{
	json_object *child = NULL;
	int r = 0;

	if (cur->j == NULL)
		r = exec_fail(ex, a->pos, a->end, "nil pointer evaluating interface {}.%s", name);
	else if (!json_object_is_type(cur->j, json_type_object))
		r = exec_fail(ex, a->pos, a->end, "can't evaluate field %s in type %s", name,
			      tmpl_val_type_name(cur));
	bool found = r == 0 && json_object_object_get_ex(cur->j, name, &child);
	struct val v = found ? val_ref(child) : VAL_MISSING;
	val_put(cur);
	*cur = v;
	return r;
}

/* Follows a.fields from cur (taken); any field of no value is no value. */
static int eval_fields(struct exec *ex, const struct arg *a, struct val cur, struct val *out)
{
	size_t n = strv_len(a->fields);

	if (n > 0 && ex->header) {
		val_put(&cur);
		*out = header_title(ex, a->fields[n - 1]);
		return 0;
	}
	for (size_t i = 0; i < n && !cur.missing; i++)
		if (eval_field(ex, a, a->fields[i], &cur) < 0)
			return -1;
	*out = cur;
	return 0;
}

static int check_arg_count(struct exec *ex, const struct func *fn, size_t n, size_t pos, size_t end)
{
	if (fn->max >= 0 && n != (size_t)fn->min) /* fixed counts: min == max */
		return exec_fail(ex, pos, end, "wrong number of args for %s: want %d got %zu",
				 fn->name, fn->min, n);
	if (n < (size_t)fn->min)
		return exec_fail(ex, pos, end,
				 "wrong number of args for %s: want at least %d got %zu", fn->name,
				 fn->min, n);
	return 0;
}

/* Calls fn on vals; in a header a function that keeps the title returns its
 * first argument. */
static int invoke(struct exec *ex, const struct func *fn, struct val *vals, size_t n, size_t pos,
		  size_t end, struct val *out)
{
	int r;

	if (ex->header && fn->header_identity) {
		*out = val_copy(&vals[0]);
		return 0;
	}
	r = fn->fn(vals, n, out, ex->err);
	if (r == -1)
		berth_err_wrap(ex->err, "error calling %s", fn->name);
	return r < 0 ? exec_at(ex, pos, end) : 0;
}

/* fn with args evaluated, and the previous stage's value (final) last. */
static int call_func(struct exec *ex, const struct func *fn, const struct arg *args, size_t nargs,
		     const struct val *final, const struct val *dot, size_t pos, size_t end,
		     struct val *out)
{
	size_t n = nargs + (final != NULL), got = 0;
	struct val *vals;
	int r = -1;

	if (check_arg_count(ex, fn, n, pos, end) < 0)
		return -1;
	vals = xcalloc(n + 1, sizeof(*vals));
	while (got < nargs && eval_arg(ex, &args[got], dot, &vals[got]) == 0)
		got++;
	if (got == nargs) {
		if (final != NULL)
			vals[got++] = val_copy(final);
		r = invoke(ex, fn, vals, n, pos, end, out);
	}
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

/* Binds the pipeline's declared variables to v: new ones for ":=", the
 * ones in scope for "=". */
static int bind_decls(struct exec *ex, const struct pipe *pp, const struct val *v)
{
	for (size_t i = 0; i < pp->ndecl; i++) {
		if (!pp->assign)
			var_push(ex, pp->decl[i], val_copy(v));
		else if (!var_set(ex, pp->decl[i], val_copy(v)))
			return exec_fail(ex, pp->pos, pp->end, "undefined variable: %s",
					 pp->decl[i]);
	}
	return 0;
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
	if (bind_decls(ex, pp, &v) < 0) {
		val_put(&v);
		return -1;
	}
	*out = v;
	return 0;
}

static int walk_list(struct exec *ex, const struct list *l, const struct val *dot);

/* One pass of range (taking key and elem): the pipeline bound its
 * variables ($v, or $i then $v); they take this element (and key), then the
 * body runs in its own scope. */
static int range_step(struct exec *ex, const struct node *n, struct val key, struct val elem)
{
	const struct pipe *pp = n->pipe;
	size_t mark = ex->nvars;
	int r;

	if (pp->ndecl > 1)
		var_set(ex, pp->decl[0], val_copy(&key));
	if (pp->ndecl > 0)
		var_set(ex, pp->decl[pp->ndecl - 1], val_copy(&elem));
	r = walk_list(ex, &n->body, &elem);
	var_pop(ex, mark);
	val_put(&key);
	val_put(&elem);
	if (ex->flow == FLOW_CONTINUE)
		ex->flow = FLOW_NEXT;
	return r;
}

/* Range over what is not a collection: in a header the body runs once. */
static int range_scalar(struct exec *ex, const struct node *n, const struct val *v, size_t *len)
{
	struct buf b = { 0 };
	int r;

	if (ex->header) {
		*len = 1;
		return walk_list(ex, &n->body, v);
	}
	tmpl_fmt_value(&b, v->j);
	r = exec_fail(ex, n->pipe->pos, n->pipe->end, "range can't iterate over %s", b.s);
	free(b.s);
	return r;
}

/* Arrays by index, objects by sorted key; *len says how many there were. */
static int range_items(struct exec *ex, const struct node *n, const struct val *v, size_t *len)
{
	int r = 0;

	switch (val_type(v)) {
	case json_type_array:
		*len = json_object_array_length(v->j);
		for (size_t i = 0; i < *len && r == 0 && ex->flow == FLOW_NEXT; i++)
			r = range_step(ex, n,
				       (struct val){ .j = json_object_new_int64((int64_t)i) },
				       val_ref(json_object_array_get_idx(v->j, i)));
		return r;
	case json_type_object: {
		autofree char **keys = tmpl_object_keys(v->j, len);
		for (size_t i = 0; i < *len && r == 0 && ex->flow == FLOW_NEXT; i++)
			r = range_step(ex, n, val_string(keys[i], strlen(keys[i])),
				       val_ref(object_get(v->j, keys[i])));
		return r;
	}
	case json_type_null:
		return 0;
	default:
		return range_scalar(ex, n, v, len);
	}
}

/* An empty collection, null or no value runs {{else}}. */
static int walk_range(struct exec *ex, const struct node *n, const struct val *dot)
{
	size_t mark = ex->nvars, len = 0;
	struct val v;
	int r;

	if (eval_pipe(ex, n->pipe, dot, &v) < 0)
		return -1;
	r = range_items(ex, n, &v, &len);
	ex->flow = FLOW_NEXT;
	if (r == 0 && len == 0)
		r = walk_list(ex, &n->alt, dot);
	var_pop(ex, mark);
	val_put(&v);
	return r;
}

/* {{pipeline}}: a declaration prints nothing; its variable lives on. */
static int walk_action(struct exec *ex, const struct node *n, const struct val *dot)
{
	struct val v;

	if (eval_pipe(ex, n->pipe, dot, &v) < 0)
		return -1;
	if (n->pipe->ndecl == 0 && val_is_nil(&v))
		buf_puts(ex->out, "<no value>");
	else if (n->pipe->ndecl == 0)
		tmpl_fmt_value(ex->out, v.j);
	val_put(&v);
	return 0;
}

/* {{if}} and {{with}} (which sets dot); variables end with the block. */
static int walk_cond(struct exec *ex, const struct node *n, const struct val *dot)
{
	size_t mark = ex->nvars;
	struct val v;
	int r;

	if (eval_pipe(ex, n->pipe, dot, &v) < 0)
		return -1;
	if (tmpl_val_truth(&v))
		r = walk_list(ex, &n->body, n->type == N_WITH ? &v : dot);
	else
		r = walk_list(ex, &n->alt, dot);
	var_pop(ex, mark);
	val_put(&v);
	return r;
}

static int walk_node(struct exec *ex, const struct node *n, const struct val *dot)
{
	switch (n->type) {
	case N_TEXT:
		buf_add(ex->out, n->text, n->len);
		return 0;
	case N_ACTION:
		return walk_action(ex, n, dot);
	case N_IF:
	case N_WITH:
		return walk_cond(ex, n, dot);
	case N_RANGE:
		return walk_range(ex, n, dot);
	case N_BREAK:
		ex->flow = FLOW_BREAK;
		return 0;
	case N_CONTINUE:
		ex->flow = FLOW_CONTINUE;
		return 0;
	}
	return 0;
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

/* docker: "table" as the first word starts table mode, and the rest is
 * trimmed of spaces. Returns the template proper; *len is its length. */
static const char *table_strip(struct tmpl *t, const char *text, size_t *len)
{
	if (strncmp(text, "table", 5) == 0 && (text[5] == '\0' || is_space(text[5]))) {
		t->table = true;
		text += 5;
		while (*text == ' ')
			text++;
	}
	*len = strlen(text);
	while (t->table && *len > 0 && text[*len - 1] == ' ')
		(*len)--;
	return text;
}

int tmpl_parse(const char *text, struct tmpl **out, struct berth_err *err)
{
	struct tmpl *t = xzalloc(sizeof(*t));
	struct lexer lx = { .err = err };
	int r;

	text = table_strip(t, text, &lx.n);
	t->src = xstrndup(text, lx.n);
	lx.src = t->src;
	r = lex_all(&lx) < 0 || parse_all(t, &lx, err) < 0 ? -1 : 0;
	lex_free(&lx);
	if (r < 0)
		tmpl_free(t);
	else
		*out = t;
	return r;
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

	buf_puts(&b, *out != NULL ? *out : "");
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
	int r = exec_run(t, data, false, &b, err);

	if (r == 0) {
		buf_add(&t->rows, b.s, b.len);
		buf_putc(&t->rows, '\n');
	}
	free(b.s);
	return r;
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
