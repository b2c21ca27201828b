/* What the template files share among themselves (template-lex.c: the
 * lexer; template-parse.c: the parser and its node tree; template.c: the
 * evaluator and the public API; template-funcs.c: values, printing, the
 * functions; tabwrite.c: the column aligner). Not for use outside them:
 * other layers go through util/template.h. */
#pragma once

#include <ctype.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/xalloc.h"

struct berth_err;

#define TMPL_MAX_PAD 65536 /* printf widths and pad counts, so a typo cannot eat memory */

/* ---------------------------------------------------------------------- */
/* Growing strings: s is NUL-terminated once anything was added (even ""). */

struct buf {
	char *s;
	size_t len, cap;
};

static inline void buf_add(struct buf *b, const char *s, size_t n)
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

static inline void buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static inline void buf_putc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

static inline void buf_pad(struct buf *b, char c, size_t n)
{
	while (n-- > 0)
		buf_putc(b, c);
}

/* ---------------------------------------------------------------------- */
/* Characters */

static inline bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Go's identifier characters; any non-ASCII byte counts as a letter. */
static inline bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* c in a set of characters; never NUL, which strchr would find. */
static inline bool char_in(char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/* The letter that follows a backslash for c, from a table of (char, letter)
 * pairs, or 0. */
static inline char escape_for(const char *pairs, char c)
{
	for (; pairs[0] != '\0'; pairs += 2)
		if (pairs[0] == c)
			return pairs[1];
	return 0;
}

/* Code points, counting each invalid byte as one, as Go's RuneCount. */
size_t tmpl_utf8_width(const char *s, size_t n);

/* ---------------------------------------------------------------------- */
/* Values: j is an owned reference (NULL: JSON null); missing is Go's
 * invalid reflect.Value, "no value", for an absent map key. */

struct val {
	json_object *j;
	bool missing;
};

#define VAL_MISSING ((struct val){ .missing = true })

static inline struct val val_ref(json_object *j)
{
	return (struct val){ .j = json_object_get(j) };
}

static inline struct val val_copy(const struct val *v)
{
	return (struct val){ .j = json_object_get(v->j), .missing = v->missing };
}

static inline struct val val_string(const char *s, size_t len)
{
	return (struct val){ .j = json_object_new_string_len(s != NULL ? s : "", (int)len) };
}

static inline void val_put(struct val *v)
{
	json_object_put(v->j);
	v->j = NULL;
}

static inline bool val_is_nil(const struct val *v)
{
	return v->missing || v->j == NULL;
}

static inline json_type val_type(const struct val *v)
{
	return val_is_nil(v) ? json_type_null : json_object_get_type(v->j);
}

static inline json_object *object_get(json_object *o, const char *key)
{
	json_object *child = NULL;

	json_object_object_get_ex(o, key, &child);
	return child;
}

/* Go's type names for what encoding/json decodes into interface{}. */
const char *tmpl_val_type_name(const struct val *v);
/* Go's truth: false, 0, "", null, no value and empty arrays/objects are false. */
bool tmpl_val_truth(const struct val *v);
/* An object's keys in byte order, as Go sorts map keys; free the array only. */
char **tmpl_object_keys(json_object *o, size_t *n);
/* Go's %v: strings bare, [a b c], map[k:v] with sorted keys, <nil> inside. */
/* printf into b (template-funcs.c). */
__attribute__((format(printf, 2, 3))) void buf_printf(struct buf *b, const char *fmt, ...);
void tmpl_fmt_value(struct buf *b, json_object *j);
/* The rest of the printing (template-print.c) that the functions use: a
 * float as %v (or, with json, encoding/json) writes it; an argument as
 * print shows it (nil as <nil>); "type=value", as fmt shows a misused
 * operand; strconv.Quote (with json, encoding/json's string escaping);
 * encoding/json of a value. */
void tmpl_fmt_float(struct buf *b, double d, bool json);
void tmpl_fmt_arg(struct buf *b, const struct val *v);
void tmpl_fmt_typed(struct buf *b, const struct val *v);
void tmpl_quote(struct buf *b, const char *s, size_t n, bool json);
int tmpl_json_encode(struct buf *b, json_object *j);

/* ---------------------------------------------------------------------- */
/* Functions */

struct func {
	const char *name;
	int min, max;         /* argument counts; max < 0: any number */
	bool header_identity; /* returns its first argument in a table header, as
			       * docker's HeaderFunctions do, so the title stays */
	int (*fn)(struct val *args, size_t n, struct val *out, struct berth_err *err);
};

/* The function called name, or NULL. */
const struct func *tmpl_func_lookup(const char *name);

/* ---------------------------------------------------------------------- */
/* Positions and messages (template.c) */

/* Fails with Go's "template: :LINE:COL: msg" for src[pos], on one line:
 * control characters from the source become spaces. */
__attribute__((format(printf, 4, 5))) int
tmpl_src_fail(const char *src, size_t pos, struct berth_err *err, const char *fmt, ...);

/* ---------------------------------------------------------------------- */
/* Tokens (template-lex.c) */

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

/* The tokens of src[0, n), the last one T_EOF, in *toks (free with
 * tmpl_toks_free); on failure nothing is returned. */
int tmpl_lex(const char *src, size_t n, struct tok **toks, size_t *ntoks, struct berth_err *err);
void tmpl_toks_free(struct tok *toks, size_t ntoks);

/* ---------------------------------------------------------------------- */
/* The node tree (template-parse.c); the evaluator in template.c walks it. */

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

/* Parses toks into t->root; t->src is the source positions refer to. */
int tmpl_parse_tree(struct tmpl *t, const struct tok *toks, size_t ntoks, struct berth_err *err);
/* Frees a list's nodes, their pipelines and nested lists. */
void tmpl_list_clear(struct list *l);
